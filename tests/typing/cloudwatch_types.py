"""Type-checked only (mypy --strict, pyright strict): what awskit.cloudwatch hands back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from typing_extensions import assert_type

import awskit
from awskit._paging import Paged
from awskit.cloudwatch import (
    Alarm,
    AlarmHistoryItem,
    AlarmState,
    AnomalyAlarm,
    AnyAlarm,
    CloudWatch,
    Comparison,
    CompositeAlarm,
    Metric,
    MetricDatum,
    MetricMathAlarm,
    MetricQuery,
    MetricSeries,
    Statistic,
    Unit,
    UnknownAlarm,
)


def typed_alarms(aws: awskit.Session) -> None:
    cw = aws.cloudwatch
    assert_type(cw, CloudWatch)
    cw.put_alarm(
        Alarm(
            name="Web_Server_CPU_Utilization",
            comparison=Comparison.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            metric_name="CPUUtilization",
            namespace="AWS/EC2",
            period=60,
            statistic=Statistic.AVERAGE,
            threshold=70.0,
            actions_enabled=False,
            description="Alarm when server CPU exceeds 70%",
            dimensions={"InstanceId": "INSTANCE_ID"},
            unit=Unit.SECONDS,
        )
    )
    alarm = cw.alarm("Web_Server_CPU_Utilization")
    assert_type(alarm, Alarm | None)
    if alarm is not None:
        assert_type(alarm.state, AlarmState | None)
        assert_type(alarm.state_reason, str | None)
        assert_type(alarm.state_updated_at, dt.datetime | None)
        assert_type(alarm.threshold, float)
        assert_type(alarm.dimensions, dict[str, str])
        assert_type(alarm.comparison, Comparison)
        assert_type(alarm.unit, Unit | None)
    assert_type(cw.alarm("x", types="composite"), CompositeAlarm | None)
    assert_type(
        cw.alarm("x", types="all"),
        Alarm | MetricMathAlarm | AnomalyAlarm | CompositeAlarm | UnknownAlarm | None,
    )
    assert_type(cw.alarm("x", types="anomaly"), AnomalyAlarm | None)

    listed = cw.alarms(state=AlarmState.INSUFFICIENT_DATA, prefix=None, names=None)
    assert_type(listed, Paged[Alarm])
    for one in listed:
        assert_type(one, Alarm)
        assert_type(one.metric_name, str)
    it: Iterator[Alarm] = cw.alarms()
    assert_type(cw.alarms(types="math"), Paged[MetricMathAlarm])
    assert_type(cw.alarms(types="composite"), Paged[CompositeAlarm])
    for anything in cw.alarms(types="all"):
        assert_type(
            anything, Alarm | MetricMathAlarm | AnomalyAlarm | CompositeAlarm | UnknownAlarm
        )
    assert_type(cw.alarms(types="anomaly"), Paged[AnomalyAlarm])
    assert_type(cw.alarms(types="unknown"), Paged[UnknownAlarm])
    for mixed in cw.alarms(types=["metric", "composite"]):
        assert_type(mixed, AnyAlarm)
    next(it)

    assert_type(cw.delete_alarms(["Web_Server_CPU_Utilization"]), list[str])
    cw.set_alarm_state("x", AlarmState.ALARM, reason="test")
    assert_type(cw.wait_for_state("x", AlarmState.OK, 60), AnyAlarm)
    for item in cw.alarm_history("x"):
        assert_type(item, AlarmHistoryItem)
        assert_type(item.timestamp, dt.datetime | None)


def api_md_example(aws: awskit.Session) -> None:
    # The contract's example verbatim: enum fields take their strings.
    cw = aws.cloudwatch
    cw.put_alarm(
        Alarm(
            name="Web_Server_CPU_Utilization",
            comparison="GreaterThanThreshold",
            evaluation_periods=1,
            metric_name="CPUUtilization",
            namespace="AWS/EC2",
            period=60,
            statistic="Average",
            threshold=70.0,
            actions_enabled=False,
            description="Alarm when server CPU exceeds 70%",
            dimensions={"InstanceId": "INSTANCE_ID"},
            unit="Seconds",
        )
    )
    cw.set_alarm_state("Web_Server_CPU_Utilization", AlarmState.ALARM, reason="test")
    cw.put_metrics(
        "MyApp",
        [MetricDatum(name="Latency", value=12.5, unit="Milliseconds", dimensions={"Route": "/"})],
    )
    math_alarm = MetricMathAlarm(
        name="rate",
        comparison="GreaterThanThreshold",
        evaluation_periods=1,
        threshold=1.0,
        metrics=[MetricQuery(id="e", expression="1")],
    )
    assert_type(math_alarm.metrics, list[MetricQuery])
    assert_type(CompositeAlarm(name="c", rule="TRUE").rule, str)


def typed_metrics(aws: awskit.Session) -> None:
    cw = aws.cloudwatch
    cw.put_metrics(
        "MyApp",
        [
            MetricDatum(
                name="Latency", value=12.5, unit=Unit.MILLISECONDS, dimensions={"Route": "/"}
            )
        ],
    )
    now = dt.datetime.now(dt.timezone.utc)
    series = cw.metric_data(
        [MetricQuery(id="m", namespace="MyApp", metric_name="Latency", stat="p99", period=60)],
        now - dt.timedelta(hours=1),
        now,
    )
    assert_type(series, dict[str, MetricSeries])
    assert_type(series["m"].values, list[float])
    assert_type(series["m"].points, list[tuple[dt.datetime, float]])
    for metric in cw.metrics(namespace="MyApp"):
        assert_type(metric, Metric)
        assert_type(metric.dimensions, dict[str, str])
