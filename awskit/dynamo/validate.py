"""Checks of what goes into a DynamoDB request, against the model and the key schema.

Pure functions, no client: key values (types, emptiness, DynamoDB's size limits), key
conditions, and the ``set``/``remove``/``add``/``delete`` of an update against the table's
pydantic model. Everything here raises [InvalidInput][awskit.InvalidInput] naming the
field, before a request exists.

Values are checked by the model's own field validation (pydantic, lax mode, the field's
constraints included), except where lax mode would guess: a bool is not a number, text is
not a number, and text and bytes are not each other. What is written is the value as the
model validated it, so the stored attribute reads back as the field's type.
"""

from __future__ import annotations

import builtins
import enum
import threading
import types
import typing
from collections import abc
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pydantic
from boto3.dynamodb.conditions import AttributeBase, ConditionBase
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from .._errors import InvalidInput
from .codec import from_attribute_value, to_attribute_value
from .expressions import parse_path
from .schema import KeySchema

__all__ = [
    "HASH_KEY_BYTES",
    "RANGE_KEY_BYTES",
    "CheckedUpdate",
    "check_index_name",
    "check_key_condition",
    "check_key_values",
    "check_update",
    "decode_partial",
    "missing_for_upsert",
    "no_such_index",
    "required_attributes",
]

#: DynamoDB's limits on a key value (UTF-8 bytes of a string, length of a binary).
HASH_KEY_BYTES = 2048
RANGE_KEY_BYTES = 1024

_UNION_TYPES: tuple[Any, ...] = (typing.Union, types.UnionType)
_SET_ORIGINS: tuple[Any, ...] = (set, frozenset, abc.Set, abc.MutableSet)
_LIST_ORIGINS: tuple[Any, ...] = (list, abc.Sequence, abc.MutableSequence)
_MAP_ORIGINS: tuple[Any, ...] = (dict, abc.Mapping, abc.MutableMapping)
_NUMBERS = (int, float, Decimal)

# -- keys ------------------------------------------------------------------------------------


def check_index_name(table: str, name: object) -> str:
    """``name``, checked: an index is named by a non-empty string."""
    if not isinstance(name, str) or not name:
        raise InvalidInput("index", f"name an index of table {table!r}, not {name!r}")
    return name


def no_such_index(table: str, name: str, indexes: Iterable[str]) -> InvalidInput:
    """The error for reading index ``name``, which table ``table`` (freshly described,
    with ``indexes``) does not have."""
    return InvalidInput(
        "index", f"table {table!r} has no index {name!r} (it has {sorted(indexes)})"
    )


def _key_size(kind: str, value: Any) -> int | None:
    if kind == "S":
        return len(str(value).encode("utf-8", "surrogatepass"))
    if kind == "B":
        return len(value)
    return None


def check_key_values(
    av_key: Mapping[str, Mapping[str, Any]],
    schema: KeySchema,
    key_types: Mapping[str, str],
    field: str,
) -> None:
    """Check key attributes (AttributeValue form) as DynamoDB would, before sending.

    A key value is of its attribute's defined type (``S``, ``N`` or ``B``), is not empty,
    and is at most 2048 bytes for a hash key and 1024 bytes for a range key. ``av_key``
    may hold index key attributes too (from an item): they are checked for type and
    emptiness.

    Raises:
        InvalidInput: ``field.name`` names the attribute.
    """
    for name, av in av_key.items():
        ((kind, value),) = av.items()
        where = f"{field}.{name}"
        want = key_types.get(name)
        if want is not None and kind != want:
            raise InvalidInput(where, f"key attribute {name!r} is of type {want}, not {kind}")
        if kind not in ("S", "N", "B"):
            raise InvalidInput(where, f"a key attribute is a string, number or bytes, not {kind}")
        size = _key_size(kind, value)
        if size is None:
            continue
        if size == 0:
            raise InvalidInput(where, f"key attribute {name!r} cannot be empty")
        if name == schema.hash_key and size > HASH_KEY_BYTES:
            raise InvalidInput(
                where, f"a hash key is at most {HASH_KEY_BYTES} bytes, this one is {size}"
            )
        if name == schema.range_key and size > RANGE_KEY_BYTES:
            raise InvalidInput(
                where, f"a range key is at most {RANGE_KEY_BYTES} bytes, this one is {size}"
            )


