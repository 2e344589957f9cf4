"""EBS transfers through the fault proxy: corrupted blocks, throttling, 5xx, dropped
connections; and the flow control (retry budget, adaptive concurrency) underneath."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

import awskit
from awskit._local import LocalEndpoint
from awskit.ebs import BLOCK_SIZE
from awskit.ebs.flow import Limiter, Retrier, retry_reason
from tests.conftest import SleepRecorder, make_session
from tests.ebs_strict import StrictEBS
from tests.faults import FaultProxy


def noise(n: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(n).replace(b"\0", b"\x01")


@pytest.fixture
def moto_proxy(moto_endpoint: LocalEndpoint) -> Iterator[FaultProxy]:
    """The fault proxy in front of moto, seeded so a 10% fault shows within a few requests."""
    moto_endpoint.reset()
    with FaultProxy(moto_endpoint.url, seed=3) as proxy:
        yield proxy


@pytest.fixture
def strict_proxy() -> Iterator[tuple[StrictEBS, FaultProxy]]:
    with StrictEBS() as server, FaultProxy(server.url, seed=3) as proxy:
        yield server, proxy


def round_trip(aws: awskit.Session, image: bytes, out: Path) -> awskit.ebs.Snapshot:
    snap = aws.ebs.upload(io.BytesIO(image), concurrency=4)
    aws.ebs.download(snap.snapshot_id, out, size=len(image), concurrency=4)
    return snap


def test_corrupted_blocks_are_fetched_again_moto(
    moto_proxy: FaultProxy, fast_retry: awskit.RetryPolicy, tmp_path: Path
) -> None:
    fault_proxy, faulty_aws = moto_proxy, make_session(moto_proxy.url, fast_retry)
    image = noise(12 * BLOCK_SIZE)
    fault_proxy.add("corrupt", service="ebs", probability=0.1)
    out = tmp_path / "out.img"
    round_trip(faulty_aws, image, out)
    assert out.read_bytes() == image
    assert fault_proxy.injected["corrupt"] >= 1
    gets = sum(1 for service, op in fault_proxy.requests if op == "GetSnapshotBlock")
    assert gets == 12 + fault_proxy.injected["corrupt"]


def test_corrupted_blocks_are_fetched_again_strict(
    strict_proxy: tuple[StrictEBS, FaultProxy], fast_retry: awskit.RetryPolicy, tmp_path: Path
) -> None:
    server, proxy = strict_proxy
    aws = make_session(proxy.url, fast_retry)
    image = noise(5 * BLOCK_SIZE) + bytes(BLOCK_SIZE) + noise(5 * BLOCK_SIZE + 99, 2)
    proxy.add("corrupt", service="ebs", probability=0.1)
    out = tmp_path / "out.img"
    round_trip(aws, image, out)
    assert out.read_bytes() == image
    assert proxy.injected["corrupt"] >= 1
    assert not server.rejected


def test_throttles_5xx_and_drops_lose_nothing(
    faulty_aws: awskit.Session, fault_proxy: FaultProxy, tmp_path: Path
) -> None:
    image = noise(3 * BLOCK_SIZE) + bytes(2 * BLOCK_SIZE) + noise(4 * BLOCK_SIZE + 1, 3)
    for kind in ("throttle", "5xx", "drop"):
        fault_proxy.add(kind, service="ebs", probability=0.1)
    fault_proxy.add("corrupt", service="ebs", probability=0.1)
    out = tmp_path / "out.img"
    snap = round_trip(faulty_aws, image, out)
    assert out.read_bytes() == image
    assert snap.blocks_written == 8
    assert sum(fault_proxy.injected.values()) >= 3


def test_faults_against_the_strict_server(
    strict_proxy: tuple[StrictEBS, FaultProxy], fast_retry: awskit.RetryPolicy, tmp_path: Path
) -> None:
    server, proxy = strict_proxy
    aws = make_session(proxy.url, fast_retry)
    image = noise(10 * BLOCK_SIZE + 5)
    for kind in ("throttle", "5xx", "drop_after"):
        proxy.add(kind, service="ebs", probability=0.08)
    out = tmp_path / "out.img"
    snap = round_trip(aws, image, out)
    assert out.read_bytes() == image
    # A put that reached the server before its connection dropped is put again: the
    # count sent on completion is still the distinct blocks, which the server checks.
    assert snap.blocks_written == len(server.snapshots[snap.snapshot_id].written) == 11
    assert sum(proxy.injected.values()) >= 2


def test_persistent_corruption_raises_and_leaves_no_file(
    faulty_aws: awskit.Session, fault_proxy: FaultProxy, tmp_path: Path
) -> None:
    image = noise(2 * BLOCK_SIZE)
    snap = faulty_aws.ebs.upload(io.BytesIO(image))
    out = tmp_path / "out.img"
    out.write_bytes(b"previous download")
    fault_proxy.add("corrupt", service="ebs")
    with pytest.raises(awskit.ChecksumMismatch) as info:
        faulty_aws.ebs.download(snap.snapshot_id, out, concurrency=1)
    assert info.value.snapshot_id == snap.snapshot_id  # type: ignore[attr-defined]
    assert out.read_bytes() == b"previous download"
    assert [p.name for p in tmp_path.iterdir()] == ["out.img"]
    token = next(iter(faulty_aws.ebs.blocks(snap.snapshot_id))).token
    with pytest.raises(awskit.ChecksumMismatch):
        faulty_aws.ebs.read_block(snap.snapshot_id, 0, token)
    # verify=False is the caller's explicit choice to take the bytes as they come.
    faulty_aws.ebs.download(snap.snapshot_id, out, size=len(image), verify=False)
    assert out.read_bytes() != image
    assert len(out.read_bytes()) == len(image)


def test_limiter_cuts_on_throttling_and_grows_back() -> None:
    limiter = Limiter(16, window=0.0)
    limiter.throttled()
    assert limiter.limit == 11
    for _ in range(20):
        limiter.throttled()
    assert limiter.limit == 1
    for _ in range(200):
        limiter.succeeded()
    assert limiter.limit == 16
    burst = Limiter(16, window=60.0)
    for _ in range(16):
        burst.throttled()  # sixteen workers throttled at once count as one signal
    assert burst.limit == 11


def test_limiter_bounds_requests_in_flight() -> None:
    import threading

    limiter = Limiter(4, window=0.0)
    limiter.throttled()  # 4 * 0.7 -> 2 allowed
    peak = current = 0
    lock = threading.Lock()
    gate = threading.Barrier(1)

    def work() -> None:
        nonlocal peak, current
        with limiter:
            with lock:
                current += 1
                peak = max(peak, current)
            gate.wait()
            with lock:
                current -= 1

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 <= peak <= 2


def client_error(code: str, status: int = 400) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": code},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "PutSnapshotBlock")


@pytest.mark.parametrize(
    ("exc", "age", "reason"),
    [
        (client_error("RequestThrottledException"), None, "throttle"),
        (client_error("ThrottlingException"), None, "throttle"),
        (client_error("ConcurrentLimitExceededException"), None, "throttle"),
        (client_error("InternalServerException", 500), None, "server"),
        (client_error("ServiceUnavailable", 503), None, "server"),
        (client_error("ResourceNotFoundException", 404), 5.0, "fresh"),
        (client_error("ResourceNotFoundException", 404), 3600.0, None),
        (client_error("ResourceNotFoundException", 404), None, None),
        (client_error("AccessDeniedException", 403), 1.0, None),
        (client_error("ValidationException"), 1.0, None),
        (client_error("ConflictException", 409), 1.0, None),
        (awskit.ChecksumMismatch("bad"), None, "checksum"),
        (ConnectionClosedError(endpoint_url="http://x"), None, "transport"),
        (ValueError("bug"), None, None),
    ],
)
def test_retry_reasons(exc: BaseException, age: float | None, reason: str | None) -> None:
    assert retry_reason(exc, age) == reason


def test_retries_share_one_time_budget(sleeps: SleepRecorder) -> None:
    policy = awskit.RetryPolicy(
        max_attempts=1000, initial_backoff=0.5, max_backoff=0.5, jitter=False, sleep=sleeps
    )
    retrier = Retrier(policy, budget=3.0)
    calls = 0

    def throttled() -> None:
        nonlocal calls
        calls += 1
        raise client_error("RequestThrottledException")

    with pytest.raises(ClientError):
        retrier.run(throttled)
    assert calls == 7  # six 0.5 s backoffs spend the 3 s budget
    with pytest.raises(ClientError):
        retrier.run(throttled)
    assert calls == 8  # the budget is spent for the whole transfer, not per call
    assert sum(sleeps.calls) == 3.0
