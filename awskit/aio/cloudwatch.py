"""Amazon CloudWatch on asyncio: the [awskit.cloudwatch][awskit.cloudwatch] facade, awaited.

Every decision is the blocking facade's (``awskit.cloudwatch.facade``): the checks of alarms
and data points, the ``PutMetricData`` batches (``metric_batches``), what a ``DescribeAlarms``
page asks and means (``AlarmPages``), the ``DeleteAlarms`` plan and what a failure leaves
undone. Only the requests are awaited.

```python
async with awskit.aio.connect() as aws:
    await aws.cloudwatch.put_metrics("MyApp", [MetricDatum(name="Latency", value=12.5)])
    alarms = [a async for a in aws.cloudwatch.alarms(state=AlarmState.ALARM)]
```
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, cast, overload

from .._errors import AwskitError, translates_errors
from .._paging import AsyncPaged, Page
from ..cloudwatch.facade import (
    _KINDS,
    AlarmKind,
    AlarmPages,
    _names,
    alarms_request,
    checked_alarm,
    deletions_failed,
    existing_alarms,
    metric_batches,
    metrics_failed,
    one_alarm,
    pick_alarm,
    plan_deletions,
    put_alarm_call,
)
from ..cloudwatch.metrics import MetricDatum
from ..cloudwatch.models import (
    Alarm,
    AlarmState,
    AnomalyAlarm,
    AnyAlarm,
    CompositeAlarm,
    MetricMathAlarm,
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
    async def put_alarm(self, alarm: PutAlarm) -> None:
        """Create or update an alarm (``PutMetricAlarm`` or ``PutCompositeAlarm``), as
        [CloudWatch.put_alarm][awskit.cloudwatch.CloudWatch.put_alarm]."""
        method, request = put_alarm_call(checked_alarm(alarm, "alarm"))
        await getattr(await self._calls(), method)(**request)

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
