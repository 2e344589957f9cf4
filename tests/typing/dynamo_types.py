"""Type-checked only (mypy --strict, pyright strict): tables carry the user's model."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from typing_extensions import assert_type

import awskit
from awskit._paging import Page, Paged
from awskit.dynamo import Attr, BatchWriter, Key, KeySchema, Provisioned, Table, TransactPut


class User(BaseModel):
    username: str
    last_name: str
    age: int


def typed_tables(aws: awskit.Session) -> None:
    users = aws.dynamo.create_table(
        "users", User, hash_key="username", range_key="last_name", billing=Provisioned(5, 5)
    )
    assert_type(users, Table[User])
    assert_type(aws.dynamo.table("users", model=User), Table[User])
    assert_type(aws.dynamo.table("users"), Table[dict[str, Any]])
    assert_type(aws.dynamo.create_table("plain", hash_key="id"), Table[dict[str, Any]])
    assert_type(users.name, str)
    assert_type(users.item_count, int)
    assert_type(users.creation_date_time, datetime.datetime)
    assert_type(users.key_schema, KeySchema)
    for table in aws.dynamo.tables():
        assert_type(table, Table[dict[str, Any]])


def typed_items(users: Table[User], plain: Table[dict[str, Any]]) -> None:
    assert_type(users.get(username="janedoe", last_name="Doe"), User | None)
    assert_type(users.get({"username": "janedoe", "last_name": "Doe"}), User | None)
    assert_type(plain.get(id="x"), dict[str, Any] | None)
    assert_type(users.put(User(username="a", last_name="b", age=1)), User)
    key = {"username": "janedoe", "last_name": "Doe"}
    assert_type(users.update(key, set={"age": 26}), User)
    assert_type(users.delete(key), User | None)
    assert_type(users.update(username="janedoe", last_name="Doe", set={"age": 26}), User)
    assert_type(users.update(key, set={"age": 1}, upsert=True), User)
    assert_type(users.delete(username="janedoe", last_name="Doe"), User | None)
    assert_type(plain.update(id="x", set={"n": 1}), dict[str, Any])
    assert_type(plain.delete(id="x"), dict[str, Any] | None)
    partial = users.query(Key("username").eq("johndoe"), projection=["username", "age"])
    assert_type(partial, Paged[dict[str, Any]])
    assert_type(users.query(Key("username").eq("johndoe"), index="by-age"), Paged[User])
    assert_type(next(users.scan(projection=["age"])), dict[str, Any])
    assert_type(users.scan(index="by-age"), Paged[User])
    for user in users.query(Key("username").eq("johndoe")):
        assert_type(user, User)
    assert_type(next(users.scan(Attr("age").lt(27))), User)
    assert_type(list(users.scan(segments=4)), list[User])
    for item in plain.query(Key("id").eq("x")):
        assert_type(item, dict[str, Any])
    pages: Iterator[Page[User]] = users.query(Key("username").eq("x")).pages()
    assert_type(next(pages).items[0], User)
    assert_type(users.batch_get([key]), list[User])
    assert_type(users.transact_get([key]), list[User | None])
    assert_type(users.count(), int)
    users.transact_write([TransactPut(User(username="a", last_name="b", age=1))])


def typed_writer(users: Table[User]) -> None:
    with users.batch_writer(overwrite_by_pkeys=["username", "last_name"]) as batch:
        assert_type(batch, BatchWriter[User])
        batch.put(User(username="a", last_name="b", age=1))
        batch.delete({"username": "a", "last_name": "b"})
        batch.delete(username="a", last_name="b")


def errors(exc: awskit.ConditionFailed) -> Any:
    return exc.item
