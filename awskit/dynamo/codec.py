"""Values, exactly: Python and pydantic values to DynamoDB AttributeValues and back.

Pure functions with no client. Numbers keep their value: a ``float`` is written through its
shortest ``repr`` (``0.1`` is stored as ``"0.1"``, never as 55 binary digits) and read back as
the model field's own type; precision (38 significant digits) and range (1E-130 to
9.99...E+125) are checked here, so DynamoDB never sees a number it would reject and boto3's
``decimal.Rounded`` failure on values like ``1e100`` cannot happen.

Speed matters: [dump_item][awskit.dynamo.codec.dump_item] and
[load_item][awskit.dynamo.codec.load_item] run on every item of every read and
write, so a model's field list and per-field read converters are computed once per class and
cached, and values are dispatched on their exact type through a dict.
"""

from __future__ import annotations

import datetime as _dt
import enum
import math
import types
import typing
import uuid
from collections import abc
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar, overload

import pydantic
from boto3.dynamodb.types import Binary

from .._errors import InvalidInput

__all__ = [
    "MAX_DEPTH",
    "MAX_ITEM_BYTES",
    "MAX_NAME_BYTES",
    "check_ttl_field",
    "datetime_text",
    "dump_item",
    "epoch_datetime",
    "from_attribute_value",
    "item_size",
    "key_of",
    "load_item",
    "parse_datetime",
    "to_attribute_value",
    "ttl_seconds",
    "ttl_update",
]

#: An item (attribute names plus values, by AWS's size rule) may be at most 400 KB.
MAX_ITEM_BYTES = 400 * 1024

#: DynamoDB numbers: at most 38 significant digits, magnitude 1E-130 to 9.99..(38 digits)E+125.
_MAX_DIGITS = 38
_MIN_ADJUSTED = -130
_MAX_ADJUSTED = 125
_SMALL_INT = 10**_MAX_DIGITS
_INT_LIMIT = 10 ** (_MAX_ADJUSTED + 1)
# Any finite float below 1e126 in magnitude has a repr of at most 17 digits and an exponent
# of at most 125, and the double nearest 1E-130 has the repr "1e-130": plain float
# comparisons decide storability exactly.
_FLOAT_MIN = 1e-130
_FLOAT_LIMIT = 1e126

#: DynamoDB nests documents at most 32 levels deep, the top-level attribute counted as level
#: 1: a value may hold 31 maps or lists inside each other, and a 32nd is refused.
MAX_DEPTH = 32
#: Attribute names (top level and map keys) must be under 64 KB of UTF-8.
MAX_NAME_BYTES = 64 * 1024 - 1
# A name of at most this many characters is at most 65532 bytes of UTF-8 (4 bytes a
# character at most), so only longer names need encoding to be measured.
_SHORT_NAME = MAX_NAME_BYTES // 4

M = TypeVar("M", bound=pydantic.BaseModel)
AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]


