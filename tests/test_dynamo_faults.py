"""awskit.dynamo under injected faults: throttling, 5xx, dropped connections, half-done batches.

Requests go through tests/faults.py's proxy in front of moto; what landed is counted in
moto directly, past the proxy.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import awskit
from awskit._local import DUMMY_CREDENTIALS, LocalEndpoint
from awskit.dynamo import Key, Table
from tests.conftest import SleepRecorder, make_session

if TYPE_CHECKING:
    from tests.faults import FaultProxy


def moto_items(endpoint: LocalEndpoint, table: str) -> list[dict[str, Any]]:
    """Every item of ``table`` as moto holds it, read without the proxy."""
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint.url,
        region_name="us-east-1",
        aws_access_key_id=DUMMY_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=DUMMY_CREDENTIALS["aws_secret_access_key"],
    )
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=table):
        items.extend(page["Items"])
    client.close()
    return items


def botocore_attempts(aws: awskit.Session) -> int:
    """Attempts botocore makes per call (initial one included) on this session's clients."""
    retries: dict[str, Any] = getattr(aws.dynamo.client.meta.config, "retries", {})
    return int(retries["total_max_attempts"])


@pytest.fixture
def patient_aws(fault_proxy: FaultProxy, fast_retry: awskit.RetryPolicy) -> awskit.Session:
    """Through the proxy, with botocore allowed enough attempts to outlast the injected faults.

    botocore alone retries 5xx and dropped connections (awskit adds no layer on those), so
    with three attempts a few batches in thousands would legitimately end in PartialFailure.
    """
    return make_session(
        fault_proxy.url,
        fast_retry,
        config=Config(retries={"mode": "standard", "max_attempts": 10}, connect_timeout=5,
                      read_timeout=10),
        max_concurrency=16,
    )  # fmt: skip


def inject_everything(proxy: FaultProxy) -> None:
    proxy.add("throttle", service="dynamodb", probability=0.03)
    proxy.add("5xx", service="dynamodb", probability=0.05)
    proxy.add("drop", service="dynamodb", probability=0.03)
    proxy.add("partial", service="dynamodb", probability=0.3)


def test_batch_writer_loses_nothing_under_faults(
    patient_aws: awskit.Session,
    fault_proxy: FaultProxy,
    moto_endpoint: LocalEndpoint,
    sleeps: SleepRecorder,
) -> None:
    table = patient_aws.dynamo.create_table("many", hash_key="pk", range_key="n",
                                            key_types={"n": "N"})  # fmt: skip
    inject_everything(fault_proxy)
    with table.batch_writer() as batch:
        for n in range(5000):
            batch.put({"pk": f"p{n % 50}", "n": n, "payload": "x" * 20})
    assert batch.written == 5000
    for kind in ("throttle", "5xx", "drop", "partial"):
        assert fault_proxy.injected[kind] > 0, kind
    # awskit's own backoff ran for the half-done batches (and was recorded, not slept).
    assert sleeps.calls
    stored = moto_items(moto_endpoint, "many")
    assert sorted(int(i["n"]["N"]) for i in stored) == list(range(5000))


def test_batch_get_returns_every_key_under_faults(
    patient_aws: awskit.Session, fault_proxy: FaultProxy
) -> None:
    table = patient_aws.dynamo.create_table("reads", hash_key="id", key_types={"id": "N"})
    with table.batch_writer() as batch:
        for n in range(500):
            batch.put({"id": n, "square": n * n})
    inject_everything(fault_proxy)
    found = table.batch_get([{"id": n} for n in range(500)])
    assert found == [{"id": n, "square": n * n} for n in range(500)]
    assert fault_proxy.injected["partial"] > 0
    assert [i["id"] for i in table.query(Key("id").eq(7))] == [7]
    # Every segment of a parallel scan is read whole, each item once, through the same faults.
    scanned = sorted(i["id"] for i in table.scan(segments=4, page_size=40))
    assert scanned == list(range(500))


def test_partial_failure_lists_exactly_the_unwritten_items(
    fault_proxy: FaultProxy, moto_endpoint: LocalEndpoint, sleeps: SleepRecorder
) -> None:
    aws = make_session(fault_proxy.url, awskit.RetryPolicy(max_attempts=2, sleep=sleeps))
    table = aws.dynamo.create_table("halves", hash_key="id")
    fault_proxy.add("partial", service="dynamodb", operation="BatchWriteItem")
    items = [{"id": f"item-{n:03}", "n": n} for n in range(110)]
    with pytest.raises(awskit.PartialFailure) as info, table.batch_writer() as batch:
        for item in items:
            batch.put(item)
    stored = {i["id"]["S"] for i in moto_items(moto_endpoint, "halves")}
    failed = info.value.failed
    # Each batch of 25 lands 13, then 6 of the 12 retried; 6 are left after two attempts.
    assert len(failed) == 6 * 4 + 2
    assert all(item in items for item in failed)
    assert {f["id"] for f in failed} == {i["id"] for i in items} - stored
    assert len(stored) + len(failed) == len(items)
    assert batch.written == len(stored)


