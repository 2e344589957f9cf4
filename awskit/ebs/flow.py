"""Flow control for EBS transfers: per-block retries under one time budget, and an
adaptive limit on requests in flight.

botocore (``standard`` mode) already retries throttling, 5xx and dropped connections
three times per call. What it cannot know is retried here, after it gave up:

* throttling (``RequestThrottledException``, ``ThrottlingException``,
  ``ConcurrentLimitExceededException``) and 5xx that outlived botocore's attempts: a long
  upload should not die of a minute of contention;
* ``ResourceNotFoundException`` on a snapshot started moments ago (the direct APIs are
  eventually consistent right after StartSnapshot);
* a block read whose bytes do not match their SHA256 (a corrupted body).

How many requests are in flight is the shared controller's decision
([Controller][awskit._flow.Controller]), as `Limiter`.

Every retry of a transfer draws on one `Retrier`: at most
``RetryPolicy.max_attempts`` per block and one deadline for the whole transfer.
AccessDenied, Validation and Conflict fail at once.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from .._errors import THROTTLING_CODES, ChecksumMismatch, logger
from .._flow import DEFAULT_WINDOW, Controller
from .._retry import RetryPolicy, classify
from .._session import MIN_POOL

__all__ = [
    "DEFAULT_CONCURRENCY",
    "FRESH_SNAPSHOT_SECONDS",
    "RETRY_BUDGET_SECONDS",
    "Limiter",
    "Retrier",
    "Transfers",
    "retry_reason",
]

T = TypeVar("T")
log = logger("awskit.ebs")

#: A snapshot this young may still answer ResourceNotFoundException (eventual consistency).
FRESH_SNAPSHOT_SECONDS = 180.0
#: The time every retry of one transfer shares, backoffs included.
RETRY_BUDGET_SECONDS = 900.0
#: ``concurrency`` of upload and download when not given: the controller starts there and
#: finds the number by itself; any other value pins it.
DEFAULT_CONCURRENCY = 16


def retry_reason(exc: BaseException, snapshot_age: float | None = None) -> str | None:
    """Why ``exc`` is worth another try, or ``None`` when it must fail at once.

    The one rule's reasons (`classify`: ``throttle``, ``server``,
    ``timeout``, ``transport``), and two that only EBS has: ``checksum`` (a block whose
    bytes do not match their SHA256) and ``fresh`` (a snapshot started moments ago that
    the direct APIs do not see yet).
    """
    if isinstance(exc, ChecksumMismatch):
        return "checksum"
    reason = classify(exc)
    if reason is not None:
        return reason
    if (
        isinstance(exc, ClientError)
        and str(exc.response.get("Error", {}).get("Code", "")) == "ResourceNotFoundException"
        and snapshot_age is not None
        and snapshot_age < FRESH_SNAPSHOT_SECONDS
    ):
        return "fresh"
    return None


class Limiter(Controller):
    """The shared [Controller][awskit._flow.Controller] as EBS transfers use it.

    ``Limiter(N)`` is ``concurrency=N``: pinned at ``N``, cut by 0.7 on each burst of
    throttling (at most once per ``window`` seconds, so sixteen throttled workers count
    once), growing back to ``N`` by ``1 / limit`` per success. With ``initial`` it is
    adaptive: it starts there, grows towards ``maximum`` (the connection pool) while
    requests succeed at a steady latency, and backs off on throttling and on rising
    latency. EBS throttles per snapshot (about 1000 requests/s): slowing down gets more
    done than hammering.
    """

    def __init__(
        self,
        maximum: int,
        *,
        window: float | None = DEFAULT_WINDOW,
        initial: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            max(1, maximum),
            initial=initial,
            pinned=initial is None,
            window=window,
            clock=clock,
        )

    def throttled(self) -> bool:
        cut = super().throttled()
        if cut:
            log.info("throttled: lowering requests in flight to %d", self.limit)
        return cut


class Transfers:
    """The limiters of one facade's running transfers, and the botocore hooks feeding them.

    Shared by [awskit.ebs.EBS][awskit.ebs.EBS] and its asyncio twin: both hand it their
    client's event system (botocore's or aiobotocore's, which calls the same handlers).
    """

    def __init__(self) -> None:
        self._active: weakref.WeakSet[Limiter] = weakref.WeakSet()
        self._hooked = False
        self._lock = threading.Lock()

    def on_retry(self, response: Any = None, **_: Any) -> None:
        """``needs-retry.ebs``: a throttle botocore is about to retry slows every transfer."""
        # botocore retries throttles silently; seeing them here lets running transfers
        # slow down before botocore gives up.
        if response is None or not self._active:
            return
        code = str(response[1].get("Error", {}).get("Code", ""))
        if code in THROTTLING_CODES:
            with self._lock:
                limiters = list(self._active)
            for limiter in limiters:
                limiter.throttled()

    @staticmethod
    def block_throttled(response: Any = None, **_: Any) -> bool | None:
        """``needs-retry.ebs.{Put,Get}SnapshotBlock``: ``False`` (botocore does not retry)
        for a throttled block request."""
        # A throttled block request is handed straight back to the transfer's Retrier,
        # which cuts its limiter, frees the slot, and tries again after the RetryPolicy's
        # short backoff once the limiter lets it. botocore's own retry would hold the slot
        # through a sleep of up to a second, longer than the whole transfer takes at the
        # right concurrency.
        if response is None:
            return None
        code = str(response[1].get("Error", {}).get("Code", ""))
        return False if code in THROTTLING_CODES else None

    def start(
        self, events: Any, concurrency: int, pool_connections: int | None
    ) -> tuple[int, Limiter]:
        """Workers and the limiter of one transfer (``concurrency`` already checked):
        adaptive at [DEFAULT_CONCURRENCY][awskit.ebs.flow.DEFAULT_CONCURRENCY], starting at
        the connection pool and backing off from there; pinned at any other value. Hooks
        ``events`` once."""
        if concurrency == DEFAULT_CONCURRENCY:
            pool = max(DEFAULT_CONCURRENCY, int(pool_connections or MIN_POOL))
            # Start at the pool, not below it: a snapshot of a few hundred blocks is over
            # in two or three round trips, and growing from 16 costs one of them (1.1x
            # the time of a 64-thread pool on the benchmark, against 1.0x). Throttling
            # costs little more from the top: the first burst cuts it within a round trip.
            return pool, self._limiter(events, pool, initial=pool)
        return concurrency, self._limiter(events, concurrency)

    def _limiter(self, events: Any, concurrency: int, *, initial: int | None = None) -> Limiter:
        if not self._hooked:
            with self._lock:
                if not self._hooked:
                    events.register(
                        "needs-retry.ebs", self.on_retry, unique_id=f"awskit-ebs-{id(self)}"
                    )
                    handler: Any = self.block_throttled
                    for operation in ("PutSnapshotBlock", "GetSnapshotBlock"):
                        events.register_first(
                            f"needs-retry.ebs.{operation}",
                            handler,
                            unique_id=f"awskit-ebs-block-{operation}",
                        )
                    self._hooked = True
        # An adaptive limiter cuts at most once per round trip; a pinned one as before.
        limiter = (
            Limiter(concurrency)
            if initial is None
            else Limiter(concurrency, initial=initial, window=None)
        )
        with self._lock:
            self._active.add(limiter)
        return limiter

    def release(self, limiter: Limiter) -> None:
        """The transfer of ``limiter`` is over: botocore's retries no longer reach it."""
        with self._lock:
            self._active.discard(limiter)


