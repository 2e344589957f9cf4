"""EBS direct APIs: upload/download round trips against moto and the strict server,
incremental snapshots, paging, waiting, validation and retries."""

from __future__ import annotations

import io
import os
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from botocore.exceptions import OperationNotPageableError
from botocore.stub import Stubber

import awskit
from awskit._files import umask
from awskit.ebs import BLOCK_SIZE, block_checksum, linear_checksum
from awskit.ebs.blocks import GIB
from tests.conftest import SleepRecorder, make_session
from tests.ebs_strict import StrictEBS

MIB = 1 << 20


@dataclass
class Backend:
    name: str
    aws: awskit.Session
    strict: StrictEBS | None


@pytest.fixture
def strict() -> Iterator[StrictEBS]:
    with StrictEBS() as server:
        yield server


@pytest.fixture
def strict_aws(strict: StrictEBS, fast_retry: awskit.RetryPolicy) -> awskit.Session:
    return make_session(strict.url, fast_retry)


@pytest.fixture(params=["moto", "strict"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "moto":
        return Backend("moto", request.getfixturevalue("aws"), None)
    return Backend(
        "strict", request.getfixturevalue("strict_aws"), request.getfixturevalue("strict")
    )


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


@pytest.mark.parametrize("kind", sorted(IMAGES))
def test_round_trip_of_a_file(backend: Backend, kind: str, tmp_path: Path) -> None:
    image = IMAGES[kind]()
    src, out = tmp_path / "disk.img", tmp_path / "out.img"
    src.write_bytes(image)
    snap = backend.aws.ebs.upload(src, description=f"{kind} image", tags={"case": kind})
    assert snap.snapshot_id.startswith("snap-")
    assert snap.volume_size == 1
    assert snap.block_size == BLOCK_SIZE
    assert snap.blocks_written == nonzero_blocks(image)
    result = backend.aws.ebs.download(snap.snapshot_id, out, size=len(image))
    assert out.read_bytes() == image
    assert result.blocks == nonzero_blocks(image)
    if backend.strict is not None:
        assert backend.strict.puts[snap.snapshot_id] == snap.blocks_written
        assert not backend.strict.rejected


def test_round_trip_of_a_sparse_file(backend: Backend, tmp_path: Path) -> None:
    src, out = tmp_path / "sparse.img", tmp_path / "out.img"
    size = 3 * GIB // 2
    with src.open("wb") as f:
        f.truncate(size)
        f.seek(7 * BLOCK_SIZE + 3)
        f.write(noise(BLOCK_SIZE))
        f.seek(size - 100)
        f.write(b"end of the disk")
    snap = backend.aws.ebs.upload(src)
    assert snap.volume_size == 2
    assert snap.blocks_written == 3
    backend.aws.ebs.download(snap.snapshot_id, out, size=size)
    with src.open("rb") as a, out.open("rb") as b:
        for offset in (0, 7 * BLOCK_SIZE, size - BLOCK_SIZE):
            a.seek(offset)
            b.seek(offset)
            assert a.read(2 * BLOCK_SIZE) == b.read(2 * BLOCK_SIZE)
    assert out.stat().st_size == size
    # The holes stay holes: the copy allocates about what the data needs.
    assert out.stat().st_blocks * 512 < 16 * MIB


def test_round_trip_of_a_stream(backend: Backend, tmp_path: Path) -> None:
    image = noise(BLOCK_SIZE) + bytes(BLOCK_SIZE) + noise(700)
    snap = backend.aws.ebs.upload(io.BytesIO(image))
    assert snap.blocks_written == 2
    out = tmp_path / "out.img"
    backend.aws.ebs.download(snap.snapshot_id, out, size=len(image))
    assert out.read_bytes() == image


class Pipe(io.RawIOBase):
    """A non-seekable stream with short reads: length unknown up front."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        n = min(size if size >= 0 else len(self._data), 100_000)
        chunk, self._data = self._data[:n], self._data[n:]
        return chunk


def test_stream_of_unknown_length(backend: Backend, tmp_path: Path) -> None:
    image = noise(2 * BLOCK_SIZE + 5)
    with pytest.raises(awskit.InvalidInput) as info:
        backend.aws.ebs.upload(Pipe(image))
    assert info.value.field == "volume_size"
    seen: list[tuple[int, int]] = []
    snap = backend.aws.ebs.upload(
        Pipe(image), volume_size=1, progress=lambda d, t: seen.append((d, t))
    )
    assert snap.blocks_written == 3
    assert seen[-1][0] == len(image)
    out = tmp_path / "out.img"
    backend.aws.ebs.download(snap.snapshot_id, out, size=len(image))
    assert out.read_bytes() == image


def test_whole_volume_download_is_sparse_and_volume_sized(
    strict_aws: awskit.Session, tmp_path: Path
) -> None:
    image = noise(BLOCK_SIZE + 10)
    snap = strict_aws.ebs.upload(io.BytesIO(image))
    out = tmp_path / "vol.img"
    out.write_bytes(b"old content is replaced")
    result = strict_aws.ebs.download(snap.snapshot_id, out)
    assert out.stat().st_size == GIB
    assert out.stat().st_blocks * 512 < 8 * MIB
    with out.open("rb") as f:
        assert f.read(len(image)) == image
        assert f.read(BLOCK_SIZE) == bytes(BLOCK_SIZE)
    assert result.blocks == 2
    assert result.bytes_written == 2 * BLOCK_SIZE
    assert [p.name for p in tmp_path.iterdir()] == ["vol.img"]


def test_download_keeps_the_mode_of_the_file_it_replaces(
    strict_aws: awskit.Session, tmp_path: Path
) -> None:
    image = noise(BLOCK_SIZE)
    snap = strict_aws.ebs.upload(io.BytesIO(image))
    fresh = tmp_path / "fresh.img"
    strict_aws.ebs.download(snap.snapshot_id, fresh, size=len(image))
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask()
    secret = tmp_path / "secret.img"
    secret.write_bytes(b"old")
    secret.chmod(0o600)
    strict_aws.ebs.download(snap.snapshot_id, secret, size=len(image))
    assert secret.read_bytes() == image
    assert secret.stat().st_mode & 0o777 == 0o600  # a private image does not turn 0644


def test_progress_and_progress_header(
    strict: StrictEBS, strict_aws: awskit.Session, tmp_path: Path
) -> None:
    image = noise(4 * BLOCK_SIZE) + bytes(2 * BLOCK_SIZE) + noise(100)
    calls: list[tuple[int, int]] = []
    snap = strict_aws.ebs.upload(io.BytesIO(image), progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (len(image), len(image))
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert len(strict.progress) == snap.blocks_written == 5
    assert all(0 <= p <= 100 for p in strict.progress)
    assert max(strict.progress) == 100
    fetched: list[int] = []
    strict_aws.ebs.download(
        snap.snapshot_id,
        tmp_path / "out.img",
        size=len(image),
        progress=lambda d, t: fetched.append(d),
    )
    assert fetched[-1] == 5 * BLOCK_SIZE


def test_skip_zero_blocks_false_writes_every_block(
    strict: StrictEBS, strict_aws: awskit.Session
) -> None:
    image = noise(10) + bytes(3 * BLOCK_SIZE)
    snap = strict_aws.ebs.upload(io.BytesIO(image), skip_zero_blocks=False)
    assert snap.blocks_written == strict.puts[snap.snapshot_id] == 4


def test_incremental_child_lists_exactly_the_blocks_written(
    strict: StrictEBS, strict_aws: awskit.Session, tmp_path: Path
) -> None:
    ebs = strict_aws.ebs
    base_image = noise(6 * BLOCK_SIZE)
    parent = ebs.upload(io.BytesIO(base_image), wait=True)
    assert parent.status == "completed"
    new_blocks = {1: noise(BLOCK_SIZE, 7), 4: noise(BLOCK_SIZE, 8), 9: noise(BLOCK_SIZE, 9)}
    with ebs.start_snapshot(volume_size=1, parent_snapshot_id=parent.snapshot_id) as writer:
        for index, data in new_blocks.items():
            assert writer.put_block(index, data) == block_checksum(data)
    child = writer.snapshot
    assert child.blocks_written == 3
    assert child.parent_snapshot_id == parent.snapshot_id
    assert child.checksum == linear_checksum({i: block_checksum(d) for i, d in new_blocks.items()})
    changed = list(ebs.changed_blocks(parent.snapshot_id, child.snapshot_id, page_size=100))
    assert [c.index for c in changed] == sorted(new_blocks)
    assert all(c.second_token for c in changed)
    assert [c.first_token is not None for c in changed] == [True, True, False]
    # The child reads through to its parent for every block it did not write.
    expected = bytearray(base_image + bytes(10 * BLOCK_SIZE - len(base_image)))
    for index, data in new_blocks.items():
        expected[index * BLOCK_SIZE : (index + 1) * BLOCK_SIZE] = data
    out = tmp_path / "child.img"
    ebs.download(child.snapshot_id, out, size=len(expected))
    assert out.read_bytes() == bytes(expected)


def test_incremental_upload_zeroes_what_the_parent_had(
    strict: StrictEBS, strict_aws: awskit.Session, tmp_path: Path
) -> None:
    ebs = strict_aws.ebs
    parent = ebs.upload(io.BytesIO(noise(3 * BLOCK_SIZE)))
    image = noise(BLOCK_SIZE, 5) + bytes(2 * BLOCK_SIZE)
    child = ebs.upload(io.BytesIO(image), parent_snapshot_id=parent.snapshot_id)
    assert child.blocks_written == 3
    out = tmp_path / "child.img"
    ebs.download(child.snapshot_id, out, size=len(image))
    assert out.read_bytes() == image
    assert [c.index for c in ebs.changed_blocks(parent.snapshot_id, child.snapshot_id)] == [0, 1, 2]


def _parent_with_a_block_past_1_gib(ebs: awskit.ebs.EBS) -> tuple[str, dict[int, bytes]]:
    """A completed 2 GiB parent holding blocks 0..5 and one past the first GiB."""
    blocks = {i: noise(BLOCK_SIZE, 100 + i) for i in [*range(6), 2048 + 7]}
    with ebs.start_snapshot(volume_size=2) as writer:
        for index, data in blocks.items():
            writer.put_block(index, data)
    return writer.snapshot.snapshot_id, blocks


CHILD_SOURCES = {
    # image source, volume_size given: the default (the parent's 2 GiB is kept), a
    # larger volume, a seekable stream, and a pipe whose length nobody knows up front.
    "file, default volume": (lambda p, image: (p.write_bytes(image), p)[1], None),
    "file, larger volume": (lambda p, image: (p.write_bytes(image), p)[1], 3),
    "seekable stream": (lambda p, image: io.BytesIO(image), None),
    "pipe": (lambda p, image: Pipe(image), 2),
}


@pytest.mark.parametrize("skip_zero_blocks", [True, False], ids=["skip", "write-zeros"])
@pytest.mark.parametrize("source", sorted(CHILD_SOURCES))
def test_a_shorter_child_reads_as_itself_then_zeros(
    strict: StrictEBS,
    strict_aws: awskit.Session,
    tmp_path: Path,
    source: str,
    skip_zero_blocks: bool,
) -> None:
    # Issue 20: with a parent, blocks between the image's end and the volume's end were
    # never written, and the parent's bytes showed through where the child reads zeros.
    ebs = strict_aws.ebs
    parent_id, parent_blocks = _parent_with_a_block_past_1_gib(ebs)
    image = noise(BLOCK_SIZE, 5) + bytes(BLOCK_SIZE) + noise(1000, 6)  # blocks 0..2
    make, volume_size = CHILD_SOURCES[source]
    child = ebs.upload(
        make(tmp_path / "child.img", image),
        volume_size=volume_size,
        parent_snapshot_id=parent_id,
        skip_zero_blocks=skip_zero_blocks,
    )
    assert child.volume_size == (volume_size or 2)
    # Written: the image's two data blocks, its zero block (the parent has one there),
    # and zeros over every other block the parent holds.
    assert child.blocks_written == strict.puts[child.snapshot_id] == 3 + 4
    assert not strict.rejected
    expected = image + bytes(BLOCK_SIZE - 1000)
    for index in sorted(parent_blocks):
        data = strict.block_data(child.snapshot_id, index)
        assert data == (expected[index * BLOCK_SIZE :][:BLOCK_SIZE] or bytes(BLOCK_SIZE))
    out = tmp_path / "child.out"
    ebs.download(child.snapshot_id, out, size=8 * BLOCK_SIZE)
    assert out.read_bytes() == image + bytes(8 * BLOCK_SIZE - len(image))
    # And what EBS itself says changed against the parent: exactly what was written.
    changed = [c.index for c in ebs.changed_blocks(parent_id, child.snapshot_id)]
    assert changed == [*range(6), 2048 + 7]


def test_a_shorter_child_of_the_same_volume_size_hides_the_parent(
    strict_aws: awskit.Session, tmp_path: Path
) -> None:
    # The case as issue 20 saw it: parent and child both default to 1 GiB.
    ebs = strict_aws.ebs
    parent = ebs.upload(io.BytesIO(noise(6 * BLOCK_SIZE)))
    src = tmp_path / "child.img"
    src.write_bytes(image := noise(BLOCK_SIZE + 77, 9))
    child = ebs.upload(src, parent_snapshot_id=parent.snapshot_id)
    assert child.volume_size == 1
    out = tmp_path / "child.out"
    ebs.download(child.snapshot_id, out, size=6 * BLOCK_SIZE)
    assert out.read_bytes() == image + bytes(6 * BLOCK_SIZE - len(image))


def test_a_child_skips_zero_blocks_where_the_parent_has_none(
    strict: StrictEBS, strict_aws: awskit.Session, tmp_path: Path
) -> None:
    ebs = strict_aws.ebs
    parent = ebs.upload(io.BytesIO(noise(BLOCK_SIZE) + bytes(2 * BLOCK_SIZE) + noise(10)))
    # The parent holds blocks 0 and 3; the child's zero blocks 1, 2 and 4 need no write.
    image = noise(BLOCK_SIZE, 3) + bytes(3 * BLOCK_SIZE) + bytes(BLOCK_SIZE)
    child = ebs.upload(io.BytesIO(image), parent_snapshot_id=parent.snapshot_id)
    assert child.blocks_written == 2
    out = tmp_path / "child.img"
    ebs.download(child.snapshot_id, out, size=len(image))
    assert out.read_bytes() == image


def test_listing_pages_through_every_block(strict_aws: awskit.Session, tmp_path: Path) -> None:
    with StrictEBS(page_limit=2) as server:
        aws = make_session(server.url, strict_aws.retry)
        image = noise(5 * BLOCK_SIZE)
        snap = aws.ebs.upload(io.BytesIO(image))
        blocks = list(aws.ebs.blocks(snap.snapshot_id, page_size=100))
        assert [b.index for b in blocks] == [0, 1, 2, 3, 4]
        assert server.requests["ListSnapshotBlocks"] == 3
        out = tmp_path / "out.img"
        aws.ebs.download(snap.snapshot_id, out, size=len(image))
        assert out.read_bytes() == image
        assert (
            aws.ebs.read_block(snap.snapshot_id, 3, blocks[3].token)
            == image[3 * BLOCK_SIZE : 4 * BLOCK_SIZE]
        )


def test_changed_blocks_tolerates_empty_pages(strict_aws: awskit.Session) -> None:
    with StrictEBS(page_limit=100) as server:
        aws = make_session(server.url, strict_aws.retry)
        parent = aws.ebs.upload(io.BytesIO(noise(BLOCK_SIZE)))
        writer = aws.ebs.start_snapshot(parent_snapshot_id=parent.snapshot_id)
        writer.put_block(0, noise(BLOCK_SIZE, 3))
        writer.put_block(1500, noise(BLOCK_SIZE, 4))
        child = writer.complete()
        changed = list(aws.ebs.changed_blocks(parent.snapshot_id, child.snapshot_id, page_size=100))
        assert [c.index for c in changed] == [0, 1500]
        # Windows of 100 indexes: pages 2..15 came back empty and were read through.
        assert server.requests["ListChangedBlocks"] == 16


def test_moto_block_size_is_ignored(aws: awskit.Session) -> None:
    image = noise(BLOCK_SIZE + 1)
    snap = aws.ebs.upload(io.BytesIO(image))
    raw = aws.ebs.client.list_snapshot_blocks(SnapshotId=snap.snapshot_id)
    assert raw["BlockSize"] == 512  # moto's claim, which awskit does not believe
    assert snap.block_size == BLOCK_SIZE
    data = aws.ebs.read_block(
        snap.snapshot_id, 1, next(b.token for b in aws.ebs.blocks(snap.snapshot_id) if b.index == 1)
    )
    assert data == image[BLOCK_SIZE:] + bytes(BLOCK_SIZE - 1)


def test_strict_server_checks_what_aws_checks(
    strict: StrictEBS, strict_aws: awskit.Session
) -> None:
    client = strict_aws.ebs.client
    snap = client.start_snapshot(VolumeSize=1)["SnapshotId"]
    block = noise(BLOCK_SIZE)
    wrong = block_checksum(b"other")
    with pytest.raises(client.exceptions.ValidationException):
        client.put_snapshot_block(
            SnapshotId=snap,
            BlockIndex=0,
            BlockData=block,
            DataLength=BLOCK_SIZE,
            Checksum=wrong,
            ChecksumAlgorithm="SHA256",
        )
    client.put_snapshot_block(
        SnapshotId=snap,
        BlockIndex=0,
        BlockData=block,
        DataLength=BLOCK_SIZE,
        Checksum=block_checksum(block),
        ChecksumAlgorithm="SHA256",
    )
    with pytest.raises(client.exceptions.ValidationException):
        client.complete_snapshot(SnapshotId=snap, ChangedBlocksCount=2)
    # The prose reading of "LINEAR" (base64 strings concatenated) is refused; the raw
    # digests, as linear_checksum computes it, are accepted.
    import base64
    import hashlib

    prose = base64.b64encode(hashlib.sha256(block_checksum(block).encode()).digest()).decode()
    with pytest.raises(client.exceptions.ValidationException):
        client.complete_snapshot(
            SnapshotId=snap,
            ChangedBlocksCount=1,
            Checksum=prose,
            ChecksumAlgorithm="SHA256",
            ChecksumAggregationMethod="LINEAR",
        )
    client.complete_snapshot(
        SnapshotId=snap,
        ChangedBlocksCount=1,
        Checksum=linear_checksum({0: block_checksum(block)}),
        ChecksumAlgorithm="SHA256",
        ChecksumAggregationMethod="LINEAR",
    )


def test_pending_snapshots_are_unreadable(strict_aws: awskit.Session) -> None:
    writer = strict_aws.ebs.start_snapshot()
    writer.put_block(0, noise(BLOCK_SIZE))
    with pytest.raises(awskit.AwskitError) as info:
        list(strict_aws.ebs.blocks(writer.snapshot_id))
    assert info.value.code == "ValidationException"
    assert not isinstance(info.value, awskit.InvalidInput)


def test_invalid_input_before_any_request(
    strict: StrictEBS, strict_aws: awskit.Session, tmp_path: Path
) -> None:
    ebs = strict_aws.ebs
    img = tmp_path / "big.img"
    with img.open("wb") as f:
        f.truncate(GIB + 1)
    cases = [
        (lambda: ebs.upload(tmp_path / "missing.img"), "source"),
        (lambda: ebs.upload(img, volume_size=1), "volume_size"),
        (
            lambda: ebs.upload(io.BytesIO(b"x"), parent_snapshot_id="snap-0123", encrypted=True),
            "encrypted",
        ),
        (
            lambda: ebs.upload(
                io.BytesIO(b"x"), kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/k"
            ),
            "kms_key_arn",
        ),
        (lambda: ebs.upload(io.BytesIO(b"x"), timeout_minutes=5), "timeout_minutes"),
        (lambda: ebs.upload(io.BytesIO(b"x"), concurrency=0), "concurrency"),
        (lambda: ebs.upload(io.BytesIO(b"x"), tags={"": "v"}), "tags"),
        (lambda: ebs.upload(io.BytesIO(b"x"), volume_size=70000), "volume_size"),
        (lambda: ebs.upload(tmp_path), "source"),
        (lambda: ebs.start_snapshot(volume_size=0), "volume_size"),
        (lambda: ebs.download("vol-123", tmp_path / "o"), "snapshot_id"),
        (lambda: ebs.download("snap-0123", tmp_path), "dest"),
        (lambda: ebs.download("snap-0123", os.devnull), "dest"),
        (lambda: ebs.download("snap-0123", tmp_path / "no-such-dir" / "o"), "dest"),
        (lambda: ebs.blocks("snap-0123", page_size=50), "page_size"),
        (lambda: ebs.changed_blocks("snap-1", "bad"), "second_snapshot_id"),
        (lambda: ebs.read_block("snap-0123", -1, "t"), "index"),
        (lambda: ebs.wait("snap-0123", timeout=0), "timeout"),
        (lambda: ebs.start_snapshot(client_token="t" * 65), "client_token"),
        (lambda: ebs.upload(io.BytesIO(b"x"), client_token="t" * 65), "client_token"),
        (lambda: ebs.upload(io.BytesIO(b"x"), client_token="tökén"), "client_token"),
        (lambda: ebs.start_snapshot(client_token=""), "client_token"),
        (lambda: ebs.start_snapshot(client_token="two words"), "client_token"),
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
    assert strict.requests["PutSnapshotBlock"] == 0


def test_wait_until_completed_and_on_error(
    strict_aws: awskit.Session, sleeps: SleepRecorder
) -> None:
    with StrictEBS(completion_delay=600) as server:
        aws = make_session(server.url, strict_aws.retry)
        snap = aws.ebs.upload(io.BytesIO(noise(10)))
        assert snap.status == "pending"
        with pytest.raises(awskit.AwskitError) as info:
            aws.ebs.wait(snap.snapshot_id, timeout=2)
        assert info.value.code == "WaitTimeout"
        assert sum(sleeps.calls) >= 2
        server.completion_delay = 0
        done = aws.ebs.upload(io.BytesIO(noise(10)), wait=True)
        assert done.status == "completed"
        server.set_state(done.snapshot_id, "error", "KMS key disabled")
        with pytest.raises(awskit.AwskitError, match="KMS key disabled") as info:
            aws.ebs.wait(done.snapshot_id)
        assert info.value.code == "SnapshotError"
        with pytest.raises(awskit.NotFound):
            aws.ebs.wait("snap-0000000000000000f")


def test_wait_on_moto(aws: awskit.Session) -> None:
    snap = aws.ebs.upload(io.BytesIO(b"x"), wait=True)
    assert snap.status == "completed"


def test_delete_snapshot_through_ec2(aws: awskit.Session) -> None:
    snap = aws.ebs.upload(io.BytesIO(b"x"), wait=True)
    aws.ebs.delete_snapshot(snap.snapshot_id)
    with pytest.raises(awskit.NotFound):
        aws.ebs.wait(snap.snapshot_id)
    with pytest.raises(awskit.NotFound) as info:
        aws.ebs.delete_snapshot(snap.snapshot_id)
    assert info.value.code == "InvalidSnapshot.NotFound"
    assert info.value.operation == "DeleteSnapshot"
    with pytest.raises(awskit.InvalidInput) as bad:
        aws.ebs.delete_snapshot("vol-0123")
    assert bad.value.field == "snapshot_id"


def test_boto3_has_no_paginators_or_waiters_for_ebs(aws: awskit.Session) -> None:
    client = aws.ebs.client
    for operation in ("list_snapshot_blocks", "list_changed_blocks"):
        assert client.can_paginate(operation) is False
        with pytest.raises(OperationNotPageableError):
            client.get_paginator(operation)  # type: ignore[call-overload]
    assert client.waiter_names == []
    # What applies instead: EC2's snapshot_completed waiter, which awskit's wait() mirrors.
    assert (
        "snapshot_completed"
        in aws.session.client("ec2", endpoint_url=aws.endpoint_url).waiter_names
    )


def test_snapshot_not_yet_visible_is_retried(
    strict_aws: awskit.Session, sleeps: SleepRecorder
) -> None:
    with StrictEBS(not_found_puts=2) as server:
        aws = make_session(server.url, strict_aws.retry)
        image = noise(BLOCK_SIZE)
        snap = aws.ebs.upload(io.BytesIO(image))
        assert snap.blocks_written == 1
        assert len(sleeps.calls) == 2
        assert [r[1] for r in server.rejected] == ["ResourceNotFoundException"] * 2


def test_failure_names_the_pending_snapshot(
    strict_aws: awskit.Session, caplog: pytest.LogCaptureFixture
) -> None:
    with StrictEBS(not_found_puts=1000) as server:
        aws = make_session(server.url, strict_aws.retry)
        with pytest.raises(awskit.NotFound) as info:
            aws.ebs.upload(io.BytesIO(noise(BLOCK_SIZE)), concurrency=1)
        snapshot_id = info.value.snapshot_id  # type: ignore[attr-defined]
        assert snapshot_id in server.snapshots
        assert server.snapshots[snapshot_id].state == "pending"
        assert snapshot_id in str(info.value)
        assert snapshot_id in caplog.text
        # Attempts per block are bounded by the RetryPolicy: 8 attempts, then no more.
        assert server.requests["PutSnapshotBlock"] == aws.retry.max_attempts
        assert server.requests["CompleteSnapshot"] == 0


def test_access_denied_and_conflict_fail_at_once(
    aws: awskit.Session, sleeps: SleepRecorder
) -> None:
    client = aws.ebs.client
    writer = aws.ebs.start_snapshot()
    with Stubber(client) as stub:
        stub.add_client_error("put_snapshot_block", "AccessDeniedException", http_status_code=403)
        stub.add_client_error("start_snapshot", "ConflictException", http_status_code=409)
        stub.add_client_error("put_snapshot_block", "ValidationException", http_status_code=400)
        with pytest.raises(awskit.AwskitError) as denied:
            writer.put_block(0, bytes(BLOCK_SIZE))
        with pytest.raises(awskit.AwskitError) as conflict:
            aws.ebs.start_snapshot(client_token="same")
        with pytest.raises(awskit.AwskitError) as invalid:
            writer.put_block(0, bytes(BLOCK_SIZE))
    assert denied.value.code == "AccessDeniedException"
    assert denied.value.snapshot_id == writer.snapshot_id  # type: ignore[attr-defined]
    assert conflict.value.code == "ConflictException"
    assert invalid.value.code == "ValidationException"
    assert sleeps.calls == []


def test_throttling_outliving_botocore_is_retried_then_raised(
    aws: awskit.Session, sleeps: SleepRecorder
) -> None:
    writer = aws.ebs.start_snapshot()
    client = aws.ebs.client
    with Stubber(client) as stub:
        stub.add_client_error(
            "put_snapshot_block", "ConcurrentLimitExceededException", http_status_code=400
        )
        stub.add_client_error("put_snapshot_block", "InternalServerException", http_status_code=500)
        stub.add_response("put_snapshot_block", {"Checksum": "x", "ChecksumAlgorithm": "SHA256"})
        writer.put_block(0, bytes(BLOCK_SIZE))
        for _ in range(aws.retry.max_attempts):
            stub.add_client_error(
                "put_snapshot_block", "RequestThrottledException", http_status_code=400
            )
        with pytest.raises(awskit.Throttled):
            writer.put_block(1, bytes(BLOCK_SIZE))
    assert len(sleeps.calls) == 2 + aws.retry.max_attempts - 1
    assert writer.blocks_written == 1


def test_throttling_beyond_the_concurrency_limit(
    strict_aws: awskit.Session, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="awskit.ebs")
    with StrictEBS(concurrency_limit=3, latency=0.01) as server:
        aws = make_session(server.url, strict_aws.retry)
        image = noise(8 * BLOCK_SIZE)
        snap = aws.ebs.upload(io.BytesIO(image), concurrency=8)
        out = tmp_path / "out.img"
        aws.ebs.download(snap.snapshot_id, out, size=len(image), concurrency=8)
        assert out.read_bytes() == image
        assert server.max_in_flight <= 3
        assert any(code == "RequestThrottledException" for _, code, _ in server.rejected)
        # botocore retried those throttles by itself; awskit saw them and slowed down.
        assert "lowering requests in flight" in caplog.text


def test_client_token_makes_the_start_idempotent(
    strict: StrictEBS, strict_aws: awskit.Session
) -> None:
    token = awskit.ebs.client_token("nightly", "db", 1)
    assert token == awskit.ebs.client_token("nightly", "db", 1)
    assert token != awskit.ebs.client_token("nightly", "db", 2)
    strict_aws.ebs.start_snapshot(client_token="t" * 64)  # AWS's longest token
    first = strict_aws.ebs.start_snapshot(volume_size=2, client_token=token)
    again = strict_aws.ebs.start_snapshot(volume_size=2, client_token=token)
    assert first.snapshot_id == again.snapshot_id
    with pytest.raises(awskit.AwskitError) as info:
        strict_aws.ebs.start_snapshot(volume_size=3, client_token=token)
    assert info.value.code == "ConflictException"


@pytest.mark.parametrize("replay", [False, True], ids=["current-status", "original-reply"])
def test_rerun_after_completion_returns_the_snapshot_without_writing(
    strict_aws: awskit.Session,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    replay: bool,
) -> None:
    # Issue 20: the rerun got the completed snapshot back from StartSnapshot, sent blocks
    # into it (ValidationException) and logged that it "stays pending".
    caplog.set_level("INFO", logger="awskit.ebs")
    with StrictEBS(replay_start=replay) as server:
        aws = make_session(server.url, strict_aws.retry)
        src = tmp_path / "disk.img"
        src.write_bytes(noise(3 * BLOCK_SIZE))
        token = awskit.ebs.client_token("nightly", "disk", 1)
        first = aws.ebs.upload(src, client_token=token, tags={"run": "1"})
        puts = server.requests["PutSnapshotBlock"]
        again = aws.ebs.upload(src, client_token=token, tags={"run": "1"}, wait=True)
        assert again.snapshot_id == first.snapshot_id
        assert again.status == "completed"
        assert again.volume_size == 1
        assert again.blocks_written == 0  # this call wrote nothing
        assert server.requests["PutSnapshotBlock"] == puts
        assert server.requests["CompleteSnapshot"] == 1
        assert server.requests["StartSnapshot"] == 2
        assert not server.rejected
        assert "stays pending" not in caplog.text
        # The low-level writer says the same, and sends nothing either.
        writer = aws.ebs.start_snapshot(volume_size=1, tags={"run": "1"}, client_token=token)
        assert writer.status == "completed"
        with pytest.raises(awskit.AwskitError) as info:
            writer.put_block(0, bytes(BLOCK_SIZE))
        assert info.value.code == "SnapshotNotPending"
        assert not isinstance(info.value, awskit.InvalidInput)
        assert writer.complete().snapshot_id == first.snapshot_id
        assert server.requests["PutSnapshotBlock"] == puts
        assert server.requests["CompleteSnapshot"] == 1


def test_rerun_of_a_failed_upload_resumes_the_pending_snapshot(
    strict: StrictEBS, strict_aws: awskit.Session, tmp_path: Path
) -> None:
    image = noise(4 * BLOCK_SIZE)
    token = awskit.ebs.client_token("resume", 1)

    def crash(done: int, total: int) -> None:
        raise KeyboardInterrupt  # the job dies after its first block

    with pytest.raises(KeyboardInterrupt):
        strict_aws.ebs.upload(io.BytesIO(image), client_token=token, concurrency=1, progress=crash)
    [pending] = strict.snapshots.values()
    assert pending.state == "pending"
    snap = strict_aws.ebs.upload(io.BytesIO(image), client_token=token)
    assert snap.snapshot_id == pending.snapshot_id
    assert snap.blocks_written == 4
    out = tmp_path / "out.img"
    strict_aws.ebs.download(snap.snapshot_id, out, size=len(image))
    assert out.read_bytes() == image
    assert not strict.rejected


def test_rerun_of_a_snapshot_in_error_says_so(
    strict: StrictEBS, strict_aws: awskit.Session
) -> None:
    token = awskit.ebs.client_token("broken", 1)
    snap = strict_aws.ebs.upload(io.BytesIO(noise(10)), client_token=token)
    strict.set_state(snap.snapshot_id, "error", "the parent is gone")
    with pytest.raises(awskit.AwskitError) as info:
        strict_aws.ebs.upload(io.BytesIO(noise(10)), client_token=token)
    assert info.value.code == "SnapshotError"
    assert info.value.snapshot_id == snap.snapshot_id  # type: ignore[attr-defined]
    assert strict.requests["PutSnapshotBlock"] == 1


def test_no_secret_in_reprs(strict_aws: awskit.Session) -> None:
    writer = strict_aws.ebs.start_snapshot()
    assert "testing" not in repr(writer)
    change = awskit.ebs.ChangedBlock(1, "secret-token-1", "secret-token-2")
    assert "secret-token" not in repr(change)


class Failing(io.RawIOBase):
    """A stream whose second read fails, as a dying disk would."""

    def __init__(self) -> None:
        self._reads = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self._reads += 1
        if self._reads > 1:
            raise OSError("I/O error")
        return noise(BLOCK_SIZE)


def test_a_read_error_keeps_its_type_and_names_the_snapshot(
    strict: StrictEBS, strict_aws: awskit.Session
) -> None:
    with pytest.raises(OSError, match="I/O error") as info:
        strict_aws.ebs.upload(Failing(), volume_size=1)
    snapshot_id = info.value.snapshot_id  # type: ignore[attr-defined]
    assert strict.snapshots[snapshot_id].state == "pending"
    assert strict.requests["CompleteSnapshot"] == 0


def test_an_empty_image_is_an_empty_snapshot(strict_aws: awskit.Session, tmp_path: Path) -> None:
    snap = strict_aws.ebs.upload(io.BytesIO(b""))
    assert (snap.blocks_written, snap.checksum, snap.volume_size) == (0, None, 1)
    result = strict_aws.ebs.download(snap.snapshot_id, tmp_path / "empty.img", size=0)
    assert result == awskit.ebs.DownloadResult(blocks=0, bytes_written=0)
    assert (tmp_path / "empty.img").read_bytes() == b""


def test_download_fetches_blocks_while_the_listing_goes_on(
    strict_aws: awskit.Session, tmp_path: Path
) -> None:
    with StrictEBS(page_limit=2) as server:
        aws = make_session(server.url, strict_aws.retry)
        image = noise(5 * BLOCK_SIZE)
        snap = aws.ebs.upload(io.BytesIO(image))
        fetched = threading.Event()
        listed_after_a_fetch: list[bool] = []
        progress: list[tuple[int, int]] = []

        def before_list(params: dict[str, object], **_: object) -> None:
            if "pageToken" in str(params.get("query_string")):
                # The second page waits for a block of the first to be fetched and counted:
                # a download that lists everything before fetching anything would wait
                # here in vain.
                listed_after_a_fetch.append(fetched.wait(timeout=5))

        def on_progress(done: int, total: int) -> None:
            progress.append((done, total))
            fetched.set()

        aws.ebs.client.meta.events.register("before-call.ebs.ListSnapshotBlocks", before_list)
        out = tmp_path / "out.img"
        result = aws.ebs.download(snap.snapshot_id, out, size=len(image), progress=on_progress)
        assert out.read_bytes() == image
        assert result.blocks == 5
        assert server.requests["ListSnapshotBlocks"] == 3
        assert listed_after_a_fetch == [True, True]
        # The total grows page by page (the first block was counted while only the first
        # page of two blocks was known) and ends at every block listed.
        assert progress[0] == (BLOCK_SIZE, 2 * BLOCK_SIZE)
        assert progress[-1] == (5 * BLOCK_SIZE, 5 * BLOCK_SIZE)
        assert all(done <= total for done, total in progress)


class _Device:
    """A regular file standing in for a block device: fixed size, old content kept."""

    def __init__(self, path: Path, size: int) -> None:
        self.path = path
        path.write_bytes(b"\xee" * size)

    def __call__(self, target: Path) -> bool:
        return target == self.path


def test_download_to_a_block_device_writes_it_in_full_in_place(
    strict_aws: awskit.Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Blocks 0 and 2 hold data, block 1 and 3 are not in the snapshot: on a device
    # whose old content stays, they must come out as zeros.
    image = noise(BLOCK_SIZE) + bytes(BLOCK_SIZE) + noise(BLOCK_SIZE, 2) + bytes(BLOCK_SIZE)
    snap = strict_aws.ebs.upload(io.BytesIO(image))
    assert snap.blocks_written == 2
    device = _Device(tmp_path / "xvdf", 4 * BLOCK_SIZE + 100)
    monkeypatch.setattr(awskit.ebs.transfer, "_is_block_device", device)
    result = strict_aws.ebs.download(snap.snapshot_id, device.path, size=len(image))
    assert result == awskit.ebs.DownloadResult(blocks=2, bytes_written=2 * BLOCK_SIZE)
    data = device.path.read_bytes()
    assert data[: len(image)] == image
    assert data[len(image) :] == b"\xee" * 100  # past the image: left alone
    assert [p.name for p in tmp_path.iterdir()] == ["xvdf"]  # in place, no temporary file


def test_download_refuses_a_block_device_smaller_than_the_image(
    strict_aws: awskit.Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snap = strict_aws.ebs.upload(io.BytesIO(noise(2 * BLOCK_SIZE)))
    device = _Device(tmp_path / "xvdf", BLOCK_SIZE)
    monkeypatch.setattr(awskit.ebs.transfer, "_is_block_device", device)
    with pytest.raises(awskit.InvalidInput, match="smaller") as info:
        strict_aws.ebs.download(snap.snapshot_id, device.path, size=2 * BLOCK_SIZE)
    assert info.value.field == "dest"
    assert device.path.read_bytes() == b"\xee" * BLOCK_SIZE
