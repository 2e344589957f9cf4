"""awskit.aio CloudWatch beyond put/list/delete: put_alarms, set_alarm_state, wait_for_state,
enable/disable_actions, alarm_history, metric_data, metrics.

One test body is driven through both APIs (``api`` is "blocking" or "asyncio"): against
moto's server where moto is faithful, and against botocore's Stubber (``AioStubber`` on
asyncio) with the shapes AWS documents where moto is lax (it has no DescribeAlarmHistory,
never pages GetMetricData, starts every alarm OK). The fault proxy attacks the async retry
rule and the transport errors.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import boto3
import pytest
from botocore.stub import ANY, Stubber

import awskit
import awskit.aio
from awskit._local import DUMMY_CREDENTIALS, LocalEndpoint
from awskit._paging import Cursor
from awskit.cloudwatch import (
    Alarm,
    AlarmHistoryItem,
    AlarmState,
    AlarmStateTimeout,
    CompositeAlarm,
    Metric,
    MetricDatum,
    MetricQuery,
)
from tests.aio.conftest import AsyncSleeps, aio_session, require_aio
from tests.aio.test_aio_cloudwatch import Requests
from tests.conftest import CPU_ALARM, SleepRecorder, make_session
from tests.faults import FaultProxy
from tests.test_cloudwatch import metric_alarm_item

require_aio()

R = TypeVar("R")
NOW = dt.datetime.now(dt.timezone.utc)
#: Nothing listens there: a stubbed client never reaches it, anything else fails loudly.
OFFLINE = "http://127.0.0.1:9"
#: An async or blocking test body: the session, the stubber (None on moto), the recorded sleeps.
Body = Callable[[Any, Any, Any], Coroutine[Any, Any, None]]


async def _maybe(value: Awaitable[R] | R) -> R:
    if isinstance(value, Awaitable):
        return await value
    return value


async def _items(listing: Any) -> list[Any]:
    if hasattr(listing, "__aiter__"):
        return [item async for item in listing]
    return list(listing)


async def _client(aws: Any) -> Any:
    if isinstance(aws, awskit.aio.Session):
        return await aws.cloudwatch.client()
    return aws.cloudwatch.client


def alarm(i: int, **extra: Any) -> Alarm:
    return Alarm(**{**CPU_ALARM, "name": f"more-{i:03d}", **extra})


def reassigned(**change: Any) -> Alarm:
    """A valid alarm with fields assigned after construction (checked again on put)."""
    made = alarm(9)
    for key, value in change.items():
        setattr(made, key, value)
    return made


@pytest.fixture(scope="module")
def boto3_session() -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=DUMMY_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=DUMMY_CREDENTIALS["aws_secret_access_key"],
        region_name="us-east-1",
    )


@pytest.fixture(params=["blocking", "asyncio"])
def on_moto(
    request: pytest.FixtureRequest,
    moto_endpoint: LocalEndpoint,
    sleeps: SleepRecorder,
    async_sleeps: AsyncSleeps,
) -> Callable[[Body], None]:
    """``on_moto(body)`` runs ``body(aws, None, sleeps)`` on a freshly reset moto server."""
    moto_endpoint.reset()

    def run(body: Body) -> None:
        if request.param == "blocking":
            aws = make_session(moto_endpoint.url, awskit.RetryPolicy(sleep=sleeps))
            asyncio.run(body(aws, None, sleeps))
            return

        async def main() -> None:
            async with aio_session(moto_endpoint.url, async_sleeps) as aws:
                await body(aws, None, async_sleeps)

        asyncio.run(main())

    return run


@pytest.fixture(params=["blocking", "asyncio"])
def stubbed(
    request: pytest.FixtureRequest,
    boto3_session: boto3.Session,
    sleeps: SleepRecorder,
    async_sleeps: AsyncSleeps,
) -> Callable[[Body], None]:
    """``stubbed(body)`` runs ``body(aws, stub, sleeps)`` on a session no request leaves:
    botocore's Stubber (``AioStubber``) answers, and must have no answer left at the end."""

    def run(body: Body) -> None:
        if request.param == "blocking":
            aws = awskit.connect(
                session=boto3_session,
                endpoint_url=OFFLINE,
                retry=awskit.RetryPolicy(sleep=sleeps),
            )
            with Stubber(aws.cloudwatch.client) as stub:
                asyncio.run(body(aws, stub, sleeps))
                stub.assert_no_pending_responses()
            return

        from aiobotocore.stub import AioStubber

        async def main() -> None:
            async with aio_session(OFFLINE, async_sleeps) as aws:
                with AioStubber(await aws.cloudwatch.client()) as stub:
                    await body(aws, stub, async_sleeps)
                    stub.assert_no_pending_responses()

        asyncio.run(main())

    return run


