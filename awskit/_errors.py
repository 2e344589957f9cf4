"""The one error tree of awskit, and the one place where botocore errors are translated.

```text
AwskitError                      base; .code, .message, .operation, .request_id
├── NotFound                     QueueDoesNotExist, ResourceNotFoundException, NoSuchBucket, ...
├── AlreadyExists                QueueNameExists, ResourceInUseException, BucketAlreadyOwned...
├── ConditionFailed              ConditionalCheckFailedException (.item: the current item)
├── Throttled                    throttling that outlived every retry
├── PartialFailure               batch leftovers after every retry; .failed lists them
├── ChecksumMismatch             EBS SHA256, SQS MD5 or DynamoDB CRC32 disagrees
├── TransportError               no answer: unreachable, connection dropped, after every retry
│   └── Timeout                  the connect or read timeout expired, after every retry
└── InvalidInput (ValueError)    rejected before any request: .field says which input
```

Every botocore or urllib3 exception that leaves awskit is translated here, by
`translate_any` (a ``ClientError`` by ``Error.Code``, then the query-compatible code
SQS sends beside it), and raised ``from`` the original, so the botocore response stays
reachable as ``__cause__``. Translation is also where secrets are scrubbed: AWS echoes the
canonical request, session token included, in a signature error, and that text must reach
no message, repr or log line (`scrub`, and `logger` for awskit's own loggers).
"""

from __future__ import annotations

