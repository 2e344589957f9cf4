"""EBS direct APIs on asyncio: [awskit.ebs][awskit.ebs]'s upload and download, awaited.

Every decision is the blocking API's: the checks of the source, volume and request
(``open_source``, ``image_volume_size``, ``EBS._start_request``), the block plan and what to
put (``image_plan``, ``to_write``), each block's request and SHA256 and the LINEAR checksum
(the [SnapshotWriter][awskit.ebs.SnapshotWriter] as a pure core), the check of a block read
back (``check_block``), the destination file (``open_target`` ... ``finish_target``) and the
retry rule of a transfer (``Retrier.failed``). Only the requests are awaited; reading the
image, hashing and writing the file run in threads (``asyncio.to_thread``), and at most
``concurrency`` blocks are in flight (and in memory) at once.

```python
async with awskit.aio.connect() as aws:
    snap = await aws.ebs.upload("disk.img")
    await aws.ebs.download(snap.snapshot_id, "copy.img")
```
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast

from .._errors import InvalidInput, logger, translate_any
from .._paging import AsyncPaged, token_pages_async
from ..ebs import (
    EBS as _EBS,
)
from ..ebs import (
    MAX_PAGE,
    _check_snapshot_id,
    _concurrency,
    image_plan,
    image_volume_size,
    open_source,
)
from ..ebs.blocks import BLOCK_SIZE, GIB, BlockSet, PlannedBlock, block_count, to_write
from ..ebs.flow import Retrier
from ..ebs.models import Block, DownloadResult, Snapshot
from ..ebs.transfer import (
    Progress,
    _Tracker,
    abandon_target,
    block_progress,
    check_block,
    check_dest,
    finish_target,
    open_target,
    write_block,
)
from ..ebs.writer import SnapshotWriter, snapshot_errors

if TYPE_CHECKING:
    from types_aiobotocore_ebs import EBSClient

    from ._session import Session

__all__ = ["EBS"]

R = TypeVar("R")
log = logger("awskit.ebs")
_Source = str | os.PathLike[str] | IO[bytes]


class _Tasks:
    """At most ``limit`` tasks at once; the first failure stops new ones (``_Pool`` on
    asyncio)."""

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._tasks: set[asyncio.Task[None]] = set()
        self.error: BaseException | None = None

    async def slot(self) -> bool:
        """Wait for a free slot; ``False`` (and no slot held) once something failed."""
        await self._slots.acquire()
        if self.error is not None:
            self._slots.release()
            return False
        return True

    def release(self) -> None:
        """Give back a slot taken by ``slot`` without starting a task."""
        self._slots.release()

    def start(self, work: Awaitable[None]) -> None:
        """Run ``work`` in a task holding the slot ``slot`` took."""

        async def run() -> None:
            try:
                await work
            except Exception as exc:
                if self.error is None:
                    self.error = exc
            finally:
                self._slots.release()

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def finish(self) -> None:
        """Wait for every task; raise the first failure."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))
        if self.error is not None:
            raise self.error

    async def abort(self) -> None:
        """Cancel every task still running and wait for them to end."""
        for task in self._tasks:
            task.cancel()
        while self._tasks:
            await asyncio.wait(set(self._tasks))


