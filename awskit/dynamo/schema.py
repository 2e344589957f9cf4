"""Table definitions: key schema, billing, indexes, and key types read off a model.

Pure logic: `create_table_request` turns awskit's arguments into a ``CreateTable``
request without a client, so every rule is checked before anything is sent; the
``described_*`` functions read a ``DescribeTable`` answer, and `TABLE_WAIT` is how long
a table is waited for (both shared by the blocking and the asyncio tables).
"""

from __future__ import annotations

import datetime
import decimal
import enum
import types
import typing
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Union

from .._errors import InvalidInput

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import WaiterConfigTypeDef

__all__ = [
    "TABLE_WAIT",
    "GlobalIndex",
    "KeySchema",
    "LocalIndex",
    "Provisioned",
    "create_table_request",
    "described_created",
    "described_item_count",
    "described_status",
    "key_type_of",
]

KeyType = Literal["S", "N", "B"]

#: How a table is waited for (ACTIVE after ``create_table``, gone after ``delete_table``):
#: ``DescribeTable`` once a second, for at most ten minutes.
TABLE_WAIT: WaiterConfigTypeDef = {"Delay": 1, "MaxAttempts": 600}


def described_item_count(table: Mapping[str, Any]) -> int:
    """``ItemCount`` of a ``DescribeTable`` answer's ``Table``: items as AWS last counted
    them (refreshed about every six hours)."""
    return int(table.get("ItemCount", 0))


def described_created(table: Mapping[str, Any]) -> datetime.datetime:
    """``CreationDateTime`` of a ``DescribeTable`` answer's ``Table``."""
    return typing.cast(datetime.datetime, table["CreationDateTime"])


def described_status(table: Mapping[str, Any]) -> str:
    """``TableStatus`` of a ``DescribeTable`` answer's ``Table``: ``CREATING``,
    ``ACTIVE``, ``UPDATING``, ``DELETING``, ..."""
    return str(table["TableStatus"])


@dataclass(frozen=True)
class KeySchema:
    """A table's (or index's) primary key: the hash key and the optional range key."""

    hash_key: str
    range_key: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The key attribute names, hash key first."""
        return (self.hash_key,) if self.range_key is None else (self.hash_key, self.range_key)


@dataclass(frozen=True)
class Provisioned:
    """Provisioned capacity: read and write capacity units (each at least 1).

    Example:
        ```python
        aws.dynamo.create_table("users", User, hash_key="username",
                                billing=Provisioned(read=5, write=5))
        ```
    """

    read: int
    write: int

    def __post_init__(self) -> None:
        for field, units in (("read", self.read), ("write", self.write)):
            if not isinstance(units, int) or isinstance(units, bool) or units < 1:
                raise InvalidInput(
                    f"billing.{field}", f"capacity units must be >= 1, not {units!r}"
                )

    def request(self) -> dict[str, int]:
        """The ``ProvisionedThroughput`` request shape."""
        return {"ReadCapacityUnits": self.read, "WriteCapacityUnits": self.write}


Projection = Union[Literal["ALL", "KEYS_ONLY"], Sequence[str]]  # noqa: UP007 (3.10 alias)


@dataclass(frozen=True)
class GlobalIndex:
    """A global secondary index (at most 20 per table).

    ``projection`` is ``"ALL"``, ``"KEYS_ONLY"`` or the non-key attributes to copy
    (``INCLUDE``). ``provisioned`` is required-by-AWS capacity when the table is
    provisioned; it defaults to the table's.
    """

    name: str
    hash_key: str
    range_key: str | None = None
    projection: Projection = "ALL"
    provisioned: Provisioned | None = None


@dataclass(frozen=True)
class LocalIndex:
    """A local secondary index (at most 5 per table): same hash key, another range key."""

    name: str
    range_key: str
    projection: Projection = "ALL"


_NUMBER_TYPES = (int, float, decimal.Decimal)
_STRING_TYPES = (str, datetime.datetime, datetime.date, uuid.UUID)


def key_type_of(model: type[Any] | None, attribute: str, given: str | None) -> KeyType:
    """``S``, ``N`` or ``B`` for a key attribute, from ``given`` or the model's field type."""
    if given is not None:
        if given not in ("S", "N", "B"):
            raise InvalidInput("key_types", f"{attribute!r}: type must be S, N or B, not {given!r}")
        return typing.cast(KeyType, given)
    if model is None:
        return "S"
    fields: Mapping[str, Any] = getattr(model, "model_fields", {})
    info = fields.get(attribute)
    if info is None:
        aliased = [f for f in fields.values() if getattr(f, "alias", None) == attribute]
        info = aliased[0] if aliased else None
    if info is None:
        raise InvalidInput(
            "hash_key", f"{model.__name__} has no field {attribute!r} to use as a key attribute"
        )
    annotation = _strip_optional(info.annotation)
    if isinstance(annotation, type):
        # bool is an int, but DynamoDB keys cannot be BOOL.
        if issubclass(annotation, bool):
            pass
        elif issubclass(annotation, enum.Enum):
            # The codec stores an Enum as its value.
            values = {type(member.value) for member in annotation}
            if values and all(issubclass(v, str) for v in values):
                return "S"
            if values and all(issubclass(v, int) and not issubclass(v, bool) for v in values):
                return "N"
        elif issubclass(annotation, bytes):
            return "B"
        elif issubclass(annotation, _NUMBER_TYPES):
            return "N"
        elif issubclass(annotation, _STRING_TYPES):
            return "S"
    raise InvalidInput(
        "hash_key",
        f"{model.__name__}.{attribute} is {annotation!r}: a key attribute must be a string, "
        "number or bytes field",
    )