# -- on moto, both APIs --------------------------------------------------------------------------


def test_put_alarms_set_state_wait_and_actions(on_moto: Callable[[Body], None]) -> None:
    async def body(aws: Any, _: Any, sleeps: Any) -> None:
        cw = aws.cloudwatch
        requests = Requests(await _client(aws))
        await _maybe(cw.put_alarms(alarm(i, actions_enabled=False) for i in range(3)))
        assert len(requests.params("PutMetricAlarm")) == 3
        listed = await _items(cw.alarms(prefix="more-"))
        assert sorted(a.name for a in listed) == ["more-000", "more-001", "more-002"]

        name = "more-001"
        await _maybe(
            cw.set_alarm_state(name, AlarmState.ALARM, reason="test", reason_data={"why": "drill"})
        )
        found = await _maybe(cw.wait_for_state(name, "ALARM", timeout=30, interval=2))
        assert found.state is AlarmState.ALARM
        assert found.state_reason == "test"
        assert found.state_reason_data is not None
        assert json.loads(found.state_reason_data) == {"why": "drill"}
        assert sleeps.calls == []

        with pytest.raises(AlarmStateTimeout) as info:
            await _maybe(cw.wait_for_state(name, AlarmState.OK, timeout=10, interval=3))
        assert isinstance(info.value, TimeoutError)
        assert info.value.alarm.name == name
        assert info.value.alarm.state is AlarmState.ALARM
        # Waited through the session's sleep, and never past the timeout.
        assert sleeps.calls == [3, 3, 3, 1]
        assert len(requests.params("DescribeAlarms")) == 1 + 1 + 5

        with pytest.raises(awskit.NotFound):
            await _maybe(cw.wait_for_state("no-such-alarm", AlarmState.OK, timeout=1))
        with pytest.raises(awskit.NotFound):
            await _maybe(cw.set_alarm_state("no-such-alarm", AlarmState.OK, reason="x"))

        await _maybe(cw.enable_actions([name, await _maybe(cw.alarm("more-002"))]))
        states = {a.name: a.actions_enabled for a in await _items(cw.alarms(prefix="more-"))}
        assert states == {"more-000": False, "more-001": True, "more-002": True}
        await _maybe(cw.disable_actions(["more-002"]))
        disabled = await _maybe(cw.alarm("more-002"))
        assert disabled is not None and disabled.actions_enabled is False

    on_moto(body)


