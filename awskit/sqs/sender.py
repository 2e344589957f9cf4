"""Streaming sends: [BatchSender][awskit.sqs.sender.BatchSender], the engine under
``Queue.batch_sender()`` and ``Queue.send_many``.

Messages are checked one by one as they are given, packed into ``SendMessageBatch``
requests (10 entries, 1 MiB) and sent while the caller goes on producing. Only a bounded
number of batches is ever waiting or in flight, and only what failed is kept, so memory
does not grow with the number of messages (``send_many`` additionally keeps one
[SendResult][awskit.sqs.SendResult] per message, since it returns them).

The checks, the packing and the sending of one batch (MD5 checks, retries by the
session's [RetryPolicy][awskit.RetryPolicy], what counts as failed) are shared with the
asyncio sender (``awskit.aio.sender``): ``prepare_message``, ``BatchFill``, ``FifoWindow``,
``FifoGroups``, ``SendBatch`` and the failure records of `awskit.sqs.sending`, and the
queue's ``_send_batch``. This module only decides who sends a batch, and when.

* Standard queues: batches are sent on the producer's own thread until a request is seen
  waiting on the network (see ``BatchSender._run_here``); from then on (and for the
  queue's later senders) up to ``concurrency`` worker threads take batches from a deque,
  and the producer waits while ``concurrency`` batches wait for them, so at most
  ``2 x concurrency`` batches are waiting or in flight.
* FIFO queues: messages gather in a window (at most ``fifo_window`` messages and
  ``FIFO_WINDOW_BYTES``); a full window is cut by
  [fifo_batches][awskit.sqs.codec.fifo_batches] (at most one message of a group per batch)
  and its batches are sent one after another, so a retry never reorders a group. After a
  message of a group fails for good, the rest of that group is reported failed
  (``GroupStopped``) and not sent.
"""

from __future__ import annotations

import contextlib
import itertools
import operator
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic

from .. import _fastwrite
from .._errors import InvalidInput, PartialFailure, logger
from .models import BatchFailure, BatchResult, OutgoingMessage, SendResult, T
from .sending import (
    FIFO_WINDOW,
    FIFO_WINDOW_BYTES,
    BatchFill,
    FifoGroups,
    FifoWindow,
    Flight,
    not_sent,
    sender_concurrency,
    unsent,
)

if TYPE_CHECKING:
    from .queue import Queue
    from .sending import Entry as _Entry

__all__ = ["FIFO_WINDOW", "FIFO_WINDOW_BYTES", "BatchSender", "fast_batch"]

log = logger("awskit.sqs")

try:
    import resource

    _RUSAGE_THREAD: int | None = resource.RUSAGE_THREAD
except (ImportError, AttributeError):  # pragma: no cover - Linux keeps it, others may not
    _RUSAGE_THREAD = None
_UNKNOWN = itertools.count()
_INDEX = operator.attrgetter("index")
#: Seconds a sender's worker thread waits for a batch before it ends.
IDLE_SECONDS = 1.0
#: Of the batches a sender sends on its own thread, the first and every this many after
#: it are watched for waiting (two clock readings and two rusage calls each).
_PROBE_EVERY = 8


def _blocked() -> int:
    """How often this thread blocked so far (voluntary context switches).

    Being preempted by another process is no such switch, so a busy machine is not
    mistaken for a network. Where the count is not kept per thread, every call looks
    blocked: senders start their workers as soon as a request took longer than twice its
    CPU time.
    """
    if _RUSAGE_THREAD is None:
        return next(_UNKNOWN)
    return resource.getrusage(_RUSAGE_THREAD).ru_nvcsw


def fast_batch(client: Any, url: str, entries: Sequence[_Entry]) -> dict[str, Any]:
    """The ``SendMessageBatch`` parameters sending ``entries``, marked for the fast write
    path when every entry is as awskit's codec built it (see `awskit._fastwrite`)."""
    params: dict[str, Any] = {"QueueUrl": url, "Entries": [entry.wire for entry in entries]}
    if all(entry.plain for entry in entries):
        _fastwrite.enable(client)
        _fastwrite.marked(params)
    return params


