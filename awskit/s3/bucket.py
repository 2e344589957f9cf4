"""One S3 bucket's objects: [Bucket][awskit.s3.Bucket], the handle every object operation goes
through.

Single objects (put, get, open, exists, delete, presigned URLs), many objects (listing,
batched deletes that never lose a key) and transfers through boto3's transfer manager
(multipart, concurrent parts, monotonic progress from its threads).
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from .._errors import (
    AwskitError,
    InvalidInput,
    NotFound,
    PartialFailure,
    aws_errors,
    logger,
    translates_errors,
)
from .._paging import Page, Paged, token_pages
from .._retry import RETRYABLE_CODES
from .models import Body, ObjectInfo, ObjectStream, Progress, PutResult
from .rules import (
    MAX_PRESIGN_SECONDS,
    PRESIGN_METHODS,
    check_key,
    check_metadata,
    check_put_size,
    chunks,
    content_type_for,
    unquote_etag,
)

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_s3 import S3Client
    from s3transfer.futures import TransferFuture

    from . import S3

__all__ = [
    "Bucket",
    "DeletePlan",
    "Entry",
    "VersionSweep",
    "check_path_body",
    "check_presign",
    "check_seekable_size",
    "check_stream",
    "download_target",
    "find_bucket_region",
    "inline_body",
    "is_aws_endpoint",
    "object_info",
    "objects_request",
    "presign_config",
    "put_request",
    "region_from_head",
    "region_of_location",
    "seekable",
    "stream_bytes",
    "translated",
    "upload_plan",
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


def presign_config(base: Config, *, custom_endpoint: bool) -> Config:
    """The botocore ``Config`` of a client that presigns URLs, from the session's ``base``.

    Always SigV4: botocore presigns with SigV2 in regions that once accepted it
    (us-east-1, ...) unless asked, and S3 refuses SigV2 for every bucket created since
    June 2020. On AWS's own endpoints, the regional endpoint: botocore's ``auto``
    addressing presigns virtual-hosted URLs on the legacy global endpoint
    (``bucket.s3.amazonaws.com``), which regions opened since 2019 do not serve and
    others answer with a redirect a presigned request cannot follow. ``virtual``
    addressing gives ``https://bucket.s3.REGION.amazonaws.com/key`` where the name allows
    (DNS-compatible, no dots: a dot breaks the TLS wildcard) and falls back to
    ``https://s3.REGION.amazonaws.com/bucket/key``; ``us_east_1_regional_endpoint`` does
    the same for us-east-1. A custom endpoint (moto, a local server, a VPC endpoint) is
    kept as the session has it. An explicit ``addressing_style`` of ``path`` or
    ``virtual`` in the session's config is honoured.
    """
    from botocore.config import Config

    options: dict[str, Any] = dict(getattr(base, "s3", None) or {})
    if not custom_endpoint:
        if options.get("addressing_style") not in ("path", "virtual"):
            options["addressing_style"] = "virtual"
        options["us_east_1_regional_endpoint"] = "regional"
    return base.merge(Config(signature_version="s3v4", s3=cast(Any, options)))


def is_aws_endpoint(url: str) -> bool:
    """Whether ``url`` is one of AWS's own S3 endpoints (not moto, a local server or a
    VPC endpoint)."""
    host = urlsplit(url).hostname or ""
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn"))


def region_of_location(constraint: str | None) -> str:
    """The region a GetBucketLocation ``LocationConstraint`` names.

    S3 answers null (an empty element) for us-east-1 and ``EU`` for the buckets made in
    eu-west-1 under that old name.
    """
    if not constraint:
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else constraint


def region_from_head(response: Mapping[str, Any]) -> str | None:
    """The region a HeadBucket answer (or its 301/403 error response) names, if any."""
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    region = response.get("BucketRegion") or headers.get("x-amz-bucket-region")
    return str(region) if region else None


def put_request(
    name: str,
    key: str,
    data: object,
    content_type: str | None,
    metadata: Mapping[str, str] | None,
) -> dict[str, Any]:
    """The checked PutObject parameters but the body (see [Bucket.put][awskit.s3.Bucket.put])."""
    check_key(key)
    meta = check_metadata(metadata)
    kwargs: dict[str, Any] = {"Bucket": name, "Key": key}
    ctype = content_type_for(key, content_type, text=isinstance(data, str))
    if ctype is not None:
        kwargs["ContentType"] = ctype
    if meta:
        kwargs["Metadata"] = meta
    return kwargs


def inline_body(data: str | bytes | bytearray | memoryview) -> bytes:
    """The bytes ``data`` stores (a ``str`` as UTF-8), checked for size."""
    if isinstance(data, str):
        try:
            body = data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidInput("data", "text is not encodable as UTF-8") from exc
    else:
        body = bytes(data)
    check_put_size(len(body))
    return body


def check_path_body(path: Path) -> None:
    """Check that ``path``, given as ``put``'s data, is a regular file PutObject can send."""
    if not path.is_file():
        raise InvalidInput("data", f"{str(path)!r} is not a regular file")
    check_put_size(path.stat().st_size)


