"""The fast write path (awskit._fastwrite): every body equals botocore's own serialisation.

Differential tests: the same parameters are sent once through botocore's validator and
serialiser and once marked for the fast path, on one client, and the two request bodies,
captured at botocore's ``before-send`` hook, must be byte for byte equal, for any value
awskit's codecs accept. The SendMessageBatch answer read by ``json.loads`` must equal
botocore's parse. Canned replies: nothing leaves the machine.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.exceptions import ParamValidationError
from botocore.stub import Stubber
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import awskit
from awskit import _fastwrite
from awskit.dynamo import KeySchema, Table, fastpath
from awskit.dynamo.codec import to_attribute_value
from awskit.sqs.codec import encode_attributes
from tests.canned import CannedReply, canned, dynamodb_json, sqs_json

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/q"

# -- values the codecs accept -----------------------------------------------------------------

names = st.text(min_size=1, max_size=8)
scalars = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(
        allow_nan=False, allow_infinity=False, places=3, min_value=-(10**9), max_value=10**9
    ),
    st.binary(max_size=12),
    st.booleans(),
    st.none(),
    st.sets(st.text(max_size=6), min_size=1, max_size=3),
    st.sets(st.integers(-1000, 1000), min_size=1, max_size=3),
    st.sets(st.binary(min_size=1, max_size=6), min_size=1, max_size=3),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(names, inner, max_size=3)),
    max_leaves=8,
)
python_items = st.dictionaries(names, values, min_size=1, max_size=5)


def encoded(item: dict[str, Any]) -> dict[str, Any]:
    """``item`` as awskit's codec writes it; values it refuses are skipped by hypothesis."""
    try:
        return {name: to_attribute_value(value, field=name) for name, value in item.items()}
    except awskit.InvalidInput:
        assume(False)
        raise


# -- clients ----------------------------------------------------------------------------------


class Bodies:
    """Request bodies as they left the client (before-send), per call; and, per call,
    whether the fast path wrote the body (seen at before-call)."""

    def __init__(self) -> None:
        self.seen: list[bytes] = []
        self.fast: list[bool] = []

    def __call__(self, request: AWSPreparedRequest, **_: Any) -> None:
        body = request.body
        self.seen.append(body if isinstance(body, bytes) else str(body).encode())

    def watch(self, client: Any, service: str) -> None:
        def before_call(context: dict[str, Any], **_: Any) -> None:
            self.fast.append(bool(context.get(_fastwrite.USED)))

        client.meta.events.register(f"before-send.{service}", self)
        for operation in ("PutItem", "BatchWriteItem", "SendMessageBatch"):
            # Registered after the fast path's own handler, so run after it.
            client.meta.events.register(f"before-call.{service}.{operation}", before_call)


