"""The DynamoDB value codec: round trips, exact numbers, limits and every rejected value."""

from __future__ import annotations

import datetime as dt
import enum
import math
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Optional

import pydantic
import pytest
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import awskit
from awskit import InvalidInput
from awskit.dynamo.codec import (
    MAX_ITEM_BYTES,
    dump_item,
    from_attribute_value,
    item_size,
    key_of,
    load_item,
    to_attribute_value,
)

# --------------------------------------------------------------------------- strategies

# The machine is shared: generating nested values may be slow, which is not a failure.
SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]
MAX_N = Decimal("9.9999999999999999999999999999999999999E+125")


ints = st.one_of(
    st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1),
    st.integers(min_value=-(10**18), max_value=10**18).map(lambda i: i * 10**100),
)
floats = st.floats(
    min_value=-9.99e125, max_value=9.99e125, allow_nan=False, allow_infinity=False
).filter(lambda f: f == 0 or abs(f) >= 1e-130)
decimals = st.builds(
    lambda digits, exp: Decimal(f"{digits}E{exp}"),
    st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1),
    st.integers(min_value=-160, max_value=125),
).filter(lambda d: d.is_zero() or -130 <= d.adjusted() <= 125)
numbers = st.one_of(ints, floats, decimals)
texts = st.text(st.characters(codec="utf-8"), max_size=20)
names = st.text(st.characters(codec="utf-8"), min_size=1, max_size=8)
scalars = st.one_of(
    texts,
    numbers,
    st.booleans(),
    st.binary(max_size=20),
    st.frozensets(texts, min_size=1, max_size=4),
    st.sets(numbers, min_size=1, max_size=4),
    st.sets(st.binary(max_size=8), min_size=1, max_size=4),
)
values = st.recursive(
    scalars | st.none(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=4),
    max_leaves=12,
)


def norm(v: Any) -> Any:
    """A comparable form: numbers as exact Decimals (floats by their repr), sets frozen."""
    if isinstance(v, bool) or v is None or isinstance(v, (str, bytes)):
        return v
    if isinstance(v, float):
        return Decimal(repr(v))
    if isinstance(v, (int, Decimal)):
        return Decimal(v)
    if isinstance(v, (set, frozenset)):
        return frozenset(norm(x) for x in v)
    if isinstance(v, (list, tuple)):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    raise AssertionError(type(v))


# --------------------------------------------------------------------------- plain values


@settings(max_examples=200, deadline=None, suppress_health_check=SLOW_OK)
@given(values)
def test_plain_values_round_trip_exactly(value: Any) -> None:
    av = to_attribute_value(value)
    back = from_attribute_value(av)
    assert norm(back) == norm(value)


@settings(max_examples=100, deadline=None, suppress_health_check=SLOW_OK)
@given(st.dictionaries(names, values, max_size=6))
def test_plain_items_round_trip_and_botocore_accepts_them(item: dict[str, Any]) -> None:
    encoded = dump_item(item)
    assert set(encoded) == {k for k, v in item.items() if v is not None}
    back = load_item(encoded)
    assert norm(back) == norm({k: v for k, v in item.items() if v is not None})
    shape = awskit_dynamodb_put_shape()
    validate_parameters({"TableName": "t", "Item": encoded}, shape)
    # dump_item encodes and sizes in one pass of its own: the same values as
    # to_attribute_value, and the size item_size gives, to the byte.
    assert encoded == {k: to_attribute_value(v) for k, v in item.items() if v is not None}
    assert_size_checked_exactly(lambda pad: {**item, "~pad": pad}, item_size(encoded) + 4)


def assert_size_checked_exactly(make: Callable[[str], Any], size_without_pad: int) -> None:
    room = MAX_ITEM_BYTES - size_without_pad
    assert item_size(dump_item(make("x" * room))) == MAX_ITEM_BYTES
    with pytest.raises(InvalidInput) as raised:
        dump_item(make("x" * (room + 1)))
    assert raised.value.field == "item"


_PUT_SHAPE: list[Any] = []


def awskit_dynamodb_put_shape() -> Any:
    if not _PUT_SHAPE:
        import botocore.session

        model = botocore.session.get_session().get_service_model("dynamodb")
        _PUT_SHAPE.append(model.operation_model("PutItem").input_shape)
    return _PUT_SHAPE[0]


@settings(max_examples=100, deadline=None)
@given(ints)
def test_integers_come_back_as_int(value: int) -> None:
    back = from_attribute_value(to_attribute_value(value))
    assert type(back) is int
    assert back == value


@settings(max_examples=100, deadline=None)
@given(floats.filter(lambda f: f != 0))
def test_floats_are_stored_by_shortest_repr_and_come_back_as_float(value: float) -> None:
    av = to_attribute_value(value)
    assert Decimal(av["N"]) == Decimal(repr(value))
    back = from_attribute_value(av)
    # DynamoDB normalises number text, so an integral float reads as int from a plain read:
    # exactly the number stored, which converts back to the same float.
    if value == int(value):
        assert type(back) is int
        assert back == Decimal(av["N"]) and float(back) == value
    else:
        assert type(back) is float
        assert back == value


def test_number_forms() -> None:
    assert to_attribute_value(0.1) == {"N": "0.1"}
    assert to_attribute_value(1e100) == {"N": "1E+100"}
    assert to_attribute_value(1e-7) == {"N": "1E-7"}
    assert to_attribute_value(-0.0) == {"N": "0"}
    assert to_attribute_value(Decimal("-0")) == {"N": "0"}
    assert to_attribute_value(True) == {"BOOL": True}
    assert to_attribute_value(Decimal("1.50")) == {"N": "1.50"}
    assert from_attribute_value({"N": "1.50"}) == 1.5
    assert type(from_attribute_value({"N": "1.50"})) is float
    # More digits than a float holds: stays exact as a Decimal.
    exact = "0.1000000000000000000001"
    assert from_attribute_value({"N": exact}) == Decimal(exact)
    assert from_attribute_value({"N": "123456789012345678901234567890"}) == (
        123456789012345678901234567890
    )
    # Integral whatever the text: AWS stores "1E+100" as its digits, "1.0" as "1".
    assert from_attribute_value({"N": "1E+100"}) == 10**100
    assert from_attribute_value({"N": "30000000000000000"}) == from_attribute_value({"N": "3E+16"})
    assert type(from_attribute_value({"N": "1.0"})) is int


