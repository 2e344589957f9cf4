"""The consumer loop behind [awskit.aio.sqs.Queue.process][awskit.aio.sqs.Queue.process].

One receive loop long-polls batches while fewer than ``concurrency`` handlers run, and
starts a task per message; successes go to one deleter task, which deletes them in batches
of up to 10 as they come; a heartbeat task extends the visibility of every message in hand
once half its timeout is gone (never past the 12 hours SQS allows after a receive).

Stopping: SIGINT/SIGTERM (when the loop runs in the main thread) or ``stop_when_empty``
end the receiving; handlers in hand finish and their successes are deleted. Cancelling the
``process()`` task cancels the handlers in hand, hands their messages back to SQS at once
(visibility 0), deletes the successes already done, and re-raises ``CancelledError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic

from .._errors import AwskitError, logger
from .._retry import classify, outlasted
from ..sqs.codec import MAX_BATCH_ENTRIES, MAX_VISIBILITY_SECONDS
from ..sqs.models import InvalidMessage, ProcessStats, T
from ..sqs.process import check_run

if TYPE_CHECKING:
    from .sqs import Message, Queue

__all__ = ["Consumer", "extension", "transient"]

log = logger("awskit.sqs")

# Margin kept below the 12 h cap: clocks differ, and SQS rejects the whole change if the
# total goes one second over.
_CAP_MARGIN = 60.0


def transient(exc: BaseException) -> bool:
    """True for a failure that left a call after every retry but may pass with time."""
    if outlasted(exc):
        return True
    cause = exc.__cause__
    return isinstance(exc, AwskitError) and cause is not None and classify(cause) is not None


def extension(now: float, received_at: float, hidden_until: float, timeout: int) -> int | None:
    """Seconds to extend a message's visibility by now, or ``None`` when not due.

    Due once half of ``timeout`` is left before ``hidden_until``; never past 12 hours
    after ``received_at`` (SQS's cap per receive).
    """
    if hidden_until - now > timeout / 2:
        return None
    left = MAX_VISIBILITY_SECONDS - (now - received_at) - _CAP_MARGIN
    seconds = int(min(timeout, left))
    return seconds if seconds > 0 else None


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
        # receipt handle -> (message, received at, hidden until)
        self.held: dict[str, list[Any]] = {}
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
            for task in self.handlers:
                task.cancel()
            await asyncio.gather(*self.handlers, return_exceptions=True)
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
        return self.stats

    def _on_signal(self, signum: int) -> None:
        log.info(
            "%s: signal %d: finishing messages in hand, then stopping", self.queue.name, signum
        )
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
            try:
                batch = await self.queue.receive(free, self.wait_seconds, self.visibility_timeout)
            except Exception as exc:
                for _ in range(free):
                    slots.release()
                if not transient(exc):
                    raise
                streak += 1
                log.warning("%s: receive failed, backing off: %s", self.queue.name, exc)
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
            now = self.clock()
            for message in batch:
                self.held[message.receipt_handle] = [message, now, now + self.timeout]
                task = asyncio.create_task(self._handle(message, slots))
                self.handlers.add(task)
                task.add_done_callback(self.handlers.discard)

    async def _pause(self, streak: int) -> None:
        seconds = self.queue._session.retry.backoff(streak)
        sleep = self.queue._session.sleep
        if sleep is not None:
            await sleep(seconds)
            return
        # Wakes as soon as the run is told to stop: SIGTERM never waits out a backoff.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.stop.wait(), seconds)

    async def _handle(self, message: Message[T], slots: asyncio.Semaphore) -> None:
        try:
            try:
                message.body  # noqa: B018 - validate before the handler sees it
            except InvalidMessage as exc:
                # Never deleted: after maxReceiveCount SQS moves it to the dead-letter queue.
                log.warning("%s: %s; left for the dead-letter queue", self.queue.name, exc)
                self.stats.invalid += 1
                self.held.pop(message.receipt_handle, None)
                return
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
                self.held.pop(message.receipt_handle, None)
                if self.failure_backoff is not None:
                    seconds = int(self.failure_backoff(message.receive_count))
                    seconds = max(0, min(seconds, MAX_VISIBILITY_SECONDS))
                    await self.queue._change_visibility([message.receipt_handle], seconds)
                return
            self.stats.succeeded += 1
            # Still held (and kept hidden by the heartbeat) until the deleter is done with it.
            self.held[message.receipt_handle][0] = None
            self.done.put_nowait(message)
        finally:
            slots.release()

    async def _deleter(self) -> None:
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
            if batch:
                await self._delete(batch)

    async def _delete(self, batch: list[Message[T]]) -> None:
        try:
            result = await self.queue.delete_messages(batch)
        except Exception as exc:
            log.warning(
                "%s: %d messages handled but not deleted (%s); they will come back",
                self.queue.name,
                len(batch),
                exc,
            )
        else:
            for failure in result.failed:
                log.warning(
                    "%s: message %s handled but not deleted (%s); it will come back",
                    self.queue.name,
                    failure.entry.message_id,
                    failure.code,
                )
        for message in batch:
            self.held.pop(message.receipt_handle, None)

    async def _heartbeat(self) -> None:
        tick = min(5.0, max(0.1, self.timeout / 4))
        while True:
            await asyncio.sleep(tick)
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
