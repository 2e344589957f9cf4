"""queue.batch_sender() and streaming send_many: checks at once, bounded memory, nothing lost.

Against moto's server for what SQS really keeps, and with canned replies (botocore's
before-send hook) for failures and to watch how far the producer runs ahead of the sends.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest
from pydantic import BaseModel

import awskit
from awskit.sqs import BatchFailure, Message, OutgoingMessage, Queue
from awskit.sqs.codec import md5_of_body
from tests.canned import CannedReply, canned, sqs_json

URL = "https://sqs.us-east-1.amazonaws.com/123456789012/canned"
FIFO_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/canned.fifo"


class Greeting(BaseModel):
    name: str


def entries_of(request: AWSPreparedRequest) -> list[dict[str, Any]]:
    body = request.body
    text = body.decode() if isinstance(body, bytes) else str(body)
    return list(json.loads(text)["Entries"])


def accept(entries: list[dict[str, Any]], refuse: set[str] = frozenset()) -> CannedReply:  # type: ignore[assignment]
    """SQS's answer accepting every entry except the bodies in ``refuse`` (a sender fault)."""
    ok = [
        {
            "Id": e["Id"],
            "MessageId": f"id-{e['Id']}",
            "MD5OfMessageBody": md5_of_body(e["MessageBody"]),
        }
        for e in entries
        if e["MessageBody"] not in refuse
    ]
    failed = [
        {"Id": e["Id"], "SenderFault": True, "Code": "InvalidMessageContents", "Message": "no"}
        for e in entries
        if e["MessageBody"] in refuse
    ]
    return sqs_json({"Successful": ok, "Failed": failed})


def read_all(queue: Queue[str]) -> list[str]:
    got: list[Message[str]] = []
    while batch := queue.receive(10, visibility_timeout=600):
        got.extend(batch)
    return [m.body for m in got]


# -- against moto -----------------------------------------------------------------------------


