"""Property tests of awskit.sqs's pure logic: attribute MD5, encoding, limits, batch packing."""

from __future__ import annotations

import hashlib
import string
import struct
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.sqs.models import Message as MotoMessage
from pydantic import BaseModel

import awskit
from awskit import InvalidInput
from awskit.sqs import OutgoingMessage
from awskit.sqs.codec import (
    MAX_BATCH_BYTES,
    check_queue_name,
    decode_attribute,
    encode_attribute,
    encode_attributes,
    fifo_batches,
    md5_of_attributes,
    md5_of_body,
    measure_body,
    message_size,
    pack_batches,
)
from awskit.sqs.sending import encode_body

names = st.from_regex(r"[A-Za-z0-9_-]([A-Za-z0-9_-]|\.[A-Za-z0-9_-]){0,20}", fullmatch=True).filter(
    lambda n: not n.lower().startswith(("aws.", "amazon."))
)
texts = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
)
numbers = st.integers(min_value=-(10**37), max_value=10**37)
floats = st.floats(allow_nan=False, allow_infinity=False, width=64).filter(
    lambda f: f == 0 or 1e-100 < abs(f) < 1e100
)
blobs = st.binary(min_size=1, max_size=40)
values = st.one_of(texts, numbers, floats, blobs)


def aws_reference_md5(attributes: dict[str, dict[str, Any]]) -> str:
    """AWS's documented algorithm, written out independently from awskit's."""
    out = b""
    for name in sorted(attributes):
        value = attributes[name]
        for part in (name.encode(), value["DataType"].encode()):
            out += len(part).to_bytes(4, "big") + part
        if "StringValue" in value:
            data = value["StringValue"].encode()
            out += b"\x01" + struct.pack(">I", len(data)) + data
        else:
            data = value["BinaryValue"]
            out += b"\x02" + struct.pack(">I", len(data)) + data
    return hashlib.md5(out).hexdigest()


@given(st.dictionaries(names, values, max_size=10))
def test_attribute_md5_matches_the_documented_algorithm_and_moto(attrs: dict[str, Any]) -> None:
    encoded = encode_attributes(attrs)
    ours = md5_of_attributes(encoded)
    assert ours == aws_reference_md5(encoded)
    moto = MotoMessage("id", "body")
    moto.message_attributes = encoded
    if encoded:
        assert ours == moto.attribute_md5


@given(st.dictionaries(names, values, min_size=1, max_size=10), st.data())
def test_attribute_md5_ignores_order_and_sees_every_change(
    attrs: dict[str, Any], data: st.DataObject
) -> None:
    encoded = encode_attributes(attrs)
    reordered = dict(reversed(list(encoded.items())))
    assert md5_of_attributes(reordered) == md5_of_attributes(encoded)
    name = data.draw(st.sampled_from(sorted(encoded)))
    changed = dict(encoded)
    if "StringValue" in changed[name]:
        changed[name] = {**changed[name], "StringValue": changed[name]["StringValue"] + "0"}
    else:
        changed[name] = {**changed[name], "BinaryValue": changed[name]["BinaryValue"] + b"0"}
    assert md5_of_attributes(changed) != md5_of_attributes(encoded)


@given(texts)
def test_body_md5_is_md5_of_utf8(body: str) -> None:
    assert md5_of_body(body) == hashlib.md5(body.encode("utf-8")).hexdigest()


@given(st.text(st.characters(codec="utf-8"), max_size=600))
def test_measure_body_is_the_utf8_size_and_md5_of_one_encoding(body: str) -> None:
    # Short and long bodies take different MD5 implementations; both must agree with hashlib.
    data = body.encode("utf-8")
    assert measure_body(body) == (len(data), hashlib.md5(data).hexdigest())


@given(names, values)
def test_encode_decode_round_trip_keeps_value_and_type(name: str, value: Any) -> None:
    decoded = decode_attribute(encode_attribute(name, value))
    assert decoded == value
    assert type(decoded) is type(value)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=6))
def test_decimals_round_trip_by_value(value: Decimal) -> None:
    significant = "".join(map(str, value.as_tuple().digits)).strip("0")
    if len(significant) > 38:
        # SQS keeps 38 digits of precision: refused before sending, never rounded.
        with pytest.raises(InvalidInput):
            encode_attribute("d", value)
        return
    decoded = decode_attribute(encode_attribute("d", value))
    assert decoded == value


