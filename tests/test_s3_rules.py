"""awskit.s3's pure rules, property-tested: bucket names, keys, metadata, delete chunks."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import awskit
from awskit.s3 import (
    DELETE_BATCH,
    MAX_KEY_BYTES,
    MAX_METADATA_BYTES,
    check_bucket_name,
    check_key,
    check_metadata,
    chunks,
)

ALLOWED = set(string.ascii_lowercase + string.digits + ".-")
ALNUM = set(string.ascii_lowercase + string.digits)
PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def valid_by_the_book(name: str) -> bool:
    """S3's general purpose bucket naming rules, one by one, as the user guide lists them."""
    return (
        3 <= len(name) <= 63
        and all(c in ALLOWED for c in name)
        and name[0] in ALNUM
        and name[-1] in ALNUM
        and ".." not in name
        and re.fullmatch(r"[0-9]{1,3}(\.[0-9]{1,3}){3}", name) is None
        and not name.startswith(PREFIXES)
        and not name.endswith(SUFFIXES)
    )


def accepted(name: str, *, legacy: bool = False) -> bool:
    try:
        assert check_bucket_name(name, legacy=legacy) == name
    except awskit.InvalidInput as exc:
        assert exc.field == "name"
        return False
    return True


label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?", fullmatch=True)
good_names = (
    st.lists(label, min_size=1, max_size=4)
    .map(".".join)
    .filter(lambda n: 3 <= len(n) <= 63 and valid_by_the_book(n))
)
# Short strings over an alphabet that hits every rule: case, '_', '..', digits for IPs,
# and the reserved affixes glued on.
tricky = st.one_of(
    st.text(alphabet="ab09.-_A x", min_size=0, max_size=70),
    st.tuples(st.sampled_from(PREFIXES), label).map("".join),
    st.tuples(label, st.sampled_from(SUFFIXES)).map("".join),
    st.lists(st.integers(0, 999).map(str), min_size=4, max_size=4).map(".".join),
)


@given(good_names)
def test_names_built_by_the_rules_are_accepted(name: str) -> None:
    assert accepted(name)
    assert accepted(name, legacy=True)  # every modern name is also a valid legacy name


@given(st.one_of(tricky, good_names))
@example("192.168.5.4")
@example("256.1.1.1")
@example("a..b")
@example("ab")
@example("a" * 63)
@example("a" * 64)
@example("my-bucket.example.com")
@example("xn--abc")
@example("bucket--table-s3")
@example("a-.b")
def test_validator_agrees_with_the_rules(name: str) -> None:
    assert accepted(name) == valid_by_the_book(name)


@given(good_names, st.data())
def test_one_bad_edit_makes_a_good_name_invalid(name: str, data: st.DataObject) -> None:
    where = data.draw(st.integers(0, len(name)))
    edit = data.draw(st.sampled_from(["A", "_", " ", "..", "/", "é"]))
    assert not accepted(name[:where] + edit + name[where:])


@given(st.text(alphabet=string.ascii_letters + string.digits + "._-", min_size=0, max_size=300))
def test_legacy_names(name: str) -> None:
    assert accepted(name, legacy=True) == (3 <= len(name) <= 255)


def test_names_must_be_str() -> None:
    with pytest.raises(awskit.InvalidInput):
        check_bucket_name(b"bucket")


@given(st.text(min_size=0, max_size=1100))
@example("a" * 1024)
@example("a" * 1025)
@example("é" * 512)
@example("é" * 513)
@example("\U0001f600" * 256)
@example("\U0001f600" * 257)
def test_keys_are_1_to_1024_utf8_bytes(key: str) -> None:
    size = len(key.encode("utf-8"))
    try:
        check_key(key)
        ok = True
    except awskit.InvalidInput as exc:
        assert exc.field == "key"
        ok = False
    assert ok == (1 <= size <= MAX_KEY_BYTES)
    # A prefix may be empty, nothing else changes.
    try:
        check_key(key, "prefix", allow_empty=True)
        ok = True
    except awskit.InvalidInput as exc:
        assert exc.field == "prefix"
        ok = False
    assert ok == (size <= MAX_KEY_BYTES)


def test_lone_surrogates_are_not_keys() -> None:
    with pytest.raises(awskit.InvalidInput, match="UTF-8"):
        check_key("a\ud800b")


@given(
    st.dictionaries(
        st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=40),
        st.text(alphabet=string.printable.strip() + " ", max_size=700),
        max_size=6,
    )
)
def test_metadata_limit_is_2_kib_of_names_and_values(meta: dict[str, str]) -> None:
    size = sum(len(k) + len(v) for k, v in meta.items())
    try:
        assert check_metadata(meta) == meta
        ok = True
    except awskit.InvalidInput as exc:
        assert exc.field == "metadata"
        ok = False
    assert ok == (size <= MAX_METADATA_BYTES)


@given(st.lists(st.text(max_size=3)), st.integers(1, 50))
def test_chunks_keep_every_item_in_order(items: list[str], size: int) -> None:
    parts = list(chunks(items, size))
    assert [x for part in parts for x in part] == items
    assert all(len(p) == size for p in parts[:-1])
    assert all(1 <= len(p) <= size for p in parts)


def test_delete_batches_are_1000_keys() -> None:
    parts = list(chunks(str(i) for i in range(2500)))
    assert [len(p) for p in parts] == [DELETE_BATCH, DELETE_BATCH, 500]
    with pytest.raises(awskit.InvalidInput):
        list(chunks(["a"], 0))
