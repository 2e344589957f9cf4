"""awskit.cloudwatch against moto's server (seed workflow, every method, bulk) and, where moto
is lax, botocore's Stubber with the shapes AWS documents (paging, INSUFFICIENT_DATA, composite
alarms, alarm history, throttling, no request on invalid input)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

import awskit
from awskit._local import DUMMY_CREDENTIALS
from awskit._paging import Cursor
from awskit.cloudwatch import (
    Alarm,
    AlarmHistoryItem,
    AlarmState,
    AlarmStateTimeout,
    Comparison,
    CompositeAlarm,
    MetricDatum,
    MetricMathAlarm,
    MetricQuery,
    Statistic,
    StatisticSet,
    Unit,
)
from tests.conftest import CPU_ALARM

SEED = {
    **CPU_ALARM,
    "actions_enabled": False,
    "description": "Alarm when server CPU exceeds 70%",
}
NOW = dt.datetime.now(dt.timezone.utc)


class Requests:
    """Every CloudWatch operation a client sends, with its parameters (botocore's public
    ``provide-client-params`` event)."""

    def __init__(self, client: Any) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        client.meta.events.register("provide-client-params.cloudwatch", self._record)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append((model.name, dict(params)))

    def count(self, operation: str) -> int:
        return sum(1 for name, _ in self.calls if name == operation)

    def params(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == operation]


@pytest.fixture(scope="module")
def boto3_session() -> boto3.Session:
    # One botocore session for the module: its loader keeps the parsed service model.
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


def metric_alarm_item(name: str, state: str = "OK", **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "AlarmName": name,
        "AlarmArn": f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}",
        "ActionsEnabled": True,
        "StateValue": state,
        "StateReason": "Unchecked: Initial alarm creation",
        "StateUpdatedTimestamp": NOW,
        "MetricName": "CPUUtilization",
        "Namespace": "AWS/EC2",
        "Statistic": "Average",
        "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}],
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 70.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    item.update(extra)
    return item


# -- the seed workflow ------------------------------------------------------------------------


def test_seed_workflow(aws: awskit.Session) -> None:
    cw = aws.cloudwatch
    requests = Requests(cw.client)

    # Create the alarm with every field of the seed.
    cw.put_alarm(Alarm(**SEED))  # type: ignore[arg-type]
    sent = requests.params("PutMetricAlarm")[0]
    assert sent == {
        "AlarmName": "Web_Server_CPU_Utilization",
        "ComparisonOperator": "GreaterThanThreshold",
        "EvaluationPeriods": 1,
        "MetricName": "CPUUtilization",
        "Namespace": "AWS/EC2",
        "Period": 60,
        "Statistic": "Average",
        "Threshold": 70.0,
        "ActionsEnabled": False,
        "AlarmDescription": "Alarm when server CPU exceeds 70%",
        "Dimensions": [{"Name": "InstanceId", "Value": "INSTANCE_ID"}],
        "Unit": "Seconds",
        "AlarmActions": [],
        "OKActions": [],
        "InsufficientDataActions": [],
    }

    # Read it back: every field as written, plus what AWS fills in.
    alarm = cw.alarm("Web_Server_CPU_Utilization")
    assert alarm is not None
    assert alarm.comparison is Comparison.GREATER_THAN_THRESHOLD
    assert alarm.statistic is Statistic.AVERAGE
    assert alarm.unit is Unit.SECONDS
    assert (alarm.metric_name, alarm.namespace, alarm.period) == ("CPUUtilization", "AWS/EC2", 60)
    assert (alarm.threshold, alarm.evaluation_periods, alarm.actions_enabled) == (70.0, 1, False)
    assert alarm.description == "Alarm when server CPU exceeds 70%"
    assert alarm.dimensions == {"InstanceId": "INSTANCE_ID"}
    assert alarm.state is AlarmState.OK  # moto starts alarms as OK; AWS as INSUFFICIENT_DATA
    assert alarm.arn is not None and alarm.arn.endswith(":alarm:Web_Server_CPU_Utilization")
    assert isinstance(alarm.state_updated_at, dt.datetime)

    # List alarms in a state (the seed asks INSUFFICIENT_DATA: none here, moto starts at OK).
    assert [a.name for a in cw.alarms(state=AlarmState.OK)] == ["Web_Server_CPU_Utilization"]
    assert list(cw.alarms(state=AlarmState.INSUFFICIENT_DATA)) == []
    assert requests.params("DescribeAlarms")[-1]["StateValue"] == "INSUFFICIENT_DATA"

    # Update it: the whole configuration is replaced.
    cw.put_alarm(Alarm(**{**SEED, "threshold": 80.0, "datapoints_to_alarm": 1}))  # type: ignore[arg-type]
    updated = cw.alarm("Web_Server_CPU_Utilization")
    assert updated is not None
    assert (updated.threshold, updated.datapoints_to_alarm) == (80.0, 1)
    assert len(list(cw.alarms())) == 1

    # Delete it.
    assert cw.delete_alarms(["Web_Server_CPU_Utilization"]) == ["Web_Server_CPU_Utilization"]
    assert cw.alarm("Web_Server_CPU_Utilization") is None
    assert list(cw.alarms(types="all")) == []


def test_seed_insufficient_data_follows_every_page(stub: Stubber, offline: awskit.Session) -> None:
    """moto never pages DescribeAlarms and starts alarms as OK: AWS's shapes, three pages."""
    expected = {"StateValue": "INSUFFICIENT_DATA", "AlarmTypes": ["MetricAlarm"], "MaxRecords": 100}
    pages = [[f"new-{p}-{i}" for i in range(100 if p < 2 else 37)] for p in range(3)]
    for number, names in enumerate(pages):
        response: dict[str, Any] = {
            "MetricAlarms": [
                metric_alarm_item(
                    name,
                    "INSUFFICIENT_DATA",
                    StateReason="Unchecked: Initial alarm creation",
                    StateUpdatedTimestamp=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
                )
                for name in names
            ],
            "CompositeAlarms": [],
        }
        if number < 2:
            response["NextToken"] = f"token-{number + 1}"
        params = dict(expected, NextToken=f"token-{number}") if number else expected
        stub.add_response("describe_alarms", response, params)

    listed = offline.cloudwatch.alarms(state=AlarmState.INSUFFICIENT_DATA)
    alarms = list(listed)
    assert [a.name for a in alarms] == [name for page in pages for name in page]
    assert all(a.state is AlarmState.INSUFFICIENT_DATA for a in alarms)
    assert alarms[0].state_reason == "Unchecked: Initial alarm creation"
    assert alarms[0].state_updated_at == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    assert listed.next_token is None