class Retrier:
    """Per-call retries of one transfer under one deadline, with the session's backoff."""

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        limiter: Limiter | None = None,
        started_at: float | None = None,
        budget: float = RETRY_BUDGET_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self.limiter = limiter
        self.started_at = started_at
        self.budget = budget
        self._clock = clock
        self._t0 = clock()
        self._slept = 0.0
        self._lock = threading.Lock()
        self.retries = 0

    def spent(self) -> float:
        # Sleeps are injectable (tests never wait): count what was asked for as well as
        # what the clock says, whichever is more.
        return max(self._clock() - self._t0, self._slept)

    def failed(self, exc: Exception, attempt: int) -> float | None:
        """Seconds to wait before trying again after attempt ``attempt`` failed with
        ``exc``; ``None`` when it must fail (no reason, attempts or budget spent)."""
        age = None if self.started_at is None else self._clock() - self.started_at
        reason = retry_reason(exc, age)
        if reason is None or attempt >= self.policy.max_attempts or self.spent() >= self.budget:
            return None
        throttled = reason == "throttle" and self.limiter is not None
        if throttled and self.limiter is not None:
            self.limiter.throttled()
        # Throttled block requests come here without botocore's retries (see
        # Transfers.block_throttled); the limiter, now cut, is the backoff that
        # matters, so the wait for a slot stays short.
        delay = self.policy.backoff(min(attempt, 3) if throttled else attempt)
        with self._lock:
            self._slept += delay
            self.retries += 1
        return delay

    def run(self, call: Callable[[], T]) -> T:
        """``call()``, retried while `retry_reason` allows, attempts and budget last."""
        attempt = 1
        while True:
            latency: float | None = None
            try:
                if self.limiter is None:
                    result = call()
                else:
                    with self.limiter:
                        started = self._clock()
                        result = call()
                        latency = self._clock() - started
            except Exception as exc:
                delay = self.failed(exc, attempt)
                if delay is None:
                    raise
                self.policy.sleep(delay)
                attempt += 1
                continue
            if self.limiter is not None:
                self.limiter.succeeded(latency)
            return result

    async def run_async(
        self, call: Callable[[], Awaitable[T]], sleep: Callable[[float], Awaitable[None]]
    ) -> T:
        """`run` on asyncio: the same decisions (`failed`) and limiter, waits awaited."""
        attempt = 1
        while True:
            try:
                if self.limiter is None:
                    return await call()
                async with self.limiter:
                    started = self._clock()
                    result = await call()
                    # Inside the slot: leaving it then wakes as many waiters as the
                    # limit, perhaps just raised, allows.
                    self.limiter.succeeded(self._clock() - started)
                return result
            except Exception as exc:
                delay = self.failed(exc, attempt)
                if delay is None:
                    raise
            await sleep(delay)
            attempt += 1
