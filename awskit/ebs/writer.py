"""Writing one snapshot block by block: [SnapshotWriter][awskit.ebs.SnapshotWriter].

A writer is what StartSnapshot returns: put 512 KiB blocks at their indexes (from any
number of threads), then complete with the block count and the LINEAR checksum AWS
checks the snapshot against. A snapshot never completed is cancelled by AWS after its
timeout (60 minutes unless ``timeout_minutes`` said otherwise).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import BotoCoreError, ClientError

from .._errors import AwskitError, InvalidInput, logger, translate_any
from .blocks import BLOCK_SIZE, block_count, linear_checksum_of_digests
from .flow import Retrier
from .models import Snapshot

if TYPE_CHECKING:
    from mypy_boto3_ebs import EBSClient

__all__ = ["SnapshotWriter", "ec2_state", "snapshot_errors", "start_status", "started_writer"]

log = logger("awskit.ebs")


@contextmanager
def snapshot_errors(snapshot_id: str | None) -> Iterator[None]:
    """Translate botocore errors, and name the snapshot on every error that leaves.

    The id is on the error as ``snapshot_id`` and in its message, so a caller can find
    (or clean up) a snapshot left pending by a failed upload.
    """
    try:
        yield
    except AwskitError as exc:
        _tag(exc, snapshot_id)
        raise
    except (ClientError, BotoCoreError) as exc:
        raise _tag(cast(AwskitError, translate_any(exc)), snapshot_id) from exc
    except Exception as exc:
        translated = translate_any(exc)
        if translated is not exc:  # urllib3's, or aiohttp's under awskit.aio
            raise _tag(cast(AwskitError, translated), snapshot_id) from exc
        # Not awskit's own (an OSError reading the image, a bug in a callback): the type
        # stays, the snapshot id is attached all the same.
        if snapshot_id is not None and not hasattr(exc, "snapshot_id"):
            with contextlib.suppress(AttributeError, TypeError):
                exc.snapshot_id = snapshot_id  # type: ignore[attr-defined]
            if hasattr(exc, "add_note"):
                exc.add_note(f"snapshot {snapshot_id} was left pending")
        raise


def _tag(exc: AwskitError, snapshot_id: str | None) -> AwskitError:
    if snapshot_id is None or getattr(exc, "snapshot_id", None) is not None:
        return exc
    exc.snapshot_id = snapshot_id  # type: ignore[attr-defined]
    exc.message = f"{exc.message} [snapshot {snapshot_id}]"
    exc.args = (exc.message,)
    return exc


class SnapshotWriter:
    """A started snapshot: [put_block][awskit.ebs.SnapshotWriter.put_block] any blocks, then
    [complete][awskit.ebs.SnapshotWriter.complete].

    Thread-safe: many threads may put blocks at once. Putting the same index twice keeps
    the last data. Usable as a context manager that completes on a clean exit (and
    leaves the snapshot pending, to time out, when the block raised).

    Example:
        ```python
        with aws.ebs.start_snapshot(volume_size=1, parent_snapshot_id=base) as writer:
            writer.put_block(3, changed_block)   # only what changed since ``base``
        print(writer.snapshot.snapshot_id)
        ```
    """

    def __init__(
        self,
        client: EBSClient,
        response: Any,
        retrier: Retrier,
        *,
        volume_size: int,
        parent_snapshot_id: str | None = None,
        description: str | None = None,
    ) -> None:
        self._client = client
        self.snapshot_id: str = response["SnapshotId"]
        self.volume_size = volume_size
        self.parent_snapshot_id = parent_snapshot_id
        self.description = description
        self.status: str = str(response.get("Status", "pending"))
        self._retrier = retrier
        self._digests: dict[int, bytes] = {}
        self._lock = threading.Lock()
        self._blocks = block_count(volume_size)
        self._completed: Snapshot | None = None
        if self.status != "pending":
            # StartSnapshot answered a reused client token with a snapshot that is no
            # longer pending: it takes no blocks, and there is nothing to complete.
            self._completed = Snapshot(
                snapshot_id=self.snapshot_id,
                status=self.status,
                volume_size=int(response.get("VolumeSize") or volume_size),
                parent_snapshot_id=response.get("ParentSnapshotId", parent_snapshot_id),
                description=response.get("Description", description),
            )
        self._completed_before = self._completed is not None

    def __repr__(self) -> str:
        return (
            f"SnapshotWriter(snapshot_id={self.snapshot_id!r}, volume_size={self.volume_size}, "
            f"blocks_written={len(self._digests)})"
        )

    @property
    def blocks_written(self) -> int:
        """Distinct block indexes put so far."""
        return len(self._digests)

    @property
    def snapshot(self) -> Snapshot:
        """The completed snapshot (``AwskitError`` before
        [complete][awskit.ebs.SnapshotWriter.complete])."""
        if self._completed is None:
            raise AwskitError(f"snapshot {self.snapshot_id} is not completed yet")
        return self._completed

    def put_block(self, index: int, data: bytes, *, progress: int | None = None) -> str:
        """Write one 524288-byte block at ``index``; returns its base64 SHA256 checksum.

        ``InvalidInput`` before any request for data that is not exactly one block or an
        index outside the volume (``volume_size * 2048`` blocks). ``progress`` (0-100)
        is sent as PutSnapshotBlock's ``Progress``.
        """
        request, digest = self.block_request(index, data, progress)
        with snapshot_errors(self.snapshot_id):
            self._retrier.run(lambda: self._client.put_snapshot_block(**request))
        return self.record(index, digest)

    def block_request(
        self, index: int, data: bytes, progress: int | None
    ) -> tuple[dict[str, Any], bytes]:
        """The checked PutSnapshotBlock request for one block, and its SHA256 digest."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise InvalidInput("data", "must be bytes")
        if len(data) != BLOCK_SIZE:
            raise InvalidInput("data", f"a block is exactly {BLOCK_SIZE} bytes, got {len(data)}")
        if isinstance(index, bool) or not isinstance(index, int):
            raise InvalidInput("index", "must be an int")
        if not 0 <= index < self._blocks:
            raise InvalidInput(
                "index",
                f"{index} is outside the volume (0..{self._blocks - 1} for {self.volume_size} GiB)",
            )
        if progress is not None and not 0 <= progress <= 100:
            raise InvalidInput("progress", "must be a percentage, 0..100")
        if self._completed_before:
            raise AwskitError(
                f"snapshot {self.snapshot_id} is {self.status}: StartSnapshot returned it for "
                "a client token already used, and it takes no more blocks",
                code="SnapshotNotPending",
                operation="PutSnapshotBlock",
            )
        if self._completed is not None:
            raise InvalidInput("index", f"snapshot {self.snapshot_id} is already completed")
        body = bytes(data)
        digest = hashlib.sha256(body).digest()
        checksum = base64.b64encode(digest).decode("ascii")
        request: dict[str, Any] = {
            "SnapshotId": self.snapshot_id,
            "BlockIndex": index,
            "BlockData": body,
            "DataLength": BLOCK_SIZE,
            "Checksum": checksum,
            "ChecksumAlgorithm": "SHA256",
        }
        if progress is not None:
            request["Progress"] = progress
        return request, digest

    def record(self, index: int, digest: bytes) -> str:
        """Remember a block AWS took (for the count and LINEAR checksum); its checksum."""
        with self._lock:
            self._digests[index] = digest
        return base64.b64encode(digest).decode("ascii")

    def checksum(self) -> str | None:
        """The LINEAR aggregate of the blocks put so far (``None`` when there are none)."""
        with self._lock:
            digests = dict(self._digests)
        return linear_checksum_of_digests(digests) if digests else None

    def complete(self) -> Snapshot:
        """CompleteSnapshot with ``ChangedBlocksCount`` and the LINEAR checksum.

        AWS checks both: a count or checksum that disagrees with what it received fails
        the snapshot. Returns the [Snapshot][awskit.ebs.Snapshot]; EC2 reports it
        ``completed`` a little later (see [EBS.wait][awskit.ebs.EBS.wait]). A writer
        whose StartSnapshot returned an already completed snapshot (a reused client
        token) sends nothing and returns that snapshot, ``blocks_written`` 0.
        """
        if self._completed is not None:
            return self._completed
        request = self.complete_request()
        with snapshot_errors(self.snapshot_id):
            response = self._retrier.run(lambda: self._client.complete_snapshot(**request))
        return self.completed(request, response)

    def complete_request(self) -> dict[str, Any]:
        """The CompleteSnapshot request for the blocks put so far."""
        with self._lock:
            count = len(self._digests)
            checksum = linear_checksum_of_digests(self._digests) if count else None
        request: dict[str, Any] = {"SnapshotId": self.snapshot_id, "ChangedBlocksCount": count}
        if checksum is not None:
            request.update(
                Checksum=checksum,
                ChecksumAlgorithm="SHA256",
                ChecksumAggregationMethod="LINEAR",
            )
        return request

    def completed(self, request: Mapping[str, Any], response: Mapping[str, Any]) -> Snapshot:
        """The [Snapshot][awskit.ebs.Snapshot] CompleteSnapshot's ``response`` describes."""
        count = int(request["ChangedBlocksCount"])
        checksum = request.get("Checksum")
        self.status = str(response.get("Status", "pending"))
        log.info("completed snapshot %s: %d blocks written", self.snapshot_id, count)
        self._completed = Snapshot(
            snapshot_id=self.snapshot_id,
            status=self.status,
            volume_size=self.volume_size,
            blocks_written=count,
            checksum=checksum,
            parent_snapshot_id=self.parent_snapshot_id,
            description=self.description,
        )
        return self._completed

    def __enter__(self) -> SnapshotWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.complete()
        else:
            log.warning(
                "snapshot %s left pending after an error: AWS cancels it at its timeout",
                self.snapshot_id,
            )