def test_alarms_limit_and_resume_token(stub: Stubber, offline: awskit.Session) -> None:
    stub.add_response(
        "describe_alarms",
        {"MetricAlarms": [metric_alarm_item(f"a{i}") for i in range(3)], "NextToken": "t1"},
    )
    listed = offline.cloudwatch.alarms(limit=2)
    assert [a.name for a in listed] == ["a0", "a1"]
    # Stopped inside the page: resuming must read that page again from a2, not skip it.
    assert listed.next_token == Cursor(None, 2)


# -- many alarms ------------------------------------------------------------------------------


def bulk_alarm(i: int) -> Alarm:
    return Alarm(
        name=f"bulk-{i:03d}",
        comparison=Comparison.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluation_periods=2,
        datapoints_to_alarm=1,
        metric_name="Errors",
        namespace="MyApp",
        period=300,
        statistic=Statistic.SUM,
        threshold=float(i),
        alarm_actions=[f"arn:aws:sns:us-east-1:123456789012:team-{i % 3}"],
    )


def test_250_alarms_listed_once_and_150_deleted(aws: awskit.Session) -> None:
    cw = aws.cloudwatch
    cw.put_alarms(bulk_alarm(i) for i in range(250))
    names = [a.name for a in cw.alarms()]
    assert sorted(names) == [f"bulk-{i:03d}" for i in range(250)]
    assert len(set(names)) == 250

    requests = Requests(cw.client)
    by_name = [a.name for a in cw.alarms(names=[f"bulk-{i:03d}" for i in range(250)])]
    assert sorted(by_name) == sorted(names)
    assert [len(p["AlarmNames"]) for p in requests.params("DescribeAlarms")] == [100, 100, 50]
    assert sorted(a.name for a in cw.alarms(prefix="bulk-24")) == [
        f"bulk-{i}" for i in range(240, 250)
    ]
    team1 = {a.name for a in cw.alarms(action_prefix="arn:aws:sns:us-east-1:123456789012:team-1")}
    assert team1 == {f"bulk-{i:03d}" for i in range(250) if i % 3 == 1}

    requests.calls.clear()
    doomed = [f"bulk-{i:03d}" for i in range(150)]
    deleted = cw.delete_alarms([*doomed, "never-existed"])
    assert sorted(deleted) == doomed
    assert [len(p["AlarmNames"]) for p in requests.params("DeleteAlarms")] == [100, 50]
    left = sorted(a.name for a in cw.alarms())
    assert left == [f"bulk-{i:03d}" for i in range(150, 250)]


