"""EBS direct APIs: stream disk images into snapshots and back, fast and verified.

``aws.ebs.upload("disk.img")`` turns an image (a path, a block device or a binary
stream) into an EBS snapshot; ``aws.ebs.download("snap-...", "out.img")`` turns a
snapshot back into an image file. Both run a bounded pool of workers, check every
block's SHA256, and retry what botocore cannot see. Lower down:
[EBS.start_snapshot][awskit.ebs.EBS.start_snapshot] returns a
[SnapshotWriter][awskit.ebs.SnapshotWriter] for callers who produce blocks themselves (incremental
snapshots with ``parent_snapshot_id``), and [EBS.blocks][awskit.ebs.EBS.blocks],
[EBS.changed_blocks][awskit.ebs.EBS.changed_blocks] and [EBS.read_block][awskit.ebs.EBS.read_block]
walk a snapshot.

boto3 has no paginators for ListSnapshotBlocks and ListChangedBlocks
(``client.can_paginate("list_snapshot_blocks")`` is ``False``): [EBS.blocks][awskit.ebs.EBS.blocks]
and [EBS.changed_blocks][awskit.ebs.EBS.changed_blocks] are the iterators over every page that fill
that gap. The EBS client has no waiters either; [EBS.wait][awskit.ebs.EBS.wait] polls EC2's
DescribeSnapshots, as EC2's ``snapshot_completed`` waiter does, with a timeout in seconds and
failing on ``error``.

Blocks are always 524288 bytes (``BLOCK_SIZE``), whatever an emulator reports.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import stat
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from botocore.exceptions import BotoCoreError, ClientError

from .._errors import AwskitError, InvalidInput, logger, translates_errors
from .._paging import Paged, token_pages
from .blocks import (
    BLOCK_SIZE,
    GIB,
    MAX_VOLUME_SIZE,
    BlockSet,
    PlannedBlock,
    block_checksum,
    block_count,
    check_volume_size,
    linear_checksum,
    plan_file,
    plan_stream,
    to_write,
    volume_size_for,
)
from .flow import DEFAULT_CONCURRENCY, Limiter, Retrier, Transfers
from .models import Block, ChangedBlock, DownloadResult, Snapshot
from .transfer import check_dest, fetch_block, read_all, write_all
from .writer import SnapshotWriter, ec2_state, snapshot_errors, start_status, started_writer

if TYPE_CHECKING:
    from mypy_boto3_ebs import EBSClient

    from .._session import Session

# Plain sorted() order, which tests/test_exports.py checks (ruff's isort order differs).
__all__ = [  # noqa: RUF022
    "BLOCK_SIZE",
    "Block",
    "ChangedBlock",
    "DownloadResult",
    "EBS",
    "MAX_VOLUME_SIZE",
    "Snapshot",
    "SnapshotWriter",
    "block_checksum",
    "client_token",
    "linear_checksum",
    "volume_size_for",
]

log = logger("awskit.ebs")

#: StartSnapshot's ``ClientToken``: "any string that includes up to 64 ASCII characters"
#: (the service model's 255 is looser than the service).
MAX_CLIENT_TOKEN = 64
#: ListSnapshotBlocks / ListChangedBlocks ``MaxResults`` bounds.
MIN_PAGE, MAX_PAGE = 100, 10000
_POLL_FIRST, _POLL_MAX = 0.5, 15.0
_Source = str | os.PathLike[str] | IO[bytes]


def client_token(*parts: object) -> str:
    """A deterministic StartSnapshot ``ClientToken`` from what identifies an upload.

    StartSnapshot is idempotent per token: rerunning a crashed job with the same token
    returns the snapshot the first run started instead of starting another (AWS answers
    ``ConflictException`` if the other parameters differ); [EBS.upload][awskit.ebs.EBS.upload]
    then resumes it, or returns it when it is already completed. The token is a UUID
    (36 characters: AWS takes at most 64 ASCII characters).

    Example:
        ```python
        token = client_token("nightly", "db-volume", "2024-06-01")
        aws.ebs.upload("db.img", client_token=token)
        ```
    """
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "awskit-ebs:" + "\x1f".join(map(str, parts))))


def _check_snapshot_id(field: str, value: object) -> str:
    if not isinstance(value, str) or not value.startswith("snap-") or len(value) > 64:
        raise InvalidInput(field, f"{value!r} is not a snapshot id (snap-...)")
    return value


def _concurrency(value: int | None, default: int) -> int:
    value = default if value is None else value
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput("concurrency", "must be a positive int")
    return value


def _check_size(size: int | None) -> None:
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise InvalidInput("size", "must be a non-negative int (bytes)")


def _check_block_ref(snapshot_id: str, index: int, token: str) -> None:
    _check_snapshot_id("snapshot_id", snapshot_id)
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise InvalidInput("index", "must be a non-negative int")
    if not isinstance(token, str) or not token:
        raise InvalidInput("token", "must be the block token from blocks()")


def _blocks_of(items: Iterable[Mapping[str, Any]]) -> list[Block]:
    """The [Block][awskit.ebs.Block]s of a page of ListSnapshotBlocks."""
    return [Block(int(b["BlockIndex"]), str(b["BlockToken"])) for b in items]


def _changed_block(item: Mapping[str, Any]) -> ChangedBlock:
    """One item of ListChangedBlocks."""
    return ChangedBlock(
        int(item["BlockIndex"]), item.get("FirstBlockToken"), item.get("SecondBlockToken")
    )


def _changed_request(first: str, second: str, page_size: int) -> dict[str, Any]:
    """ListChangedBlocks' parameters, checked."""
    _check_snapshot_id("first_snapshot_id", first)
    _check_snapshot_id("second_snapshot_id", second)
    _check_page_size(page_size)
    return {"FirstSnapshotId": first, "SecondSnapshotId": second, "MaxResults": page_size}


