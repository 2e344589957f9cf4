"""Error translation (awskit._errors) for real error codes, as botocore parses them.

Errors moto produces come from its server over HTTP, through raw clients of an awskit
session inside ``with aws_errors():``; those no emulator produces (throttles, access
denied, validation) come from botocore's ``Stubber`` with the shapes AWS documents.
Every error keeps AWS's code, message, operation and request id, chains the
``ClientError`` as ``__cause__``, and never shows a credential.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError
from botocore.stub import Stubber

import awskit
from awskit._errors import (
    AlreadyExists,
    AwskitError,
    ConditionFailed,
    NotFound,
    Throttled,
    aws_errors,
    from_botocore,
    translate,
    translates_errors,
)
from awskit._local import LocalEndpoint

ACCESS_KEY = "AKIAAWSKITTESTKEY123"
SECRET_KEY = "s3cr3t/awskit+Do-Not-Print/0123456789abcdef"
TOKEN = "FwoGZXIvYXdzEXAMPLEsessionTOKENthatMustNotLeak"


@pytest.fixture
def aws(moto_endpoint: LocalEndpoint, fast_retry: awskit.RetryPolicy) -> awskit.Session:
    """A session with distinctive credentials (moto accepts any) against a reset server."""
    moto_endpoint.reset()
    session = boto3.Session(
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=TOKEN,
    )
    return awskit.connect(session=session, endpoint_url=moto_endpoint.url, retry=fast_retry)


def raised(call: Callable[[], object]) -> AwskitError:
    """The awskit error ``call`` raises inside ``aws_errors()``, checked for hygiene."""
    with pytest.raises(AwskitError) as exc_info, aws_errors():
        call()
    err = exc_info.value
    assert isinstance(err.__cause__, ClientError)
    # translate() of the same ClientError gives the same answer as the context manager.
    again = translate(err.__cause__)
    assert type(again) is type(err)
    assert (again.code, again.message, again.operation, again.request_id) == (
        err.code,
        err.message,
        err.operation,
        err.request_id,
    )
    for text in (str(err), repr(err), err.message, str(err.__cause__)):
        assert SECRET_KEY not in text
        assert TOKEN not in text
        assert "Signature=" not in text and "Authorization" not in text
    return err


def check(
    err: AwskitError,
    cls: type[AwskitError],
    code: str,
    operation: str,
    message: str,
    *,
    request_id: bool = True,
) -> None:
    assert type(err) is cls
    assert err.code == code
    assert err.operation == operation
    assert message in err.message
    cause: Any = err.__cause__
    assert err.message == cause.response["Error"]["Message"]
    if request_id:
        assert err.request_id
        assert err.request_id == err.__cause__.response["ResponseMetadata"]["RequestId"]  # type: ignore[union-attr]
        assert err.request_id in str(err)
    assert f"({code} in {operation})" in str(err)


# -- from moto's server -------------------------------------------------------------------------


def test_s3_errors(aws: awskit.Session) -> None:
    s3 = aws.client("s3")
    err = raised(lambda: s3.get_object(Bucket="no-such-bucket", Key="k"))
    check(err, NotFound, "NoSuchBucket", "GetObject", "bucket does not exist")

    s3.create_bucket(Bucket="errors-bucket")
    err = raised(lambda: s3.get_object(Bucket="errors-bucket", Key="missing"))
    check(err, NotFound, "NoSuchKey", "GetObject", "key does not exist")

    # HEAD has no body: botocore's code is the status, "404", and still means NotFound.
    err = raised(lambda: s3.head_object(Bucket="errors-bucket", Key="missing"))
    check(err, NotFound, "404", "HeadObject", "Not Found", request_id=False)

    config: Any = {"LocationConstraint": "eu-west-1"}
    s3.create_bucket(Bucket="eu-errors", CreateBucketConfiguration=config)
    err = raised(lambda: s3.create_bucket(Bucket="eu-errors", CreateBucketConfiguration=config))
    check(err, AlreadyExists, "BucketAlreadyOwnedByYou", "CreateBucket", "you already own it")


def test_sqs_errors_prefer_the_query_compatible_code(aws: awskit.Session) -> None:
    sqs = aws.client("sqs")
    err = raised(lambda: sqs.get_queue_url(QueueName="nope"))
    # botocore's Code is the long legacy name; SQS's query code is the documented one.
    assert err.__cause__.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"  # type: ignore[union-attr]
    check(err, NotFound, "QueueDoesNotExist", "GetQueueUrl", "does not exist")

    sqs.create_queue(QueueName="q", Attributes={"DelaySeconds": "5"})
    err = raised(lambda: sqs.create_queue(QueueName="q", Attributes={"DelaySeconds": "7"}))
    check(err, AlreadyExists, "QueueNameExists", "CreateQueue", "already exists")


def test_dynamodb_errors(aws: awskit.Session) -> None:
    ddb = aws.client("dynamodb")
    err = raised(lambda: ddb.describe_table(TableName="nope"))
    check(err, NotFound, "ResourceNotFoundException", "DescribeTable", "not found")

    spec: Any = {
        "TableName": "t",
        "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    ddb.create_table(**spec)
    err = raised(lambda: ddb.create_table(**spec))
    check(err, AlreadyExists, "ResourceInUseException", "CreateTable", "already exists")

    ddb.put_item(TableName="t", Item={"k": {"S": "a"}, "v": {"N": "1"}})
    err = raised(
        lambda: ddb.put_item(
            TableName="t",
            Item={"k": {"S": "a"}},
            ConditionExpression="attribute_not_exists(k)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    )
    check(err, ConditionFailed, "ConditionalCheckFailedException", "PutItem", "conditional")
    assert isinstance(err, ConditionFailed)
    assert err.item == {"k": {"S": "a"}, "v": {"N": "1"}}  # the current item, as AWS sent it


def test_cloudwatch_errors(aws: awskit.Session) -> None:
    cw = aws.client("cloudwatch")
    err = raised(lambda: cw.set_alarm_state(AlarmName="nope", StateValue="OK", StateReason="x"))
    check(err, NotFound, "ResourceNotFound", "SetAlarmState", "error occurred")
    err = raised(lambda: cw.get_dashboard(DashboardName="nope"))
    check(err, NotFound, "ResourceNotFound", "GetDashboard", "Dashboard does not exist")


# -- exact shapes from Stubber ------------------------------------------------------------------


@pytest.fixture
def stubbed(aws: awskit.Session) -> Iterator[Callable[[str], tuple[Any, Stubber]]]:
    stubbers: list[Stubber] = []

    def make(service: str) -> tuple[Any, Stubber]:
        client = aws.client(service)
        stubber = Stubber(client)
        stubber.activate()
        stubbers.append(stubber)
        return client, stubber

    yield make
    for stubber in stubbers:
        stubber.deactivate()


STUBBED: list[tuple[str, str, dict[str, Any], str, int, str, type[AwskitError], str]] = [
    ("dynamodb", "get_item", {"TableName": "t", "Key": {"k": {"S": "a"}}},
     "ThrottlingException", 400, "Rate of requests exceeds the allowed throughput.",
     Throttled, "GetItem"),
    ("dynamodb", "put_item", {"TableName": "t", "Item": {"k": {"S": "a"}}},
     "ProvisionedThroughputExceededException", 400,
     "The level of configured provisioned throughput for the table was exceeded.",
     Throttled, "PutItem"),
    ("dynamodb", "query", {"TableName": "t", "KeyConditionExpression": "k = :k"},
     "ValidationException", 400,
     "Invalid KeyConditionExpression: An expression attribute value used in expression "
     "is not defined; attribute value: :k", AwskitError, "Query"),
    ("s3", "get_object", {"Bucket": "private-bucket", "Key": "k"},
     "AccessDenied", 403, "Access Denied", AwskitError, "GetObject"),
    ("s3", "put_object", {"Bucket": "busy-bucket", "Key": "k"},
     "SlowDown", 503, "Please reduce your request rate.", Throttled, "PutObject"),
    ("ebs", "list_snapshot_blocks", {"SnapshotId": "snap-0123456789abcdef0"},
     "RequestThrottledException", 400, "Rate exceeded", Throttled, "ListSnapshotBlocks"),
    ("ebs", "list_snapshot_blocks", {"SnapshotId": "snap-0123456789abcdef0"},
     "ResourceNotFoundException", 404, "The snapshot 'snap-0123456789abcdef0' does not exist.",
     NotFound, "ListSnapshotBlocks"),
    ("sqs", "get_queue_url", {"QueueName": "gone"},
     "AWS.SimpleQueueService.NonExistentQueue", 400, "The specified queue does not exist.",
     NotFound, "GetQueueUrl"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("service", "method", "params", "code", "status", "message", "cls", "operation"),
    STUBBED,
    ids=[f"{row[0]}-{row[3]}" for row in STUBBED],
)
def test_stubbed_errors(
    stubbed: Callable[[str], tuple[Any, Stubber]],
    service: str,
    method: str,
    params: dict[str, Any],
    code: str,
    status: int,
    message: str,
    cls: type[AwskitError],
    operation: str,
) -> None:
    client, stubber = stubbed(service)
    stubber.add_client_error(
        method,
        service_error_code=code,
        service_message=message,
        http_status_code=status,
        response_meta={"RequestId": f"req-{code}"},
        expected_params=params,
    )
    err = raised(lambda: getattr(client, method)(**params))
    check(err, cls, code, operation, message)
    assert err.request_id == f"req-{code}"
    stubber.assert_no_pending_responses()


def test_unknown_codes_stay_awskit_errors_with_everything_kept() -> None:
    response: Any = {
        "Error": {"Code": "KMSAccessDeniedException", "Message": "no key for you"},
        "ResponseMetadata": {"HTTPHeaders": {"x-amz-request-id": "from-header"}},
    }
    exc = ClientError(response, "GetSnapshotBlock")
    err = translate(exc)
    assert type(err) is AwskitError
    assert (err.code, err.message, err.operation, err.request_id) == (
        "KMSAccessDeniedException",
        "no key for you",
        "GetSnapshotBlock",
        "from-header",  # S3-style services send the id only as a header
    )
    assert repr(err) == (
        "AwskitError(code='KMSAccessDeniedException', message='no key for you', "
        "operation='GetSnapshotBlock', request_id='from-header')"
    )


def test_translates_errors_covers_plain_and_generator_functions(aws: awskit.Session) -> None:
    s3 = aws.client("s3")

    @translates_errors
    def fetch() -> bytes:
        return s3.get_object(Bucket="absent-bucket", Key="k")["Body"].read()

    @translates_errors
    def listing() -> Iterator[str]:
        yield "first"
        for obj in s3.list_objects_v2(Bucket="absent-bucket").get("Contents", []):
            yield obj["Key"]

    with pytest.raises(NotFound) as exc_info:
        fetch()
    assert exc_info.value.code == "NoSuchBucket"
    items = listing()
    assert next(items) == "first"  # nothing is sent until the generator runs on
    with pytest.raises(NotFound) as exc_info:
        next(items)
    assert exc_info.value.operation == "ListObjectsV2"
    assert isinstance(exc_info.value.__cause__, ClientError)


def test_configuration_errors_explain_themselves() -> None:
    with pytest.raises(AwskitError) as exc_info, aws_errors():
        raise NoCredentialsError()
    assert exc_info.value.code == "NoCredentials"
    assert "AWS_PROFILE" in str(exc_info.value)
    assert isinstance(exc_info.value.__cause__, NoCredentialsError)
    assert from_botocore(NoRegionError()).code == "NoRegion"


def test_every_error_pickles_with_its_fields() -> None:
    import pickle

    errors: list[awskit.AwskitError] = [
        awskit.InvalidInput("limit", "must not be negative"),
        awskit.NotFound("gone", code="NoSuchKey", operation="GetObject", request_id="r-1"),
        awskit.PartialFailure("2 left", failed=["a", "b"], code="PartialFailure"),
        awskit.Timeout("late", code="Timeout", operation="GetItem"),
    ]
    for error in errors:
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is type(error)
        assert (str(back), repr(back)) == (str(error), repr(error))
    assert pickle.loads(pickle.dumps(errors[0])).field == "limit"
    assert pickle.loads(pickle.dumps(errors[2])).failed == ["a", "b"]