def test_delete_alarms_of_none_sends_nothing(stub: Stubber, offline: awskit.Session) -> None:
    assert offline.cloudwatch.delete_alarms([]) == []
    assert list(offline.cloudwatch.alarms(names=[])) == []


# -- other alarm kinds, via Stubber (moto has no PutCompositeAlarm) -----------------------------


def test_composite_and_math_alarms(stub: Stubber, offline: awskit.Session) -> None:
    cw = offline.cloudwatch
    composite = CompositeAlarm(
        name="web-down",
        rule='ALARM("cpu-high") OR ALARM("error-rate")',
        alarm_actions=["arn:aws:sns:us-east-1:123456789012:pager"],
        actions_suppressor="arn:aws:cloudwatch:us-east-1:123456789012:alarm:maintenance",
        actions_suppressor_wait_period=60,
        actions_suppressor_extension_period=120,
    )
    stub.add_response(
        "put_composite_alarm",
        {},
        {
            "AlarmName": "web-down",
            "AlarmRule": 'ALARM("cpu-high") OR ALARM("error-rate")',
            "ActionsEnabled": True,
            "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:pager"],
            "OKActions": [],
            "InsufficientDataActions": [],
            "ActionsSuppressor": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:maintenance",
            "ActionsSuppressorWaitPeriod": 60,
            "ActionsSuppressorExtensionPeriod": 120,
        },
    )
    cw.put_alarm(composite)

    math_alarm = MetricMathAlarm(
        name="error-rate",
        comparison="GreaterThanThreshold",
        threshold=5.0,
        evaluation_periods=3,
        datapoints_to_alarm=2,
        metrics=[
            MetricQuery(id="rate", expression="100 * errors / requests", label="Error %"),
            MetricQuery(
                id="errors",
                namespace="MyApp",
                metric_name="Errors",
                stat="Sum",
                period=60,
                return_data=False,
            ),
            MetricQuery(
                id="requests",
                namespace="MyApp",
                metric_name="Requests",
                stat="p99",
                period=60,
                return_data=False,
            ),
        ],
    )
    request = math_alarm.to_request()
    stub.add_response("put_metric_alarm", {}, request)
    cw.put_alarm(math_alarm)
    assert request["Metrics"][1]["MetricStat"] == {
        "Metric": {"Namespace": "MyApp", "MetricName": "Errors"},
        "Period": 60,
        "Stat": "Sum",
    }

    described = {
        "MetricAlarms": [
            metric_alarm_item("cpu-high", "ALARM"),
            {**metric_alarm_item("error-rate"), "Metrics": request["Metrics"]},
        ],
        "CompositeAlarms": [
            {
                "AlarmName": "web-down",
                "AlarmRule": 'ALARM("cpu-high") OR ALARM("error-rate")',
                "StateValue": "ALARM",
                "ActionsSuppressedBy": "WaitPeriod",
            }
        ],
    }
    both = {"AlarmTypes": ["MetricAlarm", "CompositeAlarm"], "MaxRecords": 100}
    stub.add_response("describe_alarms", described, both)
    everything = list(cw.alarms(types="all"))
    assert [type(a) for a in everything] == [Alarm, MetricMathAlarm, CompositeAlarm]
    read_math = everything[1]
    assert isinstance(read_math, MetricMathAlarm)
    assert [q.id for q in read_math.metrics] == ["rate", "errors", "requests"]
    assert read_math.metrics[2].stat == "p99"
    read_composite = everything[2]
    assert isinstance(read_composite, CompositeAlarm)
    assert read_composite.state is AlarmState.ALARM
    assert read_composite.actions_suppressed_by == "WaitPeriod"

    stub.add_response(
        "describe_alarms", described, {"AlarmTypes": ["MetricAlarm"], "MaxRecords": 100}
    )
    assert [a.name for a in cw.alarms(types="math")] == ["error-rate"]
    stub.add_response(
        "describe_alarms", described, {"AlarmTypes": ["CompositeAlarm"], "MaxRecords": 100}
    )
    assert [a.name for a in cw.alarms(types="composite")] == ["web-down"]
    stub.add_response("describe_alarms", described, both)
    assert [a.name for a in cw.alarms(types=["metric", "composite"])] == ["cpu-high", "web-down"]

    # alarm(name) with the default kind refuses to pass a math alarm off as an Alarm.
    stub.add_response("describe_alarms", {"MetricAlarms": described["MetricAlarms"][1:]})
    with pytest.raises(awskit.AwskitError, match="math alarm"):
        cw.alarm("error-rate")
    stub.add_response("describe_alarms", {"CompositeAlarms": described["CompositeAlarms"]})
    assert isinstance(cw.alarm("web-down", types="all"), CompositeAlarm)


