"""The consumer loop behind [awskit.sqs.Queue.process][awskit.sqs.Queue.process].

``workers`` threads each long-poll a batch and run the handler on its messages one by one.
A success goes at once to the deleter threads, which delete whatever successes are waiting
in one ``DeleteMessageBatch`` (up to 10), so a success never waits for slower handlers of
its receive. One heartbeat thread keeps every message received and not yet finished (its
handler running, or handled and waiting for its delete) hidden: once half its visibility
timeout has passed it extends it by another timeout, in batches, up to the 12 hours SQS
allows a message to stay hidden after each receive.

A failure that may pass with time (throttling, a 5xx, a dropped connection or a timeout,
left over after botocore's and the session's [RetryPolicy][awskit.RetryPolicy] attempts)
never ends the loop: it is logged, the worker backs off by the policy's backoff and goes on.
Anything else (the queue is gone, access is denied) stops every worker and is raised.

The decisions are plain functions (``extension``, ``transient``, ``group_of``,
``judge_deletes``, ``hide_failed``), apart from the threads and the requests;
``awskit.aio``'s consumer takes the same ones.
"""

from __future__ import annotations

import math
import queue as queuelib
import signal
import threading
import time
from collections.abc import Callable, Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any, Generic, NamedTuple

from .._errors import AwskitError, InvalidInput, logger
from .._retry import classify, outlasted
from .codec import MAX_BATCH_ENTRIES, MAX_VISIBILITY_SECONDS, check_visibility
from .models import BatchResult, InvalidMessage, Message, MessageBase, ProcessStats, T

if TYPE_CHECKING:
    from .._retry import RetryPolicy
    from .queue import Queue

__all__ = [
    "Deleted",
    "backoff_by_receive_count",
    "check_run",
    "extension",
    "group_of",
    "hide_failed",
    "judge_deletes",
    "run",
    "transient",
]

log = logger("awskit.sqs")

# Margin kept below the 12 h cap: clocks differ, and SQS rejects the whole change if the
# total goes one second over.
_CAP_MARGIN = 60.0


def transient(exc: BaseException) -> bool:
    """True for a failure that left a call after every retry but may pass with time.

    Throttling, a 5xx, a dropped connection or a timeout, raw or translated; a translated
    error whose code awskit does not know is judged by the botocore error it came from
    (an HTML 502 from a proxy has no AWS code, but its status says "server").
    """
    if outlasted(exc):
        return True
    cause = exc.__cause__
    return isinstance(exc, AwskitError) and cause is not None and classify(cause) is not None


def extension(now: float, received_at: float, hidden_until: float, timeout: int) -> int | None:
    """Seconds to extend a message's visibility by now, or ``None`` when not due.

    Due once half of ``timeout`` is left before ``hidden_until``. SQS keeps a message
    hidden for at most 12 hours after each receive (``ChangeMessageVisibility`` beyond that
    is refused), counted from ``received_at``, this receive, and never from the first
    receive ever (``ApproximateFirstReceiveTimestamp``): a redelivered message has the full
    12 hours again. ``None`` also when that allowance is spent.
    """
    if hidden_until - now > timeout / 2:
        return None
    left = MAX_VISIBILITY_SECONDS - (now - received_at) - _CAP_MARGIN
    seconds = int(min(timeout, left))
    return seconds if seconds > 0 else None


def hide_failed(
    failure_backoff: Callable[[int], int] | None, message: MessageBase[Any]
) -> int | None:
    """Seconds to hide a message whose handler failed (``failure_backoff`` of its receive
    count, within 0 to 12 hours), or ``None`` to leave it to its visibility timeout."""
    if failure_backoff is None:
        return None
    return max(0, min(int(failure_backoff(message.receive_count)), MAX_VISIBILITY_SECONDS))


def group_of(message: MessageBase[Any], fifo: bool) -> str | None:
    """The message group that orders ``message``, or ``None`` on a standard queue."""
    return message.group_id if fifo else None


