"""Alarm models: metric alarms, metric-math alarms and composite alarms, checked locally.

Every model validates on construction, so a wrong field is [InvalidInput][awskit.InvalidInput]
naming it before any request; pydantic's own ``ValidationError`` never leaves these
classes. Field names are snake_case; [Alarm.to_request][awskit.cloudwatch.Alarm.to_request] maps
them onto ``PutMetricAlarm``'s names and `alarm_from_aws` reads ``DescribeAlarms`` items back.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from typing_extensions import Self

from .._errors import InvalidInput

__all__ = [
    "ANOMALY_COMPARISONS",
    "Alarm",
    "AlarmHistoryItem",
    "AlarmState",
    "AlarmStateName",
    "AnyAlarm",
    "Comparison",
    "ComparisonName",
    "CompositeAlarm",
    "MetricMathAlarm",
    "MetricQuery",
    "Statistic",
    "TreatMissingData",
    "TreatMissingDataName",
    "Unit",
    "UnitName",
    "alarm_from_aws",
    "check_dimensions",
    "check_period",
    "check_statistic",
    "is_extended_statistic",
]


class AlarmState(str, Enum):
    """The state of an alarm (``StateValue``)."""

    OK = "OK"
    ALARM = "ALARM"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


class Comparison(str, Enum):
    """How the statistic is compared with the threshold (``ComparisonOperator``)."""

    GREATER_THAN_OR_EQUAL_TO_THRESHOLD = "GreaterThanOrEqualToThreshold"
    GREATER_THAN_THRESHOLD = "GreaterThanThreshold"
    LESS_THAN_THRESHOLD = "LessThanThreshold"
    LESS_THAN_OR_EQUAL_TO_THRESHOLD = "LessThanOrEqualToThreshold"
    LESS_THAN_LOWER_OR_GREATER_THAN_UPPER_THRESHOLD = "LessThanLowerOrGreaterThanUpperThreshold"
    LESS_THAN_LOWER_THRESHOLD = "LessThanLowerThreshold"
    GREATER_THAN_UPPER_THRESHOLD = "GreaterThanUpperThreshold"


#: Operators that compare with an anomaly-detection band (``ThresholdMetricId``), not a number.
ANOMALY_COMPARISONS = frozenset(
    {
        Comparison.LESS_THAN_LOWER_OR_GREATER_THAN_UPPER_THRESHOLD,
        Comparison.LESS_THAN_LOWER_THRESHOLD,
        Comparison.GREATER_THAN_UPPER_THRESHOLD,
    }
)


class Statistic(str, Enum):
    """The simple statistics; percentiles and friends (``p99``, ``tm90``) are plain strings."""

    SAMPLE_COUNT = "SampleCount"
    AVERAGE = "Average"
    SUM = "Sum"
    MINIMUM = "Minimum"
    MAXIMUM = "Maximum"


class Unit(str, Enum):
    """CloudWatch's standard units (``StandardUnit``)."""

    SECONDS = "Seconds"
    MICROSECONDS = "Microseconds"
    MILLISECONDS = "Milliseconds"
    BYTES = "Bytes"
    KILOBYTES = "Kilobytes"
    MEGABYTES = "Megabytes"
    GIGABYTES = "Gigabytes"
    TERABYTES = "Terabytes"
    BITS = "Bits"
    KILOBITS = "Kilobits"
    MEGABITS = "Megabits"
    GIGABITS = "Gigabits"
    TERABITS = "Terabits"
    PERCENT = "Percent"
    COUNT = "Count"
    BYTES_PER_SECOND = "Bytes/Second"
    KILOBYTES_PER_SECOND = "Kilobytes/Second"
    MEGABYTES_PER_SECOND = "Megabytes/Second"
    GIGABYTES_PER_SECOND = "Gigabytes/Second"
    TERABYTES_PER_SECOND = "Terabytes/Second"
    BITS_PER_SECOND = "Bits/Second"
    KILOBITS_PER_SECOND = "Kilobits/Second"
    MEGABITS_PER_SECOND = "Megabits/Second"
    GIGABITS_PER_SECOND = "Gigabits/Second"
    TERABITS_PER_SECOND = "Terabits/Second"
    COUNT_PER_SECOND = "Count/Second"
    NONE = "None"