def test_delete_alarms_one_composite_per_call(stub: Stubber, offline: awskit.Session) -> None:
    names = ["c1", "m1", "c2", "m2", "m3", "gone"]
    stub.add_response(
        "describe_alarms",
        {
            "MetricAlarms": [metric_alarm_item(n) for n in ("m1", "m2", "m3")],
            "CompositeAlarms": [{"AlarmName": n, "AlarmRule": "TRUE"} for n in ("c1", "c2")],
        },
        {"AlarmNames": names, "AlarmTypes": ["MetricAlarm", "CompositeAlarm"], "MaxRecords": 100},
    )
    stub.add_response("delete_alarms", {}, {"AlarmNames": ["c1", "m1", "m2", "m3"]})
    stub.add_response("delete_alarms", {}, {"AlarmNames": ["c2"]})
    assert offline.cloudwatch.delete_alarms(names) == ["c1", "m1", "m2", "m3", "c2"]


def test_delete_alarms_reports_what_was_not_deleted(stub: Stubber, offline: awskit.Session) -> None:
    names = [f"m{i}" for i in range(150)]
    for chunk in (names[:100], names[100:]):
        stub.add_response(
            "describe_alarms",
            {"MetricAlarms": [metric_alarm_item(n) for n in chunk]},
            {
                "AlarmNames": chunk,
                "AlarmTypes": ["MetricAlarm", "CompositeAlarm"],
                "MaxRecords": 100,
            },
        )
    stub.add_response("delete_alarms", {}, {"AlarmNames": names[:100]})
    stub.add_client_error("delete_alarms", "ResourceNotFound", "gone meanwhile", 404)
    with pytest.raises(awskit.PartialFailure) as info:
        offline.cloudwatch.delete_alarms(names)
    assert info.value.failed == names[100:]
    assert info.value.code == "ResourceNotFound"


def test_put_alarms_partial_failure(stub: Stubber, offline: awskit.Session) -> None:
    alarms = [bulk_alarm(i) for i in range(3)]
    stub.add_response("put_metric_alarm", {}, alarms[0].to_request())
    stub.add_client_error("put_metric_alarm", "LimitExceeded", "too many alarms", 400)
    stub.add_response("put_metric_alarm", {}, alarms[2].to_request())
    with pytest.raises(awskit.PartialFailure) as info:
        offline.cloudwatch.put_alarms(alarms)
    assert info.value.failed == [alarms[1]]
    assert isinstance(info.value.last_error, awskit.AwskitError)
    assert info.value.last_error.code == "LimitExceeded"


def test_put_alarm_retries_throttling(stub: Stubber, offline: awskit.Session, sleeps: Any) -> None:
    alarm = bulk_alarm(1)
    stub.add_client_error("put_metric_alarm", "Throttling", "Rate exceeded", 400)
    stub.add_response("put_metric_alarm", {}, alarm.to_request())
    offline.cloudwatch.put_alarm(alarm)
    assert len(sleeps.calls) == 1


# -- state, actions, history ------------------------------------------------------------------


