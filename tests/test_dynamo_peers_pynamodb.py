"""PynamoDB's attribute cases, run against awskit's codec.

Ported (not copied) from PynamoDB's ``tests/test_attributes.py`` (UTCDateTimeAttribute,
NumberAttribute, UnicodeAttribute, sets, TTLAttribute): a table shared with PynamoDB reads
both ways. Each case names its source; ``deliberate`` says where awskit differs on purpose
(docs/dynamo.md, "Values" and "Expiry (TTL)").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pydantic
import pytest

from awskit import InvalidInput
from awskit.dynamo.codec import load_item, to_attribute_value, ttl_seconds

SOURCE = "PynamoDB tests/test_attributes.py"
UTC = dt.timezone.utc
#: PynamoDB's DATETIME_FORMAT.
PYNAMODB_FORMAT = "%Y-%m-%dT%H:%M:%S.%f%z"


class When(pydantic.BaseModel):
    when: dt.datetime


@dataclass(frozen=True)
class Read:
    source: str
    text: str
    #: The datetime awskit reads, or None where it leaves the text to the model (an error).
    expected: dt.datetime | None
    deliberate: str = ""


READS = [
    Read(
        f"{SOURCE}::TestUTCDateTimeAttribute::test_utc_date_time_deserialize",
        dt.datetime(2024, 3, 1, 12, 30, 5, 123456, tzinfo=UTC).strftime(PYNAMODB_FORMAT),
        dt.datetime(2024, 3, 1, 12, 30, 5, 123456, tzinfo=UTC),
    ),
    Read(
        f"{SOURCE}::TestUTCDateTimeAttribute::test__fast_parse_utc_datestring_no_microseconds",
        "2047-01-06T08:21:00.0+0000",
        dt.datetime(2047, 1, 6, 8, 21, tzinfo=UTC),
    ),
    Read(
        f"{SOURCE}::TestUTCDateTimeAttribute::test_dateutil_parser_fallback",
        "January 6, 2047 at 8:21:00AM UTC",
        None,
        deliberate="awskit reads ISO 8601 only, with no dateutil guessing",
    ),
    Read(
        f"{SOURCE}::TestUTCDateTimeAttribute::test__fast_parse_utc_datestring_invalid_input",
        "2047-01-06T08:21:00.0",
        dt.datetime(2047, 1, 6, 8, 21),
        deliberate="ISO text without an offset is a naive datetime (PynamoDB refuses it)",
    ),
    Read(
        f"{SOURCE}::TestUTCDateTimeAttribute::test__fast_parse_utc_datestring_invalid_input",
        "2047-01-06 08:21:00.0+0000",
        dt.datetime(2047, 1, 6, 8, 21, tzinfo=UTC),
        deliberate="ISO 8601 allows a space for the T; PynamoDB's fast path does not",
    ),
    Read(
        f"{SOURCE}::TestUTCDateTimeAttribute::test__fast_parse_utc_datestring_invalid_input",
        "abcd-01-06T08:21:00.0+0000",
        None,
    ),
    Read(
        f"{SOURCE}::TestUTCDateTimeAttribute::test__fast_parse_utc_datestring_invalid_input",
        "2047-01-06T08:ab:00.0+0000",
        None,
    ),
]


@pytest.mark.parametrize("case", READS, ids=lambda c: c.text)
def test_datetime_reads(case: Read) -> None:
    if case.expected is None:
        with pytest.raises(pydantic.ValidationError):
            load_item({"when": {"S": case.text}}, When)
        return
    back = load_item({"when": {"S": case.text}}, When).when
    assert back == case.expected
    assert (back.utcoffset() is None) == (case.expected.utcoffset() is None)


def test_awskit_writes_what_pynamodb_reads() -> None:
    """From test_utc_date_time_serialize / test__fast_parse_utc_datestring_roundtrips."""
    when = dt.datetime(2019, 6, 5, 0, 1, 2, 345678, tzinfo=dt.timezone(dt.timedelta(hours=-7)))
    text = to_attribute_value(when)["S"]
    assert text == when.astimezone(UTC).strftime(PYNAMODB_FORMAT)
    assert dt.datetime.strptime(text, PYNAMODB_FORMAT) == when


def test_naive_datetimes_stay_naive() -> None:
    """From test_utc_date_time_serialize: PynamoDB writes a naive datetime as if UTC.

    deliberate: awskit writes it in the same fixed width without an offset and reads it back
    naive, so a model holding naive datetimes round-trips unchanged (docs/dynamo.md).
    """
    now = dt.datetime(2024, 1, 2, 3, 4, 5, 6)
    text = to_attribute_value(now)["S"]
    assert text == now.replace(tzinfo=UTC).strftime(PYNAMODB_FORMAT)[: -len("+0000")]
    assert load_item({"when": {"S": text}}, When).when == now


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3.141, "3.141"),
        (1, "1"),
        (12345678909876543211234234324234, "12345678909876543211234234324234"),
    ],
)
def test_number_serialize(value: Any, text: str) -> None:
    """From TestNumberAttribute::test_number_serialize / test_number_deserialize."""
    assert to_attribute_value(value) == {"N": text}
    assert load_item({"n": {"N": text}})["n"] == value


def test_unicode_serialize_keeps_empty_strings() -> None:
    """From TestUnicodeAttribute::test_unicode_serialize: PynamoDB drops ``''`` (None).

    deliberate: DynamoDB stores empty strings in non-key attributes (since 2020); awskit
    keeps them. Empty key values are refused elsewhere (the table's key checks).
    """
    assert to_attribute_value("") == {"S": ""}


@pytest.mark.parametrize(
    "value",
    [{"foo", "bar"}, {"True", "False"}, {"1", "2.8"}, {"[1,2,3]", "2.8"}],
)
def test_round_trip_unicode_set(value: set[str]) -> None:
    """From TestUnicodeAttribute::test_round_trip_unicode_set: strings stay strings."""
    av = to_attribute_value(value)
    assert sorted(av["SS"]) == sorted(value)
    assert load_item({"s": av})["s"] == value


def test_number_and_binary_sets() -> None:
    """From TestNumberAttribute::test_number_set_* and TestBinaryAttribute::test_binary_set_*."""
    assert sorted(to_attribute_value({1, 2})["NS"]) == ["1", "2"]
    assert sorted(to_attribute_value({b"foo", b"bar"})["BS"]) == [b"bar", b"foo"]


# TestTTLAttribute: a TTL value is epoch seconds of an aware datetime.
def test_ttl_datetime_with_tz() -> None:
    """From TestTTLAttribute::test_datetime_with_tz_ttl / test_serialize_datetime."""
    assert ttl_seconds(dt.datetime(2019, 6, 5, 0, 1, tzinfo=UTC)) == 1559692800 + 60


def test_ttl_naive_datetime_is_refused() -> None:
    """From TestTTLAttribute::test_datetime_naive_ttl (PynamoDB: ValueError 'timezone-aware')."""
    with pytest.raises(InvalidInput, match="naive"):
        ttl_seconds(dt.datetime(2019, 6, 5, 0, 1))


def test_ttl_wrong_type_is_refused() -> None:
    """From TestTTLAttribute::test_ttl_attribute_wrong_type."""
    with pytest.raises(InvalidInput):
        ttl_seconds("wrong type")


def test_ttl_timedelta_is_refused() -> None:
    """From TestTTLAttribute::test_timedelta_ttl / test_serialize_timedelta.

    deliberate: PynamoDB adds a timedelta to the clock when the attribute is set; awskit's
    codec never reads the clock, so give ``datetime.now(timezone.utc) + delta``.
    """
    with pytest.raises(InvalidInput):
        ttl_seconds(dt.timedelta(seconds=60))
