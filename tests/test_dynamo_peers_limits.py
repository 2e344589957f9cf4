"""DynamoDB's documented value limits, each checked in awskit's codec before sending.

Sources: the DynamoDB Developer Guide, "Supported data types and naming rules"
(HowItWorks.NamingRulesDataTypes) and "Constraints" (Constraints.html); the nesting
boundary as measured against real DynamoDB (31 maps inside each other stored, 32 refused).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from awskit import InvalidInput
from awskit.dynamo.codec import MAX_ITEM_BYTES, dump_item, item_size

NAMING = "DynamoDB Developer Guide HowItWorks.NamingRulesDataTypes"
CONSTRAINTS = "DynamoDB Developer Guide Constraints"


def nested(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = {"n": value}
    return value


@dataclass(frozen=True)
class Limit:
    source: str
    rule: str
    item: dict[str, Any]
    stored: bool


LIMITS = [
    Limit(NAMING, "numbers: 38 digits of precision", {"n": int("9" * 38)}, True),
    Limit(NAMING, "numbers: 38 digits of precision", {"n": int("9" * 39)}, False),
    Limit(NAMING, "leading and trailing zeros are trimmed", {"n": Decimal("1." + "0" * 41)}, True),
    Limit(NAMING, "leading and trailing zeros are trimmed", {"n": 10**100}, True),
    Limit(NAMING, "positive range 1E-130 to 9.99...E+125", {"n": Decimal("1E-130")}, True),
    Limit(NAMING, "positive range 1E-130 to 9.99...E+125", {"n": Decimal("1E-131")}, False),
    Limit(NAMING, "positive range 1E-130 to 9.99...E+125", {"n": Decimal("9.99E+125")}, True),
    Limit(NAMING, "positive range 1E-130 to 9.99...E+125", {"n": Decimal("1E+126")}, False),
    Limit(NAMING, "negative range -9.99...E+125 to -1E-130", {"n": Decimal("-1E-130")}, True),
    Limit(NAMING, "negative range -9.99...E+125 to -1E-130", {"n": Decimal("-1E+126")}, False),
    Limit(NAMING, "attribute names at least one character", {"": 1}, False),
    Limit(NAMING, "attribute names less than 64 KB", {"a" * 65535: 1}, True),
    Limit(NAMING, "attribute names less than 64 KB", {"a" * 65536: 1}, False),
    Limit(NAMING, "attribute names less than 64 KB", {"m": {"é" * 32768: 1}}, False),
    # At the top of an item awskit leaves an empty set out (as it leaves None out); inside a
    # map there is nothing to leave out, so it is refused.
    Limit(NAMING, "sets cannot be empty", {"m": {"s": set()}}, False),
    Limit(NAMING, "set elements all of one type", {"s": {1, "a"}}, False),
    Limit(NAMING, "strings may be empty outside keys", {"s": ""}, True),
    Limit(NAMING, "binary may be empty outside keys", {"b": b""}, True),
    Limit(CONSTRAINTS, "nested attributes up to 32 levels deep", {"d": nested(31)}, True),
    Limit(CONSTRAINTS, "nested attributes up to 32 levels deep", {"d": nested(32)}, False),
    Limit(CONSTRAINTS, "item size at most 400 KB", {"p": "x" * (MAX_ITEM_BYTES - 1)}, True),
    Limit(CONSTRAINTS, "item size at most 400 KB", {"p": "x" * MAX_ITEM_BYTES}, False),
]


@pytest.mark.parametrize("limit", LIMITS, ids=lambda x: f"{x.rule}-{x.stored}")
def test_documented_limits(limit: Limit) -> None:
    if limit.stored:
        item = dump_item(limit.item)
        assert item_size(item) <= MAX_ITEM_BYTES
    else:
        with pytest.raises(InvalidInput):
            dump_item(limit.item)