@pytest.mark.parametrize(
    "value",
    [
        10**38 - 1,
        -(10**38) + 1,
        10**38,  # one significant digit
        10**125,
        -(10**125),
        99999999999999999999999999999999999999 * 10**88,
        2**100,
        1e100,
        1e125,
        9.99e125,
        1e-130,
        -1e-130,
        Decimal("1E-130"),
        Decimal("-1E-130"),
        MAX_N,
        Decimal("-9.9999999999999999999999999999999999999E+125"),
        Decimal("1.2345678901234567890123456789012345678"),
        Decimal("1.00000000000000000000000000000000000000000000"),
        Decimal("0"),
    ],
)
def test_numbers_at_the_edges_are_stored_exactly(value: int | float | Decimal) -> None:
    av = to_attribute_value(value)
    assert Decimal(av["N"]) == Decimal(repr(value) if isinstance(value, float) else value)
    assert norm(from_attribute_value(av)) == norm(value)
    assert load_item({"n": av}, Numbers) is not None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (float("nan"), "NaN"),
        (float("inf"), "NaN and Infinity"),
        (-math.inf, "NaN and Infinity"),
        (Decimal("NaN"), "NaN"),
        (Decimal("sNaN"), "NaN"),
        (Decimal("-Infinity"), "Infinity"),
        (10**38 + 1, "38 significant digits"),
        (2**127, "38 significant digits"),
        (10**126, "range"),
        (-(10**126), "range"),
        (1e126, "range"),
        (-1e200, "range"),
        (1e-131, "range"),
        (5e-324, "range"),
        (Decimal("1E-131"), "range"),
        (Decimal("1E+126"), "range"),
        (Decimal("10.000000000000000000000000000000000000E+125"), "range"),
        (Decimal("1.23456789012345678901234567890123456789"), "38 significant digits"),
        (set(), "empty set"),
        (frozenset(), "empty set"),
        ({1, "a"}, "set"),
        ({"a", b"b"}, "a set"),
        ({True}, "a set"),
        ({(1, 2)}, "a set"),
        (object(), "not storable"),
        (1j, "not storable"),
        (print, "not storable"),
        ("bad \ud800 surrogate", "surrogate"),
    ],
)
def test_unstorable_values_are_invalid_input_naming_the_field(value: Any, reason: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        to_attribute_value(value, field="price")
    assert raised.value.field == "price"
    assert reason in raised.value.reason
    with pytest.raises(InvalidInput) as raised:
        dump_item({"ok": 1, "outer": {"inner": [1, 2, value]}})
    assert raised.value.field == "outer.inner[2]"


def test_map_keys_must_be_non_empty_strings() -> None:
    with pytest.raises(InvalidInput) as raised:
        to_attribute_value({"a": {1: "x"}}, field="attrs")
    assert raised.value.field == "attrs.a"
    with pytest.raises(InvalidInput) as raised:
        dump_item({"a": [{"": 1}]})
    assert raised.value.field == "a[0]"
    with pytest.raises(InvalidInput) as raised:
        dump_item({"": 1})
    assert raised.value.field == "item"
    with pytest.raises(InvalidInput) as raised:
        dump_item([("a", 1)])  # type: ignore[arg-type]
    assert raised.value.field == "item"


def test_none_is_omitted_at_the_top_and_null_inside() -> None:
    assert dump_item({"a": None, "b": [None], "c": {"d": None}}) == {
        "b": {"L": [{"NULL": True}]},
        "c": {"M": {"d": {"NULL": True}}},
    }


def test_sets_lists_and_strings_like_values() -> None:
    assert to_attribute_value({"b", "a"})["SS"] in (["a", "b"], ["b", "a"])
    assert sorted(to_attribute_value(frozenset({b"x", b"y"}))["BS"]) == [b"x", b"y"]
    assert to_attribute_value((1, "a")) == {"L": [{"N": "1"}, {"S": "a"}]}
    assert to_attribute_value(bytearray(b"\x00\xff")) == {"B": b"\x00\xff"}
    assert to_attribute_value(memoryview(b"ab")) == {"B": b"ab"}
    assert to_attribute_value(uuid.UUID(int=1)) == {"S": "00000000-0000-0000-0000-000000000001"}
    assert to_attribute_value(dt.date(2024, 2, 29)) == {"S": "2024-02-29"}
    assert to_attribute_value(dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone.utc)) == {
        "S": "2024-01-01T12:00:00.000000+0000"
    }
    assert to_attribute_value(Color.RED) == {"S": "red"}
    assert to_attribute_value(Level.HIGH) == {"N": "3"}
    # One DynamoDB number twice is not a set DynamoDB accepts.
    ns = to_attribute_value({0.1, Decimal("0.1"), 2})["NS"]
    assert sorted(Decimal(x) for x in ns) == [Decimal("0.1"), 2]
    assert from_attribute_value({"NS": ["1", "2.5", "0.1000000000000000000001"]}) == {
        1,
        2.5,
        Decimal("0.1000000000000000000001"),
    }


# --------------------------------------------------------------------------- models


