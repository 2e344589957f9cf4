"""SQS bodies through S3 (awskit.sqs.S3Offload): the pointer format, checks, faults, and
compatibility both ways with AWS's Python extended client (``amazon-sqs-extended-client``).

The extended client replaces ``boto3.Session`` when its package is imported; the import
below restores boto3 at once, so no other test's session is touched, and its own session
is made explicitly for the moto endpoint.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import boto3
import boto3.session
import botocore.session
import pytest
from botocore.config import Config
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

import awskit
from awskit._local import DUMMY_CREDENTIALS, LocalEndpoint
from awskit.sqs import (
    InvalidMessage,
    OutgoingMessage,
    PayloadMismatch,
    PayloadUnavailable,
    Queue,
    S3Offload,
    S3Pointer,
)
from awskit.sqs.offload import (
    CHECKSUM_ATTRIBUTE,
    LEGACY_SIZE_ATTRIBUTE,
    SIZE_ATTRIBUTE,
    check_payload,
    divert,
    embed_in_receipt_handle,
    find_pointer,
    payload_checksum,
    split_receipt_handle,
    with_reserved_names,
)
from tests.conftest import _LOADER, SleepRecorder, make_session
from tests.faults import FaultProxy

_saved_sessions = (boto3.Session, boto3.session.Session)
from sqs_extended_client.client import SQSExtendedClientSession  # noqa: E402

boto3.Session, boto3.session.Session = _saved_sessions  # type: ignore[misc]
if isinstance(boto3.DEFAULT_SESSION, SQSExtendedClientSession):
    boto3.DEFAULT_SESSION = None

BUCKET = "payloads"
BIG = 300_000  # over the 256 KiB threshold of the extended clients and awskit's default


class Report(BaseModel):
    title: str
    text: str


def big_report(title: str = "r", size: int = BIG) -> Report:
    return Report(title=title, text="é" * (size // 2))  # 2 UTF-8 bytes each


def s3_keys(aws: awskit.Session, bucket: str = BUCKET) -> set[str]:
    return {obj.key for obj in aws.s3.bucket(bucket).objects()}


@pytest.fixture
def bucket(aws: awskit.Session) -> str:
    aws.s3.create_bucket(BUCKET)
    return BUCKET


@pytest.fixture
def reports(aws: awskit.Session, bucket: str) -> Queue[Report]:
    return aws.sqs.create_queue("reports", model=Report, offload=S3Offload(bucket))


@pytest.fixture
def extended(moto_endpoint: LocalEndpoint, aws: awskit.Session) -> Iterator[Any]:
    """The official Python extended client's SQS client, talking to moto."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    session = SQSExtendedClientSession(
        botocore_session=core, region_name="us-east-1", **DUMMY_CREDENTIALS
    )
    sqs = session.client("sqs", endpoint_url=moto_endpoint.url)
    # Its S3 client is made without an endpoint when the SQS client class is created.
    sqs.s3_client = session.client("s3", endpoint_url=moto_endpoint.url)
    sqs.large_payload_support = BUCKET
    sqs.delete_payload_from_s3 = True
    yield sqs
    sqs.close()
    sqs.s3_client.close()


# -- the pure part --------------------------------------------------------------------------


def test_pointer_is_byte_for_byte_what_the_java_client_writes() -> None:
    pointer = S3Pointer("my-bucket", "prefix/0b7e1ba5-2b1f-4b5e-9d4e-2c7b7a8d9e10")
    assert pointer.to_json() == (
        '["software.amazon.payloadoffloading.PayloadS3Pointer",'
        '{"s3BucketName":"my-bucket","s3Key":"prefix/0b7e1ba5-2b1f-4b5e-9d4e-2c7b7a8d9e10"}]'
    )
    assert pointer.to_json(legacy=True).startswith(
        '["com.amazon.sqs.javamessaging.MessageS3Pointer",'
    )


names = st.text(st.characters(codec="utf-8", exclude_characters="-"), min_size=1, max_size=40)


@given(bucket=names, key=names, legacy=st.booleans())
def test_pointer_json_round_trips(bucket: str, key: str, legacy: bool) -> None:
    pointer = S3Pointer(bucket, key)
    assert S3Pointer.from_json(pointer.to_json(legacy)) == pointer


