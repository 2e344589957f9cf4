"""Streaming sends on asyncio: [BatchSender][awskit.aio.sender.BatchSender], the engine of
``awskit.aio``'s ``Queue.batch_sender()``.

A thin shell over the blocking sender's decisions (`awskit.sqs.sending`): messages are
checked by ``prepare_message``, packed by ``BatchFill`` (10 entries, 1 MiB), FIFO windows
gathered by ``FifoWindow`` and cut by ``FifoGroups``, answers read by ``SendBatch`` (through
the queue's ``_send_batch``, S3 offload included), failures reported by ``unsent`` and
``not_sent``. Only the waiting differs: each batch is a task, at most ``concurrency`` of
them (one on a FIFO queue) are in flight, and ``send`` awaits a free slot, so memory holds
at most ``concurrency`` batches in flight and the one being filled (a FIFO window on a FIFO
queue), plus what failed.
"""

from __future__ import annotations

import asyncio
import functools
from types import TracebackType
from typing import TYPE_CHECKING, Generic

from .._errors import InvalidInput
from ..sqs.models import BatchFailure, OutgoingMessage, T
from ..sqs.sending import (
    BatchFill,
    Entry,
    FifoGroups,
    FifoWindow,
    Flight,
    not_sent,
    sender_concurrency,
    unsent,
)
from ._tasks import cancel_and_wait

if TYPE_CHECKING:
    from .sqs import Queue

__all__ = ["BatchSender"]

_CANCELLED = "not sent: the sender was cancelled"


