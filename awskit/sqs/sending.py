"""What to send and what SQS's answers mean: the decisions of sends, deletes and receives.

No IO here. The blocking [Queue][awskit.sqs.Queue] and ``awskit.aio``'s queue both build
their requests and read SQS's answers with these, and differ only in how they wait for the
answer: an outgoing message is checked and encoded once (`prepare`), a batch answer
is read once (`SendBatch`, `DeleteBatch`, `VisibilityBatch`), a
delivery's MD5s are checked once (`split_intact`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from botocore.exceptions import ClientError
from pydantic import BaseModel
from pydantic_core import PydanticSerializationError

from .._errors import (
    ChecksumMismatch,
    InvalidInput,
    PartialFailure,
    failure_reason,
    logger,
    translate_any,
)
from .._retry import outlasted
from .codec import (
    MAX_BATCH_BYTES,
    MAX_BATCH_ENTRIES,
    MAX_MESSAGE_BYTES,
    REFUSED_CHARACTERS,
    check_delay,
    check_visibility,
    encode_attributes,
    fifo_batches,
    md5_of_attributes,
    md5_of_body,
    measure_body,
    message_size,
)
from .models import BatchFailure, BatchResult, MessageBase, OutgoingMessage, SendResult
from .offload import Payload, S3Offload, S3Pointer, check_reserved, divert, with_reserved_names

__all__ = [
    "FIFO_WINDOW",
    "FIFO_WINDOW_BYTES",
    "BatchFill",
    "DeleteBatch",
    "Entry",
    "FifoGroups",
    "FifoWindow",
    "Flight",
    "SendBatch",
    "SendOne",
    "StoreFirst",
    "VisibilityBatch",
    "encode_body",
    "finish_batches",
    "not_sent",
    "payloads_to_drop",
    "prepare",
    "prepare_body",
    "prepare_message",
    "receive_request",
    "sender_concurrency",
    "split_intact",
    "unique_messages",
    "unsent",
]

log = logger("awskit.sqs")

# MessageGroupId and MessageDeduplicationId: 1-128 alphanumerics and punctuation.
_TOKEN = re.compile(r"[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}")


#: Members of an attribute awskit's codec writes; a caller's own mapping may hold more.
_PLAIN_ATTRIBUTE = frozenset({"DataType", "StringValue", "BinaryValue"})


def _plain(attributes: Mapping[str, Mapping[str, Any]]) -> bool:
    """True when every attribute is as awskit's codec writes it (blobs as bytes)."""
    for attribute in attributes.values():
        if attribute.keys() - _PLAIN_ATTRIBUTE or isinstance(attribute.get("BinaryValue"), str):
            return False
    return True


class Entry:
    """A checked, encoded outgoing message and what SQS must answer for it.

    ``given`` is what the caller gave (an [OutgoingMessage][awskit.sqs.OutgoingMessage] or a
    bare body); ``wire`` is the ``SendMessageBatch`` entry, built once and sent as is by
    every attempt; ``plain`` says the fast write path may serialise it (see
    `awskit._fastwrite`).
    """

    __slots__ = (
        "attrs_md5",
        "body_md5",
        "given",
        "group",
        "id",
        "index",
        "payload",
        "plain",
        "size",
        "wire",
    )

    def __init__(
        self,
        index: int,
        given: object,
        request: dict[str, Any],
        payload: Payload | None = None,
    ) -> None:
        self.index = index
        self.payload = payload
        self.id = str(index)
        self.given = given
        self.size, self.body_md5 = measure_body(request["MessageBody"])
        attributes = request.get("MessageAttributes")
        if attributes:
            self.size += message_size("", attributes)
            self.attrs_md5: str | None = md5_of_attributes(attributes)
            self.plain = _plain(attributes)
        else:
            self.attrs_md5 = None
            self.plain = True
        self.group = str(request.get("MessageGroupId", ""))
        self.wire = {"Id": self.id, **request}

    @property
    def request(self) -> dict[str, Any]:
        """The parameters of a ``SendMessage`` sending this message alone."""
        return {key: value for key, value in self.wire.items() if key != "Id"}

    @property
    def out(self) -> OutgoingMessage[Any]:
        """What was given, as an [OutgoingMessage][awskit.sqs.OutgoingMessage]."""
        given = self.given
        return given if isinstance(given, OutgoingMessage) else OutgoingMessage(given)

    def problem(self, answer: Mapping[str, Any]) -> str | None:
        """Why SQS's answer does not vouch for what was sent, or None if it does."""
        if answer.get("MD5OfMessageBody") != self.body_md5:
            return "MD5 of the body in the response does not match what was sent"
        if self.attrs_md5 is not None and answer.get("MD5OfMessageAttributes") != self.attrs_md5:
            return "MD5 of the message attributes in the response does not match"
        return None

    def failure(self, code: str, reason: str, sender_fault: bool) -> BatchFailure:
        return BatchFailure(self.id, code, reason, sender_fault, self.out, self.index)