@given(bucket=names, key=names, handle=names)
def test_receipt_handle_codec_round_trips(bucket: str, key: str, handle: str) -> None:
    pointer = S3Pointer(bucket, key)
    embedded = embed_in_receipt_handle(handle, pointer)
    assert (
        embedded
        == f"-..s3BucketName..-{bucket}-..s3BucketName..--..s3Key..-{key}-..s3Key..-{handle}"
    )
    assert split_receipt_handle(embedded) == (pointer, handle)
    assert split_receipt_handle(handle) == (None, handle)


@pytest.mark.parametrize(
    "body",
    ["{}", "[1, 2]", '["x.Unknown", {"s3BucketName": "b", "s3Key": "k"}]', "not json",
     '["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3Key": "k"}]'],
)  # fmt: skip
def test_a_size_attribute_on_a_body_that_is_no_pointer_is_reported(body: str) -> None:
    attributes = {SIZE_ATTRIBUTE: {"DataType": "Number", "StringValue": "5"}}
    pointer, why = find_pointer(body, attributes)
    assert pointer is None and why is not None
    # Without the attribute, a body that looks like a pointer is just a body.
    assert find_pointer(S3Pointer("b", "k").to_json(), {}) == (None, None)


def request(body: str, attributes: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"MessageBody": body}
    if attributes:
        out["MessageAttributes"] = attributes
    return out


def test_threshold_counts_body_and_attributes_and_is_exclusive() -> None:
    offload = S3Offload("bkt", threshold=100)
    attribute = {"A": {"DataType": "String", "StringValue": "xy"}}  # 1 + 6 + 2 = 9 bytes
    assert divert(offload, request("x" * 91, attribute)) is None  # exactly 100: inline
    diverted = request("x" * 92, attribute)
    payload = divert(offload, diverted, new_key=lambda: "K")
    assert payload is not None
    assert payload.pointer == S3Pointer("bkt", "K") and payload.data == b"x" * 92
    assert json.loads(diverted["MessageBody"])[1] == {"s3BucketName": "bkt", "s3Key": "K"}
    attrs = diverted["MessageAttributes"]
    assert attrs["A"] == attribute["A"]
    assert attrs[SIZE_ATTRIBUTE] == {"DataType": "Number", "StringValue": "92"}
    assert (
        attrs[CHECKSUM_ATTRIBUTE]["StringValue"]
        == base64.b64encode(hashlib.sha256(b"x" * 92).digest()).decode()
    )


def test_always_prefix_and_legacy_format() -> None:
    offload = S3Offload("bkt", always=True, key_prefix="big/", legacy_format=True)
    diverted = request("tiny")
    payload = divert(offload, diverted, new_key=lambda: "K")
    assert payload is not None and payload.pointer.key == "big/K"
    assert diverted["MessageBody"].startswith('["com.amazon.sqs.javamessaging.MessageS3Pointer"')
    assert LEGACY_SIZE_ATTRIBUTE in diverted["MessageAttributes"]


def test_content_based_fifo_dedup_uses_the_payload_not_the_fresh_key() -> None:
    offload = S3Offload("bkt", always=True)
    first, second = request("same"), request("same")
    first["MessageGroupId"] = second["MessageGroupId"] = "g"
    divert(offload, first)
    divert(offload, second)
    assert first["MessageBody"] != second["MessageBody"]
    assert first["MessageDeduplicationId"] == second["MessageDeduplicationId"]
    explicit = request("same") | {"MessageGroupId": "g", "MessageDeduplicationId": "mine"}
    divert(offload, explicit)
    assert explicit["MessageDeduplicationId"] == "mine"


@pytest.mark.parametrize("name", [SIZE_ATTRIBUTE, LEGACY_SIZE_ATTRIBUTE, CHECKSUM_ATTRIBUTE])
def test_reserved_attribute_names_are_refused(name: str) -> None:
    with pytest.raises(awskit.InvalidInput) as info:
        divert(S3Offload("bkt"), request("x", {name: {"DataType": "String", "StringValue": "1"}}))
    assert name in info.value.field


