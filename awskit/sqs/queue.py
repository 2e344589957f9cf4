"""One queue: sending (with MD5 checks and lossless batching), receiving, deleting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Generic, cast

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from .._errors import (
    PartialFailure,
    logger,
    translate_any,
    translates_errors,
)
from .codec import (
    MAX_BATCH_ENTRIES,
    pack_batches,
)
from .models import (
    BatchFailure,
    BatchResult,
    Message,
    MessageBase,
    OutgoingMessage,
    ProcessStats,
    QueueAttributes,
    SendResult,
    T,
)
from .sending import (
    DeleteBatch,
    FifoGroups,
    SendBatch,
    SendOne,
    encode_body,
    finish_batches,
    prepare,
    receive_request,
    split_intact,
    unique_messages,
)
from .sending import Entry as _Entry

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from .._session import Session

__all__ = ["Queue"]

log = logger("awskit.sqs")


class Queue(Generic[T]):
    """An SQS queue whose bodies are ``T``: a pydantic model, or ``str`` for raw text.

    Get one from :meth:`awskit.sqs.SQS.create_queue`, :meth:`~awskit.sqs.SQS.get_queue` or
    :meth:`~awskit.sqs.SQS.queues`. Safe to share between threads.

    Example::

        queue = aws.sqs.get_queue("greetings", model=Greeting)
        queue.send(Greeting(name="world"), attributes={"Author": "Daniel"})
        for msg in queue.receive(wait_seconds=5):
            print(msg.body.name, msg.attributes.get("Author"))
            msg.delete()
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
        return encode_body(body, self.model)

    def _prepare(self, out: OutgoingMessage[Any], index: int) -> _Entry:
        return prepare(
            out,
            index,
            body=self._encode_body(out.body),
            fifo=self.fifo,
            content_dedup=self._content_based_dedup,
        )

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

        Example::

            queue.send(Greeting(name="world"), attributes={"Author": "Daniel"})
        """
        entry = self._prepare(
            OutgoingMessage(body, attributes, group_id, dedup_id, delay_seconds), 0
        )
        plan = SendOne(entry, self.name)

        def attempt(left: list[_Entry]) -> list[_Entry]:
            answer = self.client.send_message(QueueUrl=self.url, **entry.request)
            return plan.answered(cast(Mapping[str, Any], answer), left)

        try:
            self._session.retry.drain([entry], attempt, what="messages")
        except PartialFailure as exc:
            raise plan.gave_up(exc) from exc.last_error or exc
        return plan.results[0]

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

        Example::

            result = queue.send_many(Greeting(name=n) for n in names)
            for failure in result.failed:
                print(failure.index, failure.code, failure.body)
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
        groups = FifoGroups(entries)
        for batch in groups.batches():
            todo = groups.todo(batch, result.failed)
            if not todo:
                continue
            sent, failed, error = self._send_batch(todo)
            result.sent.extend(sent)
            result.failed.extend(failed)
            if error is not None:
                errors.append(error)
            groups.record(failed)

    def _send_batch(
        self, batch: Sequence[_Entry]
    ) -> tuple[list[SendResult], list[BatchFailure], BaseException | None]:
        plan = SendBatch(batch, self.name)

        def attempt(left: list[_Entry]) -> list[_Entry]:
            answer = self.client.send_message_batch(QueueUrl=self.url, Entries=plan.entries(left))
            return plan.answered(cast(Mapping[str, Any], answer), left)

        try:
            self._session.retry.drain(batch, attempt, what="messages")
        except Exception as exc:
            return plan.outcome(exc)
        return plan.outcome()

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
        :meth:`delete_messages` when done.

        Example::

            for msg in queue.receive(max_messages=10, attribute_names=["Author"]):
                print(msg.body, msg.attributes.get("Author"))
        """
        request = receive_request(
            self.url, max_messages, wait_seconds, visibility_timeout, attribute_names
        )
        answer = self._calls.receive_message(**request)
        return self._deliveries(answer.get("Messages", []))

    def _deliveries(self, raw: Iterable[Mapping[str, Any]]) -> list[Message[T]]:
        now = dt.datetime.now(dt.timezone.utc)
        good, corrupt = split_intact(raw)
        if corrupt:
            self._release(corrupt)
        return [Message(self, self.model, data, now) for data in good]

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

        Example::

            for msg in queue.messages(wait_seconds=5):
                handle(msg.body)
                msg.delete()
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
        items = unique_messages(messages)
        result = BatchResult()
        errors: list[BaseException] = []
        for start in range(0, len(items), MAX_BATCH_ENTRIES):
            error = self._delete_batch(items[start : start + MAX_BATCH_ENTRIES], result)
            if error is not None:
                errors.append(error)
        finish_batches(result, errors, "DeleteMessageBatch")
        return result

    def _delete_batch(
        self, batch: list[tuple[int, MessageBase[Any]]], result: BatchResult
    ) -> BaseException | None:
        plan = DeleteBatch(batch, result)

        def attempt(left: list[str]) -> list[str]:
            answer = self.client.delete_message_batch(QueueUrl=self.url, Entries=plan.entries(left))
            return plan.answered(cast(Mapping[str, Any], answer), left)

        try:
            self._session.retry.drain(list(plan.by_id), attempt, what="deletes")
        except Exception as exc:
            return plan.outcome(exc)
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
        """Consume the queue with ``workers`` threads until stopped; see :mod:`awskit.sqs.process`.

        Each worker long-polls a batch, runs ``handler(message)`` on each message, and
        deletes the successes in one batch. A handler that raises leaves its message for
        redelivery (after ``failure_backoff(receive_count)`` seconds when given, else
        after the visibility timeout); a body that fails the model is counted ``invalid``
        and left for the dead-letter queue, never deleted. While a handler runs past half
        the visibility timeout, a heartbeat extends it (never past SQS's 12 hour cap).
        Stops on SIGINT/SIGTERM (handlers installed only on the main thread), after
        ``max_messages`` messages, or with ``stop_when_empty`` on an empty receive.

        Example::

            stats = queue.process(lambda msg: greet(msg.body), stop_when_empty=True)
            print(stats.succeeded, stats.failed, stats.invalid)
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