class Color(str, enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 3


class Address(pydantic.BaseModel):
    street: str
    state: str
    zip: int | None = None


class Numbers(pydantic.BaseModel):
    n: int | float | Decimal


class Everything(pydantic.BaseModel):
    username: str
    age: int
    score: float
    balance: Decimal
    active: bool
    avatar: bytes
    created: dt.datetime
    birthday: dt.date
    alarm: dt.time
    id: uuid.UUID
    color: Color
    level: Level
    tags: set[str]
    lucky: set[int]
    weights: frozenset[float]
    prices: set[Decimal]
    blobs: set[bytes]
    address: Address
    previous: list[Address]
    history: list[Optional[int]]  # noqa: UP045 - the typing spelling must work too
    ratios: dict[str, float]
    pair: tuple[int, str]
    many: tuple[float, ...]
    anything: Any = None
    nickname: str | None = None
    maybe_address: Address | None


def opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda m: dt.timezone(dt.timedelta(minutes=m))
)
addresses = st.builds(Address, street=texts, state=texts, zip=opt(ints))
everything = st.builds(
    Everything,
    username=texts,
    age=ints,
    score=floats,
    balance=decimals,
    active=st.booleans(),
    avatar=st.binary(max_size=16),
    # Aware datetimes come back in UTC: the same instant, which is what == compares. The
    # bounds keep every offset inside years 1 to 9999 once converted to UTC.
    created=st.datetimes(
        min_value=dt.datetime(1, 1, 2),
        max_value=dt.datetime(9999, 12, 30),
        timezones=st.none() | offsets,
    ),
    birthday=st.dates(),
    alarm=st.times(),
    id=st.uuids(),
    color=st.sampled_from(Color),
    level=st.sampled_from(Level),
    tags=st.sets(texts, min_size=1, max_size=3),
    lucky=st.sets(ints, min_size=1, max_size=3),
    weights=st.frozensets(floats, min_size=1, max_size=3),
    prices=st.sets(decimals, min_size=1, max_size=3),
    blobs=st.sets(st.binary(max_size=4), min_size=1, max_size=3),
    address=addresses,
    previous=st.lists(addresses, max_size=2),
    history=st.lists(opt(ints), max_size=3),
    ratios=st.dictionaries(names, floats, max_size=3),
    pair=st.tuples(ints, texts),
    many=st.lists(floats, max_size=3).map(tuple),
    anything=values,
    nickname=opt(texts),
    maybe_address=opt(addresses),
)


@settings(max_examples=100, deadline=None, suppress_health_check=SLOW_OK)
@given(everything)
def test_models_round_trip_exactly(user: Everything) -> None:
    item = dump_item(user)
    back = load_item(item, Everything)
    assert norm(back.anything) == norm(user.anything)
    assert back.model_dump(exclude={"anything"}) == user.model_dump(exclude={"anything"})
    # Every number comes back as its field's own type.
    assert type(back.age) is int
    assert type(back.score) is float
    assert type(back.balance) is Decimal
    assert all(type(x) is int for x in back.lucky)
    assert all(type(x) is float for x in back.weights)
    assert all(type(x) is Decimal for x in back.prices)
    validate_parameters({"TableName": "t", "Item": item}, awskit_dynamodb_put_shape())
    assert_size_checked_exactly(
        lambda pad: PaddedEverything(**dict(user), pad=pad), item_size(item) + 3
    )


class PaddedEverything(Everything):
    pad: str


def test_model_fields_encode_as_documented() -> None:
    when = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.timezone.utc)
    user = Everything(
        username="jane",
        age=30,
        score=0.1,
        balance=Decimal("10.25"),
        active=False,
        avatar=b"\x00",
        created=when,
        birthday=dt.date(1990, 1, 2),
        alarm=dt.time(6, 30),
        id=uuid.UUID(int=5),
        color=Color.BLUE,
        level=Level.LOW,
        tags={"a"},
        lucky={7},
        weights=frozenset({1e100}),
        prices={Decimal("1E-130")},
        blobs={b"z"},
        address=Address(street="1 Main", state="WA"),
        previous=[],
        history=[1, None],
        ratios={"x": 0.5},
        pair=(1, "one"),
        many=(),
        maybe_address=None,
    )
    item = dump_item(user)
    assert "nickname" not in item
    assert "anything" not in item
    assert "maybe_address" not in item
    assert item["score"] == {"N": "0.1"}
    assert item["active"] == {"BOOL": False}
    assert item["created"] == {"S": "2024-05-06T07:08:09.123456+0000"}
    assert item["birthday"] == {"S": "1990-01-02"}
    assert item["alarm"] == {"S": "06:30:00"}
    assert item["color"] == {"S": "blue"}
    assert item["level"] == {"N": "1"}
    assert item["weights"] == {"NS": ["1E+100"]}
    assert item["address"] == {"M": {"street": {"S": "1 Main"}, "state": {"S": "WA"}}}
    assert item["history"] == {"L": [{"N": "1"}, {"NULL": True}]}
    assert item["many"] == {"L": []}
    assert load_item(item, Everything) == user


def test_numbers_come_back_as_the_field_type_whatever_the_text() -> None:
    class Typed(pydantic.BaseModel):
        i: int
        f: float
        d: Decimal
        loose: int | str

    back = load_item(
        {"i": {"N": "1E+2"}, "f": {"N": "3"}, "d": {"N": "0.1"}, "loose": {"N": "7"}}, Typed
    )
    assert (back.i, back.f, back.d, back.loose) == (100, 3.0, Decimal("0.1"), 7)
    assert (type(back.i), type(back.f), type(back.d)) == (int, float, Decimal)


def test_bad_items_raise_validation_errors() -> None:
    with pytest.raises(pydantic.ValidationError):
        load_item({"zip": {"N": "1.5"}, "street": {"S": "x"}, "state": {"S": "y"}}, Address)
    with pytest.raises(pydantic.ValidationError):
        load_item({"street": {"S": "x"}}, Address)
    with pytest.raises(pydantic.ValidationError):
        load_item({"street": {"S": "x"}, "state": {"S": "y"}, "zip": {"S": "nope"}}, Address)
    with pytest.raises(pydantic.ValidationError):
        load_item({"color": {"S": "green"}}, Painted)


class Painted(pydantic.BaseModel):
    color: Color
    when: dt.datetime | None = None


def test_unparseable_strings_are_left_to_the_model() -> None:
    with pytest.raises(pydantic.ValidationError) as raised:
        load_item({"color": {"S": "red"}, "when": {"S": "not a date"}}, Painted)
    assert raised.value.errors()[0]["loc"] == ("when",)


class Node(pydantic.BaseModel):
    name: str
    children: list[Node] = []


