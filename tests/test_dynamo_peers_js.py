"""The AWS JS SDK v3's ``@aws-sdk/util-dynamodb`` value cases, run against awskit's codec.

Ported (not copied) from ``packages/util-dynamodb/src/convertToAttr.spec.ts``: each JS value
is given as its nearest Python value. Each case names its source; ``deliberate`` says where
awskit differs on purpose (docs/dynamo.md, "Values").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pytest

from awskit import InvalidInput
from awskit.dynamo.codec import from_attribute_value, to_attribute_value

SPEC = "aws-sdk-js-v3 packages/util-dynamodb/src/convertToAttr.spec.ts"
MAX_SAFE_INTEGER = 2**53 - 1


@dataclass(frozen=True)
class Case:
    source: str
    value: Any
    #: The AttributeValue awskit writes, or the exception type it raises.
    expected: Any
    deliberate: str = ""


CASES = [
    Case(f"{SPEC} null", None, {"NULL": True}),
    Case(f"{SPEC} boolean true", True, {"BOOL": True}),
    Case(f"{SPEC} boolean false", False, {"BOOL": False}),
    Case(f"{SPEC} number (integer) 1", 1, {"N": "1"}),
    Case(f"{SPEC} number MAX_SAFE_INTEGER", MAX_SAFE_INTEGER, {"N": str(MAX_SAFE_INTEGER)}),
    Case(f"{SPEC} number MIN_SAFE_INTEGER", -MAX_SAFE_INTEGER, {"N": str(-MAX_SAFE_INTEGER)}),
    Case(f"{SPEC} number (floating point) 1.01", 1.01, {"N": "1.01"}),
    Case(f"{SPEC} number (floating point) Math.PI", math.pi, {"N": "3.141592653589793"}),
    Case(f"{SPEC} number (floating point) Math.E", math.e, {"N": "2.718281828459045"}),
    Case(
        f"{SPEC} number (floating point) Number.EPSILON",
        2.220446049250313e-16,
        {"N": "2.220446049250313E-16"},
    ),
    Case(
        f"{SPEC} number (floating point) Number.MIN_VALUE",
        5e-324,
        InvalidInput,
        deliberate="below DynamoDB's 1E-130: refused before sending (JS writes 5e-324)",
    ),
    Case(f"{SPEC} special numeric value NaN", math.nan, InvalidInput),
    Case(f"{SPEC} special numeric value Infinity", math.inf, InvalidInput),
    Case(f"{SPEC} special numeric value -Infinity", -math.inf, InvalidInput),
    Case(
        f"{SPEC} number greater than Number.MAX_SAFE_INTEGER",
        MAX_SAFE_INTEGER + 1,
        {"N": str(MAX_SAFE_INTEGER + 1)},
        deliberate="Python ints are exact: stored (JS refuses an unsafe number, asks BigInt)",
    ),
    Case(
        f"{SPEC} number Number.MAX_VALUE",
        1.7976931348623157e308,
        InvalidInput,
        deliberate="above DynamoDB's 9.99E+125: refused as out of range",
    ),
    Case(f"{SPEC} bigint maxSafe * 2n", MAX_SAFE_INTEGER * 2, {"N": str(MAX_SAFE_INTEGER * 2)}),
    Case(f"{SPEC} bigint maxSafe * -2n", MAX_SAFE_INTEGER * -2, {"N": str(MAX_SAFE_INTEGER * -2)}),
    Case(
        f"{SPEC} bigint BigInt(Number.MAX_VALUE)",
        int(1.7976931348623157e308),
        InvalidInput,
        deliberate="309 digits: DynamoDB's range ends at 9.99E+125 (JS writes them all)",
    ),
    Case(f"{SPEC} binary Uint8Array", bytes(range(64)), {"B": bytes(range(64))}),
    Case(f"{SPEC} binary ArrayBuffer", bytearray(64), {"B": bytes(64)}),
    Case(f"{SPEC} binary DataView", memoryview(bytes(64)), {"B": bytes(64)}),
    Case(f"{SPEC} list [null, false]", [None, False], {"L": [{"NULL": True}, {"BOOL": False}]}),
    Case(
        f"{SPEC} list [1.01, BigInt(9007199254740996), 'one']",
        [1.01, 9007199254740996, "one"],
        {"L": [{"N": "1.01"}, {"N": "9007199254740996"}, {"S": "one"}]},
    ),
    Case(
        f"{SPEC} list of maps",
        [{"nullKey": None, "boolKey": False}, {"stringKey": "one", "numberKey": 1.01}],
        {
            "L": [
                {"M": {"nullKey": {"NULL": True}, "boolKey": {"BOOL": False}}},
                {"M": {"stringKey": {"S": "one"}, "numberKey": {"N": "1.01"}}},
            ]
        },
    ),
    Case(f"{SPEC} number set", {1, 2, 3}, {"NS": ["1", "2", "3"]}),
    Case(
        f"{SPEC} bigint set",
        {MAX_SAFE_INTEGER + 2, -(MAX_SAFE_INTEGER + 2)},
        {"NS": sorted([str(MAX_SAFE_INTEGER + 2), str(-(MAX_SAFE_INTEGER + 2))])},
    ),
    Case(f"{SPEC} binary set", {bytes(4), bytes(8)}, {"BS": [bytes(4), bytes(8)]}),
    Case(f"{SPEC} string set", {"one", "two", "three"}, {"SS": ["one", "three", "two"]}),
    Case(
        f"{SPEC} empty set throws",
        set(),
        InvalidInput,
        deliberate="refused like JS's default; no convertEmptyValues (an empty set is not NULL)",
    ),
    Case(f"{SPEC} unallowed set (booleans)", {True, False}, InvalidInput),
    Case(f"{SPEC} map Object.create(null)", {}, {"M": {}}),
    Case(f"{SPEC} string ''", "", {"S": ""}),
    Case(f"{SPEC} string 'single-quote'", "'single-quote'", {"S": "'single-quote'"}),
    Case(f"{SPEC} string double-quote", '"double-quote"', {"S": '"double-quote"'}),
]


def unordered(av: Any) -> Any:
    if isinstance(av, dict):
        return {k: sorted(v) if k in ("SS", "NS", "BS") else unordered(v) for k, v in av.items()}
    if isinstance(av, list):
        return [unordered(x) for x in av]
    return av


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.source.split(" ", 2)[-1])
def test_convert_to_attr_cases(case: Case) -> None:
    if isinstance(case.expected, type):
        with pytest.raises(case.expected):
            to_attribute_value(case.value, field="value")
        return
    av = to_attribute_value(case.value)
    assert unordered(av) == unordered(case.expected)
    # convertToAttrToNative.spec.ts: what is written reads back as the same value.
    back = from_attribute_value(av)
    if isinstance(case.value, (bytearray, memoryview)):
        assert back == bytes(case.value)
    else:
        assert back == case.value