def test_set_state_wait_and_actions(aws: awskit.Session, sleeps: Any) -> None:
    cw = aws.cloudwatch
    cw.put_alarm(Alarm(**SEED))  # type: ignore[arg-type]
    name = SEED["name"]
    assert isinstance(name, str)

    cw.set_alarm_state(name, AlarmState.ALARM, reason="test", reason_data={"why": "drill"})
    alarm = cw.wait_for_state(name, "ALARM", timeout=30, interval=2)
    assert alarm.state is AlarmState.ALARM
    assert alarm.state_reason == "test"
    assert alarm.state_reason_data is not None and '"drill"' in alarm.state_reason_data
    assert sleeps.calls == []

    with pytest.raises(AlarmStateTimeout) as info:
        cw.wait_for_state(name, AlarmState.OK, timeout=10, interval=3)
    assert isinstance(info.value, TimeoutError)
    assert info.value.alarm.state is AlarmState.ALARM
    assert sleeps.calls == [3, 3, 3, 1]

    with pytest.raises(awskit.NotFound):
        cw.wait_for_state("no-such-alarm", AlarmState.OK, timeout=1)
    with pytest.raises(awskit.NotFound):
        cw.set_alarm_state("no-such-alarm", AlarmState.OK, reason="x")

    cw.enable_actions([name])
    enabled = cw.alarm(name)
    assert enabled is not None and enabled.actions_enabled is True
    cw.disable_actions([name])
    disabled = cw.alarm(name)
    assert disabled is not None and disabled.actions_enabled is False


def test_alarm_history_every_page(stub: Stubber, offline: awskit.Session) -> None:
    base = {
        "AlarmName": "cpu-high",
        "AlarmTypes": ["MetricAlarm", "CompositeAlarm"],
        "HistoryItemType": "StateUpdate",
        "ScanBy": "TimestampDescending",
        "MaxRecords": 100,
        "StartDate": ANY,
    }

    def item(i: int) -> dict[str, Any]:
        return {
            "AlarmName": "cpu-high",
            "AlarmType": "MetricAlarm",
            "Timestamp": NOW - dt.timedelta(minutes=i),
            "HistoryItemType": "StateUpdate",
            "HistorySummary": f"Alarm updated from OK to ALARM ({i})",
            "HistoryData": '{"newState": {"stateValue": "ALARM"}}',
        }

    stub.add_response(
        "describe_alarm_history",
        {"AlarmHistoryItems": [item(i) for i in range(100)], "NextToken": "h1"},
        base,
    )
    stub.add_response(
        "describe_alarm_history",
        {"AlarmHistoryItems": [item(i) for i in range(100, 120)]},
        {**base, "NextToken": "h1"},
    )
    history = list(
        offline.cloudwatch.alarm_history(
            "cpu-high", type="StateUpdate", start=NOW - dt.timedelta(days=1)
        )
    )
    assert len(history) == 120
    assert all(isinstance(h, AlarmHistoryItem) for h in history)
    assert history[5].summary == "Alarm updated from OK to ALARM (5)"
    assert history[5].data_json == {"newState": {"stateValue": "ALARM"}}
    assert history[0].timestamp is not None and history[0].timestamp > history[119].timestamp


# -- metrics ----------------------------------------------------------------------------------


def test_put_2500_metrics_in_three_requests(aws: awskit.Session) -> None:
    cw = aws.cloudwatch
    requests = Requests(cw.client)
    when = NOW - dt.timedelta(minutes=5)
    data = [
        MetricDatum(
            name="Latency",
            value=float(i),
            unit="Milliseconds",
            dimensions={"Host": f"h{i:04d}"},
            timestamp=when,
        )
        for i in range(2500)
    ]
    cw.put_metrics("MyApp", data)
    assert requests.count("PutMetricData") == 3
    assert [len(p["MetricData"]) for p in requests.params("PutMetricData")] == [1000, 1000, 500]

    # moto stored every one: 2500 distinct metrics (ListMetrics pages at 500)...
    listed = list(cw.metrics(namespace="MyApp", name="Latency"))
    assert len(listed) == 2500
    assert {m.dimensions["Host"] for m in listed} == {f"h{i:04d}" for i in range(2500)}
    assert requests.count("ListMetrics") == 5
    # ...and every value.
    query = MetricQuery(
        id="all", namespace="MyApp", metric_name="Latency", stat="SampleCount", period=3600
    )
    total = MetricQuery(
        id="total", namespace="MyApp", metric_name="Latency", stat="Sum", period=3600
    )
    series = cw.metric_data([query, total], NOW - dt.timedelta(minutes=30), NOW)
    assert sum(series["all"].values) == 2500
    assert sum(series["total"].values) == sum(range(2500))
    one = list(cw.metrics(namespace="MyApp", dimensions={"Host": "h0042"}))
    assert [m.dimensions for m in one] == [{"Host": "h0042"}]


