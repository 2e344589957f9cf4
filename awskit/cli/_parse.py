"""Pure parsing and formatting for the command line: no client, no IO, property-tested.

* ``name=value`` pairs (text) and ``name:=json`` pairs (typed), as httpie writes them;
* filter and key conditions such as ``age < 27 and address.state = CA`` into boto3's
  ``Attr``/``Key`` builders;
* ``s3://bucket/key`` addresses and ``NAME:S|N|B`` key attributes;
* any awskit result (dataclasses, pydantic models, datetimes, sets, bytes) into JSON.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import json
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from awskit import InvalidInput

if TYPE_CHECKING:
    from boto3.dynamodb.conditions import ConditionBase

__all__ = [
    "parse_condition",
    "parse_key_spec",
    "parse_pairs",
    "parse_s3_url",
    "parse_value",
    "to_jsonable",
]

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")


def parse_value(text: str) -> Any:
    """A bare word as the value it looks like: number, true/false, null, else the text."""
    if _NUMBER.fullmatch(text):
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        return Decimal(text)
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    return text


def parse_pairs(items: Iterable[str], field: str) -> dict[str, Any]:
    """``name=value`` (value is text) and ``name:=json`` (value is JSON) into a dict."""
    result: dict[str, Any] = {}
    for item in items:
        typed = re.match(r"^([^=:]+):=(.*)$", item, re.DOTALL)
        if typed:
            name, raw = typed.group(1), typed.group(2)
            try:
                value: Any = json.loads(raw, parse_float=Decimal)
            except ValueError as exc:
                raise InvalidInput(field, f"{item!r}: the value after ':=' is not JSON") from exc
        elif "=" in item:
            name, value = item.split("=", 1)
        else:
            raise InvalidInput(field, f"{item!r} is not name=value (or name:=json)")
        name = name.strip()
        if not name:
            raise InvalidInput(field, f"{item!r} has no name before '='")
        result[name] = value
    return result


def parse_s3_url(text: str) -> tuple[str, str] | None:
    """``s3://bucket/key`` as ``(bucket, key)`` (key may be empty); ``None`` for a local path."""
    if not text.startswith("s3://"):
        return None
    rest = text[len("s3://") :]
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise InvalidInput("url", f"{text!r} names no bucket (s3://bucket/key)")
    return bucket, key


def parse_key_spec(text: str, field: str) -> tuple[str, str]:
    """``NAME:S|N|B`` (type ``S`` when left out) as ``(name, type)``."""
    name, sep, kind = text.rpartition(":")
    if not sep:
        name, kind = text, "S"
    name, kind = name.strip(), kind.strip().upper()
    if not name:
        raise InvalidInput(field, f"{text!r} names no attribute (NAME:S, NAME:N or NAME:B)")
    if kind not in ("S", "N", "B"):
        raise InvalidInput(
            field, f"{text!r}: the type after ':' is S (text), N (number) or B (binary)"
        )
    return name, kind


