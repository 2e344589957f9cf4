"""Pure block arithmetic of the EBS direct APIs: sizes, checksums and block planning.

Nothing here talks to AWS. An image is cut into 512 KiB blocks (block index = byte
offset / 524288); the last partial block is zero-padded; all-zero blocks are marked so
the uploader can skip them; holes of sparse files are found with ``SEEK_DATA`` /
``SEEK_HOLE`` where the OS has them, so a sparse 100 GiB image is never read byte by byte.
With a parent snapshot, [to_write][awskit.ebs.blocks.to_write] also writes zeros over
every block of the parent the new image does not cover, so a child never shows its
parent's bytes where the image has none.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO

from .._errors import InvalidInput

__all__ = [
    "BLOCKS_PER_GIB",
    "BLOCK_SIZE",
    "GIB",
    "MAX_VOLUME_SIZE",
    "BlockSet",
    "PlannedBlock",
    "block_checksum",
    "block_count",
    "block_digest",
    "check_volume_size",
    "data_extents",
    "linear_checksum",
    "linear_checksum_of_digests",
    "pad_block",
    "plan_blocks",
    "plan_file",
    "plan_stream",
    "to_write",
    "volume_size_for",
]

BLOCK_SIZE: int = 524288
"""The one block size of the EBS direct APIs (``DataLength`` has this single valid value),
whatever an emulator reports (moto says 512)."""
GIB = 1 << 30
BLOCKS_PER_GIB = GIB // BLOCK_SIZE
MAX_VOLUME_SIZE: int = 65536
"""StartSnapshot's ``VolumeSize`` limit, in GiB (64 TiB)."""

_ZERO = bytes(BLOCK_SIZE)
_BytesLike = bytes | bytearray | memoryview
_NONZERO_BYTE = re.compile(b"[^\x00]")


