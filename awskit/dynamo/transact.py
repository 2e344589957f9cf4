"""Transactions: up to 100 writes (or reads) that succeed or fail together.

Actions are small dataclasses naming what to do; each may name its table, or take the
table whose ``transact_write`` was called. When DynamoDB cancels a transaction,
[TransactionCanceled][awskit.dynamo.TransactionCanceled] pairs every action with the reason DynamoDB
gave for it.

Example:
    ```python
    users.transact_write([
        TransactPut(User(username="a", last_name="A", age=1)),
        TransactUpdate({"username": "b", "last_name": "B"}, set={"age": 2}),
        TransactCheck({"username": "c", "last_name": "C"}, Attr("age").gt(18), table=adults),
    ])
    ```
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, Union, cast

from boto3.dynamodb.conditions import ConditionBase
from botocore.exceptions import ClientError

from .._errors import AwskitError, InvalidInput, error_code
from .codec import from_attribute_value
from .table import key_id

if TYPE_CHECKING:
    from . import DynamoDB
    from .table import Table

__all__ = [
    "CancellationReason",
    "TransactAction",
    "TransactCheck",
    "TransactDelete",
    "TransactPut",
    "TransactUpdate",
    "TransactionCanceled",
    "transact_get",
    "transact_write",
]

T = TypeVar("T")

#: TransactWriteItems and TransactGetItems take at most 100 actions.
MAX_ACTIONS = 100


class TransactTable(Protocol):
    """The table an action names: a [Table][awskit.dynamo.Table], or an ``awskit.aio``
    table in an ``awskit.aio`` transaction."""

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class TransactPut:
    """Write ``item`` whole, if ``condition`` holds."""

    item: Any
    condition: ConditionBase | None = None
    table: TransactTable | None = None


@dataclass(frozen=True)
class TransactUpdate:
    """Update the existing item with ``key``, if ``condition`` holds.

    Validated against the table's model as [Table.update][awskit.dynamo.Table.update] is;
    without ``upsert`` an absent item cancels the transaction (``ConditionalCheckFailed``
    with no current item).
    """

    key: Any
    set: Mapping[str, Any] | None = None
    remove: Sequence[str] = ()
    add: Mapping[str, Any] | None = None
    delete: Mapping[str, Any] | None = None
    condition: ConditionBase | None = None
    table: TransactTable | None = None
    upsert: bool = False


@dataclass(frozen=True)
class TransactDelete:
    """Delete the item with ``key``, if ``condition`` holds."""

    key: Any
    condition: ConditionBase | None = None
    table: TransactTable | None = None


@dataclass(frozen=True)
class TransactCheck:
    """Write nothing, but cancel the transaction unless ``condition`` holds for ``key``."""

    key: Any
    condition: ConditionBase
    table: TransactTable | None = None


TransactAction = Union[TransactPut, TransactUpdate, TransactDelete, TransactCheck]  # noqa: UP007
"""One action of [Table.transact_write][awskit.dynamo.Table.transact_write]: a put, update, delete
or condition check."""


@dataclass(frozen=True)
class CancellationReason:
    """Why DynamoDB refused one action: ``code`` is ``"None"`` for actions that were fine.

    ``item`` is the current item (read into the table's model) when DynamoDB returned it.
    """

    action: Any
    code: str
    message: str | None = None
    item: Any = None


class TransactionCanceled(AwskitError):
    """DynamoDB cancelled the transaction; nothing was written.

    ``reasons`` has one [CancellationReason][awskit.dynamo.CancellationReason] per action, in order;
    ``failed`` the ones that caused the cancellation (``ConditionalCheckFailed``,
    ``TransactionConflict``, ...), with the current item where DynamoDB returned it.
    """

    def __init__(self, message: str, *, reasons: list[CancellationReason], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reasons = reasons

    @property
    def failed(self) -> list[CancellationReason]:
        """The reasons of the actions that were refused."""
        return [r for r in self.reasons if r.code not in ("None", "")]


def _check_count(actions: Sequence[Any], what: str) -> None:
    if not actions:
        raise InvalidInput(what, "a transaction needs at least one action")
    if len(actions) > MAX_ACTIONS:
        raise InvalidInput(what, f"at most {MAX_ACTIONS} actions, not {len(actions)}")


def _request(action: TransactAction, table: Table[Any]) -> tuple[str, dict[str, Any]]:
    if isinstance(action, TransactPut):
        return "Put", table.put_request(action.item, action.condition)
    if isinstance(action, TransactUpdate):
        request = table.update_request(
            action.key,
            set=action.set,
            remove=action.remove,
            add=action.add,
            delete=action.delete,
            condition=action.condition,
            upsert=action.upsert,
        )
        return "Update", request
    if isinstance(action, TransactDelete):
        return "Delete", table.delete_request(action.key, action.condition)
    if isinstance(action, TransactCheck):
        if action.condition is None:
            raise InvalidInput("actions", "TransactCheck needs a condition")
        return "ConditionCheck", table.delete_request(action.key, action.condition)
    raise InvalidInput("actions", f"not a transaction action: {action!r}")


def _cancelled(exc: ClientError, actions: Sequence[Any], tables: Sequence[Table[Any]]) -> Exception:
    reasons = []
    raw = exc.response.get("CancellationReasons") or []
    for action, table, reason in zip(actions, tables, raw, strict=False):
        item = reason.get("Item")
        decoded = None
        if item:
            try:
                decoded = table.load(item)
            except AwskitError:
                decoded = {str(k): from_attribute_value(cast(Any, v)) for k, v in item.items()}
        reasons.append(
            CancellationReason(action, str(reason.get("Code", "")), reason.get("Message"), decoded)
        )
    error = exc.response.get("Error", {})
    meta = exc.response.get("ResponseMetadata", {})
    return TransactionCanceled(
        str(error.get("Message") or "Transaction cancelled"),
        reasons=reasons,
        code=error_code(exc),
        operation=exc.operation_name,
        request_id=meta.get("RequestId"),
    )


def raise_cancelled(exc: ClientError, actions: Sequence[Any], tables: Sequence[Table[Any]]) -> None:
    """Raise [TransactionCanceled][awskit.dynamo.TransactionCanceled] from ``exc`` when
    DynamoDB cancelled the transaction; return for any other error."""
    if error_code(exc) == "TransactionCanceledException":
        raise _cancelled(exc, actions, tables) from exc


def action_tables(actions: Sequence[TransactAction], default: Any) -> list[Any]:
    """The table of each action (its ``table=``, else ``default``), the count checked."""
    _check_count(actions, "actions")
    tables = []
    for i, action in enumerate(actions):
        table = getattr(action, "table", None) or default
        if table is None:
            raise InvalidInput(f"actions[{i}]", "name the table of this action (table=...)")
        tables.append(table)
    return tables


def write_call(
    actions: Sequence[TransactAction], tables: Sequence[Table[Any]], token: str | None
) -> dict[str, Any]:
    """The ``TransactWriteItems`` request for ``actions`` on ``tables`` (whose key schemas
    are known), every action checked (InvalidInput)."""
    items: list[dict[str, Any]] = []
    seen: set[tuple[str, Any]] = set()
    for i, (action, table) in enumerate(zip(actions, tables, strict=True)):
        kind, request = _request(action, table)
        av_key = request.get("Key") or {n: request["Item"][n] for n in table.key_schema.names}
        ident = (table.name, key_id(av_key, table.key_schema.names))
        if ident in seen:
            # DynamoDB refuses a transaction that touches one item twice.
            raise InvalidInput(f"actions[{i}]", f"a second action on the item {ident[1]!r}")
        seen.add(ident)
        request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        items.append({kind: request})
    call: dict[str, Any] = {"TransactItems": items}
    if token is not None:
        call["ClientRequestToken"] = token
    return call


def get_call(table: Table[Any], keys: Sequence[Any]) -> dict[str, Any]:
    """The ``TransactGetItems`` request for ``keys`` (checked) of ``table``."""
    _check_count(keys, "keys")
    return {
        "TransactItems": [
            {"Get": {"TableName": table.name, "Key": table._key(key, field=f"keys[{i}]")[0]}}
            for i, key in enumerate(keys)
        ]
    }


def read_get(table: Table[T], response: Mapping[str, Any]) -> list[T | None]:
    """The items of a ``TransactGetItems`` answer, in order; ``None`` where absent."""
    return [table.load(r["Item"]) if r.get("Item") else None for r in response.get("Responses", ())]


def transact_write(
    dynamo: DynamoDB,
    actions: Sequence[TransactAction],
    *,
    default: Table[Any] | None = None,
    token: str | None = None,
) -> None:
    """Send ``actions`` as one ``TransactWriteItems`` (all or nothing).

    ``token`` is the ClientRequestToken that makes a retried transaction idempotent.
    """
    actions = list(actions)
    tables = action_tables(actions, default)
    call = write_call(actions, tables, token)

    def send() -> None:
        try:
            dynamo.client.transact_write_items(**call)
        except ClientError as exc:
            raise_cancelled(exc, actions, tables)
            raise

    dynamo.session.retry.call(send, operation="TransactWriteItems")


def transact_get(table: Table[T], keys: Iterable[Any]) -> list[T | None]:
    """Read the items with ``keys`` in one ``TransactGetItems``; ``None`` where absent."""
    keys = list(keys)
    call = get_call(table, keys)

    def send() -> Any:
        try:
            return table.client.transact_get_items(**call)
        except ClientError as exc:
            raise_cancelled(exc, keys, [table] * len(keys))
            raise

    response = table._dynamo.session.retry.call(send, operation="TransactGetItems")
    return read_get(table, response)
