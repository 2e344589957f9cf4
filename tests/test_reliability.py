"""The promises of docs/reliability.md, attacked: one retry rule for every call, bounded
calls, nothing lost under harsh fault rates, no secret anywhere, exact resume.

Each test here is named in the promise ledger (docs/reliability.md) with its fault rates.
Faults come from :class:`tests.faults.FaultProxy` in front of moto's server, and from the
fake endpoints of :mod:`tests.fake_endpoints` (one that never answers, one that answers
like AWS's signature-error path). No timing assertions: bounds are counted in requests.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import awskit
from awskit._local import LocalEndpoint
from awskit.cloudwatch import MetricDatum
from awskit.dynamo import Key
from awskit.sqs import Queue
from tests.conftest import SleepRecorder, make_session
from tests.fake_endpoints import HangingEndpoint, SignatureMismatchEndpoint
from tests.faults import FaultProxy

# -- one retry rule for every call --------------------------------------------------------------


def test_single_calls_outlive_throttling_that_outlasts_botocore(
    fault_proxy: FaultProxy, sleeps: SleepRecorder
) -> None:
    """60% throttling on every call: botocore allowed one attempt, so every throttle outlasts
    it and only the one rule can save the call (botocore's own backoff would sleep for real)."""
    faulty_aws = make_session(
        fault_proxy.url,
        awskit.RetryPolicy(max_attempts=30, sleep=sleeps),
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )
    table = faulty_aws.dynamo.create_table("single", hash_key="id")
    queue = faulty_aws.sqs.create_queue("single")
    bucket = faulty_aws.s3.create_bucket("single")
    for service in ("dynamodb", "sqs", "s3", "cloudwatch"):
        fault_proxy.add("throttle", service=service, probability=0.6)

    def one_of_each(n: int) -> None:
        table.put({"id": str(n), "n": n})
        assert table.get(id=str(n)) == {"id": str(n), "n": n}
        assert [i["n"] for i in table.query(Key("id").eq(str(n)))] == [n]
        bucket.put(f"k{n}", b"v")
        assert bucket.get(f"k{n}") == b"v"
        faulty_aws.cloudwatch.put_metrics("App", [MetricDatum(name="M", value=float(n))])
        queue.send(f"m{n}")

    # Concurrently: botocore sleeps for real between its own attempts (1 s scale on throttles).
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one_of_each, range(16)))
    assert len(list(table.scan())) == 16
    received: list[Any] = []
    while len(received) < 16:
        received += queue.receive(wait_seconds=0)
    for message in received:
        message.change_visibility(30)
        message.delete()
    # Every throttle reached the one rule, which backed off (recorded, not slept) and retried.
    assert fault_proxy.injected["throttle"] > 100
    assert len(sleeps.calls) == fault_proxy.injected["throttle"]


def test_a_transient_failure_of_a_batch_is_retried_while_attempts_remain(
    faulty_aws: awskit.Session, fault_proxy: FaultProxy, moto_endpoint: LocalEndpoint
) -> None:
    queue = faulty_aws.sqs.create_queue("drops")
    table = faulty_aws.dynamo.create_table("drops", hash_key="id")
    # Every botocore attempt of the first call fails: a dropped connection, then 500s.
    fault_proxy.add("drop", service="sqs", operation="SendMessageBatch", times=1)
    fault_proxy.add("5xx", service="sqs", operation="SendMessageBatch", times=2)
    fault_proxy.add("drop", service="dynamodb", operation="BatchWriteItem", times=1)
    fault_proxy.add("5xx", service="dynamodb", operation="BatchWriteItem", times=2)
    result = queue.send_many(f"m{n}" for n in range(10))
    assert result.ok and len(result.sent) == 10
    with table.batch_writer() as batch:
        for n in range(25):
            batch.put({"id": str(n)})
    direct = make_session(moto_endpoint.url, awskit.RetryPolicy())
    assert len(list(direct.dynamo.table("drops").scan())) == 25
    assert fault_proxy.injected["drop"] == 2 and fault_proxy.injected["5xx"] == 4


# -- nothing lost under harsh fault rates ---------------------------------------------------------

#: The rates of the ledger: applied in this order, each to what the ones before let through.
HARSH = (("throttle", 0.25), ("5xx", 0.10), ("drop", 0.05), ("drop_after", 0.05))


