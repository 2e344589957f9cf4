"""``awskit sqs``: send, receive and purge messages, list queues."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._app import Options, command, group
from ._parse import parse_pairs

if TYPE_CHECKING:
    from awskit.sqs import Queue

__all__ = ["purge", "queues", "receive", "send"]

sqs_app = group("sqs", "Amazon SQS: send, receive, purge, list queues.")

QueueArg = Annotated[str, typer.Argument(help="Queue name (or its URL).", show_default=False)]


def _queue(opts: Options, queue: str) -> Queue[str]:
    # A URL ends with the queue's name; get_queue checks it exists either way.
    name = queue.rstrip("/").rsplit("/", 1)[-1] if "://" in queue else queue
    return opts.session().sqs.get_queue(name)


@command(sqs_app, "send")
def send(
    opts: Options,
    queue: QueueArg,
    body: Annotated[str, typer.Argument(help="Message body (text; '-' reads stdin).")],
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
    import sys

    text = sys.stdin.read() if body == "-" else body
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
        bool, typer.Option("--delete", help="Delete the messages once printed.")
    ] = False,
) -> None:
    """Receive messages (and, with --delete, delete them).

    Without --delete the messages become visible again after the visibility timeout.

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
    if delete and messages:
        result = q.delete_messages(messages)
        if result.failed:
            from awskit import PartialFailure

            raise PartialFailure(
                f"{len(result.failed)} of {len(messages)} messages were not deleted",
                failed=result.failed,
            )
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
        title=f"{len(rows)} message(s) from {q.name}" + (", deleted" if delete else ""),
    )


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
