"""S3's rules, as plain functions with no client: bucket names, keys, metadata, limits.

Everything here is pure (property-tested in ``tests/test_s3_rules.py``): what S3 accepts
as a bucket name, an object key or user-defined metadata, the API's size and count
limits, how keys are chunked for DeleteObjects, and how Content-Type and ETags are read.
"""

from __future__ import annotations

import ipaddress
import mimetypes
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TypeVar

from .._errors import InvalidInput

_T = TypeVar("_T")

__all__ = [
    "DELETE_BATCH",
    "MAX_KEY_BYTES",
    "MAX_METADATA_BYTES",
    "MAX_PARTS",
    "MAX_PRESIGN_SECONDS",
    "MAX_PUT_BYTES",
    "PART_BYTES",
    "PRESIGN_METHODS",
    "check_bucket_name",
    "check_key",
    "check_metadata",
    "check_put_size",
    "chunks",
    "content_type_for",
    "part_ranges",
    "unquote_etag",
]

MAX_KEY_BYTES = 1024
"""Longest object key S3 accepts, in UTF-8 bytes."""
DELETE_BATCH = 1000
"""Keys per DeleteObjects request (the API's limit)."""
MAX_PUT_BYTES = 5 * 1024**3
"""Largest object one PutObject can send (5 GiB); bigger ones need ``upload_file``."""
MAX_METADATA_BYTES = 2048
"""User-defined metadata limit: names plus values, in UTF-8 bytes."""
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
"""Longest a SigV4 presigned URL can stay valid (7 days)."""
PRESIGN_METHODS = frozenset({"get_object", "put_object", "head_object", "delete_object"})
"""Client methods a URL can be presigned for."""

_BUCKET_CHARS = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")
_LEGACY_BUCKET_CHARS = re.compile(r"[A-Za-z0-9._-]+")
# Reserved by S3 for its own features (access point aliases, Multi-Region Access Points,
# directory buckets, table buckets, Object Lambda); CreateBucket refuses them.
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")


def check_bucket_name(name: object, *, legacy: bool = False) -> str:
    """Return ``name`` if S3 accepts it as a bucket name, else raise ``InvalidInput``.

    The rules for new general purpose buckets: 3-63 characters of lowercase letters,
    digits, dots and hyphens; first and last a letter or digit; no ``..``; not an IPv4
    address; none of the reserved prefixes (``xn--``, ``sthree-``, ``amzn-s3-demo-``) or
    suffixes (``-s3alias``, ``--ol-s3``, ``.mrap``, ``--x-s3``, ``--table-s3``).

    ``legacy=True`` accepts names of buckets created in us-east-1 before March 2018 too
    (up to 255 of letters of either case, digits, ``.``, ``_`` and ``-``): such buckets
    still exist, and refusing to address them would lock their owners out.

    Example:
        ```python
        check_bucket_name("my-bucket")        # "my-bucket"
        check_bucket_name("My_Bucket")        # InvalidInput
        ```
    """
    if not isinstance(name, str):
        raise InvalidInput("name", "a bucket name is a str")
    if legacy:
        if not 3 <= len(name) <= 255 or not _LEGACY_BUCKET_CHARS.fullmatch(name):
            raise InvalidInput(
                "name", "bucket names are 3-255 characters of letters, digits, '.', '_', '-'"
            )
        return name
    if not 3 <= len(name) <= 63:
        raise InvalidInput("name", f"bucket names are 3-63 characters, not {len(name)}")
    if not _BUCKET_CHARS.fullmatch(name):
        raise InvalidInput(
            "name",
            "bucket names are lowercase letters, digits, '.' and '-', "
            "starting and ending with a letter or digit",
        )
    if ".." in name:
        raise InvalidInput("name", "bucket names must not contain '..'")
    if _is_ipv4(name):
        raise InvalidInput("name", "bucket names must not look like an IP address")
    for prefix in _RESERVED_PREFIXES:
        if name.startswith(prefix):
            raise InvalidInput("name", f"the prefix {prefix!r} is reserved by S3")
    for suffix in _RESERVED_SUFFIXES:
        if name.endswith(suffix):
            raise InvalidInput("name", f"the suffix {suffix!r} is reserved by S3")
    return name


