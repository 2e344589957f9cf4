"""Retries for what botocore cannot see.

botocore (``standard`` mode, set on every client awskit creates) already retries
transport errors, 5xx and throttling responses of single calls. Two things stay
invisible to it and are handled here, with tenacity:

* partial batch failures: a 200 response that still leaves ``UnprocessedItems``,
  ``UnprocessedKeys`` or ``Failed`` entries behind;
* throttling that outlived botocore's own attempts (the call raised a throttling
  ``ClientError`` after botocore gave up): the whole call is tried again later, after
  a longer backoff than botocore's.

A failure is retried by one layer only: a call that raised anything but throttling is
not retried again here, and a partial result is never seen by botocore.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from botocore.exceptions import ClientError

from ._errors import THROTTLING_CODES, PartialFailure, error_code

if TYPE_CHECKING:
    import tenacity

__all__ = ["RETRYABLE_CODES", "RetryPolicy"]

T = TypeVar("T")
R = TypeVar("R")

#: Error codes worth another try once botocore has given up, and per-entry codes of batch
#: results (SQS ``Failed[].Code``) that mean "try again" rather than "this entry is bad".
RETRYABLE_CODES: tuple[str, ...] = (
    *THROTTLING_CODES,
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "InternalServerException",
    "ServiceUnavailable",
    "RequestTimeout",
)


def is_throttle(exc: BaseException) -> bool:
    """True for a ``ClientError`` whose code says the caller went too fast."""
    return isinstance(exc, ClientError) and (
        error_code(exc) in THROTTLING_CODES
        or str(exc.response.get("Error", {}).get("Code")) in THROTTLING_CODES
    )


@dataclass(frozen=True)
class RetryPolicy:
    """How awskit retries what botocore leaves over.

    Backoff before attempt *n* (1-based, after a failed attempt *n-1*) is
    ``min(max_backoff, initial_backoff * 2 ** (n - 2))``, drawn uniformly from
    ``[0, that]`` when ``jitter`` is on ("full jitter", which spreads retrying clients
    best under contention). ``sleep`` is injectable so tests never wait.

    Example::

        awskit.connect(retry=awskit.RetryPolicy(max_attempts=4, max_backoff=2.0))
    """

    max_attempts: int = 8
    initial_backoff: float = 0.05
    max_backoff: float = 20.0
    jitter: bool = True
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        from ._errors import InvalidInput

        if self.max_attempts < 1:
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

    def call(self, func: Callable[[], R]) -> R:
        """Run ``func``; if it raises throttling after botocore's retries, back off and rerun.

        Anything else propagates at once: botocore has already retried it.
        """
        import tenacity

        return self._retrying(tenacity.retry_if_exception(is_throttle))(func)

    def drain(
        self,
        pending: Sequence[T],
        attempt: Callable[[list[T]], Sequence[T]],
        *,
        what: str = "entries",
    ) -> None:
        """Feed ``pending`` to ``attempt`` until it reports nothing left over.

        ``attempt(entries)`` sends them and returns those that should be tried again (AWS
        left them unprocessed). A throttling error from the call itself is retried too.
        When attempts run out, :class:`~awskit.PartialFailure` lists exactly what is left.
        """
        import tenacity

        left: list[T] = list(pending)
        last_error: BaseException | None = None

        def once() -> list[T]:
            nonlocal left, last_error
            try:
                left = list(attempt(left))
            except ClientError as exc:
                if not is_throttle(exc):
                    raise
                last_error = exc
            return left

        retrying = self._retrying(tenacity.retry_if_result(bool))
        # A result that stays truthy to the last attempt ends in RetryError: what is
        # left over is reported below with the entries themselves.
        with contextlib.suppress(tenacity.RetryError):
            retrying(once)
        if left:
            raise PartialFailure(
                f"{len(left)} {what} still not done after {self.max_attempts} attempts",
                failed=left,
                last_error=last_error,
                code="PartialFailure",
            )
