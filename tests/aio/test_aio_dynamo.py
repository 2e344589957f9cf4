"""awskit.aio DynamoDB against moto: one contract, driven through both APIs where it is the same."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest
from pydantic import BaseModel

import awskit
from awskit.dynamo import Attr, Key
from tests.aio.conftest import AsyncSleeps, Connect, aio_session, require_aio
from tests.faults import FaultProxy

require_aio()

R = TypeVar("R")


class User(BaseModel):
    username: str
    last_name: str
    age: int


async def _maybe(value: Awaitable[R] | R) -> R:
    if isinstance(value, Awaitable):
        return await value  # type: ignore[no-any-return]
    return value


async def _items(listing: Any) -> list[Any]:
    if hasattr(listing, "__aiter__"):
        return [item async for item in listing]
    return list(listing)


async def contract(aws: Any) -> None:
    """The same body for awskit.Session and awskit.aio.Session: only awaiting differs."""
    users = await _maybe(
        aws.dynamo.create_table("users", model=User, hash_key="username", range_key="last_name")
    )
    await _maybe(users.put(User(username="jane", last_name="Doe", age=25)))
    assert await _maybe(users.get(username="jane", last_name="Doe")) == User(
        username="jane", last_name="Doe", age=25
    )
    updated = await _maybe(users.update(username="jane", last_name="Doe", set={"age": 26}))
    assert updated.age == 26
    with pytest.raises(awskit.InvalidInput, match="age"):
        await _maybe(users.update(username="jane", last_name="Doe", set={"age": "old"}))
    with pytest.raises(awskit.NotFound):
        await _maybe(users.update(username="nobody", last_name="X", set={"age": 1}))
    with pytest.raises(awskit.ConditionFailed) as info:
        await _maybe(
            users.put(
                User(username="jane", last_name="Doe", age=1), condition=Attr("age").not_exists()
            )
        )
    assert info.value.item == User(username="jane", last_name="Doe", age=26)
    for i in range(30):
        await _maybe(users.put(User(username="bulk", last_name=f"{i:02}", age=i)))
    query = users.query(Key("username").eq("bulk"), limit=7, page_size=5)
    first = await _items(query)
    assert [u.age for u in first] == list(range(7))
    rest = users.query(Key("username").eq("bulk"), start_key=query.next_token)
    assert [u.age for u in await _items(rest)] == list(range(7, 30))
    young = await _items(users.scan(Attr("age").lt(3)))
    assert sorted(u.age for u in young) == [0, 1, 2]
    keys = [{"username": "bulk", "last_name": f"{i:02}"} for i in (3, 1, 99, 3)]
    assert [u.age for u in await _maybe(users.batch_get(keys))] == [3, 1]
    old = await _maybe(users.delete(username="jane", last_name="Doe"))
    assert old is not None and old.age == 26
    assert await _maybe(users.get(username="jane", last_name="Doe")) is None
    lazy = aws.dynamo.table("users", model=User)
    assert (await _maybe(lazy.get(username="bulk", last_name="05"))).age == 5


def test_contract_blocking(aws: awskit.Session) -> None:
    asyncio.run(contract(aws))


def test_contract_on_asyncio(aio_connect: Connect) -> None:
    async def main() -> None:
        async with aio_connect() as aws:
            await contract(aws)

    asyncio.run(main())


def test_table_is_lazy_and_batch_writer_writes_everything(aio_connect: Connect) -> None:
    async def main() -> None:
        async with aio_connect() as aws:
            sent: list[str] = []
            client = await aws.client("dynamodb")
            client.meta.events.register("before-send", lambda **kw: sent.append("x"))
            users = aws.dynamo.table("people", model=User)
            assert sent == []
            await aws.dynamo.create_table("people", model=User, hash_key="username")
            async with users.batch_writer() as batch:
                for i in range(60):
                    await batch.put(User(username=f"u{i % 40}", last_name="L", age=i))
                await batch.delete(username="u0")
            everyone = [u async for u in users.scan()]
            assert len(everyone) == 39
            assert {u.age for u in everyone if u.username == "u1"} == {41}  # last write wins

    asyncio.run(main())


def test_batch_writer_retries_unprocessed_items(
    fault_proxy: FaultProxy, async_sleeps: AsyncSleeps
) -> None:
    async def main() -> int:
        async with aio_session(fault_proxy.url, async_sleeps) as aws:
            users = await aws.dynamo.create_table("writes", model=User, hash_key="username")
            fault_proxy.add("partial", service="dynamodb", operation="BatchWriteItem", times=3)
            fault_proxy.add("throttle", service="dynamodb", operation="GetItem", times=3)
            async with users.batch_writer() as batch:
                for i in range(25):
                    await batch.put(User(username=f"u{i}", last_name="L", age=i))
            assert (await users.get(username="u3")) is not None
            return len([u async for u in users.scan()])

    assert asyncio.run(main()) == 25
    assert fault_proxy.injected["partial"] == 3 and fault_proxy.injected["throttle"] == 3
    assert async_sleeps.calls


class Person(BaseModel):
    username: str
    last_name: str
    age: int


def test_transactions(aio_connect: Connect) -> None:
    from awskit.dynamo import (
        TransactCheck,
        TransactDelete,
        TransactionCanceled,
        TransactPut,
        TransactUpdate,
    )

    jane = Person(username="jane", last_name="Doe", age=25)
    john = Person(username="john", last_name="Doe", age=30)

    async def main() -> None:
        async with aio_connect() as aws:
            people = await aws.dynamo.create_table(
                "people", model=Person, hash_key="username", range_key="last_name"
            )
            audit = await aws.dynamo.create_table("audit", hash_key="id")
            await people.put(john)
            await people.put(Person(username="bob", last_name="Smith", age=40))
            requests: list[str] = []
            (await aws.dynamo.client()).meta.events.register(
                "before-send.dynamodb", lambda request, **_: requests.append(request.url)
            )
            # The blocking API's checks, before any request.
            with pytest.raises(awskit.InvalidInput, match="at least one"):
                await people.transact_write([])
            with pytest.raises(awskit.InvalidInput, match="second action"):
                await people.transact_write([TransactPut(jane), TransactDelete(jane)])
            with pytest.raises(awskit.InvalidInput, match="name the table"):
                await aws.dynamo.transact_write([TransactPut(jane)])
            with pytest.raises(awskit.InvalidInput, match="age"):
                await people.transact_write(
                    [TransactUpdate({"username": "john", "last_name": "Doe"}, set={"age": "x"})]
                )
            assert requests == []

            await people.transact_write(
                [
                    TransactPut(jane),
                    TransactUpdate({"username": "john", "last_name": "Doe"}, set={"age": 31}),
                    TransactDelete({"username": "bob", "last_name": "Smith"}),
                    TransactPut({"id": "1", "what": "jane joined"}, table=audit),
                ]
            )
            keys = [
                {"username": "jane", "last_name": "Doe"},
                {"username": "john", "last_name": "Doe"},
                {"username": "bob", "last_name": "Smith"},
            ]
            got = await people.transact_get(keys)
            assert got == [jane, john.model_copy(update={"age": 31}), None]
            assert await audit.get(id="1") == {"id": "1", "what": "jane joined"}

            actions: list[Any] = [
                TransactDelete({"id": "1"}, table=audit),
                TransactCheck(keys[0], Attr("age").lt(20), table=people),
            ]
            with pytest.raises(TransactionCanceled) as info:
                await aws.dynamo.transact_write(actions)
            assert [r.action for r in info.value.reasons] == actions
            assert [r.code for r in info.value.reasons] == ["None", "ConditionalCheckFailed"]
            assert info.value.failed[0].item == jane  # read into the model
            assert await audit.get(id="1") is not None  # nothing was written

    asyncio.run(main())
