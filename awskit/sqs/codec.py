"""Pure SQS logic: limits, attribute encoding, MD5 checksums and batch packing.

Nothing here talks to AWS, so all of it is property-tested without an endpoint.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import re
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeAlias, TypeVar, Union

from .._errors import InvalidInput

__all__ = [
    "MAX_ATTRIBUTES",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_ENTRIES",
    "MAX_DELAY_SECONDS",
    "MAX_MESSAGE_BYTES",
    "MAX_VISIBILITY_SECONDS",
    "REFUSED_CHARACTERS",
    "AttributeValue",
    "check_characters",
    "check_delay",
    "check_queue_name",
    "check_visibility",
    "decode_attribute",
    "decode_attributes",
    "encode_attribute",
    "encode_attributes",
    "fifo_batches",
    "md5_of_attributes",
    "md5_of_body",
    "measure_body",
    "message_size",
    "pack_batches",
]

#: A message (body plus attributes) may be at most 1 MiB (AWS raised it from 256 KiB in 2025).
MAX_MESSAGE_BYTES = 1_048_576
#: SendMessageBatch: at most 10 entries, and the sum of the messages at most 1 MiB.
MAX_BATCH_ENTRIES = 10
MAX_BATCH_BYTES = 1_048_576
#: At most 10 message attributes per message.
MAX_ATTRIBUTES = 10
#: DelaySeconds: 0 to 15 minutes.
MAX_DELAY_SECONDS = 900
#: VisibilityTimeout: 0 to 12 hours (also the cap on the total time a message stays hidden).
MAX_VISIBILITY_SECONDS = 43_200

AttributeValue: TypeAlias = Union[str, int, float, Decimal, bytes]  # noqa: UP007
"""What a message attribute holds in Python: String -> str, Number -> int, Decimal or float
(``Number.float``), Binary -> bytes."""

#: What SQS refuses in a body and, as AWS says "the same restrictions on the content as the
#: message body", in a String attribute value: anything outside #x9 | #xA | #xD |
#: #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF (lone surrogates, NUL, other C0 controls,
#: U+FFFE and U+FFFF).
REFUSED_CHARACTERS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,256}")
_RESERVED_PREFIXES = ("aws.", "amazon.")
_FLOAT_SUFFIXES = frozenset({"float", "double"})
_INT_SUFFIXES = frozenset({"int", "integer", "long"})
_STRING_FIELD = b"\x01"
_BINARY_FIELD = b"\x02"

T = TypeVar("T")

#: Bodies shorter than this (in bytes) are hashed by CPython's own MD5, what hashlib
#: falls back to: it takes half the time of OpenSSL's, whose cost on short input is
#: mostly setting up; on longer input OpenSSL's is faster.
_SMALL_BODY = 512
try:
    _small_md5: Callable[[bytes], Any] = importlib.import_module("_md5").md5
except ImportError:  # pragma: no cover - a CPython built without it
    _small_md5 = functools.partial(hashlib.md5, usedforsecurity=False)


def check_queue_name(name: str, *, fifo: bool | None = None) -> bool:
    """Validate a queue name; return whether it names a FIFO queue.

    AWS: 1 to 80 characters of ``A-Za-z0-9_-``; a FIFO queue's name ends in ``.fifo``
    (the suffix counts toward the 80) and only a FIFO queue's name may.
    """
    if not isinstance(name, str):
        raise InvalidInput("name", "must be a string")
    is_fifo = name.endswith(".fifo")
    if len(name) > 80:
        raise InvalidInput("name", f"{len(name)} characters; a queue name has at most 80")
    stem = name[: -len(".fifo")] if is_fifo else name
    if not _QUEUE_NAME.fullmatch(stem):
        raise InvalidInput(
            "name", "use 1 to 80 characters: letters, digits, hyphens and underscores"
        )
    if fifo is True and not is_fifo:
        raise InvalidInput("fifo", "a FIFO queue's name must end in '.fifo'")
    if fifo is False and is_fifo:
        raise InvalidInput("fifo", "a name ending in '.fifo' is a FIFO queue")
    return is_fifo


def check_delay(seconds: int, field: str = "delay_seconds") -> int:
    """DelaySeconds must be an integer from 0 to 900."""
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise InvalidInput(field, "must be an integer number of seconds")
    if not 0 <= seconds <= MAX_DELAY_SECONDS:
        raise InvalidInput(field, f"{seconds} is outside 0..{MAX_DELAY_SECONDS} seconds")
    return seconds


def check_visibility(seconds: int, field: str = "visibility_timeout") -> int:
    """A visibility timeout must be an integer from 0 to 43200 (12 hours)."""
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise InvalidInput(field, "must be an integer number of seconds")
    if not 0 <= seconds <= MAX_VISIBILITY_SECONDS:
        raise InvalidInput(field, f"{seconds} is outside 0..{MAX_VISIBILITY_SECONDS} seconds")
    return seconds


def check_characters(field: str, text: str, what: str = "an SQS body") -> str:
    """``text`` unchanged, or [InvalidInput][awskit.InvalidInput] naming ``field`` and the
    first character SQS refuses (see ``REFUSED_CHARACTERS``)."""
    bad = REFUSED_CHARACTERS.search(text)
    if bad:
        raise InvalidInput(field, f"character U+{ord(bad.group()):04X} is not allowed in {what}")
    return text


def _check_attribute_name(name: str) -> None:
    field = f"attributes[{name!r}]"
    if not isinstance(name, str) or not _ATTRIBUTE_NAME.fullmatch(name):
        raise InvalidInput(field, "names use 1 to 256 of A-Z a-z 0-9 _ - .")
    if name.startswith(".") or name.endswith(".") or ".." in name:
        raise InvalidInput(field, "a name may not start or end with '.' or hold '..'")
    if name.lower().startswith(_RESERVED_PREFIXES):
        raise InvalidInput(field, "names starting with 'AWS.' or 'Amazon.' are reserved")


def _number_text(value: Decimal, field: str) -> str:
    if not value.is_finite():
        raise InvalidInput(field, "a Number must be finite")
    text = format(value, "f")
    # AWS: up to 38 digits of precision, between 10^-128 and 10^+126.
    significant = "".join(map(str, value.as_tuple().digits)).strip("0")
    if len(significant) > 38 or (value and abs(value) >= 10**126):
        raise InvalidInput(field, "a Number has at most 38 digits and is below 10^126")
    return text


def encode_attribute(name: str, value: object) -> dict[str, Any]:
    """One Python value as an SQS ``MessageAttributeValue``.

    ``str`` -> String, ``int`` and ``Decimal`` -> Number, ``float`` -> ``Number.float`` (so
    it comes back a float), ``bytes`` -> Binary. A mapping with ``DataType`` passes as is,
    once checked as the same value would be.

    Checked before sending, each an [InvalidInput][awskit.InvalidInput] naming the
    attribute: the name (1-256 of ``A-Za-z0-9_-.``, no leading, trailing or doubled
    ``.``, no ``AWS.``/``Amazon.`` prefix in any case); a String value is not empty and
    holds only characters SQS accepts in a body; a Number has at most 38 significant
    digits and is below 10^126; a Binary value is not empty; a ``DataType`` is
    ``String``, ``Number`` or ``Binary``, optionally with a ``.custom`` label, at most 256
    characters.
    """
    _check_attribute_name(name)
    field = f"attributes[{name!r}]"
    if isinstance(value, Mapping):
        return _check_mapping(field, value)
    if isinstance(value, bool):
        raise InvalidInput(field, "a bool is ambiguous: send 'true'/'false' or 1/0")
    if isinstance(value, str):
        if not value:
            raise InvalidInput(field, "a String attribute may not be empty")
        check_characters(field, value, "an SQS attribute value")
        return {"DataType": "String", "StringValue": value}
    if isinstance(value, int):
        return {"DataType": "Number", "StringValue": _number_text(Decimal(value), field)}
    if isinstance(value, float):
        try:
            number = Decimal(repr(value))
        except InvalidOperation as exc:  # pragma: no cover - repr of a float always parses
            raise InvalidInput(field, "not a number") from exc
        return {"DataType": "Number.float", "StringValue": _number_text(number, field)}
    if isinstance(value, Decimal):
        return {"DataType": "Number", "StringValue": _number_text(value, field)}
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        if not data:
            raise InvalidInput(field, "a Binary attribute may not be empty")
        return {"DataType": "Binary", "BinaryValue": data}
    raise InvalidInput(field, f"{type(value).__name__} is not str, int, float, Decimal or bytes")


def _check_mapping(field: str, value: Mapping[Any, Any]) -> dict[str, Any]:
    data_type = value.get("DataType")
    if not isinstance(data_type, str) or data_type.partition(".")[0] not in (
        "String",
        "Number",
        "Binary",
    ):
        raise InvalidInput(field, "DataType must be String, Number or Binary[.custom]")
    if len(data_type) > 256 or data_type.endswith("."):
        raise InvalidInput(field, "DataType is at most 256 characters and its label not empty")
    check_characters(field, data_type, "an SQS DataType")
    base = data_type.partition(".")[0]
    if base == "Binary":
        data = value.get("BinaryValue")
        if not isinstance(data, (bytes, bytearray, memoryview)) or not bytes(data):
            raise InvalidInput(field, "a Binary attribute needs a non-empty BinaryValue (bytes)")
        return dict(value)
    text = value.get("StringValue")
    if not isinstance(text, str) or not text:
        raise InvalidInput(field, f"a {base} attribute needs a non-empty StringValue (str)")
    check_characters(field, text, "an SQS attribute value")
    if base == "Number":
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise InvalidInput(field, f"{text!r} is not a Number") from None
        _number_text(number, field)
    return dict(value)


def encode_attributes(attributes: Mapping[str, object] | None) -> dict[str, dict[str, Any]]:
    """Encode a whole attribute mapping, checking AWS's limits (at most 10 attributes)."""
    if not attributes:
        return {}
    if not isinstance(attributes, Mapping):
        raise InvalidInput("attributes", "must be a mapping of name to value")
    if len(attributes) > MAX_ATTRIBUTES:
        raise InvalidInput("attributes", f"{len(attributes)} given; at most {MAX_ATTRIBUTES}")
    return {name: encode_attribute(name, value) for name, value in attributes.items()}


