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
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeVar

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

if TYPE_CHECKING:
    import tenacity

__all__ = [
    "RETRYABLE_CODES",
    "TRANSIENT_CODES",
    "Reason",
    "RetryPolicy",
    "classify",
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
    if type(exc).__module__.startswith("urllib3"):
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

    def _retrying(self, retry: tenacity.retry_base) -> tenacity.Retrying:
        import tenacity

        return tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=lambda state: self.backoff(state.attempt_number),
            sleep=self.sleep,
            retry=retry,
            reraise=True,
        )

    def call(self, func: Callable[[], R], *, operation: str | None = None) -> R:
        """Run ``func`` (one botocore call); rerun it while it fails for a `classify` reason.

        When attempts run out, or at once for a failure no retry can help, the error leaves
        translated into the awskit tree (``Throttled``, ``Timeout``, ``TransportError``,
        ...), ``operation`` naming the call where botocore does not.
        """
        import tenacity

        try:
            return self._retrying(tenacity.retry_if_exception(_retryable))(func)
        except AwskitError:
            raise
        except Exception as exc:
            translated = translate_any(exc, operation)
            if translated is exc:
                raise
            raise translated from exc

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
        import tenacity

        left: list[T] = list(pending)
        last_error: BaseException | None = None

        def once() -> list[T]:
            nonlocal left, last_error
            try:
                left = list(attempt(left))
            except Exception as exc:
                if classify(exc) is None:
                    raise
                last_error = translate_any(exc)
                if last_error is not exc:
                    last_error.__cause__ = exc
            return left

        retrying = self._retrying(tenacity.retry_if_result(bool))
        # A result that stays truthy to the last attempt ends in RetryError: what is
        # left over is reported below with the entries themselves.
        with contextlib.suppress(tenacity.RetryError):
            retrying(once)
        if left:
            reason = f": {last_error}" if last_error is not None else ""
            raise PartialFailure(
                f"{len(left)} {what} still not done after {self.max_attempts} attempts{reason}",
                failed=left,
                last_error=last_error,
                code="PartialFailure",
            )


def _retryable(exc: BaseException) -> bool:
    if classify(exc) is None:
        return False
    scrub_exception(exc)
    return True


def scrub_exception(exc: BaseException) -> None:
    """Scrub secrets from an exception kept for later (``last_error``, a batch failure)."""
    from ._errors import _scrub_in_place

    _scrub_in_place(exc)
