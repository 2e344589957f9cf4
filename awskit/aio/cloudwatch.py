"""Amazon CloudWatch on asyncio: the [awskit.cloudwatch][awskit.cloudwatch] facade, awaited.

Every decision is the blocking facade's (``awskit.cloudwatch.facade``): the checks of alarms
and data points, the ``PutMetricData`` batches (``metric_batches``), what a ``DescribeAlarms``
page asks and means (``AlarmPages``), the ``DeleteAlarms`` plan and what a failure leaves
undone, the requests of ``SetAlarmState``, ``DescribeAlarmHistory``, ``GetMetricData`` and
``ListMetrics``, how ``GetMetricData`` pages fold into series, and when ``wait_for_state``
asks again or gives up (``StateWait``). Only the requests and the sleeps are awaited.

```python
async with awskit.aio.connect() as aws:
    await aws.cloudwatch.put_metrics("MyApp", [MetricDatum(name="Latency", value=12.5)])
    alarms = [a async for a in aws.cloudwatch.alarms(state=AlarmState.ALARM)]
```
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast, overload

from .._errors import AwskitError, translates_errors
from .._paging import AsyncPaged, Page, token_pages_async
from ..cloudwatch.facade import (
    _KINDS,
    AlarmKind,
    AlarmPages,
    StateWait,
    _names,
    action_batches,
    add_metric_results,
    alarms_failed,
    alarms_request,
    checked_alarm,
    checked_alarms,
    deletions_failed,
    existing_alarms,
    history_request,
    metric_batches,
    metric_data_request,
    metrics_failed,
    metrics_request,
    one_alarm,
    pick_alarm,
    plan_deletions,
    put_alarm_call,
    set_state_request,
)
from ..cloudwatch.metrics import Metric, MetricDatum, MetricSeries
from ..cloudwatch.models import (
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
)

if TYPE_CHECKING:
    from types_aiobotocore_cloudwatch import CloudWatchClient

    from ._session import Session

__all__ = ["CloudWatch"]


class CloudWatch:
    """Amazon CloudWatch on asyncio: ``aws.cloudwatch`` of an
    [awskit.aio.Session][awskit.aio.Session], as
    [awskit.cloudwatch.CloudWatch][awskit.cloudwatch.CloudWatch].
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    async def client(self) -> CloudWatchClient:
        """The shared, typed aiobotocore client (escape hatch)."""
        return await self._session.client("cloudwatch")

    async def _calls(self) -> CloudWatchClient:
        return await self._session.calls("cloudwatch")

    @translates_errors
    async def put_metrics(self, namespace: str, data: Iterable[MetricDatum]) -> None:
        """Send any number of data points in as few ``PutMetricData`` requests as fit.

        As [CloudWatch.put_metrics][awskit.cloudwatch.CloudWatch.put_metrics]: the same
        checks (before any request), folding and limits, one request after another.

        Raises:
            InvalidInput: a data point or the namespace is wrong (nothing is sent).
            PartialFailure: a request after the first failed; ``failed`` lists exactly the
                entries not sent.
        """
        batches = metric_batches(namespace, data)
        calls = await self._calls()
        for index, batch in enumerate(batches):
            try:
                await calls.put_metric_data(Namespace=namespace, MetricData=cast(Any, batch))
            except AwskitError as exc:
                failure = metrics_failed(batches, index, exc)
                if failure is exc:
                    raise
                raise failure from exc

    def _token_pages(
        self,
        method: Callable[[CloudWatchClient], Callable[..., Awaitable[Any]]],
        items_key: str,
        request: Mapping[str, Any],
    ) -> Callable[[Any], Awaitable[Page[Any]]]:
        """A ``NextToken`` listing's fetch (``token_pages_async``); the client is only asked
        for when a page is."""

        @translates_errors
        async def call(**kwargs: Any) -> Mapping[str, Any]:
            return cast("Mapping[str, Any]", await method(await self._calls())(**kwargs))

        return token_pages_async(call, items_key, **request)

    def _fetch(self, pages: AlarmPages) -> Any:
        @translates_errors
        async def fetch(token: Any) -> Page[AnyAlarm]:
            request = pages.request(token)
            response = None
            if request is not None:
                response = await (await self._calls()).describe_alarms(**request)
            return pages.page(token, cast("Mapping[str, Any] | None", response))

        return fetch

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
    ) -> AsyncPaged[Alarm]: ...
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
    ) -> AsyncPaged[MetricMathAlarm]: ...
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
    ) -> AsyncPaged[AnomalyAlarm]: ...
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
    ) -> AsyncPaged[CompositeAlarm]: ...
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
    ) -> AsyncPaged[UnknownAlarm]: ...
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
    ) -> AsyncPaged[AnyAlarm]: ...
    def alarms(
        self,
        state: AlarmState | str | None = None,
        prefix: str | None = None,
        names: Iterable[str] | None = None,
        action_prefix: str | None = None,
        *,
        types: AlarmKind | Collection[AlarmKind] = "metric",
        limit: int | None = None,
    ) -> AsyncPaged[Any]:
        """Alarms across every page of ``DescribeAlarms``, as
        [CloudWatch.alarms][awskit.cloudwatch.CloudWatch.alarms] (``async for``).

        The arguments are checked now, before any request; ``next_token`` resumes.

        ```python
        async for alarm in aws.cloudwatch.alarms(state=AlarmState.ALARM):
            print(alarm.name)
        ```
        """
        pages = alarms_request(state, prefix, names, action_prefix, types)
        return AsyncPaged(self._fetch(pages), limit=limit)

    @overload
    async def alarm(self, name: str, *, types: Literal["metric"] = "metric") -> Alarm | None: ...
    @overload
    async def alarm(self, name: str, *, types: Literal["math"]) -> MetricMathAlarm | None: ...
    @overload
    async def alarm(self, name: str, *, types: Literal["anomaly"]) -> AnomalyAlarm | None: ...
    @overload
    async def alarm(self, name: str, *, types: Literal["composite"]) -> CompositeAlarm | None: ...
    @overload
    async def alarm(self, name: str, *, types: Literal["unknown"]) -> UnknownAlarm | None: ...
    @overload
    async def alarm(
        self, name: str, *, types: Literal["all"] | Collection[AlarmKind]
    ) -> AnyAlarm | None: ...
    async def alarm(self, name: str, *, types: AlarmKind | Collection[AlarmKind] = "metric") -> Any:
        """The alarm called ``name``, or ``None``, as
        [CloudWatch.alarm][awskit.cloudwatch.CloudWatch.alarm]."""
        pages = one_alarm(name, types)
        return pick_alarm(name, (await self._fetch(pages)(None)).items, types)

    @translates_errors
    async def _put(self, alarm: PutAlarm) -> None:
        method, request = put_alarm_call(alarm)
        await getattr(await self._calls(), method)(**request)

    async def put_alarm(self, alarm: PutAlarm) -> None:
        """Create or update an alarm (``PutMetricAlarm`` or ``PutCompositeAlarm``), as
        [CloudWatch.put_alarm][awskit.cloudwatch.CloudWatch.put_alarm]."""
        await self._put(checked_alarm(alarm, "alarm"))

    async def put_alarms(self, alarms: Iterable[PutAlarm]) -> None:
        """Create or update many alarms, one request each, as
        [CloudWatch.put_alarms][awskit.cloudwatch.CloudWatch.put_alarms].

        Every alarm is validated before the first request; the requests go one after
        another, and an alarm AWS refuses does not stop the others.

        Raises:
            InvalidInput: an alarm is wrong (``alarms[i]`` names it; nothing is sent).
            PartialFailure: some alarms were not put; ``failed`` lists exactly those, in
                order, ``last_error`` the last error.
        """
        checked = checked_alarms(alarms)
        failed: list[PutAlarm] = []
        last_error: BaseException | None = None
        for alarm in checked:
            try:
                await self._put(alarm)
            except AwskitError as exc:
                failed.append(alarm)
                last_error = exc
        failure = alarms_failed(checked, failed, last_error)
        if failure is not None:
            raise failure

    async def delete_alarms(self, names: Iterable[str | AnyAlarm]) -> list[str]:
        """Delete any number of alarms; returns the names that existed and were deleted.

        As [CloudWatch.delete_alarms][awskit.cloudwatch.CloudWatch.delete_alarms]: the names
        that exist are asked first (100 a request), then deleted in as few ``DeleteAlarms``
        calls as the limits allow (100 names, one composite alarm each).

        Raises:
            PartialFailure: a call after the first failed; ``failed`` lists the names not
                deleted.
        """
        wanted = _names("names", names)
        found = AsyncPaged(self._fetch(AlarmPages(frozenset(_KINDS), wanted)))
        existing = existing_alarms([alarm async for alarm in found])
        order = [name for name in wanted if name in existing]
        plan = plan_deletions(order, {name for name, comp in existing.items() if comp})
        calls = await self._calls()
        deleted: list[str] = []
        for index, chunk in enumerate(plan):
            try:
                await calls.delete_alarms(AlarmNames=chunk)
            except AwskitError as exc:
                failure = deletions_failed(plan, index, deleted, exc)
                if failure is exc:
                    raise
                raise failure from exc
            deleted.extend(chunk)
        return deleted

    @translates_errors
    async def set_alarm_state(
        self,
        name: str,
        state: AlarmState | str,
        reason: str = "Set by awskit",
        *,
        reason_data: Mapping[str, Any] | str | None = None,
    ) -> None:
        """Set an alarm's state until its next evaluation (``SetAlarmState``), as
        [CloudWatch.set_alarm_state][awskit.cloudwatch.CloudWatch.set_alarm_state].

        Raises:
            InvalidInput: ``state`` is not a state, ``reason`` is over 1023 characters,
                ``reason_data`` is not JSON or over 4000 characters (nothing is sent).
            NotFound: there is no alarm of that name.
        """
        request = set_state_request(name, state, reason, reason_data)
        await (await self._calls()).set_alarm_state(**request)

    @translates_errors
    async def _actions(self, names: Iterable[str | AnyAlarm], enable: bool) -> None:
        batches = action_batches(names)
        calls = await self._calls()
        call = calls.enable_alarm_actions if enable else calls.disable_alarm_actions
        for batch in batches:
            await call(AlarmNames=batch)

    async def enable_actions(self, names: Iterable[str | AnyAlarm]) -> None:
        """Turn the actions of these alarms on (``EnableAlarmActions``, 100 names a call),
        as [CloudWatch.enable_actions][awskit.cloudwatch.CloudWatch.enable_actions]."""
        await self._actions(names, True)

    async def disable_actions(self, names: Iterable[str | AnyAlarm]) -> None:
        """Turn the actions of these alarms off (``DisableAlarmActions``, 100 names a call),
        as [CloudWatch.disable_actions][awskit.cloudwatch.CloudWatch.disable_actions]."""
        await self._actions(names, False)

    def alarm_history(
        self,
        name: str | None = None,
        *,
        type: str | None = None,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        newest_first: bool = True,
        limit: int | None = None,
    ) -> AsyncPaged[AlarmHistoryItem]:
        """History of one alarm (or of every alarm), every page of ``DescribeAlarmHistory``,
        as [CloudWatch.alarm_history][awskit.cloudwatch.CloudWatch.alarm_history]
        (``async for``).

        The arguments are checked now, before any request; ``next_token`` resumes.

        ```python
        async for item in aws.cloudwatch.alarm_history("cpu-high", type="StateUpdate"):
            print(item.timestamp, item.summary)
        ```
        """
        request = history_request(name, type, start, end, newest_first)
        fetch = self._token_pages(
            lambda calls: calls.describe_alarm_history, "AlarmHistoryItems", request
        )
        return AsyncPaged(fetch, limit=limit).map(AlarmHistoryItem.from_aws)

    async def wait_for_state(
        self,
        name: str,
        state: AlarmState | str,
        timeout: float = 300.0,
        *,
        interval: float = 5.0,
    ) -> AnyAlarm:
        """Poll until the alarm is in ``state``; returns it as then described, as
        [CloudWatch.wait_for_state][awskit.cloudwatch.CloudWatch.wait_for_state].

        Waits with the session's ``sleep`` (``asyncio.sleep`` unless one was given), so the
        event loop runs on between polls.

        Raises:
            InvalidInput: ``state`` is not a state, ``timeout`` is negative or ``interval``
                not positive (nothing is sent).
            AlarmStateTimeout: ``timeout`` seconds passed (``alarm`` is the alarm as last
                seen); a ``TimeoutError``.
            NotFound: there is no alarm of that name.
        """
        wait = StateWait(name, state, timeout, interval)
        describe = self._fetch(wait.pages)
        sleep = self._session.sleep or asyncio.sleep
        while (alarm := wait.seen((await describe(None)).items)) is None:
            await sleep(wait.pause)
        return alarm

    async def metric_data(
        self,
        queries: Sequence[MetricQuery],
        start: dt.datetime,
        end: dt.datetime,
        *,
        newest_first: bool = False,
        max_datapoints: int | None = None,
    ) -> dict[str, MetricSeries]:
        """Values of up to 500 queries between ``start`` and ``end``, across every page of
        ``GetMetricData``, as
        [CloudWatch.metric_data][awskit.cloudwatch.CloudWatch.metric_data].

        Returns:
            One [MetricSeries][awskit.cloudwatch.MetricSeries] per returned query id.

        Raises:
            InvalidInput: no queries or over 500, ids not unique, a query is wrong,
                ``start`` not before ``end`` (nothing is sent).
        """
        request = metric_data_request(queries, start, end, newest_first, max_datapoints)
        fetch = self._token_pages(lambda calls: calls.get_metric_data, "MetricDataResults", request)
        series: dict[str, MetricSeries] = {}
        async for page in AsyncPaged(fetch).pages():
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
    ) -> AsyncPaged[Metric]:
        """Metrics across every page of ``ListMetrics`` (500 a page), as
        [CloudWatch.metrics][awskit.cloudwatch.CloudWatch.metrics] (``async for``).

        The filters are checked now, before any request; ``next_token`` resumes.

        ```python
        async for metric in aws.cloudwatch.metrics(namespace="AWS/EC2", name="CPUUtilization"):
            print(metric.dimensions)
        ```
        """
        request = metrics_request(namespace, name, dimensions, recently_active)
        fetch = self._token_pages(lambda calls: calls.list_metrics, "Metrics", request)
        return AsyncPaged(fetch, limit=limit).map(Metric.from_aws)
