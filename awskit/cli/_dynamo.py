"""``awskit dynamo``: create, describe and delete tables; get, put, query and scan items;
import and export JSON Lines."""

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

from ._app import Options, command, confirm, group
from ._files import replace_atomically, stdin_text
from ._parse import parse_condition, parse_key_spec, parse_pairs, parse_value, to_jsonable

if TYPE_CHECKING:
    from awskit.dynamo import Table

__all__ = [
    "create",
    "delete",
    "describe",
    "export",
    "get",
    "import_",
    "put",
    "query",
    "scan",
]

dynamo_app = group(
    "dynamo", "Amazon DynamoDB: create, describe, delete tables; items, queries, JSON Lines."
)

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
    data = _json_object(stdin_text() if item == "-" else item, "item")
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

    The lines go to a temporary file beside FILE, which replaces FILE (keeping its
    permissions) only once every page is read: a failed export leaves FILE as it was.

    Example: awskit dynamo export users users.jsonl
    """
    t, _ = _table(opts, table)
    total = t.item_count
    count = 0

    def write(handle: Any) -> None:
        nonlocal count
        with opts.counter(f"export {table}", total or None) as advance:
            for item in t.scan(segments=segments):
                handle.write(json.dumps(to_jsonable(item), ensure_ascii=False) + "\n")
                count += 1
                advance(1)

    if file == "-":
        write(sys.stdout)
        return
    # The previous export stays in place, whole, until this one is complete.
    with (
        replace_atomically(Path(file)) as temp,
        temp.open("w", encoding="utf-8") as handle,
    ):
        write(handle)
    if opts.json:
        opts.emit({"table": table, "exported": count, "file": file})
    else:
        opts.say(f"exported {count} item(s) from {table} to {file}")


# -- tables ----------------------------------------------------------------------------------


def _summary(described: dict[str, Any]) -> dict[str, Any]:
    types = {a["AttributeName"]: a["AttributeType"] for a in described["AttributeDefinitions"]}
    keys = {k["KeyType"]: k["AttributeName"] for k in described.get("KeySchema", ())}

    def spec(role: str) -> str | None:
        name = keys.get(role)
        return None if name is None else f"{name}:{types.get(name, '?')}"

    billing = described.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    indexes = [
        i["IndexName"]
        for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
        for i in described.get(kind, ())
    ]
    return {
        "name": described.get("TableName"),
        "status": described.get("TableStatus"),
        "hash_key": spec("HASH"),
        "range_key": spec("RANGE"),
        "item_count": described.get("ItemCount", 0),
        "size_bytes": described.get("TableSizeBytes", 0),
        "billing": billing,
        "indexes": indexes,
        "created_at": described.get("CreationDateTime"),
        "arn": described.get("TableArn"),
    }


@command(dynamo_app, "create")
def create(
    opts: Options,
    table: TableArg,
    hash_key: Annotated[
        str,
        typer.Option(
            "--hash-key",
            metavar="NAME:S|N|B",
            help="Partition key: name and type (S text, N number, B binary).",
            show_default=False,
        ),
    ],
    range_key: Annotated[
        str | None,
        typer.Option(
            "--range-key",
            metavar="NAME:S|N|B",
            help="Sort key, if any: name and type.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Create a table (on-demand billing) and wait until it is ACTIVE.

    Example: awskit dynamo create users --hash-key username:S --range-key last_name:S
    """
    hash_name, hash_type = parse_key_spec(hash_key, "hash_key")
    key_types: dict[str, Any] = {hash_name: hash_type}
    range_name = None
    if range_key is not None:
        range_name, range_type = parse_key_spec(range_key, "range_key")
        if range_name == hash_name:
            raise InvalidInput("range_key", "the sort key must differ from the partition key")
        key_types[range_name] = range_type
    made = opts.session().dynamo.create_table(
        table, hash_key=hash_name, range_key=range_name, key_types=key_types, wait=True
    )
    summary = _summary(made.describe())
    if opts.json:
        opts.emit(summary)
    elif not opts.quiet:
        keys = summary["hash_key"] + (f", {summary['range_key']}" if summary["range_key"] else "")
        opts.out.print(f"created table {table} (key {keys})", markup=False)


@command(dynamo_app, "describe")
def describe(opts: Options, table: TableArg) -> None:
    """Show a table: status, key schema, item count and size (as AWS last counted).

    Example: awskit dynamo describe users
    """
    summary = _summary(opts.session().dynamo.table(table).describe())
    opts.emit(
        summary,
        record={
            "table": summary["name"],
            "status": summary["status"],
            "hash key": summary["hash_key"],
            "range key": summary["range_key"] or "-",
            "items": f"{summary['item_count']:,}",
            "size": f"{summary['size_bytes']:,} bytes",
            "billing": summary["billing"],
            "indexes": ", ".join(summary["indexes"]) or "-",
            "created": summary["created_at"],
            "ARN": summary["arn"],
        },
    )


@command(dynamo_app, "delete")
def delete(
    opts: Options,
    table: TableArg,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Delete without asking (required off a terminal).")
    ] = False,
) -> None:
    """Delete a table and every item in it; asks first unless --yes.

    Example: awskit dynamo delete users --yes
    """
    t = opts.session().dynamo.table(table)
    count = int(t.describe().get("ItemCount", 0))
    confirm(
        opts,
        yes,
        f"Delete table {table} and its items (about {count:,})?",
        f"refusing to delete table {table}",
    )
    t.delete_table(wait=True)
    if opts.json:
        opts.emit({"table": table, "deleted": True})
    elif not opts.quiet:
        opts.out.print(f"deleted table {table}", markup=False)
