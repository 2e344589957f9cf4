"""Amazon CloudWatch, typed: alarms as validated models, every page, metric batching.

``aws.cloudwatch`` is a [CloudWatch][awskit.cloudwatch.CloudWatch] facade. Writing is
strict: alarms and data points are pydantic models checked before any request
(`awskit.cloudwatch.models`): a misspelt comparison, statistic, unit or state, a period
CloudWatch refuses, a control character in a metric or dimension name, ``True`` where a
number belongs, too many dimensions or actions are [InvalidInput][awskit.InvalidInput]
naming the field. Reading is lenient: an alarm awskit does not model (a new enum value,
an unusual shape) is still listed, gettable and deletable, as the nearest model with its
``raw`` item or as an [UnknownAlarm][awskit.cloudwatch.UnknownAlarm]. ``put_metrics``
packs any number of data points under ``PutMetricData``'s limits
(`awskit.cloudwatch.metrics`).

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

from .facade import AlarmKind, AlarmStateTimeout, CloudWatch, alarm_kind, plan_deletions
from .metrics import Metric, MetricDatum, MetricSeries, StatisticSet, fold, plan_batches
from .models import (
    Alarm,
    AlarmHistoryItem,
    AlarmState,
    AnomalyAlarm,
    AnyAlarm,
    Comparison,
    CompositeAlarm,
    MetricMathAlarm,
    MetricQuery,
    PutAlarm,
    Statistic,
    TreatMissingData,
    Unit,
    UnknownAlarm,
    UnreadableResponse,
)

__all__ = [
    "Alarm",
    "AlarmHistoryItem",
    "AlarmKind",
    "AlarmState",
    "AlarmStateTimeout",
    "AnomalyAlarm",
    "AnyAlarm",
    "CloudWatch",
    "Comparison",
    "CompositeAlarm",
    "Metric",
    "MetricDatum",
    "MetricMathAlarm",
    "MetricQuery",
    "MetricSeries",
    "PutAlarm",
    "Statistic",
    "StatisticSet",
    "TreatMissingData",
    "Unit",
    "UnknownAlarm",
    "UnreadableResponse",
    "alarm_kind",
    "fold",
    "plan_batches",
    "plan_deletions",
]


# Last, once every exported name is bound: tracebacks and reprs show the public path
# (kept in one place at the end, so a merge never separates the import from the call).
from .._exports import publish

publish(globals())
