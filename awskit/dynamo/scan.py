"""Parallel scan: ``Segment``/``TotalSegments`` scanned on threads, as one iterator.

Each worker scans whole segments, page after page, and hands pages to the consumer
through a small bounded queue, so a slow consumer holds the workers back instead of
the whole table piling up in memory. When the consumer stops early (``limit`` reached,
iterator dropped), the workers notice and stop at their next page.
"""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .._errors import aws_errors
from .._paging import Page, Paged

__all__ = ["parallel_scan"]

T = TypeVar("T")

_DONE = object()
_POLL = 0.1


class _Scan:
    """State shared by the workers and the consumer (never referencing the iterator)."""

    def __init__(self, segments: int, workers: int) -> None:
        self.pages: queue.Queue[Any] = queue.Queue(maxsize=max(2, workers * 2))
        self.stop = threading.Event()
        self.todo = list(range(segments - 1, -1, -1))
        self.lock = threading.Lock()
        self.running = workers

    def next_segment(self) -> int | None:
        with self.lock:
            return self.todo.pop() if self.todo else None

    def hand_over(self, item: Any) -> bool:
        while not self.stop.is_set():
            try:
                self.pages.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False


def _work(
    state: _Scan, call: Callable[..., Mapping[str, Any]], request: Mapping[str, Any], total: int
) -> None:
    try:
        while not state.stop.is_set():
            segment = state.next_segment()
            if segment is None:
                break
            token = None
            while not state.stop.is_set():
                page_request = {**request, "Segment": segment, "TotalSegments": total}
                if token is not None:
                    page_request["ExclusiveStartKey"] = token
                response = call(**page_request)
                token = response.get("LastEvaluatedKey")
                if not state.hand_over(list(response.get("Items", ()))) or token is None:
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
    state = _Scan(segments, workers)
    started = False

    def start() -> None:
        for n in range(workers):
            threading.Thread(
                target=_work,
                args=(state, call, request, segments),
                name=f"awskit-scan-{n}",
                daemon=True,
            ).start()

    def fetch(token: Any) -> Page[T]:
        nonlocal started
        if not started:
            started = True
            start()
        got = state.pages.get()
        if got is _DONE:
            return Page([], None)
        if isinstance(got, BaseException):
            state.stop.set()
            with aws_errors():
                raise got
        return Page([load(item) for item in got], "parallel")

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
