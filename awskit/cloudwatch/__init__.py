"""Amazon CloudWatch, typed: alarms as validated models, every page, metric batching.

``aws.cloudwatch`` is a [CloudWatch][awskit.cloudwatch.CloudWatch] facade. Alarms are pydantic
models checked before any request (`awskit.cloudwatch.models`): a misspelt comparison, statistic,
unit or state, a period CloudWatch refuses, too many dimensions or actions are
[InvalidInput][awskit.InvalidInput] naming the field. ``put_metrics`` packs any number of data
points under ``PutMetricData``'s limits (`awskit.cloudwatch.metrics`).

Example:
    ```python
    from awskit.cloudwatch import Alarm, AlarmState, MetricDatum

    cw = aws.cloudwatch
    cw.put_alarm(Alarm(name="Web_Server_CPU_Utilization", comparison="GreaterThanThreshold",
                       evaluation_periods=1, metric_name="CPUUtilization",
                       namespace="AWS/EC2", period=60, statistic="Average", threshold=70.0))
    for alarm in cw.alarms(state=AlarmState.INSUFFICIENT_DATA):
        print(alarm.name)
    cw.put_metrics("MyApp", [MetricDatum(name="Latency", value=12.5, unit="Milliseconds")])
    ```
"""

from __future__ import annotations

from .facade import AlarmKind, AlarmStateTimeout, CloudWatch, plan_deletions
from .metrics import Metric, MetricDatum, MetricSeries, StatisticSet, fold, plan_batches
from .models import (
    Alarm,
    AlarmHistoryItem,
    AlarmState,
    AnyAlarm,
    Comparison,
    CompositeAlarm,
    MetricMathAlarm,
    MetricQuery,
    Statistic,
    TreatMissingData,
    Unit,
)

__all__ = [
    "Alarm",
    "AlarmHistoryItem",
    "AlarmKind",
    "AlarmState",
    "AlarmStateTimeout",
    "AnyAlarm",
    "CloudWatch",
    "Comparison",
    "CompositeAlarm",
    "Metric",
    "MetricDatum",
    "MetricMathAlarm",
    "MetricQuery",
    "MetricSeries",
    "Statistic",
    "StatisticSet",
    "TreatMissingData",
    "Unit",
    "fold",
    "plan_batches",
    "plan_deletions",
]


# Last, once every exported name is bound: tracebacks and reprs show the public path
# (kept in one place at the end, so a merge never separates the import from the call).
from .._exports import publish

publish(globals())
