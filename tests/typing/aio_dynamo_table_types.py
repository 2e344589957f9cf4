"""Type-checked only (mypy --strict, pyright strict): the rest of the asyncio Table and
BatchWriter keeps the blocking API's types (the blocking properties that read AWS are
awaited methods here).

Checked in the aio environment (``make test`` in ``.venv-aio``), where aiobotocore and its
stubs are installed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from pydantic import BaseModel
from typing_extensions import assert_type

import awskit.aio
from awskit.aio.dynamo import BatchWriter, Table
from awskit.dynamo import Attr, KeySchema
from awskit.dynamo.table import IndexInfo


class User(BaseModel):
    username: str
    age: int


async def described(aws: awskit.aio.Session) -> None:
    users = aws.dynamo.table("users", model=User, ttl_attribute=None)
    assert_type(users, Table[User])
    assert_type(await users.item_count(), int)
    assert_type(await users.creation_date_time(), dt.datetime)
    assert_type(await users.status(), str)
    assert_type(await users.key_schema(), KeySchema)
    assert_type(await users.index("by-age"), IndexInfo)
    assert_type(users.ttl_attribute, str | None)
    assert_type(users.version_field, str | None)
    users.ttl_attribute = "expires"
    users.version_field = None
    assert_type(await users.describe(), dict[str, Any])


async def counted_and_loaded(aws: awskit.aio.Session) -> None:
    users = aws.dynamo.table("users", model=User)
    plain = aws.dynamo.table("plain")
    assert_type(await users.count(), int)
    assert_type(await users.count(Attr("age").lt(27), "by-age", False), int)
    assert_type(await users.count(filter=None, index=None, consistent=True), int)
    item = {"username": {"S": "a"}, "age": {"N": "1"}}
    assert_type(users.load(item), User)
    assert_type(plain.load(item), dict[str, Any])
    assert_type(await users.delete_table(), None)
    assert_type(await users.delete_table(wait=True), None)


async def closed(aws: awskit.aio.Session) -> None:
    users = aws.dynamo.table("users", model=User)
    writer = users.batch_writer(max_concurrency=4)
    assert_type(writer, BatchWriter[User])
    await writer.put(User(username="a", age=1))
    assert_type(await writer.close(), None)
    assert_type(await writer.aclose(), None)
    async with contextlib.aclosing(users.batch_writer()) as batch:
        assert_type(batch, BatchWriter[User])
    assert_type(batch.written, int)