def _strip_optional(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is Union or origin is getattr(types, "UnionType", None):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _strip_optional(args[0])
    if origin is typing.Annotated:
        return _strip_optional(typing.get_args(annotation)[0])
    return annotation


def _projection(projection: Projection, field: str) -> dict[str, Any]:
    if projection in ("ALL", "KEYS_ONLY"):
        return {"ProjectionType": projection}
    if isinstance(projection, str) or not all(isinstance(p, str) for p in projection):
        raise InvalidInput(field, "projection is 'ALL', 'KEYS_ONLY' or a list of attribute names")
    if not projection:
        raise InvalidInput(field, "an INCLUDE projection names at least one attribute")
    return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(projection)}


def _key_schema(hash_key: str, range_key: str | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key is not None:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


def create_table_request(
    name: str,
    model: type[Any] | None,
    *,
    hash_key: str,
    range_key: str | None = None,
    billing: Literal["PAY_PER_REQUEST"] | Provisioned = "PAY_PER_REQUEST",
    indexes: Sequence[GlobalIndex | LocalIndex] = (),
    key_types: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``CreateTable`` request for these arguments, validated."""
    if not isinstance(name, str) or not 3 <= len(name) <= 255:
        raise InvalidInput("name", "a table name has 3 to 255 characters")
    if not isinstance(hash_key, str) or not hash_key:
        raise InvalidInput("hash_key", "name the hash key attribute")
    if range_key == hash_key:
        raise InvalidInput("range_key", "the range key must differ from the hash key")
    key_types = dict(key_types or {})
    attributes: dict[str, str] = {}

    def define(attribute: str) -> None:
        if attribute not in attributes:
            attributes[attribute] = key_type_of(model, attribute, key_types.get(attribute))

    define(hash_key)
    if range_key is not None:
        define(range_key)
    request: dict[str, Any] = {"TableName": name, "KeySchema": _key_schema(hash_key, range_key)}
    if billing == "PAY_PER_REQUEST":
        request["BillingMode"] = "PAY_PER_REQUEST"
    elif isinstance(billing, Provisioned):
        request["BillingMode"] = "PROVISIONED"
        request["ProvisionedThroughput"] = billing.request()
    else:
        raise InvalidInput("billing", "'PAY_PER_REQUEST' or Provisioned(read=..., write=...)")
    gsis: list[dict[str, Any]] = []
    lsis: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index in indexes:
        if not isinstance(index, (GlobalIndex, LocalIndex)):
            raise InvalidInput("indexes", f"expected GlobalIndex or LocalIndex, not {index!r}")
        if index.name in seen:
            raise InvalidInput("indexes", f"two indexes are named {index.name!r}")
        seen.add(index.name)
        field = f"indexes.{index.name}"
        if isinstance(index, GlobalIndex):
            define(index.hash_key)
            if index.range_key is not None:
                define(index.range_key)
            gsi: dict[str, Any] = {
                "IndexName": index.name,
                "KeySchema": _key_schema(index.hash_key, index.range_key),
                "Projection": _projection(index.projection, field),
            }
            if isinstance(billing, Provisioned):
                gsi["ProvisionedThroughput"] = (index.provisioned or billing).request()
            gsis.append(gsi)
        else:
            if range_key is None:
                raise InvalidInput(field, "a local index needs a table with a range key")
            define(index.range_key)
            lsis.append(
                {
                    "IndexName": index.name,
                    "KeySchema": _key_schema(hash_key, index.range_key),
                    "Projection": _projection(index.projection, field),
                }
            )
    if len(gsis) > 20:
        raise InvalidInput("indexes", "at most 20 global secondary indexes per table")
    if len(lsis) > 5:
        raise InvalidInput("indexes", "at most 5 local secondary indexes per table")
    request["AttributeDefinitions"] = [
        {"AttributeName": attribute, "AttributeType": kind}
        for attribute, kind in attributes.items()
    ]
    if gsis:
        request["GlobalSecondaryIndexes"] = gsis
    if lsis:
        request["LocalSecondaryIndexes"] = lsis
    return request
