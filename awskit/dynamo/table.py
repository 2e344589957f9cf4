"""One DynamoDB table, typed by the model its items are read into.

A [Table][awskit.dynamo.Table] talks to the low-level client only (thread-safe, shared by the
session; boto3 resources are neither). Items are encoded and decoded by `awskit.dynamo.codec`,
conditions are boto3's ``Key``/``Attr`` objects, and reads of many items are iterators
over every page (`awskit._paging.Paged`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast, overload

from boto3.dynamodb.conditions import Attr, ConditionBase
from pydantic import BaseModel, ValidationError

from .._errors import (
    AwskitError,
    ConditionFailed,
    InvalidInput,
    NotFound,
    aws_errors,
)
from .._fastwrite import MARK, marked
from .._paging import Page, Paged
from .codec import (
    dump_item,
    from_attribute_value,
    key_of,
    load_item,
    to_attribute_value,
    ttl_update,
)
from .expressions import Expressions, read_request, start_key_of
from .schema import (
    TABLE_WAIT,
    KeySchema,
    described_created,
    described_item_count,
    described_status,
)
from .validate import (
    check_index_name,
    check_key_condition,
    check_key_values,
    check_update,
    decode_partial,
    missing_for_upsert,
    no_such_index,
    required_attributes,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from . import DynamoDB
    from .batch import BatchWriter
    from .transact import TransactAction

__all__ = ["IndexInfo", "InvalidItem", "KeyId", "Table", "key_id"]

T = TypeVar("T")

#: A hashable identity of a primary key: ``((name, value), ...)`` in key-schema order.
KeyId = tuple[tuple[str, Any], ...]

#: BatchGetItem takes at most 100 keys a request.
BATCH_GET_KEYS = 100


class InvalidItem(AwskitError):
    """An item read from a table does not fit the table's model.

    ``table`` and ``key`` (plain values) say which item; ``item`` is the item with plain
    Python values; ``__cause__`` is pydantic's ``ValidationError``.
    """

    def __init__(self, message: str, *, table: str, key: dict[str, Any], item: Any) -> None:
        super().__init__(message, code="InvalidItem")
        self.table = table
        self.key = key
        self.item = item


@dataclass(frozen=True)
class IndexInfo:
    """A secondary index as DescribeTable tells it: kind, key, and what it projects."""

    name: str
    kind: Literal["global", "local"]
    key_schema: KeySchema
    projection: str
    non_key_attributes: tuple[str, ...] = ()

    def projected(self, table_key: KeySchema) -> set[str] | None:
        """Attribute names an item read from this index holds; ``None`` for every one."""
        if self.projection == "ALL":
            return None
        return {*table_key.names, *self.key_schema.names, *self.non_key_attributes}


def key_id(av_key: Mapping[str, Mapping[str, Any]], names: Sequence[str]) -> KeyId:
    """Identity of a key in AttributeValue form; ``1`` and ``1.0`` are the same number."""
    parts = []
    for name in names:
        ((kind, value),) = av_key[name].items()
        parts.append((name, Decimal(value) if kind == "N" else value))
    return tuple(parts)


def _plain(av: Mapping[str, Any]) -> dict[str, Any]:
    return {name: from_attribute_value(value) for name, value in av.items()}


#: The keyword asking for the write fast path (`awskit._fastwrite.marked`).
_FAST: dict[str, Any] = {MARK: True}


def _on_failure(request: dict[str, Any]) -> dict[str, Any]:
    """Ask for the current item when a condition fails (only if there is a condition)."""
    if "ConditionExpression" in request:
        return {**request, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
    return request


class Table(Generic[T]):
    """A DynamoDB table whose items are ``T`` (a pydantic model, or ``dict[str, Any]``).

    Create one with [awskit.dynamo.DynamoDB.create_table][awskit.dynamo.DynamoDB.create_table] or
    ``aws.dynamo.table(name, model=...)``. Nothing is sent until a method needs AWS; the key schema
    is read from ``DescribeTable`` once, when first needed.

    ``version_field`` turns on optimistic locking: [put][awskit.dynamo.Table.put] and
    [update][awskit.dynamo.Table.update] add a condition that the stored version is the one the
    caller holds, and increment it.
    """

    #: The attribute DynamoDB's TTL reads (set by ``create_table``/``table``): written as
    #: epoch seconds (see [dump_item][awskit.dynamo.codec.dump_item]).
    ttl_attribute: str | None = None

    def __init__(
        self,
        dynamo: DynamoDB,
        name: str,
        model: type[T] | None = None,
        *,
        key_schema: KeySchema | None = None,
        key_types: Mapping[str, str] | None = None,
        version_field: str | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise InvalidInput("name", "a table name is a non-empty string")
        if model is not None and not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise InvalidInput("model", f"expected a pydantic model class, not {model!r}")
        self._dynamo = dynamo
        self.name = name
        self.model = model
        self.version_field = version_field
        self._key_schema = key_schema
        self._key_types: dict[str, str] = dict(key_types or {})
        self._indexes: dict[str, IndexInfo] | None = None
        self._lock = threading.Lock()
        self._calls_made: DynamoDBClient | None = None

    def __repr__(self) -> str:
        model = self.model.__name__ if self.model is not None else None
        return f"Table({self.name!r}, model={model})"

    @property
    def client(self) -> DynamoDBClient:
        """The shared low-level client (fast read path enabled)."""
        return self._dynamo.client

    @property
    def _calls(self) -> DynamoDBClient:
        """The client under the session's retry rule: every single call goes through it."""
        # The session keeps one for good: asked once, not through four calls on every put.
        calls = self._calls_made
        if calls is None:
            calls = self._calls_made = self._dynamo._calls
        return calls

    # -- description ---------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """The ``Table`` part of a fresh ``DescribeTable`` response."""
        table = dict(self._calls.describe_table(TableName=self.name)["Table"])
        self._learn(table)
        return table

    def _learn(self, table: Mapping[str, Any]) -> None:
        """Keep the key schema, key types and indexes of a DescribeTable (or CreateTable)."""
        schema = {k["KeyType"]: k["AttributeName"] for k in table.get("KeySchema", ())}
        types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
        indexes: dict[str, IndexInfo] = {}
        members = (("global", "GlobalSecondaryIndexes"), ("local", "LocalSecondaryIndexes"))
        for kind, member in members:
            for index in table.get(member) or ():
                keys = {k["KeyType"]: k["AttributeName"] for k in index.get("KeySchema", ())}
                projection = index.get("Projection") or {}
                indexes[index["IndexName"]] = IndexInfo(
                    index["IndexName"],
                    cast(Literal["global", "local"], kind),
                    KeySchema(keys["HASH"], keys.get("RANGE")),
                    str(projection.get("ProjectionType", "ALL")),
                    tuple(projection.get("NonKeyAttributes") or ()),
                )
        with self._lock:
            self._key_schema = KeySchema(schema["HASH"], schema.get("RANGE"))
            self._key_types = types
            self._indexes = indexes

    def index(self, name: str) -> IndexInfo:
        """What DynamoDB says of the secondary index ``name`` (DescribeTable, once).

        Raises:
            InvalidInput: the table has no index of that name.
        """
        check_index_name(self.name, name)
        indexes = self._indexes
        if indexes is None or name not in indexes:
            # Read again: the index may have been added since the table was described.
            self.describe()
            indexes = self._indexes or {}
        if name not in indexes:
            raise no_such_index(self.name, name, indexes)
        return indexes[name]

    @property
    def key_schema(self) -> KeySchema:
        """Hash and range key names (read from ``DescribeTable`` once)."""
        schema = self._key_schema
        if schema is None or not self._key_types:
            self.describe()
            schema = self._key_schema
            assert schema is not None
        return schema

    @property
    def item_count(self) -> int:
        """Items in the table as AWS last counted them (refreshed about every six hours)."""
        return described_item_count(self.describe())

    @property
    def creation_date_time(self) -> datetime:
        """When the table was created."""
        return described_created(self.describe())

    @property
    def status(self) -> str:
        """``CREATING``, ``ACTIVE``, ``UPDATING``, ``DELETING``, ..."""
        return described_status(self.describe())

    # -- keys and items ------------------------------------------------------------------

    def _key(
        self,
        key: Any,
        *,
        field: str = "key",
        allow_version: bool = False,
    ) -> tuple[dict[str, dict[str, Any]], Any]:
        """``(AttributeValue key, version held by the caller or None)`` for a key argument.

        ``key`` is a mapping holding exactly the key attributes (plus the version field when
        ``allow_version``), or a model instance whose key (and version) are read off it.
        """
        schema = self.key_schema
        names = schema.names
        if isinstance(key, BaseModel):
            item = dump_item(key)
            missing = [n for n in names if n not in item]
            if missing:
                raise InvalidInput(field, f"the item has no key attribute {missing[0]!r}")
            version = item.get(self.version_field) if self.version_field else None
            av_key = key_of(item, schema.hash_key, schema.range_key)
            check_key_values(av_key, schema, self._key_types, field)
            return av_key, from_attribute_value(version) if version is not None else None
        if not isinstance(key, Mapping):
            raise InvalidInput(field, f"expected a mapping of key attributes, not {key!r}")
        allowed = set(names)
        if allow_version and self.version_field:
            allowed.add(self.version_field)
        extra = sorted(str(k) for k in key if k not in allowed)
        if extra:
            raise InvalidInput(field, f"{extra[0]!r} is not a key attribute of {self.name!r}")
        av_key = {}
        for name in names:
            if key.get(name) is None:
                raise InvalidInput(field, f"missing key attribute {name!r}")
            av_key[name] = to_attribute_value(key[name], field=f"{field}.{name}")
        check_key_values(av_key, schema, self._key_types, field)
        return av_key, key.get(self.version_field) if self.version_field else None

    def _key_arg(self, key: Any, key_kwargs: Mapping[str, Any]) -> Any:
        """The key given as one mapping (or item) or as keywords, never both."""
        if key is not None and key_kwargs:
            raise InvalidInput("key", "give the key as one mapping or as keywords, not both")
        if key is None and not key_kwargs:
            raise InvalidInput("key", "give the key, as a mapping or as keywords")
        return key if key is not None else key_kwargs

    def _item(self, item: Any) -> dict[str, dict[str, Any]]:
        if not isinstance(item, (BaseModel, Mapping)):
            raise InvalidInput("item", f"expected a model or a mapping, not {item!r}")
        av_item = dump_item(item, ttl_attribute=self.ttl_attribute)
        schema = self._key_schema
        key_types = self._key_types
        if schema is None or not key_types:
            schema = self.key_schema
            key_types = self._key_types
        for name in schema.names:
            if name not in av_item:
                raise InvalidInput("item", f"missing key attribute {name!r}")
        # Index key attributes too: DynamoDB refuses an item whose index key is empty or of
        # the wrong type.
        keys = {n: av_item[n] for n in key_types if n in av_item}
        check_key_values(keys, schema, key_types, "item")
        return av_item

    def load(self, av_item: Mapping[str, Any]) -> T:
        """Decode one item in AttributeValue form into ``T``.

        Raises:
            InvalidItem: the item does not fit the model (names the table and the key).
        """
        try:
            return cast(T, load_item(av_item, cast(Any, self.model)))
        except ValidationError as exc:
            try:
                names = self.key_schema.names
            except AwskitError:
                names = ()
            key = {n: from_attribute_value(av_item[n]) for n in names if n in av_item}
            model = self.model.__name__ if self.model is not None else "dict"
            raise InvalidItem(
                f"item {key!r} of table {self.name!r} does not fit {model}: "
                f"{exc.error_count()} validation error(s), first: {exc.errors()[0]['msg']} "
                f"at {'.'.join(str(p) for p in exc.errors()[0]['loc'])}",
                table=self.name,
                key=key,
                item=_plain(av_item),
            ) from exc

    def _load_or_plain(self, av_item: Mapping[str, Any]) -> Any:
        try:
            return self.load(av_item)
        except InvalidItem:
            return _plain(av_item)

    def _write(self, operation: Any, request: dict[str, Any]) -> Any:
        """Send a single-item write; a failed condition carries the current item, decoded."""
        try:
            return operation(**request)
        except ConditionFailed as error:
            if isinstance(error.item, Mapping):
                error.item = self._load_or_plain(error.item)
            raise

    # -- versioning ----------------------------------------------------------------------

    def _versioned(
        self, condition: ConditionBase | None, held: Any
    ) -> tuple[ConditionBase | None, int]:
        """The caller's condition plus the version check, and the version to write."""
        field = self.version_field
        assert field is not None
        check: ConditionBase
        if held is None:
            check = Attr(field).not_exists()
            new = 1
        else:
            if isinstance(held, bool) or not isinstance(held, (int, Decimal)):
                raise InvalidInput(field, f"the version must be an integer, not {held!r}")
            check = Attr(field).eq(int(held))
            new = int(held) + 1
        return (check if condition is None else condition & check), new

    # -- single items --------------------------------------------------------------------

    def put_request(self, item: Any, condition: ConditionBase | None = None) -> dict[str, Any]:
        """The ``Put`` request for ``item`` (versioned and validated), without sending it."""
        av_item = self._item(item)
        if self.version_field is not None:
            held = av_item.get(self.version_field)
            condition, new = self._versioned(
                condition, from_attribute_value(held) if held is not None else None
            )
            av_item[self.version_field] = to_attribute_value(new)
        request: dict[str, Any] = {"TableName": self.name, "Item": av_item}
        if condition is not None:
            ex = Expressions()
            request["ConditionExpression"] = ex.condition(condition, field="condition")
            request.update(ex.request())
        return request

    def put(self, item: T, condition: ConditionBase | None = None) -> T:
        """Write ``item`` whole (``PutItem``), replacing any item with the same key.

        Items are at most 400 KB. With a ``version_field``, the write only succeeds if the
        stored version is the one ``item`` carries (or there is no item when it has none).

        Returns:
            The item as written: with a ``version_field``, a copy with the new version.

        Raises:
            ConditionFailed: ``condition`` (or the version check) was false; ``.item`` is
                the current item.

        Example:
            ```python
            users.put(User(username="janedoe", last_name="Doe", age=25),
                      condition=Attr("username").not_exists())
            ```
        """
        if condition is None and self.version_field is None:
            # The commonest case: put_request's request, without the calls around it (and
            # without _write: with no condition, no condition can fail).
            self._calls.put_item(TableName=self.name, Item=self._item(item), **_FAST)
            return item
        request = self.put_request(item, condition)
        self._write(self._calls.put_item, marked(_on_failure(request)))
        return self.written(item, request)

    def written(self, item: T, request: Mapping[str, Any]) -> T:
        """``item`` as ``request`` wrote it: with a ``version_field``, a copy with the new one."""
        if self.version_field is None:
            return item
        new = from_attribute_value(request["Item"][self.version_field])
        if isinstance(item, BaseModel):
            return cast(T, item.model_copy(update={self.version_field: new}))
        return cast(T, {**cast(Mapping[str, Any], item), self.version_field: new})

    def get(
        self,
        key: Mapping[str, Any] | None = None,
        /,
        *,
        consistent: bool = False,
        **key_kwargs: Any,
    ) -> T | None:
        """The item with this key, or ``None`` (``GetItem``).

        Give the key as keyword arguments or as one mapping; it must name every key
        attribute and nothing else.

        Example:
            ```python
            user = users.get(username="janedoe", last_name="Doe")
            user = users.get({"username": "janedoe", "last_name": "Doe"}, consistent=True)
            ```
        """
        av_key, _ = self._key(self._key_arg(key, key_kwargs))
        response = self._calls.get_item(TableName=self.name, Key=av_key, ConsistentRead=consistent)
        item = response.get("Item")
        return None if item is None else self.load(item)

    def update_request(
        self,
        key: Any,
        *,
        set: Mapping[str, Any] | None = None,
        remove: Iterable[str] = (),
        add: Mapping[str, Any] | None = None,
        delete: Mapping[str, Any] | None = None,
        condition: ConditionBase | None = None,
        upsert: bool = False,
    ) -> dict[str, Any]:
        """The ``Update`` request (validated against the model, versioned), without sending it.

        Without ``upsert`` the request carries ``attribute_exists(<hash key>)``, so it never
        creates an item; with it, the update must write every field the model requires.
        """
        av_key, held = self._key(key, allow_version=True)
        schema = self.key_schema
        protected = set_of(schema.names)
        if self.version_field is not None:
            protected.add(self.version_field)
        if isinstance(remove, str):
            raise InvalidInput("remove", "expected a list of attribute paths, not one string")
        remove = list(remove)
        clauses = (
            ("set", set or {}),
            ("remove", remove),
            ("add", add or {}),
            ("delete", delete or {}),
        )
        for field, paths in clauses:
            for path in paths:
                if isinstance(path, str) and path.split(".")[0].split("[")[0] in protected:
                    raise InvalidInput(field, f"{path!r} cannot be updated here")
        if not isinstance(upsert, bool):
            raise InvalidInput("upsert", f"expected True or False, not {upsert!r}")
        model = cast("type[BaseModel] | None", self.model)
        if model is not None:
            checked = check_update(model, set=set, remove=remove, add=add, delete=delete)
            set, remove, add, delete = checked.set, checked.remove, checked.add, checked.delete
            if upsert:
                given = [*schema.names, *([self.version_field] if self.version_field else [])]
                missing = missing_for_upsert(model, checked, given)
                if missing:
                    raise InvalidInput(
                        "upsert",
                        f"an update that may create the item must set every field "
                        f"{model.__name__} requires; missing {missing}",
                    )
        if self.version_field is not None and held is not None:
            condition, _ = self._versioned(condition, held)
        if not upsert:
            exists = Attr(schema.hash_key).exists()
            condition = exists if condition is None else condition & exists
        # After the model's check: TTL datetimes become the epoch seconds TTL acts on.
        set = ttl_update(set, self.ttl_attribute)
        ex = Expressions()
        request: dict[str, Any] = {"TableName": self.name, "Key": av_key}
        if condition is not None:
            request["ConditionExpression"] = ex.condition(condition, field="condition")
        request["UpdateExpression"] = ex.update(
            set=set, remove=remove, add=add, delete=delete, increment=self.version_field
        )
        request.update(ex.request())
        return request

    def update(
        self,
        key: Any = None,
        /,
        set: Mapping[str, Any] | None = None,
        remove: Iterable[str] = (),
        add: Mapping[str, Any] | None = None,
        delete: Mapping[str, Any] | None = None,
        condition: ConditionBase | None = None,
        *,
        upsert: bool = False,
        **key_kwargs: Any,
    ) -> T:
        """Change some attributes of one existing item (``UpdateItem``); returns the new item.

        ``set`` assigns values (``None`` removes the attribute), ``remove`` deletes
        attributes, ``add`` adds to a number (any number, ``Decimal`` included) or a set,
        ``delete`` takes elements out of a set. Paths may be dotted (``"address.state"``) or
        indexed (``"tags[0]"``); every name travels as a placeholder, so reserved words are
        safe. Give the key as keywords, as a mapping, or as an item; with a
        ``version_field``, a version in ``key`` is checked and the stored version is always
        incremented.

        With a model, everything is checked against it before sending: a path the model
        does not have (unless it allows extra fields), a value its field refuses (a bool or
        text for a number, ``"lots"`` for a float, a constraint broken), and the removal of
        a required field are [InvalidInput][awskit.InvalidInput]; values are written as
        the model validated them.

        DynamoDB's UpdateItem creates a missing item from the update alone, which the model
        could not read; awskit sends ``attribute_exists`` on the hash key instead, so an
        absent item is [NotFound][awskit.NotFound] and nothing is written. ``upsert=True``
        lets the update create the item, and then requires it to set every field the model
        requires.

        Raises:
            InvalidInput: the key or an update clause does not fit the table or its model.
            NotFound: no item has this key (and ``upsert`` is False).
            ConditionFailed: ``condition`` (or the version check) was false; ``.item`` is
                the current item.

        Example:
            ```python
            users.update(username="janedoe", last_name="Doe", set={"age": 26})
            users.update({"username": "janedoe", "last_name": "Doe"}, add={"logins": 1})
            users.update(username="newbie", last_name="Roe", upsert=True,
                         set={"first_name": "New", "age": 1, "account_type": "trial"})
            ```
        """
        request = self.update_request(
            self._key_arg(key, key_kwargs),
            set=set,
            remove=remove,
            add=add,
            delete=delete,
            condition=condition,
            upsert=upsert,
        )
        try:
            response = self._write(
                self._calls.update_item,
                {**_on_failure(request), "ReturnValues": "ALL_NEW"},
            )
        except ConditionFailed as exc:
            error = self.update_failed(exc, request, upsert)
            if error is exc:
                raise
            raise error from exc
        return self.load(response["Attributes"])

    def update_failed(
        self, exc: ConditionFailed, request: Mapping[str, Any], upsert: bool
    ) -> AwskitError:
        """What a failed condition of an update means: the item is absent, or ``exc``."""
        # The condition includes attribute_exists(hash key): no current item means the
        # item is absent, whatever the caller's own condition said.
        if upsert or exc.item is not None:
            return exc
        key_repr = {k: from_attribute_value(v) for k, v in request["Key"].items()}
        return NotFound(
            f"no item {key_repr!r} in table {self.name!r} to update "
            "(update(..., upsert=True) creates one)",
            code=exc.code,
            operation=exc.operation,
            request_id=exc.request_id,
        )

    def delete_request(self, key: Any, condition: ConditionBase | None = None) -> dict[str, Any]:
        """The ``Delete`` request (validated, versioned), without sending it."""
        av_key, held = self._key(key, allow_version=True)
        if self.version_field is not None and held is not None:
            condition, _ = self._versioned(condition, held)
        request: dict[str, Any] = {"TableName": self.name, "Key": av_key}
        if condition is not None:
            ex = Expressions()
            request["ConditionExpression"] = ex.condition(condition, field="condition")
            request.update(ex.request())
        return request

    def delete(
        self,
        key: Any = None,
        /,
        condition: ConditionBase | None = None,
        **key_kwargs: Any,
    ) -> T | None:
        """Delete one item (``DeleteItem``); returns the item that was there, or ``None``.

        Give the key as keywords, as a mapping, or as an item. With a ``version_field``, a
        version in ``key`` must match the stored one.

        Raises:
            InvalidItem: the item was deleted, but the old item does not fit the model
                (``.item`` holds it as plain values, so nothing is lost).

        Example:
            ```python
            old = users.delete(username="janedoe", last_name="Doe")
            old = users.delete({"username": "janedoe", "last_name": "Doe"})
            ```
        """
        request = self.delete_request(self._key_arg(key, key_kwargs), condition)
        response = self._write(
            self._calls.delete_item,
            {**_on_failure(request), "ReturnValues": "ALL_OLD"},
        )
        return self.deleted(response)

    def deleted(self, response: Mapping[str, Any]) -> T | None:
        """The old item of a ``DeleteItem`` answer (``ReturnValues=ALL_OLD``), or ``None``."""
        old = response.get("Attributes")
        if old is None:
            return None
        try:
            return self.load(old)
        except InvalidItem as exc:
            exc.message = f"deleted, but {exc.message}"
            exc.args = (exc.message,)
            raise

    # -- many items ----------------------------------------------------------------------

    def _pages(
        self,
        call: Any,
        request: dict[str, Any],
        start_key: Any,
        limit: Any,
        load: Callable[[Mapping[str, Any]], Any],
    ) -> Paged[Any]:
        names = self.page_keys(request)

        def fetch(token: Any) -> Page[Any]:
            page_request = request if token is None else {**request, "ExclusiveStartKey": token}
            return read_page(call(**page_request), names, load)

        return Paged(fetch, limit=limit, start_token=start_key_of(start_key))

    def page_keys(self, request: Mapping[str, Any]) -> list[str]:
        """The key attributes that resume a read right after one of its items."""
        # An item's own key (with the index's, when reading one) is the ExclusiveStartKey
        # that resumes right after it: next_token never skips the rest of a page.
        names = list(self.key_schema.names)
        index = request.get("IndexName")
        if index is not None:
            names += [n for n in self.index(index).key_schema.names if n not in names]
        return names

    def _read_index(self, index: str | None, consistent: bool) -> IndexInfo | None:
        info = self.index(index) if index is not None else None
        if info is not None and consistent and info.kind == "global":
            raise InvalidInput(
                "consistent",
                f"{index!r} is a global secondary index: DynamoDB reads those only eventually "
                "consistent",
            )
        return info

    def _reader(
        self, index: str | None, consistent: bool, projection: Iterable[str] | None
    ) -> Callable[[Mapping[str, Any]], Any]:
        """How the items of a read are decoded, after checking the index is used rightly.

        Raises:
            InvalidInput: ``consistent`` on a global index (DynamoDB refuses it), or a read
                of whole model items from an index that does not project what the model
                requires.
        """
        info = self._read_index(index, consistent)
        model = cast("type[BaseModel] | None", self.model)
        if projection is not None:
            return lambda av_item: decode_partial(model, av_item)
        if info is not None and model is not None:
            projected = info.projected(self.key_schema)
            missing = [a for a in required_attributes(model) if a not in (projected or ())]
            if projected is not None and missing:
                raise InvalidInput(
                    "index",
                    f"index {index!r} projects {info.projection} and its items lack "
                    f"{missing}, which {model.__name__} requires; pass projection=[...] "
                    "to read them as dicts",
                )
        return self.load

    @overload
    def query(
        self,
        key_condition: ConditionBase,
        filter: ConditionBase | None = None,
        index: str | None = None,
        limit: int | None = None,
        reverse: bool = False,
        consistent: bool = False,
        projection: None = None,
        page_size: int | None = None,
        start_key: Mapping[str, Any] | None = None,
    ) -> Paged[T]: ...
    @overload
    def query(
        self,
        key_condition: ConditionBase,
        filter: ConditionBase | None = None,
        index: str | None = None,
        limit: int | None = None,
        reverse: bool = False,
        consistent: bool = False,
        *,
        projection: Iterable[str],
        page_size: int | None = None,
        start_key: Mapping[str, Any] | None = None,
    ) -> Paged[dict[str, Any]]: ...
    def query(
        self,
        key_condition: ConditionBase,
        filter: ConditionBase | None = None,
        index: str | None = None,
        limit: int | None = None,
        reverse: bool = False,
        consistent: bool = False,
        projection: Iterable[str] | None = None,
        page_size: int | None = None,
        start_key: Mapping[str, Any] | None = None,
    ) -> Paged[Any]:
        """Items whose key matches ``key_condition``, across every page (``Query``).

        ``limit`` is the number of items wanted (``None``: all); ``page_size`` is how many
        items DynamoDB evaluates per request (it stops at 1 MB anyway). ``.pages()`` yields
        pages whose ``next_token`` is DynamoDB's ``LastEvaluatedKey``; pass it back as
        ``start_key`` to resume.

        The key condition is checked against the key schema (of the table, or of
        ``index``) before sending: only key attributes, values of the key's type, no empty
        values. ``consistent=True`` on a global secondary index is refused, as DynamoDB
        refuses it.

        With ``projection``, items are partial: they come back as dicts holding only the
        projected attributes, each value as its model field's type (``Paged[dict[str,
        Any]]``). Without it, a query of a ``KEYS_ONLY`` or ``INCLUDE`` index that lacks
        fields the model requires is refused before sending (pass ``projection``).

        Example:
            ```python
            for user in users.query(Key("username").eq("johndoe"), filter=Attr("age").lt(30)):
                ...
            ages = users.query(Key("username").eq("johndoe"), projection=["username", "age"])
            ```
        """
        request, load = self.query_plan(
            key_condition, filter, index, limit, reverse, consistent, projection, page_size
        )
        return self._pages(self._calls.query, request, start_key, limit, load)

    def query_plan(
        self,
        key_condition: ConditionBase,
        filter: ConditionBase | None,
        index: str | None,
        limit: int | None,
        reverse: bool,
        consistent: bool,
        projection: Iterable[str] | None,
        page_size: int | None,
    ) -> tuple[dict[str, Any], Callable[[Mapping[str, Any]], Any]]:
        """The checked ``Query`` request and how its items are decoded (see ``query``)."""
        schema = self.key_schema
        if index is not None:
            schema = self.index(index).key_schema
        check_key_condition(key_condition, schema, self._key_types)
        load = self._reader(index, consistent, projection)
        request = read_request(
            self.name,
            key_condition=key_condition,
            filter=filter,
            index=index,
            consistent=consistent,
            projection=projection,
            page_size=page_size,
            limit=limit,
        )
        if reverse:
            request["ScanIndexForward"] = False
        return request, load

    @overload
    def scan(
        self,
        filter: ConditionBase | None = None,
        segments: int = 1,
        index: str | None = None,
        limit: int | None = None,
        consistent: bool = False,
        projection: None = None,
        page_size: int | None = None,
        start_key: Mapping[str, Any] | None = None,
    ) -> Paged[T]: ...
    @overload
    def scan(
        self,
        filter: ConditionBase | None = None,
        segments: int = 1,
        index: str | None = None,
        limit: int | None = None,
        consistent: bool = False,
        *,
        projection: Iterable[str],
        page_size: int | None = None,
        start_key: Mapping[str, Any] | None = None,
    ) -> Paged[dict[str, Any]]: ...
    def scan(
        self,
        filter: ConditionBase | None = None,
        segments: int = 1,
        index: str | None = None,
        limit: int | None = None,
        consistent: bool = False,
        projection: Iterable[str] | None = None,
        page_size: int | None = None,
        start_key: Mapping[str, Any] | None = None,
    ) -> Paged[Any]:
        """Every item (matching ``filter``), across every page (``Scan``).

        ``segments > 1`` scans that many segments in parallel, on at most the session's
        ``max_concurrency`` threads; items then arrive in no particular order and a
        parallel scan cannot be resumed with ``start_key``. ``projection`` and ``index``
        behave as in [query][awskit.dynamo.Table.query]: partial items are dicts.

        Example:
            ```python
            young = list(users.scan(Attr("age").lt(27) & Attr("address.state").eq("CA")))
            ```
        """
        request, load = self.scan_plan(
            filter, segments, index, limit, consistent, projection, page_size
        )
        if segments == 1:
            return self._pages(self._calls.scan, request, start_key, limit, load)
        from .scan import check_resume, parallel_scan, scan_workers

        check_resume(segments, start_key)
        return parallel_scan(
            self._calls.scan,
            request,
            segments=segments,
            workers=scan_workers(segments, self._dynamo.session.max_concurrency),
            load=load,
            limit=limit,
        )

    def scan_plan(
        self,
        filter: ConditionBase | None,
        segments: int,
        index: str | None,
        limit: int | None,
        consistent: bool,
        projection: Iterable[str] | None,
        page_size: int | None,
    ) -> tuple[dict[str, Any], Callable[[Mapping[str, Any]], Any]]:
        """The checked ``Scan`` request and how its items are decoded (see ``scan``)."""
        from .scan import check_segments

        check_segments(segments)
        load = self._reader(index, consistent, projection)
        request = read_request(
            self.name,
            filter=filter,
            index=index,
            consistent=consistent,
            projection=projection,
            page_size=page_size,
            limit=limit,
        )
        return request, load

    def count(
        self,
        filter: ConditionBase | None = None,
        index: str | None = None,
        consistent: bool = False,
    ) -> int:
        """How many items there are (matching ``filter``), counted by a full ``Scan``.

        Unlike [item_count][awskit.dynamo.Table.item_count] this is exact and current, and costs a
        read of the table.
        """
        from .scan import Counting

        counting = Counting(self.count_request(filter, index, consistent))
        while not counting.done:
            counting.add(self._calls.scan(**counting.request()))
        return counting.total

    def count_request(
        self, filter: ConditionBase | None, index: str | None, consistent: bool
    ) -> dict[str, Any]:
        """The checked ``Scan`` request (``Select=COUNT``) of [count][awskit.dynamo.Table.count]."""
        self._read_index(index, consistent)
        request = read_request(
            self.name,
            filter=filter,
            index=index,
            consistent=consistent,
            projection=None,
            page_size=None,
            limit=None,
        )
        request["Select"] = "COUNT"
        return request

    def batch_get(
        self,
        keys: Iterable[Any],
        *,
        consistent: bool = False,
    ) -> list[T]:
        """The items with these keys that exist, in the order of ``keys`` (``BatchGetItem``).

        Keys are de-duplicated and sent 100 a request, up to ``max_concurrency`` requests at
        once; keys DynamoDB leaves in ``UnprocessedKeys`` are retried with the session's
        RetryPolicy.

        Raises:
            PartialFailure: keys still unprocessed after every retry; ``.failed`` lists
                them as given.
        """
        from .batch import batch_get

        return batch_get(self, keys, consistent=consistent)

    def batch_writer(
        self, overwrite_by_pkeys: Sequence[str] | None = None, *, max_concurrency: int | None = None
    ) -> BatchWriter[T]:
        """A context manager that writes puts and deletes in batches (``BatchWriteItem``).

        Up to ``max_concurrency`` batches (default: the session's) are in flight at once.
        See [awskit.dynamo.BatchWriter][awskit.dynamo.BatchWriter].

        Example:
            ```python
            with users.batch_writer() as batch:
                for user in many_users:
                    batch.put(user)
            ```
        """
        from .batch import BatchWriter

        return BatchWriter(
            self, overwrite_by_pkeys=overwrite_by_pkeys, max_concurrency=max_concurrency
        )

    def transact_write(
        self, actions: Sequence[TransactAction], *, token: str | None = None
    ) -> None:
        """Do up to 100 writes atomically (``TransactWriteItems``); see `transact`.

        Actions without a ``table`` apply to this table.

        Raises:
            TransactionCanceled: nothing was written; ``.reasons`` pairs each action with
                why it was refused.
        """
        from .transact import transact_write

        transact_write(self._dynamo, actions, default=self, token=token)

    def transact_get(self, keys: Sequence[Any]) -> list[T | None]:
        """Read up to 100 items atomically (``TransactGetItems``), ``None`` where absent."""
        from .transact import transact_get

        return transact_get(self, keys)

    def delete_table(self, *, wait: bool = False) -> None:
        """Delete the table and every item in it; ``wait`` until it is gone."""
        with aws_errors():
            self._calls.delete_table(TableName=self.name)
            if wait:
                self.client.get_waiter("table_not_exists").wait(
                    TableName=self.name, WaiterConfig=TABLE_WAIT
                )


def read_page(
    response: Mapping[str, Any], names: Sequence[str], load: Callable[[Mapping[str, Any]], Any]
) -> Page[Any]:
    """One page of a ``Query`` or ``Scan`` answer, each item with the key that resumes after it."""
    raw = response.get("Items", ())
    after = [{n: item[n] for n in names if n in item} for item in raw]
    return Page([load(i) for i in raw], response.get("LastEvaluatedKey"), after)


def set_of(names: Iterable[str]) -> set[str]:
    # ``update`` takes an argument named ``set``, which hides the builtin inside it.
    return set(names)