class Deleted(NamedTuple):
    """What a consumer's delete of handled messages came to (see ``judge_deletes``)."""

    #: Handled and deleted: counted ``succeeded``.
    succeeded: list[Any]
    #: Handled but not deleted: counted ``undeleted``; they come back after their timeout.
    undeleted: list[Any]
    #: False when a failure that may pass got in the way: back off before the next delete.
    settled: bool
    #: An error no wait mends (the queue is gone, access denied): it stops the run.
    fatal: BaseException | None


def judge_deletes(
    queue_name: str,
    batch: Sequence[MessageBase[Any]],
    result: BatchResult | None,
    error: BaseException | None = None,
) -> Deleted:
    """What deleting ``batch`` came to: ``result``, or the ``error`` the delete raised."""
    if result is None:
        log.warning(
            "%s: %d messages handled but not deleted (%s); they come back after their "
            "visibility timeout: %s",
            queue_name,
            len(batch),
            error,
            ", ".join(m.message_id for m in batch),
        )
        if error is None or transient(error):
            return Deleted([], list(batch), False, None)
        return Deleted([], list(batch), True, error)
    for failure in result.failed:
        log.warning(
            "%s: message %s handled but not deleted (%s: %s); it comes back after its "
            "visibility timeout",
            queue_name,
            failure.entry.message_id,
            failure.code,
            failure.reason,
        )
    return Deleted(
        [batch[r.index] for r in result.sent],
        [f.entry for f in result.failed],
        all(f.sender_fault for f in result.failed),
        None,
    )


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
    """Keeps messages hidden while they are in hand: handled, or waiting for their delete.

    A message is held from its receive until it is deleted or released; ``release`` and
    the beat's own changes are serialised, so a beat in flight never hides again a
    message that was just made visible (a stopped FIFO group, a handed-back message).
    """

    def __init__(self, queue: Queue[Any], timeout: int, clock: Callable[[], float]) -> None:
        super().__init__(name="awskit-sqs-heartbeat", daemon=True)
        self._queue = queue
        self._timeout = timeout
        self._clock = clock
        # receipt handle -> [hidden until, received at]
        self._held: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self._changing = threading.Lock()
        self._done = threading.Event()
        self.extensions = 0

    def hold(self, messages: Sequence[Message[Any]], received_at: float) -> None:
        """Watch ``messages``, received by a request sent at ``received_at``.

        The time the request was sent is the earliest SQS can have started both the
        visibility timeout and the 12 hours: counting from it never extends too late.
        """
        with self._lock:
            for message in messages:
                self._held[message.receipt_handle] = [received_at + self._timeout, received_at]

    def now(self) -> float:
        return self._clock()

    def drop(self, messages: Sequence[Message[Any]]) -> None:
        """Stop watching ``messages`` (deleted, or left to come back on their own)."""
        with self._lock:
            for message in messages:
                self._held.pop(message.receipt_handle, None)

    def release(self, messages: Sequence[Message[Any]], seconds: int) -> list[str]:
        """Stop watching ``messages`` and set their visibility to ``seconds`` from now."""
        if not messages:
            return []
        with self._changing:
            self.drop(messages)
            return self._queue._change_visibility([m.receipt_handle for m in messages], seconds)

    def stop(self) -> None:
        self._done.set()
        if self.ident is not None:
            self.join()

    def run(self) -> None:
        tick = min(5.0, max(0.1, self._timeout / 4))
        while not self._done.wait(tick):
            try:
                self.beat()
            except Exception:  # a heartbeat that dies would let every message reappear
                log.warning("%s: visibility heartbeat failed", self._queue.name, exc_info=True)

    def beat(self) -> None:
        with self._changing:
            now = self._clock()
            due: dict[int, list[str]] = {}
            with self._lock:
                for handle, (hidden_until, received_at) in self._held.items():
                    seconds = extension(now, received_at, hidden_until, self._timeout)
                    if seconds is not None:
                        due.setdefault(seconds, []).append(handle)
            for seconds, handles in due.items():
                changed = self._queue._change_visibility(handles, seconds)
                self.extensions += len(changed)
                with self._lock:
                    for handle in changed:
                        if handle in self._held:
                            self._held[handle][0] = now + seconds