class TreatMissingData(str, Enum):
    """How an alarm treats missing data points (``TreatMissingData``)."""

    BREACHING = "breaching"
    NOT_BREACHING = "notBreaching"
    IGNORE = "ignore"
    MISSING = "missing"


#: The strings each enum accepts, for type checkers (``comparison="GreaterThanThreshold"``).
ComparisonName = Literal[
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
]
UnitName = Literal[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
]
TreatMissingDataName = Literal["breaching", "notBreaching", "ignore", "missing"]
AlarmStateName = Literal["OK", "ALARM", "INSUFFICIENT_DATA"]


# Extended statistics as CloudWatch's "Statistics definitions" page spells them: p99,
# p99.9, tm90, wm99, tc90, ts90, TM(10%:90%) (either bound may be left out), PR(10:100), IQM.
_PCT = r"(?:100(?:\.0+)?|\d{1,2}(?:\.\d+)?)"
_NUMBER = r"(?:-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
_EXTENDED = re.compile(
    rf"(?:p|tm|wm|tc|ts){_PCT}"
    rf"|(?:TM|WM|TC|TS)\((?:{_PCT}%)?:(?:{_PCT}%)?\)"
    rf"|PR\({_NUMBER}?:{_NUMBER}?\)"
    r"|IQM"
)
_STATISTICS = frozenset(s.value for s in Statistic)


def is_extended_statistic(value: str) -> bool:
    """True for a percentile-style statistic CloudWatch accepts (``p99``, ``tm90``, ``IQM``...)."""
    return _EXTENDED.fullmatch(value) is not None and value not in ("TM(:)", "WM(:)")


def check_statistic(field: str, value: object) -> str:
    """A simple or extended statistic, or [InvalidInput][awskit.InvalidInput] naming ``field``."""
    if isinstance(value, Statistic):
        return value.value
    if isinstance(value, str) and (value in _STATISTICS or is_extended_statistic(value)):
        return value
    raise InvalidInput(
        field,
        "must be one of SampleCount, Average, Sum, Minimum, Maximum, or a percentile-style "
        "statistic such as p99, p99.9, tm90, TM(10%:90%), PR(0:100) or IQM",
    )


def check_period(field: str, period: int) -> int:
    """10, 20 or 30 (high-resolution metrics) or a multiple of 60 seconds."""
    if period in (10, 20, 30) or (period >= 60 and period % 60 == 0):
        return period
    raise InvalidInput(field, "must be 10, 20, 30 or a multiple of 60 seconds")


def check_dimensions(field: str, dimensions: Mapping[str, str]) -> dict[str, str]:
    """At most 30 dimensions; names 1-255 and values 1-1024 characters."""
    if len(dimensions) > 30:
        raise InvalidInput(field, f"at most 30 dimensions, got {len(dimensions)}")
    for name, value in dimensions.items():
        if not isinstance(name, str) or not 1 <= len(name) <= 255:
            raise InvalidInput(field, "dimension names must be 1 to 255 characters")
        if not isinstance(value, str) or not 1 <= len(value) <= 1024:
            raise InvalidInput(field, f"the value of {name!r} must be 1 to 1024 characters")
    return dict(dimensions)


def _check_name(field: str, value: str) -> str:
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidInput(field, "must not contain control characters")
    return value


def _invalid(model: type[BaseModel], exc: ValidationError) -> InvalidInput:
    errors = exc.errors()
    for error in errors:
        own = error.get("ctx", {}).get("error")
        if isinstance(own, InvalidInput):
            return own
    first = errors[0]
    loc = first["loc"]
    field = str(loc[0]) if loc else model.__name__
    where = ".".join(str(part) for part in loc[1:])
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = f"{model.__name__} has no such field"
    return InvalidInput(field, f"{where}: {message}" if where else message)


class _Model(BaseModel):
    """Validated on construction; a wrong field is InvalidInput (a ValueError) naming it."""

    model_config = ConfigDict(extra="forbid", validate_default=False)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            error = _invalid(type(self), exc)
            if error.__traceback__ is not None:
                # Our own InvalidInput, raised in a validator and wrapped by pydantic.
                raise error from None
            raise error from exc

    def checked(self) -> Self:
        """The same model validated again (after attribute assignment or ``model_copy``)."""
        return type(self)(**{name: getattr(self, name) for name in type(self).model_fields})


