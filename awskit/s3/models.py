"""What awskit.s3 hands back and takes: bucket and object records, streamed bodies.

Frozen dataclasses for what ListBuckets, ListObjectsV2 and PutObject report, the
[ObjectStream][awskit.s3.ObjectStream] file object over a GetObject body, and the ``Body`` and
``Progress`` types [Bucket][awskit.s3.Bucket] accepts.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .._errors import aws_errors
from .rules import unquote_etag

__all__ = [
    "Body",
    "BucketInfo",
    "ObjectInfo",
    "ObjectStream",
    "Progress",
    "PutResult",
    "StreamHead",
]

Progress = Callable[[int, int], object]
"""``progress(done_bytes, total_bytes)``."""
Body = bytes | bytearray | memoryview | str | Path | IO[bytes]
"""What [Bucket.put][awskit.s3.Bucket.put] accepts."""


@dataclass(frozen=True)
class BucketInfo:
    """A bucket as ListBuckets reports it; ``region`` is ``None`` where S3 does not say."""

    name: str
    created_at: dt.datetime
    region: str | None = None


@dataclass(frozen=True)
class ObjectInfo:
    """An object as ListObjectsV2 reports it. ``etag`` is without the quotes."""

    key: str
    size: int
    etag: str
    last_modified: dt.datetime
    storage_class: str = "STANDARD"


@dataclass(frozen=True)
class PutResult:
    """What PutObject answered: the new object's ETag (unquoted) and version, if versioned."""

    key: str
    etag: str
    version_id: str | None = None


class StreamHead:
    """What a GetObject answer says of the object, on the file objects that stream its body
    (the blocking [ObjectStream][awskit.s3.ObjectStream] and its asyncio twin)."""

    key: str
    name: str
    size: int
    content_type: str | None
    etag: str
    last_modified: dt.datetime | None
    metadata: dict[str, str]

    def _read_head(self, key: str, response: Mapping[str, Any]) -> None:
        self.key = key
        #: The key, as ``name`` is for files (``io.TextIOWrapper`` reports it).
        self.name = key
        self.size = int(response.get("ContentLength", 0))
        self.content_type = response.get("ContentType")
        self.etag = unquote_etag(response.get("ETag"))
        self.last_modified = response.get("LastModified")
        self.metadata = dict(response.get("Metadata", {}))


class ObjectStream(StreamHead, io.RawIOBase):
    """An object's body as a binary, readable file, streamed from S3.

    Close it (or use ``with``): it holds a pooled HTTP connection until closed. botocore
    checks the length when the end is read, so a truncated body raises instead of ending.
    """

    def __init__(self, key: str, response: Mapping[str, Any]) -> None:
        super().__init__()
        self._body = response["Body"]
        self._read_head(key, response)

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        with aws_errors():
            data: bytes = self._body.read(None if size is None or size < 0 else size)
        return data

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()

    def __repr__(self) -> str:
        return f"ObjectStream(key={self.key!r}, size={self.size})"
