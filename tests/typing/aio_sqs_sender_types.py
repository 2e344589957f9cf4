"""Type-checked only (mypy --strict, pyright strict): the asyncio batch sender carries the
queue's model, as the blocking one does.

Checked in the aio environment, where aiobotocore and its stubs are installed.
"""

from __future__ import annotations

from pydantic import BaseModel
from typing_extensions import assert_type

import awskit
import awskit.aio
from awskit.aio.sender import BatchSender
from awskit.sqs import BatchFailure, OutgoingMessage


class Job(BaseModel):
    n: int


async def sender(aws: awskit.aio.Session) -> None:
    jobs = await aws.sqs.create_queue("jobs", model=Job)
    async with jobs.batch_sender() as out:
        assert_type(out, BatchSender[Job])
        await out.send(Job(n=1))
        await out.send(OutgoingMessage(Job(n=2), attributes={"Author": "me"}))
        await out.send("text")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
        await out.flush()
    assert_type(out.sent, int)
    assert_type(out.failed, list[BatchFailure])
    assert_type(jobs.batch_sender(concurrency=4), BatchSender[Job])

    raw = await aws.sqs.get_queue("raw")
    async with raw.batch_sender() as text:
        assert_type(text, BatchSender[str])
        await text.send("hello")
        await text.send(OutgoingMessage("hi", group_id="g"))
        await text.send(Job(n=3))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await text.close()
    await text.aclose()
