"""The public API exactly as /work/shared/API.md writes it, called as a user calls it.

Each section of API.md (Connecting, Errors, SQS, DynamoDB, CloudWatch, EBS, S3) has a test
that runs its lines as literally as the moto server allows (same argument names, keyword vs
positional as shown, same defaults) and checks what comes back. ``test_signature`` then holds
every method API.md names to the parameters, order, kind and defaults it shows: code outside
the project calls those names exactly, so any difference is a bug.
"""

from __future__ import annotations

import datetime
import decimal
import inspect
import io
import itertools
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from pydantic import BaseModel

import awskit
import awskit.cloudwatch
import awskit.dynamo
import awskit.ebs
import awskit.s3
import awskit.sqs
from awskit._local import DUMMY_CREDENTIALS, LocalEndpoint
from tests.conftest import CPU_ALARM
from tests.faults import FaultProxy

# --------------------------------------------------------------------------- models


class Greeting(BaseModel):
    name: str


class User(BaseModel):
    username: str
    first_name: str
    last_name: str
    age: int
    account_type: str


def make_user(username: str, last_name: str, age: int) -> User:
    first = username.removesuffix(last_name.lower()).capitalize()
    return User(
        username=username, first_name=first, last_name=last_name, age=age, account_type="standard"
    )


# --------------------------------------------------------------------------- Added 2026-11-30


class Report(BaseModel):
    title: str
    text: str


def test_added_2026_11_30_bounded_calls_errors_keywords_and_offload(
    moto_endpoint: LocalEndpoint,
) -> None:
    moto_endpoint.reset()
    # aws = awskit.connect(..., connect_timeout=5.0, read_timeout=30.0); also awskit.local(...)
    aws = awskit.connect(
        region="us-east-1",
        endpoint_url=moto_endpoint.url,
        connect_timeout=5.0,
        read_timeout=30.0,
        session=boto3.Session(region_name="us-east-1", **DUMMY_CREDENTIALS),
    )
    assert aws.sqs.client.meta.config.read_timeout == 30.0
    with awskit.local(connect_timeout=2.0, read_timeout=10.0) as local_aws:
        assert local_aws.dynamo.client.meta.config.connect_timeout == 2.0
    # TransportError (.operation) with subclass Timeout, in the AwskitError tree.
    assert issubclass(awskit.TransportError, awskit.AwskitError)
    assert issubclass(awskit.Timeout, awskit.TransportError)

    # DynamoDB keys as keywords everywhere, as get takes them.
    users = aws.dynamo.create_table("users", model=User, hash_key="username", range_key="last_name")
    users.put(make_user("janedoe", "Doe", 25))
    updated = users.update(username="janedoe", last_name="Doe", set={"age": 26})
    assert updated.age == 26
    with pytest.raises(awskit.InvalidInput) as info:
        users.update(username="janedoe", last_name="Doe", set={"age": "lots"})
    assert info.value.field.startswith("set")
    old = users.delete(username="janedoe", last_name="Doe")
    assert old is not None and old.age == 26
    assert users.get(username="janedoe", last_name="Doe") is None

    # SQS bodies of any size through S3.
    from awskit.sqs import S3Offload

    aws.s3.create_bucket("payloads")
    aws.sqs.create_queue("big")
    queue = aws.sqs.get_queue(
        "big", model=Report, offload=S3Offload(bucket="payloads", threshold=262144)
    )
    report = Report(title="q3", text="x" * 600_000)
    queue.send(report)
    [msg] = queue.receive()
    assert msg.body == report
    assert [o.key for o in aws.s3.bucket("payloads").objects()] != []
    msg.delete()
    assert list(aws.s3.bucket("payloads").objects()) == []


# --------------------------------------------------------------------------- Connecting