class BatchSender(Generic[T]):
    """Streams messages to one queue in batches; use it as a context manager.

    Get one from ``queue.batch_sender()``. [send][awskit.sqs.sender.BatchSender.send]
    checks a message at once (a wrong one raises
    [InvalidInput][awskit.InvalidInput] and nothing of it is sent) and returns as soon as
    the message is queued; batches of up to 10 messages and 1 MiB go out concurrently
    (standard queues, once requests are seen waiting on the network) or one after another
    (FIFO). On exit everything queued is sent and waited for.

    Attributes:
        sent: messages SQS has accepted so far.
        failed: the [BatchFailure][awskit.sqs.BatchFailure] records of messages not sent
            after every retry, so far (``index`` counts from 0 in the order given).

    Raises (on exit, or from [flush][awskit.sqs.sender.BatchSender.flush]):
        PartialFailure: ``.failed`` lists exactly the messages not sent, as
            [BatchFailure][awskit.sqs.BatchFailure] records like ``send_many``'s;
            ``.last_error`` is the last error seen. A Ctrl-C is not replaced by it: the
            messages of the batch it interrupted that SQS had not taken (and a FIFO window's
            later batches) are in ``failed``.

    ```python
    with queue.batch_sender() as sender:
        for job in jobs:
            sender.send(job)
    print(sender.sent)
    ```
    """

    def __init__(
        self,
        queue: Queue[T],
        *,
        concurrency: int | None = None,
        fifo_window: int | None = FIFO_WINDOW,
        keep_results: bool = False,
    ) -> None:
        workers = sender_concurrency(concurrency, queue._session.max_concurrency)
        self._queue = queue
        self._workers = workers
        self._fifo = queue.fifo
        self._keep = keep_results
        # _producer keeps send() calls whole (index, checks, packing); _lock guards the
        # hand-over to the worker threads and what every thread reports.
        self._producer = threading.Lock()
        self._lock = threading.Lock()
        self._next = 0
        # Standard queues: the batch being filled, the batches handed over and not yet
        # taken, and the worker threads (started only once a request to the queue waited
        # on the network: see _run_here).
        self._fill = BatchFill()
        self._queued: deque[list[_Entry]] = deque()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._stopping = False
        self._wake = threading.Condition(self._lock)
        self._room = threading.Condition(self._lock)
        self._inline = 0
        # FIFO queues: the window being filled, and the groups that may not go on.
        self._window = FifoWindow(fifo_window)
        self._groups = FifoGroups()
        self._done = threading.Condition(self._lock)
        self._busy = 0
        self.sent = 0
        self.failed: list[BatchFailure] = []
        self._results: list[SendResult] = []
        # The first and the last error of a request that failed as a whole: enough to
        # report, and memory stays flat through a long outage.
        self._first_error: BaseException | None = None
        self._last_error: BaseException | None = None
        self._reported = 0
        self._closed = False

    def __repr__(self) -> str:
        name, failed = self._queue.name, len(self.failed)
        return f"BatchSender(queue={name!r}, sent={self.sent}, failed={failed})"

    # -- producer side -------------------------------------------------------------------

    def send(self, message: T | OutgoingMessage[T]) -> None:
        """Check ``message`` (a body or an [OutgoingMessage][awskit.sqs.OutgoingMessage]), queue it.

        Raises:
            InvalidInput: the message breaks a limit (body type or size, attributes, delay,
                group or deduplication id); nothing of it is queued or sent.
        """
        with self._producer:
            if self._closed:
                raise InvalidInput("sender", "this batch sender is closed")
            entry = self._queue._prepare(message, self._next)
            self._next += 1
            self._add(entry)

    def _send_all(self, messages: Iterable[T | OutgoingMessage[T]]) -> None:
        """`send` each of ``messages`` in turn (``send_many``'s way in for a stream).

        Raises:
            InvalidInput: as `send`; the messages before the wrong one are queued.
        """
        with self._producer:
            if self._closed:
                raise InvalidInput("sender", "this batch sender is closed")
            prepare, add = self._queue._prepare, self._add
            if self._fifo:
                for message in messages:
                    entry = prepare(message, self._next)
                    self._next += 1
                    add(entry)
                return
            # _add for a standard queue, written out: this loop runs once per message.
            fill = self._fill.add
            for message in messages:
                entry = prepare(message, self._next)
                self._next += 1
                full = fill(entry)
                if full is not None:
                    self._submit(full)

    def send_entries(self, entries: Iterable[_Entry]) -> None:
        """Queue entries already checked by ``Queue._prepare`` (``send_many``'s way in)."""
        with self._producer:
            for entry in entries:
                self._next = max(self._next, entry.index + 1)
                self._add(entry)

    def _add(self, entry: _Entry) -> None:
        if self._fifo:
            window = self._window.add(entry)
            if window is not None:
                self._send_window(window)
            return
        full = self._fill.add(entry)
        if full is not None:
            self._submit(full)

    def _submit(self, batch: list[_Entry]) -> None:
        if not batch:
            return
        with self._lock:
            self._busy += 1
            threaded = self._workers > 1 and self._queue._sends_wait
            if threaded:
                # Waits while `concurrency` batches wait for a worker: with the workers'
                # own, never more than 2 x concurrency batches are waiting or in flight,
                # however fast the producer is.
                while len(self._queued) >= self._workers:
                    self._room.wait()
                self._queued.append(batch)
                if self._idle:
                    self._wake.notify()
                elif len(self._threads) < self._workers:
                    self._start_worker()
        if not threaded:
            self._run_here(batch)

    def _run_here(self, batch: list[_Entry]) -> None:
        """Send ``batch`` on the producer's thread, and note whether it waited.

        Python threads overlap waiting, not work: while requests cost only CPU (canned
        answers, an endpoint answering at once), more threads would only fight over the
        GIL. A request during which the thread blocked (`_blocked`) and that took longer
        than twice its CPU time was waiting on the network: the queue remembers it, and
        from the next batch on its senders hand batches to worker threads.
        """
        self._inline += 1
        if self._workers == 1 or self._inline % _PROBE_EVERY != 1:
            self._run(batch, here=True)
            return
        switches, wall, cpu = _blocked(), time.perf_counter(), time.thread_time()
        self._run(batch, here=True)
        cpu = time.thread_time() - cpu
        waited = time.perf_counter() - wall - cpu
        if waited > cpu and _blocked() != switches:
            self._queue._sends_wait = True

    def _start_worker(self) -> None:
        thread = threading.Thread(target=self._work, name="awskit-sqs-send")
        self._threads.append(thread)
        thread.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._queued and not self._stopping:
                    self._idle += 1
                    woken = self._wake.wait(IDLE_SECONDS)
                    self._idle -= 1
                    if not woken and not self._queued:
                        # Nothing to do for a while: a sender never closed does not keep
                        # its threads (nor the interpreter from exiting) once all it was
                        # given is sent. Another starts if more comes.
                        if not self._stopping:  # else _shutdown holds the list, and joins
                            self._threads.remove(threading.current_thread())
                        return
                if not self._queued:
                    return
                batch = self._queued.popleft()
                self._room.notify()
            self._run(batch)

    def _run(self, batch: list[_Entry], *, here: bool = False) -> list[BatchFailure]:
        """Send ``batch`` and record how it went; return what failed of it."""
        flight = Flight(batch)
        try:
            sent, failed, error = self._queue._send_batch(batch, flight)
        except BaseException as exc:
            # _send_batch reports every error with the entries; a Ctrl-C (or an error no
            # answer explains) cuts it short: what SQS already took in an earlier attempt
            # is sent, the rest reported, so nothing is lost nor a batch left in flight.
            sent, failed, _ = flight.cut_short(exc)
            self._record(sent, failed, exc)
            if here and not isinstance(exc, Exception):
                raise  # Ctrl-C on the producer's thread stops the producer
            return failed
        self._record(sent, failed, error)
        return failed

    def _record(
        self, sent: list[SendResult], failed: list[BatchFailure], error: BaseException | None
    ) -> None:
        with self._lock:
            self.sent += len(sent)
            if self._keep:
                self._results.extend(sent)
            if failed:
                self.failed.extend(failed)
            if error is not None:
                self._first_error = self._first_error or error
                self._last_error = error
            self._busy -= 1
            if not self._busy:
                self._done.notify_all()

    def _send_window(self, window: list[_Entry]) -> None:
        groups = self._groups
        batches = groups.batches(window)
        for position, batch in enumerate(batches):
            skipped: list[BatchFailure] = []
            todo = groups.todo(batch, skipped)
            with self._lock:
                self.failed.extend(skipped)
            if not todo:
                continue
            with self._lock:
                self._busy += 1
            try:
                groups.record(self._run(todo, here=True))
            except BaseException as exc:
                # Interrupted: the window's later batches are reported, not dropped.
                later = [e for batch in batches[position + 1 :] for e in batch]
                rest = unsent(later, exc, "not sent: the sender was interrupted")
                with self._lock:
                    self.failed.extend(rest)
                raise

    # -- finishing -----------------------------------------------------------------------

    def _drain(self) -> None:
        """Send what is queued and wait until every batch is done."""
        with self._producer:
            if self._fifo:
                self._send_window(self._window.take())
            else:
                self._submit(self._fill.take())
        with self._done:
            while self._busy:
                self._done.wait()

    def flush(self) -> None:
        """Send everything queued and wait for it.

        Raises:
            PartialFailure: messages not sent after every retry (since the last report).
        """
        self._drain()
        with self._lock:
            failed = sorted(self.failed[self._reported :], key=lambda f: f.index)
            self._reported = len(self.failed)
            last_error = self._last_error
        if failed:
            raise not_sent(self._queue.name, failed, last_error)

    def result(self) -> BatchResult:
        """Everything sent and failed, in input order (``send_many``: kept results only)."""
        self._drain()
        with self._lock:
            return BatchResult(sorted(self._results, key=_INDEX), sorted(self.failed, key=_INDEX))

    def first_error(self) -> BaseException | None:
        """The first error of a request that failed as a whole, if any."""
        with self._lock:
            return self._first_error

    def close(self) -> None:
        """Flush, then release the sender's threads; it takes no more messages."""
        try:
            self.flush()
        finally:
            self._shutdown()

    def _shutdown(self) -> None:
        with self._producer:
            self._closed = True
        with self._lock:
            self._stopping = True
            self._wake.notify_all()
            threads, self._threads = self._threads, []
        for thread in threads:
            thread.join()

    def __enter__(self) -> BatchSender[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # As batch_writer(): what was queued before an exception is still sent.
        if exc is None or isinstance(exc, Exception):
            self.close()
            return
        # Ctrl-C goes on up; what failed stays in `failed`.
        with contextlib.suppress(PartialFailure):
            self.close()
