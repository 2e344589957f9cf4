"""``awskit ebs``: upload images as snapshots, download them, list and compare blocks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._app import Options, command, group
from ._parse import parse_pairs

__all__ = ["blocks", "diff", "download", "upload", "wait"]

ebs_app = group("ebs", "EBS direct APIs: snapshots from images and back.")

SnapshotArg = Annotated[str, typer.Argument(help="Snapshot id (snap-...).", show_default=False)]
ConcurrencyOpt = Annotated[
    int, typer.Option("--concurrency", "-c", help="Blocks in flight.", min=1)
]


@command(ebs_app, "upload")
def upload(
    opts: Options,
    image: Annotated[Path, typer.Argument(help="Image file or block device.")],
    description: Annotated[
        str | None, typer.Option("--description", help="Snapshot description.")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Tag key=value; repeatable.")
    ] = None,
    volume_size: Annotated[
        int | None, typer.Option("--volume-size", help="GiB (default: the image, rounded up).")
    ] = None,
    parent: Annotated[
        str | None, typer.Option("--parent", help="Parent snapshot id (incremental).")
    ] = None,
    concurrency: ConcurrencyOpt = 16,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait until EC2 reports the snapshot completed.")
    ] = False,
) -> None:
    """Upload an image as a new EBS snapshot (zero blocks skipped, every block checksummed).

    Example: awskit ebs upload disk.img --tag team=infra --wait
    """
    total = image.stat().st_size if image.is_file() else None
    tags = parse_pairs(tag or [], "tag")
    ebs = opts.session().ebs
    with opts.progress(f"upload {image.name}", total or 0) as bar:
        snap = ebs.upload(
            image,
            volume_size=volume_size,
            parent_snapshot_id=parent,
            description=description,
            tags={k: str(v) for k, v in tags.items()} or None,
            progress=bar,
            wait=wait,
            concurrency=concurrency,
        )
    opts.emit(
        snap,
        record={
            "snapshot": snap.snapshot_id,
            "status": snap.status,
            "volume": f"{snap.volume_size} GiB",
            "blocks written": f"{snap.blocks_written} of 512 KiB",
            "checksum (LINEAR)": snap.checksum,
        },
    )


@command(ebs_app, "download")
def download(
    opts: Options,
    snapshot: SnapshotArg,
    dest: Annotated[Path, typer.Argument(help="File (or block device) to write.")],
    size: Annotated[
        int | None, typer.Option("--size", help="Cut the file to this many bytes.", min=0)
    ] = None,
    concurrency: ConcurrencyOpt = 16,
    verify: Annotated[
        bool, typer.Option("--verify/--no-verify", help="Check every block's SHA256.")
    ] = True,
) -> None:
    """Download a completed snapshot into a file (sparse; replaced only when complete).

    Example: awskit ebs download snap-0123456789abcdef0 disk.img
    """
    ebs = opts.session().ebs
    with opts.progress(f"download {snapshot}", 0) as bar:
        result = ebs.download(
            snapshot, dest, concurrency=concurrency, verify=verify, progress=bar, size=size
        )
    opts.emit(
        {"snapshot_id": snapshot, "dest": str(dest), **vars(result)},
        record={
            "snapshot": snapshot,
            "written to": dest,
            "blocks": result.blocks,
            "bytes": f"{result.bytes_written:,}",
        },
    )


@command(ebs_app, "blocks")
def blocks(opts: Options, snapshot: SnapshotArg) -> None:
    """List the blocks a snapshot holds, by index (block tokens are never printed).

    Example: awskit ebs blocks snap-0123456789abcdef0
    """
    # The listing comes in the endpoint's order (moto's is not by index): sorted here.
    indexes = sorted({b.index for b in opts.session().ebs.blocks(snapshot)})
    opts.emit(
        {"snapshot_id": snapshot, "blocks": indexes},
        text=f"{snapshot}: {len(indexes)} block(s) of 512 KiB: {_ranges(indexes)}",
    )


@command(ebs_app, "diff")
def diff(
    opts: Options,
    first: Annotated[str, typer.Argument(help="The older snapshot id.", show_default=False)],
    second: Annotated[str, typer.Argument(help="The newer snapshot id.", show_default=False)],
) -> None:
    """List the blocks that differ between two snapshots of one lineage.

    Example: awskit ebs diff snap-0aaa... snap-0bbb...
    """
    changed = list(opts.session().ebs.changed_blocks(first, second))
    rows = [
        {
            "index": c.index,
            "in_first": c.first_token is not None,
            "in_second": c.second_token is not None,
        }
        for c in changed
    ]
    opts.emit(
        {"first": first, "second": second, "changed": rows},
        columns=("Block", "In first", "In second"),
        rows=[(r["index"], _yes(r["in_first"]), _yes(r["in_second"])) for r in rows],
        title=f"{len(rows)} block(s) differ",
    )


@command(ebs_app, "wait")
def wait(
    opts: Options,
    snapshot: SnapshotArg,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Give up after this many seconds.")
    ] = 600,
) -> None:
    """Wait until EC2 reports the snapshot completed (exit 1 on error or timeout).

    Example: awskit ebs wait snap-0123456789abcdef0 --timeout 1800
    """
    opts.session().ebs.wait(snapshot, timeout=timeout)
    if opts.json:
        opts.emit({"snapshot_id": snapshot, "status": "completed"})
    else:
        opts.say(f"{snapshot} completed")


def _yes(flag: object) -> str:
    return "yes" if flag else "-"


def _ranges(indexes: list[int]) -> str:
    """``0-3, 7, 9-10`` for a sorted list of block indexes."""
    if not indexes:
        return "none"
    parts: list[str] = []
    start = prev = indexes[0]
    for index in indexes[1:]:
        if index == prev + 1:
            prev = index
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = index
    parts.append(str(start) if start == prev else f"{start}-{prev}")
    return ", ".join(parts)
