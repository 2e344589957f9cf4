"""The one retry rule: what outlives botocore's attempts, for every call awskit makes.

botocore (``standard`` mode, set on every client awskit creates) retries throttling, 5xx
and dropped connections a few times within one call. What it leaves over is handled
here, and only here:

* a failure that outlived botocore's attempts and is worth another try later
  (`classify`: throttling, a 5xx, a dropped connection, a timeout): the whole call
  is tried again after the policy's backoff, up to ``max_attempts``
  ([RetryPolicy.call][awskit.RetryPolicy.call]);
* partial batch results, which botocore never sees as failures (``UnprocessedItems``,
  ``UnprocessedKeys``, SQS ``Failed`` entries): what is left is sent again, under the same
  budget, and a batch call that failed as a whole counts as an attempt that left
  everything over ([RetryPolicy.drain][awskit.RetryPolicy.drain]).

Each awskit attempt is exactly one botocore call, so the two layers never multiply inside
each other. When attempts run out, the last error is raised translated
(`translate_any`), or what was not done is listed in
[PartialFailure][awskit.PartialFailure]: never dropped. Sleeps and the random source are
injectable, so tests never wait.

The decisions live in two small state machines, `Attempts` (one call) and
`Draining` (a batch), which do no IO and never sleep. The blocking drivers
([RetryPolicy.call][awskit.RetryPolicy.call], [RetryPolicy.drain][awskit.RetryPolicy.drain]) and the
asyncio ones (`call_async`, `drain_async`, used by ``awskit.aio``) only run the call and
wait as told, so the rule is written once for both.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    HTTPClientError,
    IncompleteReadError,
    ReadTimeoutError,
)
from botocore.exceptions import (
    ConnectionError as BotocoreConnectionError,
)

from ._errors import (
    THROTTLING_CODES,
    AwskitError,
    PartialFailure,
    TransportError,
    error_code,
    translate_any,
)

__all__ = [
    "RETRYABLE_CODES",
    "TRANSIENT_CODES",
    "AsyncSleep",
    "Attempts",
    "Draining",
    "Reason",
    "RetryPolicy",
    "call_async",
    "classify",
    "drain_async",
    "outlasted",
    "scrub_exception",
]

T = TypeVar("T")
R = TypeVar("R")

#: Error codes of a server-side failure that another try may not meet (AWS's 5xx codes).
TRANSIENT_CODES: tuple[str, ...] = (
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "InternalServerException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "RequestTimeout",
    "RequestTimeoutException",
)

#: Error codes worth another try once botocore has given up, and per-entry codes of batch
#: results (SQS ``Failed[].Code``) that mean "try again" rather than "this entry is bad".
RETRYABLE_CODES: tuple[str, ...] = (*THROTTLING_CODES, *TRANSIENT_CODES)

#: Why a failure is worth another try.
Reason = Literal["throttle", "server", "timeout", "transport"]


def is_throttle(exc: BaseException) -> bool:
    """True for a ``ClientError`` whose code says the caller went too fast."""
    return isinstance(exc, ClientError) and (
        error_code(exc) in THROTTLING_CODES
        or str(exc.response.get("Error", {}).get("Code")) in THROTTLING_CODES
    )


def classify(exc: BaseException) -> Reason | None:
    """Why ``exc`` is worth another try, or ``None`` when trying again cannot help.

    Throttling; a 5xx or one of `TRANSIENT_CODES`; a connect or read timeout; a
    connection that could not be made or dropped mid-answer. Everything else (validation,
    access, conditions, not found) fails at once, and so does an error awskit already
    translated: an inner call spent its attempts, and retrying it again would stack two
    layers of retries on one failure.
    """
    if isinstance(exc, ClientError):
        if is_throttle(exc):
            return "throttle"
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if status >= 500 or code in TRANSIENT_CODES or error_code(exc) in TRANSIENT_CODES:
            return "server"
        return None
    if isinstance(exc, (ConnectTimeoutError, ReadTimeoutError)):
        return "timeout"
    if isinstance(exc, (HTTPClientError, BotocoreConnectionError, IncompleteReadError)):
        return "transport"
    if type(exc).__module__.startswith(("urllib3", "aiohttp")):
        return "timeout" if "Timeout" in type(exc).__name__ else "transport"
    return None


def outlasted(exc: BaseException) -> bool:
    """True for an error that left a call after every retry but may pass with time.

    For loops that must outlive such errors (a consumer backs off and goes on): throttling,
    a server failure or a transport failure, raw or already translated.
    """
    from ._errors import Throttled

    if classify(exc) is not None or isinstance(exc, (Throttled, TransportError)):
        return True
    return isinstance(exc, AwskitError) and exc.code in TRANSIENT_CODES


@dataclass(frozen=True)
class RetryPolicy:
    """How awskit retries what botocore leaves over, for every call.

    Backoff before attempt *n* (1-based, after a failed attempt *n-1*) is
    ``min(max_backoff, initial_backoff * 2 ** (n - 2))``, drawn uniformly from
    ``[0, that]`` when ``jitter`` is on ("full jitter", which spreads retrying clients
    best under contention). ``sleep`` is injectable so tests never wait.

    ```python
    awskit.connect(retry=awskit.RetryPolicy(max_attempts=4, max_backoff=2.0))
    ```
    """

    max_attempts: int = 8
    initial_backoff: float = 0.05
    max_backoff: float = 20.0
    jitter: bool = True
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        from ._errors import InvalidInput

        if isinstance(self.max_attempts, bool) or self.max_attempts < 1:
            raise InvalidInput("max_attempts", "must be at least 1")
        if self.initial_backoff < 0 or self.max_backoff < 0:
            raise InvalidInput("initial_backoff", "backoff times must not be negative")

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.max_backoff, self.initial_backoff * (2 ** (attempt - 1)))
        return self.rng.uniform(0, ceiling) if self.jitter else ceiling

    def call(self, func: Callable[[], R], *, operation: str | None = None) -> R:
        """Run ``func`` (one botocore call); rerun it while it fails for a `classify` reason.

        When attempts run out, or at once for a failure no retry can help, the error leaves
        translated into the awskit tree (``Throttled``, ``Timeout``, ``TransportError``,
        ...), ``operation`` naming the call where botocore does not.
        """
        # Most calls succeed at once: the state machine is made only when one fails.
        attempts: Attempts | None = None
        while True:
            try:
                return func()
            except Exception as exc:
                if attempts is None:
                    attempts = Attempts(self, operation)
                delay = attempts.failed(exc)
            self.sleep(delay)

    def drain(
        self,
        pending: Sequence[T],
        attempt: Callable[[list[T]], Sequence[T]],
        *,
        what: str = "entries",
    ) -> None:
        """Feed ``pending`` to ``attempt`` until it reports nothing left over.

        ``attempt(entries)`` sends them and returns those that should be tried again (AWS
        left them unprocessed). A call that fails as a whole for a `classify` reason
        counts as an attempt that left every entry over: the batch is never given up while
        attempts remain. Any other error propagates at once, untranslated, for the caller
        to attribute to the entries. When attempts run out,
        [PartialFailure][awskit.PartialFailure] lists exactly what is left, with the last
        error seen (translated: an [AwskitError][awskit.AwskitError]) as ``last_error``.
        """
        draining = Draining(self, pending, what)
        while True:
            try:
                left = attempt(draining.left)
            except Exception as exc:
                if classify(exc) is None:
                    raise
                delay = draining.failed(exc)
            else:
                delay = draining.answered(left)
            if delay is None:
                return
            self.sleep(delay)


# -- the decisions, shared by the blocking drivers above and the async ones below --------


class Attempts:
    """The retry rule for one call, as a state machine: no IO and no sleeping.

    A driver runs the call; after each failure `failed` says how long to wait before
    the next attempt, or raises what leaves the call. [RetryPolicy.call][awskit.RetryPolicy.call]
    drives it blocking, `call_async` on asyncio: the decisions are made here, once.
    """

    def __init__(self, policy: RetryPolicy, operation: str | None = None) -> None:
        self.policy = policy
        self.operation = operation
        self.made = 0

    def failed(self, exc: Exception) -> float:
        """Seconds to wait before the next attempt after ``exc``; or raise it translated.

        Raises:
            AwskitError: ``exc`` translated, when no retry can help or attempts ran out;
                an error that is not botocore's (nor urllib3's, nor aiohttp's) as it is.
        """
        self.made += 1
        if isinstance(exc, AwskitError):
            raise exc
        if classify(exc) is not None and self.made < self.policy.max_attempts:
            scrub_exception(exc)
            return self.policy.backoff(self.made)
        translated = translate_any(exc, self.operation)
        if translated is exc:
            raise exc
        raise translated from exc


class Draining(Generic[T]):
    """The retry rule for a batch, as a state machine: what is left and what comes next.

    A driver sends `left`, then reports the entries AWS left over
    (`answered`) or a failure of the whole call that `classify` allows
    (`failed`); either returns the seconds to wait before sending `left` again,
    ``None`` when nothing is left, or raises [PartialFailure][awskit.PartialFailure] when
    attempts ran out.
    """

    def __init__(self, policy: RetryPolicy, pending: Sequence[T], what: str) -> None:
        self.policy = policy
        self.what = what
        self.left: list[T] = list(pending)
        self.last_error: BaseException | None = None
        self.made = 0

    def answered(self, left: Sequence[T]) -> float | None:
        """The attempt went through; AWS left ``left`` over."""
        self.left = list(left)
        return self._next()

    def failed(self, exc: BaseException) -> float | None:
        """The whole attempt failed for a `classify` reason: everything is left over."""
        translated = translate_any(exc)
        if translated is not exc:
            translated.__cause__ = exc
        self.last_error = translated
        return self._next()

    def _next(self) -> float | None:
        self.made += 1
        if not self.left:
            return None
        if self.made < self.policy.max_attempts:
            return self.policy.backoff(self.made)
        reason = f": {self.last_error}" if self.last_error is not None else ""
        raise PartialFailure(
            f"{len(self.left)} {self.what} still not done after {self.policy.max_attempts} "
            f"attempts{reason}",
            failed=self.left,
            last_error=self.last_error,
            code="PartialFailure",
        )


async def _asyncio_sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


#: How the async drivers wait between attempts (``asyncio.sleep``); injectable for tests.
AsyncSleep = Callable[[float], Awaitable[None]]


async def call_async(
    policy: RetryPolicy,
    func: Callable[[], Awaitable[R]],
    *,
    operation: str | None = None,
    sleep: AsyncSleep | None = None,
) -> R:
    """[RetryPolicy.call][awskit.RetryPolicy.call] on asyncio: the same rule, awaited.

    ``sleep`` waits between attempts (``asyncio.sleep`` when not given; the policy's own
    ``sleep`` blocks, so it is never used here).
    """
    wait = sleep or _asyncio_sleep
    attempts = Attempts(policy, operation)
    while True:
        try:
            return await func()
        except Exception as exc:
            delay = attempts.failed(exc)
        await wait(delay)


async def drain_async(
    policy: RetryPolicy,
    pending: Sequence[T],
    attempt: Callable[[list[T]], Awaitable[Sequence[T]]],
    *,
    what: str = "entries",
    sleep: AsyncSleep | None = None,
) -> None:
    """[RetryPolicy.drain][awskit.RetryPolicy.drain] on asyncio: the same rule, awaited."""
    wait = sleep or _asyncio_sleep
    draining = Draining(policy, pending, what)
    while True:
        try:
            left = await attempt(draining.left)
        except Exception as exc:
            if classify(exc) is None:
                raise
            delay = draining.failed(exc)
        else:
            delay = draining.answered(left)
        if delay is None:
            return
        await wait(delay)


def scrub_exception(exc: BaseException) -> None:
    """Scrub secrets from an exception kept for later (``last_error``, a batch failure)."""
    from ._errors import _scrub_in_place

    _scrub_in_place(exc)
