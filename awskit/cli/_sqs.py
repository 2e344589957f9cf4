"""``awskit sqs``: create and delete queues, send, receive and purge messages, list queues."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._app import Options, command, fail, group
from ._files import stdin_text
from ._parse import parse_pairs

if TYPE_CHECKING:
    from awskit.sqs import Message, Queue

__all__ = ["create", "delete", "purge", "queues", "receive", "send"]

sqs_app = group("sqs", "Amazon SQS: create and delete queues; send, receive, purge messages.")

QueueArg = Annotated[str, typer.Argument(help="Queue name (or its URL).", show_default=False)]


def _queue(opts: Options, queue: str) -> Queue[str]:
    # A URL ends with the queue's name; get_queue checks it exists either way.
    name = queue.rstrip("/").rsplit("/", 1)[-1] if "://" in queue else queue
    return opts.session().sqs.get_queue(name)


@command(sqs_app, "send")
def send(
    opts: Options,
    queue: QueueArg,
    body: Annotated[
        str,
        typer.Argument(help="Message body (text; '-' reads stdin, less one final newline)."),
    ],
    attribute: Annotated[
        list[str] | None,
        typer.Option(
            "--attribute",
            "-a",
            help="Message attribute name=text or name:=json (number); repeatable.",
        ),
    ] = None,
    delay: Annotated[int | None, typer.Option("--delay", help="Delay in seconds (0-900).")] = None,
    group_id: Annotated[
        str | None, typer.Option("--group-id", help="Message group (FIFO queues).")
    ] = None,
) -> None:
    """Send one message.

    Example: awskit sqs send jobs 'hello' --attribute Author=Daniel
    """
    text = stdin_text() if body == "-" else body
    attributes = parse_pairs(attribute or [], "attribute")
    result = _queue(opts, queue).send(
        text, attributes=attributes or None, delay_seconds=delay, group_id=group_id
    )
    if opts.json:
        opts.emit(result)
    elif not opts.quiet:
        opts.out.print(f"sent {result.message_id}", markup=False)


@command(sqs_app, "receive")
def receive(
    opts: Options,
    queue: QueueArg,
    max_messages: Annotated[
        int, typer.Option("--max", "-n", help="At most this many messages (1-10).")
    ] = 10,
    wait: Annotated[int, typer.Option("--wait", help="Long-poll up to this many seconds.")] = 0,
    delete: Annotated[
        bool,
        typer.Option("--delete", help="Delete the messages once printed (none if printing fails)."),
    ] = False,
) -> None:
    """Receive messages (and, with --delete, delete them once printed).

    Without --delete the messages become visible again after the visibility timeout.
    With --delete the output is written and flushed first; only then are the messages
    deleted. If the output cannot be written (a full disk, a closed pipe) nothing is
    deleted; messages SQS fails to delete are named on stderr (exit 1).

    Example: awskit sqs receive jobs --max 5 --delete
    """
    q = _queue(opts, queue)
    messages = q.receive(max_messages=max_messages, wait_seconds=wait)
    rows: list[dict[str, Any]] = [
        {
            "message_id": m.message_id,
            "body": m.raw_body,
            "attributes": m.attributes,
            "receive_count": m.receive_count,
            "sent_at": m.sent_at,
        }
        for m in messages
    ]
    try:
        opts.emit(
            rows,
            columns=("Message id", "Body", "Attributes", "Received"),
            rows=[
                (
                    r["message_id"],
                    r["body"],
                    ", ".join(f"{k}={v}" for k, v in r["attributes"].items()),
                    r["receive_count"],
                )
                for r in rows
            ],
            title=f"{len(rows)} message(s) from {q.name}",
        )
        sys.stdout.flush()
    except OSError as exc:
        _drop_stdout()
        if not (delete and messages):
            raise
        # Nobody may have read them: they stay in the queue and reappear after the
        # visibility timeout.
        code = 141 if isinstance(exc, BrokenPipeError) else 1
        raise fail(
            f"could not write the messages to stdout ({exc.strerror or exc}): "
            f"none of the {len(messages)} received was deleted",
            code,
        ) from None
    if delete and messages:
        _delete_printed(opts, q, messages)


def _drop_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _delete_printed(opts: Options, q: Queue[str], messages: list[Message[str]]) -> None:
    from awskit import AwskitError

    try:
        result = q.delete_messages(messages)
    except AwskitError as exc:
        ids = ", ".join(m.message_id for m in messages)
        raise fail(
            f"{len(messages)} message(s) printed but not deleted ({type(exc).__name__}: "
            f"{exc}): {ids}",
            1,
        ) from None
    if result.failed:
        left = ", ".join(
            f"{f.entry.message_id if f.entry is not None else f.id} ({f.code})"
            for f in sorted(result.failed, key=lambda f: f.index)
        )
        raise fail(
            f"{len(result.failed)} of {len(messages)} message(s) printed but not deleted: {left}",
            1,
        )
    opts.say(f"deleted {len(messages)} message(s) from {q.name}")


@command(sqs_app, "purge")
def purge(opts: Options, queue: QueueArg) -> None:
    """Delete every message of a queue (SQS allows one purge a minute).

    Example: awskit sqs purge jobs
    """
    q = _queue(opts, queue)
    q.purge()
    if opts.json:
        opts.emit({"queue": q.name, "purged": True})
    else:
        opts.say(f"purged {q.name}")


@command(sqs_app, "queues")
def queues(
    opts: Options,
    prefix: Annotated[
        str | None, typer.Option("--prefix", help="Only queues whose name starts so.")
    ] = None,
) -> None:
    """List queues with their approximate message counts.

    Example: awskit sqs queues --prefix jobs
    """
    found = []
    for q in opts.session().sqs.queues(prefix=prefix):
        attrs = q.attributes
        found.append(
            {
                "name": q.name,
                "url": q.url,
                "messages": attrs.approximate_number_of_messages,
                "in_flight": attrs.approximate_number_of_messages_not_visible,
                "fifo": attrs.fifo,
            }
        )
    opts.emit(
        found,
        columns=("Name", "Messages", "In flight", "URL"),
        rows=[(q["name"], q["messages"], q["in_flight"], q["url"]) for q in found],
    )


@command(sqs_app, "create")
def create(
    opts: Options,
    name: Annotated[
        str, typer.Argument(help="Queue name (a FIFO queue's ends in .fifo).", show_default=False)
    ],
    fifo: Annotated[
        bool, typer.Option("--fifo", help="A FIFO queue (name ends in .fifo).")
    ] = False,
    delay: Annotated[
        int | None,
        typer.Option("--delay", help="Seconds every message waits before delivery (0-900)."),
    ] = None,
    visibility: Annotated[
        int | None,
        typer.Option("--visibility", help="Seconds a received message stays hidden (0-43200; 30)."),
    ] = None,
) -> None:
    """Create a queue (or find the existing one, when its attributes agree).

    Example: awskit sqs create jobs --visibility 60
    """
    q = opts.session().sqs.create_queue(
        name, fifo=fifo or None, delay_seconds=delay, visibility_timeout=visibility
    )
    attrs = q.attributes
    made = {
        "name": q.name,
        "url": q.url,
        "fifo": attrs.fifo,
        "delay_seconds": attrs.delay_seconds,
        "visibility_timeout": attrs.visibility_timeout,
    }
    if opts.json:
        opts.emit(made)
    elif not opts.quiet:
        opts.out.print(f"created queue {q.name}: {q.url}", markup=False)


@command(sqs_app, "delete")
def delete(opts: Options, queue: QueueArg) -> None:
    """Delete a queue and every message in it (SQS frees the name after 60 seconds).

    Example: awskit sqs delete jobs
    """
    q = _queue(opts, queue)
    q.delete()
    if opts.json:
        opts.emit({"queue": q.name, "deleted": True})
    elif not opts.quiet:
        opts.out.print(f"deleted queue {q.name}", markup=False)