def test_connecting(
    moto_endpoint: LocalEndpoint, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    moto_endpoint.reset()
    # aws = awskit.connect()  -> default chain, honours AWS_ENDPOINT_URL, AWS_PROFILE, AWS_REGION
    config = tmp_path / "config"
    config.write_text(
        "[profile produser]\nregion = eu-west-1\n"
        f"aws_access_key_id = {DUMMY_CREDENTIALS['aws_access_key_id']}\n"
        f"aws_secret_access_key = {DUMMY_CREDENTIALS['aws_secret_access_key']}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint.url)
    monkeypatch.setenv("AWS_PROFILE", "produser")
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    aws = awskit.connect()
    assert isinstance(aws, awskit.Session)
    assert aws.endpoint_url == moto_endpoint.url
    assert aws.session.profile_name == "produser"
    assert aws.region == "eu-central-1"
    assert aws.max_concurrency == 16
    assert aws.retry == awskit.RetryPolicy()
    created = aws.sqs.create_queue("from-env")
    assert created.url.startswith(moto_endpoint.url)
    assert "eu-central-1" in created.arn
    monkeypatch.delenv("AWS_PROFILE")
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_ENDPOINT_URL")

    # aws = awskit.connect(profile="produser", region="us-east-1",
    #                      endpoint_url=None, retry=awskit.RetryPolicy(), max_concurrency=16)
    policy = awskit.RetryPolicy()
    aws = awskit.connect(
        profile="produser",
        region="us-east-1",
        endpoint_url=None,
        retry=policy,
        max_concurrency=16,
    )
    assert isinstance(aws, awskit.Session)
    assert aws.session.profile_name == "produser"
    assert aws.region == "us-east-1"
    assert aws.endpoint_url is None
    assert aws.retry is policy
    assert aws.max_concurrency == 16
    assert aws.sqs.client.meta.region_name == "us-east-1"
    assert aws.sqs.client.meta.endpoint_url == "https://sqs.us-east-1.amazonaws.com"

    # aws = awskit.connect(session=my_boto3_session)
    my_boto3_session = boto3.Session(
        region_name="us-west-2",
        aws_access_key_id=DUMMY_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=DUMMY_CREDENTIALS["aws_secret_access_key"],
    )
    aws = awskit.connect(session=my_boto3_session, endpoint_url=moto_endpoint.url)
    assert aws.session is my_boto3_session  # aws.session: the boto3.Session (escape hatch)
    assert aws.region == "us-west-2"

    # aws.sqs, aws.dynamo, aws.cloudwatch, aws.ebs, aws.s3: one facade each, created lazily
    facades = {
        "sqs": (awskit.sqs.SQS, "sqs"),
        "dynamo": (awskit.dynamo.DynamoDB, "dynamodb"),
        "cloudwatch": (awskit.cloudwatch.CloudWatch, "cloudwatch"),
        "ebs": (awskit.ebs.EBS, "ebs"),
        "s3": (awskit.s3.S3, "s3"),
    }
    for attr, (cls, service) in facades.items():
        facade = getattr(aws, attr)
        assert isinstance(facade, cls)
        assert getattr(aws, attr) is facade  # created once, then cached
        # aws.sqs.client: the typed boto3 client, same on every facade
        client = facade.client
        assert client.meta.service_model.service_name == service
        assert client is aws.client(service)
        assert client.meta.region_name == "us-west-2"
    # The clients really work against the endpoint given.
    assert [q.name for q in aws.sqs.queues()] == []

    # with awskit.local() as aws: embedded AWS (moto server) on a free loopback port
    with awskit.local() as aws:
        assert isinstance(aws, awskit.Session)
        url = urllib.parse.urlsplit(aws.endpoint_url or "")
        assert url.hostname in ("127.0.0.1", "localhost")
        assert url.port not in (None, 0)
        queue = aws.sqs.create_queue("test", model=Greeting)
        queue.send(Greeting(name="local"))
        [msg] = queue.receive()
        assert msg.body == Greeting(name="local")
        bucket = aws.s3.create_bucket("local-bucket")
        bucket.put("k", b"v")
        assert bucket.get("k") == b"v"


def test_retry_policy_defaults() -> None:
    # RetryPolicy(max_attempts=8, initial_backoff=0.05, max_backoff=20.0, jitter=True)
    policy = awskit.RetryPolicy(max_attempts=8, initial_backoff=0.05, max_backoff=20.0, jitter=True)
    assert policy == awskit.RetryPolicy()
    assert (policy.max_attempts, policy.initial_backoff, policy.max_backoff, policy.jitter) == (
        8,
        0.05,
        20.0,
        True,
    )


# --------------------------------------------------------------------------- Errors


ERROR_TREE = {
    "NotFound": "AwskitError",
    "AlreadyExists": "AwskitError",
    "ConditionFailed": "AwskitError",
    "Throttled": "AwskitError",
    "PartialFailure": "AwskitError",
    "ChecksumMismatch": "AwskitError",
    "InvalidInput": "AwskitError",
}


def test_errors_hierarchy() -> None:
    # All importable from awskit, all under AwskitError; InvalidInput is also a ValueError.
    assert issubclass(awskit.AwskitError, Exception)
    for name, base in ERROR_TREE.items():
        cls = getattr(awskit, name)
        assert name in awskit.__all__
        assert issubclass(cls, getattr(awskit, base)), name
    assert issubclass(awskit.InvalidInput, ValueError)
    for a in ERROR_TREE:
        for b in ERROR_TREE:
            if a != b:
                assert not issubclass(getattr(awskit, a), getattr(awskit, b)), (a, b)


def test_errors_from_aws(aws: awskit.Session) -> None:
    # NotFound: QueueDoesNotExist, ResourceNotFoundException, NoSuchBucket, NoSuchKey, ...
    with pytest.raises(awskit.NotFound) as caught:
        aws.sqs.get_queue("absent")
    err = caught.value
    assert err.code in ("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue")
    assert err.operation == "GetQueueUrl"
    assert isinstance(err.message, str) and err.message
    assert isinstance(err.request_id, str) and err.request_id
    assert isinstance(err.__cause__, ClientError)  # raised `from` the original

    bucket = aws.s3.create_bucket("errors-bucket")
    with pytest.raises(awskit.NotFound) as caught:
        bucket.get("missing-key")
    assert caught.value.code in ("NoSuchKey", "404")
    assert isinstance(caught.value.__cause__, ClientError)
    with pytest.raises(awskit.NotFound) as caught:
        aws.s3.bucket("no-such-bucket").get("k")
    assert caught.value.code in ("NoSuchBucket", "404")

    # AlreadyExists: ResourceInUseException, BucketAlreadyOwnedByYou, ...
    aws.dynamo.create_table("dup", hash_key="id", wait=True)
    with pytest.raises(awskit.AlreadyExists) as exists:
        aws.dynamo.create_table("dup", hash_key="id", wait=True)
    assert exists.value.code == "ResourceInUseException"
    assert exists.value.operation == "CreateTable"
    assert isinstance(exists.value.__cause__, ClientError)

    # ConditionFailed carries the current item when AWS returns it.
    users = aws.dynamo.create_table(
        "users", model=User, hash_key="username", range_key="last_name", wait=True
    )
    from awskit.dynamo import Attr

    jane = make_user("janedoe", "Doe", 25)
    users.put(jane, condition=None)
    with pytest.raises(awskit.ConditionFailed) as failed:
        users.put(jane, condition=Attr("username").not_exists())
    assert failed.value.code == "ConditionalCheckFailedException"
    assert isinstance(failed.value.__cause__, ClientError)
    assert failed.value.item in (None, jane)

    # No credential or secret appears in any message or repr.
    secret = DUMMY_CREDENTIALS["aws_secret_access_key"]
    for error in (err, exists.value, failed.value):
        assert secret not in str(error) and secret not in repr(error)
    assert secret not in repr(aws)


def test_errors_throttled_and_invalid_input(aws: awskit.Session) -> None:
    bucket = aws.s3.create_bucket("throttled")
    # Throttled: throttling that outlived every retry (Stubber: no request reaches moto,
    # and neither botocore nor awskit waits).
    with Stubber(aws.s3.client) as stub:
        for _ in range(aws.retry.max_attempts):
            stub.add_client_error("get_object", "SlowDown", "Reduce your request rate.", 503)
        with pytest.raises(awskit.Throttled) as caught:
            bucket.get("k")
    assert caught.value.code == "SlowDown"
    assert isinstance(caught.value.__cause__, ClientError)

    # InvalidInput (also ValueError): rejected before any request, names the field.
    queue = aws.sqs.create_queue("invalid")
    # Nothing is stubbed: any request would raise UnStubbedResponseError instead.
    with Stubber(aws.sqs.client), pytest.raises(ValueError) as bad:
        queue.receive(max_messages=11)
    assert isinstance(bad.value, awskit.InvalidInput)
    assert bad.value.field == "max_messages"
    assert bad.value.operation is None and bad.value.request_id is None


def test_errors_partial_failure(aws: awskit.Session) -> None:
    users = aws.dynamo.create_table(
        "partial", model=User, hash_key="username", range_key="last_name", wait=True
    )
    people = [make_user(f"user{i}doe", "Doe", 20 + i) for i in range(4)]
    stuck = people[1:3]
    # DynamoDB leaves two of the four writes unprocessed on every attempt (exact wire shape).
    leftovers = {"partial": [{"PutRequest": {"Item": av_item(p)}} for p in stuck]}
    with Stubber(aws.dynamo.client) as stub:
        for _ in range(aws.retry.max_attempts):
            stub.add_response("batch_write_item", {"UnprocessedItems": leftovers})
        with pytest.raises(awskit.PartialFailure) as caught, users.batch_writer() as batch:
            for person in people:
                batch.put(person)
        stub.assert_no_pending_responses()
    # .failed lists exactly what was not done.
    failed = caught.value.failed
    assert sorted(_item_username(f) for f in failed) == [p.username for p in stuck]


def av_item(user: User) -> dict[str, Any]:
    return {
        "username": {"S": user.username},
        "first_name": {"S": user.first_name},
        "last_name": {"S": user.last_name},
        "age": {"N": str(user.age)},
        "account_type": {"S": user.account_type},
    }


def _item_username(entry: Any) -> str:
    # A failed entry may be the model, a plain item, or the write request AWS returned.
    if isinstance(entry, User):
        return entry.username
    if isinstance(entry, dict):
        if "PutRequest" in entry:
            entry = entry["PutRequest"]["Item"]
        value = entry["username"]
        return str(value["S"]) if isinstance(value, dict) else str(value)
    return str(getattr(entry, "username", entry))


def test_errors_checksum_mismatch(
    faulty_aws: awskit.Session, fault_proxy: FaultProxy, tmp_path: Path
) -> None:
    from awskit.ebs import BLOCK_SIZE

    image = tmp_path / "disk.img"
    image.write_bytes(b"\x07" * BLOCK_SIZE)
    snap = faulty_aws.ebs.upload(str(image))
    [block] = list(faulty_aws.ebs.blocks(snap.snapshot_id))
    fault_proxy.add("corrupt", service="ebs", operation="GetSnapshotBlock")
    with pytest.raises(awskit.ChecksumMismatch) as caught:
        faulty_aws.ebs.read_block(snap.snapshot_id, block.index, block.token)
    assert isinstance(caught.value, awskit.AwskitError)
    assert fault_proxy.injected["corrupt"] >= 1


# --------------------------------------------------------------------------- SQS


def test_sqs(aws: awskit.Session) -> None:
    from awskit.sqs import (
        BatchFailure,
        BatchResult,
        Message,
        OutgoingMessage,
        ProcessStats,
        Queue,
        QueueAttributes,
        SendResult,
    )

    delayed = aws.sqs.create_queue("delayed", model=Greeting, delay_seconds=5)  # -> Queue[Greeting]
    assert isinstance(delayed, Queue)
    assert delayed.attributes.delay_seconds == 5

    queue = aws.sqs.create_queue("test", model=Greeting, delay_seconds=0)
    queue = aws.sqs.get_queue("test", model=Greeting)  # NotFound if absent
    raw = aws.sqs.get_queue("test")  # -> Queue[str]: bodies as text
    assert isinstance(queue, Queue) and isinstance(raw, Queue)
    listed = list(aws.sqs.queues(prefix=None))  # Iterator[Queue[str]], every page
    assert sorted(q.name for q in listed) == ["delayed", "test"]
    assert [q.name for q in aws.sqs.queues(prefix="te")] == ["test"]

    assert queue.name == "test"
    assert queue.url.endswith("/test")
    assert queue.arn.startswith("arn:aws:sqs:") and queue.arn.endswith(":test")
    attrs = queue.attributes
    assert isinstance(attrs, QueueAttributes)
    assert isinstance(attrs.delay_seconds, int) and attrs.delay_seconds == 0
    assert isinstance(attrs.visibility_timeout, int) and attrs.visibility_timeout == 30
    assert attrs.approximate_number_of_messages == 0
    assert attrs.fifo is False
    assert isinstance(attrs.raw, dict) and attrs.raw["DelaySeconds"] == "0"
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in attrs.raw.items())

    sent = queue.send(
        Greeting(name="world"),
        attributes={"Author": "Daniel"},
        delay_seconds=None,
        group_id=None,
        dedup_id=None,
    )  # -> SendResult(message_id, md5_of_body, sequence_number)
    assert isinstance(sent, SendResult)
    assert sent.message_id
    import hashlib

    assert sent.md5_of_body == hashlib.md5(b'{"name":"world"}').hexdigest()
    assert sent.sequence_number is None  # not a FIFO queue

    [msg] = queue.receive(max_messages=10, wait_seconds=0, visibility_timeout=None,
                          attribute_names=("All",))  # fmt: skip
    assert isinstance(msg, Message)
    assert msg.body == Greeting(name="world")  # Greeting (validated)
    assert msg.raw_body == Greeting(name="world").model_dump_json()
    assert msg.attributes == {"Author": "Daniel"}
    assert msg.message_id == sent.message_id
    assert isinstance(msg.receipt_handle, str) and msg.receipt_handle
    assert msg.receive_count == 1
    assert isinstance(msg.sent_at, datetime.datetime)
    assert abs(msg.sent_at - datetime.datetime.now(datetime.timezone.utc)).total_seconds() < 600
    msg.change_visibility(0)
    [again] = queue.receive()
    assert again.receive_count == 2
    again.delete()
    assert queue.receive() == []

    # Typed attributes: dict[str, str | int | float | Decimal | bytes] from DataType.
    queue.send(Greeting(name="typed"), attributes={"n": 3, "b": b"\x00\x01", "s": "x"})
    [typed] = queue.receive()
    assert typed.attributes["n"] == 3 and isinstance(typed.attributes["n"], int | decimal.Decimal)
    assert typed.attributes["b"] == b"\x00\x01"
    assert typed.attributes["s"] == "x"
    typed.delete()

    # send_many: any number of bodies or OutgoingMessage(...) -> BatchResult(sent, failed)
    bodies: list[Greeting | OutgoingMessage[Greeting]] = [Greeting(name=f"g{i}") for i in range(23)]
    bodies.append(OutgoingMessage(Greeting(name="out"), attributes={"Author": "Daniel"}))
    result = queue.send_many(bodies)
    assert isinstance(result, BatchResult)
    assert len(result.sent) == 24 and result.failed == []
    assert all(isinstance(f, BatchFailure) for f in result.failed)

    # Receive loop as an iterator; batch delete -> BatchResult.
    seen = list(queue.messages(wait_seconds=0, stop_when_empty=True))
    assert sorted(m.body.name for m in seen) == sorted([f"g{i}" for i in range(23)] + ["out"])
    deleted = queue.delete_messages(seen)
    assert isinstance(deleted, BatchResult)
    assert len(deleted.sent) == 24 and deleted.failed == []
    assert queue.receive() == []

    # process: deletes on success, leaves failures, an invalid body never stops the loop.
    queue.send_many([Greeting(name="ok1"), Greeting(name="boom"), Greeting(name="ok2")])
    raw.send("not json at all")
    handled: list[str] = []

    def handler(message: Message[Greeting]) -> None:
        if message.body.name == "boom":
            raise RuntimeError("handler failed")
        handled.append(message.body.name)

    stats = queue.process(handler, workers=8, wait_seconds=0, stop_when_empty=True,
                          max_messages=None)  # fmt: skip
    assert isinstance(stats, ProcessStats)
    assert (stats.succeeded, stats.failed, stats.invalid) == (2, 1, 1)
    assert sorted(handled) == ["ok1", "ok2"]

    # The failed and the invalid message are left in flight for redelivery, not deleted.
    after = queue.attributes
    assert after.approximate_number_of_messages == 0
    assert after.approximate_number_of_messages_not_visible == 2

    queue.purge()
    queue.delete()
    with pytest.raises(awskit.NotFound):
        aws.sqs.get_queue("test")


def test_sqs_invalid_message_is_raised_on_body(aws: awskit.Session) -> None:
    from awskit.sqs import InvalidMessage

    raw = aws.sqs.create_queue("invalid-body")
    raw.send("{}")
    queue = aws.sqs.get_queue("invalid-body", model=Greeting)
    [msg] = queue.receive()
    with pytest.raises(InvalidMessage) as caught:
        _ = msg.body
    assert caught.value.message_id == msg.message_id
    assert caught.value.raw_body == "{}"
    assert msg.raw_body == "{}"


# --------------------------------------------------------------------------- DynamoDB


def test_dynamo(aws: awskit.Session) -> None:
    from awskit.dynamo import Attr, Key, KeySchema, Table

    users = aws.dynamo.create_table(
        "users",
        model=User,
        hash_key="username",
        range_key="last_name",
        billing="PAY_PER_REQUEST",
        wait=True,
    )  # -> Table[User]
    assert isinstance(users, Table)
    provisioned = aws.dynamo.create_table(
        "provisioned",
        model=User,
        hash_key="username",
        range_key="last_name",
        billing=awskit.dynamo.Provisioned(read=5, write=5),
        wait=True,
    )
    throughput = provisioned.client.describe_table(TableName="provisioned")["Table"][
        "ProvisionedThroughput"
    ]
    assert (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (5, 5)

    users = aws.dynamo.table("users", model=User)  # lazy: key schema read from AWS
    plain = aws.dynamo.table("users")  # -> Table[dict[str, Any]] with plain Python values

    assert users.name == "users"
    assert users.key_schema == KeySchema("username", "last_name")
    assert users.key_schema.hash_key == "username" and users.key_schema.range_key == "last_name"
    assert isinstance(users.creation_date_time, datetime.datetime)

    jane = make_user("janedoe", "Doe", 25)
    john = make_user("johndoe", "Doe", 28)
    users.put(jane, condition=None)
    users.put(john)

    got = users.get(username="janedoe", last_name="Doe", consistent=False)  # -> User | None
    assert got == jane and isinstance(got, User)
    assert users.get({"username": "janedoe", "last_name": "Doe"}) == jane  # also get({...})
    assert users.get(username="nobody", last_name="Doe") is None
    as_dict = plain.get(username="janedoe", last_name="Doe")
    assert as_dict == jane.model_dump()
    assert isinstance(as_dict, dict) and type(as_dict["age"]) is int

    updated = users.update(
        {"username": "janedoe", "last_name": "Doe"},
        set={"age": 26},
        remove=(),
        add=None,
        condition=None,
    )  # -> User (the new item)
    assert updated == jane.model_copy(update={"age": 26})
    assert users.get(username="janedoe", last_name="Doe", consistent=True) == updated

    found = users.query(
        Key("username").eq("johndoe"),
        filter=None,
        index=None,
        limit=None,
        reverse=False,
        consistent=False,
    )  # -> Iterator[User], every page
    assert isinstance(found, Iterator)
    assert list(found) == [john]

    young = users.scan(Attr("age").lt(27), segments=1, index=None, limit=None)
    assert isinstance(young, Iterator)
    assert list(young) == [updated]
    assert sorted(u.username for u in users.scan()) == ["janedoe", "johndoe"]  # filter optional
    more = [make_user(f"user{i:03}", "Roe", i) for i in range(60)]
    with users.batch_writer(overwrite_by_pkeys=None) as batch:
        for person in more:
            batch.put(person)
        batch.delete({"username": "johndoe", "last_name": "Doe"})
    parallel = list(users.scan(Attr("age").lt(27), segments=4))  # segments>1: in parallel
    assert sorted(u.username for u in parallel) == sorted(
        ["janedoe"] + [p.username for p in more if p.age < 27]
    )
    assert users.item_count in (0, 61)  # DynamoDB refreshes ItemCount about every 6 hours

    keys = [{"username": p.username, "last_name": "Roe"} for p in more[:30]]
    keys.append({"username": "absent", "last_name": "Roe"})
    batch_got = users.batch_get(keys)  # -> list[User]
    assert sorted(batch_got, key=lambda u: u.username) == more[:30]
    assert all(isinstance(u, User) for u in batch_got)

    old = users.delete({"username": "janedoe", "last_name": "Doe"}, condition=None)
    assert old == updated  # -> User | None (the old item)
    assert users.delete({"username": "janedoe", "last_name": "Doe"}) is None

    users.delete_table()
    provisioned.delete_table()
    with pytest.raises(awskit.NotFound):
        aws.dynamo.table("users", model=User).get(username="janedoe", last_name="Doe")


def test_dynamo_values(aws: awskit.Session) -> None:
    import enum
    import uuid

    class Color(enum.Enum):
        RED = "red"

    class Inner(BaseModel):
        x: int

    class Thing(BaseModel):
        id: str
        price: float
        exact: decimal.Decimal
        count: int
        tags: set[str]
        numbers: set[int]
        blobs: set[bytes]
        data: bytes
        when: datetime.datetime
        day: datetime.date
        uid: uuid.UUID
        color: Color
        inner: Inner
        mapping: dict[str, int]
        missing: str | None = None

    things = aws.dynamo.create_table("things", model=Thing, hash_key="id")
    thing = Thing(
        id="t1",
        price=0.1,  # no "Float types are not supported"
        exact=decimal.Decimal("1.25"),
        count=3,
        tags={"a", "b"},
        numbers={1, 2},
        blobs={b"\x00", b"\x01"},
        data=b"\xff\x00",
        when=datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.timezone.utc),
        day=datetime.date(2024, 5, 1),
        uid=uuid.UUID(int=7),
        color=Color.RED,
        inner=Inner(x=1),
        mapping={"k": 2},
    )
    things.put(thing)
    back = things.get(id="t1")
    assert back == thing
    assert back is not None
    assert type(back.price) is float and type(back.count) is int
    stored = things.client.get_item(TableName="things", Key={"id": {"S": "t1"}})["Item"]
    assert stored["tags"] == {"SS": ["a", "b"]} or sorted(stored["tags"]["SS"]) == ["a", "b"]
    assert "NS" in stored["numbers"] and "BS" in stored["blobs"] and "B" in stored["data"]
    assert "M" in stored["inner"] and "M" in stored["mapping"]
    assert "missing" not in stored  # None fields are not written
    assert stored["when"].keys() == {"S"} and stored["uid"] == {"S": str(uuid.UUID(int=7))}

    # An item that fails the model on read raises an error naming the table and the key.
    things.client.put_item(TableName="things", Item={"id": {"S": "broken"}})
    with pytest.raises(Exception) as caught:
        things.get(id="broken")
    assert "things" in str(caught.value) and "broken" in str(caught.value)


# --------------------------------------------------------------------------- CloudWatch


def test_cloudwatch(aws: awskit.Session) -> None:
    from awskit.cloudwatch import Alarm, AlarmState, MetricDatum

    cw = aws.cloudwatch
    cw.put_alarm(Alarm(name="Web_Server_CPU_Utilization", comparison="GreaterThanThreshold",
                       evaluation_periods=1, metric_name="CPUUtilization", namespace="AWS/EC2",
                       period=60, statistic="Average", threshold=70.0, actions_enabled=False,
                       description="Alarm when server CPU exceeds 70%",
                       dimensions={"InstanceId": "INSTANCE_ID"}, unit="Seconds"))  # fmt: skip
    # AWS starts a new alarm in INSUFFICIENT_DATA; moto starts it in OK, so set it.
    if cw.alarm("Web_Server_CPU_Utilization").state != AlarmState.INSUFFICIENT_DATA:  # type: ignore[union-attr]
        cw.set_alarm_state("Web_Server_CPU_Utilization", AlarmState.INSUFFICIENT_DATA, reason="new")
    listed = list(cw.alarms(state=AlarmState.INSUFFICIENT_DATA, prefix=None, names=None))
    assert [a.name for a in listed] == ["Web_Server_CPU_Utilization"]
    assert all(isinstance(a, Alarm) for a in listed)
    assert list(cw.alarms(state=AlarmState.ALARM)) == []

    alarm = cw.alarm("Web_Server_CPU_Utilization")  # -> Alarm | None
    assert isinstance(alarm, Alarm)
    assert alarm.name == "Web_Server_CPU_Utilization"
    assert alarm.comparison == "GreaterThanThreshold"
    assert alarm.metric_name == "CPUUtilization" and alarm.namespace == "AWS/EC2"
    assert alarm.period == 60 and alarm.evaluation_periods == 1
    assert alarm.statistic == "Average" and alarm.threshold == 70.0
    assert alarm.actions_enabled is False
    assert alarm.description == "Alarm when server CPU exceeds 70%"
    assert alarm.dimensions == {"InstanceId": "INSTANCE_ID"}
    assert alarm.unit == "Seconds"
    assert alarm.state == AlarmState.INSUFFICIENT_DATA
    assert alarm.state_reason is None or isinstance(alarm.state_reason, str)
    assert isinstance(alarm.state_updated_at, datetime.datetime)
    assert cw.alarm("no-such-alarm") is None

    name = "Web_Server_CPU_Utilization"
    cw.set_alarm_state(name, AlarmState.ALARM, reason="test")
    now = cw.alarm(name)
    assert now is not None
    assert now.state == AlarmState.ALARM and now.state_reason == "test"
    assert [a.name for a in cw.alarms(state=AlarmState.ALARM)] == [name]

    # Any number of names.
    for i in range(120):
        cw.put_alarm(alarm.model_copy(update={"name": f"bulk-{i:03}"}))
    assert len(list(cw.alarms(prefix="bulk-"))) == 120
    cw.delete_alarms([f"bulk-{i:03}" for i in range(120)])
    cw.delete_alarms(["Web_Server_CPU_Utilization"])
    assert list(cw.alarms()) == []

    # Misspelt enum values are InvalidInput before any request.
    with Stubber(cw.client), pytest.raises(awskit.InvalidInput):
        cw.set_alarm_state(name, "ALRAM", reason="test")

    # put_metrics: any number; batched under the API limits.
    cw.put_metrics("MyApp", [MetricDatum(name="Latency", value=12.5, unit="Milliseconds",
                                         dimensions={"Route": "/"})])  # fmt: skip
    cw.put_metrics(
        "MyApp",
        [
            MetricDatum(name=f"m{i % 7}", value=float(i), dimensions={"Route": "/"})
            for i in range(1500)
        ],
    )
    names = {m["MetricName"] for m in cw.client.list_metrics(Namespace="MyApp")["Metrics"]}
    assert names == {"Latency"} | {f"m{i}" for i in range(7)}


def test_cloudwatch_invalid_enum_values() -> None:
    from awskit.cloudwatch import Alarm, MetricDatum

    for field, bad in (("comparison", "GreaterThen"), ("statistic", "Mean"), ("unit", "Secs")):
        with pytest.raises(awskit.InvalidInput) as caught:
            Alarm(**{**CPU_ALARM, field: bad})
        assert caught.value.field.endswith(field) or field in str(caught.value)
    with pytest.raises(awskit.InvalidInput):
        MetricDatum(name="Latency", value=1.0, unit="Millis")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- EBS


def test_ebs(aws: awskit.Session, tmp_path: Path) -> None:
    import base64
    import hashlib

    from awskit.ebs import (
        BLOCK_SIZE,
        Block,
        ChangedBlock,
        DownloadResult,
        Snapshot,
        SnapshotWriter,
        block_checksum,
        linear_checksum,
    )

    assert BLOCK_SIZE == 524288
    one = bytes(range(256)) * (BLOCK_SIZE // 256)
    assert block_checksum(one) == base64.b64encode(hashlib.sha256(one).digest()).decode()
    two = b"\x02" * BLOCK_SIZE
    # LINEAR: SHA256 over the raw 32-byte digests in ascending block index, then base64.
    expected = base64.b64encode(
        hashlib.sha256(hashlib.sha256(one).digest() + hashlib.sha256(two).digest()).digest()
    ).decode()
    assert linear_checksum({3: block_checksum(two), 1: block_checksum(one)}) == expected

    # Image: block 0 data, block 1 zeros (skipped), block 2 a partial block (zero-padded).
    tail = b"\x05" * 1000
    path = tmp_path / "disk.img"
    path.write_bytes(one + bytes(BLOCK_SIZE) + tail)
    done: list[tuple[int, int]] = []
    progress = lambda d, t: done.append((d, t))  # noqa: E731
    snap = aws.ebs.upload(str(path), volume_size=None, parent_snapshot_id=None, description=None,
                          tags=None, encrypted=False, kms_key_arn=None, timeout_minutes=None,
                          concurrency=16, skip_zero_blocks=True, progress=progress,
                          wait=False)  # fmt: skip
    assert isinstance(snap, Snapshot)
    assert snap.snapshot_id.startswith("snap-")
    assert snap.status in ("pending", "completed")
    assert snap.volume_size == 1  # the image size rounded up to whole GiB
    assert snap.block_size == BLOCK_SIZE  # whatever moto says
    assert snap.blocks_written == 2
    padded = tail + bytes(BLOCK_SIZE - len(tail))
    assert snap.checksum == linear_checksum({0: block_checksum(one), 2: block_checksum(padded)})
    assert done and done[-1][0] == done[-1][1]
    assert all(d2 >= d1 for (d1, _), (d2, _) in itertools.pairwise(done))

    aws.ebs.wait(snap.snapshot_id, timeout=600)  # until EC2 reports it completed

    blocks = list(aws.ebs.blocks(snap.snapshot_id))  # Iterator[Block], every page
    assert all(isinstance(b, Block) for b in blocks)
    assert sorted(b.index for b in blocks) == [0, 2]
    tokens = {b.index: b.token for b in blocks}
    data = aws.ebs.read_block(snap.snapshot_id, 2, tokens[2])  # bytes, checksum verified
    assert data == padded

    out = tmp_path / "out.img"
    result = aws.ebs.download(snap.snapshot_id, str(out), concurrency=16, verify=True,
                              progress=None)  # fmt: skip
    assert isinstance(result, DownloadResult)
    assert result == DownloadResult(blocks=2, bytes_written=2 * BLOCK_SIZE)
    assert (result.blocks, result.bytes_written) == (2, 2 * BLOCK_SIZE)
    image = out.read_bytes()
    assert image[:BLOCK_SIZE] == one
    assert image[BLOCK_SIZE : 2 * BLOCK_SIZE].count(0) == BLOCK_SIZE
    assert image[2 * BLOCK_SIZE : 3 * BLOCK_SIZE] == padded

    # A binary file object works as the source too, and a parent gives an incremental child.
    changed = bytearray(one + bytes(BLOCK_SIZE) + tail)
    changed[:4] = b"\x09\x09\x09\x09"
    child = aws.ebs.upload(
        io.BytesIO(bytes(changed)), parent_snapshot_id=snap.snapshot_id, skip_zero_blocks=True
    )
    diffs = list(aws.ebs.changed_blocks(snap.snapshot_id, child.snapshot_id))
    assert all(isinstance(c, ChangedBlock) for c in diffs)
    by_index = {c.index: c for c in diffs}
    # (moto only compares the blocks the first snapshot has, so only block 0 is checked.)
    assert by_index[0].first_token == tokens[0]
    assert by_index[0].second_token and by_index[0].second_token != tokens[0]
    assert 2 not in by_index  # the same data in both

    # Low level: start_snapshot, put_block, complete.
    writer = aws.ebs.start_snapshot(volume_size=1, parent_snapshot_id=None)
    assert isinstance(writer, SnapshotWriter)
    writer.put_block(0, two)
    writer.put_block(5, one)
    low = writer.complete()
    assert isinstance(low, Snapshot)
    assert low.blocks_written == 2
    assert low.checksum == linear_checksum({0: block_checksum(two), 5: block_checksum(one)})
    assert sorted(b.index for b in aws.ebs.blocks(low.snapshot_id)) == [0, 5]


# --------------------------------------------------------------------------- S3


def test_s3(aws: awskit.Session, tmp_path: Path) -> None:
    from awskit.s3 import Bucket

    bucket = aws.s3.create_bucket("my-bucket")
    assert isinstance(bucket, Bucket) and bucket.name == "my-bucket"
    lazy = aws.s3.bucket("my-bucket")  # lazy
    assert isinstance(lazy, Bucket) and lazy.name == "my-bucket"
    infos = list(aws.s3.buckets())
    assert [b.name for b in infos] == ["my-bucket"]
    assert isinstance(infos[0].created_at, datetime.datetime)

    # put: bytes, str (text), pathlib.Path or binary file object; get -> bytes
    data = b"\xff\xd8\xff\xe0 jpeg-ish"
    bucket.put("test.jpg", data)
    assert bucket.get("test.jpg") == data
    bucket.put("text.txt", "héllo")
    assert lazy.get("text.txt") == "héllo".encode()
    source = tmp_path / "source.bin"
    source.write_bytes(b"from a path")
    bucket.put("path.bin", source)
    assert bucket.get("path.bin") == b"from a path"
    bucket.put("file.bin", io.BytesIO(b"from a file object"))
    assert bucket.get("file.bin") == b"from a file object"

    # upload_file / download_file, multipart via s3transfer, with progress.
    big = tmp_path / "big.bin"
    payload = bytes(range(256)) * (40 * 1024)  # 10 MiB: more than one part
    big.write_bytes(payload)
    up: list[tuple[int, int]] = []
    bucket.upload_file(big, "big.bin", progress=lambda done, total: up.append((done, total)))
    assert up[-1] == (len(payload), len(payload))
    back = tmp_path / "back.bin"
    down: list[tuple[int, int]] = []
    bucket.download_file("big.bin", back, progress=lambda done, total: down.append((done, total)))
    assert back.read_bytes() == payload
    assert down[-1] == (len(payload), len(payload))
    bucket.upload_file(str(source), "plain.bin")
    bucket.download_file("plain.bin", str(tmp_path / "plain.bin"))
    assert (tmp_path / "plain.bin").read_bytes() == b"from a path"

    objects = {o.key: o for o in bucket.objects(prefix="")}
    assert sorted(objects) == [
        "big.bin",
        "file.bin",
        "path.bin",
        "plain.bin",
        "test.jpg",
        "text.txt",
    ]
    jpg = objects["test.jpg"]
    assert jpg.size == len(data)
    import hashlib

    assert jpg.etag.strip('"') == hashlib.md5(data).hexdigest()
    assert isinstance(jpg.last_modified, datetime.datetime)
    assert [o.key for o in bucket.objects(prefix="p")] == ["path.bin", "plain.bin"]

    url = bucket.presigned_url("test.jpg", expires_in=3600)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["3600"]
    with urllib.request.urlopen(url) as response:
        assert response.read() == data

    bucket.delete("test.jpg")
    with pytest.raises(awskit.NotFound):
        bucket.get("test.jpg")
    assert "test.jpg" not in {o.key for o in bucket.objects()}


# --------------------------------------------------------------------------- signatures


@dataclass(frozen=True)
class Shown:
    """One argument as API.md shows it.

    ``name`` None: passed positionally (only its position is the contract). ``default``
    UNCHECKED: an example value, not a default. ``via_kwargs``: may land in ``**kwargs``
    (``get(username=..., last_name=...)``).
    """

    name: str | None
    default: Any
    via_kwargs: bool = False
    keyword_only: bool = False
    at_position: bool = False


UNCHECKED = object()
REQUIRED = object()


def parse(shown: str) -> list[Shown]:
    """Parse the argument list API.md shows, e.g. ``"_, attributes=?, delay_seconds=None"``.

    ``_`` is a positional argument, ``@name`` the field ``name`` at this position (result
    types such as ``SendResult(message_id, md5_of_body, sequence_number)``), ``name=?`` a
    keyword with an example value,
    ``name=**`` a keyword that may go to ``**kwargs``, ``name=<expr>`` a keyword whose
    shown value is the default, ``*`` starts keyword-only arguments.
    """
    out: list[Shown] = []
    keyword_only = False
    for raw in (part.strip() for part in shown.split(";")):
        if not raw:
            continue
        if raw == "*":
            keyword_only = True
            continue
        if raw == "_":
            out.append(Shown(None, REQUIRED))
            continue
        if raw.startswith("@"):
            out.append(Shown(raw[1:], REQUIRED, at_position=True))
            continue
        name, _, value = raw.partition("=")
        if not value:
            out.append(Shown(name, REQUIRED, keyword_only=keyword_only))
        elif value == "?":
            out.append(Shown(name, UNCHECKED, keyword_only=keyword_only))
        elif value == "**":
            out.append(Shown(name, UNCHECKED, via_kwargs=True, keyword_only=keyword_only))
        else:
            out.append(Shown(name, eval(value), keyword_only=keyword_only))
    return out


def _cls(module: str, name: str) -> Callable[[], Any]:
    def get() -> Any:
        import importlib

        return getattr(importlib.import_module(module), name)

    return get


# (where, what API.md shows). Arguments are separated by ";" since defaults hold commas.
SIGNATURES: list[tuple[str, str]] = [
    # Connecting
    ("awskit.connect", ""),
    (
        "awskit.connect",
        "profile=?; region=?; endpoint_url=None; retry=?; max_concurrency=16",
    ),
    ("awskit.connect", "session=?"),
    ("awskit.connect", "connect_timeout=5.0; read_timeout=30.0"),
    ("awskit.local", ""),
    ("awskit.local", "connect_timeout=5.0; read_timeout=30.0"),
    (
        "awskit.RetryPolicy",
        "max_attempts=8; initial_backoff=0.05; max_backoff=20.0; jitter=True",
    ),
    # SQS
    ("awskit.sqs.SQS.create_queue", "_; model=?; delay_seconds=?"),
    ("awskit.sqs.SQS.get_queue", "_; model=?"),
    ("awskit.sqs.SQS.get_queue", "_"),
    ("awskit.sqs.SQS.queues", "prefix=None"),
    (
        "awskit.sqs.Queue.send",
        "_; attributes=?; delay_seconds=None; group_id=None; dedup_id=None",
    ),
    ("awskit.sqs.Queue.send_many", "_"),
    (
        "awskit.sqs.Queue.receive",
        "max_messages=10; wait_seconds=0; visibility_timeout=None; attribute_names=('All',)",
    ),
    ("awskit.sqs.Message.delete", ""),
    ("awskit.sqs.Message.change_visibility", "_"),
    ("awskit.sqs.Queue.delete_messages", "_"),
    ("awskit.sqs.Queue.messages", "wait_seconds=20; stop_when_empty=True"),
    (
        "awskit.sqs.Queue.process",
        "_; workers=8; wait_seconds=20; stop_when_empty=False; max_messages=None",
    ),
    ("awskit.sqs.Queue.purge", ""),
    ("awskit.sqs.Queue.delete", ""),
    ("awskit.sqs.OutgoingMessage", "@body; attributes=?; group_id=?"),
    ("awskit.sqs.SendResult", "@message_id; @md5_of_body; @sequence_number"),
    ("awskit.sqs.BatchResult", "@sent; @failed"),
    ("awskit.sqs.ProcessStats", "@succeeded; @failed; @invalid"),
    # DynamoDB
    (
        "awskit.dynamo.DynamoDB.create_table",
        "_; model=?; hash_key=?; range_key=?; billing=?; wait=True",
    ),
    ("awskit.dynamo.DynamoDB.table", "_; model=?"),
    ("awskit.dynamo.DynamoDB.table", "_"),
    ("awskit.dynamo.Provisioned", "read=?; write=?"),
    ("awskit.dynamo.KeySchema", "@hash_key; @range_key"),
    ("awskit.dynamo.Table.put", "_; condition=None"),
    ("awskit.dynamo.Table.get", "username=**; last_name=**; consistent=False"),
    ("awskit.dynamo.Table.get", "_"),
    ("awskit.dynamo.Table.update", "_; set=?; remove=(); add=None; condition=None"),
    ("awskit.dynamo.Table.delete", "_; condition=None"),
    (
        "awskit.dynamo.Table.query",
        "_; filter=None; index=None; limit=None; reverse=False; consistent=False",
    ),
    ("awskit.dynamo.Table.scan", "_; segments=1; index=None; limit=None"),
    ("awskit.dynamo.Table.scan", ""),
    ("awskit.dynamo.Table.batch_get", "_"),
    ("awskit.dynamo.Table.batch_writer", "overwrite_by_pkeys=None"),
    ("awskit.dynamo.BatchWriter.put", "_"),
    ("awskit.dynamo.BatchWriter.delete", "_"),
    ("awskit.dynamo.Table.delete_table", ""),
    # CloudWatch
    ("awskit.cloudwatch.CloudWatch.put_alarm", "_"),
    (
        "awskit.cloudwatch.Alarm",
        "name=?; comparison=?; evaluation_periods=?; metric_name=?; namespace=?; period=?; "
        "statistic=?; threshold=?; actions_enabled=?; description=?; dimensions=?; unit=?",
    ),
    ("awskit.cloudwatch.CloudWatch.alarms", "state=?; prefix=None; names=None"),
    ("awskit.cloudwatch.CloudWatch.alarm", "_"),
    ("awskit.cloudwatch.CloudWatch.delete_alarms", "_"),
    ("awskit.cloudwatch.CloudWatch.set_alarm_state", "_; _; reason=?"),
    ("awskit.cloudwatch.CloudWatch.put_metrics", "_; _"),
    ("awskit.cloudwatch.MetricDatum", "name=?; value=?; unit=?; dimensions=?"),
    # EBS
    (
        "awskit.ebs.EBS.upload",
        "_; volume_size=None; parent_snapshot_id=None; description=None; tags=None; "
        "encrypted=False; kms_key_arn=None; timeout_minutes=None; concurrency=16; "
        "skip_zero_blocks=True; progress=None; wait=False",
    ),
    ("awskit.ebs.EBS.wait", "_; timeout=600"),
    ("awskit.ebs.EBS.download", "_; _; concurrency=16; verify=True; progress=None"),
    ("awskit.ebs.DownloadResult", "@blocks; @bytes_written"),
    ("awskit.ebs.EBS.blocks", "_"),
    ("awskit.ebs.EBS.changed_blocks", "_; _"),
    ("awskit.ebs.EBS.read_block", "_; _; _"),
    ("awskit.ebs.EBS.start_snapshot", "volume_size=1; parent_snapshot_id=None"),
    ("awskit.ebs.SnapshotWriter.put_block", "_; _"),
    ("awskit.ebs.SnapshotWriter.complete", ""),
    ("awskit.ebs.block_checksum", "_"),
    ("awskit.ebs.linear_checksum", "_"),
    # S3
    ("awskit.s3.S3.buckets", ""),
    ("awskit.s3.S3.create_bucket", "_"),
    ("awskit.s3.S3.bucket", "_"),
    ("awskit.s3.Bucket.put", "_; _"),
    ("awskit.s3.Bucket.get", "_"),
    ("awskit.s3.Bucket.upload_file", "_; _; progress=None"),
    ("awskit.s3.Bucket.download_file", "_; _; progress=None"),
    ("awskit.s3.Bucket.objects", "prefix=''"),
    ("awskit.s3.Bucket.delete", "_"),
    ("awskit.s3.Bucket.presigned_url", "_; expires_in=3600"),
]


def resolve(where: str) -> Any:
    import importlib

    parts = where.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attr in parts[split:]:
            obj = getattr(obj, attr)
        return obj
    raise LookupError(where)


def check_signature(func: Any, shown: list[Shown]) -> list[str]:
    """Every way ``func``'s signature fails to take the arguments as API.md shows them."""
    params = list(inspect.signature(func).parameters.values())
    if params and params[0].name in ("self", "cls") and inspect.isfunction(func):
        params = params[1:]
    problems: list[str] = []
    by_name = {p.name: (i, p) for i, p in enumerate(params)}
    var_kw = any(p.kind is p.VAR_KEYWORD for p in params)
    positional_kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    keyword_kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    covered: set[str] = set()
    last_index = -1
    for position, arg in enumerate(shown):
        if arg.name is None:
            if position >= len(params) or params[position].kind not in positional_kinds:
                problems.append(f"argument {position} must be positional")
            else:
                covered.add(params[position].name)
                last_index = max(last_index, position)
            continue
        if arg.at_position and (position >= len(params) or params[position].name != arg.name):
            problems.append(f"argument {position} must be {arg.name!r}")
            continue
        found = by_name.get(arg.name)
        if found is None:
            if not (arg.via_kwargs and var_kw):
                problems.append(f"no parameter {arg.name!r}")
            continue
        index, param = found
        covered.add(param.name)
        if param.kind not in keyword_kinds:
            problems.append(f"{arg.name!r} must be passable by keyword, is {param.kind}")
        if arg.keyword_only and param.kind is not param.KEYWORD_ONLY:
            problems.append(f"{arg.name!r} must be keyword-only")
        # Keyword-only parameters can come in any order; the others could be passed by
        # position, so they must keep the order API.md shows.
        if param.kind is not param.KEYWORD_ONLY:
            if index < last_index:
                problems.append(f"{arg.name!r} is out of the order API.md shows")
            last_index = max(last_index, index)
        if arg.default is REQUIRED or arg.default is UNCHECKED:
            continue
        if param.default is param.empty:
            problems.append(f"{arg.name!r} must default to {arg.default!r}, has no default")
        elif not (param.default == arg.default and type(param.default) is type(arg.default)):
            problems.append(f"{arg.name!r} must default to {arg.default!r}, not {param.default!r}")
    for param in params:
        if param.name in covered or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.default is param.empty:
            problems.append(f"{param.name!r} is required but API.md does not pass it")
    return problems


@pytest.mark.parametrize(("where", "shown"), SIGNATURES)
def test_signature(where: str, shown: str) -> None:
    func = resolve(where)
    assert check_signature(func, parse(shown)) == [], f"{where}({shown.replace(';', ',')})"


def test_signature_checker_catches_mismatches() -> None:
    def good(self: object, key: str, expires_in: int = 3600, *, extra: int = 0) -> None: ...

    def renamed(self: object, key: str, expiry: int = 3600) -> None: ...

    def other_default(self: object, key: str, expires_in: int = 60) -> None: ...

    def keyword_only_key(self: object, *, key: str, expires_in: int = 3600) -> None: ...

    def swapped(self: object, key: str, b: int = 0, a: int = 0) -> None: ...

    def extra_required(self: object, key: str, region: str, expires_in: int = 3600) -> None: ...

    def good_fields(message_id: str, md5_of_body: str, index: int = 0) -> None: ...

    def swapped_fields(md5_of_body: str, message_id: str) -> None: ...

    shown = parse("_; expires_in=3600")
    assert check_signature(good, shown) == []
    assert check_signature(renamed, shown) == ["no parameter 'expires_in'"]
    assert check_signature(other_default, shown) == ["'expires_in' must default to 3600, not 60"]
    assert check_signature(keyword_only_key, shown) == [
        "argument 0 must be positional",
        "'key' is required but API.md does not pass it",
    ]
    assert check_signature(swapped, parse("_; a=0; b=0")) == [
        "'b' is out of the order API.md shows"
    ]
    fields = parse("@message_id; @md5_of_body")
    assert check_signature(good_fields, fields) == []
    assert check_signature(swapped_fields, fields)[:2] == [
        "argument 0 must be 'message_id'",
        "argument 1 must be 'md5_of_body'",
    ]
    assert check_signature(extra_required, shown) == [
        "'region' is required but API.md does not pass it"
    ]
    # 16 and 16.0 or True and 1 are different defaults.
    assert check_signature(other_default, parse("_; expires_in=60.0")) != []