def start_status(response: Mapping[str, Any], *, rerun: bool) -> tuple[str, bool]:
    """The status StartSnapshot's ``response`` gives its snapshot, and whether EC2 must be
    asked for the real one (its DescribeSnapshots, read by `ec2_state`).

    A rerun (the caller's own client token) may get "the result from the original
    request": the ``pending`` of a snapshot completed since.
    """
    status = str(response.get("Status") or "pending")
    return status, status == "pending" and rerun


def ec2_state(response: Mapping[str, Any]) -> str | None:
    """The state in EC2's DescribeSnapshots ``response`` of one snapshot (``None``: not
    there)."""
    states = [str(s.get("State")) for s in response.get("Snapshots", [])]
    return states[0] if states else None


def started_writer(
    client: EBSClient,
    request: Mapping[str, Any],
    response: Mapping[str, Any],
    status: str,
    retrier: Retrier,
) -> SnapshotWriter:
    """The writer of the snapshot StartSnapshot's ``response`` names, now in ``status``.

    Raises:
        AwskitError: code ``SnapshotError``, naming the snapshot, when it is in the
            ``error`` state (a reused client token).
    """
    snapshot_id = str(response["SnapshotId"])
    volume_size = int(request["VolumeSize"])
    parent_snapshot_id = request.get("ParentSnapshotId")
    if status == "error":
        with snapshot_errors(snapshot_id):
            raise AwskitError(
                f"snapshot {snapshot_id} (client token reused) is in the error state",
                code="SnapshotError",
                operation="StartSnapshot",
            )
    if status == "completed":
        log.info(
            "snapshot %s of this client token is already completed: nothing to write",
            snapshot_id,
        )
    else:
        log.info(
            "started snapshot %s (%d GiB%s)",
            snapshot_id,
            volume_size,
            f", parent {parent_snapshot_id}" if parent_snapshot_id else "",
        )
    return SnapshotWriter(
        client,
        {**response, "Status": status},
        retrier,
        volume_size=volume_size,
        parent_snapshot_id=parent_snapshot_id,
        description=request.get("Description"),
    )


def started_at() -> float:
    """The monotonic clock reading a writer's age is measured from."""
    return time.monotonic()
