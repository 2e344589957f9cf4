"""SQS bodies of any size through S3, in the format of AWS's extended client libraries.

A body over the threshold is stored in S3 and the message carries a pointer instead:
the body ``["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName": B,
"s3Key": K}]`` and the Number attribute ``ExtendedPayloadSize`` (the payload's UTF-8
length). That is what ``amazon-sqs-java-extended-client-lib`` and the Python
``amazon-sqs-extended-client`` write and read (older Java releases wrote the class
``com.amazon.sqs.javamessaging.MessageS3Pointer`` and the attribute
``SQSLargePayloadSize``: awskit reads both). awskit adds ``awskit.PayloadSHA256``, the
base64 SHA-256 of the payload, which the extended clients pass along as an ordinary
attribute and awskit checks on receipt.

The pure part (threshold, pointer codec, checks, receipt-handle codec) is plain functions;
`PayloadStore` is the S3 IO, every call under the session's retry rule.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._errors import InvalidInput, PartialFailure, logger, translate_any
from .._retry import RETRYABLE_CODES
from .codec import MAX_MESSAGE_BYTES, message_size

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from .._session import Session

__all__ = [
    "BUCKET_MARKER",
    "CHECKSUM_ATTRIBUTE",
    "DEFAULT_THRESHOLD",
    "KEY_MARKER",
    "LEGACY_POINTER_CLASS",
    "LEGACY_SIZE_ATTRIBUTE",
    "POINTER_CLASS",
    "RESERVED_ATTRIBUTES",
    "SIZE_ATTRIBUTE",
    "DeleteChunk",
    "Payload",
    "PayloadStore",
    "S3Offload",
    "S3Pointer",
    "check_payload",
    "check_reserved",
    "divert",
    "embed_in_receipt_handle",
    "find_pointer",
    "payload_checksum",
    "put_request",
    "report_leftovers",
    "split_receipt_handle",
    "with_reserved_names",
]

log = logger("awskit.sqs")

#: The pointer's type tag, as the extended clients write it (Jackson's class wrapper).
POINTER_CLASS = "software.amazon.payloadoffloading.PayloadS3Pointer"
#: The tag of Java extended client 1.x, still read.
LEGACY_POINTER_CLASS = "com.amazon.sqs.javamessaging.MessageS3Pointer"
#: Number attribute marking a pointer message: the payload's size in UTF-8 bytes.
SIZE_ATTRIBUTE = "ExtendedPayloadSize"
#: Its name in Java extended client 1.x, still read.
LEGACY_SIZE_ATTRIBUTE = "SQSLargePayloadSize"
#: String attribute awskit adds: base64 SHA-256 of the payload bytes.
CHECKSUM_ATTRIBUTE = "awskit.PayloadSHA256"
#: Attribute names a sender may not use itself: every extended client reads a message
#: carrying the size attribute as a pointer.
RESERVED_ATTRIBUTES = (SIZE_ATTRIBUTE, LEGACY_SIZE_ATTRIBUTE, CHECKSUM_ATTRIBUTE)
#: The extended clients' threshold default (Python; Java 1.x and 2.0): 256 KiB.
DEFAULT_THRESHOLD = 262_144
#: How the extended clients put the S3 location into a receipt handle, so that
#: ``DeleteMessage`` given only the handle can delete the payload too:
#: ``BUCKET_MARKER + bucket + BUCKET_MARKER + KEY_MARKER + key + KEY_MARKER + handle``.
BUCKET_MARKER = "-..s3BucketName..-"
KEY_MARKER = "-..s3Key..-"

# Java: keys are prefix + a 36-character UUID, at most 1024 bytes; the prefix is limited
# to these characters.
_KEY_PREFIX = re.compile(r"[A-Za-z0-9./_-]*")
_MAX_KEY_PREFIX = 1024 - 36
_POINTER_CLASSES = (POINTER_CLASS, LEGACY_POINTER_CLASS)


@dataclass(frozen=True)
class S3Offload:
    """Where and when a queue stores bodies in S3; give it as ``offload=`` to
    [SQS.create_queue][awskit.sqs.SQS.create_queue] or
    [SQS.get_queue][awskit.sqs.SQS.get_queue].

    A message whose body plus attributes (counted as SQS counts them) is over
    ``threshold`` bytes, or every message with ``always=True``, goes to S3 under
    ``key_prefix`` followed by a fresh UUID; the message carries a pointer in the
    extended clients' format. The bucket must exist; awskit never creates it.

    Args:
        bucket: the bucket payloads are written to (pointers received name their own
            bucket, which is read from whatever it is).
        threshold: bytes above which a message goes through S3, 0 to 1,048,576 (SQS's
            maximum message size). Default 262,144, the extended clients' default.
        key_prefix: prepended to each key (at most 988 of ``A-Za-z0-9./_-``), e.g.
            ``"payloads/"`` for a lifecycle rule to match.
        always: store every body in S3, whatever its size.
        delete_payloads: delete the S3 object when its message is deleted. Turn it off
            when several queues receive the same pointer (SNS fan-out).
        legacy_format: write the Java 1.x pointer class and ``SQSLargePayloadSize``, for
            readers that know nothing newer.
        kms_key_id: store payloads encrypted with this KMS key (SSE-KMS); by default
            the bucket's own encryption applies.

    ```python
    queue = aws.sqs.get_queue("reports", model=Report,
                              offload=S3Offload("my-payloads", key_prefix="reports/"))
    ```
    """

    bucket: str
    threshold: int = DEFAULT_THRESHOLD
    key_prefix: str = ""
    always: bool = False
    delete_payloads: bool = True
    legacy_format: bool = False
    kms_key_id: str | None = None

    def __post_init__(self) -> None:
        from ..s3.rules import check_bucket_name

        try:
            check_bucket_name(self.bucket, legacy=True)
        except InvalidInput as exc:
            raise InvalidInput("bucket", exc.reason) from None
        if (
            isinstance(self.threshold, bool)
            or not isinstance(self.threshold, int)
            or not 0 <= self.threshold <= MAX_MESSAGE_BYTES
        ):
            raise InvalidInput("threshold", f"an integer from 0 to {MAX_MESSAGE_BYTES} bytes")
        if not isinstance(self.key_prefix, str) or not _KEY_PREFIX.fullmatch(self.key_prefix):
            raise InvalidInput("key_prefix", "use only letters, digits and . / _ -")
        if len(self.key_prefix) > _MAX_KEY_PREFIX:
            raise InvalidInput("key_prefix", f"at most {_MAX_KEY_PREFIX} characters")
        if self.kms_key_id is not None and (
            not isinstance(self.kms_key_id, str) or not self.kms_key_id
        ):
            raise InvalidInput("kms_key_id", "a KMS key id, alias or ARN")

    def applies(self, size: int) -> bool:
        """Whether a message of ``size`` bytes (body plus attributes) goes through S3."""
        return self.always or size > self.threshold


@dataclass(frozen=True)
class S3Pointer:
    """Where a message's payload is: an S3 bucket and key."""

    bucket: str
    key: str

    def to_json(self, legacy: bool = False) -> str:
        """The message body that points here, byte for byte as the Java client writes it."""
        tag = LEGACY_POINTER_CLASS if legacy else POINTER_CLASS
        return json.dumps(
            [tag, {"s3BucketName": self.bucket, "s3Key": self.key}], separators=(",", ":")
        )

    @classmethod
    def from_json(cls, body: str) -> S3Pointer:
        """Parse a pointer body; ``ValueError`` says why it is not one."""
        try:
            data = json.loads(body)
        except ValueError:
            raise ValueError("the body is not JSON") from None
        if not (isinstance(data, list) and len(data) == 2 and isinstance(data[1], dict)):
            raise ValueError("the body is not a [class, {s3BucketName, s3Key}] pointer")
        tag, fields = data
        if tag not in _POINTER_CLASSES:
            raise ValueError(f"unknown pointer class {str(tag)[:80]!r}")
        bucket, key = fields.get("s3BucketName"), fields.get("s3Key")
        if not (isinstance(bucket, str) and bucket and isinstance(key, str) and key):
            raise ValueError("the pointer lacks s3BucketName or s3Key")
        return cls(bucket, key)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class Payload:
    """A body diverted to S3: where it goes and its bytes."""

    pointer: S3Pointer
    data: bytes
    checksum: str