def test_ctrl_c_in_the_body_goes_on_up_and_what_was_not_written_is_logged(
    fault_proxy: FaultProxy,
    moto_endpoint: LocalEndpoint,
    sleeps: SleepRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # What was queued is still written (as after any exception), but a PartialFailure must
    # not take the interrupt's place: `except KeyboardInterrupt` has to see it.
    aws = make_session(fault_proxy.url, awskit.RetryPolicy(max_attempts=2, sleep=sleeps))
    table = aws.dynamo.create_table("interrupted", hash_key="id")
    fault_proxy.add("partial", service="dynamodb", operation="BatchWriteItem")
    items = [{"id": f"item-{n:03}", "n": n} for n in range(25)]
    with (
        caplog.at_level("ERROR", logger="awskit.dynamo"),
        pytest.raises(KeyboardInterrupt),
        table.batch_writer() as batch,
    ):
        for item in items:
            batch.put(item)
        raise KeyboardInterrupt
    stored = {i["id"]["S"] for i in moto_items(moto_endpoint, "interrupted")}
    assert len(stored) == batch.written == 19  # 13, then 6 of the 12 retried
    assert "6 writes to table 'interrupted' not done" in caplog.text
    assert "after an interrupt" in caplog.text


def test_batch_get_partial_failure_names_the_keys(
    fault_proxy: FaultProxy, sleeps: SleepRecorder
) -> None:
    aws = make_session(fault_proxy.url, awskit.RetryPolicy(max_attempts=3, sleep=sleeps))
    table: Table[dict[str, Any]] = aws.dynamo.create_table("gets", hash_key="id")
    with table.batch_writer() as batch:
        for n in range(40):
            batch.put({"id": f"k{n:02}"})
    fault_proxy.add("partial", service="dynamodb", operation="BatchGetItem")
    keys = [{"id": f"k{n:02}"} for n in range(40)]
    with pytest.raises(awskit.PartialFailure) as info:
        table.batch_get(keys)
    # 40 keys: 20 read, then 10 of 20, then 5 of 10: 5 keys left, named as they were given.
    assert len(info.value.failed) == 5
    assert all(key in keys for key in info.value.failed)
    assert len(sleeps.calls) == 2


def test_throttling_that_outlives_botocore_is_retried_by_the_writer(
    faulty_aws: awskit.Session, fault_proxy: FaultProxy, moto_endpoint: LocalEndpoint,
    sleeps: SleepRecorder,
) -> None:  # fmt: skip
    table = faulty_aws.dynamo.create_table("throttled", hash_key="id")
    # Every one of botocore's attempts throttled: awskit backs off and sends the batch again.
    attempts = botocore_attempts(faulty_aws)
    fault_proxy.add("throttle", service="dynamodb", operation="BatchWriteItem", times=attempts)
    with table.batch_writer() as batch:
        for n in range(10):
            batch.put({"id": str(n)})
    assert fault_proxy.injected["throttle"] == attempts
    assert len(sleeps.calls) == 1
    assert len(moto_items(moto_endpoint, "throttled")) == 10


def test_a_batch_is_retried_past_botocore_and_reported_when_attempts_run_out(
    faulty_aws: awskit.Session, fault_proxy: FaultProxy, moto_endpoint: LocalEndpoint
) -> None:
    table = faulty_aws.dynamo.create_table("broken", hash_key="id")
    attempts = botocore_attempts(faulty_aws)
    items = [{"id": f"{n:02}"} for n in range(30)]
    # 500s that exhaust botocore's attempts once: the one retry rule sends the batch again.
    fault_proxy.add("5xx", service="dynamodb", operation="BatchWriteItem", times=attempts)
    with table.batch_writer() as batch:
        for item in items[:5]:
            batch.put(item)
    assert fault_proxy.injected["5xx"] == attempts
    assert len(moto_items(moto_endpoint, "broken")) == 5
    # 500s on every attempt of both layers: the batch is reported exactly, nothing dropped.
    max_attempts = faulty_aws.retry.max_attempts
    fault_proxy.add(
        "5xx", service="dynamodb", operation="BatchWriteItem", times=attempts * max_attempts
    )
    with table.batch_writer() as batch:
        for item in items[5:25]:
            batch.put(item)
        with pytest.raises(awskit.PartialFailure) as info:
            batch.flush()
        for item in items[25:]:
            batch.put(item)
    assert info.value.failed == items[5:25]
    assert isinstance(info.value.last_error, awskit.AwskitError)
    assert info.value.last_error.code == "InternalServerError"
    assert sorted(i["id"]["S"] for i in moto_items(moto_endpoint, "broken")) == [
        item["id"] for item in items[:5] + items[25:]
    ]


writes = st.lists(st.tuples(st.integers(0, 39), st.integers(0, 1000)), min_size=60, max_size=300)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(writes)
def test_last_write_wins_when_batches_are_half_done(
    fault_proxy: FaultProxy, writes: list[tuple[int, int]]
) -> None:
    # A half-done batch is retried after a real (short) backoff; a newer write of one of
    # its keys, in a later batch, must not be overtaken by that retry.
    fault_proxy.clear()
    aws = make_session(fault_proxy.url, awskit.RetryPolicy(initial_backoff=0.1))
    table = aws.dynamo.create_table(f"lww-{uuid.uuid4().hex[:12]}", hash_key="k",
                                           key_types={"k": "N"})  # fmt: skip
    fault_proxy.add("partial", service="dynamodb", operation="BatchWriteItem", probability=0.5)
    expected: dict[int, int] = {}
    with table.batch_writer(max_concurrency=4) as batch:
        for key, value in writes:
            batch.put({"k": key, "v": value})
            expected[key] = value
    fault_proxy.clear()
    assert {i["k"]: i["v"] for i in table.scan()} == expected