def test_metrics_every_page_limit_and_metric_data(on_moto: Callable[[Body], None]) -> None:
    when = NOW - dt.timedelta(minutes=5)
    data = [
        MetricDatum(
            name="Latency", value=float(i), dimensions={"Host": f"h{i:04d}"}, timestamp=when
        )
        for i in range(1200)
    ]

    async def body(aws: Any, _: Any, sleeps: Any) -> None:
        cw = aws.cloudwatch
        await _maybe(cw.put_metrics("MyApp", data))
        requests = Requests(await _client(aws))

        listed = await _items(cw.metrics(namespace="MyApp", name="Latency"))
        assert all(isinstance(m, Metric) for m in listed)
        assert {m.dimensions["Host"] for m in listed} == {f"h{i:04d}" for i in range(1200)}
        assert len(listed) == 1200
        pages = requests.params("ListMetrics")
        assert len(pages) == 3  # ListMetrics answers 500 a page
        assert pages[0] == {"Namespace": "MyApp", "MetricName": "Latency"}
        assert pages[1]["NextToken"] and pages[2]["NextToken"]

        requests.calls.clear()
        first = cw.metrics(namespace="MyApp", limit=7)
        seven = await _items(first)
        assert [m.dimensions for m in seven] == [m.dimensions for m in listed[:7]]
        assert first.next_token == Cursor(None, 7)  # inside the first page
        assert len(requests.params("ListMetrics")) == 1
        most = cw.metrics(namespace="MyApp", limit=600)
        assert len(await _items(most)) == 600
        assert isinstance(most.next_token, Cursor) and most.next_token.skip == 100
        assert most.next_token.token == requests.params("ListMetrics")[-1]["NextToken"]
        exact = cw.metrics(namespace="MyApp", limit=500)
        await _items(exact)
        # A whole page read: the next page's own token, no cursor.
        assert isinstance(exact.next_token, str) and exact.next_token

        one = await _items(cw.metrics(namespace="MyApp", dimensions={"Host": "h0042"}))
        assert [m.dimensions for m in one] == [{"Host": "h0042"}]
        anyhost = await _items(cw.metrics(dimensions={"Host": None}, limit=3))
        assert len(anyhost) == 3

        series = await _maybe(
            cw.metric_data(
                [
                    MetricQuery(
                        id="n",
                        namespace="MyApp",
                        metric_name="Latency",
                        stat="SampleCount",
                        period=3600,
                    ),
                    MetricQuery(
                        id="s", namespace="MyApp", metric_name="Latency", stat="Sum", period=3600
                    ),
                    MetricQuery(id="twice", expression="s * 2"),
                ],
                NOW - dt.timedelta(minutes=30),
                NOW,
            )
        )
        assert sum(series["n"].values) == 1200
        assert sum(series["s"].values) == sum(range(1200))
        assert "twice" in series  # moto evaluates no expression: only the id comes back
        assert series["s"].points[0][1] == series["s"].values[0]

    on_moto(body)


# -- stubbed with AWS's shapes, both APIs ---------------------------------------------------------


def test_alarm_history_every_page_and_exact_resume_token(
    stubbed: Callable[[Body], None],
) -> None:
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

    def two_pages(stub: Any) -> None:
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

    async def body(aws: Any, stub: Any, _: Any) -> None:
        cw = aws.cloudwatch
        since = NOW - dt.timedelta(days=1)
        two_pages(stub)
        history = await _items(cw.alarm_history("cpu-high", type="StateUpdate", start=since))
        assert len(history) == 120
        assert all(isinstance(h, AlarmHistoryItem) for h in history)
        assert history[5].summary == "Alarm updated from OK to ALARM (5)"
        assert history[119].summary == "Alarm updated from OK to ALARM (119)"
        assert history[5].data_json == {"newState": {"stateValue": "ALARM"}}

        two_pages(stub)
        some = cw.alarm_history("cpu-high", type="StateUpdate", start=since, limit=105)
        assert some.next_token is None  # nothing read yet: the start
        assert len(await _items(some)) == 105
        assert some.next_token == Cursor("h1", 5)
        stub.add_response(
            "describe_alarm_history",
            {"AlarmHistoryItems": [item(i) for i in range(100)], "NextToken": "h1"},
            base,
        )
        whole = cw.alarm_history("cpu-high", type="StateUpdate", start=since, limit=100)
        assert len(await _items(whole)) == 100
        assert whole.next_token == "h1"

        stub.add_response(
            "describe_alarm_history",
            {"AlarmHistoryItems": [item(1)]},
            {
                "AlarmTypes": ["MetricAlarm", "CompositeAlarm"],
                "ScanBy": "TimestampAscending",
                "MaxRecords": 100,
                "StartDate": since,
                "EndDate": NOW,
            },
        )
        everyone = await _items(cw.alarm_history(start=since, end=NOW, newest_first=False))
        assert [h.alarm_name for h in everyone] == ["cpu-high"]

    stubbed(body)


