"""EBS direct APIs: awskit's upload/download pipelines against boto3 loops and dsnap.

The server side is the strict EBS test server (``tests/ebs_strict.py``, which checks
every checksum) behind the fault proxy with 50 ms added to every request, both in a
separate process so they do not compete with the client for the GIL:

* upload of a 48 MiB image: the seed's straightforward ``put_snapshot_block`` loop,
  hand-tuned 32- and 16-thread loops, and ``aws.ebs.upload`` at its default
  concurrency (16) and at 32;
* download of that snapshot: a sequential ``get_snapshot_block`` loop, 32- and
  16-thread loops, dsnap (50 threads, if installed) and ``aws.ebs.download`` at 16, 32
  and 50. The targets compare equal concurrency; the default's rows against more
  threads are there to be read beside the 16-thread ceiling;
* peak RSS of a 1 GiB upload + download at 0 ms, measured in a child process;
* block planning + hashing of a 1 GiB file on one core against raw ``hashlib.sha256``.

``sweep()`` draws the chart's EBS panel: MiB/s of a 16 MiB upload and download at
concurrency 1 to 32, awskit against the hand-tuned threaded loops, same servers.

Run: ``python -m bench.ebs [--quick]``.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import io
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from botocore.config import Config

import awskit
from awskit.ebs import BLOCK_SIZE, linear_checksum
from awskit.ebs.blocks import block_digest, plan_blocks
from bench._common import dummy_session, interleaved, servers, timed

ROOT = Path(__file__).resolve().parent.parent
MIB = 1 << 20


def _boto3_client(url: str, pool: int = 10) -> Any:
    session = dummy_session()
    return session.client(
        "ebs",
        endpoint_url=url,
        config=Config(max_pool_connections=pool, retries={"mode": "standard"}),
    )


def _awskit(url: str, concurrency: int = 16) -> awskit.Session:
    session = dummy_session()
    return awskit.connect(session=session, endpoint_url=url, max_concurrency=concurrency)


def _checksum(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _blocks(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as f:
        index = 0
        while chunk := f.read(BLOCK_SIZE):
            yield index, chunk.ljust(BLOCK_SIZE, b"\0")
            index += 1


def _complete(client: Any, snapshot_id: str, checksums: dict[int, str]) -> None:
    client.complete_snapshot(
        SnapshotId=snapshot_id,
        ChangedBlocksCount=len(checksums),
        Checksum=linear_checksum(checksums),
        ChecksumAlgorithm="SHA256",
        ChecksumAggregationMethod="LINEAR",
    )


def _put(client: Any, snapshot_id: str, index: int, data: bytes, checksums: dict[int, str]) -> None:
    """One PutSnapshotBlock as boto3's documentation shows it; the checksum is kept."""
    checksums[index] = _checksum(data)
    client.put_snapshot_block(
        SnapshotId=snapshot_id,
        BlockIndex=index,
        BlockData=data,
        DataLength=BLOCK_SIZE,
        Checksum=checksums[index],
        ChecksumAlgorithm="SHA256",
    )


def upload_loop(client: Any, path: Path) -> str:
    """The seed's way: one put_snapshot_block after another."""
    snapshot_id = client.start_snapshot(VolumeSize=1)["SnapshotId"]
    checksums: dict[int, str] = {}
    for index, data in _blocks(path):
        _put(client, snapshot_id, index, data, checksums)
    _complete(client, snapshot_id, checksums)
    return str(snapshot_id)


def upload_threads(client: Any, path: Path, threads: int = 32) -> str:
    """A hand-tuned loop: every block handed to a pool of ``threads`` (32) threads."""
    snapshot_id = client.start_snapshot(VolumeSize=1)["SnapshotId"]
    checksums: dict[int, str] = {}

    def put(item: tuple[int, bytes]) -> None:
        _put(client, snapshot_id, *item, checksums)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(put, _blocks(path)))
    _complete(client, snapshot_id, checksums)
    return str(snapshot_id)


