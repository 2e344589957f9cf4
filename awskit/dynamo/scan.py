"""Parallel scan: ``Segment``/``TotalSegments`` scanned by several workers, as one iterator.

Each worker scans whole segments, page after page, and hands pages to the consumer
through a small bounded queue, so a slow consumer holds the workers back instead of
the whole table piling up in memory. When the consumer stops early (``limit`` reached,
iterator dropped), the workers notice and stop at their next page.

The decisions (how many workers, how deep the queue, which segment comes next, each
page's request, what a page hands out, what may be resumed) are `SegmentPlan` and the
checks beside it, shared by the blocking scan here (threads) and the asyncio one
(``awskit.aio.dynamo``, tasks); only the waiting differs. `Counting` is the same for a
count (a ``Select=COUNT`` scan, page after page).
"""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .._errors import InvalidInput, aws_errors
from .._paging import Page, Paged

__all__ = [
    "MAX_SEGMENTS",
    "Counting",
    "SegmentPlan",
    "check_resume",
    "check_segments",
    "parallel_scan",
    "scan_workers",
]

T = TypeVar("T")

#: DynamoDB's ``TotalSegments`` limit.
MAX_SEGMENTS = 1_000_000

_DONE = object()
_POLL = 0.1
# The page token of a parallel scan's pages: there is no one key to resume them from.
_PARALLEL = "parallel"


def check_segments(segments: object) -> int:
    """``segments``, checked: a whole number of segments DynamoDB accepts."""
    if not isinstance(segments, int) or not 1 <= segments <= MAX_SEGMENTS:
        raise InvalidInput("segments", "between 1 and 1,000,000 segments")
    return segments


def check_resume(segments: int, start_key: object) -> None:
    """A parallel scan has one position per segment, so no ``start_key`` resumes it."""
    if segments != 1 and start_key is not None:
        raise InvalidInput("start_key", "a parallel scan cannot be resumed")


def scan_workers(segments: int, max_concurrency: int) -> int:
    """How many workers scan ``segments`` segments: one each, at most ``max_concurrency``."""
    return max(1, min(segments, max_concurrency))


class SegmentPlan:
    """What a parallel scan sends and hands out, without the IO.

    Workers take segments in order (`next_segment`, ``None`` when all are taken) and
    read each whole, page after page (`page_request` with the previous page's
    ``LastEvaluatedKey``); at most `buffer` pages wait for the consumer. A page reaches
    the consumer as `page` makes it: its items in DynamoDB's order, the pages of all
    segments in the order they arrive. Not thread-safe: the blocking scan takes
    `next_segment` under its lock.
    """

    def __init__(self, request: Mapping[str, Any], segments: int, workers: int) -> None:
        self.request = request
        self.segments = segments
        self.workers = workers
        self._todo = list(range(segments - 1, -1, -1))

    @property
    def buffer(self) -> int:
        """How many pages may wait for the consumer: enough to keep every worker busy."""
        return max(2, self.workers * 2)

    def next_segment(self) -> int | None:
        """The next segment to scan, or ``None`` when every one is taken."""
        return self._todo.pop() if self._todo else None

    def page_request(self, segment: int, token: Any) -> dict[str, Any]:
        """The ``Scan`` request for ``segment``, from ``token`` (``None``: its start)."""
        request = {**self.request, "Segment": segment, "TotalSegments": self.segments}
        if token is not None:
            request["ExclusiveStartKey"] = token
        return request

    @staticmethod
    def last_key(response: Mapping[str, Any]) -> Any:
        """Where the segment goes on after this answer (``None``: the segment is done)."""
        return response.get("LastEvaluatedKey")

    @staticmethod
    def items(response: Mapping[str, Any]) -> list[Any]:
        """The raw items of an answer, as a worker hands them over."""
        return list(response.get("Items", ()))

    @staticmethod
    def page(items: list[Any], load: Callable[[Mapping[str, Any]], T]) -> Page[T]:
        """What the consumer hands out for a page a worker handed over."""
        return Page([load(item) for item in items], _PARALLEL)

    @staticmethod
    def end() -> Page[Any]:
        """The page after the last: every segment was read."""
        return Page([], None)