def check_key_condition(
    condition: object,
    schema: KeySchema,
    key_types: Mapping[str, str],
    field: str = "key_condition",
) -> None:
    """Check a ``Key(...)`` condition's attributes and values against the key schema.

    ``schema`` is the table's or the queried index's key; ``key_types`` the table's
    attribute definitions. Only key attributes may appear, each value is of its
    attribute's type and not empty, and ``begins_with`` needs a string or binary key.
    A condition that is not a boto3 condition is left to the expression builder.

    Raises:
        InvalidInput: ``field`` is ``key_condition``.
    """
    if not isinstance(condition, ConditionBase):
        return
    expression = condition.get_expression()
    values = expression["values"]
    if values and all(isinstance(v, ConditionBase) for v in values):
        for inner in values:
            check_key_condition(inner, schema, key_types, field)
        return
    if not values or not isinstance(values[0], AttributeBase):
        return
    name = values[0].name
    if name not in schema.names:
        raise InvalidInput(
            field, f"{name!r} is not a key attribute here (the key is {list(schema.names)})"
        )
    want = key_types.get(name)
    for value in values[1:]:
        if isinstance(value, AttributeBase):
            continue
        av = to_attribute_value(value, field=field)
        ((kind, raw),) = av.items()
        if want is not None and kind != want:
            raise InvalidInput(
                field, f"key attribute {name!r} is of type {want}, not {kind} ({value!r})"
            )
        if _key_size(kind, raw) == 0:
            raise InvalidInput(field, f"a value of key attribute {name!r} cannot be empty")
    if expression["operator"] == "begins_with" and want == "N":
        raise InvalidInput(field, f"begins_with needs a string or binary key, {name!r} is N")


# -- the model's fields ----------------------------------------------------------------------


