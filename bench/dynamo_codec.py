"""DynamoDB reads, client side: a 100-item Query page and one GetItem, decoded into models.

Both sides are answered by canned responses at botocore's ``before-send`` hook
(``tests/canned.py``), so only the client-side cost is timed: request serialisation,
response parsing and turning items into Python values.

* peer: boto3's resource ``Table.query`` / ``Table.get_item`` returning dicts (numbers as
  Decimal), as boto3's documentation shows;
* awskit: a client with :func:`awskit.dynamo.fastpath.enable`, each item decoded by
  :func:`awskit.dynamo.codec.load_item` into a validated pydantic model (30 attributes:
  strings, ints, floats, Decimal, bool, datetime, date, UUID, Enum, sets, a nested model,
  lists).

Also shown: the plain botocore client with and without the fast path (no decoding), which
is where the time goes.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any

import pydantic
from boto3.dynamodb.conditions import Key

from awskit.dynamo import fastpath
from awskit.dynamo.codec import dump_item, load_item
from bench._common import best_pair, dummy_session
from tests.canned import canned, dynamodb_json

PAGE = 100


class Status(str, enum.Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Address(pydantic.BaseModel):
    road: str
    city: str
    state: str
    zip: int


class User(pydantic.BaseModel):
    username: str
    last_name: str
    first_name: str
    email: str
    age: int
    score: float
    balance: Decimal
    active: bool
    created: dt.datetime
    birthday: dt.date
    id: uuid.UUID
    status: Status
    tags: set[str]
    lucky: set[int]
    address: Address
    logins: list[int]
    phone: str
    city: str
    country: str
    visits: int
    rating: float
    verified: bool
    plan: str
    referrer: str | None = None
    notes: str
    level: int
    ratio: float
    team: str
    title: str
    locale: str


def make_user(n: int) -> User:
    return User(
        username=f"user{n:05d}",
        last_name="Doe",
        first_name=f"Jane{n}",
        email=f"jane{n}@example.com",
        age=20 + n % 50,
        score=n / 7,
        balance=Decimal(f"{n}.25"),
        active=n % 2 == 0,
        created=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=n),
        birthday=dt.date(1990, 1, 1) + dt.timedelta(days=n),
        id=uuid.UUID(int=n),
        status=Status.ACTIVE,
        tags={"a", "b", f"t{n}"},
        lucky={n, n + 1},
        address=Address(road=f"{n} Main St", city="Seattle", state="WA", zip=98101),
        logins=[n, n + 1, n + 2],
        phone="555-0100",
        city="Seattle",
        country="US",
        visits=n * 3,
        rating=4.5,
        verified=True,
        plan="pro",
        referrer=f"user{n - 1:05d}" if n else None,
        notes="lorem ipsum",
        level=n % 10,
        ratio=0.1 * n,
        team="core",
        title="engineer",
        locale="en_US",
    )


def _wire(av: dict[str, Any]) -> dict[str, Any]:
    """botocore's AttributeValue shape as DynamoDB sends it (binary base64-encoded)."""
    ((tag, value),) = av.items()
    if tag == "B":
        return {"B": base64.b64encode(value).decode()}
    if tag == "BS":
        return {"BS": [base64.b64encode(v).decode() for v in value]}
    if tag == "L":
        return {"L": [_wire(v) for v in value]}
    if tag == "M":
        return {"M": {k: _wire(v) for k, v in value.items()}}
    return av


def _wire_item(user: User) -> dict[str, Any]:
    return {k: _wire(v) for k, v in dump_item(user).items()}


def run(quick: bool = False) -> list[dict[str, object]]:
    session = dummy_session()
    url = "http://canned.invalid"
    page = [_wire_item(make_user(n)) for n in range(PAGE)]
    query_reply = dynamodb_json(
        {
            "Items": page,
            "Count": PAGE,
            "ScannedCount": PAGE,
            "LastEvaluatedKey": {"username": page[-1]["username"]},
        }
    )
    get_reply = dynamodb_json({"Item": page[7]})
    replies: dict[str, Any] = {"Query": query_reply, "GetItem": get_reply}

    # Any: the benchmark passes plain dicts the stubs' TypedDicts would not accept.
    resource: Any = session.resource("dynamodb", endpoint_url=url)
    table: Any = resource.Table("users")
    plain: Any = session.client("dynamodb", endpoint_url=url)
    fast: Any = session.client("dynamodb", endpoint_url=url)
    fastpath.enable(fast)
    undo = [canned(c, replies) for c in (resource.meta.client, plain, fast)]
    query_args = {
        "TableName": "users",
        "KeyConditionExpression": "username = :u",
        "ExpressionAttributeValues": {":u": {"S": "user00001"}},
    }
    key = {"username": {"S": "user00007"}}

    def peer_query() -> object:
        return table.query(KeyConditionExpression=Key("username").eq("user00001"))["Items"]

    def ours_query() -> object:
        return [load_item(i, User) for i in fast.query(**query_args)["Items"]]

    def peer_get() -> object:
        return table.get_item(Key={"username": "user00007"})["Item"]

    def ours_get() -> object:
        return load_item(fast.get_item(TableName="users", Key=key)["Item"], User)

    try:
        # Same data on both sides, so the figures compare like with like.
        assert len(peer_query()) == PAGE  # type: ignore[arg-type]
        models = ours_query()
        assert models == [make_user(n) for n in range(PAGE)]
        assert ours_get() == make_user(7)
        page_loops = 3 if quick else 8
        get_loops = 50 if quick else 200
        size_kb = len(query_reply[2]) / 1024
        query_ours, query_peer = best_pair(ours_query, peer_query, page_loops)
        parse_ours, parse_peer = best_pair(
            lambda: fast.query(**query_args), lambda: plain.query(**query_args), page_loops
        )
        get_ours, get_peer = best_pair(ours_get, peer_get, get_loops)
        rows: list[dict[str, object]] = [
            {
                "operation": f"query page of {PAGE} items ({size_kb:.0f} KB) into models",
                "peer": "boto3 resource Table.query (dicts)",
                "peer_s": query_peer,
                "awskit_s": query_ours,
                "note": "canned; fastpath + load_item into pydantic (30 attrs); target <= 0.5x",
            },
            {
                "operation": f"query page of {PAGE} items, botocore parse only",
                "peer": "boto3 client.query",
                "peer_s": parse_peer,
                "awskit_s": parse_ours,
                "note": "canned; same client with fastpath.enable(), AttributeValue dicts",
            },
            {
                "operation": "get_item one item into a model",
                "peer": "boto3 resource Table.get_item (dict)",
                "peer_s": get_peer,
                "awskit_s": get_ours,
                "note": "canned; fastpath + load_item into pydantic",
            },
        ]
    finally:
        for u in undo:
            u()
        plain.close()
        fast.close()
        resource.meta.client.close()
    for row in rows:
        peer_s, awskit_s = float(str(row["peer_s"])), float(str(row["awskit_s"]))
        print(
            f"{row['operation']:<55} peer {peer_s * 1e3:8.2f} ms"
            f"  awskit {awskit_s * 1e3:8.2f} ms  {awskit_s / peer_s:.2f}x"
        )
    return rows


if __name__ == "__main__":
    run()