def test_an_offloaded_message_leaves_room_for_the_pointer_attributes() -> None:
    eight = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(8)}
    assert divert(S3Offload("bkt", always=True), request("x", eight)) is not None
    nine = eight | {"a9": {"DataType": "String", "StringValue": "v"}}
    with pytest.raises(awskit.InvalidInput, match="at most 8"):
        divert(S3Offload("bkt", always=True), request("x", nine))
    assert divert(S3Offload("bkt"), request("x", nine)) is None  # inline: SQS's 10 apply


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"bucket": "a"}, "bucket"), ({"bucket": "ok-bucket", "threshold": -1}, "threshold"),
     ({"bucket": "ok-bucket", "threshold": 1_048_577}, "threshold"),
     ({"bucket": "ok-bucket", "threshold": True}, "threshold"),
     ({"bucket": "ok-bucket", "key_prefix": "a b"}, "key_prefix"),
     ({"bucket": "ok-bucket", "key_prefix": "p" * 989}, "key_prefix"),
     ({"bucket": "ok-bucket", "kms_key_id": ""}, "kms_key_id")],
)  # fmt: skip
def test_s3offload_checks_its_fields(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(awskit.InvalidInput) as info:
        S3Offload(**kwargs)
    assert info.value.field == field


@given(st.binary(max_size=300))
def test_check_payload_accepts_only_the_bytes_described(data: bytes) -> None:
    attributes = {
        SIZE_ATTRIBUTE: {"DataType": "Number", "StringValue": str(len(data))},
        CHECKSUM_ATTRIBUTE: {"DataType": "String", "StringValue": payload_checksum(data)},
    }
    assert check_payload(data, attributes) is None
    assert check_payload(data + b"!", attributes) is not None
    if data:
        flipped = bytes([data[0] ^ 1]) + data[1:]
        assert "SHA-256" in str(check_payload(flipped, attributes))
    # The extended clients send no checksum: only the size is checked.
    legacy = {LEGACY_SIZE_ATTRIBUTE: {"DataType": "Number", "StringValue": str(len(data))}}
    assert check_payload(data, legacy) is None


def test_reserved_names_are_requested_with_the_callers() -> None:
    assert with_reserved_names(["All"]) == ["All"]
    assert with_reserved_names([]) == [SIZE_ATTRIBUTE, LEGACY_SIZE_ATTRIBUTE, CHECKSUM_ATTRIBUTE]
    assert with_reserved_names(["Author", SIZE_ATTRIBUTE])[:2] == ["Author", SIZE_ATTRIBUTE]


def test_a_wrong_offload_is_invalid_input_before_any_request(aws: awskit.Session) -> None:
    with pytest.raises(awskit.InvalidInput) as info:
        aws.sqs.get_queue("q", offload="bucket")  # type: ignore[call-overload]
    assert info.value.field == "offload"


# -- round trips through moto ---------------------------------------------------------------


def test_a_big_body_goes_through_s3_and_comes_back_checked(
    aws: awskit.Session, reports: Queue[Report]
) -> None:
    report = big_report()
    reports.send(report, attributes={"Author": "Daniel"})
    [key] = s3_keys(aws)
    [msg] = reports.receive(attribute_names=["Author"])
    assert msg.body == report
    assert msg.raw_body == report.model_dump_json()
    assert msg.pointer == S3Pointer(BUCKET, key)
    assert json.loads(msg.sqs_body)[1] == {"s3BucketName": BUCKET, "s3Key": key}
    assert msg.attributes == {"Author": "Daniel"}  # the pointer's own are not shown
    assert SIZE_ATTRIBUTE in msg.raw_attributes and CHECKSUM_ATTRIBUTE in msg.raw_attributes
    msg.delete()
    assert s3_keys(aws) == set()
    assert reports.receive() == []


def test_a_body_under_the_threshold_travels_inline(
    aws: awskit.Session, reports: Queue[Report]
) -> None:
    reports.send(Report(title="small", text="x"))
    [msg] = reports.receive()
    assert msg.pointer is None and msg.sqs_body == msg.raw_body
    assert s3_keys(aws) == set()


def test_over_one_mib_without_offload_is_refused_with_a_hint(aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("plain", model=Report)
    with pytest.raises(awskit.InvalidInput, match="offload"):
        queue.send(big_report(size=1_100_000))


def test_bodies_far_over_sqs_limit_go_through(aws: awskit.Session, reports: Queue[Report]) -> None:
    report = big_report(size=3_000_000)
    reports.send(report)
    [msg] = reports.receive()
    assert msg.body == report


def test_send_many_packs_pointers_and_delete_messages_removes_payloads(
    aws: awskit.Session, reports: Queue[Report]
) -> None:
    bodies = [big_report(str(i)) if i % 2 else Report(title=str(i), text="x") for i in range(14)]
    result = reports.send_many(bodies)
    assert result.ok and len(result.sent) == 14
    assert len(s3_keys(aws)) == 7
    got = [m for m in reports.messages(wait_seconds=0)]
    assert sorted(m.body.title for m in got) == sorted(str(i) for i in range(14))
    assert {m.body.title: m.body for m in got} == {b.title: b for b in bodies}
    deleted = reports.delete_messages(got)
    assert deleted.ok and len(deleted.sent) == 14
    assert s3_keys(aws) == set()


def test_process_resolves_pointers_deletes_payloads_and_leaves_missing_ones(
    aws: awskit.Session, reports: Queue[Report]
) -> None:
    reports.send_many([big_report("a"), big_report("b"), Report(title="c", text="x")])
    keys = sorted(s3_keys(aws))
    aws.s3.bucket(BUCKET).delete(keys[0])
    seen: list[str] = []
    stats = reports.process(lambda m: seen.append(m.body.title), workers=1,
                            wait_seconds=0, stop_when_empty=True)  # fmt: skip
    assert (stats.succeeded, stats.invalid, stats.failed) == (2, 1, 0)
    assert s3_keys(aws) == set()
    # The message whose payload is gone was not deleted: it waits for its dead-letter queue.
    assert reports.attributes.approximate_number_of_messages_not_visible == 1


def test_a_missing_payload_raises_when_the_body_is_read_and_is_never_empty(
    aws: awskit.Session, reports: Queue[Report]
) -> None:
    reports.send(big_report())
    [key] = s3_keys(aws)
    aws.s3.bucket(BUCKET).delete(key)
    [msg] = reports.receive(visibility_timeout=0)
    with pytest.raises(PayloadUnavailable) as info:
        msg.body  # noqa: B018
    error = info.value
    assert isinstance(error, InvalidMessage) and isinstance(error, awskit.AwskitError)
    assert error.pointer == S3Pointer(BUCKET, key) and error.code == "PayloadUnavailable"
    assert isinstance(error.__cause__, awskit.NotFound)
    assert key in str(error) and error.message_id == msg.message_id
    with pytest.raises(PayloadUnavailable):
        msg.raw_body  # noqa: B018
    # Still in the queue, for redelivery and then the dead-letter queue.
    [again] = reports.receive()
    assert again.message_id == msg.message_id and again.receive_count == 2


def test_a_payload_changed_in_s3_is_a_checksum_mismatch(
    aws: awskit.Session, reports: Queue[Report]
) -> None:
    report = big_report()
    reports.send(report)
    [key] = s3_keys(aws)
    forged = report.model_copy(update={"title": "R"}).model_dump_json()  # same size
    aws.s3.bucket(BUCKET).put(key, forged.encode())
    [msg] = reports.receive(visibility_timeout=0)
    with pytest.raises(awskit.ChecksumMismatch) as info:
        msg.body  # noqa: B018
    assert isinstance(info.value, PayloadMismatch) and isinstance(info.value, InvalidMessage)
    assert "SHA-256" in str(info.value)
    aws.s3.bucket(BUCKET).put(key, b"short")
    [msg] = reports.receive()
    with pytest.raises(PayloadMismatch, match="bytes"):
        msg.body  # noqa: B018


def test_a_queue_opened_without_offload_reads_pointers_but_never_deletes_payloads(
    aws: awskit.Session, reports: Queue[Report]
) -> None:
    report = big_report()
    reports.send(report)
    plain = aws.sqs.get_queue("reports", model=Report)
    [msg] = plain.receive()
    assert msg.body == report
    msg.delete()
    assert len(s3_keys(aws)) == 1


def test_delete_payloads_false_keeps_them(aws: awskit.Session, bucket: str) -> None:
    queue = aws.sqs.create_queue("fanout", offload=S3Offload(bucket, delete_payloads=False))
    queue.send("x" * BIG)
    [msg] = queue.receive()
    queue.delete_messages([msg])
    assert len(s3_keys(aws)) == 1


def test_fifo_content_dedup_still_deduplicates_offloaded_bodies(
    aws: awskit.Session, bucket: str
) -> None:
    queue = aws.sqs.create_queue(
        "big.fifo", content_based_deduplication=True, offload=S3Offload(bucket, always=True)
    )
    queue.send("same body", group_id="g")
    queue.send("same body", group_id="g")
    assert [m.body for m in queue.receive()] == ["same body"]


# -- compatibility with the official Python extended client ---------------------------------


def test_awskit_reads_what_the_python_extended_client_sends(
    aws: awskit.Session, reports: Queue[Report], extended: Any
) -> None:
    report = big_report()
    extended.send_message(
        QueueUrl=reports.url,
        MessageBody=report.model_dump_json(),
        MessageAttributes={"Author": {"DataType": "String", "StringValue": "Java fan"}},
    )
    [key] = s3_keys(aws)
    [msg] = reports.receive(attribute_names=["Author"])
    assert CHECKSUM_ATTRIBUTE not in msg.raw_attributes  # verified by size only
    assert msg.body == report and msg.attributes == {"Author": "Java fan"}
    assert msg.pointer == S3Pointer(BUCKET, key)
    msg.delete()
    assert s3_keys(aws) == set()


def test_the_python_extended_client_reads_what_awskit_sends_and_deletes_the_payload(
    aws: awskit.Session, reports: Queue[Report], extended: Any
) -> None:
    report = big_report()
    reports.send(report, attributes={"Author": "Daniel"})
    answer = extended.receive_message(QueueUrl=reports.url, MessageAttributeNames=["All"])
    [raw] = answer["Messages"]
    assert raw["Body"] == report.model_dump_json()
    assert raw["MessageAttributes"]["Author"]["StringValue"] == "Daniel"
    extended.delete_message(QueueUrl=reports.url, ReceiptHandle=raw["ReceiptHandle"])
    assert s3_keys(aws) == set()
    assert reports.receive() == []


def test_awskit_send_many_is_read_by_the_python_extended_client(
    aws: awskit.Session, reports: Queue[Report], extended: Any
) -> None:
    reports.send_many([OutgoingMessage(big_report(str(i))) for i in range(3)])
    bodies = []
    for _ in range(5):
        answer = extended.receive_message(
            QueueUrl=reports.url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        )
        for raw in answer.get("Messages", []):
            bodies.append(Report.model_validate_json(raw["Body"]).title)
            extended.delete_message(QueueUrl=reports.url, ReceiptHandle=raw["ReceiptHandle"])
    assert sorted(bodies) == ["0", "1", "2"]
    assert s3_keys(aws) == set()


def test_the_extended_receipt_handle_is_the_one_the_official_client_deletes_by(
    aws: awskit.Session, reports: Queue[Report], extended: Any
) -> None:
    reports.send(big_report())
    [msg] = reports.receive()
    handle = msg.extended_receipt_handle
    assert split_receipt_handle(handle) == (msg.pointer, msg.receipt_handle)
    extended.delete_message(QueueUrl=reports.url, ReceiptHandle=handle)
    assert s3_keys(aws) == set()
    assert reports.attributes.approximate_number_of_messages_not_visible == 0


def test_the_official_client_handle_carries_the_location_awskit_parses(
    aws: awskit.Session, reports: Queue[Report], extended: Any
) -> None:
    extended.send_message(QueueUrl=reports.url, MessageBody=big_report().model_dump_json())
    [key] = s3_keys(aws)
    answer = extended.receive_message(QueueUrl=reports.url, MessageAttributeNames=["All"])
    pointer, original = split_receipt_handle(answer["Messages"][0]["ReceiptHandle"])
    assert pointer == S3Pointer(BUCKET, key)
    aws.sqs.client.delete_message(QueueUrl=reports.url, ReceiptHandle=original)


def test_legacy_format_is_read_by_both(aws: awskit.Session, bucket: str, extended: Any) -> None:
    queue = aws.sqs.create_queue("old", offload=S3Offload(bucket, legacy_format=True))
    queue.send("y" * BIG)
    [msg] = queue.receive(visibility_timeout=0)
    assert msg.body == "y" * BIG and LEGACY_SIZE_ATTRIBUTE in msg.raw_attributes
    answer = extended.receive_message(QueueUrl=queue.url, MessageAttributeNames=["All"])
    assert answer["Messages"][0]["Body"] == "y" * BIG


# -- faults on the S3 side ------------------------------------------------------------------


def one_shot(url: str, sleeps: SleepRecorder) -> awskit.Session:
    """A session that gives up after one try: faults then surface at once."""
    return make_session(
        url,
        awskit.RetryPolicy(max_attempts=1, sleep=sleeps),
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


def test_a_payload_that_cannot_be_stored_means_no_message(
    fault_proxy: FaultProxy, aws: awskit.Session, bucket: str, sleeps: SleepRecorder
) -> None:
    faulty = one_shot(fault_proxy.url, sleeps)
    queue = faulty.sqs.create_queue("q", offload=S3Offload(bucket))
    fault_proxy.add("5xx", service="s3", operation="PutObject")
    with pytest.raises(awskit.AwskitError) as info:
        queue.send("z" * BIG)
    assert info.value.operation == "PutObject"
    assert ("sqs", "SendMessage") not in fault_proxy.requests
    assert aws.sqs.get_queue("q").receive() == []


def test_send_many_reports_unstored_payloads_and_sends_the_rest(
    fault_proxy: FaultProxy, aws: awskit.Session, bucket: str, sleeps: SleepRecorder
) -> None:
    faulty = one_shot(fault_proxy.url, sleeps)
    queue = faulty.sqs.create_queue("q", offload=S3Offload(bucket))
    fault_proxy.add("drop", service="s3", operation="PutObject", times=2)
    result = queue.send_many([f"{i}" * BIG for i in range(6)], concurrency=1)
    assert len(result.sent) == 4 and len(result.failed) == 2
    for failure in result.failed:
        assert "payload not stored" in failure.reason and not failure.sender_fault
    received = list(aws.sqs.get_queue("q").messages(wait_seconds=0))
    assert sorted(m.body[0] for m in received) == sorted(
        str(i) for i in range(6) if i not in {f.index for f in result.failed}
    )
    # Nothing orphaned: every object in the bucket is some sent message's payload.
    assert s3_keys(aws) == {m.pointer.key for m in received if m.pointer is not None}


def test_transient_put_failures_are_retried(
    fault_proxy: FaultProxy, faulty_aws: awskit.Session, aws: awskit.Session, bucket: str
) -> None:
    queue = faulty_aws.sqs.create_queue("q", offload=S3Offload(bucket))
    fault_proxy.add("5xx", service="s3", operation="PutObject", times=4)
    queue.send("w" * BIG)
    assert fault_proxy.injected["5xx"] == 4
    [msg] = aws.sqs.get_queue("q").receive()
    assert msg.body == "w" * BIG


def test_a_message_sqs_refuses_takes_its_payload_with_it(aws: awskit.Session, bucket: str) -> None:
    queue = aws.sqs.create_queue("gone", offload=S3Offload(bucket))
    aws.sqs.client.delete_queue(QueueUrl=queue.url)
    with pytest.raises(awskit.NotFound):
        queue.send("v" * BIG)
    with pytest.raises(awskit.NotFound):
        queue.send_many(["v" * BIG, "u" * BIG])
    assert s3_keys(aws) == set()


def test_s3_down_on_receive_gives_the_messages_back_and_raises(
    fault_proxy: FaultProxy, aws: awskit.Session, bucket: str, sleeps: SleepRecorder
) -> None:
    queue = aws.sqs.create_queue("q", offload=S3Offload(bucket))
    queue.send("t" * BIG)
    faulty = one_shot(fault_proxy.url, sleeps)
    fault_proxy.add("5xx", service="s3", operation="GetObject")
    with pytest.raises(awskit.AwskitError) as info:
        faulty.sqs.get_queue("q").receive(visibility_timeout=60)
    assert not isinstance(info.value, InvalidMessage)
    # Made visible again at once, despite the 60 s asked for: the next receive has it.
    [msg] = queue.receive()
    assert msg.body == "t" * BIG and msg.receive_count == 2


def test_a_malformed_pointer_is_payload_unavailable(
    aws: awskit.Session, reports: Queue[Report]
) -> None:
    aws.sqs.client.send_message(
        QueueUrl=reports.url,
        MessageBody='{"title": "not a pointer", "text": ""}',
        MessageAttributes={SIZE_ATTRIBUTE: {"DataType": "Number", "StringValue": "38"}},
    )
    [msg] = reports.receive()
    with pytest.raises(PayloadUnavailable, match="no S3 pointer") as info:
        msg.body  # noqa: B018
    assert info.value.pointer is None and msg.pointer is None


def test_a_payload_that_is_not_utf8_is_a_mismatch(
    aws: awskit.Session, reports: Queue[Report]
) -> None:
    aws.s3.bucket(BUCKET).put("bad", b"\xff\xfe")
    aws.sqs.client.send_message(
        QueueUrl=reports.url,
        MessageBody=S3Pointer(BUCKET, "bad").to_json(),
        MessageAttributes={SIZE_ATTRIBUTE: {"DataType": "Number", "StringValue": "2"}},
    )
    [msg] = reports.receive()
    with pytest.raises(PayloadMismatch, match="UTF-8"):
        msg.body  # noqa: B018


def test_payloads_can_be_encrypted_with_a_kms_key(aws: awskit.Session, bucket: str) -> None:
    key_id = aws.session.client("kms", endpoint_url=aws.endpoint_url).create_key()["KeyMetadata"][
        "KeyId"
    ]
    queue = aws.sqs.create_queue("secret", offload=S3Offload(bucket, kms_key_id=key_id))
    queue.send("s" * BIG)
    [msg] = queue.receive()
    assert msg.pointer is not None and msg.body == "s" * BIG
    head = aws.s3.client.head_object(Bucket=BUCKET, Key=msg.pointer.key)
    assert head["ServerSideEncryption"] == "aws:kms" and key_id in head["SSEKMSKeyId"]


def test_a_payload_that_cannot_be_deleted_is_logged_not_raised(
    fault_proxy: FaultProxy,
    aws: awskit.Session,
    bucket: str,
    sleeps: SleepRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    aws.sqs.create_queue("q")
    faulty = one_shot(fault_proxy.url, sleeps)
    queue = faulty.sqs.get_queue("q", offload=S3Offload(bucket))
    queue.send("d" * BIG)
    queue.send("e" * BIG)
    fault_proxy.add("5xx", service="s3", operation="DeleteObjects")
    first, second = queue.receive()
    first.delete()
    assert queue.delete_messages([second]).ok
    assert aws.sqs.get_queue("q").attributes.approximate_number_of_messages_not_visible == 0
    leftovers = [r.getMessage() for r in caplog.records if "could not be" in r.getMessage()]
    assert len(leftovers) == 2
    assert {f"s3://{BUCKET}/{key}" for key in s3_keys(aws)} == {
        text.split("payload ")[1].split(" could")[0] for text in leftovers
    }


def test_a_message_whose_bucket_is_gone_is_still_deleted(
    aws: awskit.Session, reports: Queue[Report], caplog: pytest.LogCaptureFixture
) -> None:
    reports.send(big_report())
    aws.s3.delete_bucket(BUCKET, empty=True)
    [msg] = reports.receive()
    with pytest.raises(PayloadUnavailable):
        msg.body  # noqa: B018
    msg.delete()  # the user decided: the message goes, the payload is reported
    assert reports.attributes.approximate_number_of_messages_not_visible == 0
    assert any("NoSuchBucket" in r.getMessage() for r in caplog.records)
