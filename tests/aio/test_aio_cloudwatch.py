"""awskit.aio CloudWatch against moto (and the fault proxy): the blocking facade's contract."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

import awskit
import awskit.aio
from awskit._paging import Cursor
from awskit.cloudwatch import (
    Alarm,
    MetricDatum,
    MetricMathAlarm,
    MetricQuery,
    fold,
    plan_batches,
)
from tests.aio.conftest import AsyncSleeps, Connect, aio_session, require_aio
from tests.conftest import CPU_ALARM
from tests.faults import FaultProxy

require_aio()

NOW = dt.datetime.now(dt.timezone.utc)


def bulk_alarm(i: int) -> Alarm:
    return Alarm(
        **{**CPU_ALARM, "name": f"bulk-{i:03d}"},
        alarm_actions=[f"arn:aws:sns:us-east-1:123456789012:team-{i % 3}"],
    )


class Requests:
    """Every CloudWatch request an aiobotocore client sends, with its parameters."""

    def __init__(self, client: Any) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        client.meta.events.register("provide-client-params.cloudwatch", self._record)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append((model.name, dict(params)))

    def params(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == operation]


def test_alarms_put_listed_every_page_got_and_deleted(aio_connect: Connect) -> None:
    async def main() -> None:
        async with aio_connect() as aws:
            cw = aws.cloudwatch
            for i in range(250):
                await cw.put_alarm(bulk_alarm(i))
            names = [a.name async for a in cw.alarms()]
            assert sorted(names) == [f"bulk-{i:03d}" for i in range(250)]

            requests = Requests(await cw.client())
            wanted = [f"bulk-{i:03d}" for i in range(250)]
            assert sorted([a.name async for a in cw.alarms(names=wanted)]) == wanted
            assert [len(p["AlarmNames"]) for p in requests.params("DescribeAlarms")] == [
                100,
                100,
                50,
            ]
            prefixed = sorted([a.name async for a in cw.alarms(prefix="bulk-24")])
            assert prefixed == [f"bulk-{i}" for i in range(240, 250)]
            team1 = cw.alarms(action_prefix="arn:aws:sns:us-east-1:123456789012:team-1")
            assert {a.name async for a in team1} == {
                f"bulk-{i:03d}" for i in range(250) if i % 3 == 1
            }
            first = cw.alarms(limit=7)
            assert [a.name async for a in first] == names[:7]
            assert first.next_token == Cursor(None, 7)  # inside the first page, as blocking

            one = await cw.alarm("bulk-007")
            assert one is not None and one.threshold == 70.0 and one.state is not None
            assert await cw.alarm("never-existed") is None

            requests.calls.clear()
            doomed = [f"bulk-{i:03d}" for i in range(150)]
            deleted = await cw.delete_alarms([*doomed, "never-existed"])
            assert sorted(deleted) == doomed
            assert [len(p["AlarmNames"]) for p in requests.params("DeleteAlarms")] == [100, 50]
            left = sorted([a.name async for a in cw.alarms()])
            assert left == [f"bulk-{i:03d}" for i in range(150, 250)]
            assert await cw.delete_alarms([]) == []

    asyncio.run(main())


def test_kinds_are_read_and_typed_as_in_the_blocking_api(aio_connect: Connect) -> None:
    async def main() -> None:
        async with aio_connect() as aws:
            cw = aws.cloudwatch
            await cw.put_alarm(bulk_alarm(1))
            math = MetricMathAlarm(
                name="math",
                comparison="GreaterThanThreshold",
                evaluation_periods=1,
                threshold=1.0,
                metrics=[
                    MetricQuery(
                        id="m1",
                        namespace="AWS/EC2",
                        metric_name="CPUUtilization",
                        stat="Average",
                        period=60,
                        return_data=False,
                    ),
                    MetricQuery(id="e1", expression="m1 * 2"),
                ],
            )
            await cw.put_alarm(math)
            assert [a.name async for a in cw.alarms(types="math")] == ["math"]
            assert {a.name async for a in cw.alarms(types="all")} == {"bulk-001", "math"}
            with pytest.raises(awskit.AwskitError) as wrong:
                await cw.alarm("math")
            assert wrong.value.code == "WrongAlarmType"
            assert isinstance(await cw.alarm("math", types="math"), MetricMathAlarm)

    asyncio.run(main())


def test_wrong_input_is_refused_before_any_request(aio_connect: Connect) -> None:
    async def main() -> None:
        async with aio_connect() as aws:
            cw = aws.cloudwatch
            requests = Requests(await cw.client())
            with pytest.raises(awskit.InvalidInput, match="prefix"):
                cw.alarms(prefix="a", names=["b"])
            with pytest.raises(awskit.InvalidInput, match="state"):
                cw.alarms(state="SOMETIMES")
            with pytest.raises(awskit.InvalidInput, match="types"):
                await cw.alarm("x", types="nope")  # type: ignore[call-overload]
            with pytest.raises(awskit.InvalidInput, match="namespace"):
                await cw.put_metrics("AWS/EC2", [MetricDatum(name="X", value=1.0)])
            with pytest.raises(awskit.InvalidInput, match="data"):
                await cw.put_metrics("MyApp", MetricDatum(name="X", value=1.0))  # type: ignore[arg-type]
            old = NOW - dt.timedelta(days=15)
            with pytest.raises(awskit.InvalidInput):
                await cw.put_metrics("MyApp", [MetricDatum(name="X", value=1.0, timestamp=old)])
            alarm = bulk_alarm(1)
            alarm.period = 7  # assigned after construction: checked again on put
            with pytest.raises(awskit.InvalidInput, match="period"):
                await cw.put_alarm(alarm)
            with pytest.raises(awskit.InvalidInput, match="names"):
                await cw.delete_alarms("one-string")
            assert requests.calls == []

    asyncio.run(main())


def test_put_2500_metrics_in_three_requests(aio_connect: Connect) -> None:
    when = NOW - dt.timedelta(minutes=5)
    data = [
        MetricDatum(
            name="Latency", value=float(i), dimensions={"Host": f"h{i:04d}"}, timestamp=when
        )
        for i in range(2500)
    ]

    async def main() -> None:
        async with aio_connect() as aws:
            requests = Requests(await aws.cloudwatch.client())
            await aws.cloudwatch.put_metrics("MyApp", data)
            sizes = [len(p["MetricData"]) for p in requests.params("PutMetricData")]
            assert sizes == [1000, 1000, 500]
            client = await aws.cloudwatch.client()
            stats = await client.get_metric_statistics(
                Namespace="MyApp",
                MetricName="Latency",
                StartTime=NOW - dt.timedelta(minutes=30),
                EndTime=NOW,
                Period=3600,
                Statistics=["SampleCount", "Sum"],
            )
            points = stats["Datapoints"]
            assert sum(p["SampleCount"] for p in points) == 2500
            assert sum(p["Sum"] for p in points) == sum(range(2500))

    asyncio.run(main())


def test_put_metrics_partial_failure_lists_exactly_what_was_not_sent(
    fault_proxy: FaultProxy, async_sleeps: AsyncSleeps
) -> None:
    from aiobotocore.config import AioConfig

    data = [MetricDatum(name="X", value=1.0, dimensions={"N": str(i)}) for i in range(2500)]
    sent = 0

    def second_request_fails(**_: Any) -> None:
        nonlocal sent
        sent += 1
        if sent == 2:
            # From the second request on, every attempt of botocore and awskit is a 500.
            fault_proxy.add("5xx", service="cloudwatch", operation="PutMetricData")

    async def main() -> awskit.PartialFailure:
        async with aio_session(
            fault_proxy.url,
            async_sleeps,
            retry=awskit.RetryPolicy(max_attempts=2),
            config=AioConfig(retries={"mode": "standard", "total_max_attempts": 1}),
        ) as aws:
            client = await aws.cloudwatch.client()
            client.meta.events.register(
                "before-call.cloudwatch.PutMetricData", second_request_fails
            )
            with pytest.raises(awskit.PartialFailure) as info:
                await aws.cloudwatch.put_metrics("MyApp", data)
            return info.value

    failure = asyncio.run(main())
    assert failure.failed == [e for batch in plan_batches(fold(data))[1:] for e in batch]
    assert [e["Dimensions"][0]["Value"] for e in failure.failed] == [
        str(i) for i in range(1000, 2500)
    ]
    assert failure.operation == "PutMetricData"
    assert isinstance(failure.last_error, awskit.AwskitError)
    assert "1 of 3 requests succeeded" in str(failure)
    # The one rule tried the second request twice, and sent nothing after it.
    assert fault_proxy.injected["5xx"] == 2
    assert fault_proxy.requests == [("cloudwatch", "PutMetricData")] * 3


def test_a_dropped_connection_is_a_transport_error(
    fault_proxy: FaultProxy, async_sleeps: AsyncSleeps
) -> None:
    from aiobotocore.config import AioConfig

    async def main() -> None:
        async with aio_session(
            fault_proxy.url,
            async_sleeps,
            retry=awskit.RetryPolicy(max_attempts=1),
            config=AioConfig(retries={"mode": "standard", "total_max_attempts": 1}),
        ) as aws:
            cw = aws.cloudwatch
            fault_proxy.add("drop", service="cloudwatch")
            with pytest.raises(awskit.TransportError):
                [a async for a in cw.alarms()]
            with pytest.raises(awskit.TransportError):
                await cw.alarm("x")
            with pytest.raises(awskit.TransportError):
                await cw.put_alarm(bulk_alarm(1))
            with pytest.raises(awskit.TransportError):
                await cw.delete_alarms(["x"])
            with pytest.raises(awskit.TransportError):
                await cw.put_metrics("MyApp", [MetricDatum(name="X", value=1.0)])

    asyncio.run(main())
    assert fault_proxy.injected["drop"] == 5
