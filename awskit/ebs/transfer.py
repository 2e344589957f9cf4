"""The upload and download pipelines: bounded, parallel, verified.

Upload: the calling thread reads the image block by block (holes skipped without being
read) and hands each block to ``concurrency`` workers that hash and put it. A block
holds one of ``2 x concurrency`` slots from being read until its put is done, so memory
stays near ``2 x concurrency x 512 KiB`` whatever the image size.

Download: the blocks of each page of the listing are fetched by the workers while the
next page is listed, checked against the SHA256 AWS returns with them, and written with
``pwrite`` at their offset into a temporary sparse file beside the destination (their
writeback started at once), which is renamed over it only once every block is in.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import stat
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import ChecksumMismatch, InvalidInput
from .._files import mode_for
from .blocks import BLOCK_SIZE, BlockSet, PlannedBlock
from .flow import Limiter, Retrier
from .models import Block, DownloadResult

if TYPE_CHECKING:
    from mypy_boto3_ebs import EBSClient

    from .writer import SnapshotWriter

__all__ = [
    "DownloadPlan",
    "Progress",
    "abandon_target",
    "block_progress",
    "check_block",
    "check_dest",
    "fetch_block",
    "finish_target",
    "open_target",
    "read_all",
    "room",
    "write_all",
    "write_block",
    "write_zeros",
]

#: ``progress(done_bytes, total_bytes)``; may be called from worker threads.
Progress = Callable[[int, int], None]

_ZERO = bytes(BLOCK_SIZE)
_FADVISE = getattr(os, "posix_fadvise", None)  # Linux and most Unixes; not macOS


class _Tracker:
    """Counts bytes done across threads and reports them to the caller's callback."""

    def __init__(self, total: int, callback: Progress | None) -> None:
        self.total = total
        self.done = 0
        self._callback = callback
        self._lock = threading.Lock()

    def add(self, nbytes: int) -> None:
        with self._lock:
            self.done += nbytes
            if self._callback is not None:
                self._callback(self.done, max(self.total, self.done))

    def expect(self, nbytes: int) -> None:
        """``nbytes`` more to do (a download learns its total page by page)."""
        with self._lock:
            self.total += nbytes


def room(workers: int, limiter: Limiter | None) -> int:
    """Blocks a transfer of ``workers`` holds at once (queued or in flight): twice the
    workers, fewer while the limiter allows fewer requests in flight (``4 x limit``)."""
    if limiter is None or limiter.limit >= workers:
        return 2 * workers
    # Twice what the limiter may allow one round trip later (it can double a round trip
    # while it grows): the reader, starved of the GIL by busy workers (or queued behind
    # them on the event loop), must already be ahead when the limit rises.
    return min(2 * workers, 4 * max(1, limiter.limit))


