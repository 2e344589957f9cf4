"""``awskit s3``: list buckets and objects, copy files to and from S3."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from awskit import InvalidInput

from ._app import Options, command, group
from ._parse import parse_s3_url

__all__ = ["cp", "ls"]

s3_app = group("s3", "Amazon S3: list and copy.")


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
    local destination that is a directory.

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
        with opts.progress(f"download {key}", 0) as bar:
            s3.bucket(bucket).download_file(key, path, progress=bar)
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
