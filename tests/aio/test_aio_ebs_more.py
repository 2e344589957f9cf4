"""The rest of the EBS API on asyncio, each test body driven through both APIs where the
behaviour is the same: the low-level calls (start_snapshot and its writer, blocks,
changed_blocks, read_block, delete_snapshot), wait, client-token reruns, downloads to a
block device and the adaptive concurrency of transfers; and `async with` on the shared
controller."""

from __future__ import annotations

import asyncio
import inspect
import io
import random
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import awskit
import awskit.aio
import awskit.aio.ebs
import awskit.ebs.transfer
from awskit._flow import Controller
from awskit._local import LocalEndpoint
from awskit.ebs import BLOCK_SIZE, DownloadResult
from tests.aio.conftest import AsyncSleeps, aio_session, require_aio
from tests.conftest import SleepRecorder, make_session
from tests.ebs_strict import StrictEBS
from tests.faults import FaultProxy

require_aio()


def noise(n: int, seed: int = 1) -> bytes:
    # No zero bytes, so no block of it is all zeros by chance.
    return random.Random(seed).randbytes(n).replace(b"\0", b"\x01")


class Crash(Exception):
    """A job dying in the middle of an upload."""


async def _collect(items: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in items]


class Calls:
    """An object of either API, called the blocking way: awaitables are run on the
    session's loop, iterators (async or not) come back as lists, and what they return
    (a writer) is wrapped the same way."""

    def __init__(self, target: Any, run: Callable[[Any], Any]) -> None:
        self._target = target
        self._run = run

    def _resolve(self, result: Any) -> Any:
        if inspect.isawaitable(result):
            result = self._run(result)
        elif hasattr(result, "__aiter__"):
            result = self._run(_collect(result))
        elif isinstance(result, Iterator):
            result = list(result)
        if isinstance(result, (awskit.ebs.SnapshotWriter, awskit.aio.ebs.SnapshotWriter)):
            return Calls(result, self._run)
        return result

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not callable(attr):
            return attr
        return lambda *args, **kwargs: self._resolve(attr(*args, **kwargs))


class Api:
    """``aws.ebs`` of a blocking or an asyncio session on ``url``; ``sleeps`` records the
    retry rule's (and ``wait``'s) sleeps, which never wait."""

    def __init__(self, kind: str, url: str, **retry: Any) -> None:
        self.kind = kind
        if kind == "sync":
            recorder = SleepRecorder()
            self.sleeps = recorder.calls
            self.aws: Any = make_session(url, awskit.RetryPolicy(sleep=recorder, **retry))
            self.ebs = Calls(self.aws.ebs, lambda result: result)
            self.client: Any = self.aws.ebs.client
            return
        sleeps = AsyncSleeps()
        self.sleeps = sleeps.calls
        self._loop = asyncio.new_event_loop()
        self.aws = aio_session(url, sleeps, retry=awskit.RetryPolicy(**retry))
        self._loop.run_until_complete(self.aws.__aenter__())
        self.ebs = Calls(self.aws.ebs, self._loop.run_until_complete)
        self.client = self._loop.run_until_complete(self.aws.ebs.client())

    def close(self) -> None:
        if self.kind == "aio":
            self._loop.run_until_complete(self.aws.close())
            self._loop.close()


@pytest.fixture(params=["sync", "aio"])
def api(request: pytest.FixtureRequest) -> Iterator[Callable[..., Api]]:
    """``api(url, **retry)``: the EBS facade of the parametrized API on ``url``."""
    made: list[Api] = []

    def make(url: str, **retry: Any) -> Api:
        made.append(Api(request.param, url, **retry))
        return made[-1]

    yield make
    for one in made:
        one.close()


@pytest.fixture
def strict() -> Iterator[StrictEBS]:
    with StrictEBS() as server:
        yield server


@pytest.fixture
def moto_url(moto_endpoint: LocalEndpoint) -> str:
    moto_endpoint.reset()
    return moto_endpoint.url


