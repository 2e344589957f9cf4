"""Reading CloudWatch is lenient, writing is strict.

Alarms made by plain boto3 calls through moto's server, in the shapes AWS documents (an
anomaly-detection band, metric math over several queries), and through botocore's Stubber
what moto cannot hold (composite alarms, enum values AWS may add, shapes awskit does not
model): every one is listed, gettable and deletable, and nothing read from AWS is ever
``InvalidInput``. What awskit sends is checked first: metric and dimension names and
values, numbers that are bools; a refused value sends no request (``before-send`` hook).
"""

from __future__ import annotations

import datetime as dt
import math
import string
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import awskit
from awskit._local import DUMMY_CREDENTIALS
from awskit.cloudwatch import (
    Alarm,
    AlarmHistoryItem,
    AlarmState,
    AnomalyAlarm,
    CompositeAlarm,
    MetricDatum,
    MetricMathAlarm,
    MetricQuery,
    StatisticSet,
    UnknownAlarm,
    UnreadableResponse,
    alarm_kind,
)
from awskit.cloudwatch.models import alarm_from_aws, alarm_from_request
from tests.conftest import CPU_ALARM

NOW = dt.datetime.now(dt.timezone.utc)
BOTH = {"AlarmTypes": ["MetricAlarm", "CompositeAlarm"], "MaxRecords": 100}

# The AWS CLI's anomaly-detection example (AWS Knowledge Center, "create a CloudWatch alarm
# based on anomaly detection"): the band's ReturnData is left to its default, true.
CLI_ANOMALY: dict[str, Any] = {
    "AlarmName": "EC2_NetworkIn_Anomaly_Alarm",
    "AlarmDescription": "Trigger when EC2 NetworkIn is outside normal traffic volume",
    "Metrics": [
        {
            "Id": "m1",
            "ReturnData": True,
            "MetricStat": {
                "Metric": {
                    "MetricName": "NetworkIn",
                    "Namespace": "AWS/EC2",
                    "Dimensions": [{"Name": "InstanceId", "Value": "i-024de5ace7c560660"}],
                },
                "Stat": "Average",
                "Period": 300,
            },
        },
        {"Id": "t1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"},
    ],
    "EvaluationPeriods": 2,
    "ThresholdMetricId": "t1",
    "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold",
}

# Terraform's aws_cloudwatch_metric_alarm anomaly example: both queries say return_data.
TERRAFORM_ANOMALY: dict[str, Any] = {
    "AlarmName": "ec2-cpu-anomaly",
    "ComparisonOperator": "GreaterThanUpperThreshold",
    "EvaluationPeriods": 2,
    "ThresholdMetricId": "e1",
    "Metrics": [
        {
            "Id": "e1",
            "Expression": "ANOMALY_DETECTION_BAND(m1)",
            "Label": "CPUUtilization (Expected)",
            "ReturnData": True,
        },
        {
            "Id": "m1",
            "ReturnData": True,
            "MetricStat": {
                "Metric": {
                    "MetricName": "CPUUtilization",
                    "Namespace": "AWS/EC2",
                    "Dimensions": [{"Name": "InstanceId", "Value": "i-abc123"}],
                },
                "Period": 120,
                "Stat": "Average",
                "Unit": "Count",
            },
        },
    ],
}

# PutMetricAlarm's metric-math shape: one expression watched, its inputs hidden.
ERROR_RATE: dict[str, Any] = {
    "AlarmName": "error-rate",
    "ComparisonOperator": "GreaterThanThreshold",
    "Threshold": 5.0,
    "EvaluationPeriods": 3,
    "Metrics": [
        {"Id": "e1", "Expression": "100 * m1 / m2", "Label": "Error %"},
        {
            "Id": "m1",
            "ReturnData": False,
            "MetricStat": {
                "Metric": {"MetricName": "Errors", "Namespace": "MyApp"},
                "Stat": "Sum",
                "Period": 60,
            },
        },
        {
            "Id": "m2",
            "ReturnData": False,
            "MetricStat": {
                "Metric": {"MetricName": "Requests", "Namespace": "MyApp"},
                "Stat": "Sum",
                "Period": 60,
            },
        },
    ],
}


class SentRequests:
    """Requests a client puts on the wire (botocore's ``before-send`` hook)."""

    def __init__(self, client: Any, service: str = "cloudwatch") -> None:
        self.count = 0
        client.meta.events.register(f"before-send.{service}", self._sent)

    def _sent(self, **_: Any) -> None:
        self.count += 1


