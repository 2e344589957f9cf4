"""What every benchmark needs: dummy sessions, servers in a child process, fair timing."""

from __future__ import annotations

import contextlib
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import boto3

from awskit._local import DUMMY_CREDENTIALS

ROOT = Path(__file__).resolve().parent.parent

_SERVE = """
import sys
from tests.faults import FaultProxy
if sys.argv[2] == "ebs":
    from tests.ebs_strict import StrictEBS as Upstream
else:
    from awskit._local import LocalEndpoint as Upstream
with Upstream() as upstream, FaultProxy(upstream.url) as proxy:
    proxy.set_latency(float(sys.argv[1]))
    print(upstream.url, proxy.url, flush=True)
    sys.stdin.read()
"""


def dummy_session(region: str = "us-east-1") -> boto3.Session:
    """A boto3 session with moto's dummy credentials: nothing here can reach AWS."""
    return boto3.Session(
        region_name=region,
        aws_access_key_id=DUMMY_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=DUMMY_CREDENTIALS["aws_secret_access_key"],
    )


@contextlib.contextmanager
def servers(latency: float, upstream: Literal["moto", "ebs"] = "moto") -> Iterator[tuple[str, str]]:
    """moto's server (or the strict EBS server) and a fault proxy adding ``latency`` s per
    request, in a child process so that serving does not share the GIL with the client
    being measured. Yields (upstream url, proxy url)."""
    child = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(latency), upstream],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        upstream_url, proxy_url = child.stdout.readline().split()
        yield upstream_url, proxy_url
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call of ``fn`` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(fns: list[Callable[[], object]], repeat: int) -> list[float]:
    """Median seconds of each of ``fns``, run in turn ``repeat`` times: peers and awskit
    go through the same moments of a shared, noisy machine."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, seconds in zip(fns, times, strict=True):
            seconds.append(timed(fn))
    return [statistics.median(seconds) for seconds in times]


def best_pair(
    ours: Callable[[], object], peer: Callable[[], object], loops: int, repeats: int = 7
) -> tuple[float, float]:
    """Best per-call times of ``ours`` and ``peer``, their timed loops interleaved.

    Interleaving puts both through the same moments of a shared, noisy machine.
    """
    ours()
    peer()
    best = [float("inf"), float("inf")]
    for _ in range(repeats):
        for i, fn in enumerate((ours, peer)):
            start = time.perf_counter()
            for _ in range(loops):
                fn()
            best[i] = min(best[i], (time.perf_counter() - start) / loops)
    return best[0], best[1]
