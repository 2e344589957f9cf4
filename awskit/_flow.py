"""The one concurrency controller: how many requests a bulk operation keeps in flight.

Additive increase, multiplicative decrease (AIMD), as TCP finds a link's capacity:

* it starts at ``initial`` and, until the first sign of congestion, adds two requests per
  success ("slow start": the limit triples every round trip);
* then it adds ``1 / limit`` per success (one more request per round trip);
* throttling multiplies the limit by ``decrease`` (0.7), at most once per ``window``
  seconds (a default of one smoothed round trip), so that sixteen workers throttled by the
  same burst count as one signal;
* latency rising above ``tolerance`` times the lowest smoothed latency seen (requests
  queueing at the server or on the client's own CPU) multiplies it by
  ``latency_decrease`` (0.9), at most once per window;
* it never leaves ``[minimum, maximum]``; ``maximum`` is the connection pool, so the
  controller never asks for connections the client cannot hold.

``pinned=True`` (what ``concurrency=N`` means) starts at ``maximum`` and never grows past
it, nor cuts for latency; throttling still slows it, and it grows back to ``maximum``.

[Aimd][awskit._flow.Aimd] is the arithmetic alone, with an injectable clock and no
threads, so that it is tested on a simulated server; [Controller][awskit._flow.Controller]
adds the blocking: ``with controller:`` waits for a free slot (``async with controller:`` on
asyncio, without blocking the event loop).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from ._errors import InvalidInput, logger

if TYPE_CHECKING:
    import asyncio

__all__ = ["DEFAULT_WINDOW", "SLOW_START_STEP", "Aimd", "Controller"]

log = logger("awskit.flow")

#: Seconds between two cuts while no latency has been measured yet.
DEFAULT_WINDOW = 0.1
#: Requests added per success before the first sign of congestion: 2 triples the limit
#: every round trip, so a transfer reaches a 64-connection pool from 16 in two round
#: trips (bulk transfers are often only a few round trips long).
SLOW_START_STEP = 2.0
#: Weight of the newest latency in the smoothed latency.
_SMOOTHING = 0.2


class Aimd:
    """The limit and how it moves (no locking: callers hold their own lock).

    Args:
        maximum: the most requests ever allowed in flight.
        initial: where to start (default ``maximum``); ignored when ``pinned``.
        minimum: the fewest (default 1).
        pinned: stay at ``maximum`` unless throttled (``concurrency=N``).
        decrease: factor applied on throttling.
        latency_decrease: factor applied when latency rises past ``tolerance`` x the best.
        tolerance: how much slower than the best smoothed latency counts as rising.
        window: seconds between two cuts (default: one smoothed latency, or
            [DEFAULT_WINDOW][awskit._flow.DEFAULT_WINDOW] before any is known).
        clock: monotonic seconds (injectable: tests simulate time).
    """

    def __init__(
        self,
        maximum: int,
        *,
        initial: int | None = None,
        minimum: int = 1,
        pinned: bool = False,
        decrease: float = 0.7,
        latency_decrease: float = 0.9,
        tolerance: float = 2.0,
        window: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(maximum, bool) or not isinstance(maximum, int) or maximum < 1:
            raise InvalidInput("concurrency", "must be a positive int")
        self.maximum = maximum
        self.minimum = max(1, min(minimum, maximum))
        start = maximum if pinned or initial is None else initial
        self._limit = float(max(self.minimum, min(maximum, start)))
        self.pinned = pinned
        self.decrease = decrease
        self.latency_decrease = latency_decrease
        self.tolerance = tolerance
        self.window = window
        self._clock = clock
        self._slow_start = not pinned
        self._smoothed: float | None = None
        self._best: float | None = None
        self._last_cut = -math.inf
        self.cuts = 0

    @property
    def limit(self) -> int:
        """Requests allowed in flight now."""
        return int(self._limit)

    def _window(self) -> float:
        if self.window is not None:
            return self.window
        return self._smoothed if self._smoothed is not None else DEFAULT_WINDOW

    def _cut(self, factor: float, why: str) -> bool:
        now = self._clock()
        if now - self._last_cut < self._window():
            return False
        self._last_cut = now
        self._slow_start = False
        self._limit = max(float(self.minimum), self._limit * factor)
        self.cuts += 1
        log.debug("%s: %d requests in flight allowed now", why, int(self._limit))
        return True

    def throttled(self) -> bool:
        """Throttling seen: cut (once per window). True when the limit went down."""
        return self._cut(self.decrease, "throttled")

    def succeeded(self, latency: float | None = None) -> bool:
        """A request succeeded in ``latency`` seconds (if measured). True when the limit rose."""
        if latency is not None and latency >= 0:
            smoothed = (
                latency
                if self._smoothed is None
                else (1 - _SMOOTHING) * self._smoothed + _SMOOTHING * latency
            )
            self._smoothed = smoothed
            if self._best is None or smoothed < self._best:
                self._best = smoothed
            if (
                not self.pinned
                and smoothed > self.tolerance * self._best
                and self._cut(self.latency_decrease, "latency rising")
            ):
                return False
        if self._limit >= self.maximum:
            return False
        before = int(self._limit)
        step = SLOW_START_STEP if self._slow_start else 1.0 / self._limit
        self._limit = min(float(self.maximum), self._limit + step)
        return int(self._limit) > before


class Controller:
    """[Aimd][awskit._flow.Aimd] with slots: ``with controller:`` waits for room in flight.

    ```python
    controller = Controller(64, initial=16)
    with controller:
        started = controller.clock()
        call()
    controller.succeeded(controller.clock() - started)
    ```
    """

    def __init__(
        self,
        maximum: int,
        *,
        initial: int | None = None,
        pinned: bool = False,
        window: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.aimd = Aimd(maximum, initial=initial, pinned=pinned, window=window, clock=clock)
        self.clock = clock
        self._in_flight = 0
        self._cond = threading.Condition()
        self._async_ready: asyncio.Condition | None = None

    @property
    def maximum(self) -> int:
        """The most requests this controller ever allows in flight."""
        return self.aimd.maximum

    @property
    def limit(self) -> int:
        """Requests allowed in flight now."""
        return self.aimd.limit

    @property
    def cuts(self) -> int:
        """How many times the limit was cut."""
        return self.aimd.cuts

    @property
    def in_flight(self) -> int:
        """Requests in flight now."""
        return self._in_flight

    def __enter__(self) -> Controller:
        with self._cond:
            while self._in_flight >= self.aimd.limit:
                self._cond.wait()
            self._in_flight += 1
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._cond:
            self._in_flight -= 1
            self._cond.notify()

    def _take(self) -> bool:
        with self._cond:
            if self._in_flight >= self.aimd.limit:
                return False
            self._in_flight += 1
            return True

    def _ready(self) -> asyncio.Condition:
        if self._async_ready is None:
            import asyncio  # only asyncio callers pay for the import

            self._async_ready = asyncio.Condition()
        return self._async_ready

    async def __aenter__(self) -> Controller:
        """``async with controller:`` waits for a slot on asyncio (event loop callers only).

        The same [Aimd][awskit._flow.Aimd] decides; a waiter is woken as slots are given
        back, as many as the limit then allows (report ``succeeded`` before leaving the
        slot, so a limit that just rose lets more in at once).
        """
        ready = self._ready()
        async with ready:
            try:
                await ready.wait_for(self._take)
            except BaseException:
                # A waiter cancelled just after it was woken would swallow the wake-up
                # another waiter needs: pass it on.
                ready.notify()
                raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._cond:
            self._in_flight -= 1
            self._cond.notify()
            free = self.aimd.limit - self._in_flight
        ready = self._ready()
        async with ready:
            ready.notify(max(1, free))

    def throttled(self) -> bool:
        """Throttling seen (by a worker, or by botocore's own retries); True if it cut."""
        with self._cond:
            return self.aimd.throttled()

    def succeeded(self, latency: float | None = None) -> None:
        """A request succeeded (in ``latency`` seconds, when measured)."""
        with self._cond:
            if self.aimd.succeeded(latency):
                self._cond.notify_all()