def test_custom_number_suffixes_are_honoured() -> None:
    assert decode_attribute({"DataType": "Number.float", "StringValue": "3"}) == 3.0
    assert type(decode_attribute({"DataType": "Number.float", "StringValue": "3"})) is float
    assert decode_attribute({"DataType": "Number.int", "StringValue": "3"}) == 3
    assert decode_attribute({"DataType": "Number.price", "StringValue": "3.10"}) == Decimal("3.10")
    assert decode_attribute({"DataType": "String.json", "StringValue": "{}"}) == "{}"
    assert decode_attribute({"DataType": "Binary.gz", "BinaryValue": b"\x1f"}) == b"\x1f"


@given(st.dictionaries(names, values, max_size=10), texts)
def test_message_size_counts_body_names_types_and_values(attrs: dict[str, Any], body: str) -> None:
    encoded = encode_attributes(attrs)
    expected = len(body.encode())
    for name, value in encoded.items():
        raw = value.get("StringValue", "").encode() or value.get("BinaryValue", b"")
        expected += len(name.encode()) + len(value["DataType"].encode()) + len(raw)
    assert message_size(body, encoded) == expected


def test_attribute_limits() -> None:
    with pytest.raises(InvalidInput):
        encode_attributes({f"a{n}": 1 for n in range(11)})
    with pytest.raises(InvalidInput):
        encode_attribute("n", 10**40 + 1)  # 41 significant digits
    with pytest.raises(InvalidInput):
        encode_attribute("x..y", "v")
    with pytest.raises(InvalidInput):
        encode_attribute("n", Decimal("Infinity"))


@given(st.from_regex(r"[A-Za-z0-9_-]{1,80}", fullmatch=True))
def test_valid_standard_names_pass(name: str) -> None:
    assert check_queue_name(name) is False


@given(st.from_regex(r"[A-Za-z0-9_-]{1,75}", fullmatch=True))
def test_valid_fifo_names_pass(stem: str) -> None:
    assert check_queue_name(stem + ".fifo") is True


@given(st.text(min_size=1, max_size=90).filter(lambda n: not n.endswith(".fifo")))
def test_names_outside_the_alphabet_are_rejected(name: str) -> None:
    ok = len(name) <= 80 and all(c.isascii() and (c.isalnum() or c in "-_") for c in name)
    if ok:
        assert check_queue_name(name) is False
    else:
        with pytest.raises(InvalidInput):
            check_queue_name(name)


sizes = st.lists(st.integers(min_value=1, max_value=MAX_BATCH_BYTES), max_size=60)


@given(sizes)
def test_pack_batches_respects_both_limits_keeps_order_and_fills_greedily(
    items: list[int],
) -> None:
    batches = list(pack_batches(list(enumerate(items)), lambda item: item[1]))
    assert [item for batch in batches for item in batch] == list(enumerate(items))
    for n, batch in enumerate(batches):
        assert 1 <= len(batch) <= 10
        assert sum(size for _, size in batch) <= MAX_BATCH_BYTES
        if n + 1 < len(batches):
            following = batches[n + 1][0][1]
            assert len(batch) == 10 or sum(s for _, s in batch) + following > MAX_BATCH_BYTES


