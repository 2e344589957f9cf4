"""awskit.aio EBS against moto, the strict EBS double and the fault proxy: the blocking
API's upload and download contract (same Snapshot, DownloadResult, checks and errors)."""

from __future__ import annotations

import asyncio
import io
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import awskit
import awskit.aio
from awskit.ebs import BLOCK_SIZE, DownloadResult, Snapshot, block_checksum, linear_checksum
from awskit.ebs.blocks import GIB
from tests.aio.conftest import AsyncSleeps, Connect, aio_session, require_aio
from tests.ebs_strict import StrictEBS
from tests.faults import FaultProxy

require_aio()

MIB = 1 << 20


def noise(n: int, seed: int = 1) -> bytes:
    # No zero bytes, so no block of it is all zeros by chance.
    return random.Random(seed).randbytes(n).replace(b"\0", b"\x01")


def nonzero_blocks(image: bytes) -> int:
    return sum(
        1
        for i in range(0, len(image), BLOCK_SIZE)
        if image[i : i + BLOCK_SIZE].count(0) != len(image[i : i + BLOCK_SIZE])
    )


IMAGES = {
    "random": lambda: noise(3 * BLOCK_SIZE),
    "zero_runs": lambda: noise(BLOCK_SIZE) + bytes(3 * BLOCK_SIZE) + noise(BLOCK_SIZE, 2),
    "short_tail": lambda: noise(2 * BLOCK_SIZE + 12345),
    "tiny": lambda: b"boot",
}


@pytest.fixture
def strict() -> Iterator[StrictEBS]:
    with StrictEBS() as server:
        yield server


@pytest.fixture(params=["moto", "strict"])
def backend(request: pytest.FixtureRequest, async_sleeps: AsyncSleeps) -> Any:
    """``(connect, strict server or None)``."""
    if request.param == "moto":
        return request.getfixturevalue("aio_connect"), None
    server: StrictEBS = request.getfixturevalue("strict")
    return (lambda **kw: aio_session(server.url, async_sleeps, **kw)), server


def expected_checksum(image: bytes) -> str:
    blocks = {
        i // BLOCK_SIZE: block_checksum(image[i : i + BLOCK_SIZE].ljust(BLOCK_SIZE, b"\0"))
        for i in range(0, len(image), BLOCK_SIZE)
        if image[i : i + BLOCK_SIZE].strip(b"\0")
    }
    return linear_checksum(blocks)


@pytest.mark.parametrize("kind", sorted(IMAGES))
def test_round_trip_of_a_file(backend: Any, kind: str, tmp_path: Path) -> None:
    connect, server = backend
    image = IMAGES[kind]()
    src, out = tmp_path / "disk.img", tmp_path / "out.img"
    src.write_bytes(image)

    async def main() -> tuple[Snapshot, DownloadResult]:
        async with connect() as aws:
            snap = await aws.ebs.upload(src, description=f"{kind} image", tags={"case": kind})
            return snap, await aws.ebs.download(snap.snapshot_id, out, size=len(image))

    snap, result = asyncio.run(main())
    assert snap.snapshot_id.startswith("snap-")
    assert (snap.volume_size, snap.block_size) == (1, BLOCK_SIZE)
    assert snap.blocks_written == nonzero_blocks(image)
    assert snap.checksum == expected_checksum(image)
    assert out.read_bytes() == image
    written = sum(
        len(image[i : i + BLOCK_SIZE])
        for i in range(0, len(image), BLOCK_SIZE)
        if image[i : i + BLOCK_SIZE].strip(b"\0")
    )
    assert result == DownloadResult(blocks=nonzero_blocks(image), bytes_written=written)
    if server is not None:
        assert server.puts[snap.snapshot_id] == snap.blocks_written
        assert not server.rejected


def test_stream_progress_and_a_bound_on_blocks_in_flight(
    strict: StrictEBS, async_sleeps: AsyncSleeps, tmp_path: Path
) -> None:
    strict.latency = 0.01  # requests overlap, so the bound is what holds them back
    image = noise(9 * BLOCK_SIZE) + bytes(BLOCK_SIZE) + noise(700)
    seen: list[tuple[int, int]] = []
    out = tmp_path / "out.img"

    async def main() -> Snapshot:
        async with aio_session(strict.url, async_sleeps) as aws:
            snap = await aws.ebs.upload(
                io.BytesIO(image), concurrency=3, progress=lambda d, t: seen.append((d, t))
            )
            await aws.ebs.download(snap.snapshot_id, out, size=len(image), concurrency=3)
            return snap

    snap = asyncio.run(main())
    assert snap.blocks_written == 10
    assert out.read_bytes() == image
    assert seen[-1] == (len(image), len(image))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert 1 <= strict.max_in_flight <= 3
    assert len(strict.progress) == 10 and max(strict.progress) == 100
    assert not strict.rejected


