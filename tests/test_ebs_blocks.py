"""EBS pure block logic: checksums, LINEAR aggregate, volume sizes, block planning."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awskit import InvalidInput
from awskit.ebs import BLOCK_SIZE, block_checksum, linear_checksum, volume_size_for
from awskit.ebs.blocks import (
    GIB,
    MAX_VOLUME_SIZE,
    BlockSet,
    PlannedBlock,
    block_count,
    check_volume_size,
    data_extents,
    linear_checksum_of_digests,
    pad_block,
    plan_blocks,
    plan_file,
    plan_stream,
    to_write,
)

KIB = 1024

# An image as segments: (True, n) is n zero bytes, (False, n) n random bytes.
segments = st.lists(
    st.tuples(st.booleans(), st.integers(min_value=1, max_value=3 * BLOCK_SIZE)),
    min_size=0,
    max_size=5,
)


def build(parts: list[tuple[bool, int]], seed: int) -> bytes:
    rng = random.Random(seed)
    return b"".join(
        bytes(n) if zero else rng.randbytes(n).replace(b"\0", b"\1") for zero, n in parts
    )


def reassemble(plan: list[PlannedBlock]) -> bytes:
    return b"".join((b.data if b.data is not None else bytes(BLOCK_SIZE))[: b.length] for b in plan)


class Trickle(io.RawIOBase):
    """A stream that returns short reads of random sizes, like a pipe or socket."""

    def __init__(self, data: bytes, seed: int) -> None:
        self._data = memoryview(data)
        self._rng = random.Random(seed)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        n = self._rng.randint(1, max(1, min(size, 200_000)))
        chunk, self._data = self._data[:n], self._data[n:]
        return bytes(chunk)


def test_block_checksum_is_base64_sha256() -> None:
    data = bytes(BLOCK_SIZE)
    assert block_checksum(data) == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert block_checksum(data) == "B4VNL+8pega6gWheZgwzLeNtXRjVRpJ9MNqtbX/aFUE="


@given(st.dictionaries(st.integers(0, 10_000), st.binary(min_size=1, max_size=64), max_size=8))
def test_linear_checksum_hashes_raw_digests_in_index_order(blocks: dict[int, bytes]) -> None:
    checksums = {i: block_checksum(d) for i, d in blocks.items()}
    raw = b"".join(hashlib.sha256(blocks[i]).digest() for i in sorted(blocks))
    expected = base64.b64encode(hashlib.sha256(raw).digest()).decode()
    assert linear_checksum(checksums) == expected
    # Insertion order does not matter, only block index order.
    assert linear_checksum(dict(reversed(list(checksums.items())))) == expected
    digests = {i: hashlib.sha256(d).digest() for i, d in blocks.items()}
    assert linear_checksum_of_digests(digests) == expected


def test_linear_checksum_is_not_the_concatenated_base64_strings() -> None:
    checksums = {0: block_checksum(b"a"), 1: block_checksum(b"b")}
    prose = "".join(checksums[i] for i in sorted(checksums)).encode()
    misread = base64.b64encode(hashlib.sha256(prose).digest()).decode()
    assert linear_checksum(checksums) != misread


def test_linear_checksum_rejects_what_is_not_a_digest() -> None:
    with pytest.raises(InvalidInput) as info:
        linear_checksum({0: base64.b64encode(b"short").decode()})
    assert info.value.field == "checksums"


@given(st.integers(min_value=0, max_value=MAX_VOLUME_SIZE * GIB))
def test_volume_size_rounds_up_to_whole_gib(size: int) -> None:
    gib = volume_size_for(size)
    assert gib >= 1
    assert gib * GIB >= size
    assert size == 0 or (gib - 1) * GIB < size
    assert check_volume_size(gib, size) == gib
    assert block_count(gib) == gib * GIB // BLOCK_SIZE


@pytest.mark.parametrize("bad", [0, -1, MAX_VOLUME_SIZE + 1, True, 1.5])
def test_volume_size_limits(bad: object) -> None:
    with pytest.raises(InvalidInput) as info:
        check_volume_size(bad)  # type: ignore[arg-type]
    assert info.value.field == "volume_size"


def test_volume_smaller_than_the_image_is_invalid() -> None:
    with pytest.raises(InvalidInput, match="smaller than the image"):
        check_volume_size(1, GIB + 1)
    with pytest.raises(InvalidInput):
        volume_size_for(-1)


@given(st.binary(max_size=2048))
def test_pad_block(data: bytes) -> None:
    block = pad_block(data)
    assert len(block) == BLOCK_SIZE
    assert block[: len(data)] == data
    assert block[len(data) :].count(0) == BLOCK_SIZE - len(data)


def test_pad_block_refuses_more_than_a_block() -> None:
    with pytest.raises(InvalidInput):
        pad_block(bytes(BLOCK_SIZE + 1))


@settings(max_examples=25, deadline=None)
@given(segments, st.integers(0, 2**32))
def test_plan_stream_covers_the_image_exactly(parts: list[tuple[bool, int]], seed: int) -> None:
    image = build(parts, seed)
    plan = list(plan_stream(Trickle(image, seed)))
    assert [b.index for b in plan] == list(range(len(plan)))
    assert sum(b.length for b in plan) == len(image)
    assert reassemble(plan) == image
    for block in plan:
        window = image[block.index * BLOCK_SIZE : block.index * BLOCK_SIZE + BLOCK_SIZE]
        assert (block.data is None) == (window.count(0) == len(window))
        assert block.data is None or len(block.data) == BLOCK_SIZE


@settings(max_examples=15, deadline=None)
@given(parts=segments, seed=st.integers(0, 2**32))
def test_plan_file_matches_plan_stream(
    parts: list[tuple[bool, int]], seed: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    image = build(parts, seed)
    path = tmp_path_factory.mktemp("plan") / "disk.img"
    path.write_bytes(image)
    from_file = list(plan_blocks(path))
    assert from_file == list(plan_stream(io.BytesIO(image)))
    with path.open("rb") as f:
        assert list(plan_blocks(f)) == from_file


def test_plan_stream_refuses_more_than_the_volume() -> None:
    with pytest.raises(InvalidInput, match="longer than the volume"):
        list(plan_stream(io.BytesIO(os.urandom(BLOCK_SIZE + 1)), limit=BLOCK_SIZE))


def test_sparse_file_holes_are_not_read(tmp_path: Path) -> None:
    path = tmp_path / "sparse.img"
    size = 100 * GIB
    with path.open("wb") as f:
        f.truncate(size)
        f.seek(5 * BLOCK_SIZE + 100)
        f.write(b"data")
        f.seek(size - 10)
        f.write(b"tail")
    fd = os.open(path, os.O_RDONLY)
    try:
        extents = data_extents(fd, size)
        # The file system reports holes: almost nothing of the 100 GiB is data.
        assert sum(end - start for start, end in extents) < 64 * 1024 * 1024
        plan = plan_file(fd, size)
        data = [(b.index, b.data) for b in plan if b.data is not None]
    finally:
        os.close(fd)
    last = size // BLOCK_SIZE - 1
    assert [i for i, _ in data] == [5, last]
    assert data[0][1] is not None and data[0][1][100:104] == b"data"
    assert data[1][1] is not None and data[1][1][BLOCK_SIZE - 10 : BLOCK_SIZE - 6] == b"tail"


def test_plan_file_without_holes_reads_everything(tmp_path: Path) -> None:
    path = tmp_path / "d.img"
    image = os.urandom(BLOCK_SIZE) + bytes(BLOCK_SIZE) + os.urandom(10)
    path.write_bytes(image)
    fd = os.open(path, os.O_RDONLY)
    try:
        plan = list(plan_file(fd, len(image), sparse=False))
    finally:
        os.close(fd)
    assert [b.data is None for b in plan] == [False, True, False]
    assert reassemble(plan) == image
    assert data_extents(0, 0) == []


@given(st.lists(st.booleans(), max_size=12), st.booleans())
def test_to_write_without_a_parent_skips_zero_blocks_only_when_asked(
    zeros: list[bool], skip: bool
) -> None:
    data = b"x" * BLOCK_SIZE
    plan = [PlannedBlock(i, None if z else data, BLOCK_SIZE) for i, z in enumerate(zeros)]
    out = list(to_write(plan, skip_zero_blocks=skip))
    assert [b.index for b, _ in out] == list(range(len(zeros)))
    for block, put in out:
        if block.data is not None:
            assert put is data
        else:
            assert put == (None if skip else bytes(BLOCK_SIZE))


@given(
    st.lists(st.booleans(), max_size=12),
    st.sets(st.integers(0, 40)),
    st.booleans(),
    st.integers(0, 40),
)
def test_a_child_reads_as_its_image_and_zeros_whatever_the_parent_holds(
    zeros: list[bool], parent: set[int], skip: bool, extra: int
) -> None:
    # AWS: an incremental snapshot shows the parent's block wherever it writes nothing.
    volume_blocks = len(zeros) + extra
    parent = {i for i in parent if i < volume_blocks}
    image = [None if z else bytes([i + 1]) * BLOCK_SIZE for i, z in enumerate(zeros)]
    plan = (PlannedBlock(i, d, BLOCK_SIZE) for i, d in enumerate(image))
    written: dict[int, bytes] = {}
    for block, put in to_write(
        plan, skip_zero_blocks=skip, parent_blocks=BlockSet(parent), volume_blocks=volume_blocks
    ):
        assert block.index not in written
        if put is not None:
            written[block.index] = put
        if block.index >= len(zeros):
            assert block.length == 0  # past the image: covers none of its bytes
    parent_byte = b"\xee" * BLOCK_SIZE
    for index in range(volume_blocks):
        seen = written.get(index, parent_byte if index in parent else bytes(BLOCK_SIZE))
        wanted = image[index] if index < len(image) else None
        assert seen == (wanted if wanted is not None else bytes(BLOCK_SIZE)), index
    # Nothing more than that: zeros only where the parent holds a block (or when asked).
    zero_writes = {i for i, d in written.items() if d == bytes(BLOCK_SIZE)}
    if skip:
        assert zero_writes <= parent
    else:
        assert zero_writes == {i for i, z in enumerate(zeros) if z} | {
            i for i in parent if i >= len(zeros)
        }


def test_a_child_of_a_stream_zeroes_the_parent_past_the_stream() -> None:
    # The stream's length is known only once it ends: the zeros follow its last block.
    stream = io.BytesIO(b"boot" + bytes(BLOCK_SIZE))
    parent = BlockSet([0, 1, 3, 5000])
    out = list(to_write(plan_stream(stream), parent_blocks=parent, volume_blocks=2048))
    assert [(b.index, d is None) for b, d in out] == [(0, False), (1, False), (3, False)]
    assert out[1][1] == out[2][1] == bytes(BLOCK_SIZE)


@given(
    st.sets(st.integers(0, 5000)), st.integers(-3, 5100), st.one_of(st.none(), st.integers(0, 5100))
)
def test_block_set_is_a_set_of_indexes(indexes: set[int], start: int, stop: int | None) -> None:
    held = BlockSet(sorted(indexes, reverse=True))
    assert len(held) == len(indexes)
    assert list(held) == sorted(indexes)
    assert all(i in held for i in indexes)
    assert all(i not in held for i in range(5200) if i not in indexes)
    assert -1 not in held and "1" not in held
    wanted = [i for i in sorted(indexes) if i >= start and (stop is None or i < stop)]
    assert list(held.from_index(start, stop)) == wanted


def test_block_set_of_a_large_volume_is_a_bitmap() -> None:
    held = BlockSet([0, 134_217_727])  # the first and last block of 64 TiB
    assert list(held.from_index(1)) == [134_217_727]
    with pytest.raises(ValueError):
        held.add(-1)
