"""S3: awskit's upload_file/download_file against boto3's client methods.

Both go through s3transfer; the difference is configuration (awskit: parts in flight up
to the session's ``max_concurrency`` = 16, a pool sized for it; boto3: 10 threads, 10
pooled connections) and awskit's progress adapter. moto's server runs in a child process
(so it does not share the client's GIL), directly and behind the fault proxy with 20 ms
added to every request, where part concurrency starts to matter.

Run: ``python -m bench.s3 [--quick]``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import awskit
from bench._common import dummy_session, interleaved, servers

ROOT = Path(__file__).resolve().parent.parent
MIB = 1 << 20


def _rows_for(
    url: str, label: str, slug: str, source: Path, workdir: Path, repeat: int
) -> list[dict[str, Any]]:
    client: Any = dummy_session().client("s3", endpoint_url=url)
    aws = awskit.connect(session=dummy_session(), endpoint_url=url)
    bucket = aws.s3.create_bucket(f"bench-{slug}")
    size = source.stat().st_size
    seen: list[int] = []

    def boto3_up() -> None:
        client.upload_file(str(source), bucket.name, "peer.bin")

    def boto3_up_cb() -> None:
        client.upload_file(str(source), bucket.name, "peer.bin", Callback=seen.append)

    def awskit_up() -> None:
        bucket.upload_file(source, "ours.bin")

    def awskit_up_cb() -> None:
        bucket.upload_file(source, "ours.bin", progress=lambda done, total: None)

    def boto3_down() -> None:
        client.download_file(bucket.name, "peer.bin", str(workdir / "peer.out"))

    def awskit_down() -> None:
        bucket.download_file("ours.bin", workdir / "ours.out")

    # One untimed round each: connections, clients and the service model warm up.
    for warm in (boto3_up, awskit_up, boto3_down, awskit_down):
        warm()
    rows: list[dict[str, Any]] = []
    for operation, peer_fn, ours_fn, note in (
        ("upload_file 24 MiB", boto3_up, awskit_up, "3 parts of 8 MiB"),
        ("upload_file + progress", boto3_up_cb, awskit_up_cb, "Callback vs progress(done, total)"),
        ("download_file 24 MiB", boto3_down, awskit_down, "3 ranged GETs"),
    ):
        # Interleave the two so drift in machine load hits both alike.
        peer_s, ours_s = interleaved([peer_fn, ours_fn], repeat)
        rows.append(
            {
                "operation": f"{operation} ({label})",
                "peer": "boto3 client, default TransferConfig",
                "peer_s": peer_s,
                "awskit_s": ours_s,
                "note": f"{note}; median of {repeat}",
            }
        )
    assert (workdir / "ours.out").stat().st_size == size
    assert (workdir / "ours.out").read_bytes() == source.read_bytes()
    client.close()
    return rows


def run(quick: bool = False) -> list[dict[str, object]]:
    """24 MiB upload_file/download_file, awskit vs boto3, direct and through 20 ms latency."""
    repeat = 2 if quick else 5
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        source = workdir / "source.bin"
        source.write_bytes(os.urandom(24 * MIB))
        with servers(0.02) as (moto_url, proxy_url):
            rows += _rows_for(moto_url, "moto", "direct", source, workdir, repeat)
            rows += _rows_for(proxy_url, "moto + 20 ms", "latency", source, workdir, repeat)
    for row in rows:
        ratio = row["awskit_s"] / row["peer_s"] if row["peer_s"] else float("nan")
        print(
            f"{row['operation']:<44} boto3 {row['peer_s'] * 1000:8.1f} ms   "
            f"awskit {row['awskit_s'] * 1000:8.1f} ms   {ratio:5.2f}x   {row['note']}"
        )
    return rows


if __name__ == "__main__":
    run(quick="--quick" in sys.argv[1:])
