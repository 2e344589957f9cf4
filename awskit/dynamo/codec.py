"""Values, exactly: Python and pydantic values to DynamoDB AttributeValues and back.

Pure functions with no client. Numbers keep their value: a ``float`` is written through its
shortest ``repr`` (``0.1`` is stored as ``"0.1"``, never as 55 binary digits) and read back as
the model field's own type; precision (38 significant digits) and range (1E-130 to
9.99...E+125) are checked here, so DynamoDB never sees a number it would reject and boto3's
``decimal.Rounded`` failure on values like ``1e100`` cannot happen.

Speed matters: :func:`dump_item` and :func:`load_item` run on every item of every read and
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

from .._errors import InvalidInput

__all__ = [
    "MAX_ITEM_BYTES",
    "dump_item",
    "from_attribute_value",
    "item_size",
    "key_of",
    "load_item",
    "to_attribute_value",
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
        # "1e-07" -> "1E-7", DynamoDB's documented form. Keeping the exponent (rather than
        # Decimal's "30000000000000000") makes an integral float such as 3e+16 read back as
        # a float, not an int, from a plain table.
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
        digits = v.as_tuple().digits
        significant = len(digits)
        while significant and digits[significant - 1] == 0:
            significant -= 1
        if significant > _MAX_DIGITS:
            raise _Unstorable("number has more than 38 significant digits")
    return text


def _enc_int(v: int) -> AttributeValue:
    return {"N": _number_text_of_int(v)}


def _enc_float(v: float) -> AttributeValue:
    return {"N": _number_text_of_float(v)}


def _enc_decimal(v: Decimal) -> AttributeValue:
    return {"N": _number_text_of_decimal(v)}


def _enc_bool(v: bool) -> AttributeValue:
    return {"BOOL": v}


def _enc_none(v: None) -> AttributeValue:
    return {"NULL": True}


def _enc_bytes(v: bytes) -> AttributeValue:
    return {"B": v}


def _enc_bytearray(v: bytearray | memoryview) -> AttributeValue:
    return {"B": bytes(v)}


def _enc_list(v: list[Any] | tuple[Any, ...]) -> AttributeValue:
    try:
        return {"L": [_encode(x) for x in v]}
    except _Unstorable as exc:
        for i, x in enumerate(v):
            try:
                _encode(x)
            except _Unstorable:
                exc.path.append(f"[{i}]")
                break
        raise


def _enc_map(v: Mapping[Any, Any]) -> AttributeValue:
    out: dict[str, AttributeValue] = {}
    for k, x in v.items():
        if type(k) is not str:
            if not isinstance(k, str):
                raise _Unstorable(f"map keys must be strings, not {type(k).__name__}")
            k = str(k)
        if not k:
            raise _Unstorable("attribute names cannot be empty")
        try:
            out[k] = _encode(x)
        except _Unstorable as exc:
            exc.path.append(k)
            raise
    return {"M": out}


_SET_TAGS = {"S": "SS", "N": "NS", "B": "BS"}


def _enc_set(v: set[Any] | frozenset[Any]) -> AttributeValue:
    if not v:
        raise _Unstorable("an empty set is not storable in DynamoDB (omit it or use None)")
    kinds = {type(x) for x in v}
    if kinds == {str}:
        return {"SS": [_enc_str(x)["S"] for x in v]}
    if kinds == {int}:
        return {"NS": [_number_text_of_int(x) for x in v]}
    # Anything else goes through the scalar encoder (floats, Decimal, bytes, UUID, Enum, ...)
    # and every element must come out as the same one of S, N or B.
    scalars = [_encode(x) for x in v]
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


def _enc_datetime(v: _dt.date | _dt.time) -> AttributeValue:
    return {"S": v.isoformat()}


def _enc_uuid(v: uuid.UUID) -> AttributeValue:
    return {"S": str(v)}


def _enc_enum(v: enum.Enum) -> AttributeValue:
    try:
        return _encode(v.value)
    except _Unstorable as exc:
        raise _Unstorable(f"the value of {v!r} is not storable: {exc.reason}") from None


def _enc_model(v: pydantic.BaseModel) -> AttributeValue:
    return {"M": _dump_model(v)[0]}


_ENCODERS: dict[type, Callable[[Any], AttributeValue]] = {
    str: _enc_str,
    int: _enc_int,
    float: _enc_float,
    bool: _enc_bool,
    Decimal: _enc_decimal,
    type(None): _enc_none,
    bytes: _enc_bytes,
    bytearray: _enc_bytearray,
    memoryview: _enc_bytearray,
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
_SUBCLASS_ENCODERS: tuple[tuple[type | tuple[type, ...], Callable[[Any], AttributeValue]], ...] = (
    (enum.Enum, _enc_enum),
    (pydantic.BaseModel, _enc_model),
    (bool, _enc_bool),
    (str, lambda v: _enc_str(str(v))),
    (int, lambda v: _enc_int(int(v))),
    (float, lambda v: _enc_float(float(v))),
    (Decimal, lambda v: _enc_decimal(Decimal(v))),
    (bytes, lambda v: _enc_bytes(bytes(v))),
    ((_dt.date, _dt.time), _enc_datetime),
    (uuid.UUID, _enc_uuid),
    ((set, frozenset), _enc_set),
    ((list, tuple), _enc_list),
    (Mapping, _enc_map),
)


def _resolve_encoder(kind: type) -> Callable[[Any], AttributeValue]:
    for base, encoder in _SUBCLASS_ENCODERS:
        if issubclass(kind, base):
            # Benign race: two threads may both store the same encoder for a class.
            _ENCODERS[kind] = encoder
            return encoder
    raise _Unstorable(f"a {kind.__module__}.{kind.__qualname__} is not storable in DynamoDB")


def _encode(v: Any) -> AttributeValue:
    encoder = _ENCODERS.get(type(v))
    if encoder is None:
        encoder = _resolve_encoder(type(v))
    return encoder(v)


class _DumpPlan:
    """What to read from an instance of one model class: (field, attribute, name's size)."""

    __slots__ = ("fields",)

    def __init__(self, model: type[pydantic.BaseModel]) -> None:
        self.fields = tuple(
            (name, info.alias or name, _utf8_len(info.alias or name))
            for name, info in model.model_fields.items()
        )


_DUMP_PLANS: dict[type, _DumpPlan] = {}


def _sized(v: Any) -> tuple[AttributeValue, int]:
    """Encode ``v`` and size it by AWS's rule in one pass: dump_item runs on every write.

    Gives what ``_encode`` gives (a test holds them equal), plus the size of the value.
    """
    kind = type(v)
    if kind is str:
        if v.isascii():
            return {"S": v}, len(v)
        return _enc_str(v), _utf8_len(v)
    if kind is int:
        text = _number_text_of_int(v)
        return {"N": text}, _number_size(text)
    if kind is float:
        text = _number_text_of_float(v)
        return {"N": text}, _number_size(text)
    if kind is bool:
        return {"BOOL": v}, 1
    if kind is list or kind is tuple:
        values: list[AttributeValue] = []
        # A list costs 3 bytes plus 1 per element.
        size = 3
        for i, x in enumerate(v):
            try:
                av, value_size = _sized(x)
            except _Unstorable as exc:
                exc.path.append(f"[{i}]")
                raise
            values.append(av)
            size += value_size + 1
        return {"L": values}, size
    if kind is dict:
        members: dict[str, AttributeValue] = {}
        size = 3
        for k, x in v.items():
            if type(k) is not str:
                if not isinstance(k, str):
                    raise _Unstorable(f"map keys must be strings, not {type(k).__name__}")
                k = str(k)
            if not k:
                raise _Unstorable("attribute names cannot be empty")
            try:
                members[k], value_size = _sized(x)
            except _Unstorable as exc:
                exc.path.append(k)
                raise
            size += _utf8_len(k) + value_size + 1
        return {"M": members}, size
    if isinstance(v, pydantic.BaseModel):
        fields, size = _dump_model(v)
        return {"M": fields}, 3 + size + len(fields)
    av = _encode(v)
    return av, _value_size(av)


def _dump_model(obj: pydantic.BaseModel) -> tuple[Item, int]:
    kind = type(obj)
    plan = _DUMP_PLANS.get(kind)
    if plan is None:
        plan = _DUMP_PLANS[kind] = _DumpPlan(kind)
    values = obj.__dict__
    out: Item = {}
    size = 0
    for name, attr, attr_size in plan.fields:
        v = values.get(name)
        if v is None:
            continue
        try:
            out[attr], value_size = _sized(v)
        except _Unstorable as exc:
            exc.path.append(attr)
            raise
        size += attr_size + value_size
    extra = obj.__pydantic_extra__
    if extra:
        for attr, v in extra.items():
            if v is None:
                continue
            try:
                out[attr], value_size = _sized(v)
            except _Unstorable as exc:
                exc.path.append(attr)
                raise
            size += _utf8_len(attr) + value_size
    return out, size


def to_attribute_value(value: Any, *, field: str = "value") -> dict[str, Any]:
    """Encode one Python value as a DynamoDB AttributeValue (botocore's shape: ``B`` as bytes).

    str -> S; int, float, Decimal -> N (38 digits, 1E-130..9.99E+125, floats by shortest
    repr); bool -> BOOL; bytes -> B; sets of str/numbers/bytes -> SS/NS/BS; list and tuple ->
    L; dict and pydantic models -> M; datetime, date, time -> ISO 8601; UUID -> str; Enum ->
    its value; None -> NULL.

    Raises:
        InvalidInput: the value (or the part of it named in ``.field``, e.g. ``value.tags[2]``)
            cannot be stored: NaN, Infinity, too many digits, out of range, an empty set, a
            mixed set, a non-string map key or an unsupported type.

    Example:
        >>> to_attribute_value(0.1)
        {'N': '0.1'}
        >>> to_attribute_value({"tags": {"a"}, "n": None})
        {'M': {'tags': {'SS': ['a']}, 'n': {'NULL': True}}}
    """
    try:
        return _encode(value)
    except _Unstorable as exc:
        raise InvalidInput(exc.field(field), exc.reason) from None


def dump_item(obj: pydantic.BaseModel | Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Encode a model (by field alias, else name) or a mapping as a DynamoDB item.

    Top-level ``None`` values are omitted (DynamoDB has no "absent" value; :func:`load_item`
    gives them back as ``None``); inside lists and maps ``None`` is NULL.

    Raises:
        InvalidInput: ``.field`` names the attribute (``address.zip``, ``tags[2]``) that
            cannot be stored, or is ``"item"`` when the item exceeds 400 KB by AWS's size
            rule (:func:`item_size`).

    Example:
        >>> dump_item({"username": "jane", "age": 30, "nickname": None})
        {'username': {'S': 'jane'}, 'age': {'N': '30'}}
    """
    try:
        if isinstance(obj, pydantic.BaseModel):
            out, size = _dump_model(obj)
        elif isinstance(obj, Mapping):
            out = {}
            size = 0
            for k, v in obj.items():
                if not isinstance(k, str) or not k:
                    raise InvalidInput("item", f"attribute names must be non-empty strings: {k!r}")
                if v is None:
                    continue
                try:
                    out[k], value_size = _sized(v)
                except _Unstorable as exc:
                    exc.path.append(k)
                    raise
                size += _utf8_len(k) + value_size
        else:
            raise InvalidInput(
                "item", f"expected a pydantic model or a mapping, not {type(obj).__name__}"
            )
    except _Unstorable as exc:
        raise InvalidInput(exc.field(""), exc.reason) from None
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
    _dt.datetime: _string_converter(_dt.datetime.fromisoformat),
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

    __slots__ = ("converters", "direct", "nullable", "numbers")

    def __init__(self, model: type[pydantic.BaseModel]) -> None:
        self.converters: dict[str, Converter] = {}
        self.direct: dict[str, str] = {}
        self.numbers: dict[str, Callable[[str], Any]] = {}
        nullable = []
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
        self.nullable = tuple(nullable)

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
        return data


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
