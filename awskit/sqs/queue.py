"""One queue: sending (with MD5 checks and lossless batching), receiving, deleting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, cast

from botocore.exceptions import ClientError
from pydantic import BaseModel

from .._errors import (
    InvalidInput,
    PartialFailure,
    logger,
    translate_any,
    translates_errors,
)
from .codec import (
    MAX_BATCH_ENTRIES,
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
from .offload import PayloadStore, S3Offload, S3Pointer, report_leftovers
from .sender import fast_batch
from .sending import (
    DeleteBatch,
    Flight,
    Outcome,
    SendBatch,
    SendOne,
    StoreFirst,
    VisibilityBatch,
    finish_batches,
    payloads_to_drop,
    prepare_message,
    receive_request,
    split_intact,
    unique_messages,
)
from .sending import Entry as _Entry

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from .._session import Session
    from .sender import BatchSender

__all__ = ["Queue"]

log = logger("awskit.sqs")


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

    def __init__(
        self,
        session: Session,
        url: str,
        model: type[BaseModel] | None = None,
        offload: S3Offload | None = None,
    ) -> None:
        self._session = session
        self.url = url
        self.model = model
        #: Where bodies over its threshold go (see [S3Offload][awskit.sqs.S3Offload]).
        self.offload = offload
        self._payloads = PayloadStore(session)
        self.name = url.rstrip("/").rsplit("/", 1)[-1]
        self._arn: str | None = None
        self._content_dedup: bool | None = None
        # Set once a send to this queue was seen waiting on the network: its batch senders
        # then start their threads at once (see BatchSender._run_here).
        self._sends_wait = False

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

    def _prepare(self, message: Any, index: int) -> _Entry:
        """Check and encode ``message`` (a body or an ``OutgoingMessage``) as entry ``index``."""
        return prepare_message(
            message, index, self.model, self.fifo, self.offload, self._content_based_dedup
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

        Example:
            ```python
            queue.send(Greeting(name="world"), attributes={"Author": "Daniel"})
            ```
        """
        entry = self._prepare(
            OutgoingMessage(body, attributes, group_id, dedup_id, delay_seconds), 0
        )
        if entry.payload is not None and self.offload is not None:
            # Stored first: a message must never point at a payload that is not there.
            self._payloads.put(entry.payload, self.offload)
        plan = SendOne(entry, self.name)

        def attempt(left: list[_Entry]) -> list[_Entry]:
            answer = self.client.send_message(QueueUrl=self.url, **entry.request)
            return plan.answered(cast(Mapping[str, Any], answer), left)

        try:
            self._session.retry.drain([entry], attempt, what="messages")
        except ClientError:
            # SQS refused the message outright: nothing points at its payload.
            self._discard_payloads([entry.payload.pointer] if entry.payload is not None else [])
            raise
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

        Batches hold <= 10 messages and <= 1 MiB. Entries SQS fails with
        ``SenderFault: false`` (and entries whose MD5s disagree) are retried with the
        session's RetryPolicy; ``SenderFault: true`` entries are reported in ``failed``
        with their original body. Standard queues send up to ``concurrency`` batches at
        once (default: the session's ``max_concurrency``) once a request to the queue was
        seen waiting on the network; until then the calling thread sends them, as threads
        only add work while requests are answered at once.

        A list or tuple is checked whole before the first request. Any other iterable (a
        generator, say) is read as it is sent, through the engine of
        [batch_sender][awskit.sqs.Queue.batch_sender]: a message that fails the checks
        raises [InvalidInput][awskit.InvalidInput] after the messages before it were
        sent, and nothing after it is read; the error's ``result`` is the
        [BatchResult][awskit.sqs.BatchResult] of the messages before it. The result keeps one
        [SendResult][awskit.sqs.SendResult] per message; use ``batch_sender()`` when even
        that is too much.

        FIFO queues send batches one after another, at most one message of a group per
        batch, so a retry never reorders a group; after a message fails for good, the rest
        of its group is reported failed (code ``GroupStopped``) rather than sent out of
        order. Many groups batch well; a single group sends one message per request.

        ```python
        result = queue.send_many(Greeting(name=n) for n in names)
        for failure in result.failed:
            print(failure.index, failure.code, failure.body)
        ```
        """
        from .sender import FIFO_WINDOW, BatchSender

        whole = isinstance(bodies, (list, tuple))
        # A list is batched whole (as before); a stream on a FIFO queue in windows, or the
        # whole input would be held.
        sender: BatchSender[T] = BatchSender(
            self,
            concurrency=concurrency,
            fifo_window=None if whole else FIFO_WINDOW,
            keep_results=True,
        )
        try:
            if whole:
                sender.send_entries([self._prepare(b, i) for i, b in enumerate(bodies)])
            else:
                sender._send_all(bodies)
            result = sender.result()
        except InvalidInput as exc:
            # A stream is read as it is sent: what went out before the wrong message is not
            # lost, it travels on the error.
            exc.result = sender.result()
            failed = exc.result.failed
            if failed:
                log.warning(
                    "send_many to %s stopped at a wrong message; %d messages before it "
                    "were not sent: %s",
                    self.name,
                    len(failed),
                    ", ".join(f"{f.index} ({f.code})" for f in failed),
                )
            raise
        finally:
            sender._shutdown()
        error = sender.first_error()
        if error is not None and not result.sent:
            # Nothing went out, so nothing is lost by raising what stopped every request.
            raise translate_any(error, "SendMessageBatch") from error
        return result

    def batch_sender(self, *, concurrency: int | None = None) -> BatchSender[T]:
        """A context manager that streams messages in batches: the twin of ``batch_writer()``.

        ``sender.send(body_or_outgoing)`` checks the message at once
        ([InvalidInput][awskit.InvalidInput] before any request) and queues it; batches
        of up to 10 messages and 1 MiB go out while you produce, up to ``concurrency`` at
        once (default: the session's ``max_concurrency``; as in ``send_many``, threads
        start once requests are seen waiting on the network) on a standard queue, one after
        another on a FIFO queue (order within a group kept as in
        [send_many][awskit.sqs.Queue.send_many]). Retries follow the session's
        [RetryPolicy][awskit.RetryPolicy]. Only failures are kept, so memory does not
        grow with the number of messages.

        ``sender.sent`` counts the messages SQS accepted. On exit, messages not sent
        after every retry are raised in [PartialFailure][awskit.PartialFailure], whose
        ``.failed`` lists them as [BatchFailure][awskit.sqs.BatchFailure] records, as
        ``send_many`` reports them.

        ```python
        with queue.batch_sender() as sender:
            for job in jobs:
                sender.send(job)
        print(sender.sent)
        ```
        """
        from .sender import BatchSender

        return BatchSender(self, concurrency=concurrency)

    def _send_batch(
        self, batch: Sequence[_Entry], flight: Flight | None = None
    ) -> tuple[list[SendResult], list[BatchFailure], BaseException | None]:
        """Store the batch's S3 payloads, send what was stored, remove what SQS refused.

        ``flight`` follows the send, for a sender that a Ctrl-C may stop mid-way.
        """
        if self.offload is None:
            return self._send_stored(batch, flight)
        plan = StoreFirst(batch)
        if flight is not None:
            flight.store = plan
        for entry, payload in plan.to_store():
            try:
                self._payloads.put(payload, self.offload)
            except Exception as exc:
                plan.not_stored(entry, exc)
        ready = plan.ready()
        if not ready:
            return plan.outcome()
        outcome = self._send_stored(ready, flight)
        self._discard_payloads(plan.refused(outcome))
        return plan.outcome(outcome)

    def _discard_payloads(self, pointers: Sequence[S3Pointer]) -> None:
        """Delete the payloads of messages SQS certainly did not take."""
        if pointers:
            for pointer, reason in self._payloads.delete(pointers):
                log.warning("%s: unsent message's payload %s left: %s", self.name, pointer, reason)

    def _send_stored(self, batch: Sequence[_Entry], flight: Flight | None = None) -> Outcome:
        plan = SendBatch(batch, self.name)
        if flight is not None:
            flight.plan = plan
        client = self.client

        def attempt(left: list[_Entry]) -> list[_Entry]:
            answer = client.send_message_batch(**fast_batch(client, self.url, left))
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
        [delete_messages][awskit.sqs.Queue.delete_messages] when done.

        Example:
            ```python
            for msg in queue.receive(max_messages=10, attribute_names=["Author"]):
                print(msg.body, msg.attributes.get("Author"))
            ```
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
        messages: list[Message[T]] = [Message(self, self.model, data, now) for data in good]
        self._load_payloads(messages)
        return messages

    def _load_payloads(self, messages: Sequence[Message[T]]) -> None:
        """Fetch the S3 payloads of pointer messages (see `awskit.sqs.offload`).

        A payload that is gone or wrong stays with its message, raised when its body is
        read; a failure that may pass with time gives the whole receive back to SQS (made
        visible again) and is raised, so that no message is handed out half-read.
        """
        try:
            for message in messages:
                message._load_payload(self._payloads.get)
        except BaseException:
            self._change_visibility([m.receipt_handle for m in messages], 0)
            raise

    def _drop_payloads(self, messages: Iterable[MessageBase[Any]]) -> None:
        """After their messages were deleted, delete their payloads if ``offload`` says so."""
        pointers = payloads_to_drop(self.offload, messages)
        if pointers:
            report_leftovers(self.name, self._payloads.delete(pointers))

    def _release(self, raw: Sequence[Mapping[str, Any]]) -> None:
        log.warning(
            "%s: %d deliveries failed their MD5 check; made visible again for redelivery: %s",
            self.name,
            len(raw),
            ", ".join(str(data.get("MessageId")) for data in raw),
        )
        self._change_visibility([str(data["ReceiptHandle"]) for data in raw], 0)

    def _change_visibility(self, receipt_handles: Sequence[str], seconds: int) -> list[str]:
        """Best effort, under the retry rule: the handles whose visibility did change.

        Never raises: a message whose change failed keeps its current visibility (and is
        redelivered when that ends), which the callers (the heartbeat, a release) accept.
        """
        changed: list[str] = []
        for start in range(0, len(receipt_handles), MAX_BATCH_ENTRIES):
            plan = VisibilityBatch(receipt_handles[start : start + MAX_BATCH_ENTRIES], seconds)

            def attempt(left: list[int], plan: VisibilityBatch = plan) -> list[int]:
                answer = self.client.change_message_visibility_batch(
                    QueueUrl=self.url, Entries=plan.entries(left)
                )
                return plan.answered(cast(Mapping[str, Any], answer), left)

            try:
                self._session.retry.drain(list(range(len(plan.handles))), attempt, what="changes")
            except Exception as exc:
                log.warning(
                    "%s: ChangeMessageVisibilityBatch to %d s failed: %s",
                    self.name,
                    seconds,
                    translate_any(exc, "ChangeMessageVisibilityBatch"),
                )
            changed.extend(plan.changed)
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
        items = unique_messages(messages)
        result = BatchResult()
        errors: list[BaseException] = []
        for start in range(0, len(items), MAX_BATCH_ENTRIES):
            error = self._delete_batch(items[start : start + MAX_BATCH_ENTRIES], result)
            if error is not None:
                errors.append(error)
        by_index = dict(items)
        self._drop_payloads(by_index[r.index] for r in result.sent)
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
        """Consume the queue with ``workers`` threads until told to stop.

        Each worker long-polls a batch and runs ``handler(message)`` on each message in
        turn. A success is deleted at once, batched with other successes waiting (not held
        behind slower messages of its receive), and kept hidden until its delete is done.
        A handler that raises leaves its message for redelivery (after
        ``failure_backoff(receive_count)`` seconds when given, else after the visibility
        timeout); a body that fails the model is counted ``invalid`` and left for the
        dead-letter queue, never deleted. While a message is in hand, a heartbeat extends
        its visibility once half the timeout is gone, up to the 12 hours SQS allows after
        each receive.

        On a FIFO queue, a failed (or invalid) message stops the rest of its group from
        that receive: they are neither handled nor deleted, but made visible again at
        once; SQS delivers nothing of a group while one of its messages is in flight, so
        they come back after the failed one, in order.

        A failure that outlives botocore's and the session's
        [RetryPolicy][awskit.RetryPolicy] attempts but may pass with time (throttling, a
        5xx, a dropped connection, a timeout) never ends the run: the worker backs off by
        the policy and goes on. A success whose delete failed that way is counted
        ``undeleted`` and comes back after its visibility timeout. Any other error (the
        queue was deleted: [NotFound][awskit.NotFound]; access denied) stops every worker
        and is raised. Stops on SIGINT/SIGTERM (handlers installed only on the main
        thread; untouched messages are handed back), after ``max_messages`` messages, or
        with ``stop_when_empty`` on an empty receive.

        Args:
            handler: Called with each [Message][awskit.sqs.Message]; raising fails it.
            workers: Threads receiving and handling.
            wait_seconds: Long-poll time of each receive (0-20).
            stop_when_empty: End on the first receive that returns nothing.
            max_messages: End after receiving this many messages (``None``: no limit).
            visibility_timeout: Seconds each receive hides its messages (default: the
                queue's own).
            failure_backoff: Seconds to hide a failed message, from its receive count.

        Returns:
            [ProcessStats][awskit.sqs.ProcessStats]: succeeded, failed, invalid, undeleted.

        Raises:
            InvalidInput: A wrong argument, before any request.
            AwskitError: A failure no wait can mend (``NotFound``, ``AccessDenied``).

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