def test_put_metrics_folds_repeated_values(aws: awskit.Session) -> None:
    cw = aws.cloudwatch
    requests = Requests(cw.client)
    when = NOW - dt.timedelta(minutes=2)
    data = [MetricDatum(name="Queue", value=float(i % 10), timestamp=when) for i in range(1000)]
    data += [MetricDatum(name="Queue", values=[3.0, 500.0], counts=[2, 4], timestamp=when)]
    data += [
        MetricDatum(
            name="Batch",
            statistic_values=StatisticSet(sample_count=4, sum=10, minimum=1, maximum=4),
            timestamp=when,
        )
    ]
    cw.put_metrics("MyApp", data)
    (sent,) = requests.params("PutMetricData")
    queue = [e for e in sent["MetricData"] if e["MetricName"] == "Queue"]
    assert len(queue) == 1
    folded = dict(zip(queue[0]["Values"], queue[0]["Counts"], strict=True))
    assert folded == {**{float(v): 100.0 for v in range(10)}, 3.0: 102.0, 500.0: 4.0}

    start, end = NOW - dt.timedelta(minutes=30), NOW
    series = cw.metric_data(
        [
            MetricQuery(
                id="n", namespace="MyApp", metric_name="Queue", stat="SampleCount", period=3600
            ),
            MetricQuery(id="s", namespace="MyApp", metric_name="Queue", stat="Sum", period=3600),
            MetricQuery(id="b", namespace="MyApp", metric_name="Batch", stat="Sum", period=3600),
            MetricQuery(id="double", expression="s * 2"),
        ],
        start,
        end,
    )
    assert sum(series["n"].values) == 1006
    expected_sum = sum(i % 10 for i in range(1000)) + 2 * 3 + 4 * 500
    assert sum(series["s"].values) == expected_sum
    assert sum(series["b"].values) == 10
    assert series["s"].points[0][1] == series["s"].values[0]


def test_put_metrics_throttling_and_partial_failure(
    stub: Stubber, offline: awskit.Session, sleeps: Any
) -> None:
    data = [MetricDatum(name="X", value=1.0, dimensions={"N": str(i)}) for i in range(1500)]
    stub.add_client_error("put_metric_data", "Throttling", "Rate exceeded", 400)
    stub.add_response("put_metric_data", {}, {"Namespace": "MyApp", "MetricData": ANY})
    attempts = offline.retry.max_attempts
    for _ in range(attempts):  # a 500 that outlives every attempt of the one retry rule
        stub.add_client_error("put_metric_data", "InternalFailure", "boom", 500)
    with pytest.raises(awskit.PartialFailure) as info:
        offline.cloudwatch.put_metrics("MyApp", data)
    assert [e["Dimensions"][0]["Value"] for e in info.value.failed] == [
        str(i) for i in range(1000, 1500)
    ]
    assert info.value.code == "InternalFailure"
    assert "1 of 2 requests succeeded" in str(info.value)
    # The throttle, retried once; the 500, retried until attempts ran out.
    assert len(sleeps.calls) == 1 + attempts - 1
    stub.assert_no_pending_responses()


def test_put_metrics_first_request_error_is_translated(
    stub: Stubber, offline: awskit.Session
) -> None:
    stub.add_client_error("put_metric_data", "AccessDenied", "not allowed", 403)
    with pytest.raises(awskit.AwskitError) as info:
        offline.cloudwatch.put_metrics("MyApp", [MetricDatum(name="X", value=1.0)])
    assert not isinstance(info.value, awskit.PartialFailure)
    assert info.value.code == "AccessDenied"


def test_metric_data_merges_every_page(stub: Stubber, offline: awskit.Session) -> None:
    stamps = [NOW - dt.timedelta(minutes=m) for m in range(6)]
    query = MetricQuery(
        id="cpu", namespace="AWS/EC2", metric_name="CPUUtilization", stat="Average", period=60
    )
    expected = {
        "MetricDataQueries": [query.to_request()],
        "StartTime": ANY,
        "EndTime": ANY,
        "ScanBy": "TimestampAscending",
        "MaxDatapoints": 6,
    }
    stub.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                {
                    "Id": "cpu",
                    "Label": "CPU",
                    "Timestamps": stamps[:3],
                    "Values": [1.0, 2.0, 3.0],
                    "StatusCode": "PartialData",
                }
            ],
            "NextToken": "p2",
        },
        expected,
    )
    stub.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                {
                    "Id": "cpu",
                    "Label": "CPU",
                    "Timestamps": stamps[3:],
                    "Values": [4.0, 5.0, 6.0],
                    "StatusCode": "Complete",
                    "Messages": [{"Code": "MaxDatapointsExceeded", "Value": "trimmed"}],
                }
            ]
        },
        {**expected, "NextToken": "p2"},
    )
    series = offline.cloudwatch.metric_data(
        [query], NOW - dt.timedelta(hours=1), NOW, max_datapoints=6
    )
    assert list(series) == ["cpu"]
    cpu = series["cpu"]
    assert cpu.values == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert cpu.timestamps == stamps
    assert (cpu.label, cpu.status) == ("CPU", "Complete")
    assert cpu.messages == [("MaxDatapointsExceeded", "trimmed")]