def check_stream(data: object) -> None:
    """Check that ``data``, given as ``put``'s data, is a binary file object."""
    if isinstance(data, io.TextIOBase) or not callable(getattr(data, "read", None)):
        raise InvalidInput(
            "data", "give bytes, str, a pathlib.Path or a binary file object (mode 'rb')"
        )


def check_seekable_size(stream: Any) -> int:
    """Check that what is left of a seekable file object, from its position to its end,
    fits one PutObject (5 GiB), before anything is read; returns the position, where
    the stream is left."""
    start = int(stream.tell())
    end = stream.seek(0, io.SEEK_END)
    if not isinstance(end, int):
        end = stream.tell()  # some file-likes' seek answers None
    stream.seek(start)
    check_put_size(end - start)
    return start


def stream_bytes(body: object) -> bytes:
    """What a file object's ``read()`` gave, checked: bytes, within PutObject's size."""
    if not isinstance(body, (bytes, bytearray)):
        raise InvalidInput("data", "the file object must be binary (mode 'rb')")
    check_put_size(len(body))
    return bytes(body)


def seekable(stream: Any) -> bool:
    """Whether a file object can be rewound (its ``seekable()``, else ``seek`` and ``tell``)."""
    answer = getattr(stream, "seekable", None)
    if callable(answer):
        try:
            return bool(answer())
        except (OSError, ValueError):
            return False
    return callable(getattr(stream, "seek", None)) and callable(getattr(stream, "tell", None))


Entry = tuple[str, str | None]
"""One thing a DeleteObjects request deletes: a key, and the version to delete (``None``
deletes the current object, as S3 does without a ``VersionId``)."""