class _Pool:
    """A thread pool holding at most ``2 x workers`` blocks (queued or in flight), fewer
    while the limiter allows fewer requests in flight (``4 x limit``); the first failure
    stops feeding."""

    def __init__(self, workers: int, limiter: Limiter | None = None) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="awskit-ebs")
        self._workers = workers
        self._limiter = limiter
        self._held = 0
        self._cond = threading.Condition()
        self.error: BaseException | None = None

    def submit(self, work: Callable[[], None]) -> bool:
        """Queue ``work`` once a slot is free; ``False`` once something has failed."""
        with self._cond:
            while self._held >= room(self._workers, self._limiter):
                # Re-checked on a timeout too: the limit may rise without a block landing.
                self._cond.wait(0.05)
            if self.error is not None:
                return False
            self._held += 1
        future = self._executor.submit(work)
        future.add_done_callback(self._done)
        return True

    def _done(self, future: Future[None]) -> None:
        exc = future.exception()
        with self._cond:
            if exc is not None and self.error is None:
                self.error = exc
            self._held -= 1
            self._cond.notify()

    def finish(self) -> None:
        """Wait for every queued block; raise the first failure."""
        self._executor.shutdown(wait=True)
        if self.error is not None:
            raise self.error

    def abort(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def block_progress(index: int, length: int, total_bytes: int) -> int:
    """PutSnapshotBlock's ``Progress`` (0-100) once block ``index`` of the image is in."""
    return min(100, (index * BLOCK_SIZE + length) * 100 // max(total_bytes, 1))


def write_all(
    writer: SnapshotWriter,
    plan: Iterable[tuple[PlannedBlock, bytes | None]],
    *,
    concurrency: int,
    total_bytes: int,
    progress: Progress | None = None,
    limiter: Limiter | None = None,
) -> None:
    """Put every block of ``plan`` that has bytes (``None`` means skip) through the pool."""
    tracker = _Tracker(total_bytes, progress)
    pool = _Pool(concurrency, limiter)

    def put(index: int, data: bytes, length: int) -> Callable[[], None]:
        percent = block_progress(index, length, total_bytes)

        def work() -> None:
            writer.put_block(index, data, progress=percent)
            tracker.add(length)

        return work

    try:
        for block, data in plan:
            if data is None:
                tracker.add(block.length)
            elif not pool.submit(put(block.index, data, block.length)):
                break
    except BaseException:
        pool.abort()
        raise
    pool.finish()


def fetch_block(
    client: EBSClient,
    retrier: Retrier,
    snapshot_id: str,
    index: int,
    token: str,
    *,
    verify: bool = True,
) -> bytes:
    """GetSnapshotBlock, its bytes checked against the SHA256 AWS sent with them.

    A block whose bytes disagree is fetched again (the retrier's attempts and budget);
    [ChecksumMismatch][awskit.ChecksumMismatch] only when it keeps disagreeing.
    """

    def once() -> bytes:
        response = client.get_snapshot_block(
            SnapshotId=snapshot_id, BlockIndex=index, BlockToken=token
        )
        body = response["BlockData"]
        try:
            data = body.read()
        finally:
            body.close()
        if verify:
            check_block(snapshot_id, index, data, response)
        return data

    return retrier.run(once)


def check_block(snapshot_id: str, index: int, data: bytes, response: Mapping[str, Any]) -> None:
    """Raise [ChecksumMismatch][awskit.ChecksumMismatch] unless ``data`` is one whole block
    whose SHA256 is the one GetSnapshotBlock's ``response`` sent with it."""
    expected = response.get("Checksum")
    if response.get("ChecksumAlgorithm", "SHA256") != "SHA256" or not expected:
        raise ChecksumMismatch(
            f"block {index} of {snapshot_id} came without a SHA256 checksum",
            code="ChecksumMismatch",
            operation="GetSnapshotBlock",
        )
    actual = base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")
    if actual != expected or len(data) != BLOCK_SIZE:
        raise ChecksumMismatch(
            f"block {index} of {snapshot_id}: {len(data)} bytes with SHA256 {actual}, "
            f"AWS says {expected}",
            code="ChecksumMismatch",
            operation="GetSnapshotBlock",
        )


def _is_block_device(path: Path) -> bool:
    """True for a block device; ``InvalidInput`` for anything else but a regular file.

    A character device, pipe or socket cannot hold a disk image, and renaming the
    temporary file over one (``/dev/null``!) would replace it with a regular file.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return False
    if stat.S_ISBLK(mode):
        return True
    if not stat.S_ISREG(mode):
        raise InvalidInput("dest", f"{path} is neither a regular file nor a block device")
    return False


def check_dest(dest: Path) -> bool:
    """Check a download destination before any request: ``True`` for a block device,
    ``False`` for a regular file (existing, or new in an existing directory);
    ``InvalidInput`` for anything else."""
    if _is_block_device(dest):
        return True
    if not dest.parent.is_dir():
        raise InvalidInput("dest", f"directory {dest.parent} does not exist")
    return False


def read_all(
    client: EBSClient,
    retrier: Retrier,
    snapshot_id: str,
    pages: Iterable[Sequence[Block]],
    target: Path,
    *,
    device: bool,
    size: int,
    concurrency: int,
    verify: bool,
    progress: Progress | None,
    limiter: Limiter | None = None,
) -> DownloadResult:
    """Fetch the blocks of ``pages`` into ``target`` (``size`` bytes long), atomically for
    a regular file; ``device`` is what `check_dest` said of it.

    ``pages`` is the listing, consumed lazily: blocks of the first page are fetched
    while the next pages are listed. A regular destination is written as a sparse
    temporary file beside it (zero blocks are left as holes) and renamed over
    ``target`` at the end; a block device is written in place.
    """
    fd, temp = open_target(target, size, device=device)
    plan = DownloadPlan(size, device=device)
    tracker = _Tracker(0, progress)
    written = 0
    lock = threading.Lock()

    def get(block: Block) -> Callable[[], None]:
        def work() -> None:
            nonlocal written
            data = fetch_block(
                client, retrier, snapshot_id, block.index, block.token, verify=verify
            )
            length = write_block(fd, block.index, data, size, device=device)
            with lock:
                written += length
            tracker.add(BLOCK_SIZE)

        return work

    def zero(index: int) -> Callable[[], None]:
        return lambda: write_zeros(fd, (index,), size)

    pool = _Pool(concurrency, limiter)
    try:
        for page in pages:
            blocks = plan.page(page)
            tracker.expect(len(blocks) * BLOCK_SIZE)
            for block in blocks:
                if not pool.submit(get(block)):
                    break
            if pool.error is not None:
                break
        for index in plan.zeros():
            if not pool.submit(zero(index)):
                break
        pool.finish()
        os.fsync(fd)
    except BaseException:
        pool.abort()
        abandon_target(fd, temp)
        raise
    finish_target(fd, temp, target)
    return DownloadResult(blocks=plan.wanted, bytes_written=written)


class DownloadPlan:
    """What a download of ``size`` bytes fetches and writes (no IO): the blocks of each
    page of the listing that lie inside the image, and on a block device the zeros of
    every block the snapshot does not hold.

    A device keeps whatever it held before: where the image has zeros (the blocks the
    snapshot does not hold), zeros are written; a regular file is sparse there already.
    """

    def __init__(self, size: int, *, device: bool) -> None:
        self.size = size
        self.device = device
        self.count = -(-size // BLOCK_SIZE)
        #: Blocks listed inside the image so far (the ``blocks`` of the result).
        self.wanted = 0
        self._listed: BlockSet | None = BlockSet() if device else None

    def page(self, page: Sequence[Block]) -> list[Block]:
        """The blocks of one page of the listing to fetch (those inside the image)."""
        blocks = [b for b in page if b.index < self.count]
        self.wanted += len(blocks)
        if self._listed is not None:
            for block in blocks:
                self._listed.add(block.index)
        return blocks

    def zeros(self) -> Iterator[int]:
        """Once every page is in: the blocks to write as zeros (none for a file)."""
        listed = self._listed
        if listed is None:
            return iter(())
        return (index for index in range(self.count) if index not in listed)


def open_target(target: Path, size: int, *, device: bool) -> tuple[int, str | None]:
    """Open a download's destination: a block device in place (``InvalidInput`` when it
    is smaller than ``size``), else a sparse temporary file of ``size`` bytes beside
    ``target``; returns the descriptor and the temporary file's name."""
    if device:
        fd = os.open(target, os.O_WRONLY)
        if os.lseek(fd, 0, os.SEEK_END) < size:
            os.close(fd)
            raise InvalidInput("dest", f"the block device is smaller than {size} bytes")
        return fd, None
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        os.ftruncate(fd, size)
    except BaseException:
        abandon_target(fd, temp)
        raise
    return fd, temp


def write_block(fd: int, index: int, data: bytes, size: int, *, device: bool) -> int:
    """Write block ``index`` (cut at ``size``) into a destination of ``open_target``;
    returns the bytes of the image it covers."""
    offset = index * BLOCK_SIZE
    part = data[: max(0, size - offset)]
    # A regular file is already zero there (sparse): leave the hole.
    if device or part != _ZERO[: len(part)]:
        _write(fd, memoryview(part), offset)
    return len(part)


def write_zeros(fd: int, indexes: Iterable[int], size: int) -> None:
    """Write zeros over blocks ``indexes`` (cut at ``size``) of a destination of
    ``open_target`` (a device: see [DownloadPlan][awskit.ebs.transfer.DownloadPlan])."""
    for index in indexes:
        offset = index * BLOCK_SIZE
        _write(fd, memoryview(_ZERO)[: min(BLOCK_SIZE, size - offset)], offset)


def finish_target(fd: int, temp: str | None, target: Path) -> None:
    """Close a complete download's destination and rename the temporary file over
    ``target``, with the permissions of the file it replaces."""
    os.close(fd)
    if temp is not None:
        os.chmod(temp, mode_for(target))
        os.replace(temp, target)


def abandon_target(fd: int, temp: str | None) -> None:
    """Close a failed download's destination and remove its temporary file."""
    os.close(fd)
    if temp is not None:
        os.unlink(temp)


def _write(fd: int, view: memoryview, offset: int) -> None:
    """``pwrite`` all of ``view`` at ``offset``, then start writing it back to the disk.

    ``POSIX_FADV_DONTNEED`` starts writeback of those pages without waiting for it and
    drops them from the page cache once clean: the final ``fsync`` then has little
    left to do, and a 100 GiB download does not push everything else out of memory.
    """
    length = len(view)
    while view:
        view = view[os.pwrite(fd, view, offset + length - len(view)) :]
    if _FADVISE is not None:
        with contextlib.suppress(OSError):  # advice only: never worth failing a download
            _FADVISE(fd, offset, length, os.POSIX_FADV_DONTNEED)
