"""No public call of awskit.aio's DynamoDB and S3 lets a bare botocore or aiohttp error out.

A missing table or bucket (moto) must be ``NotFound``; a connection dropped on every attempt
(the fault proxy) must be ``TransportError``, for every kind of call: single requests,
pages, batches and transfers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import awskit
import awskit.aio
from awskit.dynamo import Key
from tests.aio.conftest import AsyncSleeps, Connect, aio_session, require_aio
from tests.faults import FaultProxy

require_aio()


class User(BaseModel):
    username: str
    age: int


async def _drain(listing: Any) -> list[Any]:
    return [item async for item in listing]


async def _batch_write(table: Any) -> None:
    async with table.batch_writer() as batch:
        await batch.put(User(username="a", age=1))


DYNAMO_CALLS: dict[str, Callable[[Any], Awaitable[Any]]] = {
    "describe": lambda t: t.describe(),
    "key_schema": lambda t: t.key_schema(),
    "put": lambda t: t.put(User(username="a", age=1)),
    "get": lambda t: t.get(username="a"),
    "update": lambda t: t.update(username="a", set={"age": 2}),
    "delete": lambda t: t.delete(username="a"),
    "query": lambda t: _drain(t.query(Key("username").eq("a"))),
    "scan": lambda t: _drain(t.scan()),
    "batch_get": lambda t: t.batch_get([{"username": "a"}]),
    "batch_writer": _batch_write,
}


@pytest.mark.parametrize("call", sorted(DYNAMO_CALLS))
def test_a_missing_table_is_not_found(aio_connect: Connect, call: str) -> None:
    async def main() -> None:
        async with aio_connect() as aws:
            table = aws.dynamo.table("absent", model=User)
            with pytest.raises(awskit.NotFound) as raised:
                await DYNAMO_CALLS[call](table)
            assert raised.value.code == "ResourceNotFoundException"

    asyncio.run(main())


def test_creating_a_table_twice_is_already_exists(aio_connect: Connect) -> None:
    async def main() -> None:
        async with aio_connect() as aws:
            await aws.dynamo.create_table("twice", model=User, hash_key="username")
            with pytest.raises(awskit.AlreadyExists):
                await aws.dynamo.create_table("twice", model=User, hash_key="username")

    asyncio.run(main())


S3_CALLS: dict[str, Callable[[Any, Path], Awaitable[Any]]] = {
    "put": lambda b, _: b.put("k", b"data"),
    "get": lambda b, _: b.get("k"),
    "objects": lambda b, _: _drain(b.objects()),
    "upload_file": lambda b, p: b.upload_file(p / "src", "k"),
    "download_file": lambda b, p: b.download_file("k", p / "out"),
    "delete_bucket": lambda b, _: b._s3.delete_bucket(b.name),
}


@pytest.mark.parametrize("call", sorted(S3_CALLS))
def test_a_missing_bucket_is_not_found(aio_connect: Connect, call: str, tmp_path: Path) -> None:
    (tmp_path / "src").write_bytes(b"x" * 10)

    async def main() -> None:
        async with aio_connect() as aws:
            with pytest.raises(awskit.NotFound):
                await S3_CALLS[call](aws.s3.bucket("absent-bucket"), tmp_path)

    asyncio.run(main())
    assert not (tmp_path / "out").exists()


def _dropping(fault_proxy: FaultProxy, sleeps: AsyncSleeps) -> awskit.aio.Session:
    from aiobotocore.config import AioConfig

    # One attempt of botocore's and one of awskit's: the drop outlives every retry at once.
    return aio_session(
        fault_proxy.url,
        sleeps,
        retry=awskit.RetryPolicy(max_attempts=1),
        config=AioConfig(retries={"mode": "standard", "total_max_attempts": 1}),
    )


@pytest.mark.parametrize("call", sorted(set(DYNAMO_CALLS) - {"describe", "key_schema"}))
def test_a_dropped_connection_is_a_transport_error_dynamo(
    fault_proxy: FaultProxy, async_sleeps: AsyncSleeps, call: str
) -> None:
    async def main() -> None:
        async with _dropping(fault_proxy, async_sleeps) as aws:
            table = await aws.dynamo.create_table("dropped", model=User, hash_key="username")
            await table.put(User(username="a", age=1))
            fault_proxy.add("drop", service="dynamodb")
            with pytest.raises((awskit.TransportError, awskit.PartialFailure)) as raised:
                await DYNAMO_CALLS[call](table)
            error = raised.value
            if isinstance(error, awskit.PartialFailure):
                # A batch reports what was not done; the dropped connection is why.
                assert call in ("batch_get", "batch_writer")
                assert isinstance(error.last_error, awskit.TransportError)
                assert len(error.failed) == 1
            else:
                assert error.operation is not None

    asyncio.run(main())
    assert fault_proxy.injected["drop"] >= 1


@pytest.mark.parametrize("kind", ["drop", "drop_after"])
@pytest.mark.parametrize("call", ["put", "get", "objects", "upload_file", "download_file"])
def test_a_dropped_connection_is_a_transport_error_s3(
    fault_proxy: FaultProxy, async_sleeps: AsyncSleeps, call: str, kind: str, tmp_path: Path
) -> None:
    (tmp_path / "src").write_bytes(b"x" * 10)

    async def main() -> None:
        async with _dropping(fault_proxy, async_sleeps) as aws:
            bucket = await aws.s3.create_bucket("dropping")
            await bucket.put("k", b"data")
            fault_proxy.add(kind, service="s3")
            with pytest.raises(awskit.TransportError):
                await S3_CALLS[call](bucket, tmp_path)

    asyncio.run(main())
    assert fault_proxy.injected[kind] >= 1
    assert not (tmp_path / "out").exists()