def test_batch_sender_sends_everything_and_counts_it(aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("stream", model=Greeting)
    with queue.batch_sender() as sender:
        for n in range(57):
            sender.send(Greeting(name=f"g{n}"))
        sender.send(OutgoingMessage(Greeting(name="last"), attributes={"Author": "me"}))
    assert sender.sent == 58
    assert sender.failed == []
    raw = aws.sqs.get_queue("stream")
    bodies = read_all(raw)
    assert sorted(bodies) == sorted(
        Greeting(name=n).model_dump_json() for n in [*(f"g{k}" for k in range(57)), "last"]
    )


def test_batch_sender_keeps_fifo_group_order(aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("stream.fifo")
    with queue.batch_sender() as sender:
        for n in range(45):
            sender.send(OutgoingMessage(f"{n % 3}:{n}", group_id=f"g{n % 3}"))
    assert sender.sent == 45
    bodies: list[str] = []
    while batch := queue.receive(10):
        bodies.extend(m.body for m in batch)
        assert queue.delete_messages(batch).ok
    for group in range(3):
        seen = [int(b.split(":")[1]) for b in bodies if b.startswith(f"{group}:")]
        assert seen == sorted(seen) and len(seen) == 15


def test_batch_sender_checks_each_message_before_any_request(aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("checked", model=Greeting)
    requests: list[str] = []

    def count(request: AWSPreparedRequest, **_: Any) -> None:
        requests.append(str(request.headers.get("X-Amz-Target", "")))

    queue.client.meta.events.register("before-send.sqs", count)
    try:
        with queue.batch_sender() as sender:
            sender.send(Greeting(name="fine"))
            for bad, field in [
                ("raw text", "body"),
                (OutgoingMessage(Greeting(name="x"), delay_seconds=901), "delay_seconds"),
                (OutgoingMessage(Greeting(name="x"), group_id="g"), "group_id"),
                (OutgoingMessage(Greeting(name="x"), attributes={"AWS.x": "1"}), "attributes"),
            ]:
                with pytest.raises(awskit.InvalidInput) as info:
                    sender.send(bad)  # type: ignore[arg-type]
                assert info.value.field.startswith(field)
            assert requests == []  # one good message is buffered; nothing was sent
    finally:
        queue.client.meta.events.unregister("before-send.sqs", count)
    assert sender.sent == 1
    assert len(requests) == 1


# -- canned replies ---------------------------------------------------------------------------


def test_batch_sender_raises_exactly_the_messages_not_sent(aws: awskit.Session) -> None:
    queue: Queue[str] = Queue(aws, URL)
    refuse = {"m3", "m17", "m18"}
    undo = canned(queue.client, {"SendMessageBatch": lambda r: accept(entries_of(r), refuse)})
    try:
        with (
            pytest.raises(awskit.PartialFailure) as info,
            queue.batch_sender(concurrency=4) as sender,
        ):
            for n in range(30):
                sender.send(f"m{n}")
    finally:
        undo()
    failed = info.value.failed
    assert all(isinstance(f, BatchFailure) for f in failed)
    assert [(f.index, f.body, f.code, f.sender_fault) for f in failed] == [
        (3, "m3", "InvalidMessageContents", True),
        (17, "m17", "InvalidMessageContents", True),
        (18, "m18", "InvalidMessageContents", True),
    ]
    assert sender.sent == 27


def test_fifo_sender_stops_a_group_after_its_failure(aws: awskit.Session) -> None:
    queue: Queue[str] = Queue(aws, FIFO_URL)
    seen: list[str] = []

    def reply(request: AWSPreparedRequest) -> CannedReply:
        entries = entries_of(request)
        seen.extend(e["MessageBody"] for e in entries)
        return accept(entries, {"a1"})

    undo = canned(queue.client, {"SendMessageBatch": reply})
    try:
        with pytest.raises(awskit.PartialFailure) as info, queue.batch_sender() as sender:
            for n in range(4):
                sender.send(OutgoingMessage(f"a{n}", group_id="a", dedup_id=f"a{n}"))
                sender.send(OutgoingMessage(f"b{n}", group_id="b", dedup_id=f"b{n}"))
    finally:
        undo()
    assert [(f.body, f.code) for f in info.value.failed] == [
        ("a1", "InvalidMessageContents"),
        ("a2", "GroupStopped"),
        ("a3", "GroupStopped"),
    ]
    assert "a2" not in seen and "a3" not in seen  # never sent out of order
    assert [b for b in seen if b.startswith("b")] == ["b0", "b1", "b2", "b3"]
    assert sender.sent == 5


def _watch_producer(queue: Queue[str], produced: list[int]) -> tuple[list[int], Any]:
    """Per request: how many messages the producer had made but SQS had not yet answered."""
    ahead: list[int] = []
    answered = [0]
    lock = threading.Lock()

    def reply(request: AWSPreparedRequest) -> CannedReply:
        entries = entries_of(request)
        with lock:
            ahead.append(produced[0] - answered[0])
            answered[0] += len(entries)
        return accept(entries)

    return ahead, canned(queue.client, {"SendMessageBatch": reply})


def _bodies(count: int, produced: list[int]) -> Iterator[str]:
    for n in range(count):
        produced[0] += 1
        yield f"m{n}"


def test_batch_sender_never_runs_far_ahead_of_the_network(aws: awskit.Session) -> None:
    queue: Queue[str] = Queue(aws, URL)
    produced = [0]
    ahead, undo = _watch_producer(queue, produced)
    try:
        with queue.batch_sender(concurrency=2) as sender:
            for body in _bodies(2000, produced):
                sender.send(body)
    finally:
        undo()
    assert sender.sent == 2000
    assert len(ahead) == 200
    # 2 x concurrency batches waiting or in flight, the one being filled, and the message
    # in hand: memory is bounded by the concurrency, not by the work.
    assert max(ahead) <= (2 * 2 + 1) * 10 + 1


def test_send_many_reads_a_stream_as_it_sends(aws: awskit.Session) -> None:
    queue: Queue[str] = Queue(aws, URL)
    produced = [0]
    ahead, undo = _watch_producer(queue, produced)
    try:
        result = queue.send_many(_bodies(1000, produced), concurrency=2)
    finally:
        undo()
    assert [r.index for r in result.sent] == list(range(1000))
    assert max(ahead) <= (2 * 2 + 1) * 10 + 1  # the old send_many read all 1000 first


def test_send_many_of_a_list_checks_everything_before_sending(aws: awskit.Session) -> None:
    queue: Queue[str] = Queue(aws, URL)
    calls: list[int] = []

    def reply(request: AWSPreparedRequest) -> CannedReply:
        calls.append(1)
        return accept(entries_of(request))

    undo = canned(queue.client, {"SendMessageBatch": reply})
    try:
        with pytest.raises(awskit.InvalidInput):
            queue.send_many([f"m{n}" for n in range(40)] + [""])
    finally:
        undo()
    assert calls == []


def test_send_many_stream_stops_at_a_wrong_message_after_sending_those_before(
    aws: awskit.Session,
) -> None:
    queue: Queue[str] = Queue(aws, URL)
    sent: list[str] = []

    def reply(request: AWSPreparedRequest) -> CannedReply:
        entries = entries_of(request)
        sent.extend(e["MessageBody"] for e in entries)
        return accept(entries)

    def stream() -> Iterator[str]:
        yield from (f"m{n}" for n in range(25))
        yield ""
        yield "never read"

    undo = canned(queue.client, {"SendMessageBatch": reply})
    try:
        with pytest.raises(awskit.InvalidInput) as info:
            queue.send_many(stream())
    finally:
        undo()
    assert info.value.field == "body"
    assert sorted(sent) == sorted(f"m{n}" for n in range(25))
    # What went out before the wrong message travels on the error: nothing is lost silently.
    assert sorted(r.index for r in info.value.result.sent) == list(range(25))
    assert info.value.result.failed == []


# -- who sends: the calling thread until requests wait, then the workers ---------------------


class _Watch:
    """Per request: the thread that sent it, and how many requests were in flight at once."""

    def __init__(self, wait: float) -> None:
        self.wait = wait
        self.threads: list[threading.Thread] = []
        self.in_flight = 0
        self.most = 0
        self.lock = threading.Lock()

    def __call__(self, request: AWSPreparedRequest) -> CannedReply:
        with self.lock:
            self.threads.append(threading.current_thread())
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        try:
            if self.wait:
                # Blocks as a network round trip does (the thread sleeps, off the GIL).
                threading.Event().wait(self.wait)
            return accept(entries_of(request))
        finally:
            with self.lock:
                self.in_flight -= 1


def test_requests_that_never_wait_are_sent_on_the_calling_thread(aws: awskit.Session) -> None:
    # Threads overlap waiting, not work: with answers that cost only CPU, handing batches
    # to 4 threads would only add the hand-over and the GIL's switching.
    queue: Queue[str] = Queue(aws, URL)
    watch = _Watch(wait=0)
    undo = canned(queue.client, {"SendMessageBatch": watch})
    try:
        result = queue.send_many((f"m{n}" for n in range(200)), concurrency=4)
        with queue.batch_sender(concurrency=4) as sender:
            for n in range(200):
                sender.send(f"s{n}")
    finally:
        undo()
    assert len(result.sent) == 200 and sender.sent == 200
    assert set(watch.threads) == {threading.current_thread()}
    assert watch.most == 1


def test_requests_that_wait_go_out_concurrently_and_the_queue_remembers(
    aws: awskit.Session,
) -> None:
    queue: Queue[str] = Queue(aws, URL)
    watch = _Watch(wait=0.05)
    undo = canned(queue.client, {"SendMessageBatch": watch})
    try:
        result = queue.send_many((f"m{n}" for n in range(200)), concurrency=4)
        assert [r.index for r in result.sent] == list(range(200))
        assert 1 < watch.most <= 4
        assert len(set(watch.threads)) > 1
        # A later send to the same queue does not wait for a first answer to go concurrent:
        # its two batches are in flight together.
        watch.most = 0
        again = queue.send_many([f"again{n}" for n in range(20)], concurrency=4)
    finally:
        undo()
    assert len(again.sent) == 20
    assert watch.most == 2


def test_a_bare_body_that_failed_is_reported_as_the_outgoing_message_it_was(
    aws: awskit.Session,
) -> None:
    queue: Queue[Greeting] = Queue(aws, URL, Greeting)
    undo = canned(
        queue.client,
        {"SendMessageBatch": lambda r: accept(entries_of(r), {'{"name":"b"}'})},
    )
    try:
        result = queue.send_many([Greeting(name="a"), Greeting(name="b")])
    finally:
        undo()
    (failure,) = result.failed
    assert failure.entry == OutgoingMessage(Greeting(name="b"))
    assert failure.body == Greeting(name="b") and failure.index == 1


def test_an_answer_naming_a_message_twice_gives_one_result_per_message(
    aws: awskit.Session,
) -> None:
    queue: Queue[str] = Queue(aws, URL)

    def twice(request: AWSPreparedRequest) -> CannedReply:
        ok = [
            {"Id": e["Id"], "MessageId": f"id-{e['Id']}", "MD5OfMessageBody": md5_of_body(b)}
            for e in entries_of(request)
            for b in (e["MessageBody"],) * 2
        ]
        return sqs_json({"Successful": ok, "Failed": []})

    undo = canned(queue.client, {"SendMessageBatch": twice})
    try:
        result = queue.send_many(["a", "b", "c"])
    finally:
        undo()
    assert [(r.index, r.message_id) for r in result.sent] == [(0, "id-0"), (1, "id-1"), (2, "id-2")]


@pytest.mark.parametrize(("url", "unsent"), [(URL, 20), (FIFO_URL, 50)])
def test_ctrl_c_while_a_batch_is_sent_stops_the_sender_and_loses_nothing(
    aws: awskit.Session, url: str, unsent: int
) -> None:
    # The batch being sent when Ctrl-C arrives is reported failed, later ones are neither
    # sent nor forgotten; the interrupt is not swallowed into a failure and sending on.
    # (A standard queue sends while the loop produces: Ctrl-C stops the loop at message
    # 20; a FIFO queue's window of all 50 is sent on exit.)
    queue: Queue[str] = Queue(aws, url)
    fifo = url == FIFO_URL
    requests: list[int] = []

    def reply(request: AWSPreparedRequest) -> CannedReply:
        requests.append(1)
        if len(requests) == 2:
            raise KeyboardInterrupt
        return accept(entries_of(request))

    undo = canned(queue.client, {"SendMessageBatch": reply})
    try:
        with pytest.raises(KeyboardInterrupt), queue.batch_sender(concurrency=1) as sender:
            for n in range(50):
                sender.send(
                    OutgoingMessage(f"m{n}", group_id=f"g{n % 10}", dedup_id=f"d{n}")
                    if fifo
                    else f"m{n}"
                )
    finally:
        undo()
    assert len(requests) == 2
    assert sender.sent == 10
    assert sorted(f.index for f in sender.failed) == list(range(10, unsent))


def test_ctrl_c_during_a_retry_keeps_what_sqs_already_took(aws: awskit.Session) -> None:
    # The first attempt: SQS takes five messages and fails five (retryably); Ctrl-C comes
    # during the retry. The five SQS took are sent, not reported as failed (a caller
    # resending "failed" messages would duplicate them); the other five are failed.
    queue: Queue[str] = Queue(aws, URL)
    requests: list[list[dict[str, Any]]] = []

    def reply(request: AWSPreparedRequest) -> CannedReply:
        entries = entries_of(request)
        requests.append(entries)
        if len(requests) > 1:
            raise KeyboardInterrupt
        ok = [
            {"Id": e["Id"], "MessageId": f"id-{e['Id']}", "MD5OfMessageBody": md5_of_body(b)}
            for e in entries[:5]
            for b in (e["MessageBody"],)
        ]
        failed = [
            {"Id": e["Id"], "SenderFault": False, "Code": "InternalError", "Message": "busy"}
            for e in entries[5:]
        ]
        return sqs_json({"Successful": ok, "Failed": failed})

    undo = canned(queue.client, {"SendMessageBatch": reply})
    try:
        with pytest.raises(KeyboardInterrupt), queue.batch_sender(concurrency=1) as sender:
            for n in range(10):
                sender.send(f"m{n}")
    finally:
        undo()
    assert [len(r) for r in requests] == [10, 5]
    assert sender.sent == 5
    assert sorted(f.index for f in sender.failed) == [5, 6, 7, 8, 9]