def _list(client: Any, snapshot_id: str) -> list[tuple[int, str]]:
    blocks: list[tuple[int, str]] = []
    kwargs: dict[str, Any] = {"SnapshotId": snapshot_id}
    while True:
        response = client.list_snapshot_blocks(**kwargs)
        blocks += [(b["BlockIndex"], b["BlockToken"]) for b in response["Blocks"]]
        if not response.get("NextToken"):
            return blocks
        kwargs["NextToken"] = response["NextToken"]


def download_loop(client: Any, snapshot_id: str, out: Path, threads: int = 1) -> None:
    """Sequential (threads=1) or pooled GetSnapshotBlock, each block checked and written."""
    blocks = _list(client, snapshot_id)
    with out.open("wb") as f:
        f.truncate(GIB)
    fd = os.open(out, os.O_WRONLY)

    def get(item: tuple[int, str]) -> None:
        index, token = item
        response = client.get_snapshot_block(
            SnapshotId=snapshot_id, BlockIndex=index, BlockToken=token
        )
        data = response["BlockData"].read()
        if _checksum(data) != response["Checksum"]:
            raise ValueError(f"block {index} is corrupt")
        os.pwrite(fd, data, index * BLOCK_SIZE)

    try:
        if threads == 1:
            for item in blocks:
                get(item)
        else:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(get, blocks))
    finally:
        os.close(fd)


GIB = 1 << 30
#: dsnap's LocalSnapshot.fetch runs this many threads.
DSNAP_THREADS = 50
DEFAULT = "awskit default concurrency 16"
SAME = "awskit at the peer's concurrency:"
CEILING = "the most 16 requests in flight allow"


def download_dsnap(url: str, snapshot_id: str, out_dir: Path) -> bool:
    """dsnap's LocalSnapshot.fetch (50 threads); False when dsnap is not installed."""
    try:
        from dsnap.snapshot import LocalSnapshot
    except ImportError:
        return False
    os.environ["AWS_ENDPOINT_URL_EBS"] = url
    try:
        session = dummy_session()
        snap = LocalSnapshot(str(out_dir), snapshot_id, boto3_session=session)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            snap.fetch(force=True)
    finally:
        del os.environ["AWS_ENDPOINT_URL_EBS"]
    return True


