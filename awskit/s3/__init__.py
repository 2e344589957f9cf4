"""Amazon S3, typed: buckets, objects, multipart transfers and presigned URLs.

``aws.s3`` lists and creates buckets; ``aws.s3.bucket(name)`` is a [Bucket][awskit.s3.Bucket], the
handle every object operation goes through. Names and keys are checked against S3's
rules before anything is sent; large files go through boto3's transfer manager
(s3transfer: multipart, concurrent parts, retried stream errors).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .._errors import AlreadyExists, AwskitError, InvalidInput, aws_errors, translates_errors
from .._paging import Paged, token_pages
from .bucket import Bucket, find_bucket_region, translated
from .models import Body, BucketInfo, ObjectInfo, ObjectStream, Progress, PutResult
from .plans import is_aws_endpoint, presign_config
from .rules import (
    DELETE_BATCH,
    MAX_KEY_BYTES,
    MAX_METADATA_BYTES,
    MAX_PRESIGN_SECONDS,
    MAX_PUT_BYTES,
    PRESIGN_METHODS,
    check_bucket_name,
    check_key,
    check_metadata,
    chunks,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from .._session import Session

__all__ = [  # noqa: RUF022  (plain sorted(), as tests/test_exports.py checks)
    "Body",
    "Bucket",
    "BucketInfo",
    "DELETE_BATCH",
    "MAX_KEY_BYTES",
    "MAX_METADATA_BYTES",
    "MAX_PRESIGN_SECONDS",
    "MAX_PUT_BYTES",
    "ObjectInfo",
    "ObjectStream",
    "PRESIGN_METHODS",
    "Progress",
    "PutResult",
    "S3",
    "check_bucket_name",
    "check_key",
    "check_metadata",
    "chunks",
]


def create_bucket_request(
    name: str, region: str | None, session_region: str | None
) -> tuple[dict[str, Any], bool]:
    """The checked CreateBucket parameters, and whether HeadBucket must be asked first.

    In us-east-1 S3 answers 200 to re-creating a bucket one already owns, so awskit asks
    first (see [S3.create_bucket][awskit.s3.S3.create_bucket]); elsewhere the region is
    the ``LocationConstraint`` S3 requires.
    """
    check_bucket_name(name)
    if region is not None and (not isinstance(region, str) or not region):
        raise InvalidInput("region", "a region name such as 'eu-west-1'")
    region = region or session_region or "us-east-1"
    if region == "us-east-1":
        return {"Bucket": name}, True
    return {"Bucket": name, "CreateBucketConfiguration": {"LocationConstraint": region}}, False


def already_owned(name: str, head: Mapping[str, Any]) -> AlreadyExists:
    """The error for re-creating bucket ``name``, which HeadBucket answered with ``head``."""
    return AlreadyExists(
        f"Bucket {name!r} already exists and is owned by you",
        code="BucketAlreadyOwnedByYou",
        operation="CreateBucket",
        request_id=head.get("ResponseMetadata", {}).get("RequestId"),
    )


class S3:
    """Amazon S3 facade: ``aws.s3``.

    Example:
        ```python
        for info in aws.s3.buckets():
            print(info.name, info.created_at)
        bucket = aws.s3.bucket("my-bucket")
        bucket.put("test.jpg", Path("test.jpg"))
        ```
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._presigners: dict[str | None, S3Client] = {}
        self._regions: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def client(self) -> S3Client:
        """The shared, typed boto3 client (escape hatch)."""
        return self._session.client("s3")

    def _presigning_client(self, region: str | None = None) -> S3Client:
        """A client that only signs, for ``region`` (the session's when ``None``); one
        per region, made once: a botocore client costs milliseconds and memory, a
        presigned URL nothing more once it exists."""
        presigner = self._presigners.get(region)
        if presigner is not None:
            return presigner
        # An endpoint from the environment (AWS_ENDPOINT_URL_S3) is as custom as one
        # given to connect(): the shared client knows which one it got.
        custom = not is_aws_endpoint(self.client.meta.endpoint_url)
        config = presign_config(self._session.botocore_config(), custom_endpoint=custom)
        with self._lock:
            presigner = self._presigners.get(region)
            if presigner is None:
                with aws_errors():
                    presigner = self._session.session.client(
                        "s3",
                        region_name=region or self._session.region or "us-east-1",
                        endpoint_url=self._session.endpoint_url,
                        config=config,
                    )
                self._presigners[region] = presigner
            return presigner

    def _bucket_region(self, name: str) -> str | None:
        """The region bucket ``name`` lives in, asked once per bucket and cached;
        ``None`` (not cached) when S3 does not say."""
        region = self._regions.get(name)
        if region is None:
            region = find_bucket_region(self.client, name)
            if region is not None:
                with self._lock:
                    self._regions[name] = region
        return region

    @property
    def _calls(self) -> S3Client:
        """The client under the session's retry rule: every single call goes through it."""
        return self._session.calls("s3")

    @property
    def session(self) -> Session:
        """The awskit session this facade belongs to."""
        return self._session

    def buckets(self) -> Iterator[BucketInfo]:
        """Every bucket the caller owns, over every page of ListBuckets.

        ListBuckets returns at most 10,000 buckets per page (accounts may own up to a
        million); the ``ContinuationToken`` of each page fetches the next.

        Example:
            ```python
            names = [b.name for b in aws.s3.buckets()]
            ```
        """
        fetch = token_pages(
            self._calls.list_buckets,
            "Buckets",
            request_token="ContinuationToken",
            MaxBuckets=10_000,
        )

        def convert(raw: Mapping[str, Any]) -> BucketInfo:
            return BucketInfo(raw["Name"], raw["CreationDate"], raw.get("BucketRegion"))

        return Paged(translated(fetch)).map(convert)

    def bucket(self, name: str) -> Bucket:
        """A handle on bucket ``name``; no request is sent until an object call needs one.

        ``name`` must be a valid bucket name (legacy us-east-1 names are accepted, see
        [check_bucket_name][awskit.s3.check_bucket_name]). Whether the bucket exists is found out by
        the first call.
        """
        return Bucket(self, check_bucket_name(name, legacy=True))

    @translates_errors
    def create_bucket(self, name: str, region: str | None = None) -> Bucket:
        """Create bucket ``name`` in ``region`` (default: the session's region).

        Outside us-east-1 the region is sent as the ``LocationConstraint`` S3 requires.
        In us-east-1 S3 answers 200 to re-creating a bucket one already owns (and resets
        its ACL), so awskit asks HeadBucket first to report it instead.

        Raises:
            InvalidInput: ``name`` breaks S3's naming rules (see
                [check_bucket_name][awskit.s3.check_bucket_name]).
            AlreadyExists: the caller already owns the bucket (``BucketAlreadyOwnedByYou``),
                or another account does (``BucketAlreadyExists``).

        Example:
            ```python
            bucket = aws.s3.create_bucket("my-bucket", region="eu-west-1")
            ```
        """
        request, ask_first = create_bucket_request(name, region, self._session.region)
        client = self._calls
        if ask_first:
            try:
                head = client.head_bucket(Bucket=name)
            except AwskitError:
                pass  # 404 (free), 403 (someone else's), 301 (elsewhere): CreateBucket says.
            else:
                raise already_owned(name, head)
        client.create_bucket(**request)
        return Bucket(self, name)

    @translates_errors
    def delete_bucket(self, name: str, *, empty: bool = False) -> int:
        """Delete bucket ``name``; with ``empty=True``, everything in it first.

        S3 deletes only empty buckets, and a versioned (or versioning-suspended) bucket
        is empty only when its old versions and delete markers are gone too: deleting a
        key there without a version id just adds a delete marker. ``empty=True`` lists
        every object version and delete marker (ListObjectVersions, a page of up to
        1,000 at a time) and deletes each page by version id (DeleteObjects; a delete
        marker is deleted by its own version id), then the bucket. An unversioned bucket's
        objects are listed the same way, each with the version id ``null``. Entries
        DeleteObjects reports with a retryable code are sent again under the session's
        retry policy, as in [Bucket.delete_many][awskit.s3.Bucket.delete_many]. This
        needs the ``s3:ListBucketVersions`` and ``s3:DeleteObjectVersion`` permissions.

        Returns how many object versions and delete markers were deleted (for an
        unversioned bucket, its objects); 0 without ``empty``.

        Raises:
            InvalidInput: ``name`` is not a bucket name.
            NotFound: there is no such bucket (``NoSuchBucket``).
            PartialFailure: ``empty=True`` and some versions or delete markers could not
                be deleted: ``failed`` lists their keys (str, each once, in listing
                order), the message counts them by error code; everything else was
                deleted, and DeleteBucket is not sent: the bucket is left in place.
            AwskitError: code ``BucketNotEmpty`` when something remains (without
                ``empty``, or written while the bucket was being emptied).

        Example:
            ```python
            aws.s3.delete_bucket("scratch-bucket", empty=True)
            ```
        """
        bucket = self.bucket(name)
        deleted = bucket._empty() if empty else 0
        self._calls.delete_bucket(Bucket=bucket.name)
        return deleted


# Last, once every exported name is bound: tracebacks and reprs show the public path
# (kept in one place at the end, so a merge never separates the import from the call).
from .._exports import publish  # noqa: E402

publish(globals())
