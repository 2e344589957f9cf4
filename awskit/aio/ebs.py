"""EBS direct APIs on asyncio: [awskit.ebs][awskit.ebs]'s calls, awaited.

Every decision is the blocking API's: the checks of the source, volume and request
(``open_source``, ``image_volume_size``, ``EBS._start_request``), what StartSnapshot's
answer means for a reused client token (``start_status``, ``started_writer``), the block
plan and what to put (``image_plan``, ``to_write``), each block's request and SHA256 and
the LINEAR checksum (the blocking [SnapshotWriter][awskit.ebs.SnapshotWriter] as a pure
core), the check of a block read back (``check_block``), what a download writes
(``DownloadPlan``: the blocks inside the image, zeros on a block device), the destination
(``open_target`` ... ``finish_target``), how many requests are in flight (the shared AIMD
controller through ``Transfers`` and ``Limiter``, and ``room`` for the blocks in memory),
the retry rule of a transfer (``Retrier.failed``) and the polling of ``wait``
(``Waiting``). Only the requests are awaited; reading the image, hashing and writing the
file run in threads (``asyncio.to_thread``).

```python
async with awskit.aio.connect() as aws:
    snap = await aws.ebs.upload("disk.img", wait=True)
    await aws.ebs.download(snap.snapshot_id, "copy.img")
```
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast

from .._errors import logger, translate_any, translates_errors
from .._paging import AsyncPaged, token_pages_async
from ..ebs import (
    EBS as _EBS,
)
from ..ebs import (
    MAX_PAGE,
    Waiting,
    _blocks_of,
    _changed_block,
    _changed_request,
    _check_block_ref,
    _check_page_size,
    _check_size,
    _check_snapshot_id,
    _concurrency,
    image_plan,
    image_volume_size,
    open_source,
)
from ..ebs.blocks import BLOCK_SIZE, GIB, BlockSet, PlannedBlock, block_count, to_write
from ..ebs.flow import DEFAULT_CONCURRENCY, Limiter, Retrier, Transfers
from ..ebs.models import Block, ChangedBlock, DownloadResult, Snapshot
from ..ebs.transfer import (
    DownloadPlan,
    Progress,
    _Tracker,
    abandon_target,
    block_progress,
    check_block,
    check_dest,
    finish_target,
    open_target,
    room,
    write_block,
    write_zeros,
)
from ..ebs.writer import SnapshotWriter as _Writer
from ..ebs.writer import ec2_state, snapshot_errors, start_status, started_writer

if TYPE_CHECKING:
    from types_aiobotocore_ebs import EBSClient

    from ._session import Session

__all__ = ["EBS", "SnapshotWriter"]

R = TypeVar("R")
log = logger("awskit.ebs")
_Source = str | os.PathLike[str] | IO[bytes]
#: Blocks of a device zeroed per thread hop.
_ZEROS_PER_CALL = 64


async def _off_loop(func: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """``func`` in a thread; a cancelled caller still waits for it to return before the
    cancellation goes on, since it uses a descriptor the caller closes next."""
    future = asyncio.ensure_future(asyncio.to_thread(func, *args, **kwargs))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])
        if not future.cancelled():
            future.exception()  # retrieved: the cancellation is what goes on
        raise


class _Tasks:
    """Tasks holding at most ``room(workers, limiter)`` blocks at once (the blocking
    ``_Pool``'s rule); the first failure stops new ones."""

    def __init__(self, workers: int, limiter: Limiter | None) -> None:
        self._workers = workers
        self._limiter = limiter
        self._held = 0
        self._freed = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.error: BaseException | None = None

    async def slot(self) -> bool:
        """Wait for room; ``False`` (and no room held) once something failed."""
        # Re-checked whenever a task ends: the limiter's limit moves only as requests
        # end, and a request ends before its task does.
        while self.error is None and self._held >= room(self._workers, self._limiter):
            self._freed.clear()
            await self._freed.wait()
        if self.error is not None:
            return False
        self._held += 1
        return True

    def release(self) -> None:
        """Give back the room ``slot`` took."""
        self._held -= 1
        self._freed.set()

    def start(self, work: Awaitable[None]) -> None:
        """Run ``work`` in a task holding the room ``slot`` took."""

        async def run() -> None:
            try:
                await work
            except Exception as exc:
                if self.error is None:
                    self.error = exc
            finally:
                self.release()

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


class SnapshotWriter:
    """A started snapshot on asyncio: [put_block][awskit.aio.ebs.SnapshotWriter.put_block]
    any blocks, then [complete][awskit.aio.ebs.SnapshotWriter.complete].

    [awskit.ebs.SnapshotWriter][awskit.ebs.SnapshotWriter], awaited: the same checks,
    requests, checksums and results. ``async with`` completes on a clean exit (and leaves
    the snapshot pending, to time out, when the block raised). Blocks are hashed in a
    thread; many tasks may put blocks at once.

    ```python
    async with await aws.ebs.start_snapshot(volume_size=1, parent_snapshot_id=base) as writer:
        await writer.put_block(3, changed_block)
    print(writer.snapshot.snapshot_id)
    ```
    """

    def __init__(self, ebs: EBS, core: _Writer) -> None:
        self._ebs = ebs
        self._core = core

    def __repr__(self) -> str:
        return repr(self._core)

    @property
    def snapshot_id(self) -> str:
        """The snapshot's id."""
        return self._core.snapshot_id

    @property
    def volume_size(self) -> int:
        """The volume size in GiB."""
        return self._core.volume_size

    @property
    def parent_snapshot_id(self) -> str | None:
        """The parent of an incremental snapshot."""
        return self._core.parent_snapshot_id

    @property
    def description(self) -> str | None:
        """The description StartSnapshot was given."""
        return self._core.description

    @property
    def status(self) -> str:
        """What AWS said last (``completed`` for a reused client token of a finished one)."""
        return self._core.status

    @property
    def blocks_written(self) -> int:
        """Distinct block indexes put so far."""
        return self._core.blocks_written

    @property
    def snapshot(self) -> Snapshot:
        """The completed snapshot (``AwskitError`` before
        [complete][awskit.aio.ebs.SnapshotWriter.complete])."""
        return self._core.snapshot

    def checksum(self) -> str | None:
        """The LINEAR aggregate of the blocks put so far (``None`` when there are none)."""
        return self._core.checksum()

    async def put_block(self, index: int, data: bytes, *, progress: int | None = None) -> str:
        """Write one 524288-byte block at ``index``; returns its base64 SHA256 checksum.

        As [awskit.ebs.SnapshotWriter.put_block][awskit.ebs.SnapshotWriter.put_block]:
        ``InvalidInput`` before any request for data that is not exactly one block or an
        index outside the volume; code ``SnapshotNotPending`` for a snapshot a reused
        client token found finished.
        """
        core = self._core
        request, digest = await asyncio.to_thread(core.block_request, index, data, progress)
        client = await self._ebs.client()
        with snapshot_errors(core.snapshot_id):
            await self._ebs._run(
                core._retrier, lambda: client.put_snapshot_block(**request), "PutSnapshotBlock"
            )
        return core.record(index, digest)

    async def complete(self) -> Snapshot:
        """CompleteSnapshot with ``ChangedBlocksCount`` and the LINEAR checksum.

        As [awskit.ebs.SnapshotWriter.complete][awskit.ebs.SnapshotWriter.complete]; a
        writer already completed, or whose snapshot a reused client token found finished,
        returns its snapshot without a request.
        """
        core = self._core
        if core._completed is not None:
            return core._completed
        request = await asyncio.to_thread(core.complete_request)
        client = await self._ebs.client()
        with snapshot_errors(core.snapshot_id):
            response = await self._ebs._run(
                core._retrier, lambda: client.complete_snapshot(**request), "CompleteSnapshot"
            )
        return core.completed(request, cast(Mapping[str, Any], response))

    async def __aenter__(self) -> SnapshotWriter:
        return self

    async def __aexit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            await self.complete()
        else:
            log.warning(
                "snapshot %s left pending after an error: AWS cancels it at its timeout",
                self.snapshot_id,
            )


class EBS:
    """EBS direct APIs on asyncio: ``aws.ebs`` of an [awskit.aio.Session][awskit.aio.Session].

    Every call of [awskit.ebs.EBS][awskit.ebs.EBS], awaited (``blocks`` and
    ``changed_blocks`` are async iterators), with the same arguments, checks, results
    ([Snapshot][awskit.ebs.Snapshot], [DownloadResult][awskit.ebs.DownloadResult],
    [Block][awskit.ebs.Block], [ChangedBlock][awskit.ebs.ChangedBlock]) and errors.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._transfers = Transfers()

    async def client(self) -> EBSClient:
        """The shared, typed aiobotocore client (escape hatch)."""
        return await self._session.client("ebs")

    def _retrier(self, limiter: Limiter | None = None, started: float | None = None) -> Retrier:
        return Retrier(self._session.retry, limiter=limiter, started_at=started)

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

    async def _flow(self, concurrency: int) -> tuple[int, Limiter]:
        """Workers and the limiter of one transfer: adaptive at the default, else pinned."""
        workers = _concurrency(concurrency, self._session.max_concurrency)
        client = await self.client()
        config: Any = client.meta.config
        return self._transfers.start(client.meta.events, workers, config.max_pool_connections)

    # --- writing ------------------------------------------------------------------

    async def start_snapshot(
        self,
        volume_size: int = 1,
        parent_snapshot_id: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        encrypted: bool = False,
        kms_key_arn: str | None = None,
        timeout_minutes: int | None = None,
        *,
        client_token: str | None = None,
    ) -> SnapshotWriter:
        """StartSnapshot, returning a [SnapshotWriter][awskit.aio.ebs.SnapshotWriter].

        As [awskit.ebs.EBS.start_snapshot][awskit.ebs.EBS.start_snapshot]: the same
        checks before any request, and a reused ``client_token`` may return a snapshot
        already completed (the writer's ``status`` says so, and it takes no blocks).

        ```python
        writer = await aws.ebs.start_snapshot(volume_size=8)
        await writer.put_block(0, boot_sector.ljust(BLOCK_SIZE, b"\\0"))
        snap = await writer.complete()
        ```
        """
        request = _EBS._start_request(
            volume_size,
            parent_snapshot_id,
            description,
            tags,
            encrypted,
            kms_key_arn,
            timeout_minutes,
            client_token,
        )
        return await self._start(request, None, rerun=client_token is not None)

    async def _start(
        self, request: dict[str, Any], limiter: Limiter | None, *, rerun: bool
    ) -> SnapshotWriter:
        client = await self.client()
        # No "fresh snapshot" grace here: a ResourceNotFoundException from StartSnapshot
        # (a missing parent or key) is final.
        with snapshot_errors(None):
            response = await self._run(
                self._retrier(), lambda: client.start_snapshot(**request), "StartSnapshot"
            )
        retrier = self._retrier(limiter, time.monotonic())
        status, ask_ec2 = start_status(response, rerun=rerun)
        if ask_ec2:
            status = await self._ec2_state(response["SnapshotId"]) or status
        # The blocking writer is a pure core here: its client is never used.
        core = started_writer(
            cast(Any, None), request, cast(Mapping[str, Any], response), status, retrier
        )
        return SnapshotWriter(self, core)

    async def _ec2_state(self, snapshot_id: str) -> str | None:
        """EC2's state of a snapshot, ``None`` when EC2 cannot say (only a hint, as in
        the blocking API)."""
        try:
            ec2 = await self._session.client("ec2")
            response = await ec2.describe_snapshots(SnapshotIds=[snapshot_id])
        except Exception as exc:
            if translate_any(exc) is exc:
                raise
            log.debug("DescribeSnapshots %s: %s", snapshot_id, exc)
            return None
        return ec2_state(cast(Mapping[str, Any], response))

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
        concurrency: int = DEFAULT_CONCURRENCY,
        skip_zero_blocks: bool = True,
        progress: Progress | None = None,
        wait: bool = False,
        *,
        client_token: str | None = None,
    ) -> Snapshot:
        """Upload an image (path, block device or binary stream) as a new snapshot.

        As [EBS.upload][awskit.ebs.EBS.upload]: the same checks before any request, zero
        blocks skipped (holes of a sparse file not even read), ``parent_snapshot_id`` for
        an incremental snapshot, completed with the block count and LINEAR checksum,
        ``wait=True`` to wait for EC2 to report it ``completed``, and a rerun with the
        same ``client_token`` returning the snapshot an earlier run completed (without
        a block sent) or resuming a pending one. At the default ``concurrency=16`` the
        number of requests in flight adapts (the blocking API's controller); any other
        value pins it. Blocks are read and hashed in threads, at most twice as many in
        memory as requests allowed in flight. ``progress(done_bytes, total_bytes)`` is
        called on the loop.

        Raises:
            InvalidInput: a wrong argument or source (nothing is sent).
            AwskitError: once the snapshot exists, carrying its id (``error.snapshot_id``);
                a failed upload leaves the snapshot pending until AWS cancels it. Code
                ``SnapshotError`` when a reused client token names a snapshot in error.

        ```python
        snap = await aws.ebs.upload("disk.img", tags={"team": "infra"}, wait=True)
        ```
        """
        _concurrency(concurrency, self._session.max_concurrency)
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
                client_token,
            )
            parent_blocks: BlockSet | None = None
            if parent_snapshot_id is not None:
                parent_size, parent_blocks = await self._parent_blocks(parent_snapshot_id)
                if given_size is None and parent_size > volume_size:
                    volume_size = request["VolumeSize"] = parent_size
            total, plan = image_plan(fd, stream, regular, size, volume_size)
            workers, limiter = await self._flow(concurrency)
            try:
                writer = await self._start(request, limiter, rerun=client_token is not None)
            except BaseException:
                self._transfers.release(limiter)
                raise
            if writer.status != "pending":
                # A rerun with the client token of an upload that already completed:
                # StartSnapshot hands back that snapshot, which takes no more blocks.
                self._transfers.release(limiter)
                snapshot = await writer.complete()
                return await self._waited(snapshot) if wait else snapshot
            try:
                with snapshot_errors(writer.snapshot_id):
                    pairs = to_write(
                        plan,
                        skip_zero_blocks=skip_zero_blocks,
                        parent_blocks=parent_blocks,
                        volume_blocks=block_count(volume_size),
                    )
                    await self._write_all(writer, pairs, workers, limiter, total, progress)
                    snapshot = await writer.complete()
            except BaseException:
                log.error(
                    "upload to snapshot %s failed after %d blocks; it stays pending until "
                    "AWS cancels it at its timeout",
                    writer.snapshot_id,
                    writer.blocks_written,
                )
                raise
            finally:
                self._transfers.release(limiter)
        finally:
            if fd is not None:
                await asyncio.to_thread(os.close, fd)
        return await self._waited(snapshot) if wait else snapshot

    async def _waited(self, snapshot: Snapshot) -> Snapshot:
        with snapshot_errors(snapshot.snapshot_id):
            await self.wait(snapshot.snapshot_id)
        return dataclasses.replace(snapshot, status="completed")

    async def _write_all(
        self,
        writer: SnapshotWriter,
        pairs: Iterable[tuple[PlannedBlock, bytes | None]],
        workers: int,
        limiter: Limiter,
        total: int,
        progress: Progress | None,
    ) -> None:
        tracker = _Tracker(total, progress)
        tasks = _Tasks(workers, limiter)
        blocks = iter(pairs)

        async def put(block: PlannedBlock, data: bytes) -> None:
            percent = block_progress(block.index, block.length, total)
            await writer.put_block(block.index, data, progress=percent)
            tracker.add(block.length)

        try:
            while await tasks.slot():
                # Room is taken before the block is read: the blocks in memory stay
                # bounded, whatever the image's size. A cancelled upload still lets the
                # read end before the image's descriptor is closed.
                pair = await _off_loop(next, blocks, None)
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

    async def _parent_blocks(self, snapshot_id: str) -> tuple[int, BlockSet]:
        """The parent's volume size (GiB) and every block index it holds."""
        held = BlockSet()
        with snapshot_errors(None):
            volume_size, pages = await self._block_pages(snapshot_id, self._retrier())
            async for page in pages:
                for block in page:
                    held.add(block.index)
        return volume_size, held

    # --- reading ------------------------------------------------------------------

    async def _block_pages(
        self, snapshot_id: str, retrier: Retrier, page_size: int = MAX_PAGE
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

        fetch = token_pages_async(call, "Blocks", SnapshotId=snapshot_id, MaxResults=page_size)
        pages = AsyncPaged(fetch).pages()
        first = await anext(pages)  # a listing has at least one page, even if empty

        async def blocks() -> AsyncIterator[list[Block]]:
            page = first
            while True:
                yield _blocks_of(page.items)
                try:
                    page = await anext(pages)
                except StopAsyncIteration:
                    return

        return volume_size, blocks()

    def blocks(self, snapshot_id: str, *, page_size: int = MAX_PAGE) -> AsyncIterator[Block]:
        """Every block of a completed snapshot (ListSnapshotBlocks over every page).

        As [awskit.ebs.EBS.blocks][awskit.ebs.EBS.blocks]; the arguments are checked
        when it is called, before any request.

        ```python
        async for block in aws.ebs.blocks("snap-0123456789abcdef0"):
            data = await aws.ebs.read_block("snap-0123456789abcdef0", block.index, block.token)
        ```
        """
        _check_snapshot_id("snapshot_id", snapshot_id)
        _check_page_size(page_size)
        return self._blocks(snapshot_id, page_size)

    @translates_errors
    async def _blocks(self, snapshot_id: str, page_size: int) -> AsyncIterator[Block]:
        _, pages = await self._block_pages(snapshot_id, self._retrier(), page_size)
        async for page in pages:
            for block in page:
                yield block

    def changed_blocks(
        self, first_snapshot_id: str, second_snapshot_id: str, *, page_size: int = MAX_PAGE
    ) -> AsyncIterator[ChangedBlock]:
        """Blocks that differ between two snapshots of one lineage (ListChangedBlocks).

        As [awskit.ebs.EBS.changed_blocks][awskit.ebs.EBS.changed_blocks]: every page is
        read, empty ones included; the arguments are checked when it is called.

        ```python
        changed = [c.index async for c in aws.ebs.changed_blocks(parent_id, child_id)]
        ```
        """
        request = _changed_request(first_snapshot_id, second_snapshot_id, page_size)
        return self._changed_blocks(request)

    @translates_errors
    async def _changed_blocks(self, request: dict[str, Any]) -> AsyncIterator[ChangedBlock]:
        client = await self.client()
        retrier = self._retrier()

        async def call(**kwargs: Any) -> Any:
            return await self._run(
                retrier, lambda: client.list_changed_blocks(**kwargs), "ListChangedBlocks"
            )

        async for item in AsyncPaged(token_pages_async(call, "ChangedBlocks", **request)):
            yield _changed_block(item)

    async def _fetch(
        self,
        client: EBSClient,
        retrier: Retrier,
        snapshot_id: str,
        index: int,
        token: str,
        *,
        verify: bool = True,
    ) -> bytes:
        """GetSnapshotBlock, its bytes checked (in a thread) against their SHA256, fetched
        again while they disagree (the blocking ``fetch_block``)."""

        async def once() -> bytes:
            response = await client.get_snapshot_block(
                SnapshotId=snapshot_id, BlockIndex=index, BlockToken=token
            )
            async with response["BlockData"] as body:
                data: bytes = await body.read()
            if verify:
                await asyncio.to_thread(check_block, snapshot_id, index, data, response)
            return data

        return await self._run(retrier, once, "GetSnapshotBlock")

    async def read_block(self, snapshot_id: str, index: int, token: str) -> bytes:
        """One block's 524288 bytes, verified against the SHA256 AWS sends with them.

        As [awskit.ebs.EBS.read_block][awskit.ebs.EBS.read_block]: a block whose bytes
        disagree is fetched again; [ChecksumMismatch][awskit.ChecksumMismatch] if it
        keeps disagreeing.
        """
        _check_block_ref(snapshot_id, index, token)
        client = await self.client()
        with snapshot_errors(snapshot_id):
            return await self._fetch(client, self._retrier(), snapshot_id, index, token)

    async def download(
        self,
        snapshot_id: str,
        dest: str | os.PathLike[str],
        concurrency: int = DEFAULT_CONCURRENCY,
        verify: bool = True,
        progress: Progress | None = None,
        *,
        size: int | None = None,
    ) -> DownloadResult:
        """Download a completed snapshot into ``dest`` (a file path or a block device).

        As [EBS.download][awskit.ebs.EBS.download]: every block listed and fetched from
        the first page on, as many in flight as the shared controller finds best at the
        default ``concurrency=16`` (pinned at any other value), each checked against its
        SHA256 (``verify``; a corrupt block is fetched again,
        [ChecksumMismatch][awskit.ChecksumMismatch] when it keeps failing). A file is
        written into a sparse temporary file beside ``dest`` that replaces it at the end
        (keeping the permissions of the file it replaces); a failed download leaves
        ``dest`` as it was. A block device is written in place, in full: blocks the
        snapshot does not hold are written as zeros; one smaller than the image is
        ``InvalidInput`` (``dest``). Hashing and writing run in threads.

        ```python
        result = await aws.ebs.download("snap-0123456789abcdef0", "disk.img")
        ```
        """
        _check_snapshot_id("snapshot_id", snapshot_id)
        _concurrency(concurrency, self._session.max_concurrency)
        _check_size(size)
        target = Path(dest)
        device = await asyncio.to_thread(check_dest, target)
        workers, limiter = await self._flow(concurrency)
        try:
            with snapshot_errors(snapshot_id):
                # The listing's latency is not a block's: it must not teach the limiter.
                volume_size, pages = await self._block_pages(snapshot_id, self._retrier())
                length = volume_size * GIB if size is None else size
                return await self._read_all(
                    snapshot_id,
                    pages,
                    target,
                    device=device,
                    size=length,
                    workers=workers,
                    limiter=limiter,
                    verify=verify,
                    progress=progress,
                )
        finally:
            self._transfers.release(limiter)

    async def _read_all(
        self,
        snapshot_id: str,
        pages: AsyncIterator[list[Block]],
        target: Path,
        *,
        device: bool,
        size: int,
        workers: int,
        limiter: Limiter,
        verify: bool,
        progress: Progress | None,
    ) -> DownloadResult:
        """The blocking ``read_all`` on asyncio: the same ``DownloadPlan``."""
        client = await self.client()
        retrier = self._retrier(limiter)
        fd, temp = await asyncio.to_thread(open_target, target, size, device=device)
        plan = DownloadPlan(size, device=device)
        tracker = _Tracker(0, progress)
        tasks = _Tasks(workers, limiter)
        written = 0

        async def get(block: Block) -> None:
            nonlocal written
            data = await self._fetch(
                client, retrier, snapshot_id, block.index, block.token, verify=verify
            )
            part = await _off_loop(write_block, fd, block.index, data, size, device=device)
            # Not ``written += await ...``: that reads ``written`` before the await and
            # loses the other tasks' additions.
            written += part
            tracker.add(BLOCK_SIZE)

        async def zero(indexes: list[int]) -> None:
            await _off_loop(write_zeros, fd, indexes, size)

        def zero_batches(zeros: Iterator[int]) -> list[int]:
            return list(itertools.islice(zeros, _ZEROS_PER_CALL))

        try:
            async for page in pages:
                blocks = plan.page(page)
                tracker.expect(len(blocks) * BLOCK_SIZE)
                for block in blocks:
                    if not await tasks.slot():
                        break
                    tasks.start(get(block))
                if tasks.error is not None:
                    break
            zeros = plan.zeros()
            while tasks.error is None:
                # Found in a thread: a large device is a long scan of its block bitmap.
                indexes = await asyncio.to_thread(zero_batches, zeros)
                if not indexes or not await tasks.slot():
                    break
                tasks.start(zero(indexes))
            await tasks.finish()
            await asyncio.to_thread(os.fsync, fd)
        except BaseException:
            await tasks.abort()
            await asyncio.shield(asyncio.to_thread(abandon_target, fd, temp))
            raise
        await asyncio.to_thread(finish_target, fd, temp, target)
        return DownloadResult(blocks=plan.wanted, bytes_written=written)

    # --- EC2 ----------------------------------------------------------------------

    @translates_errors
    async def delete_snapshot(self, snapshot_id: str) -> None:
        """Delete a snapshot (EC2 DeleteSnapshot), as
        [awskit.ebs.EBS.delete_snapshot][awskit.ebs.EBS.delete_snapshot]: ``NotFound``
        when there is no such snapshot.

        ```python
        await aws.ebs.delete_snapshot(snap.snapshot_id)
        ```
        """
        _check_snapshot_id("snapshot_id", snapshot_id)
        ec2 = await self._session.calls("ec2")
        await ec2.delete_snapshot(SnapshotId=snapshot_id)

    async def wait(self, snapshot_id: str, timeout: float = 600) -> None:
        """Wait until EC2's DescribeSnapshots reports the snapshot ``completed``.

        As [awskit.ebs.EBS.wait][awskit.ebs.EBS.wait] (the same polling, 0.5 s up to
        15 s), sleeping with the session's ``sleep``. ``AwskitError`` with code
        ``SnapshotError`` in the ``error`` state, ``WaitTimeout`` after ``timeout``
        seconds.

        ```python
        await aws.ebs.wait(snap.snapshot_id, timeout=1800)
        ```
        """
        waiting = Waiting(snapshot_id, timeout)
        ec2 = await self._session.calls("ec2")
        sleep = self._session.sleep or asyncio.sleep
        with snapshot_errors(snapshot_id):
            while True:
                response = await ec2.describe_snapshots(SnapshotIds=[snapshot_id])
                delay = waiting.answer(cast(Mapping[str, Any], response))
                if delay is None:
                    return
                await sleep(delay)