def encode_body(body: object, model: type[BaseModel] | None) -> str:
    """The text SQS carries for ``body`` on a queue of ``model`` (``None``: ``str`` bodies)."""
    if isinstance(body, BaseModel):
        if model is not None and not isinstance(body, model):
            raise InvalidInput(
                "body", f"{type(body).__name__} given; this queue holds {model.__name__}"
            )
        try:
            text = body.model_dump_json()
        except PydanticSerializationError as exc:
            # A lone surrogate in a str field, say: no UTF-8 text, so no SQS body.
            raise InvalidInput("body", f"cannot be written as JSON: {exc}") from None
        if text.isascii():
            # JSON escapes every character below U+0020, and ASCII holds no other
            # character SQS refuses: nothing to search for.
            return text
    elif isinstance(body, str):
        if model is not None:
            raise InvalidInput("body", f"give a {model.__name__}, not a str")
        text = body
    else:
        raise InvalidInput("body", f"{type(body).__name__} is neither a model nor a str")
    if not text:
        raise InvalidInput("body", "an SQS message body may not be empty")
    bad = REFUSED_CHARACTERS.search(text)
    if bad:
        raise InvalidInput(
            "body", f"character U+{ord(bad.group()):04X} is not allowed in an SQS body"
        )
    return text


def prepare(
    out: OutgoingMessage[Any],
    index: int,
    *,
    body: str,
    fifo: bool,
    content_dedup: Callable[[], bool],
    offload: S3Offload | None = None,
) -> Entry:
    """Check ``out`` (whose body encodes as ``body``) and build its request entry.

    ``content_dedup()`` says whether the FIFO queue deduplicates by content; it is asked
    only when a FIFO message has no ``dedup_id``. With ``offload``, a message over its
    threshold carries a pointer and its body becomes the entry's ``payload``.
    """
    request: dict[str, Any] = {"MessageBody": body}
    attributes = encode_attributes(out.attributes)
    check_reserved(attributes)
    if attributes:
        request["MessageAttributes"] = attributes
    if out.delay_seconds is not None:
        check_delay(out.delay_seconds)
        if fifo:
            raise InvalidInput("delay_seconds", "FIFO queues take no per-message delay")
        request["DelaySeconds"] = out.delay_seconds
    for field, value in (("group_id", out.group_id), ("dedup_id", out.dedup_id)):
        if value is not None and not (isinstance(value, str) and _TOKEN.fullmatch(value)):
            raise InvalidInput(field, "1 to 128 letters, digits or punctuation")
    if fifo:
        if out.group_id is None:
            raise InvalidInput("group_id", "a FIFO queue needs a message group id")
        request["MessageGroupId"] = out.group_id
        if out.dedup_id is not None:
            request["MessageDeduplicationId"] = out.dedup_id
        elif not content_dedup():
            # One id per message, reused by every retry: SQS then drops the copies a
            # retry after a lost response would otherwise enqueue.
            request["MessageDeduplicationId"] = uuid.uuid4().hex
    else:
        if out.group_id is not None:
            raise InvalidInput("group_id", "only FIFO queues take a message group id")
        if out.dedup_id is not None:
            raise InvalidInput("dedup_id", "only FIFO queues take a deduplication id")
    payload = divert(offload, request) if offload is not None else None
    return _fitting(Entry(index, out, request, payload), offload)