def _unwrap(tp: Any) -> Any:
    """``X`` for ``X``, ``X | None`` and ``Annotated[X, ...]``; ``Any`` for other unions."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in _UNION_TYPES:
        present = [a for a in typing.get_args(tp) if a is not type(None)]
        return _unwrap(present[0]) if len(present) == 1 else Any
    return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _fields(model: type[BaseModel]) -> dict[str, tuple[str, FieldInfo]]:
    """Field infos by stored attribute name (alias, else name) and by Python name."""
    found: dict[str, tuple[str, FieldInfo]] = {}
    for name, info in model.model_fields.items():
        found[name] = (info.alias or name, info)
    for name, info in model.model_fields.items():
        found[info.alias or name] = (info.alias or name, info)
    return found


def _allows_extra(model: type[BaseModel]) -> bool:
    return model.model_config.get("extra") == "allow"


def _accepts_none(info: FieldInfo) -> bool:
    tp = info.annotation
    if tp is None or tp is Any or tp is type(None):
        return True
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return typing.get_origin(tp) in _UNION_TYPES and type(None) in typing.get_args(tp)


def required_attributes(model: type[BaseModel]) -> list[str]:
    """Attributes an item must hold to be read into ``model``.

    A required field that accepts ``None`` is not among them: absent, it reads as None.
    """
    return [
        info.alias or name
        for name, info in model.model_fields.items()
        if info.is_required() and not _accepts_none(info)
    ]


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}
_ADAPTERS_LOCK = threading.Lock()


def _adapter(tp: Any, info: FieldInfo | None) -> TypeAdapter[Any]:
    """A validator for one field (its constraints included) or one bare type."""
    target: Any = tp
    if info is not None and info.metadata:
        args = (tp, *info.metadata)
        target = typing.Annotated[args]
    try:
        cached = _ADAPTERS.get(target)
    except TypeError:  # an unhashable annotation: build it every time
        return TypeAdapter(target)
    if cached is None:
        cached = TypeAdapter(target)
        with _ADAPTERS_LOCK:
            _ADAPTERS[target] = cached
    return cached


def _validation_reason(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{first['msg']}" + (f" (at {where})" if where else "")


# -- guesses lax mode would make -------------------------------------------------------------


def _no_guess(tp: Any, value: Any, field: str) -> None:
    """Refuse a value pydantic's lax mode would convert by guessing (a bool to a number).

    Follows the annotation into nested models, lists, sets and maps; unions and ``Any``
    are left to pydantic.
    """
    base = _unwrap(tp)
    if base is Any or (not isinstance(base, type) and typing.get_origin(base) is None):
        return
    origin = typing.get_origin(base)
    if origin is None and isinstance(base, type):
        if issubclass(base, enum.Enum):
            return
        if issubclass(base, bool):
            if not isinstance(value, bool):
                raise InvalidInput(field, f"expected a bool, not {type(value).__name__} {value!r}")
            return
        if issubclass(base, _NUMBERS):
            if isinstance(value, bool) or not isinstance(value, _NUMBERS):
                raise InvalidInput(
                    field, f"expected a number, not {type(value).__name__} {value!r}"
                )
            return
        if issubclass(base, str):
            if not isinstance(value, str):
                raise InvalidInput(field, f"expected a str, not {type(value).__name__} {value!r}")
            return
        if issubclass(base, bytes):
            if not isinstance(value, (bytes, bytearray)):
                raise InvalidInput(field, f"expected bytes, not {type(value).__name__} {value!r}")
            return
        if issubclass(base, BaseModel) and isinstance(value, Mapping):
            fields = _fields(base)
            for key, inner in value.items():
                if isinstance(key, str) and key in fields:
                    _no_guess(fields[key][1].annotation, inner, f"{field}.{key}")
        return
    args = typing.get_args(base)
    if origin in _SET_ORIGINS or origin in _LIST_ORIGINS:
        if args and isinstance(value, (list, tuple, builtins.set, frozenset)):
            for i, inner in enumerate(value):
                _no_guess(args[0], inner, f"{field}[{i}]")
    elif origin in _MAP_ORIGINS and len(args) == 2 and isinstance(value, Mapping):
        for key, inner in value.items():
            _no_guess(args[1], inner, f"{field}.{key}")


# -- update paths ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """Where an update path lands in the model."""

    path: str  # the path with stored attribute names
    type: Any  # the annotation of what the path names (Any when unknown)
    info: FieldInfo | None  # the model field, when the path ends on one
    owner: type[BaseModel] | None  # the model holding that field


def _resolve(model: type[BaseModel], path: str, field: str) -> _Target:
    """Follow ``path`` (``"address.state"``, ``"tags[0]"``) through the model's types.

    Raises:
        InvalidInput: a name the model does not have (unless it allows extra fields), or an
            index into something that is not a list.
    """
    segments = parse_path(path, field=field)
    tp: Any = model
    info: FieldInfo | None = None
    owner: type[BaseModel] | None = None
    names: list[str] = []
    known = True
    for name, indexes in segments:
        names.append(name + indexes)
        if not known:
            continue
        base = _unwrap(tp)
        info, owner = None, None
        if _is_model(base):
            fields = _fields(base)
            if name not in fields:
                if _allows_extra(base):
                    known = False
                    continue
                raise InvalidInput(field, f"{base.__name__} has no field {name!r} ({path!r})")
            attr, info = fields[name]
            names[-1] = attr + indexes
            tp, owner = info.annotation, base
        elif typing.get_origin(base) in _MAP_ORIGINS:
            args = typing.get_args(base)
            tp = args[1] if len(args) == 2 else Any
        else:
            known = False
            continue
        for _ in range(indexes.count("[")):
            base = _unwrap(tp)
            origin = typing.get_origin(base)
            info, owner = None, None
            if origin in _LIST_ORIGINS or (
                origin is tuple and len(typing.get_args(base)) == 2
                and typing.get_args(base)[1] is Ellipsis
            ):  # fmt: skip
                args = typing.get_args(base)
                tp = args[0] if args else Any
            elif base is list or base is Any or origin is tuple:
                known = False
                break
            else:
                raise InvalidInput(field, f"{path!r}: {name!r} is not a list, it has no [index]")
    if not known:
        return _Target(".".join(names), Any, None, None)
    return _Target(".".join(names), tp, info, owner)


def _check_removal(target: _Target, field: str) -> None:
    info, owner = target.info, target.owner
    if info is None or owner is None:
        return
    if info.is_required() and not _accepts_none(info):
        raise InvalidInput(
            field,
            f"{target.path!r} is required by {owner.__name__}; removing it would leave an item "
            "the model cannot read",
        )


def _strict_config(owner: type[BaseModel] | None) -> bool | None:
    return True if owner is not None and owner.model_config.get("strict") else None


def _validate_value(target: _Target, value: Any, field: str, *, constraints: bool) -> Any:
    if target.type is Any:
        return value
    _no_guess(target.type, value, field)
    adapter = _adapter(target.type, target.info if constraints else None)
    try:
        return adapter.validate_python(value, strict=_strict_config(target.owner))
    except ValidationError as exc:
        raise InvalidInput(field, _validation_reason(exc)) from None


@dataclass(frozen=True)
class CheckedUpdate:
    """An update's clauses as the model validated them, paths by stored attribute name."""

    set: dict[str, Any]
    remove: list[str]
    add: dict[str, Any]
    delete: dict[str, Any]


def _paths(clause: Iterable[Any], field: str) -> Iterable[Any]:
    if isinstance(clause, str):
        raise InvalidInput(field, "expected a list of attribute paths, not one string")
    return clause