def stored_bodies(queue: str) -> list[str]:
    """Every message body moto's SQS holds in ``queue`` (visible or in flight)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    return [m.body for m in sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].queues[queue]._messages]


def harsh(proxy: FaultProxy, service: str, operation: str) -> None:
    proxy.add("partial", service=service, operation=operation, probability=0.40)
    for kind, rate in HARSH:
        proxy.add(kind, service=service, operation=operation, probability=rate)


@pytest.fixture
def harsh_aws(fault_proxy: FaultProxy, sleeps: SleepRecorder) -> awskit.Session:
    """Through the proxy; botocore gets one attempt, so every fault meets the one rule.

    (botocore's own backoff sleeps for real, up to seconds per throttle; the rule's sleeps
    are recorded.) 20 attempts: a batch fails all of them with odds below 1e-8.
    """
    return make_session(
        fault_proxy.url,
        awskit.RetryPolicy(max_attempts=20, sleep=sleeps),
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


@pytest.mark.slow
def test_1500_messages_all_arrive_under_harsh_faults(
    harsh_aws: awskit.Session, fault_proxy: FaultProxy, moto_endpoint: LocalEndpoint
) -> None:
    queue = harsh_aws.sqs.create_queue("harsh")
    harsh(fault_proxy, "sqs", "SendMessageBatch")
    result = queue.send_many(f"message {n}" for n in range(1500))
    assert result.ok, result.failed[:3]
    assert len(result.sent) == 1500
    # Read what moto stored, not through SQS: moto's receive is slow with 1500 messages.
    seen = stored_bodies("harsh")
    # Duplicates (a resend after a lost answer) are counted, never a loss.
    assert set(seen) == {f"message {n}" for n in range(1500)}
    assert len(seen) >= 1500
    for kind in ("partial", "throttle", "5xx", "drop", "drop_after"):
        assert fault_proxy.injected[kind] > 0, kind


@pytest.mark.slow
def test_3000_items_all_written_under_harsh_faults(
    harsh_aws: awskit.Session, fault_proxy: FaultProxy, moto_endpoint: LocalEndpoint
) -> None:
    table = harsh_aws.dynamo.create_table("harsh", hash_key="id")
    harsh(fault_proxy, "dynamodb", "BatchWriteItem")
    with table.batch_writer() as batch:
        for n in range(3000):
            batch.put({"id": f"{n:04}", "n": n})
    direct = make_session(moto_endpoint.url, awskit.RetryPolicy())
    stored = sorted(item["n"] for item in direct.dynamo.table("harsh").scan())
    assert stored == list(range(3000))
    for kind in ("partial", "throttle", "5xx", "drop", "drop_after"):
        assert fault_proxy.injected[kind] > 0, kind


# -- bounded calls --------------------------------------------------------------------------------

BOTOCORE_ATTEMPTS = 3


def _hanging_calls() -> list[tuple[str, Callable[[awskit.Session], object]]]:
    return [
        ("GetQueueUrl", lambda aws: aws.sqs.get_queue("q")),
        ("ListTables", lambda aws: list(aws.dynamo.tables())),
        ("GetObject", lambda aws: aws.s3.bucket("bkt").get("k")),
        (
            "PutMetricData",
            lambda aws: aws.cloudwatch.put_metrics("A", [MetricDatum(name="m", value=1.0)]),
        ),
        ("ListSnapshotBlocks", lambda aws: list(aws.ebs.blocks("snap-0123456789abcdef0"))),
    ]


@pytest.mark.parametrize(
    ("operation", "call"), _hanging_calls(), ids=lambda x: x if isinstance(x, str) else ""
)
def test_a_hung_endpoint_ends_in_timeout_after_bounded_attempts(
    operation: str, call: Callable[[awskit.Session], object], sleeps: SleepRecorder
) -> None:
    with HangingEndpoint() as endpoint:
        policy = awskit.RetryPolicy(max_attempts=2, sleep=sleeps)
        aws = make_session(endpoint.url, policy, connect_timeout=1.0, read_timeout=0.2)
        with pytest.raises(awskit.Timeout) as info:
            call(aws)
    assert isinstance(info.value, awskit.TransportError)
    assert info.value.operation == operation
    # Bounded: botocore's attempts times the policy's, and not one request more.
    assert endpoint.requests == BOTOCORE_ATTEMPTS * policy.max_attempts
    assert "timeout" in str(info.value)


def test_timeouts_are_checked_and_reach_every_client() -> None:
    for bad in (0, -1.0, float("inf"), True, "5"):
        with pytest.raises(awskit.InvalidInput, match="read_timeout"):
            awskit.connect(read_timeout=bad, region="us-east-1")  # type: ignore[arg-type]
    aws = awskit.connect(region="us-east-1", connect_timeout=2.5, read_timeout=9.0)
    config = aws.client("dynamodb").meta.config
    assert (config.connect_timeout, config.read_timeout) == (2.5, 9.0)
    assert "read_timeout=9.0" in repr(aws)
    default = awskit.connect(region="us-east-1").client("sqs").meta.config
    assert (default.connect_timeout, default.read_timeout) == (5.0, 30.0)


def test_an_unreachable_endpoint_is_a_transport_error(sleeps: SleepRecorder) -> None:
    with HangingEndpoint() as endpoint:
        url = endpoint.url
    # Stopped: nothing listens there any more.
    aws = make_session(url, awskit.RetryPolicy(max_attempts=2, sleep=sleeps), connect_timeout=0.5)
    with pytest.raises(awskit.TransportError) as info:
        aws.sqs.get_queue("q")
    assert info.value.operation == "GetQueueUrl"
    assert len(sleeps.calls) == 1


# -- no secrets -----------------------------------------------------------------------------------

KEY_ID = "ASIAAWSKITFAKEKEY777"
SECRET = "awskitFakeSecret/0123456789+abcdefghijklmn"
TOKEN = "awskitFakeSessionToken//" + "Zq9" * 60 + "=="


def secret_session(url: str, sleeps: SleepRecorder) -> awskit.Session:
    core = botocore.session.get_session()
    session = boto3.Session(
        botocore_session=core,
        region_name="us-east-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        aws_session_token=TOKEN,
    )
    return awskit.connect(
        session=session,
        endpoint_url=url,
        retry=awskit.RetryPolicy(max_attempts=2, sleep=sleeps),
    )


def _error_paths() -> list[tuple[str, Callable[[awskit.Session, str], object]]]:
    def queue(aws: awskit.Session, url: str) -> Queue[str]:
        return Queue(aws, f"{url}/123456789012/q")

    def batch_write(aws: awskit.Session, url: str) -> None:
        with aws.dynamo.table("tbl").batch_writer() as batch:
            batch.put({"id": "1"})

    return [
        ("sqs get_queue", lambda aws, url: aws.sqs.get_queue("q")),
        ("sqs send", lambda aws, url: queue(aws, url).send("x")),
        ("sqs send_many", lambda aws, url: queue(aws, url).send_many(["x", "y"])),
        ("sqs receive", lambda aws, url: queue(aws, url).receive()),
        ("sqs purge", lambda aws, url: queue(aws, url).purge()),
        ("dynamo tables", lambda aws, url: list(aws.dynamo.tables())),
        ("dynamo get", lambda aws, url: aws.dynamo.table("tbl").get(id="1")),
        ("dynamo batch_writer", batch_write),
        ("cloudwatch put_metrics", lambda aws, url: aws.cloudwatch.put_metrics(
            "A", [MetricDatum(name="m", value=1.0)])),
        ("cloudwatch alarms", lambda aws, url: list(aws.cloudwatch.alarms())),
        ("s3 put", lambda aws, url: aws.s3.bucket("bkt").put("k", b"v")),
        ("s3 get", lambda aws, url: aws.s3.bucket("bkt").get("k")),
        ("s3 objects", lambda aws, url: list(aws.s3.bucket("bkt").objects())),
        ("s3 upload_file", lambda aws, url: aws.s3.bucket("bkt").upload_file(__file__, "k")),
        ("ebs blocks", lambda aws, url: list(aws.ebs.blocks("snap-0123456789abcdef0"))),
        ("ebs upload", lambda aws, url: aws.ebs.upload(io.BytesIO(b"\1" * 1024), volume_size=1)),
    ]  # fmt: skip


def everything_shown(exc: BaseException) -> str:
    """Every text a caller, a log or a traceback could show of ``exc``."""
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    if isinstance(exc, awskit.AwskitError):
        parts.append(exc.message)
    if isinstance(exc, awskit.PartialFailure):
        parts += [repr(exc.failed), repr(exc.last_error), str(exc.last_error)]
    return "\n".join(parts)


@pytest.fixture
def signature_errors() -> Iterator[SignatureMismatchEndpoint]:
    with SignatureMismatchEndpoint() as endpoint:
        yield endpoint


@pytest.mark.parametrize(
    ("name", "provoke"), _error_paths(), ids=lambda x: x if isinstance(x, str) else ""
)
def test_no_secret_in_any_message_repr_traceback_or_log(
    name: str,
    provoke: Callable[[awskit.Session, str], object],
    signature_errors: SignatureMismatchEndpoint,
    sleeps: SleepRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="awskit")
    aws = secret_session(signature_errors.url, sleeps)
    shown = ""
    try:
        result = provoke(aws, signature_errors.url)
    except awskit.AwskitError as exc:
        shown = everything_shown(exc)
    else:
        # send_many reports failures instead of raising when some were attempted.
        shown = repr(result)
    assert signature_errors.signatures, "the endpoint was never asked"
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("awskit"))
    for secret in (KEY_ID, SECRET, TOKEN, TOKEN[:40], *signature_errors.signatures):
        assert secret not in shown, (name, secret[:12])
        assert secret not in logged, (name, secret[:12])
    assert shown


@pytest.mark.parametrize("debug", [False, True])
def test_no_secret_in_cli_output(
    debug: bool, signature_errors: SignatureMismatchEndpoint, tmp_path: Any
) -> None:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_SESSION_TOKEN": TOKEN,
        "AWS_ENDPOINT_URL": signature_errors.url,
        "AWS_MAX_ATTEMPTS": "1",
    }
    args = [sys.executable, "-m", "awskit", "sqs", "send", "q", "x", *(["--debug"] * debug)]
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "signature" in output.lower() or "InvalidSignature" in output
    for secret in (KEY_ID, SECRET, TOKEN, TOKEN[:40], *signature_errors.signatures):
        assert secret not in output, secret[:12]


# -- exact resume ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def numbered(moto_endpoint: LocalEndpoint) -> Iterator[awskit.Session]:
    moto_endpoint.reset()
    aws = make_session(moto_endpoint.url, awskit.RetryPolicy())
    table = aws.dynamo.create_table(
        "numbered",
        hash_key="g",
        range_key="n",
        key_types={"n": "N", "rank": "N"},
        indexes=[awskit.dynamo.GlobalIndex("by_rank", hash_key="g", range_key="rank")],
    )
    with table.batch_writer() as batch:
        for n in range(45):
            batch.put({"g": "a", "n": n, "rank": (n * 7) % 45})
    yield aws


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    page_size=st.integers(1, 20),
    limit=st.none() | st.integers(0, 50),
    stop=st.integers(0, 50),
    index=st.booleans(),
)
def test_dynamodb_resume_tokens_skip_nothing_and_repeat_nothing(
    numbered: awskit.Session, page_size: int, limit: int | None, stop: int, index: bool
) -> None:
    table = numbered.dynamo.table("numbered")
    kwargs: dict[str, Any] = {"page_size": page_size, "index": "by_rank" if index else None}
    everything = [i["n"] for i in table.query(Key("g").eq("a"), **kwargs)]
    assert sorted(everything) == list(range(45))
    paged = table.query(Key("g").eq("a"), limit=limit, **kwargs)
    handed = [i["n"] for _, i in zip(range(stop), paged, strict=False)]
    token = paged.next_token
    exhausted = token is None and bool(handed)
    rest = [] if exhausted else [
        i["n"] for i in table.query(Key("g").eq("a"), start_key=token, **kwargs)
    ]  # fmt: skip
    assert handed + rest == everything


# -- nothing from botocore leaves; multi-request calls say what was done ---------------------------


def dropping(aws: awskit.Session, proxy: FaultProxy, service: str, operation: str) -> None:
    """From the first answered ``operation`` on, drop every later one (after-call hook)."""
    added: list[bool] = []

    def drop_from_now_on(**_: Any) -> None:
        if not added:
            added.append(True)
            proxy.add("drop", service=service, operation=operation)

    client = aws.client("cloudwatch" if service == "cloudwatch" else service)
    client.meta.events.register(f"after-call.*.{operation}", drop_from_now_on)


@pytest.fixture
def brittle_aws(fault_proxy: FaultProxy, sleeps: SleepRecorder) -> awskit.Session:
    """Through the proxy, with the policy's attempts cut to two so failures end quickly."""
    return make_session(fault_proxy.url, awskit.RetryPolicy(max_attempts=2, sleep=sleeps))


