"""Bodies through S3 on asyncio (``offload=`` on awskit.aio's queues): the blocking queue's
pointer format, checks and failure rules (tests/test_sqs_offload.py), awaited, and messages
crossing between the two APIs both ways."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import BaseModel

import awskit
import awskit.aio
import awskit.aio.sqs
from awskit.sqs import InvalidMessage, PayloadUnavailable, ProcessStats, S3Offload, S3Pointer
from awskit.sqs.offload import CHECKSUM_ATTRIBUTE, SIZE_ATTRIBUTE
from tests.aio.conftest import AsyncSleeps, Connect, aio_session, require_aio
from tests.faults import FaultProxy

require_aio()

BUCKET = "payloads"
BIG = 300_000


class Report(BaseModel):
    title: str
    text: str


def big_report(title: str = "r", size: int = BIG) -> Report:
    return Report(title=title, text="é" * (size // 2))


def s3_keys(aws: awskit.Session) -> set[str]:
    return {obj.key for obj in aws.s3.bucket(BUCKET).objects()}


def one_botocore_attempt() -> Any:
    from aiobotocore.config import AioConfig

    return AioConfig(retries={"mode": "standard", "total_max_attempts": 1})


def test_a_big_body_goes_through_s3_and_its_delete_removes_the_payload(
    aio_connect: Connect, aws: awskit.Session
) -> None:
    report = big_report()

    async def main() -> None:
        async with aio_connect() as aio:
            aws.s3.create_bucket(BUCKET)
            queue = await aio.sqs.create_queue("reports", model=Report, offload=S3Offload(BUCKET))
            await queue.send(report, attributes={"Author": "Daniel"})
            [key] = s3_keys(aws)
            [msg] = await queue.receive(attribute_names=["Author"])
            assert msg.body == report
            assert msg.pointer == S3Pointer(BUCKET, key)
            assert msg.attributes == {"Author": "Daniel"}
            assert SIZE_ATTRIBUTE in msg.raw_attributes and CHECKSUM_ATTRIBUTE in msg.raw_attributes
            await msg.delete()
            assert s3_keys(aws) == set()
            assert await queue.receive() == []

    asyncio.run(main())


def test_pointers_cross_between_the_blocking_and_async_queues(
    aio_connect: Connect, aws: awskit.Session
) -> None:
    bodies = [big_report(str(i)) if i % 2 else Report(title=str(i), text="x") for i in range(14)]

    async def main() -> None:
        async with aio_connect() as aio:
            aws.s3.create_bucket(BUCKET)
            sync_queue = aws.sqs.create_queue("both", model=Report, offload=S3Offload(BUCKET))
            queue = await aio.sqs.get_queue("both", model=Report, offload=S3Offload(BUCKET))
            # asyncio sends, the blocking queue reads and deletes.
            result = await queue.send_many(bodies)
            assert result.ok and len(s3_keys(aws)) == 7
            got = list(sync_queue.messages(wait_seconds=0))
            assert {m.body.title: m.body for m in got} == {b.title: b for b in bodies}
            assert sync_queue.delete_messages(got).ok and s3_keys(aws) == set()
            # The blocking queue sends, asyncio reads and deletes.
            sync_queue.send_many(bodies)
            got_async = [m async for m in queue.messages(wait_seconds=0)]
            assert {m.body.title: m.body for m in got_async} == {b.title: b for b in bodies}
            deleted = await queue.delete_messages(got_async)
            assert deleted.ok and len(deleted.sent) == 14
            assert s3_keys(aws) == set()

    asyncio.run(main())


def test_process_resolves_pointers_and_leaves_a_missing_payload_for_the_dlq(
    aio_connect: Connect, aws: awskit.Session
) -> None:
    async def main() -> tuple[ProcessStats, list[str]]:
        async with aio_connect() as aio:
            aws.s3.create_bucket(BUCKET)
            queue = await aio.sqs.create_queue("reports", model=Report, offload=S3Offload(BUCKET))
            await queue.send_many([big_report("a"), big_report("b"), Report(title="c", text="x")])
            aws.s3.bucket(BUCKET).delete(sorted(s3_keys(aws))[0])
            seen: list[str] = []

            async def handler(msg: awskit.aio.sqs.Message[Report]) -> None:
                seen.append(msg.body.title)

            stats = await queue.process(handler, wait_seconds=0, stop_when_empty=True)
            assert s3_keys(aws) == set()
            assert (await queue.attributes()).approximate_number_of_messages_not_visible == 1
            return stats, seen

    stats, seen = asyncio.run(main())
    assert stats == ProcessStats(succeeded=2, invalid=1) and len(seen) == 2


def test_a_missing_payload_is_payload_unavailable_when_the_body_is_read(
    aio_connect: Connect, aws: awskit.Session
) -> None:
    async def main() -> None:
        async with aio_connect() as aio:
            aws.s3.create_bucket(BUCKET)
            queue = await aio.sqs.create_queue("gone", offload=S3Offload(BUCKET))
            await queue.send("p" * BIG)
            [key] = s3_keys(aws)
            aws.s3.bucket(BUCKET).delete(key)
            [msg] = await queue.receive()
            with pytest.raises(PayloadUnavailable) as info:
                msg.body  # noqa: B018
            assert isinstance(info.value, InvalidMessage)
            assert info.value.pointer == S3Pointer(BUCKET, key)
            assert isinstance(info.value.__cause__, awskit.NotFound)

    asyncio.run(main())


def test_send_many_reports_unstored_payloads_and_sends_the_rest(
    fault_proxy: FaultProxy, async_sleeps: AsyncSleeps, aws: awskit.Session
) -> None:
    aws.s3.create_bucket(BUCKET)

    async def main() -> Any:
        async with aio_session(
            fault_proxy.url,
            async_sleeps,
            retry=awskit.RetryPolicy(max_attempts=1),
            config=one_botocore_attempt(),
        ) as aio:
            queue = await aio.sqs.create_queue("q", offload=S3Offload(BUCKET))
            # A 5xx, not a dropped connection: aiohttp itself sends a request again once
            # when a kept-alive connection drops.
            fault_proxy.add("5xx", service="s3", operation="PutObject", times=2)
            return await queue.send_many([f"{i}" * BIG for i in range(6)], concurrency=1)

    result = asyncio.run(main())
    assert len(result.sent) == 4 and len(result.failed) == 2
    for failure in result.failed:
        assert "payload not stored" in failure.reason and not failure.sender_fault
    received = list(aws.sqs.get_queue("q").messages(wait_seconds=0))
    assert sorted(m.body[0] for m in received) == sorted(
        str(i) for i in range(6) if i not in {f.index for f in result.failed}
    )
    assert s3_keys(aws) == {m.pointer.key for m in received if m.pointer is not None}


def test_s3_down_on_receive_gives_the_messages_back_and_raises(
    fault_proxy: FaultProxy, async_sleeps: AsyncSleeps, aws: awskit.Session
) -> None:
    aws.s3.create_bucket(BUCKET)
    sync_queue = aws.sqs.create_queue("q", offload=S3Offload(BUCKET))
    sync_queue.send("t" * BIG)

    async def main() -> None:
        async with aio_session(
            fault_proxy.url,
            async_sleeps,
            retry=awskit.RetryPolicy(max_attempts=1),
            config=one_botocore_attempt(),
        ) as aio:
            fault_proxy.add("5xx", service="s3", operation="GetObject")
            queue = await aio.sqs.get_queue("q")
            with pytest.raises(awskit.AwskitError) as info:
                await queue.receive(visibility_timeout=60)
            assert not isinstance(info.value, InvalidMessage)

    asyncio.run(main())
    # Made visible again at once, despite the 60 s asked for.
    [msg] = sync_queue.receive()
    assert msg.body == "t" * BIG and msg.receive_count == 2


def test_a_message_sqs_refuses_takes_its_payload_with_it(
    aio_connect: Connect, aws: awskit.Session
) -> None:
    async def main() -> None:
        async with aio_connect() as aio:
            aws.s3.create_bucket(BUCKET)
            queue = await aio.sqs.create_queue("refused", offload=S3Offload(BUCKET))
            await (await aio.sqs.client()).delete_queue(QueueUrl=queue.url)
            with pytest.raises(awskit.NotFound):
                await queue.send("v" * BIG)
            with pytest.raises(awskit.NotFound):
                await queue.send_many(["v" * BIG, "u" * BIG])
            assert s3_keys(aws) == set()

    asyncio.run(main())


def test_a_wrong_offload_is_invalid_input_before_any_request(aio_connect: Connect) -> None:
    async def main() -> None:
        async with aio_connect() as aio:
            with pytest.raises(awskit.InvalidInput) as info:
                await aio.sqs.get_queue("q", offload="bucket")  # type: ignore[call-overload]
            assert info.value.field == "offload"
            with pytest.raises(awskit.InvalidInput) as info:
                await aio.sqs.create_queue("q", offload="bucket")
            assert info.value.field == "offload"

    asyncio.run(main())
