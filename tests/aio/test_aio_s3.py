"""awskit.aio S3 against moto: the blocking bucket's contract, awaited; transfers in parts
with bounded concurrency, monotonic progress, and nothing left behind on failure."""

from __future__ import annotations

import asyncio
import itertools
import os
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import awskit
import awskit.aio
import awskit.aio.s3
from awskit.s3.rules import MAX_PARTS, PART_BYTES, part_ranges
from tests.aio.conftest import AsyncSleeps, Connect, aio_session, require_aio
from tests.faults import FaultProxy

require_aio()

BIG = 2 * PART_BYTES + 12345  # three parts


@given(size=st.integers(0, 10**13), part=st.sampled_from([1, 5 * 1024**2, PART_BYTES]))
def test_parts_cover_the_object_in_order_within_s3s_limits(size: int, part: int) -> None:
    ranges = part_ranges(size, part)
    assert len(ranges) <= MAX_PARTS
    assert ranges[0][0] == 0 and sum(length for _, length in ranges) == size
    for (start, length), (after, _) in itertools.pairwise(ranges):
        assert start + length == after and length >= part


def test_put_get_exists_delete_and_list_like_the_blocking_bucket(
    aio_connect: Connect, aws: awskit.Session, tmp_path: Path
) -> None:
    async def main() -> None:
        async with aio_connect() as aio:
            bucket = await aio.s3.create_bucket("aio-bucket")
            with pytest.raises(awskit.AlreadyExists):
                await aio.s3.create_bucket("aio-bucket")
            result = await bucket.put("notes.txt", "héllo", metadata={"a": "b"})
            assert result.key == "notes.txt" and result.etag
            await bucket.put("raw.bin", b"\x00\x01")
            path = tmp_path / "file.json"
            path.write_bytes(b"{}")
            await bucket.put("dir/file.json", path)
            assert await bucket.get("notes.txt") == "héllo".encode()
            assert await bucket.exists("raw.bin") and not await bucket.exists("nope")
            keys = [o.key async for o in bucket.objects()]
            assert keys == ["dir/file.json", "notes.txt", "raw.bin"]
            assert [o.key async for o in bucket.objects(prefix="dir/")] == ["dir/file.json"]
            assert [o.key async for o in bucket.objects(limit=1)] == ["dir/file.json"]
            await bucket.delete("raw.bin")
            with pytest.raises(awskit.NotFound):
                await bucket.get("raw.bin")
            assert [b.name async for b in aio.s3.buckets()] == ["aio-bucket"]
            url = await bucket.presigned_url("notes.txt", expires_in=60)
            body = await asyncio.to_thread(lambda: urllib.request.urlopen(url).read())
            assert body == "héllo".encode()

    asyncio.run(main())
    # What asyncio stored, the blocking API reads as stored.
    sync_bucket = aws.s3.bucket("aio-bucket")
    assert sync_bucket.get("dir/file.json") == b"{}"
    head = sync_bucket.client.head_object(Bucket="aio-bucket", Key="notes.txt")
    assert head["ContentType"] == "text/plain; charset=utf-8" and head["Metadata"] == {"a": "b"}


def test_wrong_input_is_refused_before_any_request(aio_connect: Connect, tmp_path: Path) -> None:
    async def main() -> list[str]:
        async with aio_connect() as aio:
            sent: list[str] = []
            client = await aio.s3.client()
            client.meta.events.register("before-send", lambda **kw: sent.append("x"))
            bucket = aio.s3.bucket("bkt")
            cases: list[tuple[str, Any]] = [
                ("bucket", lambda: aio.s3.create_bucket("Bad_Name")),
                ("key", lambda: bucket.put("", b"x")),
                ("data", lambda: bucket.put("k", 3)),
                ("expires_in", lambda: bucket.presigned_url("k", expires_in=0)),
                ("method", lambda: bucket.presigned_url("k", method="post")),
                ("path", lambda: bucket.upload_file(tmp_path / "missing", "k")),
                ("path", lambda: bucket.download_file("k", tmp_path)),
            ]
            for field, call in cases:
                with pytest.raises(awskit.InvalidInput) as info:
                    await call()
                assert info.value.field in (field, "name"), field
            with pytest.raises(awskit.InvalidInput):
                bucket.objects(prefix="x" * 2000)
            return sent

    assert asyncio.run(main()) == []


def test_files_go_up_and_down_in_parts_with_monotonic_progress(
    aio_connect: Connect, aws: awskit.Session, tmp_path: Path
) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(BIG))
    up: list[tuple[int, int]] = []
    down: list[tuple[int, int]] = []

    async def main() -> None:
        async with aio_connect(max_concurrency=2) as aio:
            bucket = await aio.s3.create_bucket("transfers")
            await bucket.upload_file(source, "big.bin", progress=lambda d, t: up.append((d, t)))
            await bucket.download_file(
                "big.bin", tmp_path / "back.bin", progress=lambda d, t: down.append((d, t))
            )
            empty = tmp_path / "empty"
            empty.write_bytes(b"")
            seen: list[tuple[int, int]] = []
            await bucket.upload_file(empty, "empty", progress=lambda d, t: seen.append((d, t)))
            await bucket.download_file("empty", tmp_path / "empty.back")
            assert seen == [(0, 0)] and (tmp_path / "empty.back").read_bytes() == b""

    asyncio.run(main())
    assert (tmp_path / "back.bin").read_bytes() == source.read_bytes()
    for calls in (up, down):
        assert calls[-1] == (BIG, BIG) and len(calls) == 3
        assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    # A multipart upload: S3 says so in the ETag ("<md5>-<parts>").
    assert (
        aws.s3.bucket("transfers")
        .client.head_object(Bucket="transfers", Key="big.bin")["ETag"]
        .strip('"')
        .endswith("-3")
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "back.bin", "big.bin", "empty", "empty.back"
    ]  # fmt: skip


def test_a_failed_transfer_leaves_no_parts_and_no_file(
    fault_proxy: FaultProxy, async_sleeps: AsyncSleeps, aws: awskit.Session, tmp_path: Path
) -> None:
    from aiobotocore.config import AioConfig

    aws.s3.create_bucket("fails")
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(BIG))

    async def main() -> None:
        async with aio_session(
            fault_proxy.url,
            async_sleeps,
            retry=awskit.RetryPolicy(max_attempts=1),
            config=AioConfig(retries={"mode": "standard", "total_max_attempts": 1}),
        ) as aio:
            bucket = aio.s3.bucket("fails")
            fault_proxy.add("5xx", service="s3", operation="UploadPart")
            with pytest.raises(awskit.AwskitError):
                await bucket.upload_file(source, "big.bin")
            await bucket.put("there", b"x" * 10)
            with pytest.raises(awskit.NotFound):
                await bucket.download_file("missing", tmp_path / "out.bin")
            fault_proxy.add("5xx", service="s3", operation="GetObject")
            with pytest.raises(awskit.AwskitError):
                await bucket.download_file("there", tmp_path / "out.bin")

    asyncio.run(main())
    client = aws.s3.bucket("fails").client
    assert client.list_multipart_uploads(Bucket="fails").get("Uploads", []) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.bin"]