def prepare_body(given: object, index: int, *, body: str) -> Entry:
    """`prepare` for a bare body (no options) on a standard queue without offload.

    Such a message has nothing to check but its body (encoded as ``body``) and its size,
    so nothing else is built: the [OutgoingMessage][awskit.sqs.OutgoingMessage] a failure
    reports is made only if one is reported.
    """
    # What Entry(index, given, {"MessageBody": body}) builds, without looking for the
    # options a bare body cannot have: the most common entry, built once per message.
    entry = Entry.__new__(Entry)
    entry.index = index
    entry.payload = None
    entry.id = key = str(index)
    entry.given = given
    entry.size, entry.body_md5 = measure_body(body)
    entry.attrs_md5 = None
    entry.plain = True
    entry.group = ""
    entry.wire = {"Id": key, "MessageBody": body}
    return entry if entry.size <= MAX_MESSAGE_BYTES else _fitting(entry, None)


def prepare_message(
    message: Any,
    index: int,
    model: type[BaseModel] | None,
    fifo: bool,
    offload: S3Offload | None,
    content_dedup: Callable[[], bool],
) -> Entry:
    """Check and encode ``message`` (a body or an ``OutgoingMessage``) as entry ``index``.

    The way in of every send, blocking or awaited: a bare body on a standard queue without
    offload takes `prepare_body`, anything else `prepare`.
    """
    if not isinstance(message, OutgoingMessage):
        body = encode_body(message, model)
        if offload is None and not fifo:
            return prepare_body(message, index, body=body)
        message = OutgoingMessage(message)
    else:
        body = encode_body(message.body, model)
    return prepare(
        message, index, body=body, fifo=fifo, content_dedup=content_dedup, offload=offload
    )


def _fitting(entry: Entry, offload: S3Offload | None) -> Entry:
    if entry.size > MAX_MESSAGE_BYTES:
        hint = "" if offload is not None else " (offload=S3Offload(...) sends more)"
        raise InvalidInput(
            "body",
            f"message {entry.index} is {entry.size} bytes with its attributes; "
            f"SQS takes at most {MAX_MESSAGE_BYTES}{hint}",
        )
    return entry


class SendOne:
    """One ``SendMessage``, retried as a batch of one: a resend may duplicate, never lose."""

    def __init__(self, entry: Entry, queue_name: str) -> None:
        self.entry = entry
        self.queue_name = queue_name
        self.results: list[SendResult] = []
        self.problem = ""

    def answered(self, answer: Mapping[str, Any], left: list[Entry]) -> list[Entry]:
        """What is left to send after SQS's ``answer``."""
        found = self.entry.problem(answer)
        if found is not None:
            self.problem = found
            log.warning("SendMessage to %s: %s", self.queue_name, found)
            return left
        self.results.append(
            SendResult(
                answer["MessageId"], answer["MD5OfMessageBody"], answer.get("SequenceNumber")
            )
        )
        return []

    def gave_up(self, exc: PartialFailure) -> BaseException:
        """The error to raise once every attempt was spent (raised ``from`` its cause)."""
        if exc.last_error is not None and not self.problem:
            return translate_any(exc.last_error, "SendMessage")
        return ChecksumMismatch(self.problem, code="MD5Mismatch", operation="SendMessage")


