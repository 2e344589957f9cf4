"""Amazon SQS on asyncio: the [awskit.sqs][awskit.sqs] facade, awaited.

Every check, encoding, MD5 verification and batch decision is the blocking queue's own
(``awskit.sqs.sending``, ``awskit.sqs.codec``, and ``awskit.sqs.offload`` for bodies through
S3); only the requests are awaited, and ``send_many`` runs its batches as concurrent tasks
instead of threads.

```python
async with awskit.aio.connect() as aws:
    queue = await aws.sqs.create_queue("greetings", model=Greeting)
    await queue.send(Greeting(name="world"))
    async for msg in queue.messages(wait_seconds=1):
        await msg.delete()
```
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, cast, overload

from botocore.exceptions import ClientError

from .._errors import AwskitError, PartialFailure, logger, translate_any, translates_errors
from .._paging import AsyncPaged, Page, token_pages_async
from .._retry import call_async, drain_async
from ..sqs.codec import MAX_BATCH_ENTRIES, check_queue_name, check_visibility, pack_batches
from ..sqs.facade import _check_model, _check_offload, create_queue_attributes
from ..sqs.models import (
    BatchFailure,
    BatchResult,
    MessageBase,
    OutgoingMessage,
    ProcessStats,
    QueueAttributes,
    SendResult,
    T,
)
from ..sqs.offload import (
    DeleteChunk,
    Payload,
    S3Offload,
    S3Pointer,
    put_request,
    report_leftovers,
)
from ..sqs.sending import (
    DeleteBatch,
    Entry,
    FifoGroups,
    Flight,
    Outcome,
    SendBatch,
    SendOne,
    StoreFirst,
    VisibilityBatch,
    encode_body,
    finish_batches,
    payloads_to_drop,
    prepare_message,
    receive_request,
    split_intact,
    unique_messages,
)

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient

    from ._session import Session
    from .sender import BatchSender

__all__ = ["SQS", "Message", "Queue"]

log = logger("awskit.sqs")


class SQS:
    """Amazon SQS on asyncio: ``aws.sqs`` of an [awskit.aio.Session][awskit.aio.Session]."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def client(self) -> SQSClient:
        """The shared, typed aiobotocore client (escape hatch)."""
        return await self._session.client("sqs")

    @overload
    async def create_queue(self, name: str, model: None = None, **options: Any) -> Queue[str]: ...
    @overload
    async def create_queue(self, name: str, model: type[T], **options: Any) -> Queue[T]: ...
    @translates_errors
    async def create_queue(
        self, name: str, model: type[Any] | None = None, **options: Any
    ) -> Queue[Any]:
        """Create a queue, as [SQS.create_queue][awskit.sqs.SQS.create_queue] (same options).

        ``dead_letter_queue`` may be a queue of this API or an ARN; ``offload`` stores
        bodies over its threshold in S3 ([S3Offload][awskit.sqs.S3Offload]).
        """
        offload = options.pop("offload", None)
        dead_letter = options.pop("dead_letter_queue", None)
        arn: object = dead_letter
        if isinstance(dead_letter, Queue):
            # Every other option is checked before the ARN costs a request.
            create_queue_attributes(
                name, model, dead_letter_arn=lambda: "arn:aws:sqs:::dlq", **options
            )
            arn = await dead_letter.arn()
        raw = create_queue_attributes(
            name, model, dead_letter_arn=None if arn is None else lambda: arn, **options
        )
        _check_offload(offload)
        calls = await self._session.calls("sqs")
        answer = await calls.create_queue(QueueName=name, Attributes=raw)  # type: ignore[arg-type, unused-ignore]
        return Queue(self._session, answer["QueueUrl"], model, offload)

    @overload
    async def get_queue(
        self, name: str, model: None = None, *, offload: S3Offload | None = None
    ) -> Queue[str]: ...
    @overload
    async def get_queue(
        self, name: str, model: type[T], *, offload: S3Offload | None = None
    ) -> Queue[T]: ...
    @translates_errors
    async def get_queue(
        self, name: str, model: type[Any] | None = None, *, offload: S3Offload | None = None
    ) -> Queue[Any]:
        """The queue called ``name``, as [SQS.get_queue][awskit.sqs.SQS.get_queue].

        With ``offload``, bodies over its threshold travel through S3 (see
        [S3Offload][awskit.sqs.S3Offload]). Without it, pointers that arrive are still
        read (they name their bucket), but nothing is written or deleted in S3.

        Raises:
            NotFound: there is no such queue.
        """
        check_queue_name(name)
        _check_model(model)
        _check_offload(offload)
        calls = await self._session.calls("sqs")
        answer = await calls.get_queue_url(QueueName=name)
        return Queue(self._session, answer["QueueUrl"], model, offload)

    def queues(self, prefix: str | None = None) -> AsyncPaged[Queue[str]]:
        """Every queue (whose name starts with ``prefix``), across every page."""
        request: dict[str, Any] = {"MaxResults": 1000}
        if prefix:
            request["QueueNamePrefix"] = prefix

        async def list_queues(**kwargs: Any) -> Any:
            return await (await self._session.calls("sqs")).list_queues(**kwargs)

        fetch = token_pages_async(list_queues, "QueueUrls", **request)

        async def page(token: Any) -> Page[Queue[str]]:
            raw = await fetch(token)
            return raw.convert(lambda url: Queue(self._session, url))

        return AsyncPaged(page)