class DeletePlan:
    """What a [Bucket.delete_many][awskit.s3.Bucket.delete_many] (its keys) or an emptied
    bucket (every object version and delete marker, see `VersionSweep`) deletes, its
    DeleteObjects requests, what each answer means and the result: the decisions, without
    the IO.

    The caller sends each batch of `batches` under the retry rule's draining (`request`
    for the entries still pending; `answered`, given them and the response, names those to
    send again), hands a batch's [PartialFailure][awskit.PartialFailure] to `gave_up`, and
    ends with `result`. A batch is settled (counted deleted or failed) when the caller asks
    `batches` for the next one, so nothing but the failures is kept: emptying a bucket of
    millions of versions holds one page at a time.
    """

    def __init__(self, name: str, keys: Iterable[str] = (), *, versions: bool = False) -> None:
        if isinstance(keys, (str, bytes)):
            raise InvalidInput("keys", "an iterable of keys, not a single str")
        self.name = name
        # A key given twice is deleted once: DeleteObjects has no use for duplicates.
        self.wanted = list(dict.fromkeys(check_key(k, "keys") for k in keys))
        #: What the entries are, for messages.
        self.noun = "object versions and delete markers" if versions else "keys"
        #: How many entries were deleted so far.
        self.deleted = 0
        self._settled = 0
        self._failed_keys: dict[str, None] = {}
        self._failures = 0
        self._codes: dict[str, int] = {}
        self._refused: dict[Entry, str] = {}
        self._left: set[Entry] = set()
        self._last_error: BaseException | None = None

    def batches(self, entries: Iterable[Entry] | None = None) -> Iterator[list[Entry]]:
        """``entries`` (the plan's keys when ``None``), 1,000 (``DELETE_BATCH``) a
        request, in order; each batch is settled when the next is asked for."""
        source = ((key, None) for key in self.wanted) if entries is None else entries
        for batch in chunks(source):
            yield batch
            self._settle(batch)

    def request(self, entries: list[Entry]) -> dict[str, Any]:
        """The DeleteObjects parameters for ``entries``."""
        objects = [
            {"Key": key} if version is None else {"Key": key, "VersionId": version}
            for key, version in entries
        ]
        # Quiet mode: the response lists only the entries that failed.
        return {"Bucket": self.name, "Delete": {"Objects": objects, "Quiet": True}}

    def answered(self, pending: list[Entry], response: Mapping[str, Any]) -> list[Entry]:
        """The entries of a DeleteObjects answer to send again (a retryable error code);
        those refused for good are kept for `result`.

        An error names a key and, for a versioned delete, the version; one that names
        an entry of ``pending`` only by its key stands for each version of it sent, and
        one that names nothing sent is reported as failed, never sent again.
        """
        sent: dict[str, list[Entry]] = {}
        for entry in pending:
            sent.setdefault(entry[0], []).append(entry)
        retry: dict[Entry, None] = {}
        for error in response.get("Errors") or ():
            key = str(error.get("Key", ""))
            version = error.get("VersionId")
            code = str(error.get("Code") or "Unknown")
            meant = [
                entry
                for entry in sent.get(key, ())
                if version is None or entry[1] is None or entry[1] == str(version)
            ]
            if meant and code in RETRYABLE_CODES:
                retry.update(dict.fromkeys(meant))
                continue
            for entry in meant or [(key, None if version is None else str(version))]:
                self._refused[entry] = code
        return list(retry)

    def gave_up(self, exc: PartialFailure) -> None:
        """A batch whose entries stayed retryable until the retry rule gave up."""
        self._left.update(exc.failed)
        self._last_error = exc.last_error or self._last_error

    def _settle(self, batch: list[Entry]) -> None:
        for entry in batch:
            code = self._refused.pop(entry, None)
            if code is None and entry in self._left:
                code = "still retryable"
            if code is None:
                self.deleted += 1
            else:
                self._failed(entry, code)
        for entry, code in self._refused.items():
            self._failed(entry, code)  # an error for something not sent: still not lost
        self._settled += len(batch)
        self._refused.clear()
        self._left.clear()

    def _failed(self, entry: Entry, code: str) -> None:
        self._failures += 1
        self._failed_keys[entry[0]] = None
        self._codes[code] = self._codes.get(code, 0) + 1

    def result(self) -> int:
        """How many entries were deleted: all of them.

        Raises:
            PartialFailure: some were not; ``failed`` lists their keys (str), each once,
                in input (or listing) order, and the message counts the error codes.
        """
        if self._failures:
            summary = ", ".join(f"{code} ({n})" for code, n in sorted(self._codes.items()))
            raise PartialFailure(
                f"{self._failures} of {self._settled} {self.noun} not deleted from "
                f"{self.name}: {summary}",
                failed=list(self._failed_keys),
                last_error=self._last_error,
                code="PartialFailure",
                operation="DeleteObjects",
            )
        return self.deleted