def payload_checksum(data: bytes) -> str:
    """Base64 SHA-256 of ``data``: the ``awskit.PayloadSHA256`` attribute, and what S3
    checks the upload against (``x-amz-checksum-sha256``)."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def divert(
    offload: S3Offload,
    request: dict[str, Any],
    *,
    new_key: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> Payload | None:
    """Decide whether a SendMessage request goes through S3; if so rewrite it in place.

    The body becomes the pointer; the size and checksum attributes are added. On a FIFO
    request without a deduplication id (content-based deduplication), the id becomes the
    payload's SHA-256: a fresh key per send would otherwise make every copy unique.

    Raises:
        InvalidInput: ``attributes`` holds a reserved name, or too many attributes to
            add the pointer's own (at most 8 of the user's on an offloaded message).
    """
    attributes: dict[str, Any] = dict(request.get("MessageAttributes") or {})
    check_reserved(attributes)
    if not offload.applies(message_size(request["MessageBody"], attributes)):
        return None
    if len(attributes) > 10 - 2:
        raise InvalidInput(
            "attributes", f"{len(attributes)} given; a message stored in S3 takes at most 8"
        )
    data = request["MessageBody"].encode("utf-8")
    checksum = payload_checksum(data)
    pointer = S3Pointer(offload.bucket, offload.key_prefix + new_key())
    attributes[LEGACY_SIZE_ATTRIBUTE if offload.legacy_format else SIZE_ATTRIBUTE] = {
        "DataType": "Number",
        "StringValue": str(len(data)),
    }
    attributes[CHECKSUM_ATTRIBUTE] = {"DataType": "String", "StringValue": checksum}
    request["MessageBody"] = pointer.to_json(offload.legacy_format)
    request["MessageAttributes"] = attributes
    if "MessageGroupId" in request and "MessageDeduplicationId" not in request:
        request["MessageDeduplicationId"] = hashlib.sha256(data).hexdigest()
    return Payload(pointer, data, checksum)


def check_reserved(attributes: Mapping[str, Any]) -> None:
    """Refuse a reserved attribute name on any outgoing message, offloaded or not."""
    for name in attributes:
        if name in RESERVED_ATTRIBUTES:
            raise InvalidInput(f"attributes[{name!r}]", "reserved for the S3 payload pointer")


def find_pointer(
    body: str, attributes: Mapping[str, Mapping[str, Any]]
) -> tuple[S3Pointer | None, str | None]:
    """``(pointer, None)`` for a pointer message, ``(None, None)`` for an ordinary one,
    ``(None, why)`` for a message that says it is a pointer but is not.

    As in the extended clients, the size attribute is what marks a pointer message: a
    body that merely looks like a pointer is an ordinary body.
    """
    if SIZE_ATTRIBUTE not in attributes and LEGACY_SIZE_ATTRIBUTE not in attributes:
        return None, None
    try:
        return S3Pointer.from_json(body), None
    except ValueError as exc:
        return None, f"it carries {SIZE_ATTRIBUTE} but its body is no S3 pointer: {exc}"


def check_payload(data: bytes, attributes: Mapping[str, Mapping[str, Any]]) -> str | None:
    """Why ``data`` is not the payload the message's attributes describe, or None.

    The size attribute is checked always; the SHA-256 when awskit sent the message (the
    extended clients add none).
    """
    size = attributes.get(SIZE_ATTRIBUTE) or attributes.get(LEGACY_SIZE_ATTRIBUTE) or {}
    stated = str(size.get("StringValue", ""))
    if stated != str(len(data)):
        return f"the message says {stated or 'no'} bytes, S3 holds {len(data)}"
    checksum = attributes.get(CHECKSUM_ATTRIBUTE)
    if checksum is not None and checksum.get("StringValue") != payload_checksum(data):
        return "its SHA-256 differs from the one sent with the message"
    return None


def with_reserved_names(names: Sequence[str]) -> list[str]:
    """Message attribute names to request: the caller's plus the pointer's own."""
    wanted = list(names)
    if any(name in ("All", ".*") for name in wanted):
        return wanted
    return wanted + [name for name in RESERVED_ATTRIBUTES if name not in wanted]


def embed_in_receipt_handle(receipt_handle: str, pointer: S3Pointer) -> str:
    """The receipt handle as the extended clients hand it out for a pointer message.

    Their ``DeleteMessage`` reads the S3 location from it, deletes the payload, and sends
    SQS the original handle.
    """
    return (
        f"{BUCKET_MARKER}{pointer.bucket}{BUCKET_MARKER}"
        f"{KEY_MARKER}{pointer.key}{KEY_MARKER}{receipt_handle}"
    )


def split_receipt_handle(receipt_handle: str) -> tuple[S3Pointer | None, str]:
    """``(pointer, SQS's handle)`` from an extended client's handle; ``(None, handle)``
    for a plain one."""
    if BUCKET_MARKER not in receipt_handle or KEY_MARKER not in receipt_handle:
        return None, receipt_handle
    b0 = receipt_handle.index(BUCKET_MARKER) + len(BUCKET_MARKER)
    b1 = receipt_handle.index(BUCKET_MARKER, b0)
    k0 = receipt_handle.index(KEY_MARKER, b1) + len(KEY_MARKER)
    k1 = receipt_handle.index(KEY_MARKER, k0)
    pointer = S3Pointer(receipt_handle[b0:b1], receipt_handle[k0:k1])
    return pointer, receipt_handle[k1 + len(KEY_MARKER) :]


def put_request(payload: Payload, offload: S3Offload) -> dict[str, Any]:
    """The ``PutObject`` storing ``payload``; S3 checks the bytes against their SHA-256."""
    request: dict[str, Any] = {
        "Bucket": payload.pointer.bucket,
        "Key": payload.pointer.key,
        "Body": payload.data,
        "ChecksumSHA256": payload.checksum,
        "ContentType": "text/plain; charset=utf-8",
    }
    if offload.kms_key_id is not None:
        request["ServerSideEncryption"] = "aws:kms"
        request["SSEKMSKeyId"] = offload.kms_key_id
    return request


class DeleteChunk:
    """One bucket's keys (at most 1,000) deleted by ``DeleteObjects``, across its attempts.

    Deleting a key already gone succeeds, as S3 has it; a key S3 refuses with a code that
    may pass is tried again, any other refusal is a leftover.
    """

    def __init__(self, bucket: str, keys: list[str]) -> None:
        self.bucket = bucket
        self.keys = keys
        self._refused: dict[str, str] = {}

    @staticmethod
    def plan(pointers: Iterable[S3Pointer]) -> list[DeleteChunk]:
        """The requests deleting ``pointers``: per bucket, 1,000 keys each."""
        by_bucket: dict[str, list[str]] = {}
        for pointer in pointers:
            by_bucket.setdefault(pointer.bucket, []).append(pointer.key)
        return [
            DeleteChunk(bucket, list(dict.fromkeys(keys[start : start + 1000])))
            for bucket, keys in by_bucket.items()
            for start in range(0, len(keys), 1000)
        ]

    def request(self, pending: Sequence[str]) -> dict[str, Any]:
        """The ``DeleteObjects`` request for the keys still ``pending``."""
        return {
            "Bucket": self.bucket,
            "Delete": {"Objects": [{"Key": key} for key in pending], "Quiet": True},
        }

    def answered(self, answer: Mapping[str, Any]) -> list[str]:
        """Take in S3's answer; return the keys to try again."""
        again: list[str] = []
        for error in answer.get("Errors", []):
            key, code = str(error.get("Key")), str(error.get("Code", "Unknown"))
            if code in RETRYABLE_CODES:
                again.append(key)
            else:
                self._refused[key] = code
        return again

    def leftovers(self, exc: BaseException | None = None) -> list[tuple[S3Pointer, str]]:
        """The payloads still there, with the reason, once ``exc`` (or nothing) ended it."""
        refused = [(S3Pointer(self.bucket, key), code) for key, code in self._refused.items()]
        if exc is None:
            return refused
        if isinstance(exc, PartialFailure):
            reason = str(exc.last_error) if exc.last_error is not None else "still retryable"
            return [(S3Pointer(self.bucket, key), reason) for key in exc.failed] + refused
        reason = str(translate_any(exc, "DeleteObjects"))
        return [(S3Pointer(self.bucket, key), reason) for key in self.keys]


class PayloadStore:
    """The S3 side: store, fetch and delete payloads, under the session's retry rule."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def _s3(self) -> S3Client:
        return self._session.calls("s3")

    def put(self, payload: Payload, offload: S3Offload) -> None:
        """Store one payload; S3 checks the bytes against their SHA-256 on arrival."""
        self._s3.put_object(**put_request(payload, offload))

    def get(self, pointer: S3Pointer) -> bytes:
        """The payload's bytes; the body is read inside the attempt, so a connection
        dropped mid-object is retried like one dropped before the answer."""
        client = self._session.client("s3")

        def once() -> bytes:
            response = client.get_object(Bucket=pointer.bucket, Key=pointer.key)
            with contextlib.closing(response["Body"]) as body:
                data: bytes = body.read()
            return data

        return self._session.retry.call(once, operation="GetObject")

    def delete(self, pointers: Iterable[S3Pointer]) -> list[tuple[S3Pointer, str]]:
        """Delete payloads (DeleteObjects, per bucket, 1,000 keys a request).

        Best effort: returns those still there after every retry, with the reason, for the
        caller to report. Deleting a key already gone succeeds, as S3 has it.
        """
        left: list[tuple[S3Pointer, str]] = []
        client = self._session.client("s3")
        for chunk in DeleteChunk.plan(pointers):

            def attempt(pending: list[str], chunk: DeleteChunk = chunk) -> list[str]:
                return chunk.answered(client.delete_objects(**chunk.request(pending)))

            try:
                self._session.retry.drain(chunk.keys, attempt, what="payloads")
            except Exception as exc:
                left.extend(chunk.leftovers(exc))
            else:
                left.extend(chunk.leftovers())
        return left


def report_leftovers(queue_name: str, leftovers: Sequence[tuple[S3Pointer, str]]) -> None:
    """Log payloads whose messages are gone but whose S3 objects could not be deleted."""
    for pointer, reason in leftovers:
        log.warning(
            "%s: message deleted, but its payload %s could not be: %s "
            "(a lifecycle rule on the bucket removes such leftovers)",
            queue_name,
            pointer,
            reason,
        )
