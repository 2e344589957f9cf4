"""Alarm models: metric, metric-math, anomaly-detection and composite alarms.

Writing is strict: every model validates on construction, so a wrong field is
[InvalidInput][awskit.InvalidInput] naming it before any request; pydantic's own
``ValidationError`` never leaves these classes, and numbers, integers and flags are not
guessed from bools or strings. Reading is lenient:
[alarm_from_aws][awskit.cloudwatch.models.alarm_from_aws] reads any ``DescribeAlarms``
item, as the kind it is (``raw`` keeps AWS's item) or as the
[UnknownAlarm][awskit.cloudwatch.UnknownAlarm] fallback, and never raises InvalidInput.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import numbers
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from typing_extensions import Self

from .._errors import AwskitError, InvalidInput

__all__ = [
    "ANOMALY_COMPARISONS",
    "Alarm",
    "AlarmHistoryItem",
    "AlarmState",
    "AlarmStateName",
    "AnomalyAlarm",
    "AnyAlarm",
    "Comparison",
    "ComparisonName",
    "CompositeAlarm",
    "Flag",
    "MetricMathAlarm",
    "MetricQuery",
    "Number",
    "PutAlarm",
    "Statistic",
    "TreatMissingData",
    "TreatMissingDataName",
    "Unit",
    "UnitName",
    "UnknownAlarm",
    "UnreadableResponse",
    "Whole",
    "alarm_from_aws",
    "alarm_from_request",
    "check_dimensions",
    "check_metric_name",
    "check_metric_namespace",
    "check_period",
    "check_statistic",
    "check_text",
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
_QUERY_ID = re.compile(r"[a-z][a-zA-Z0-9_]*")


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


def check_text(field: str, value: object, *, limit: int, ascii: bool = False) -> str:
    """A CloudWatch name or value: a string of 1 to ``limit`` characters without control
    characters (C0, DEL, C1) or unpaired surrogates, holding something besides whitespace;
    with ``ascii``, ASCII only (what AWS asks of dimension names and values).
    """
    if not isinstance(value, str):
        raise InvalidInput(field, f"must be a string, not {type(value).__name__}")
    if not 1 <= len(value) <= limit:
        raise InvalidInput(field, f"must be 1 to {limit} characters, got {len(value)}")
    for char in value:
        kind = unicodedata.category(char)
        if kind == "Cc":
            raise InvalidInput(field, f"control character U+{ord(char):04X} is not allowed")
        if kind == "Cs":
            raise InvalidInput(field, f"unpaired surrogate U+{ord(char):04X} is not text")
        if ascii and ord(char) > 127:
            raise InvalidInput(field, f"must be ASCII; U+{ord(char):04X} is not")
    if value.isspace():
        raise InvalidInput(field, "must hold more than whitespace")
    return value


def check_dimensions(field: str, dimensions: Mapping[str, str]) -> dict[str, str]:
    """At most 30 dimensions. Names are 1-255 and values 1-1024 ASCII characters, without
    control characters and not only whitespace; a name does not start with ``:``."""
    if not isinstance(dimensions, Mapping):
        raise InvalidInput(field, "must be a mapping of dimension name to value")
    if len(dimensions) > 30:
        raise InvalidInput(field, f"at most 30 dimensions, got {len(dimensions)}")
    for name, value in dimensions.items():
        try:
            check_text(field, name, limit=255, ascii=True)
        except InvalidInput as exc:
            raise InvalidInput(field, f"dimension name {name!r}: {exc.reason}") from None
        if name.startswith(":"):
            raise InvalidInput(field, f"dimension name {name!r} must not start with ':'")
        try:
            check_text(field, value, limit=1024, ascii=True)
        except InvalidInput as exc:
            raise InvalidInput(field, f"the value of {name!r}: {exc.reason}") from None
    return dict(dimensions)


def check_metric_name(field: str, value: object) -> str:
    """A metric name: 1-255 characters, no control characters, not only whitespace."""
    return check_text(field, value, limit=255)


def check_metric_namespace(field: str, value: object) -> str:
    """A namespace to read or watch (``AWS/`` allowed): 1-255 characters, no control
    characters, not starting with ``:``."""
    text = check_text(field, value, limit=255)
    if text.startswith(":"):
        raise InvalidInput(field, "must not start with ':'")
    return text


def _check_name(field: str, value: str) -> str:
    # AlarmName: any UTF-8 of 1-255 characters, but no ASCII control characters.
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidInput(field, "must not contain control characters")
    if any(unicodedata.category(c) == "Cs" for c in value):
        raise InvalidInput(field, "must not contain unpaired surrogates")
    return value


def _real(value: object) -> float:
    # pydantic's lax mode reads True as 1.0 and "12.5" as 12.5: a caller's slip, not a number.
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, Decimal)):
        raise PydanticCustomError(
            "number_type", "must be a number, not {kind}", {"kind": type(value).__name__}
        )
    try:
        return float(value)
    except OverflowError:
        raise PydanticCustomError("number_type", "is too large for a double") from None


def _whole(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise PydanticCustomError(
            "int_type", "must be an integer, not {kind}", {"kind": type(value).__name__}
        )
    return int(value)


#: A float field that refuses bools and strings (pydantic's lax mode would convert them).
Number = Annotated[float, BeforeValidator(_real)]
#: An int field that refuses bools, floats and strings.
Whole = Annotated[int, BeforeValidator(_whole)]
#: A bool field that refuses ``"false"``, ``0`` and friends.
Flag = Annotated[bool, Strict()]

# Set while models read what AWS sent: rules that only guard what awskit sends (periods,
# statistics, name characters, how many queries return data) are then not applied, so an
# alarm AWS holds is never refused for them. A ContextVar rather than pydantic's validation
# context, which does not reach validators through _Model's own __init__.
_READING_AWS: ContextVar[bool] = ContextVar("awskit_cloudwatch_reading_aws", default=False)


@contextmanager
def _reading_aws() -> Iterator[None]:
    token = _READING_AWS.set(True)
    try:
        yield
    finally:
        _READING_AWS.reset(token)


def _from_aws() -> bool:
    return _READING_AWS.get()


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
    actions_enabled: Flag = True
    alarm_actions: list[str] = Field(default_factory=list)
    ok_actions: list[str] = Field(default_factory=list)
    insufficient_data_actions: list[str] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)
    # Filled from AWS, never sent.
    state: AlarmState | None = None
    state_reason: str | None = None
    state_reason_data: str | None = None
    state_updated_at: dt.datetime | None = None
    state_transitioned_at: dt.datetime | None = None
    configuration_updated_at: dt.datetime | None = None
    arn: str | None = None
    #: The ``DescribeAlarms`` item this alarm was read from, as AWS sent it (None when
    #: built in Python). It keeps what the model has no field for, or did not know.
    raw: dict[str, Any] | None = Field(default=None, repr=False, exclude=True)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return value if _from_aws() else _check_name("name", value)

    @field_validator("alarm_actions", "ok_actions", "insufficient_data_actions")
    @classmethod
    def _actions(cls, value: list[str]) -> list[str]:
        if _from_aws():
            return value
        if len(value) > 5:
            raise ValueError(f"at most 5 actions, got {len(value)}")
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
    ``dimensions`` (ASCII names of 1-255 and values of 1-1024 characters, no control
    characters); ``metric_name`` 1-255 characters without control characters; at most 5
    actions per list; ``threshold`` is a finite number (not a bool);
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
    evaluation_periods: Whole = Field(ge=1)
    metric_name: str
    namespace: str
    period: Whole
    threshold: Number = Field(allow_inf_nan=False)
    statistic: Statistic | None = None
    extended_statistic: str | None = None
    dimensions: dict[str, str] = Field(default_factory=dict)
    unit: Unit | None = None
    datapoints_to_alarm: Whole | None = Field(default=None, ge=1)
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
        if value is not None and not _from_aws() and not is_extended_statistic(value):
            raise InvalidInput(
                "extended_statistic", "must be a percentile-style statistic such as p99 or tm90"
            )
        return value

    @field_validator("period")
    @classmethod
    def _period(cls, value: int) -> int:
        return value if _from_aws() else check_period("period", value)

    @field_validator("dimensions")
    @classmethod
    def _dimensions(cls, value: dict[str, str]) -> dict[str, str]:
        return value if _from_aws() else check_dimensions("dimensions", value)

    @field_validator("metric_name")
    @classmethod
    def _metric_name(cls, value: str) -> str:
        return value if _from_aws() else check_metric_name("metric_name", value)

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        return value if _from_aws() else check_metric_namespace("namespace", value)

    @field_validator("comparison")
    @classmethod
    def _comparison(cls, value: Comparison) -> Comparison:
        if value in ANOMALY_COMPARISONS:
            raise InvalidInput(
                "comparison",
                f"{value.value} compares with an anomaly band: use an AnomalyAlarm",
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.statistic is None) == (self.extended_statistic is None):
            raise InvalidInput("statistic", "give exactly one of statistic or extended_statistic")
        if not _from_aws():
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

    id: str = Field(min_length=1, max_length=255)
    namespace: str | None = None
    metric_name: str | None = None
    dimensions: dict[str, str] = Field(default_factory=dict)
    stat: str | None = None
    period: Whole | None = None
    unit: Unit | None = None
    expression: str | None = Field(default=None, min_length=1)
    label: str | None = None
    return_data: Flag | None = None
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

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _from_aws() and not _QUERY_ID.fullmatch(value):
            raise InvalidInput(
                "id", "must start with a lowercase letter, then letters, digits or '_'"
            )
        return value

    @field_validator("stat", mode="before")
    @classmethod
    def _stat(cls, value: object) -> object:
        if value is None or (_from_aws() and isinstance(value, str)):
            return value
        return check_statistic("stat", value)

    @field_validator("period")
    @classmethod
    def _period(cls, value: int | None) -> int | None:
        return value if value is None or _from_aws() else check_period("period", value)

    @field_validator("dimensions")
    @classmethod
    def _dimensions(cls, value: dict[str, str]) -> dict[str, str]:
        return value if _from_aws() else check_dimensions("dimensions", value)

    @field_validator("metric_name")
    @classmethod
    def _metric_name(cls, value: str | None) -> str | None:
        if value is None or _from_aws():
            return value
        return check_metric_name("metric_name", value)

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str | None) -> str | None:
        if value is None or _from_aws():
            return value
        return check_metric_namespace("namespace", value)

    @field_validator("expression")
    @classmethod
    def _expression(cls, value: str | None) -> str | None:
        if value is not None and not _from_aws() and len(value) > 2048:
            raise InvalidInput("expression", "must be at most 2048 characters")
        return value

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
        """Read a ``MetricDataQuery`` structure as AWS returns it.

        Lenient: a statistic, period or id awskit would not send is kept, and a unit
        awskit does not know reads as None.

        Raises:
            UnreadableResponse: the structure is not a metric query at all.
        """
        try:
            with _reading_aws():
                return cls(**_query_fields(item))
        except (ValidationError, InvalidInput, TypeError, KeyError, AttributeError) as exc:
            raise UnreadableResponse(
                f"a MetricDataQuery AWS returned cannot be read: {exc}", raw=item
            ) from exc


def _known(enum: type[Enum], value: object) -> object:
    """``value`` if ``enum`` has it, else None: what AWS added since awskit was written
    reads as unknown (the item's ``raw`` keeps it) rather than failing the whole read."""
    return value if isinstance(value, str) and value in {m.value for m in enum} else None


def _query_fields(item: Mapping[str, Any]) -> dict[str, Any]:
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
            dimensions={d.get("Name"): d.get("Value") for d in metric.get("Dimensions", ())},
            stat=stat.get("Stat"),
            period=stat.get("Period"),
            unit=_known(Unit, stat.get("Unit")),
        )
    return _present(fields)