class _AlarmBase(_Model):
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=1024)
    actions_enabled: bool = True
    alarm_actions: list[str] = Field(default_factory=list, max_length=5)
    ok_actions: list[str] = Field(default_factory=list, max_length=5)
    insufficient_data_actions: list[str] = Field(default_factory=list, max_length=5)
    tags: dict[str, str] = Field(default_factory=dict)
    # Filled from AWS, never sent.
    state: AlarmState | None = None
    state_reason: str | None = None
    state_reason_data: str | None = None
    state_updated_at: dt.datetime | None = None
    state_transitioned_at: dt.datetime | None = None
    configuration_updated_at: dt.datetime | None = None
    arn: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _check_name("name", value)

    @field_validator("alarm_actions", "ok_actions", "insufficient_data_actions")
    @classmethod
    def _actions(cls, value: list[str]) -> list[str]:
        for arn in value:
            if not 1 <= len(arn) <= 1024:
                raise ValueError("every action ARN must be 1 to 1024 characters")
        return value

    def _common_request(self) -> dict[str, Any]:
        request: dict[str, Any] = {
            "AlarmName": self.name,
            "ActionsEnabled": self.actions_enabled,
            "AlarmActions": list(self.alarm_actions),
            "OKActions": list(self.ok_actions),
            "InsufficientDataActions": list(self.insufficient_data_actions),
        }
        if self.description is not None:
            request["AlarmDescription"] = self.description
        if self.tags:
            request["Tags"] = [{"Key": k, "Value": v} for k, v in self.tags.items()]
        return request


def _check_evaluation(
    evaluation_periods: int, datapoints_to_alarm: int | None, period: int | None
) -> None:
    if datapoints_to_alarm is not None and datapoints_to_alarm > evaluation_periods:
        raise InvalidInput(
            "datapoints_to_alarm",
            f"must not exceed evaluation_periods ({datapoints_to_alarm} > {evaluation_periods})",
        )
    if period is not None:
        # PutMetricAlarm: periods x evaluation periods <= 7 days, or 1 day below 1-hour periods.
        ceiling = 86_400 if period < 3600 else 604_800
        if period * evaluation_periods > ceiling:
            raise InvalidInput(
                "evaluation_periods",
                f"evaluation_periods x period must not exceed {ceiling} seconds",
            )