def test_metric_data_merges_every_page(stubbed: Callable[[Body], None]) -> None:
    stamps = [NOW - dt.timedelta(minutes=m) for m in range(6)]
    query = MetricQuery(
        id="cpu", namespace="AWS/EC2", metric_name="CPUUtilization", stat="Average", period=60
    )
    other = MetricQuery(id="twice", expression="cpu * 2")
    expected = {
        "MetricDataQueries": [query.to_request(), other.to_request()],
        "StartTime": ANY,
        "EndTime": ANY,
        "ScanBy": "TimestampDescending",
        "MaxDatapoints": 6,
    }

    async def body(aws: Any, stub: Any, _: Any) -> None:
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
                    },
                    {"Id": "twice", "Timestamps": stamps[:1], "Values": [2.0]},
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
        series = await _maybe(
            aws.cloudwatch.metric_data(
                [query, other],
                NOW - dt.timedelta(hours=1),
                NOW,
                newest_first=True,
                max_datapoints=6,
            )
        )
        assert list(series) == ["cpu", "twice"]
        cpu = series["cpu"]
        assert cpu.values == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        assert cpu.timestamps == stamps
        assert (cpu.label, cpu.status) == ("CPU", "Complete")
        assert cpu.messages == [("MaxDatapointsExceeded", "trimmed")]
        assert series["twice"].points == [(stamps[0], 2.0)]

    stubbed(body)


def test_put_alarms_lists_exactly_the_alarms_not_put(stubbed: Callable[[Body], None]) -> None:
    alarms: list[Alarm | CompositeAlarm] = [alarm(0), alarm(1), alarm(2)]
    alarms.append(CompositeAlarm(name="both", rule='ALARM("more-000")'))

    async def body(aws: Any, stub: Any, _: Any) -> None:
        stub.add_response("put_metric_alarm", {}, alarms[0].to_request())
        stub.add_client_error("put_metric_alarm", "LimitExceeded", "too many alarms", 400)
        stub.add_response("put_metric_alarm", {}, alarms[2].to_request())
        stub.add_client_error("put_composite_alarm", "InvalidParameterValue", "bad rule", 400)
        with pytest.raises(awskit.PartialFailure) as info:
            await _maybe(aws.cloudwatch.put_alarms(iter(alarms)))
        assert info.value.failed == [alarms[1], alarms[3]]
        assert isinstance(info.value.last_error, awskit.AwskitError)
        assert info.value.last_error.code == "InvalidParameterValue"
        assert info.value.operation == "PutMetricAlarm"
        assert "2 of 4 alarms were not put" in str(info.value)

        stub.add_response("put_metric_alarm", {}, alarms[0].to_request())
        assert await _maybe(aws.cloudwatch.put_alarms([alarms[0]])) is None
        assert await _maybe(aws.cloudwatch.put_alarms([])) is None

    stubbed(body)


def test_actions_go_100_names_a_call(stubbed: Callable[[Body], None]) -> None:
    names = [f"a-{i:03d}" for i in range(250)]

    async def body(aws: Any, stub: Any, _: Any) -> None:
        for start in (0, 100, 200):
            stub.add_response(
                "enable_alarm_actions", {}, {"AlarmNames": names[start : start + 100]}
            )
        await _maybe(aws.cloudwatch.enable_actions([*names, names[0]]))
        stub.add_response("disable_alarm_actions", {}, {"AlarmNames": ["x", "y"]})
        await _maybe(aws.cloudwatch.disable_actions(["x", "y", "x"]))
        await _maybe(aws.cloudwatch.disable_actions([]))  # nothing to ask: no request
        stub.add_client_error("enable_alarm_actions", "AccessDenied", "no", 403)
        with pytest.raises(awskit.AwskitError) as info:
            await _maybe(aws.cloudwatch.enable_actions(["x"]))
        assert info.value.code == "AccessDenied"

    stubbed(body)


