"""The one error tree of awskit, and the one place where botocore errors are translated.

::

    AwskitError                      base; .code, .message, .operation, .request_id
    ├── NotFound                     QueueDoesNotExist, ResourceNotFoundException, NoSuchBucket, ...
    ├── AlreadyExists                QueueNameExists, ResourceInUseException, BucketAlreadyOwned...
    ├── ConditionFailed              ConditionalCheckFailedException (.item: the current item)
    ├── Throttled                    throttling that outlived every retry
    ├── PartialFailure               batch leftovers after every retry; .failed lists them
    ├── ChecksumMismatch             EBS SHA256, SQS MD5 or DynamoDB CRC32 disagrees
    └── InvalidInput (ValueError)    rejected before any request: .field says which input

Every ``botocore.exceptions.ClientError`` that leaves awskit is translated by
:func:`translate` (by ``Error.Code``, then the query-compatible code SQS sends beside it)
and raised ``from`` the original, so the botocore response stays reachable as
``__cause__``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

__all__ = [
    "THROTTLING_CODES",
    "AlreadyExists",
    "AwskitError",
    "ChecksumMismatch",
    "ConditionFailed",
    "InvalidInput",
    "NotFound",
    "PartialFailure",
    "Throttled",
    "aws_errors",
    "error_code",
    "from_botocore",
    "translate",
    "translates_errors",
]


class AwskitError(Exception):
    """Base of every error awskit raises.

    ``code``, ``operation`` and ``request_id`` come from AWS when the error did; they are
    ``None`` for errors raised by awskit itself.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        operation: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.operation = operation
        self.request_id = request_id

    def __str__(self) -> str:
        where = f" ({self.code} in {self.operation})" if self.code and self.operation else ""
        rid = f" [request id {self.request_id}]" if self.request_id else ""
        return f"{self.message}{where}{rid}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, "
            f"operation={self.operation!r}, request_id={self.request_id!r})"
        )


class NotFound(AwskitError):
    """The queue, table, bucket, key, snapshot or alarm does not exist."""


class AlreadyExists(AwskitError):
    """A resource with that name exists already (with other attributes, for SQS)."""


class ConditionFailed(AwskitError):
    """A condition expression was false. ``item`` is the current item when AWS returned it."""

    def __init__(self, message: str, *, item: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.item = item


class Throttled(AwskitError):
    """AWS kept throttling after botocore's and awskit's retries were spent."""


class PartialFailure(AwskitError):
    """Some entries of a batch were still not done after every retry.

    ``failed`` lists exactly those entries (their original inputs, or per-entry failure
    records where the service gives a reason), and ``last_error`` the last error seen.
    """

    def __init__(
        self,
        message: str,
        *,
        failed: Sequence[Any] = (),
        last_error: BaseException | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.failed = list(failed)
        self.last_error = last_error


class ChecksumMismatch(AwskitError):
    """Data does not match its checksum after every retry.

    An EBS block (or a snapshot's aggregate) against its SHA256, an SQS body or attributes
    against their MD5, or a DynamoDB response body against its CRC32.
    """


class InvalidInput(AwskitError, ValueError):
    """An argument was rejected before any request was sent. ``field`` names it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}", code="InvalidInput")
        self.field = field
        self.reason = reason


_NOT_FOUND = frozenset(
    {
        "QueueDoesNotExist",
        "AWS.SimpleQueueService.NonExistentQueue",
        "ResourceNotFoundException",
        "ResourceNotFound",
        "TableNotFoundException",
        "NoSuchBucket",
        "NoSuchKey",
        "NoSuchUpload",
        "NotFound",
        "404",
        "InvalidSnapshot.NotFound",
        "InvalidVolume.NotFound",
    }
)
_ALREADY_EXISTS = frozenset(
    {
        "QueueNameExists",
        "QueueAlreadyExists",
        "ResourceInUseException",
        "TableAlreadyExistsException",
        "BucketAlreadyOwnedByYou",
        "BucketAlreadyExists",
        "ResourceAlreadyExistsException",
    }
)
_CONDITION = frozenset({"ConditionalCheckFailedException", "PreconditionFailed"})

THROTTLING_CODES: tuple[str, ...] = (
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "RequestThrottled",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "RequestLimitExceededException",
    "BandwidthLimitExceeded",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
    "TransactionInProgressException",
    "AWS.SimpleQueueService.RequestThrottled",
    "ConcurrentLimitExceededException",
)
_THROTTLED = frozenset(THROTTLING_CODES)


def error_code(exc: ClientError) -> str:
    """The service's error code; SQS's query-compatible short code when it sends one."""
    error = exc.response.get("Error", {})
    return str(error.get("QueryErrorCode") or error.get("Code") or "Unknown")


def translate(exc: ClientError) -> AwskitError:
    """Map one botocore ``ClientError`` onto the awskit tree, keeping what AWS said."""
    error = exc.response.get("Error", {})
    meta = exc.response.get("ResponseMetadata", {})
    codes = {str(error.get("Code", "")), str(error.get("QueryErrorCode", ""))}
    code = error_code(exc)
    kwargs: dict[str, Any] = {
        "code": code,
        "operation": exc.operation_name,
        "request_id": meta.get("RequestId") or meta.get("HTTPHeaders", {}).get("x-amz-request-id"),
    }
    message = str(error.get("Message") or error.get("message") or code)
    if codes & _NOT_FOUND:
        return NotFound(message, **kwargs)
    if codes & _ALREADY_EXISTS:
        return AlreadyExists(message, **kwargs)
    if codes & _CONDITION:
        return ConditionFailed(message, item=exc.response.get("Item"), **kwargs)
    if codes & _THROTTLED:
        return Throttled(message, **kwargs)
    return AwskitError(message, **kwargs)


def from_botocore(exc: BotoCoreError) -> AwskitError:
    """Explain botocore's configuration errors in words a user can act on."""
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return AwskitError(
            "No AWS credentials found. Set AWS_PROFILE (or pass profile=), set "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use awskit.local() for the "
            "embedded endpoint.",
            code="NoCredentials",
        )
    if isinstance(exc, NoRegionError):
        return AwskitError(
            "No AWS region configured. Set AWS_REGION (or AWS_DEFAULT_REGION), pass "
            "region=, or set region in your profile.",
            code="NoRegion",
        )
    return AwskitError(str(exc), code=type(exc).__name__)


@contextmanager
def aws_errors() -> Iterator[None]:
    """Translate botocore errors raised inside the block."""
    try:
        yield
    except ClientError as exc:
        raise translate(exc) from exc
    except (NoCredentialsError, PartialCredentialsError, NoRegionError) as exc:
        raise from_botocore(exc) from exc


F = TypeVar("F", bound=Callable[..., Any])


def translates_errors(func: F) -> F:
    """Decorate a method (or generator method) so botocore errors leave it translated."""
    if inspect.isgeneratorfunction(func):

        @functools.wraps(func)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            with aws_errors():
                return (yield from func(*args, **kwargs))

        return cast(F, gen_wrapper)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with aws_errors():
            return func(*args, **kwargs)

    return cast(F, wrapper)