class EBS:
    """EBS direct APIs on asyncio: ``aws.ebs`` of an [awskit.aio.Session][awskit.aio.Session].

    [upload][awskit.aio.ebs.EBS.upload] and [download][awskit.aio.ebs.EBS.download] as
    [awskit.ebs.EBS][awskit.ebs.EBS]'s, returning the same
    [Snapshot][awskit.ebs.Snapshot] and [DownloadResult][awskit.ebs.DownloadResult].
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    async def client(self) -> EBSClient:
        """The shared, typed aiobotocore client (escape hatch)."""
        return await self._session.client("ebs")

    def _retrier(self, started: float | None = None) -> Retrier:
        # No adaptive limiter on asyncio: the in-flight bound is the caller's concurrency.
        return Retrier(self._session.retry, started_at=started)

    async def _run(self, retrier: Retrier, call: Callable[[], Awaitable[R]], operation: str) -> R:
        try:
            return await retrier.run_async(call, self._session.sleep or asyncio.sleep)
        except Exception as exc:
            # Named here: a transport error does not know its operation, and many
            # operations are awaited at once on this thread.
            translated = translate_any(exc, operation)
            if translated is exc:
                raise
            raise translated from exc

    async def upload(
        self,
        source: _Source,
        volume_size: int | None = None,
        parent_snapshot_id: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        encrypted: bool = False,
        kms_key_arn: str | None = None,
        timeout_minutes: int | None = None,
        concurrency: int = 16,
        skip_zero_blocks: bool = True,
        progress: Progress | None = None,
    ) -> Snapshot:
        """Upload an image (path, block device or binary stream) as a new snapshot.

        As [EBS.upload][awskit.ebs.EBS.upload]: the same checks before any request, zero
        blocks skipped (holes of a sparse file not even read), ``parent_snapshot_id`` for
        an incremental snapshot, completed with the block count and LINEAR checksum.
        Blocks are read and hashed in threads, and at most ``concurrency`` are in flight
        (and in memory). ``progress(done_bytes, total_bytes)`` is called on the loop.

        Raises:
            InvalidInput: a wrong argument or source (nothing is sent).
            AwskitError: once the snapshot exists, carrying its id (``error.snapshot_id``);
                a failed upload leaves the snapshot pending until AWS cancels it.

        ```python
        snap = await aws.ebs.upload("disk.img", tags={"team": "infra"})
        ```
        """
        workers = _concurrency(concurrency, self._session.max_concurrency)
        fd, stream, regular, size = await asyncio.to_thread(open_source, source)
        try:
            given_size = volume_size
            volume_size = image_volume_size(volume_size, size)
            request = _EBS._start_request(
                volume_size,
                parent_snapshot_id,
                description,
                tags,
                encrypted,
                kms_key_arn,
                timeout_minutes,
                None,
            )
            parent_blocks: BlockSet | None = None
            if parent_snapshot_id is not None:
                parent_size, parent_blocks = await self._parent_blocks(parent_snapshot_id)
                if given_size is None and parent_size > volume_size:
                    volume_size = request["VolumeSize"] = parent_size
            total, plan = image_plan(fd, stream, regular, size, volume_size)
            writer = await self._start(request)
            try:
                with snapshot_errors(writer.snapshot_id):
                    pairs = to_write(
                        plan,
                        skip_zero_blocks=skip_zero_blocks,
                        parent_blocks=parent_blocks,
                        volume_blocks=block_count(volume_size),
                    )
                    await self._write_all(writer, pairs, workers, total, progress)
                    return await self._complete(writer)
            except BaseException:
                log.error(
                    "upload to snapshot %s failed after %d blocks; it stays pending until "
                    "AWS cancels it at its timeout",
                    writer.snapshot_id,
                    writer.blocks_written,
                )
                raise
        finally:
            if fd is not None:
                await asyncio.to_thread(os.close, fd)

    async def _start(self, request: dict[str, Any]) -> SnapshotWriter:
        client = await self.client()
        # No "fresh snapshot" grace here: a ResourceNotFoundException from StartSnapshot
        # (a missing parent or key) is final.
        with snapshot_errors(None):
            response = await self._run(
                self._retrier(), lambda: client.start_snapshot(**request), "StartSnapshot"
            )
        log.info("started snapshot %s (%d GiB)", response["SnapshotId"], request["VolumeSize"])
        # The writer is a pure core here: its client is never used.
        return SnapshotWriter(
            cast(Any, None),
            response,
            self._retrier(time.monotonic()),
            volume_size=int(request["VolumeSize"]),
            parent_snapshot_id=request.get("ParentSnapshotId"),
            description=request.get("Description"),
        )

    async def _write_all(
        self,
        writer: SnapshotWriter,
        pairs: Iterable[tuple[PlannedBlock, bytes | None]],
        workers: int,
        total: int,
        progress: Progress | None,
    ) -> None:
        client = await self.client()
        retrier = writer._retrier
        tracker = _Tracker(total, progress)
        tasks = _Tasks(workers)
        blocks = iter(pairs)

        async def put(block: PlannedBlock, data: bytes) -> None:
            percent = block_progress(block.index, block.length, total)
            request, digest = await asyncio.to_thread(
                writer.block_request, block.index, data, percent
            )
            await self._run(
                retrier, lambda: client.put_snapshot_block(**request), "PutSnapshotBlock"
            )
            writer.record(block.index, digest)
            tracker.add(block.length)

        try:
            while await tasks.slot():
                # The slot is taken before the block is read: at most ``workers`` blocks
                # are in memory, whatever the image's size.
                pair = await asyncio.to_thread(next, blocks, None)
                if pair is None:
                    tasks.release()
                    break
                block, data = pair
                if data is None:
                    tasks.release()
                    tracker.add(block.length)
                    continue
                tasks.start(put(block, data))
            await tasks.finish()
        except BaseException:
            await tasks.abort()
            raise

    async def _complete(self, writer: SnapshotWriter) -> Snapshot:
        if writer.status != "pending":
            return writer.complete()  # sends nothing: the snapshot was already complete
        client = await self.client()
        request = writer.complete_request()
        response = await self._run(
            writer._retrier, lambda: client.complete_snapshot(**request), "CompleteSnapshot"
        )
        return writer.completed(request, cast(Mapping[str, Any], response))

    async def _parent_blocks(self, snapshot_id: str) -> tuple[int, BlockSet]:
        """The parent's volume size (GiB) and every block index it holds."""
        held = BlockSet()
        with snapshot_errors(None):
            volume_size, pages = await self._block_pages(snapshot_id, self._retrier())
            async for page in pages:
                for block in page:
                    held.add(block.index)
        return volume_size, held

    async def _block_pages(
        self, snapshot_id: str, retrier: Retrier
    ) -> tuple[int, AsyncIterator[list[Block]]]:
        """The volume size (GiB) and the pages of ListSnapshotBlocks (the first fetched
        now: it carries ``VolumeSize``), as the blocking ``EBS._block_pages``."""
        client = await self.client()
        volume_size = 0

        async def call(**kwargs: Any) -> Any:
            nonlocal volume_size
            response = await self._run(
                retrier, lambda: client.list_snapshot_blocks(**kwargs), "ListSnapshotBlocks"
            )
            volume_size = int(response.get("VolumeSize") or volume_size)
            return response

        fetch = token_pages_async(call, "Blocks", SnapshotId=snapshot_id, MaxResults=MAX_PAGE)
        pages = AsyncPaged(fetch).pages()
        first = await anext(pages)  # a listing has at least one page, even if empty

        async def blocks() -> AsyncIterator[list[Block]]:
            page = first
            while True:
                yield [Block(int(b["BlockIndex"]), str(b["BlockToken"])) for b in page.items]
                try:
                    page = await anext(pages)
                except StopAsyncIteration:
                    return

        return volume_size, blocks()

    async def download(
        self,
        snapshot_id: str,
        dest: str | os.PathLike[str],
        concurrency: int = 16,
        verify: bool = True,
        progress: Progress | None = None,
        *,
        size: int | None = None,
    ) -> DownloadResult:
        """Download a completed snapshot into the file ``dest``.

        As [EBS.download][awskit.ebs.EBS.download]: every block listed and fetched from
        the first page on, at most ``concurrency`` in flight (and in memory), each checked
        against its SHA256 (``verify``; a corrupt block is fetched again,
        [ChecksumMismatch][awskit.ChecksumMismatch] when it keeps failing) and written
        into a sparse temporary file beside ``dest`` that replaces it at the end (keeping
        the permissions of the file it replaces); a failed download leaves ``dest`` as it
        was. Hashing and writing run in threads. A block device ``dest`` is not written on
        asyncio yet (use the blocking API).

        ```python
        result = await aws.ebs.download("snap-0123456789abcdef0", "disk.img")
        ```
        """
        _check_snapshot_id("snapshot_id", snapshot_id)
        workers = _concurrency(concurrency, self._session.max_concurrency)
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            raise InvalidInput("size", "must be a non-negative int (bytes)")
        target = Path(dest)
        if await asyncio.to_thread(check_dest, target):
            raise InvalidInput(
                "dest", "a block device is written by the blocking API only (awskit.ebs)"
            )
        client = await self.client()
        retrier = self._retrier()
        with snapshot_errors(snapshot_id):
            volume_size, pages = await self._block_pages(snapshot_id, retrier)
            length = volume_size * GIB if size is None else size
            fd, temp = await asyncio.to_thread(open_target, target, length, device=False)
            count = -(-length // BLOCK_SIZE)
            tracker = _Tracker(0, progress)
            tasks = _Tasks(workers)
            wanted = written = 0

            async def get(block: Block) -> None:
                nonlocal written

                async def once() -> bytes:
                    response = await client.get_snapshot_block(
                        SnapshotId=snapshot_id, BlockIndex=block.index, BlockToken=block.token
                    )
                    async with response["BlockData"] as body:
                        data: bytes = await body.read()
                    if verify:
                        await asyncio.to_thread(
                            check_block, snapshot_id, block.index, data, response
                        )
                    return data

                data = await self._run(retrier, once, "GetSnapshotBlock")
                part = await asyncio.to_thread(
                    write_block, fd, block.index, data, length, device=False
                )
                # Not ``written += await ...``: that reads ``written`` before the await
                # and loses the other tasks' additions.
                written += part
                tracker.add(BLOCK_SIZE)

            try:
                async for page in pages:
                    blocks = [b for b in page if b.index < count]
                    wanted += len(blocks)
                    tracker.expect(len(blocks) * BLOCK_SIZE)
                    for block in blocks:
                        if not await tasks.slot():
                            break
                        tasks.start(get(block))
                    if tasks.error is not None:
                        break
                await tasks.finish()
                await asyncio.to_thread(os.fsync, fd)
            except BaseException:
                await tasks.abort()
                await asyncio.shield(asyncio.to_thread(abandon_target, fd, temp))
                raise
            await asyncio.to_thread(finish_target, fd, temp, target)
        return DownloadResult(blocks=wanted, bytes_written=written)