def test_whole_volume_download_is_sparse_and_keeps_the_mode(
    strict: StrictEBS, async_sleeps: AsyncSleeps, tmp_path: Path
) -> None:
    image = noise(BLOCK_SIZE + 10)
    out = tmp_path / "out.img"
    out.write_bytes(b"old")
    out.chmod(0o600)

    async def main() -> DownloadResult:
        async with aio_session(strict.url, async_sleeps) as aws:
            snap = await aws.ebs.upload(io.BytesIO(image))
            return await aws.ebs.download(snap.snapshot_id, out)

    result = asyncio.run(main())
    assert result.blocks == 2
    assert out.stat().st_size == GIB
    assert out.stat().st_blocks * 512 < 16 * MIB
    assert out.stat().st_mode & 0o777 == 0o600
    with out.open("rb") as f:
        assert f.read(len(image)) == image


def test_incremental_upload_zeroes_what_the_parent_had(
    strict: StrictEBS, async_sleeps: AsyncSleeps, tmp_path: Path
) -> None:
    out = tmp_path / "child.img"
    image = noise(BLOCK_SIZE, 5) + bytes(2 * BLOCK_SIZE)

    async def main() -> Snapshot:
        async with aio_session(strict.url, async_sleeps) as aws:
            parent = await aws.ebs.upload(io.BytesIO(noise(3 * BLOCK_SIZE)))
            child = await aws.ebs.upload(io.BytesIO(image), parent_snapshot_id=parent.snapshot_id)
            await aws.ebs.download(child.snapshot_id, out, size=len(image))
            return child

    child = asyncio.run(main())
    assert child.blocks_written == 3
    assert out.read_bytes() == image
    assert not strict.rejected


