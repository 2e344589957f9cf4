"""awskit.sqs under faults: the fault proxy in front of moto, and canned replies for MD5s.

The fault proxy injects throttles, 500s, dropped connections (before and after moto did the
work) and half-failed batches; canned replies (botocore's before-send hook) pin responses
whose MD5s disagree with what was sent, which no emulator produces.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest
from pydantic import BaseModel

import awskit
from awskit.sqs import Message, OutgoingMessage, Queue
from awskit.sqs.codec import encode_attributes, md5_of_attributes, md5_of_body
from tests.canned import CannedReply, canned, sqs_json
from tests.conftest import SleepRecorder
from tests.faults import FaultProxy

URL = "https://sqs.us-east-1.amazonaws.com/123456789012/canned"


class Greeting(BaseModel):
    name: str


def request_json(request: AWSPreparedRequest) -> dict[str, Any]:
    body = request.body
    return json.loads(body.decode() if isinstance(body, bytes) else str(body))


# -- the fault proxy ------------------------------------------------------------------------------


def consume_all(queue: Queue[str]) -> Counter[str]:
    seen: Counter[str] = Counter()

    def handler(msg: Message[str]) -> None:
        seen[msg.body] += 1

    queue.process(handler, workers=4, wait_seconds=0, stop_when_empty=True)
    return seen


def test_2000_messages_sent_under_faults_all_arrive(
    faulty_aws: awskit.Session, aws: awskit.Session, fault_proxy: FaultProxy
) -> None:
    # Faults hit SendMessageBatch only: send_many is under test; the reader goes to moto
    # directly so that a dropped ReceiveMessage cannot hide messages for 30 s.
    for kind, probability in (
        ("throttle", 0.05),
        ("5xx", 0.05),
        ("drop", 0.03),
        ("drop_after", 0.03),
        ("partial", 0.3),
    ):
        fault_proxy.add(kind, service="sqs", operation="SendMessageBatch", probability=probability)
    # Forty queues of 50 keep moto fast (its receives slow down linearly with depth), and
    # let botocore's real backoff sleeps overlap.
    names = [f"bulk-{q}" for q in range(40)]
    senders = [faulty_aws.sqs.create_queue(name) for name in names]

    def send_all(queue: Queue[str]) -> int:
        pending = [f"{queue.name}/{n}" for n in range(50)]
        reported = 0
        for _ in range(5):
            result = queue.send_many(pending, concurrency=4)
            indices = [r.index for r in result.sent] + [f.index for f in result.failed]
            assert sorted(indices) == list(range(len(pending)))  # each exactly once
            assert not any(f.sender_fault for f in result.failed)
            reported += len(result.failed)
            # What outlived botocore's own attempts comes back with its body: resend it.
            pending = [f.body for f in result.failed]
            if not pending:
                return reported
        raise AssertionError(f"{len(pending)} still failing after 5 rounds")

    def read_all(name: str) -> list[str]:
        # Hidden for 10 minutes, so each copy in the queue is read exactly once.
        queue = aws.sqs.get_queue(name)
        return [m.body for m in queue.messages(wait_seconds=0, visibility_timeout=600)]

    with ThreadPoolExecutor(8) as pool:
        reported_failures = sum(pool.map(send_all, senders))
        received = Counter(body for bodies in pool.map(read_all, names) for body in bodies)
    expected = {f"{name}/{n}" for name in names for n in range(50)}
    assert set(received) == expected  # none lost
    duplicates = sum(received.values()) - len(expected)
    print(f"2000 sent: {duplicates} duplicates, {reported_failures} failures reported and resent")
    injected = fault_proxy.injected
    assert all(injected[kind] > 0 for kind in ("throttle", "5xx", "drop", "drop_after", "partial"))


def test_fifo_order_and_exactly_once_under_half_failed_batches(
    faulty_aws: awskit.Session, aws: awskit.Session, fault_proxy: FaultProxy
) -> None:
    fault_proxy.add("partial", service="sqs", operation="SendMessageBatch", probability=0.5)
    fault_proxy.add("drop_after", service="sqs", operation="SendMessageBatch", probability=0.1)
    sender = faulty_aws.sqs.create_queue("ordered.fifo")
    messages = [OutgoingMessage(f"{n % 5}:{n}", group_id=f"g{n % 5}") for n in range(60)]
    result = sender.send_many(messages)
    assert result.ok and len(result.sent) == 60
    assert fault_proxy.injected["partial"] > 0
    reader = aws.sqs.get_queue("ordered.fifo")
    got: list[Message[str]] = []
    while batch := reader.receive(10):
        got.extend(batch)
        assert reader.delete_messages(batch).ok
    bodies = [m.body for m in got]
    assert sorted(bodies) == sorted(m.body for m in messages)  # exactly once: dedup ids reused
    for group in range(5):
        order = [int(b.split(":")[1]) for b in bodies if b.startswith(f"{group}:")]
        assert order == sorted(order)


def test_throttled_receive_outlives_botocore_and_is_retried(
    faulty_aws: awskit.Session, fault_proxy: FaultProxy, sleeps: SleepRecorder
) -> None:
    queue = faulty_aws.sqs.create_queue("throttled")
    queue.send("hello")
    # Four throttles spend botocore's four attempts (max_attempts=3 retries after the
    # first); awskit's policy backs off and retries once more.
    fault_proxy.add("throttle", service="sqs", operation="ReceiveMessage", times=4)
    [msg] = queue.receive()
    assert msg.body == "hello"
    assert fault_proxy.injected["throttle"] == 4
    assert len(sleeps.calls) == 1


def test_deletes_and_process_survive_half_failed_batches(
    faulty_aws: awskit.Session, fault_proxy: FaultProxy
) -> None:
    queue = faulty_aws.sqs.create_queue("partial-deletes")
    queue.send_many(f"m{n}" for n in range(30))
    fault_proxy.add("partial", service="sqs", operation="DeleteMessageBatch", probability=0.7)
    fault_proxy.add("5xx", service="sqs", operation="ReceiveMessage", probability=0.2)
    seen = consume_all(queue)
    assert set(seen) == {f"m{n}" for n in range(30)}
    assert fault_proxy.injected["partial"] > 0
    assert queue.attributes.approximate_number_of_messages_not_visible == 0


def test_exhausted_retries_are_reported_not_dropped(
    faulty_aws: awskit.Session, fault_proxy: FaultProxy
) -> None:
    queue = faulty_aws.sqs.create_queue("stubborn")
    fault_proxy.add("partial", service="sqs", operation="SendMessageBatch")  # every time
    result = queue.send_many([f"m{n}" for n in range(4)])
    # Half of each attempt is withheld until a lone entry is left: it passes (a batch of one
    # cannot be split), so everything goes out in the end.
    assert len(result.sent) == 4 and result.ok
    fault_proxy.clear()
    fault_proxy.add("5xx", service="sqs", operation="SendMessageBatch")  # every time
    with pytest.raises(awskit.AwskitError) as info:
        queue.send_many(["x", "y"])  # nothing went out: the error itself is raised
    assert info.value.code in ("InternalError", "InternalFailure")  # query code or type


# -- canned replies: MD5s that disagree, exact per-entry failures ---------------------------------


def test_send_retries_on_md5_mismatch_then_gives_up(
    aws: awskit.Session, sleeps: SleepRecorder
) -> None:
    queue: Queue[str] = Queue(aws, URL)
    answers = ["0" * 32, md5_of_body("hello")]

    def send(request: AWSPreparedRequest) -> CannedReply:
        md5 = answers.pop(0) if answers else "f" * 32
        return sqs_json({"MessageId": "id-1", "MD5OfMessageBody": md5})

    undo = canned(queue.client, {"SendMessage": send})
    try:
        assert queue.send("hello").message_id == "id-1"
        assert answers == [] and len(sleeps.calls) == 1
        with pytest.raises(awskit.ChecksumMismatch):
            queue.send("hello")
        assert len(sleeps.calls) == 1 + aws.retry.max_attempts - 1
    finally:
        undo()


def test_send_checks_the_attribute_md5_too(aws: awskit.Session) -> None:
    queue: Queue[str] = Queue(aws, URL)
    calls: list[dict[str, Any]] = []

    def send(request: AWSPreparedRequest) -> CannedReply:
        calls.append(request_json(request))
        good = md5_of_attributes(encode_attributes({"Author": "Daniel"}))
        attrs_md5 = "0" * 32 if len(calls) == 1 else good
        answer = {"MessageId": "m", "MD5OfMessageBody": md5_of_body("b")}
        return sqs_json({**answer, "MD5OfMessageAttributes": attrs_md5})

    undo = canned(queue.client, {"SendMessage": send})
    try:
        queue.send("b", attributes={"Author": "Daniel"})
    finally:
        undo()
    assert len(calls) == 2
    assert calls[0]["MessageAttributes"]["Author"] == {
        "DataType": "String",
        "StringValue": "Daniel",
    }


def test_send_many_retries_md5_mismatches_and_server_faults_but_not_sender_faults(
    aws: awskit.Session,
) -> None:
    queue: Queue[str] = Queue(aws, URL)
    calls: list[list[str]] = []

    def batch(request: AWSPreparedRequest) -> CannedReply:
        entries = request_json(request)["Entries"]
        calls.append([e["MessageBody"] for e in entries])
        ok, failed = [], []
        for e in entries:
            body = e["MessageBody"]
            first = len(calls) == 1
            if body == "bad":
                failed.append(
                    {
                        "Id": e["Id"],
                        "SenderFault": True,
                        "Code": "InvalidMessageContents",
                        "Message": "no",
                    }
                )
            elif body == "busy" and first:
                failed.append(
                    {
                        "Id": e["Id"],
                        "SenderFault": False,
                        "Code": "InternalError",
                        "Message": "later",
                    }
                )
            else:
                md5 = "0" * 32 if body == "corrupt" and first else md5_of_body(body)
                ok.append({"Id": e["Id"], "MessageId": f"id-{body}", "MD5OfMessageBody": md5})
        return sqs_json({"Successful": ok, "Failed": failed})

    undo = canned(queue.client, {"SendMessageBatch": batch})
    try:
        result = queue.send_many(["fine", "bad", "busy", "corrupt"])
    finally:
        undo()
    assert calls == [["fine", "bad", "busy", "corrupt"], ["busy", "corrupt"]]
    assert [(r.index, r.message_id) for r in result.sent] == [
        (0, "id-fine"), (2, "id-busy"), (3, "id-corrupt")
    ]  # fmt: skip
    [failure] = result.failed
    assert (failure.index, failure.body, failure.code) == (1, "bad", "InvalidMessageContents")
    assert failure.sender_fault


def test_send_many_reports_leftovers_after_every_retry(aws: awskit.Session) -> None:
    queue: Queue[Greeting] = Queue(aws, URL, Greeting)

    def batch(request: AWSPreparedRequest) -> CannedReply:
        entries = request_json(request)["Entries"]
        failed = [
            {"Id": e["Id"], "SenderFault": False, "Code": "InternalError", "Message": "x"}
            for e in entries
        ]
        return sqs_json({"Successful": [], "Failed": failed})

    undo = canned(queue.client, {"SendMessageBatch": batch})
    try:
        result = queue.send_many([Greeting(name="a"), Greeting(name="b")])
    finally:
        undo()
    assert result.sent == []
    assert [f.body for f in result.failed] == [Greeting(name="a"), Greeting(name="b")]
    assert {f.code for f in result.failed} == {"InternalError"}


def test_request_level_errors_raise_translated_when_nothing_was_sent(aws: awskit.Session) -> None:
    queue: Queue[str] = Queue(aws, URL)
    status, headers, body = sqs_json(
        {"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "gone"}, 400
    )
    headers["x-amzn-query-error"] = "AWS.SimpleQueueService.NonExistentQueue;Sender"
    undo = canned(queue.client, {"SendMessageBatch": (status, headers, body)})
    try:
        with pytest.raises(awskit.NotFound):
            queue.send_many(["a"])
    finally:
        undo()


def test_receive_withholds_corrupted_deliveries_and_releases_them(aws: awskit.Session) -> None:
    queue: Queue[str] = Queue(aws, URL)
    attrs = {"Author": {"DataType": "String", "StringValue": "Daniel"}}
    blob = {"Bin": {"DataType": "Binary", "BinaryValue": base64.b64encode(b"\x00\x01").decode()}}
    blob_md5 = md5_of_attributes({"Bin": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})

    def delivery(message_id: str, body: str, md5_body: str, **extra: Any) -> dict[str, Any]:
        return {"MessageId": message_id, "ReceiptHandle": f"r-{message_id}", "Body": body,
                "MD5OfBody": md5_body, **extra}  # fmt: skip

    messages = [
        delivery("good", "fine", md5_of_body("fine"), MessageAttributes=attrs,
                 MD5OfMessageAttributes=md5_of_attributes(attrs),
                 Attributes={"ApproximateReceiveCount": "3", "SentTimestamp": "1700000000000"}),
        delivery("body", "flipped", md5_of_body("flopped")),
        delivery("attrs", "x", md5_of_body("x"), MessageAttributes=attrs,
                 MD5OfMessageAttributes="0" * 32),
        delivery("binary", "y", md5_of_body("y"), MessageAttributes=blob,
                 MD5OfMessageAttributes=blob_md5),
    ]  # fmt: skip
    released: list[dict[str, Any]] = []

    def change(request: AWSPreparedRequest) -> CannedReply:
        entries = request_json(request)["Entries"]
        released.extend(entries)
        return sqs_json({"Successful": [{"Id": e["Id"]} for e in entries], "Failed": []})

    undo = canned(
        queue.client,
        {
            "ReceiveMessage": sqs_json({"Messages": messages}),
            "ChangeMessageVisibilityBatch": change,
        },
    )
    try:
        got = queue.receive()
    finally:
        undo()
    assert [m.message_id for m in got] == ["good", "binary"]
    assert got[0].attributes == {"Author": "Daniel"} and got[0].receive_count == 3
    assert got[0].sent_at.year == 2023
    assert got[1].attributes == {"Bin": b"\x00\x01"}
    handles = [(e["ReceiptHandle"], e["VisibilityTimeout"]) for e in released]
    assert handles == [("r-body", 0), ("r-attrs", 0)]


def test_fifo_group_stops_after_a_failure_and_batches_hold_one_per_group(
    aws: awskit.Session,
) -> None:
    queue: Queue[str] = Queue(aws, URL.replace("canned", "canned.fifo"))
    batches: list[list[str]] = []

    def batch(request: AWSPreparedRequest) -> CannedReply:
        entries = request_json(request)["Entries"]
        batches.append([e["MessageBody"] for e in entries])
        ok, failed = [], []
        for e in entries:
            if e["MessageBody"] == "b0":
                failed.append({"Id": e["Id"], "SenderFault": True, "Code": "Bad", "Message": "x"})
            else:
                ok.append({"Id": e["Id"], "MessageId": e["MessageBody"], "SequenceNumber": "1",
                           "MD5OfMessageBody": md5_of_body(e["MessageBody"])})  # fmt: skip
        return sqs_json({"Successful": ok, "Failed": failed})

    messages = [
        OutgoingMessage(f"{g}{n}", group_id=g, dedup_id=f"{g}{n}") for n in range(3) for g in "abc"
    ]
    undo = canned(queue.client, {"SendMessageBatch": batch})
    try:
        result = queue.send_many(messages)
    finally:
        undo()
    assert batches == [["a0", "b0", "c0"], ["a1", "c1"], ["a2", "c2"]]
    assert sorted(r.message_id for r in result.sent) == ["a0", "a1", "a2", "c0", "c1", "c2"]
    assert [(f.body, f.code) for f in result.failed] == [
        ("b0", "Bad"), ("b1", "GroupStopped"), ("b2", "GroupStopped")
    ]  # fmt: skip


def test_batches_pack_up_to_exactly_one_mib(
    faulty_aws: awskit.Session, fault_proxy: FaultProxy
) -> None:
    queue = faulty_aws.sqs.create_queue("packed")
    half = 524_288
    before = len(fault_proxy.requests)
    assert queue.send_many(["a" * half, "b" * half]).ok  # exactly 1 MiB: one request
    assert fault_proxy.requests[before:] == [("sqs", "SendMessageBatch")]
    before = len(fault_proxy.requests)
    assert queue.send_many(["a" * half, "b" * (half + 1)]).ok  # one byte over: two
    assert fault_proxy.requests[before:] == [("sqs", "SendMessageBatch")] * 2
    queue.purge()