import functools
import inspect
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    HTTPClientError,
    IncompleteReadError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from botocore.exceptions import (
    ConnectionError as BotocoreConnectionError,
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
    "Timeout",
    "TransportError",
    "aws_errors",
    "error_code",
    "failure_reason",
    "from_botocore",
    "logger",
    "note_operation",
    "plain_message",
    "register_secrets",
    "scrub",
    "translate",
    "translate_any",
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

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take other constructor arguments (InvalidInput's field and reason):
        # rebuild from the state, so errors cross process pools and pickles intact.
        return (_rebuild, (type(self), self.args, self.__dict__.copy()))


def _rebuild(cls: type[AwskitError], args: tuple[Any, ...], state: dict[str, Any]) -> AwskitError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


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


class TransportError(AwskitError):
    """No answer came: the endpoint could not be reached or the connection dropped.

    Raised after botocore's attempts and the session's
    [RetryPolicy][awskit.RetryPolicy] were all spent; ``operation`` names the call.
    """


class Timeout(TransportError):
    """The connect or read timeout expired on every attempt (see ``awskit.connect``)."""


class InvalidInput(AwskitError, ValueError):
    """An argument was rejected before any request was sent. ``field`` names it.

    Where a stream is read as it is sent (``Queue.send_many`` of a generator), a wrong item
    part-way stops the stream; ``result`` then holds what was done with the items before
    it (``None`` otherwise).
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}", code="InvalidInput")
        self.field = field
        self.reason = reason
        self.result: Any = None


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


# -- secrets --------------------------------------------------------------------------

_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # The canonical request AWS echoes on a signature mismatch carries the token as a header.
    (re.compile(r"(x-amz-security-token\s*[:=]\s*)[^\s'\"&,;]+", re.I), r"\1<redacted>"),
    (re.compile(r"(X-Amz-(?:Signature|Credential)=)[^\s'\"&,;]+", re.I), r"\1<redacted>"),
    (re.compile(r"(\bSignature\s*=\s*)[0-9a-fA-F]{16,}"), r"\1<redacted>"),
    (re.compile(r"(\bCredential\s*=\s*)[^\s,'\"]+"), r"\1<redacted>"),
    # Access key ids (long-term AKIA, temporary ASIA) wherever they stand alone.
    (re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b"), "<redacted>"),
)
_known_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secrets(values: Iterable[str | None]) -> None:
    """Remember credential strings (secret key, session token) that `scrub` removes.

    Called with each session's credentials when its first client is made; values shorter
    than 8 characters are ignored (a redaction of ``"a"`` would mangle every message).
    """
    with _secrets_lock:
        _known_secrets.update(v for v in values if v and len(v) >= 8)


def scrub(text: str) -> str:
    """``text`` with every credential, session token and signature replaced by <redacted>."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    if _known_secrets:
        with _secrets_lock:
            known = sorted(_known_secrets, key=len, reverse=True)
        for secret in known:
            if secret in text:
                text = text.replace(secret, "<redacted>")
    return text


class _ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        return True


_SCRUB_FILTER = _ScrubFilter()


def logger(name: str) -> logging.Logger:
    """awskit's logger ``name``, whose records are scrubbed of secrets before any handler."""
    log = logging.getLogger(name)
    if _SCRUB_FILTER not in log.filters:
        log.addFilter(_SCRUB_FILTER)
    return log


# -- translation ----------------------------------------------------------------------


_MARKUP = re.compile(r"<\s*(?:!doctype|html|head|body|title|h1|p|div)\b", re.IGNORECASE)
_TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def plain_message(message: str, status: int | None = None) -> str:
    """An error message as one line of text, scrubbed: an HTML error page becomes its title.

    Some endpoints (moto, proxies, load balancers) answer errors with a web page instead of
    an AWS error document; botocore then hands over the page as the message.
    """
    if not _MARKUP.search(message):
        return " ".join(scrub(message).split())
    title = _TITLE.search(message)
    text = " ".join(_TAG.sub(" ", title.group(1) if title else "").split())
    if status and not text.startswith(str(status)):
        text = f"{status} {text}".strip()
    return f"HTTP {text or 'error page'} (an HTML page, not an AWS error)"


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
    status = int(meta.get("HTTPStatusCode") or 0)
    message = plain_message(str(error.get("Message") or error.get("message") or code), status)
    _scrub_in_place(exc)
    if codes & _NOT_FOUND:
        return NotFound(message, **kwargs)
    if codes & _ALREADY_EXISTS:
        return AlreadyExists(message, **kwargs)
    if codes & _CONDITION:
        return ConditionFailed(message, item=exc.response.get("Item"), **kwargs)
    if codes & _THROTTLED:
        return Throttled(message, **kwargs)
    return AwskitError(message, **kwargs)


#: Members of an S3 signature error that echo what was signed: dropped whole.
_ECHOED = frozenset(
    {"StringToSign", "StringToSignBytes", "CanonicalRequest", "CanonicalRequestBytes",
     "SignatureProvided", "AWSAccessKeyId"}
)  # fmt: skip


def _scrub_in_place(exc: BaseException) -> None:
    """Scrub the original exception too: it stays reachable as ``__cause__`` in tracebacks."""
    if isinstance(exc, ClientError):
        error = cast("dict[str, Any] | None", exc.response.get("Error"))
        if isinstance(error, dict):
            for key, value in list(error.items()):
                if key in _ECHOED:
                    error[key] = "<redacted>"
                elif isinstance(value, str):
                    error[key] = scrub(value)
    exc.args = tuple(scrub(a) if isinstance(a, str) else a for a in exc.args)


_calling = threading.local()


def note_operation(model: Any = None, **_: Any) -> None:
    """botocore ``before-call`` handler: remember the operation this thread is calling.

    Transport errors do not carry the operation they broke; `translate_any` names it
    from here when the caller did not.
    """
    _calling.operation = getattr(model, "name", None)


def _current_operation() -> str | None:
    return cast("str | None", getattr(_calling, "operation", None))


_TRANSPORT_ERRORS = (HTTPClientError, BotocoreConnectionError, IncompleteReadError)


def translate_any(exc: BaseException, operation: str | None = None) -> BaseException:
    """The awskit error for any botocore or urllib3 exception; anything else is returned as is.

    ``operation`` names the call for transport errors, which do not carry it.
    """
    if isinstance(exc, AwskitError):
        return exc
    if isinstance(exc, ClientError):
        return translate(exc)
    operation = operation or _current_operation()
    if isinstance(exc, (ConnectTimeoutError, ReadTimeoutError)) or _is_urllib3_timeout(exc):
        _scrub_in_place(exc)
        kind = "connect" if isinstance(exc, ConnectTimeoutError) else "read"
        return Timeout(
            f"no answer within the {kind} timeout, after every retry: {scrub(str(exc))}",
            code="Timeout",
            operation=operation,
        )
    if isinstance(
        exc, (HTTPClientError, BotocoreConnectionError, IncompleteReadError)
    ) or _is_urllib3_error(exc):
        _scrub_in_place(exc)
        return TransportError(
            f"the connection failed, after every retry: {scrub(str(exc))}",
            code=type(exc).__name__,
            operation=operation,
        )
    if isinstance(exc, BotoCoreError):
        translated = from_botocore(exc)
        translated.operation = operation
        return translated
    return exc


def failure_reason(exc: BaseException | None) -> tuple[str, str]:
    """``(code, reason)`` for one entry of a batch that ``exc`` stopped, scrubbed.

    The code is AWS's error code (``Throttled`` when no error was kept: AWS went on leaving
    the entry unprocessed), the awskit error's code, or the transport failure's name.
    """
    if exc is None:
        return "Throttled", "AWS left it unprocessed on every attempt"
    translated = translate_any(exc)
    if isinstance(translated, AwskitError):
        return translated.code or type(translated).__name__, translated.message
    return type(exc).__name__, scrub(str(exc))


def _is_urllib3_error(exc: BaseException) -> bool:
    # aiohttp is to aiobotocore (awskit.aio) what urllib3 is to botocore.
    return type(exc).__module__.startswith(("urllib3", "aiohttp"))


def _is_urllib3_timeout(exc: BaseException) -> bool:
    return _is_urllib3_error(exc) and "Timeout" in type(exc).__name__


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
    _scrub_in_place(exc)
    return AwskitError(scrub(str(exc)), code=type(exc).__name__)


@contextmanager
def aws_errors(operation: str | None = None) -> Iterator[None]:
    """Translate botocore and urllib3 errors raised inside the block."""
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise translate_any(exc, operation) from exc
    except Exception as exc:
        if not _is_urllib3_error(exc):
            raise
        raise translate_any(exc, operation) from exc


F = TypeVar("F", bound=Callable[..., Any])


def translates_errors(func: F) -> F:
    """Decorate a method (generator, coroutine or async generator method too) so botocore
    errors leave it translated."""
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            with aws_errors():
                return await func(*args, **kwargs)

        return cast(F, async_wrapper)

    if inspect.isasyncgenfunction(func):

        @functools.wraps(func)
        async def async_gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            with aws_errors():
                async for item in func(*args, **kwargs):
                    yield item

        return cast(F, async_gen_wrapper)

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