class Alarm(_AlarmBase):
    """A metric alarm on one metric (``PutMetricAlarm`` with ``MetricName``).

    Checked locally: ``period`` is 10, 20, 30 or a multiple of 60; at most 30
    ``dimensions``; at most 5 actions per list; ``threshold`` is finite;
    ``datapoints_to_alarm <= evaluation_periods``; ``statistic`` is a
    [Statistic][awskit.cloudwatch.Statistic] or, given as a percentile-style string (``"p99"``),
    moves to ``extended_statistic``. ``state``, ``state_reason``, ``state_updated_at`` and ``arn``
    are filled from AWS and never sent.

    Example:
        ```python
        Alarm(name="Web_Server_CPU_Utilization", comparison="GreaterThanThreshold",
              evaluation_periods=1, metric_name="CPUUtilization", namespace="AWS/EC2",
              period=60, statistic="Average", threshold=70.0,
              dimensions={"InstanceId": "i-0123"}, unit="Seconds")
        ```
    """

    comparison: Comparison
    evaluation_periods: int = Field(ge=1)
    metric_name: str = Field(min_length=1, max_length=255)
    namespace: str = Field(min_length=1, max_length=255)
    period: int
    threshold: float = Field(allow_inf_nan=False)
    statistic: Statistic | None = None
    extended_statistic: str | None = None
    dimensions: dict[str, str] = Field(default_factory=dict)
    unit: Unit | None = None
    datapoints_to_alarm: int | None = Field(default=None, ge=1)
    treat_missing_data: TreatMissingData | None = None
    evaluate_low_sample_count_percentile: Literal["evaluate", "ignore"] | None = None

    if TYPE_CHECKING:
        # What type checkers see: enum fields also take their strings (pydantic converts).
        def __init__(
            self,
            *,
            name: str,
            description: str | None = None,
            actions_enabled: bool = True,
            alarm_actions: Sequence[str] = (),
            ok_actions: Sequence[str] = (),
            insufficient_data_actions: Sequence[str] = (),
            tags: Mapping[str, str] = ...,
            state: AlarmState | AlarmStateName | None = None,
            state_reason: str | None = None,
            state_reason_data: str | None = None,
            state_updated_at: dt.datetime | None = None,
            state_transitioned_at: dt.datetime | None = None,
            configuration_updated_at: dt.datetime | None = None,
            arn: str | None = None,
            comparison: Comparison | ComparisonName,
            evaluation_periods: int,
            metric_name: str,
            namespace: str,
            period: int,
            threshold: float,
            statistic: Statistic | str | None = None,
            extended_statistic: str | None = None,
            dimensions: Mapping[str, str] = ...,
            unit: Unit | UnitName | None = None,
            datapoints_to_alarm: int | None = None,
            treat_missing_data: TreatMissingData | TreatMissingDataName | None = None,
            evaluate_low_sample_count_percentile: Literal["evaluate", "ignore"] | None = None,
        ) -> None: ...

    @model_validator(mode="before")
    @classmethod
    def _percentile_as_statistic(cls, data: Any) -> Any:
        # Alarm(statistic="p99") is what people write; AWS wants ExtendedStatistic for it.
        if isinstance(data, dict):
            stat = data.get("statistic")
            if isinstance(stat, str) and stat not in _STATISTICS and is_extended_statistic(stat):
                if data.get("extended_statistic") is not None:
                    raise InvalidInput(
                        "statistic", "give statistic or extended_statistic, not both"
                    )
                data = {**data, "statistic": None, "extended_statistic": stat}
        return data

    @field_validator("statistic", mode="before")
    @classmethod
    def _statistic(cls, value: object) -> object:
        return None if value is None else check_statistic("statistic", value)

    @field_validator("extended_statistic")
    @classmethod
    def _extended(cls, value: str | None) -> str | None:
        if value is not None and not is_extended_statistic(value):
            raise InvalidInput(
                "extended_statistic", "must be a percentile-style statistic such as p99 or tm90"
            )
        return value

    @field_validator("period")
    @classmethod
    def _period(cls, value: int) -> int:
        return check_period("period", value)

    @field_validator("dimensions")
    @classmethod
    def _dimensions(cls, value: dict[str, str]) -> dict[str, str]:
        return check_dimensions("dimensions", value)

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        if value.startswith(":"):
            raise InvalidInput("namespace", "must not start with ':'")
        return value

    @field_validator("comparison")
    @classmethod
    def _comparison(cls, value: Comparison) -> Comparison:
        if value in ANOMALY_COMPARISONS:
            raise InvalidInput(
                "comparison",
                f"{value.value} compares with an anomaly band: use a MetricMathAlarm "
                "with threshold_metric_id",
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.statistic is None) == (self.extended_statistic is None):
            raise InvalidInput("statistic", "give exactly one of statistic or extended_statistic")
        if self.evaluate_low_sample_count_percentile and self.extended_statistic is None:
            raise InvalidInput(
                "evaluate_low_sample_count_percentile", "only applies to percentile statistics"
            )
        _check_evaluation(self.evaluation_periods, self.datapoints_to_alarm, self.period)
        return self

    def to_request(self) -> dict[str, Any]:
        """The ``PutMetricAlarm`` parameters for this alarm."""
        request = self._common_request()
        request.update(
            MetricName=self.metric_name,
            Namespace=self.namespace,
            Period=self.period,
            EvaluationPeriods=self.evaluation_periods,
            Threshold=self.threshold,
            ComparisonOperator=self.comparison.value,
            Dimensions=[{"Name": k, "Value": v} for k, v in self.dimensions.items()],
        )
        if self.statistic is not None:
            request["Statistic"] = self.statistic.value
        if self.extended_statistic is not None:
            request["ExtendedStatistic"] = self.extended_statistic
        if self.unit is not None:
            request["Unit"] = self.unit.value
        if self.datapoints_to_alarm is not None:
            request["DatapointsToAlarm"] = self.datapoints_to_alarm
        if self.treat_missing_data is not None:
            request["TreatMissingData"] = self.treat_missing_data.value
        if self.evaluate_low_sample_count_percentile is not None:
            request["EvaluateLowSampleCountPercentile"] = self.evaluate_low_sample_count_percentile
        return request