# -- conditions ------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<quoted>"(?:[^"\\]|\\.)*"|'[^']*')
      | (?P<op><=|>=|!=|<>|==|=|<|>)
      | (?P<word>[^\s<>=!"']+)
    )""",
    re.VERBOSE,
)

_WORD_OPS = {"begins_with", "contains", "between", "exists", "not_exists", "in"}


@dataclasses.dataclass(frozen=True)
class _Tok:
    kind: str  # "quoted", "op" or "word"
    text: str

    def value(self, field: str, kind: str | None = None) -> Any:
        if kind == "S" and self.kind == "word":
            return self.text
        if kind == "N" and self.kind == "quoted":
            return parse_value(self.text[1:-1])
        if self.kind == "quoted":
            if self.text.startswith('"'):
                try:
                    return str(json.loads(self.text))
                except ValueError as exc:
                    raise InvalidInput(field, f"bad quoted text {self.text}") from exc
            return self.text[1:-1]
        if self.kind == "op":
            raise InvalidInput(field, f"expected a value, found {self.text!r}")
        return parse_value(self.text)


def _tokens(text: str, field: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise InvalidInput(field, f"cannot read {text[pos:].strip()!r}")
        kind = match.lastgroup or "word"
        tokens.append(_Tok(kind, match.group(kind)))
        pos = match.end()
    return tokens


def parse_condition(
    text: str | Iterable[str],
    *,
    key: bool = False,
    field: str = "condition",
    types: Mapping[str, str] | None = None,
) -> ConditionBase:
    """A condition such as ``age < 27 and first_name begins_with J`` as boto3 builds it.

    Clauses are ``PATH OP VALUE`` joined by ``and``: ``=``, ``!=``, ``<``, ``<=``, ``>``,
    ``>=``, ``begins_with``, ``contains``, ``between A and B``, ``in A,B,C``, and
    ``PATH exists`` / ``PATH not_exists``. Bare values that look like numbers or
    booleans are those; quote them (``zip = "02134"``) to keep text. With ``key`` the
    result is a key condition (``Key``; only ``=``, comparisons, ``begins_with`` and
    ``between``). Several strings are joined with ``and``.
    """
    from boto3.dynamodb.conditions import Attr, Key

    source = text if isinstance(text, str) else " and ".join(text)
    tokens = _tokens(source, field)
    if not tokens:
        raise InvalidInput(field, "empty condition")
    result: Any = None
    i = 0
    while i < len(tokens):
        path = tokens[i]
        if path.kind != "word":
            raise InvalidInput(field, f"expected an attribute name, found {path.text!r}")
        if i + 1 >= len(tokens):
            raise InvalidInput(field, f"{path.text!r} needs an operator and a value")
        op = tokens[i + 1].text.lower() if tokens[i + 1].kind != "quoted" else ""
        if tokens[i + 1].kind == "word" and op not in _WORD_OPS:
            raise InvalidInput(field, f"unknown operator {tokens[i + 1].text!r}")
        builder: Any = Key(path.text) if key else Attr(path.text)
        i += 2

        def take(name: str = path.text, op: str = op) -> Any:
            nonlocal i
            if i >= len(tokens):
                raise InvalidInput(field, f"{name} {op}: missing value")
            value = tokens[i].value(field, (types or {}).get(name))
            i += 1
            return value

        if op in ("exists", "not_exists"):
            if key:
                raise InvalidInput(field, f"{op} is not a key condition")
            clause = builder.exists() if op == "exists" else builder.not_exists()
        elif op in ("=", "=="):
            clause = builder.eq(take())
        elif op in ("!=", "<>"):
            if key:
                raise InvalidInput(field, "!= is not a key condition")
            clause = builder.ne(take())
        elif op in ("<", "<=", ">", ">="):
            method = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}[op]
            clause = getattr(builder, method)(take())
        elif op == "begins_with":
            clause = builder.begins_with(take())
        elif op == "contains":
            if key:
                raise InvalidInput(field, "contains is not a key condition")
            clause = builder.contains(take())
        elif op == "between":
            low = take()
            if i >= len(tokens) or tokens[i].text.lower() != "and":
                raise InvalidInput(field, "between needs 'A and B'")
            i += 1
            clause = builder.between(low, take())
        elif op == "in":
            if key:
                raise InvalidInput(field, "in is not a key condition")
            raw = tokens[i].text if i < len(tokens) else ""
            i += 1
            if not raw:
                raise InvalidInput(field, f"{path.text} in: missing values")
            clause = builder.is_in([parse_value(v) for v in raw.split(",") if v])
        else:
            raise InvalidInput(field, f"unknown operator {op!r}")
        result = clause if result is None else result & clause
        if i < len(tokens):
            if tokens[i].text.lower() != "and":
                raise InvalidInput(field, f"expected 'and', found {tokens[i].text!r}")
            i += 1
            if i >= len(tokens):
                raise InvalidInput(field, "nothing after 'and'")
    return result  # type: ignore[no-any-return]


# -- JSON out ------------------------------------------------------------------------------


def to_jsonable(value: Any) -> Any:
    """Plain JSON values for any awskit result.

    Dataclasses and pydantic models become objects, datetimes ISO 8601 text, integral
    Decimals ints and others floats, sets sorted lists, bytes base64 text, enums their value.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return to_jsonable(dump(exclude_none=True))
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        items = [to_jsonable(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return str(value)