class _Consumer(Generic[T]):
    """The state the workers, the deleter and the heartbeat share for one run."""

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
        heartbeat: _Heartbeat,
        retry: RetryPolicy,
    ) -> None:
        self.queue = queue
        self.handler = handler
        self.wait_seconds = wait_seconds
        self.stop_when_empty = stop_when_empty
        self.budget = budget
        self.visibility_timeout = visibility_timeout
        self.failure_backoff = failure_backoff
        self.heartbeat = heartbeat
        self.retry = retry
        self.stats = ProcessStats()
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._deletes: queuelib.SimpleQueue[Message[T] | None] = queuelib.SimpleQueue()

    # -- shared bookkeeping

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self.stats, name, getattr(self.stats, name) + n)

    def fail(self, exc: BaseException) -> None:
        """Stop every worker; ``exc`` is raised once they have."""
        with self._lock:
            self.errors.append(exc)
        self.stop.set()

    def pause(self, streak: int) -> None:
        """Back off after ``streak`` transient failures in a row, by the session's policy."""
        seconds = self.retry.backoff(streak)
        if self.retry.sleep is time.sleep:
            # Wakes as soon as the run is told to stop: SIGINT never waits out a backoff.
            self.stop.wait(seconds)
        else:
            self.retry.sleep(seconds)

    # -- workers

    def worker(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # surfaced by run() once every worker has stopped
            self.fail(exc)

    def _loop(self) -> None:
        streak = 0
        while not self.stop.is_set():
            wanted = self.budget.claim(MAX_BATCH_ENTRIES)
            if wanted == 0:
                return
            sent_at = self.heartbeat.now()
            try:
                batch = self.queue.receive(wanted, self.wait_seconds, self.visibility_timeout)
            except Exception as exc:
                self.budget.refund(wanted)
                if not transient(exc):
                    raise
                streak += 1
                log.warning(
                    "%s: ReceiveMessage failed after every retry (%s); backing off and going on",
                    self.queue.name,
                    exc,
                )
                self.pause(streak)
                continue
            streak = 0
            self.budget.refund(wanted - len(batch))
            if not batch:
                if self.stop_when_empty:
                    return
                continue
            self.heartbeat.hold(batch, sent_at)
            self._run_batch(batch)

    def _run_batch(self, batch: list[Message[T]]) -> None:
        fifo = self.queue.fifo
        stopped: set[str] = set()
        held_back: list[Message[T]] = []
        for position, message in enumerate(batch):
            if self.stop.is_set():
                # Stopping: hand the untouched rest back to SQS for other consumers.
                self.heartbeat.release(batch[position:], 0)
                break
            group = group_of(message, fifo)
            if group is not None and group in stopped:
                held_back.append(message)
                continue
            if self._handle(message):
                self._deletes.put(message)
            elif group is not None:
                stopped.add(group)
        if held_back:
            # The group's failed message is still in flight, so SQS delivers none of its
            # group until it is visible again: these become receivable at once, yet come
            # back only after it, in order.
            log.info(
                "%s: %d messages of groups %s held back behind a failure; they come back "
                "after it, in order",
                self.queue.name,
                len(held_back),
                ", ".join(sorted(stopped)),
            )
            self.heartbeat.release(held_back, 0)

    def _handle(self, message: Message[T]) -> bool:
        try:
            message.body  # noqa: B018 - validate before the handler sees it
        except InvalidMessage as exc:
            # Never deleted: after maxReceiveCount SQS moves it to the dead-letter queue.
            log.warning("%s: %s; left for the dead-letter queue", self.queue.name, exc)
            self.count("invalid")
            self.heartbeat.drop([message])
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
            seconds = hide_failed(self.failure_backoff, message)
            if seconds is not None:
                self.heartbeat.release([message], seconds)
            else:
                self.heartbeat.drop([message])
            return False
        return True

    # -- the deleter

    def deleter(self) -> None:
        try:
            self._delete_loop()
        except BaseException as exc:  # surfaced by run() like a worker's
            self.fail(exc)

    def _delete_loop(self) -> None:
        streak = 0
        closing = False
        while not closing:
            first = self._deletes.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_BATCH_ENTRIES:
                try:
                    more = self._deletes.get_nowait()
                except queuelib.Empty:
                    break
                if more is None:
                    closing = True
                    break
                batch.append(more)
            if self._delete(batch):
                streak = 0
            else:
                streak += 1
                self.pause(streak)

    def close_deletes(self, deleters: int = 1) -> None:
        """Let the deleters finish what is queued, then end (one end mark for each)."""
        for _ in range(deleters):
            self._deletes.put(None)

    def _delete(self, batch: list[Message[T]]) -> bool:
        """Delete handled messages; False when a failure that may pass got in the way.

        Any other failure stops the run (it is raised once the workers have stopped).
        """
        try:
            result = self.queue.delete_messages(batch)
        except Exception as exc:
            outcome = judge_deletes(self.queue.name, batch, None, exc)
        else:
            outcome = judge_deletes(self.queue.name, batch, result)
        self.heartbeat.drop(outcome.succeeded + outcome.undeleted)
        self.count("succeeded", len(outcome.succeeded))
        self.count("undeleted", len(outcome.undeleted))
        if outcome.fatal is not None:
            self.fail(outcome.fatal)
        return outcome.settled


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
    check_run(handler, "workers", workers, wait_seconds, max_messages, visibility_timeout)
    timeout = (
        visibility_timeout
        if visibility_timeout is not None
        else queue.attributes.visibility_timeout
    )
    heartbeat = _Heartbeat(queue, timeout, clock)
    consumer = _Consumer(
        queue,
        handler,
        wait_seconds=wait_seconds,
        stop_when_empty=stop_when_empty,
        budget=_Budget(max_messages),
        visibility_timeout=visibility_timeout,
        failure_backoff=failure_backoff,
        heartbeat=heartbeat,
        retry=queue._session.retry,
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
    # Deletes overlap as receives do: one deleter per two workers (at most 4) keeps the
    # successes of eight workers from queueing behind one request at a time.
    deleters = [
        threading.Thread(target=consumer.deleter, name=f"awskit-sqs-deleter-{n}", daemon=True)
        for n in range(max(1, min(4, workers // 2)))
    ]
    try:
        if timeout > 0:
            heartbeat.start()
        for deleter in deleters:
            deleter.start()
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
        consumer.close_deletes(len(deleters))
        # Handled messages stay hidden (the heartbeat runs on) until their deletes are done.
        for deleter in deleters:
            while deleter.ident is not None and deleter.is_alive():
                deleter.join(0.2)
        heartbeat.stop()
        for signum, handler_before in previous.items():
            signal.signal(signum, handler_before)
    if consumer.errors:
        raise consumer.errors[0]
    return consumer.stats


def check_run(
    handler: object,
    field: str,
    parallel: int,
    wait_seconds: int,
    max_messages: int | None,
    visibility_timeout: int | None,
) -> None:
    """Check a consumer's arguments (``field`` names ``workers`` or ``concurrency``)."""
    if isinstance(parallel, bool) or not isinstance(parallel, int) or parallel < 1:
        raise InvalidInput(field, "must be a positive integer")
    if isinstance(wait_seconds, bool) or not 0 <= wait_seconds <= 20:
        raise InvalidInput("wait_seconds", "must be from 0 to 20")
    if max_messages is not None and (isinstance(max_messages, bool) or max_messages < 0):
        raise InvalidInput("max_messages", "must be None or a non-negative integer")
    if visibility_timeout is not None:
        check_visibility(visibility_timeout)
    if not callable(handler):
        raise InvalidInput("handler", "must be callable with one Message")


def backoff_by_receive_count(base: int = 10, cap: int = 900) -> Callable[[int], int]:
    """A ``failure_backoff``: ``base * 2**(receive_count-1)`` seconds, at most ``cap``."""

    def backoff(receive_count: int) -> int:
        return int(min(cap, base * math.pow(2, max(0, receive_count - 1))))

    return backoff