@given(
    st.lists(
        st.tuples(st.sampled_from("abcdefghijkl"), st.integers(1, MAX_BATCH_BYTES // 3)),
        max_size=60,
    )
)
def test_fifo_batches_never_put_two_of_a_group_together_and_keep_group_order(
    items: list[tuple[str, int]],
) -> None:
    indexed = list(enumerate(items))
    batches = fifo_batches(indexed, lambda item: item[1][0], lambda item: item[1][1])
    flat = [item for batch in batches for item in batch]
    assert sorted(flat) == indexed
    for batch in batches:
        groups = [group for _, (group, _) in batch]
        assert len(groups) == len(set(groups)) and 1 <= len(batch) <= 10
        assert sum(size for _, (_, size) in batch) <= MAX_BATCH_BYTES
    for group in set(g for g, _ in items):
        order = [index for index, (g, _) in flat if g == group]
        assert order == sorted(order)


# -- characters and names SQS refuses: InvalidInput naming the attribute, before sending ------


def sqs_accepts(char: str) -> bool:
    """AWS's allowed set for bodies and String attribute values, written out by code point."""
    point = ord(char)
    return (
        point in (0x9, 0xA, 0xD)
        or 0x20 <= point <= 0xD7FF
        or 0xE000 <= point <= 0xFFFD
        or 0x10000 <= point <= 0x10FFFF
    )


class Note(BaseModel):
    text: str
    count: int = 0


@given(
    st.text(
        st.one_of(st.characters(), st.sampled_from("\x00\x1f\x7f\ufffe\uffff\ud800\udfff")),
        max_size=30,
    )
)
def test_a_model_body_is_refused_exactly_when_its_json_holds_a_refused_character(
    text: str,
) -> None:
    # encode_body skips the character search for ASCII JSON; it must still refuse what the
    # search would (U+FFFE, say) and accept what JSON escapes (control characters).
    note = Note(text=text)
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        # A lone surrogate has no UTF-8 form: no JSON text, so no body.
        with pytest.raises(InvalidInput) as info:
            encode_body(note, Note)
        assert info.value.field == "body"
        return
    json_text = note.model_dump_json()
    refused = any(not sqs_accepts(c) for c in json_text)
    if refused:
        with pytest.raises(InvalidInput) as info:
            encode_body(note, Note)
        assert info.value.field == "body"
    else:
        assert encode_body(note, Note) == json_text


def name_accepted(name: str) -> bool:
    """AWS's documented rules for a message attribute name, written out independently."""
    allowed = set(string.ascii_letters + string.digits + "_-.")
    return (
        1 <= len(name) <= 256
        and set(name) <= allowed
        and not name.startswith(".")
        and not name.endswith(".")
        and ".." not in name
        and not name.lower().startswith(("aws.", "amazon."))
    )


# Every code point, lone surrogates included, weighted towards the edges of the allowed set.
any_char = st.one_of(
    st.characters(exclude_categories=()),
    st.sampled_from(["\x00", "\x08", "\x0b", "\x1f", "\ud800", "\udfff", "\ufffe", "\uffff"]),
    st.sampled_from(["\t", "\n", "\r", " ", "\ud7ff", "\ue000", "\ufffd", "\U00010000"]),
)
any_text = st.text(any_char, max_size=12)
name_chars = st.sampled_from([*(string.ascii_letters + string.digits + "_-. "), "é", "\x00"])
any_name = st.one_of(
    st.text(name_chars, max_size=12),
    st.sampled_from(["AWS.x", "aws.x", "Amazon.y", "AMAZON.z", "a..b", "x" * 256, "x" * 257]),
)


@given(any_text)
def test_string_attribute_values_are_checked_as_bodies_are(value: str) -> None:
    if value and all(sqs_accepts(c) for c in value):
        assert encode_attribute("a", value) == {"DataType": "String", "StringValue": value}
        assert encode_attribute("a", {"DataType": "String.x", "StringValue": value})
    else:
        for given_value in (value, {"DataType": "String", "StringValue": value}):
            with pytest.raises(InvalidInput) as info:
                encode_attribute("a", given_value)
            assert info.value.field == "attributes['a']"


@given(any_name)
def test_attribute_names_follow_the_documented_rules(name: str) -> None:
    if name_accepted(name):
        assert encode_attribute(name, "v")["StringValue"] == "v"
    else:
        with pytest.raises(InvalidInput) as info:
            encode_attribute(name, "v")
        assert info.value.field == f"attributes[{name!r}]"


@pytest.mark.parametrize(
    "value",
    [
        {"DataType": "Number", "StringValue": "lots"},
        {"DataType": "Number", "StringValue": "NaN"},
        {"DataType": "Number.int", "StringValue": "1" * 39},
        {"DataType": "Number", "StringValue": ""},
        {"DataType": "String"},
        {"DataType": "Binary", "BinaryValue": b""},
        {"DataType": "Binary", "StringValue": "not bytes"},
        {"DataType": "String.", "StringValue": "x"},
        {"DataType": "String." + "x" * 250, "StringValue": "x"},
        {"DataType": "String.\x00", "StringValue": "x"},
    ],
)
def test_attribute_mappings_are_checked_not_passed_blindly(value: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as info:
        encode_attribute("m", value)
    assert info.value.field == "attributes['m']"


class SentRequests:
    """How many requests a client puts on the wire (botocore's ``before-send`` hook)."""

    def __init__(self, client: Any, service: str) -> None:
        self.count = 0
        client.meta.events.register(f"before-send.{service}", self._sent)

    def _sent(self, **_: Any) -> None:
        self.count += 1


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=any_text, name=any_name)
def test_refused_attributes_never_reach_sqs(aws: awskit.Session, value: str, name: str) -> None:
    queue = aws.sqs.create_queue("attribute-checks")
    sent = SentRequests(aws.sqs.client, "sqs")
    accepted = name_accepted(name) and bool(value) and all(sqs_accepts(c) for c in value)
    if accepted:
        queue.send("body", attributes={name: value})
        assert sent.count == 1
    else:
        with pytest.raises(InvalidInput) as info:
            queue.send("body", attributes={name: value})
        assert info.value.field == f"attributes[{name!r}]"
        with pytest.raises(InvalidInput):
            queue.send_many([OutgoingMessage("ok"), OutgoingMessage("body", {name: value})])
        assert sent.count == 0
