"""Type-checked only (mypy --strict, pyright strict): what users see from awskit.aio's EBS.

Checked in the aio environment, where aiobotocore and its stubs are installed.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

from types_aiobotocore_ebs import EBSClient
from typing_extensions import assert_type

import awskit.aio
from awskit.aio.ebs import EBS, SnapshotWriter
from awskit.ebs import Block, ChangedBlock, DownloadResult, Snapshot, client_token


async def upload_and_download(aws: awskit.aio.Session) -> None:
    ebs = aws.ebs
    assert_type(ebs, EBS)
    token = client_token("nightly", "db", 1)
    snap = await ebs.upload("disk.img", wait=True, client_token=token, concurrency=8)
    assert_type(snap, Snapshot)
    assert_type(await ebs.upload(io.BytesIO(b"x"), volume_size=1), Snapshot)
    result = await ebs.download(snap.snapshot_id, Path("/dev/xvdf"), size=4096)
    assert_type(result, DownloadResult)
    assert_type(await ebs.wait(snap.snapshot_id, timeout=600), None)
    assert_type(await ebs.delete_snapshot(snap.snapshot_id), None)
    assert_type(await ebs.client(), EBSClient)


async def walk(ebs: EBS) -> None:
    blocks = ebs.blocks("snap-0123456789abcdef0", page_size=1000)
    assert_type(blocks, AsyncIterator[Block])
    async for block in blocks:
        assert_type(block.index, int)
        data = await ebs.read_block("snap-0123456789abcdef0", block.index, block.token)
        assert_type(data, bytes)
    changes = ebs.changed_blocks("snap-01", "snap-02")
    assert_type(changes, AsyncIterator[ChangedBlock])
    async for change in changes:
        assert_type(change.first_token, str | None)


async def write(ebs: EBS) -> None:
    writer = await ebs.start_snapshot(volume_size=1, parent_snapshot_id=None, client_token="t")
    assert_type(writer, SnapshotWriter)
    assert_type(writer.status, str)
    assert_type(await writer.put_block(0, bytes(524288), progress=10), str)
    assert_type(writer.checksum(), str | None)
    assert_type(await writer.complete(), Snapshot)
    async with await ebs.start_snapshot() as w:
        assert_type(w, SnapshotWriter)
        assert_type(await w.put_block(1, bytes(524288)), str)
    assert_type(w.snapshot, Snapshot)
