"""EBS with default settings against the best hand-tuned thread pool: does the concurrency
controller find the ceiling by itself?

The strict EBS server (``tests/ebs_strict.py``) holds each block request for 50 ms, in a
child process (so serving does not share the client's GIL), in two scenarios:

* no limit on blocks in flight;
* throttling (``RequestThrottledException``) beyond 12 blocks in flight per snapshot, as
  AWS throttles per snapshot.

A 64 MiB image is uploaded, then downloaded, by hand-tuned boto3 thread pools of 8, 16,
32 and 64 threads (the best of them is the peer), by ``aws.ebs.upload``/``download`` with
default settings (beside the 16-thread pool: the most the fixed 16 that was the default
before the controller allows). Runs are interleaved; the median of each is kept.

Run: ``python -m bench --only ebsflow`` (or ``python -m bench.ebsflow [--quick]``).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from botocore.config import Config

from bench._common import ROOT, dummy_session, interleaved
from bench.ebs import MIB, _awskit, _image, download_loop, upload_threads

POOLS = [8, 16, 32, 64]

_SERVE = """
import sys
from tests.ebs_strict import StrictEBS
limit = int(sys.argv[1]) or None
with StrictEBS(latency=0.05, concurrency_limit=limit) as server:
    print(server.url, flush=True)
    sys.stdin.read()
"""


def _boto3_client(url: str, pool: int) -> Any:
    """A hand-tuned client: a pool as large as its threads, standard retries, 10 attempts
    (3, the default, lets a 64-thread pool fail under the 12-block limit)."""
    return dummy_session().client(
        "ebs",
        endpoint_url=url,
        config=Config(max_pool_connections=pool, retries={"mode": "standard", "max_attempts": 10}),
    )


@contextlib.contextmanager
def strict_server(limit: int | None) -> Iterator[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(limit or 0)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        yield child.stdout.readline().strip()
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()


def _rows(operation: str, pools: dict[int, float], ours: float) -> list[dict[str, object]]:
    best = min(pools, key=lambda n: pools[n])
    shown = ", ".join(f"{n}: {pools[n]:.2f} s" for n in POOLS)
    return [
        {
            "operation": operation,
            "peer": f"best hand-tuned boto3 pool ({best} threads)",
            "peer_s": pools[best],
            "awskit_s": ours,
            "note": f"awskit default settings; pools {shown}; target <= 1.11x",
        },
        {
            "operation": operation,
            "peer": "hand-tuned boto3 pool of 16 threads",
            "peer_s": pools[16],
            "awskit_s": ours,
            "note": "awskit default settings against the most a fixed 16 (the default before "
            "the controller) allows; target <= 1.00x",
        },
    ]


def _scenario(image: Path, limit: int | None, repeat: int) -> list[dict[str, object]]:
    where = "no limit" if limit is None else f"throttled beyond {limit} in flight"
    label = f"{image.stat().st_size // MIB} MiB, 50 ms a block, {where}"
    out = image.with_suffix(".out")
    with strict_server(limit) as url:
        clients = {n: _boto3_client(url, pool=n) for n in POOLS}
        aws = _awskit(url)
        uploads = [
            *(lambda n=n: upload_threads(clients[n], image, n) for n in POOLS),  # type: ignore[misc]
            lambda: aws.ebs.upload(image),
        ]
        for run in uploads:
            run()  # warm connections and models on every path
        up = interleaved(uploads, repeat)
        snapshot_id = aws.ebs.upload(image).snapshot_id
        downloads = [
            *(lambda n=n: download_loop(clients[n], snapshot_id, out, n) for n in POOLS),  # type: ignore[misc]
            lambda: aws.ebs.download(snapshot_id, out),
        ]
        for run in downloads:
            run()
        down = interleaved(downloads, repeat)
    n = len(POOLS)
    return _rows(f"upload {label}", dict(zip(POOLS, up[:n], strict=True)), up[n]) + _rows(
        f"download {label}", dict(zip(POOLS, down[:n], strict=True)), down[n]
    )


def run(quick: bool = False) -> list[dict[str, object]]:
    size = (32 if quick else 64) * MIB
    repeat = 3 if quick else 5
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="awskit-bench-ebsflow-") as tmp:
        image = Path(tmp) / "image.img"
        _image(image, size)
        for limit in (None, 12):
            rows += _scenario(image, limit, repeat)
    for row in rows:
        ratio = float(row["awskit_s"]) / float(row["peer_s"])  # type: ignore[arg-type]
        print(
            f"{row['operation']} | {row['peer']} {float(row['peer_s']):.2f} s | "  # type: ignore[arg-type]
            f"awskit {float(row['awskit_s']):.2f} s | {ratio:.2f}x | {row['note']}"  # type: ignore[arg-type]
        )
    return rows


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
