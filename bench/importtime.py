"""Import cost: ``import awskit; awskit.connect`` against ``import boto3``.

Each figure is the median wall time of a fresh interpreter doing only that import,
so the interpreter's own start-up is included on both sides (and cancels in the ratio).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

PEER = "import boto3"
AWSKIT = "import awskit; awskit.connect"
# The honest second pair: actually connecting imports boto3 and builds its session.
PEER_CONNECT = "import boto3; boto3.Session(region_name='us-east-1')"
AWSKIT_CONNECT = "import awskit; awskit.connect(region='us-east-1')"


def _median_seconds(code: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(quick: bool = False) -> list[dict[str, object]]:
    runs = 5 if quick else 15
    _median_seconds(PEER, 1)  # warm the file cache for both
    rows: list[dict[str, object]] = []
    pairs = [
        ("import", PEER, AWSKIT, "boto3 itself is loaded by connect(); target <= 1.3x"),
        ("import and connect", PEER_CONNECT, AWSKIT_CONNECT, "no request is sent"),
    ]
    for operation, peer_code, our_code, note in pairs:
        peer = _median_seconds(peer_code, runs)
        ours = _median_seconds(our_code, runs)
        rows.append(
            {
                "operation": f"{operation} (fresh interpreter, median of {runs})",
                "peer": f"`{peer_code}`",
                "peer_s": peer,
                "awskit_s": ours,
                "note": f"`{our_code}`; {note}",
            }
        )
    for row in rows:
        print(row)
    return rows


if __name__ == "__main__":
    run()