class Aliased(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")

    user_name: str = pydantic.Field(alias="userName")
    required_maybe: int | None


class Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(strict=True)

    when: dt.datetime
    day: dt.date
    id: uuid.UUID
    n: int
    tags: set[int]


def test_recursive_aliased_extra_and_strict_models() -> None:
    tree = Node(name="a", children=[Node(name="b", children=[Node(name="c")])])
    assert load_item(dump_item(tree), Node) == tree

    aliased = Aliased.model_validate({"userName": "jane", "required_maybe": None, "x": 1.5})
    item = dump_item(aliased)
    assert item == {"userName": {"S": "jane"}, "x": {"N": "1.5"}}
    back = load_item(item, Aliased)
    assert back.user_name == "jane"
    assert back.required_maybe is None
    assert back.model_extra == {"x": 1.5}

    strict = Strict(
        when=dt.datetime(2020, 1, 1), day=dt.date(2020, 1, 1), id=uuid.UUID(int=2), n=3, tags={1}
    )
    assert load_item(dump_item(strict), Strict) == strict


def test_model_errors_name_the_nested_field() -> None:
    class Holder(pydantic.BaseModel):
        address: Address
        meta: dict[str, Any]

    bad = Holder(address=Address(street="x", state="y"), meta={"tags": [set()]})
    with pytest.raises(InvalidInput) as raised:
        dump_item(bad)
    assert raised.value.field == "meta.tags[0]"
    bad.address.zip = 10**200  # assignment is not validated by default
    with pytest.raises(InvalidInput) as raised:
        dump_item(bad)
    assert raised.value.field == "address.zip"


# --------------------------------------------------------------------------- size and keys


def test_item_size_follows_the_aws_rule() -> None:
    assert item_size({"name": {"S": "jane"}}) == 4 + 4
    assert item_size({"né": {"S": "é"}}) == 3 + 2
    assert item_size({"n": {"N": "12345"}}) == 1 + 3 + 1
    assert item_size({"n": {"N": "-1.2000"}}) == 1 + 1 + 1
    assert item_size({"n": {"N": "1E+100"}}) == 1 + 1 + 1
    assert item_size({"b": {"B": b"\x00" * 10}}) == 1 + 10
    assert item_size({"t": {"BOOL": True}, "z": {"NULL": True}}) == 2 + 2
    assert item_size({"l": {"L": []}, "m": {"M": {}}}) == 2 * (1 + 3)
    assert item_size({"l": {"L": [{"S": "ab"}, {"N": "1"}]}}) == 1 + 3 + (2 + 1) + (2 + 1)
    assert item_size({"m": {"M": {"k": {"S": "v"}}}}) == 1 + 3 + (1 + 1 + 1)
    assert item_size({"s": {"SS": ["a", "bc"]}, "b": {"BS": [b"x"]}}) == 1 + 3 + 1 + 1
    assert item_size({"s": {"NS": ["1", "22", "333"]}}) == 1 + 2 + 2 + 3


def test_items_over_400_kb_are_rejected_before_sending() -> None:
    at_limit = {"a": "x" * (MAX_ITEM_BYTES - 1)}
    assert item_size(dump_item(at_limit)) == MAX_ITEM_BYTES
    with pytest.raises(InvalidInput) as raised:
        dump_item({"a": "x" * MAX_ITEM_BYTES})
    assert raised.value.field == "item"
    with pytest.raises(InvalidInput):
        dump_item({"a": [b"\x00" * 1000] * 410})


class Padded(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")

    name: str
    n: int
    f: float
    b: bool
    d: Decimal
    blob: bytes
    nested: Address
    pad: str = ""


def test_the_size_dump_item_checks_is_item_size_for_every_type() -> None:
    # An item of every type, padded to exactly 400 KB by item_size, passes; one byte more
    # fails: dump_item's own running size agrees with item_size to the byte.
    mixed: dict[str, Any] = {
        "name": "ünïcødé",
        "n": -12300,
        "f": 1.5e-7,
        "b": True,
        "d": Decimal("-0.00120"),
        "blob": b"\x00" * 5,
        "nested": {"street": "é", "state": "WA", "zip": 98101},
        "tags": {"a", "é"},
        "nums": {1, 2.5},
        "blobs": {b"x"},
        "list": [None, 1, "two", [3.0]],
        "ключ": "v",
    }
    base = item_size(dump_item({**mixed, "pad": ""}))
    room = MAX_ITEM_BYTES - base
    assert item_size(dump_item({**mixed, "pad": "x" * room})) == MAX_ITEM_BYTES
    with pytest.raises(InvalidInput):
        dump_item({**mixed, "pad": "x" * (room + 1)})
    model = Padded.model_validate({**mixed, "pad": "x" * room})
    assert item_size(dump_item(model)) == MAX_ITEM_BYTES
    model.pad += "x"
    with pytest.raises(InvalidInput) as raised:
        dump_item(model)
    assert raised.value.field == "item"


def test_key_of() -> None:
    item = {"username": "jane", "last_name": "Doe", "age": 3}
    assert key_of(item, "username", "last_name") == {"username": "jane", "last_name": "Doe"}
    assert key_of(item, "username", None) == {"username": "jane"}
    with pytest.raises(InvalidInput) as raised:
        key_of({"username": "jane"}, "username", "last_name")
    assert raised.value.field == "last_name"


# --------------------------------------------------------------------------- through moto


def test_exact_values_survive_a_real_round_trip(aws: awskit.Session) -> None:
    client = aws.client("dynamodb")
    client.create_table(
        TableName="codec",
        KeySchema=[{"AttributeName": "username", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "username", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    user = Everything(
        username="jane",
        age=10**38 - 1,
        score=1e100,
        balance=MAX_N,
        active=True,
        avatar=b"\x00\xff",
        created=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
        birthday=dt.date(2024, 2, 29),
        alarm=dt.time(23, 59, 59),
        id=uuid.uuid4(),
        color=Color.RED,
        level=Level.HIGH,
        tags={"a", "b"},
        lucky={1, 2},
        weights=frozenset({0.1, 1e-130}),
        prices={Decimal("1E-130"), Decimal("-3.14")},
        blobs={b"x", b""},
        address=Address(street="1 Main", state="WA", zip=98101),
        previous=[Address(street="2", state="OR")],
        history=[None, -1],
        ratios={"third": 1 / 3},
        pair=(-5, ""),
        many=(2.5, -0.0),
        anything={"nested": [1.5, {"deep": Decimal("0.1000000000000000000001")}]},
        maybe_address=None,
    )
    with pytest.raises(ParamValidationError):
        validate_parameters({"TableName": "codec", "Item": {"x": 1}}, awskit_dynamodb_put_shape())
    client.put_item(TableName="codec", Item=dump_item(user))
    got = client.get_item(TableName="codec", Key={"username": {"S": "jane"}})["Item"]
    assert load_item(got, Everything) == user
    plain = load_item(got)
    assert plain["score"] == 10**100  # integral: an int, as AWS's normalised text reads
    assert plain["age"] == 10**38 - 1
    assert plain["anything"]["nested"][1]["deep"] == Decimal("0.1000000000000000000001")


def test_sets_of_uuids_enums_and_dates_are_string_or_number_sets() -> None:
    class Sets(pydantic.BaseModel):
        ids: set[uuid.UUID]
        colors: frozenset[Color]
        levels: set[Level]
        days: set[dt.date]

    value = Sets(
        ids={uuid.UUID(int=1), uuid.UUID(int=2)},
        colors=frozenset({Color.RED, Color.BLUE}),
        levels={Level.LOW, Level.HIGH},
        days={dt.date(2024, 1, 1)},
    )
    item = dump_item(value)
    assert sorted(item["colors"]["SS"]) == ["blue", "red"]
    assert sorted(item["levels"]["NS"]) == ["1", "3"]
    assert item["days"] == {"SS": ["2024-01-01"]}
    assert load_item(item, Sets) == value
    # A UUID and its own string are one DynamoDB string.
    assert to_attribute_value({uuid.UUID(int=1), str(uuid.UUID(int=1))})["SS"] == [
        str(uuid.UUID(int=1))
    ]


class Odd(enum.Enum):
    PAIR = (1, 2)
    THING = object()


def test_containers_and_enums_name_the_failing_part() -> None:
    with pytest.raises(InvalidInput) as raised:
        to_attribute_value({"inner": [1, {"deep": float("nan")}]}, field="v")
    assert raised.value.field == "v.inner[1].deep"
    with pytest.raises(InvalidInput) as raised:
        to_attribute_value(Odd.THING, field="odd")
    assert raised.value.field == "odd"
    assert "Odd.THING" in raised.value.reason
    # A tuple-valued Enum is a list; a str subclass key is a plain string.
    assert to_attribute_value(Odd.PAIR) == {"L": [{"N": "1"}, {"N": "2"}]}

    class Key(str):
        pass

    assert to_attribute_value({Key("k"): 1}) == {"M": {"k": {"N": "1"}}}
    assert dump_item({"m": {Key("k"): 1}}) == {"m": {"M": {"k": {"N": "1"}}}}
    with pytest.raises(InvalidInput) as raised:
        dump_item({"m": {"": 1}})
    assert raised.value.field == "m"
    with pytest.raises(InvalidInput) as raised:
        dump_item(Aliased.model_validate({"userName": "x", "required_maybe": 1, "bad": {1j}}))
    assert raised.value.field == "bad"


def test_malformed_attribute_values_are_errors() -> None:
    with pytest.raises(ValueError, match="unknown AttributeValue type"):
        from_attribute_value({"X": 1})
    with pytest.raises(ValueError, match="empty AttributeValue"):
        from_attribute_value({})


class Shapes(pydantic.BaseModel):
    numbers: list[int] = []
    by_name: dict[str, int] = {}
    pair: tuple[int, str] | None = None
    address: Address | None = None
    lucky: set[int] = set()
    when: dt.datetime | None = None
    color: Color | None = None
    count: int | None = None


@pytest.mark.parametrize(
    "item",
    [
        {"numbers": {"S": "1,2"}},
        {"numbers": {"L": [{"S": "x"}]}},
        {"by_name": {"L": []}},
        {"pair": {"L": [{"N": "1"}]}},
        {"pair": {"S": "1,a"}},
        {"address": {"S": "1 Main"}},
        {"lucky": {"SS": ["x"]}},
        {"lucky": {"S": "1"}},
        {"when": {"L": []}},
        {"color": {"N": "5"}},
        {"count": {"S": "many"}},
        {"count": {"N": "1.5"}},
    ],
)
def test_items_that_drifted_from_the_model_raise_validation_errors(
    item: dict[str, Any],
) -> None:
    with pytest.raises(pydantic.ValidationError) as raised:
        load_item(item, Shapes)
    assert raised.value.errors()[0]["loc"][0] == next(iter(item))


def test_every_spelling_of_a_field_type_converts() -> None:
    import typing
    from collections.abc import Mapping, Sequence

    class Spellings(pydantic.BaseModel):
        annotated: typing.Annotated[int, pydantic.Field(ge=0)]
        optional: typing.Optional[float]  # noqa: UP045
        union: typing.Union[int, None]  # noqa: UP007
        bare_list: list  # type: ignore[type-arg]
        bare_set: set  # type: ignore[type-arg]
        bare_tuple: tuple  # type: ignore[type-arg]
        sequence: Sequence[Decimal]
        mapping: Mapping[str, float]
        any_set: set[Any]
        id_set: set[uuid.UUID]
        subclass: Level
        flag: bool
        blob: bytes

    value = Spellings(
        annotated=3,
        optional=0.5,
        union=None,
        bare_list=[1, "a"],
        bare_set={1, 2},
        bare_tuple=(1.5, "b"),
        sequence=[Decimal("0.1")],
        mapping={"x": 2.0},
        any_set={"a"},
        id_set={uuid.UUID(int=9)},
        subclass=Level.HIGH,
        flag=True,
        blob=b"\x01",
    )
    item = dump_item(value)
    assert "union" not in item
    back = load_item(item, Spellings)
    assert back == value
    assert type(back.sequence[0]) is Decimal
    assert type(back.mapping["x"]) is float


# --------------------------------------------------------------------------- issue 21


def deep_map(levels: int) -> dict[str, Any]:
    """``levels`` maps inside each other around a string (``{"n": {"n": ... "leaf"}}``)."""
    value: Any = "leaf"
    for _ in range(levels):
        value = {"n": value}
    return value


def deep_list(levels: int) -> list[Any]:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def test_boto3_binary_is_bytes_everywhere() -> None:
    from boto3.dynamodb.conditions import Attr
    from boto3.dynamodb.types import Binary, TypeDeserializer

    from awskit.dynamo.expressions import Expressions

    assert to_attribute_value(Binary(b"\x01")) == {"B": b"\x01"}
    assert to_attribute_value(Binary(bytearray(b"\x02"))) == {"B": b"\x02"}
    assert sorted(to_attribute_value({Binary(b"a"), Binary(b"b")})["BS"]) == [b"a", b"b"]
    # Binary(b"a") == b"a": the set holds one value, and DynamoDB refuses duplicates.
    assert to_attribute_value({Binary(b"a"), b"a", b"c"}.union({b"a"}))["BS"] in (
        [b"a", b"c"],
        [b"c", b"a"],
    )
    ex = Expressions()
    ex.condition(Attr("data").eq(Binary(b"\x00\xff")), field="condition")
    assert list(ex.values.values()) == [{"B": b"\x00\xff"}]
    # An item exactly as boto3's own reader hands it back is written back unchanged.
    wire = {
        "id": {"S": "a"},
        "blob": {"B": b"\x00"},
        "blobs": {"BS": [b"x", b"y"]},
        "deep": {"M": {"l": {"L": [{"B": b"z"}, {"N": "1.5"}]}}},
    }
    read = {k: TypeDeserializer().deserialize(v) for k, v in wire.items()}
    assert isinstance(read["blob"], Binary)
    again = dump_item(read)
    assert again["blob"] == {"B": b"\x00"}
    assert sorted(again["blobs"]["BS"]) == [b"x", b"y"]
    assert again["deep"] == wire["deep"]


def test_nesting_stops_at_dynamodbs_32_levels_naming_the_path() -> None:
    # Real DynamoDB stores 31 maps (or lists) inside each other and refuses 32: the
    # top-level attribute is level 1, so the leaf of 31 maps sits at level 32.
    assert dump_item({"data": deep_map(31)})["data"]["M"]["n"]["M"]
    assert to_attribute_value(deep_list(31), field="v")
    for value, path in [
        (deep_map(32), "data" + ".n" * 31),
        (deep_list(32), "data" + "[0]" * 31),
        ({"a": [deep_map(31)]}, "data.a[0]" + ".n" * 29),
    ]:
        with pytest.raises(InvalidInput) as raised:
            dump_item({"id": "x", "data": value})
        assert raised.value.field == path
        assert "32 levels" in raised.value.reason
        with pytest.raises(InvalidInput) as raised:
            to_attribute_value(value, field="data")
        assert raised.value.field == path
    tree = Node(name="0")
    for i in range(40):
        tree = Node(name=str(i), children=[tree])
    with pytest.raises(InvalidInput) as raised:
        dump_item(tree)
    assert raised.value.field.startswith("children[0].children[0]")


def test_very_deep_and_cyclic_values_are_invalid_input_not_recursion_error() -> None:
    cyclic: dict[str, Any] = {"a": 1}
    cyclic["self"] = cyclic
    loop: list[Any] = [1]
    loop.append(loop)
    for value in (deep_map(500), deep_list(5000), cyclic, loop, {"k": [cyclic]}):
        with pytest.raises(InvalidInput) as raised:
            dump_item({"id": "x", "data": value})
        assert raised.value.field.startswith("data")
        with pytest.raises(InvalidInput):
            to_attribute_value(value)
    node = Node(name="me")
    node.children.append(node)
    with pytest.raises(InvalidInput):
        dump_item(node)


def test_attribute_names_must_be_under_64_kb() -> None:
    longest = "a" * 65535
    assert longest in dump_item({longest: 1})
    assert dump_item({"m": {longest: 1}})["m"]["M"][longest] == {"N": "1"}
    for name in ("a" * 65536, "é" * 32768, "€" * 21846, "😀" * 16384):
        assert len(name.encode()) >= 65536
        with pytest.raises(InvalidInput) as raised:
            dump_item({name: 1})
        assert raised.value.field == "item"
        assert "64 KB" in raised.value.reason
        with pytest.raises(InvalidInput) as raised:
            dump_item({"meta": {"inner": {name: 1}}})
        assert raised.value.field == "meta.inner"
        with pytest.raises(InvalidInput) as raised:
            to_attribute_value({name: 1}, field="value")
        assert raised.value.field == "value"
    assert "é" * 32767 in dump_item({"é" * 32767: 1})

    class Open(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="allow")
        id: str

    with pytest.raises(InvalidInput) as raised:
        dump_item(Open.model_validate({"id": "x", "b" * 70000: 1}))
    assert raised.value.field == "item"


def test_datetimes_are_fixed_width_utc_so_text_order_is_time_order() -> None:
    plus5 = dt.timezone(dt.timedelta(hours=5))
    early = dt.datetime(2024, 1, 1, 10, 0, tzinfo=plus5)  # 05:00 UTC
    late = dt.datetime(2024, 1, 1, 6, 0, tzinfo=dt.timezone.utc)
    early_text = to_attribute_value(early)["S"]
    late_text = to_attribute_value(late)["S"]
    assert early_text == "2024-01-01T05:00:00.000000+0000"
    assert late_text == "2024-01-01T06:00:00.000000+0000"
    # isoformat() gave "2024-01-01T10:00:00+05:00" > "2024-01-01T06:00:00+00:00": wrong.
    assert early_text < late_text
    assert to_attribute_value(dt.datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=dt.timezone.utc)) == {
        "S": "0001-01-01T00:00:00.000001+0000"
    }
    # Naive datetimes stay naive: the same fixed width, no offset.
    assert to_attribute_value(dt.datetime(2024, 1, 1, 10)) == {"S": "2024-01-01T10:00:00.000000"}
    with pytest.raises(InvalidInput) as raised:
        dump_item({"when": dt.datetime(1, 1, 1, tzinfo=plus5)})
    assert raised.value.field == "when"
    assert "UTC" in raised.value.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # awskit's own form, and PynamoDB's UTCDateTimeAttribute (the same text).
        ("2024-01-01T05:00:00.000000+0000", dt.datetime(2024, 1, 1, 5, tzinfo=dt.timezone.utc)),
        # What awskit wrote before (isoformat(), any offset) still reads.
        (
            "2024-01-01T10:00:00+05:00",
            dt.datetime(2024, 1, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=5))),
        ),
        ("2024-01-01T10:00:00.500000", dt.datetime(2024, 1, 1, 10, 0, 0, 500000)),
        ("2024-01-01T10:00:00", dt.datetime(2024, 1, 1, 10)),
        ("2024-01-01T05:00:00Z", dt.datetime(2024, 1, 1, 5, tzinfo=dt.timezone.utc)),
        ("2024-01-01T05:00:00+0000", dt.datetime(2024, 1, 1, 5, tzinfo=dt.timezone.utc)),
        ("2024-01-01", dt.datetime(2024, 1, 1)),
    ],
)
def test_every_iso_form_reads_back(text: str, expected: dt.datetime) -> None:
    back = load_item({"when": {"S": text}}, Painted_)
    assert back.when == expected
    assert (back.when.utcoffset() is None) == (expected.utcoffset() is None)