class SendBatch:
    """One ``SendMessageBatch`` of up to 10 entries, across its attempts."""

    def __init__(self, batch: Sequence[Entry], queue_name: str) -> None:
        self.batch = batch
        self.queue_name = queue_name
        self.by_id = {entry.id: entry for entry in batch}
        self.sent: list[SendResult] = []
        self.failed: list[BatchFailure] = []
        self._last: dict[str, tuple[str, str]] = {}

    @staticmethod
    def entries(left: Sequence[Entry]) -> list[Any]:
        """The ``Entries`` of a request sending ``left``."""
        return [entry.wire for entry in left]

    def answered(self, answer: Mapping[str, Any], left: Sequence[Entry]) -> list[Entry]:
        """Take in SQS's answer to sending ``left``; return what should be sent again."""
        by_id, sent = self.by_id, self.sent
        # left is part of the batch, in its order: as long, it is the whole batch.
        retry = by_id.copy() if len(left) == len(by_id) else {entry.id: entry for entry in left}
        for ok in answer.get("Successful", ()):
            entry = by_id[ok["Id"]]
            md5 = ok.get("MD5OfMessageBody")
            if md5 != entry.body_md5 or entry.attrs_md5 is not None:
                problem = entry.problem(cast(Mapping[str, Any], ok))
                if problem is not None:
                    log.warning("SendMessageBatch to %s: %s", self.queue_name, problem)
                    self._last[entry.id] = ("MD5Mismatch", problem)
                    continue
            if retry.pop(entry.id, None) is not None:
                sent.append(SendResult(ok["MessageId"], md5, ok.get("SequenceNumber"), entry.index))
        for bad in answer.get("Failed", ()):
            entry = by_id[bad["Id"]]
            code, reason = bad.get("Code", "Unknown"), bad.get("Message", "")
            if bad.get("SenderFault"):
                retry.pop(entry.id, None)
                self.failed.append(entry.failure(code, reason, True))
            else:
                self._last[entry.id] = (code, reason)
        if not retry:
            return []
        for entry_id in retry:
            self._last.setdefault(
                entry_id, ("Unanswered", "SQS reported neither success nor failure")
            )
        return list(retry.values())

    def outcome(
        self, exc: BaseException | None = None
    ) -> tuple[list[SendResult], list[BatchFailure], BaseException | None]:
        """``(sent, failed, error)`` once the batch is over; ``exc`` is what ended it early."""
        if exc is None:
            return self.sent, self.failed, None
        if isinstance(exc, PartialFailure):
            for entry in exc.failed:
                code, reason = self._last.get(entry.id) or failure_reason(exc.last_error)
                self.failed.append(entry.failure(code, reason, False))
            return self.sent, self.failed, exc.last_error
        # The request itself failed in a way no retry helps (a validation error, say):
        # report every entry of the batch that has no answer yet, with that error.
        done = {r.index for r in self.sent} | {f.index for f in self.failed}
        code, reason = failure_reason(exc)
        sender_fault = isinstance(exc, ClientError) and (
            exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500) < 500
        )
        for entry in self.batch:
            if entry.index not in done:
                self.failed.append(entry.failure(code, reason, sender_fault))
        return self.sent, self.failed, exc


class DeleteBatch:
    """One ``DeleteMessageBatch`` of up to 10 received messages, across its attempts."""

    def __init__(self, batch: Sequence[tuple[int, MessageBase[Any]]], result: BatchResult) -> None:
        self.by_id = {str(index): (index, message) for index, message in batch}
        self.result = result
        self._last: dict[str, tuple[str, str]] = {}

    def entries(self, left: Sequence[str]) -> list[Any]:
        """The ``Entries`` of a request deleting ``left`` (entry ids)."""
        return [
            {"Id": entry_id, "ReceiptHandle": self.by_id[entry_id][1].receipt_handle}
            for entry_id in left
        ]

    def _failure(self, entry_id: str, code: str, reason: str, sender: bool) -> BatchFailure:
        index, message = self.by_id[entry_id]
        return BatchFailure(entry_id, code, reason, sender, message, index)

    def answered(self, answer: Mapping[str, Any], left: Sequence[str]) -> list[str]:
        """Take in SQS's answer to deleting ``left``; return what should be deleted again."""
        retry = dict.fromkeys(left)
        for ok in answer.get("Successful", []):
            retry.pop(ok["Id"], None)
            index, message = self.by_id[ok["Id"]]
            self.result.sent.append(
                SendResult(
                    message.message_id,
                    md5_of_body(message.sqs_body),
                    message.sequence_number,
                    index,
                )
            )
        for bad in answer.get("Failed", []):
            code, reason = bad.get("Code", "Unknown"), bad.get("Message", "")
            if bad.get("SenderFault"):
                retry.pop(bad["Id"], None)
                self.result.failed.append(self._failure(bad["Id"], code, reason, True))
            else:
                self._last[bad["Id"]] = (code, reason)
        return list(retry)

    def outcome(self, exc: BaseException | None = None) -> BaseException | None:
        """The error that ended the batch early (``exc``, attributed to its entries)."""
        if exc is None:
            return None
        if isinstance(exc, PartialFailure):
            for entry_id in exc.failed:
                code, reason = self._last.get(entry_id) or failure_reason(exc.last_error)
                self.result.failed.append(self._failure(entry_id, code, reason, False))
            return exc.last_error
        # Refused as a whole (no retry helps): none of these was deleted.
        code, reason = failure_reason(exc)
        done = {str(r.index) for r in self.result.sent} | {f.id for f in self.result.failed}
        for entry_id in self.by_id:
            if entry_id not in done:
                self.result.failed.append(self._failure(entry_id, code, reason, True))
        return exc


