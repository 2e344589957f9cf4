"""awskit.dynamo against moto's server: the seed workflow and every Table method."""

from __future__ import annotations

import datetime
import threading
import uuid
from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import awskit
from awskit.dynamo import (
    Attr,
    GlobalIndex,
    InvalidItem,
    Key,
    KeySchema,
    LocalIndex,
    Provisioned,
    Table,
    TransactAction,
    TransactCheck,
    TransactDelete,
    TransactionCanceled,
    TransactPut,
    TransactUpdate,
)
from awskit.dynamo.expressions import Expressions, parse_path
from awskit.dynamo.schema import create_table_request
from awskit.dynamo.table import key_id


class Address(BaseModel):
    road: str
    city: str
    state: str
    zipcode: int
    country: str


class User(BaseModel):
    username: str
    first_name: str
    last_name: str
    age: int
    account_type: str
    address: Address | None = None


class Versioned(BaseModel):
    id: str
    body: str
    version: int | None = None


class Sent:
    """Operation names of every request the client sends (a before-send hook)."""

    def __init__(self) -> None:
        self.ops: list[str] = []
        self.bodies: list[bytes] = []
        self._lock = threading.Lock()

    def __call__(self, request: Any, **kwargs: Any) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        with self._lock:
            self.ops.append(target.rsplit(".", 1)[-1])
            self.bodies.append(request.body)

    def count(self, op: str) -> int:
        return self.ops.count(op)


@pytest.fixture
def sent(aws: awskit.Session) -> Sent:
    recorder = Sent()
    aws.dynamo.client.meta.events.register("before-send.dynamodb", recorder)
    return recorder


def jane() -> User:
    return User(
        username="janedoe", first_name="Jane", last_name="Doe", age=25, account_type="standard_user"
    )


def address(state: str) -> Address:
    return Address(road="1 Jefferson Street", city="Los Angeles", state=state, zipcode=90001,
                   country="USA")  # fmt: skip


SEED = [
    User(username="johndoe", first_name="John", last_name="Doe", age=25,
         account_type="standard_user", address=address("CA")),
    User(username="bobsmith", first_name="Bob", last_name="Smith", age=18,
         account_type="super_user", address=address("NY")),
    User(username="alicedoe", first_name="Alice", last_name="Doe", age=27,
         account_type="super_user", address=address("CA")),
    User(username="janedoering", first_name="Jane", last_name="Doering", age=34,
         account_type="standard_user", address=address("FL")),
    User(username="jennydoe", first_name="Jenny", last_name="Doe", age=20,
         account_type="super_user", address=address("CA")),
]  # fmt: skip


@pytest.fixture
def users(aws: awskit.Session) -> Table[User]:
    return aws.dynamo.create_table(
        "users", User, hash_key="username", range_key="last_name", billing=Provisioned(5, 5)
    )


@pytest.fixture
def seeded(users: Table[User]) -> Table[User]:
    with users.batch_writer() as batch:
        for user in SEED:
            batch.put(user)
    return users


# -- the seed workflow -----------------------------------------------------------------------


def test_create_table_waits_and_describes(aws: awskit.Session, users: Table[User]) -> None:
    assert users.name == "users"
    assert users.key_schema == KeySchema("username", "last_name")
    assert users.item_count == 0
    assert isinstance(users.creation_date_time, datetime.datetime)
    table = users.describe()
    assert table["TableStatus"] == "ACTIVE"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 5
    assert {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]} == {
        "username": "S",
        "last_name": "S",
    }
    with pytest.raises(awskit.AlreadyExists):
        aws.dynamo.create_table("users", User, hash_key="username", range_key="last_name")


def test_put_get_update_delete(users: Table[User]) -> None:
    assert users.put(jane()) == jane()
    assert users.get(username="janedoe", last_name="Doe") == jane()
    assert users.get({"username": "janedoe", "last_name": "Doe"}, consistent=True) == jane()
    assert users.get(username="janedoe", last_name="Nobody") is None
    updated = users.update({"username": "janedoe", "last_name": "Doe"}, set={"age": 26})
    assert updated == jane().model_copy(update={"age": 26})
    assert users.get(username="janedoe", last_name="Doe") == updated
    assert users.item_count == 1
    assert users.delete({"username": "janedoe", "last_name": "Doe"}) == updated
    assert users.get(username="janedoe", last_name="Doe") is None
    assert users.delete({"username": "janedoe", "last_name": "Doe"}) is None