def _check_queries(metrics: Sequence[MetricQuery]) -> list[str]:
    ids = [query.id for query in metrics]
    if len(set(ids)) != len(ids):
        raise InvalidInput("metrics", "query ids must be unique")
    return [query.id for query in metrics if query.return_data is not False]


def _longest_period(metrics: Sequence[MetricQuery]) -> int | None:
    periods = [q.period for q in metrics if q.metric_name is not None and q.period]
    return max(periods, default=None)


class MetricMathAlarm(_AlarmBase):
    """A metric alarm on a metric-math expression (``PutMetricAlarm`` with ``Metrics``).

    Exactly one query in ``metrics`` returns data (``return_data`` not False): the one the
    alarm watches, compared with ``threshold``. AWS refuses more than one (alarms on an
    anomaly-detection band are [AnomalyAlarm][awskit.cloudwatch.AnomalyAlarm]s); when
    reading, an alarm AWS holds with several is still read, never refused.

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
    evaluation_periods: Whole = Field(ge=1)
    metrics: list[MetricQuery] = Field(min_length=1)
    threshold: Number = Field(allow_inf_nan=False)
    datapoints_to_alarm: Whole | None = Field(default=None, ge=1)
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
            threshold: float,
            datapoints_to_alarm: int | None = None,
            treat_missing_data: TreatMissingData | TreatMissingDataName | None = None,
            evaluate_low_sample_count_percentile: Literal["evaluate", "ignore"] | None = None,
        ) -> None: ...

    @field_validator("comparison")
    @classmethod
    def _comparison(cls, value: Comparison) -> Comparison:
        if value in ANOMALY_COMPARISONS:
            raise InvalidInput(
                "comparison",
                f"{value.value} compares with an anomaly band: use an AnomalyAlarm",
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        returning = _check_queries(self.metrics)
        if _from_aws():
            return self
        if len(returning) != 1:
            raise InvalidInput(
                "metrics",
                "exactly one query must return data (set return_data=False on the others), "
                f"got {len(returning)}",
            )
        _check_evaluation(
            self.evaluation_periods, self.datapoints_to_alarm, _longest_period(self.metrics)
        )
        return self

    def to_request(self) -> dict[str, Any]:
        """The ``PutMetricAlarm`` parameters for this alarm."""
        request = self._common_request()
        request.update(
            ComparisonOperator=self.comparison.value,
            EvaluationPeriods=self.evaluation_periods,
            Metrics=[query.to_request() for query in self.metrics],
            Threshold=self.threshold,
        )
        _evaluation_request(self, request)
        return request


def _evaluation_request(alarm: MetricMathAlarm | AnomalyAlarm, request: dict[str, Any]) -> None:
    if alarm.datapoints_to_alarm is not None:
        request["DatapointsToAlarm"] = alarm.datapoints_to_alarm
    if alarm.treat_missing_data is not None:
        request["TreatMissingData"] = alarm.treat_missing_data.value
    if alarm.evaluate_low_sample_count_percentile is not None:
        request["EvaluateLowSampleCountPercentile"] = alarm.evaluate_low_sample_count_percentile


class AnomalyAlarm(_AlarmBase):
    """An alarm on an anomaly-detection band (``PutMetricAlarm`` with ``ThresholdMetricId``).

    ``metrics`` holds the query the alarm watches and an ``ANOMALY_DETECTION_BAND(m1, 2)``
    expression whose id is ``threshold_metric_id``; both return data, as AWS requires
    (the others, if any, have ``return_data=False``). ``comparison`` is one of the band
    comparisons: ``LessThanLowerOrGreaterThanUpperThreshold`` (the default),
    ``LessThanLowerThreshold`` or ``GreaterThanUpperThreshold``. There is no
    ``threshold``: the band is the threshold. [around][awskit.cloudwatch.AnomalyAlarm.around]
    builds the usual shape from one metric.

    Example:
        ```python
        AnomalyAlarm(name="network-in-anomaly", evaluation_periods=2,
                     threshold_metric_id="band", metrics=[
                         MetricQuery(id="m1", namespace="AWS/EC2", metric_name="NetworkIn",
                                     dimensions={"InstanceId": "i-0123"}, stat="Average",
                                     period=300),
                         MetricQuery(id="band", expression="ANOMALY_DETECTION_BAND(m1, 2)")])
        ```
    """

    comparison: Comparison = Comparison.LESS_THAN_LOWER_OR_GREATER_THAN_UPPER_THRESHOLD
    evaluation_periods: Whole = Field(ge=1)
    metrics: list[MetricQuery] = Field(min_length=2)
    threshold_metric_id: str
    datapoints_to_alarm: Whole | None = Field(default=None, ge=1)
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
            comparison: Comparison | ComparisonName = ...,
            evaluation_periods: int,
            metrics: Sequence[MetricQuery],
            threshold_metric_id: str,
            datapoints_to_alarm: int | None = None,
            treat_missing_data: TreatMissingData | TreatMissingDataName | None = None,
            evaluate_low_sample_count_percentile: Literal["evaluate", "ignore"] | None = None,
        ) -> None: ...

    @classmethod
    def around(
        cls,
        metric: MetricQuery,
        *,
        name: str,
        evaluation_periods: int,
        std_devs: float = 2.0,
        comparison: Comparison | ComparisonName = (
            Comparison.LESS_THAN_LOWER_OR_GREATER_THAN_UPPER_THRESHOLD
        ),
        **settings: Any,
    ) -> AnomalyAlarm:
        """An alarm when ``metric`` leaves its band of ``std_devs`` standard deviations.

        Args:
            metric: the metric watched (a [MetricQuery][awskit.cloudwatch.MetricQuery]
                with ``metric_name``); it returns data.
            name: the alarm's name.
            evaluation_periods: how many periods are compared with the band.
            std_devs: the band's width in standard deviations (AWS's default is 2).
            comparison: which side of the band alarms.
            **settings: any other field (``description``, ``alarm_actions``, ...).

        Returns:
            The alarm, with the band's query id ``band`` (or ``band_<n>`` when taken).

        Raises:
            InvalidInput: a field is wrong, or ``std_devs`` is not a positive number.

        Example:
            ```python
            AnomalyAlarm.around(MetricQuery(id="m1", namespace="AWS/EC2",
                                            metric_name="CPUUtilization", stat="Average",
                                            period=300),
                                name="cpu-anomaly", evaluation_periods=2, std_devs=3)
            ```
        """
        if isinstance(std_devs, bool) or not isinstance(std_devs, (int, float)):
            raise InvalidInput("std_devs", "must be a number")
        if not (math.isfinite(std_devs) and std_devs > 0):
            raise InvalidInput("std_devs", "must be a positive finite number")
        if not isinstance(metric, MetricQuery):
            raise InvalidInput("metric", "must be a MetricQuery")
        band_id, n = "band", 0
        while band_id == metric.id:
            n += 1
            band_id = f"band_{n}"
        band = MetricQuery(
            id=band_id, expression=f"ANOMALY_DETECTION_BAND({metric.id}, {std_devs:g})"
        )
        watched = metric.model_copy(update={"return_data": None}).checked()
        return cls(
            name=name,
            evaluation_periods=evaluation_periods,
            comparison=comparison,
            metrics=[watched, band],
            threshold_metric_id=band_id,
            **settings,
        )

    @field_validator("comparison")
    @classmethod
    def _comparison(cls, value: Comparison) -> Comparison:
        if value not in ANOMALY_COMPARISONS:
            raise InvalidInput(
                "comparison",
                "an anomaly alarm compares with its band: "
                "LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold or "
                "GreaterThanUpperThreshold",
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        returning = _check_queries(self.metrics)
        band = next((q for q in self.metrics if q.id == self.threshold_metric_id), None)
        if band is None:
            raise InvalidInput("threshold_metric_id", "must be the id of one of the metrics")
        if _from_aws():
            return self
        if band.expression is None or "ANOMALY_DETECTION_BAND(" not in band.expression.upper():
            raise InvalidInput(
                "threshold_metric_id", "must name an ANOMALY_DETECTION_BAND(...) expression"
            )
        if band.return_data is False:
            raise InvalidInput("metrics", f"the band {band.id!r} must return data")
        if len(returning) != 2:
            raise InvalidInput(
                "metrics",
                "the band and exactly one other query (the one watched) return data; set "
                f"return_data=False on the others, got {len(returning)} returning",
            )
        _check_evaluation(
            self.evaluation_periods, self.datapoints_to_alarm, _longest_period(self.metrics)
        )
        return self

    @property
    def watched(self) -> MetricQuery | None:
        """The query compared with the band: the returning one that is not the band."""
        return next(
            (
                q
                for q in self.metrics
                if q.return_data is not False and q.id != self.threshold_metric_id
            ),
            None,
        )

    def to_request(self) -> dict[str, Any]:
        """The ``PutMetricAlarm`` parameters for this alarm."""
        request = self._common_request()
        request.update(
            ComparisonOperator=self.comparison.value,
            EvaluationPeriods=self.evaluation_periods,
            Metrics=[query.to_request() for query in self.metrics],
            ThresholdMetricId=self.threshold_metric_id,
        )
        _evaluation_request(self, request)
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
    actions_suppressor_wait_period: Whole | None = Field(default=None, ge=0)
    actions_suppressor_extension_period: Whole | None = Field(default=None, ge=0)
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


class UnreadableResponse(AwskitError):
    """AWS answered with something awskit cannot read at all (an alarm without a name, a
    history entry whose data is not JSON). ``raw`` is what AWS sent.

    Not an [InvalidInput][awskit.InvalidInput]: that error only ever means the caller's
    own argument. An alarm awskit merely does not model is never this error: it is read as
    an [UnknownAlarm][awskit.cloudwatch.UnknownAlarm].
    """

    def __init__(self, message: str, *, raw: Any = None, operation: str = "DescribeAlarms") -> None:
        super().__init__(message, code="UnreadableResponse", operation=operation)
        self.raw = raw


@dataclass(frozen=True)
class UnknownAlarm:
    """An alarm AWS holds in a shape awskit does not model: the documented fallback.

    Listings (``alarms(types="all")`` or ``types="unknown"``), ``alarm(name, types="all")``
    and ``delete_alarms`` still see it, so one unusual alarm never breaks them. ``raw`` is
    the ``DescribeAlarms`` item as AWS sent it, ``reason`` says what awskit could not
    model, ``composite`` whether it came as a composite alarm. It cannot be put back: use
    the client (``aws.cloudwatch.client.put_metric_alarm(...)``) with ``raw``'s fields.
    """

    name: str
    raw: dict[str, Any] = dataclasses.field(compare=False, hash=False, repr=False)
    reason: str = ""
    composite: bool = False
    arn: str | None = None
    description: str | None = None
    state: AlarmState | None = None
    state_reason: str | None = None
    state_updated_at: dt.datetime | None = None


#: Any alarm a listing may yield.
AnyAlarm = Alarm | MetricMathAlarm | AnomalyAlarm | CompositeAlarm | UnknownAlarm
"""Any alarm ``alarms(types="all")`` may yield: the four modelled kinds and the
[UnknownAlarm][awskit.cloudwatch.UnknownAlarm] fallback."""

#: An alarm ``put_alarm`` can create.
PutAlarm = Alarm | MetricMathAlarm | AnomalyAlarm | CompositeAlarm
"""An alarm ``put_alarm`` can create or update: every kind but the fallback."""


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _dimension_map(items: Any) -> dict[Any, Any]:
    return {d.get("Name"): d.get("Value") for d in items or ()}


def _alarm_fields(
    item: Mapping[str, Any], composite: bool
) -> tuple[type[PutAlarm], dict[str, Any]]:
    """The model an item reads as, and its fields; unknown optional enum values as None."""
    common: dict[str, Any] = {
        "name": item["AlarmName"],
        "description": item.get("AlarmDescription"),
        "actions_enabled": item.get("ActionsEnabled", True),
        "alarm_actions": list(item.get("AlarmActions", ())),
        "ok_actions": list(item.get("OKActions", ())),
        "insufficient_data_actions": list(item.get("InsufficientDataActions", ())),
        "state": _known(AlarmState, item.get("StateValue")),
        "state_reason": item.get("StateReason"),
        "state_reason_data": item.get("StateReasonData"),
        "state_updated_at": item.get("StateUpdatedTimestamp"),
        "state_transitioned_at": item.get("StateTransitionedTimestamp"),
        "configuration_updated_at": item.get("AlarmConfigurationUpdatedTimestamp"),
        "arn": item.get("AlarmArn"),
    }
    if composite:
        common.update(
            rule=item.get("AlarmRule"),
            actions_suppressor=item.get("ActionsSuppressor"),
            actions_suppressor_wait_period=item.get("ActionsSuppressorWaitPeriod"),
            actions_suppressor_extension_period=item.get("ActionsSuppressorExtensionPeriod"),
            actions_suppressed_by=item.get("ActionsSuppressedBy"),
            actions_suppressed_reason=item.get("ActionsSuppressedReason"),
        )
        return CompositeAlarm, common
    common.update(
        comparison=item.get("ComparisonOperator"),
        evaluation_periods=item.get("EvaluationPeriods"),
        datapoints_to_alarm=item.get("DatapointsToAlarm"),
        treat_missing_data=_known(TreatMissingData, item.get("TreatMissingData")),
        evaluate_low_sample_count_percentile=(
            item.get("EvaluateLowSampleCountPercentile")
            if item.get("EvaluateLowSampleCountPercentile") in ("evaluate", "ignore")
            else None
        ),
    )
    metrics = item.get("Metrics")
    if metrics:
        common["metrics"] = [_query_fields(query) for query in metrics]
        if item.get("ThresholdMetricId") is not None:
            common["threshold_metric_id"] = item["ThresholdMetricId"]
            return AnomalyAlarm, common
        common["threshold"] = _finite(item.get("Threshold"))
        return MetricMathAlarm, common
    common.update(
        metric_name=item.get("MetricName"),
        namespace=item.get("Namespace"),
        period=item.get("Period"),
        threshold=item.get("Threshold"),
        statistic=item.get("Statistic"),
        extended_statistic=item.get("ExtendedStatistic"),
        dimensions=_dimension_map(item.get("Dimensions")),
        unit=_known(Unit, item.get("Unit")),
    )
    return Alarm, common


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        return f"{where}: {error['msg']}" if where else error["msg"]
    if isinstance(exc, KeyError):
        return f"{exc.args[0]} is missing"
    return str(exc)


def alarm_from_aws(item: Mapping[str, Any], composite: bool = False) -> AnyAlarm:
    """Read one ``MetricAlarms`` (or, with ``composite``, ``CompositeAlarms``) item.

    Reading is lenient. An item reads as the kind it is ([Alarm][awskit.cloudwatch.Alarm],
    [MetricMathAlarm][awskit.cloudwatch.MetricMathAlarm],
    [AnomalyAlarm][awskit.cloudwatch.AnomalyAlarm] or
    [CompositeAlarm][awskit.cloudwatch.CompositeAlarm]) with ``raw`` set to the item. The
    rules awskit applies to what it sends (periods, statistics, how many queries return
    data, name characters) are not applied; an enum value AWS added since (a state,
    unit or missing-data treatment) reads as None. An item no model can hold (a
    comparison or statistic awskit does not know, a shape it does not model) reads as an
    [UnknownAlarm][awskit.cloudwatch.UnknownAlarm].

    Args:
        item: one item of ``DescribeAlarms``' ``MetricAlarms`` or ``CompositeAlarms``.
        composite: the item came from ``CompositeAlarms``.

    Returns:
        The alarm, or the fallback.

    Raises:
        UnreadableResponse: the item has no alarm name, so nothing can be done with it.
    """
    name = item.get("AlarmName") if isinstance(item, Mapping) else None
    if not isinstance(name, str) or not name:
        raise UnreadableResponse(
            "DescribeAlarms returned an alarm without a name; awskit cannot list, get or delete it",
            raw=item,
        )
    raw = dict(item)
    try:
        model, fields = _alarm_fields(item, composite)
        with _reading_aws():
            return model(**{**_present(fields), "raw": raw})
    except (ValidationError, InvalidInput, TypeError, KeyError, AttributeError) as exc:
        state = item.get("StateValue")
        return UnknownAlarm(
            name=name,
            raw=raw,
            reason=_reason(exc),
            composite=composite,
            arn=item.get("AlarmArn"),
            description=item.get("AlarmDescription"),
            state=AlarmState(state) if _known(AlarmState, state) is not None else None,
            state_reason=item.get("StateReason"),
            state_updated_at=item.get("StateUpdatedTimestamp"),
        )


def alarm_from_request(request: Mapping[str, Any]) -> PutAlarm:
    """Build an alarm from ``PutMetricAlarm`` or ``PutCompositeAlarm`` parameters (the
    caller's, for instance a JSON file), validated as strictly as any alarm awskit sends.

    Args:
        request: ``AlarmName``, ``ComparisonOperator``, ... (``AlarmRule`` for a
            composite alarm); ``Tags`` as ``[{"Key": ..., "Value": ...}]``.

    Returns:
        The alarm.

    Raises:
        InvalidInput: a field is wrong or missing, named in awskit's terms.
    """
    if not isinstance(request, Mapping):
        raise InvalidInput("alarm", "must be a mapping of PutMetricAlarm parameters")
    if not isinstance(request.get("AlarmName"), str):
        raise InvalidInput("name", "AlarmName is required")
    model, fields = _alarm_fields(request, composite="AlarmRule" in request)
    # Strict reading of the caller's words: an unknown enum value is an error, not None.
    strict = [("StateValue", "state")]
    if model is not CompositeAlarm:
        strict += [
            ("TreatMissingData", "treat_missing_data"),
            ("EvaluateLowSampleCountPercentile", "evaluate_low_sample_count_percentile"),
        ]
    if model is Alarm:
        strict.append(("Unit", "unit"))
    for key, name in strict:
        if key in request:
            fields[name] = request[key]
    if model is not CompositeAlarm and request.get("Metrics"):
        fields["metrics"] = [_request_query(query) for query in request["Metrics"]]
    if model is MetricMathAlarm:
        fields["threshold"] = request.get("Threshold")
    tags = request.get("Tags")
    if tags:
        fields["tags"] = {t.get("Key"): t.get("Value") for t in tags}
    return model(**_present(fields))


def _request_query(query: Any) -> MetricQuery:
    if not isinstance(query, Mapping) or not isinstance(query.get("Id"), str):
        raise InvalidInput("metrics", "every query is a mapping with an Id")
    fields = _query_fields(query)
    unit = (query.get("MetricStat") or {}).get("Unit")
    if unit is not None:
        fields["unit"] = unit
    return MetricQuery(**fields)


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
        """``data`` parsed (``None`` when there is none).

        Raises:
            UnreadableResponse: AWS's data is not JSON.
        """
        if self.data is None:
            return None
        try:
            return json.loads(self.data)
        except ValueError as exc:
            raise UnreadableResponse(
                f"the history data of alarm {self.alarm_name!r} is not JSON",
                raw=self.data,
                operation="DescribeAlarmHistory",
            ) from exc

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
