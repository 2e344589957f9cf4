"""``awskit s3``: make and remove buckets, list, copy, remove and presign objects."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from awskit import AwskitError, InvalidInput

from ._app import Options, command, confirm, fail, group
from ._files import replace_atomically
from ._parse import parse_s3_url

if TYPE_CHECKING:
    from awskit.s3 import S3

__all__ = ["cp", "ls", "mb", "presign", "rb", "rm"]

s3_app = group("s3", "Amazon S3: make and remove buckets; list, copy, remove, presign objects.")

BucketArg = Annotated[str, typer.Argument(help="s3://bucket (or bucket).", show_default=False)]
ObjectArg = Annotated[str, typer.Argument(help="s3://bucket/key.", show_default=False)]


def _bucket_name(url: str) -> str:
    bucket, key = parse_s3_url(url) or (url, "")
    if key.strip("/"):
        raise InvalidInput("bucket", f"{url!r} names an object, not a bucket (s3://bucket)")
    return bucket


def _object(url: str) -> tuple[str, str]:
    parsed = parse_s3_url(url)
    if parsed is None or not parsed[1] or parsed[1].endswith("/"):
        raise InvalidInput("url", f"{url!r} is not an object address (s3://bucket/key)")
    return parsed


@command(s3_app, "ls")
def ls(
    opts: Options,
    target: Annotated[
        str | None,
        typer.Argument(
            help="s3://bucket/prefix (or bucket); none lists buckets.", show_default=False
        ),
    ] = None,
) -> None:
    """List buckets, or the objects of a bucket under a prefix.

    Example: awskit s3 ls s3://my-bucket/logs/
    """
    s3 = opts.session().s3
    if target is None:
        buckets = list(s3.buckets())
        opts.emit(
            buckets,
            columns=("Bucket", "Created"),
            rows=[(b.name, b.created_at) for b in buckets],
        )
        return
    bucket, prefix = parse_s3_url(target) or (target.partition("/")[0], target.partition("/")[2])
    objects = list(s3.bucket(bucket).objects(prefix=prefix))
    opts.emit(
        objects,
        columns=("Key", "Size", "Last modified"),
        rows=[(o.key, f"{o.size:,}", o.last_modified) for o in objects],
        title=f"s3://{bucket}/{prefix}: {len(objects)} object(s)",
    )


@command(s3_app, "cp")
def cp(
    opts: Options,
    src: Annotated[str, typer.Argument(help="Local path or s3://bucket/key.", show_default=False)],
    dst: Annotated[str, typer.Argument(help="Local path or s3://bucket/key.", show_default=False)],
) -> None:
    """Copy a file to, from or within S3 (multipart and parallel from 8 MiB).

    A destination key ending in '/' (or empty) takes the source's file name; so does a
    local destination that is a directory. A local file is replaced only once the
    download is complete, keeping its permissions.

    Example: awskit s3 cp backup.tar s3://my-bucket/backups/
    """
    source, target = parse_s3_url(src), parse_s3_url(dst)
    s3 = opts.session().s3
    result: dict[str, Any] = {"source": src}
    if source is None and target is None:
        raise InvalidInput("src", "one side must be s3://bucket/key (use cp for local copies)")
    if source is not None and (not source[1] or source[1].endswith("/")):
        raise InvalidInput("src", f"{src!r} names no object key")
    if source is None:
        path = Path(src)
        if not path.is_file():
            raise FileNotFoundError(2, "No such file", src)
        assert target is not None
        bucket, key = target
        key = key + path.name if not key or key.endswith("/") else key
        size = path.stat().st_size
        with opts.progress(f"upload {path.name}", size) as bar:
            s3.bucket(bucket).upload_file(path, key, progress=bar)
        result.update(destination=f"s3://{bucket}/{key}", bytes=size)
    elif target is None:
        bucket, key = source
        path = Path(dst)
        if path.is_dir():
            path = path / key.rsplit("/", 1)[-1]
        # The previous file stays in place, whole, until the download is complete.
        with replace_atomically(path, "dst") as temp, opts.progress(f"download {key}", 0) as bar:
            s3.bucket(bucket).download_file(key, temp, progress=bar)
        result.update(destination=str(path), bytes=path.stat().st_size)
    else:
        bucket, key = source
        to_bucket, to_key = target
        to_key = to_key + key.rsplit("/", 1)[-1] if not to_key or to_key.endswith("/") else to_key
        # Through a local temporary file: the public API has no server-side copy.
        with tempfile.TemporaryDirectory(prefix="awskit-cp-") as tmp:
            path = Path(tmp) / "object"
            with opts.progress(f"download {key}", 0) as bar:
                s3.bucket(bucket).download_file(key, path, progress=bar)
            size = path.stat().st_size
            with opts.progress(f"upload {to_key}", size) as bar:
                s3.bucket(to_bucket).upload_file(path, to_key, progress=bar)
        result.update(destination=f"s3://{to_bucket}/{to_key}", bytes=size)
    if opts.json:
        opts.emit(result)
    elif not opts.quiet:
        opts.out.print(
            f"copied {result['source']} -> {result['destination']} ({result['bytes']:,} bytes)",
            markup=False,
        )


@command(s3_app, "mb")
def mb(opts: Options, bucket: BucketArg) -> None:
    """Make a bucket (in the session's region).

    Example: awskit s3 mb s3://my-bucket
    """
    name = _bucket_name(bucket)
    opts.session().s3.create_bucket(name)
    if opts.json:
        opts.emit({"bucket": name, "created": True})
    elif not opts.quiet:
        opts.out.print(f"made bucket s3://{name}", markup=False)


def _holds_anything(s3: S3, name: str) -> bool:
    """Whether bucket ``name`` holds an object version or a delete marker: what --force
    deletes, so what it asks about (a bucket of old versions only has no objects)."""
    page = s3.session.calls("s3").list_object_versions(Bucket=name, MaxKeys=1)
    return bool(page.get("Versions") or page.get("DeleteMarkers"))


@command(s3_app, "rb")
def rb(
    opts: Options,
    bucket: BucketArg,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Delete everything in it first, old versions and delete markers too "
            "(S3 keeps none).",
        ),
    ] = False,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes", "-y", help="With --force, delete without asking (required off a terminal)."
        ),
    ] = False,
) -> None:
    """Remove a bucket; S3 removes only empty ones, --force empties it first.

    --force deletes every object in it, with a versioned bucket's old versions and
    delete markers (counted among the objects deleted): they are gone.

    Example: awskit s3 rb s3://my-bucket --force --yes
    """
    name = _bucket_name(bucket)
    s3 = opts.session().s3
    if force and _holds_anything(s3, name):
        confirm(
            opts,
            yes,
            f"Delete bucket s3://{name} and every object in it?",
            f"refusing to empty and remove s3://{name}",
        )
    try:
        deleted = s3.delete_bucket(name, empty=force)
    except AwskitError as exc:
        if exc.code != "BucketNotEmpty" or force:
            raise
        raise fail(
            f"s3://{name} is not empty: nothing was deleted (--force deletes its objects first)",
            1,
        ) from None
    if opts.json:
        opts.emit({"bucket": name, "deleted": True, "objects_deleted": deleted})
    elif not opts.quiet:
        also = f" and {deleted:,} object(s)" if deleted else ""
        opts.out.print(f"removed bucket s3://{name}{also}", markup=False)


@command(s3_app, "rm")
def rm(opts: Options, url: ObjectArg) -> None:
    """Remove one object (as S3 does, removing a key that is not there succeeds).

    Example: awskit s3 rm s3://my-bucket/photos/test.jpg
    """
    bucket, key = _object(url)
    opts.session().s3.bucket(bucket).delete(key)
    if opts.json:
        opts.emit({"bucket": bucket, "key": key, "deleted": True})
    elif not opts.quiet:
        opts.out.print(f"removed s3://{bucket}/{key}", markup=False)


@command(s3_app, "presign")
def presign(
    opts: Options,
    url: ObjectArg,
    expires: Annotated[
        int,
        typer.Option("--expires", help="Seconds the URL works (1 to 604800, 7 days).", min=1),
    ] = 3600,
) -> None:
    """Print a URL that downloads the object without credentials, for a while.

    The URL is signed locally with this session's credentials: no request is sent, so
    it is printed even for an object that does not exist.

    Example: awskit s3 presign s3://my-bucket/report.pdf --expires 600
    """
    bucket, key = _object(url)
    signed = opts.session().s3.bucket(bucket).presigned_url(key, expires_in=expires)
    if opts.json:
        opts.emit({"url": signed, "bucket": bucket, "key": key, "expires_in": expires})
    else:
        # Written as is: a terminal-width console would fold the URL into several lines.
        sys.stdout.write(signed + "\n")