def test_batch_writer_many_items(users: Table[User], sent: Sent) -> None:
    many = [
        jane().model_copy(update={"username": f"user{i:03}", "age": i % 90}) for i in range(130)
    ]
    with users.batch_writer() as batch:
        for user in many:
            batch.put(user)
    assert batch.written == 130
    assert users.count() == 130
    assert sorted(users.scan(), key=lambda u: u.username) == many
    # 130 items: five full batches of 25 and one of 5, nothing sent twice.
    assert sent.count("BatchWriteItem") == 6


def test_batch_writer_overwrite_by_pkeys(users: Table[User], sent: Sent) -> None:
    with users.batch_writer(overwrite_by_pkeys=["username", "last_name"]) as batch:
        batch.put(jane().model_copy(update={"age": 1}))
        batch.put(SEED[0])
        batch.put(jane().model_copy(update={"age": 2}))
        batch.delete({"username": "johndoe", "last_name": "Doe"})
        batch.put(jane().model_copy(update={"age": 3}))
    assert [u.age for u in users.scan()] == [3]
    assert users.get(username="johndoe", last_name="Doe") is None
    assert sent.count("BatchWriteItem") == 1
    with pytest.raises(awskit.InvalidInput) as info:
        users.batch_writer(overwrite_by_pkeys=["username", "age"])
    assert info.value.field == "overwrite_by_pkeys"


def test_query_key_condition(seeded: Table[User]) -> None:
    found = list(seeded.query(Key("username").eq("johndoe")))
    assert found == [SEED[0]]
    both = Key("username").eq("janedoering") & Key("last_name").begins_with("Doe")
    assert [u.username for u in seeded.query(both)] == ["janedoering"]
    assert list(seeded.query(Key("username").eq("nobody"))) == []


def test_scan_filters(seeded: Table[User]) -> None:
    def names(condition: Any) -> set[str]:
        return {u.username for u in seeded.scan(condition)}

    assert names(Attr("age").lt(27)) == {"johndoe", "bobsmith", "jennydoe"}
    assert names(Attr("first_name").begins_with("J") & Attr("account_type").eq("super_user")) == {
        "jennydoe"
    }
    assert names(Attr("address.state").eq("CA")) == {"johndoe", "alicedoe", "jennydoe"}
    assert names(Attr("age").between(20, 27) | Attr("username").is_in(["bobsmith"])) == {
        "johndoe", "alicedoe", "jennydoe", "bobsmith"
    }  # fmt: skip


def test_delete_table(aws: awskit.Session, users: Table[User]) -> None:
    users.delete_table(wait=True)
    assert [t.name for t in aws.dynamo.tables()] == []
    with pytest.raises(awskit.NotFound):
        users.get(username="a", last_name="b")
    with pytest.raises(awskit.NotFound):
        users.delete_table()


# -- facade ----------------------------------------------------------------------------------


def test_table_is_lazy_and_reads_the_key_schema_once(
    aws: awskit.Session, seeded: Table[User], sent: Sent
) -> None:
    lazy = aws.dynamo.table("users", model=User)
    assert sent.ops == []
    assert lazy.get(username="johndoe", last_name="Doe") == SEED[0]
    assert lazy.get(username="bobsmith", last_name="Smith") == SEED[1]
    assert sent.ops == ["DescribeTable", "GetItem", "GetItem"]
    assert lazy.key_schema == KeySchema("username", "last_name")
    with pytest.raises(awskit.NotFound):
        aws.dynamo.table("absent").get(id="x")


def test_plain_table_gives_plain_values(aws: awskit.Session, seeded: Table[User]) -> None:
    plain = aws.dynamo.table("users")
    item = plain.get(username="johndoe", last_name="Doe")
    assert item == SEED[0].model_dump()
    assert isinstance(item, dict)
    assert type(item["age"]) is int
    plain.put({"username": "x", "last_name": "y", "score": 1.5, "tags": {"a", "b"}})
    assert plain.get(username="x", last_name="y") == {
        "username": "x", "last_name": "y", "score": 1.5, "tags": {"a", "b"}
    }  # fmt: skip


def test_tables_lists_every_page(aws: awskit.Session) -> None:
    names = [f"table-{i:03}" for i in range(105)]
    for name in names:
        aws.dynamo.client.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    listed = list(aws.dynamo.tables())
    assert [t.name for t in listed] == names
    assert all(t.model is None for t in listed)


class Event(BaseModel):
    device: bytes
    at: int
    kind: str
    ttl: int