class Painted_(pydantic.BaseModel):
    when: dt.datetime


utc_datetimes = st.datetimes(
    min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=offsets
)


@settings(max_examples=200, deadline=None)
@given(utc_datetimes, utc_datetimes)
def test_text_order_is_time_order_and_every_datetime_round_trips(
    a: dt.datetime, b: dt.datetime
) -> None:
    text_a, text_b = to_attribute_value(a)["S"], to_attribute_value(b)["S"]
    assert (text_a < text_b) == (a < b)
    assert (text_a == text_b) == (a == b)
    assert load_item({"when": {"S": text_a}}, Painted_).when == a


@settings(max_examples=100, deadline=None)
@given(st.datetimes(), st.datetimes())
def test_naive_text_order_is_time_order(a: dt.datetime, b: dt.datetime) -> None:
    text_a, text_b = to_attribute_value(a)["S"], to_attribute_value(b)["S"]
    assert (text_a < text_b) == (a < b)
    back = load_item({"when": {"S": text_a}}, Painted_).when
    assert back == a
    assert back.tzinfo is None


@pytest.mark.parametrize(
    ("value", "text"),
    [
        # 42 digits, one significant: DynamoDB trims trailing zeros, so it is storable.
        (Decimal("1." + "0" * 41), "1"),
        (Decimal("1.5" + "0" * 40), "1.5"),
        (Decimal("-12.340" + "0" * 40), "-12.34"),
        # Leading zeros are not significant either: 38 significant digits after them.
        (Decimal("0.000" + "1" * 38), "0.000" + "1" * 38),
        (Decimal("0.000" + "1" * 38 + "0" * 10), "0.000" + "1" * 38),
        (Decimal("0000123.4500"), "123.4500"),
        (Decimal("1" * 38 + "." + "0" * 5), "1" * 38),
    ],
)
def test_decimal_digits_are_counted_as_significant_digits(value: Decimal, text: str) -> None:
    av = to_attribute_value(value)
    assert av == {"N": text}
    assert Decimal(av["N"]) == value
    from boto3.dynamodb.types import TypeDeserializer

    assert TypeDeserializer().deserialize(av) == value


