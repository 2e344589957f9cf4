"""Type-checked only (mypy --strict, pyright strict): awskit.aio carries the user's models.

Checked in the aio environment (``make test`` in ``.venv-aio``), where aiobotocore and its
stubs are installed.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from typing_extensions import assert_type

import awskit
import awskit.aio
from awskit._paging import AsyncPaged
from awskit.aio.cloudwatch import CloudWatch
from awskit.aio.dynamo import BatchWriter, Table
from awskit.aio.ebs import EBS
from awskit.aio.s3 import Bucket
from awskit.aio.sqs import Message, Queue
from awskit.cloudwatch import (
    Alarm,
    AlarmState,
    AnyAlarm,
    CompositeAlarm,
    MetricDatum,
    MetricMathAlarm,
)
from awskit.dynamo import Key, TransactPut
from awskit.ebs import DownloadResult, Snapshot
from awskit.s3 import BucketInfo, ObjectInfo, PutResult
from awskit.sqs import BatchResult, ProcessStats, S3Offload, SendResult


class Job(BaseModel):
    n: int


class User(BaseModel):
    username: str
    age: int


async def sqs(aws: awskit.aio.Session) -> None:
    jobs = await aws.sqs.create_queue("jobs", model=Job)
    assert_type(jobs, Queue[Job])
    raw = await aws.sqs.get_queue("raw")
    assert_type(raw, Queue[str])
    assert_type(await jobs.send(Job(n=1)), SendResult)
    assert_type(await jobs.send_many([Job(n=2)]), BatchResult)
    received = await jobs.receive(wait_seconds=1)
    assert_type(received, list[Message[Job]])
    assert_type(received[0].body, Job)
    async for msg in jobs.messages(wait_seconds=1):
        assert_type(msg, Message[Job])
        assert_type(msg.body, Job)
        await msg.delete()

    async def handler(msg: Message[Job]) -> None:
        assert_type(msg.body.n, int)

    assert_type(await jobs.process(handler, concurrency=4), ProcessStats)
    big = await aws.sqs.get_queue("big", model=Job, offload=S3Offload("payloads"))
    assert_type(big, Queue[Job])


async def s3(aws: awskit.aio.Session) -> None:
    bucket = await aws.s3.create_bucket("b")
    assert_type(bucket, Bucket)
    assert_type(aws.s3.bucket("b"), Bucket)
    assert_type(await bucket.put("k", b"data"), PutResult)
    assert_type(await bucket.get("k"), bytes)
    assert_type(await bucket.exists("k"), bool)
    assert_type(await bucket.presigned_url("k"), str)
    async for obj in bucket.objects(prefix="p/"):
        assert_type(obj, ObjectInfo)
    async for info in aws.s3.buckets():
        assert_type(info, BucketInfo)
    await bucket.upload_file("f", "k", progress=lambda done, total: None)
    await bucket.download_file("k", "f")
    async for queue in aws.sqs.queues():
        assert_type(queue, Queue[str])


async def dynamo(aws: awskit.aio.Session) -> None:
    users = aws.dynamo.table("users", model=User)
    assert_type(users, Table[User])
    plain = aws.dynamo.table("users")
    assert_type(plain, Table[dict[str, Any]])
    created = await aws.dynamo.create_table("users", model=User, hash_key="username")
    assert_type(created, Table[User])
    assert_type(await users.get(username="x"), User | None)
    assert_type(await users.put(User(username="x", age=1)), User)
    assert_type(await users.update(username="x", set={"age": 2}), User)
    assert_type(await users.delete(username="x"), User | None)
    query = users.query(Key("username").eq("x"))
    assert_type(query, AsyncPaged[User])
    async for user in query:
        assert_type(user, User)
    async for item in users.query(Key("username").eq("x"), projection=["age"]):
        assert_type(item, dict[str, Any])
    async for user in users.scan():
        assert_type(user, User)
    assert_type(await users.batch_get([{"username": "x"}]), list[User])
    async with users.batch_writer() as batch:
        assert_type(batch, BatchWriter[User])
        await batch.put(User(username="y", age=3))
    assert_type(await users.transact_get([{"username": "x"}]), list[User | None])
    await users.transact_write([TransactPut(User(username="z", age=4))])
    await aws.dynamo.transact_write([TransactPut({"username": "z"}, table=plain)])


async def cloudwatch(aws: awskit.aio.Session) -> None:
    cw = aws.cloudwatch
    assert_type(cw, CloudWatch)
    assert_type(await cw.put_metrics("MyApp", [MetricDatum(name="X", value=1.0)]), None)
    listing = cw.alarms(state=AlarmState.ALARM)
    assert_type(listing, AsyncPaged[Alarm])
    async for alarm in listing:
        assert_type(alarm.threshold, float)
    assert_type([a async for a in cw.alarms(types="math")], list[MetricMathAlarm])
    assert_type([a async for a in cw.alarms(types="composite")], list[CompositeAlarm])
    assert_type([a async for a in cw.alarms(types="all")], list[AnyAlarm])
    assert_type(await cw.alarm("x"), Alarm | None)
    assert_type(await cw.alarm("x", types="all"), AnyAlarm | None)
    await cw.put_alarm(
        Alarm(
            name="x",
            comparison="GreaterThanThreshold",
            evaluation_periods=1,
            metric_name="M",
            namespace="N",
            period=60,
            statistic="Average",
            threshold=1.0,
        )
    )
    assert_type(await cw.delete_alarms(["x"]), list[str])


async def ebs(aws: awskit.aio.Session) -> None:
    assert_type(aws.ebs, EBS)
    snap = await aws.ebs.upload("disk.img", progress=lambda done, total: None)
    assert_type(snap, Snapshot)
    assert_type(snap.blocks_written, int)
    with open("disk.img", "rb") as image:
        assert_type(await aws.ebs.upload(image, volume_size=1), Snapshot)
    assert_type(await aws.ebs.download(snap.snapshot_id, "out.img"), DownloadResult)


async def connecting() -> None:
    async with awskit.aio.connect(region="us-east-1", retry=awskit.RetryPolicy()) as aws:
        assert_type(aws, awskit.aio.Session)
    async with awskit.aio.local() as aws:
        assert_type(aws, awskit.aio.Session)