def _mapping(clause: Any, field: str) -> Mapping[Any, Any]:
    if not isinstance(clause, Mapping):
        raise InvalidInput(field, f"expected a mapping of attribute paths, not {clause!r}")
    return clause


def check_update(
    model: type[BaseModel],
    *,
    set: Mapping[str, Any] | None = None,
    remove: Iterable[str] = (),
    add: Mapping[str, Any] | None = None,
    delete: Mapping[str, Any] | None = None,
) -> CheckedUpdate:
    """Validate an update's clauses against ``model``.

    ``set`` values go through the field's validation (constraints included; ``None``
    removes); ``remove`` (and ``None`` in ``set``) may not name a field the model requires;
    ``add`` takes a number for a number field (an integral one for an ``int`` field) or a
    set for a set field; ``delete`` takes a set for a set field. Constraints such as
    ``gt=0`` cannot be checked on an ADD (the stored value is not known).

    Raises:
        InvalidInput: ``field`` is ``set.<path>``, ``remove``, ``add.<path>`` or
            ``delete.<path>``.
    """
    checked = CheckedUpdate({}, [], {}, {})
    for path, value in _mapping(set or {}, "set").items():
        where = f"set.{path}"
        if not isinstance(path, str):
            raise InvalidInput("set", f"attribute path must be a string, not {path!r}")
        target = _resolve(model, path, where)
        if value is None:
            _check_removal(target, where)
            checked.set[target.path] = None
        else:
            checked.set[target.path] = _validate_value(target, value, where, constraints=True)
    for path in _paths(remove, "remove"):
        if not isinstance(path, str):
            raise InvalidInput("remove", f"attribute path must be a string, not {path!r}")
        target = _resolve(model, path, "remove")
        _check_removal(target, "remove")
        checked.remove.append(target.path)
    for path, value in _mapping(add or {}, "add").items():
        where = f"add.{path}"
        if not isinstance(path, str):
            raise InvalidInput("add", f"attribute path must be a string, not {path!r}")
        target = _resolve(model, path, where)
        base = _unwrap(target.type)
        origin = typing.get_origin(base)
        is_set = origin in _SET_ORIGINS or base in (builtins.set, frozenset)
        is_number = isinstance(base, type) and issubclass(base, _NUMBERS)
        if base is not Any and not (is_set or (is_number and not issubclass(base, bool))):
            raise InvalidInput(where, f"ADD needs a number or set field; {path!r} is {base!r}")
        _validate_value(target, value, where, constraints=False)
        checked.add[target.path] = value
    for path, value in _mapping(delete or {}, "delete").items():
        where = f"delete.{path}"
        if not isinstance(path, str):
            raise InvalidInput("delete", f"attribute path must be a string, not {path!r}")
        target = _resolve(model, path, where)
        base = _unwrap(target.type)
        origin = typing.get_origin(base)
        if base is not Any and not (origin in _SET_ORIGINS or base in (builtins.set, frozenset)):
            raise InvalidInput(where, f"DELETE needs a set field; {path!r} is {base!r}")
        _validate_value(target, value, where, constraints=False)
        checked.delete[target.path] = value
    return checked


def missing_for_upsert(
    model: type[BaseModel],
    checked: CheckedUpdate,
    given: Sequence[str],
) -> list[str]:
    """Required attributes an update creating the item from nothing would leave out.

    ``given`` are attributes the request writes anyway (the key, the version field).
    """
    written = set_of(given)
    written.update(p for p, v in checked.set.items() if v is not None and "." not in p)
    written.update(p for p in checked.add if "." not in p)
    return [a for a in required_attributes(model) if a not in written]


def set_of(names: Iterable[str]) -> set[str]:
    # ``check_update`` takes an argument named ``set``, which hides the builtin inside it.
    return builtins.set(names)


# -- partial reads ---------------------------------------------------------------------------


def decode_partial(
    model: type[BaseModel] | None, av_item: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """A partial item (a projection) as a dict, each value as its model field's type.

    Values that do not fit their field (or that the model does not know) stay plain
    Python values: a partial read never fails on what DynamoDB correctly returned.
    """
    fields = _fields(model) if model is not None else {}
    out: dict[str, Any] = {}
    for attr, av in av_item.items():
        plain = from_attribute_value(av)
        found = fields.get(attr)
        if found is None or plain is None:
            out[attr] = plain
            continue
        try:
            out[attr] = _adapter(found[1].annotation, None).validate_python(plain)
        except (ValidationError, pydantic.PydanticSchemaGenerationError):
            out[attr] = plain
    return out
