"""The command line's pure parsing: conditions, name=value pairs, s3:// URLs, JSON output."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.conditions import Attr, Key
from hypothesis import given
from hypothesis import strategies as st

import awskit
from awskit.cli._app import plain_message, reflow
from awskit.cli._parse import (
    parse_condition,
    parse_key_spec,
    parse_pairs,
    parse_s3_url,
    parse_value,
    to_jsonable,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("age < 27", Attr("age").lt(27)),
        ("age <= 27", Attr("age").lte(27)),
        ("age > 2.5", Attr("age").gt(Decimal("2.5"))),
        ("age >= -3", Attr("age").gte(-3)),
        ("address.state = CA", Attr("address.state").eq("CA")),
        ("zip == '02134'", Attr("zip").eq("02134")),
        ('name != "Jane Doe"', Attr("name").ne("Jane Doe")),
        ("active = true", Attr("active").eq(True)),
        ("first_name begins_with J", Attr("first_name").begins_with("J")),
        ("tags contains red", Attr("tags").contains("red")),
        ("age between 18 and 30", Attr("age").between(18, 30)),
        ("kind in a,b,3", Attr("kind").is_in(["a", "b", 3])),
        ("email exists", Attr("email").exists()),
        ("email not_exists", Attr("email").not_exists()),
        (
            "first_name begins_with J and account_type = super_user",
            Attr("first_name").begins_with("J") & Attr("account_type").eq("super_user"),
        ),
        (
            "age between 1 and 2 AND x < 3",
            Attr("age").between(1, 2) & Attr("x").lt(3),
        ),
    ],
)
def test_filter_conditions(text: str, expected: Any) -> None:
    assert parse_condition(text) == expected


def test_key_conditions_and_types() -> None:
    assert parse_condition(["username = johndoe", "last_name begins_with D"], key=True) == (
        Key("username").eq("johndoe") & Key("last_name").begins_with("D")
    )
    # A string key keeps a bare number as text; a number key reads a quoted one as a number.
    assert parse_condition("id = 00123", key=True, types={"id": "S"}) == Key("id").eq("00123")
    assert parse_condition("n = '7'", key=True, types={"n": "N"}) == Key("n").eq(7)


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ("", False, "empty"),
        ("age", False, "needs an operator"),
        ("age <", False, "missing value"),
        ('age < "open', False, "cannot read"),
        ("age ~ 3", False, "unknown operator"),
        ("age is 3", False, "unknown operator"),
        ("age < 3 or b = 1", False, "expected 'and'"),
        ("age < 3 and", False, "nothing after"),
        ("age between 1 2", False, "between needs"),
        ("= 3", False, "attribute name"),
        ("a != 1", True, "not a key condition"),
        ("a contains 1", True, "not a key condition"),
        ("a exists", True, "not a key condition"),
    ],
)
def test_bad_conditions_name_the_field(text: str, key: bool, reason: str) -> None:
    with pytest.raises(awskit.InvalidInput) as info:
        parse_condition(text, key=key, field="filter")
    assert info.value.field == "filter"
    assert reason in info.value.reason


def test_pairs() -> None:
    assert parse_pairs(["a=b=c", "n:=3", "f:=0.1", "l:=[1]", "e="], "x") == {
        "a": "b=c",
        "n": 3,
        "f": Decimal("0.1"),
        "l": [1],
        "e": "",
    }
    for bad in ("novalue", "=x", "n:=nope"):
        with pytest.raises(awskit.InvalidInput):
            parse_pairs([bad], "x")


names = st.text(st.characters(exclude_characters="=:", exclude_categories=["Cs"]), min_size=1)


@given(st.dictionaries(names.filter(lambda s: s.strip() == s), st.text()))
def test_pairs_round_trip(pairs: dict[str, str]) -> None:
    assert parse_pairs([f"{k}={v}" for k, v in pairs.items()], "x") == pairs


@given(st.integers())
def test_integers_parse_as_integers(n: int) -> None:
    assert parse_value(str(n)) == n


def test_s3_urls() -> None:
    assert parse_s3_url("s3://b/k/e/y") == ("b", "k/e/y")
    assert parse_s3_url("s3://b") == ("b", "")
    assert parse_s3_url("./s3:/file") is None
    with pytest.raises(awskit.InvalidInput):
        parse_s3_url("s3:///key")


@dataclass
class Row:
    when: dt.datetime
    blob: bytes


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.binary()
    | st.datetimes(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(), inner, max_size=4)
        | st.frozensets(st.integers(), max_size=4)
    ),
    max_leaves=12,
)


@given(json_values)
def test_anything_becomes_json(value: Any) -> None:
    json.dumps(to_jsonable(value))


def test_json_forms() -> None:
    when = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    assert to_jsonable(Row(when, b"\x00\x01")) == {
        "when": "2024-01-02T03:04:05+00:00",
        "blob": "AAE=",
    }
    assert to_jsonable({"n": Decimal("3"), "f": Decimal("0.5"), "s": {"b", "a"}}) == {
        "n": 3,
        "f": 0.5,
        "s": ["a", "b"],
    }


@pytest.mark.parametrize(
    ("indexes", "text"),
    [([], "none"), ([4], "4"), ([0, 1, 2], "0-2"), ([0, 2, 3, 7, 9, 10], "0, 2-3, 7, 9-10")],
)
def test_block_ranges(indexes: list[int], text: str) -> None:
    from awskit.cli._ebs import _ranges

    assert _ranges(indexes) == text


# -- key attributes, error pages, help text ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id:N", ("id", "N")),
        ("username:S", ("username", "S")),
        ("blob:b", ("blob", "B")),
        ("username", ("username", "S")),
        ("a:b:N", ("a:b", "N")),
    ],
)
def test_key_spec(text: str, expected: tuple[str, str]) -> None:
    assert parse_key_spec(text, "hash_key") == expected


@pytest.mark.parametrize("text", ["id:X", ":N", "id:", "id:NN"])
def test_bad_key_spec_names_the_field(text: str) -> None:
    with pytest.raises(awskit.InvalidInput) as caught:
        parse_key_spec(text, "range_key")
    assert caught.value.field == "range_key"


MOTO_500 = (
    "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
    "<h1>Internal Server Error</h1>\n<p>The server encountered an internal error.</p>\n"
)


def test_an_html_page_becomes_its_title() -> None:
    assert plain_message(MOTO_500, 500) == (
        "HTTP 500 Internal Server Error (an HTML page, not an AWS error)"
    )
    assert plain_message("<html><body>Bad Gateway</body></html>", 502) == (
        "HTTP 502 (an HTML page, not an AWS error)"
    )
    # Text that merely mentions a comparison is not a page.
    assert plain_message("Invalid KeyConditionExpression: a < b\nnear 'b'") == (
        "Invalid KeyConditionExpression: a < b near 'b'"
    )


@given(st.text(), st.sampled_from(["", "<html>", "<!DOCTYPE html><title>", "<p>"]))
def test_a_plain_message_is_one_line(text: str, page: str) -> None:
    line = plain_message(page + text, 500)
    assert line == " ".join(line.split())
    if page:
        assert line.startswith("HTTP 500") and line.endswith("(an HTML page, not an AWS error)")


def test_reflow_joins_wrapped_lines_and_keeps_paragraphs_and_lists() -> None:
    text = "First line\n    goes on.\n\n    - one\n    - two\n\n    Example: x"
    assert reflow(text) == "First line goes on.\n\n- one\n- two\n\nExample: x"