def test_create_table_key_types_indexes_and_ttl(aws: awskit.Session) -> None:
    events = aws.dynamo.create_table(
        "events",
        Event,
        hash_key="device",
        range_key="at",
        indexes=[
            GlobalIndex("by-kind", hash_key="kind", range_key="at"),
            LocalIndex("by-ttl", range_key="ttl", projection="KEYS_ONLY"),
        ],
        ttl_attribute="ttl",
    )
    table = events.describe()
    assert {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]} == {
        "device": "B", "at": "N", "kind": "S", "ttl": "N"
    }  # fmt: skip
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["by-kind"]
    assert [i["IndexName"] for i in table["LocalSecondaryIndexes"]] == ["by-ttl"]
    ttl = aws.dynamo.client.describe_time_to_live(TableName="events")
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "ttl"
    for at in range(5):
        events.put(Event(device=b"\x00\x01", at=at, kind="odd" if at % 2 else "even", ttl=9 - at))
    odd = list(events.query(Key("kind").eq("odd"), index="by-kind", reverse=True))
    assert [e.at for e in odd] == [3, 1]
    keys_only = aws.dynamo.table("events").query(
        Key("device").eq(b"\x00\x01") & Key("ttl").lt(7), index="by-ttl"
    )
    assert sorted(e["at"] for e in keys_only) == [3, 4]
    assert events.get(device=b"\x00\x01", at=4) == Event(device=b"\x00\x01", at=4, kind="even",
                                                         ttl=5)  # fmt: skip


def test_create_table_rejects_bad_definitions(aws: awskit.Session, sent: Sent) -> None:
    with pytest.raises(awskit.InvalidInput) as info:
        aws.dynamo.create_table("users", User, hash_key="nickname")
    assert info.value.field == "hash_key"
    with pytest.raises(awskit.InvalidInput, match="key attribute"):
        aws.dynamo.create_table("users", User, hash_key="address")
    with pytest.raises(awskit.InvalidInput) as info:
        aws.dynamo.create_table("users", User, hash_key="username", billing="ON_DEMAND")  # type: ignore[call-overload]
    assert info.value.field == "billing"
    with pytest.raises(awskit.InvalidInput) as info:
        Provisioned(read=0, write=5)
    assert info.value.field == "billing.read"
    with pytest.raises(awskit.InvalidInput, match="range key"):
        aws.dynamo.create_table(
            "users", User, hash_key="username", indexes=[LocalIndex("l", "age")]
        )
    assert sent.ops == []


def test_create_table_request_without_model() -> None:
    index = GlobalIndex("g", hash_key="n", projection=["a", "b"], provisioned=Provisioned(1, 1))
    request = create_table_request(
        "table1", None, hash_key="pk", range_key="n", key_types={"n": "N"},
        billing=Provisioned(2, 3), indexes=[index],
    )  # fmt: skip
    assert request["AttributeDefinitions"] == [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "n", "AttributeType": "N"},
    ]
    assert request["GlobalSecondaryIndexes"][0]["Projection"] == {
        "ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "b"]
    }  # fmt: skip
    assert request["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"] == {
        "ReadCapacityUnits": 1, "WriteCapacityUnits": 1
    }  # fmt: skip
    assert request["ProvisionedThroughput"] == {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}


# -- keys and validation ---------------------------------------------------------------------


def test_wrong_keys_are_invalid_input_before_any_request(seeded: Table[User], sent: Sent) -> None:
    bad: list[tuple[Any, str]] = [
        ({"username": "johndoe"}, "missing key attribute 'last_name'"),
        ({"username": "johndoe", "last_name": "Doe", "age": 25}, "'age' is not a key"),
        ({"username": 5, "last_name": "Doe"}, "of type S, not N"),
        ({"username": None, "last_name": "Doe"}, "missing key attribute 'username'"),
        ("johndoe", "expected a mapping"),
    ]
    for key, message in bad:
        with pytest.raises(awskit.InvalidInput, match=message):
            seeded.get(key)
        with pytest.raises(awskit.InvalidInput, match=message):
            seeded.delete(key)
    with pytest.raises(awskit.InvalidInput, match="missing key attribute"):
        seeded.get(username="johndoe")
    with pytest.raises(awskit.InvalidInput, match="not both"):
        seeded.get({"username": "johndoe"}, last_name="Doe")
    with pytest.raises(awskit.InvalidInput, match="missing key attribute 'last_name'"):
        seeded.put({"username": "x", "age": 3})  # type: ignore[arg-type]
    with pytest.raises(awskit.InvalidInput) as info:
        seeded.put(jane().model_copy(update={"address": {"bad": float("nan")}}))
    assert "address" in info.value.field
    with pytest.raises(awskit.InvalidInput) as info:
        seeded.query(Attr("username").eq("x"))
    assert info.value.field == "key_condition"
    with pytest.raises(awskit.InvalidInput) as info:
        seeded.scan("age < 3")  # type: ignore[arg-type]
    assert info.value.field == "filter"
    with pytest.raises(awskit.InvalidInput):
        seeded.scan(page_size=0)
    with pytest.raises(awskit.InvalidInput):
        seeded.scan(segments=0)
    with pytest.raises(awskit.InvalidInput):
        seeded.query(Key("username").eq("x"), limit=-1)
    assert sent.ops == []