Outcome = tuple[list[SendResult], list[BatchFailure], BaseException | None]


class StoreFirst:
    """Sending a batch whose entries may carry S3 payloads (see `awskit.sqs.offload`).

    Each payload is stored before its message is sent: a message never points at a payload
    that is not there. A message whose payload could not be stored is not sent; the
    payloads of messages SQS refused are deleted again (only a refusal is certain: after a
    timeout SQS may hold the message after all).
    """

    def __init__(self, batch: Sequence[Entry]) -> None:
        self.batch = batch
        self._unstored: list[BatchFailure] = []
        self._error: BaseException | None = None

    def to_store(self) -> list[tuple[Entry, Payload]]:
        """The payloads to store, with their entries."""
        return [(entry, entry.payload) for entry in self.batch if entry.payload is not None]

    def not_stored(self, entry: Entry, exc: BaseException) -> None:
        """Storing ``entry``'s payload failed with ``exc`` (after every retry)."""
        code, reason = failure_reason(exc)
        self._unstored.append(
            entry.failure(code, f"payload not stored in S3, not sent: {reason}", not outlasted(exc))
        )
        self._error = self._error or exc

    def ready(self) -> list[Entry]:
        """The entries to send: those without a payload, or whose payload is stored."""
        unstored = {failure.index for failure in self._unstored}
        return [entry for entry in self.batch if entry.index not in unstored]

    def refused(self, outcome: Outcome) -> list[S3Pointer]:
        """The payloads to delete after sending ``ready()`` ended in ``outcome``."""
        refused = {failure.index for failure in outcome[1] if failure.sender_fault}
        return [
            entry.payload.pointer
            for entry in self.batch
            if entry.payload is not None and entry.index in refused
        ]

    def outcome(self, sent: Outcome | None = None) -> Outcome:
        """``(sent, failed, error)`` of the whole batch, given how sending ``ready()`` went."""
        if sent is None:
            return [], list(self._unstored), self._error
        return sent[0], self._unstored + sent[1], sent[2] or self._error


def unique_messages(messages: Iterable[MessageBase[Any]]) -> list[tuple[int, MessageBase[Any]]]:
    """Messages to delete, each receipt handle once, with its position in the input."""
    unique: dict[str, tuple[int, MessageBase[Any]]] = {}
    for index, message in enumerate(messages):
        unique.setdefault(message.receipt_handle, (index, message))
    return list(unique.values())


def payloads_to_drop(
    offload: S3Offload | None, deleted: Iterable[MessageBase[Any]]
) -> list[S3Pointer]:
    """The S3 payloads to delete after their messages were: none unless ``offload`` says so."""
    if offload is None or not offload.delete_payloads:
        return []
    return [message.pointer for message in deleted if message.pointer is not None]


def finish_batches(result: BatchResult, errors: Sequence[BaseException], operation: str) -> None:
    """Order ``result`` by input position; raise what refused every batch if nothing was done.

    Nothing was done, so nothing is hidden by raising the error instead of a result.
    """
    result.sent.sort(key=lambda r: r.index)
    result.failed.sort(key=lambda f: f.index)
    if errors and not result.sent:
        raise translate_any(errors[0], operation) from errors[0]


