"""The shared concurrency controller (awskit._flow) on a simulated server.

Time is simulated: a server that takes ``service`` seconds per request up to a capacity,
queues beyond it (latency grows), or throttles beyond a limit. The controller only sees
what a client sees (latency, throttles) through its own methods; the clock is the
simulation's, so nothing here waits or depends on the machine's speed.
"""

from __future__ import annotations

import heapq
import io
import random
import threading
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import awskit
from awskit._flow import Aimd, Controller
from awskit.ebs import BLOCK_SIZE
from awskit.ebs.flow import Limiter
from tests.conftest import make_session
from tests.ebs_strict import StrictEBS


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def simulate(
    aimd: Aimd,
    clock: Clock,
    *,
    requests: int,
    service: float = 0.05,
    capacity: int | None = None,
    throttle_above: int | None = None,
    until: float | None = None,
) -> list[int]:
    """Run ``requests`` requests through ``aimd``; the limit seen after each completion.

    ``capacity``: requests served at once; beyond it they queue (latency grows).
    ``throttle_above``: requests beyond this many in flight are refused at once.
    """
    events: list[tuple[float, int, bool]] = []  # (finish time, seq, throttled)
    in_flight = 0
    sent = done = seq = 0
    limits: list[int] = []
    # A queueing server: finish times follow the capacity's free slots.
    free_at: list[float] = [0.0] * (capacity or 10**6)
    starts: dict[int, float] = {}
    while done < requests:
        while in_flight < aimd.limit and sent < requests:
            seq += 1
            starts[seq] = clock.now
            if throttle_above is not None and in_flight >= throttle_above:
                heapq.heappush(events, (clock.now + 0.002, seq, True))
            else:
                slot = heapq.heappop(free_at)
                finish = max(slot, clock.now) + service
                heapq.heappush(free_at, finish)
                heapq.heappush(events, (finish, seq, False))
                sent += 1
            in_flight += 1
        finish, number, throttled = heapq.heappop(events)
        clock.now = finish
        in_flight -= 1
        if throttled:
            aimd.throttled()
        else:
            done += 1
            aimd.succeeded(finish - starts.pop(number))
        limits.append(aimd.limit)
        if until is not None and clock.now >= until:
            break
    return limits


def test_grows_from_its_start_to_the_pool_when_the_server_has_room() -> None:
    clock = Clock()
    aimd = Aimd(64, initial=16, clock=clock)
    limits = simulate(aimd, clock, requests=400)
    assert limits[-1] == 64
    assert aimd.cuts == 0
    # Slow start: the pool is reached within two round trips, not hundreds of requests.
    assert limits.index(64) < 16 + 48


