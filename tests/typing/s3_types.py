"""Type-checked only (mypy --strict, pyright strict): what awskit.s3 hands back."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

from mypy_boto3_s3 import S3Client
from typing_extensions import assert_type

import awskit
from awskit.s3 import S3, Bucket, BucketInfo, ObjectInfo, ObjectStream, PutResult


def buckets(aws: awskit.Session) -> None:
    s3 = aws.s3
    assert_type(s3, S3)
    assert_type(s3.client, S3Client)
    assert_type(s3.buckets(), Iterator[BucketInfo])
    for info in s3.buckets():
        assert_type(info.name, str)
        assert_type(info.created_at, dt.datetime)
        assert_type(info.region, str | None)
    assert_type(s3.bucket("my-bucket"), Bucket)
    assert_type(s3.create_bucket("my-bucket"), Bucket)
    assert_type(s3.create_bucket("my-bucket", region="eu-west-1"), Bucket)
    assert_type(s3.delete_bucket("my-bucket", empty=True), int)


def objects(bucket: Bucket, path: Path) -> None:
    assert_type(bucket.name, str)
    assert_type(bucket.put("test.jpg", b"data"), PutResult)
    assert_type(bucket.put("a.txt", "text", content_type="text/plain"), PutResult)
    assert_type(bucket.put("b", path, metadata={"k": "v"}), PutResult)
    with path.open("rb") as f:
        assert_type(bucket.put("c", f).etag, str)
    assert_type(bucket.put("d", io.BytesIO(b"x")).version_id, str | None)
    assert_type(bucket.get("test.jpg"), bytes)
    with bucket.open("test.jpg") as stream:
        assert_type(stream, ObjectStream)
        assert_type(stream.read(), bytes)
        assert_type(stream.metadata, dict[str, str])
        assert_type(stream.size, int)
        text = io.TextIOWrapper(stream, encoding="utf-8")
        assert_type(text.readline(), str)
    assert_type(bucket.exists("test.jpg"), bool)
    assert_type(bucket.presigned_url("test.jpg", expires_in=60), str)
    assert_type(bucket.delete("test.jpg"), None)
    assert_type(bucket.delete_many(["a", "b"]), int)
    assert_type(bucket.upload_file(path, "big.bin", progress=lambda done, total: None), None)
    assert_type(bucket.download_file("big.bin", "out.bin"), None)
    assert_type(bucket.objects(prefix="logs/"), Iterator[ObjectInfo])
    for obj in bucket.objects(start_after="a"):
        assert_type(obj.key, str)
        assert_type(obj.size, int)
        assert_type(obj.etag, str)
        assert_type(obj.last_modified, dt.datetime)
        assert_type(obj.storage_class, str)