class BatchSender(Generic[T]):
    """Streams messages to one queue in batches; use it as an async context manager.

    Get one from ``queue.batch_sender()`` of an [awskit.aio][awskit.aio] queue. It behaves
    as the blocking [BatchSender][awskit.sqs.sender.BatchSender]:
    [send][awskit.aio.sender.BatchSender.send] checks a message at once (a wrong one raises
    [InvalidInput][awskit.InvalidInput] and nothing of it is sent); batches of up to 10
    messages and 1 MiB go out as tasks, up to ``concurrency`` at once on a standard queue,
    one after another on a FIFO queue (order within a group kept; after a message of a
    group fails for good, the rest of the group is reported ``GroupStopped``). ``send``
    waits while ``concurrency`` batches are in flight. On exit everything queued is sent
    and waited for.

    Cancelling the ``async with`` body (or a ``flush``/``close``) cancels the batches in
    flight and sends nothing more: every message not known sent is in ``failed`` (code
    ``CancelledError``; one whose request was in flight may have reached SQS all the same)
    and the cancellation goes on; no task outlives the sender.

    Attributes:
        sent: messages SQS has accepted so far.
        failed: the [BatchFailure][awskit.sqs.BatchFailure] records of messages not sent
            after every retry, so far (``index`` counts from 0 in the order given).

    Raises (on exit, or from [flush][awskit.aio.sender.BatchSender.flush]):
        PartialFailure: ``.failed`` lists exactly the messages not sent, as
            [BatchFailure][awskit.sqs.BatchFailure] records like ``send_many``'s;
            ``.last_error`` is the last error seen.

    ```python
    async with queue.batch_sender() as sender:
        for job in jobs:
            await sender.send(job)
    print(sender.sent)
    ```
    """

    def __init__(self, queue: Queue[T], *, concurrency: int | None = None) -> None:
        self._queue = queue
        self._fifo = queue.fifo
        most = sender_concurrency(concurrency, queue._session.max_concurrency)
        # A FIFO queue's batches go one after another: a retry never reorders a group, and
        # a failure stops its group before the group's next batch may start.
        self._slots = asyncio.Semaphore(1 if self._fifo else most)
        # Keeps send() and flush() calls whole, as the blocking sender's producer lock.
        self._producer = asyncio.Lock()
        self._fill = BatchFill()
        self._window = FifoWindow()
        self._groups = FifoGroups()
        self._tasks: set[asyncio.Task[None]] = set()
        self._next = 0
        self.sent = 0
        self.failed: list[BatchFailure] = []
        self._last_error: BaseException | None = None
        self._reported = 0
        self._closed = False

    def __repr__(self) -> str:
        name, failed = self._queue.name, len(self.failed)
        return f"BatchSender(queue={name!r}, sent={self.sent}, failed={failed})"

    async def send(self, message: T | OutgoingMessage[T]) -> None:
        """Check ``message`` (a body or an [OutgoingMessage][awskit.sqs.OutgoingMessage]),
        queue it; wait while ``concurrency`` batches are in flight.

        Raises:
            InvalidInput: the message breaks a limit (body type or size, attributes, delay,
                group or deduplication id); nothing of it is queued or sent.
        """
        async with self._producer:
            if self._closed:
                raise InvalidInput("sender", "this batch sender is closed")
            entry = await self._queue._entry(message, self._next)
            self._next += 1
            if self._fifo:
                window = self._window.add(entry)
                if window is not None:
                    await self._send_window(window)
                return
            full = self._fill.add(entry)
            if full is not None:
                await self._launch(full)

    async def _launch(self, batch: list[Entry]) -> asyncio.Task[None]:
        """Start sending ``batch`` once a slot is free; its task reports to `_landed`."""
        try:
            await self._slots.acquire()
        except BaseException as exc:
            self._lost(batch, exc)
            raise
        flight = Flight(batch)
        task = asyncio.create_task(self._fly(flight))
        self._tasks.add(task)
        task.add_done_callback(functools.partial(self._landed, flight))
        return task

    async def _fly(self, flight: Flight) -> None:
        flight.outcome = await self._queue._send_batch(flight.batch, flight)

    def _landed(self, flight: Flight, task: asyncio.Task[None]) -> None:
        """Account for a batch once its task is done, even one cancelled before it ran."""
        self._tasks.discard(task)
        if flight.outcome is None:
            if task.cancelled():
                stopped: BaseException = asyncio.CancelledError(_CANCELLED)
            else:
                # _send_batch answers every error of SQS or S3 with the entries; this is
                # a last resort, so that nothing given is ever lost.
                stopped = task.exception() or RuntimeError("the batch's task ended unanswered")
            flight.outcome = flight.cut_short(stopped)
        sent, failed, error = flight.outcome
        self.sent += len(sent)
        self.failed.extend(failed)
        if error is not None:
            self._last_error = error
        if self._fifo:
            self._groups.record(failed)
        self._slots.release()

    def _lost(self, entries: list[Entry], exc: BaseException) -> None:
        """Report ``entries`` (of batches cut from a window, on a FIFO queue), which ``exc``
        stopped before they went out, as not sent; their groups go no further."""
        lost = unsent(entries, exc, _CANCELLED)
        self.failed.extend(lost)
        if self._fifo:
            self._groups.record(lost)

    async def _send_window(self, window: list[Entry]) -> None:
        groups = self._groups
        batches = groups.batches(window)
        for position, batch in enumerate(batches):
            todo = groups.todo(batch, self.failed)
            if not todo:
                continue
            try:
                task = await self._launch(todo)
                try:
                    await asyncio.wait({task})
                except BaseException:
                    task.cancel()
                    raise
            except BaseException as exc:
                # The window's later batches are reported, not dropped.
                self._lost([e for later in batches[position + 1 :] for e in later], exc)
                raise

    async def flush(self) -> None:
        """Send everything queued and wait for it.

        Raises:
            PartialFailure: messages not sent after every retry (since the last report).
        """
        async with self._producer:
            try:
                if self._fifo:
                    await self._send_window(self._window.take())
                else:
                    batch = self._fill.take()
                    if batch:
                        await self._launch(batch)
                while self._tasks:
                    await asyncio.wait(set(self._tasks))
            except BaseException as exc:
                await self._abort(exc)
                raise
        failed = sorted(self.failed[self._reported :], key=lambda f: f.index)
        self._reported = len(self.failed)
        if failed:
            raise not_sent(self._queue.name, failed, self._last_error)

    async def _abort(self, exc: BaseException) -> None:
        """Cancel what is in flight; report it, and what was still queued, as not sent."""
        self.failed.extend(unsent(self._fill.take() + self._window.take(), exc, _CANCELLED))
        await cancel_and_wait(self._tasks)

    async def close(self) -> None:
        """Flush; the sender then takes no more messages (``async with`` closes it on exit).

        Raises:
            PartialFailure: messages not sent after every retry (since the last report).
        """
        try:
            await self.flush()
        finally:
            self._closed = True

    async def aclose(self) -> None:
        """The same as [close][awskit.aio.sender.BatchSender.close], by asyncio's name
        (``contextlib.aclosing``)."""
        await self.close()

    async def __aenter__(self) -> BatchSender[T]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None or isinstance(exc, Exception):
            # As the blocking sender: what was queued before an exception is still sent.
            await self.close()
            return
        # Cancelled (or interrupted): nothing more is sent, and the cancellation goes on;
        # what was not sent stays in `failed`.
        self._closed = True
        await self._abort(exc)
