"""Amazon S3 on asyncio: the [awskit.s3][awskit.s3] facade, awaited.

Every check and request shape is the blocking API's own (``awskit.s3.rules`` and the pure
functions of ``awskit.s3.plans``: ``put_request``, ``check_stream``, ``stream_bytes``,
``objects_request``, ``object_info``, ``DeletePlan``, ``VersionSweep``,
``check_seekable_size``, ``check_presign``, ``upload_plan``,
``download_target``, ``region_from_head``; the facade's ``create_bucket_request``; the
stream's ``StreamHead``). Transfers differ in how they wait: the blocking API
hands files to s3transfer's threads; here parts of ``part_ranges`` go up and down as
tasks, at most the session's ``max_concurrency`` at once, and every file read and write
runs in a thread (``asyncio.to_thread``), so neither the loop nor memory is held by a
large file (at most ``max_concurrency`` parts of 8 MiB are in memory).

```python
async with awskit.aio.connect() as aws:
    bucket = await aws.s3.create_bucket("my-bucket")
    await bucket.put("hello.txt", "hello")
    assert await bucket.get("hello.txt") == b"hello"
```
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast

from botocore.exceptions import BotoCoreError, ClientError

from .._errors import (
    AwskitError,
    NotFound,
    PartialFailure,
    aws_errors,
    translates_errors,
)
from .._paging import AsyncPaged, token_pages_async
from .._retry import call_async, drain_async
from ..s3 import already_owned, create_bucket_request
from ..s3.models import BucketInfo, ObjectInfo, Progress, PutResult, StreamHead
from ..s3.plans import (
    DeletePlan,
    Entry,
    VersionSweep,
    check_path_body,
    check_presign,
    check_seekable_size,
    check_stream,
    download_target,
    inline_body,
    is_aws_endpoint,
    object_info,
    objects_request,
    presign_config,
    put_request,
    region_from_head,
    region_of_location,
    seekable,
    stream_bytes,
    upload_plan,
)
from ..s3.rules import PART_BYTES, check_bucket_name, check_key, part_ranges
from ..s3.rules import unquote_etag as _unquote

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

    from ._session import Session

__all__ = ["S3", "Bucket", "ObjectOpener", "ObjectStream"]

R = TypeVar("R")


class S3:
    """Amazon S3 on asyncio: ``aws.s3`` of an [awskit.aio.Session][awskit.aio.Session]."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._presigners: dict[str | None, Any] = {}
        self._regions: dict[str, str] = {}
        self._lock = asyncio.Lock()

    async def client(self) -> S3Client:
        """The shared, typed aiobotocore client (escape hatch)."""
        return await self._session.client("s3")

    async def _calls(self) -> S3Client:
        return await self._session.calls("s3")

    async def _call(self, func: Callable[[], Awaitable[R]], operation: str) -> R:
        """``func`` (one whole request, body read included) under the one retry rule."""
        session = self._session
        return await call_async(session.retry, func, operation=operation, sleep=session.sleep)

    def bucket(self, name: str) -> Bucket:
        """A handle on bucket ``name``; no request is sent until an object call needs one."""
        return Bucket(self, check_bucket_name(name, legacy=True))

    def buckets(self) -> AsyncPaged[BucketInfo]:
        """Every bucket the caller owns, over every page of ListBuckets."""

        async def list_buckets(**kwargs: Any) -> Any:
            return await (await self._calls()).list_buckets(**kwargs)

        fetch = token_pages_async(
            list_buckets, "Buckets", request_token="ContinuationToken", MaxBuckets=10_000
        )
        return AsyncPaged(fetch).map(
            lambda raw: BucketInfo(raw["Name"], raw["CreationDate"], raw.get("BucketRegion"))
        )

    @translates_errors
    async def create_bucket(self, name: str, region: str | None = None) -> Bucket:
        """Create bucket ``name``, as [S3.create_bucket][awskit.s3.S3.create_bucket].

        Raises:
            InvalidInput: ``name`` breaks S3's naming rules.
            AlreadyExists: the caller or another account already owns the bucket.
        """
        request, ask_first = create_bucket_request(name, region, self._session.region)
        calls = await self._calls()
        if ask_first:
            try:
                head = await calls.head_bucket(Bucket=name)
            except AwskitError:
                pass  # 404 (free), 403 (someone else's), 301 (elsewhere): CreateBucket says.
            else:
                raise already_owned(name, cast(Mapping[str, Any], head))
        await calls.create_bucket(**request)
        return Bucket(self, name)

    @translates_errors
    async def delete_bucket(self, name: str, *, empty: bool = False) -> int:
        """Delete bucket ``name``; with ``empty=True``, everything in it first, as
        [S3.delete_bucket][awskit.s3.S3.delete_bucket]: every object version and delete
        marker is listed (ListObjectVersions) and deleted by version id, 1,000 per
        DeleteObjects request, then the bucket, whether it is unversioned, versioned or
        versioning-suspended. Returns how many object versions and delete markers were
        deleted (for an unversioned bucket, its objects); 0 without ``empty``.

        Raises:
            InvalidInput: ``name`` is not a bucket name.
            NotFound: there is no such bucket (``NoSuchBucket``).
            PartialFailure: ``empty=True`` and some versions or delete markers could not
                be deleted (``failed`` lists their keys, each once); DeleteBucket is not
                sent: the bucket is left in place.
            AwskitError: code ``BucketNotEmpty`` when something remains.
        """
        bucket = self.bucket(name)
        deleted = await bucket._empty() if empty else 0
        await (await self._calls()).delete_bucket(Bucket=bucket.name)
        return deleted

    async def _bucket_region(self, name: str) -> str | None:
        """The region of bucket ``name`` (as ``find_bucket_region``), cached once known."""
        region = self._regions.get(name)
        if region is not None:
            return region
        client = await self.client()
        try:
            response: Any = await client.head_bucket(Bucket=name)
        except ClientError as exc:
            response = exc.response
        except BotoCoreError:
            response = {}
        region = region_from_head(response)
        if region is None:
            try:
                location = await client.get_bucket_location(Bucket=name)
            except (ClientError, BotoCoreError):
                return None
            region = region_of_location(location.get("LocationConstraint"))
        self._regions[name] = region
        return region

    async def _presigner(self, region: str | None) -> Any:
        """A client that only signs, for ``region``, made once (see the blocking facade)."""
        presigner = self._presigners.get(region)
        if presigner is not None:
            return presigner
        async with self._lock:
            presigner = self._presigners.get(region)
            if presigner is None:
                session = self._session
                custom = not is_aws_endpoint((await self.client()).meta.endpoint_url)
                config = presign_config(session.botocore_config(), custom_endpoint=custom)
                with aws_errors():
                    presigner = await session._stack.enter_async_context(
                        session.session.create_client(  # type: ignore[call-overload, unused-ignore]
                            "s3",
                            region_name=region or session.region or "us-east-1",
                            endpoint_url=session.endpoint_url,
                            config=config,
                        )
                    )
                self._presigners[region] = presigner
            return presigner