class MetricQuery(_Model):
    """One metric or expression of a metric-math alarm or a ``metric_data`` query.

    Either a metric (``namespace``, ``metric_name``, ``dimensions``, ``stat``, ``period``,
    ``unit``) or an ``expression`` (``"m1 / m2 * 100"``). ``id`` starts with a lowercase
    letter; ``return_data`` defaults to True on AWS's side.

    Example:
        ```python
        MetricQuery(id="m1", namespace="AWS/EC2", metric_name="CPUUtilization",
                    dimensions={"InstanceId": "i-0123"}, stat="Average", period=300)
        ```
    """

    id: str = Field(min_length=1, max_length=255, pattern=r"^[a-z][a-zA-Z0-9_]*$")
    namespace: str | None = Field(default=None, min_length=1, max_length=255)
    metric_name: str | None = Field(default=None, min_length=1, max_length=255)
    dimensions: dict[str, str] = Field(default_factory=dict)
    stat: str | None = None
    period: int | None = None
    unit: Unit | None = None
    expression: str | None = Field(default=None, min_length=1, max_length=2048)
    label: str | None = None
    return_data: bool | None = None
    account_id: str | None = None

    if TYPE_CHECKING:
        # What type checkers see: enum fields also take their strings (pydantic converts).
        def __init__(
            self,
            *,
            id: str,
            namespace: str | None = None,
            metric_name: str | None = None,
            dimensions: Mapping[str, str] = ...,
            stat: Statistic | str | None = None,
            period: int | None = None,
            unit: Unit | UnitName | None = None,
            expression: str | None = None,
            label: str | None = None,
            return_data: bool | None = None,
            account_id: str | None = None,
        ) -> None: ...

    @field_validator("stat", mode="before")
    @classmethod
    def _stat(cls, value: object) -> object:
        return None if value is None else check_statistic("stat", value)

    @field_validator("period")
    @classmethod
    def _period(cls, value: int | None) -> int | None:
        return None if value is None else check_period("period", value)

    @field_validator("dimensions")
    @classmethod
    def _dimensions(cls, value: dict[str, str]) -> dict[str, str]:
        return check_dimensions("dimensions", value)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.metric_name is None) == (self.expression is None):
            raise InvalidInput("metric_name", "give exactly one of metric_name or expression")
        if self.metric_name is not None:
            for field in ("namespace", "stat", "period"):
                if getattr(self, field) is None:
                    raise InvalidInput(field, "is required with metric_name")
        return self

    def to_request(self) -> dict[str, Any]:
        """The ``MetricDataQuery`` structure."""
        query: dict[str, Any] = {"Id": self.id}
        if self.metric_name is not None:
            metric: dict[str, Any] = {"Namespace": self.namespace, "MetricName": self.metric_name}
            if self.dimensions:
                metric["Dimensions"] = [{"Name": k, "Value": v} for k, v in self.dimensions.items()]
            stat: dict[str, Any] = {"Metric": metric, "Period": self.period, "Stat": self.stat}
            if self.unit is not None:
                stat["Unit"] = self.unit.value
            query["MetricStat"] = stat
        else:
            query["Expression"] = self.expression
            if self.period is not None:
                query["Period"] = self.period
        if self.label is not None:
            query["Label"] = self.label
        if self.return_data is not None:
            query["ReturnData"] = self.return_data
        if self.account_id is not None:
            query["AccountId"] = self.account_id
        return query

    @classmethod
    def from_aws(cls, item: Mapping[str, Any]) -> MetricQuery:
        """Read a ``MetricDataQuery`` structure."""
        fields: dict[str, Any] = {
            "id": item["Id"],
            "expression": item.get("Expression"),
            "label": item.get("Label"),
            "return_data": item.get("ReturnData"),
            "account_id": item.get("AccountId"),
            "period": item.get("Period"),
        }
        stat = item.get("MetricStat")
        if stat:
            metric = stat.get("Metric", {})
            fields.update(
                namespace=metric.get("Namespace"),
                metric_name=metric.get("MetricName"),
                dimensions={d["Name"]: d["Value"] for d in metric.get("Dimensions", ())},
                stat=stat.get("Stat"),
                period=stat.get("Period"),
                unit=stat.get("Unit"),
            )
        return cls(**{k: v for k, v in fields.items() if v is not None})