def test_set_alarm_state_request_and_throttling(stubbed: Callable[[Body], None]) -> None:
    async def body(aws: Any, stub: Any, sleeps: Any) -> None:
        request = {
            "AlarmName": "cpu-high",
            "StateValue": "INSUFFICIENT_DATA",
            "StateReason": "Set by awskit",
            "StateReasonData": '{"a": 1}',
        }
        stub.add_client_error("set_alarm_state", "Throttling", "Rate exceeded", 400)
        stub.add_response("set_alarm_state", {}, request)
        await _maybe(
            aws.cloudwatch.set_alarm_state("cpu-high", "INSUFFICIENT_DATA", reason_data='{"a": 1}')
        )
        assert len(sleeps.calls) == 1  # the one retry rule, through the session's sleep
        stub.add_client_error("set_alarm_state", "ResourceNotFound", "no alarm", 404)
        with pytest.raises(awskit.NotFound):
            await _maybe(aws.cloudwatch.set_alarm_state("gone", AlarmState.OK))

    stubbed(body)


def test_wait_for_state_polls_until_the_state(stubbed: Callable[[Body], None]) -> None:
    ask: dict[str, Any] = {
        "AlarmNames": ["cpu-high"],
        "AlarmTypes": ["MetricAlarm", "CompositeAlarm"],
        "MaxRecords": 100,
    }
    composite = {
        "AlarmName": "cpu-high",
        "AlarmRule": 'ALARM("a")',
        "StateValue": "OK",
        "StateReason": "ok",
    }

    async def body(aws: Any, stub: Any, sleeps: Any) -> None:
        # AWS starts an alarm in INSUFFICIENT_DATA (moto starts it OK).
        for state in ("INSUFFICIENT_DATA", "OK", "ALARM"):
            item = metric_alarm_item("cpu-high", state, StateReason=f"now {state}")
            stub.add_response("describe_alarms", {"MetricAlarms": [item]}, ask)
        found = await _maybe(
            aws.cloudwatch.wait_for_state("cpu-high", AlarmState.ALARM, 60, interval=7)
        )
        assert isinstance(found, Alarm)
        assert (found.state, found.state_reason) == (AlarmState.ALARM, "now ALARM")
        assert sleeps.calls == [7, 7]

        # Any kind of alarm is waited for, a composite one too.
        stub.add_response("describe_alarms", {"CompositeAlarms": [composite]}, ask)
        waited = await _maybe(aws.cloudwatch.wait_for_state("cpu-high", "OK", 0))
        assert isinstance(waited, CompositeAlarm)

        stub.add_response("describe_alarms", {"MetricAlarms": [metric_alarm_item("cpu-high")]}, ask)
        with pytest.raises(AlarmStateTimeout) as info:
            await _maybe(aws.cloudwatch.wait_for_state("cpu-high", "ALARM", timeout=0))
        assert "still OK after 0 s (waiting for ALARM)" in str(info.value)
        assert info.value.code == "AlarmStateTimeout"
        assert sleeps.calls == [7, 7]

        stub.add_client_error("describe_alarms", "AccessDenied", "no", 403)
        with pytest.raises(awskit.AwskitError) as denied:
            await _maybe(aws.cloudwatch.wait_for_state("cpu-high", "ALARM"))
        assert denied.value.code == "AccessDenied"

    stubbed(body)


# -- wrong input: InvalidInput naming the field, before any request ------------------------------