def test_item_that_fails_the_model_names_table_and_key(
    aws: awskit.Session, seeded: Table[User]
) -> None:
    aws.dynamo.table("users").put({"username": "broken", "last_name": "Item", "age": "old"})
    with pytest.raises(InvalidItem) as info:
        seeded.get(username="broken", last_name="Item")
    assert isinstance(info.value, awskit.AwskitError)
    assert info.value.table == "users"
    assert info.value.key == {"username": "broken", "last_name": "Item"}
    assert "'broken'" in str(info.value) and "users" in str(info.value)
    with pytest.raises(InvalidItem) as info:
        list(aws.dynamo.table("users", model=User).scan(Attr("username").eq("broken")))
    assert info.value.key == {"username": "broken", "last_name": "Item"}
    assert info.value.item == {"username": "broken", "last_name": "Item", "age": "old"}


# -- update, conditions, delete --------------------------------------------------------------


def test_update_reserved_words_paths_sets_and_numbers(aws: awskit.Session) -> None:
    things = aws.dynamo.create_table("things", hash_key="id")
    things.put({"id": "a", "name": "old", "status": "new", "size": 1, "list": [1, 2, 3],
                "address": {"state": "CA", "city": "LA"}, "tags": {"x", "y"}})  # fmt: skip
    new = things.update(
        {"id": "a"},
        set={"name": "new", "address.state": "NY", "list[1]": 20, "comment": None, "ratio": 0.1},
        remove=["status"],
        add={"size": 2, "tags": {"z"}},
    )
    assert new["tags"] == {"x", "y", "z"}
    new = things.update({"id": "a"}, delete={"tags": {"x"}})
    assert new == {"id": "a", "name": "new", "size": 3, "ratio": 0.1,
                   "address": {"state": "NY", "city": "LA"}, "tags": {"y", "z"},
                   "list": [1, 20, 3]}  # fmt: skip
    assert things.update({"id": "a"}, set={"comment": None}, remove=["ratio"]) == {
        k: v for k, v in new.items() if k != "ratio"
    }
    with pytest.raises(awskit.InvalidInput, match="cannot be updated"):
        things.update({"id": "a"}, set={"id": "b"})
    with pytest.raises(awskit.InvalidInput, match="nothing to update"):
        things.update({"id": "a"})
    with pytest.raises(awskit.InvalidInput, match="also in"):
        things.update({"id": "a"}, set={"x": 1}, remove=["x"])
    with pytest.raises(awskit.InvalidInput, match="also in"):
        things.update({"id": "a"}, add={"tags": {"z"}}, delete={"tags": {"x"}})
    with pytest.raises(awskit.InvalidInput):
        things.update({"id": "a"}, add={"x": "text"})
    with pytest.raises(awskit.InvalidInput):
        things.update({"id": "a"}, set={"tags": set()})
    # An update of an absent key is NotFound (nothing written) unless upsert=True asks
    # for UpdateItem's own behaviour, creating the item.
    with pytest.raises(awskit.NotFound):
        things.update({"id": "b"}, set={"n": 1})
    assert things.get(id="b") is None
    assert things.update({"id": "b"}, set={"n": 1}, upsert=True) == {"id": "b", "n": 1}


