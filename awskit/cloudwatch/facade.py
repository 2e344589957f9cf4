"""The ``aws.cloudwatch`` facade: alarms of every kind, alarm history, metric data."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast, overload

from .._errors import (
    AwskitError,
    InvalidInput,
    NotFound,
    PartialFailure,
    aws_errors,
    translates_errors,
)
from .._paging import Page, Paged, token_pages
from .metrics import (
    Metric,
    MetricDatum,
    MetricSeries,
    check_namespace,
    check_timestamps,
    fold,
    plan_batches,
)
from .models import (
    Alarm,
    AlarmHistoryItem,
    AlarmState,
    AnomalyAlarm,
    AnyAlarm,
    CompositeAlarm,
    MetricMathAlarm,
    MetricQuery,
    PutAlarm,
    UnknownAlarm,
    alarm_from_aws,
    check_dimensions,
    check_metric_name,
    check_metric_namespace,
)

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

    from .._session import Session

__all__ = ["AlarmKind", "AlarmStateTimeout", "CloudWatch", "alarm_kind", "plan_deletions"]

T = TypeVar("T")

#: Which alarms a listing yields: single-metric alarms (``Alarm``), metric-math alarms,
#: anomaly-detection alarms, composite alarms, the unknown fallback, or all of them.
AlarmKind = Literal["metric", "math", "anomaly", "composite", "unknown", "all"]
"""Which alarms ``alarms(types=...)`` lists: ``"metric"`` ([Alarm][awskit.cloudwatch.Alarm]),
``"math"`` ([MetricMathAlarm][awskit.cloudwatch.MetricMathAlarm]), ``"anomaly"``
([AnomalyAlarm][awskit.cloudwatch.AnomalyAlarm]), ``"composite"``
([CompositeAlarm][awskit.cloudwatch.CompositeAlarm]), ``"unknown"``
([UnknownAlarm][awskit.cloudwatch.UnknownAlarm], alarms awskit does not model) or
``"all"``."""
_KINDS = ("metric", "math", "anomaly", "composite", "unknown")
#: The kinds DescribeAlarms returns under MetricAlarms; an unknown one may come from either.
_METRIC_KINDS = frozenset({"metric", "math", "anomaly", "unknown"})
_COMPOSITE_KINDS = frozenset({"composite", "unknown"})
#: DescribeAlarms, DeleteAlarms and Enable/DisableAlarmActions take at most 100 names.
MAX_NAMES = 100
_HISTORY_TYPES = frozenset(
    {
        "ConfigurationUpdate",
        "StateUpdate",
        "Action",
        "AlarmContributorStateUpdate",
        "AlarmContributorAction",
    }
)


class AlarmStateTimeout(AwskitError, TimeoutError):
    """``wait_for_state`` ran out of time; ``alarm`` is the alarm as last seen."""

    def __init__(self, message: str, *, alarm: AnyAlarm) -> None:
        super().__init__(message, code="AlarmStateTimeout", operation="DescribeAlarms")
        self.alarm = alarm


def plan_deletions(names: Sequence[str], composites: Collection[str]) -> list[list[str]]:
    """Split ``names`` into ``DeleteAlarms`` calls: at most 100 names and one composite each.

    AWS refuses two composite alarms in one call ("you could delete 99 metric alarms and
    one composite alarm with one operation"), so composites are spread one per call and
    metric alarms fill the rest, in as few calls as that allows.
    """
    unique = list(dict.fromkeys(names))
    comp = [name for name in unique if name in composites]
    metric = [name for name in unique if name not in composites]
    calls = max(-(-len(unique) // MAX_NAMES), len(comp))
    plan: list[list[str]] = [[] for _ in range(calls)]
    for call, name in zip(plan, comp, strict=False):
        call.append(name)
    rest = iter(metric)
    for call in plan:
        for name in rest:
            call.append(name)
            if len(call) == MAX_NAMES:
                break
    return plan


def alarm_kind(alarm: AnyAlarm) -> str:
    """The [AlarmKind][awskit.cloudwatch.AlarmKind] of an alarm (``"math"`` for a
    [MetricMathAlarm][awskit.cloudwatch.MetricMathAlarm], ...)."""
    if isinstance(alarm, CompositeAlarm):
        return "composite"
    if isinstance(alarm, AnomalyAlarm):
        return "anomaly"
    if isinstance(alarm, MetricMathAlarm):
        return "math"
    if isinstance(alarm, UnknownAlarm):
        return "unknown"
    return "metric"


def _is_composite(alarm: AnyAlarm) -> bool:
    return isinstance(alarm, CompositeAlarm) or (
        isinstance(alarm, UnknownAlarm) and alarm.composite
    )


def _kinds(types: AlarmKind | Collection[AlarmKind]) -> frozenset[str]:
    wanted = [types] if isinstance(types, str) else list(types)
    kinds: set[str] = set()
    for kind in wanted:
        if kind == "all":
            kinds.update(_KINDS)
        elif kind in _KINDS:
            kinds.add(kind)
        else:
            raise InvalidInput(
                "types", "each must be 'metric', 'math', 'anomaly', 'composite', 'unknown' or 'all'"
            )
    if not kinds:
        raise InvalidInput("types", "must name at least one kind of alarm")
    return frozenset(kinds)


def _state(field: str, state: AlarmState | str) -> AlarmState:
    try:
        return AlarmState(state)
    except ValueError:
        raise InvalidInput(field, "must be one of OK, ALARM, INSUFFICIENT_DATA") from None


def _names(field: str, names: Iterable[str | AnyAlarm]) -> list[str]:
    if isinstance(names, str):
        raise InvalidInput(field, "give a list of names, not one string")
    out: list[str] = []
    for name in names:
        text = name if isinstance(name, str) else getattr(name, "name", None)
        if not isinstance(text, str) or not 1 <= len(text) <= 255:
            raise InvalidInput(field, "every alarm name must be a string of 1 to 255 characters")
        out.append(text)
    return list(dict.fromkeys(out))


def _utc(field: str, value: dt.datetime) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise InvalidInput(field, "must be a datetime")
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)


class AlarmPages:
    """What ``DescribeAlarms`` is asked page by page and what each answer means, without IO.

    ``names`` are asked 100 at a time; a token is ``(chunk, NextToken)``. Shared by the
    blocking facade and ``awskit.aio``'s, which only send ``request`` and hand the
    answer to ``page``.
    """

    def __init__(self, kinds: frozenset[str], names: list[str] | None, **request: Any) -> None:
        self.kinds = kinds
        types = []
        if kinds & _METRIC_KINDS:
            types.append("MetricAlarm")
        if kinds & _COMPOSITE_KINDS:
            types.append("CompositeAlarm")
        self._request = dict(request, AlarmTypes=types, MaxRecords=100)
        self._chunks: list[list[str] | None] = (
            [names[i : i + MAX_NAMES] for i in range(0, len(names), MAX_NAMES)]
            if names is not None
            else [None]
        )

    def request(self, token: Any) -> dict[str, Any] | None:
        """The ``DescribeAlarms`` request for the page at ``token``; ``None``: no request."""
        if not self._chunks:
            # An empty AlarmNames means "every alarm" to AWS: no names, no request.
            return None
        index, next_token = token if token is not None else (0, None)
        call = dict(self._request)
        chunk = self._chunks[index]
        if chunk is not None:
            call["AlarmNames"] = chunk
        if next_token:
            call["NextToken"] = next_token
        return call

    def page(self, token: Any, response: Mapping[str, Any] | None) -> Page[AnyAlarm]:
        """The alarms of ``response`` (the answer to ``request(token)``) and the next token."""
        if response is None:
            return Page([], None)
        kinds = self.kinds
        index = token[0] if token is not None else 0
        items: list[AnyAlarm] = []
        # Every item is read leniently (alarm_from_aws never raises InvalidInput), so
        # one alarm awskit does not model cannot break a listing, a get or a delete.
        if kinds & _METRIC_KINDS:
            for item in response.get("MetricAlarms", ()):
                alarm = alarm_from_aws(item)
                if alarm_kind(alarm) in kinds:
                    items.append(alarm)
        if kinds & _COMPOSITE_KINDS:
            for composite in response.get("CompositeAlarms", ()):
                alarm = alarm_from_aws(composite, composite=True)
                if alarm_kind(alarm) in kinds:
                    items.append(alarm)
        following = response.get("NextToken") or None
        if following is not None:
            return Page(items, (index, following))
        return Page(items, (index + 1, None) if index + 1 < len(self._chunks) else None)


def alarms_request(
    state: AlarmState | str | None,
    prefix: str | None,
    names: Iterable[str] | None,
    action_prefix: str | None,
    types: AlarmKind | Collection[AlarmKind],
) -> AlarmPages:
    """The pages of an ``alarms(...)`` listing, its arguments checked (InvalidInput)."""
    kinds = _kinds(types)
    request: dict[str, Any] = {}
    if state is not None:
        request["StateValue"] = _state("state", state).value
    if prefix is not None:
        if not isinstance(prefix, str) or not 1 <= len(prefix) <= 255:
            raise InvalidInput("prefix", "must be 1 to 255 characters")
        if names is not None:
            raise InvalidInput("prefix", "cannot be combined with names (AWS refuses both)")
        request["AlarmNamePrefix"] = prefix
    if action_prefix is not None:
        if not isinstance(action_prefix, str) or not 1 <= len(action_prefix) <= 1024:
            raise InvalidInput("action_prefix", "must be 1 to 1024 characters")
        request["ActionPrefix"] = action_prefix
    wanted = None if names is None else _names("names", names)
    return AlarmPages(kinds, wanted, **request)


def checked_alarm(alarm: PutAlarm, field: str) -> PutAlarm:
    """``alarm`` validated again (attributes may have been assigned since construction)."""
    if isinstance(alarm, UnknownAlarm):
        raise InvalidInput(
            field,
            f"{alarm.name!r} is an UnknownAlarm (awskit does not model its shape: "
            f"{alarm.reason}); put it with the client and its raw fields",
        )
    if not isinstance(alarm, (Alarm, MetricMathAlarm, AnomalyAlarm, CompositeAlarm)):
        raise InvalidInput(
            field, "must be an Alarm, MetricMathAlarm, AnomalyAlarm or CompositeAlarm"
        )
    return alarm.checked()


def put_alarm_call(alarm: PutAlarm) -> tuple[str, dict[str, Any]]:
    """The client method (``put_metric_alarm`` or ``put_composite_alarm``) and request."""
    method = "put_composite_alarm" if isinstance(alarm, CompositeAlarm) else "put_metric_alarm"
    return method, alarm.to_request()


def existing_alarms(alarms: Iterable[AnyAlarm]) -> dict[str, bool]:
    """``{name: is composite}`` of the alarms a describe before a delete found."""
    return {alarm.name: _is_composite(alarm) for alarm in alarms}


def deletions_failed(
    plan: list[list[str]], index: int, deleted: list[str], exc: AwskitError
) -> AwskitError:
    """What a failure of ``DeleteAlarms`` call ``index`` of ``plan`` means: the error itself
    for the first call, else [PartialFailure][awskit.PartialFailure] with the names left."""
    if index == 0:
        return exc
    left = [name for call in plan[index:] for name in call]
    return PartialFailure(
        f"{len(left)} alarms were not deleted ({len(deleted)} were): {exc}",
        failed=left,
        last_error=exc,
        code=exc.code,
        operation="DeleteAlarms",
    )


def metric_batches(namespace: str, data: Iterable[MetricDatum]) -> list[list[Mapping[str, Any]]]:
    """The ``PutMetricData`` batches for ``data``, every check done (InvalidInput)."""
    check_namespace(namespace)
    if isinstance(data, MetricDatum):
        raise InvalidInput("data", "give a list of MetricDatum, not one")
    items = list(data)
    for index, datum in enumerate(items):
        if not isinstance(datum, MetricDatum):
            raise InvalidInput("data", f"data[{index}] is not a MetricDatum")
    check_timestamps(items, dt.datetime.now(dt.timezone.utc))
    return plan_batches(fold(items))


def metrics_failed(
    batches: list[list[Mapping[str, Any]]], index: int, exc: AwskitError
) -> AwskitError:
    """What a failure of ``PutMetricData`` request ``index`` means: the error itself for the
    first, else [PartialFailure][awskit.PartialFailure] with exactly the entries not sent."""
    if index == 0:
        return exc
    left = [entry for later in batches[index:] for entry in later]
    return PartialFailure(
        f"{len(left)} metric entries were not sent ({index} of {len(batches)} "
        f"requests succeeded): {exc}",
        failed=left,
        last_error=exc,
        code=exc.code,
        operation="PutMetricData",
    )


def one_alarm(name: str, types: AlarmKind | Collection[AlarmKind]) -> AlarmPages:
    """The one ``DescribeAlarms`` page that finds the alarm ``name``, of any kind
    (``types`` checked before any request)."""
    _kinds(types)
    return AlarmPages(frozenset(_KINDS), _names("name", [name]))


def pick_alarm(
    name: str, found: Sequence[AnyAlarm], types: AlarmKind | Collection[AlarmKind]
) -> AnyAlarm | None:
    """The answer of ``alarm(name, types=...)`` from the alarms ``one_alarm`` found."""
    if not found:
        return None
    alarm = found[0]
    kind = alarm_kind(alarm)
    if kind not in _kinds(types):
        article = "an" if kind[0] in "aeiou" else "a"
        raise AwskitError(
            f"alarm {name!r} is {article} {kind} alarm; ask alarm(name, types={kind!r})",
            code="WrongAlarmType",
            operation="DescribeAlarms",
        )
    return alarm


def checked_alarms(alarms: Iterable[PutAlarm]) -> list[PutAlarm]:
    """``alarms`` of ``put_alarms``, every one validated before the first request."""
    return [checked_alarm(alarm, f"alarms[{i}]") for i, alarm in enumerate(alarms)]


def alarms_failed(
    checked: Sequence[PutAlarm], failed: list[PutAlarm], last_error: BaseException | None
) -> PartialFailure | None:
    """What ``put_alarms`` raises once every alarm was tried: ``None`` when all were put,
    else [PartialFailure][awskit.PartialFailure] with exactly the alarms not put."""
    if not failed:
        return None
    return PartialFailure(
        f"{len(failed)} of {len(checked)} alarms were not put",
        failed=failed,
        last_error=last_error,
        code="PartialFailure",
        operation="PutMetricAlarm",
    )


def set_state_request(
    name: str,
    state: AlarmState | str,
    reason: str,
    reason_data: Mapping[str, Any] | str | None,
) -> dict[str, Any]:
    """The ``SetAlarmState`` request of ``set_alarm_state``, every argument checked."""
    (name,) = _names("name", [name])
    request: dict[str, Any] = {
        "AlarmName": name,
        "StateValue": _state("state", state).value,
        "StateReason": reason,
    }
    if not isinstance(reason, str) or len(reason) > 1023:
        raise InvalidInput("reason", "must be a string of at most 1023 characters")
    if reason_data is not None:
        if isinstance(reason_data, str):
            try:
                json.loads(reason_data)
            except ValueError:
                raise InvalidInput("reason_data", "must be JSON") from None
            text = reason_data
        else:
            text = json.dumps(reason_data)
        if len(text) > 4000:
            raise InvalidInput("reason_data", "must be at most 4000 characters of JSON")
        request["StateReasonData"] = text
    return request


def action_batches(names: Iterable[str | AnyAlarm]) -> list[list[str]]:
    """The ``AlarmNames`` of each ``Enable``/``DisableAlarmActions`` call (100 a call)."""
    wanted = _names("names", names)
    return [wanted[start : start + MAX_NAMES] for start in range(0, len(wanted), MAX_NAMES)]


def history_request(
    name: str | None,
    type: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    newest_first: bool,
) -> dict[str, Any]:
    """The ``DescribeAlarmHistory`` request of ``alarm_history`` (without a token), checked."""
    request: dict[str, Any] = {
        "AlarmTypes": ["MetricAlarm", "CompositeAlarm"],
        "ScanBy": "TimestampDescending" if newest_first else "TimestampAscending",
        "MaxRecords": 100,
    }
    if name is not None:
        (request["AlarmName"],) = _names("name", [name])
    if type is not None:
        if type not in _HISTORY_TYPES:
            raise InvalidInput("type", f"must be one of {', '.join(sorted(_HISTORY_TYPES))}")
        request["HistoryItemType"] = type
    if start is not None:
        request["StartDate"] = _utc("start", start)
    if end is not None:
        request["EndDate"] = _utc("end", end)
    if start is not None and end is not None and request["StartDate"] >= request["EndDate"]:
        raise InvalidInput("start", "must be before end")
    return request


class StateWait:
    """The decisions of ``wait_for_state``, without IO: what to ask, when to stop, how long
    to sleep. Shared by the blocking facade and ``awskit.aio``'s, which only describe the
    alarm (``pages``, one page) and sleep as told.

    The arguments are checked when it is made (InvalidInput); the time allowed starts then.
    """

    def __init__(
        self,
        name: str,
        state: AlarmState | str,
        timeout: float,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.target = _state("state", state)
        if timeout < 0 or interval <= 0:
            raise InvalidInput("timeout", "timeout must be >= 0 and interval > 0")
        self.name, self.timeout, self.interval = name, timeout, interval
        self.pages = AlarmPages(frozenset(_KINDS), _names("name", [name]))
        self._clock = clock
        self._deadline = clock() + timeout
        self._waited = 0.0
        #: The seconds to sleep before asking again, once `seen` returned ``None``.
        self.pause = 0.0

    def seen(self, found: Sequence[AnyAlarm]) -> AnyAlarm | None:
        """The alarm, once the page asked (``pages``) found it in the target state; else
        ``None``: sleep `pause` seconds and ask again.

        Raises:
            NotFound: there is no alarm of that name.
            AlarmStateTimeout: the time allowed is over.
        """
        if not found:
            raise NotFound(
                f"no alarm named {self.name!r}",
                code="ResourceNotFound",
                operation="DescribeAlarms",
            )
        alarm = found[0]
        if alarm.state == self.target:
            return alarm
        if self._waited >= self.timeout or self._clock() >= self._deadline:
            raise AlarmStateTimeout(
                f"alarm {self.name!r} still {alarm.state and alarm.state.value} after "
                f"{self.timeout:g} s (waiting for {self.target.value})",
                alarm=alarm,
            )
        self.pause = min(self.interval, self.timeout - self._waited)
        self._waited += self.pause
        return None


def metric_data_request(
    queries: Sequence[MetricQuery],
    start: dt.datetime,
    end: dt.datetime,
    newest_first: bool,
    max_datapoints: int | None,
) -> dict[str, Any]:
    """The ``GetMetricData`` request of ``metric_data`` (without a token), checked."""
    queries = list(queries)
    if not 1 <= len(queries) <= 500:
        raise InvalidInput("queries", "give 1 to 500 queries")
    for index, query in enumerate(queries):
        if not isinstance(query, MetricQuery):
            raise InvalidInput("queries", f"queries[{index}] is not a MetricQuery")
    ids = [query.checked().id for query in queries]
    if len(set(ids)) != len(ids):
        raise InvalidInput("queries", "query ids must be unique")
    begin, finish = _utc("start", start), _utc("end", end)
    if begin >= finish:
        raise InvalidInput("start", "must be before end")
    request: dict[str, Any] = {
        "MetricDataQueries": [query.to_request() for query in queries],
        "StartTime": begin,
        "EndTime": finish,
        "ScanBy": "TimestampDescending" if newest_first else "TimestampAscending",
    }
    if max_datapoints is not None:
        if max_datapoints < 1:
            raise InvalidInput("max_datapoints", "must be at least 1")
        request["MaxDatapoints"] = max_datapoints
    return request


def add_metric_results(
    series: dict[str, MetricSeries], results: Iterable[Mapping[str, Any]]
) -> None:
    """Fold one ``GetMetricData`` page's ``MetricDataResults`` into ``series`` (by query id):
    points appended in page order, the latest label and status kept."""
    for result in results:
        one = series.setdefault(result["Id"], MetricSeries(id=result["Id"]))
        one.label = result.get("Label", one.label)
        one.timestamps.extend(result.get("Timestamps", ()))
        one.values.extend(float(v) for v in result.get("Values", ()))
        one.status = result.get("StatusCode", one.status)
        one.messages.extend(
            (m.get("Code", ""), m.get("Value", "")) for m in result.get("Messages", ())
        )


def metrics_request(
    namespace: str | None,
    name: str | None,
    dimensions: Mapping[str, str | None] | None,
    recently_active: bool,
) -> dict[str, Any]:
    """The ``ListMetrics`` request of ``metrics`` (without a token), every filter checked."""
    request: dict[str, Any] = {}
    if namespace is not None:
        request["Namespace"] = check_metric_namespace("namespace", namespace)
    if name is not None:
        request["MetricName"] = check_metric_name("name", name)
    if dimensions is not None:
        if len(dimensions) > 10:
            raise InvalidInput("dimensions", "at most 10 dimension filters")
        check_dimensions(
            "dimensions",
            {key: "*" if value is None else value for key, value in dimensions.items()},
        )
        request["Dimensions"] = [
            {"Name": key} if value is None else {"Name": key, "Value": value}
            for key, value in dimensions.items()
        ]
    if recently_active:
        request["RecentlyActive"] = "PT3H"
    return request


def _translated(fetch: Callable[[Any], Page[T]]) -> Callable[[Any], Page[T]]:
    def run(token: Any) -> Page[T]:
        with aws_errors():
            return fetch(token)

    return run


class CloudWatch:
    """Amazon CloudWatch facade: ``aws.cloudwatch``.

    Example:
        ```python
        cw = aws.cloudwatch
        cw.put_alarm(Alarm(name="cpu-high", comparison="GreaterThanThreshold",
                           evaluation_periods=1, metric_name="CPUUtilization",
                           namespace="AWS/EC2", period=60, statistic="Average",
                           threshold=70.0))
        for alarm in cw.alarms(state=AlarmState.ALARM):
            print(alarm.name, alarm.state_reason)
        cw.put_metrics("MyApp", [MetricDatum(name="Latency", value=12.5)])
        ```
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def client(self) -> CloudWatchClient:
        """The shared, typed boto3 client (escape hatch)."""
        return self._session.client("cloudwatch")

    # Alarms ---------------------------------------------------------------------------

    @property
    def _calls(self) -> CloudWatchClient:
        """The client under the session's retry rule: every single call goes through it."""
        return self._session.calls("cloudwatch")

    def _put(self, alarm: PutAlarm) -> None:
        method, request = put_alarm_call(alarm)
        getattr(self._calls, method)(**request)

    @translates_errors
    def put_alarm(self, alarm: PutAlarm) -> None:
        """Create or update an alarm (``PutMetricAlarm`` or ``PutCompositeAlarm``).

        Updating replaces the whole configuration. Tags only apply when the alarm is
        created. Throttling that outlives botocore's retries is retried with backoff.

        Example:
            ```python
            cw.put_alarm(Alarm(name="cpu-high", comparison="GreaterThanThreshold",
                               evaluation_periods=1, metric_name="CPUUtilization",
                               namespace="AWS/EC2", period=60, statistic="Average",
                               threshold=70.0))
            ```
        """
        self._put(checked_alarm(alarm, "alarm"))

    def put_alarms(self, alarms: Iterable[PutAlarm]) -> None:
        """Create or update many alarms, one request each (there is no batch call).

        Every alarm is validated before the first request. An alarm AWS refuses does not
        stop the others; [PartialFailure][awskit.PartialFailure] then lists exactly the alarms
        not put (``failed``) and the last error.
        """
        checked = checked_alarms(alarms)
        failed: list[PutAlarm] = []
        last_error: BaseException | None = None
        for alarm in checked:
            try:
                self._put(alarm)
            except AwskitError as exc:
                failed.append(alarm)
                last_error = exc
        failure = alarms_failed(checked, failed, last_error)
        if failure is not None:
            raise failure

    def _describe(
        self, kinds: frozenset[str], names: list[str] | None, **request: Any
    ) -> Callable[[Any], Page[AnyAlarm]]:
        return self._pages(AlarmPages(kinds, names, **request))

    def _pages(self, pages: AlarmPages) -> Callable[[Any], Page[AnyAlarm]]:
        def fetch(token: Any) -> Page[AnyAlarm]:
            request = pages.request(token)
            response = None if request is None else self._calls.describe_alarms(**request)
            return pages.page(token, cast("Mapping[str, Any] | None", response))

        return _translated(fetch)

    @overload
    def alarms(
        self,
        state: AlarmState | str | None = None,
        prefix: str | None = None,
        names: Iterable[str] | None = None,
        action_prefix: str | None = None,
        *,
        types: Literal["metric"] = "metric",
        limit: int | None = None,
    ) -> Paged[Alarm]: ...
    @overload
    def alarms(
        self,
        state: AlarmState | str | None = None,
        prefix: str | None = None,
        names: Iterable[str] | None = None,
        action_prefix: str | None = None,
        *,
        types: Literal["math"],
        limit: int | None = None,
    ) -> Paged[MetricMathAlarm]: ...
    @overload
    def alarms(
        self,
        state: AlarmState | str | None = None,
        prefix: str | None = None,
        names: Iterable[str] | None = None,
        action_prefix: str | None = None,
        *,
        types: Literal["anomaly"],
        limit: int | None = None,
    ) -> Paged[AnomalyAlarm]: ...
    @overload
    def alarms(
        self,
        state: AlarmState | str | None = None,
        prefix: str | None = None,
        names: Iterable[str] | None = None,
        action_prefix: str | None = None,
        *,
        types: Literal["composite"],
        limit: int | None = None,
    ) -> Paged[CompositeAlarm]: ...
    @overload
    def alarms(
        self,
        state: AlarmState | str | None = None,
        prefix: str | None = None,
        names: Iterable[str] | None = None,
        action_prefix: str | None = None,
        *,
        types: Literal["unknown"],
        limit: int | None = None,
    ) -> Paged[UnknownAlarm]: ...
    @overload
    def alarms(
        self,
        state: AlarmState | str | None = None,
        prefix: str | None = None,
        names: Iterable[str] | None = None,
        action_prefix: str | None = None,
        *,
        types: Literal["all"] | Collection[AlarmKind],
        limit: int | None = None,
    ) -> Paged[AnyAlarm]: ...
    def alarms(
        self,
        state: AlarmState | str | None = None,
        prefix: str | None = None,
        names: Iterable[str] | None = None,
        action_prefix: str | None = None,
        *,
        types: AlarmKind | Collection[AlarmKind] = "metric",
        limit: int | None = None,
    ) -> Paged[Any]:
        """Alarms across every page of ``DescribeAlarms`` (100 a page), fetched lazily.

        Reading is lenient: an alarm awskit does not model never breaks the listing. It
        is read as the nearest kind (``raw`` keeps AWS's item) or, with ``types="all"``
        or ``"unknown"``, as an [UnknownAlarm][awskit.cloudwatch.UnknownAlarm].

        Args:
            state: only alarms in this [AlarmState][awskit.cloudwatch.AlarmState].
            prefix: only alarms whose name starts so (not with ``names``).
            names: only these alarms (any number: asked 100 at a time).
            action_prefix: only alarms with an action ARN starting so.
            types: the kinds wanted: ``"metric"`` (the default: single-metric
                [Alarm][awskit.cloudwatch.Alarm]s), ``"math"``, ``"anomaly"``,
                ``"composite"``, ``"unknown"``, ``"all"`` or a collection of them.
                Composite alarms are asked for (``AlarmTypes``) only when wanted.
            limit: stop after that many alarms.

        Returns:
            The alarms, typed after ``types``; ``next_token`` resumes.

        Raises:
            InvalidInput: an argument is wrong (nothing is sent).

        Example:
            ```python
            for alarm in cw.alarms(state=AlarmState.INSUFFICIENT_DATA):
                print(alarm.name, alarm.state_updated_at)
            ```
        """
        pages = alarms_request(state, prefix, names, action_prefix, types)
        return Paged(self._pages(pages), limit=limit)

    @overload
    def alarm(self, name: str, *, types: Literal["metric"] = "metric") -> Alarm | None: ...
    @overload
    def alarm(self, name: str, *, types: Literal["math"]) -> MetricMathAlarm | None: ...
    @overload
    def alarm(self, name: str, *, types: Literal["anomaly"]) -> AnomalyAlarm | None: ...
    @overload
    def alarm(self, name: str, *, types: Literal["composite"]) -> CompositeAlarm | None: ...
    @overload
    def alarm(self, name: str, *, types: Literal["unknown"]) -> UnknownAlarm | None: ...
    @overload
    def alarm(
        self, name: str, *, types: Literal["all"] | Collection[AlarmKind]
    ) -> AnyAlarm | None: ...
    def alarm(self, name: str, *, types: AlarmKind | Collection[AlarmKind] = "metric") -> Any:
        """The alarm called ``name`` (state, reason and timestamps filled), or ``None``.

        Args:
            name: the alarm's name.
            types: the kinds accepted, as for [alarms][awskit.cloudwatch.CloudWatch.alarms];
                ``"all"`` returns any alarm, the
                [UnknownAlarm][awskit.cloudwatch.UnknownAlarm] fallback included.

        Returns:
            The alarm, or None when there is no alarm of that name.

        Raises:
            AwskitError: with code ``WrongAlarmType`` when the alarm is of a kind not in
                ``types`` (with the default ``"metric"``, a metric-math, anomaly, composite
                or unknown alarm); the message names its kind.

        Example:
            ```python
            alarm = cw.alarm("Web_Server_CPU_Utilization")
            if alarm is not None:
                print(alarm.state, alarm.state_reason, alarm.state_updated_at)
            any_kind = cw.alarm("network-in-anomaly", types="all")
            ```
        """
        pages = one_alarm(name, types)
        return pick_alarm(name, self._pages(pages)(None).items, types)

    def delete_alarms(self, names: Iterable[str | AnyAlarm]) -> list[str]:
        """Delete any number of alarms; returns the names that existed and were deleted.

        ``DeleteAlarms`` takes 100 names and at most one composite alarm per call, and
        fails as a whole when one name does not exist: awskit first asks which of the
        names exist (100 a request) and which are composite, then deletes those in as
        few calls as the limits allow. Names that did not exist are left out of the
        result. If a call fails, [PartialFailure][awskit.PartialFailure] lists the names not
        deleted.

        Example:
            ```python
            cw.delete_alarms(["Web_Server_CPU_Utilization"])
            ```
        """
        wanted = _names("names", names)
        existing = existing_alarms(Paged(self._describe(frozenset(_KINDS), wanted)))
        order = [name for name in wanted if name in existing]
        plan = plan_deletions(order, {name for name, comp in existing.items() if comp})
        deleted: list[str] = []
        for index, chunk in enumerate(plan):
            try:
                self._calls.delete_alarms(AlarmNames=chunk)
            except AwskitError as exc:
                failure = deletions_failed(plan, index, deleted, exc)
                if failure is exc:
                    raise
                raise failure from exc
            deleted.extend(chunk)
        return deleted

    @translates_errors
    def set_alarm_state(
        self,
        name: str,
        state: AlarmState | str,
        reason: str = "Set by awskit",
        *,
        reason_data: Mapping[str, Any] | str | None = None,
    ) -> None:
        """Set an alarm's state until its next evaluation (``SetAlarmState``), for testing
        actions. ``reason`` is at most 1023 characters, ``reason_data`` JSON of at most
        4000. An alarm that does not exist is [NotFound][awskit.NotFound].

        Example:
            ```python
            cw.set_alarm_state("cpu-high", AlarmState.ALARM, reason="testing the pager")
            ```
        """
        self._calls.set_alarm_state(**set_state_request(name, state, reason, reason_data))

    def _actions(self, names: Iterable[str | AnyAlarm], enable: bool) -> None:
        batches = action_batches(names)
        call = self._calls.enable_alarm_actions if enable else self._calls.disable_alarm_actions
        with aws_errors():
            for batch in batches:
                call(AlarmNames=batch)

    def enable_actions(self, names: Iterable[str | AnyAlarm]) -> None:
        """Turn the actions of these alarms on (``EnableAlarmActions``, 100 names a call)."""
        self._actions(names, True)

    def disable_actions(self, names: Iterable[str | AnyAlarm]) -> None:
        """Turn the actions of these alarms off (``DisableAlarmActions``, 100 names a call)."""
        self._actions(names, False)

    def alarm_history(
        self,
        name: str | None = None,
        *,
        type: str | None = None,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        newest_first: bool = True,
        limit: int | None = None,
    ) -> Paged[AlarmHistoryItem]:
        """History of one alarm (or of every alarm, without ``name``), every page.

        ``type`` is ``ConfigurationUpdate``, ``StateUpdate`` or ``Action`` (or a
        contributor variant). AWS keeps 30 days of history. Both metric and composite
        alarms are included (AWS's default is metric alarms only).

        Example:
            ```python
            for item in cw.alarm_history("cpu-high", type="StateUpdate"):
                print(item.timestamp, item.summary)
            ```
        """
        request = history_request(name, type, start, end, newest_first)
        fetch = token_pages(self._calls.describe_alarm_history, "AlarmHistoryItems", **request)
        return Paged(_translated(fetch), limit=limit).map(AlarmHistoryItem.from_aws)

    def wait_for_state(
        self,
        name: str,
        state: AlarmState | str,
        timeout: float = 300.0,
        *,
        interval: float = 5.0,
    ) -> AnyAlarm:
        """Poll until the alarm is in ``state``; returns it as then described.

        Raises [AlarmStateTimeout][awskit.cloudwatch.AlarmStateTimeout] (a ``TimeoutError``) after
        ``timeout`` seconds, [NotFound][awskit.NotFound] if the alarm does not exist. Sleeps go
        through the session's retry policy, so tests can make them instant.

        Example:
            ```python
            cw.set_alarm_state("cpu-high", AlarmState.ALARM, reason="test")
            cw.wait_for_state("cpu-high", AlarmState.ALARM, timeout=60)
            ```
        """
        wait = StateWait(name, state, timeout, interval)
        describe = self._pages(wait.pages)
        while (alarm := wait.seen(describe(None).items)) is None:
            self._session.retry.sleep(wait.pause)
        return alarm

    # Metrics --------------------------------------------------------------------------

    def put_metrics(self, namespace: str, data: Iterable[MetricDatum]) -> None:
        """Send any number of data points, in as few ``PutMetricData`` requests as fit.

        Limits per request: 1000 metrics and 1 MB; per datum: 150 values and 30
        dimensions. Repeated values of one metric (same name, dimensions, unit, timestamp)
        are folded into ``Values``/``Counts``. Rejected before any request: NaN or
        infinity, magnitudes beyond 2**360, timestamps older than two weeks or more than
        two hours ahead, namespaces starting with ``AWS/``. Throttling that outlives
        botocore's retries is retried with backoff; if a later request still fails,
        [PartialFailure][awskit.PartialFailure] lists exactly the entries not sent.

        Example:
            ```python
            cw.put_metrics("MyApp", [MetricDatum(name="Latency", value=12.5,
                                                 unit="Milliseconds", dimensions={"Route": "/"})])
            ```
        """
        batches = metric_batches(namespace, data)
        for index, batch in enumerate(batches):
            try:
                self._calls.put_metric_data(Namespace=namespace, MetricData=cast(Any, batch))
            except AwskitError as exc:
                failure = metrics_failed(batches, index, exc)
                if failure is exc:
                    raise
                raise failure from exc

    def metric_data(
        self,
        queries: Sequence[MetricQuery],
        start: dt.datetime,
        end: dt.datetime,
        *,
        newest_first: bool = False,
        max_datapoints: int | None = None,
    ) -> dict[str, MetricSeries]:
        """Values of up to 500 queries between ``start`` and ``end``, across every page of
        ``GetMetricData``, as one [MetricSeries][awskit.cloudwatch.MetricSeries] per returned query
        id.

        Example:
            ```python
            series = cw.metric_data([MetricQuery(id="cpu", namespace="AWS/EC2",
                                                 metric_name="CPUUtilization",
                                                 stat="Average", period=300)],
                                    start=now - timedelta(hours=3), end=now)
            series["cpu"].points
            ```
        """
        request = metric_data_request(queries, start, end, newest_first, max_datapoints)
        series: dict[str, MetricSeries] = {}
        fetch = token_pages(self._calls.get_metric_data, "MetricDataResults", **request)
        for page in Paged(_translated(fetch)).pages():
            add_metric_results(series, page.items)
        return series

    def metrics(
        self,
        namespace: str | None = None,
        name: str | None = None,
        dimensions: Mapping[str, str | None] | None = None,
        *,
        recently_active: bool = False,
        limit: int | None = None,
    ) -> Paged[Metric]:
        """Metrics across every page of ``ListMetrics`` (500 a page), fetched lazily.

        ``dimensions`` filters by up to 10 dimensions; a ``None`` value matches any value
        of that dimension. ``recently_active`` keeps metrics with data in the past 3 hours.

        Example:
            ```python
            for metric in cw.metrics(namespace="AWS/EC2", name="CPUUtilization"):
                print(metric.dimensions)
            ```
        """
        request = metrics_request(namespace, name, dimensions, recently_active)
        fetch = token_pages(self._calls.list_metrics, "Metrics", **request)
        return Paged(_translated(fetch), limit=limit).map(Metric.from_aws)
