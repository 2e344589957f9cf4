"""awskit.aio SQS against moto: the same contract as the blocking queue, awaited."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import pytest
from pydantic import BaseModel

import awskit
import awskit.aio
from awskit.sqs import BatchResult, OutgoingMessage, ProcessStats, SendResult
from tests.aio.conftest import AsyncSleeps, Connect, aio_session, require_aio
from tests.faults import FaultProxy

require_aio()


class Job(BaseModel):
    n: int


def test_send_receive_delete_round_trip_with_the_sync_models(aio_connect: Connect) -> None:
    async def main() -> None:
        async with aio_connect() as aws:
            queue = await aws.sqs.create_queue("jobs", model=Job)
            sent = await queue.send(Job(n=1), attributes={"Author": "me", "Size": 3})
            assert isinstance(sent, SendResult)
            (msg,) = await queue.receive(wait_seconds=0)
            assert msg.body == Job(n=1)
            assert msg.attributes == {"Author": "me", "Size": 3}
            await msg.delete()
            assert await queue.receive() == []
            again = await aws.sqs.get_queue("jobs", model=Job)
            assert again.url == queue.url

    asyncio.run(main())


def test_send_many_batches_and_reports_like_the_sync_api(aio_connect: Connect) -> None:
    async def main() -> None:
        async with aio_connect() as aws:
            queue = await aws.sqs.create_queue("many")
            result = await queue.send_many(f"body {i}" for i in range(35))
            assert isinstance(result, BatchResult)
            assert [r.index for r in result.sent] == list(range(35)) and result.ok
            bodies = sorted([m.raw_body async for m in queue.messages(wait_seconds=0)])
            assert bodies == sorted(f"body {i}" for i in range(35))

    asyncio.run(main())


def test_fifo_send_many_keeps_group_order(aio_connect: Connect) -> None:
    async def main() -> None:
        async with aio_connect() as aws:
            queue = await aws.sqs.create_queue("orders.fifo", content_based_deduplication=True)
            bodies = [OutgoingMessage(f"{g}-{i}", group_id=g) for i in range(4) for g in "ab"]
            result = await queue.send_many(bodies)
            assert result.ok and len(result.sent) == 8
            got = [m.raw_body async for m in queue.messages(wait_seconds=0)]
            for group in "ab":
                assert [b for b in got if b.startswith(group)] == [f"{group}-{i}" for i in range(4)]

    asyncio.run(main())


def test_wrong_input_is_refused_before_any_request(aio_connect: Connect) -> None:
    async def main() -> None:
        async with aio_connect() as aws:
            sent: list[str] = []
            client = await aws.client("sqs")
            client.meta.events.register("before-send", lambda **kw: sent.append("x"))
            with pytest.raises(awskit.InvalidInput, match="name"):
                await aws.sqs.create_queue("bad name!")
            queue = awskit.aio.sqs.Queue(aws, "http://x/123/q", Job)
            with pytest.raises(awskit.InvalidInput, match="body"):
                await queue.send("not a job")  # type: ignore[arg-type]
            with pytest.raises(awskit.InvalidInput, match="max_messages"):
                await queue.receive(max_messages=11)
            assert sent == []
            with pytest.raises(awskit.NotFound):
                await aws.sqs.get_queue("absent")

    asyncio.run(main())


def test_process_handles_every_message_and_deletes_the_successes(aio_connect: Connect) -> None:
    async def main() -> ProcessStats:
        async with aio_connect() as aws:
            queue = await aws.sqs.create_queue("work", model=Job, visibility_timeout=30)
            await queue.send_many([Job(n=i) for i in range(30)])
            await (await aws.sqs.get_queue("work")).send("not json")
            seen: list[int] = []

            async def handler(msg: awskit.aio.sqs.Message[Job]) -> None:
                await asyncio.sleep(0)
                if msg.body.n == 7:
                    raise RuntimeError("boom")
                seen.append(msg.body.n)

            stats = await queue.process(
                handler, concurrency=8, wait_seconds=0, stop_when_empty=True
            )
            assert sorted(seen) == [n for n in range(30) if n != 7]
            left = (await queue.attributes()).approximate_number_of_messages_not_visible
            assert left == 2  # the failure and the invalid body, never deleted
            return stats

    stats = asyncio.run(main())
    assert stats == ProcessStats(succeeded=29, failed=1, invalid=1)


def test_cancelling_process_hands_messages_in_hand_back(aio_connect: Connect) -> None:
    async def main() -> None:
        async with aio_connect() as aws:
            queue = await aws.sqs.create_queue("slow", visibility_timeout=600)
            await queue.send_many([f"m{i}" for i in range(3)])
            started = asyncio.Event()

            async def handler(msg: Any) -> None:
                started.set()
                await asyncio.sleep(3600)

            task = asyncio.create_task(queue.process(handler, wait_seconds=0))
            await started.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            # Handed back at once (visibility 0), not hidden for the 600 s timeout.
            back = [m.raw_body async for m in queue.messages(wait_seconds=0)]
            assert sorted(back) == ["m0", "m1", "m2"]

    asyncio.run(main())


def test_sigterm_stops_process_gracefully(aio_connect: Connect) -> None:
    async def main() -> ProcessStats:
        async with aio_connect() as aws:
            queue = await aws.sqs.create_queue("term")
            await queue.send("one")
            handled: list[str] = []

            async def handler(msg: Any) -> None:
                signal.raise_signal(signal.SIGTERM)
                await asyncio.sleep(0.01)
                handled.append(msg.raw_body)

            stats = await queue.process(handler, wait_seconds=0)
            assert handled == ["one"]
            assert await queue.receive() == []  # the success was deleted before returning
            return stats

    assert asyncio.run(main()).succeeded == 1


@pytest.mark.parametrize("kind", ["throttle", "5xx", "drop"])
def test_the_one_retry_rule_on_asyncio(
    fault_proxy: FaultProxy, async_sleeps: AsyncSleeps, kind: str
) -> None:
    async def main() -> None:
        async with aio_session(fault_proxy.url, async_sleeps) as aws:
            queue = await aws.sqs.create_queue("flaky")
            # botocore's own 3 attempts fail, then awskit's rule tries again after a backoff.
            fault_proxy.add(kind, service="sqs", operation="SendMessage", times=3)
            await queue.send("through")
            fault_proxy.add(kind, service="sqs", operation="ReceiveMessage")
            with pytest.raises(awskit.TransportError if kind == "drop" else awskit.AwskitError):
                await queue.receive()

    asyncio.run(main())
    assert len(async_sleeps.calls) >= 1
    assert fault_proxy.injected[kind] >= 3


def test_partial_batch_failures_are_sent_again(
    fault_proxy: FaultProxy, async_sleeps: AsyncSleeps
) -> None:
    async def main() -> BatchResult:
        async with aio_session(fault_proxy.url, async_sleeps) as aws:
            queue = await aws.sqs.create_queue("partial")
            fault_proxy.add("partial", service="sqs", operation="SendMessageBatch", times=2)
            return await queue.send_many([f"b{i}" for i in range(10)])

    result = asyncio.run(main())
    assert result.ok and len(result.sent) == 10
    assert fault_proxy.injected["partial"] == 2 and async_sleeps.calls


def test_process_outlives_transient_receive_failures(
    fault_proxy: FaultProxy, async_sleeps: AsyncSleeps
) -> None:
    async def main() -> ProcessStats:
        async with aio_session(
            fault_proxy.url, async_sleeps, retry=awskit.RetryPolicy(max_attempts=1)
        ) as aws:
            queue = await aws.sqs.create_queue("consumer")
            await queue.send_many([f"c{i}" for i in range(5)])
            fault_proxy.add("5xx", service="sqs", operation="ReceiveMessage", times=6)

            async def handler(msg: Any) -> None:
                return None

            return await queue.process(handler, wait_seconds=0, stop_when_empty=True)

    assert asyncio.run(main()).succeeded == 5