def test_condition_failed_carries_the_current_item(seeded: Table[User]) -> None:
    with pytest.raises(awskit.ConditionFailed) as info:
        seeded.put(SEED[0].model_copy(update={"age": 99}), condition=Attr("username").not_exists())
    assert info.value.item == SEED[0]
    assert info.value.operation == "PutItem"
    key = {"username": "johndoe", "last_name": "Doe"}
    with pytest.raises(awskit.ConditionFailed) as info:
        seeded.update(key, set={"age": 30}, condition=Attr("age").gt(50))
    assert info.value.item == SEED[0]
    with pytest.raises(awskit.ConditionFailed) as info:
        seeded.delete(key, condition=Attr("account_type").eq("super_user"))
    assert info.value.item == SEED[0]
    assert seeded.get(key) == SEED[0]
    assert seeded.delete(key, condition=Attr("account_type").eq("standard_user")) == SEED[0]
    updated = seeded.update(
        {"username": "bobsmith", "last_name": "Smith"},
        set={"age": 19},
        condition=Attr("age").eq(18) & Attr("address.state").eq("NY"),
    )
    assert updated.age == 19


def test_optimistic_locking_with_a_version_field(aws: awskit.Session) -> None:
    docs = aws.dynamo.create_table("docs", Versioned, hash_key="id", version_field="version")
    first = docs.put(Versioned(id="d", body="one"))
    assert first.version == 1
    with pytest.raises(awskit.ConditionFailed):
        docs.put(Versioned(id="d", body="stale, no version"))
    second = docs.put(first.model_copy(update={"body": "two"}))
    assert second.version == 2
    with pytest.raises(awskit.ConditionFailed) as info:
        docs.put(first.model_copy(update={"body": "stale"}))
    assert info.value.item == second
    third = docs.update(second, set={"body": "three"})
    assert (third.body, third.version) == ("three", 3)
    with pytest.raises(awskit.ConditionFailed):
        docs.update({"id": "d", "version": 2}, set={"body": "stale"})
    # Without a version in the key the update is unconditional, but still counts.
    assert docs.update({"id": "d"}, set={"body": "four"}).version == 4
    with pytest.raises(awskit.InvalidInput):
        docs.update({"id": "d"}, set={"version": 10})
    with pytest.raises(awskit.ConditionFailed):
        docs.delete({"id": "d", "version": 3})
    assert docs.delete({"id": "d", "version": 4}) == Versioned(id="d", body="four", version=4)
    plain = aws.dynamo.table("docs", version_field="version")
    assert plain.put({"id": "p"}) == {"id": "p", "version": 1}
    assert plain.get(id="p") == {"id": "p", "version": 1}


# -- query and scan paging -------------------------------------------------------------------


@pytest.fixture
def numbers(aws: awskit.Session) -> Table[dict[str, Any]]:
    table = aws.dynamo.create_table("numbers", hash_key="group", range_key="n",
                                    key_types={"n": "N"})  # fmt: skip
    with table.batch_writer() as batch:
        for n in range(50):
            batch.put({"group": "g", "n": n, "even": n % 2 == 0, "pad": "x" * 10})
        for n in range(10):
            batch.put({"group": "h", "n": n, "even": n % 2 == 0})
    return table


def test_query_every_page_limit_reverse_projection(
    numbers: Table[dict[str, Any]], sent: Sent
) -> None:
    g = Key("group").eq("g")
    assert [i["n"] for i in numbers.query(g, page_size=7)] == list(range(50))
    assert sent.count("Query") == 8
    assert [i["n"] for i in numbers.query(g, reverse=True, limit=3)] == [49, 48, 47]
    evens = numbers.query(g, filter=Attr("even").eq(True), limit=5, page_size=4)
    assert [i["n"] for i in evens] == [0, 2, 4, 6, 8]
    assert list(numbers.query(g & Key("n").between(3, 4), projection=["n", "pad"])) == [
        {"n": 3, "pad": "xxxxxxxxxx"}, {"n": 4, "pad": "xxxxxxxxxx"}
    ]  # fmt: skip
    assert list(numbers.query(g, limit=0)) == []


def test_pages_expose_and_resume_from_last_evaluated_key(numbers: Table[dict[str, Any]]) -> None:
    paged = numbers.query(Key("group").eq("g"), page_size=20)
    pages = paged.pages()
    first = next(pages)
    assert [i["n"] for i in first.items] == list(range(20))
    assert first.next_token == {"group": {"S": "g"}, "n": {"N": "19"}}
    resumed = numbers.query(Key("group").eq("g"), start_key=first.next_token)
    assert [i["n"] for i in resumed] == list(range(20, 50))
    plain_key = numbers.query(Key("group").eq("g"), start_key={"group": "g", "n": 44})
    assert [i["n"] for i in plain_key] == list(range(45, 50))
    rest = list(pages)
    assert [len(p.items) for p in rest] == [20, 10]
    assert paged.next_token is None