def test_the_low_level_calls_walk_every_page(api: Callable[..., Api]) -> None:
    with StrictEBS(page_limit=2) as server:
        ebs = api(server.url).ebs
        image = noise(5 * BLOCK_SIZE)
        snap = ebs.upload(io.BytesIO(image))
        blocks = ebs.blocks(snap.snapshot_id, page_size=100)
        assert [b.index for b in blocks] == [0, 1, 2, 3, 4]
        assert server.requests["ListSnapshotBlocks"] == 3
        data = ebs.read_block(snap.snapshot_id, 3, blocks[3].token)
        assert data == image[3 * BLOCK_SIZE : 4 * BLOCK_SIZE]
    with StrictEBS(page_limit=100) as server:
        ebs = api(server.url).ebs
        parent = ebs.upload(io.BytesIO(noise(BLOCK_SIZE)))
        writer = ebs.start_snapshot(parent_snapshot_id=parent.snapshot_id)
        assert (writer.status, writer.volume_size) == ("pending", 1)
        assert writer.parent_snapshot_id == parent.snapshot_id
        first = writer.put_block(0, noise(BLOCK_SIZE, 3))
        assert first == awskit.ebs.block_checksum(noise(BLOCK_SIZE, 3))
        writer.put_block(1500, noise(BLOCK_SIZE, 4), progress=50)
        assert writer.blocks_written == 2
        assert writer.checksum() == awskit.ebs.linear_checksum(
            {0: first, 1500: awskit.ebs.block_checksum(noise(BLOCK_SIZE, 4))}
        )
        child = writer.complete()
        assert child == writer.snapshot
        assert writer.complete() is child  # no second CompleteSnapshot
        assert server.requests["CompleteSnapshot"] == 2
        assert (child.blocks_written, child.parent_snapshot_id) == (2, parent.snapshot_id)
        changed = ebs.changed_blocks(parent.snapshot_id, child.snapshot_id, page_size=100)
        assert [c.index for c in changed] == [0, 1500]
        assert changed[1].first_token is None and changed[1].second_token
        # Windows of 100 indexes: pages 2..15 came back empty and were read through.
        assert server.requests["ListChangedBlocks"] == 16
        assert not server.rejected


def test_checks_come_before_any_request(
    api: Callable[..., Api], strict: StrictEBS, tmp_path: Path
) -> None:
    ebs = api(strict.url).ebs
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: ebs.start_snapshot(volume_size=0), "volume_size"),
        (lambda: ebs.start_snapshot(client_token="t" * 65), "client_token"),
        (lambda: ebs.start_snapshot(client_token=""), "client_token"),
        (lambda: ebs.start_snapshot(client_token="two words"), "client_token"),
        (lambda: ebs.start_snapshot(parent_snapshot_id="snap-1", encrypted=True), "encrypted"),
        (lambda: ebs.upload(io.BytesIO(b"x"), client_token="tökén"), "client_token"),
        (lambda: ebs.blocks("snap-0123", page_size=50), "page_size"),
        (lambda: ebs.blocks("vol-0123"), "snapshot_id"),
        (lambda: ebs.changed_blocks("snap-1", "bad"), "second_snapshot_id"),
        (lambda: ebs.changed_blocks("snap-1", "snap-2", page_size=10001), "page_size"),
        (lambda: ebs.read_block("snap-0123", -1, "t"), "index"),
        (lambda: ebs.read_block("snap-0123", 0, ""), "token"),
        (lambda: ebs.read_block("vol-0123", 0, "t"), "snapshot_id"),
        (lambda: ebs.wait("snap-0123", timeout=0), "timeout"),
        (lambda: ebs.wait("vol-0123"), "snapshot_id"),
        (lambda: ebs.delete_snapshot("vol-0123"), "snapshot_id"),
        (lambda: ebs.download("snap-0123", tmp_path / "o", size=-1), "size"),
        (lambda: ebs.download("snap-0123", tmp_path / "o", concurrency=0), "concurrency"),
    ]
    for call, field in cases:
        with pytest.raises(awskit.InvalidInput) as info:
            call()
        assert info.value.field == field
    assert sum(strict.requests.values()) == 0
    writer = ebs.start_snapshot()
    for data, index, field in [
        (bytes(BLOCK_SIZE - 1), 0, "data"),
        (bytes(BLOCK_SIZE + 1), 0, "data"),
        (bytes(BLOCK_SIZE), 2048, "index"),
        (bytes(BLOCK_SIZE), -1, "index"),
    ]:
        with pytest.raises(awskit.InvalidInput) as info:
            writer.put_block(index, data)
        assert info.value.field == field
    with pytest.raises(awskit.InvalidInput, match="progress"):
        writer.put_block(0, bytes(BLOCK_SIZE), progress=101)
    assert strict.requests["PutSnapshotBlock"] == 0
    with pytest.raises(awskit.AwskitError, match="not completed yet"):
        writer.snapshot  # noqa: B018
    assert "testing" not in repr(writer)