@pytest.fixture(scope="module")
def boto3_session() -> boto3.Session:
    return boto3.Session(region_name="us-east-1", **DUMMY_CREDENTIALS)


@pytest.fixture
def offline(boto3_session: boto3.Session, fast_retry: awskit.RetryPolicy) -> awskit.Session:
    """A session whose endpoint is never reached: every call is answered by a Stubber."""
    return awskit.connect(
        session=boto3_session, endpoint_url="http://127.0.0.1:9", retry=fast_retry
    )


@pytest.fixture
def stub(offline: awskit.Session) -> Iterator[Stubber]:
    with Stubber(offline.cloudwatch.client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def metric_item(name: str, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "AlarmName": name,
        "AlarmArn": f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}",
        "StateValue": "OK",
        "StateUpdatedTimestamp": NOW,
        "MetricName": "CPUUtilization",
        "Namespace": "AWS/EC2",
        "Statistic": "Average",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 70.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    item.update(extra)
    return item


# -- alarms made by plain boto3 through moto's server --------------------------------------------


@pytest.mark.parametrize("shape", [CLI_ANOMALY, TERRAFORM_ANOMALY], ids=["aws-cli", "terraform"])
def test_anomaly_alarm_is_listed_gettable_and_deletable(
    aws: awskit.Session, shape: dict[str, Any]
) -> None:
    cw = aws.cloudwatch
    name = shape["AlarmName"]
    cw.put_alarm(Alarm(**CPU_ALARM))  # type: ignore[arg-type]
    cw.client.put_metric_alarm(**shape)

    # The default listing (single-metric alarms) is not broken by the anomaly alarm.
    assert [a.name for a in cw.alarms()] == [CPU_ALARM["name"]]
    everything = {a.name: a for a in cw.alarms(types="all")}
    band = everything[name]
    assert isinstance(band, AnomalyAlarm) and alarm_kind(band) == "anomaly"
    assert band.threshold_metric_id == shape["ThresholdMetricId"]
    assert band.comparison.value == shape["ComparisonOperator"]
    assert band.watched is not None and band.watched.id == "m1"
    assert band.watched.metric_name in {"NetworkIn", "CPUUtilization"}
    assert band.raw is not None and band.raw["ThresholdMetricId"] == shape["ThresholdMetricId"]
    assert [a.name for a in cw.alarms(types="anomaly")] == [name]

    got = cw.alarm(name, types="anomaly")
    assert got is not None and got.threshold_metric_id == shape["ThresholdMetricId"]
    assert isinstance(cw.alarm(name, types="all"), AnomalyAlarm)
    with pytest.raises(awskit.AwskitError, match="anomaly alarm") as wrong:
        cw.alarm(name)
    assert not isinstance(wrong.value, awskit.InvalidInput)
    assert wrong.value.code == "WrongAlarmType"

    # What AWS holds passes awskit's own write rules: putting it back is accepted.
    cw.put_alarm(band)
    again = cw.alarm(name, types="anomaly")
    assert again is not None and again.metrics == band.metrics

    assert cw.delete_alarms([name]) == [name]
    assert cw.alarm(name, types="all") is None
    assert [a.name for a in cw.alarms(types="all")] == [CPU_ALARM["name"]]


def test_metric_math_alarm_over_several_queries(aws: awskit.Session) -> None:
    cw = aws.cloudwatch
    cw.client.put_metric_alarm(**ERROR_RATE)
    (rate,) = cw.alarms(types="math")
    assert isinstance(rate, MetricMathAlarm)
    assert [(q.id, q.return_data) for q in rate.metrics] == [
        ("e1", None),
        ("m1", False),
        ("m2", False),
    ]
    assert rate.threshold == 5.0
    assert cw.alarm("error-rate", types="math") == rate
    assert cw.delete_alarms(["error-rate"]) == ["error-rate"]


def test_a_shape_aws_refuses_is_still_read_but_not_written(aws: awskit.Session) -> None:
    # moto keeps a math alarm with two returning queries and no band; AWS would refuse it.
    # Reading must still work (an account may hold what an older API allowed); putting it
    # back through awskit is refused before sending.
    cw = aws.cloudwatch
    two = {**ERROR_RATE, "AlarmName": "two-returning"}
    two["Metrics"] = [{**q, "ReturnData": True} for q in ERROR_RATE["Metrics"][:2]]
    cw.client.put_metric_alarm(**two)
    (alarm,) = cw.alarms(types="all")
    assert isinstance(alarm, MetricMathAlarm)
    assert alarm.raw is not None and len(alarm.raw["Metrics"]) == 2
    sent = SentRequests(cw.client)
    with pytest.raises(awskit.InvalidInput) as info:
        cw.put_alarm(alarm)
    assert info.value.field == "metrics" and sent.count == 0
    assert cw.delete_alarms(["two-returning"]) == ["two-returning"]


# -- what moto cannot hold, through the Stubber ---------------------------------------------------


def odd_page() -> dict[str, Any]:
    """A DescribeAlarms page with every kind, values AWS may add, and shapes awskit lacks."""
    return {
        "MetricAlarms": [
            metric_item(
                "new-enums",
                StateValue="PENDING_EVALUATION",
                Unit="Fortnights",
                TreatMissingData="interpolate",
            ),
            metric_item("new-comparison", ComparisonOperator="GreaterThanPredictedThreshold"),
            metric_item("new-statistic", Statistic="Median"),
            metric_item("high-res", Period=1, ExtendedStatistic="p99.99.9", Statistic=None),
            {**CLI_ANOMALY, "StateValue": "ALARM"},
            {**ERROR_RATE, "StateValue": "INSUFFICIENT_DATA"},
        ],
        "CompositeAlarms": [
            {"AlarmName": "web-down", "AlarmRule": 'ALARM("cpu")', "StateValue": "ALARM"},
            {"AlarmName": "no-rule", "StateValue": "OK"},
        ],
    }


def _clean(page: dict[str, Any]) -> dict[str, Any]:
    for item in page["MetricAlarms"]:
        for key in [k for k, v in item.items() if v is None]:
            del item[key]
    return page


def test_every_kind_and_every_oddity_is_listed(stub: Stubber, offline: awskit.Session) -> None:
    cw = offline.cloudwatch
    stub.add_response("describe_alarms", _clean(odd_page()), BOTH)
    listed = {a.name: a for a in cw.alarms(types="all")}
    assert {name: alarm_kind(a) for name, a in listed.items()} == {
        "new-enums": "metric",
        "new-comparison": "unknown",
        "new-statistic": "unknown",
        "high-res": "metric",
        "EC2_NetworkIn_Anomaly_Alarm": "anomaly",
        "error-rate": "math",
        "web-down": "composite",
        "no-rule": "unknown",
    }
    # An enum value AWS added since reads as None on the nearest model; raw keeps it.
    new_enums = listed["new-enums"]
    assert isinstance(new_enums, Alarm)
    assert (new_enums.state, new_enums.unit, new_enums.treat_missing_data) == (None, None, None)
    assert new_enums.raw is not None and new_enums.raw["StateValue"] == "PENDING_EVALUATION"
    # Rules that only guard what awskit sends are not applied to what AWS holds.
    high_res = listed["high-res"]
    assert isinstance(high_res, Alarm)
    assert (high_res.period, high_res.extended_statistic) == (1, "p99.99.9")
    # What no model holds is the documented fallback, with the reason and AWS's item.
    unknown = listed["new-comparison"]
    assert isinstance(unknown, UnknownAlarm)
    assert "comparison" in unknown.reason and unknown.state is AlarmState.OK
    assert unknown.raw["ComparisonOperator"] == "GreaterThanPredictedThreshold"
    assert len({unknown, unknown}) == 1  # hashable, raw notwithstanding
    no_rule = listed["no-rule"]
    assert isinstance(no_rule, UnknownAlarm) and no_rule.composite
    assert isinstance(listed["web-down"], CompositeAlarm)

    # Each narrower listing asks for what it needs and is not broken by the rest.
    stub.add_response(
        "describe_alarms", _clean(odd_page()), {"AlarmTypes": ["MetricAlarm"], "MaxRecords": 100}
    )
    assert [a.name for a in cw.alarms()] == ["new-enums", "high-res"]
    stub.add_response(
        "describe_alarms", _clean(odd_page()), {"AlarmTypes": ["CompositeAlarm"], "MaxRecords": 100}
    )
    assert [a.name for a in cw.alarms(types="composite")] == ["web-down"]
    stub.add_response("describe_alarms", _clean(odd_page()), BOTH)
    assert [a.name for a in cw.alarms(types="unknown")] == [
        "new-comparison",
        "new-statistic",
        "no-rule",
    ]


def test_unknown_alarms_are_gettable_and_deletable(stub: Stubber, offline: awskit.Session) -> None:
    cw = offline.cloudwatch
    page = _clean(odd_page())
    one = {"MetricAlarms": [page["MetricAlarms"][1]]}
    stub.add_response("describe_alarms", one, {**BOTH, "AlarmNames": ["new-comparison"]})
    got = cw.alarm("new-comparison", types="all")
    assert isinstance(got, UnknownAlarm)
    stub.add_response("describe_alarms", one, {**BOTH, "AlarmNames": ["new-comparison"]})
    with pytest.raises(awskit.AwskitError, match="unknown alarm") as wrong:
        cw.alarm("new-comparison")
    assert not isinstance(wrong.value, awskit.InvalidInput)

    # An unknown composite still counts as a composite: one per DeleteAlarms call.
    names = ["new-comparison", "no-rule", "web-down"]
    stub.add_response(
        "describe_alarms",
        {"MetricAlarms": one["MetricAlarms"], "CompositeAlarms": page["CompositeAlarms"]},
        {**BOTH, "AlarmNames": names},
    )
    stub.add_response("delete_alarms", {}, {"AlarmNames": ["no-rule", "new-comparison"]})
    stub.add_response("delete_alarms", {}, {"AlarmNames": ["web-down"]})
    assert cw.delete_alarms(names) == ["no-rule", "new-comparison", "web-down"]

    # An UnknownAlarm cannot be put back: InvalidInput before any request.
    with pytest.raises(awskit.InvalidInput) as refused:
        cw.put_alarm(got)  # type: ignore[arg-type]
    assert refused.value.field == "alarm"


def test_an_alarm_without_a_name_is_a_distinct_error(
    stub: Stubber, offline: awskit.Session
) -> None:
    stub.add_response("describe_alarms", {"MetricAlarms": [{"StateValue": "OK"}]}, BOTH)
    with pytest.raises(UnreadableResponse) as info:
        list(offline.cloudwatch.alarms(types="all"))
    assert not isinstance(info.value, awskit.InvalidInput)
    assert isinstance(info.value, awskit.AwskitError)
    assert info.value.operation == "DescribeAlarms"
    assert "without a name" in str(info.value)


def test_history_data_that_is_not_json_is_a_distinct_error() -> None:
    item = AlarmHistoryItem.from_aws(
        {"AlarmName": "cpu", "HistoryItemType": "StateUpdate", "HistoryData": "{oops"}
    )
    with pytest.raises(UnreadableResponse, match="'cpu'"):
        _ = item.data_json


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
ALARM_KEYS = [
    "ComparisonOperator",
    "EvaluationPeriods",
    "Threshold",
    "ThresholdMetricId",
    "Metrics",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Period",
    "Unit",
    "Dimensions",
    "StateValue",
    "TreatMissingData",
    "DatapointsToAlarm",
    "AlarmActions",
    "ActionsEnabled",
    "AlarmRule",
]


@settings(max_examples=300)
@given(
    base=st.sampled_from([metric_item("x"), CLI_ANOMALY, ERROR_RATE]),
    changes=st.dictionaries(st.sampled_from(ALARM_KEYS), json_values, max_size=4),
    composite=st.booleans(),
)
def test_reading_never_raises_invalid_input(
    base: dict[str, Any], changes: dict[str, Any], composite: bool
) -> None:
    item = {**base, **changes, "AlarmName": "x"}
    alarm = alarm_from_aws(item, composite=composite)
    assert alarm.name == "x"
    assert alarm.raw == item


# -- anomaly alarms written by awskit ------------------------------------------------------------


M1 = MetricQuery(id="m1", namespace="AWS/EC2", metric_name="NetworkIn", stat="Average", period=300)


def test_anomaly_alarm_write_rules() -> None:
    band = MetricQuery(id="t1", expression="ANOMALY_DETECTION_BAND(m1, 2)")
    base: dict[str, Any] = {"name": "a", "evaluation_periods": 2, "threshold_metric_id": "t1"}
    good = AnomalyAlarm(**base, metrics=[M1, band])
    assert good.comparison.value == "LessThanLowerOrGreaterThanUpperThreshold"
    request = good.to_request()
    assert request["ThresholdMetricId"] == "t1" and "Threshold" not in request
    hidden = MetricQuery(id="m9", expression="m1 * 2", return_data=False)
    assert AnomalyAlarm(**base, metrics=[M1, band, hidden]).watched == M1
    for field, change in [
        ("comparison", {"comparison": "GreaterThanThreshold"}),
        ("threshold_metric_id", {"threshold_metric_id": "zz"}),
        ("threshold_metric_id", {"threshold_metric_id": "m1"}),
        ("metrics", {"metrics": [M1, band.model_copy(update={"return_data": False})]}),
        ("metrics", {"metrics": [M1, band, MetricQuery(id="e2", expression="m1 * 2")]}),
        ("metrics", {"metrics": [band]}),
        ("threshold", {"threshold": 1.0}),
        ("evaluation_periods", {"evaluation_periods": True}),
    ]:
        with pytest.raises(awskit.InvalidInput) as info:
            AnomalyAlarm(**{**base, "metrics": [M1, band], **change})
        assert info.value.field == field, change
    with pytest.raises(awskit.InvalidInput) as math_band:
        MetricMathAlarm(
            name="m",
            comparison="LessThanLowerThreshold",
            threshold=1,
            evaluation_periods=1,
            metrics=[M1],
        )
    assert "AnomalyAlarm" in math_band.value.reason


def test_around_builds_the_documented_shape(stub: Stubber, offline: awskit.Session) -> None:
    alarm = AnomalyAlarm.around(
        M1.model_copy(update={"dimensions": {"InstanceId": "i-024de5ace7c560660"}}),
        name="EC2_NetworkIn_Anomaly_Alarm",
        evaluation_periods=2,
        description="Trigger when EC2 NetworkIn is outside normal traffic volume",
    )
    request = alarm.to_request()
    expected = {**CLI_ANOMALY, "ThresholdMetricId": "band"}
    expected["Metrics"] = [
        {k: v for k, v in CLI_ANOMALY["Metrics"][0].items() if k != "ReturnData"},
        {"Id": "band", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"},
    ]
    assert {k: request[k] for k in expected} == expected
    stub.add_response("put_metric_alarm", {}, request)
    offline.cloudwatch.put_alarm(alarm)
    with pytest.raises(awskit.InvalidInput) as info:
        AnomalyAlarm.around(M1, name="x", evaluation_periods=1, std_devs=0)
    assert info.value.field == "std_devs"


def test_put_metric_alarm_json_is_read_strictly() -> None:
    assert isinstance(alarm_from_request(CLI_ANOMALY), AnomalyAlarm)
    assert isinstance(alarm_from_request(ERROR_RATE), MetricMathAlarm)
    for field, change in [
        ("unit", {"Unit": "Fortnights"}),
        ("comparison", {"ComparisonOperator": "Bigger"}),
        ("name", {"AlarmName": None}),
    ]:
        request = {**metric_item("x"), **change}
        request.pop("StateValue")
        with pytest.raises(awskit.InvalidInput) as info:
            alarm_from_request({k: v for k, v in request.items() if v is not None})
        assert info.value.field == field, change


# -- writing is strict: names, dimensions, numbers ---------------------------------------------


def text_ok(value: str, limit: int, ascii_only: bool) -> bool:
    """AWS's documented rules, written out: length, no control characters, not blank."""
    return (
        1 <= len(value) <= limit
        and all(
            ord(c) >= 32
            and not 127 <= ord(c) <= 159
            and not 0xD800 <= ord(c) <= 0xDFFF
            and (not ascii_only or ord(c) < 128)
            for c in value
        )
        and not value.isspace()
    )


texts = st.one_of(
    st.text(max_size=8),
    st.text(st.characters(exclude_categories=()), max_size=4),
    st.sampled_from(["", " ", "a\tb", "\x7f", "\x85", "é", "x" * 255, "x" * 256, "x" * 1025]),
    st.text(string.printable, max_size=6),
)


@given(name=texts, key=texts, value=texts)
def test_metric_datum_names_and_dimensions(name: str, key: str, value: str) -> None:
    ok = (
        text_ok(name, 255, False)
        and text_ok(key, 255, True)
        and not key.startswith(":")
        and text_ok(value, 1024, True)
    )
    if ok:
        datum = MetricDatum(name=name, value=1.0, dimensions={key: value})
        assert datum.dimensions == {key: value}
    else:
        with pytest.raises(awskit.InvalidInput) as info:
            MetricDatum(name=name, value=1.0, dimensions={key: value})
        assert info.value.field in {"name", "dimensions"}


numbers = st.one_of(
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, max_value=10**6),
    st.text(string.digits, min_size=1, max_size=3),
    st.none(),
)


def number_ok(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return False
    number = float(value)
    return math.isfinite(number) and (number == 0 or 2.0**-360 <= abs(number) <= 2.0**360)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=texts, key=texts, value=numbers)
def test_put_metrics_sends_exactly_what_is_accepted(
    aws: awskit.Session, name: str, key: str, value: object
) -> None:
    cw = aws.cloudwatch
    sent = SentRequests(cw.client)
    accepted = (
        text_ok(name, 255, False)
        and text_ok(key, 255, True)
        and not key.startswith(":")
        and number_ok(value)
    )
    if accepted:
        cw.put_metrics("Checks", [MetricDatum(name=name, value=value, dimensions={key: "v"})])  # type: ignore[arg-type]
        assert sent.count == 1
    else:
        with pytest.raises(awskit.InvalidInput):
            cw.put_metrics("Checks", [MetricDatum(name=name, value=value, dimensions={key: "v"})])  # type: ignore[arg-type]
        assert sent.count == 0


@pytest.mark.parametrize(
    ("field", "make"),
    [
        ("value", lambda: MetricDatum(name="x", value=True)),
        ("value", lambda: MetricDatum(name="x", value="12.5")),  # type: ignore[arg-type]
        ("values", lambda: MetricDatum(name="x", values=[1.0, False])),
        ("counts", lambda: MetricDatum(name="x", values=[1.0], counts=[True])),
        ("storage_resolution", lambda: MetricDatum(name="x", value=1, storage_resolution=True)),  # type: ignore[arg-type]
        (
            "sample_count",
            lambda: MetricDatum(
                name="x",
                statistic_values=StatisticSet(sample_count=True, sum=1, minimum=1, maximum=1),
            ),
        ),
        ("name", lambda: MetricDatum(name="Latency\n", value=1)),
        ("name", lambda: MetricDatum(name="\ud800", value=1)),
        ("dimensions", lambda: MetricDatum(name="x", value=1, dimensions={"Route\x00": "/"})),
        ("dimensions", lambda: MetricDatum(name="x", value=1, dimensions={"Route": "/\x1b[31m"})),
        ("dimensions", lambda: MetricDatum(name="x", value=1, dimensions={"Route": "/café"})),
        ("dimensions", lambda: MetricDatum(name="x", value=1, dimensions={":Route": "/"})),
        ("dimensions", lambda: MetricDatum(name="x", value=1, dimensions={"Route": "  "})),
        ("threshold", lambda: Alarm(**{**CPU_ALARM, "threshold": True})),
        ("evaluation_periods", lambda: Alarm(**{**CPU_ALARM, "evaluation_periods": True})),
        ("period", lambda: Alarm(**{**CPU_ALARM, "period": 60.0})),
        ("actions_enabled", lambda: Alarm(**{**CPU_ALARM, "actions_enabled": "false"})),
        ("metric_name", lambda: Alarm(**{**CPU_ALARM, "metric_name": "CPU\x00"})),
        ("namespace", lambda: Alarm(**{**CPU_ALARM, "namespace": "AWS/EC2\n"})),
        ("dimensions", lambda: Alarm(**{**CPU_ALARM, "dimensions": {"InstanceId": "i-\x7f"}})),
        ("return_data", lambda: MetricQuery(id="e", expression="1", return_data="false")),  # type: ignore[arg-type]
        (
            "metric_name",
            lambda: MetricQuery(id="m", namespace="N", metric_name="\x00", stat="Sum", period=60),
        ),
    ],
)
def test_strict_inputs_are_invalid_before_anything_is_sent(
    field: str, make: Any, aws: awskit.Session
) -> None:
    sent = SentRequests(aws.cloudwatch.client)
    with pytest.raises(awskit.InvalidInput) as info:
        aws.cloudwatch.put_metrics("Checks", [make()])
    assert info.value.field == field
    assert sent.count == 0


def test_metric_listing_filters_are_checked(aws: awskit.Session) -> None:
    sent = SentRequests(aws.cloudwatch.client)
    for field, call in [
        ("name", lambda: aws.cloudwatch.metrics(name="Latency\x00")),
        ("namespace", lambda: aws.cloudwatch.metrics(namespace="My\nApp")),
        ("dimensions", lambda: aws.cloudwatch.metrics(dimensions={"Route\t": None})),
    ]:
        with pytest.raises(awskit.InvalidInput) as info:
            list(call())
        assert info.value.field == field
    assert sent.count == 0