class MetricMathAlarm(_AlarmBase):
    """A metric alarm on a metric-math expression (``PutMetricAlarm`` with ``Metrics``).

    Exactly one query in ``metrics`` returns data (``return_data`` not False): the one the
    alarm watches. Anomaly-detection alarms give ``threshold_metric_id`` (the id of the
    ``ANOMALY_DETECTION_BAND`` expression) and one of the band comparisons instead of a
    ``threshold``.

    Example:
        ```python
        MetricMathAlarm(name="error-rate", comparison="GreaterThanThreshold", threshold=5.0,
                        evaluation_periods=3, metrics=[
                            MetricQuery(id="e", expression="100 * errors / requests"),
                            MetricQuery(id="errors", namespace="MyApp", metric_name="Errors",
                                        stat="Sum", period=60, return_data=False),
                            MetricQuery(id="requests", namespace="MyApp",
                                        metric_name="Requests", stat="Sum", period=60,
                                        return_data=False)])
        ```
    """

    comparison: Comparison
    evaluation_periods: int = Field(ge=1)
    metrics: list[MetricQuery] = Field(min_length=1)
    threshold: float | None = Field(default=None, allow_inf_nan=False)
    threshold_metric_id: str | None = None
    datapoints_to_alarm: int | None = Field(default=None, ge=1)
    treat_missing_data: TreatMissingData | None = None
    evaluate_low_sample_count_percentile: Literal["evaluate", "ignore"] | None = None

    if TYPE_CHECKING:
        # What type checkers see: enum fields also take their strings (pydantic converts).
        def __init__(
            self,
            *,
            name: str,
            description: str | None = None,
            actions_enabled: bool = True,
            alarm_actions: Sequence[str] = (),
            ok_actions: Sequence[str] = (),
            insufficient_data_actions: Sequence[str] = (),
            tags: Mapping[str, str] = ...,
            state: AlarmState | AlarmStateName | None = None,
            state_reason: str | None = None,
            state_reason_data: str | None = None,
            state_updated_at: dt.datetime | None = None,
            state_transitioned_at: dt.datetime | None = None,
            configuration_updated_at: dt.datetime | None = None,
            arn: str | None = None,
            comparison: Comparison | ComparisonName,
            evaluation_periods: int,
            metrics: Sequence[MetricQuery],
            threshold: float | None = None,
            threshold_metric_id: str | None = None,
            datapoints_to_alarm: int | None = None,
            treat_missing_data: TreatMissingData | TreatMissingDataName | None = None,
            evaluate_low_sample_count_percentile: Literal["evaluate", "ignore"] | None = None,
        ) -> None: ...

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = [query.id for query in self.metrics]
        if len(set(ids)) != len(ids):
            raise InvalidInput("metrics", "query ids must be unique")
        returning = [query.id for query in self.metrics if query.return_data is not False]
        if len(returning) != 1:
            raise InvalidInput(
                "metrics",
                "exactly one query must return data (set return_data=False on the others), "
                f"got {len(returning)}",
            )
        if self.threshold_metric_id is not None:
            if self.threshold_metric_id not in ids:
                raise InvalidInput("threshold_metric_id", "must be the id of one of the metrics")
            if self.threshold is not None:
                raise InvalidInput("threshold", "give threshold or threshold_metric_id, not both")
            if self.comparison not in ANOMALY_COMPARISONS:
                raise InvalidInput("comparison", "threshold_metric_id needs a band comparison")
        elif self.threshold is None:
            raise InvalidInput("threshold", "is required (a finite number)")
        elif self.comparison in ANOMALY_COMPARISONS:
            raise InvalidInput("comparison", f"{self.comparison.value} needs threshold_metric_id")
        periods = [q.period for q in self.metrics if q.metric_name is not None and q.period]
        _check_evaluation(
            self.evaluation_periods, self.datapoints_to_alarm, max(periods, default=None)
        )
        return self

    def to_request(self) -> dict[str, Any]:
        """The ``PutMetricAlarm`` parameters for this alarm."""
        request = self._common_request()
        request.update(
            ComparisonOperator=self.comparison.value,
            EvaluationPeriods=self.evaluation_periods,
            Metrics=[query.to_request() for query in self.metrics],
        )
        if self.threshold is not None:
            request["Threshold"] = self.threshold
        if self.threshold_metric_id is not None:
            request["ThresholdMetricId"] = self.threshold_metric_id
        if self.datapoints_to_alarm is not None:
            request["DatapointsToAlarm"] = self.datapoints_to_alarm
        if self.treat_missing_data is not None:
            request["TreatMissingData"] = self.treat_missing_data.value
        if self.evaluate_low_sample_count_percentile is not None:
            request["EvaluateLowSampleCountPercentile"] = self.evaluate_low_sample_count_percentile
        return request


