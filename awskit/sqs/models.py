"""What the SQS facade hands out: messages, results of sends and deletes, queue attributes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from pydantic import BaseModel, ConfigDict, ValidationError

from .._errors import AwskitError
from .codec import AttributeValue, check_visibility, decode_attributes

if TYPE_CHECKING:
    from .queue import Queue

__all__ = [
    "BatchFailure",
    "BatchResult",
    "InvalidMessage",
    "Message",
    "OutgoingMessage",
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
        if isinstance(self.entry, Message):
            return self.entry.raw_body
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
    """Counts of one [Queue.process][awskit.sqs.Queue.process] run."""

    succeeded: int = 0
    failed: int = 0
    invalid: int = 0


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


class Message(Generic[T]):
    """One received message. ``body`` is validated against the queue's model on first read.

    Example:
        ```python
        for msg in queue.receive(attribute_names=["Author"]):
            print(msg.body, msg.attributes.get("Author"))
            msg.delete()
        ```
    """

    __slots__ = (
        "_body",
        "_model",
        "_queue",
        "message_id",
        "raw_attributes",
        "raw_body",
        "receipt_handle",
        "received_at",
        "system_attributes",
    )

    def __init__(
        self,
        queue: Queue[T],
        model: type[BaseModel] | None,
        data: Mapping[str, Any],
        received_at: dt.datetime,
    ) -> None:
        self._queue = queue
        self._model = model
        self._body: Any = _UNSET
        self.message_id: str = data["MessageId"]
        self.receipt_handle: str = data["ReceiptHandle"]
        self.raw_body: str = data.get("Body", "")
        self.raw_attributes: dict[str, Any] = dict(data.get("MessageAttributes") or {})
        self.system_attributes: dict[str, str] = dict(data.get("Attributes") or {})
        self.received_at = received_at

    def __repr__(self) -> str:
        return f"Message(message_id={self.message_id!r}, queue={self._queue.name!r})"

    @property
    def body(self) -> T:
        """The body as the queue's type; raises [InvalidMessage][awskit.sqs.InvalidMessage] if it
        does not fit."""
        if self._body is _UNSET:
            if self._model is None:
                self._body = self.raw_body
            else:
                try:
                    self._body = self._model.model_validate_json(self.raw_body)
                except ValidationError as exc:
                    raise InvalidMessage(
                        f"message {self.message_id} does not fit {self._model.__name__} "
                        f"({exc.error_count()} validation errors)",
                        message_id=self.message_id,
                        raw_body=self.raw_body,
                    ) from exc
        return cast(T, self._body)

    @property
    def attributes(self) -> dict[str, AttributeValue]:
        """Message attributes typed by DataType (String, Number, Number.float, Binary)."""
        return decode_attributes(self.raw_attributes)

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

    @property
    def queue(self) -> Queue[T]:
        """The queue it came from."""
        return self._queue

    def delete(self) -> None:
        """Delete it from the queue (its receipt handle must still be current)."""
        self._queue._calls.delete_message(
            QueueUrl=self._queue.url, ReceiptHandle=self.receipt_handle
        )

    def change_visibility(self, seconds: int) -> None:
        """Hide it for ``seconds`` more from now (0 makes it visible again; 12 h cap)."""
        check_visibility(seconds, "seconds")
        self._queue._calls.change_message_visibility(
            QueueUrl=self._queue.url,
            ReceiptHandle=self.receipt_handle,
            VisibilityTimeout=seconds,
        )