def test_put_metrics_says_which_entries_were_not_sent_when_the_connection_drops(
    brittle_aws: awskit.Session, fault_proxy: FaultProxy
) -> None:
    data = [MetricDatum(name="M", value=1.0, dimensions={"N": str(i)}) for i in range(1500)]
    dropping(brittle_aws, fault_proxy, "cloudwatch", "PutMetricData")
    with pytest.raises(awskit.PartialFailure) as info:
        brittle_aws.cloudwatch.put_metrics("App", data)
    assert [e["Dimensions"][0]["Value"] for e in info.value.failed] == [
        str(i) for i in range(1000, 1500)
    ]
    assert isinstance(info.value.last_error, awskit.TransportError)
    assert info.value.last_error.operation == "PutMetricData"


def test_delete_alarms_says_which_alarms_remain_when_the_connection_drops(
    brittle_aws: awskit.Session, fault_proxy: FaultProxy, moto_endpoint: LocalEndpoint
) -> None:
    direct = make_session(moto_endpoint.url, awskit.RetryPolicy())
    names = [f"alarm-{n:03}" for n in range(150)]
    for name in names:
        direct.cloudwatch.client.put_metric_alarm(
            AlarmName=name, ComparisonOperator="GreaterThanThreshold", EvaluationPeriods=1,
            MetricName="CPU", Namespace="App", Period=60, Statistic="Average", Threshold=1.0,
        )  # fmt: skip
    dropping(brittle_aws, fault_proxy, "cloudwatch", "DeleteAlarms")
    with pytest.raises(awskit.PartialFailure) as info:
        brittle_aws.cloudwatch.delete_alarms(names)
    left = sorted(
        a["AlarmName"] for a in direct.cloudwatch.client.describe_alarms()["MetricAlarms"]
    )
    assert sorted(info.value.failed) == left
    assert len(left) == 50
    assert isinstance(info.value.last_error, awskit.TransportError)