def test_scan_limit_pages_and_count(numbers: Table[dict[str, Any]], sent: Sent) -> None:
    assert len(list(numbers.scan(page_size=9))) == 60
    assert sent.count("Scan") == 7
    assert len(list(numbers.scan(limit=12))) == 12
    assert numbers.count() == 60
    assert numbers.count(Attr("even").eq(True)) == 30
    assert sorted(i["n"] for i in numbers.scan(Attr("group").eq("h") & Attr("n").gte(7))) == [
        7, 8, 9
    ]  # fmt: skip


def test_parallel_scan_sees_every_item_once(numbers: Table[dict[str, Any]], sent: Sent) -> None:
    serial = sorted((i["group"], i["n"]) for i in numbers.scan())
    parallel = sorted((i["group"], i["n"]) for i in numbers.scan(segments=4, page_size=5))
    assert parallel == serial
    segments = Counter(op for op in sent.ops if op == "Scan")
    assert segments["Scan"] > 4
    filtered = numbers.scan(Attr("even").eq(False), segments=3)
    assert sorted(i["n"] for i in filtered if i["group"] == "g") == list(range(1, 50, 2))
    assert len(list(numbers.scan(segments=5, limit=7, page_size=2))) == 7
    with pytest.raises(awskit.InvalidInput):
        numbers.scan(segments=2, start_key={"group": "g", "n": 1})


def test_parallel_scan_raises_a_segments_error(aws: awskit.Session) -> None:
    table = aws.dynamo.table("absent")
    with pytest.raises(awskit.NotFound):
        list(table.scan(segments=3))


# -- batch_get and transactions --------------------------------------------------------------


def test_batch_get_deduplicates_chunks_and_keeps_order(
    numbers: Table[dict[str, Any]], sent: Sent
) -> None:
    keys = [{"group": "g", "n": n} for n in range(49, -1, -1)]
    keys += [{"group": "h", "n": n} for n in range(10)] * 3
    keys += [{"group": "absent", "n": n} for n in range(150)]
    found = numbers.batch_get(keys)
    assert [(i["group"], i["n"]) for i in found] == [("g", n) for n in range(49, -1, -1)] + [
        ("h", n) for n in range(10)
    ]
    # 210 distinct keys: three requests of at most 100.
    assert sent.count("BatchGetItem") == 3
    assert numbers.batch_get([]) == []
    with pytest.raises(awskit.InvalidInput) as info:
        numbers.batch_get([{"group": "g", "n": 1}, {"group": "g"}])
    assert info.value.field == "keys[1]"


def test_batch_get_into_models(seeded: Table[User]) -> None:
    keys = [{"username": u.username, "last_name": u.last_name} for u in SEED]
    assert seeded.batch_get(keys + keys, consistent=True) == SEED


def test_transact_write_and_get(aws: awskit.Session, seeded: Table[User]) -> None:
    audit = aws.dynamo.create_table("audit", hash_key="id")
    seeded.transact_write(
        [
            TransactPut(jane()),
            TransactUpdate({"username": "johndoe", "last_name": "Doe"}, set={"age": 26}),
            TransactDelete({"username": "bobsmith", "last_name": "Smith"}),
            TransactCheck({"username": "alicedoe", "last_name": "Doe"}, Attr("age").eq(27)),
            TransactPut({"id": "1", "what": "jane joined"}, table=audit),
        ]
    )
    keys = [
        {"username": "janedoe", "last_name": "Doe"},
        {"username": "johndoe", "last_name": "Doe"},
        {"username": "bobsmith", "last_name": "Smith"},
    ]
    assert seeded.transact_get(keys) == [jane(), SEED[0].model_copy(update={"age": 26}), None]
    assert audit.get(id="1") == {"id": "1", "what": "jane joined"}
    aws.dynamo.transact_write([TransactDelete({"id": "1"}, table=audit)])
    assert audit.get(id="1") is None


def test_transaction_cancellation_reasons_map_to_actions(seeded: Table[User]) -> None:
    actions: list[TransactAction] = [
        TransactPut(jane()),
        TransactCheck({"username": "alicedoe", "last_name": "Doe"}, Attr("age").lt(20)),
        TransactUpdate({"username": "johndoe", "last_name": "Doe"}, set={"age": 1}),
    ]
    with pytest.raises(TransactionCanceled) as info:
        seeded.transact_write(actions)
    error = info.value
    assert [r.action for r in error.reasons] == actions
    assert [r.code for r in error.reasons] == ["None", "ConditionalCheckFailed", "None"]
    assert [r.action for r in error.failed] == [actions[1]]
    assert error.failed[0].item == SEED[2]
    assert seeded.get(username="janedoe", last_name="Doe") is None


