"""S3's decisions without the IO: request shapes, checks of what is put, the plan of a
batched delete and the sweep of an emptied bucket's versions, presign settings, transfer
plans. [Bucket][awskit.s3.Bucket] and `awskit.aio.s3.Bucket` drive them.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from .._errors import (
    AwskitError,
    InvalidInput,
    PartialFailure,
    logger,
)
from .._retry import RETRYABLE_CODES
from .models import ObjectInfo
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


__all__ = [
    "DeletePlan",
    "Entry",
    "VersionSweep",
    "check_path_body",
    "check_presign",
    "check_seekable_size",
    "check_stream",
    "download_target",
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
    "upload_plan",
]

log = logger("awskit.s3")


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
