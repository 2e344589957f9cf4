"""The fast read path returns exactly what botocore's parser returns, and keeps its checks.

Differential tests: the same canned response goes to a plain client and to one with
:func:`awskit.dynamo.fastpath.enable`; the parsed results must be equal, for every read
operation and every AttributeValue type (binary values included, which arrive base64).
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.config import Config
from botocore.exceptions import ChecksumError, ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import awskit
from awskit.dynamo import fastpath
from awskit.dynamo.codec import dump_item, load_item
from tests.canned import CannedReply, canned, dynamodb_json

# --------------------------------------------------------------------------- wire strategies

names = st.text(min_size=1, max_size=6)
texts = st.text(max_size=12)
number_texts = st.one_of(
    st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["1E+100", "1E-130", "-0.5", "9.9999999999999999999999999999999999999E+125"]),
)
b64 = st.binary(max_size=12).map(lambda b: base64.b64encode(b).decode())
scalar_avs = st.one_of(
    texts.map(lambda s: {"S": s}),
    number_texts.map(lambda s: {"N": s}),
    b64.map(lambda s: {"B": s}),
    st.booleans().map(lambda b: {"BOOL": b}),
    st.just({"NULL": True}),
    st.lists(texts, min_size=1, max_size=3, unique=True).map(lambda v: {"SS": v}),
    st.lists(number_texts, min_size=1, max_size=3, unique=True).map(lambda v: {"NS": v}),
    st.lists(b64, min_size=1, max_size=3, unique=True).map(lambda v: {"BS": v}),
)
avs = st.recursive(
    scalar_avs,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda v: {"L": v}),
        st.dictionaries(names, inner, max_size=3).map(lambda v: {"M": v}),
    ),
    max_leaves=8,
)
items = st.dictionaries(names, avs, min_size=1, max_size=5)
key_avs = st.one_of(
    texts.map(lambda s: {"S": s}),
    number_texts.map(lambda s: {"N": s}),
    b64.map(lambda s: {"B": s}),
)
keys = st.dictionaries(st.sampled_from(["pk", "sk"]), key_avs, min_size=1)
capacity = st.builds(
    lambda table, units: {
        "TableName": table,
        "CapacityUnits": units,
        "Table": {"CapacityUnits": units},
    },
    st.sampled_from(["t1", "t2"]),
    st.floats(min_value=0, max_value=100),
)


def optional(key: str, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(st.just({}), strategy.map(lambda v: {key: v}))


def merged(*parts: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.tuples(*parts).map(lambda ds: {k: v for d in ds for k, v in d.items()})


page_bodies = merged(
    optional("Items", st.lists(items, max_size=5)),
    optional("Count", st.integers(0, 5)),
    optional("ScannedCount", st.integers(0, 50)),
    optional("LastEvaluatedKey", keys),
    optional("ConsumedCapacity", capacity),
)
get_bodies = merged(optional("Item", items), optional("ConsumedCapacity", capacity))
batch_bodies = merged(
    optional(
        "Responses", st.dictionaries(st.sampled_from(["t1", "t2"]), st.lists(items, max_size=3))
    ),
    optional(
        "UnprocessedKeys",
        st.dictionaries(
            st.sampled_from(["t1", "t2"]),
            st.builds(
                lambda ks, consistent: {"Keys": ks, "ConsistentRead": consistent},
                st.lists(keys, min_size=1, max_size=3),
                st.booleans(),
            ),
        ),
    ),
    optional("ConsumedCapacity", st.lists(capacity, max_size=2)),
)

# --------------------------------------------------------------------------- clients


class Replies:
    """One canned reply for every client, swapped per example; counts the calls."""

    def __init__(self) -> None:
        self.reply: CannedReply | Callable[[], CannedReply] = dynamodb_json({})
        self.calls = 0

    def __call__(self, request: AWSPreparedRequest) -> CannedReply:
        self.calls += 1
        return self.reply() if callable(self.reply) else self.reply


def make_client(mode: str = "standard") -> Any:
    retries: Any = {"mode": mode, "max_attempts": 2}
    return boto3.client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url="http://canned.invalid",
        config=Config(retries=retries),
    )


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[Any, Any, Replies]]:
    slow, fast = make_client(), make_client()
    fastpath.enable(fast)
    fastpath.enable(fast)  # idempotent
    replies = Replies()
    operations = ("Query", "Scan", "GetItem", "BatchGetItem")
    undo = [canned(c, dict.fromkeys(operations, replies)) for c in (slow, fast)]
    yield slow, fast, replies
    for u in undo:
        u()
    slow.close()
    fast.close()


CALLS: dict[str, Callable[[Any], Any]] = {
    "Query": lambda c: c.query(
        TableName="t1",
        KeyConditionExpression="pk = :v",
        ExpressionAttributeValues={":v": {"S": "x"}},
    ),
    "Scan": lambda c: c.scan(TableName="t1"),
    "GetItem": lambda c: c.get_item(TableName="t1", Key={"pk": {"S": "x"}}),
    "BatchGetItem": lambda c: c.batch_get_item(RequestItems={"t1": {"Keys": [{"pk": {"S": "x"}}]}}),
}


def both(pair: tuple[Any, Any, Replies], operation: str, body: dict[str, Any]) -> tuple[Any, Any]:
    slow, fast, replies = pair
    replies.reply = dynamodb_json(body)
    call = CALLS[operation]
    return call(slow), call(fast)


def without_metadata(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# --------------------------------------------------------------------------- differential


@SETTINGS
@given(body=page_bodies, operation=st.sampled_from(["Query", "Scan"]))
def test_query_and_scan_pages_equal_botocore(
    pair: tuple[Any, Any, Replies], body: dict[str, Any], operation: str
) -> None:
    expected, got = both(pair, operation, body)
    assert got == expected


@SETTINGS
@given(body=get_bodies)
def test_get_item_equals_botocore(pair: tuple[Any, Any, Replies], body: dict[str, Any]) -> None:
    expected, got = both(pair, "GetItem", body)
    assert got == expected


@SETTINGS
@given(body=batch_bodies)
def test_batch_get_item_equals_botocore(
    pair: tuple[Any, Any, Replies], body: dict[str, Any]
) -> None:
    expected, got = both(pair, "BatchGetItem", body)
    assert got == expected


def test_binary_values_come_back_as_bytes(pair: tuple[Any, Any, Replies]) -> None:
    raw = bytes(range(256))
    encoded = base64.b64encode(raw).decode()
    item = {
        "b": {"B": encoded},
        "bs": {"BS": [encoded, ""]},
        "deep": {"L": [{"M": {"x": {"B": encoded}}}]},
        "s": {"S": '"B": not a tag'},
    }
    expected, got = both(pair, "Query", {"Items": [item], "Count": 1})
    assert got == expected
    assert got["Items"][0]["b"] == {"B": raw}
    assert got["Items"][0]["bs"] == {"BS": [raw, b""]}
    assert got["Items"][0]["deep"]["L"][0]["M"]["x"]["B"] == raw
    assert without_metadata(got) == {"Items": [{**item, **got["Items"][0]}], "Count": 1}


def test_botocore_parses_only_the_small_remainder() -> None:
    client = make_client()
    fastpath.enable(client)
    seen: list[tuple[bytes, dict[str, Any]]] = []

    def observe(
        response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any
    ) -> None:
        seen.append((response_dict["body"], dict(customized_response_dict)))

    # Handlers run in registration order, so this one sees what botocore's parser will get.
    client.meta.events.register("before-parse.dynamodb", observe)
    item = {"pk": {"S": "x"}, "b": {"B": base64.b64encode(b"raw").decode()}}
    replies = Replies()
    undo = canned(client, dict.fromkeys(CALLS, replies))
    try:
        cases: list[tuple[str, dict[str, Any], str]] = [
            (
                "Query",
                {"Items": [item], "Count": 1, "LastEvaluatedKey": {"pk": {"S": "x"}}},
                "Items",
            ),
            ("Scan", {"Items": [item], "Count": 1}, "Items"),
            ("GetItem", {"Item": item}, "Item"),
            ("BatchGetItem", {"Responses": {"t1": [item]}, "UnprocessedKeys": {}}, "Responses"),
        ]
        for operation, body, member in cases:
            replies.reply = dynamodb_json(body)
            response = CALLS[operation](client)
            remainder, customized = seen.pop()
            rest = {k: v for k, v in body.items() if k != member}
            assert json.loads(remainder) == rest
            assert member in customized
            assert without_metadata(response) == {
                **rest,
                member: customized[member],
            }
    finally:
        undo()
        client.close()


# --------------------------------------------------------------------------- left to botocore


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (
            400,
            {
                "__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
                "message": "Requested resource not found",
            },
        ),
        (
            400,
            {
                "__type": "com.amazonaws.dynamodb.v20120810#ValidationException",
                "message": "The provided key element does not match the schema",
                "Items": [],
            },
        ),
        (
            500,
            {
                "__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                "message": "boom",
                "Item": {"a": {"S": "x"}},
            },
        ),
    ],
)
def test_error_responses_are_botocore_s(
    pair: tuple[Any, Any, Replies], status: int, body: dict[str, Any]
) -> None:
    slow, fast, replies = pair
    replies.reply = dynamodb_json(body, status)
    for operation in ("Query", "GetItem"):
        with pytest.raises(ClientError) as expected:
            CALLS[operation](slow)
        with pytest.raises(ClientError) as got:
            CALLS[operation](fast)
        assert got.value.response == expected.value.response
        assert str(got.value) == str(expected.value)


def outcome(call: Callable[[Any], Any], client: Any) -> tuple[str, Any]:
    try:
        return "returned", call(client)
    except Exception as exc:  # the comparison is the point: whatever botocore does
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize(
    "payload",
    [
        b'{"Items": [ not json',
        b"",
        b"[]",
        b'{"Items": {"a": 1}}',
        b'{"Item": []}',
        b'{"Item": {"a": {"B": "not base64!"}}}',
        b'{"Items": [{"a": {"L": ["B", {"B": 1}]}}]}',
    ],
)
def test_malformed_bodies_get_botocore_s_own_treatment(
    pair: tuple[Any, Any, Replies], payload: bytes
) -> None:
    slow, fast, replies = pair
    replies.reply = (200, {"x-amz-crc32": str(zlib.crc32(payload))}, payload)
    for operation in ("Scan", "GetItem"):
        assert outcome(CALLS[operation], fast) == outcome(CALLS[operation], slow)


def test_a_response_without_crc32_is_parsed_alike(pair: tuple[Any, Any, Replies]) -> None:
    slow, fast, replies = pair
    status, headers, payload = dynamodb_json({"Items": [{"a": {"B": "AAE="}}], "Count": 1})
    del headers["x-amz-crc32"]
    replies.reply = (status, headers, payload)
    expected, got = CALLS["Query"](slow), CALLS["Query"](fast)
    assert got == expected
    assert got["Items"] == [{"a": {"B": b"\x00\x01"}}]


def bad_crc(body: dict[str, Any]) -> CannedReply:
    status, headers, payload = dynamodb_json(body)
    headers["x-amz-crc32"] = str((zlib.crc32(payload) + 1) & 0xFFFFFFFF)
    return status, headers, payload


def test_a_wrong_crc32_is_still_caught_and_retried() -> None:
    good = {"Items": [{"a": {"S": "good"}}], "Count": 1}
    corrupted = {"Items": [{"a": {"S": "evil"}}], "Count": 1}
    for mode in ("standard", "legacy"):
        client = make_client(mode)
        fastpath.enable(client)
        replies = Replies()
        sent = iter([bad_crc(corrupted), dynamodb_json(good)])
        replies.reply = sent.__next__
        undo = canned(client, {"Scan": replies})
        try:
            assert client.scan(TableName="t1")["Items"] == [{"a": {"S": "good"}}]
            assert replies.calls == 2
        finally:
            undo()
            client.close()


def test_a_wrong_crc32_that_persists_still_fails() -> None:
    corrupted = {"Items": [{"a": {"S": "evil"}}], "Count": 1}
    plain = make_client("standard")
    replies = Replies()
    replies.reply = bad_crc(corrupted)
    undo = canned(plain, {"Scan": replies})
    try:
        # Why enable() checks the final response: botocore's standard mode retries, then
        # returns the corrupted response as if it were fine.
        assert plain.scan(TableName="t1")["Items"] == corrupted["Items"]
        assert replies.calls == 3
    finally:
        undo()
        plain.close()

    for mode, error in (("standard", awskit.ChecksumMismatch), ("legacy", ChecksumError)):
        client = make_client(mode)
        fastpath.enable(client)
        replies = Replies()
        replies.reply = bad_crc(corrupted)
        undo = canned(client, {"Scan": replies, "GetItem": replies, "PutItem": replies})
        try:
            with pytest.raises(error):
                client.scan(TableName="t1")
            assert replies.calls == 3  # botocore's retries ran first
            with pytest.raises(error):
                client.get_item(TableName="t1", Key={"pk": {"S": "x"}})
            replies.reply = bad_crc({})
            with pytest.raises(error):
                client.put_item(TableName="t1", Item={"pk": {"S": "x"}})
        finally:
            undo()
            client.close()


# --------------------------------------------------------------------------- real server


def test_moto_query_scan_get_and_batch_get_equal_with_and_without(aws: awskit.Session) -> None:
    slow: Any = aws.client("dynamodb")
    # A client of its own: the session's shared client stays as botocore made it.
    fast: Any = aws.session.client(
        "dynamodb", endpoint_url=slow.meta.endpoint_url, config=slow.meta.config
    )
    fastpath.enable(fast)
    try:
        slow.create_table(
            TableName="fp",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        written = []
        for i in range(25):
            item = {
                "pk": "p",
                "sk": i,
                "blob": bytes([i]) * 3,
                "blobs": {b"a", bytes([i])},
                "price": 0.1 * i if i else 10**100,
                "tags": {"x", f"t{i}"},
                "nested": {"list": [i, None, True, {"deep": b"\x00"}]},
            }
            written.append(item)
            slow.put_item(TableName="fp", Item=dump_item(item))
        query = {
            "TableName": "fp",
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "p"}},
            "Limit": 10,
            "ReturnConsumedCapacity": "TOTAL",
        }
        pages = 0
        start: dict[str, Any] = {}
        while True:
            expected = without_metadata(slow.query(**query, **start))
            got = without_metadata(fast.query(**query, **start))
            assert got == expected
            pages += 1
            if "LastEvaluatedKey" not in got:
                break
            start = {"ExclusiveStartKey": got["LastEvaluatedKey"]}
        assert pages == 3
        assert without_metadata(fast.scan(TableName="fp")) == without_metadata(
            slow.scan(TableName="fp")
        )
        key = {"pk": {"S": "p"}, "sk": {"N": "3"}}
        got_item = fast.get_item(TableName="fp", Key=key)
        assert without_metadata(got_item) == without_metadata(
            slow.get_item(TableName="fp", Key=key)
        )
        assert load_item(got_item["Item"]) == written[3]
        request = {"fp": {"Keys": [{"pk": {"S": "p"}, "sk": {"N": str(i)}} for i in range(5)]}}
        fast_batch = fast.batch_get_item(RequestItems=request)
        slow_batch = slow.batch_get_item(RequestItems=request)

        def by_sk(response: Any) -> list[Any]:
            return sorted(response["Responses"]["fp"], key=lambda i: int(i["sk"]["N"]))

        assert by_sk(fast_batch) == by_sk(slow_batch)
        assert [load_item(i) for i in by_sk(fast_batch)] == written[:5]
    finally:
        fast.close()
