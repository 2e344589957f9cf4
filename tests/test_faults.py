"""Tests of the test tools: the fault proxy (:mod:`tests.faults`) and :mod:`tests.canned`.

Every fault is checked the way the suite relies on it: botocore must parse it as AWS's
own error (right code, right status), and its standard retry mode must retry it. Plain
boto3 clients are used, not awskit, so a failure here points at the proxy.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from tests.canned import canned, dynamodb_json, sqs_json
from tests.faults import FaultProxy, cbor_encode, identify

BLOCK = 512 * 1024
ClientFactory = Callable[..., Any]
_serial = itertools.count()


def _unique(prefix: str) -> str:
    return f"{prefix}{next(_serial)}"


@pytest.fixture(scope="module")
def _moto() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def _proxy(_moto: str) -> Iterator[FaultProxy]:
    # No moto reset between tests: every test names its own resources (_unique), and a
    # reset re-creates each backend used since, which costs more than the tests themselves.
    with FaultProxy(_moto, seed=7) as proxy:
        yield proxy


@pytest.fixture
def client(_proxy: FaultProxy) -> Iterator[ClientFactory]:
    """Make boto3 clients through the proxy (or ``url``); all are closed afterwards."""
    made: list[Any] = []

    def make(service: str, max_attempts: int = 3, url: str | None = None) -> Any:
        # botocore's "max_attempts" counts retries only (it adds one); the total is
        # "total_max_attempts", so 1 here really means a single attempt.
        made.append(
            boto3.client(
                service,  # type: ignore[call-overload]
                region_name="us-east-1",
                endpoint_url=url or _proxy.url,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                config=Config(
                    retries={"mode": "standard", "total_max_attempts": max_attempts},
                    max_pool_connections=32,
                ),
            )
        )
        return made[-1]

    yield make
    for c in made:
        c.close()


# -- a small scenario per service, used for pass-through and for every fault ----------------


Scenario = Callable[..., Any]


def _dynamodb(make: ClientFactory) -> Scenario:
    table = _make_table(make("dynamodb"))

    def call(max_attempts: int = 3) -> Any:
        ddb = make("dynamodb", max_attempts)
        ddb.put_item(TableName=table, Item={"k": {"S": "a"}, "v": {"N": "1"}})
        return ddb.get_item(TableName=table, Key={"k": {"S": "a"}})

    return call


def _sqs(make: ClientFactory) -> Scenario:
    url = make("sqs").create_queue(QueueName=_unique("q"))["QueueUrl"]
    return lambda max_attempts=3: make("sqs", max_attempts).send_message(
        QueueUrl=url, MessageBody="hello"
    )


def _cloudwatch(make: ClientFactory) -> Scenario:
    return lambda max_attempts=3: make("cloudwatch", max_attempts).put_metric_data(
        Namespace="awskit", MetricData=[{"MetricName": "m", "Value": 1.0}]
    )


def _ebs(make: ClientFactory) -> Scenario:
    return lambda max_attempts=3: make("ebs", max_attempts).start_snapshot(VolumeSize=1)


def _s3(make: ClientFactory) -> Scenario:
    bucket = _unique("bkt")
    make("s3").create_bucket(Bucket=bucket)
    return lambda max_attempts=3: make("s3", max_attempts).put_object(
        Bucket=bucket, Key="k", Body=b"data"
    )


def _ec2(make: ClientFactory) -> Scenario:
    return lambda max_attempts=3: make("ec2", max_attempts).describe_regions()


def _make_table(ddb: Any) -> str:
    table = _unique("t")
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return table


SCENARIOS = {
    "dynamodb": _dynamodb,
    "sqs": _sqs,
    "cloudwatch": _cloudwatch,
    "ebs": _ebs,
    "s3": _s3,
    "ec2": _ec2,
}
OPERATIONS = {
    "dynamodb": "GetItem",
    "sqs": "SendMessage",
    "cloudwatch": "PutMetricData",
    "ebs": "StartSnapshot",
    "s3": "PutObject",
    "ec2": "DescribeRegions",
}
THROTTLE_CODES = {
    "dynamodb": ("ThrottlingException", 400),
    # SQS is awsQueryCompatible: botocore takes the code from x-amzn-query-error.
    "sqs": ("Throttling", 400),
    "cloudwatch": ("Throttling", 400),
    "ebs": ("RequestThrottledException", 400),
    "s3": ("SlowDown", 503),
    "ec2": ("RequestLimitExceeded", 503),
}
SERVER_ERROR_CODES = {
    "dynamodb": "InternalServerError",
    "sqs": "InternalFailure",
    "cloudwatch": "InternalServiceError",
    "ebs": "InternalServerException",
    "s3": "InternalError",
    "ec2": "InternalError",
}


@pytest.mark.parametrize("service", sorted(SCENARIOS))
def test_pass_through(service: str, client: ClientFactory, _proxy: FaultProxy) -> None:
    response = SCENARIOS[service](client)()
    assert response["ResponseMetadata"]["HTTPStatusCode"] in (200, 201)
    assert (service, OPERATIONS[service]) in _proxy.requests
    assert _proxy.injected == {}


def test_pass_through_reads_back(client: ClientFactory) -> None:
    assert _dynamodb(client)()["Item"] == {"k": {"S": "a"}, "v": {"N": "1"}}
    url = client("sqs").create_queue(QueueName=_unique("q"))["QueueUrl"]
    client("sqs").send_message(QueueUrl=url, MessageBody="hi")
    assert client("sqs").receive_message(QueueUrl=url)["Messages"][0]["Body"] == "hi"
    cw = client("cloudwatch")
    namespace = _unique("ns")
    cw.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": "m", "Value": 2.0}])
    assert [m["MetricName"] for m in cw.list_metrics(Namespace=namespace)["Metrics"]] == ["m"]


@pytest.mark.parametrize("service", sorted(SCENARIOS))
def test_throttle_is_parsed_as_throttling(
    service: str, client: ClientFactory, _proxy: FaultProxy
) -> None:
    call = SCENARIOS[service](client)
    _proxy.add("throttle", service=service)
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call(max_attempts=1)
    code, status = THROTTLE_CODES[service]
    assert info.value.response["Error"]["Code"] == code
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert info.value.response["ResponseMetadata"].get("RequestId")
    assert _proxy.injected["throttle"] == 1


@pytest.mark.parametrize("service", sorted(SCENARIOS))
def test_throttle_once_is_retried(service: str, client: ClientFactory, _proxy: FaultProxy) -> None:
    call = SCENARIOS[service](client)
    _proxy.add("throttle", service=service, operation=OPERATIONS[service], times=1)
    response = call()
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert _proxy.injected["throttle"] == 1


@pytest.mark.parametrize("service", sorted(SCENARIOS))
def test_5xx_is_parsed_and_retried(service: str, client: ClientFactory, _proxy: FaultProxy) -> None:
    call = SCENARIOS[service](client)
    _proxy.add("5xx", service=service, times=1)
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call(max_attempts=1)
    assert info.value.response["Error"]["Code"] == SERVER_ERROR_CODES[service]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500

    _proxy.add("5xx", service=service, operation=OPERATIONS[service], times=2)
    assert call()["ResponseMetadata"]["RetryAttempts"] == 2
    assert _proxy.injected == {"5xx": 3}


@pytest.mark.parametrize("service", sorted(SCENARIOS))
def test_drop_is_retried(service: str, client: ClientFactory, _proxy: FaultProxy) -> None:
    call = SCENARIOS[service](client)
    _proxy.add("drop", service=service, times=1)
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        call(max_attempts=1)
    _proxy.add("drop", service=service, operation=OPERATIONS[service], times=1)
    assert call()["ResponseMetadata"]["RetryAttempts"] == 1
    assert _proxy.injected == {"drop": 2}


def test_drop_is_not_forwarded(client: ClientFactory, _proxy: FaultProxy) -> None:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=_unique("q"))["QueueUrl"]
    _proxy.add("drop", operation="SendMessage", times=1)
    sqs.send_message(QueueUrl=url, MessageBody="once")
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in received] == ["once"]


def test_drop_after_forwards_then_drops(client: ClientFactory, _proxy: FaultProxy) -> None:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=_unique("q"))["QueueUrl"]
    _proxy.add("drop_after", operation="SendMessage", times=1)
    sqs.send_message(QueueUrl=url, MessageBody="twice")
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    # The first attempt reached moto; the client never heard, retried, and duplicated.
    assert [m["Body"] for m in received] == ["twice", "twice"]
    assert _proxy.injected["drop_after"] == 1


def test_partial_batch_write_withholds_the_second_half(
    client: ClientFactory, _proxy: FaultProxy
) -> None:
    ddb = client("dynamodb")
    table = _make_table(ddb)
    puts = [{"PutRequest": {"Item": {"k": {"S": f"{i:02}"}}}} for i in range(7)]
    _proxy.add("partial", service="dynamodb")
    response = ddb.batch_write_item(RequestItems={table: puts})
    assert response["UnprocessedItems"] == {table: puts[4:]}
    stored = sorted(i["k"]["S"] for i in ddb.scan(TableName=table)["Items"])
    assert stored == ["00", "01", "02", "03"]
    assert _proxy.injected["partial"] == 1


def test_partial_batch_get_keeps_request_fields(client: ClientFactory, _proxy: FaultProxy) -> None:
    ddb = client("dynamodb")
    table = _make_table(ddb)
    for i in range(4):
        ddb.put_item(TableName=table, Item={"k": {"S": str(i)}, "v": {"S": "x"}})
    keys = [{"k": {"S": str(i)}} for i in range(4)]
    _proxy.add("partial", operation="BatchGetItem", times=1)
    spec = {"Keys": keys, "ProjectionExpression": "k", "ConsistentRead": True}
    response = ddb.batch_get_item(RequestItems={table: spec})
    assert sorted(i["k"]["S"] for i in response["Responses"][table]) == ["0", "1"]
    assert response["UnprocessedKeys"] == {table: {**spec, "Keys": keys[2:]}}


def test_partial_sqs_batches(client: ClientFactory, _proxy: FaultProxy) -> None:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=_unique("q"))["QueueUrl"]
    _proxy.add("partial", service="sqs")
    entries = [{"Id": str(i), "MessageBody": f"m{i}"} for i in range(5)]
    sent = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert sorted(s["Id"] for s in sent["Successful"]) == ["0", "1", "2"]
    assert sent["Failed"] == [
        {"Id": i, "SenderFault": False, "Code": "InternalError", "Message": "injected"}
        for i in ("3", "4")
    ]
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in received) == ["m0", "m1", "m2"]

    deleted = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)
        ],
    )
    assert [s["Id"] for s in deleted["Successful"]] == ["0", "1"]
    assert [f["Id"] for f in deleted["Failed"]] == ["2"]
    assert _proxy.injected["partial"] == 2


def test_partial_leaves_other_requests_alone(client: ClientFactory, _proxy: FaultProxy) -> None:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=_unique("q"))["QueueUrl"]
    _proxy.add("partial", times=1)
    sqs.send_message(QueueUrl=url, MessageBody="single")
    one = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x"}])
    assert "Failed" not in one or one["Failed"] == []
    two = sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x"}, {"Id": "b", "MessageBody": "y"}]
    )
    # A non-batch call and a batch of one did not use up times=1; this batch did.
    assert [f["Id"] for f in two["Failed"]] == ["b"]
    assert _proxy.injected == {"partial": 1}


def _ebs_snapshot(ebs: Any) -> tuple[str, bytes]:
    data = bytes(range(256)) * (BLOCK // 256)
    snapshot = ebs.start_snapshot(VolumeSize=1)["SnapshotId"]
    ebs.put_snapshot_block(
        SnapshotId=snapshot,
        BlockIndex=0,
        BlockData=data,
        DataLength=BLOCK,
        Checksum=base64.b64encode(hashlib.sha256(data).digest()).decode(),
        ChecksumAlgorithm="SHA256",
    )
    ebs.complete_snapshot(SnapshotId=snapshot, ChangedBlocksCount=1)
    return snapshot, data


def test_ebs_round_trip_and_corrupt(client: ClientFactory, _proxy: FaultProxy) -> None:
    ebs = client("ebs")
    snapshot, data = _ebs_snapshot(ebs)
    blocks = ebs.list_snapshot_blocks(SnapshotId=snapshot)["Blocks"]
    assert [b["BlockIndex"] for b in blocks] == [0]
    token = blocks[0]["BlockToken"]

    clean = ebs.get_snapshot_block(SnapshotId=snapshot, BlockIndex=0, BlockToken=token)
    assert clean["BlockData"].read() == data
    clean["BlockData"].close()

    _proxy.add("corrupt", times=1)
    bad = ebs.get_snapshot_block(SnapshotId=snapshot, BlockIndex=0, BlockToken=token)
    body = bad["BlockData"].read()
    bad["BlockData"].close()
    assert len(body) == BLOCK
    assert base64.b64encode(hashlib.sha256(body).digest()).decode() != bad["Checksum"]
    assert bad["Checksum"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert _proxy.injected == {"corrupt": 1}
    ops = [op for service, op in _proxy.requests if service == "ebs"]
    assert ops == [
        "StartSnapshot",
        "PutSnapshotBlock",
        "CompleteSnapshot",
        "ListSnapshotBlocks",
        "GetSnapshotBlock",
        "GetSnapshotBlock",
    ]


def test_s3_multipart_streams_large_parts(client: ClientFactory, _proxy: FaultProxy) -> None:
    s3 = client("s3")
    bucket = _unique("big")
    s3.create_bucket(Bucket=bucket)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="blob")["UploadId"]
    part = b"x" * (8 << 20)
    parts = [
        {
            "PartNumber": n,
            "ETag": s3.upload_part(
                Bucket=bucket, Key="blob", UploadId=upload, PartNumber=n, Body=part
            )["ETag"],
        }
        for n in (1, 2, 3)
    ]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="blob", UploadId=upload, MultipartUpload={"Parts": parts}
    )
    head = s3.head_object(Bucket=bucket, Key="blob")
    assert head["ContentLength"] == 24 << 20
    got = s3.get_object(Bucket=bucket, Key="blob")["Body"]
    assert hashlib.sha256(got.read()).digest() == hashlib.sha256(part * 3).digest()
    got.close()
    ops = [op for service, op in _proxy.requests if service == "s3"]
    assert ops == [
        "CreateBucket",
        "CreateMultipartUpload",
        "UploadPart",
        "UploadPart",
        "UploadPart",
        "CompleteMultipartUpload",
        "HeadObject",
        "GetObject",
    ]


def test_latency_delays_every_request(client: ClientFactory, _proxy: FaultProxy) -> None:
    ec2 = client("ec2")
    _proxy.set_latency(0.2)
    started = time.monotonic()
    ec2.describe_regions()
    ec2.describe_regions()
    assert time.monotonic() - started >= 0.4
    _proxy.clear()
    ec2.describe_regions()
    assert _proxy.requests.count(("ec2", "DescribeRegions")) == 3


def test_counts_times_and_clear(client: ClientFactory, _proxy: FaultProxy) -> None:
    sqs = client("sqs", max_attempts=5)
    url = sqs.create_queue(QueueName=_unique("q"))["QueueUrl"]
    _proxy.add("5xx", operation="SendMessage", times=2)
    _proxy.add("drop", operation="SendMessage", times=1)
    _proxy.add("throttle", operation="NoSuchOperation")
    assert sqs.send_message(QueueUrl=url, MessageBody="m")["ResponseMetadata"]["RetryAttempts"] == 3
    assert _proxy.injected == {"5xx": 2, "drop": 1}
    assert _proxy.requests == [("sqs", "CreateQueue")] + [("sqs", "SendMessage")] * 4
    _proxy.add("drop")
    _proxy.clear()
    sqs.get_queue_attributes(QueueUrl=url)
    assert _proxy.injected == {"5xx": 2, "drop": 1}


def test_probability_is_seeded(client: ClientFactory, _moto: str, _proxy: FaultProxy) -> None:
    def pattern(proxy: FaultProxy) -> list[bool]:
        ec2 = client("ec2", max_attempts=1, url=proxy.url)
        proxy.add("5xx", probability=0.5)
        outcome = []
        for _ in range(12):
            try:
                ec2.describe_regions()
                outcome.append(True)
            except botocore.exceptions.ClientError:
                outcome.append(False)
        return outcome

    first = pattern(_proxy)
    with FaultProxy(_moto, seed=7) as again:
        assert pattern(again) == first
    assert 0 < first.count(False) < 12
    assert _proxy.injected["5xx"] == first.count(False)


def test_many_concurrent_clients(client: ClientFactory, _proxy: FaultProxy) -> None:
    ddb = client("dynamodb", max_attempts=10)
    table = _make_table(ddb)
    # 5xx rather than throttle: botocore backs off 50 ms for it, 1 s for a throttle.
    _proxy.add("5xx", operation="PutItem", probability=0.2)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(10):
                ddb.put_item(TableName=table, Item={"k": {"S": f"{n}-{i}"}})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert ddb.scan(TableName=table, Select="COUNT")["Count"] == 160
    puts = _proxy.requests.count(("dynamodb", "PutItem"))
    assert puts == 160 + _proxy.injected["5xx"]
    assert _proxy.injected["5xx"] > 0


def test_add_rejects_bad_arguments(_proxy: FaultProxy) -> None:
    with pytest.raises(ValueError, match="kind"):
        _proxy.add("explode")
    with pytest.raises(ValueError, match="probability"):
        _proxy.add("drop", probability=1.5)
    with pytest.raises(ValueError, match="times"):
        _proxy.add("drop", times=-1)


@pytest.mark.parametrize(
    ("method", "target", "operation"),
    [
        ("POST", "/snapshots", "StartSnapshot"),
        ("PUT", "/snapshots/snap-1/blocks/3", "PutSnapshotBlock"),
        ("GET", "/snapshots/snap-1/blocks/3?blockToken=abc", "GetSnapshotBlock"),
        ("GET", "/snapshots/snap-1/blocks?maxResults=10", "ListSnapshotBlocks"),
        ("GET", "/snapshots/snap-2/changedblocks", "ListChangedBlocks"),
        ("POST", "/snapshots/completion/snap-1", "CompleteSnapshot"),
    ],
)
def test_identify_ebs(method: str, target: str, operation: str) -> None:
    auth = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ebs/aws4_request, X=y"
    assert identify(method, target, {"authorization": auth}) == ("ebs", operation)


def test_identify_rpc_protocols() -> None:
    auth = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/monitoring/aws4_request"
    cbor = "/service/GraniteServiceVersion20100801/operation/PutMetricAlarm"
    assert identify("POST", cbor, {"authorization": auth}) == ("cloudwatch", "PutMetricAlarm")
    target = {"x-amz-target": "DynamoDB_20120810.PutItem"}
    assert identify("POST", "/", target) == ("dynamodb", "PutItem")
    form = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
    assert identify("POST", "/", form, b"Action=DescribeRegions&Version=2016-11-15") == (
        "unknown",
        "DescribeRegions",
    )


@pytest.mark.parametrize(
    ("kind", "code", "modelled"),
    [
        ("throttle", "Throttling", "ThrottlingException"),
        ("5xx", "InternalServiceError", "InternalServiceFault"),
    ],
)
def test_cbor_faults_parse_in_botocore(kind: str, code: str, modelled: str) -> None:
    """botocore resolves CloudWatch to JSON, but the CBOR replies must parse if it switches."""
    from botocore.parsers import create_parser

    from tests.faults import _Call, _fault_reply

    status, headers, body = _fault_reply(kind, _Call("cloudwatch", "PutMetricData", "cbor", True))
    parsed = create_parser("smithy-rpc-v2-cbor").parse(
        {"status_code": status, "headers": {k.lower(): v for k, v in headers}, "body": body},
        None,  # type: ignore[arg-type]  # error replies need no output shape
    )
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["QueryErrorCode"] == modelled
    assert parsed["ResponseMetadata"]["RequestId"]


def test_cbor_encode_known_vectors() -> None:
    # RFC 8949 appendix A.
    assert cbor_encode({"a": 1, "b": [2, 3]}) == bytes.fromhex("a26161016162820203")
    assert cbor_encode(-500) == bytes.fromhex("3901f3")
    assert cbor_encode("x" * 300)[:3] == bytes.fromhex("79012c")
    assert cbor_encode([True, False, None, b"\x01"]) == bytes.fromhex("84f5f4f64101")


# -- canned responses ------------------------------------------------------------------------

NOWHERE = "http://127.0.0.1:9"  # discard port: any real request fails fast


def test_canned_query_is_parsed_without_network(client: ClientFactory) -> None:
    ddb = client("dynamodb", max_attempts=1, url=NOWHERE)
    items = [{"k": {"S": "a"}, "n": {"N": "1.5"}}]
    undo = canned(ddb, {"Query": dynamodb_json({"Items": items, "Count": 1, "ScannedCount": 1})})
    response = ddb.query(
        TableName="t",
        KeyConditionExpression="k = :k",
        ExpressionAttributeValues={":k": {"S": "a"}},
    )
    assert response["Items"] == items
    assert response["Count"] == 1
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    undo()
    with pytest.raises(botocore.exceptions.EndpointConnectionError):
        ddb.query(
            TableName="t",
            KeyConditionExpression="k = :k",
            ExpressionAttributeValues={":k": {"S": "a"}},
        )


def test_canned_error_and_callable(client: ClientFactory) -> None:
    ddb = client("dynamodb", max_attempts=1, url=NOWHERE)
    seen: list[str] = []

    def conditional(request: Any) -> tuple[int, dict[str, str], bytes]:
        seen.append(request.headers["X-Amz-Target"].decode())
        return dynamodb_json(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
                "message": "The conditional request failed",
                "Item": {"k": {"S": "a"}},
            },
            400,
        )

    undo = canned(ddb, {"PutItem": conditional})
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException) as info:
        ddb.put_item(
            TableName="t",
            Item={"k": {"S": "a"}},
            ConditionExpression="attribute_not_exists(k)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    undo()
    assert info.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert info.value.response["Item"] == {"k": {"S": "a"}}
    assert seen == ["DynamoDB_20120810.PutItem"]


def test_canned_sqs(client: ClientFactory) -> None:
    sqs = client("sqs", max_attempts=1, url=NOWHERE)
    undo = canned(sqs, {"GetQueueUrl": sqs_json({"QueueUrl": "http://q/1/x"})})
    try:
        assert sqs.get_queue_url(QueueName="x")["QueueUrl"] == "http://q/1/x"
    finally:
        undo()