# -- invalid input: InvalidInput naming the field, and no request at all -------------------------


def seed(**change: Any) -> Callable[[], Any]:
    return lambda: Alarm(**{**SEED, **change})


INVALID_ALARMS: list[tuple[str, Callable[[], Any]]] = [
    ("period", seed(period=45)),
    ("period", seed(period=90)),
    ("period", seed(period=0)),
    ("dimensions", seed(dimensions={f"d{i}": "v" for i in range(31)})),
    ("alarm_actions", seed(alarm_actions=[f"arn:aws:sns:us-east-1:1:t{i}" for i in range(6)])),
    ("ok_actions", seed(ok_actions=[f"arn:aws:sns:us-east-1:1:t{i}" for i in range(6)])),
    (
        "insufficient_data_actions",
        seed(insufficient_data_actions=[f"arn:aws:sns:us-east-1:1:t{i}" for i in range(6)]),
    ),
    ("threshold", seed(threshold=math.nan)),
    ("threshold", seed(threshold=math.inf)),
    ("threshold", seed(threshold="seventy")),
    ("datapoints_to_alarm", seed(evaluation_periods=2, datapoints_to_alarm=3)),
    ("evaluation_periods", seed(evaluation_periods=0)),
    ("evaluation_periods", seed(evaluation_periods=1441)),
    ("comparison", seed(comparison="GreaterThanThreshhold")),
    ("comparison", seed(comparison="GreaterThanUpperThreshold")),
    ("statistic", seed(statistic="Averge")),
    ("statistic", seed(statistic="p101")),
    ("statistic", seed(statistic=None)),
    ("statistic", seed(extended_statistic="p99")),
    ("extended_statistic", seed(statistic=None, extended_statistic="median")),
    ("unit", seed(unit="Second")),
    ("treat_missing_data", seed(treat_missing_data="Breaching")),
    ("name", seed(name="")),
    ("name", seed(name="x" * 256)),
    ("name", seed(name="tab\there")),
    ("description", seed(description="d" * 1025)),
    ("tresholds", seed(tresholds=1)),
    ("namespace", seed(namespace=":odd")),
]


@pytest.mark.parametrize(("field", "make"), INVALID_ALARMS)
def test_invalid_alarm_fields(
    field: str, make: Callable[[], Any], stub: Stubber, offline: awskit.Session
) -> None:
    with pytest.raises(awskit.InvalidInput) as info:
        offline.cloudwatch.put_alarm(make())
    assert info.value.field == field
    assert isinstance(info.value, ValueError)
    assert field in str(info.value)


def test_assignment_after_construction_is_checked_on_put(
    stub: Stubber, offline: awskit.Session
) -> None:
    alarm = Alarm(**SEED)  # type: ignore[arg-type]
    alarm.period = 45
    with pytest.raises(awskit.InvalidInput) as info:
        offline.cloudwatch.put_alarm(alarm)
    assert info.value.field == "period"
    with pytest.raises(awskit.InvalidInput) as many:
        offline.cloudwatch.put_alarms([bulk_alarm(0), alarm])
    assert many.value.field == "period"


def test_percentile_statistic_becomes_extended(stub: Stubber, offline: awskit.Session) -> None:
    alarm = Alarm(**{**SEED, "statistic": "p99.9"})  # type: ignore[arg-type]
    assert (alarm.statistic, alarm.extended_statistic) == (None, "p99.9")
    request = alarm.to_request()
    assert "Statistic" not in request and request["ExtendedStatistic"] == "p99.9"
    stub.add_response("put_metric_alarm", {}, request)
    offline.cloudwatch.put_alarm(alarm)