def test_wait_until_completed_and_on_error(api: Callable[..., Api]) -> None:
    with StrictEBS(completion_delay=600) as server:
        one = api(server.url)
        ebs = one.ebs
        snap = ebs.upload(io.BytesIO(noise(10)))
        assert snap.status == "pending"
        with pytest.raises(awskit.AwskitError) as info:
            ebs.wait(snap.snapshot_id, timeout=2)
        assert info.value.code == "WaitTimeout"
        assert info.value.snapshot_id == snap.snapshot_id  # type: ignore[attr-defined]
        assert one.sleeps[:3] == [0.5, 1.0, 2.0]
        server.completion_delay = 0
        done = ebs.upload(io.BytesIO(noise(10)), wait=True)
        assert done.status == "completed"
        server.set_state(done.snapshot_id, "error", "KMS key disabled")
        with pytest.raises(awskit.AwskitError, match="KMS key disabled") as info:
            ebs.wait(done.snapshot_id)
        assert info.value.code == "SnapshotError"
        with pytest.raises(awskit.NotFound):
            ebs.wait("snap-0000000000000000f")


def test_delete_snapshot_through_ec2(api: Callable[..., Api], moto_url: str) -> None:
    ebs = api(moto_url).ebs
    snap = ebs.upload(io.BytesIO(b"x"), wait=True)
    assert snap.status == "completed"
    ebs.delete_snapshot(snap.snapshot_id)
    with pytest.raises(awskit.NotFound):
        ebs.wait(snap.snapshot_id)
    with pytest.raises(awskit.NotFound) as info:
        ebs.delete_snapshot(snap.snapshot_id)
    assert info.value.code == "InvalidSnapshot.NotFound"
    assert info.value.operation == "DeleteSnapshot"


@pytest.mark.parametrize("replay", [False, True], ids=["current-status", "original-reply"])
def test_rerun_after_completion_returns_the_snapshot_without_writing(
    api: Callable[..., Api], tmp_path: Path, caplog: pytest.LogCaptureFixture, replay: bool
) -> None:
    caplog.set_level("INFO", logger="awskit.ebs")
    with StrictEBS(replay_start=replay) as server:
        ebs = api(server.url).ebs
        src = tmp_path / "disk.img"
        src.write_bytes(noise(3 * BLOCK_SIZE))
        token = awskit.ebs.client_token("nightly", "disk", 1)
        first = ebs.upload(src, client_token=token, tags={"run": "1"})
        puts = server.requests["PutSnapshotBlock"]
        again = ebs.upload(src, client_token=token, tags={"run": "1"}, wait=True)
        assert again.snapshot_id == first.snapshot_id
        assert (again.status, again.volume_size, again.blocks_written) == ("completed", 1, 0)
        assert server.requests["PutSnapshotBlock"] == puts
        assert server.requests["CompleteSnapshot"] == 1
        assert server.requests["StartSnapshot"] == 2
        assert not server.rejected
        assert "stays pending" not in caplog.text
        # The low-level writer says the same, and sends nothing either.
        writer = ebs.start_snapshot(volume_size=1, tags={"run": "1"}, client_token=token)
        assert writer.status == "completed"
        with pytest.raises(awskit.AwskitError) as info:
            writer.put_block(0, bytes(BLOCK_SIZE))
        assert info.value.code == "SnapshotNotPending"
        assert not isinstance(info.value, awskit.InvalidInput)
        assert writer.complete().snapshot_id == first.snapshot_id
        assert server.requests["PutSnapshotBlock"] == puts
        assert server.requests["CompleteSnapshot"] == 1
        # The same token with other parameters is AWS's ConflictException.
        with pytest.raises(awskit.AwskitError) as conflict:
            ebs.start_snapshot(volume_size=3, client_token=token)
        assert conflict.value.code == "ConflictException"


def test_rerun_of_a_failed_upload_resumes_the_pending_snapshot(
    api: Callable[..., Api], strict: StrictEBS, tmp_path: Path
) -> None:
    ebs = api(strict.url).ebs
    image = noise(4 * BLOCK_SIZE)
    token = awskit.ebs.client_token("resume", 1)

    def crash(done: int, total: int) -> None:
        raise Crash  # the job dies after its first block

    with pytest.raises(Crash):
        ebs.upload(io.BytesIO(image), client_token=token, concurrency=1, progress=crash)
    [pending] = strict.snapshots.values()
    assert pending.state == "pending"
    snap = ebs.upload(io.BytesIO(image), client_token=token)
    assert snap.snapshot_id == pending.snapshot_id
    assert snap.blocks_written == 4
    out = tmp_path / "out.img"
    ebs.download(snap.snapshot_id, out, size=len(image))
    assert out.read_bytes() == image
    assert not strict.rejected