def test_decimals_with_39_significant_digits_are_refused() -> None:
    for value in (Decimal("0.000" + "1" * 39), Decimal("1" * 39 + "." + "0" * 5)):
        with pytest.raises(InvalidInput) as raised:
            to_attribute_value(value, field="n")
        assert "38 significant digits" in raised.value.reason


# Any value the codec accepts reads back through boto3's own TypeDeserializer as the same
# value, but: numbers come back as Decimal (floats by their shortest repr: norm()), binary
# as Binary (equal to its bytes), and an integer of more than 38 digits, trailing zeros
# included, is sent in full (DynamoDB trims the zeros) where boto3's 38-digit reader traps.
@settings(max_examples=200, deadline=None, suppress_health_check=SLOW_OK)
@given(values)
def test_boto3_reads_what_awskit_writes(value: Any) -> None:
    from boto3.dynamodb.types import Binary, TypeDeserializer

    av = to_attribute_value(value)

    def digits_fit(v: Any) -> bool:
        if isinstance(v, int) and not isinstance(v, bool):
            return len(str(abs(v))) <= 38
        if isinstance(v, (list, set, frozenset)):
            return all(digits_fit(x) for x in v)
        if isinstance(v, dict):
            return all(digits_fit(x) for x in v.values())
        return True

    if not digits_fit(value):
        return

    def plain(v: Any) -> Any:
        if isinstance(v, Binary):
            return bytes(v)
        if isinstance(v, (set, frozenset)):
            return frozenset(plain(x) for x in v)
        if isinstance(v, list):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    assert norm(plain(TypeDeserializer().deserialize(av))) == norm(value)


