"""RetryPolicy: backoff shape, what is retried, and nothing lost when attempts run out."""

from __future__ import annotations

import itertools
import random

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from hypothesis import given
from hypothesis import strategies as st

import awskit
from awskit._retry import RETRYABLE_CODES, classify, is_throttle, outlasted
from tests.conftest import SleepRecorder


def client_error(code: str, operation: str = "BatchWriteItem") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"RequestId": "r-1"}},
        operation,
    )


def test_backoff_doubles_up_to_the_cap_without_jitter() -> None:
    policy = awskit.RetryPolicy(initial_backoff=0.1, max_backoff=1.0, jitter=False)
    assert [policy.backoff(n) for n in range(1, 7)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


@given(attempt=st.integers(min_value=1, max_value=60), seed=st.integers())
def test_full_jitter_stays_within_the_exponential_ceiling(attempt: int, seed: int) -> None:
    policy = awskit.RetryPolicy(initial_backoff=0.05, max_backoff=20.0, rng=random.Random(seed))
    delay = policy.backoff(attempt)
    assert 0.0 <= delay <= min(20.0, 0.05 * 2 ** (attempt - 1))


def test_invalid_policy_is_rejected() -> None:
    with pytest.raises(awskit.InvalidInput, match="max_attempts"):
        awskit.RetryPolicy(max_attempts=0)
    with pytest.raises(awskit.InvalidInput, match="backoff"):
        awskit.RetryPolicy(initial_backoff=-1)


def test_drain_retries_leftovers_until_done(sleeps: SleepRecorder) -> None:
    policy = awskit.RetryPolicy(jitter=False, sleep=sleeps)
    calls: list[list[int]] = []

    def attempt(batch: list[int]) -> list[int]:
        calls.append(batch)
        return batch[len(batch) // 2 + 1 :]  # AWS takes a little over half each time

    policy.drain(list(range(10)), attempt)
    assert calls[0] == list(range(10))
    for earlier, later in itertools.pairwise(calls):
        assert later == earlier[len(earlier) // 2 + 1 :]
    assert sleeps.calls == [policy.backoff(n) for n in range(1, len(calls))]


def test_drain_reports_exactly_what_is_left(sleeps: SleepRecorder) -> None:
    policy = awskit.RetryPolicy(max_attempts=3, sleep=sleeps)

    with pytest.raises(awskit.PartialFailure) as info:
        policy.drain(["a", "b", "c"], lambda batch: [x for x in batch if x != "a"], what="items")
    assert info.value.failed == ["b", "c"]
    assert "2 items" in str(info.value)
    assert len(sleeps.calls) == 2


def test_drain_retries_throttling_of_the_whole_call_and_keeps_the_last_error(
    sleeps: SleepRecorder,
) -> None:
    policy = awskit.RetryPolicy(max_attempts=4, sleep=sleeps)
    errors = [client_error("ProvisionedThroughputExceededException")] * 2

    def attempt(batch: list[int]) -> list[int]:
        if errors:
            raise errors.pop()
        return []

    policy.drain([1, 2], attempt)
    assert len(sleeps.calls) == 2

    def always(batch: list[int]) -> list[int]:
        raise client_error("ThrottlingException")

    with pytest.raises(awskit.PartialFailure) as info:
        policy.drain([1, 2], always)
    assert info.value.failed == [1, 2]
    assert isinstance(info.value.last_error, awskit.Throttled)
    assert isinstance(info.value.last_error.__cause__, ClientError)


def test_drain_counts_a_failed_call_as_an_attempt_that_left_everything(
    sleeps: SleepRecorder,
) -> None:
    policy = awskit.RetryPolicy(sleep=sleeps)
    failures = [client_error("InternalServerError"), ConnectionClosedError(endpoint_url="x")]

    def attempt(batch: list[int]) -> list[int]:
        if failures:
            raise failures.pop(0)
        return []

    policy.drain([1], attempt)
    assert failures == [] and len(sleeps.calls) == 2


def test_drain_raises_what_no_retry_can_help_at_once(sleeps: SleepRecorder) -> None:
    policy = awskit.RetryPolicy(sleep=sleeps)
    calls = 0

    def attempt(batch: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        raise client_error("ValidationException")

    with pytest.raises(ClientError):
        policy.drain([1], attempt)
    assert calls == 1
    assert sleeps.calls == []


def test_call_reruns_throttling_and_transient_failures(sleeps: SleepRecorder) -> None:
    policy = awskit.RetryPolicy(max_attempts=5, sleep=sleeps)
    outcomes: list[object] = [
        client_error("Throttling"),
        client_error("InternalError"),
        ReadTimeoutError(endpoint_url="http://x"),
        EndpointConnectionError(endpoint_url="http://x"),
        "done",
    ]

    def flaky() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return str(outcome)

    assert policy.call(flaky) == "done"
    assert len(sleeps.calls) == 4

    def denied() -> str:
        raise client_error("AccessDenied")

    with pytest.raises(awskit.AwskitError, match="AccessDenied") as info:
        policy.call(denied)
    assert isinstance(info.value.__cause__, ClientError)
    assert len(sleeps.calls) == 4


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (client_error("ThrottlingException"), awskit.Throttled),
        (ReadTimeoutError(endpoint_url="http://x"), awskit.Timeout),
        (ConnectTimeoutError(endpoint_url="http://x"), awskit.Timeout),
        (ConnectionClosedError(endpoint_url="http://x"), awskit.TransportError),
        (EndpointConnectionError(endpoint_url="http://x"), awskit.TransportError),
    ],
)
def test_call_gives_up_after_max_attempts_with_the_error_translated(
    sleeps: SleepRecorder, error: Exception, expected: type[awskit.AwskitError]
) -> None:
    policy = awskit.RetryPolicy(max_attempts=2, sleep=sleeps)
    count = 0

    def always() -> None:
        nonlocal count
        count += 1
        raise error

    with pytest.raises(expected) as info:
        policy.call(always, operation="GetItem")
    assert count == 2
    assert info.value.__cause__ is error
    assert info.value.operation in ("GetItem", "BatchWriteItem")


def test_classify_names_every_retryable_failure() -> None:
    assert classify(client_error("ThrottlingException")) == "throttle"
    assert classify(client_error("InternalError")) == "server"
    assert classify(client_error("ValidationException")) is None
    assert classify(ReadTimeoutError(endpoint_url="x")) == "timeout"
    assert classify(ConnectionClosedError(endpoint_url="x")) == "transport"
    assert classify(ValueError("Throttling")) is None
    # Translated errors already spent their attempts: retrying them would stack layers.
    assert classify(awskit.Throttled("slow")) is None
    assert outlasted(awskit.Throttled("slow")) and outlasted(awskit.Timeout("late"))
    assert not outlasted(awskit.NotFound("gone"))


def test_retryable_codes_cover_throttling_and_server_faults() -> None:
    for code in ("ThrottlingException", "RequestThrottledException", "SlowDown", "InternalError"):
        assert code in RETRYABLE_CODES
    assert is_throttle(client_error("ProvisionedThroughputExceededException"))
    assert not is_throttle(client_error("ValidationException"))
    assert not is_throttle(ValueError("Throttling"))
    sqs_style = ClientError(
        {"Error": {"Code": "AWS.SimpleQueueService.RequestThrottled", "QueryErrorCode": "X"}},
        "SendMessage",
    )
    assert is_throttle(sqs_style)