class Bucket:
    """One bucket on asyncio, as [awskit.s3.Bucket][awskit.s3.Bucket], awaited.

    ``put`` takes bytes, a ``str``, a ``pathlib.Path`` or a binary file object (files are
    read in a thread); stream large files with ``upload_file``.
    """

    def __init__(self, s3: S3, name: str) -> None:
        self._s3 = s3
        self.name = name

    def __repr__(self) -> str:
        return f"Bucket({self.name!r})"

    # -- single objects ----------------------------------------------------------------------

    @translates_errors
    async def put(
        self,
        key: str,
        data: bytes | bytearray | memoryview | str | Path | IO[bytes],
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> PutResult:
        """Store ``data`` at ``key`` with one PutObject (at most 5 GiB), as
        [Bucket.put][awskit.s3.Bucket.put].

        ``data`` is bytes, a ``str`` (stored as UTF-8), a ``pathlib.Path`` or a binary
        file object, read from its current position. Files are read whole into memory, in
        a thread (``asyncio.to_thread``), before the request: the loop never waits on the
        disk, and a retried PutObject sends the same bytes. A seekable file's size is
        checked before it is read. Use [upload_file][awskit.aio.s3.Bucket.upload_file]
        for large files: it sends parts of 8 MiB, a few at a time.

        Raises:
            InvalidInput: a bad key, metadata, content type or body (not binary, over
                5 GiB), before any request.
        """
        kwargs = put_request(self.name, key, data, content_type, metadata)
        if isinstance(data, (str, bytes, bytearray, memoryview)):
            body = inline_body(data)
        elif isinstance(data, Path):
            check_path_body(data)
            body = await asyncio.to_thread(data.read_bytes)
        else:
            check_stream(data)
            body = await asyncio.to_thread(_read_stream, data)
        calls = await self._s3._calls()
        response = await calls.put_object(Body=body, **kwargs)
        return PutResult(key, _unquote(response.get("ETag")), response.get("VersionId"))

    @translates_errors
    async def get(self, key: str) -> bytes:
        """The whole object at ``key``, in memory (``download_file`` for large objects).

        Raises:
            NotFound: no such key or bucket.
        """
        check_key(key)
        client = await self._s3.client()

        async def once() -> bytes:
            # The body is read inside the attempt: a connection dropped mid-object is
            # retried like one dropped before the answer.
            response = await client.get_object(Bucket=self.name, Key=key)
            async with response["Body"] as body:
                data: bytes = await body.read()
            return data

        return await self._s3._call(once, "GetObject")

    def open(self, key: str) -> ObjectOpener:
        """Stream the object at ``key``: an async binary file to read from, then close, as
        [Bucket.open][awskit.s3.Bucket.open].

        Use it in ``async with`` (closed on exit) or await it (then close it yourself).
        The GetObject request is sent when it is entered or awaited (a missing key raises
        there, as ``NotFound``); the body arrives as it is read.

        Raises:
            InvalidInput: a bad key, at once.
            NotFound: no such key or bucket, when entered or awaited.

        Example:
            ```python
            async with bucket.open("big.csv") as f:
                header = await f.readline()
                async for line in f:
                    ...
            stream = await bucket.open("blob")
            try:
                data = await stream.read(1024)
            finally:
                await stream.aclose()
            ```
        """
        check_key(key)

        async def start() -> ObjectStream:
            with aws_errors():
                response = await (await self._s3._calls()).get_object(Bucket=self.name, Key=key)
            return ObjectStream(key, cast(Mapping[str, Any], response))

        return ObjectOpener(start)

    @translates_errors
    async def exists(self, key: str) -> bool:
        """True if ``key`` exists (one HeadObject); a missing bucket is ``False`` too."""
        check_key(key)
        try:
            await (await self._s3._calls()).head_object(Bucket=self.name, Key=key)
        except NotFound:
            return False
        return True

    @translates_errors
    async def delete(self, key: str) -> None:
        """Delete the object at ``key`` (a key that does not exist is no error)."""
        check_key(key)
        await (await self._s3._calls()).delete_object(Bucket=self.name, Key=key)

    @translates_errors
    async def presigned_url(
        self, key: str, expires_in: int = 3600, method: str = "get_object"
    ) -> str:
        """A URL anyone can use for ``expires_in`` seconds, as
        [Bucket.presigned_url][awskit.s3.Bucket.presigned_url] (SigV4, the bucket's region).
        """
        check_presign(key, expires_in, method)
        region = await self._s3._bucket_region(self.name)
        presigner = await self._s3._presigner(region)
        url: str = await presigner.generate_presigned_url(
            method, Params={"Bucket": self.name, "Key": key}, ExpiresIn=expires_in
        )
        return url

    # -- many objects --------------------------------------------------------------------------

    def objects(
        self, prefix: str = "", start_after: str | None = None, *, limit: int | None = None
    ) -> AsyncPaged[ObjectInfo]:
        """Every object whose key starts with ``prefix``, in key order, over every page.

        Raises:
            InvalidInput: a bad ``prefix`` or ``start_after``, at once.
        """
        kwargs = objects_request(self.name, prefix, start_after)

        async def list_objects(**request: Any) -> Any:
            with aws_errors():
                return await (await self._s3._calls()).list_objects_v2(**request)

        fetch = token_pages_async(
            list_objects,
            "Contents",
            request_token="ContinuationToken",
            response_token="NextContinuationToken",
            **kwargs,
        )
        return AsyncPaged(fetch, limit=limit).map(object_info)

    @translates_errors
    async def delete_many(self, keys: Iterable[str]) -> int:
        """Delete any number of keys, 1,000 per DeleteObjects request; returns how many, as
        [Bucket.delete_many][awskit.s3.Bucket.delete_many].

        Every key is checked before the first request; a key given twice is deleted once.
        Requests go one after another; keys DeleteObjects reports with a retryable code
        (``InternalError``, ``SlowDown``, ...) are sent again under the session's retry
        policy.

        Raises:
            InvalidInput: ``keys`` is a single ``str``, or a key is not a valid key.
            PartialFailure: some keys were still not deleted; ``failed`` is exactly those
                keys in input order. Everything else was deleted.
        """
        plan = DeletePlan(self.name, keys)
        for batch in plan.batches():
            await self._delete_batch(plan, batch)
        return plan.result()

    async def _delete_batch(self, plan: DeletePlan, batch: list[Entry]) -> None:
        """One DeleteObjects batch of ``plan``, drained under the session's retry rule."""
        client = await self._s3.client()
        session = self._s3._session

        async def attempt(pending: list[Entry]) -> list[Entry]:
            response = await client.delete_objects(**plan.request(pending))
            return plan.answered(pending, cast(Mapping[str, Any], response))

        try:
            await drain_async(session.retry, batch, attempt, what=plan.noun, sleep=session.sleep)
        except PartialFailure as exc:
            plan.gave_up(exc)

    async def _empty(self) -> int:
        """Delete every object version and delete marker, as the blocking
        ``Bucket._empty``; returns how many."""
        sweep = VersionSweep(self.name)
        plan = DeletePlan(self.name, versions=True)
        calls = await self._s3._calls()
        while not sweep.done:
            page = await calls.list_object_versions(**sweep.request())
            for batch in plan.batches(sweep.read(cast(Mapping[str, Any], page))):
                await self._delete_batch(plan, batch)
        return plan.result()

    # -- transfers -----------------------------------------------------------------------------

    @translates_errors
    async def upload_file(
        self,
        path: str | os.PathLike[str],
        key: str,
        progress: Progress | None = None,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        """Upload a local file: one PutObject under 8 MiB, else a multipart upload whose
        parts go up ``max_concurrency`` at a time, each read in a thread when its turn
        comes and retried alone. ``progress(done, total)`` rises to exactly ``total``.

        A failed multipart upload is aborted, so no parts are left behind.
        """
        source, extra = upload_plan(path, key, content_type, metadata)
        size = (await asyncio.to_thread(source.stat)).st_size
        meter = _Meter(progress, size)
        calls = await self._s3._calls()
        if size < PART_BYTES:
            body = await asyncio.to_thread(source.read_bytes)
            await calls.put_object(Bucket=self.name, Key=key, Body=body, **extra)
            meter.add(len(body))
            meter.finish()
            return
        upload = await calls.create_multipart_upload(Bucket=self.name, Key=key, **extra)
        upload_id = upload["UploadId"]
        limit = asyncio.Semaphore(self._s3._session.max_concurrency)

        async def part(number: int, offset: int, length: int) -> dict[str, Any]:
            async with limit:
                data = await asyncio.to_thread(_read_at, source, offset, length)
                answer = await calls.upload_part(
                    Bucket=self.name, Key=key, UploadId=upload_id, PartNumber=number, Body=data
                )
                meter.add(length)
                return {"PartNumber": number, "ETag": answer["ETag"]}

        try:
            parts = await asyncio.gather(
                *(part(n, o, ln) for n, (o, ln) in enumerate(part_ranges(size), start=1))
            )
            await calls.complete_multipart_upload(
                Bucket=self.name,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": cast(Any, parts)},
            )
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.shield(
                    calls.abort_multipart_upload(Bucket=self.name, Key=key, UploadId=upload_id)
                )
            raise
        meter.finish()

    @translates_errors
    async def download_file(
        self, key: str, path: str | os.PathLike[str], progress: Progress | None = None
    ) -> None:
        """Download the object at ``key`` to ``path``, in ranged parts of 8 MiB fetched
        ``max_concurrency`` at a time, each pinned to the object's ETag (``IfMatch``) so a
        concurrent overwrite cannot mix two versions, and written in a thread. The file is
        written under a temporary name and renamed when complete; on failure it is removed.

        Raises:
            NotFound: no such key or bucket.
        """
        target = download_target(key, path)
        calls = await self._s3._calls()
        client = await self._s3.client()
        head = await calls.head_object(Bucket=self.name, Key=key)
        size, etag = int(head.get("ContentLength", 0)), str(head.get("ETag", ""))
        meter = _Meter(progress, size)
        temp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
        limit = asyncio.Semaphore(self._s3._session.max_concurrency)
        await asyncio.to_thread(_create, temp, size)

        async def part(offset: int, length: int) -> None:
            async with limit:

                async def once() -> bytes:
                    response = await client.get_object(
                        Bucket=self.name,
                        Key=key,
                        IfMatch=etag,
                        Range=f"bytes={offset}-{offset + length - 1}",
                    )
                    async with response["Body"] as body:
                        data: bytes = await body.read()
                    return data

                data = await self._s3._call(once, "GetObject")
                await asyncio.to_thread(_write_at, temp, offset, data)
                meter.add(len(data))

        try:
            if size:
                await asyncio.gather(*(part(o, ln) for o, ln in part_ranges(size)))
            await asyncio.to_thread(os.replace, temp, target)
        except BaseException:
            await asyncio.shield(asyncio.to_thread(_remove, temp))
            raise
        meter.finish()


class ObjectStream(StreamHead):
    """An object's body as an async binary file, streamed from S3: the asyncio twin of
    [awskit.s3.ObjectStream][awskit.s3.ObjectStream], with the same ``key``, ``size``,
    ``content_type``, ``etag``, ``last_modified`` and ``metadata``.

    ``await read(size)`` gives ``size`` bytes (fewer only at the end), ``await read()``
    the rest; ``readline`` and ``async for`` give lines, ending in ``b"\\n"`` but the last,
    as iterating a binary file does. Close it (``async with``, ``await aclose()`` or
    ``close()``): it holds a pooled HTTP connection until closed. aiobotocore checks the
    length when the end is read, so a truncated body raises instead of ending.
    """

    def __init__(self, key: str, response: Mapping[str, Any]) -> None:
        self._body = response["Body"]
        self._buffer = bytearray()
        self._closed = False
        self._read_head(key, response)

    @property
    def closed(self) -> bool:
        """Whether the stream was closed."""
        return self._closed

    def readable(self) -> bool:
        """True: the stream is read, never written."""
        return True

    async def _chunk(self, size: int) -> bytes:
        if self._closed:
            raise ValueError("I/O operation on closed file")
        with aws_errors():
            data: bytes = await self._body.read(size)
        return data

    async def read(self, size: int | None = -1) -> bytes:
        """``size`` bytes (fewer only at the end of the object); all that is left when
        ``size`` is omitted, ``None`` or negative."""
        if self._closed:
            raise ValueError("I/O operation on closed file")
        if size is None or size < 0:
            with aws_errors():
                rest: bytes = await self._body.read()
            data = bytes(self._buffer) + rest
            self._buffer.clear()
            return data
        # aiohttp hands out what has arrived; a file read gives all it was asked for.
        while len(self._buffer) < size:
            chunk = await self._chunk(size - len(self._buffer))
            if not chunk:
                break
            self._buffer += chunk
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    async def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` (a writable bytes-like object); returns how many bytes were read."""
        view = memoryview(buffer).cast("B")
        data = await self.read(len(view))
        view[: len(data)] = data
        return len(data)

    async def readline(self, size: int | None = -1) -> bytes:
        """The next line, ``b"\\n"`` included (the last may lack it); ``b""`` at the end.
        At most ``size`` bytes when given."""
        limit = -1 if size is None else size
        searched = 0
        while True:
            end = self._buffer.find(b"\n", searched) + 1
            if end or 0 <= limit <= len(self._buffer):
                break
            searched = len(self._buffer)
            chunk = await self._chunk(_LINE_CHUNK)
            if not chunk:
                break
            self._buffer += chunk
        end = end or len(self._buffer)
        if limit >= 0:
            end = min(end, limit)
        line = bytes(self._buffer[:end])
        del self._buffer[:end]
        return line

    def __aiter__(self) -> ObjectStream:
        return self

    async def __anext__(self) -> bytes:
        line = await self.readline()
        if not line:
            raise StopAsyncIteration
        return line

    def close(self) -> None:
        """Close the stream and give its connection back (no IO to await)."""
        if not self._closed:
            self._closed = True
            self._buffer.clear()
            self._body.close()

    async def aclose(self) -> None:
        """Close the stream (as ``close``, awaitable)."""
        self.close()

    async def __aenter__(self) -> ObjectStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ObjectStream(key={self.key!r}, size={self.size})"


class ObjectOpener:
    """What [Bucket.open][awskit.aio.s3.Bucket.open] returns: await it for the
    [ObjectStream][awskit.aio.s3.ObjectStream], or enter it with ``async with`` to have
    the stream closed on exit. Nothing is sent until then."""

    def __init__(self, start: Callable[[], Awaitable[ObjectStream]]) -> None:
        self._start = start
        self._stream: ObjectStream | None = None

    def __await__(self) -> Generator[Any, None, ObjectStream]:
        return self._start().__await__()

    async def __aenter__(self) -> ObjectStream:
        self._stream = await self._start()
        return self._stream

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


_LINE_CHUNK = 64 * 1024


def _read_stream(data: IO[bytes]) -> bytes:
    """A file object's bytes from its current position (run in a thread), checked."""
    if seekable(data):
        # Checked before anything is read: 5 GiB would not fit one PutObject anyway.
        check_seekable_size(data)
    return stream_bytes(data.read())


class _Meter:
    """``progress(done, total)`` as parts complete: one call at a time (the loop runs them
    one by one), ``done`` rising to exactly ``total``, once for an empty file."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self._progress = progress
        self._total = total
        self._done = 0
        self._called = False

    def add(self, count: int) -> None:
        self._done += count
        if self._progress is not None and count:
            self._called = True
            self._progress(self._done, self._total)

    def finish(self) -> None:
        if self._progress is not None and not self._called:
            self._progress(self._total, self._total)


def _read_at(path: Path, offset: int, length: int) -> bytes:
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read(length)


def _create(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        handle.truncate(size)


def _write_at(path: Path, offset: int, data: bytes) -> None:
    with path.open("r+b") as handle:
        handle.seek(offset)
        handle.write(data)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