def _is_ipv4(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        # S3 also refuses dotted quads that Python rejects for leading zeros ("01.2.3.4").
        parts = name.split(".")
        return len(parts) == 4 and all(p.isdigit() and len(p) <= 3 for p in parts)
    return True


def check_key(key: object, field: str = "key", *, allow_empty: bool = False) -> str:
    """Return ``key`` if it is a valid object key: 1 to 1024 bytes of UTF-8.

    ``allow_empty`` is for prefixes, which may be empty.
    """
    if not isinstance(key, str):
        raise InvalidInput(field, "an object key is a str")
    if not key and not allow_empty:
        raise InvalidInput(field, "an object key must not be empty")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise InvalidInput(field, "not encodable as UTF-8 (lone surrogate)") from exc
    if size > MAX_KEY_BYTES:
        raise InvalidInput(field, f"{size} UTF-8 bytes; S3 keys are at most {MAX_KEY_BYTES}")
    return key


def check_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """Validate user-defined metadata: HTTP-token names, ASCII values, 2 KiB in all.

    S3 sends metadata as ``x-amz-meta-*`` headers, so names must be header tokens and
    values printable ASCII; names come back lower-cased.
    """
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise InvalidInput("metadata", "a mapping of str to str")
    total = 0
    for name, value in metadata.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise InvalidInput("metadata", f"name {name!r} is not a valid HTTP header token")
        if not isinstance(value, str) or not all(" " <= c <= "~" for c in value):
            raise InvalidInput("metadata", f"value of {name!r} must be printable ASCII text")
        total += len(name) + len(value)
    if total > MAX_METADATA_BYTES:
        raise InvalidInput(
            "metadata", f"{total} bytes; S3 allows {MAX_METADATA_BYTES} of names and values"
        )
    return dict(metadata)


def chunks(items: Iterable[_T], size: int = DELETE_BATCH) -> Iterator[list[_T]]:
    """Split ``items`` into lists of at most ``size`` (order kept)."""
    if size < 1:
        raise InvalidInput("size", "must be at least 1")
    batch: list[_T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def check_put_size(size: int) -> None:
    if size > MAX_PUT_BYTES:
        raise InvalidInput("data", f"{size} bytes; one PutObject sends at most 5 GiB")


def content_type_for(key: str, content_type: str | None, *, text: bool = False) -> str | None:
    if content_type is not None:
        if not isinstance(content_type, str) or not content_type:
            raise InvalidInput("content_type", "a non-empty str such as 'image/jpeg'")
        return content_type
    guessed = mimetypes.guess_type(key)[0]
    if text:
        return f"{guessed or 'text/plain'}; charset=utf-8"
    return guessed


#: Part size of multipart transfers (boto3's default), and the size from which they apply.
PART_BYTES = 8 * 1024**2
#: S3's limit on the parts of one multipart upload.
MAX_PARTS = 10_000


def part_ranges(size: int, part_bytes: int = PART_BYTES) -> list[tuple[int, int]]:
    """``(offset, length)`` of each part of a ``size``-byte object, in order.

    Parts are ``part_bytes`` long (the last one shorter), grown when needed so that no
    object takes more than 10,000 parts; an empty object is one empty part.
    """
    part = max(part_bytes, -(-size // MAX_PARTS))
    if size == 0:
        return [(0, 0)]
    return [(start, min(part, size - start)) for start in range(0, size, part)]


def unquote_etag(value: str | None) -> str:
    # S3 sends ETags quoted ('"9b2c..."'); the quotes are HTTP syntax, not part of the value.
    return (value or "").strip('"')
