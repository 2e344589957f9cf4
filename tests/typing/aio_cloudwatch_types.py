"""Type-checked only (mypy --strict, pyright strict): awskit.aio CloudWatch beyond
put/list/delete types as the blocking facade does, awaited.

Checked in the aio environment (``make test`` in ``.venv-aio``), where aiobotocore and its
stubs are installed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from typing_extensions import assert_type

import awskit.aio
from awskit._paging import AsyncPaged
from awskit.cloudwatch import (
    Alarm,
    AlarmHistoryItem,
    AlarmState,
    AlarmStateTimeout,
    AnomalyAlarm,
    AnyAlarm,
    CompositeAlarm,
    Metric,
    MetricMathAlarm,
    MetricQuery,
    MetricSeries,
    UnknownAlarm,
)

ALARM = Alarm(
    name="cpu-high",
    comparison="GreaterThanThreshold",
    evaluation_periods=1,
    metric_name="CPUUtilization",
    namespace="AWS/EC2",
    period=60,
    statistic="Average",
    threshold=70.0,
)


async def alarms(aws: awskit.aio.Session) -> None:
    cw = aws.cloudwatch
    assert_type(await cw.put_alarms([ALARM, CompositeAlarm(name="c", rule="TRUE")]), None)
    assert_type(await cw.put_alarms(a for a in [ALARM]), None)
    assert_type(await cw.set_alarm_state("cpu-high", AlarmState.ALARM, reason="test"), None)
    assert_type(await cw.set_alarm_state("cpu-high", "OK", reason_data={"why": 1}), None)
    assert_type(await cw.enable_actions(["cpu-high", ALARM]), None)
    assert_type(await cw.disable_actions(["cpu-high"]), None)

    waited = await cw.wait_for_state("cpu-high", AlarmState.OK, 60, interval=1.5)
    assert_type(waited, Alarm | MetricMathAlarm | AnomalyAlarm | CompositeAlarm | UnknownAlarm)
    assert_type(waited, AnyAlarm)
    assert_type(waited.state, AlarmState | None)
    try:
        await cw.wait_for_state("cpu-high", "ALARM")
    except AlarmStateTimeout as exc:
        assert_type(exc.alarm, AnyAlarm)
        timeout: TimeoutError = exc
        del timeout


async def history(aws: awskit.aio.Session) -> None:
    cw = aws.cloudwatch
    listing = cw.alarm_history("cpu-high", type="StateUpdate", limit=10)
    assert_type(listing, AsyncPaged[AlarmHistoryItem])
    async for item in listing:
        assert_type(item, AlarmHistoryItem)
        assert_type(item.timestamp, dt.datetime | None)
        assert_type(item.summary, str)
    assert_type(listing.next_token, Any)
    everything = cw.alarm_history(
        start=dt.datetime(2026, 1, 1), end=dt.datetime(2026, 1, 2), newest_first=False
    )
    assert_type([item async for item in everything], list[AlarmHistoryItem])


async def metrics(aws: awskit.aio.Session) -> None:
    cw = aws.cloudwatch
    now = dt.datetime.now(dt.timezone.utc)
    series = await cw.metric_data(
        [MetricQuery(id="m", namespace="MyApp", metric_name="Latency", stat="p99", period=60)],
        now - dt.timedelta(hours=1),
        now,
        newest_first=True,
        max_datapoints=100,
    )
    assert_type(series, dict[str, MetricSeries])
    assert_type(series["m"].values, list[float])
    assert_type(series["m"].points, list[tuple[dt.datetime, float]])

    listing = cw.metrics(namespace="MyApp", dimensions={"Route": None}, recently_active=True)
    assert_type(listing, AsyncPaged[Metric])
    async for metric in listing:
        assert_type(metric, Metric)
        assert_type(metric.dimensions, dict[str, str])
    assert_type([m async for m in cw.metrics(limit=5)], list[Metric])