INVALID_CALLS: list[tuple[str, Callable[[Any], Any]]] = [
    ("alarms[1]", lambda cw: cw.put_alarms([alarm(0), {"name": "x"}])),
    ("period", lambda cw: cw.put_alarms([alarm(0), reassigned(period=7)])),
    ("state", lambda cw: cw.set_alarm_state("a", "ALARMING", reason="x")),
    ("name", lambda cw: cw.set_alarm_state("", "OK")),
    ("reason", lambda cw: cw.set_alarm_state("a", "OK", reason="r" * 1024)),
    ("reason_data", lambda cw: cw.set_alarm_state("a", "OK", reason_data="{no")),
    ("reason_data", lambda cw: cw.set_alarm_state("a", "OK", reason_data={"x": "y" * 4000})),
    ("state", lambda cw: cw.wait_for_state("a", "DONE", 1)),
    ("timeout", lambda cw: cw.wait_for_state("a", "OK", -1)),
    ("timeout", lambda cw: cw.wait_for_state("a", "OK", 1, interval=0)),
    ("name", lambda cw: cw.wait_for_state("x" * 256, "OK", 1)),
    ("names", lambda cw: cw.enable_actions([""])),
    ("names", lambda cw: cw.enable_actions("one-name")),
    ("names", lambda cw: cw.disable_actions([None])),
    ("type", lambda cw: cw.alarm_history("a", type="State")),
    ("name", lambda cw: cw.alarm_history("")),
    ("start", lambda cw: cw.alarm_history(start=NOW, end=NOW - dt.timedelta(hours=1))),
    ("end", lambda cw: cw.alarm_history(end="yesterday")),
    ("limit", lambda cw: cw.alarm_history(limit=-1)),
    ("queries", lambda cw: cw.metric_data([], NOW - dt.timedelta(hours=1), NOW)),
    ("queries", lambda cw: cw.metric_data(["m"], NOW - dt.timedelta(hours=1), NOW)),
    (
        "queries",
        lambda cw: cw.metric_data(
            [MetricQuery(id="e", expression="1")] * 2, NOW - dt.timedelta(hours=1), NOW
        ),
    ),
    (
        "start",
        lambda cw: cw.metric_data(
            [MetricQuery(id="e", expression="1")], NOW, NOW - dt.timedelta(hours=1)
        ),
    ),
    (
        "id",
        lambda cw: cw.metric_data(
            [MetricQuery(id="Upper", expression="1")], NOW - dt.timedelta(hours=1), NOW
        ),
    ),
    (
        "max_datapoints",
        lambda cw: cw.metric_data(
            [MetricQuery(id="e", expression="1")],
            NOW - dt.timedelta(hours=1),
            NOW,
            max_datapoints=0,
        ),
    ),
    ("dimensions", lambda cw: cw.metrics(dimensions={str(i): None for i in range(11)})),
    ("dimensions", lambda cw: cw.metrics(dimensions={"Route\t": None})),
    ("name", lambda cw: cw.metrics(name="Latency\x00")),
    ("namespace", lambda cw: cw.metrics(namespace="My\nApp")),
    ("limit", lambda cw: cw.metrics(limit=-2)),
]


@pytest.mark.parametrize(("field", "call"), INVALID_CALLS)
def test_wrong_input_is_refused_before_any_request(
    field: str, call: Callable[[Any], Any], stubbed: Callable[[Body], None]
) -> None:
    async def body(aws: Any, stub: Any, _: Any) -> None:
        # The stubber has no answer: a request would fail as something else than InvalidInput.
        with pytest.raises(awskit.InvalidInput) as info:
            await _maybe(call(aws.cloudwatch))
        assert info.value.field == field

    stubbed(body)


def test_listings_are_checked_when_made_not_when_iterated(
    stubbed: Callable[[Body], None],
) -> None:
    async def body(aws: Any, _: Any, __: Any) -> None:
        with pytest.raises(awskit.InvalidInput):
            aws.cloudwatch.metrics(namespace="")
        with pytest.raises(awskit.InvalidInput):
            aws.cloudwatch.alarm_history(type="Nope")

    stubbed(body)


# -- faults, asyncio ------------------------------------------------------------------------------