class CompositeAlarm(_AlarmBase):
    """An alarm over other alarms' states (``PutCompositeAlarm``).

    ``rule`` is the alarm rule (``ALARM("cpu") AND ALARM("memory")``, 1 to 10240
    characters). ``actions_suppressor`` (an alarm ARN) needs both suppressor periods.

    Example:
        ```python
        CompositeAlarm(name="web-down", rule='ALARM("cpu-high") OR ALARM("5xx-high")',
                       alarm_actions=["arn:aws:sns:us-east-1:123456789012:pager"])
        ```
    """

    rule: str = Field(min_length=1, max_length=10240)
    actions_suppressor: str | None = Field(default=None, min_length=1, max_length=1600)
    actions_suppressor_wait_period: int | None = Field(default=None, ge=0)
    actions_suppressor_extension_period: int | None = Field(default=None, ge=0)
    # Filled from AWS, never sent.
    actions_suppressed_by: str | None = None
    actions_suppressed_reason: str | None = None

    if TYPE_CHECKING:
        # What type checkers see: enum fields also take their strings (pydantic converts).
        def __init__(
            self,
            *,
            name: str,
            description: str | None = None,
            actions_enabled: bool = True,
            alarm_actions: Sequence[str] = (),
            ok_actions: Sequence[str] = (),
            insufficient_data_actions: Sequence[str] = (),
            tags: Mapping[str, str] = ...,
            state: AlarmState | AlarmStateName | None = None,
            state_reason: str | None = None,
            state_reason_data: str | None = None,
            state_updated_at: dt.datetime | None = None,
            state_transitioned_at: dt.datetime | None = None,
            configuration_updated_at: dt.datetime | None = None,
            arn: str | None = None,
            rule: str,
            actions_suppressor: str | None = None,
            actions_suppressor_wait_period: int | None = None,
            actions_suppressor_extension_period: int | None = None,
            actions_suppressed_by: str | None = None,
            actions_suppressed_reason: str | None = None,
        ) -> None: ...

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        periods = (self.actions_suppressor_wait_period, self.actions_suppressor_extension_period)
        if self.actions_suppressor is not None and None in periods:
            raise InvalidInput(
                "actions_suppressor",
                "needs actions_suppressor_wait_period and actions_suppressor_extension_period",
            )
        if self.actions_suppressor is None and periods != (None, None):
            raise InvalidInput("actions_suppressor", "the suppressor periods need a suppressor")
        return self

    def to_request(self) -> dict[str, Any]:
        """The ``PutCompositeAlarm`` parameters for this alarm."""
        request = self._common_request()
        request["AlarmRule"] = self.rule
        if self.actions_suppressor is not None:
            request.update(
                ActionsSuppressor=self.actions_suppressor,
                ActionsSuppressorWaitPeriod=self.actions_suppressor_wait_period,
                ActionsSuppressorExtensionPeriod=self.actions_suppressor_extension_period,
            )
        return request


