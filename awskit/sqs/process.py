"""The consumer loop behind [awskit.sqs.Queue.process][awskit.sqs.Queue.process].

``workers`` threads each long-poll a batch, run the handler on its messages one by one and
delete the successes in one ``DeleteMessageBatch``, as a hand-tuned boto3 consumer would.
One heartbeat thread watches every message received and not yet finished: once half of
its visibility timeout has passed it extends it by another timeout, in batches, until the
12 hour cap SQS puts on a message's total invisibility (counted from its first receive).
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any, Generic

from .._errors import InvalidInput, logger
from .codec import MAX_BATCH_ENTRIES, MAX_VISIBILITY_SECONDS, check_visibility
from .models import InvalidMessage, Message, ProcessStats, T

if TYPE_CHECKING:
    from .queue import Queue

__all__ = [
    "backoff_by_receive_count",
    "run",
]

log = logger("awskit.sqs")

# Margin kept below the 12 h cap: clocks differ, and SQS rejects the whole change if the
# total goes one second over.
_CAP_MARGIN = 60.0


class _Budget:
    """How many messages may still be received (``max_messages``)."""

    def __init__(self, total: int | None) -> None:
        self._left = total
        self._lock = threading.Lock()

    def claim(self, wanted: int) -> int:
        with self._lock:
            if self._left is None:
                return wanted
            granted = min(wanted, self._left)
            self._left -= granted
            return granted

    def refund(self, unused: int) -> None:
        with self._lock:
            if self._left is not None:
                self._left += unused


class _Heartbeat(threading.Thread):
    """Extends the visibility of messages still in hand once half their timeout is gone."""

    def __init__(self, queue: Queue[Any], timeout: int, clock: Callable[[], float]) -> None:
        super().__init__(name="awskit-sqs-heartbeat", daemon=True)
        self._queue = queue
        self._timeout = timeout
        self._clock = clock
        # receipt handle -> [hidden until, first received]
        self._held: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self._done = threading.Event()
        self.extensions = 0

    def hold(self, messages: list[Message[Any]]) -> None:
        now = self._clock()
        with self._lock:
            for message in messages:
                first = now
                stamp = message.system_attributes.get("ApproximateFirstReceiveTimestamp")
                if stamp:
                    first = min(now, now - (time.time() - int(stamp) / 1000))
                self._held[message.receipt_handle] = [now + self._timeout, first]

    def drop(self, message: Message[Any]) -> None:
        with self._lock:
            self._held.pop(message.receipt_handle, None)

    def stop(self) -> None:
        self._done.set()
        self.join()

    def run(self) -> None:
        tick = min(5.0, max(0.1, self._timeout / 4))
        while not self._done.wait(tick):
            self.beat()

    def beat(self) -> None:
        now = self._clock()
        due: dict[int, list[str]] = {}
        with self._lock:
            for handle, (hidden_until, first) in self._held.items():
                if hidden_until - now > self._timeout / 2:
                    continue
                left = MAX_VISIBILITY_SECONDS - (now - first) - _CAP_MARGIN
                seconds = int(min(self._timeout, left))
                if seconds > 0:
                    due.setdefault(seconds, []).append(handle)
        for seconds, handles in due.items():
            changed = self._queue._change_visibility(handles, seconds)
            self.extensions += len(changed)
            with self._lock:
                for handle in changed:
                    if handle in self._held:
                        self._held[handle][0] = now + seconds


class _Consumer(Generic[T]):
    def __init__(
        self,
        queue: Queue[T],
        handler: Callable[[Message[T]], object],
        *,
        wait_seconds: int,
        stop_when_empty: bool,
        budget: _Budget,
        visibility_timeout: int | None,
        failure_backoff: Callable[[int], int] | None,
        heartbeat: _Heartbeat | None,
    ) -> None:
        self.queue = queue
        self.handler = handler
        self.wait_seconds = wait_seconds
        self.stop_when_empty = stop_when_empty
        self.budget = budget
        self.visibility_timeout = visibility_timeout
        self.failure_backoff = failure_backoff
        self.heartbeat = heartbeat
        self.stats = ProcessStats()
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()

    def count(self, field: str) -> None:
        with self._lock:
            setattr(self.stats, field, getattr(self.stats, field) + 1)

    def worker(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # surfaced by run() once every worker has stopped
            self.errors.append(exc)
            self.stop.set()

    def _loop(self) -> None:
        while not self.stop.is_set():
            wanted = self.budget.claim(MAX_BATCH_ENTRIES)
            if wanted == 0:
                return
            try:
                batch = self.queue.receive(wanted, self.wait_seconds, self.visibility_timeout)
            except BaseException:
                self.budget.refund(wanted)
                raise
            self.budget.refund(wanted - len(batch))
            if not batch:
                if self.stop_when_empty:
                    return
                continue
            if self.heartbeat is not None:
                self.heartbeat.hold(batch)
            done: list[Message[T]] = []
            for position, message in enumerate(batch):
                if self.stop.is_set():
                    # Stopping: hand the untouched rest back to SQS for other consumers.
                    rest = batch[position:]
                    self._forget(rest)
                    self.queue._change_visibility([m.receipt_handle for m in rest], 0)
                    break
                if self._handle(message):
                    done.append(message)
                self._forget([message])
            if done:
                result = self.queue.delete_messages(done)
                for failure in result.failed:
                    log.warning(
                        "%s: message %s handled but not deleted (%s); it will come back",
                        self.queue.name,
                        failure.entry.message_id,
                        failure.code,
                    )

    def _forget(self, messages: list[Message[T]]) -> None:
        if self.heartbeat is not None:
            for message in messages:
                self.heartbeat.drop(message)

    def _handle(self, message: Message[T]) -> bool:
        try:
            message.body  # noqa: B018 - validate before the handler sees it
        except InvalidMessage as exc:
            # Never deleted: after maxReceiveCount SQS moves it to the dead-letter queue.
            log.warning("%s: %s; left for the dead-letter queue", self.queue.name, exc)
            self.count("invalid")
            return False
        try:
            self.handler(message)
        except Exception:
            log.warning(
                "%s: handler failed on message %s; left for redelivery",
                self.queue.name,
                message.message_id,
                exc_info=True,
            )
            self.count("failed")
            if self.failure_backoff is not None:
                seconds = int(self.failure_backoff(message.receive_count))
                seconds = max(0, min(seconds, MAX_VISIBILITY_SECONDS))
                self.queue._change_visibility([message.receipt_handle], seconds)
            return False
        self.count("succeeded")
        return True


def run(
    queue: Queue[T],
    handler: Callable[[Message[T]], object],
    *,
    workers: int = 8,
    wait_seconds: int = 20,
    stop_when_empty: bool = False,
    max_messages: int | None = None,
    visibility_timeout: int | None = None,
    failure_backoff: Callable[[int], int] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> ProcessStats:
    """Run the consumer loop; see [awskit.sqs.Queue.process][awskit.sqs.Queue.process]."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidInput("workers", "must be a positive integer")
    if isinstance(wait_seconds, bool) or not 0 <= wait_seconds <= 20:
        raise InvalidInput("wait_seconds", "must be from 0 to 20")
    if max_messages is not None and (isinstance(max_messages, bool) or max_messages < 0):
        raise InvalidInput("max_messages", "must be None or a non-negative integer")
    if visibility_timeout is not None:
        check_visibility(visibility_timeout)
    if not callable(handler):
        raise InvalidInput("handler", "must be callable with one Message")
    timeout = (
        visibility_timeout
        if visibility_timeout is not None
        else queue.attributes.visibility_timeout
    )
    heartbeat = _Heartbeat(queue, timeout, clock) if timeout > 0 else None
    consumer = _Consumer(
        queue,
        handler,
        wait_seconds=wait_seconds,
        stop_when_empty=stop_when_empty,
        budget=_Budget(max_messages),
        visibility_timeout=visibility_timeout,
        failure_backoff=failure_backoff,
        heartbeat=heartbeat,
    )
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():

        def on_signal(signum: int, frame: FrameType | None) -> None:
            log.info("%s: signal %d: finishing messages in hand, then stopping", queue.name, signum)
            consumer.stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
    threads = [
        threading.Thread(target=consumer.worker, name=f"awskit-sqs-worker-{n}", daemon=True)
        for n in range(workers)
    ]
    try:
        if heartbeat is not None:
            heartbeat.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            # A timed join keeps the main thread responsive to signals.
            while thread.is_alive():
                thread.join(0.2)
    finally:
        consumer.stop.set()
        for thread in threads:
            if thread.ident is not None:
                thread.join()
        if heartbeat is not None and heartbeat.ident is not None:
            heartbeat.stop()
        for signum, handler_before in previous.items():
            signal.signal(signum, handler_before)
    if consumer.errors:
        raise consumer.errors[0]
    return consumer.stats


def backoff_by_receive_count(base: int = 10, cap: int = 900) -> Callable[[int], int]:
    """A ``failure_backoff``: ``base * 2**(receive_count-1)`` seconds, at most ``cap``."""

    def backoff(receive_count: int) -> int:
        return int(min(cap, base * math.pow(2, max(0, receive_count - 1))))

    return backoff