# 64: EBS's default starts at the pool and must come down as surely as it goes up.
@pytest.mark.parametrize("initial", [16, 64])
def test_converges_near_a_throttling_limit_and_stays_there(initial: int) -> None:
    clock = Clock()
    aimd = Aimd(64, initial=initial, clock=clock)
    limits = simulate(aimd, clock, requests=3000, throttle_above=12)
    settled = limits[len(limits) // 2 :]
    assert aimd.cuts > 0
    assert max(settled) <= 16
    assert sum(settled) / len(settled) >= 8  # 12 is the ceiling; AIMD saws below it


@pytest.mark.parametrize("initial", [4, 64])
def test_backs_off_when_latency_rises_at_a_queueing_server(initial: int) -> None:
    clock = Clock()
    aimd = Aimd(64, initial=initial, clock=clock)
    limits = simulate(aimd, clock, requests=3000, capacity=10)
    settled = limits[len(limits) // 2 :]
    assert aimd.cuts > 0
    # Past 20 in flight a request waits longer than it is served: latency doubles.
    assert max(settled) <= 24
    assert min(settled) >= 5


def test_recovers_after_a_burst_of_throttling() -> None:
    clock = Clock()
    aimd = Aimd(32, initial=32, clock=clock, window=0.0)
    for _ in range(10):
        aimd.throttled()
    assert aimd.limit == 1
    limits = simulate(aimd, clock, requests=2000)
    assert limits[-1] == 32


def test_one_burst_counts_once_per_window() -> None:
    clock = Clock()
    aimd = Aimd(16, clock=clock, window=1.0)
    for _ in range(16):
        aimd.throttled()
    assert (aimd.limit, aimd.cuts) == (11, 1)
    clock.now = 1.0
    aimd.throttled()
    assert (aimd.limit, aimd.cuts) == (7, 2)


def test_pinned_stays_at_its_number_unless_throttled() -> None:
    clock = Clock()
    aimd = Aimd(8, pinned=True, clock=clock)
    limits = simulate(aimd, clock, requests=500, capacity=2)  # latency soars: no cut
    assert set(limits) == {8}
    assert aimd.cuts == 0
    aimd.throttled()
    assert aimd.limit == 5
    simulate(aimd, clock, requests=500)
    assert aimd.limit == 8


@settings(max_examples=200, deadline=None)
@given(
    maximum=st.integers(1, 128),
    initial=st.integers(1, 128),
    events=st.lists(st.one_of(st.none(), st.floats(0.0, 10.0)), max_size=300),
)
def test_limit_never_leaves_its_bounds(
    maximum: int, initial: int, events: list[float | None]
) -> None:
    clock = Clock()
    aimd = Aimd(maximum, initial=initial, clock=clock)
    for event in events:
        clock.now += 0.01
        if event is None:
            aimd.throttled()
        else:
            aimd.succeeded(event)
        assert 1 <= aimd.limit <= maximum


def test_controller_bounds_requests_in_flight() -> None:
    controller = Controller(3, pinned=True)
    peak = current = 0
    lock = threading.Lock()
    release = threading.Event()

    def work() -> None:
        nonlocal peak, current
        with controller:
            with lock:
                current += 1
                peak = max(peak, current)
            release.wait(5)
            with lock:
                current -= 1
        controller.succeeded()

    threads = [threading.Thread(target=work) for _ in range(10)]
    for t in threads:
        t.start()
    release.set()
    for t in threads:
        t.join()
    assert 1 <= peak <= 3
    assert controller.in_flight == 0


def test_ebs_limiter_is_the_shared_controller() -> None:
    pinned = Limiter(16)
    assert (pinned.limit, pinned.maximum) == (16, 16)
    clock = Clock()
    adaptive = Limiter(64, initial=16, window=None, clock=clock)
    assert adaptive.limit == 16
    for _ in range(16):
        adaptive.succeeded(0.05)
    assert adaptive.limit == 48  # slow start: one round trip of 16 successes triples it


# -- EBS with default settings against a throttling server ---------------------------------


def test_default_upload_and_download_find_a_throttling_servers_limit(
    fast_retry: awskit.RetryPolicy, tmp_path: Path
) -> None:
    with StrictEBS(concurrency_limit=4, latency=0.005) as server:
        aws = make_session(server.url, fast_retry)
        requests: Counter[str] = Counter()

        def count(event_name: str, **_: object) -> None:
            requests[event_name.rsplit(".", 1)[-1]] += 1

        aws.ebs.client.meta.events.register("before-send.ebs", count)
        image = random.Random(7).randbytes(40 * BLOCK_SIZE).replace(b"\0", b"\1")
        snap = aws.ebs.upload(io.BytesIO(image))  # default: adaptive, starting at 16
        out = tmp_path / "out.img"
        aws.ebs.download(snap.snapshot_id, out, size=len(image))
    assert out.read_bytes() == image
    assert server.max_in_flight <= 4
    throttled = [r for r in server.rejected if r[1] == "RequestThrottledException"]
    assert throttled  # it did start above the limit ...
    # ... and came down: most requests went through the first time.
    assert len(throttled) < requests["PutSnapshotBlock"] + requests["GetSnapshotBlock"] // 2


def test_concurrency_n_still_pins_the_number_in_flight(
    fast_retry: awskit.RetryPolicy,
) -> None:
    with StrictEBS(latency=0.02) as server:
        aws = make_session(server.url, fast_retry)
        image = random.Random(8).randbytes(24 * BLOCK_SIZE).replace(b"\0", b"\1")
        aws.ebs.upload(io.BytesIO(image), concurrency=3)
        assert server.max_in_flight <= 3
        aws.ebs.upload(io.BytesIO(image))
        assert server.max_in_flight > 3  # the default finds more room than that
