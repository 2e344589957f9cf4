"""The consumer loop behind [awskit.aio.sqs.Queue.process][awskit.aio.sqs.Queue.process].

One receive loop long-polls batches while fewer than ``concurrency`` messages are in hand,
and starts a task per message (on a FIFO queue, per message group of each receive, which
handles its messages in order and stops the group at its first failure, as the blocking
consumer does); successes go to one deleter task, which deletes them in batches of up to 10
as they come; a heartbeat task extends the visibility of every message in hand once half
its timeout is gone (never past the 12 hours SQS allows after each receive).

Every decision is the blocking consumer's, from ``awskit.sqs.process``: ``extension``
(when and by how much to extend), ``transient`` (which failures to back off from),
``group_of`` (what stops together), ``judge_deletes`` (what a delete came to) and
``hide_failed`` (how long a failed message stays hidden).

Stopping: SIGINT/SIGTERM (when the loop runs in the main thread), ``stop_when_empty`` or
an error no wait mends end the receiving; handlers in hand finish, their successes are
deleted, messages received but not yet handled are handed back, then the error is raised.
Cancelling the ``process()`` task cancels the handlers in hand, hands their messages back to
SQS at once (visibility 0), deletes the successes already done, and re-raises ``CancelledError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic

from .._errors import logger
from ..sqs.codec import MAX_BATCH_ENTRIES
from ..sqs.models import InvalidMessage, ProcessStats, T
from ..sqs.process import (
    check_run,
    extension,
    group_of,
    hide_failed,
    judge_deletes,
    transient,
)
from ._tasks import cancel_and_wait

if TYPE_CHECKING:
    from .sqs import Message, Queue

__all__ = ["Consumer"]

log = logger("awskit.sqs")


class Consumer(Generic[T]):
    """One ``process()`` run: receive loop, handler tasks, deleter and heartbeat."""

    def __init__(
        self,
        queue: Queue[T],
        handler: Callable[[Message[T]], Awaitable[object]],
        *,
        concurrency: int,
        wait_seconds: int,
        stop_when_empty: bool,
        max_messages: int | None,
        visibility_timeout: int | None,
        failure_backoff: Callable[[int], int] | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        check_run(
            handler, "concurrency", concurrency, wait_seconds, max_messages, visibility_timeout
        )
        self.queue = queue
        self.handler = handler
        self.concurrency = concurrency
        self.wait_seconds = wait_seconds
        self.stop_when_empty = stop_when_empty
        self.left = max_messages
        self.visibility_timeout = visibility_timeout
        self.failure_backoff = failure_backoff
        self.clock = clock
        self.stats = ProcessStats()
        self.stop = asyncio.Event()
        self.errors: list[BaseException] = []
        # receipt handle -> [message (None once handled), received at, hidden until]
        self.held: dict[str, list[Any]] = {}
        # A release and a heartbeat's extension never interleave: a beat in flight must not
        # hide again a message just made visible (a stopped group, a handed-back message).
        self.changing = asyncio.Lock()
        self.handlers: set[asyncio.Task[None]] = set()
        self.done: asyncio.Queue[Message[T] | None] = asyncio.Queue()
        self.timeout = 0

    async def run(self) -> ProcessStats:
        """Consume until told to stop; see the module docstring."""
        self.timeout = (
            self.visibility_timeout
            if self.visibility_timeout is not None
            else (await self.queue.attributes()).visibility_timeout
        )
        loop = asyncio.get_running_loop()
        signals: list[signal.Signals] = []
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.add_signal_handler(signum, self._on_signal, signum)
                except (NotImplementedError, RuntimeError):  # pragma: no cover - not Unix
                    continue
                signals.append(signum)
        deleter = asyncio.create_task(self._deleter())
        heartbeat = asyncio.create_task(self._heartbeat()) if self.timeout > 0 else None
        try:
            await self._receive_loop()
            if self.handlers:
                await asyncio.gather(*self.handlers, return_exceptions=True)
        except BaseException:
            await cancel_and_wait(self.handlers)
            # Whatever is still in hand was not handled: back to SQS at once.
            in_hand = [h for h, (m, *_) in self.held.items() if m is not None]
            if in_hand:
                await asyncio.shield(self.queue._change_visibility(in_hand, 0))
            raise
        finally:
            self.done.put_nowait(None)
            await asyncio.shield(deleter)
            if heartbeat is not None:
                heartbeat.cancel()
                await asyncio.gather(heartbeat, return_exceptions=True)
            for signum in signals:
                loop.remove_signal_handler(signum)
        if self.errors:
            raise self.errors[0]
        return self.stats

    def _on_signal(self, signum: int) -> None:
        log.info(
            "%s: signal %d: finishing messages in hand, then stopping", self.queue.name, signum
        )
        self.stop.set()

    def _fail(self, exc: BaseException) -> None:
        """Stop the run; ``exc`` is raised once the messages in hand are done."""
        self.errors.append(exc)
        self.stop.set()

    async def _receive_loop(self) -> None:
        streak = 0
        slots = asyncio.Semaphore(self.concurrency)
        while not self.stop.is_set():
            wanted = MAX_BATCH_ENTRIES if self.left is None else min(MAX_BATCH_ENTRIES, self.left)
            if wanted == 0:
                return
            await slots.acquire()
            free = 1
            while free < wanted and not slots.locked():
                await slots.acquire()
                free += 1
            # The time the request is sent is the earliest SQS can have started both the
            # visibility timeout and the 12 hours: counting from it never extends too late.
            sent_at = self.clock()
            try:
                batch = await self.queue.receive(free, self.wait_seconds, self.visibility_timeout)
            except Exception as exc:
                for _ in range(free):
                    slots.release()
                if not transient(exc):
                    self._fail(exc)
                    return
                streak += 1
                log.warning(
                    "%s: ReceiveMessage failed after every retry (%s); backing off and going on",
                    self.queue.name,
                    exc,
                )
                await self._pause(streak)
                continue
            streak = 0
            for _ in range(free - len(batch)):
                slots.release()
            if self.left is not None:
                self.left -= len(batch)
            if not batch:
                if self.stop_when_empty:
                    return
                continue
            for message in batch:
                self.held[message.receipt_handle] = [message, sent_at, sent_at + self.timeout]
            for chain in self._chains(batch):
                task = asyncio.create_task(self._run_chain(chain, slots))
                self.handlers.add(task)
                task.add_done_callback(self.handlers.discard)

    def _chains(self, batch: list[Message[T]]) -> list[list[Message[T]]]:
        """What runs one after another: a FIFO group's messages of one receive, in order;
        every other message on its own."""
        chains: list[list[Message[T]]] = []
        groups: dict[str, list[Message[T]]] = {}
        for message in batch:
            group = group_of(message, self.queue.fifo)
            if group is None:
                chains.append([message])
            elif group in groups:
                groups[group].append(message)
            else:
                groups[group] = [message]
                chains.append(groups[group])
        return chains

    async def _pause(self, streak: int) -> None:
        seconds = self.queue._session.retry.backoff(streak)
        sleep = self.queue._session.sleep
        if sleep is not None:
            await sleep(seconds)
            return
        # Wakes as soon as the run is told to stop: SIGTERM never waits out a backoff.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.stop.wait(), seconds)

    async def _release(self, messages: list[Message[T]], seconds: int) -> None:
        """Stop watching ``messages`` and set their visibility to ``seconds`` from now."""
        async with self.changing:
            for message in messages:
                self.held.pop(message.receipt_handle, None)
            await self.queue._change_visibility([m.receipt_handle for m in messages], seconds)

    async def _run_chain(self, chain: list[Message[T]], slots: asyncio.Semaphore) -> None:
        try:
            for position, message in enumerate(chain):
                if self.stop.is_set():
                    # Stopping: hand the untouched rest back to SQS for other consumers.
                    await self._release(chain[position:], 0)
                    return
                if not await self._handle(message) and position + 1 < len(chain):
                    # The group's failed message is still in flight, so SQS delivers none of
                    # its group until it is visible again: these become receivable at once,
                    # yet come back only after it, in order.
                    log.info(
                        "%s: %d messages of group %s held back behind a failure; they come "
                        "back after it, in order",
                        self.queue.name,
                        len(chain) - position - 1,
                        message.group_id,
                    )
                    await self._release(chain[position + 1 :], 0)
                    return
        finally:
            for _ in chain:
                slots.release()

    async def _handle(self, message: Message[T]) -> bool:
        try:
            message.body  # noqa: B018 - validate before the handler sees it
        except InvalidMessage as exc:
            # Never deleted: after maxReceiveCount SQS moves it to the dead-letter queue.
            log.warning("%s: %s; left for the dead-letter queue", self.queue.name, exc)
            self.stats.invalid += 1
            self.held.pop(message.receipt_handle, None)
            return False
        try:
            await self.handler(message)
        except Exception:
            log.warning(
                "%s: handler failed on message %s; left for redelivery",
                self.queue.name,
                message.message_id,
                exc_info=True,
            )
            self.stats.failed += 1
            seconds = hide_failed(self.failure_backoff, message)
            if seconds is not None:
                await self._release([message], seconds)
            else:
                self.held.pop(message.receipt_handle, None)
            return False
        # Still held (and kept hidden by the heartbeat) until the deleter is done with it.
        self.held[message.receipt_handle][0] = None
        self.done.put_nowait(message)
        return True

    async def _deleter(self) -> None:
        streak = 0
        finished = False
        while not finished:
            first = await self.done.get()
            batch = [] if first is None else [first]
            finished = first is None
            while len(batch) < MAX_BATCH_ENTRIES and not self.done.empty():
                more = self.done.get_nowait()
                if more is None:
                    finished = True
                    break
                batch.append(more)
            if not batch:
                continue
            if await self._delete(batch):
                streak = 0
            else:
                streak += 1
                await self._pause(streak)

    async def _delete(self, batch: list[Message[T]]) -> bool:
        """Delete handled messages; False when a failure that may pass got in the way."""
        try:
            result = await self.queue.delete_messages(batch)
        except Exception as exc:
            outcome = judge_deletes(self.queue.name, batch, None, exc)
        else:
            outcome = judge_deletes(self.queue.name, batch, result)
        for message in outcome.succeeded + outcome.undeleted:
            self.held.pop(message.receipt_handle, None)
        self.stats.succeeded += len(outcome.succeeded)
        self.stats.undeleted += len(outcome.undeleted)
        if outcome.fatal is not None:
            self._fail(outcome.fatal)
        return outcome.settled

    async def _heartbeat(self) -> None:
        tick = min(5.0, max(0.1, self.timeout / 4))
        while True:
            await asyncio.sleep(tick)
            async with self.changing:
                now = self.clock()
                due: dict[int, list[str]] = {}
                for handle, (_, received_at, hidden_until) in list(self.held.items()):
                    seconds = extension(now, received_at, hidden_until, self.timeout)
                    if seconds is not None:
                        due.setdefault(seconds, []).append(handle)
                for seconds, handles in due.items():
                    for handle in await self.queue._change_visibility(handles, seconds):
                        if handle in self.held:
                            self.held[handle][2] = now + seconds