def decode_attribute(value: Mapping[str, Any]) -> AttributeValue:
    """An SQS ``MessageAttributeValue`` as the Python value its DataType says."""
    base, _, custom = str(value.get("DataType", "String")).partition(".")
    if base == "Binary":
        return bytes(value.get("BinaryValue", b""))
    text = str(value.get("StringValue", ""))
    if base != "Number":
        return text
    suffix = custom.lower()
    if suffix in _FLOAT_SUFFIXES:
        return float(text)
    if suffix in _INT_SUFFIXES:
        return int(Decimal(text))
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if number.is_finite() and not any(c in text for c in ".eE"):
        return int(number)
    return number


def decode_attributes(attributes: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
    """Decode every attribute of a received message."""
    return {name: decode_attribute(value) for name, value in (attributes or {}).items()}


def md5_of_body(body: str) -> str:
    """Hex MD5 of the UTF-8 body: what SQS returns as ``MD5OfMessageBody``."""
    return hashlib.md5(body.encode("utf-8"), usedforsecurity=False).hexdigest()


def measure_body(body: str) -> tuple[int, str]:
    """``(UTF-8 bytes, hex MD5)`` of a body, encoded once: its size toward the 1 MiB limit
    and what SQS answers as ``MD5OfMessageBody``."""
    data = body.encode("utf-8")
    size = len(data)
    if size < _SMALL_BODY:
        return size, _small_md5(data).hexdigest()
    return size, hashlib.md5(data, usedforsecurity=False).hexdigest()


def _length_prefixed(data: bytes) -> bytes:
    return struct.pack("!I", len(data)) + data


def md5_of_attributes(attributes: Mapping[str, Mapping[str, Any]]) -> str:
    """Hex MD5 of message attributes, as AWS documents it for ``MD5OfMessageAttributes``.

    Sorted by name; each attribute contributes its name, its DataType (each as a 4-byte
    big-endian length then UTF-8 bytes), one transport byte (1 for string values, 2 for
    binary) and the value (length-prefixed UTF-8 string or raw bytes).
    """
    digest = hashlib.md5(usedforsecurity=False)
    for name in sorted(attributes):
        value = attributes[name]
        digest.update(_length_prefixed(name.encode("utf-8")))
        digest.update(_length_prefixed(str(value["DataType"]).encode("utf-8")))
        if value.get("StringValue") is not None:
            digest.update(_STRING_FIELD)
            digest.update(_length_prefixed(str(value["StringValue"]).encode("utf-8")))
        elif value.get("BinaryValue") is not None:
            digest.update(_BINARY_FIELD)
            digest.update(_length_prefixed(bytes(value["BinaryValue"])))
    return digest.hexdigest()


def message_size(body: str, attributes: Mapping[str, Mapping[str, Any]] | None = None) -> int:
    """Bytes a message counts against the 1 MiB limit: body, and each attribute's name,
    DataType and value (AWS counts all of them)."""
    size = len(body.encode("utf-8"))
    for name, value in (attributes or {}).items():
        size += len(name.encode("utf-8")) + len(str(value["DataType"]).encode("utf-8"))
        if value.get("StringValue") is not None:
            size += len(str(value["StringValue"]).encode("utf-8"))
        elif value.get("BinaryValue") is not None:
            size += len(bytes(value["BinaryValue"]))
    return size


def pack_batches(
    items: Iterable[T],
    size: Callable[[T], int],
    *,
    max_entries: int = MAX_BATCH_ENTRIES,
    max_bytes: int = MAX_BATCH_BYTES,
) -> Iterator[list[T]]:
    """Group items, in order, into batches of <= ``max_entries`` and <= ``max_bytes`` total.

    Every item must fit alone (``size(item) <= max_bytes``); it is checked beforehand.
    """
    batch: list[T] = []
    total = 0
    for item in items:
        n = size(item)
        if batch and (len(batch) >= max_entries or total + n > max_bytes):
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += n
    if batch:
        yield batch


def fifo_batches(
    items: Sequence[T],
    group: Callable[[T], str],
    size: Callable[[T], int],
    *,
    max_entries: int = MAX_BATCH_ENTRIES,
    max_bytes: int = MAX_BATCH_BYTES,
) -> list[list[T]]:
    """Batches for a FIFO queue: each batch holds at most one message of any group.

    A group's messages go out in input order, one batch after another, so a message that
    fails and is retried can never be overtaken by a later message of its group.
    Batch *k* holds the *k*-th message of as many groups as fit.
    """
    lanes: dict[str, list[T]] = {}
    for item in items:
        lanes.setdefault(group(item), []).append(item)
    queues = [lane[::-1] for lane in lanes.values()]
    batches: list[list[T]] = []
    while queues:
        batch: list[T] = []
        total = 0
        rest: list[list[T]] = []
        for lane in queues:
            n = size(lane[-1])
            if len(batch) < max_entries and (not batch or total + n <= max_bytes):
                batch.append(lane.pop())
                total += n
            if lane:
                rest.append(lane)
        batches.append(batch)
        queues = rest
    return batches
