"""Metric data: the ``MetricDatum`` model and the pure rules for sending it.

``PutMetricData`` takes at most 1000 metrics and 1 MB per request, at most 150 values per
datum and 30 dimensions; values must be finite and within 2**-360..2**360 in magnitude,
timestamps at most two weeks old and two hours ahead. [fold][awskit.cloudwatch.fold] turns data into
request entries (repeated values of one metric become ``Values``/``Counts``) and
[plan_batches][awskit.cloudwatch.plan_batches] packs them under those limits. No client here: the
facade sends.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator
from typing_extensions import Self

from .._errors import InvalidInput
from .models import (
    Number,
    Unit,
    UnitName,
    _Model,
    _whole,
    check_dimensions,
    check_metric_name,
)

__all__ = [
    "MAX_METRICS_PER_REQUEST",
    "MAX_REQUEST_BYTES",
    "MAX_VALUES_PER_DATUM",
    "Metric",
    "MetricDatum",
    "MetricSeries",
    "StatisticSet",
    "check_namespace",
    "check_timestamps",
    "entry_size",
    "fold",
    "plan_batches",
]

MAX_METRICS_PER_REQUEST = 1000
MAX_VALUES_PER_DATUM = 150
#: PutMetricData's 1 MB request limit, less room for the namespace and the envelope.
MAX_REQUEST_BYTES = 1_000_000 - 4096
PAST = dt.timedelta(days=14)
FUTURE = dt.timedelta(hours=2)
_LARGEST = 2.0**360
_SMALLEST = 2.0**-360


def check_value(field: str, value: float) -> float:
    """A value CloudWatch stores: finite, and 0 or within 2**-360..2**360 in magnitude."""
    if not math.isfinite(value):
        raise InvalidInput(field, "NaN and infinity are not accepted by CloudWatch")
    magnitude = abs(value)
    if magnitude > _LARGEST or 0 < magnitude < _SMALLEST:
        raise InvalidInput(field, "must be 0 or within 2**-360 to 2**360 in magnitude")
    return value


class StatisticSet(_Model):
    """Pre-aggregated values (``StatisticValues``): sample count, sum, minimum, maximum."""

    sample_count: Number = Field(gt=0, allow_inf_nan=False)
    sum: Number = Field(allow_inf_nan=False)
    minimum: Number = Field(allow_inf_nan=False)
    maximum: Number = Field(allow_inf_nan=False)

    if TYPE_CHECKING:

        def __init__(
            self, *, sample_count: float, sum: float, minimum: float, maximum: float
        ) -> None: ...

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        for name in ("sum", "minimum", "maximum"):
            check_value(f"statistic_values.{name}", getattr(self, name))
        if self.minimum > self.maximum:
            raise InvalidInput("statistic_values", "minimum must not exceed maximum")
        return self


class MetricDatum(_Model):
    """One data point, many values of one metric, or a statistic set.

    Give exactly one of ``value``, ``values`` (with optional ``counts``: how often each
    value occurred) or ``statistic_values``. ``timestamp`` defaults to the time AWS
    receives it; a naive datetime is taken as UTC. ``storage_resolution`` is 1 (high
    resolution) or 60 seconds.

    Checked on construction, each an [InvalidInput][awskit.InvalidInput] naming the field:
    ``name`` is 1-255 characters without control characters; dimension names (1-255) and
    values (1-1024) are ASCII without control characters, and a name does not start with
    ``:``; values are numbers (``True`` and ``"12.5"`` are refused, not converted), finite
    (AWS refuses NaN and infinity) and 0 or within 2**-360..2**360 in magnitude.

    Example:
        ```python
        MetricDatum(name="Latency", value=12.5, unit="Milliseconds", dimensions={"Route": "/"})
        ```
    """

    name: str
    value: Number | None = Field(default=None, allow_inf_nan=False)
    values: list[Number] | None = None
    counts: list[Number] | None = None
    statistic_values: StatisticSet | None = None
    unit: Unit | None = None
    dimensions: dict[str, str] = Field(default_factory=dict)
    timestamp: dt.datetime | None = None
    storage_resolution: Annotated[Literal[1, 60], BeforeValidator(_whole)] | None = None

    if TYPE_CHECKING:
        # What type checkers see: ``unit`` also takes its strings (pydantic converts).
        def __init__(
            self,
            *,
            name: str,
            value: float | None = None,
            values: Sequence[float] | None = None,
            counts: Sequence[float] | None = None,
            statistic_values: StatisticSet | None = None,
            unit: Unit | UnitName | None = None,
            dimensions: Mapping[str, str] = ...,
            timestamp: dt.datetime | None = None,
            storage_resolution: Literal[1, 60] | None = None,
        ) -> None: ...

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_metric_name("name", value)

    @field_validator("dimensions")
    @classmethod
    def _dimensions(cls, value: dict[str, str]) -> dict[str, str]:
        return check_dimensions("dimensions", value)

    @field_validator("value")
    @classmethod
    def _value(cls, value: float | None) -> float | None:
        return None if value is None else check_value("value", value)

    @field_validator("values")
    @classmethod
    def _values(cls, value: list[float] | None) -> list[float] | None:
        if value is not None:
            if not value:
                raise InvalidInput("values", "must not be empty")
            for item in value:
                check_value("values", item)
        return value

    @field_validator("counts")
    @classmethod
    def _counts(cls, value: list[float] | None) -> list[float] | None:
        for count in value or ():
            if not math.isfinite(count) or count < 0:
                raise InvalidInput("counts", "every count must be a finite number >= 0")
        return value

    @field_validator("timestamp")
    @classmethod
    def _timestamp(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        given = [self.value is not None, self.values is not None, self.statistic_values is not None]
        if sum(given) != 1:
            raise InvalidInput("value", "give exactly one of value, values or statistic_values")
        if self.counts is not None:
            if self.values is None:
                raise InvalidInput("counts", "only goes with values")
            if len(self.counts) != len(self.values):
                raise InvalidInput("counts", "must have as many entries as values")
        return self


def check_namespace(namespace: str) -> str:
    """A custom namespace: 1-255 printable ASCII characters (PutMetricData's rule), not
    starting with ``:`` or ``AWS/``."""
    if not isinstance(namespace, str) or not 1 <= len(namespace) <= 255:
        raise InvalidInput("namespace", "must be 1 to 255 characters")
    if namespace.startswith((":", "AWS/")):
        raise InvalidInput("namespace", "must not start with ':' or 'AWS/' (reserved by AWS)")
    if any(ord(c) < 32 or ord(c) == 127 for c in namespace):
        raise InvalidInput("namespace", "must not contain control characters")
    if not namespace.isascii():
        raise InvalidInput("namespace", "must be ASCII (CloudWatch refuses other characters)")
    return namespace


def check_timestamps(data: Sequence[MetricDatum], now: dt.datetime) -> None:
    """Every timestamp within two weeks before ``now`` and two hours after it."""
    for index, datum in enumerate(data):
        if datum.timestamp is None:
            continue
        if datum.timestamp < now - PAST:
            raise InvalidInput("timestamp", f"data[{index}] is older than two weeks")
        if datum.timestamp > now + FUTURE:
            raise InvalidInput("timestamp", f"data[{index}] is more than two hours ahead")


_Key = tuple[str, tuple[tuple[str, str], ...], str | None, dt.datetime | None, int | None]


def _base_entry(key: _Key) -> dict[str, Any]:
    name, dimensions, unit, timestamp, resolution = key
    entry: dict[str, Any] = {"MetricName": name}
    if dimensions:
        entry["Dimensions"] = [{"Name": n, "Value": v} for n, v in dimensions]
    if unit is not None:
        entry["Unit"] = unit
    if timestamp is not None:
        entry["Timestamp"] = timestamp
    if resolution is not None:
        entry["StorageResolution"] = resolution
    return entry


def fold(data: Iterable[MetricDatum]) -> list[dict[str, Any]]:
    """``PutMetricData`` entries for ``data``, repeated values folded into Values/Counts.

    Values of one metric (same name, dimensions, unit, timestamp and resolution) are
    counted together and sent as at most 150 distinct values per entry; a metric seen
    once with one value stays a plain ``Value``. Statistic sets are sent as they are.
    The multiset of (metric, value) with counts is exactly that of the input.
    """
    groups: dict[_Key, dict[float, float]] = {}
    entries: list[tuple[_Key, dict[str, Any] | None]] = []
    for datum in data:
        key: _Key = (
            datum.name,
            tuple(sorted(datum.dimensions.items())),
            None if datum.unit is None else datum.unit.value,
            datum.timestamp,
            datum.storage_resolution,
        )
        if datum.statistic_values is not None:
            stats = datum.statistic_values
            entry = _base_entry(key)
            entry["StatisticValues"] = {
                "SampleCount": stats.sample_count,
                "Sum": stats.sum,
                "Minimum": stats.minimum,
                "Maximum": stats.maximum,
            }
            entries.append((key, entry))
            continue
        counts = groups.get(key)
        if counts is None:
            counts = groups[key] = {}
            entries.append((key, None))
        if datum.value is not None:
            values: Sequence[float] = (check_value("value", datum.value),)
            weights: Sequence[float] = (1.0,)
        else:
            values = datum.values or ()
            weights = datum.counts if datum.counts is not None else [1.0] * len(values)
        for value, weight in zip(values, weights, strict=True):
            check_value("values", value)
            counts[value] = counts.get(value, 0.0) + weight
    out: list[dict[str, Any]] = []
    for key, fixed in entries:
        if fixed is not None:
            out.append(fixed)
            continue
        items = list(groups[key].items())
        if len(items) == 1 and items[0][1] == 1.0:
            out.append({**_base_entry(key), "Value": items[0][0]})
            continue
        for start in range(0, len(items), MAX_VALUES_PER_DATUM):
            chunk = items[start : start + MAX_VALUES_PER_DATUM]
            out.append(
                {
                    **_base_entry(key),
                    "Values": [value for value, _ in chunk],
                    "Counts": [count for _, count in chunk],
                }
            )
    return out


# Sizes are estimated for the query protocol, the largest encoding botocore may use for
# CloudWatch (releases before smithy-rpc-v2-cbor speak it): every field is a key such as
# "MetricData.member.1000.Dimensions.member.30.Value=" plus a percent-encoded value
# (3 bytes per UTF-8 byte at worst), so a batch that fits here fits in any protocol.
_KEY = 64
_NUMBER = 32


def _text(value: str) -> int:
    return _KEY + 3 * len(value.encode("utf-8"))


def entry_size(entry: Mapping[str, Any]) -> int:
    """An upper bound of the bytes ``entry`` takes in a ``PutMetricData`` request."""
    size = _text(entry["MetricName"])
    for dimension in entry.get("Dimensions", ()):
        size += _text(dimension["Name"]) + _text(dimension["Value"])
    if "Unit" in entry:
        size += _text(entry["Unit"])
    for name in ("Timestamp", "StorageResolution", "Value"):
        if name in entry:
            size += _KEY + _NUMBER
    size += (_KEY + _NUMBER) * (len(entry.get("Values", ())) + len(entry.get("Counts", ())))
    if "StatisticValues" in entry:
        size += 4 * (_KEY + _NUMBER)
    return size


def plan_batches(
    entries: Sequence[Mapping[str, Any]],
    *,
    max_metrics: int = MAX_METRICS_PER_REQUEST,
    max_bytes: int = MAX_REQUEST_BYTES,
) -> list[list[Mapping[str, Any]]]:
    """Pack ``entries`` in order into requests of at most ``max_metrics`` and ``max_bytes``."""
    batches: list[list[Mapping[str, Any]]] = []
    current: list[Mapping[str, Any]] = []
    used = 0
    for entry in entries:
        size = entry_size(entry)
        if size > max_bytes:
            raise InvalidInput("data", f"one datum of {entry['MetricName']!r} is over 1 MB")
        if current and (len(current) >= max_metrics or used + size > max_bytes):
            batches.append(current)
            current, used = [], 0
        current.append(entry)
        used += size
    if current:
        batches.append(current)
    return batches


@dataclass(frozen=True)
class Metric:
    """A metric as ``ListMetrics`` names it."""

    namespace: str
    name: str
    dimensions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_aws(cls, item: Mapping[str, Any]) -> Metric:
        """Read one ``Metrics`` item."""
        return cls(
            namespace=item.get("Namespace", ""),
            name=item.get("MetricName", ""),
            dimensions={d.get("Name", ""): d.get("Value", "") for d in item.get("Dimensions", ())},
        )


@dataclass
class MetricSeries:
    """The values of one ``metric_data`` query across every page.

    ``status`` is ``Complete`` unless AWS said ``PartialData`` (more than asked for),
    ``InternalError`` or ``Forbidden``; ``messages`` are AWS's (code, text) notes.
    """

    id: str
    label: str = ""
    timestamps: list[dt.datetime] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    status: str = "Complete"
    messages: list[tuple[str, str]] = field(default_factory=list)

    @property
    def points(self) -> list[tuple[dt.datetime, float]]:
        """(timestamp, value) pairs."""
        return list(zip(self.timestamps, self.values, strict=False))