def test_the_retry_rule_outlives_throttling_and_5xx(
    fault_proxy: FaultProxy, async_sleeps: AsyncSleeps
) -> None:
    from aiobotocore.config import AioConfig

    when = NOW - dt.timedelta(minutes=3)
    data = [
        MetricDatum(name="Hits", value=1.0, dimensions={"Node": f"n{i}"}, timestamp=when)
        for i in range(600)
    ]
    query = MetricQuery(
        id="n", namespace="MyApp", metric_name="Hits", stat="SampleCount", period=3600
    )

    async def main() -> None:
        async with aio_session(
            fault_proxy.url,
            async_sleeps,
            config=AioConfig(retries={"mode": "standard", "total_max_attempts": 1}),
        ) as aws:
            cw = aws.cloudwatch
            await cw.put_alarms([alarm(0), alarm(1)])
            await cw.put_metrics("MyApp", data)
            for operation, kind in [
                ("PutMetricAlarm", "throttle"),
                ("SetAlarmState", "5xx"),
                ("DescribeAlarms", "throttle"),
                ("EnableAlarmActions", "5xx"),
                ("DisableAlarmActions", "throttle"),
                ("ListMetrics", "5xx"),
                ("GetMetricData", "throttle"),
            ]:
                fault_proxy.add(kind, service="cloudwatch", operation=operation, times=1)
            await cw.put_alarms([alarm(2)])
            await cw.set_alarm_state("more-000", AlarmState.ALARM, reason="drill")
            found = await cw.wait_for_state("more-000", AlarmState.ALARM, timeout=5)
            assert found.state_reason == "drill"
            await cw.disable_actions(["more-000", "more-001"])
            await cw.enable_actions(["more-001"])
            enabled = {a.name: a.actions_enabled async for a in cw.alarms(prefix="more-")}
            assert enabled == {"more-000": False, "more-001": True, "more-002": True}
            listed = [m async for m in cw.metrics(namespace="MyApp")]
            assert len(listed) == 600
            series = await cw.metric_data([query], when - dt.timedelta(minutes=10), NOW)
            assert sum(series["n"].values) == 600

    asyncio.run(main())
    assert fault_proxy.injected["throttle"] == 4 and fault_proxy.injected["5xx"] == 3
    assert len(async_sleeps.calls) == 7  # one wait per fault, each through the session's sleep


def test_a_dropped_connection_is_a_transport_error(
    fault_proxy: FaultProxy, async_sleeps: AsyncSleeps
) -> None:
    from aiobotocore.config import AioConfig

    calls: list[Callable[[Any], Awaitable[Any]]] = [
        lambda cw: cw.put_alarms([alarm(0)]),
        lambda cw: cw.set_alarm_state("x", AlarmState.OK),
        lambda cw: cw.wait_for_state("x", AlarmState.OK, timeout=1),
        lambda cw: cw.enable_actions(["x"]),
        lambda cw: cw.disable_actions(["x"]),
        lambda cw: _items(cw.alarm_history("x")),
        lambda cw: cw.metric_data(
            [MetricQuery(id="e", expression="1")], NOW - dt.timedelta(hours=1), NOW
        ),
        lambda cw: _items(cw.metrics()),
    ]
    raised: list[BaseException] = []

    async def main() -> None:
        async with aio_session(
            fault_proxy.url,
            async_sleeps,
            retry=awskit.RetryPolicy(max_attempts=1),
            config=AioConfig(retries={"mode": "standard", "total_max_attempts": 1}),
        ) as aws:
            fault_proxy.add("drop", service="cloudwatch")
            for call in calls:
                try:
                    await call(aws.cloudwatch)
                except Exception as exc:  # collected, checked below
                    raised.append(exc)

    asyncio.run(main())
    assert len(raised) == len(calls)
    # put_alarms goes on past a failed alarm and reports it: the cause is the transport error.
    first = raised[0]
    assert isinstance(first, awskit.PartialFailure)
    assert isinstance(first.last_error, awskit.TransportError)
    assert all(isinstance(exc, awskit.TransportError) for exc in raised[1:])
    assert fault_proxy.injected["drop"] == len(calls)