def test_transaction_limits_are_checked_before_sending(
    aws: awskit.Session, seeded: Table[User], sent: Sent
) -> None:
    with pytest.raises(awskit.InvalidInput, match="at least one"):
        seeded.transact_write([])
    too_many = [TransactPut(jane().model_copy(update={"username": f"u{i}"})) for i in range(101)]
    with pytest.raises(awskit.InvalidInput, match="at most 100"):
        seeded.transact_write(too_many)
    with pytest.raises(awskit.InvalidInput, match="second action"):
        seeded.transact_write([TransactPut(jane()), TransactDelete(jane())])
    with pytest.raises(awskit.InvalidInput, match="name the table"):
        aws.dynamo.transact_write([TransactPut(jane())])
    with pytest.raises(awskit.InvalidInput):
        seeded.transact_get([{"username": "x"}])
    assert sent.ops == []


# -- batch writer details --------------------------------------------------------------------


def keys_in(body: bytes) -> list[tuple[Any, ...]]:
    import json

    requests = json.loads(body)["RequestItems"]
    keys = []
    for table, writes in requests.items():
        for write in writes:
            record = write.get("PutRequest", {}).get("Item") or write["DeleteRequest"]["Key"]
            keys.append((table, json.dumps(record["username"]), json.dumps(record["last_name"])))
    return keys


def test_batch_writer_never_sends_a_key_twice_in_one_request(
    users: Table[User], sent: Sent
) -> None:
    # AWS rejects a BatchWriteItem naming one key twice; so does this check, on every request.
    with users.batch_writer() as batch:
        for round_ in range(4):
            for i in range(40):
                batch.put(jane().model_copy(update={"username": f"u{i % 13}", "age": round_}))
                if i % 7 == 0:
                    batch.delete({"username": f"u{(i + 1) % 13}", "last_name": "Doe"})
    writes = [b for op, b in zip(sent.ops, sent.bodies, strict=True) if op == "BatchWriteItem"]
    assert writes
    for body in writes:
        keys = keys_in(body)
        assert len(keys) == len(set(keys)) <= 25
    # The last write of every key won: the final round's puts, minus the later deletes.
    stored = {u.username: u.age for u in users.scan()}
    assert stored and set(stored.values()) == {3}


def test_batch_writer_rejects_bad_items_before_sending(users: Table[User], sent: Sent) -> None:
    with users.batch_writer() as batch:
        with pytest.raises(awskit.InvalidInput):
            batch.put({"username": "x"})
        with pytest.raises(awskit.InvalidInput):
            batch.put({"username": "x", "last_name": "y", "blob": b"x" * (400 * 1024)})
        with pytest.raises(awskit.InvalidInput):
            batch.delete({"username": "x"})
    assert sent.ops == []


def test_batch_writer_flushes_on_exception_in_the_block(users: Table[User]) -> None:
    with pytest.raises(RuntimeError), users.batch_writer() as batch:
        batch.put(jane())
        raise RuntimeError("boom")
    assert users.get(username="janedoe", last_name="Doe") == jane()


def test_batch_writer_closes_a_batch_at_the_byte_limit(aws: awskit.Session, sent: Sent) -> None:
    from awskit.dynamo import BatchWriter

    blobs = aws.dynamo.create_table("blobs", hash_key="id")
    # 25 items of 400 KB stay under AWS's 16 MB, so the limit is shown scaled down to 1 MB.
    with BatchWriter(blobs, batch_bytes=1024 * 1024) as batch:
        for i in range(10):
            batch.put({"id": f"{i:02}", "data": b"x" * (390 * 1024)})
    assert sent.count("BatchWriteItem") == 5
    assert blobs.count() == 10


def test_batch_writer_reports_a_rejected_batch_exactly(aws: awskit.Session) -> None:
    from botocore.stub import Stubber

    table = aws.dynamo.create_table("rejects", hash_key="id")
    stubber = Stubber(aws.dynamo.client)
    stubber.add_client_error(
        "batch_write_item", "ValidationException", "Item size has exceeded the maximum"
    )
    items = [{"id": str(i)} for i in range(3)]
    with stubber, pytest.raises(awskit.PartialFailure) as info, table.batch_writer() as batch:
        for item in items:
            batch.put(item)
    assert info.value.failed == items
    assert isinstance(info.value.last_error, awskit.AwskitError)
    assert info.value.last_error.code == "ValidationException"


