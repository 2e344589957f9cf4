"""The rest of the asyncio Table and BatchWriter: count, delete_table, index, item_count,
creation_date_time, status, ttl_attribute, load, and the writer's close, driven through
both APIs where they behave the same (the blocking properties are awaited methods on
asyncio); then what only asyncio has (cancelling close, load before any describe)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pydantic import BaseModel

import awskit
import awskit.aio
from awskit.dynamo import Attr, GlobalIndex, InvalidItem, Key, KeySchema, LocalIndex
from awskit.dynamo.scan import Counting
from awskit.dynamo.table import IndexInfo
from tests.aio import test_aio_dynamo_scan as scan_tests
from tests.aio.conftest import Connect, require_aio
from tests.aio.test_aio_dynamo import _items, _maybe
from tests.aio.test_aio_dynamo_scan import _client

require_aio()

WHEN = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)


class Order(BaseModel):
    customer: str
    order_id: str
    status: str
    amount: int
    expires: dt.datetime | None = None


def order(i: int) -> Order:
    return Order(customer="c", order_id=f"o{i:02}", status="paid" if i % 3 else "new", amount=i)


class Ops:
    """The operation of every DynamoDB request a client sends (a before-send hook)."""

    def __init__(self, client: Any) -> None:
        self.sent: list[str] = []
        client.meta.events.register("before-send.dynamodb", self._record)

    def _record(self, request: Any, **_: Any) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        self.sent.append(target.rsplit(".", 1)[-1])


# A blocking session, then an asyncio one.
session = scan_tests.session


async def _described(table: Any, name: str) -> Any:
    """A blocking property, or the asyncio method of the same name, awaited."""
    member = getattr(table, name)
    return await member() if callable(member) else member


async def create_orders(aws: Any) -> Any:
    return await _maybe(
        aws.dynamo.create_table(
            "orders",
            Order,
            hash_key="customer",
            range_key="order_id",
            indexes=[
                GlobalIndex("by-status", "status", projection="KEYS_ONLY"),
                LocalIndex("by-amount", "amount"),
            ],
            ttl_attribute="expires",
        )
    )


async def description_contract(aws: Any) -> None:
    orders = await create_orders(aws)
    ops = Ops(await _client(aws))
    assert orders.ttl_attribute == "expires" and orders.version_field is None
    assert await _described(orders, "status") == "ACTIVE"
    assert await _described(orders, "item_count") == 0
    created = await _described(orders, "creation_date_time")
    assert isinstance(created, dt.datetime)
    assert ops.sent == ["DescribeTable"] * 3  # each a fresh DescribeTable
    await _maybe(orders.put(order(1)))
    assert await _described(orders, "item_count") == 1

    ops.sent.clear()
    status = await _maybe(orders.index("by-status"))
    assert status == IndexInfo("by-status", "global", KeySchema("status"), "KEYS_ONLY")
    amount = await _maybe(orders.index("by-amount"))
    assert (amount.kind, amount.key_schema, amount.projection) == (
        "local",
        KeySchema("customer", "amount"),
        "ALL",
    )
    assert ops.sent == []  # known since create_table
    for name in ("", 3, None):
        with pytest.raises(awskit.InvalidInput) as info:
            await _maybe(orders.index(name))
        assert info.value.field == "index"
    assert ops.sent == []
    with pytest.raises(awskit.InvalidInput, match="no index 'nope'") as info:
        await _maybe(orders.index("nope"))
    assert info.value.field == "index"
    assert ops.sent == ["DescribeTable"]  # read again: the index may have been added since

    lazy = aws.dynamo.table("orders", Order)
    ops.sent.clear()
    assert (await _maybe(lazy.index("by-status"))).projection == "KEYS_ONLY"
    assert ops.sent == ["DescribeTable"]


async def count_contract(aws: Any) -> None:
    orders = await create_orders(aws)
    writer = orders.batch_writer()
    for i in range(30):
        await _maybe(writer.put(order(i)))
    await _maybe(writer.close())
    assert writer.written == 30
    ops = Ops(await _client(aws))
    assert await _maybe(orders.count()) == 30
    assert await _maybe(orders.count(Attr("amount").lt(10))) == 10
    assert await _maybe(orders.count(Attr("status").eq("new"), index="by-status")) == 10
    assert await _maybe(orders.count(index="by-amount", consistent=True)) == 30
    assert await _maybe(orders.count(filter=Attr("amount").gt(99))) == 0
    assert set(ops.sent) == {"Scan"}

    ops.sent.clear()
    refused: list[tuple[dict[str, Any], str]] = [
        ({"index": "by-status", "consistent": True}, "consistent"),
        ({"index": ""}, "index"),
        ({"index": 3}, "index"),
        ({"filter": "amount < 3"}, "filter"),
        ({"filter": Attr("amount").eq(object())}, "filter"),
    ]
    for kwargs, field in refused:
        with pytest.raises(awskit.InvalidInput) as info:
            await _maybe(orders.count(**kwargs))
        assert info.value.field == field, kwargs
    assert ops.sent == []
    with pytest.raises(awskit.InvalidInput) as info:
        await _maybe(orders.count(index="nope"))
    assert info.value.field == "index" and "Scan" not in ops.sent

    # A count needs no key schema: a lazy table sends Scans only.
    lazy = aws.dynamo.table("orders")
    ops.sent.clear()
    assert await _maybe(lazy.count(Attr("status").eq("paid"))) == 20
    assert ops.sent == ["Scan"]


def test_counting_adds_every_page_and_goes_on_past_an_empty_one() -> None:
    request = {"TableName": "t", "Select": "COUNT"}
    counting = Counting(request)
    answers = [
        {"Count": 3, "LastEvaluatedKey": {"k": {"S": "a"}}},
        {"Count": 0, "LastEvaluatedKey": {"k": {"S": "b"}}},  # the filter matched none here
        {"ScannedCount": 5},
    ]
    sent = []
    while not counting.done:
        sent.append(counting.request())
        counting.add(answers[len(sent) - 1])
    assert counting.total == 3
    assert sent == [
        request,
        {**request, "ExclusiveStartKey": {"k": {"S": "a"}}},
        {**request, "ExclusiveStartKey": {"k": {"S": "b"}}},
    ]
    assert request == {"TableName": "t", "Select": "COUNT"}  # never changed


async def load_and_ttl_contract(aws: Any) -> None:
    orders = await create_orders(aws)
    ops = Ops(await _client(aws))
    good = {
        "customer": {"S": "c"},
        "order_id": {"S": "o1"},
        "status": {"S": "new"},
        "amount": {"N": "5"},
        "expires": {"N": str(int(WHEN.timestamp()))},
    }
    assert orders.load(good) == Order(
        customer="c", order_id="o1", status="new", amount=5, expires=WHEN
    )
    with pytest.raises(InvalidItem) as info:
        orders.load({**good, "amount": {"S": "five"}})
    assert (info.value.table, info.value.key) == ("orders", {"customer": "c", "order_id": "o1"})
    assert info.value.item["amount"] == "five"
    assert aws.dynamo.table("plain").load(good)["amount"] == 5
    assert ops.sent == []

    # The TTL attribute is written as epoch seconds, by a table named with it too.
    reopened = aws.dynamo.table("orders", Order, ttl_attribute="expires")
    assert reopened.ttl_attribute == "expires"
    await _maybe(reopened.put(order(2).model_copy(update={"expires": WHEN})))
    client = await _client(aws)
    key = {"customer": {"S": "c"}, "order_id": {"S": "o02"}}
    raw = await _maybe(client.get_item(TableName="orders", Key=key))
    assert raw["Item"]["expires"] == {"N": str(int(WHEN.timestamp()))}
    with pytest.raises(awskit.InvalidInput) as raised:
        aws.dynamo.table("orders", Order, ttl_attribute="status")
    assert raised.value.field == "ttl_attribute"


async def delete_table_contract(aws: Any) -> None:
    orders = await create_orders(aws)
    await _maybe(aws.dynamo.create_table("other", hash_key="id"))
    await _maybe(orders.delete_table(wait=True))
    assert [t.name for t in await _items(aws.dynamo.tables())] == ["other"]
    with pytest.raises(awskit.NotFound):
        await _maybe(orders.get(customer="c", order_id="o1"))
    with pytest.raises(awskit.NotFound):
        await _maybe(orders.count())
    with pytest.raises(awskit.NotFound):
        await _maybe(orders.delete_table())
    with pytest.raises(awskit.NotFound):
        await _described(aws.dynamo.table("orders"), "status")


async def writer_checks_contract(aws: Any) -> None:
    orders = await create_orders(aws)
    ops = Ops(await _client(aws))
    for bad in (0, -1, True, "2", 1.5):
        with pytest.raises(awskit.InvalidInput) as info:
            orders.batch_writer(max_concurrency=bad)
        assert info.value.field == "max_concurrency"
    for keys in (["customer", "amount"], ["customer"], "customer", 5):
        with pytest.raises(awskit.InvalidInput) as info:
            # Blocking: when the writer is made; asyncio: at its first write (awaited).
            writer = orders.batch_writer(overwrite_by_pkeys=keys)
            await _maybe(writer.put(order(1)))
        assert info.value.field == "overwrite_by_pkeys"
    assert "BatchWriteItem" not in ops.sent
    writer = orders.batch_writer(overwrite_by_pkeys=["order_id", "customer"], max_concurrency=2)
    for age in (1, 2, 3):
        await _maybe(writer.put(order(1).model_copy(update={"amount": age})))
    await _maybe(writer.delete(customer="c", order_id="o09"))
    await _maybe(writer.close())
    assert ops.sent.count("BatchWriteItem") == 1  # the last write of a key won
    assert [o.amount for o in await _items(orders.scan())] == [3]
    # Closed, a writer still takes writes (the blocking one makes its threads again).
    await _maybe(writer.put(order(4)))
    await _maybe(writer.close())
    assert writer.written == 3


@pytest.mark.parametrize(
    "contract",
    [
        description_contract,
        count_contract,
        load_and_ttl_contract,
        delete_table_contract,
        writer_checks_contract,
    ],
)
def test_both_apis(session: Any, contract: Callable[[Any], Awaitable[None]]) -> None:
    async def main() -> None:
        async with session() as aws:
            await contract(aws)

    asyncio.run(main())


# -- asyncio only ------------------------------------------------------------------------


def on_asyncio(aio_connect: Connect, body: Callable[[Any], Awaitable[None]]) -> None:
    """Run ``body`` with an asyncio session on a fresh moto server."""

    async def main() -> None:
        async with aio_connect() as aws:
            await body(aws)

    asyncio.run(main())


async def lazy_orders(aws: Any) -> tuple[Any, Ops]:
    """The orders table, made and then opened lazily; and what is sent from then on."""
    await create_orders(aws)
    return aws.dynamo.table("orders", Order), Ops(await aws.dynamo.client())


async def load_before_describe(aws: Any) -> None:
    lazy, ops = await lazy_orders(aws)
    bad = {"customer": {"S": "c"}, "order_id": {"S": "o1"}, "amount": {"S": "x"}}
    with pytest.raises(InvalidItem) as info:
        lazy.load(bad)
    # The blocking table would describe itself here; a property cannot await.
    assert (info.value.table, info.value.key) == ("orders", {})
    assert ops.sent == []
    assert await lazy.key_schema() == KeySchema("customer", "order_id")
    with pytest.raises(InvalidItem) as info:
        lazy.load(bad)
    assert info.value.key == {"customer": "c", "order_id": "o1"}


def test_load_before_any_describe_sends_nothing_and_names_the_key_once_known(
    aio_connect: Connect,
) -> None:
    on_asyncio(aio_connect, load_before_describe)


async def cancelled_close(aws: Any) -> None:
    orders = await create_orders(aws)
    client = await aws.dynamo.client()
    entered, gate = asyncio.Event(), asyncio.Event()

    async def hold(**_: Any) -> None:
        entered.set()
        await gate.wait()

    client.meta.events.register("before-send.dynamodb.BatchWriteItem", hold)
    writer = orders.batch_writer()
    wanted = [order(i) for i in range(30)]
    for item in wanted:
        await writer.put(item)
    closing = asyncio.create_task(writer.close())
    await entered.wait()
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    # Had a held batch not been cancelled, it would be sent now.
    gate.set()
    client.meta.events.unregister("before-send.dynamodb.BatchWriteItem", hold)
    assert writer.written == 0
    with pytest.raises(awskit.PartialFailure) as info:
        await writer.flush()
    # Both batches (25, then the 5 close sent) were held, cancelled, and are reported.
    assert sorted(info.value.failed, key=lambda o: o.order_id) == wanted
    assert isinstance(info.value.last_error, asyncio.CancelledError)
    assert await orders.count() == 0


def test_cancelling_close_cancels_the_batches_in_flight_and_reports_them(
    aio_connect: Connect,
) -> None:
    on_asyncio(aio_connect, cancelled_close)


async def cancelled_body(aws: Any) -> None:
    # Cancelling the task inside `async with` stops the writer at once, as asyncio
    # expects: the batch in flight is cancelled, what is buffered is not sent, and the
    # cancellation goes on (no PartialFailure in its place); a later flush reports it all.
    orders = await create_orders(aws)
    client = await aws.dynamo.client()
    entered, gate = asyncio.Event(), asyncio.Event()
    sent: list[int] = []

    async def hold(**_: Any) -> None:
        sent.append(1)
        entered.set()
        await gate.wait()

    client.meta.events.register("before-send.dynamodb.BatchWriteItem", hold)
    wanted = [order(i) for i in range(30)]
    writer = orders.batch_writer()

    async def body() -> None:
        async with writer:
            for item in wanted:
                await writer.put(item)  # the 26th put sends the first 25
            await asyncio.Event().wait()

    task = asyncio.create_task(body())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        # A writer that flushed instead would wait on the held batch for ever: the bound
        # only turns that hang into a failure.
        await asyncio.wait_for(task, 60)
    gate.set()
    client.meta.events.unregister("before-send.dynamodb.BatchWriteItem", hold)
    assert sent == [1]  # the 5 buffered were never sent
    assert writer.written == 0
    with pytest.raises(awskit.PartialFailure) as info:
        await writer.flush()
    assert sorted(info.value.failed, key=lambda o: o.order_id) == wanted
    assert await orders.count() == 0


def test_cancelling_the_body_stops_the_writer_and_the_cancellation_goes_on(
    aio_connect: Connect,
) -> None:
    on_asyncio(aio_connect, cancelled_body)


async def aclosing_writer(aws: Any) -> None:
    orders = await create_orders(aws)
    async with contextlib.aclosing(orders.batch_writer()) as writer:
        for i in range(3):
            await writer.put(order(i))
    assert writer.written == 3
    assert await orders.count() == 3


def test_aclose_is_close_for_contextlib_aclosing(aio_connect: Connect) -> None:
    on_asyncio(aio_connect, aclosing_writer)


async def wrong_index_names(aws: Any) -> None:
    lazy, ops = await lazy_orders(aws)
    for call in (
        lambda: lazy.index(""),
        lambda: lazy.count(index=""),
        lambda: _items(lazy.query(Key("status").eq("new"), index=7)),
        lambda: _items(lazy.scan(index="")),
    ):
        with pytest.raises(awskit.InvalidInput) as info:
            await call()
        assert info.value.field == "index"
    assert ops.sent == []


def test_a_wrong_index_name_is_refused_before_a_lazy_table_is_described(
    aio_connect: Connect,
) -> None:
    on_asyncio(aio_connect, wrong_index_names)
