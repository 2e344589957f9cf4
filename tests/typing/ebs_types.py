"""Type-checked only (mypy --strict, pyright strict): what users see from aws.ebs."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from mypy_boto3_ebs import EBSClient
from typing_extensions import assert_type

from awskit.ebs import (
    BLOCK_SIZE,
    EBS,
    Block,
    ChangedBlock,
    DownloadResult,
    Snapshot,
    SnapshotWriter,
    block_checksum,
    client_token,
    linear_checksum,
    volume_size_for,
)


def pure() -> None:
    assert_type(BLOCK_SIZE, int)
    assert_type(block_checksum(b"\0" * BLOCK_SIZE), str)
    assert_type(linear_checksum({0: block_checksum(b"")}), str)
    assert_type(volume_size_for(10), int)
    assert_type(client_token("job", 1), str)


def upload_and_download(ebs: EBS) -> None:
    snap = ebs.upload("disk.img", tags={"team": "infra"}, progress=lambda done, total: None)
    assert_type(snap, Snapshot)
    assert_type(ebs.upload(Path("disk.img"), wait=True), Snapshot)
    assert_type(ebs.upload(io.BytesIO(b"x"), volume_size=1), Snapshot)
    assert_type(snap.snapshot_id, str)
    assert_type(snap.status, str)
    assert_type(snap.volume_size, int)
    assert_type(snap.block_size, int)
    assert_type(snap.blocks_written, int)
    assert_type(snap.checksum, str | None)
    result = ebs.download(snap.snapshot_id, "out.img", concurrency=8, verify=True)
    assert_type(result, DownloadResult)
    assert_type(result.blocks, int)
    assert_type(result.bytes_written, int)
    assert_type(ebs.wait(snap.snapshot_id, timeout=600), None)
    assert_type(ebs.delete_snapshot(snap.snapshot_id), None)


def walk(ebs: EBS) -> None:
    blocks = ebs.blocks("snap-0123456789abcdef0")
    assert_type(blocks, Iterator[Block])
    for block in blocks:
        assert_type(block.index, int)
        assert_type(block.token, str)
        assert_type(ebs.read_block("snap-0123456789abcdef0", block.index, block.token), bytes)
    for change in ebs.changed_blocks("snap-01", "snap-02"):
        assert_type(change, ChangedBlock)
        assert_type(change.first_token, str | None)
        assert_type(change.second_token, str | None)


def write(ebs: EBS) -> None:
    writer = ebs.start_snapshot(volume_size=1, parent_snapshot_id=None)
    assert_type(writer, SnapshotWriter)
    assert_type(writer.put_block(0, bytes(BLOCK_SIZE)), str)
    assert_type(writer.complete(), Snapshot)
    with ebs.start_snapshot() as w:
        assert_type(w, SnapshotWriter)
    assert_type(ebs.client, EBSClient)