def test_checks_come_before_any_request(
    strict: StrictEBS, async_sleeps: AsyncSleeps, tmp_path: Path
) -> None:
    async def main() -> None:
        async with aio_session(strict.url, async_sleeps) as aws:
            ebs = aws.ebs
            with pytest.raises(awskit.InvalidInput, match="source"):
                await ebs.upload(tmp_path / "missing.img")
            with pytest.raises(awskit.InvalidInput, match="volume_size"):
                await ebs.upload(io.BytesIO(noise(GIB // 1024)), volume_size=0)
            with pytest.raises(awskit.InvalidInput, match="encrypted"):
                await ebs.upload(io.BytesIO(b"x"), parent_snapshot_id="snap-1", encrypted=True)
            with pytest.raises(awskit.InvalidInput, match="concurrency"):
                await ebs.upload(io.BytesIO(b"x"), concurrency=0)
            with pytest.raises(awskit.InvalidInput, match="snapshot_id"):
                await ebs.download("vol-1", tmp_path / "out.img")
            with pytest.raises(awskit.InvalidInput, match="dest"):
                await ebs.download("snap-1", tmp_path / "nowhere" / "out.img")
            with pytest.raises(awskit.InvalidInput, match="dest"):
                await ebs.download("snap-1", "/dev/null")

    asyncio.run(main())
    assert sum(strict.requests.values()) == 0


def test_corrupted_blocks_are_fetched_again(
    strict: StrictEBS, async_sleeps: AsyncSleeps, tmp_path: Path
) -> None:
    image = noise(6 * BLOCK_SIZE)
    out = tmp_path / "out.img"
    with FaultProxy(strict.url, seed=3) as proxy:

        async def main() -> None:
            async with aio_session(proxy.url, async_sleeps) as aws:
                snap = await aws.ebs.upload(io.BytesIO(image), concurrency=4)
                proxy.add("corrupt", service="ebs", times=2)
                await aws.ebs.download(snap.snapshot_id, out, concurrency=4, size=len(image))

        asyncio.run(main())
        gets = sum(1 for _, op in proxy.requests if op == "GetSnapshotBlock")
    assert proxy.injected["corrupt"] == 2
    assert gets == 6 + 2
    assert out.read_bytes() == image


def test_a_block_that_stays_corrupt_is_checksum_mismatch_and_no_file(
    strict: StrictEBS, async_sleeps: AsyncSleeps, tmp_path: Path
) -> None:
    out = tmp_path / "out.img"
    out.write_bytes(b"keep me")
    with FaultProxy(strict.url, seed=3) as proxy:

        async def main() -> None:
            async with aio_session(
                proxy.url, async_sleeps, retry=awskit.RetryPolicy(max_attempts=3)
            ) as aws:
                snap = await aws.ebs.upload(io.BytesIO(noise(2 * BLOCK_SIZE)))
                proxy.add("corrupt", service="ebs")
                with pytest.raises(awskit.ChecksumMismatch) as info:
                    await aws.ebs.download(snap.snapshot_id, out)
                assert info.value.snapshot_id == snap.snapshot_id  # type: ignore[attr-defined]

        asyncio.run(main())
    assert out.read_bytes() == b"keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["out.img"]  # no temporary file left


def test_faults_lose_nothing_and_a_dead_endpoint_is_a_transport_error(
    fault_proxy: FaultProxy, async_sleeps: AsyncSleeps, tmp_path: Path
) -> None:
    image = noise(3 * BLOCK_SIZE) + bytes(2 * BLOCK_SIZE) + noise(BLOCK_SIZE + 1, 3)
    out = tmp_path / "out.img"
    src = tmp_path / "disk.img"
    src.write_bytes(image)

    async def main() -> None:
        async with aio_session(fault_proxy.url, async_sleeps) as aws:
            for kind in ("throttle", "5xx", "drop"):
                fault_proxy.add(kind, service="ebs", times=4)
            snap = await aws.ebs.upload(src, concurrency=2)
            await aws.ebs.download(snap.snapshot_id, out, size=len(image), concurrency=2)
            assert out.read_bytes() == image
            fault_proxy.add("drop", service="ebs")
            with pytest.raises(awskit.TransportError) as info:
                await aws.ebs.upload(src)
            with pytest.raises(awskit.TransportError):
                await aws.ebs.download(snap.snapshot_id, out)
            assert info.value.operation == "StartSnapshot"

    asyncio.run(main())
    assert all(fault_proxy.injected[k] == 4 for k in ("throttle", "5xx"))
    assert out.read_bytes() == image
    assert async_sleeps.calls


def test_a_failed_put_names_the_snapshot(
    strict: StrictEBS, async_sleeps: AsyncSleeps, tmp_path: Path
) -> None:
    with FaultProxy(strict.url) as proxy:

        async def main() -> None:
            async with aio_session(
                proxy.url, async_sleeps, retry=awskit.RetryPolicy(max_attempts=2)
            ) as aws:
                proxy.add("5xx", service="ebs", operation="PutSnapshotBlock")
                with pytest.raises(awskit.AwskitError) as info:
                    await aws.ebs.upload(io.BytesIO(noise(4 * BLOCK_SIZE)), concurrency=2)
                snapshot_id = info.value.snapshot_id  # type: ignore[attr-defined]
                assert snapshot_id in strict.snapshots
                assert snapshot_id in str(info.value)

        asyncio.run(main())


def test_connect_gives_the_facade(aio_connect: Connect) -> None:
    async def main() -> None:
        async with aio_connect() as aws:
            assert aws.ebs is aws.ebs
            assert (await aws.ebs.client()).meta.service_model.service_name == "ebs"

    asyncio.run(main())


def test_the_writer_completes_at_the_end_of_async_with(
    strict: StrictEBS, async_sleeps: AsyncSleeps, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> tuple[Snapshot, str]:
        async with aio_session(strict.url, async_sleeps) as aws:
            async with await aws.ebs.start_snapshot(volume_size=1) as writer:
                await asyncio.gather(
                    writer.put_block(0, noise(BLOCK_SIZE)),
                    writer.put_block(7, noise(BLOCK_SIZE, 2)),
                )
            failed = await aws.ebs.start_snapshot(volume_size=1)
            with pytest.raises(RuntimeError):
                async with failed:
                    await failed.put_block(0, noise(BLOCK_SIZE))
                    raise RuntimeError("the producer died")
            return writer.snapshot, failed.snapshot_id

    snap, pending = asyncio.run(main())
    assert snap.blocks_written == 2
    assert snap.checksum == linear_checksum(
        {0: block_checksum(noise(BLOCK_SIZE)), 7: block_checksum(noise(BLOCK_SIZE, 2))}
    )
    assert strict.requests["CompleteSnapshot"] == 1
    assert strict.snapshots[pending].state == "pending"
    assert f"snapshot {pending} left pending" in caplog.text


def test_a_cancelled_download_leaves_the_destination_as_it_was(
    strict: StrictEBS, async_sleeps: AsyncSleeps, tmp_path: Path
) -> None:
    out = tmp_path / "out.img"
    out.write_bytes(b"keep me")
    strict.latency = 0.01

    async def main() -> None:
        async with aio_session(strict.url, async_sleeps) as aws:
            snap = await aws.ebs.upload(io.BytesIO(noise(12 * BLOCK_SIZE)))
            first_block = asyncio.Event()
            task = asyncio.create_task(
                aws.ebs.download(
                    snap.snapshot_id, out, concurrency=2, progress=lambda d, t: first_block.set()
                )
            )
            await first_block.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(main())
    assert out.read_bytes() == b"keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["out.img"]  # no temporary file left


def test_a_cancelled_upload_leaves_the_snapshot_pending_and_says_so(
    strict: StrictEBS, async_sleeps: AsyncSleeps, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    src = tmp_path / "disk.img"
    src.write_bytes(noise(12 * BLOCK_SIZE))
    strict.latency = 0.01

    async def main() -> None:
        async with aio_session(strict.url, async_sleeps) as aws:
            first_block = asyncio.Event()
            task = asyncio.create_task(
                aws.ebs.upload(src, concurrency=2, progress=lambda d, t: first_block.set())
            )
            await first_block.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(main())
    [snapshot_id] = strict.snapshots
    assert strict.snapshots[snapshot_id].state == "pending"
    assert strict.requests["CompleteSnapshot"] == 0
    assert f"upload to snapshot {snapshot_id} failed" in caplog.text
