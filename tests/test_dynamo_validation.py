"""Strict writes, lenient reads: updates, keys and key conditions checked before sending.

Every "observed" case of issues 14, 20 (points 5 and 6) and 21 (empty key values), through
moto's server, plus property tests of the validators: a value the model accepts is
written and reads back as the model validated it; a value it refuses is InvalidInput and
no request is sent.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

import awskit
from awskit.dynamo import Attr, GlobalIndex, InvalidItem, Key, LocalIndex, Table, TransactUpdate
from awskit.dynamo.schema import KeySchema
from awskit.dynamo.validate import check_key_condition, check_key_values, check_update


class Address(BaseModel):
    city: str
    zipcode: int


class Order(BaseModel):
    customer_id: str
    order_id: str
    amount: float
    status: str = "new"
    note: str | None = None
    count: int = 0
    tags: set[str] | None = None
    address: Address | None = None
    quantity: int = Field(default=1, gt=0)


class Sent:
    """Operation names of every request the client sends (a before-send hook)."""

    def __init__(self) -> None:
        self.ops: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, request: Any, **kwargs: Any) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        with self._lock:
            self.ops.append(target.rsplit(".", 1)[-1])


@pytest.fixture
def sent(aws: awskit.Session) -> Sent:
    recorder = Sent()
    aws.dynamo.client.meta.events.register("before-send.dynamodb", recorder)
    return recorder


@pytest.fixture
def orders(aws: awskit.Session) -> Table[Order]:
    table = aws.dynamo.create_table(
        "orders",
        Order,
        hash_key="customer_id",
        range_key="order_id",
        indexes=[
            GlobalIndex("by-status", hash_key="status", projection="KEYS_ONLY"),
            GlobalIndex("by-status-all", hash_key="status", range_key="order_id"),
            LocalIndex("by-count", range_key="count", projection=["amount"]),
        ],
    )
    table.put(Order(customer_id="c1", order_id="o1", amount=10.5, note="first"))
    return table


KEY = {"customer_id": "c1", "order_id": "o1"}


def stored(aws: awskit.Session, key: dict[str, str] = KEY) -> dict[str, Any] | None:
    return aws.dynamo.table("orders").get(key)


# -- update checked against the model (issue 14, observed) ----------------------------------


@pytest.mark.parametrize(
    ("update", "field"),
    [
        ({"set": {"amount": "lots"}}, "set.amount"),
        ({"set": {"amount": True}}, "set.amount"),
        ({"set": {"amount": "1.5"}}, "set.amount"),
        ({"set": {"stauts": "x"}}, "set.stauts"),
        ({"set": {"address.zipcode": "x"}}, "set.address.zipcode"),
        ({"set": {"address.street": "x"}}, "set.address.street"),
        ({"set": {"quantity": 0}}, "set.quantity"),
        ({"set": {"count": 1.5}}, "set.count"),
        ({"set": {"tags": {1, 2}}}, "set.tags[0]"),
        ({"set": {"amount": None}}, "set.amount"),
        ({"remove": ["amount"]}, "remove"),
        ({"remove": ["address.city"]}, "remove"),
        ({"add": {"status": 1}}, "add.status"),
        ({"add": {"count": Decimal("1.5")}}, "add.count"),
        ({"add": {"count": True}}, "add.count"),
        ({"add": {"tags": {1}}}, "add.tags[0]"),
        ({"delete": {"count": {1}}}, "delete.count"),
    ],
)
def test_update_refuses_what_the_model_refuses_and_sends_nothing(
    aws: awskit.Session, orders: Table[Order], sent: Sent, update: dict[str, Any], field: str
) -> None:
    before = stored(aws)
    sent.ops.clear()
    with pytest.raises(awskit.InvalidInput) as info:
        orders.update(KEY, **update)
    assert info.value.field == field
    assert sent.ops == []
    assert stored(aws) == before
    # The item stays readable by the model (the old code wrote "lots" and broke every get).
    assert orders.get(KEY) is not None


def test_update_writes_the_value_as_the_model_validated_it(
    aws: awskit.Session, orders: Table[Order]
) -> None:
    new = orders.update(KEY, set={"amount": 3, "tags": ["a", "b"], "note": None})
    assert new.amount == 3.0 and type(new.amount) is float
    assert new.tags == {"a", "b"} and new.note is None
    raw = aws.dynamo.client.get_item(TableName="orders", Key={k: {"S": v} for k, v in KEY.items()})
    assert raw["Item"]["tags"] == {"SS": ["a", "b"]} or set(raw["Item"]["tags"]["SS"]) == {"a", "b"}
    assert "note" not in raw["Item"]
    nested = orders.update(KEY, set={"address": {"city": "Oslo", "zipcode": 150}})
    assert nested.address == Address(city="Oslo", zipcode=150)
    assert orders.update(KEY, set={"address.city": "Bergen"}).address == Address(
        city="Bergen", zipcode=150
    )


def test_update_allows_extra_fields_when_the_model_does(aws: awskit.Session) -> None:
    class Loose(BaseModel):
        model_config = ConfigDict(extra="allow")
        id: str
        n: int = 0

    loose = aws.dynamo.create_table("loose", Loose, hash_key="id")
    loose.put(Loose(id="a"))
    assert loose.update(id="a", set={"anything": "goes", "n": 2}).model_extra == {
        "anything": "goes"
    }
    with pytest.raises(awskit.InvalidInput):
        loose.update(id="a", set={"n": "two"})


def test_update_of_a_missing_item_is_not_found_and_creates_nothing(
    aws: awskit.Session, orders: Table[Order]
) -> None:
    missing = {"customer_id": "c1", "order_id": "nope"}
    with pytest.raises(awskit.NotFound) as info:
        orders.update(missing, set={"status": "paid"})
    assert "nope" in str(info.value) and "upsert=True" in str(info.value)
    assert info.value.operation == "UpdateItem"
    assert stored(aws, missing) is None
    # The caller's own condition does not change that: the item is absent.
    with pytest.raises(awskit.NotFound):
        orders.update(missing, set={"status": "paid"}, condition=Attr("status").eq("new"))
    # A present item whose condition is false is still ConditionFailed, with the item.
    with pytest.raises(awskit.ConditionFailed) as failed:
        orders.update(KEY, set={"status": "paid"}, condition=Attr("status").eq("shipped"))
    assert not isinstance(failed.value, awskit.NotFound)
    assert failed.value.item == orders.get(KEY)


def test_upsert_creates_only_an_item_the_model_can_read(
    aws: awskit.Session, orders: Table[Order], sent: Sent
) -> None:
    new = {"customer_id": "c2", "order_id": "o9"}
    sent.ops.clear()
    with pytest.raises(awskit.InvalidInput) as info:
        orders.update(new, set={"status": "paid"}, upsert=True)
    assert info.value.field == "upsert" and "amount" in str(info.value)
    assert sent.ops == []
    created = orders.update(new, set={"amount": 2.5}, upsert=True)
    assert created == Order(customer_id="c2", order_id="o9", amount=2.5)
    assert orders.get(new) == created
    # ADD creates the attribute too, so it counts as writing the field.
    other = {"customer_id": "c3", "order_id": "o1"}
    assert orders.update(other, add={"amount": Decimal("1.5")}, upsert=True).amount == 1.5
    # On an existing item upsert changes nothing but the existence check.
    assert orders.update(KEY, set={"amount": 1.0}, upsert=True).note == "first"


def test_transact_update_is_validated_and_needs_the_item(orders: Table[Order], sent: Sent) -> None:
    sent.ops.clear()
    with pytest.raises(awskit.InvalidInput):
        orders.transact_write([TransactUpdate(KEY, set={"amount": "lots"})])
    assert sent.ops == []
    missing = {"customer_id": "c1", "order_id": "nope"}
    with pytest.raises(awskit.dynamo.TransactionCanceled) as info:
        orders.transact_write([TransactUpdate(missing, set={"status": "x"})])
    assert [r.code for r in info.value.reasons] == ["ConditionalCheckFailed"]
    orders.transact_write([TransactUpdate(missing, set={"amount": 1}, upsert=True)])
    assert orders.get(missing) == Order(customer_id="c1", order_id="nope", amount=1.0)


# -- keys as keywords (issue 14, observed: TypeError) ----------------------------------------


def test_keys_as_keywords_on_update_delete_and_batch_delete(
    aws: awskit.Session, orders: Table[Order]
) -> None:
    updated = orders.update(customer_id="c1", order_id="o1", set={"status": "paid"})
    assert updated.status == "paid"
    assert orders.update(customer_id="c1", order_id="o1", add={"count": 2}).count == 2
    assert orders.delete(customer_id="c1", order_id="o1") == updated.model_copy(update={"count": 2})
    assert orders.delete(customer_id="c1", order_id="o1") is None
    orders.put(Order(customer_id="c1", order_id="o2", amount=1))
    with orders.batch_writer() as batch:
        batch.delete(customer_id="c1", order_id="o2")
    assert orders.get(customer_id="c1", order_id="o2") is None
    with pytest.raises(awskit.InvalidInput, match="not both"):
        orders.update(KEY, order_id="o1", set={"status": "x"})
    with pytest.raises(awskit.InvalidInput, match="give the key"):
        orders.delete()
    with pytest.raises(awskit.InvalidInput, match="missing key attribute"):
        orders.delete(customer_id="c1")


# -- key values and key conditions (issues 14 and 21, observed) ------------------------------


def bad_keys() -> list[tuple[dict[str, Any], str]]:
    return [
        ({"customer_id": "", "order_id": "o1"}, "cannot be empty"),
        ({"customer_id": "c1", "order_id": ""}, "cannot be empty"),
        ({"customer_id": "x" * 2049, "order_id": "o1"}, "at most 2048"),
        ({"customer_id": "é" * 1025, "order_id": "o1"}, "at most 2048"),
        ({"customer_id": "c1", "order_id": "x" * 1025}, "at most 1024"),
    ]


@pytest.mark.parametrize(("key", "reason"), bad_keys())
def test_bad_key_values_are_refused_everywhere_before_sending(
    orders: Table[Order], sent: Sent, key: dict[str, Any], reason: str
) -> None:
    sent.ops.clear()
    item = Order(amount=1, **key)
    calls = [
        lambda: orders.get(key),
        lambda: orders.delete(key),
        lambda: orders.update(key, set={"status": "x"}),
        lambda: orders.put(item),
        lambda: orders.batch_get([KEY, key]),
        lambda: orders.transact_get([key]),
    ]
    for call in calls:
        with pytest.raises(awskit.InvalidInput, match=reason):
            call()
    with orders.batch_writer() as batch:
        with pytest.raises(awskit.InvalidInput, match=reason):
            batch.put(item)
        with pytest.raises(awskit.InvalidInput, match=reason):
            batch.delete(key)
    assert sent.ops == []


def test_keys_at_the_limits_are_written(orders: Table[Order]) -> None:
    longest = Order(customer_id="é" * 1024, order_id="x" * 1024, amount=1)
    orders.put(longest)
    assert orders.get(customer_id="é" * 1024, order_id="x" * 1024) == longest


def test_empty_binary_key_is_refused(aws: awskit.Session, sent: Sent) -> None:
    blobs = aws.dynamo.create_table("blobs", hash_key="id", key_types={"id": "B"})
    sent.ops.clear()
    with pytest.raises(awskit.InvalidInput, match="cannot be empty"):
        blobs.put({"id": b""})
    with pytest.raises(awskit.InvalidInput, match="cannot be empty"):
        blobs.get(id=b"")
    assert sent.ops == []


def test_one_bad_item_never_poisons_its_batch(orders: Table[Order], sent: Sent) -> None:
    good = [Order(customer_id="b", order_id=f"{i:02}", amount=i) for i in range(24)]
    with orders.batch_writer() as batch:
        for order in good[:12]:
            batch.put(order)
        with pytest.raises(awskit.InvalidInput):
            batch.put(Order(customer_id="", order_id="x", amount=1))
        with pytest.raises(awskit.InvalidInput):
            batch.put({"customer_id": "b", "order_id": "y", "status": True})
        for order in good[12:]:
            batch.put(order)
    assert batch.written == 24
    assert list(orders.query(Key("customer_id").eq("b"))) == good
    assert sent.ops.count("BatchWriteItem") == 1


@pytest.mark.parametrize(
    ("condition", "index", "reason"),
    [
        (Key("customer_id").eq(1), None, "of type S, not N"),
        (Key("customer_id").eq(""), None, "cannot be empty"),
        (Key("customer_id").eq("c1") & Key("order_id").begins_with(b"o"), None, "not B"),
        (Key("customer_id").eq("c1") & Key("amount").gt(1), None, "not a key attribute"),
        (Key("status").eq("new"), None, "not a key attribute"),
        (Key("status").eq(7), "by-status", "of type S, not N"),
        (Key("customer_id").eq("c1") & Key("count").begins_with("1"), "by-count", "not S"),
    ],
)
def test_key_conditions_are_checked_against_the_key_schema(
    orders: Table[Order], sent: Sent, condition: Any, index: str | None, reason: str
) -> None:
    sent.ops.clear()
    with pytest.raises(awskit.InvalidInput, match=reason) as info:
        orders.query(condition, index=index)
    assert info.value.field == "key_condition"
    assert sent.ops == []


def test_key_condition_checks_are_pure() -> None:
    schema = KeySchema("pk", "n")
    types = {"pk": "S", "n": "N"}
    check_key_condition(Key("pk").eq("a") & Key("n").between(1, 2), schema, types)
    with pytest.raises(awskit.InvalidInput, match="begins_with"):
        check_key_condition(Key("pk").eq("a") & Key("n").begins_with(1), schema, types)
    check_key_values({"pk": {"S": "x" * 2048}, "n": {"N": "1"}}, schema, types, "key")
    with pytest.raises(awskit.InvalidInput) as info:
        check_key_values({"pk": {"S": "a"}, "n": {"S": "1"}}, schema, types, "key")
    assert info.value.field == "key.n"


# -- projections and indexes (issue 20, points 5 and 6) --------------------------------------


def test_projection_gives_typed_partial_dicts(orders: Table[Order]) -> None:
    partial = list(orders.query(Key("customer_id").eq("c1"), projection=["order_id", "amount"]))
    assert partial == [{"order_id": "o1", "amount": 10.5}]
    whole = orders.update(KEY, set={"amount": 4})
    assert whole.amount == 4.0
    [item] = orders.query(Key("customer_id").eq("c1"), projection=["amount", "tags"])
    assert item == {"amount": 4.0} and type(item["amount"]) is float
    assert list(orders.scan(projection=["customer_id"])) == [{"customer_id": "c1"}]


def test_keys_only_index_needs_a_projection_and_then_reads_dicts(
    orders: Table[Order], sent: Sent
) -> None:
    sent.ops.clear()
    with pytest.raises(awskit.InvalidInput) as info:
        orders.query(Key("status").eq("new"), index="by-status")
    assert info.value.field == "index" and "amount" in str(info.value)
    assert sent.ops == []
    found = list(
        orders.query(
            Key("status").eq("new"), index="by-status", projection=["customer_id", "order_id"]
        )
    )
    assert found == [KEY]
    # An index projecting ALL reads whole items.
    assert list(orders.query(Key("status").eq("new"), index="by-status-all")) == [orders.get(KEY)]
    with pytest.raises(awskit.InvalidInput, match="no index"):
        orders.query(Key("status").eq("new"), index="by-nothing")


def test_consistent_read_of_a_global_index_is_refused(orders: Table[Order], sent: Sent) -> None:
    sent.ops.clear()
    for call in (
        lambda: orders.query(Key("status").eq("new"), index="by-status-all", consistent=True),
        lambda: orders.scan(index="by-status-all", consistent=True),
        lambda: orders.count(index="by-status-all", consistent=True),
    ):
        with pytest.raises(awskit.InvalidInput) as info:
            call()
        assert info.value.field == "consistent"
    assert sent.ops == []
    # A local index may be read consistently.
    local = orders.query(
        Key("customer_id").eq("c1"), index="by-count", consistent=True, projection=["amount"]
    )
    assert list(local) == [{"amount": 10.5}]


def test_lazy_table_learns_its_indexes(aws: awskit.Session, orders: Table[Order]) -> None:
    lazy = aws.dynamo.table("orders", model=Order)
    with pytest.raises(awskit.InvalidInput):
        lazy.query(Key("status").eq("new"), index="by-status-all", consistent=True)
    assert lazy.index("by-status").projection == "KEYS_ONLY"


def test_add_takes_a_decimal(orders: Table[Order]) -> None:
    assert orders.update(KEY, add={"amount": Decimal("1.5")}).amount == 12.0
    plain = orders.update(KEY, add={"count": 3})
    assert plain.count == 3


# -- reads that fail the model (issue 14) ----------------------------------------------------


def test_an_item_that_fails_the_model_names_table_and_key(
    aws: awskit.Session, orders: Table[Order]
) -> None:
    aws.dynamo.client.put_item(
        TableName="orders",
        Item={"customer_id": {"S": "bad"}, "order_id": {"S": "o1"}, "amount": {"S": "lots"}},
    )
    for read in (
        lambda: orders.get(customer_id="bad", order_id="o1"),
        lambda: list(orders.query(Key("customer_id").eq("bad"))),
    ):
        with pytest.raises(InvalidItem) as info:
            read()
        assert not isinstance(info.value, awskit.InvalidInput)
        assert info.value.table == "orders"
        assert info.value.key == {"customer_id": "bad", "order_id": "o1"}
        assert "orders" in str(info.value) and "bad" in str(info.value)
    # A projection of what fits still reads.
    assert list(orders.query(Key("customer_id").eq("bad"), projection=["amount"])) == [
        {"amount": "lots"}
    ]
    # delete removes it, then says the old item did not fit; nothing is lost.
    with pytest.raises(InvalidItem, match="deleted") as deleted:
        orders.delete(customer_id="bad", order_id="o1")
    assert deleted.value.item["amount"] == "lots"
    assert stored(aws, {"customer_id": "bad", "order_id": "o1"}) is None


# -- property tests of the validators --------------------------------------------------------

values = st.one_of(
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-1000, max_value=1000),
    st.text(max_size=5),
    st.sampled_from(["1", "1.5", "true", "lots", "0"]),
    st.binary(max_size=3),
    st.lists(st.text(max_size=2), max_size=3),
)
fields = st.sampled_from(["amount", "status", "count", "tags", "quantity"])


def lax(field: str, value: Any) -> tuple[bool, Any]:
    adapter: TypeAdapter[Any] = TypeAdapter(Order.model_fields[field].annotation)
    try:
        result = adapter.validate_python(value)
    except ValidationError:
        return False, None
    if field == "quantity" and result <= 0:
        return False, None
    return True, result


def strict(field: str, value: Any) -> bool:
    try:
        Order.model_validate(
            {"customer_id": "c", "order_id": "o", "amount": 1.0, field: value}, strict=True
        )
    except ValidationError:
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(fields, values)
def test_check_update_accepts_what_the_model_accepts(field: str, value: Any) -> None:
    accepted_lax, validated = lax(field, value)
    try:
        checked = check_update(Order, set={field: value})
    except awskit.InvalidInput as exc:
        assert exc.field.startswith(f"set.{field}")
        # Refused: the model refuses it outright, or lax mode would only have guessed.
        assert not strict(field, value)
        return
    assert accepted_lax
    assert checked.set[field] == validated


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fields, values)
def test_update_through_moto_writes_what_the_model_accepts_or_sends_nothing(
    aws: awskit.Session, orders: Table[Order], sent: Sent, field: str, value: Any
) -> None:
    before = len(sent.ops)
    try:
        new = orders.update(KEY, set={field: value})
    except awskit.InvalidInput:
        assert len(sent.ops) == before
        assert not strict(field, value)
        return
    ok, validated = lax(field, value)
    assert ok
    assert getattr(new, field) == validated
    assert orders.get(KEY) == new
