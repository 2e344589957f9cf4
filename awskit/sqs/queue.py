"""One queue: sending (with MD5 checks and lossless batching), receiving, deleting."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Generic, cast

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from .._errors import (
    ChecksumMismatch,
    InvalidInput,
    PartialFailure,
    failure_reason,
    logger,
    translate_any,
    translates_errors,
)
from .codec import (
    MAX_BATCH_ENTRIES,
    MAX_MESSAGE_BYTES,
    check_delay,
    check_visibility,
    encode_attributes,
    fifo_batches,
    md5_of_attributes,
    md5_of_body,
    message_size,
    pack_batches,
)
from .models import (
    BatchFailure,
    BatchResult,
    Message,
    OutgoingMessage,
    ProcessStats,
    QueueAttributes,
    SendResult,
    T,
)

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from .._session import Session

__all__ = ["Queue"]

log = logger("awskit.sqs")

# AWS: a body may hold #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF only.
_BAD_BODY_CHARS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# MessageGroupId and MessageDeduplicationId: 1-128 alphanumerics and punctuation.
_TOKEN = re.compile(r"[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}")


class _Entry:
    """A checked, encoded outgoing message and what SQS must answer for it."""

    __slots__ = ("attrs_md5", "body_md5", "group", "id", "index", "out", "request", "size")

    def __init__(self, index: int, out: OutgoingMessage[Any], request: dict[str, Any]) -> None:
        self.index = index
        self.id = str(index)
        self.out = out
        self.request = request
        attributes = request.get("MessageAttributes") or {}
        self.size = message_size(request["MessageBody"], attributes)
        self.body_md5 = md5_of_body(request["MessageBody"])
        self.attrs_md5 = md5_of_attributes(attributes) if attributes else None
        self.group = str(request.get("MessageGroupId", ""))

    def problem(self, answer: Mapping[str, Any]) -> str | None:
        """Why SQS's answer does not vouch for what was sent, or None if it does."""
        if answer.get("MD5OfMessageBody") != self.body_md5:
            return "MD5 of the body in the response does not match what was sent"
        if self.attrs_md5 is not None and answer.get("MD5OfMessageAttributes") != self.attrs_md5:
            return "MD5 of the message attributes in the response does not match"
        return None

    def failure(self, code: str, reason: str, sender_fault: bool) -> BatchFailure:
        return BatchFailure(self.id, code, reason, sender_fault, self.out, self.index)