class _Unstorable(Exception):
    """Raised inside the encoder; the path is collected while it unwinds."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path: list[str] = []

    def field(self, root: str) -> str:
        text = root
        for part in reversed(self.path):
            text = text + part if part.startswith("[") else f"{text}.{part}" if text else part
        return text


# --------------------------------------------------------------------------- encoding


def _enc_str(v: str) -> AttributeValue:
    if not v.isascii():
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            raise _Unstorable("the string is not valid Unicode (lone surrogate)") from None
    return {"S": v}


def _number_text_of_int(v: int) -> str:
    if -_SMALL_INT < v < _SMALL_INT:
        return str(v)
    if not -_INT_LIMIT < v < _INT_LIMIT:
        raise _Unstorable("number out of DynamoDB's range (magnitude above 9.99E+125)")
    if len(str(abs(v)).rstrip("0")) > _MAX_DIGITS:
        raise _Unstorable("number has more than 38 significant digits")
    return str(v)


def _number_text_of_float(v: float) -> str:
    # Range tests first: NaN fails every comparison, so one test admits all common values.
    if not -_FLOAT_LIMIT < v < _FLOAT_LIMIT:
        if math.isnan(v) or math.isinf(v):
            raise _Unstorable("NaN and Infinity are not storable in DynamoDB")
        raise _Unstorable("number out of DynamoDB's range (1E-130 to 9.99E+125)")
    if -_FLOAT_MIN < v < _FLOAT_MIN:
        if v == 0.0:
            return "0"
        raise _Unstorable("number out of DynamoDB's range (1E-130 to 9.99E+125)")
    text = repr(v)
    if "e" in text:
        # "1e-07" -> "1E-7", DynamoDB's documented form (DynamoDB normalises the text it
        # stores, so a plain read of an integral float such as 3e+16 gives an int).
        mantissa, _, exponent = text.partition("e")
        text = f"{mantissa}E{int(exponent):+d}"
    return text


def _number_text_of_decimal(v: Decimal) -> str:
    if not v.is_finite():
        raise _Unstorable("NaN and Infinity are not storable in DynamoDB")
    if not v:
        return "0"
    adjusted = v.adjusted()
    if adjusted < _MIN_ADJUSTED or adjusted > _MAX_ADJUSTED:
        raise _Unstorable("number out of DynamoDB's range (1E-130 to 9.99E+125)")
    text = str(v)
    # A text of at most 38 characters cannot hold more than 38 digits.
    if len(text) > _MAX_DIGITS:
        sign, digits, exponent = v.as_tuple()
        assert isinstance(exponent, int)  # finite, checked above
        # Leading zeros are never in a Decimal's digits; trailing ones do not count either.
        significant = len(digits)
        while significant and digits[significant - 1] == 0:
            significant -= 1
        if significant > _MAX_DIGITS:
            raise _Unstorable("number has more than 38 significant digits")
        if len(digits) > _MAX_DIGITS and exponent < 0:
            # Fractional zeros past the 38th digit say nothing about the value, and boto3's
            # reader (a 38-digit context trapping Rounded) refuses to read them.
            kept = len(digits)
            while kept > significant and exponent < 0:
                kept -= 1
                exponent += 1
            text = str(Decimal((sign, digits[:kept], exponent)))
    return text


def _enc_int(v: int, depth: int) -> AttributeValue:
    return {"N": _number_text_of_int(v)}


def _enc_float(v: float, depth: int) -> AttributeValue:
    return {"N": _number_text_of_float(v)}


def _enc_decimal(v: Decimal, depth: int) -> AttributeValue:
    return {"N": _number_text_of_decimal(v)}


def _enc_bool(v: bool, depth: int) -> AttributeValue:
    return {"BOOL": v}


def _enc_none(v: None, depth: int) -> AttributeValue:
    return {"NULL": True}


def _enc_bytes(v: bytes, depth: int) -> AttributeValue:
    return {"B": v}


def _enc_bytearray(v: bytearray | memoryview, depth: int) -> AttributeValue:
    return {"B": bytes(v)}


def _enc_binary(v: Binary, depth: int) -> AttributeValue:
    # boto3's TypeDeserializer hands binary values back as Binary: users write them back.
    value: bytes | bytearray = getattr(v, "value")  # noqa: B009 - the stubs omit .value
    return {"B": bytes(value)}


def _too_deep() -> _Unstorable:
    return _Unstorable(
        f"nested deeper than DynamoDB's {MAX_DEPTH} levels (or a map or list that holds itself)"
    )


def _check_name(k: object) -> str:
    if type(k) is not str:
        if not isinstance(k, str):
            raise _Unstorable(f"map keys must be strings, not {type(k).__name__}")
        k = str(k)
    if not k:
        raise _Unstorable("attribute names cannot be empty")
    if len(k) > _SHORT_NAME and _utf8_len(k) > MAX_NAME_BYTES:
        raise _Unstorable(
            f"the attribute name {k[:20]!r}... is {_utf8_len(k)} bytes of UTF-8; DynamoDB "
            f"takes names under 64 KB ({MAX_NAME_BYTES} bytes at most)"
        )
    return k


def _enc_list(v: list[Any] | tuple[Any, ...], depth: int) -> AttributeValue:
    if depth >= MAX_DEPTH:
        raise _too_deep()
    out = []
    i = 0
    try:
        for i, x in enumerate(v):  # noqa: B007 - i names the failing element below
            out.append(_encode(x, depth + 1))
    except _Unstorable as exc:
        exc.path.append(f"[{i}]")
        raise
    return {"L": out}


def _enc_map(v: Mapping[Any, Any], depth: int) -> AttributeValue:
    if depth >= MAX_DEPTH:
        raise _too_deep()
    out: dict[str, AttributeValue] = {}
    for k, x in v.items():
        k = _check_name(k)
        try:
            out[k] = _encode(x, depth + 1)
        except _Unstorable as exc:
            exc.path.append(k)
            raise
    return {"M": out}


_SET_TAGS = {"S": "SS", "N": "NS", "B": "BS"}


def _enc_set(v: set[Any] | frozenset[Any], depth: int) -> AttributeValue:
    if not v:
        raise _Unstorable("an empty set is not storable in DynamoDB (omit it or use None)")
    kinds = {type(x) for x in v}
    if kinds == {str}:
        return {"SS": [_enc_str(x)["S"] for x in v]}
    if kinds == {int}:
        return {"NS": [_number_text_of_int(x) for x in v]}
    # Anything else goes through the scalar encoder (floats, Decimal, bytes, UUID, Enum, ...)
    # and every element must come out as the same one of S, N or B. Elements are scalars:
    # a set adds no nesting level.
    scalars = [_encode(x, depth) for x in v]
    tags = {tag for av in scalars for tag in av}
    if len(tags) != 1 or not tags <= _SET_TAGS.keys():
        found = ", ".join(sorted({k.__name__ for k in kinds}))
        raise _Unstorable(f"a set must hold only strings, only numbers or only bytes ({found})")
    (tag,) = tags
    values = [av[tag] for av in scalars]
    if len(kinds) > 1:
        # Different Python values can be one DynamoDB value (0.1 and Decimal("0.1"), a UUID
        # and its string), and DynamoDB rejects a set that holds a value twice.
        unique = {Decimal(x) if tag == "N" else x: x for x in values}
        values = list(unique.values())
    return {_SET_TAGS[tag]: values}


def datetime_text(v: _dt.datetime) -> str:
    """The text awskit stores for a datetime: fixed width, so string order is time order.

    An aware datetime is converted to UTC and written as ``%Y-%m-%dT%H:%M:%S.%f+0000``
    (PynamoDB's ``UTCDateTimeAttribute`` form, so both read each other's tables); a naive
    one is written the same way without the offset and read back naive. Years are always
    four digits (``strftime`` would write year 1 as ``1``).

    Raises:
        InvalidInput: an aware datetime that falls outside years 1 to 9999 in UTC.

    Example:
        >>> import datetime as dt
        >>> datetime_text(dt.datetime(2024, 1, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=5))))
        '2024-01-01T05:00:00.000000+0000'
        >>> datetime_text(dt.datetime(2024, 1, 1, 10))
        '2024-01-01T10:00:00.000000'
    """
    try:
        return _datetime_text(v)
    except _Unstorable as exc:
        raise InvalidInput("value", exc.reason) from None


def _datetime_text(v: _dt.datetime) -> str:
    suffix = ""
    if v.utcoffset() is not None:
        try:
            v = v.astimezone(_dt.timezone.utc)
        except OverflowError:
            raise _Unstorable(f"{v.isoformat()} is outside years 1 to 9999 in UTC") from None
        suffix = "+0000"
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
        f".{v.microsecond:06d}{suffix}"
    )


def _enc_datetime(v: _dt.date | _dt.time, depth: int) -> AttributeValue:
    if isinstance(v, _dt.datetime):
        return {"S": _datetime_text(v)}
    return {"S": v.isoformat()}


def _enc_uuid(v: uuid.UUID, depth: int) -> AttributeValue:
    return {"S": str(v)}


def _enc_enum(v: enum.Enum, depth: int) -> AttributeValue:
    try:
        return _encode(v.value, depth)
    except _Unstorable as exc:
        raise _Unstorable(f"the value of {v!r} is not storable: {exc.reason}") from None


def _enc_model(v: pydantic.BaseModel, depth: int) -> AttributeValue:
    if depth >= MAX_DEPTH:
        raise _too_deep()
    return {"M": _dump_model(v, depth + 1)[0]}


Encoder = Callable[[Any, int], AttributeValue]

_ENCODERS: dict[type, Encoder] = {
    str: lambda v, depth: _enc_str(v),
    int: _enc_int,
    float: _enc_float,
    bool: _enc_bool,
    Decimal: _enc_decimal,
    type(None): _enc_none,
    bytes: _enc_bytes,
    bytearray: _enc_bytearray,
    memoryview: _enc_bytearray,
    Binary: _enc_binary,
    list: _enc_list,
    tuple: _enc_list,
    dict: _enc_map,
    set: _enc_set,
    frozenset: _enc_set,
    _dt.datetime: _enc_datetime,
    _dt.date: _enc_datetime,
    _dt.time: _enc_datetime,
    uuid.UUID: _enc_uuid,
}

# Checked in order for subclasses (first match wins); Enum comes before str and int because
# ``class Color(str, Enum)`` is both and must be stored by its value.
_SUBCLASS_ENCODERS: tuple[tuple[type | tuple[type, ...], Encoder], ...] = (
    (enum.Enum, _enc_enum),
    (pydantic.BaseModel, _enc_model),
    (bool, _enc_bool),
    (str, lambda v, depth: _enc_str(str(v))),
    (int, lambda v, depth: _enc_int(int(v), depth)),
    (float, lambda v, depth: _enc_float(float(v), depth)),
    (Decimal, lambda v, depth: _enc_decimal(Decimal(v), depth)),
    (bytes, lambda v, depth: _enc_bytes(bytes(v), depth)),
    (Binary, _enc_binary),
    ((_dt.date, _dt.time), _enc_datetime),
    (uuid.UUID, _enc_uuid),
    ((set, frozenset), _enc_set),
    ((list, tuple), _enc_list),
    (Mapping, _enc_map),
)


def _resolve_encoder(kind: type) -> Encoder:
    for base, encoder in _SUBCLASS_ENCODERS:
        if issubclass(kind, base):
            # Benign race: two threads may both store the same encoder for a class.
            _ENCODERS[kind] = encoder
            return encoder
    raise _Unstorable(f"a {kind.__module__}.{kind.__qualname__} is not storable in DynamoDB")


def _encode(v: Any, depth: int) -> AttributeValue:
    """Encode ``v``, found at nesting level ``depth`` (a top-level attribute is level 1)."""
    encoder = _ENCODERS.get(type(v))
    if encoder is None:
        encoder = _resolve_encoder(type(v))
    return encoder(v, depth)


class _DumpPlan:
    """What to read from an instance of one model class: (field, attribute, name's size)."""

    __slots__ = ("fields",)

    def __init__(self, model: type[pydantic.BaseModel]) -> None:
        fields = []
        for name, info in model.model_fields.items():
            attr = _check_name(info.alias or name)
            fields.append((name, attr, _utf8_len(attr)))
        self.fields = tuple(fields)


_DUMP_PLANS: dict[type, _DumpPlan] = {}


def _sized(v: Any, depth: int) -> tuple[AttributeValue, int]:
    """Encode ``v`` and size it by AWS's rule in one pass: dump_item runs on every write.

    Gives what ``_encode`` gives (a test holds them equal), plus the size of the value.
    """
    # Each put runs this per value, and on a warm path every Python call counts: the
    # commonest values (ASCII text, non-negative ints, floats, lists of text) are sized here
    # without the helpers' calls, to the same bytes and size (tests hold both to item_size).
    kind = type(v)
    if kind is str:
        if v.isascii():
            return {"S": v}, len(v)
        return _enc_str(v), _utf8_len(v)
    if kind is int:
        if 0 <= v < _SMALL_INT:
            text = str(v)
            return {"N": text}, ((len(text.rstrip("0")) or 1) + 3) // 2
        text = _number_text_of_int(v)
        return {"N": text}, _number_size(text)
    if kind is float:
        if _FLOAT_MIN <= v < _FLOAT_LIMIT or -_FLOAT_LIMIT < v <= -_FLOAT_MIN:
            text = repr(v)  # what _number_text_of_float gives in this range, bar exponents
            if "e" not in text:
                # "[-]digits.digits": the significant digits run from the first non-zero
                # digit to the last; the point counts when it lies between them.
                digits = text.strip("-0.")
                return {"N": text}, (((len(digits) - ("." in digits)) or 1) + 3) // 2
        text = _number_text_of_float(v)
        return {"N": text}, _number_size(text)
    if kind is bool:
        return {"BOOL": v}, 1
    if kind is list or kind is tuple:
        if depth >= MAX_DEPTH:
            raise _too_deep()
        values: list[AttributeValue] = []
        # A list costs 3 bytes plus 1 per element.
        size = 3
        for i, x in enumerate(v):
            if type(x) is str and x.isascii():
                values.append({"S": x})
                size += len(x) + 1
                continue
            try:
                av, value_size = _sized(x, depth + 1)
            except _Unstorable as exc:
                exc.path.append(f"[{i}]")
                raise
            values.append(av)
            size += value_size + 1
        return {"L": values}, size
    if kind is dict:
        if depth >= MAX_DEPTH:
            raise _too_deep()
        members: dict[str, AttributeValue] = {}
        size = 3
        for k, x in v.items():
            # The common name (a short non-empty str) skips the call: this runs per write.
            if type(k) is not str or not k or len(k) > _SHORT_NAME:
                k = _check_name(k)
            try:
                members[k], value_size = _sized(x, depth + 1)
            except _Unstorable as exc:
                exc.path.append(k)
                raise
            size += _utf8_len(k) + value_size + 1
        return {"M": members}, size
    if isinstance(v, pydantic.BaseModel):
        if depth >= MAX_DEPTH:
            raise _too_deep()
        fields, size = _dump_model(v, depth + 1)
        return {"M": fields}, 3 + size + len(fields)
    av = _encode(v, depth)
    return av, _value_size(av)


def _empty_set(v: Any) -> bool:
    """An empty set at the top of an item: DynamoDB stores none, so it is left out."""
    return isinstance(v, (set, frozenset)) and not v


def _dump_model(obj: pydantic.BaseModel, depth: int) -> tuple[Item, int]:
    """Encode a model's fields, each at nesting level ``depth``."""
    kind = type(obj)
    plan = _DUMP_PLANS.get(kind)
    if plan is None:
        plan = _DUMP_PLANS[kind] = _DumpPlan(kind)
    values = obj.__dict__
    out: Item = {}
    size = 0
    for name, attr, attr_size in plan.fields:
        v = values.get(name)
        # The commonest field, an ASCII string, is written here without a call: every
        # single put runs this loop (what _sized gives for it, inline).
        if type(v) is str and v.isascii():
            out[attr] = {"S": v}
            size += attr_size + len(v)
            continue
        if v is None or (isinstance(v, (set, frozenset)) and not v):
            continue
        try:
            out[attr], value_size = _sized(v, depth)
        except _Unstorable as exc:
            exc.path.append(attr)
            raise
        size += attr_size + value_size
    extra = obj.__pydantic_extra__
    if extra:
        for attr, v in extra.items():
            if v is None or _empty_set(v):
                continue
            attr = _check_name(attr)
            try:
                out[attr], value_size = _sized(v, depth)
            except _Unstorable as exc:
                exc.path.append(attr)
                raise
            size += _utf8_len(attr) + value_size
    return out, size


def to_attribute_value(value: Any, *, field: str = "value") -> dict[str, Any]:
    """Encode one Python value as a DynamoDB AttributeValue (botocore's shape: ``B`` as bytes).

    str -> S; int, float, Decimal -> N (38 significant digits, 1E-130..9.99E+125, floats by
    shortest repr); bool -> BOOL; bytes and boto3's ``Binary`` -> B; sets of
    str/numbers/bytes -> SS/NS/BS; list and tuple -> L; dict and pydantic models -> M;
    datetime -> fixed-width ISO 8601 text, in UTC when aware
    ([datetime_text][awskit.dynamo.codec.datetime_text]); date, time -> ISO 8601; UUID ->
    str; Enum -> its value; None -> NULL.

    Raises:
        InvalidInput: the value (or the part of it named in ``.field``, e.g. ``value.tags[2]``)
            cannot be stored: NaN, Infinity, too many digits, out of range, an empty set, a
            mixed set, a non-string map key, a name of 64 KB or more, nesting deeper than
            DynamoDB's 32 levels (a value that holds itself included) or an unsupported type.

    Example:
        >>> to_attribute_value(0.1)
        {'N': '0.1'}
        >>> to_attribute_value({"tags": {"a"}, "n": None})
        {'M': {'tags': {'SS': ['a']}, 'n': {'NULL': True}}}
    """
    try:
        return _encode(value, 1)
    except _Unstorable as exc:
        raise InvalidInput(exc.field(field), exc.reason) from None


# --------------------------------------------------------------------------- TTL


def ttl_seconds(value: Any, *, field: str = "ttl_attribute") -> int | float | Decimal:
    """The number DynamoDB's TTL reads for ``value``: seconds since 1970-01-01 UTC.

    DynamoDB expires an item only by a top-level Number of epoch seconds; any other type in
    the TTL attribute is silently ignored, and the item never expires. An aware datetime
    gives its whole seconds (the fraction is dropped: DynamoDB reads seconds); an int,
    float or Decimal is taken as epoch seconds already.

    Raises:
        InvalidInput: a naive datetime (its zone is unknown, so its instant is), or any
            other type (str, date, bool, ...).

    Example:
        >>> import datetime as dt
        >>> ttl_seconds(dt.datetime(2023, 11, 14, 22, 13, 20, 999, tzinfo=dt.timezone.utc))
        1700000000
    """
    if isinstance(value, _dt.datetime):
        if value.utcoffset() is None:
            raise InvalidInput(
                field,
                "a naive datetime has no time zone, so no instant to expire at: give an aware "
                "one, e.g. datetime.now(timezone.utc) + timedelta(days=30)",
            )
        return (value - _EPOCH) // _dt.timedelta(seconds=1)
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    raise InvalidInput(
        field,
        f"DynamoDB's TTL reads only epoch seconds: give an aware datetime or a number, "
        f"not {type(value).__name__}",
    )


#: Field types a TTL attribute may have: stored as epoch seconds, read back as the type.
_TTL_TYPES = (_dt.datetime, int, float, Decimal)


def check_ttl_field(model: type[pydantic.BaseModel] | None, ttl_attribute: str) -> None:
    """Refuse a ``ttl_attribute`` that names no field of ``model`` fit to hold an expiry time.

    The field (by alias, else name) must be a ``datetime``, ``int``, ``float`` or
    ``Decimal`` (or ``X | None``); a model allowing extra attributes may leave it out.

    Raises:
        InvalidInput: ``ttl_attribute`` is not a non-empty string, the field's type cannot
            hold epoch seconds (a ``str`` or ``date`` field would never expire), or the model
            has no such field and allows no extra attributes.

    Example:
        >>> import datetime as dt, pydantic
        >>> class Session(pydantic.BaseModel):
        ...     id: str
        ...     expires: dt.datetime
        >>> check_ttl_field(Session, "expires")
    """
    if not isinstance(ttl_attribute, str) or not ttl_attribute:
        raise InvalidInput("ttl_attribute", "name the attribute holding the expiry time")
    if model is None:
        return
    for name, info in model.model_fields.items():
        if (info.alias or name) != ttl_attribute:
            continue
        base = _base_type(info.annotation)
        if base is bool or not (isinstance(base, type) and issubclass(base, _TTL_TYPES)):
            raise InvalidInput(
                "ttl_attribute",
                f"{model.__name__}.{name} is {info.annotation!r}; DynamoDB's TTL reads only "
                "epoch seconds: make it a datetime (stored as epoch seconds) or a number",
            )
        return
    if model.model_config.get("extra") != "allow":
        raise InvalidInput("ttl_attribute", f"{model.__name__} has no field {ttl_attribute!r}")


def ttl_update(
    values: Mapping[str, Any] | None, ttl_attribute: str | None, *, field: str = "set"
) -> Mapping[str, Any] | None:
    """``values`` (an update's ``set``) with the TTL attribute given as epoch seconds.

    Raises:
        InvalidInput: the TTL attribute's value is no datetime or number
            ([ttl_seconds][awskit.dynamo.codec.ttl_seconds]).

    Example:
        >>> import datetime as dt
        >>> ttl_update({"expires": dt.datetime(1970, 1, 2, tzinfo=dt.timezone.utc)}, "expires")
        {'expires': 86400}
    """
    if ttl_attribute is None or not values or values.get(ttl_attribute) is None:
        return values
    seconds = ttl_seconds(values[ttl_attribute], field=f"{field}.{ttl_attribute}")
    return {**values, ttl_attribute: seconds}


def _raw_attribute(obj: pydantic.BaseModel | Mapping[str, Any], attr: str) -> Any:
    if not isinstance(obj, pydantic.BaseModel):
        return obj.get(attr)
    for name, info in type(obj).model_fields.items():
        if (info.alias or name) == attr:
            return obj.__dict__.get(name)
    return (obj.__pydantic_extra__ or {}).get(attr)


def dump_item(
    obj: pydantic.BaseModel | Mapping[str, Any], *, ttl_attribute: str | None = None
) -> dict[str, dict[str, Any]]:
    """Encode a model (by field alias, else name) or a mapping as a DynamoDB item.

    Top-level ``None`` values and empty sets are omitted (DynamoDB has no "absent" value
    and stores no empty set; [load_item][awskit.dynamo.codec.load_item] gives them back as
    ``None`` and an empty set); inside lists and maps ``None`` is NULL and an empty set is
    refused. The attribute named by ``ttl_attribute`` is stored as a
    Number of epoch seconds ([ttl_seconds][awskit.dynamo.codec.ttl_seconds]), the only form
    DynamoDB's TTL acts on; a ``datetime`` field reads it back as an aware UTC datetime.

    Raises:
        InvalidInput: ``.field`` names the attribute (``address.zip``, ``tags[2]``) that
            cannot be stored, or is ``"item"`` when the item exceeds 400 KB by AWS's size
            rule ([item_size][awskit.dynamo.codec.item_size]).

    Example:
        >>> dump_item({"username": "jane", "age": 30, "nickname": None})
        {'username': {'S': 'jane'}, 'age': {'N': '30'}}
    """
    try:
        if isinstance(obj, pydantic.BaseModel):
            out, size = _dump_model(obj, 1)
        elif isinstance(obj, Mapping):
            out = {}
            size = 0
            for k, v in obj.items():
                if not isinstance(k, str) or not k:
                    raise InvalidInput("item", f"attribute names must be non-empty strings: {k!r}")
                if v is None or _empty_set(v):
                    continue
                try:
                    k = _check_name(k)
                except _Unstorable as exc:
                    raise InvalidInput("item", exc.reason) from None
                try:
                    out[k], value_size = _sized(v, 1)
                except _Unstorable as exc:
                    exc.path.append(k)
                    raise
                size += _utf8_len(k) + value_size
        else:
            raise InvalidInput(
                "item", f"expected a pydantic model or a mapping, not {type(obj).__name__}"
            )
    except _Unstorable as exc:
        raise InvalidInput(exc.field("") or "item", exc.reason) from None
    if ttl_attribute is not None and ttl_attribute in out:
        seconds = ttl_seconds(_raw_attribute(obj, ttl_attribute), field=ttl_attribute)
        number = to_attribute_value(seconds, field=ttl_attribute)
        size += _value_size(number) - _value_size(out[ttl_attribute])
        out[ttl_attribute] = number
    if size > MAX_ITEM_BYTES:
        raise InvalidInput(
            "item", f"the item is {size} bytes; DynamoDB's limit is {MAX_ITEM_BYTES} (400 KB)"
        )
    return out


# --------------------------------------------------------------------------- size


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _number_size(text: str) -> int:
    if text.isdigit():
        significant = len(text.rstrip("0")) or 1
    else:
        mantissa = text.upper().partition("E")[0].replace("-", "").replace(".", "")
        significant = len(mantissa.strip("0")) or 1
    # 1 byte per two significant digits, plus 1.
    return (significant + 3) // 2


def _value_size(av: Mapping[str, Any]) -> int:
    for tag, v in av.items():
        if tag == "S":
            return _utf8_len(v)
        if tag == "N":
            return _number_size(v)
        if tag == "B":
            return len(v)
        if tag == "BOOL" or tag == "NULL":
            return 1
        if tag == "M":
            # 3 bytes per map plus 1 per element (AWS's item-size rule).
            return 3 + sum(_utf8_len(k) + _value_size(x) + 1 for k, x in v.items())
        if tag == "L":
            return 3 + sum(_value_size(x) + 1 for x in v)
        if tag == "SS":
            return sum(_utf8_len(x) for x in v)
        if tag == "NS":
            return sum(_number_size(x) for x in v)
        if tag == "BS":
            return sum(len(x) for x in v)
    return 0


def item_size(av_item: Mapping[str, Mapping[str, Any]]) -> int:
    """The size DynamoDB charges and limits (400 KB) for an item of AttributeValues.

    AWS's rule: UTF-8 bytes of each attribute name plus its value: UTF-8 bytes of a string,
    raw bytes of a binary, 1 byte per two significant digits of a number plus 1, 1 byte for
    BOOL and NULL, 3 bytes per list or map plus 1 per element, sets as the sum of elements.

    Example:
        >>> item_size({"name": {"S": "jane"}, "age": {"N": "30"}})
        13
    """
    total = 0
    # Strings and numbers, the common case, are sized inline: this runs on every put.
    for name, av in av_item.items():
        total += len(name) if name.isascii() else _utf8_len(name)
        for tag, v in av.items():
            if tag == "S":
                total += len(v) if v.isascii() else _utf8_len(v)
            elif tag == "N":
                total += _number_size(v)
            else:
                total += _value_size(av)
    return total


# --------------------------------------------------------------------------- decoding


def _plain_number(text: str) -> int | float | Decimal:
    try:
        return int(text)
    except ValueError:
        pass
    # DynamoDB normalises number text ("3E+16" is stored as "30000000000000000", "1.0" as
    # "1"): an integral number reads as int whatever text an emulator kept, as from AWS.
    number = Decimal(text)
    if number == number.to_integral_value():
        return int(number)
    value = float(text)
    if math.isfinite(value):
        shortest = repr(value)
        if shortest == text or Decimal(shortest) == Decimal(text):
            return value
    return Decimal(text)


def _plain(av: Mapping[str, Any]) -> Any:
    for tag, v in av.items():
        if tag == "S":
            return v
        if tag == "N":
            return _plain_number(v)
        if tag == "M":
            return {k: _plain(x) for k, x in v.items()}
        if tag == "L":
            return [_plain(x) for x in v]
        if tag == "BOOL" or tag == "B":
            return v
        if tag == "NULL":
            return None
        if tag == "SS":
            return set(v)
        if tag == "NS":
            return {_plain_number(x) for x in v}
        if tag == "BS":
            return set(v)
        raise ValueError(f"unknown AttributeValue type {tag!r}")
    raise ValueError("an empty AttributeValue")


def from_attribute_value(av: Mapping[str, Any]) -> Any:
    """Decode a DynamoDB AttributeValue into plain Python.

    N -> int for integral text, else float when the float's shortest repr is exactly the
    stored number, else Decimal; S -> str; B -> bytes; BOOL -> bool; NULL -> None; L -> list;
    M -> dict; SS/NS/BS -> set.

    Example:
        >>> from_attribute_value({"M": {"n": {"N": "0.1"}, "big": {"N": "1E+100"}}})
        {'n': 0.1, 'big': 1e+100}
    """
    return _plain(av)


def _to_int(text: str) -> int | Decimal:
    try:
        return int(text)
    except ValueError:
        pass
    number = Decimal(text)
    # A fractional value goes on as a Decimal so the model's validation reports it.
    return int(number) if number == number.to_integral_value() else number


Converter = Callable[[Mapping[str, Any]], Any]


def _number_converter(parse: Callable[[str], Any]) -> Converter:
    def convert(av: Mapping[str, Any]) -> Any:
        text = av.get("N")
        return parse(text) if text is not None else _plain(av)

    return convert


def _string_converter(parse: Callable[[str], Any]) -> Converter:
    def convert(av: Mapping[str, Any]) -> Any:
        text = av.get("S")
        if text is None:
            return _plain(av)
        try:
            return parse(text)
        except ValueError:
            # Left to the model's validation, which reports the field and the value.
            return text

    return convert


# datetime.fromisoformat reads every form awskit ever wrote, but before Python 3.11 not the
# "+0000" and "Z" offsets PynamoDB and others write, nor fractions of 1 to 5 digits.
_DATETIME_FORMATS = tuple(
    f"%Y-%m-%d{sep}%H:%M:%S{fraction}{zone}"
    for sep in "T "
    for fraction in (".%f", "")
    for zone in ("%z", "")
)


def parse_datetime(text: str) -> _dt.datetime:
    """Read a datetime stored as text: any ISO 8601 form, PynamoDB's included.

    Reads awskit's fixed-width UTC form, the ``isoformat()`` text (with any offset) that
    awskit wrote before, and PynamoDB's ``%Y-%m-%dT%H:%M:%S.%f+0000``; text without an
    offset gives a naive datetime.

    Raises:
        ValueError: the text is not a datetime.

    Example:
        >>> parse_datetime("2024-01-01T05:00:00.000000+0000")
        datetime.datetime(2024, 1, 1, 5, 0, tzinfo=datetime.timezone.utc)
    """
    try:
        return _dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    for form in _DATETIME_FORMATS:
        try:
            return _dt.datetime.strptime(text, form)
        except ValueError:
            continue
    raise ValueError(f"not an ISO 8601 datetime: {text[:40]!r}")


def epoch_datetime(text: str) -> _dt.datetime:
    """The aware UTC datetime of a number of seconds since the epoch (a TTL attribute).

    Raises:
        ValueError: the number is no datetime Python can hold (years 1 to 9999).

    Example:
        >>> epoch_datetime("1700000000")
        datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=datetime.timezone.utc)
    """
    seconds = Decimal(text)
    if not seconds.is_finite():
        raise ValueError(f"not a number of seconds: {text!r}")
    whole = int(seconds)
    micro = int((seconds - whole) * 1_000_000)
    try:
        return _EPOCH + _dt.timedelta(seconds=whole, microseconds=micro)
    except OverflowError:
        raise ValueError(f"{text} seconds since 1970 is outside years 1 to 9999") from None


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def _datetime_converter(av: Mapping[str, Any]) -> Any:
    text = av.get("S")
    parse = parse_datetime
    if text is None:
        # A TTL attribute holds epoch seconds (see dump_item's ttl_attribute).
        text = av.get("N")
        parse = epoch_datetime
        if text is None:
            return _plain(av)
    try:
        return parse(text)
    except ValueError:
        # Left to the model's validation, which reports the field and the value.
        return text


def _enum_converter(kind: type[enum.Enum]) -> Converter:
    def convert(av: Mapping[str, Any]) -> Any:
        value = _plain(av)
        try:
            return kind(value)
        except ValueError:
            return value

    return convert


# Set elements of these types are parsed straight from the wire strings.
_ELEMENT_PARSERS: dict[Any, Callable[[str], Any]] = {
    int: _to_int,
    float: float,
    Decimal: Decimal,
}


def _set_converter(element: Any) -> Converter:
    parse = _ELEMENT_PARSERS.get(element)
    convert_element = _converter_for(element)

    def convert(av: Mapping[str, Any]) -> Any:
        for tag, v in av.items():
            if tag == "SS" or tag == "BS":
                if element is str or element is bytes or element is Any:
                    return set(v)
            elif tag == "NS":
                if parse is not None:
                    return {parse(x) for x in v}
            else:
                return _plain(av)
            scalar = tag[0]
            return {convert_element({scalar: x}) for x in v}
        return _plain(av)

    return convert


def _list_converter(element: Any) -> Converter:
    convert_element = _converter_for(element)

    def convert(av: Mapping[str, Any]) -> Any:
        items = av.get("L")
        if items is None:
            return _plain(av)
        return [convert_element(x) for x in items]

    return convert


def _tuple_converter(elements: tuple[Any, ...]) -> Converter:
    converters = [_converter_for(e) for e in elements]

    def convert(av: Mapping[str, Any]) -> Any:
        items = av.get("L")
        if items is None or len(items) != len(converters):
            return _plain(av)
        return [c(x) for c, x in zip(converters, items, strict=True)]

    return convert


def _map_converter(value: Any) -> Converter:
    convert_value = _converter_for(value)

    def convert(av: Mapping[str, Any]) -> Any:
        members = av.get("M")
        if members is None:
            return _plain(av)
        return {k: convert_value(x) for k, x in members.items()}

    return convert


def _model_converter(model: type[pydantic.BaseModel]) -> Converter:
    def convert(av: Mapping[str, Any]) -> Any:
        members = av.get("M")
        if members is None:
            return _plain(av)
        # The plan is looked up at call time so self-referencing models terminate.
        return _load_plan(model).load(members)

    return convert


_UNION_TYPES: tuple[Any, ...] = (typing.Union, types.UnionType)
_SET_ORIGINS: tuple[Any, ...] = (set, frozenset, abc.Set, abc.MutableSet)
_LIST_ORIGINS: tuple[Any, ...] = (list, abc.Sequence, abc.MutableSequence)
_MAP_ORIGINS: tuple[Any, ...] = (dict, abc.Mapping, abc.MutableMapping)

_SCALAR_CONVERTERS: dict[Any, Converter] = {
    int: _number_converter(_to_int),
    float: _number_converter(float),
    Decimal: _number_converter(Decimal),
    _dt.datetime: _datetime_converter,
    _dt.date: _string_converter(_dt.date.fromisoformat),
    _dt.time: _string_converter(_dt.time.fromisoformat),
    uuid.UUID: _string_converter(uuid.UUID),
}
_CONVERTERS: dict[Any, Converter] = {}


def _build_converter(tp: Any) -> Converter:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _converter_for(args[0])
    if origin in _UNION_TYPES:
        present = [a for a in args if a is not type(None)]
        # X | None converts as X (NULL decodes to None in every converter); a real union is
        # left to pydantic's smart union, fed plain values.
        return _converter_for(present[0]) if len(present) == 1 else _plain
    if origin in _SET_ORIGINS:
        return _set_converter(args[0] if args else Any)
    if origin in _LIST_ORIGINS:
        return _list_converter(args[0] if args else Any)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _list_converter(args[0])
        return _tuple_converter(args) if args else _plain
    if origin in _MAP_ORIGINS:
        return _map_converter(args[1] if len(args) == 2 else Any)
    if origin is None and isinstance(tp, type):
        if issubclass(tp, pydantic.BaseModel):
            return _model_converter(tp)
        if issubclass(tp, enum.Enum):
            return _enum_converter(tp)
        for base in (bool, int, float, Decimal, _dt.datetime, _dt.date, _dt.time, uuid.UUID):
            if issubclass(tp, base):
                return _SCALAR_CONVERTERS.get(base, _plain)
        if tp in (set, frozenset):
            return _set_converter(Any)
        if tp in (list, tuple):
            return _list_converter(Any)
    return _plain


def _converter_for(tp: Any) -> Converter:
    try:
        found = _CONVERTERS.get(tp)
    except TypeError:  # an unhashable annotation (rare): build it every time
        return _build_converter(tp)
    if found is None:
        found = _CONVERTERS[tp] = _build_converter(tp)
    return found


def _accepts_none(tp: Any) -> bool:
    if tp is Any or tp is None or tp is type(None):
        return True
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _accepts_none(typing.get_args(tp)[0])
    return origin in _UNION_TYPES and any(_accepts_none(a) for a in typing.get_args(tp))


def _base_type(tp: Any) -> Any:
    """``X`` for ``X``, ``X | None`` and ``Annotated[X, ...]``; None for anything else."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _base_type(typing.get_args(tp)[0])
    if origin in _UNION_TYPES:
        present = [a for a in typing.get_args(tp) if a is not type(None)]
        return _base_type(present[0]) if len(present) == 1 else None
    return tp if origin is None else None


# Fields whose wire value is already the Python value, and fields parsed from one number:
# the load loop handles both inline, without a converter call per attribute.
_DIRECT_TAGS: dict[Any, str] = {str: "S", bool: "BOOL", bytes: "B"}
_NUMBER_PARSERS: dict[Any, Callable[[str], Any]] = {int: _to_int, float: float, Decimal: Decimal}


class _LoadPlan:
    """How to read one model class: attribute name -> converter, and the nullable fields."""

    __slots__ = ("converters", "direct", "empty_sets", "nullable", "numbers")

    def __init__(self, model: type[pydantic.BaseModel]) -> None:
        self.converters: dict[str, Converter] = {}
        self.direct: dict[str, str] = {}
        self.numbers: dict[str, Callable[[str], Any]] = {}
        nullable = []
        empty_sets = []
        for name, info in model.model_fields.items():
            attr = info.alias or name
            self.converters[attr] = _converter_for(info.annotation)
            base = _base_type(info.annotation)
            if base in _DIRECT_TAGS:
                self.direct[attr] = _DIRECT_TAGS[base]
            elif base in _NUMBER_PARSERS:
                self.numbers[attr] = _NUMBER_PARSERS[base]
            # dump_item omits None, so a required ``X | None`` field comes back absent.
            if info.is_required() and _accepts_none(info.annotation):
                nullable.append(attr)
            # DynamoDB stores no empty set, so dump_item omits one: a required set field
            # that comes back absent was an empty set.
            elif info.is_required() and _is_set_type(info.annotation):
                empty_sets.append(attr)
        self.nullable = tuple(nullable)
        self.empty_sets = tuple(empty_sets)

    def load(self, item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        direct = self.direct.get
        numbers = self.numbers.get
        convert = self.converters.get
        data: dict[str, Any] = {}
        for attr, av in item.items():
            tag = direct(attr)
            if tag is not None:
                value = av.get(tag)
                if value is not None:
                    data[attr] = value
                    continue
            else:
                parse = numbers(attr)
                if parse is not None:
                    text = av.get("N")
                    if text is not None:
                        data[attr] = parse(text)
                        continue
            data[attr] = convert(attr, _plain)(av)
        for attr in self.nullable:
            if attr not in data:
                data[attr] = None
        for attr in self.empty_sets:
            if attr not in data:
                data[attr] = set()
        return data


def _is_set_type(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _is_set_type(typing.get_args(tp)[0])
    return tp in (set, frozenset) or origin in (set, frozenset)


_LOAD_PLANS: dict[type, _LoadPlan] = {}


def _load_plan(model: type[pydantic.BaseModel]) -> _LoadPlan:
    plan = _LOAD_PLANS.get(model)
    if plan is None:
        plan = _LOAD_PLANS[model] = _LoadPlan(model)
    return plan


@overload
def load_item(item: Mapping[str, Mapping[str, Any]], model: type[M]) -> M: ...
@overload
def load_item(item: Mapping[str, Mapping[str, Any]], model: None = None) -> dict[str, Any]: ...
def load_item(
    item: Mapping[str, Mapping[str, Any]], model: type[M] | None = None
) -> M | dict[str, Any]:
    """Decode a DynamoDB item into ``model`` (validated) or, without one, a plain dict.

    With a model, each attribute is converted to its field's type first (N to int, float or
    Decimal; NS to ``set[int]``; ISO strings to datetime/date; UUID; Enum; nested models),
    then ``model.model_validate`` runs; absent ``X | None`` fields become None.

    Raises:
        pydantic.ValidationError: the item does not fit the model.

    Example:
        >>> load_item({"username": {"S": "jane"}, "age": {"N": "30"}})
        {'username': 'jane', 'age': 30}
    """
    if model is None:
        return {k: _plain(av) for k, av in item.items()}
    return model.model_validate(_load_plan(model).load(item))


def key_of(item: Mapping[str, Any], hash_key: str, range_key: str | None) -> dict[str, Any]:
    """The primary-key attributes of a plain item (``{hash_key: ..., range_key: ...}``).

    Raises:
        InvalidInput: a key attribute is missing or None (``.field`` names it).

    Example:
        >>> key_of({"username": "jane", "last_name": "Doe", "age": 3}, "username", "last_name")
        {'username': 'jane', 'last_name': 'Doe'}
    """
    key: dict[str, Any] = {}
    for name in (hash_key, range_key):
        if name is None:
            continue
        value = item.get(name)
        if value is None:
            raise InvalidInput(name, "the key attribute is missing")
        key[name] = value
    return key