@pytest.fixture(scope="module")
def dynamo() -> Iterator[tuple[Any, Bodies]]:
    client = boto3.client(
        "dynamodb", region_name="us-east-1", endpoint_url="http://canned.invalid",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    fastpath.enable(client)
    bodies = Bodies()
    bodies.watch(client, "dynamodb")
    undo = canned(
        client,
        {
            "PutItem": dynamodb_json({}),
            "BatchWriteItem": dynamodb_json({"UnprocessedItems": {}}),
        },
    )
    yield client, bodies
    undo()
    client.close()


@pytest.fixture(scope="module")
def sqs() -> Iterator[tuple[Any, Bodies, list[CannedReply]]]:
    client = boto3.client(
        "sqs", region_name="us-east-1", endpoint_url="http://canned.invalid",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    _fastwrite.enable(client)
    bodies = Bodies()
    bodies.watch(client, "sqs")
    replies = [sqs_json({"Successful": [], "Failed": []})]
    undo = canned(client, {"SendMessageBatch": lambda _: replies[0]})
    yield client, bodies, replies
    undo()
    client.close()


def slow_and_fast(client: Any, bodies: Bodies, operation: str, params: dict[str, Any]) -> None:
    bodies.seen.clear()
    bodies.fast.clear()
    method = getattr(client, operation)
    method(**json_copy(params))
    method(**_fastwrite.marked(json_copy(params)))
    assert bodies.fast == [False, True]  # botocore's serialiser, then the fast path's
    slow, fast = bodies.seen
    assert fast == slow


def json_copy(params: dict[str, Any]) -> dict[str, Any]:
    """A deep copy keeping bytes: each call gets parameters nobody else touched."""

    def copy(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: copy(v) for k, v in value.items()}
        if isinstance(value, list):
            return [copy(v) for v in value]
        return value

    return copy(params)  # type: ignore[no-any-return]


# -- the encoder ------------------------------------------------------------------------------

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),  # NaN and the infinities too: json.dumps writes them, so must dumps
        st.text(),
        st.binary(max_size=8),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def _base64(value: object) -> str:
    import base64

    assert isinstance(value, bytes)
    return base64.b64encode(value).decode()


@SETTINGS
@given(params=st.dictionaries(st.text(max_size=6), json_values, max_size=5))
def test_dumps_writes_what_json_dumps_writes(params: dict[str, Any]) -> None:
    # The encoder is made once, outside json.dumps: its output settings must be json.dumps's
    # own (which botocore's JSON serialiser uses), escapes and number forms included.
    assert _fastwrite.dumps(params) == json.dumps(params, default=_base64).encode("utf-8")


# -- DynamoDB ---------------------------------------------------------------------------------


@SETTINGS
@given(item=python_items, condition=st.booleans())
def test_put_item_body_equals_botocore(
    dynamo: tuple[Any, Bodies], item: dict[str, Any], condition: bool
) -> None:
    client, bodies = dynamo
    params: dict[str, Any] = {"TableName": "t1", "Item": encoded(item)}
    if condition:
        params["ConditionExpression"] = "attribute_not_exists(#k)"
        params["ExpressionAttributeNames"] = {"#k": "pk"}
        params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    slow_and_fast(client, bodies, "put_item", params)


@SETTINGS
@given(
    writes=st.lists(
        st.one_of(
            python_items.map(lambda i: ("put", i)),
            st.dictionaries(st.sampled_from(["pk", "sk"]), st.text(max_size=5), min_size=1).map(
                lambda k: ("delete", k)
            ),
        ),
        min_size=1,
        max_size=25,
    ),
    tables=st.lists(st.sampled_from(["t1", "t-2", "T_3"]), min_size=1, max_size=2, unique=True),
)
def test_batch_write_item_body_equals_botocore(
    dynamo: tuple[Any, Bodies], writes: list[tuple[str, dict[str, Any]]], tables: list[str]
) -> None:
    client, bodies = dynamo
    requests = [
        {"PutRequest": {"Item": encoded(value)}}
        if kind == "put"
        else {"DeleteRequest": {"Key": encoded(value)}}
        for kind, value in writes
    ]
    params = {"RequestItems": {table: requests for table in tables}}
    slow_and_fast(client, bodies, "batch_write_item", params)


class Reading(BaseModel):
    sensor: str
    seq: int
    value: float
    raw: bytes
    tags: set[str]


@pytest.fixture(scope="module")
def readings() -> Iterator[tuple[Table[Reading], Bodies]]:
    aws = awskit.connect(
        session=boto3.Session(
            region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        ),
        endpoint_url="http://canned.invalid",
    )
    table: Table[Reading] = Table(
        aws.dynamo, "readings", Reading, key_schema=KeySchema("sensor", "seq"),
        key_types={"sensor": "S", "seq": "N"},
    )  # fmt: skip
    sent = Bodies()
    sent.watch(table.client, "dynamodb")
    undo = canned(table.client, {"PutItem": dynamodb_json({})})
    yield table, sent
    undo()


@SETTINGS
@given(
    reading=st.builds(
        Reading,
        sensor=st.text(min_size=1, max_size=8),
        seq=st.integers(0, 10**9),
        value=st.floats(allow_nan=False, allow_infinity=False),
        raw=st.binary(max_size=8),
        tags=st.sets(st.text(min_size=1, max_size=4), max_size=3),
    )
)
def test_table_put_sends_what_botocore_would(
    reading: Reading, dynamo: tuple[Any, Bodies], readings: tuple[Table[Reading], Bodies]
) -> None:
    client, bodies = dynamo
    table, sent = readings
    sent.seen.clear()
    sent.fast.clear()
    try:
        table.put(reading)
    except awskit.InvalidInput:
        assume(False)  # a value DynamoDB cannot store: refused before any request
    [body] = sent.seen
    assert sent.fast == [True]
    # What botocore itself makes of the very parameters awskit sent.
    bodies.seen.clear()
    client.put_item(**json.loads(body, object_hook=_blobs))
    assert bodies.seen == [body]


def _blobs(obj: dict[str, Any]) -> dict[str, Any]:
    import base64

    if set(obj) == {"B"} and isinstance(obj["B"], str):
        return {"B": base64.b64decode(obj["B"])}
    if set(obj) == {"BS"}:
        return {"BS": [base64.b64decode(v) for v in obj["BS"]]}
    return obj


def test_a_value_json_cannot_take_goes_to_botocore(dynamo: tuple[Any, Bodies]) -> None:
    client, _ = dynamo
    bad: Any = {"TableName": "t1", "Item": {"n": {"N": Decimal(1)}}}
    with pytest.raises(ParamValidationError):
        client.put_item(**_fastwrite.marked(bad))


def test_stubber_sees_the_real_parameters() -> None:
    client = boto3.client(
        "dynamodb", region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    fastpath.enable(client)
    item = {"pk": {"S": "a"}, "blob": {"B": b"\x00\x01"}}
    with Stubber(client) as stub:
        stub.add_response("put_item", {}, {"TableName": "t1", "Item": item})
        client.put_item(**_fastwrite.marked({"TableName": "t1", "Item": item}))
        stub.assert_no_pending_responses()


def test_unmarked_calls_are_botocore_s(dynamo: tuple[Any, Bodies]) -> None:
    client, bodies = dynamo
    with pytest.raises(ParamValidationError):
        client.put_item(TableName="t1", Item={"n": {"N": 1}})  # botocore still validates
    # A marked call is not validated again (awskit checked it): the value goes as given.
    bodies.seen.clear()
    client.put_item(**_fastwrite.marked({"TableName": "t1", "Item": {"n": {"N": 1}}}))
    assert json.loads(bodies.seen[0]) == {"TableName": "t1", "Item": {"n": {"N": 1}}}


@pytest.mark.parametrize(
    "event",
    [
        "before-parameter-build",
        "before-parameter-build.dynamodb",
        "before-parameter-build.dynamodb.PutItem",
        "before-parameter-build.*.*",
    ],
)
def test_a_handler_of_the_client_sees_and_changes_the_real_parameters(
    dynamo: tuple[Any, Bodies], event: str
) -> None:
    # botocore calls the handlers of "before-parameter-build.dynamodb" and of the bare name
    # after those of the full name: the fast path must still come last, or those handlers
    # see its stand-in and what they change is silently lost.
    client, bodies = dynamo
    item = {"pk": {"S": "a"}, "n": {"N": "1.5"}, "blob": {"B": b"\x00\xff"}}
    seen: list[dict[str, Any]] = []

    def add_capacity(params: dict[str, Any], **_: Any) -> None:
        seen.append(json_copy(params))
        params["ReturnConsumedCapacity"] = "TOTAL"

    client.meta.events.register(event, add_capacity)
    try:
        slow_and_fast(client, bodies, "put_item", {"TableName": "t1", "Item": item})
    finally:
        client.meta.events.unregister(event, add_capacity)
    assert seen == [{"TableName": "t1", "Item": item}] * 2
    assert json.loads(bodies.seen[1])["ReturnConsumedCapacity"] == "TOTAL"


def test_a_parameter_a_handler_adds_that_the_operation_lacks_is_refused_by_botocore(
    dynamo: tuple[Any, Bodies],
) -> None:
    client, bodies = dynamo

    def add_unknown(params: dict[str, Any], **_: Any) -> None:
        params["NoSuchMember"] = "x"

    client.meta.events.register("before-parameter-build.dynamodb", add_unknown)
    bodies.seen.clear()
    try:
        with pytest.raises(ParamValidationError, match="NoSuchMember"):
            client.put_item(**_fastwrite.marked({"TableName": "t1", "Item": {"k": {"S": "v"}}}))
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb", add_unknown)
    assert bodies.seen == []  # nothing was sent


def test_a_cyclic_value_fails_as_botocore_fails(dynamo: tuple[Any, Bodies]) -> None:
    # The fast path's encoder does not look for cycles (awskit's codecs never build one):
    # a cycle must still reach botocore, which fails on it in its own way, not be sent.
    client, bodies = dynamo
    cyclic: dict[str, Any] = {"L": []}
    cyclic["L"].append(cyclic)
    bodies.seen.clear()
    with pytest.raises(RecursionError):
        client.put_item(TableName="t1", Item={"k": cyclic})
    with pytest.raises(RecursionError):
        client.put_item(**_fastwrite.marked({"TableName": "t1", "Item": {"k": cyclic}}))
    assert bodies.seen == []


def test_table_put_fires_every_handler_the_user_registered(
    readings: tuple[Table[Reading], Bodies],
) -> None:
    table, sent = readings
    events = [
        "provide-client-params.dynamodb.PutItem",
        "before-parameter-build.dynamodb",
        "before-call.dynamodb.PutItem",
        "request-created.dynamodb.PutItem",
        "before-sign.dynamodb.PutItem",
        "before-send.dynamodb.PutItem",
        "needs-retry.dynamodb.PutItem",
        "after-call.dynamodb.PutItem",
    ]
    fired: list[str] = []
    params_seen: list[dict[str, Any]] = []

    def record(event_name: str, **kwargs: Any) -> None:
        fired.append(event_name)
        if event_name.startswith(("provide-client-params", "before-parameter-build")):
            params_seen.append(json_copy(kwargs["params"]))

    for event in events:
        table.client.meta.events.register(event, record)
    reading = Reading(sensor="s1", seq=1, value=0.5, raw=b"\x01", tags={"a"})
    sent.seen.clear()
    try:
        table.put(reading)
    finally:
        for event in events:
            table.client.meta.events.unregister(event, record)
    assert fired == [e if e.endswith("PutItem") else f"{e}.PutItem" for e in events]
    expected = {"TableName": "readings", "Item": table.put_request(reading)["Item"]}
    assert params_seen == [expected, expected]  # the mark never shows; the item does
    assert json.loads(sent.seen[0], object_hook=_blobs) == expected


def test_a_fast_path_put_is_signed_over_the_body_it_sends(aws: awskit.Session) -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    table = aws.dynamo.create_table(
        "signed", Reading, hash_key="sensor", range_key="seq", wait=True
    )
    sent: list[AWSPreparedRequest] = []
    used: list[bool] = []

    def keep(request: AWSPreparedRequest, **_: Any) -> None:
        sent.append(request)

    def fast(context: dict[str, Any], **_: Any) -> None:
        used.append(bool(context.get(_fastwrite.USED)))

    table.client.meta.events.register("before-send.dynamodb.PutItem", keep)
    table.client.meta.events.register("before-call.dynamodb.PutItem", fast)
    reading = Reading(sensor="s1", seq=7, value=2.5, raw=b"\x00\x01", tags={"x", "y"})
    try:
        table.put(reading)
    finally:
        table.client.meta.events.unregister("before-send.dynamodb.PutItem", keep)
        table.client.meta.events.unregister("before-call.dynamodb.PutItem", fast)
    assert used == [True]
    assert table.get(sensor="s1", seq=7) == reading  # the server took it
    [request] = sent
    credentials = aws.session.get_credentials()
    assert credentials is not None
    signer = SigV4Auth(credentials.get_frozen_credentials(), "dynamodb", "us-east-1")

    authorization = request.headers["Authorization"]
    authorization = authorization.decode() if isinstance(authorization, bytes) else authorization
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"host", "x-amz-date", "x-amz-target"} <= set(signed)
    # The headers signed (botocore adds others after signing), values decoded as they were.
    headers = {
        k: v.decode() if isinstance(v, bytes) else v
        for k, v in request.headers.items()
        if k.lower() in signed
    }

    def signature(body: bytes) -> str:
        again = AWSRequest(method=request.method, url=request.url, headers=headers, data=body)
        again.context["timestamp"] = headers["X-Amz-Date"]
        canonical = signer.canonical_request(again)
        return signer.signature(signer.string_to_sign(again, canonical), again)

    body = request.body
    assert isinstance(body, bytes)
    assert json.loads(body)["Item"]["sensor"] == {"S": "s1"}
    assert authorization.endswith(f"Signature={signature(body)}")
    assert not authorization.endswith(f"Signature={signature(body.replace(b's1', b's2'))}")


# -- SQS --------------------------------------------------------------------------------------

bodies_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00\x0b\x0c"),
    min_size=1,
    max_size=20,
).filter(
    lambda t: all(c in "\t\n\r" or c >= " " for c in t) and "\ufffe" not in t and "\uffff" not in t
)
attribute_values = st.one_of(
    st.text(min_size=1, max_size=8),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.binary(min_size=1, max_size=8),
)
entries = st.lists(
    st.tuples(
        bodies_text,
        st.dictionaries(
            st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,6}", fullmatch=True),
            attribute_values,
            max_size=3,
        ),
        st.one_of(st.none(), st.integers(0, 900)),
    ),
    min_size=1,
    max_size=10,
)