@pytest.mark.parametrize(
    ("service", "operation", "call"),
    [
        ("dynamodb", "Scan", lambda aws, tmp: list(aws.dynamo.table("tbl").scan(segments=3))),
        ("s3", "PutObject", lambda aws, tmp: aws.s3.bucket("bkt").upload_file(__file__, "k")),
        ("s3", "GetObject", lambda aws, tmp: aws.s3.bucket("bkt").download_file("k", tmp / "f")),
        ("s3", "GetObject", lambda aws, tmp: aws.s3.bucket("bkt").get("k")),
        (
            "sqs",
            "DeleteMessageBatch",
            lambda aws, tmp: aws.sqs.get_queue("q").delete_messages(
                aws.sqs.get_queue("q").receive()
            ),
        ),
        (
            "ebs",
            "ListSnapshotBlocks",
            lambda aws, tmp: list(aws.ebs.blocks("snap-0123456789abcdef0")),
        ),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_a_connection_that_keeps_dropping_leaves_as_an_awskit_error(
    brittle_aws: awskit.Session,
    fault_proxy: FaultProxy,
    moto_endpoint: LocalEndpoint,
    tmp_path: Any,
    service: str,
    operation: str,
    call: Callable[[awskit.Session, Any], object],
) -> None:
    direct = make_session(moto_endpoint.url, awskit.RetryPolicy())
    table = direct.dynamo.create_table("tbl", hash_key="id")
    table.put({"id": "1"})
    direct.s3.create_bucket("bkt").put("k", b"data" * 1000)
    direct.sqs.create_queue("q").send("m")
    fault_proxy.add("drop", service=service, operation=operation)
    with pytest.raises(awskit.AwskitError) as info:
        call(brittle_aws, tmp_path)
    assert isinstance(info.value, awskit.TransportError), repr(info.value)
    assert info.value.operation == operation
    assert fault_proxy.injected["drop"] >= 2
