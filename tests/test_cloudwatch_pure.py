"""awskit.cloudwatch's pure rules, no endpoint: folding and batching of metric data, deletion
plans, statistics and periods, and pydantic errors surfacing as InvalidInput."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import awskit
from awskit.cloudwatch import (
    Alarm,
    CompositeAlarm,
    MetricDatum,
    MetricMathAlarm,
    MetricQuery,
    StatisticSet,
    fold,
    plan_batches,
    plan_deletions,
)
from awskit.cloudwatch.metrics import (
    MAX_METRICS_PER_REQUEST,
    MAX_REQUEST_BYTES,
    MAX_VALUES_PER_DATUM,
    check_namespace,
    check_timestamps,
    entry_size,
)
from awskit.cloudwatch.models import check_period, is_extended_statistic
from tests.conftest import CPU_ALARM

WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)

values_st = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda v: round(v, 1))
small_values = st.sampled_from([0.0, 1.0, 2.5, -3.0, 100.0])


@st.composite
def datums(draw: st.DrawFn) -> MetricDatum:
    common: dict[str, Any] = {
        "name": draw(st.sampled_from(["A", "B", "Ünïcode"])),
        "dimensions": draw(st.sampled_from([{}, {"Host": "h1"}, {"Host": "h2", "Az": "a"}])),
        "unit": draw(st.sampled_from([None, "Seconds", "Count"])),
        "timestamp": draw(st.sampled_from([None, WHEN, WHEN + dt.timedelta(seconds=1)])),
        "storage_resolution": draw(st.sampled_from([None, 1, 60])),
    }
    kind = draw(st.sampled_from(["value", "values", "counts", "stats"]))
    pool = draw(st.sampled_from([small_values, values_st]))
    if kind == "value":
        return MetricDatum(value=draw(pool), **common)
    if kind == "stats":
        low, high = sorted(draw(st.lists(values_st, min_size=2, max_size=2)))
        stats = StatisticSet(sample_count=3, sum=low + high, minimum=low, maximum=high)
        return MetricDatum(statistic_values=stats, **common)
    values = draw(st.lists(pool, min_size=1, max_size=320))
    if kind == "values":
        return MetricDatum(values=values, **common)
    counts = draw(st.lists(st.integers(0, 5), min_size=len(values), max_size=len(values)))
    return MetricDatum(values=values, counts=[float(c) for c in counts], **common)


def _key(entry: dict[str, Any]) -> tuple[Any, ...]:
    dims = tuple(sorted((d["Name"], d["Value"]) for d in entry.get("Dimensions", ())))
    return (
        entry["MetricName"],
        dims,
        entry.get("Unit"),
        entry.get("Timestamp"),
        entry.get("StorageResolution"),
    )


def _expected(data: list[MetricDatum]) -> tuple[Counter[Any], Counter[Any]]:
    values: Counter[Any] = Counter()
    stats: Counter[Any] = Counter()
    for d in data:
        key = (
            d.name,
            tuple(sorted(d.dimensions.items())),
            d.unit.value if d.unit else None,
            d.timestamp,
            d.storage_resolution,
        )
        if d.statistic_values is not None:
            s = d.statistic_values
            stats[(key, s.sample_count, s.sum, s.minimum, s.maximum)] += 1
        elif d.value is not None:
            values[(key, d.value)] += 1.0
        else:
            assert d.values is not None
            for v, c in zip(d.values, d.counts or [1.0] * len(d.values), strict=True):
                values[(key, v)] += c
    return values, stats


def _folded(entries: list[dict[str, Any]]) -> tuple[Counter[Any], Counter[Any]]:
    values: Counter[Any] = Counter()
    stats: Counter[Any] = Counter()
    for e in entries:
        key = _key(e)
        if "StatisticValues" in e:
            s = e["StatisticValues"]
            stats[(key, s["SampleCount"], s["Sum"], s["Minimum"], s["Maximum"])] += 1
        elif "Value" in e:
            values[(key, e["Value"])] += 1.0
        else:
            for v, c in zip(e["Values"], e["Counts"], strict=True):
                values[(key, v)] += c
    return values, stats


@settings(max_examples=80, deadline=None)
@given(st.lists(datums(), max_size=25))
def test_fold_preserves_the_multiset(data: list[MetricDatum]) -> None:
    entries = fold(data)
    assert _folded(entries) == _expected(data)
    for entry in entries:
        values = entry.get("Values", ())
        assert len(values) <= MAX_VALUES_PER_DATUM
        assert len(set(values)) == len(values)  # repeats were folded into Counts
        assert len(entry.get("Dimensions", ())) <= 30
        assert not ("Value" in entry and "Values" in entry)


@st.composite
def entries(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(0, 60))
    out = []
    for i in range(n):
        entry: dict[str, Any] = {"MetricName": draw(st.sampled_from(["a", "métrique" * 20]))}
        if draw(st.booleans()):
            k = draw(st.integers(1, MAX_VALUES_PER_DATUM))
            entry["Values"] = [float(j) for j in range(k)]
            entry["Counts"] = [1.0] * k
        else:
            entry["Value"] = float(i)
        entry["Dimensions"] = [
            {"Name": f"d{j}", "Value": "v" * draw(st.integers(1, 1024))}
            for j in range(draw(st.integers(0, 3)))
        ]
        entry["Id"] = i  # only to follow each entry through the plan
        out.append(entry)
    return out


@settings(max_examples=60, deadline=None)
@given(entries(), st.integers(1, 25), st.floats(1.0, 6.0))
def test_batches_hold_every_entry_once_under_every_limit(
    items: list[dict[str, Any]], max_metrics: int, room: float
) -> None:
    largest = max((entry_size(e) for e in items), default=1)
    max_bytes = int(largest * room)
    batches = plan_batches(items, max_metrics=max_metrics, max_bytes=max_bytes)
    assert [e["Id"] for batch in batches for e in batch] == list(range(len(items)))
    for batch in batches:
        assert 1 <= len(batch) <= max_metrics
        assert sum(entry_size(e) for e in batch) <= max_bytes


def test_an_entry_over_the_byte_limit_is_refused() -> None:
    entry = {"MetricName": "m", "Values": [1.0] * 150, "Counts": [1.0] * 150}
    with pytest.raises(awskit.InvalidInput) as info:
        plan_batches([entry], max_bytes=entry_size(entry) - 1)
    assert info.value.field == "data"


def test_batches_under_the_real_limits() -> None:
    many = [{"MetricName": f"m{i}", "Value": 1.0} for i in range(2500)]
    assert [len(b) for b in plan_batches(many)] == [1000, 1000, 500]
    wide = [
        {"MetricName": "m", "Values": [float(v) for v in range(150)], "Counts": [1.0] * 150}
        for _ in range(200)
    ]
    batches = plan_batches(wide)
    assert len(batches) > 1
    assert all(sum(entry_size(e) for e in b) <= MAX_REQUEST_BYTES for b in batches)
    assert all(len(b) <= MAX_METRICS_PER_REQUEST for b in batches)


def test_entry_size_bounds_the_query_encoding() -> None:
    from urllib.parse import urlencode

    entry = {
        "MetricName": "Läténcy",
        "Dimensions": [{"Name": "Route", "Value": "/a b?c"}],
        "Unit": "Milliseconds",
        "Values": [1.5, 2.25e-10],
        "Counts": [3.0, 1.0],
        "Timestamp": WHEN,
    }
    flat = {
        "MetricData.member.1000.MetricName": entry["MetricName"],
        "MetricData.member.1000.Dimensions.member.1.Name": "Route",
        "MetricData.member.1000.Dimensions.member.1.Value": "/a b?c",
        "MetricData.member.1000.Unit": "Milliseconds",
        "MetricData.member.1000.Values.member.1": "1.5",
        "MetricData.member.1000.Values.member.2": repr(2.25e-10),
        "MetricData.member.1000.Counts.member.1": "3.0",
        "MetricData.member.1000.Counts.member.2": "1.0",
        "MetricData.member.1000.Timestamp": WHEN.isoformat(),
    }
    assert len(urlencode(flat)) < entry_size(entry)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=5), max_size=400, unique=True), st.data())
def test_deletion_plans(names: list[str], data: st.DataObject) -> None:
    composites = set(
        data.draw(st.lists(st.sampled_from(names), unique=True) if names else st.just([]))
    )
    plan = plan_deletions(names, composites)
    assert sorted(name for call in plan for name in call) == sorted(names)
    for call in plan:
        assert 1 <= len(call) <= 100
        assert sum(1 for name in call if name in composites) <= 1
    assert len(plan) == max(math.ceil(len(names) / 100), len(composites))


@given(st.integers(-100, 100_000))
def test_periods(period: int) -> None:
    allowed = period in (10, 20, 30) or (period > 0 and period % 60 == 0)
    if allowed:
        assert check_period("period", period) == period
    else:
        with pytest.raises(awskit.InvalidInput):
            check_period("period", period)


@pytest.mark.parametrize(
    "stat",
    [
        "p99",
        "p99.9",
        "p0",
        "p100",
        "tm90",
        "wm99",
        "tc90",
        "ts90",
        "TM(10%:90%)",
        "TM(:95%)",
        "TS(5%:)",
        "PR(10:100)",
        "PR(:300)",
        "IQM",
    ],
)
def test_extended_statistics_accepted(stat: str) -> None:
    assert is_extended_statistic(stat)
    assert Alarm(**{**CPU_ALARM, "statistic": stat}).extended_statistic == stat


@pytest.mark.parametrize(
    "stat", ["p101", "P99", "p", "tm", "median", "TM(:)", "PR(a:b)", "average"]
)
def test_extended_statistics_refused(stat: str) -> None:
    assert not is_extended_statistic(stat)
    with pytest.raises(awskit.InvalidInput) as info:
        Alarm(**{**CPU_ALARM, "statistic": stat})
    assert info.value.field == "statistic"


def test_validation_errors_surface_as_invalid_input() -> None:
    with pytest.raises(awskit.InvalidInput) as info:
        Alarm(**{**CPU_ALARM, "comparison": "Bigger"})
    assert info.value.field == "comparison"
    assert "GreaterThanThreshold" in info.value.reason
    assert isinstance(info.value, ValueError)
    assert info.value.__cause__ is not None  # pydantic's report stays reachable

    with pytest.raises(awskit.InvalidInput) as nested:
        Alarm(**{**CPU_ALARM, "dimensions": {"InstanceId": 5}})
    assert nested.value.field == "dimensions"
    assert "InstanceId" in nested.value.reason

    with pytest.raises(awskit.InvalidInput) as missing:
        Alarm(name="x")  # type: ignore[call-arg]
    assert missing.value.field in {"comparison", "evaluation_periods"}


def test_math_and_composite_rules() -> None:
    metric = {"namespace": "N", "metric_name": "M", "stat": "Sum", "period": 60}
    base: dict[str, Any] = {
        "name": "m",
        "comparison": "GreaterThanThreshold",
        "evaluation_periods": 1,
    }
    two_returning = [MetricQuery(id="a", **metric), MetricQuery(id="b", expression="a*2")]
    cases: list[tuple[str, dict[str, Any]]] = [
        ("metrics", {**base, "threshold": 1, "metrics": two_returning}),
        ("metrics", {**base, "threshold": 1, "metrics": []}),
        ("threshold", {**base, "metrics": [MetricQuery(id="a", **metric)]}),
        (
            "comparison",
            {
                **base,
                "comparison": "LessThanLowerThreshold",
                "threshold": 1,
                "metrics": [MetricQuery(id="a", **metric)],
            },
        ),
        (
            "threshold_metric_id",
            {**base, "threshold": 1, "threshold_metric_id": "b", "metrics": two_returning},
        ),
    ]
    for field, kwargs in cases:
        with pytest.raises(awskit.InvalidInput) as info:
            MetricMathAlarm(**kwargs)
        assert info.value.field == field, kwargs

    for field, query in [
        ("metric_name", {"id": "a"}),
        ("stat", {"id": "a", "namespace": "N", "metric_name": "M", "period": 60}),
        ("stat", {"id": "a", **metric, "stat": "Mean"}),
        ("period", {"id": "a", **metric, "period": 61}),
        ("id", {"id": "1a", "expression": "1"}),
    ]:
        with pytest.raises(awskit.InvalidInput) as info:
            MetricQuery(**query)
        assert info.value.field == field

    with pytest.raises(awskit.InvalidInput) as suppressor:
        CompositeAlarm(name="c", rule="TRUE", actions_suppressor="arn:x")
    assert suppressor.value.field == "actions_suppressor"
    with pytest.raises(awskit.InvalidInput) as rule:
        CompositeAlarm(name="c", rule="")
    assert rule.value.field == "rule"


def test_metric_datum_rules() -> None:
    for field, kwargs in [
        ("value", {"name": "x", "value": 1, "values": [1]}),
        ("counts", {"name": "x", "value": 1, "counts": [1]}),
        ("counts", {"name": "x", "values": [1], "counts": [-1]}),
        ("values", {"name": "x", "values": []}),
        (
            "statistic_values",
            {
                "name": "x",
                "statistic_values": {"sample_count": 1, "sum": 1, "minimum": 2, "maximum": 1},
            },
        ),
        ("name", {"name": "", "value": 1}),
        ("value", {"name": "x", "value": 2.0**-400}),
    ]:
        with pytest.raises(awskit.InvalidInput) as info:
            MetricDatum(**kwargs)
        assert info.value.field == field, kwargs
    naive = MetricDatum(name="x", value=0.0, timestamp=dt.datetime(2026, 1, 1))
    assert naive.timestamp == WHEN
    check_timestamps([naive], WHEN + dt.timedelta(days=13))
    with pytest.raises(awskit.InvalidInput, match=r"data\[0\]"):
        check_timestamps([naive], WHEN + dt.timedelta(days=15))


@given(st.text(min_size=1, max_size=40))
def test_a_namespace_is_printable_ascii_as_put_metric_data_says(namespace: str) -> None:
    # PutMetricData: "ASCII characters ... except for control characters"; AWS/ and a
    # leading colon are reserved.
    accepted = (
        namespace.isascii()
        and all(32 <= ord(c) < 127 for c in namespace)
        and not namespace.startswith((":", "AWS/"))
    )
    if accepted:
        assert check_namespace(namespace) == namespace
    else:
        with pytest.raises(awskit.InvalidInput) as info:
            check_namespace(namespace)
        assert info.value.field == "namespace"