def test_rerun_of_a_snapshot_in_error_says_so(api: Callable[..., Api], strict: StrictEBS) -> None:
    ebs = api(strict.url).ebs
    token = awskit.ebs.client_token("broken", 1)
    snap = ebs.upload(io.BytesIO(noise(10)), client_token=token)
    strict.set_state(snap.snapshot_id, "error", "the parent is gone")
    with pytest.raises(awskit.AwskitError) as info:
        ebs.upload(io.BytesIO(noise(10)), client_token=token)
    assert info.value.code == "SnapshotError"
    assert info.value.snapshot_id == snap.snapshot_id  # type: ignore[attr-defined]
    assert strict.requests["PutSnapshotBlock"] == 1


class _Device:
    """A regular file standing in for a block device: fixed size, old content kept."""

    def __init__(self, path: Path, size: int) -> None:
        self.path = path
        path.write_bytes(b"\xee" * size)

    def __call__(self, target: Path) -> bool:
        return target == self.path


def test_download_to_a_block_device_writes_it_in_full_in_place(
    api: Callable[..., Api], strict: StrictEBS, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Blocks 0 and 2 hold data, blocks 1 and 3 are not in the snapshot: on a device whose
    # old content stays, they must come out as zeros.
    ebs = api(strict.url).ebs
    image = noise(BLOCK_SIZE) + bytes(BLOCK_SIZE) + noise(BLOCK_SIZE, 2) + bytes(BLOCK_SIZE)
    snap = ebs.upload(io.BytesIO(image))
    assert snap.blocks_written == 2
    device = _Device(tmp_path / "xvdf", 4 * BLOCK_SIZE + 100)
    monkeypatch.setattr(awskit.ebs.transfer, "_is_block_device", device)
    result = ebs.download(snap.snapshot_id, device.path, size=len(image))
    assert result == DownloadResult(blocks=2, bytes_written=2 * BLOCK_SIZE)
    data = device.path.read_bytes()
    assert data[: len(image)] == image
    assert data[len(image) :] == b"\xee" * 100  # past the image: left alone
    assert [p.name for p in tmp_path.iterdir()] == ["xvdf"]  # in place, no temporary file
    # A device smaller than the image is refused, and left as it was.
    small = _Device(tmp_path / "xvdg", BLOCK_SIZE)
    monkeypatch.setattr(awskit.ebs.transfer, "_is_block_device", small)
    with pytest.raises(awskit.InvalidInput, match="smaller") as info:
        ebs.download(snap.snapshot_id, small.path, size=2 * BLOCK_SIZE)
    assert info.value.field == "dest"
    assert small.path.read_bytes() == b"\xee" * BLOCK_SIZE


def test_a_device_larger_than_many_zero_batches_is_zeroed_in_full(
    api: Callable[..., Api], strict: StrictEBS, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ebs = api(strict.url).ebs
    blocks = 200  # more zero blocks than one thread hop of the asyncio download writes
    image = bytearray(blocks * BLOCK_SIZE)
    for index in (0, 70, 199):
        image[index * BLOCK_SIZE : (index + 1) * BLOCK_SIZE] = noise(BLOCK_SIZE, index)
    snap = ebs.upload(io.BytesIO(bytes(image)))
    device = _Device(tmp_path / "xvdf", len(image))
    monkeypatch.setattr(awskit.ebs.transfer, "_is_block_device", device)
    result = ebs.download(snap.snapshot_id, device.path, size=len(image), concurrency=3)
    assert result.blocks == 3
    assert device.path.read_bytes() == bytes(image)


def test_reads_are_checked_and_fetched_again(api: Callable[..., Api], strict: StrictEBS) -> None:
    with FaultProxy(strict.url, seed=3) as proxy:
        ebs = api(proxy.url, max_attempts=3).ebs
        image = noise(2 * BLOCK_SIZE)
        snap = ebs.upload(io.BytesIO(image))
        [block, _] = ebs.blocks(snap.snapshot_id)
        proxy.add("corrupt", service="ebs", times=2)
        assert ebs.read_block(snap.snapshot_id, 0, block.token) == image[:BLOCK_SIZE]
        assert proxy.injected["corrupt"] == 2
        proxy.add("corrupt", service="ebs")
        with pytest.raises(awskit.ChecksumMismatch) as info:
            ebs.read_block(snap.snapshot_id, 0, block.token)
        assert info.value.snapshot_id == snap.snapshot_id  # type: ignore[attr-defined]


def test_throttling_beyond_the_concurrency_limit_slows_the_transfer(
    api: Callable[..., Api], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="awskit.ebs")
    with StrictEBS(concurrency_limit=3, latency=0.01) as server:
        ebs = api(server.url).ebs
        image = noise(8 * BLOCK_SIZE)
        snap = ebs.upload(io.BytesIO(image), concurrency=8)
        out = tmp_path / "out.img"
        ebs.download(snap.snapshot_id, out, size=len(image), concurrency=8)
        assert out.read_bytes() == image
        assert any(code == "RequestThrottledException" for _, code, _ in server.rejected)
        # The limiter saw the throttles and cut the requests in flight.
        assert "lowering requests in flight" in caplog.text


def test_the_default_concurrency_adapts_and_any_other_pins_it(
    api: Callable[..., Api], tmp_path: Path
) -> None:
    # Each block request takes long enough that a transfer kept at 16 in flight would
    # never have more at the server; the controller grows past 16 as blocks land.
    blocks = 96
    src = tmp_path / "disk.img"
    with src.open("wb") as f:
        for index in range(blocks):
            f.write(noise(BLOCK_SIZE, index % 4))
    with StrictEBS(latency=0.2) as server:
        ebs = api(server.url).ebs
        snap = ebs.upload(src)
        adaptive_put = server.max_in_flight
        server.max_in_flight = 0
        out = tmp_path / "out.img"
        ebs.download(snap.snapshot_id, out, size=blocks * BLOCK_SIZE)
        adaptive_get = server.max_in_flight
        assert out.read_bytes() == src.read_bytes()
        server.max_in_flight = 0
        pinned = ebs.upload(src, concurrency=5)
        ebs.download(pinned.snapshot_id, out, size=blocks * BLOCK_SIZE, concurrency=5)
        pinned_max = server.max_in_flight
    assert adaptive_put > 16
    assert adaptive_get > 16
    assert 1 <= pinned_max <= 5


# --- the shared controller on asyncio ---------------------------------------------


def test_async_slots_follow_the_limit_as_it_grows() -> None:
    controller = Controller(8, initial=2)
    in_flight = peak = 0

    async def one() -> None:
        nonlocal in_flight, peak
        async with controller:
            in_flight += 1
            assert in_flight <= controller.limit
            peak = max(peak, in_flight)
            await asyncio.sleep(0)
            controller.succeeded()
            in_flight -= 1

    async def main() -> None:
        await asyncio.gather(*(one() for _ in range(60)))

    asyncio.run(main())
    assert controller.limit == 8
    assert peak == 8
    assert controller.in_flight == 0


def test_async_slots_shrink_on_throttling_and_survive_cancellation() -> None:
    controller = Controller(4, pinned=True, window=0)
    in_flight = peak_after_cut = 0

    async def main() -> None:
        nonlocal in_flight, peak_after_cut
        throttled = asyncio.Event()
        release = asyncio.Event()

        async def one(index: int) -> None:
            nonlocal in_flight, peak_after_cut
            async with controller:
                in_flight += 1
                if throttled.is_set():
                    peak_after_cut = max(peak_after_cut, in_flight)
                await release.wait()
                in_flight -= 1

        first = [asyncio.create_task(one(i)) for i in range(4)]
        await asyncio.sleep(0)
        assert controller.in_flight == 4
        controller.throttled()  # 4 * 0.7: 2 allowed in flight
        throttled.set()
        waiting = [asyncio.create_task(one(i)) for i in range(6)]
        await asyncio.sleep(0)
        waiting[0].cancel()  # a waiter cancelled before it got a slot takes none
        await asyncio.sleep(0)
        release.set()
        await asyncio.gather(*first, *waiting[1:])
        assert waiting[0].cancelled()

    asyncio.run(main())
    assert controller.limit == 2
    assert 1 <= peak_after_cut <= 2
    assert controller.in_flight == 0


def test_a_waiter_cancelled_as_it_is_woken_passes_the_wake_up_on() -> None:
    controller = Controller(1, pinned=True)

    async def main() -> None:
        release = asyncio.Event()

        async def hold() -> None:
            async with controller:
                await release.wait()

        async def take() -> bool:
            async with controller:
                return True

        holder = asyncio.create_task(hold())
        await asyncio.sleep(0)
        first, second = asyncio.create_task(take()), asyncio.create_task(take())
        await asyncio.sleep(0)
        release.set()
        await asyncio.sleep(0)  # the holder leaves its slot and wakes ``first`` ...
        first.cancel()  # ... which is cancelled before it runs
        assert await asyncio.wait_for(second, 10)  # a guard against hanging, not a timing
        await holder
        assert first.cancelled()

    asyncio.run(main())
    assert controller.in_flight == 0