# --------------------------------------------------------------------------- TTL (issue 20.4)


class Session_(pydantic.BaseModel):
    id: str
    expires: dt.datetime | None = None


class EpochSession(pydantic.BaseModel):
    id: str
    expires: int


def test_ttl_values_are_epoch_seconds() -> None:
    from awskit.dynamo.codec import check_ttl_field, ttl_seconds, ttl_update

    when = dt.datetime(2023, 11, 14, 22, 13, 20, 999999, tzinfo=dt.timezone.utc)
    assert ttl_seconds(when) == 1700000000
    assert ttl_seconds(when.astimezone(dt.timezone(dt.timedelta(hours=-8)))) == 1700000000
    assert ttl_seconds(dt.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=dt.timezone.utc)) == -1
    assert ttl_seconds(1700000000) == 1700000000
    assert ttl_seconds(1.5) == 1.5
    for bad in (dt.datetime(2024, 1, 1), "1700000000", dt.date(2024, 1, 1), True):
        with pytest.raises(InvalidInput) as raised:
            ttl_seconds(bad, field="expires")
        assert raised.value.field == "expires"
    item = dump_item(Session_(id="a", expires=when), ttl_attribute="expires")
    assert item == {"id": {"S": "a"}, "expires": {"N": "1700000000"}}
    # The size counts the number written (2 significant digits), not the datetime.
    assert item_size(item) == 2 + 1 + 7 + 2
    back = load_item(item, Session_)
    assert back.expires == when.replace(microsecond=0)
    assert back.expires is not None and back.expires.tzinfo is not None
    assert dump_item(Session_(id="a"), ttl_attribute="expires") == {"id": {"S": "a"}}
    assert dump_item({"id": "a", "expires": when}, ttl_attribute="expires")["expires"] == {
        "N": "1700000000"
    }
    with pytest.raises(InvalidInput) as raised:
        dump_item({"id": "a", "expires": "tomorrow"}, ttl_attribute="expires")
    assert raised.value.field == "expires"
    assert ttl_update({"expires": when, "x": 1}, "expires") == {"expires": 1700000000, "x": 1}
    assert ttl_update({"expires": None}, "expires") == {"expires": None}
    with pytest.raises(InvalidInput) as raised:
        ttl_update({"expires": dt.datetime(2024, 1, 1)}, "expires")
    assert raised.value.field == "set.expires"

    check_ttl_field(Session_, "expires")
    check_ttl_field(EpochSession, "expires")
    check_ttl_field(None, "anything")

    class Wrong(pydantic.BaseModel):
        id: str
        expires: str
        day: dt.date
        flag: bool

    for name in ("expires", "day", "flag", "missing"):
        with pytest.raises(InvalidInput) as raised:
            check_ttl_field(Wrong, name)
        assert raised.value.field == "ttl_attribute"
    with pytest.raises(InvalidInput):
        check_ttl_field(Session_, "")