class VersionSweep:
    """Every object version and delete marker of a bucket, page by page of
    ListObjectVersions, to empty it: the requests and the reading of each page, without
    the IO.

    The caller sends `request` while not `done` and hands each response to `read`, which
    gives the entries (key and version id) to delete before the next page is listed, and
    moves on by the response's ``NextKeyMarker`` and ``NextVersionIdMarker``. The entry
    those markers name is held back and given with the next page: the next request starts
    after it, so it must still exist when that request is sent (a listing that starts
    after a version already deleted may find nothing to start after, and end early).

    Reading is lenient: an entry without a key is logged and left (the bucket then stays,
    ``BucketNotEmpty``); one without a version id is S3's ``null`` version. A page that
    says more follow but not where is an [AwskitError][awskit.AwskitError], not a loop.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._next: dict[str, str] | None = {}
        self._held: list[Entry] = []

    @property
    def done(self) -> bool:
        """Whether the last page was read."""
        return self._next is None

    def request(self) -> dict[str, Any]:
        """The ListObjectVersions parameters of the next page."""
        return {"Bucket": self.name, **(self._next or {})}

    def read(self, response: Mapping[str, Any]) -> list[Entry]:
        """The entries to delete now: the one held back from the page before, and this
        page's versions and delete markers but the one the next request starts after."""
        entries, self._held = self._held, []
        for field in ("Versions", "DeleteMarkers"):
            for raw in response.get(field) or ():
                key = raw.get("Key") if isinstance(raw, Mapping) else None
                if not isinstance(key, str) or not key:
                    log.warning("ListObjectVersions of %s: an entry without a key", self.name)
                    continue
                version = raw.get("VersionId")
                entries.append((key, str(version) if version else "null"))
        if not response.get("IsTruncated"):
            self._next = None
            return entries
        marker = response.get("NextKeyMarker")
        following = {"KeyMarker": str(marker)} if marker else {}
        if response.get("NextVersionIdMarker"):
            following["VersionIdMarker"] = str(response["NextVersionIdMarker"])
        if not marker or following == self._next:
            raise AwskitError(
                f"ListObjectVersions of {self.name} says more versions follow but not where",
                code="IncompleteListing",
                operation="ListObjectVersions",
            )
        self._next = following
        place = (following["KeyMarker"], following.get("VersionIdMarker"))
        self._held = [entry for entry in entries if entry == place]
        return [entry for entry in entries if entry != place]


def check_presign(key: str, expires_in: int, method: str) -> None:
    """Check a presigned URL's arguments.

    See [Bucket.presigned_url][awskit.s3.Bucket.presigned_url] for the limits.
    """
    check_key(key)
    if isinstance(expires_in, bool) or not isinstance(expires_in, int):
        raise InvalidInput("expires_in", "a whole number of seconds")
    if not 1 <= expires_in <= MAX_PRESIGN_SECONDS:
        raise InvalidInput("expires_in", f"must be 1 to {MAX_PRESIGN_SECONDS} seconds")
    if method not in PRESIGN_METHODS:
        raise InvalidInput("method", f"one of {', '.join(sorted(PRESIGN_METHODS))}")


def objects_request(name: str, prefix: str, start_after: str | None) -> dict[str, Any]:
    """The checked ListObjectsV2 parameters (see [Bucket.objects][awskit.s3.Bucket.objects])."""
    check_key(prefix, "prefix", allow_empty=True)
    kwargs: dict[str, Any] = {"Bucket": name}
    if prefix:
        kwargs["Prefix"] = prefix
    if start_after is not None:
        kwargs["StartAfter"] = check_key(start_after, "start_after")
    return kwargs


def object_info(raw: Mapping[str, Any]) -> ObjectInfo:
    """One ListObjectsV2 ``Contents`` entry as an [ObjectInfo][awskit.s3.ObjectInfo]."""
    return ObjectInfo(
        key=raw["Key"],
        size=int(raw.get("Size", 0)),
        etag=unquote_etag(raw.get("ETag")),
        last_modified=raw["LastModified"],
        storage_class=str(raw.get("StorageClass") or "STANDARD"),
    )


def upload_plan(
    path: str | os.PathLike[str],
    key: str,
    content_type: str | None,
    metadata: Mapping[str, str] | None,
) -> tuple[Path, dict[str, Any]]:
    """The checked source file of an upload and the object's ``ContentType``/``Metadata``."""
    check_key(key)
    source = Path(path)
    if not source.is_file():
        raise InvalidInput("path", f"{str(source)!r} is not a regular file")
    extra: dict[str, Any] = {}
    ctype = content_type_for(key, content_type)
    if ctype is not None:
        extra["ContentType"] = ctype
    meta = check_metadata(metadata)
    if meta:
        extra["Metadata"] = meta
    return source, extra


def download_target(key: str, path: str | os.PathLike[str]) -> Path:
    """The checked file a download writes (its directory must exist; not a directory)."""
    check_key(key)
    target = Path(path)
    if target.is_dir():
        raise InvalidInput("path", f"{str(target)!r} is a directory")
    if not target.absolute().parent.is_dir():
        raise InvalidInput("path", f"the directory of {str(target)!r} does not exist")
    return target


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
