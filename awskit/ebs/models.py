"""What the EBS facade returns: snapshots, blocks, download results."""

from __future__ import annotations

from dataclasses import dataclass

from .blocks import BLOCK_SIZE

__all__ = ["Block", "ChangedBlock", "DownloadResult", "Snapshot"]


@dataclass(frozen=True)
class Snapshot:
    """A snapshot written through the EBS direct APIs.

    ``status`` is what AWS said last (``pending`` right after CompleteSnapshot, then
    ``completed`` once EC2 has processed it; see [awskit.ebs.EBS.wait][awskit.ebs.EBS.wait]).
    ``blocks_written`` is the ``ChangedBlocksCount`` sent, ``checksum`` the LINEAR
    aggregate (``None`` if nothing was written); both are 0 and ``None`` when a rerun
    with the same client token found the snapshot already completed (that call wrote
    nothing). ``block_size`` is always 524288.
    """

    snapshot_id: str
    status: str
    volume_size: int
    block_size: int = BLOCK_SIZE
    blocks_written: int = 0
    checksum: str | None = None
    parent_snapshot_id: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Block:
    """One block of a snapshot as ListSnapshotBlocks lists it: index and read token."""

    index: int
    token: str


@dataclass(frozen=True)
class ChangedBlock:
    """A block that differs between two snapshots of one lineage.

    ``first_token`` is ``None`` when the first snapshot has no data at that index;
    ``second_token`` is ``None`` when the second has none there.
    """

    index: int
    first_token: str | None
    second_token: str | None

    def __repr__(self) -> str:
        # Block tokens are bearer credentials for reading data: never shown whole.
        return f"ChangedBlock(index={self.index})"


@dataclass(frozen=True)
class DownloadResult:
    """What [awskit.ebs.EBS.download][awskit.ebs.EBS.download] wrote: blocks fetched and their
    bytes."""

    blocks: int
    bytes_written: int