def test_ttl_attribute_is_stored_as_epoch_seconds_through_moto(aws: awskit.Session) -> None:
    sessions = aws.dynamo.create_table("sessions", Session_, hash_key="id", ttl_attribute="expires")
    client = aws.dynamo.client
    ttl = client.describe_time_to_live(TableName="sessions")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires"
    when = dt.datetime(2030, 1, 1, 12, 30, 15, 250000, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    sessions.put(Session_(id="a", expires=when))
    raw = client.get_item(TableName="sessions", Key={"id": {"S": "a"}})["Item"]
    assert raw["expires"] == {"N": str(int(when.timestamp()))}
    got = sessions.get(id="a")
    assert got is not None and got.expires == when.replace(microsecond=0)
    assert got.expires is not None and got.expires.utcoffset() == dt.timedelta(0)

    later = when + dt.timedelta(days=1)
    sessions.update({"id": "a"}, set={"expires": later})
    raw = client.get_item(TableName="sessions", Key={"id": {"S": "a"}})["Item"]
    assert raw["expires"] == {"N": str(int(later.timestamp()))}
    with sessions.batch_writer() as batch:
        batch.put(Session_(id="b", expires=when))
    raw = client.get_item(TableName="sessions", Key={"id": {"S": "b"}})["Item"]
    assert raw["expires"] == {"N": str(int(when.timestamp()))}

    # A table opened lazily knows its TTL attribute only when told.
    reopened = aws.dynamo.table("sessions", Session_, ttl_attribute="expires")
    reopened.put(Session_(id="c", expires=when))
    raw = client.get_item(TableName="sessions", Key={"id": {"S": "c"}})["Item"]
    assert raw["expires"]["N"] == str(int(when.timestamp()))
    with pytest.raises(InvalidInput) as raised:
        sessions.put(Session_(id="d", expires=dt.datetime(2030, 1, 1)))
    assert raised.value.field == "expires"

    plain = aws.dynamo.create_table("plain-ttl", hash_key="id", ttl_attribute="ttl")
    plain.put({"id": "a", "ttl": when})
    assert plain.get(id="a") == {"id": "a", "ttl": int(when.timestamp())}
    with pytest.raises(InvalidInput):
        plain.put({"id": "b", "ttl": "2030-01-01"})


def test_a_ttl_attribute_that_cannot_expire_is_refused_before_any_request(
    aws: awskit.Session,
) -> None:
    class Wrong(pydantic.BaseModel):
        id: str
        expires: str

    for model, name in ((Wrong, "expires"), (Session_, "expiry")):
        with pytest.raises(InvalidInput) as raised:
            aws.dynamo.create_table("wrong", model, hash_key="id", ttl_attribute=name)
        assert raised.value.field == "ttl_attribute"
        with pytest.raises(InvalidInput):
            aws.dynamo.table("wrong", model, ttl_attribute=name)
    assert aws.dynamo.client.list_tables()["TableNames"] == []


class Tagged(pydantic.BaseModel):
    id: str
    tags: set[str]
    labels: frozenset[int] = pydantic.Field(default_factory=frozenset)
    maybe: set[str] | None = None


def test_empty_sets_at_the_top_are_left_out_and_read_back_empty() -> None:
    item = dump_item(Tagged(id="a", tags=set(), maybe=set()))
    # DynamoDB stores no empty set: it is omitted, as None is, never refused.
    assert item == {"id": {"S": "a"}}
    back = load_item(item, Tagged)
    assert back == Tagged(id="a", tags=set(), labels=frozenset(), maybe=None)
    assert dump_item({"id": "b", "tags": frozenset()}) == {"id": {"S": "b"}}
    full = Tagged(id="c", tags={"x"}, labels=frozenset({1}), maybe={"y"})
    assert load_item(dump_item(full), Tagged) == full
    # Inside a list or map there is nothing to omit: still refused, naming the place.
    with pytest.raises(InvalidInput) as info:
        dump_item({"id": "d", "nested": {"inner": set()}})
    assert info.value.field == "nested.inner"
