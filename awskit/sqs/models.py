"""What the SQS facade hands out: messages, results of sends and deletes, queue attributes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from pydantic import BaseModel, ConfigDict, ValidationError

from .._errors import AwskitError, ChecksumMismatch
from .._retry import outlasted
from .codec import AttributeValue, check_visibility, decode_attributes
from .offload import (
    RESERVED_ATTRIBUTES,
    S3Pointer,
    check_payload,
    embed_in_receipt_handle,
    find_pointer,
)

if TYPE_CHECKING:
    from .queue import Queue

__all__ = [
    "BatchFailure",
    "BatchResult",
    "InvalidMessage",
    "Message",
    "MessageBase",
    "OutgoingMessage",
    "PayloadMismatch",
    "PayloadUnavailable",
    "ProcessStats",
    "QueueAttributes",
    "RedrivePolicy",
    "SendResult",
]

#: A queue's body type: a pydantic model, or ``str`` for raw text.
T = TypeVar("T", bound=BaseModel | str)


class InvalidMessage(AwskitError):
    """A received body does not fit the queue's model (or arrived corrupted).

    ``message_id`` and ``raw_body`` say which message; the pydantic ``ValidationError`` is
    the ``__cause__``. The raw body is kept as an attribute, never put into the text.
    """

    def __init__(self, message: str, *, message_id: str, raw_body: str) -> None:
        super().__init__(message, code="InvalidMessage")
        self.message_id = message_id
        self.raw_body = raw_body


class PayloadUnavailable(InvalidMessage):
    """A message points to an S3 payload that cannot be read: the object or its bucket is
    gone, access is refused, or the pointer itself is malformed.

    Raised when the body is read; the message stays in the queue (and reaches the
    dead-letter queue after its ``maxReceiveCount``), never handed out with an empty body.
    ``pointer`` is the [S3Pointer][awskit.sqs.S3Pointer] (``None`` for a malformed one),
    ``raw_body`` the body SQS holds (the pointer), the S3 error the ``__cause__``.
    """

    def __init__(
        self, message: str, *, message_id: str, raw_body: str, pointer: S3Pointer | None
    ) -> None:
        super().__init__(message, message_id=message_id, raw_body=raw_body)
        self.code = "PayloadUnavailable"
        self.pointer = pointer


class PayloadMismatch(InvalidMessage, ChecksumMismatch):
    """The S3 payload is not what was sent: its size differs from ``ExtendedPayloadSize``,
    its SHA-256 from ``awskit.PayloadSHA256``, or it is not UTF-8 text.

    Both an [InvalidMessage][awskit.sqs.InvalidMessage] (the consumer loop leaves it for
    the dead-letter queue) and a [ChecksumMismatch][awskit.ChecksumMismatch]. ``pointer``
    says where the payload is; ``raw_body`` is the body SQS holds (the pointer).
    """

    def __init__(self, message: str, *, message_id: str, raw_body: str, pointer: S3Pointer) -> None:
        super().__init__(message, message_id=message_id, raw_body=raw_body)
        self.code = "PayloadMismatch"
        self.pointer = pointer


@dataclass(frozen=True)
class SendResult:
    """One message accepted by SQS. ``index`` is its position in a ``send_many`` input."""

    message_id: str
    md5_of_body: str
    sequence_number: str | None = None
    index: int = 0


@dataclass(frozen=True)
class BatchFailure:
    """One entry of a batch that was not done after every retry.

    ``entry`` is what was given: the [OutgoingMessage][awskit.sqs.OutgoingMessage] for a send
    (``body`` is its original body), the [Message][awskit.sqs.Message] for a delete.
    ``sender_fault`` says whether retrying as is could ever help (AWS's ``SenderFault``).
    """

    id: str
    code: str
    reason: str
    sender_fault: bool
    entry: Any = None
    index: int = 0

    @property
    def body(self) -> Any:
        """The original body (send), or the raw body of the message (delete)."""
        if isinstance(self.entry, OutgoingMessage):
            return self.entry.body
        if isinstance(self.entry, MessageBase):
            try:
                return self.entry.raw_body
            except InvalidMessage:
                return self.entry.sqs_body
        return self.entry


@dataclass
class BatchResult:
    """What a batch operation did: ``sent`` (or deleted) and ``failed``; nothing else."""

    sent: list[SendResult] = field(default_factory=list)
    failed: list[BatchFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed


@dataclass
class ProcessStats:
    """Counts of one [Queue.process][awskit.sqs.Queue.process] run; each handling is counted once.

    ``succeeded``: handled and deleted. ``failed``: the handler raised. ``invalid``: the
    body failed the model. ``undeleted``: handled, but the delete failed after every retry;
    such a message comes back after its visibility timeout and is handled again.
    """

    succeeded: int = 0
    failed: int = 0
    invalid: int = 0
    undeleted: int = 0


@dataclass(frozen=True)
class OutgoingMessage(Generic[T]):
    """A body with its per-message options, for ``send_many``.

    Example:
        ```python
        queue.send_many([OutgoingMessage(Greeting(name="a"), attributes={"Author": "me"})])
        ```
    """

    body: T
    attributes: Mapping[str, object] | None = None
    group_id: str | None = None
    dedup_id: str | None = None
    delay_seconds: int | None = None


class RedrivePolicy(BaseModel):
    """Where messages go after ``max_receive_count`` receives."""

    model_config = ConfigDict(frozen=True)

    dead_letter_target_arn: str
    max_receive_count: int


def _int(raw: Mapping[str, str], key: str, default: int = 0) -> int:
    value = raw.get(key)
    return int(value) if value not in (None, "") else default


def _time(raw: Mapping[str, str], key: str) -> dt.datetime | None:
    value = raw.get(key)
    return dt.datetime.fromtimestamp(float(value), dt.timezone.utc) if value else None


class QueueAttributes(BaseModel):
    """A queue's attributes, typed; ``raw`` holds every attribute as AWS sent it."""

    model_config = ConfigDict(frozen=True)

    arn: str = ""
    delay_seconds: int = 0
    visibility_timeout: int = 30
    message_retention_seconds: int = 345_600
    maximum_message_size: int = 1_048_576
    receive_wait_seconds: int = 0
    approximate_number_of_messages: int = 0
    approximate_number_of_messages_not_visible: int = 0
    approximate_number_of_messages_delayed: int = 0
    fifo: bool = False
    content_based_deduplication: bool = False
    redrive_policy: RedrivePolicy | None = None
    created_at: dt.datetime | None = None
    last_modified_at: dt.datetime | None = None
    raw: dict[str, str] = {}

    @classmethod
    def from_raw(cls, raw: Mapping[str, str]) -> QueueAttributes:
        """Parse ``GetQueueAttributes`` output."""
        redrive = None
        if raw.get("RedrivePolicy"):
            policy = json.loads(raw["RedrivePolicy"])
            redrive = RedrivePolicy(
                dead_letter_target_arn=policy["deadLetterTargetArn"],
                max_receive_count=int(policy["maxReceiveCount"]),
            )
        return cls(
            arn=raw.get("QueueArn", ""),
            delay_seconds=_int(raw, "DelaySeconds"),
            visibility_timeout=_int(raw, "VisibilityTimeout", 30),
            message_retention_seconds=_int(raw, "MessageRetentionPeriod", 345_600),
            maximum_message_size=_int(raw, "MaximumMessageSize", 1_048_576),
            receive_wait_seconds=_int(raw, "ReceiveMessageWaitTimeSeconds"),
            approximate_number_of_messages=_int(raw, "ApproximateNumberOfMessages"),
            approximate_number_of_messages_not_visible=_int(
                raw, "ApproximateNumberOfMessagesNotVisible"
            ),
            approximate_number_of_messages_delayed=_int(raw, "ApproximateNumberOfMessagesDelayed"),
            fifo=raw.get("FifoQueue", "false").lower() == "true",
            content_based_deduplication=raw.get("ContentBasedDeduplication", "false").lower()
            == "true",
            redrive_policy=redrive,
            created_at=_time(raw, "CreatedTimestamp"),
            last_modified_at=_time(raw, "LastModifiedTimestamp"),
            raw=dict(raw),
        )


_UNSET: Any = object()


class MessageBase(Generic[T]):
    """What a received message is, whichever API received it ([Message][awskit.sqs.Message]
    blocks on ``delete()``; ``awskit.aio``'s message awaits it)."""

    __slots__ = (
        "_body",
        "_model",
        "_problem",
        "_queue",
        "_raw_body",
        "message_id",
        "pointer",
        "raw_attributes",
        "receipt_handle",
        "received_at",
        "sqs_body",
        "system_attributes",
    )

    def __init__(
        self,
        queue: Any,
        model: type[BaseModel] | None,
        data: Mapping[str, Any],
        received_at: dt.datetime,
    ) -> None:
        self._queue = queue
        self._model = model
        self._body: Any = _UNSET
        self.message_id: str = data["MessageId"]
        self.receipt_handle: str = data["ReceiptHandle"]
        self.sqs_body: str = data.get("Body", "")
        self.raw_attributes: dict[str, Any] = dict(data.get("MessageAttributes") or {})
        self.system_attributes: dict[str, str] = dict(data.get("Attributes") or {})
        self.received_at = received_at
        self._problem: InvalidMessage | None = None
        pointer, malformed = find_pointer(self.sqs_body, self.raw_attributes)
        self.pointer: S3Pointer | None = pointer
        self._raw_body: str | None = None if pointer is not None else self.sqs_body
        if malformed is not None:
            self._problem = PayloadUnavailable(
                f"message {self.message_id}: {malformed}",
                message_id=self.message_id,
                raw_body=self.sqs_body,
                pointer=None,
            )

    def __repr__(self) -> str:
        return f"Message(message_id={self.message_id!r}, queue={self._queue.name!r})"

    def _fetch_payload(self, pointer: S3Pointer) -> bytes:
        """The payload's bytes, fetched now (the blocking queue's store)."""
        data: bytes = self._queue._payloads.get(pointer)
        return data

    def _wants_payload(self) -> S3Pointer | None:
        """The pointer whose payload is still to fetch, or None."""
        if self._raw_body is not None or self._problem is not None:
            return None
        return self.pointer

    def _load_payload(self, fetch: Callable[[S3Pointer], bytes]) -> None:
        """Fetch and check the S3 payload of a pointer message.

        A payload that cannot be read, or is not what was sent, is kept as the error the
        body raises; a failure that may pass with time (throttling, 5xx, no connection)
        propagates, for the receive to give the message back.
        """
        pointer = self._wants_payload()
        if pointer is None:
            return
        try:
            data = fetch(pointer)
        except AwskitError as exc:
            self._payload_failed(pointer, exc)
            return
        self._payload_arrived(pointer, data)

    def _payload_failed(self, pointer: S3Pointer, exc: AwskitError) -> None:
        """Fetching the payload raised ``exc``: keep it, or raise it if it may pass."""
        if outlasted(exc):
            raise exc
        self._problem = PayloadUnavailable(
            f"message {self.message_id}: its payload {pointer} cannot be read: {exc}",
            message_id=self.message_id,
            raw_body=self.sqs_body,
            pointer=pointer,
        )
        self._problem.__cause__ = exc

    def _payload_arrived(self, pointer: S3Pointer, data: bytes) -> None:
        """Check the fetched payload against what the message says was sent."""
        problem = check_payload(data, self.raw_attributes)
        text = ""
        if problem is None:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                problem = "it is not UTF-8 text"
        if problem is not None:
            self._problem = PayloadMismatch(
                f"message {self.message_id}: its payload {pointer} is not what was sent: {problem}",
                message_id=self.message_id,
                raw_body=self.sqs_body,
                pointer=pointer,
            )
            return
        self._raw_body = text

    @property
    def raw_body(self) -> str:
        """The body as text: the S3 payload for a pointer message.

        Raises:
            PayloadUnavailable: the payload could not be read.
            PayloadMismatch: the payload is not what was sent.
        """
        if self._problem is not None:
            raise self._problem
        if self._raw_body is None:
            self._load_payload(self._fetch_payload)
            return self.raw_body
        return self._raw_body

    @property
    def body(self) -> T:
        """The body as the queue's type; raises [InvalidMessage][awskit.sqs.InvalidMessage] if it
        does not fit (or, for a pointer message, [PayloadUnavailable][awskit.sqs.PayloadUnavailable]
        or [PayloadMismatch][awskit.sqs.PayloadMismatch])."""
        if self._body is _UNSET:
            text = self.raw_body
            if self._model is None:
                self._body = text
            else:
                try:
                    self._body = self._model.model_validate_json(text)
                except ValidationError as exc:
                    raise InvalidMessage(
                        f"message {self.message_id} does not fit {self._model.__name__} "
                        f"({exc.error_count()} validation errors)",
                        message_id=self.message_id,
                        raw_body=text,
                    ) from exc
        return cast(T, self._body)

    @property
    def extended_receipt_handle(self) -> str:
        """The receipt handle as AWS's extended clients hand it out: for a pointer message
        it carries the S3 location, so their ``delete_message`` deletes the payload too.
        Same as ``receipt_handle`` for other messages."""
        if self.pointer is None:
            return self.receipt_handle
        return embed_in_receipt_handle(self.receipt_handle, self.pointer)

    @property
    def attributes(self) -> dict[str, AttributeValue]:
        """Message attributes typed by DataType (String, Number, Number.float, Binary).

        A pointer message's own attributes (``ExtendedPayloadSize``,
        ``awskit.PayloadSHA256``) are left out, as the extended clients do.
        """
        if self.pointer is None:
            return decode_attributes(self.raw_attributes)
        return decode_attributes(
            {k: v for k, v in self.raw_attributes.items() if k not in RESERVED_ATTRIBUTES}
        )

    @property
    def receive_count(self) -> int:
        """``ApproximateReceiveCount``: 1 on the first delivery."""
        return int(self.system_attributes.get("ApproximateReceiveCount", "1"))

    @property
    def sent_at(self) -> dt.datetime:
        """When SQS accepted the message (``SentTimestamp``; the receive time if absent)."""
        stamp = self.system_attributes.get("SentTimestamp")
        if not stamp:
            return self.received_at
        return dt.datetime.fromtimestamp(int(stamp) / 1000, dt.timezone.utc)

    @property
    def group_id(self) -> str | None:
        """``MessageGroupId`` (FIFO queues)."""
        return self.system_attributes.get("MessageGroupId")

    @property
    def sequence_number(self) -> str | None:
        """``SequenceNumber`` (FIFO queues)."""
        return self.system_attributes.get("SequenceNumber")


class Message(MessageBase[T]):
    """One received message. ``body`` is validated against the queue's model on first read.

    A message whose body was stored in S3 (see [S3Offload][awskit.sqs.S3Offload]) arrives
    with its payload already fetched and checked: ``raw_body`` is the payload text,
    ``sqs_body`` the pointer SQS holds, ``pointer`` where the payload is.

    ```python
    for msg in queue.receive(attribute_names=["Author"]):
        print(msg.body, msg.attributes.get("Author"))
        msg.delete()
    ```
    """

    __slots__ = ()

    @property
    def queue(self) -> Queue[T]:
        """The queue it came from."""
        return cast("Queue[T]", self._queue)

    def delete(self) -> None:
        """Delete it from the queue (its receipt handle must still be current).

        A pointer message's S3 payload is deleted after the message, when the queue's
        [S3Offload][awskit.sqs.S3Offload] says so (``delete_payloads``); a payload that
        cannot be deleted is logged, never raised: the message is gone either way.
        """
        self._queue._calls.delete_message(
            QueueUrl=self._queue.url, ReceiptHandle=self.receipt_handle
        )
        if self.pointer is not None:
            self._queue._drop_payloads([self])

    def change_visibility(self, seconds: int) -> None:
        """Hide it for ``seconds`` more from now (0 makes it visible again; 12 h cap)."""
        check_visibility(seconds, "seconds")
        self._queue._calls.change_message_visibility(
            QueueUrl=self._queue.url,
            ReceiptHandle=self.receipt_handle,
            VisibilityTimeout=seconds,
        )
