"""Type-checked only (mypy --strict, pyright strict): the S3 object calls and the parallel
scan ported to awskit.aio keep the blocking API's types.

Checked in the aio environment (``make test`` in ``.venv-aio``), where aiobotocore and its
stubs are installed.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from typing_extensions import assert_type

import awskit.aio
from awskit._paging import AsyncPaged
from awskit.aio.s3 import Bucket, ObjectOpener, ObjectStream
from awskit.dynamo import Attr
from awskit.s3 import PutResult


class User(BaseModel):
    username: str
    age: int


async def s3(aws: awskit.aio.Session) -> None:
    bucket = aws.s3.bucket("b")
    assert_type(bucket, Bucket)
    opener = bucket.open("k")
    assert_type(opener, ObjectOpener)
    async with opener as stream:
        assert_type(stream, ObjectStream)
        assert_type(await stream.read(10), bytes)
        assert_type(await stream.read(), bytes)
        assert_type(await stream.readinto(bytearray(10)), int)
        assert_type(await stream.readline(), bytes)
        async for line in stream:
            assert_type(line, bytes)
        assert_type(stream.size, int)
        assert_type(stream.etag, str)
        assert_type(stream.content_type, str | None)
        assert_type(stream.last_modified, dt.datetime | None)
        assert_type(stream.metadata, dict[str, str])
        assert_type(stream.closed, bool)
    awaited = await bucket.open("k")
    assert_type(awaited, ObjectStream)
    await awaited.aclose()
    awaited.close()
    async with await bucket.open("k") as again:
        assert_type(again, ObjectStream)

    assert_type(await bucket.delete_many(["a", "b"]), int)
    assert_type(await bucket.delete_many(k for k in ("a", "b")), int)
    assert_type(await aws.s3.delete_bucket("b", empty=True), int)
    assert_type(await aws.s3.delete_bucket("b"), int)

    assert_type(await bucket.put("k", io.BytesIO(b"data")), PutResult)
    with Path("f").open("rb") as handle:
        assert_type(await bucket.put("k", handle), PutResult)
    assert_type(await bucket.put("k", b"data"), PutResult)


async def dynamo(aws: awskit.aio.Session) -> None:
    users = aws.dynamo.table("users", model=User)
    assert_type(users.scan(segments=4), AsyncPaged[User])
    assert_type(users.scan(Attr("age").lt(27), 8, limit=10), AsyncPaged[User])
    async for user in users.scan(segments=4, page_size=100):
        assert_type(user, User)
    partial = users.scan(segments=4, projection=["username"])
    assert_type(partial, AsyncPaged[dict[str, Any]])
    raw = aws.dynamo.table("raw")
    async for item in raw.scan(segments=2):
        assert_type(item, dict[str, Any])
    listing = users.scan(segments=4)
    async for user in listing:
        assert_type(user, User)
        break
    assert_type(listing.next_token, Any)