class Waiting:
    """The decisions of [EBS.wait][awskit.ebs.EBS.wait], without its IO: what each answer of
    EC2's DescribeSnapshots means, and how long to sleep before asking again.

    Sleeps grow from 0.5 s to 15 s; ``timeout`` counts the clock or the sleeps asked for,
    whichever is more (sleeps are injectable).
    """

    def __init__(
        self, snapshot_id: str, timeout: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        _check_snapshot_id("snapshot_id", snapshot_id)
        if timeout <= 0:
            raise InvalidInput("timeout", "must be positive (seconds)")
        self.snapshot_id = snapshot_id
        self.timeout = timeout
        self._clock = clock
        self._started = clock()
        self._slept = 0.0
        self._delay = _POLL_FIRST

    def answer(self, response: Mapping[str, Any]) -> float | None:
        """``None`` once the snapshot is ``completed``, else the seconds to sleep.

        Raises:
            AwskitError: code ``SnapshotError`` in the ``error`` state, ``WaitTimeout``
                after ``timeout`` seconds.
        """
        snapshots = response.get("Snapshots", [])
        states = [s.get("State") for s in snapshots]
        if states and all(state == "completed" for state in states):
            return None
        if "error" in states:
            message = snapshots[0].get("StateMessage") or "no reason given"
            raise AwskitError(
                f"snapshot {self.snapshot_id} is in the error state: {message}",
                code="SnapshotError",
                operation="DescribeSnapshots",
            )
        if max(self._clock() - self._started, self._slept) >= self.timeout:
            raise AwskitError(
                f"snapshot {self.snapshot_id} not completed after {self.timeout} s "
                f"(state {states[0] if states else 'unknown'})",
                code="WaitTimeout",
                operation="DescribeSnapshots",
            )
        delay = self._delay
        self._slept += delay
        self._delay = min(_POLL_MAX, delay * 2)
        return delay


class EBS:
    """EBS direct APIs facade: ``aws.ebs``.

    Example:
        ```python
        snap = aws.ebs.upload("disk.img", description="nightly", wait=True)
        aws.ebs.download(snap.snapshot_id, "copy.img")
        ```
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._transfers = Transfers()

    @property
    def client(self) -> EBSClient:
        """The shared, typed boto3 client (escape hatch)."""
        return self._session.client("ebs")

    # --- flow control ---------------------------------------------------------------

    def _flow(self, concurrency: int) -> tuple[int, Limiter]:
        """Workers and the limiter of one transfer: adaptive at the default, else pinned."""
        workers = _concurrency(concurrency, self._session.max_concurrency)
        config: Any = self.client.meta.config
        return self._transfers.start(self.client.meta.events, workers, config.max_pool_connections)

    def _release(self, limiter: Limiter) -> None:
        self._transfers.release(limiter)

    def _retrier(self, limiter: Limiter | None = None, started: float | None = None) -> Retrier:
        return Retrier(self._session.retry, limiter=limiter, started_at=started)

    # --- writing ------------------------------------------------------------------

    def start_snapshot(
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
        """StartSnapshot, returning a [SnapshotWriter][awskit.ebs.SnapshotWriter] to put blocks
        with.

        ``volume_size`` is in GiB (1..65536). With ``parent_snapshot_id`` the new
        snapshot starts as a copy of the parent and only the blocks you put differ
        (an incremental snapshot); AWS refuses a parent together with ``encrypted``.
        ``timeout_minutes`` (10..4320, AWS's default 60) is how long an idle or
        uncompleted snapshot lives before AWS cancels it. ``client_token`` (1 to 64
        printable ASCII characters) makes the start idempotent (see
        [client_token][awskit.ebs.client_token]); one is generated otherwise and reused
        across awskit's retries. A reused token may return a snapshot that is already
        completed: the writer's ``status`` then says so, ``put_block`` refuses (code
        ``SnapshotNotPending``) and ``complete`` returns it without a request.

        Example:
            ```python
            writer = aws.ebs.start_snapshot(volume_size=8)
            writer.put_block(0, boot_sector.ljust(BLOCK_SIZE, b"\\0"))
            snap = writer.complete()
            ```
        """
        request = self._start_request(
            volume_size,
            parent_snapshot_id,
            description,
            tags,
            encrypted,
            kms_key_arn,
            timeout_minutes,
            client_token,
        )
        return self._start(request, None, rerun=client_token is not None)

    def _start(
        self, request: dict[str, Any], limiter: Limiter | None, *, rerun: bool
    ) -> SnapshotWriter:
        """StartSnapshot, and the snapshot's real status when ``rerun`` (the caller's
        own client token: the snapshot may be one an earlier run started, or finished)."""
        # No "fresh snapshot" grace here: a ResourceNotFoundException from StartSnapshot
        # (a missing parent or key) is final.
        with snapshot_errors(None):
            response = self._retrier().run(lambda: self.client.start_snapshot(**request))
        retrier = self._retrier(limiter, time.monotonic())
        status, ask_ec2 = start_status(response, rerun=rerun)
        if ask_ec2:
            # Idempotency returns "the result from the original request": that may be
            # the "pending" of a snapshot completed since. EC2 knows better.
            status = self._ec2_state(response["SnapshotId"]) or status
        return started_writer(self.client, request, response, status, retrier)

    def _ec2_state(self, snapshot_id: str) -> str | None:
        """EC2's state of a snapshot, ``None`` when EC2 cannot say.

        Only a hint: a snapshot started moments ago may not be visible to EC2 yet, and
        the caller may lack ``ec2:DescribeSnapshots``; neither should fail the upload.
        """
        try:
            response = self._session.client("ec2").describe_snapshots(SnapshotIds=[snapshot_id])
        except (ClientError, BotoCoreError) as exc:
            log.debug("DescribeSnapshots %s: %s", snapshot_id, exc)
            return None
        return ec2_state(response)

    @staticmethod
    def _start_request(
        volume_size: int,
        parent_snapshot_id: str | None,
        description: str | None,
        tags: Mapping[str, str] | None,
        encrypted: bool,
        kms_key_arn: str | None,
        timeout_minutes: int | None,
        client_token: str | None,
    ) -> dict[str, Any]:
        check_volume_size(volume_size)
        request: dict[str, Any] = {"VolumeSize": volume_size}
        if parent_snapshot_id is not None:
            request["ParentSnapshotId"] = _check_snapshot_id(
                "parent_snapshot_id", parent_snapshot_id
            )
            if encrypted:
                raise InvalidInput(
                    "encrypted",
                    "AWS does not take encrypted together with parent_snapshot_id: the "
                    "child inherits the parent's encryption",
                )
        if kms_key_arn is not None:
            if not encrypted:
                raise InvalidInput("kms_key_arn", "needs encrypted=True")
            request["KmsKeyArn"] = kms_key_arn
        if encrypted:
            request["Encrypted"] = True
        if description is not None:
            if not isinstance(description, str) or not 1 <= len(description) <= 255:
                raise InvalidInput("description", "must be 1..255 characters")
            request["Description"] = description
        if tags:
            if len(tags) > 50:
                raise InvalidInput("tags", "at most 50 tags per snapshot")
            for key, value in tags.items():
                if not isinstance(key, str) or not 1 <= len(key) <= 127:
                    raise InvalidInput("tags", f"tag key {key!r} must be 1..127 characters")
                if not isinstance(value, str) or len(value) > 255:
                    raise InvalidInput("tags", f"tag {key!r}: value must be a str of <= 255")
            request["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        if timeout_minutes is not None:
            if isinstance(timeout_minutes, bool) or not 10 <= timeout_minutes <= 4320:
                raise InvalidInput("timeout_minutes", "must be between 10 and 4320")
            request["Timeout"] = timeout_minutes
        token = client_token if client_token is not None else str(uuid.uuid4())
        if (
            not isinstance(token, str)
            or not 1 <= len(token) <= MAX_CLIENT_TOKEN
            or not token.isascii()
            or not token.isprintable()
            or any(c.isspace() for c in token)
        ):
            raise InvalidInput(
                "client_token",
                f"1 to {MAX_CLIENT_TOKEN} printable ASCII characters without spaces",
            )
        request["ClientToken"] = token
        return request

    def upload(
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
        progress: Callable[[int, int], None] | None = None,
        wait: bool = False,
        *,
        client_token: str | None = None,
    ) -> Snapshot:
        """Upload an image (path, block device or binary stream) as a new snapshot.

        Blocks are read in order, all-zero blocks skipped (``skip_zero_blocks``; holes
        of sparse files are not even read), and put concurrently with at most twice as
        many blocks in memory as requests in flight. At the default ``concurrency=16``
        the number in flight finds itself (its `Controller`): it
        starts at the connection pool (64), backs off on throttling and rising latency,
        and grows back while blocks land at a steady latency; any other
        ``concurrency=N`` pins it at ``N`` (still slowed by throttling).
        ``volume_size`` defaults to the image size rounded up to whole GiB; a stream of
        unknown length needs it.
        The snapshot is completed with ``ChangedBlocksCount`` and the LINEAR checksum;
        ``wait=True`` then waits for EC2 to report it ``completed``.
        ``progress(done_bytes, total_bytes)`` is called from worker threads as blocks land.

        With ``parent_snapshot_id`` the snapshot is incremental, and AWS shows the
        parent's block wherever the child writes nothing. So the parent's blocks are
        listed first (ListSnapshotBlocks), every non-zero block of the image is put, a
        zero block only where the parent holds one, and every block the parent holds
        past the image's end (up to the volume's end) is written as zeros: the child
        reads back as the image followed by zeros. The default ``volume_size`` is then
        at least the parent's.

        With your own ``client_token`` a rerun is safe: if StartSnapshot returns a
        snapshot an earlier run completed, it is returned as is (``blocks_written`` 0)
        without a block being sent; a pending one is resumed (every block put again).

        Raises:
            InvalidInput: before any request, for a missing file, a volume smaller than
                the image, ``parent_snapshot_id`` with ``encrypted``, or a client token
                that is not 1 to 64 printable ASCII characters.
            AwskitError: once the snapshot exists, carrying its id
                (``error.snapshot_id``, also logged); a failed upload leaves the snapshot
                pending, and AWS cancels it at its timeout. Code ``SnapshotError`` when a
                reused client token names a snapshot in the ``error`` state.

        Example:
            ```python
            snap = aws.ebs.upload("disk.img", tags={"team": "infra"}, wait=True)
            print(snap.snapshot_id, snap.blocks_written)
            ```
        """
        _concurrency(concurrency, self._session.max_concurrency)
        fd, stream, regular, size = open_source(source)
        try:
            given_size = volume_size
            volume_size = image_volume_size(volume_size, size)
            request = self._start_request(
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
                # An incremental snapshot shows the parent's block wherever it writes
                # nothing: knowing exactly where the parent has blocks is what lets the
                # upload write zeros there, and only there.
                parent_size, parent_blocks = self._parent_blocks(parent_snapshot_id)
                if given_size is None and parent_size > volume_size:
                    volume_size = request["VolumeSize"] = parent_size
            total, plan = image_plan(fd, stream, regular, size, volume_size)
            workers, limiter = self._flow(concurrency)
            try:
                writer = self._start(request, limiter, rerun=client_token is not None)
            except BaseException:
                self._release(limiter)
                raise
            if writer.status != "pending":
                # A rerun with the client token of an upload that already completed:
                # StartSnapshot hands back that snapshot, which takes no more blocks.
                self._release(limiter)
                snapshot = writer.complete()
                return self._waited(snapshot) if wait else snapshot
            try:
                with snapshot_errors(writer.snapshot_id):
                    write_all(
                        writer,
                        to_write(
                            plan,
                            skip_zero_blocks=skip_zero_blocks,
                            parent_blocks=parent_blocks,
                            volume_blocks=block_count(volume_size),
                        ),
                        concurrency=workers,
                        limiter=limiter,
                        total_bytes=total,
                        progress=progress,
                    )
                    snapshot = writer.complete()
            except BaseException:
                log.error(
                    "upload to snapshot %s failed after %d blocks; it stays pending until "
                    "AWS cancels it at its timeout",
                    writer.snapshot_id,
                    writer.blocks_written,
                )
                raise
            finally:
                self._release(limiter)
        finally:
            if fd is not None:
                os.close(fd)
        return self._waited(snapshot) if wait else snapshot

    def _waited(self, snapshot: Snapshot) -> Snapshot:
        with snapshot_errors(snapshot.snapshot_id):
            self.wait(snapshot.snapshot_id)
        return dataclasses.replace(snapshot, status="completed")

    def _parent_blocks(self, snapshot_id: str) -> tuple[int, BlockSet]:
        """The parent's volume size (GiB) and every block index it holds (its own and
        those it inherits), over every page of ListSnapshotBlocks."""
        held = BlockSet()
        with snapshot_errors(None):
            volume_size, pages = self._block_pages(snapshot_id, self._retrier())
            for page in pages:
                for block in page:
                    held.add(block.index)
        return volume_size, held

    # --- reading ------------------------------------------------------------------

    def _block_pages(
        self, snapshot_id: str, retrier: Retrier, page_size: int = MAX_PAGE
    ) -> tuple[int, Iterator[list[Block]]]:
        """The volume size (GiB) and the pages of ListSnapshotBlocks.

        The first page is fetched now (it carries ``VolumeSize``); the rest are
        fetched as the caller iterates, so a download starts on the first page while
        the listing of a large snapshot goes on.
        """
        volume_size = 0

        def call(**kwargs: Any) -> Any:
            nonlocal volume_size
            response = retrier.run(lambda: self.client.list_snapshot_blocks(**kwargs))
            volume_size = int(response.get("VolumeSize") or volume_size)
            return response

        fetch = token_pages(call, "Blocks", SnapshotId=snapshot_id, MaxResults=page_size)
        pages = Paged(fetch).pages()
        first = next(pages)  # a listing has at least one page, even if empty

        def blocks() -> Iterator[list[Block]]:
            for page in itertools.chain([first], pages):
                yield _blocks_of(page.items)

        return volume_size, blocks()

    def blocks(self, snapshot_id: str, *, page_size: int = MAX_PAGE) -> Iterator[Block]:
        """Every block of a completed snapshot (ListSnapshotBlocks over every page).

        Includes the blocks a child inherits from its parent. ``page_size`` is
        ``MaxResults`` (100..10000); AWS may return fewer, or none, per page.

        Example:
            ```python
            for block in aws.ebs.blocks("snap-0123456789abcdef0"):
                data = aws.ebs.read_block("snap-0123456789abcdef0", block.index, block.token)
            ```
        """
        _check_snapshot_id("snapshot_id", snapshot_id)
        _check_page_size(page_size)
        return self._blocks(snapshot_id, page_size)

    @translates_errors
    def _blocks(self, snapshot_id: str, page_size: int) -> Iterator[Block]:
        _, pages = self._block_pages(snapshot_id, self._retrier(), page_size)
        for page in pages:
            yield from page

    def changed_blocks(
        self, first_snapshot_id: str, second_snapshot_id: str, *, page_size: int = MAX_PAGE
    ) -> Iterator[ChangedBlock]:
        """Blocks that differ between two snapshots of one lineage (ListChangedBlocks).

        Every page is read, empty ones included (AWS returns empty pages with a
        NextToken while it scans unchanged ranges).

        Example:
            ```python
            changed = [c.index for c in aws.ebs.changed_blocks(parent_id, child_id)]
            ```
        """
        request = _changed_request(first_snapshot_id, second_snapshot_id, page_size)
        return self._changed_blocks(request)

    @translates_errors
    def _changed_blocks(self, request: dict[str, Any]) -> Iterator[ChangedBlock]:
        retrier = self._retrier()

        def call(**kwargs: Any) -> Any:
            return retrier.run(lambda: self.client.list_changed_blocks(**kwargs))

        for item in Paged(token_pages(call, "ChangedBlocks", **request)):
            yield _changed_block(item)

    def read_block(self, snapshot_id: str, index: int, token: str) -> bytes:
        """One block's 524288 bytes, verified against the SHA256 AWS sends with them.

        A block whose bytes disagree is fetched again under the session's RetryPolicy;
        [ChecksumMismatch][awskit.ChecksumMismatch] if it keeps disagreeing.
        """
        _check_block_ref(snapshot_id, index, token)
        with snapshot_errors(snapshot_id):
            return fetch_block(self.client, self._retrier(), snapshot_id, index, token)

    def download(
        self,
        snapshot_id: str,
        dest: str | os.PathLike[str],
        concurrency: int = DEFAULT_CONCURRENCY,
        verify: bool = True,
        progress: Callable[[int, int], None] | None = None,
        *,
        size: int | None = None,
    ) -> DownloadResult:
        """Download a completed snapshot into ``dest`` (a file path or a block device).

        Lists every block over every page, fetches them concurrently from the first page
        on (at the default ``concurrency=16``, as many in flight as the shared
        controller finds best, at most the connection pool; any other
        ``concurrency=N`` pins it),
        checks each against its SHA256 (``verify``; a corrupt block is fetched
        again, [ChecksumMismatch][awskit.ChecksumMismatch] only when it keeps failing), and writes
        them into a sparse temporary file beside ``dest`` that replaces it at the end:
        a failed download never leaves a half-written file under ``dest``, and the new
        file keeps the permissions of the one it replaces. Written blocks are handed to
        the disk as they arrive (and leave the page cache), so the final ``fsync`` is
        short and a large download does not evict everything else. The file is the
        volume size unless ``size`` (bytes, e.g. the original image's size) cuts it. A
        block device ``dest`` is written in place, in full: blocks the snapshot does not
        hold are written as zeros. ``progress(done_bytes, total_bytes)`` counts the
        blocks fetched; ``total_bytes`` grows as pages of the listing arrive (a snapshot
        of more than 10000 blocks has several).

        Example:
            ```python
            result = aws.ebs.download("snap-0123456789abcdef0", "disk.img")
            print(result.blocks, result.bytes_written)
            ```
        """
        _check_snapshot_id("snapshot_id", snapshot_id)
        _concurrency(concurrency, self._session.max_concurrency)
        _check_size(size)
        target = Path(dest)
        device = check_dest(target)
        workers, limiter = self._flow(concurrency)
        try:
            retrier = self._retrier(limiter)
            with snapshot_errors(snapshot_id):
                # The listing's latency is not a block's: it must not teach the limiter.
                volume_size, pages = self._block_pages(snapshot_id, self._retrier())
                length = volume_size * GIB if size is None else size
                return read_all(
                    self.client,
                    retrier,
                    snapshot_id,
                    pages,
                    target,
                    device=device,
                    size=length,
                    concurrency=workers,
                    limiter=limiter,
                    verify=verify,
                    progress=progress,
                )
        finally:
            self._release(limiter)

    @translates_errors
    def delete_snapshot(self, snapshot_id: str) -> None:
        """Delete a snapshot (EC2 DeleteSnapshot): its blocks stop being billed.

        The EBS direct APIs have no delete; snapshots are EC2's to delete, so this
        goes through the session's EC2 client. Raises ``NotFound``
        (``InvalidSnapshot.NotFound``) when there is no such snapshot, and
        ``AwskitError`` (``InvalidSnapshot.InUse``) while an AMI still uses it.

        Example:
            ```python
            aws.ebs.delete_snapshot(snap.snapshot_id)
            ```
        """
        _check_snapshot_id("snapshot_id", snapshot_id)
        self._session.calls("ec2").delete_snapshot(SnapshotId=snapshot_id)

    def wait(self, snapshot_id: str, timeout: float = 600) -> None:
        """Wait until EC2's DescribeSnapshots reports the snapshot ``completed``.

        Polls with a growing delay (0.5 s up to 15 s, the session's RetryPolicy
        ``sleep``). Raises ``AwskitError`` (code ``SnapshotError``) if the snapshot
        enters the ``error`` state, and (code ``WaitTimeout``) after ``timeout``
        seconds.

        Example:
            ```python
            aws.ebs.wait(snap.snapshot_id, timeout=1800)
            ```
        """
        waiting = Waiting(snapshot_id, timeout)
        ec2 = self._session.calls("ec2")
        with snapshot_errors(snapshot_id):
            while (
                delay := waiting.answer(ec2.describe_snapshots(SnapshotIds=[snapshot_id]))
            ) is not None:
                self._session.retry.sleep(delay)


def open_source(
    source: _Source,
) -> tuple[int | None, IO[bytes] | None, bool, int | None]:
    """Open an upload's source: ``(fd, stream, regular, size)``; a path is opened (a
    regular file or a block device), a binary file object is read as a stream (``size``
    ``None`` when it cannot seek). ``InvalidInput`` for anything else."""
    if isinstance(source, (str, os.PathLike)):
        try:
            fd = os.open(source, os.O_RDONLY)
        except FileNotFoundError:
            raise InvalidInput("source", f"no such file: {os.fspath(source)!r}") from None
        except IsADirectoryError:
            raise InvalidInput("source", f"{os.fspath(source)!r} is a directory") from None
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISBLK(mode)):
            os.close(fd)
            raise InvalidInput(
                "source", f"{os.fspath(source)!r} is neither a regular file nor a block device"
            )
        regular = stat.S_ISREG(mode)
        return fd, None, regular, os.fstat(fd).st_size if regular else os.lseek(fd, 0, os.SEEK_END)
    if hasattr(source, "read"):
        return None, source, False, _stream_length(source)
    raise InvalidInput("source", "must be a path or a binary file object")


def image_volume_size(volume_size: int | None, size: int | None) -> int:
    """The volume (GiB) of an image of ``size`` bytes: ``volume_size``, checked, or the
    image's size rounded up to whole GiB."""
    if volume_size is None:
        if size is None:
            raise InvalidInput("volume_size", "required when the stream's length is unknown")
        volume_size = volume_size_for(size)
    check_volume_size(volume_size, size)
    return volume_size


def image_plan(
    fd: int | None, stream: IO[bytes] | None, regular: bool, size: int | None, volume_size: int
) -> tuple[int, Iterator[PlannedBlock]]:
    """The image's bytes and its blocks, read lazily from what ``open_source`` opened."""
    total = size if size is not None else volume_size * GIB
    if fd is not None:
        return total, plan_file(fd, total, sparse=regular)
    return total, plan_stream(cast(IO[bytes], stream), limit=volume_size * GIB)


def _check_page_size(page_size: int) -> None:
    if isinstance(page_size, bool) or not MIN_PAGE <= page_size <= MAX_PAGE:
        raise InvalidInput("page_size", f"MaxResults must be {MIN_PAGE}..{MAX_PAGE}")


def _stream_length(stream: IO[bytes]) -> int | None:
    """Bytes left in a seekable stream, ``None`` for a pipe or socket."""
    try:
        if not stream.seekable():
            return None
        here = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(here)
        return end - here
    except (OSError, AttributeError, ValueError):
        return None


# Last, once every exported name is bound: tracebacks and reprs show the public path
# (kept in one place at the end, so a merge never separates the import from the call).
from .._exports import publish  # noqa: E402

publish(globals())