def _image(path: Path, size: int, distinct: int = 0) -> None:
    """Random non-zero blocks; with ``distinct``, that many blocks repeated (a server that
    stores by content then holds little)."""
    with path.open("wb") as f:
        pool = [os.urandom(BLOCK_SIZE) for _ in range(distinct)] if distinct else []
        for i in range(size // BLOCK_SIZE):
            f.write(pool[i % distinct] if pool else os.urandom(BLOCK_SIZE))


# VmHWM, not ru_maxrss: Linux carries ru_maxrss across execve, so a child forked from a
# big parent would report the parent's size; VmHWM belongs to the new address space.
_RSS_CHILD = """
import resource, sys
from bench.ebs import _awskit
aws = _awskit(sys.argv[1])
snap = aws.ebs.upload(sys.argv[2])
aws.ebs.download(snap.snapshot_id, sys.argv[3])
try:
    with open("/proc/self/status") as status:
        peak = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(peak // 1024)
"""


def peak_rss_mib(url: str, image: Path, out: Path) -> int:
    """Peak RSS (MiB) of a fresh interpreter uploading ``image`` and downloading it."""
    done = subprocess.run(
        [sys.executable, "-c", _RSS_CHILD, url, str(image), str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout.split()[-1])


def plan_and_hash(path: Path) -> int:
    blocks = 0
    for block in plan_blocks(path):
        if block.data is not None:
            block_digest(block.data)
            blocks += 1
    return blocks


def raw_hash(nbytes: int) -> None:
    buffer = os.urandom(BLOCK_SIZE)
    for _ in range(nbytes // BLOCK_SIZE):
        hashlib.sha256(buffer).digest()


def run(quick: bool = False) -> list[dict[str, object]]:
    size = (16 if quick else 48) * MIB
    big = (256 if quick else 1024) * MIB
    repeat = 1 if quick else 5
    rows: list[dict[str, object]] = []
    label = f"{size // MIB} MiB @50 ms"
    with tempfile.TemporaryDirectory(prefix="awskit-bench-ebs-") as tmp:
        tmpdir = Path(tmp)
        image = tmpdir / "image.img"
        _image(image, size)
        with servers(0.05, "ebs") as (_, proxy):
            boto_seq = _boto3_client(proxy)
            boto_32 = _boto3_client(proxy, pool=DSNAP_THREADS)
            aws16, aws32 = _awskit(proxy), _awskit(proxy, 32)
            upload_threads(boto_32, image)  # warm connections and models on every path
            aws16.ebs.upload(image)
            aws32.ebs.upload(image, concurrency=32)

            loop_s = timed(lambda: upload_loop(boto_seq, image))
            tuned_s, tuned16_s, ours16, ours32 = interleaved(
                [
                    lambda: upload_threads(boto_32, image),
                    lambda: upload_threads(boto_32, image, 16),
                    lambda: aws16.ebs.upload(image),
                    lambda: aws32.ebs.upload(image, concurrency=32),
                ],
                repeat,
            )
            up = f"upload {label}"
            rows += [
                _row(
                    up,
                    "boto3 put_snapshot_block loop",
                    loop_s,
                    ours16,
                    f"{DEFAULT}; target >= 8x faster",
                ),
                _row(
                    up,
                    "boto3 32-thread hand-tuned",
                    tuned_s,
                    ours32,
                    f"{SAME} 32; target >= 90% as fast",
                ),
                _row(
                    up,
                    "boto3 32-thread hand-tuned",
                    tuned_s,
                    ours16,
                    f"{DEFAULT} against 32 threads",
                ),
                _row(up, "boto3 16-thread hand-tuned", tuned16_s, ours16, f"{DEFAULT}; {CEILING}"),
            ]

            snapshot_id = aws16.ebs.upload(image).snapshot_id
            out = tmpdir / "out.img"
            dl_loop = timed(lambda: download_loop(boto_seq, snapshot_id, out))
            dl_tuned, dl_tuned16, dl32, dl16 = interleaved(
                [
                    lambda: download_loop(boto_32, snapshot_id, out, 32),
                    lambda: download_loop(boto_32, snapshot_id, out, 16),
                    lambda: aws32.ebs.download(snapshot_id, out, concurrency=32),
                    lambda: aws16.ebs.download(snapshot_id, out),
                ],
                repeat,
            )
            if _same(image, out, size):
                verified = "output verified byte-identical"
            else:
                verified = "OUTPUT DIFFERS"
            down = f"download {label}"
            rows += [
                _row(
                    down, "boto3 get_snapshot_block loop", dl_loop, dl16, f"{DEFAULT}; {verified}"
                ),
                _row(
                    down,
                    "boto3 32-thread hand-tuned",
                    dl_tuned,
                    dl32,
                    f"{SAME} 32; target >= 90% as fast",
                ),
                _row(
                    down,
                    "boto3 32-thread hand-tuned",
                    dl_tuned,
                    dl16,
                    f"{DEFAULT} against 32 threads",
                ),
                _row(down, "boto3 16-thread hand-tuned", dl_tuned16, dl16, f"{DEFAULT}; {CEILING}"),
            ]
            dsnap_dir = tmpdir / "dsnap"
            dsnap_dir.mkdir()
            peer = f"dsnap 1.0.1 ({DSNAP_THREADS} threads)"
            if download_dsnap(proxy, snapshot_id, dsnap_dir):
                dsnap_s, dl50 = interleaved(
                    [
                        lambda: download_dsnap(proxy, snapshot_id, dsnap_dir),
                        lambda: aws32.ebs.download(snapshot_id, out, concurrency=DSNAP_THREADS),
                    ],
                    repeat,
                )
                rows += [
                    _row(down, peer, dsnap_s, dl50, f"{SAME} {DSNAP_THREADS}; target >= as fast"),
                    _row(down, peer, dsnap_s, dl16, f"{DEFAULT} against {DSNAP_THREADS} threads"),
                ]
            else:
                rows.append(_row(down, "dsnap", 0.0, dl16, "dsnap not installed"))

        image.unlink()
        out.unlink(missing_ok=True)
        big_image = tmpdir / "big.img"
        _image(big_image, big, distinct=64)
        with servers(0.0, "ebs") as (strict, _):
            rss = peak_rss_mib(strict, big_image, tmpdir / "big.out")
        rows.append(
            _row(
                f"peak RSS, {big // MIB} MiB upload + download (MiB)",
                "budget 200 MiB",
                200.0,
                float(rss),
                "strict server at 0 ms in another process; whole interpreter incl. boto3",
            )
            | {"unit": "MiB"}
        )
        plan_and_hash(big_image)  # page cache warm
        raw_s = interleaved([lambda: raw_hash(big)], repeat)[0]
        ours_s = interleaved([lambda: plan_and_hash(big_image)], repeat)[0]
        rows.append(
            _row(
                f"plan + hash {big // MIB} MiB file, one core",
                "hashlib.sha256 in memory",
                raw_s,
                ours_s,
                f"{big / MIB / ours_s:.0f} MiB/s vs {big / MIB / raw_s:.0f} "
                f"MiB/s = {raw_s / ours_s:.0%} of raw; target >= 70%",
            )
        )
    for row in rows:
        print(row)
    return rows


SWEEP = (1, 2, 4, 8, 16, 32)
QUICK_SWEEP = (1, 4, 16)


def sweep(quick: bool = False) -> dict[str, list[tuple[int, float]]]:
    """MiB/s of a 16 MiB upload and download at each concurrency, @50 ms per request.

    One awskit session and one boto3 client, both with 32 pooled connections warmed
    beforehand, serve every point; the hand-tuned loops use ``concurrency`` threads.
    """
    size = 16 * MIB
    levels = QUICK_SWEEP if quick else SWEEP
    repeat = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="awskit-bench-ebs-") as tmp:
        image, out = Path(tmp) / "image.img", Path(tmp) / "out.img"
        _image(image, size)
        with servers(0.05, "ebs") as (_, proxy):
            boto = _boto3_client(proxy, pool=max(levels))
            aws = _awskit(proxy, max(levels))
            upload_threads(boto, image, max(levels))  # warm every connection of both pools
            snapshot_id = aws.ebs.upload(image, concurrency=max(levels)).snapshot_id
            download_loop(boto, snapshot_id, out, max(levels))
            aws.ebs.download(snapshot_id, out, concurrency=max(levels))
            runs: dict[str, Callable[[int], object]] = {
                "awskit upload (MiB/s)": lambda c: aws.ebs.upload(image, concurrency=c),
                "hand-tuned boto3 upload (MiB/s)": lambda c: upload_threads(boto, image, c),
                "awskit download (MiB/s)": lambda c: aws.ebs.download(
                    snapshot_id, out, concurrency=c
                ),
                "hand-tuned boto3 download (MiB/s)": lambda c: download_loop(
                    boto, snapshot_id, out, c
                ),
            }
            series: dict[str, list[tuple[int, float]]] = {label: [] for label in runs}
            for level in levels:
                for label, fn in runs.items():
                    seconds = interleaved([functools.partial(fn, level)], repeat)[0]
                    series[label].append((level, size / MIB / seconds))
                    print(f"{label} @{level}: {size / MIB / seconds:.1f}", flush=True)
            if not _same(image, out, size):
                raise AssertionError("the downloaded image differs from the uploaded one")
    return series


def _same(image: Path, out: Path, size: int) -> bool:
    with image.open("rb") as a, out.open("rb") as b:
        return a.read(size) == b.read(size)


def _row(operation: str, peer: str, peer_s: float, ours: float, note: str) -> dict[str, object]:
    return {"operation": operation, "peer": peer, "peer_s": peer_s, "awskit_s": ours, "note": note}


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