INVALID_CALLS: list[tuple[str, Callable[[awskit.Session], Any]]] = [
    ("state", lambda aws: aws.cloudwatch.set_alarm_state("a", "ALARMING", reason="x")),
    ("state", lambda aws: aws.cloudwatch.alarms(state="Ok")),
    ("state", lambda aws: aws.cloudwatch.wait_for_state("a", "DONE", 1)),
    ("reason", lambda aws: aws.cloudwatch.set_alarm_state("a", "OK", reason="r" * 1024)),
    ("reason_data", lambda aws: aws.cloudwatch.set_alarm_state("a", "OK", reason_data="{no")),
    ("prefix", lambda aws: aws.cloudwatch.alarms(prefix="a", names=["b"])),
    ("names", lambda aws: aws.cloudwatch.alarms(names="one-name")),
    ("names", lambda aws: aws.cloudwatch.delete_alarms("one-name")),
    ("names", lambda aws: aws.cloudwatch.enable_actions([""])),
    ("types", lambda aws: aws.cloudwatch.alarms(types="metrics")),  # type: ignore[call-overload]
    ("type", lambda aws: aws.cloudwatch.alarm_history("a", type="State")),
    ("alarm", lambda aws: aws.cloudwatch.put_alarm({"name": "a"})),  # type: ignore[arg-type]
    ("namespace", lambda aws: aws.cloudwatch.put_metrics("AWS/EC2", [])),
    ("namespace", lambda aws: aws.cloudwatch.put_metrics("", [])),
    ("value", lambda aws: aws.cloudwatch.put_metrics("A", [MetricDatum(name="x", value=math.nan)])),
    (
        "value",
        lambda aws: aws.cloudwatch.put_metrics("A", [MetricDatum(name="x", value=-math.inf)]),
    ),
    ("value", lambda aws: aws.cloudwatch.put_metrics("A", [MetricDatum(name="x", value=1e109)])),
    (
        "values",
        lambda aws: aws.cloudwatch.put_metrics("A", [MetricDatum(name="x", values=[1, math.inf])]),
    ),
    (
        "counts",
        lambda aws: aws.cloudwatch.put_metrics(
            "A", [MetricDatum(name="x", values=[1], counts=[1, 2])]
        ),
    ),
    ("value", lambda aws: aws.cloudwatch.put_metrics("A", [MetricDatum(name="x")])),
    (
        "timestamp",
        lambda aws: aws.cloudwatch.put_metrics(
            "A", [MetricDatum(name="x", value=1, timestamp=NOW - dt.timedelta(days=15))]
        ),
    ),
    (
        "timestamp",
        lambda aws: aws.cloudwatch.put_metrics(
            "A", [MetricDatum(name="x", value=1, timestamp=NOW + dt.timedelta(hours=3))]
        ),
    ),
    (
        "dimensions",
        lambda aws: aws.cloudwatch.put_metrics(
            "A", [MetricDatum(name="x", value=1, dimensions={str(i): "v" for i in range(31)})]
        ),
    ),
    (
        "storage_resolution",
        lambda aws: aws.cloudwatch.put_metrics(
            "A", [MetricDatum(name="x", value=1, storage_resolution=5)]
        ),  # type: ignore[arg-type]
    ),
    (
        "unit",
        lambda aws: aws.cloudwatch.put_metrics("A", [MetricDatum(name="x", value=1, unit="ms")]),
    ),  # type: ignore[arg-type]
    ("data", lambda aws: aws.cloudwatch.put_metrics("A", [{"name": "x", "value": 1}])),  # type: ignore[list-item]
    ("queries", lambda aws: aws.cloudwatch.metric_data([], NOW - dt.timedelta(hours=1), NOW)),
    (
        "start",
        lambda aws: aws.cloudwatch.metric_data(
            [MetricQuery(id="e", expression="1")], NOW, NOW - dt.timedelta(hours=1)
        ),
    ),
    (
        "id",
        lambda aws: aws.cloudwatch.metric_data(
            [MetricQuery(id="Upper", expression="1")], NOW - dt.timedelta(hours=1), NOW
        ),
    ),
    (
        "dimensions",
        lambda aws: aws.cloudwatch.metrics(dimensions={str(i): None for i in range(11)}),
    ),
]


@pytest.mark.parametrize(("field", "call"), INVALID_CALLS)
def test_invalid_calls_send_nothing(
    field: str, call: Callable[[awskit.Session], Any], stub: Stubber, offline: awskit.Session
) -> None:
    with pytest.raises(awskit.InvalidInput) as info:
        call(offline)
    assert info.value.field == field