class VisibilityBatch:
    """One ``ChangeMessageVisibilityBatch`` of up to 10 receipt handles, across its attempts."""

    def __init__(self, handles: Sequence[str], seconds: int) -> None:
        self.handles = handles
        self.seconds = seconds
        self.changed: list[str] = []

    def entries(self, left: Sequence[int]) -> list[Any]:
        """The ``Entries`` of a request changing ``left`` (positions in ``handles``)."""
        return [
            {"Id": str(i), "ReceiptHandle": self.handles[i], "VisibilityTimeout": self.seconds}
            for i in left
        ]

    def answered(self, answer: Mapping[str, Any], left: Sequence[int]) -> list[int]:
        """Take in SQS's answer; return what should be changed again."""
        retry = dict.fromkeys(left)
        for ok in answer.get("Successful", []):
            retry.pop(int(ok["Id"]), None)
            self.changed.append(self.handles[int(ok["Id"])])
        for bad in answer.get("Failed", []):
            if bad.get("SenderFault"):
                # Deleted or expired meanwhile (ReceiptHandleIsInvalid): nothing to do.
                retry.pop(int(bad["Id"]), None)
        return list(retry)


def split_intact(
    raw: Iterable[Mapping[str, Any]],
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """Deliveries whose MD5s match their body and attributes, and those that arrived corrupted."""
    good: list[Mapping[str, Any]] = []
    corrupt: list[Mapping[str, Any]] = []
    for data in raw:
        attributes = data.get("MessageAttributes")
        intact = data.get("MD5OfBody") == md5_of_body(data.get("Body", "")) and (
            not attributes or data.get("MD5OfMessageAttributes") == md5_of_attributes(attributes)
        )
        (good if intact else corrupt).append(data)
    return good, corrupt


class FifoGroups:
    """FIFO sending order: batches of at most one message a group, and groups stopped by a
    failure (the rest of a group is reported ``GroupStopped``, never sent out of order).

    One instance follows one send from start to end, across every window of entries it is
    given, so a group stopped in one window stays stopped in the next.
    """

    def __init__(self) -> None:
        self._stopped: dict[str, BatchFailure] = {}
        self._groups: dict[int, str] = {}

    def batches(self, entries: Sequence[Entry]) -> list[list[Entry]]:
        """The batches to send of ``entries``, one after another (see ``fifo_batches``)."""
        self._groups.update((entry.index, entry.group) for entry in entries)
        return fifo_batches(entries, lambda e: e.group, lambda e: e.size)

    def todo(self, batch: Sequence[Entry], failed: list[BatchFailure]) -> list[Entry]:
        """What of ``batch`` to send; the messages of stopped groups go to ``failed``."""
        todo: list[Entry] = []
        for entry in batch:
            first = self._stopped.get(entry.group)
            if first is None:
                todo.append(entry)
            else:
                failed.append(
                    entry.failure(
                        "GroupStopped",
                        f"not sent: message {first.index} of group {entry.group!r} failed "
                        "before it and FIFO order would break",
                        False,
                    )
                )
        return todo

    def record(self, failed: Iterable[BatchFailure]) -> None:
        """Stop the groups of messages that failed for good."""
        for failure in failed:
            self._stopped.setdefault(self._groups[failure.index], failure)


def receive_request(
    url: str,
    max_messages: int,
    wait_seconds: int,
    visibility_timeout: int | None,
    attribute_names: Sequence[str],
) -> dict[str, Any]:
    """The checked ``ReceiveMessage`` request (see [Queue.receive][awskit.sqs.Queue.receive])."""
    if isinstance(max_messages, bool) or not 1 <= max_messages <= MAX_BATCH_ENTRIES:
        raise InvalidInput("max_messages", "must be from 1 to 10")
    if isinstance(wait_seconds, bool) or not 0 <= wait_seconds <= 20:
        raise InvalidInput("wait_seconds", "must be from 0 to 20")
    names = [attribute_names] if isinstance(attribute_names, str) else list(attribute_names)
    request: dict[str, Any] = {
        "QueueUrl": url,
        "MaxNumberOfMessages": max_messages,
        "WaitTimeSeconds": wait_seconds,
        "MessageSystemAttributeNames": ["All"],
    }
    request["MessageAttributeNames"] = with_reserved_names(names)
    if visibility_timeout is not None:
        request["VisibilityTimeout"] = check_visibility(visibility_timeout)
    return request


# -- streaming sends: the decisions of both batch senders ---------------------------------

#: Messages a FIFO sender gathers before cutting them into batches: enough for many
#: groups to share batches, few enough to keep memory flat.
FIFO_WINDOW = 1000
#: ... and at most this many bytes of them.
FIFO_WINDOW_BYTES = 8 * MAX_BATCH_BYTES


def sender_concurrency(concurrency: object, default: int) -> int:
    """The number of batches a sender may have in flight (``concurrency``, else ``default``)."""
    value = concurrency if concurrency is not None else default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput("concurrency", "must be a positive int")
    return value


class BatchFill:
    """The batch a standard queue's sender is filling: at most 10 entries and 1 MiB."""

    __slots__ = ("batch", "size")

    def __init__(self) -> None:
        self.batch: list[Entry] = []
        self.size = 0

    def add(self, entry: Entry) -> list[Entry] | None:
        """Add ``entry``; return the batch to send now that it closed, if one did."""
        batch = self.batch
        if batch and self.size + entry.size > MAX_BATCH_BYTES:
            self.batch, self.size = [entry], entry.size
            return batch
        batch.append(entry)
        self.size += entry.size
        if len(batch) >= MAX_BATCH_ENTRIES:
            self.batch, self.size = [], 0
            return batch
        return None

    def take(self) -> list[Entry]:
        """The batch so far (maybe empty), to send as it is; filling starts again."""
        batch, self.batch, self.size = self.batch, [], 0
        return batch


class FifoWindow:
    """The window a FIFO queue's sender gathers before `FifoGroups` cuts it into batches:
    at most ``limit`` messages (``None``: no limit) and `FIFO_WINDOW_BYTES`."""

    __slots__ = ("entries", "limit", "size")

    def __init__(self, limit: int | None = FIFO_WINDOW) -> None:
        self.limit = limit
        self.entries: list[Entry] = []
        self.size = 0

    def add(self, entry: Entry) -> list[Entry] | None:
        """Add ``entry``; return the window to send now that it is full, if it is."""
        self.entries.append(entry)
        self.size += entry.size
        if self.limit is not None and (
            len(self.entries) >= self.limit or self.size >= FIFO_WINDOW_BYTES
        ):
            return self.take()
        return None

    def take(self) -> list[Entry]:
        """The window so far (maybe empty); gathering starts again."""
        entries, self.entries, self.size = self.entries, [], 0
        return entries


def unsent(entries: Iterable[Entry], exc: BaseException, reason: str) -> list[BatchFailure]:
    """The failure records of ``entries``, which ``exc`` (an interrupt, a cancellation, an
    error no request answered) kept from being sent."""
    return [entry.failure(type(exc).__name__, reason, False) for entry in entries]


def not_sent(
    queue_name: str, failed: Sequence[BatchFailure], last_error: BaseException | None
) -> PartialFailure:
    """The error a sender's flush raises for ``failed`` (sorted by index by the caller)."""
    return PartialFailure(
        f"{len(failed)} messages to queue {queue_name!r} not sent after every retry",
        failed=failed,
        last_error=None if last_error is None else translate_any(last_error),
        code="PartialFailure",
    )


class Flight:
    """One batch on its way, as its send goes: what a send cut short still knows of it.

    The asyncio sender runs each batch as a task; a task cancelled with it (or one that
    failed in a way no answer explains) is accounted for by `cut_short`: entries SQS
    already answered keep their answer, every other one is reported not sent.
    """

    __slots__ = ("batch", "outcome", "plan", "store")

    def __init__(self, batch: Sequence[Entry]) -> None:
        self.batch = batch
        self.store: StoreFirst | None = None
        self.plan: SendBatch | None = None
        self.outcome: Outcome | None = None

    def cut_short(self, exc: BaseException) -> Outcome:
        """``(sent, failed, error)`` of the batch, whose send ``exc`` stopped."""
        if self.outcome is not None:
            return self.outcome
        if self.plan is not None:
            # SendBatch.outcome reports each entry not answered yet with exc, once.
            outcome = self.plan.outcome(exc)
        else:
            todo = self.store.ready() if self.store is not None else self.batch
            code, reason = failure_reason(exc)
            outcome = ([], [entry.failure(code, reason, False) for entry in todo], exc)
        if self.store is not None:
            outcome = self.store.outcome(outcome)
        return outcome