class Counting:
    """What a count sends and adds up, without the IO: send `request` and `add` its
    answer until `done`; `total` is then the count."""

    def __init__(self, request: Mapping[str, Any]) -> None:
        self._request = request
        self._token: Any = None
        self.total = 0
        self.done = False

    def request(self) -> dict[str, Any]:
        """The next page's ``Scan`` request (from the last page's ``LastEvaluatedKey``)."""
        if self._token is None:
            return dict(self._request)
        return {**self._request, "ExclusiveStartKey": self._token}

    def add(self, response: Mapping[str, Any]) -> None:
        """Count one answer's ``Count``; the count is done when no key is left to go on from."""
        self.total += int(response.get("Count", 0))
        self._token = response.get("LastEvaluatedKey")
        self.done = self._token is None


class _Scan:
    """State shared by the workers and the consumer (never referencing the iterator)."""

    def __init__(self, plan: SegmentPlan) -> None:
        self.plan = plan
        self.pages: queue.Queue[Any] = queue.Queue(maxsize=plan.buffer)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.running = plan.workers

    def next_segment(self) -> int | None:
        with self.lock:
            return self.plan.next_segment()

    def hand_over(self, item: Any) -> bool:
        while not self.stop.is_set():
            try:
                self.pages.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False


def _work(state: _Scan, call: Callable[..., Mapping[str, Any]]) -> None:
    plan = state.plan
    try:
        while not state.stop.is_set():
            segment = state.next_segment()
            if segment is None:
                break
            token = None
            while not state.stop.is_set():
                response = call(**plan.page_request(segment, token))
                token = plan.last_key(response)
                if not state.hand_over(plan.items(response)) or token is None:
                    break
    except BaseException as exc:
        # Handed to the consumer, which raises it: nothing fails silently on a thread.
        state.hand_over(exc)
    finally:
        with state.lock:
            state.running -= 1
            last = state.running == 0
        if last:
            state.hand_over(_DONE)


def parallel_scan(
    call: Callable[..., Mapping[str, Any]],
    request: Mapping[str, Any],
    *,
    segments: int,
    workers: int,
    load: Callable[[Mapping[str, Any]], T],
    limit: int | None = None,
) -> Paged[T]:
    """Scan ``segments`` segments on ``workers`` threads; pages in arrival order.

    Threads start with the first page asked for. ``next_token`` is not a resume key: a
    parallel scan has one per segment.
    """
    plan = SegmentPlan(request, segments, workers)
    state = _Scan(plan)
    started = False

    def start() -> None:
        for n in range(workers):
            threading.Thread(
                target=_work, args=(state, call), name=f"awskit-scan-{n}", daemon=True
            ).start()

    def fetch(token: Any) -> Page[T]:
        nonlocal started
        if not started:
            started = True
            start()
        got = state.pages.get()
        if got is _DONE:
            return plan.end()
        if isinstance(got, BaseException):
            state.stop.set()
            with aws_errors():
                raise got
        return plan.page(got, load)

    paged: Paged[T] = _StoppingPaged(fetch, limit=limit, state=state)
    return paged


class _StoppingPaged(Paged[T]):
    """A Paged that stops the workers when exhausted or garbage-collected."""

    def __init__(self, fetch: Callable[[Any], Page[T]], *, limit: int | None, state: _Scan) -> None:
        super().__init__(fetch, limit=limit)
        self._state = state
        weakref.finalize(self, state.stop.set)

    def __next__(self) -> T:
        try:
            return super().__next__()
        except BaseException:
            self._state.stop.set()
            raise

    def close(self) -> None:
        """Stop the scan's threads (done for you when the iterator is exhausted or dropped)."""
        self._state.stop.set()