@SETTINGS
@given(batch=entries)
def test_send_message_batch_body_equals_botocore(
    sqs: tuple[Any, Bodies, list[CannedReply]], batch: list[tuple[str, dict[str, Any], int | None]]
) -> None:
    client, bodies, _ = sqs
    wire: list[dict[str, Any]] = []
    for n, (body, attributes, delay) in enumerate(batch):
        try:
            encoded_attributes = encode_attributes(attributes)
        except awskit.InvalidInput:
            assume(False)
        entry: dict[str, Any] = {"Id": str(n), "MessageBody": body}
        if encoded_attributes:
            entry["MessageAttributes"] = encoded_attributes
        if delay is not None:
            entry["DelaySeconds"] = delay
        wire.append(entry)
    slow_and_fast(client, bodies, "send_message_batch", {"QueueUrl": QUEUE_URL, "Entries": wire})


ids = st.text(alphabet="abc0123", min_size=1, max_size=4)
successful = st.lists(
    st.fixed_dictionaries(
        {"Id": ids, "MessageId": st.text(max_size=8), "MD5OfMessageBody": st.text(max_size=8)},
        optional={
            "MD5OfMessageAttributes": st.text(max_size=8),
            "SequenceNumber": st.text(max_size=8),
        },
    ),
    max_size=4,
)
failed = st.lists(
    st.fixed_dictionaries(
        {"Id": ids, "SenderFault": st.booleans(), "Code": st.text(max_size=8)},
        optional={"Message": st.text(max_size=8)},
    ),
    max_size=4,
)


@SETTINGS
@given(ok=successful, bad=failed)
def test_send_message_batch_answer_equals_botocore(
    sqs: tuple[Any, Bodies, list[CannedReply]],
    ok: list[dict[str, Any]],
    bad: list[dict[str, Any]],
) -> None:
    client, _, replies = sqs
    plain = boto3.client(
        "sqs", region_name="us-east-1", endpoint_url="http://canned.invalid",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    replies[0] = sqs_json({"Successful": ok, "Failed": bad})
    undo = canned(plain, {"SendMessageBatch": lambda _: replies[0]})
    try:
        entries: Any = [{"Id": "0", "MessageBody": "x"}]
        ours = client.send_message_batch(QueueUrl=QUEUE_URL, Entries=entries)
        theirs = plain.send_message_batch(QueueUrl=QUEUE_URL, Entries=entries)
    finally:
        undo()
        plain.close()
    assert {k: v for k, v in ours.items() if k != "ResponseMetadata"} == {
        k: v for k, v in theirs.items() if k != "ResponseMetadata"
    }