# -- pure logic ------------------------------------------------------------------------------


def test_expressions_placeholders_follow_the_condition_builder() -> None:
    ex = Expressions()
    condition = ex.condition(Attr("a.b").eq(1) & Attr("size").exists(), field="condition")
    update = ex.update(set={"name": "x", "a.b": 2, "gone": None}, remove=["old"], add={"n": 1})
    assert condition == "(#n0.#n1 = :v0 AND attribute_exists(#n2))"
    assert update == "SET #n3 = :v1, #n4.#n5 = :v2 REMOVE #n6, #n7 ADD #n8 :v3"
    assert ex.names == {"#n0": "a", "#n1": "b", "#n2": "size", "#n3": "name", "#n4": "a",
                        "#n5": "b", "#n6": "gone", "#n7": "old", "#n8": "n"}  # fmt: skip
    assert ex.values == {":v0": {"N": "1"}, ":v1": {"S": "x"}, ":v2": {"N": "2"},
                         ":v3": {"N": "1"}}  # fmt: skip
    with pytest.raises(RuntimeError):
        ex.condition(Attr("late").eq(1), field="condition")


names = st.text(alphabet=st.characters(blacklist_characters=".[]", blacklist_categories=["Cs"]),
                min_size=1, max_size=8)  # fmt: skip
paths = st.lists(st.tuples(names, st.lists(st.integers(0, 99), max_size=2)), min_size=1, max_size=4)


@given(st.lists(paths, min_size=1, max_size=6, unique_by=lambda p: repr(p)))
def test_update_expression_names_every_segment_with_a_placeholder(
    raw_paths: list[list[tuple[str, list[int]]]],
) -> None:
    rendered = [".".join(n + "".join(f"[{i}]" for i in idx) for n, idx in p) for p in raw_paths]
    if len(set(rendered)) != len(rendered):
        return
    ex = Expressions()
    expression = ex.update(set={path: 1 for path in rendered})
    for path, parsed in zip(rendered, raw_paths, strict=True):
        assert parse_path(path) == [(n, "".join(f"[{i}]" for i in idx)) for n, idx in parsed]
    # Every attribute name travels as a placeholder; the expression holds none of them.
    segments = expression.removeprefix("SET ").split(", ")
    assert len(segments) == len(rendered)
    for segment, parsed in zip(segments, raw_paths, strict=True):
        target, value = segment.split(" = ")
        parts = target.split(".")
        assert [ex.names[p.split("[")[0]] for p in parts] == [n for n, _ in parsed]
        assert ex.values[value] == {"N": "1"}


@given(st.integers(-(10**20), 10**20), st.text(max_size=5))
def test_key_id_treats_equal_numbers_alike(n: int, s: str) -> None:
    a = key_id({"h": {"S": s}, "r": {"N": str(n)}}, ["h", "r"])
    b = key_id({"r": {"N": f"{n}.000"}, "h": {"S": s}}, ["h", "r"])
    assert a == b and hash(a) == hash(b)


def test_client_errors_are_translated(aws: awskit.Session) -> None:
    table = aws.dynamo.table("absent", model=User)
    with pytest.raises(awskit.NotFound) as info:
        table.describe()
    assert isinstance(info.value.__cause__, ClientError)


ops = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.integers(0, 29), st.integers(0, 1000)),
        st.tuples(st.just("delete"), st.integers(0, 29), st.just(0)),
    ),
    max_size=120,
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops, st.integers(1, 6))
def test_batch_writer_ends_with_the_last_write_of_every_key(
    aws: awskit.Session, writes: list[tuple[str, int, int]], concurrency: int
) -> None:
    table = aws.dynamo.create_table(f"prop-{uuid.uuid4().hex[:12]}", hash_key="k",
                                    key_types={"k": "N"})  # fmt: skip
    expected: dict[int, int] = {}
    with table.batch_writer(max_concurrency=concurrency) as batch:
        for op, key, value in writes:
            if op == "put":
                batch.put({"k": key, "v": value})
                expected[key] = value
            else:
                batch.delete({"k": key})
                expected.pop(key, None)
    assert {i["k"]: i["v"] for i in table.scan()} == expected
    table.delete_table()
