"""``queue.batch_sender()`` on asyncio: the blocking sender's contract driven through both
APIs (moto's server, and the fault proxy for throttled and half-failed batches), then what
only asyncio has: ``send`` waiting for a free slot (memory bound) and cancellation."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import pytest
from pydantic import BaseModel

import awskit
import awskit.aio
from awskit.sqs import BatchFailure, OutgoingMessage, S3Offload
from tests.aio.conftest import AsyncSleeps, Connect, aio_session, require_aio
from tests.aio.test_aio_dynamo import _maybe
from tests.aio.test_aio_dynamo_scan import session
from tests.conftest import SleepRecorder, make_session
from tests.faults import FaultProxy

require_aio()

__all__ = ["session"]  # the blocking, then the asyncio session (a fixture)

BUCKET = "payloads"


class Greeting(BaseModel):
    name: str


def greeting(n: int) -> Greeting:
    return Greeting(name=f"g{n}")


@contextlib.asynccontextmanager
async def opened(sender: Any) -> AsyncIterator[Any]:
    """A blocking sender's ``with``, or an asyncio one's ``async with``."""
    if hasattr(sender, "__aenter__"):
        async with sender as entered:
            yield entered
    else:
        with sender as entered:
            yield entered


async def send_all(queue: Any, messages: Iterable[Any], **options: Any) -> tuple[Any, Any]:
    """Send ``messages`` through a batch sender; the sender, and what its exit raised."""
    sender = queue.batch_sender(**options)
    try:
        async with opened(sender):
            for message in messages:
                await _maybe(sender.send(message))
    except awskit.PartialFailure as exc:
        return sender, exc
    return sender, None


async def sqs_client(aws: Any) -> Any:
    client = aws.sqs.client
    return await client() if inspect.ismethod(client) else client


class Requests:
    """The SendMessageBatch requests a client sends, and the bodies in them."""

    def __init__(self, client: Any) -> None:
        self.bodies: list[list[str]] = []
        client.meta.events.register("before-send.sqs.SendMessageBatch", self._record)

    def _record(self, request: Any, **_: Any) -> None:
        entries = json.loads(request.body)["Entries"]
        self.bodies.append([entry["MessageBody"] for entry in entries])


def read_all(aws: awskit.Session, name: str, **options: Any) -> list[Any]:
    """Every message on the queue (hidden for 10 minutes once read), in delivery order."""
    queue = aws.sqs.get_queue(name, **options)
    got: list[Any] = []
    while batch := queue.receive(10, visibility_timeout=600):
        got.extend(batch)
    return got


# -- the contract, through both APIs ----------------------------------------------------------


def test_sends_everything_and_counts_it(session: Any, aws: awskit.Session) -> None:
    async def main() -> None:
        async with session() as api:
            queue = await _maybe(api.sqs.create_queue("stream", model=Greeting))
            requests = Requests(await sqs_client(api))
            last = OutgoingMessage(Greeting(name="last"), attributes={"Author": "me"})
            sender, error = await send_all(queue, [*map(greeting, range(57)), last])
            assert error is None
            assert (sender.sent, sender.failed) == (58, [])
            assert sorted(len(bodies) for bodies in requests.bodies) == [8] + [10] * 5

    asyncio.run(main())
    got = read_all(aws, "stream", model=Greeting)
    assert sorted(m.body.name for m in got) == sorted([*(f"g{n}" for n in range(57)), "last"])
    assert [m.attributes for m in got if m.body.name == "last"] == [{"Author": "me"}]


def test_an_error_in_the_body_still_sends_what_was_queued(
    session: Any, aws: awskit.Session
) -> None:
    async def main() -> Any:
        async with session() as api:
            queue = await _maybe(api.sqs.create_queue("interrupted"))
            sender = queue.batch_sender()
            with pytest.raises(LookupError):
                async with opened(sender):
                    for n in range(15):
                        await _maybe(sender.send(f"m{n}"))
                    raise LookupError("the producer failed")
            return sender

    sender = asyncio.run(main())
    assert (sender.sent, sender.failed) == (15, [])
    assert sorted(m.body for m in read_all(aws, "interrupted")) == sorted(
        f"m{n}" for n in range(15)
    )


def test_packs_at_most_one_mib_a_request(session: Any) -> None:
    big = "x" * 300_000  # 4 of them are more than 1 MiB: 3 a request

    async def main() -> None:
        async with session() as api:
            queue = await _maybe(api.sqs.create_queue("big"))
            requests = Requests(await sqs_client(api))
            sender, error = await send_all(queue, [big] * 7 + ["small"])
            assert error is None and sender.sent == 8
            assert sorted(len(bodies) for bodies in requests.bodies) == [2, 3, 3]

    asyncio.run(main())


def test_keeps_fifo_group_order(session: Any, aws: awskit.Session) -> None:
    async def main() -> None:
        async with session() as api:
            queue = await _maybe(api.sqs.create_queue("stream.fifo"))
            messages = [OutgoingMessage(f"{n % 3}:{n}", group_id=f"g{n % 3}") for n in range(45)]
            sender, error = await send_all(queue, messages)
            assert error is None and sender.sent == 45

    asyncio.run(main())
    queue = aws.sqs.get_queue("stream.fifo")
    bodies: list[str] = []
    while batch := queue.receive(10):
        bodies.extend(m.body for m in batch)
        assert queue.delete_messages(batch).ok
    for group in range(3):
        seen = [int(b.split(":")[1]) for b in bodies if b.startswith(f"{group}:")]
        assert seen == list(range(group, 45, 3))


def test_checks_each_message_before_any_request(session: Any) -> None:
    async def main() -> None:
        async with session() as api:
            queue = await _maybe(api.sqs.create_queue("checked", model=Greeting))
            fifo = await _maybe(api.sqs.create_queue("checked.fifo"))
            requests = Requests(await sqs_client(api))
            for bad in (0, -1, True, "2", 1.5):
                with pytest.raises(awskit.InvalidInput) as info:
                    queue.batch_sender(concurrency=bad)
                assert info.value.field == "concurrency"
            async with opened(queue.batch_sender()) as sender:
                await _maybe(sender.send(greeting(0)))
                for wrong, field in [
                    ("raw text", "body"),
                    (OutgoingMessage(greeting(1), delay_seconds=901), "delay_seconds"),
                    (OutgoingMessage(greeting(1), group_id="g"), "group_id"),
                    (OutgoingMessage(greeting(1), attributes={"AWS.x": "1"}), "attributes"),
                    (OutgoingMessage(Greeting(name="x" * 1_048_576)), "body"),
                ]:
                    with pytest.raises(awskit.InvalidInput) as info:
                        await _maybe(sender.send(wrong))
                    assert info.value.field.startswith(field)
                assert requests.bodies == []  # one good message is buffered; nothing was sent
            assert sender.sent == 1 and sender.failed == []
            assert requests.bodies == [['{"name":"g0"}']]
            with pytest.raises(awskit.InvalidInput) as info:
                await _maybe(sender.send(greeting(2)))
            assert info.value.field == "sender"  # closed
            # FIFO: a wrong message is refused before the queue is asked how it deduplicates.
            client = await sqs_client(api)
            asked: list[str] = []
            client.meta.events.register("before-send.sqs", lambda **_: asked.append("x"))
            async with opened(fifo.batch_sender()) as sender:
                for wrong, field in [
                    ("no group", "group_id"),
                    (OutgoingMessage("late", group_id="g", delay_seconds=5), "delay_seconds"),
                    (OutgoingMessage("bad id", group_id="g", dedup_id="no spaces"), "dedup_id"),
                ]:
                    with pytest.raises(awskit.InvalidInput) as info:
                        await _maybe(sender.send(wrong))
                    assert info.value.field == field
                assert asked == []
            assert sender.sent == 0

    asyncio.run(main())


def test_big_bodies_go_through_s3(session: Any, aws: awskit.Session) -> None:
    reports = [("é" * 150_000 if n % 3 == 0 else f"small {n}") for n in range(12)]

    async def main() -> None:
        async with session() as api:
            aws.s3.create_bucket(BUCKET)
            queue = await _maybe(api.sqs.create_queue("reports", offload=S3Offload(BUCKET)))
            sender, error = await send_all(queue, reports, concurrency=2)
            assert error is None and sender.sent == 12

    asyncio.run(main())
    assert len(list(aws.s3.bucket(BUCKET).objects())) == 4
    got = read_all(aws, "reports", offload=S3Offload(BUCKET))
    assert sorted(m.body for m in got) == sorted(reports)
    assert sum(m.pointer is not None for m in got) == 4


# -- through the fault proxy, both APIs ---------------------------------------------------------

Faulty = Callable[[awskit.RetryPolicy], contextlib.AbstractAsyncContextManager[Any]]


@contextlib.asynccontextmanager
async def _blocking(value: Any) -> AsyncIterator[Any]:
    yield value


@pytest.fixture(params=["blocking", "asyncio"])
def faulty(
    request: pytest.FixtureRequest,
    fault_proxy: FaultProxy,
    sleeps: SleepRecorder,
    async_sleeps: AsyncSleeps,
) -> Faulty:
    """``faulty(retry)``: a session through the fault proxy, whose botocore tries once (the
    retries are awskit's rule, whose sleeps are recorded)."""
    from botocore.config import Config

    once = {"mode": "standard", "total_max_attempts": 1}
    if request.param == "blocking":
        return lambda retry: _blocking(
            make_session(
                fault_proxy.url,
                awskit.RetryPolicy(max_attempts=retry.max_attempts, sleep=sleeps),
                config=Config(retries=once),  # type: ignore[arg-type]
            )
        )
    from aiobotocore.config import AioConfig

    return lambda retry: aio_session(
        fault_proxy.url, async_sleeps, retry=retry, config=AioConfig(retries=once)
    )


def test_throttled_and_half_failed_batches_are_sent_again(
    faulty: Faulty, fault_proxy: FaultProxy, aws: awskit.Session
) -> None:
    async def main() -> Any:
        # Enough attempts for one batch to meet every fault.
        async with faulty(awskit.RetryPolicy(max_attempts=8)) as api:
            queue = await _maybe(api.sqs.create_queue("flaky"))
            fault_proxy.add("throttle", service="sqs", operation="SendMessageBatch", times=2)
            fault_proxy.add("partial", service="sqs", operation="SendMessageBatch", times=3)
            sender, error = await send_all(queue, [f"m{n}" for n in range(40)], concurrency=3)
            assert error is None
            return sender

    sender = asyncio.run(main())
    assert (sender.sent, sender.failed) == (40, [])
    assert fault_proxy.injected["throttle"] == 2 and fault_proxy.injected["partial"] == 3
    # Every message once: a withheld half never reached SQS, so its resend is no copy.
    assert sorted(m.body for m in read_all(aws, "flaky")) == sorted(f"m{n}" for n in range(40))


def test_the_failure_lists_exactly_the_messages_not_sent(
    faulty: Faulty, fault_proxy: FaultProxy, aws: awskit.Session
) -> None:
    bodies = [f"m{n}" for n in range(35)]

    async def main() -> tuple[Any, Any]:
        async with faulty(awskit.RetryPolicy(max_attempts=2)) as api:
            queue = await _maybe(api.sqs.create_queue("half"))
            # Every batch of two or more: SQS takes the first half, fails the rest.
            fault_proxy.add("partial", service="sqs", operation="SendMessageBatch")
            return await send_all(queue, bodies, concurrency=2)

    sender, error = asyncio.run(main())
    assert isinstance(error, awskit.PartialFailure)
    received = sorted(m.body for m in read_all(aws, "half"))
    failed = error.failed
    assert all(isinstance(f, BatchFailure) for f in failed)
    assert sorted(f.body for f in failed) == sorted(set(bodies) - set(received))
    assert [f.index for f in failed] == sorted(f.index for f in failed)
    assert [bodies[f.index] for f in failed] == [f.body for f in failed]
    assert {(f.code, f.sender_fault) for f in failed} == {("InternalError", False)}
    assert sender.sent == len(received) and len(received) + len(failed) == 35
    assert sorted(f.index for f in sender.failed) == [f.index for f in failed]


def test_a_fifo_group_stops_at_its_first_failure(
    faulty: Faulty, fault_proxy: FaultProxy, aws: awskit.Session
) -> None:
    async def main() -> tuple[Any, Any]:
        async with faulty(awskit.RetryPolicy(max_attempts=1)) as api:
            queue = await _maybe(api.sqs.create_queue("groups.fifo"))
            fault_proxy.add("partial", service="sqs", operation="SendMessageBatch")
            messages = [OutgoingMessage(f"{n % 3}:{n}", group_id=f"g{n % 3}") for n in range(18)]
            return await send_all(queue, messages)

    sender, error = asyncio.run(main())
    assert isinstance(error, awskit.PartialFailure)
    received = [m.body for m in read_all(aws, "groups.fifo")]
    stopped = 0
    for group in range(3):
        everything = [f"{group}:{n}" for n in range(group, 18, 3)]
        got = [b for b in received if b.startswith(f"{group}:")]
        lost = [f for f in error.failed if f.body.startswith(f"{group}:")]
        # What SQS holds of a group is its beginning, in order; the rest is reported.
        assert got + [f.body for f in lost] == everything
        if lost:
            stopped += 1
            assert lost[0].code == "InternalError"
            assert {f.code for f in lost[1:]} <= {"GroupStopped"} and len(lost) > 1
    assert stopped in (1, 2)  # a lone group's batches are not half-failed
    assert sender.sent == len(received)


# -- asyncio only: send waits for a slot; cancellation -----------------------------------------


class Stall(AsyncSleeps):
    """A retry's backoff that never ends: the batch waits between attempts until cancelled."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: asyncio.Event | None = None

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self.asked is not None:
            self.asked.set()
        await asyncio.Event().wait()


class Gate:
    """Holds every SendMessageBatch before it goes out until ``opened`` is set."""

    def __init__(self, client: Any) -> None:
        self.opened = asyncio.Event()
        self.held = 0
        self.most = 0
        client.meta.events.register("before-send.sqs.SendMessageBatch", self._hold)

    async def _hold(self, **_: Any) -> None:
        self.held += 1
        self.most = max(self.most, self.held)
        try:
            await self.opened.wait()
        finally:
            self.held -= 1


async def settle(until: Callable[[], bool]) -> None:
    """Let the other tasks run until ``until()`` (a bounded number of loop turns)."""
    for _ in range(10_000):
        if until():
            return
        await asyncio.sleep(0)
    raise AssertionError("never settled")


def others() -> set[asyncio.Task[Any]]:
    return asyncio.all_tasks() - {asyncio.current_task()}


async def produce(sender: Any, count: int, produced: list[int]) -> None:
    async with sender:
        for n in range(count):
            await sender.send(f"m{n}")
            produced[0] += 1


def test_send_waits_while_concurrency_batches_are_in_flight(
    aio_connect: Connect, aws: awskit.Session
) -> None:
    async def main() -> Any:
        async with aio_connect() as api:
            queue = await api.sqs.create_queue("bounded")
            gate = Gate(await api.sqs.client())
            sender = queue.batch_sender(concurrency=3)
            produced = [0]
            producer = asyncio.create_task(produce(sender, 200, produced))
            await settle(lambda: gate.held == 3)
            for _ in range(100):
                await asyncio.sleep(0)
            # 3 batches in flight, the 4th full and waiting for a slot in send(): the
            # producer is 39 messages ahead and stays there, however many turns pass.
            assert gate.held == 3 and produced[0] == 39
            assert len(others()) == 1 + 3  # the producer and one task a batch
            gate.opened.set()
            await producer
            assert gate.most == 3 and not others()
            return sender

    sender = asyncio.run(main())
    assert (sender.sent, sender.failed) == (200, [])
    assert len(read_all(aws, "bounded")) == 200


def test_a_cancelled_body_cancels_the_batches_in_flight_and_reports_them(
    aio_connect: Connect, aws: awskit.Session
) -> None:
    async def main() -> Any:
        async with aio_connect() as api:
            queue = await api.sqs.create_queue("cancelled")
            gate = Gate(await api.sqs.client())
            sender = queue.batch_sender(concurrency=3)
            produced = [0]
            producer = asyncio.create_task(produce(sender, 1000, produced))
            await settle(lambda: gate.held == 3)
            producer.cancel()
            with pytest.raises(asyncio.CancelledError):
                await producer  # the cancellation goes on: no PartialFailure instead
            assert not others() and gate.held == 0  # no task outlives the sender
            with pytest.raises(awskit.InvalidInput):
                await sender.send("after")
            return sender

    sender = asyncio.run(main())
    # Three batches in flight and the fourth, waiting for a slot: none known sent.
    assert sender.sent == 0
    failed = sorted(sender.failed, key=lambda f: f.index)
    assert [(f.index, f.body) for f in failed] == [(n, f"m{n}") for n in range(40)]
    assert {f.code for f in sender.failed} == {"CancelledError"}
    assert read_all(aws, "cancelled") == []


@pytest.mark.parametrize("fifo", [False, True])
def test_a_cancelled_flush_reports_what_it_held_and_close_raises_it(
    aio_connect: Connect, aws: awskit.Session, fifo: bool
) -> None:
    name = "flushed.fifo" if fifo else "flushed"

    async def main() -> tuple[Any, awskit.PartialFailure]:
        async with aio_connect() as api:
            queue = await api.sqs.create_queue(name)
            gate = Gate(await api.sqs.client())
            sender = queue.batch_sender(concurrency=4)
            for n in range(25):
                await sender.send(
                    OutgoingMessage(f"m{n}", group_id=f"g{n % 5}") if fifo else f"m{n}"
                )
            flush = asyncio.create_task(sender.flush())
            await settle(lambda: gate.held == 1 if fifo else gate.held == 3)
            flush.cancel()
            with pytest.raises(asyncio.CancelledError):
                await flush
            assert not others() and gate.held == 0
            with pytest.raises(awskit.PartialFailure) as info:
                await sender.close()
            return sender, info.value

    sender, error = asyncio.run(main())
    assert sender.sent == 0
    assert [f.index for f in error.failed] == list(range(25))
    assert {f.code for f in error.failed} == {"CancelledError"}
    assert read_all(aws, name) == []


def test_a_cancelled_batch_keeps_what_sqs_already_took(
    fault_proxy: FaultProxy, aws: awskit.Session
) -> None:
    """A batch cancelled between attempts: the half SQS took counts as sent, only the
    withheld half is reported."""
    stall = Stall()

    async def main() -> Any:
        stall.asked = asyncio.Event()
        async with aio_session(fault_proxy.url, stall) as api:
            queue = await api.sqs.create_queue("halfway")
            fault_proxy.add("partial", service="sqs", operation="SendMessageBatch", times=1)
            sender = queue.batch_sender()

            async def body() -> None:
                async with sender:
                    for n in range(10):
                        await sender.send(f"m{n}")
                    await sender.flush()

            task = asyncio.create_task(body())
            # A safety net, not a timing: the answer comes over real HTTP.
            await asyncio.wait_for(stall.asked.wait(), 60)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert not others()
            return sender

    sender = asyncio.run(main())
    received = sorted(m.body for m in read_all(aws, "halfway"))
    assert received == [f"m{n}" for n in range(5)]
    assert sender.sent == 5
    assert [(f.index, f.code) for f in sender.failed] == [
        (n, "CancelledError") for n in range(5, 10)
    ]