class BlockSet:
    """A set of block indexes kept as a bitmap: one bit per block.

    A parent snapshot of 64 TiB has up to 134 million blocks; as a bitmap that is 16 MiB,
    where a ``set`` of ints would take gigabytes.

    Example:
        ```python
        held = BlockSet([0, 5, 9])
        assert 5 in held and 6 not in held
        assert list(held.from_index(4)) == [5, 9]
        ```
    """

    __slots__ = ("_bits",)

    def __init__(self, indexes: Iterable[int] = ()) -> None:
        self._bits = bytearray()
        for index in indexes:
            self.add(index)

    def add(self, index: int) -> None:
        """Add one block index (a non-negative int)."""
        if index < 0:
            raise ValueError(f"block index {index} is negative")
        byte = index >> 3
        if byte >= len(self._bits):
            self._bits.extend(bytes(byte + 1 - len(self._bits)))
        self._bits[byte] |= 1 << (index & 7)

    def __contains__(self, index: object) -> bool:
        if not isinstance(index, int) or index < 0:
            return False
        byte = index >> 3
        return byte < len(self._bits) and bool(self._bits[byte] >> (index & 7) & 1)

    def __len__(self) -> int:
        return sum(bin(byte).count("1") for byte in self._bits if byte)

    def __iter__(self) -> Iterator[int]:
        return self.from_index(0)

    def from_index(self, start: int, stop: int | None = None) -> Iterator[int]:
        """The indexes in ``[start, stop)`` in ascending order (all from ``start`` on
        when ``stop`` is ``None``); runs of absent blocks are skipped at memchr speed."""
        start = max(start, 0)
        end_byte = len(self._bits) if stop is None else min(len(self._bits), -(-stop // 8))
        for match in _NONZERO_BYTE.finditer(self._bits, start >> 3, max(end_byte, start >> 3)):
            byte = match.start()
            bits = self._bits[byte]
            for bit in range(8):
                index = (byte << 3) + bit
                if bits >> bit & 1 and index >= start and (stop is None or index < stop):
                    yield index


@dataclass(frozen=True, slots=True)
class PlannedBlock:
    """One block of an image: ``data`` is ``None`` when the block is all zeros.

    ``length`` is how many bytes of the image the block covers (less than
    ``BLOCK_SIZE`` only for the last block); ``data``, when present, is always padded to
    ``BLOCK_SIZE``.
    """

    index: int
    data: bytes | None
    length: int


def block_digest(data: _BytesLike) -> bytes:
    """The raw 32-byte SHA256 digest of one block."""
    return hashlib.sha256(data).digest()


def block_checksum(data: _BytesLike) -> str:
    """Base64 SHA256 of one block: the ``x-amz-Checksum`` header of PutSnapshotBlock.

    Example:
        ```python
        >>> block_checksum(bytes(524288))[:12]
        'B4VNL+8pega6'
        ```
    """
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def linear_checksum_of_digests(digests: Mapping[int, bytes]) -> str:
    """LINEAR aggregate from raw digests: SHA256 of them in ascending block index, base64."""
    outer = hashlib.sha256()
    for index in sorted(digests):
        outer.update(digests[index])
    return base64.b64encode(outer.digest()).decode("ascii")


def linear_checksum(checksums: Mapping[int, str]) -> str:
    """The LINEAR aggregated checksum CompleteSnapshot expects, from per-block checksums.

    SHA256 over the **raw 32-byte digests** (the base64 checksums decoded) in ascending
    block index, then base64. That is what AWS's own uploader (awslabs/coldsnap) sends
    and the service accepts; AWS's prose ("concatenate them to form a single string")
    reads as if the base64 strings were concatenated, and they are not.

    Example:
        ```python
        linear_checksum({0: block_checksum(a), 5: block_checksum(b)})
        ```
    """
    digests: dict[int, bytes] = {}
    for index, checksum in checksums.items():
        raw = base64.b64decode(checksum, validate=True)
        if len(raw) != 32:
            raise InvalidInput("checksums", f"block {index}: not a base64 SHA256 digest")
        digests[index] = raw
    return linear_checksum_of_digests(digests)


def volume_size_for(image_bytes: int) -> int:
    """The volume size (GiB) an image needs: its size rounded up to whole GiB, at least 1."""
    if image_bytes < 0:
        raise InvalidInput("image_bytes", "must not be negative")
    return max(1, -(-image_bytes // GIB))


def check_volume_size(volume_size: int, image_bytes: int | None = None) -> int:
    """Validate a ``VolumeSize`` (GiB): 1..65536 and large enough for the image."""
    if isinstance(volume_size, bool) or not isinstance(volume_size, int):
        raise InvalidInput("volume_size", "must be a whole number of GiB")
    if not 1 <= volume_size <= MAX_VOLUME_SIZE:
        raise InvalidInput("volume_size", f"must be between 1 and {MAX_VOLUME_SIZE} GiB")
    if image_bytes is not None and image_bytes > volume_size * GIB:
        raise InvalidInput(
            "volume_size",
            f"{volume_size} GiB is smaller than the image ({image_bytes} bytes, "
            f"{volume_size_for(image_bytes)} GiB needed)",
        )
    return volume_size


def block_count(volume_size: int) -> int:
    """How many 512 KiB blocks a volume of ``volume_size`` GiB has."""
    return volume_size * BLOCKS_PER_GIB


def pad_block(data: _BytesLike) -> bytes:
    """``data`` zero-padded to ``BLOCK_SIZE``; more than one block is ``InvalidInput``."""
    if len(data) > BLOCK_SIZE:
        raise InvalidInput("data", f"{len(data)} bytes is more than one block ({BLOCK_SIZE})")
    if len(data) == BLOCK_SIZE:
        return bytes(data)
    return bytes(data) + bytes(BLOCK_SIZE - len(data))


def _zero(block: bytes) -> bool:
    # A bytes comparison is a memcmp that stops at the first non-zero byte: nearly free
    # for real data, and ~20 GB/s for zero runs.
    return block == _ZERO


def data_extents(fd: int, size: int) -> list[tuple[int, int]]:
    """The ``[start, end)`` byte ranges of a file that may hold data.

    Uses ``SEEK_DATA``/``SEEK_HOLE`` where the OS and file system have them; elsewhere
    (or on a block device) the whole file is one extent.
    """
    seek_data = getattr(os, "SEEK_DATA", None)
    seek_hole = getattr(os, "SEEK_HOLE", None)
    if seek_data is None or seek_hole is None or size == 0:
        return [(0, size)] if size else []
    extents: list[tuple[int, int]] = []
    offset = 0
    try:
        while offset < size:
            try:
                start = os.lseek(fd, offset, seek_data)
            except OSError as exc:
                if exc.errno == errno.ENXIO:  # no data after offset: the rest is a hole
                    break
                raise
            end = min(os.lseek(fd, start, seek_hole), size)
            if end <= start:
                break
            extents.append((start, end))
            offset = end
    except OSError:
        return [(0, size)]
    return extents


def _extent_blocks(extents: Iterable[tuple[int, int]]) -> Iterator[int]:
    last = -1
    for start, end in extents:
        for index in range(max(start // BLOCK_SIZE, last + 1), (end - 1) // BLOCK_SIZE + 1):
            last = index
            yield index


def plan_file(fd: int, size: int, *, sparse: bool = True) -> Iterator[PlannedBlock]:
    """Every block of the first ``size`` bytes of an open file, read with ``os.pread``.

    Blocks lying wholly in a hole are reported as zero without being read (when
    ``sparse``); a partial last block is zero-padded.
    """
    extents = data_extents(fd, size) if sparse else [(0, size)]
    data_blocks = _extent_blocks(extents)
    next_data = next(data_blocks, None)
    for index in range(-(-size // BLOCK_SIZE)):
        offset = index * BLOCK_SIZE
        length = min(BLOCK_SIZE, size - offset)
        if next_data != index:
            yield PlannedBlock(index, None, length)
            continue
        next_data = next(data_blocks, None)
        chunk = os.pread(fd, BLOCK_SIZE, offset)
        while len(chunk) < length:
            more = os.pread(fd, length - len(chunk), offset + len(chunk))
            if not more:
                raise InvalidInput("source", f"the file ended early at byte {offset + len(chunk)}")
            chunk += more
        block = chunk[:length] if len(chunk) > length else chunk
        if len(block) < BLOCK_SIZE:
            block = pad_block(block)
        yield PlannedBlock(index, None if _zero(block) else block, length)


def plan_stream(stream: IO[bytes], *, limit: int | None = None) -> Iterator[PlannedBlock]:
    """Every block of a binary stream, read in order; short reads are filled up.

    ``limit`` (bytes) stops with ``InvalidInput`` if the stream holds more than that.
    """
    index = 0
    while True:
        parts: list[bytes] = []
        have = 0
        while have < BLOCK_SIZE:
            part = stream.read(BLOCK_SIZE - have)
            if not part:
                break
            parts.append(part)
            have += len(part)
        if not have:
            return
        if limit is not None and index * BLOCK_SIZE + have > limit:
            raise InvalidInput("source", f"the stream is longer than the volume ({limit} bytes)")
        block = parts[0] if len(parts) == 1 else b"".join(parts)
        if have < BLOCK_SIZE:
            block = pad_block(block)
        yield PlannedBlock(index, None if _zero(block) else block, have)
        if have < BLOCK_SIZE:
            return
        index += 1


def plan_blocks(source: str | os.PathLike[str] | IO[bytes]) -> Iterator[PlannedBlock]:
    """Plan a path or binary file object: regular files use holes, streams are read through.

    Example:
        ```python
        for block in plan_blocks("disk.img"):
            if block.data is not None:
                print(block.index, block_checksum(block.data))
        ```
    """
    if isinstance(source, (str, os.PathLike)):
        fd = os.open(source, os.O_RDONLY)
        try:
            mode = os.fstat(fd).st_mode
            size = os.fstat(fd).st_size if stat.S_ISREG(mode) else os.lseek(fd, 0, os.SEEK_END)
            yield from plan_file(fd, size, sparse=stat.S_ISREG(mode))
        finally:
            os.close(fd)
        return
    yield from plan_stream(source)


def to_write(
    plan: Iterable[PlannedBlock],
    *,
    skip_zero_blocks: bool = True,
    parent_blocks: BlockSet | None = None,
    volume_blocks: int | None = None,
) -> Iterator[tuple[PlannedBlock, bytes | None]]:
    """Pair each planned block with the bytes to put, or ``None`` to skip it.

    Without a parent, zero blocks are skipped when ``skip_zero_blocks`` (an unwritten
    block of a new snapshot reads as zeros).

    With ``parent_blocks`` (the indexes the parent snapshot holds, from
    ListSnapshotBlocks) the new snapshot is incremental, and AWS gives it the parent's
    block wherever it writes nothing. So a zero block of the image is skipped only
    where the parent holds no block, and once the image has ended every block the
    parent holds below ``volume_blocks`` follows as zeros (``length`` 0: it covers no
    byte of the image). The image's length need not be known in advance (a stream).

    Example:
        ```python
        parent = BlockSet([0, 1, 2, 3])
        plan = plan_stream(io.BytesIO(b"boot"))
        [(b.index, d is not None) for b, d in to_write(plan, parent_blocks=parent)]
        # [(0, True), (1, True), (2, True), (3, True)]: blocks 1..3 are zeros
        ```
    """
    last = -1
    for block in plan:
        last = block.index
        if block.data is not None:
            yield block, block.data
        elif not skip_zero_blocks or (parent_blocks is not None and block.index in parent_blocks):
            yield block, _ZERO
        else:
            yield block, None
    if parent_blocks is not None:
        for index in parent_blocks.from_index(last + 1, volume_blocks):
            yield PlannedBlock(index, None, 0), _ZERO