class Queue(Generic[T]):
    """An SQS queue whose bodies are ``T``: a pydantic model, or ``str`` for raw text.

    Get one from [awskit.sqs.SQS.create_queue][awskit.sqs.SQS.create_queue],
    [get_queue][awskit.sqs.SQS.get_queue] or [queues][awskit.sqs.SQS.queues]. Safe to share between
    threads.

    Example:
        ```python
        queue = aws.sqs.get_queue("greetings", model=Greeting)
        queue.send(Greeting(name="world"), attributes={"Author": "Daniel"})
        for msg in queue.receive(wait_seconds=5):
            print(msg.body.name, msg.attributes.get("Author"))
            msg.delete()
        ```
    """

    def __init__(self, session: Session, url: str, model: type[BaseModel] | None = None) -> None:
        self._session = session
        self.url = url
        self.model = model
        self.name = url.rstrip("/").rsplit("/", 1)[-1]
        self._arn: str | None = None
        self._content_dedup: bool | None = None

    def __repr__(self) -> str:
        model = self.model.__name__ if self.model is not None else "str"
        return f"Queue(name={self.name!r}, model={model})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Queue) and (self.url, self.model) == (other.url, other.model)

    def __hash__(self) -> int:
        return hash(self.url)

    @property
    def client(self) -> SQSClient:
        """The shared, typed boto3 client."""
        return self._session.client("sqs")

    @property
    def _calls(self) -> SQSClient:
        """The client under the session's retry rule: every single call goes through it."""
        return self._session.calls("sqs")

    @property
    def fifo(self) -> bool:
        """True for a FIFO queue (its name ends in ``.fifo``, as AWS requires)."""
        return self.name.endswith(".fifo")

    @property
    @translates_errors
    def attributes(self) -> QueueAttributes:
        """Every attribute, fetched now (counts are approximate and change)."""
        response = self._calls.get_queue_attributes(QueueUrl=self.url, AttributeNames=["All"])
        attributes = QueueAttributes.from_raw(
            cast(Mapping[str, str], response.get("Attributes", {}))
        )
        self._arn = attributes.arn or self._arn
        self._content_dedup = attributes.content_based_deduplication
        return attributes

    @property
    def arn(self) -> str:
        """The queue's ARN (fetched once); its last field is the queue's name."""
        if self._arn is None:
            self._arn = self.attributes.arn
        return self._arn

    # -- sending -------------------------------------------------------------------------

    def _content_based_dedup(self) -> bool:
        if self._content_dedup is None:
            self._content_dedup = self.attributes.content_based_deduplication
        return self._content_dedup

    def _encode_body(self, body: object) -> str:
        if isinstance(body, BaseModel):
            if self.model is not None and not isinstance(body, self.model):
                raise InvalidInput(
                    "body", f"{type(body).__name__} given; this queue holds {self.model.__name__}"
                )
            text = body.model_dump_json()
        elif isinstance(body, str):
            if self.model is not None:
                raise InvalidInput("body", f"give a {self.model.__name__}, not a str")
            text = body
        else:
            raise InvalidInput("body", f"{type(body).__name__} is neither a model nor a str")
        if not text:
            raise InvalidInput("body", "an SQS message body may not be empty")
        bad = _BAD_BODY_CHARS.search(text)
        if bad:
            raise InvalidInput(
                "body", f"character U+{ord(bad.group()):04X} is not allowed in an SQS body"
            )
        return text

    def _prepare(self, out: OutgoingMessage[Any], index: int) -> _Entry:
        request: dict[str, Any] = {"MessageBody": self._encode_body(out.body)}
        attributes = encode_attributes(out.attributes)
        if attributes:
            request["MessageAttributes"] = attributes
        if out.delay_seconds is not None:
            check_delay(out.delay_seconds)
            if self.fifo:
                raise InvalidInput("delay_seconds", "FIFO queues take no per-message delay")
            request["DelaySeconds"] = out.delay_seconds
        for field, value in (("group_id", out.group_id), ("dedup_id", out.dedup_id)):
            if value is not None and not (isinstance(value, str) and _TOKEN.fullmatch(value)):
                raise InvalidInput(field, "1 to 128 letters, digits or punctuation")
        if self.fifo:
            if out.group_id is None:
                raise InvalidInput("group_id", "a FIFO queue needs a message group id")
            request["MessageGroupId"] = out.group_id
            if out.dedup_id is not None:
                request["MessageDeduplicationId"] = out.dedup_id
            elif not self._content_based_dedup():
                # One id per message, reused by every retry: SQS then drops the copies a
                # retry after a lost response would otherwise enqueue.
                request["MessageDeduplicationId"] = uuid.uuid4().hex
        else:
            if out.group_id is not None:
                raise InvalidInput("group_id", "only FIFO queues take a message group id")
            if out.dedup_id is not None:
                raise InvalidInput("dedup_id", "only FIFO queues take a deduplication id")
        entry = _Entry(index, out, request)
        if entry.size > MAX_MESSAGE_BYTES:
            raise InvalidInput(
                "body",
                f"message {index} is {entry.size} bytes with its attributes; "
                f"SQS takes at most {MAX_MESSAGE_BYTES}",
            )
        return entry

    @translates_errors
    def send(
        self,
        body: T,
        attributes: Mapping[str, object] | None = None,
        delay_seconds: int | None = None,
        group_id: str | None = None,
        dedup_id: str | None = None,
    ) -> SendResult:
        """Send one message; the MD5s SQS answers with are checked (and the send retried).

        Limits (checked before sending): body plus attributes <= 1 MiB, <= 10 attributes,
        no ``AWS.``/``Amazon.`` names, delay <= 900 s, a group id on FIFO queues only.

        Raises:
            ChecksumMismatch: SQS's MD5s disagreed on every attempt.

        Example:
            ```python
            queue.send(Greeting(name="world"), attributes={"Author": "Daniel"})
            ```
        """
        entry = self._prepare(
            OutgoingMessage(body, attributes, group_id, dedup_id, delay_seconds), 0
        )
        results: list[SendResult] = []
        problem = ""

        def attempt(left: list[_Entry]) -> list[_Entry]:
            nonlocal problem
            answer = self.client.send_message(QueueUrl=self.url, **entry.request)
            found = entry.problem(cast(Mapping[str, Any], answer))
            if found is not None:
                problem = found
                log.warning("SendMessage to %s: %s", self.name, problem)
                return left
            results.append(
                SendResult(
                    answer["MessageId"], answer["MD5OfMessageBody"], answer.get("SequenceNumber")
                )
            )
            return []

        # One message is a batch of one: a resend after a transient failure may duplicate
        # it on a standard queue (SQS is at-least-once), never lose it.
        try:
            self._session.retry.drain([entry], attempt, what="messages")
        except PartialFailure as exc:
            if exc.last_error is not None and not problem:
                raise translate_any(exc.last_error, "SendMessage") from exc.last_error
            raise ChecksumMismatch(problem, code="MD5Mismatch", operation="SendMessage") from exc
        return results[0]

    @translates_errors
    def send_many(
        self,
        bodies: Iterable[T | OutgoingMessage[T]],
        *,
        concurrency: int | None = None,
    ) -> BatchResult:
        """Send any number of messages in batches; return what was sent and what failed.

        Every body is checked before the first request. Batches hold <= 10 messages and
        <= 1 MiB. Entries SQS fails with ``SenderFault: false`` (and entries whose MD5s
        disagree) are retried with the session's RetryPolicy; ``SenderFault: true`` entries
        are reported in ``failed`` with their original body. Standard queues send
        ``concurrency`` batches at once (default: the session's ``max_concurrency``).

        FIFO queues send batches one after another, at most one message of a group per
        batch, so a retry never reorders a group; after a message fails for good, the rest
        of its group is reported failed (code ``GroupStopped``) rather than sent out of
        order. Many groups batch well; a single group sends one message per request.

        Example:
            ```python
            result = queue.send_many(Greeting(name=n) for n in names)
            for failure in result.failed:
                print(failure.index, failure.code, failure.body)
            ```
        """
        entries = [
            self._prepare(body if isinstance(body, OutgoingMessage) else OutgoingMessage(body), i)
            for i, body in enumerate(bodies)
        ]
        result = BatchResult()
        errors: list[BaseException] = []
        if self.fifo:
            self._send_fifo(entries, result, errors)
        else:
            batches = list(pack_batches(entries, lambda e: e.size))
            workers = min(concurrency or self._session.max_concurrency, len(batches))
            if workers <= 1:
                outcomes = [self._send_batch(batch) for batch in batches]
            else:
                with ThreadPoolExecutor(workers, thread_name_prefix="awskit-sqs-send") as pool:
                    outcomes = list(pool.map(self._send_batch, batches))
            for sent, failed, error in outcomes:
                result.sent.extend(sent)
                result.failed.extend(failed)
                if error is not None:
                    errors.append(error)
        result.sent.sort(key=lambda r: r.index)
        result.failed.sort(key=lambda f: f.index)
        if errors and not result.sent:
            # Nothing went out, so nothing is lost by raising what stopped every request.
            error = errors[0]
            raise translate_any(error, "SendMessageBatch") from error
        return result

    def _send_fifo(
        self, entries: Sequence[_Entry], result: BatchResult, errors: list[BaseException]
    ) -> None:
        stopped: dict[str, BatchFailure] = {}
        for batch in fifo_batches(entries, lambda e: e.group, lambda e: e.size):
            todo: list[_Entry] = []
            for entry in batch:
                first = stopped.get(entry.group)
                if first is None:
                    todo.append(entry)
                else:
                    result.failed.append(
                        entry.failure(
                            "GroupStopped",
                            f"not sent: message {first.index} of group {entry.group!r} failed "
                            "before it and FIFO order would break",
                            False,
                        )
                    )
            if not todo:
                continue
            sent, failed, error = self._send_batch(todo)
            result.sent.extend(sent)
            result.failed.extend(failed)
            if error is not None:
                errors.append(error)
            for failure in failed:
                stopped.setdefault(entries[failure.index].group, failure)

    def _send_batch(
        self, batch: Sequence[_Entry]
    ) -> tuple[list[SendResult], list[BatchFailure], BaseException | None]:
        by_id = {entry.id: entry for entry in batch}
        sent: list[SendResult] = []
        failed: list[BatchFailure] = []
        last: dict[str, tuple[str, str]] = {}

        def attempt(left: list[_Entry]) -> list[_Entry]:
            request: list[Any] = [{"Id": entry.id, **entry.request} for entry in left]
            answer = self.client.send_message_batch(QueueUrl=self.url, Entries=request)
            retry: dict[str, _Entry] = {entry.id: entry for entry in left}
            for ok in answer.get("Successful", []):
                entry = by_id[ok["Id"]]
                problem = entry.problem(cast(Mapping[str, Any], ok))
                if problem is not None:
                    log.warning("SendMessageBatch to %s: %s", self.name, problem)
                    last[entry.id] = ("MD5Mismatch", problem)
                    continue
                retry.pop(entry.id, None)
                sent.append(
                    SendResult(
                        ok["MessageId"],
                        ok["MD5OfMessageBody"],
                        ok.get("SequenceNumber"),
                        entry.index,
                    )
                )
            for bad in answer.get("Failed", []):
                entry = by_id[bad["Id"]]
                code, reason = bad.get("Code", "Unknown"), bad.get("Message", "")
                if bad.get("SenderFault"):
                    retry.pop(entry.id, None)
                    failed.append(entry.failure(code, reason, True))
                else:
                    last[entry.id] = (code, reason)
            for entry_id in retry:
                last.setdefault(
                    entry_id, ("Unanswered", "SQS reported neither success nor failure")
                )
            return list(retry.values())

        try:
            self._session.retry.drain(batch, attempt, what="messages")
        except PartialFailure as exc:
            for entry in exc.failed:
                code, reason = last.get(entry.id) or failure_reason(exc.last_error)
                failed.append(entry.failure(code, reason, False))
            return sent, failed, exc.last_error
        except Exception as exc:
            # The request itself failed in a way no retry helps (a validation error, say):
            # report every entry of the batch that has no answer yet, with that error.
            done = {r.index for r in sent} | {f.index for f in failed}
            code, reason = failure_reason(exc)
            sender_fault = isinstance(exc, ClientError) and (
                exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500) < 500
            )
            for entry in batch:
                if entry.index not in done:
                    failed.append(entry.failure(code, reason, sender_fault))
            return sent, failed, exc
        return sent, failed, None

    # -- receiving -----------------------------------------------------------------------

    @translates_errors
    def receive(
        self,
        max_messages: int = 10,
        wait_seconds: int = 0,
        visibility_timeout: int | None = None,
        attribute_names: Sequence[str] = ("All",),
    ) -> list[Message[T]]:
        """Receive up to ``max_messages`` (1-10), long-polling ``wait_seconds`` (0-20).

        ``attribute_names`` are the message attributes wanted (``"All"``, names, or
        ``"prefix.*"``). Each message's MD5s are verified: a delivery that arrived
        corrupted is not handed out; it is made visible again at once so that SQS
        redelivers it intact. Messages are not deleted: call ``delete()`` or
        [delete_messages][awskit.sqs.Queue.delete_messages] when done.

        Example:
            ```python
            for msg in queue.receive(max_messages=10, attribute_names=["Author"]):
                print(msg.body, msg.attributes.get("Author"))
            ```
        """
        if isinstance(max_messages, bool) or not 1 <= max_messages <= MAX_BATCH_ENTRIES:
            raise InvalidInput("max_messages", "must be from 1 to 10")
        if isinstance(wait_seconds, bool) or not 0 <= wait_seconds <= 20:
            raise InvalidInput("wait_seconds", "must be from 0 to 20")
        names = [attribute_names] if isinstance(attribute_names, str) else list(attribute_names)
        request: dict[str, Any] = {
            "QueueUrl": self.url,
            "MaxNumberOfMessages": max_messages,
            "WaitTimeSeconds": wait_seconds,
            "MessageSystemAttributeNames": ["All"],
        }
        if names:
            request["MessageAttributeNames"] = names
        if visibility_timeout is not None:
            request["VisibilityTimeout"] = check_visibility(visibility_timeout)
        answer = self._calls.receive_message(**request)
        return self._deliveries(answer.get("Messages", []))

    def _deliveries(self, raw: Iterable[Mapping[str, Any]]) -> list[Message[T]]:
        now = dt.datetime.now(dt.timezone.utc)
        good: list[Message[T]] = []
        corrupt: list[Mapping[str, Any]] = []
        for data in raw:
            attributes = data.get("MessageAttributes")
            intact = data.get("MD5OfBody") == md5_of_body(data.get("Body", "")) and (
                not attributes
                or data.get("MD5OfMessageAttributes") == md5_of_attributes(attributes)
            )
            if intact:
                good.append(Message(self, self.model, data, now))
            else:
                corrupt.append(data)
        if corrupt:
            self._release(corrupt)
        return good

    def _release(self, raw: Sequence[Mapping[str, Any]]) -> None:
        log.warning(
            "%s: %d deliveries failed their MD5 check; made visible again for redelivery: %s",
            self.name,
            len(raw),
            ", ".join(str(data.get("MessageId")) for data in raw),
        )
        self._change_visibility([str(data["ReceiptHandle"]) for data in raw], 0)

    def _change_visibility(self, receipt_handles: Sequence[str], seconds: int) -> list[str]:
        """Best effort: the handles whose visibility did change."""
        changed: list[str] = []
        for start in range(0, len(receipt_handles), MAX_BATCH_ENTRIES):
            chunk = receipt_handles[start : start + MAX_BATCH_ENTRIES]
            try:
                answer = self.client.change_message_visibility_batch(
                    QueueUrl=self.url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": seconds}
                        for i, handle in enumerate(chunk)
                    ],
                )
            except (ClientError, BotoCoreError) as exc:
                log.warning("%s: ChangeMessageVisibilityBatch failed: %s", self.name, exc)
                continue
            changed.extend(chunk[int(ok["Id"])] for ok in answer.get("Successful", []))
        return changed

    @translates_errors
    def messages(
        self,
        wait_seconds: int = 20,
        stop_when_empty: bool = True,
        *,
        visibility_timeout: int | None = None,
        attribute_names: Sequence[str] = ("All",),
    ) -> Iterator[Message[T]]:
        """Receive in a loop, yielding each message (they are not deleted for you).

        With ``stop_when_empty`` the iterator ends on the first receive that returns
        nothing after waiting ``wait_seconds`` (use long polling on real SQS: a short
        poll samples a few servers and may come back empty while messages remain).

        Example:
            ```python
            for msg in queue.messages(wait_seconds=5):
                handle(msg.body)
                msg.delete()
            ```
        """
        while True:
            batch = self.receive(
                MAX_BATCH_ENTRIES, wait_seconds, visibility_timeout, attribute_names
            )
            if not batch and stop_when_empty:
                return
            yield from batch

    @translates_errors
    def delete_messages(self, messages: Iterable[Message[T]]) -> BatchResult:
        """Delete received messages in batches of 10; retryable failures are retried.

        ``sent`` lists the deleted messages, ``failed`` those that were not (for example
        an expired receipt handle: ``ReceiptHandleIsInvalid``, a sender fault).
        """
        unique: dict[str, tuple[int, Message[T]]] = {}
        for index, message in enumerate(messages):
            unique.setdefault(message.receipt_handle, (index, message))
        items = list(unique.values())
        result = BatchResult()
        errors: list[BaseException] = []
        for start in range(0, len(items), MAX_BATCH_ENTRIES):
            error = self._delete_batch(items[start : start + MAX_BATCH_ENTRIES], result)
            if error is not None:
                errors.append(error)
        result.sent.sort(key=lambda r: r.index)
        result.failed.sort(key=lambda f: f.index)
        if errors and not result.sent:
            # Nothing was deleted, so nothing is hidden by raising what refused every batch.
            raise translate_any(errors[0], "DeleteMessageBatch") from errors[0]
        return result

    def _delete_batch(
        self, batch: list[tuple[int, Message[T]]], result: BatchResult
    ) -> BaseException | None:
        by_id = {str(index): (index, message) for index, message in batch}
        last: dict[str, tuple[str, str]] = {}

        def failure(entry_id: str, code: str, reason: str, sender: bool) -> BatchFailure:
            index, message = by_id[entry_id]
            return BatchFailure(entry_id, code, reason, sender, message, index)

        def attempt(left: list[str]) -> list[str]:
            answer = self.client.delete_message_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": entry_id, "ReceiptHandle": by_id[entry_id][1].receipt_handle}
                    for entry_id in left
                ],
            )
            retry = dict.fromkeys(left)
            for ok in answer.get("Successful", []):
                retry.pop(ok["Id"], None)
                index, message = by_id[ok["Id"]]
                result.sent.append(
                    SendResult(
                        message.message_id,
                        md5_of_body(message.raw_body),
                        message.sequence_number,
                        index,
                    )
                )
            for bad in answer.get("Failed", []):
                code, reason = bad.get("Code", "Unknown"), bad.get("Message", "")
                if bad.get("SenderFault"):
                    retry.pop(bad["Id"], None)
                    result.failed.append(failure(bad["Id"], code, reason, True))
                else:
                    last[bad["Id"]] = (code, reason)
            return list(retry)

        try:
            self._session.retry.drain(list(by_id), attempt, what="deletes")
        except PartialFailure as exc:
            for entry_id in exc.failed:
                code, reason = last.get(entry_id) or failure_reason(exc.last_error)
                result.failed.append(failure(entry_id, code, reason, False))
            return exc.last_error
        except Exception as exc:
            # Refused as a whole (no retry helps): none of these was deleted.
            code, reason = failure_reason(exc)
            done = {str(r.index) for r in result.sent} | {f.id for f in result.failed}
            for entry_id in by_id:
                if entry_id not in done:
                    result.failed.append(failure(entry_id, code, reason, True))
            return exc
        return None

    def process(
        self,
        handler: Callable[[Message[T]], object],
        workers: int = 8,
        wait_seconds: int = 20,
        stop_when_empty: bool = False,
        max_messages: int | None = None,
        *,
        visibility_timeout: int | None = None,
        failure_backoff: Callable[[int], int] | None = None,
    ) -> ProcessStats:
        """Consume the queue with ``workers`` threads until stopped; see `awskit.sqs.process`.

        Each worker long-polls a batch, runs ``handler(message)`` on each message, and
        deletes the successes in one batch. A handler that raises leaves its message for
        redelivery (after ``failure_backoff(receive_count)`` seconds when given, else
        after the visibility timeout); a body that fails the model is counted ``invalid``
        and left for the dead-letter queue, never deleted. While a handler runs past half
        the visibility timeout, a heartbeat extends it (never past SQS's 12 hour cap).
        Stops on SIGINT/SIGTERM (handlers installed only on the main thread), after
        ``max_messages`` messages, or with ``stop_when_empty`` on an empty receive.

        Example:
            ```python
            stats = queue.process(lambda msg: greet(msg.body), stop_when_empty=True)
            print(stats.succeeded, stats.failed, stats.invalid)
            ```
        """
        from .process import run

        return run(
            self,
            handler,
            workers=workers,
            wait_seconds=wait_seconds,
            stop_when_empty=stop_when_empty,
            max_messages=max_messages,
            visibility_timeout=visibility_timeout,
            failure_backoff=failure_backoff,
        )

    # -- the queue itself ----------------------------------------------------------------

    @translates_errors
    def purge(self) -> None:
        """Delete every message (SQS allows one purge per queue every 60 seconds)."""
        self._calls.purge_queue(QueueUrl=self.url)

    @translates_errors
    def delete(self) -> None:
        """Delete the queue and its messages (the name is reusable after 60 seconds)."""
        self._calls.delete_queue(QueueUrl=self.url)
