"""boto3's own DynamoDB value and condition cases, run against awskit's codec.

Ported (not copied) from boto3's ``tests/unit/dynamodb/test_types.py`` (TypeSerializer,
TypeDeserializer, Binary) and ``tests/unit/dynamodb/test_conditions.py`` (the condition
builder, whose values awskit encodes). Each case names its source; ``deliberate`` says where
awskit differs on purpose (docs/dynamo.md, "Values").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.conditions import Attr, ConditionBase, Key
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

from awskit import InvalidInput
from awskit.dynamo.codec import dump_item, from_attribute_value, to_attribute_value
from awskit.dynamo.expressions import Expressions

TYPES = "boto3 tests/unit/dynamodb/test_types.py"
CONDITIONS = "boto3 tests/unit/dynamodb/test_conditions.py"


@dataclass(frozen=True)
class Case:
    source: str
    value: Any
    #: The AttributeValue awskit writes, or an exception type it raises.
    expected: Any
    #: Why awskit differs from the peer here, or "" where it agrees.
    deliberate: str = ""


def unordered(av: dict[str, Any]) -> dict[str, Any]:
    """Sets compare without order."""
    return {k: sorted(v) if k in ("SS", "NS", "BS") else v for k, v in av.items()}


SERIALIZE = [
    Case(f"{TYPES}::test_serialize_null", None, {"NULL": True}),
    Case(f"{TYPES}::test_serialize_boolean", False, {"BOOL": False}),
    Case(f"{TYPES}::test_serialize_integer", 1, {"N": "1"}),
    Case(f"{TYPES}::test_serialize_decimal", Decimal("1.25"), {"N": "1.25"}),
    Case(
        f"{TYPES}::test_serialize_float_error",
        1.25,
        {"N": "1.25"},
        deliberate="floats are stored by their shortest repr instead of refused",
    ),
    Case(f"{TYPES}::test_serialize_NaN_error", Decimal("NaN"), InvalidInput),
    Case(f"{TYPES}::test_serialize_string", "foo", {"S": "foo"}),
    Case(f"{TYPES}::test_serialize_binary", Binary(b"\x01"), {"B": b"\x01"}),
    Case(f"{TYPES}::test_serialize_bytearray", bytearray([1]), {"B": b"\x01"}),
    Case(f"{TYPES}::test_serialize_bytes", b"\x01", {"B": b"\x01"}),
    Case(f"{TYPES}::test_serialize_number_set", {1, 2, 3}, {"NS": ["1", "2", "3"]}),
    Case(f"{TYPES}::test_serialize_string_set", {"foo", "bar"}, {"SS": ["bar", "foo"]}),
    Case(
        f"{TYPES}::test_serialize_binary_set",
        {Binary(b"\x01"), Binary(b"\x02")},
        {"BS": [b"\x01", b"\x02"]},
    ),
    Case(
        f"{TYPES}::test_serialize_list",
        ["foo", 1, [1]],
        {"L": [{"S": "foo"}, {"N": "1"}, {"L": [{"N": "1"}]}]},
    ),
    Case(
        f"{TYPES}::test_serialize_tuple",
        ("foo", 1, (1,)),
        {"L": [{"S": "foo"}, {"N": "1"}, {"L": [{"N": "1"}]}]},
    ),
    Case(
        f"{TYPES}::test_serialize_map",
        {"foo": "bar", "baz": {"biz": 1}},
        {"M": {"foo": {"S": "bar"}, "baz": {"M": {"biz": {"N": "1"}}}}},
    ),
    Case(
        f"{TYPES}::test_serialize_unsupported_type",
        object(),
        InvalidInput,
        deliberate="InvalidInput (a ValueError naming the field), not TypeError",
    ),
]


@pytest.mark.parametrize("case", SERIALIZE, ids=lambda c: c.source.rsplit("::", 1)[-1])
def test_serializer_cases(case: Case) -> None:
    if isinstance(case.expected, type):
        with pytest.raises(case.expected):
            to_attribute_value(case.value)
        return
    av = to_attribute_value(case.value)
    assert unordered(av) == unordered(case.expected)
    if not case.deliberate:
        # Where awskit agrees, boto3's serializer writes the very same AttributeValue.
        assert unordered(TypeSerializer().serialize(case.value)) == unordered(av)


DESERIALIZE = [
    Case(f"{TYPES}::test_deserialize_null", {"NULL": True}, None),
    Case(f"{TYPES}::test_deserialize_boolean", {"BOOL": False}, False),
    Case(
        f"{TYPES}::test_deserialize_integer",
        {"N": "1"},
        1,
        deliberate="a plain read gives int for integral numbers, not Decimal",
    ),
    Case(
        f"{TYPES}::test_deserialize_decimal",
        {"N": "1.25"},
        1.25,
        deliberate="a plain read gives float where the float is exactly the stored number",
    ),
    Case(f"{TYPES}::test_deserialize_string", {"S": "foo"}, "foo"),
    Case(
        f"{TYPES}::test_deserialize_binary",
        {"B": b"\x00"},
        b"\x00",
        deliberate="bytes, not Binary (Binary(b'\\x00') == b'\\x00' all the same)",
    ),
    Case(f"{TYPES}::test_deserialize_number_set", {"NS": ["1", "1.25"]}, {1, 1.25}),
    Case(f"{TYPES}::test_deserialize_string_set", {"SS": ["foo", "bar"]}, {"foo", "bar"}),
    Case(f"{TYPES}::test_deserialize_binary_set", {"BS": [b"\x00", b"\x01"]}, {b"\x00", b"\x01"}),
    Case(
        f"{TYPES}::test_deserialize_list",
        {"L": [{"N": "1"}, {"S": "foo"}, {"L": [{"N": "1.25"}]}]},
        [1, "foo", [1.25]],
    ),
    Case(
        f"{TYPES}::test_deserialize_map",
        {"M": {"foo": {"S": "mystring"}, "bar": {"M": {"baz": {"N": "1"}}}}},
        {"foo": "mystring", "bar": {"baz": 1}},
    ),
    Case(f"{TYPES}::test_deserialize_invalid_type", {"FOO": "bar"}, ValueError),
    Case(f"{TYPES}::test_deserialize_empty_structure", {}, ValueError),
]


@pytest.mark.parametrize("case", DESERIALIZE, ids=lambda c: c.source.rsplit("::", 1)[-1])
def test_deserializer_cases(case: Case) -> None:
    if isinstance(case.expected, type):
        with pytest.raises(case.expected):
            from_attribute_value(case.value)
        return
    back = from_attribute_value(case.value)
    assert back == case.expected
    # Equal values either way: boto3's Decimal and Binary compare equal to awskit's.
    assert TypeDeserializer().deserialize(case.value) == back


@pytest.mark.parametrize(
    ("value", "raw"),
    [(Binary(b"\x01"), b"\x01"), (Binary(b"\x88"), b"\x88"), (Binary(bytearray([1])), b"\x01")],
    ids=["test_bytes_input", "test_non_ascii_bytes_input", "test_bytearray_input"],
)
def test_binary_cases_are_bytes(value: Binary, raw: bytes) -> None:
    """From boto3 tests/unit/dynamodb/test_types.py (TestBinary)."""
    # bytes(Binary(bytearray(...))) raises TypeError in boto3 itself; awskit reads .value.
    av = to_attribute_value(value)
    assert av == {"B": raw}
    assert type(av["B"]) is bytes
    assert dump_item({"b": value}) == {"b": av}


def condition_values(condition: ConditionBase, *, key: bool = False) -> tuple[str, list[Any]]:
    ex = Expressions()
    text = ex.condition(condition, field="condition", key=key)
    return text, list(ex.values.values())


CONDITION_CASES: list[tuple[str, ConditionBase, str, list[Any]]] = [
    ("test_build_expression_eq", Attr("myattr").eq("foo"), "#n0 = :v0", [{"S": "foo"}]),
    ("test_build_expression_ne", Attr("myattr").ne("foo"), "#n0 <> :v0", [{"S": "foo"}]),
    ("test_build_expression_lt", Attr("myattr").lt("foo"), "#n0 < :v0", [{"S": "foo"}]),
    ("test_build_expression_lte", Attr("myattr").lte("foo"), "#n0 <= :v0", [{"S": "foo"}]),
    ("test_build_expression_gt", Attr("myattr").gt("foo"), "#n0 > :v0", [{"S": "foo"}]),
    ("test_build_expression_gte", Attr("myattr").gte("foo"), "#n0 >= :v0", [{"S": "foo"}]),
    (
        "test_build_expression_begins_with",
        Attr("myattr").begins_with("foo"),
        "begins_with(#n0, :v0)",
        [{"S": "foo"}],
    ),
    (
        "test_build_expression_between",
        Attr("myattr").between("foo", "foo2"),
        "#n0 BETWEEN :v0 AND :v1",
        [{"S": "foo"}, {"S": "foo2"}],
    ),
    (
        "test_build_expression_in",
        Attr("myattr").is_in([1, 2, 3]),
        "#n0 IN (:v0, :v1, :v2)",
        [{"N": "1"}, {"N": "2"}, {"N": "3"}],
    ),
    (
        "test_build_contains",
        Attr("myattr").contains("foo"),
        "contains(#n0, :v0)",
        [{"S": "foo"}],
    ),
    ("test_build_size", Attr("myattr").size().eq(5), "size(#n0) = :v0", [{"N": "5"}]),
    (
        "test_build_attribute_type",
        Attr("myattr").attribute_type("S"),
        "attribute_type(#n0, :v0)",
        [{"S": "S"}],
    ),
    ("test_build_attribute_exists", Attr("myattr").exists(), "attribute_exists(#n0)", []),
    (
        "test_build_attribute_not_exists",
        Attr("myattr").not_exists(),
        "attribute_not_exists(#n0)",
        [],
    ),
    (
        "test_build_and",
        Attr("foo").eq("bar") & Attr("foo2").eq(1.5),
        "(#n0 = :v0 AND #n1 = :v1)",
        [{"S": "bar"}, {"N": "1.5"}],
    ),
    (
        "test_build_not",
        ~Attr("myattr").eq(Binary(b"\x01")),
        "(NOT #n0 = :v0)",
        [{"B": b"\x01"}],
    ),
]


@pytest.mark.parametrize(
    ("name", "condition", "text", "values"), CONDITION_CASES, ids=[c[0] for c in CONDITION_CASES]
)
def test_condition_cases(name: str, condition: ConditionBase, text: str, values: list[Any]) -> None:
    """From boto3 tests/unit/dynamodb/test_conditions.py: awskit encodes each value."""
    assert condition_values(condition) == (text, values)


def test_key_condition_cases() -> None:
    """From boto3 tests/unit/dynamodb/test_conditions.py (test_build_with_is_key_condition)."""
    text, values = condition_values(Key("mykey").eq("foo") & Key("sort").between(1, 2.5), key=True)
    assert text == "(#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2)"
    assert values == [{"S": "foo"}, {"N": "1"}, {"N": "2.5"}]
    with pytest.raises(InvalidInput):
        condition_values(Attr("myattr").eq("foo"), key=True)
