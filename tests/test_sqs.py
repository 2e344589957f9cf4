"""awskit.sqs against moto's server: seed workflow, every method, FIFO, 1 MiB, process()."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from decimal import Decimal

import pytest
from pydantic import BaseModel

import awskit
from awskit.sqs import (
    InvalidMessage,
    Message,
    OutgoingMessage,
    ProcessStats,
    Queue,
    QueueAttributes,
)

MiB = 1_048_576


class Greeting(BaseModel):
    name: str


# -- the seed workflow, step by step ------------------------------------------------------------


def test_seed_workflow(aws: awskit.Session) -> None:
    # Create a queue with DelaySeconds.
    created = aws.sqs.create_queue("test", model=Greeting, delay_seconds=5)
    assert created.attributes.delay_seconds == 5
    assert created.attributes.raw["DelaySeconds"] == "5"

    # Get it by name.
    queue = aws.sqs.get_queue("test", model=Greeting)
    assert queue.url == created.url
    assert queue == created

    # List all queues.
    names = [q.name for q in aws.sqs.queues()]
    assert names == ["test"]

    # Read the name from the ARN.
    assert queue.arn.startswith("arn:aws:sqs:")
    assert queue.arn.split(":")[-1] == "test" == queue.name

    # Send a message (a per-message delay of 0 overrides the queue's 5 s).
    first = queue.send(Greeting(name="world"), delay_seconds=0)
    assert len(first.md5_of_body) == 32
    assert first.sequence_number is None

    # Send with a custom attribute.
    queue.send(Greeting(name="Boto3"), attributes={"Author": "Daniel"}, delay_seconds=0)

    # Send a batch and inspect Failed.
    batch = queue.send_many(
        [
            OutgoingMessage(Greeting(name="batch-1"), delay_seconds=0),
            OutgoingMessage(Greeting(name="batch-2"), {"Author": "Daniel"}, delay_seconds=0),
        ]
    )
    assert batch.failed == []
    assert [r.index for r in batch.sent] == [0, 1]

    # Receive with attribute names, print body and author, delete each message.
    seen: dict[str, object] = {}
    while len(seen) < 4:
        messages = queue.receive(max_messages=10, attribute_names=["Author"])
        assert messages, "every message was sent with no delay"
        for msg in messages:
            author = msg.attributes.get("Author")
            print(f"Hello, {msg.body.name}!" + (f" ({author})" if author else ""))
            seen[msg.body.name] = msg.attributes.get("Author")
            msg.delete()
    assert seen == {"world": None, "Boto3": "Daniel", "batch-1": None, "batch-2": "Daniel"}
    assert queue.receive() == []


# -- queues ---------------------------------------------------------------------------------------


def test_create_queue_typed_attributes_and_dead_letter_queue(aws: awskit.Session) -> None:
    dlq = aws.sqs.create_queue("jobs-dlq")
    jobs = aws.sqs.create_queue(
        "jobs",
        model=Greeting,
        visibility_timeout=45,
        message_retention_seconds=3600,
        maximum_message_size=2048,
        receive_wait_seconds=3,
        dead_letter_queue=dlq,
        max_receive_count=4,
        attributes={"DelaySeconds": "2"},
    )
    attrs = jobs.attributes
    assert isinstance(attrs, QueueAttributes)
    assert (attrs.visibility_timeout, attrs.message_retention_seconds) == (45, 3600)
    assert (attrs.maximum_message_size, attrs.receive_wait_seconds) == (2048, 3)
    assert attrs.delay_seconds == 2
    assert attrs.fifo is False
    assert attrs.redrive_policy is not None
    assert attrs.redrive_policy.dead_letter_target_arn == dlq.arn
    assert attrs.redrive_policy.max_receive_count == 4
    assert isinstance(attrs.created_at, dt.datetime)
    # A DLQ given by ARN works the same.
    by_arn = aws.sqs.create_queue("jobs2", dead_letter_queue=dlq.arn, max_receive_count=1)
    assert by_arn.attributes.redrive_policy is not None


def test_create_queue_is_idempotent_but_conflicts_are_already_exists(aws: awskit.Session) -> None:
    one = aws.sqs.create_queue("same", delay_seconds=1)
    again = aws.sqs.create_queue("same", delay_seconds=1)
    assert again.url == one.url
    with pytest.raises(awskit.AlreadyExists) as info:
        aws.sqs.create_queue("same", delay_seconds=2)
    assert info.value.operation == "CreateQueue"


BAD_CREATE: list[tuple[dict[str, object], str]] = [
    ({"name": ""}, "name"),
    ({"name": "x" * 81}, "name"),
    ({"name": "has space"}, "name"),
    ({"name": "dots.are.bad"}, "name"),
    ({"name": "y" * 76 + ".fifo"}, "name"),
    ({"name": "plain", "fifo": True}, "fifo"),
    ({"name": "q.fifo", "fifo": False}, "fifo"),
    ({"name": "q", "delay_seconds": 901}, "delay_seconds"),
    ({"name": "q", "delay_seconds": -1}, "delay_seconds"),
    ({"name": "q", "visibility_timeout": 43201}, "visibility_timeout"),
    ({"name": "q", "message_retention_seconds": 59}, "message_retention_seconds"),
    ({"name": "q", "maximum_message_size": MiB + 1}, "maximum_message_size"),
    ({"name": "q", "receive_wait_seconds": 21}, "receive_wait_seconds"),
    ({"name": "q", "content_based_deduplication": True}, "content_based_deduplication"),
    ({"name": "q", "dead_letter_queue": "arn:aws:sqs:us-east-1:1:d"}, "max_receive_count"),
    (
        {"name": "q", "dead_letter_queue": "not-an-arn", "max_receive_count": 3},
        "dead_letter_queue",
    ),
    ({"name": "q", "max_receive_count": 3}, "max_receive_count"),
    (
        {"name": "q", "dead_letter_queue": "arn:aws:sqs:r:1:d", "max_receive_count": 0},
        "max_receive_count",
    ),
    ({"name": "q", "model": dict}, "model"),
]


def test_create_queue_rejects_bad_input_before_any_request(aws: awskit.Session) -> None:
    for case, field in BAD_CREATE:
        kwargs = dict(case)
        name = kwargs.pop("name")
        with pytest.raises(awskit.InvalidInput) as info:
            aws.sqs.create_queue(name, **kwargs)  # type: ignore[call-overload]
        assert info.value.field == field, case
    assert list(aws.sqs.queues()) == []


def test_get_queue_not_found_and_queues_by_prefix_over_pages(aws: awskit.Session) -> None:
    with pytest.raises(awskit.NotFound):
        aws.sqs.get_queue("missing")
    for name in ("app-a", "app-b", "other"):
        aws.sqs.create_queue(name)
    assert sorted(q.name for q in aws.sqs.queues(prefix="app-")) == ["app-a", "app-b"]
    everything = list(aws.sqs.queues())
    assert all(isinstance(q, Queue) and q.model is None for q in everything)
    assert len(everything) == 3


def test_queues_reads_every_page(aws: awskit.Session) -> None:
    # ListQueues returns at most 1000 URLs a page: ask for pages of 2 through the
    # client's paging token contract by creating more queues than one small page.
    for n in range(5):
        aws.sqs.create_queue(f"p{n}")
    seen = [q.name for q in aws.sqs.queues(prefix="p")]
    assert sorted(seen) == [f"p{n}" for n in range(5)]


def test_purge_and_delete(aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("doomed")
    queue.send_many(["a", "b", "c"])
    assert queue.attributes.approximate_number_of_messages == 3
    queue.purge()
    assert queue.receive() == []
    queue.delete()
    with pytest.raises(awskit.NotFound):
        aws.sqs.get_queue("doomed")


# -- messages -------------------------------------------------------------------------------------


def test_message_fields_visibility_and_receive_count(aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("fields")
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5)
    sent = queue.send("hello")
    [msg] = queue.receive()
    assert msg.message_id == sent.message_id
    assert msg.body == msg.raw_body == "hello"
    assert msg.receive_count == 1
    assert msg.sent_at.tzinfo is not None and msg.sent_at >= before
    assert msg.receipt_handle
    assert "fields" in repr(msg) and "hello" not in repr(msg)
    msg.change_visibility(0)
    [again] = queue.receive()
    assert again.message_id == msg.message_id
    assert again.receive_count == 2
    again.change_visibility(600)
    assert queue.receive() == []
    with pytest.raises(awskit.InvalidInput):
        again.change_visibility(43_201)
    again.delete()
    assert queue.attributes.approximate_number_of_messages_not_visible == 0


def test_attributes_are_typed_by_data_type(aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("attrs")
    sent = {
        "Author": "Daniel",
        "Count": 42,
        "Big": 10**30,
        "Price": Decimal("19.99"),
        "Ratio": 0.25,
        "Blob": b"\x00\xffbin",
        "Custom": {"DataType": "Number.float", "StringValue": "2.5"},
        "Label": {"DataType": "String.label", "StringValue": "x"},
    }
    queue.send("with attributes", attributes=sent)
    [msg] = queue.receive()
    got = msg.attributes
    assert got["Author"] == "Daniel"
    assert got["Count"] == 42 and type(got["Count"]) is int
    assert got["Big"] == 10**30
    assert got["Price"] == Decimal("19.99") and isinstance(got["Price"], Decimal)
    assert got["Ratio"] == 0.25 and type(got["Ratio"]) is float
    assert got["Blob"] == b"\x00\xffbin"
    assert got["Custom"] == 2.5 and type(got["Custom"]) is float
    assert got["Label"] == "x"
    # Asking for one attribute returns only that one, and its MD5 still checks out.
    msg.change_visibility(0)
    [only] = queue.receive(attribute_names=["Author"])
    assert only.attributes == {"Author": "Daniel"}


BAD_ATTRIBUTES: list[tuple[dict[str, object], str]] = [
    ({f"a{n}": "v" for n in range(11)}, "attributes"),
    ({"AWS.trace": "x"}, "attributes['AWS.trace']"),
    ({"amazon.thing": "x"}, "attributes['amazon.thing']"),
    ({"bad name": "x"}, "attributes['bad name']"),
    ({".dot": "x"}, "attributes['.dot']"),
    ({"flag": True}, "attributes['flag']"),
    ({"empty": ""}, "attributes['empty']"),
    ({"nan": float("nan")}, "attributes['nan']"),
    ({"obj": object()}, "attributes['obj']"),
    ({"dt": {"DataType": "Date", "StringValue": "x"}}, "attributes['dt']"),
]


def test_send_checks_attributes_before_sending(aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("checked")
    for attributes, field in BAD_ATTRIBUTES:
        with pytest.raises(awskit.InvalidInput) as info:
            queue.send("x", attributes=attributes)
        assert info.value.field == field
        with pytest.raises(awskit.InvalidInput):
            queue.send_many([OutgoingMessage("ok"), OutgoingMessage("x", attributes)])
    assert queue.attributes.approximate_number_of_messages == 0


def test_send_checks_other_limits(aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("limits", model=Greeting)
    fifo = aws.sqs.create_queue("limits.fifo")
    cases = [
        (lambda: queue.send(Greeting(name="x"), delay_seconds=901), "delay_seconds"),
        (lambda: queue.send(Greeting(name="x"), group_id="g"), "group_id"),
        (lambda: queue.send(Greeting(name="x"), dedup_id="d"), "dedup_id"),
        (lambda: queue.send("raw text"), "body"),  # type: ignore[arg-type]
        (lambda: queue.send(42), "body"),  # type: ignore[arg-type]
        (lambda: fifo.send("x"), "group_id"),
        (lambda: fifo.send("x", group_id="g", delay_seconds=1), "delay_seconds"),
        (lambda: fifo.send("x", group_id="bad group"), "group_id"),
        (lambda: fifo.send("x", group_id="g", dedup_id="d" * 129), "dedup_id"),
        (lambda: fifo.send("", group_id="g"), "body"),
        (lambda: fifo.send("bell\x07", group_id="g"), "body"),
    ]
    for call, field in cases:
        with pytest.raises(awskit.InvalidInput) as info:
            call()
        assert info.value.field == field


def test_invalid_body_raises_invalid_message_and_is_not_lost(aws: awskit.Session) -> None:
    raw = aws.sqs.create_queue("mixed")
    raw.send('{"name": "fine"}')
    raw.send('{"nom": "wrong"}')
    typed = aws.sqs.get_queue("mixed", model=Greeting)
    messages = typed.receive()
    assert len(messages) == 2
    good = [m for m in messages if "fine" in m.raw_body]
    bad = [m for m in messages if "wrong" in m.raw_body]
    assert good[0].body == Greeting(name="fine")
    with pytest.raises(InvalidMessage) as info:
        bad[0].body  # noqa: B018
    assert info.value.message_id == bad[0].message_id
    assert info.value.raw_body == '{"nom": "wrong"}'
    assert isinstance(info.value, awskit.AwskitError)
    assert "wrong" not in str(info.value)
    assert raw.attributes.approximate_number_of_messages_not_visible == 2


def test_messages_iterator_and_delete_messages(aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("iter")
    result = queue.send_many(f"m{n}" for n in range(23))
    assert len(result.sent) == 23 and result.ok
    received = list(queue.messages(wait_seconds=0))
    assert sorted(m.body for m in received) == sorted(f"m{n}" for n in range(23))
    deleted = queue.delete_messages(received + received[:3])  # repeats are deleted once
    assert len(deleted.sent) == 23 and deleted.failed == []
    assert queue.attributes.approximate_number_of_messages_not_visible == 0
    assert queue.delete_messages([]).sent == []


def test_delete_messages_reports_sender_faults(aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("stale")
    queue.send_many(["a", "b"])
    a, b = queue.receive()
    forged = Message(queue, None, {"MessageId": "x", "ReceiptHandle": "forged", "Body": "x"},
                     dt.datetime.now(dt.timezone.utc))  # fmt: skip
    result = queue.delete_messages([a, forged, b])
    assert [r.message_id for r in result.sent] == [a.message_id, b.message_id] or sorted(
        r.message_id for r in result.sent
    ) == sorted([a.message_id, b.message_id])
    [failure] = result.failed
    assert failure.sender_fault and failure.code == "ReceiptHandleIsInvalid"
    assert failure.entry is forged and failure.body == "x"


def test_receive_validates_arguments(aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("recv")
    for kwargs, field in (
        ({"max_messages": 0}, "max_messages"),
        ({"max_messages": 11}, "max_messages"),
        ({"wait_seconds": 21}, "wait_seconds"),
        ({"visibility_timeout": -1}, "visibility_timeout"),
    ):
        with pytest.raises(awskit.InvalidInput) as info:
            queue.receive(**kwargs)  # type: ignore[arg-type]
        assert info.value.field == field


# -- FIFO -----------------------------------------------------------------------------------------


def drain_fifo(queue: Queue[str]) -> list[Message[str]]:
    out: list[Message[str]] = []
    while batch := queue.receive(10):
        out.extend(batch)
        assert queue.delete_messages(batch).ok
    return out


def test_fifo_send_many_keeps_group_order(aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("orders.fifo")
    assert queue.fifo and queue.attributes.fifo
    bodies = [OutgoingMessage(f"g{n % 3}-{n}", group_id=f"g{n % 3}") for n in range(40)]
    result = queue.send_many(bodies)
    assert result.ok and len(result.sent) == 40
    assert all(r.sequence_number for r in result.sent)
    got = drain_fifo(queue)
    assert len(got) == 40
    for group in ("g0", "g1", "g2"):
        order = [int(m.body.split("-")[1]) for m in got if m.group_id == group]
        assert order == sorted(order) and len(order) in (13, 14)


def test_fifo_single_send_and_deduplication(aws: awskit.Session) -> None:
    explicit = aws.sqs.create_queue("dedup.fifo")
    explicit.send("one", group_id="g", dedup_id="same")
    explicit.send("two", group_id="g", dedup_id="same")  # dropped by SQS as a duplicate
    explicit.send("three", group_id="g")  # awskit supplies a fresh deduplication id
    assert [m.body for m in drain_fifo(explicit)] == ["one", "three"]

    content = aws.sqs.create_queue("content.fifo", content_based_deduplication=True)
    assert content.attributes.content_based_deduplication
    content.send("same", group_id="g")
    content.send("same", group_id="g")
    assert [m.body for m in drain_fifo(content)] == ["same"]


# -- 1 MiB edges ----------------------------------------------------------------------------------


def test_one_mib_edges(aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("big")
    exactly = "x" * MiB
    queue.send(exactly)
    [msg] = queue.receive()
    assert msg.body == exactly
    msg.delete()
    with pytest.raises(awskit.InvalidInput) as info:
        queue.send("x" * (MiB + 1))
    assert info.value.field == "body"
    # Multi-byte characters count as bytes: 'é' is two.
    queue.send("é" * (MiB // 2))
    with pytest.raises(awskit.InvalidInput):
        queue.send("é" * (MiB // 2) + "x")
    # Attributes count toward the limit: name + DataType + value.
    with pytest.raises(awskit.InvalidInput):
        queue.send("x" * (MiB - 10), attributes={"A": "12345"})  # 1 + 6 + 5 = 12 bytes
    queue.send("x" * (MiB - 12), attributes={"A": "12345"})
    queue.purge()


def test_send_many_splits_by_size(aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("split")
    bodies = [chr(ord("a") + n) * 400_000 for n in range(5)]
    result = queue.send_many(bodies + ["small"] * 3)
    assert result.ok and [r.index for r in result.sent] == list(range(8))
    got = sorted(m.body for m in queue.messages(wait_seconds=0))
    assert got == sorted(bodies + ["small"] * 3)


# -- process() ------------------------------------------------------------------------------------


def test_process_with_failing_and_invalid_messages(aws: awskit.Session) -> None:
    raw = aws.sqs.create_queue("work")
    typed = aws.sqs.get_queue("work", model=Greeting)
    names = [f"ok{n}" for n in range(12)] + ["fail1", "fail2"]
    typed.send_many(Greeting(name=n) for n in names)
    raw.send_many(["not json", '{"other": 1}'])
    calls: dict[str, int] = {}
    lock = threading.Lock()

    def handler(msg: Message[Greeting]) -> None:
        with lock:
            calls[msg.body.name] = calls.get(msg.body.name, 0) + 1
        if msg.body.name.startswith("fail"):
            raise RuntimeError("handler says no")

    stats = typed.process(handler, workers=4, wait_seconds=0, stop_when_empty=True)
    assert stats == ProcessStats(succeeded=12, failed=2, invalid=2)
    assert calls == dict.fromkeys(names, 1)
    # Failures and invalid bodies stay in the queue (hidden until redelivery), not deleted.
    attrs = raw.attributes
    assert attrs.approximate_number_of_messages == 0
    assert attrs.approximate_number_of_messages_not_visible == 4


def test_process_heartbeat_keeps_a_slow_message_hidden(aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("slow", visibility_timeout=2)
    queue.send_many(["slow", "quick"])
    calls: list[str] = []
    visible_while_slow: list[list[str]] = []

    def handler(msg: Message[str]) -> None:
        calls.append(msg.body)
        if msg.body == "slow":
            time.sleep(3.2)  # past the 2 s visibility timeout: the heartbeat must cover it
            peek = queue.receive(10, visibility_timeout=0)
            visible_while_slow.append([m.body for m in peek])

    stats = queue.process(handler, workers=2, wait_seconds=0, stop_when_empty=True)
    assert stats == ProcessStats(succeeded=2, failed=0, invalid=0)
    assert sorted(calls) == ["quick", "slow"]
    assert visible_while_slow == [[]]
    assert queue.attributes.approximate_number_of_messages_not_visible == 0


def test_process_max_messages_and_failure_backoff(aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("bounded")
    queue.send_many(f"m{n}" for n in range(25))
    handled: list[str] = []
    stats = queue.process(handled.append, workers=3, wait_seconds=0, max_messages=7)
    assert stats.succeeded == 7 and len(handled) == 7
    assert queue.attributes.approximate_number_of_messages == 18

    backoffs: list[int] = []

    def backoff(receive_count: int) -> int:
        backoffs.append(receive_count)
        return 300

    def refuse(msg: Message[str]) -> None:
        raise ValueError(msg.body)

    stats = queue.process(
        refuse, workers=2, wait_seconds=0, stop_when_empty=True, failure_backoff=backoff
    )
    assert stats == ProcessStats(succeeded=0, failed=18, invalid=0)
    assert backoffs == [1] * 18
    assert queue.receive() == []  # hidden for the 300 s backoff


def test_process_stops_on_sigint_and_restores_handlers(aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("forever")
    queue.send_many(["a", "b"])
    before = signal.getsignal(signal.SIGINT)
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        stats = queue.process(lambda m: None, workers=2, wait_seconds=1)
    finally:
        timer.cancel()
    assert stats.succeeded == 2
    assert signal.getsignal(signal.SIGINT) is before


def test_process_off_the_main_thread_and_errors_surface(aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("threaded")
    queue.send_many(["a", "b", "c"])
    out: list[ProcessStats] = []

    def consume() -> None:
        out.append(queue.process(lambda m: None, wait_seconds=0, stop_when_empty=True))

    thread = threading.Thread(target=consume)
    thread.start()
    thread.join(30)
    assert out == [ProcessStats(succeeded=3, failed=0, invalid=0)]

    gone = aws.sqs.create_queue("gone")
    gone.delete()
    with pytest.raises(awskit.NotFound):
        gone.process(lambda m: None, wait_seconds=0, stop_when_empty=True, visibility_timeout=5)
    for kwargs in ({"workers": 0}, {"wait_seconds": 30}, {"max_messages": -1}):
        with pytest.raises(awskit.InvalidInput):
            queue.process(lambda m: None, **kwargs)  # type: ignore[arg-type]


def test_invalid_bodies_reach_the_dead_letter_queue(aws: awskit.Session) -> None:
    dlq = aws.sqs.create_queue("poison-dlq")
    raw = aws.sqs.create_queue(
        "poison", visibility_timeout=1, dead_letter_queue=dlq, max_receive_count=1
    )
    raw.send("not a greeting")
    typed = aws.sqs.get_queue("poison", model=Greeting)
    first = typed.process(lambda m: None, workers=1, wait_seconds=0, stop_when_empty=True)
    assert first == ProcessStats(succeeded=0, failed=0, invalid=1)
    # Visible again after 1 s; SQS then moves it (receive count 1 >= 1) to the DLQ.
    again = typed.process(lambda m: None, workers=1, wait_seconds=2, stop_when_empty=True)
    assert again == ProcessStats()
    [dead] = dlq.receive()
    assert dead.body == "not a greeting"
