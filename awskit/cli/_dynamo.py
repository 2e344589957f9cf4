"""``awskit dynamo``: get, put, query and scan items; import and export JSON Lines."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from awskit import InvalidInput, NotFound

from ._app import Options, command, group
from ._parse import parse_condition, parse_pairs, parse_value, to_jsonable

if TYPE_CHECKING:
    from awskit.dynamo import Table

__all__ = ["export", "get", "import_", "put", "query", "scan"]

dynamo_app = group("dynamo", "Amazon DynamoDB: items, queries, scans, JSON Lines.")

TableArg = Annotated[str, typer.Argument(help="Table name.", show_default=False)]
LimitOpt = Annotated[int | None, typer.Option("--limit", help="At most this many items.", min=1)]
FilterOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--filter", "-f", help="Filter such as 'age < 27' or 'address.state = CA'; repeatable."
    ),
]


def _table(opts: Options, name: str) -> tuple[Table[dict[str, Any]], dict[str, str]]:
    table = opts.session().dynamo.table(name)
    described = table.describe()
    types = {a["AttributeName"]: a["AttributeType"] for a in described["AttributeDefinitions"]}
    return table, types


def _typed_key(pairs: dict[str, Any], types: dict[str, str]) -> dict[str, Any]:
    key: dict[str, Any] = {}
    for name, value in pairs.items():
        kind = types.get(name)
        if isinstance(value, str) and kind == "N":
            value = parse_value(value)
            if not isinstance(value, (int, Decimal)) or isinstance(value, bool):
                raise InvalidInput("key", f"{name} is a number attribute")
        elif isinstance(value, str) and kind == "B":
            value = base64.b64decode(value)
        key[name] = value
    return key


def _json_object(text: str, field: str) -> dict[str, Any]:
    try:
        value = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise InvalidInput(field, f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidInput(field, "must be a JSON object")
    return value


def _show(opts: Options, items: list[dict[str, Any]], title: str | None = None) -> None:
    columns: dict[str, None] = {}
    for item in items:
        columns.update(dict.fromkeys(item))
    plain = to_jsonable(items)
    opts.emit(
        plain,
        columns=tuple(columns),
        rows=[
            tuple(
                json.dumps(row[c]) if isinstance(row.get(c), (dict, list)) else row.get(c)
                for c in columns
            )
            for row in plain
        ],
        title=title if title is not None else f"{len(items)} item(s)",
    )


@command(dynamo_app, "get")
def get(
    opts: Options,
    table: TableArg,
    key: Annotated[
        list[str],
        typer.Argument(help="The key: name=value pairs (or one JSON object).", show_default=False),
    ],
    consistent: Annotated[bool, typer.Option("--consistent", help="Strongly consistent.")] = False,
) -> None:
    """Get one item by its key.

    Example: awskit dynamo get users username=janedoe last_name=Doe
    """
    pairs = (
        _json_object(key[0], "key")
        if len(key) == 1 and key[0].lstrip().startswith("{")
        else parse_pairs(key, "key")
    )
    t, types = _table(opts, table)
    item = t.get(_typed_key(pairs, types), consistent=consistent)
    if item is None:
        raise NotFound(f"no item in {table} with key {to_jsonable(pairs)}", code="NoSuchItem")
    if opts.json:
        opts.emit(item)
    else:
        _show(opts, [item], title=table)


@command(dynamo_app, "put")
def put(
    opts: Options,
    table: TableArg,
    item: Annotated[
        str, typer.Argument(help="The item as a JSON object ('-' reads stdin).", show_default=False)
    ],
) -> None:
    """Put (create or replace) one item.

    Example: awskit dynamo put users '{"username": "janedoe", "last_name": "Doe", "age": 25}'
    """
    data = _json_object(sys.stdin.read() if item == "-" else item, "item")
    t, _ = _table(opts, table)
    t.put(data)
    if opts.json:
        opts.emit({"table": table, "put": data})
    else:
        opts.say(f"put 1 item into {table}")


@command(dynamo_app, "query")
def query(
    opts: Options,
    table: TableArg,
    condition: Annotated[
        list[str],
        typer.Argument(
            help="Key condition, e.g. 'username = johndoe' 'last_name begins_with D'.",
            show_default=False,
        ),
    ],
    filter: FilterOpt = None,
    index: Annotated[str | None, typer.Option("--index", help="Query this index.")] = None,
    limit: LimitOpt = None,
    reverse: Annotated[bool, typer.Option("--reverse", help="Descending sort key.")] = False,
) -> None:
    """Query items by key condition (every page).

    Example: awskit dynamo query users 'username = johndoe'
    """
    t, types = _table(opts, table)
    key = parse_condition(condition, key=True, field="condition", types=types)
    where = parse_condition(filter, field="filter", types=types) if filter else None
    items = list(t.query(key, filter=where, index=index, limit=limit, reverse=reverse))
    _show(opts, items)


@command(dynamo_app, "scan")
def scan(
    opts: Options,
    table: TableArg,
    filter: Annotated[
        list[str] | None,
        typer.Argument(
            help="Filter, e.g. 'age < 27' 'first_name begins_with J'.", show_default=False
        ),
    ] = None,
    segments: Annotated[
        int, typer.Option("--segments", help="Scan this many segments in parallel.", min=1)
    ] = 1,
    limit: LimitOpt = None,
) -> None:
    """Scan the table (every page), optionally filtered.

    Example: awskit dynamo scan users 'address.state = CA'
    """
    t, types = _table(opts, table)
    where = parse_condition(filter, field="filter", types=types) if filter else None
    items = list(t.scan(where, segments=segments, limit=limit))
    _show(opts, items)


def _lines(path: str) -> Iterator[tuple[int, str]]:
    if path == "-":
        yield from enumerate(sys.stdin, 1)
        return
    with open(path, encoding="utf-8") as handle:
        yield from enumerate(handle, 1)


def _items(lines: Iterable[tuple[int, str]]) -> Iterator[dict[str, Any]]:
    for number, line in lines:
        if not line.strip():
            continue
        try:
            yield _json_object(line, "file")
        except InvalidInput as exc:
            raise InvalidInput("file", f"line {number}: {exc.reason}") from None


@command(dynamo_app, "import")
def import_(
    opts: Options,
    table: TableArg,
    file: Annotated[str, typer.Argument(help="JSON Lines file, one item a line ('-': stdin).")],
) -> None:
    """Write every item of a JSON Lines file (batched, retried, concurrent).

    Numbers are stored exactly. Every line is read before the first write, so a bad line
    writes nothing.

    Example: awskit dynamo import users users.jsonl
    """
    items = list(_items(_lines(file)))
    t, _ = _table(opts, table)
    with opts.counter(f"import {table}", len(items)) as advance, t.batch_writer() as batch:
        for item in items:
            batch.put(item)
            advance(1)
    if opts.json:
        opts.emit({"table": table, "imported": len(items)})
    else:
        opts.say(f"imported {len(items)} item(s) into {table}")


@command(dynamo_app, "export")
def export(
    opts: Options,
    table: TableArg,
    file: Annotated[str, typer.Argument(help="JSON Lines file to write ('-': stdout).")],
    segments: Annotated[
        int, typer.Option("--segments", help="Scan this many segments in parallel.", min=1)
    ] = 1,
) -> None:
    """Write every item of a table as JSON Lines (sets as lists, binary as base64).

    Example: awskit dynamo export users users.jsonl
    """
    t, _ = _table(opts, table)
    total = t.item_count
    count = 0
    target = Path(file)
    handle = sys.stdout if file == "-" else target.open("w", encoding="utf-8")
    try:
        with opts.counter(f"export {table}", total or None) as advance:
            for item in t.scan(segments=segments):
                handle.write(json.dumps(to_jsonable(item), ensure_ascii=False) + "\n")
                count += 1
                advance(1)
    finally:
        if handle is not sys.stdout:
            handle.close()
    if file == "-":
        return
    if opts.json:
        opts.emit({"table": table, "exported": count, "file": file})
    else:
        opts.say(f"exported {count} item(s) from {table} to {file}")