#: Any kind of alarm ``alarms(types="all")`` yields.
AnyAlarm = Alarm | MetricMathAlarm | CompositeAlarm
"""Any kind of alarm ``alarms(types="all")`` may return."""


def _finite(value: Any) -> float | None:
    return float(value) if value is not None and math.isfinite(float(value)) else None


def alarm_from_aws(item: Mapping[str, Any], composite: bool = False) -> AnyAlarm:
    """Read one ``MetricAlarms`` (or, with ``composite``, ``CompositeAlarms``) item."""
    common: dict[str, Any] = {
        "name": item["AlarmName"],
        "description": item.get("AlarmDescription"),
        "actions_enabled": item.get("ActionsEnabled", True),
        "alarm_actions": list(item.get("AlarmActions", ())),
        "ok_actions": list(item.get("OKActions", ())),
        "insufficient_data_actions": list(item.get("InsufficientDataActions", ())),
        "state": item.get("StateValue"),
        "state_reason": item.get("StateReason"),
        "state_reason_data": item.get("StateReasonData"),
        "state_updated_at": item.get("StateUpdatedTimestamp"),
        "state_transitioned_at": item.get("StateTransitionedTimestamp"),
        "configuration_updated_at": item.get("AlarmConfigurationUpdatedTimestamp"),
        "arn": item.get("AlarmArn"),
    }
    if composite:
        common.update(
            rule=item["AlarmRule"],
            actions_suppressor=item.get("ActionsSuppressor"),
            actions_suppressor_wait_period=item.get("ActionsSuppressorWaitPeriod"),
            actions_suppressor_extension_period=item.get("ActionsSuppressorExtensionPeriod"),
            actions_suppressed_by=item.get("ActionsSuppressedBy"),
            actions_suppressed_reason=item.get("ActionsSuppressedReason"),
        )
        return CompositeAlarm(**_present(common))
    common.update(
        comparison=item.get("ComparisonOperator"),
        evaluation_periods=item.get("EvaluationPeriods"),
        datapoints_to_alarm=item.get("DatapointsToAlarm"),
        treat_missing_data=item.get("TreatMissingData"),
        evaluate_low_sample_count_percentile=item.get("EvaluateLowSampleCountPercentile"),
    )
    if item.get("Metrics"):
        common.update(
            metrics=[MetricQuery.from_aws(query) for query in item["Metrics"]],
            threshold=_finite(item.get("Threshold")) if "ThresholdMetricId" not in item else None,
            threshold_metric_id=item.get("ThresholdMetricId"),
        )
        return MetricMathAlarm(**_present(common))
    common.update(
        metric_name=item.get("MetricName"),
        namespace=item.get("Namespace"),
        period=item.get("Period"),
        threshold=item.get("Threshold"),
        statistic=item.get("Statistic"),
        extended_statistic=item.get("ExtendedStatistic"),
        dimensions={d["Name"]: d["Value"] for d in item.get("Dimensions", ())},
        unit=item.get("Unit"),
    )
    return Alarm(**_present(common))


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


@dataclass(frozen=True)
class AlarmHistoryItem:
    """One entry of an alarm's history (``DescribeAlarmHistory``).

    ``type`` is ``ConfigurationUpdate``, ``StateUpdate`` or ``Action`` (or a contributor
    variant); ``data`` is AWS's JSON text, parsed by
    [data_json][awskit.cloudwatch.AlarmHistoryItem.data_json].
    """

    alarm_name: str
    timestamp: dt.datetime | None
    type: str
    summary: str
    data: str | None = None
    alarm_type: str | None = None

    @property
    def data_json(self) -> Any:
        """``data`` parsed (``None`` when there is none)."""
        return None if self.data is None else json.loads(self.data)

    @classmethod
    def from_aws(cls, item: Mapping[str, Any]) -> AlarmHistoryItem:
        """Read one ``AlarmHistoryItems`` item."""
        return cls(
            alarm_name=item.get("AlarmName", ""),
            timestamp=item.get("Timestamp"),
            type=item.get("HistoryItemType", ""),
            summary=item.get("HistorySummary", ""),
            data=item.get("HistoryData"),
            alarm_type=item.get("AlarmType"),
        )