class PayloadStore:
    """The S3 side of bodies through S3, awaited: the blocking
    [PayloadStore][awskit.sqs.offload.PayloadStore]'s requests and answers
    (``put_request``, ``DeleteChunk``), under the session's retry rule."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def put(self, payload: Payload, offload: S3Offload) -> None:
        """Store one payload; S3 checks the bytes against their SHA-256 on arrival."""
        s3 = await self._session.calls("s3")
        await s3.put_object(**put_request(payload, offload))

    async def get(self, pointer: S3Pointer) -> bytes:
        """The payload's bytes, read inside the attempt (a connection dropped mid-object
        is retried like one dropped before the answer)."""
        client = await self._session.client("s3")

        async def once() -> bytes:
            response = await client.get_object(Bucket=pointer.bucket, Key=pointer.key)
            async with response["Body"] as body:
                data: bytes = await body.read()
            return data

        session = self._session
        return await call_async(session.retry, once, operation="GetObject", sleep=session.sleep)

    async def delete(self, pointers: Iterable[S3Pointer]) -> list[tuple[S3Pointer, str]]:
        """Delete payloads; best effort: those still there, with the reason."""
        left: list[tuple[S3Pointer, str]] = []
        client = await self._session.client("s3")
        session = self._session
        for chunk in DeleteChunk.plan(pointers):

            async def attempt(pending: list[str], chunk: DeleteChunk = chunk) -> list[str]:
                answer = await client.delete_objects(**chunk.request(pending))
                return chunk.answered(cast(Mapping[str, Any], answer))

            try:
                await drain_async(
                    session.retry, chunk.keys, attempt, what="payloads", sleep=session.sleep
                )
            except Exception as exc:
                left.extend(chunk.leftovers(exc))
            else:
                left.extend(chunk.leftovers())
        return left


class Message(MessageBase[T]):
    """One received message, as [awskit.sqs.Message][awskit.sqs.Message], whose IO is awaited."""

    __slots__ = ()

    @property
    def queue(self) -> Queue[T]:
        """The queue it came from."""
        return cast("Queue[T]", self._queue)

    def _fetch_payload(self, pointer: S3Pointer) -> bytes:
        # The async receive fetches every payload before it hands a message out.
        raise AwskitError(f"the payload {pointer} was not fetched", code="PayloadNotFetched")

    async def _load_payload_async(self) -> None:
        """Fetch and check the S3 payload of a pointer message (see ``_load_payload``)."""
        pointer = self._wants_payload()
        if pointer is None:
            return
        try:
            data = await self.queue._payloads.get(pointer)
        except AwskitError as exc:
            self._payload_failed(pointer, exc)
            return
        self._payload_arrived(pointer, data)

    @translates_errors
    async def delete(self) -> None:
        """Delete it from the queue (its receipt handle must still be current).

        A pointer message's S3 payload is deleted after the message, as the blocking
        [Message.delete][awskit.sqs.Message.delete] does.
        """
        calls = await self.queue._calls()
        await calls.delete_message(QueueUrl=self.queue.url, ReceiptHandle=self.receipt_handle)
        if self.pointer is not None:
            await self.queue._drop_payloads([self])

    @translates_errors
    async def change_visibility(self, seconds: int) -> None:
        """Hide it for ``seconds`` more from now (0 makes it visible again; 12 h cap)."""
        check_visibility(seconds, "seconds")
        calls = await self.queue._calls()
        await calls.change_message_visibility(
            QueueUrl=self.queue.url, ReceiptHandle=self.receipt_handle, VisibilityTimeout=seconds
        )


class Queue(Generic[T]):
    """An SQS queue whose bodies are ``T``, on asyncio ([awskit.sqs.Queue][awskit.sqs.Queue]).

    ``attributes()`` and ``arn()`` are awaited methods here (they may take a request).
    """

    def __init__(
        self,
        session: Session,
        url: str,
        model: type[Any] | None = None,
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

    def __repr__(self) -> str:
        model = self.model.__name__ if self.model is not None else "str"
        return f"Queue(name={self.name!r}, model={model})"

    async def _calls(self) -> SQSClient:
        return await self._session.calls("sqs")

    async def _client(self) -> SQSClient:
        return await self._session.client("sqs")

    @property
    def fifo(self) -> bool:
        """True for a FIFO queue (its name ends in ``.fifo``)."""
        return self.name.endswith(".fifo")

    @translates_errors
    async def attributes(self) -> QueueAttributes:
        """Every attribute, fetched now (counts are approximate and change)."""
        calls = await self._calls()
        response = await calls.get_queue_attributes(QueueUrl=self.url, AttributeNames=["All"])
        attributes = QueueAttributes.from_raw(
            cast(Mapping[str, str], response.get("Attributes", {}))
        )
        self._arn = attributes.arn or self._arn
        self._content_dedup = attributes.content_based_deduplication
        return attributes

    @translates_errors
    async def arn(self) -> str:
        """The queue's ARN (fetched once)."""
        if self._arn is None:
            self._arn = (await self.attributes()).arn
        return self._arn

    # -- sending -------------------------------------------------------------------------

    async def _prepare(self, bodies: Iterable[Any]) -> list[Entry]:
        messages = list(bodies)
        if (
            self.fifo
            and self._content_dedup is None
            and any(not isinstance(m, OutgoingMessage) or m.dedup_id is None for m in messages)
        ):
            # Only after the bodies pass their checks is the queue asked how it deduplicates.
            for m in messages:
                encode_body(m.body if isinstance(m, OutgoingMessage) else m, self.model)
            await self.attributes()
        return [
            prepare_message(
                message,
                index,
                self.model,
                self.fifo,
                self.offload,
                lambda: bool(self._content_dedup),
            )
            for index, message in enumerate(messages)
        ]

    async def _entry(self, message: Any, index: int) -> Entry:
        """Check and encode one message, as the blocking ``Queue._prepare``.

        A FIFO message without a ``dedup_id`` needs to know whether the queue deduplicates
        by content: it is asked (once) only after the message passed every check.
        """

        def entry(content_dedup: Callable[[], bool]) -> Entry:
            return prepare_message(
                message, index, self.model, self.fifo, self.offload, content_dedup
            )

        if self.fifo and self._content_dedup is None:
            asked: list[bool] = []

            def unknown() -> bool:
                asked.append(True)
                return True

            checked = entry(unknown)
            if not asked:
                return checked
            await self.attributes()
        return entry(lambda: bool(self._content_dedup))

    @translates_errors
    async def send(
        self,
        body: T,
        attributes: Mapping[str, object] | None = None,
        delay_seconds: int | None = None,
        group_id: str | None = None,
        dedup_id: str | None = None,
    ) -> SendResult:
        """Send one message, as [Queue.send][awskit.sqs.Queue.send].

        Raises:
            ChecksumMismatch: SQS's MD5s disagreed on every attempt.
        """
        (entry,) = await self._prepare(
            [OutgoingMessage(body, attributes, group_id, dedup_id, delay_seconds)]
        )
        if entry.payload is not None and self.offload is not None:
            # Stored first: a message must never point at a payload that is not there.
            await self._payloads.put(entry.payload, self.offload)
        plan = SendOne(entry, self.name)
        client = await self._client()

        async def attempt(left: list[Entry]) -> list[Entry]:
            answer = await client.send_message(QueueUrl=self.url, **entry.request)
            return plan.answered(cast(Mapping[str, Any], answer), left)

        try:
            await self._drain([entry], attempt, "messages")
        except ClientError:
            # SQS refused the message outright: nothing points at its payload.
            await self._discard_payloads([entry.payload.pointer] if entry.payload else [])
            raise
        except PartialFailure as exc:
            raise plan.gave_up(exc) from exc.last_error or exc
        return plan.results[0]

    async def _drain(
        self, pending: Sequence[Any], attempt: Callable[[list[Any]], Awaitable[Any]], what: str
    ) -> None:
        session = self._session
        await drain_async(session.retry, pending, attempt, what=what, sleep=session.sleep)

    @translates_errors
    async def send_many(
        self,
        bodies: Iterable[T | OutgoingMessage[T]],
        *,
        concurrency: int | None = None,
    ) -> BatchResult:
        """Send any number of messages in batches, as the blocking ``send_many`` does.

        Standard queues send up to ``concurrency`` batches at once (default: the session's
        ``max_concurrency``); FIFO queues one after another, at most one message of a group
        a batch, the rest of a group reported ``GroupStopped`` after a failure.
        """
        entries = await self._prepare(bodies)
        result = BatchResult()
        errors: list[BaseException] = []
        outcomes: list[tuple[list[SendResult], list[BatchFailure], BaseException | None]] = []
        if self.fifo:
            groups = FifoGroups()
            for batch in groups.batches(entries):
                todo = groups.todo(batch, result.failed)
                if todo:
                    outcome = await self._send_batch(todo)
                    groups.record(outcome[1])
                    outcomes.append(outcome)
        else:
            limit = asyncio.Semaphore(concurrency or self._session.max_concurrency)

            async def bounded(batch: list[Entry]) -> Any:
                async with limit:
                    return await self._send_batch(batch)

            batches = pack_batches(entries, lambda e: e.size)
            outcomes = list(await asyncio.gather(*(bounded(batch) for batch in batches)))
        for sent, failed, error in outcomes:
            result.sent.extend(sent)
            result.failed.extend(failed)
            if error is not None:
                errors.append(error)
        finish_batches(result, errors, "SendMessageBatch")
        return result

    def batch_sender(self, *, concurrency: int | None = None) -> BatchSender[T]:
        """An async context manager streaming messages in batches, as the blocking
        [batch_sender][awskit.sqs.Queue.batch_sender] (`awskit.aio.sender`).

        ``await sender.send(body_or_outgoing)`` checks the message at once and queues it;
        up to ``concurrency`` batches (default: the session's ``max_concurrency``) are in
        flight as tasks on a standard queue, one after another on a FIFO queue, and
        ``send`` waits while that many are. On exit, what was not sent after every retry is
        raised in [PartialFailure][awskit.PartialFailure].

        ```python
        async with queue.batch_sender() as sender:
            async for job in jobs:
                await sender.send(job)
        print(sender.sent)
        ```
        """
        from .sender import BatchSender

        return BatchSender(self, concurrency=concurrency)

    async def _send_batch(self, batch: Sequence[Entry], flight: Flight | None = None) -> Outcome:
        """Store the batch's S3 payloads, send what was stored, remove what SQS refused.

        ``flight`` follows the send, for a sender whose task may be cancelled mid-way.
        """
        plan = StoreFirst(batch)
        offload = self.offload
        if flight is not None:
            flight.store = plan if offload is not None else None
        if offload is not None:

            async def store(entry: Entry, payload: Payload) -> None:
                try:
                    await self._payloads.put(payload, offload)
                except Exception as exc:
                    plan.not_stored(entry, exc)

            await asyncio.gather(*(store(entry, payload) for entry, payload in plan.to_store()))
        ready = plan.ready()
        if not ready:
            return plan.outcome()
        outcome = await self._send_stored(ready, flight)
        await self._discard_payloads(plan.refused(outcome))
        return plan.outcome(outcome)

    async def _discard_payloads(self, pointers: Sequence[S3Pointer]) -> None:
        """Delete the payloads of messages SQS certainly did not take."""
        if pointers:
            for pointer, reason in await self._payloads.delete(pointers):
                log.warning("%s: unsent message's payload %s left: %s", self.name, pointer, reason)

    async def _drop_payloads(self, messages: Iterable[MessageBase[Any]]) -> None:
        """After their messages were deleted, delete their payloads if ``offload`` says so."""
        pointers = payloads_to_drop(self.offload, messages)
        if pointers:
            report_leftovers(self.name, await self._payloads.delete(pointers))

    async def _send_stored(self, batch: Sequence[Entry], flight: Flight | None = None) -> Outcome:
        plan = SendBatch(batch, self.name)
        if flight is not None:
            flight.plan = plan
        client = await self._client()

        async def attempt(left: list[Entry]) -> list[Entry]:
            answer = await client.send_message_batch(QueueUrl=self.url, Entries=plan.entries(left))
            return plan.answered(cast(Mapping[str, Any], answer), left)

        try:
            await self._drain(batch, attempt, "messages")
        except Exception as exc:
            return plan.outcome(exc)
        return plan.outcome()

    # -- receiving -----------------------------------------------------------------------

    @translates_errors
    async def receive(
        self,
        max_messages: int = 10,
        wait_seconds: int = 0,
        visibility_timeout: int | None = None,
        attribute_names: Sequence[str] = ("All",),
    ) -> list[Message[T]]:
        """Receive up to ``max_messages``, as [Queue.receive][awskit.sqs.Queue.receive]."""
        request = receive_request(
            self.url, max_messages, wait_seconds, visibility_timeout, attribute_names
        )
        calls = await self._calls()
        answer = await calls.receive_message(**request)
        now = dt.datetime.now(dt.timezone.utc)
        good, corrupt = split_intact(answer.get("Messages", []))
        if corrupt:
            log.warning(
                "%s: %d deliveries failed their MD5 check; made visible again for redelivery",
                self.name,
                len(corrupt),
            )
            await self._change_visibility([str(data["ReceiptHandle"]) for data in corrupt], 0)
        messages: list[Message[T]] = [Message(self, self.model, data, now) for data in good]
        try:
            for message in messages:
                await message._load_payload_async()
        except BaseException:
            # No message is handed out half-read: the whole receive goes back to SQS.
            await asyncio.shield(self._change_visibility([m.receipt_handle for m in messages], 0))
            raise
        return messages

    async def _change_visibility(self, receipt_handles: Sequence[str], seconds: int) -> list[str]:
        """Best effort, under the retry rule: the handles whose visibility did change."""
        changed: list[str] = []
        client = await self._client()
        for start in range(0, len(receipt_handles), MAX_BATCH_ENTRIES):
            plan = VisibilityBatch(receipt_handles[start : start + MAX_BATCH_ENTRIES], seconds)

            async def attempt(left: list[int], plan: VisibilityBatch = plan) -> list[int]:
                answer = await client.change_message_visibility_batch(
                    QueueUrl=self.url, Entries=plan.entries(left)
                )
                return plan.answered(cast(Mapping[str, Any], answer), left)

            try:
                await self._drain(list(range(len(plan.handles))), attempt, "changes")
            except Exception as exc:
                log.warning(
                    "%s: ChangeMessageVisibilityBatch failed: %s",
                    self.name,
                    translate_any(exc, "ChangeMessageVisibilityBatch"),
                )
            changed.extend(plan.changed)
        return changed

    @translates_errors
    async def messages(
        self,
        wait_seconds: int = 20,
        stop_when_empty: bool = True,
        *,
        visibility_timeout: int | None = None,
        attribute_names: Sequence[str] = ("All",),
    ) -> AsyncIterator[Message[T]]:
        """Receive in a loop, yielding each message (not deleted for you).

        With ``stop_when_empty`` it ends on the first receive that returns nothing.
        """
        while True:
            batch = await self.receive(
                MAX_BATCH_ENTRIES, wait_seconds, visibility_timeout, attribute_names
            )
            if not batch and stop_when_empty:
                return
            for message in batch:
                yield message

    @translates_errors
    async def delete_messages(self, messages: Iterable[Message[T]]) -> BatchResult:
        """Delete received messages in batches of 10, as the blocking ``delete_messages``."""
        items = unique_messages(messages)
        result = BatchResult()
        errors: list[BaseException] = []
        client = await self._client()
        for start in range(0, len(items), MAX_BATCH_ENTRIES):
            plan = DeleteBatch(items[start : start + MAX_BATCH_ENTRIES], result)

            async def attempt(left: list[str], plan: DeleteBatch = plan) -> list[str]:
                answer = await client.delete_message_batch(
                    QueueUrl=self.url, Entries=plan.entries(left)
                )
                return plan.answered(cast(Mapping[str, Any], answer), left)

            try:
                await self._drain(list(plan.by_id), attempt, "deletes")
            except Exception as exc:
                error = plan.outcome(exc)
                if error is not None:
                    errors.append(error)
        by_index = dict(items)
        await self._drop_payloads(by_index[r.index] for r in result.sent)
        finish_batches(result, errors, "DeleteMessageBatch")
        return result

    async def process(
        self,
        handler: Callable[[Message[T]], Awaitable[object]],
        concurrency: int = 32,
        wait_seconds: int = 20,
        stop_when_empty: bool = False,
        max_messages: int | None = None,
        *,
        visibility_timeout: int | None = None,
        failure_backoff: Callable[[int], int] | None = None,
    ) -> ProcessStats:
        """Consume the queue, up to ``concurrency`` handlers at once (`awskit.aio.consumer`).

        ``await handler(message)``; a success is deleted (batched), a failure left for
        redelivery (after ``failure_backoff(receive_count)`` seconds when given), an
        invalid body counted and left for the dead-letter queue. Visibility is extended
        while a handler runs. Transient failures back off and go on. SIGINT/SIGTERM stop
        it gracefully (handlers in hand finish); cancelling the task cancels the handlers
        in hand and hands their messages back at once.
        """
        from .consumer import Consumer

        consumer = Consumer(
            self,
            handler,
            concurrency=concurrency,
            wait_seconds=wait_seconds,
            stop_when_empty=stop_when_empty,
            max_messages=max_messages,
            visibility_timeout=visibility_timeout,
            failure_backoff=failure_backoff,
        )
        return await consumer.run()

    # -- the queue itself ----------------------------------------------------------------

    @translates_errors
    async def purge(self) -> None:
        """Delete every message (SQS allows one purge per queue every 60 seconds)."""
        await (await self._calls()).purge_queue(QueueUrl=self.url)

    @translates_errors
    async def delete(self) -> None:
        """Delete the queue and its messages."""
        await (await self._calls()).delete_queue(QueueUrl=self.url)
