"""One S3 bucket's objects: [Bucket][awskit.s3.Bucket], the handle every object operation goes
through.

Single objects (put, get, open, exists, delete, presigned URLs), many objects (listing,
batched deletes that never lose a key) and transfers through boto3's transfer manager
(multipart, concurrent parts, monotonic progress from its threads). The decisions (request
shapes, checks, delete plans) are `awskit.s3.plans`, shared with `awskit.aio`.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from .._errors import (
    NotFound,
    PartialFailure,
    aws_errors,
    logger,
    translates_errors,
)
from .._paging import Page, Paged, token_pages
from .models import Body, ObjectInfo, ObjectStream, Progress, PutResult
from .plans import (
    DeletePlan,
    Entry,
    VersionSweep,
    check_path_body,
    check_presign,
    check_seekable_size,
    check_stream,
    download_target,
    inline_body,
    object_info,
    objects_request,
    put_request,
    region_from_head,
    region_of_location,
    seekable,
    stream_bytes,
    upload_plan,
)
from .rules import (
    check_key,
    unquote_etag,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from s3transfer.futures import TransferFuture

    from . import S3

__all__ = [
    "Bucket",
    "find_bucket_region",
    "translated",
]

log = logger("awskit.s3")


def translated(fetch: Callable[[Any], Page[Any]]) -> Callable[[Any], Page[Any]]:
    """``fetch`` with its ClientErrors translated, for `Paged`.

    Paged calls fetch lazily, while the caller iterates: translate there, page by page.
    """

    def wrapped(token: Any) -> Page[Any]:
        with aws_errors():
            return fetch(token)

    return wrapped


def find_bucket_region(client: S3Client, name: str) -> str | None:
    """The region of bucket ``name``, or ``None`` when S3 does not say.

    HeadBucket carries ``x-amz-bucket-region`` on success and on the 301 and 403 it
    answers for a bucket elsewhere or someone else's; GetBucketLocation is asked only
    when it does not (it needs ``s3:GetBucketLocation`` and the owner's account).
    """
    try:
        response: Any = client.head_bucket(Bucket=name)
    except ClientError as exc:
        response = exc.response
    except BotoCoreError as exc:
        log.info("HeadBucket %s: %s", name, exc)
        response = {}
    region = region_from_head(response)
    if region:
        return region
    try:
        location = client.get_bucket_location(Bucket=name)
    except (ClientError, BotoCoreError) as exc:
        log.info("the region of bucket %s is unknown (%s): signing for the session's", name, exc)
        return None
    return region_of_location(location.get("LocationConstraint"))


class Bucket:
    """One bucket: put, get, stream, transfer, list, delete and presign its objects.

    Keys are checked (1-1024 UTF-8 bytes) before any request. Missing buckets and keys are
    [NotFound][awskit.NotFound] (``NoSuchBucket``, ``NoSuchKey``, or a bare 404 for HEAD).

    Example:
        ```python
        bucket = aws.s3.bucket("my-bucket")
        bucket.put("hello.txt", "hello")
        assert bucket.get("hello.txt") == b"hello"
        ```
    """

    def __init__(self, s3: S3, name: str) -> None:
        self._s3 = s3
        self.name = name

    def __repr__(self) -> str:
        return f"Bucket({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bucket) and other._s3 is self._s3 and other.name == self.name

    def __hash__(self) -> int:
        return hash(("s3-bucket", self.name))

    @property
    def client(self) -> S3Client:
        """The shared, typed boto3 client (escape hatch)."""
        return self._s3.client

    # -- single objects ----------------------------------------------------------------------

    @translates_errors
    def put(
        self,
        key: str,
        data: Body,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> PutResult:
        """Store ``data`` at ``key`` with one PutObject (at most 5 GiB; use ``upload_file``
        for large files: it sends parts in parallel and retries them one by one).

        ``data`` is bytes, a ``str`` (stored as UTF-8 text), a ``pathlib.Path`` (the file's
        contents) or a binary file object, read from its current position (a stream
        that cannot seek, such as a pipe, is read into memory first).
        ``content_type`` defaults to a guess from the key's extension (``str`` data gets
        ``; charset=utf-8``); ``metadata`` becomes ``x-amz-meta-*`` (2 KiB in all).

        Example:
            ```python
            bucket.put("test.jpg", Path("test.jpg"))      # Content-Type image/jpeg
            bucket.put("notes.txt", "héllo")
            ```
        """
        kwargs = put_request(self.name, key, data, content_type, metadata)
        if isinstance(data, (str, bytes, bytearray, memoryview)):
            return self._put(kwargs, inline_body(data))
        if isinstance(data, Path):
            check_path_body(data)
            with data.open("rb") as handle:
                return self._put(kwargs, handle)
        check_stream(data)
        if not seekable(data):
            # PutObject needs the length up front and botocore rewinds to retry: a pipe
            # or socket is read into memory first (upload_file streams large files).
            return self._put(kwargs, stream_bytes(data.read()))
        start = check_seekable_size(data)
        # botocore rewinds a body to offset 0 before a retry, which for a file read from
        # the middle would silently store different bytes: present it from here on.
        return self._put(kwargs, _FromHere(data, start) if start else data)

    def _put(self, kwargs: dict[str, Any], body: Any) -> PutResult:
        start = None if isinstance(body, bytes) else body.tell()

        def once() -> Any:
            # Each attempt is a new PutObject: it must send the body from where it starts.
            if start is not None:
                body.seek(start)
            return self.client.put_object(Body=body, **kwargs)

        response = self._s3.session.retry.call(once, operation="PutObject")
        return PutResult(
            kwargs["Key"], unquote_etag(response.get("ETag")), response.get("VersionId")
        )

    @translates_errors
    def get(self, key: str) -> bytes:
        """The whole object at ``key``, in memory (use [open][awskit.s3.Bucket.open] or
        [download_file][awskit.s3.Bucket.download_file] for large objects).

        Raises:
            NotFound: no such key (``NoSuchKey``) or bucket (``NoSuchBucket``).
        """
        check_key(key)

        def once() -> bytes:
            # The body is read inside the attempt: a connection dropped mid-object is
            # retried like one dropped before the answer.
            response = self.client.get_object(Bucket=self.name, Key=key)
            with contextlib.closing(response["Body"]) as body:
                data: bytes = body.read()
            return data

        return self._s3.session.retry.call(once, operation="GetObject")

    @translates_errors
    def open(self, key: str) -> ObjectStream:
        """Stream the object at ``key``: a binary file to read from, then close.

        The GetObject request is sent now (so a missing key raises here, as ``NotFound``);
        the body arrives as it is read.

        Example:
            ```python
            with bucket.open("big.csv") as f:
                for line in io.TextIOWrapper(f, encoding="utf-8"):
                    ...
            ```
        """
        check_key(key)
        return ObjectStream(key, self._s3._calls.get_object(Bucket=self.name, Key=key))

    @translates_errors
    def exists(self, key: str) -> bool:
        """True if ``key`` exists (one HeadObject).

        HEAD responses carry no error body, so a missing bucket is a 404 like a missing
        key: both are ``False``. Other errors (403, throttling) are raised.
        """
        check_key(key)
        try:
            self._s3._calls.head_object(Bucket=self.name, Key=key)
        except NotFound:
            return False
        return True

    @translates_errors
    def delete(self, key: str) -> None:
        """Delete the object at ``key``.

        Like S3's DeleteObject, deleting a key that does not exist succeeds (a versioned
        bucket records a delete marker); a missing bucket is ``NotFound``.
        """
        check_key(key)
        self._s3._calls.delete_object(Bucket=self.name, Key=key)

    def presigned_url(self, key: str, expires_in: int = 3600, method: str = "get_object") -> str:
        """A URL anyone can use, without credentials, for ``expires_in`` seconds.

        The URL is signed locally with SigV4 and the session's credentials (a URL cannot
        outlive temporary ones), for the bucket's own region: a SigV4 signature names its
        region, and S3 refuses one signed for another. That region is asked once per
        bucket (HeadBucket, else GetBucketLocation) and cached on the facade; when S3
        does not say (no such bucket yet, no permission), the session's region is used.
        The URL points at the regional endpoint:
        ``https://bucket.s3.REGION.amazonaws.com/key`` where the bucket name is
        DNS-compatible without dots, ``https://s3.REGION.amazonaws.com/bucket/key``
        otherwise; a session with an ``endpoint_url`` keeps that endpoint. ``method``
        is one of ``get_object``, ``put_object``, ``head_object`` or ``delete_object``;
        SigV4 URLs last 1 second to 7 days.

        Raises:
            InvalidInput: a bad key, ``expires_in`` outside 1 s to 7 days, or an unknown
                ``method``, before any request.

        Example:
            ```python
            url = bucket.presigned_url("test.jpg", expires_in=600)
            urllib.request.urlopen(url).read()
            ```
        """
        check_presign(key, expires_in, method)
        region = self._s3._bucket_region(self.name)
        with aws_errors():
            return self._s3._presigning_client(region).generate_presigned_url(
                method,
                Params={"Bucket": self.name, "Key": key},
                ExpiresIn=expires_in,
            )

    # -- many objects --------------------------------------------------------------------------

    def objects(
        self, prefix: str = "", start_after: str | None = None, *, limit: int | None = None
    ) -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix``, in key order, over every page.

        ListObjectsV2 returns up to 1,000 keys a page; pages are fetched as the iteration
        reaches them. ``start_after`` lists keys after that one; ``limit`` stops early.

        Example:
            ```python
            total = sum(obj.size for obj in bucket.objects(prefix="logs/2024/"))
            ```
        """
        kwargs = objects_request(self.name, prefix, start_after)
        fetch = token_pages(
            self._s3._calls.list_objects_v2,
            "Contents",
            request_token="ContinuationToken",
            response_token="NextContinuationToken",
            **kwargs,
        )
        return Paged(translated(fetch), limit=limit).map(object_info)

    @translates_errors
    def delete_many(self, keys: Iterable[str]) -> int:
        """Delete any number of keys, 1,000 per DeleteObjects request; returns how many.

        Every key is checked before the first request. DeleteObjects answers 200 even
        when some keys failed; those with a retryable code (``InternalError``,
        ``SlowDown``, ...) are sent again under the session's retry policy.

        Raises:
            PartialFailure: some keys were still not deleted; ``failed`` is exactly those
                keys (str) in input order, and the message counts their error codes.
                Everything else was deleted.
        """
        plan = DeletePlan(self.name, keys)
        for batch in plan.batches():
            self._delete_batch(plan, batch)
        return plan.result()

    def _delete_batch(self, plan: DeletePlan, batch: list[Entry]) -> None:
        """One DeleteObjects batch of ``plan``, drained under the session's retry rule."""
        client = self.client

        def attempt(pending: list[Entry]) -> list[Entry]:
            return plan.answered(pending, client.delete_objects(**plan.request(pending)))

        try:
            self._s3.session.retry.drain(batch, attempt, what=plan.noun)
        except PartialFailure as exc:
            plan.gave_up(exc)

    def _empty(self) -> int:
        """Delete every object version and delete marker (see
        [S3.delete_bucket][awskit.s3.S3.delete_bucket]); returns how many."""
        sweep = VersionSweep(self.name)
        plan = DeletePlan(self.name, versions=True)
        calls = self._s3._calls
        while not sweep.done:
            entries = sweep.read(calls.list_object_versions(**sweep.request()))
            for batch in plan.batches(entries):
                self._delete_batch(plan, batch)
        return plan.result()

    # -- transfers -----------------------------------------------------------------------------

    def _transfer_config(self) -> Any:
        from boto3.s3.transfer import TransferConfig

        # Parts of 8 MiB from 8 MiB up (boto3's defaults), as many in flight as the session
        # allows; the shared client's connection pool is sized for that.
        return TransferConfig(
            max_concurrency=self._s3.session.max_concurrency,
            preferred_transfer_client="classic",
        )

    @translates_errors
    def upload_file(
        self,
        path: str | os.PathLike[str],
        key: str,
        progress: Progress | None = None,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        """Upload a local file through boto3's transfer manager.

        Files of 8 MiB or more go up as a multipart upload, parts of 8 MiB sent
        ``session.max_concurrency`` at a time (S3 allows 10,000 parts of 5 MiB-5 GiB, so
        objects up to 5 TiB); a failed part is retried alone. ``progress(done, total)`` is
        called from the transfer threads, one call at a time, with ``done`` rising to
        exactly ``total``. ``content_type`` defaults to a guess from the key.

        Example:
            ```python
            bucket.upload_file("backup.tar", "backups/2024.tar",
                               progress=lambda done, total: print(f"{done}/{total}"))
            ```
        """
        source, extra = upload_plan(path, key, content_type, metadata)
        self._transfer("upload", str(source), key, extra, progress)

    @translates_errors
    def download_file(
        self, key: str, path: str | os.PathLike[str], progress: Progress | None = None
    ) -> None:
        """Download the object at ``key`` to ``path`` through boto3's transfer manager.

        Objects of 8 MiB or more come down in ranged parts, concurrently, each pinned to
        the object's ETag (``IfMatch``) so a concurrent overwrite cannot mix two versions.
        The file is written under a temporary name and renamed when complete.
        ``progress(done, total)`` as for [upload_file][awskit.s3.Bucket.upload_file].

        Raises:
            NotFound: no such key or bucket.
        """
        target = download_target(key, path)
        self._transfer("download", str(target), key, {}, progress)

    def _transfer(
        self,
        direction: str,
        filename: str,
        key: str,
        extra: dict[str, Any],
        progress: Progress | None,
    ) -> None:
        from boto3.s3.transfer import create_transfer_manager
        from s3transfer.exceptions import RetriesExceededError

        adapter = _ProgressAdapter(progress) if progress is not None else None
        subscribers = [adapter.subscriber()] if adapter is not None else None

        def once() -> int:
            # One attempt of the one retry rule is one whole transfer: s3transfer has
            # retried its parts and streams; what outlived that starts over (the progress
            # callback only ever sees a new high-water mark).
            with create_transfer_manager(self.client, self._transfer_config()) as manager:
                if direction == "upload":
                    future = manager.upload(filename, self.name, key, extra, subscribers)
                else:
                    future = manager.download(self.name, key, filename, extra, subscribers)
                try:
                    future.result()
                except RetriesExceededError as exc:
                    # A download whose stream kept breaking after s3transfer's retries.
                    raise exc.last_exception from exc
                return int(future.meta.size or 0)

        operation = "PutObject" if direction == "upload" else "GetObject"
        size = self._s3.session.retry.call(once, operation=operation)
        if adapter is not None:
            adapter.finish(size)


class _FromHere(io.RawIOBase):
    """A seekable binary stream seen from ``start`` on: offset 0 here is ``start`` there."""

    def __init__(self, raw: IO[bytes], start: int) -> None:
        super().__init__()
        self._raw = raw
        self._start = start

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._raw.read(-1 if size is None else size)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._raw.read(len(view))
        view[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            offset += self._start
        return self._raw.seek(offset, whence) - self._start

    def tell(self) -> int:
        return self._raw.tell() - self._start


class _ProgressAdapter:
    """Turns s3transfer's per-chunk byte counts, from many threads, into ``(done, total)``.

    s3transfer reports each chunk as it goes and *negative* counts when it rewinds a part
    to retry it; the callback only ever sees a new high-water mark, so it is monotonic and
    a retried part is not counted twice. Calls are serialised under a lock.
    """

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._lock = threading.Lock()
        self._net = 0
        self._reported = -1
        self.total = 0

    def on_progress(self, future: TransferFuture, bytes_transferred: int, **_: Any) -> None:
        with self._lock:
            self._net += bytes_transferred
            self.total = int(future.meta.size or 0)
            if self._net > self._reported:
                self._reported = self._net
                self._progress(self._net, self.total)

    def finish(self, total: int) -> None:
        # An empty object moves no bytes, so s3transfer never calls back; say it is done.
        with self._lock:
            if self._reported < 0:
                self._reported = total
                self._progress(total, total)

    def subscriber(self) -> Any:
        from s3transfer.subscribers import BaseSubscriber

        adapter = self

        class _Subscriber(BaseSubscriber):
            def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
                adapter.on_progress(future, bytes_transferred)

        return _Subscriber()
