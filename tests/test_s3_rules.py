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
    MAX_PUT_BYTES,
    check_bucket_name,
    check_key,
    check_metadata,
    chunks,
)
from awskit.s3.plans import DeletePlan, VersionSweep, check_seekable_size

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


# -- emptying a bucket: DeletePlan over versions, VersionSweep over ListObjectVersions ---------

Entry = tuple[str, "str | None"]
entries_st = st.lists(
    st.tuples(st.sampled_from("abcde"), st.text("0123456789", min_size=1, max_size=3)),
    unique=True,
    max_size=40,
)


def drive(plan: DeletePlan, pages: list[list[Entry]], refuse: set[Entry]) -> int:
    """Run ``plan`` over ``pages`` as the facades do, S3 refusing ``refuse`` for good."""
    for page in pages:
        for batch in plan.batches(page):
            errors = [
                {"Key": k, "VersionId": v, "Code": "AccessDenied"}
                for k, v in batch
                if (k, v) in refuse
            ]
            assert plan.answered(batch, {"Errors": errors}) == []
    return plan.result()


@given(entries_st, st.data())
def test_every_version_is_deleted_or_its_key_reported_once_in_order(
    entries: list[Entry], data: st.DataObject
) -> None:
    refuse = set(data.draw(st.lists(st.sampled_from(entries)) if entries else st.just([])))
    cut = sorted(data.draw(st.lists(st.integers(0, len(entries)), max_size=3)))
    pages = [entries[a:b] for a, b in zip([0, *cut], [*cut, len(entries)], strict=True)]
    plan = DeletePlan("b", versions=True)
    if not refuse:
        assert drive(plan, pages, refuse) == len(entries)
        return
    with pytest.raises(awskit.PartialFailure) as info:
        drive(plan, pages, refuse)
    assert info.value.failed == list(dict.fromkeys(k for k, v in entries if (k, v) in refuse))
    assert f"{len(refuse)} of {len(entries)} object versions and delete markers" in str(info.value)
    assert plan.deleted == len(entries) - len(refuse)


def test_delete_requests_name_each_version() -> None:
    plan = DeletePlan("b", versions=True)
    request = plan.request([("a", "v1"), ("a", "null"), ("b", None)])
    assert request == {
        "Bucket": "b",
        "Delete": {
            "Objects": [
                {"Key": "a", "VersionId": "v1"},
                {"Key": "a", "VersionId": "null"},
                {"Key": "b"},
            ],
            "Quiet": True,
        },
    }
    assert [len(b) for b in plan.batches([("k", str(i)) for i in range(2500)])] == [1000, 1000, 500]


def test_delete_answers_are_matched_by_key_and_version() -> None:
    plan = DeletePlan("b", versions=True)
    sent: list[Entry] = [("a", "1"), ("a", "2"), ("b", "1"), ("c", "1")]
    answer = {
        "Errors": [
            {"Key": "a", "VersionId": "2", "Code": "SlowDown"},  # that version only
            {"Key": "b", "Code": "InternalError"},  # no version: every version of b sent
            {"Key": "zz", "VersionId": "9", "Code": "InternalError"},  # never sent
            {"Key": "c", "VersionId": "1"},  # no code: refused, not retried
        ]
    }
    batches = plan.batches(sent)
    assert next(batches) == sent
    assert plan.answered(sent, answer) == [("a", "2"), ("b", "1")]
    assert plan.answered([("a", "2"), ("b", "1")], {}) == []
    assert next(batches, None) is None  # the batch is settled when the next is asked for
    with pytest.raises(awskit.PartialFailure) as info:
        plan.result()
    # Nothing S3 named is lost: the unknown entry is reported, never sent again.
    assert info.value.failed == ["c", "zz"]
    assert "2 of 4 object versions" in str(info.value)
    assert "InternalError (1), Unknown (1)" in str(info.value)


def test_the_sweep_reads_pages_leniently_and_follows_their_markers() -> None:
    sweep = VersionSweep("b")
    assert sweep.request() == {"Bucket": "b"} and not sweep.done
    page = {
        "Versions": [
            {"Key": "a", "VersionId": "3", "IsLatest": True, "NewField": {"x": 1}},
            {"Key": "a", "VersionId": "2", "StorageClass": "FUTURE_CLASS"},
            {"Key": "u"},  # no version id: S3's null version
            {"VersionId": "7"},  # no key: left, logged
            "not a mapping",
        ],
        "DeleteMarkers": [{"Key": "m", "VersionId": "9"}, {"Key": "z", "VersionId": "1"}],
        "IsTruncated": True,
        "NextKeyMarker": "z",
        "NextVersionIdMarker": "1",
    }
    # The entry the next page starts after waits for that page: it must still exist.
    assert sweep.read(page) == [("a", "3"), ("a", "2"), ("u", "null"), ("m", "9")]
    assert sweep.request() == {"Bucket": "b", "KeyMarker": "z", "VersionIdMarker": "1"}
    assert sweep.read({"Versions": [{"Key": "zz", "VersionId": "1"}]}) == [("z", "1"), ("zz", "1")]
    assert sweep.done
    assert VersionSweep("b").read({}) == []


@pytest.mark.parametrize(
    "pages",
    [
        [{"IsTruncated": True}],  # more, but from where?
        [
            {"IsTruncated": True, "NextKeyMarker": "k", "NextVersionIdMarker": "1"},
            {"IsTruncated": True, "NextKeyMarker": "k", "NextVersionIdMarker": "1"},  # again
        ],
    ],
)
def test_a_sweep_that_cannot_go_on_is_an_awskit_error_not_a_loop(
    pages: list[dict[str, object]],
) -> None:
    sweep = VersionSweep("b")
    with pytest.raises(awskit.AwskitError) as info:
        for page in pages:
            sweep.read(page)
    assert not isinstance(info.value, awskit.InvalidInput)
    assert info.value.operation == "ListObjectVersions"


class OldStyleFile:
    """A seekable file-like whose ``seek`` answers nothing, as some wrappers do."""

    def __init__(self, size: int, position: int) -> None:
        self.size, self.position = size, position

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> None:
        self.position = self.size + offset if whence == 2 else offset


class _Sized(OldStyleFile):
    """The same file, its ``seek`` answering the new position as ``io`` files do."""

    def seek(self, offset: int, whence: int = 0) -> int:  # type: ignore[override]
        super().seek(offset, whence)
        return self.position


@pytest.mark.parametrize("kind", ["seek returns the position", "seek returns None"])
def test_a_seekable_size_is_what_is_left_from_the_position(kind: str) -> None:
    def stream(size: int, position: int) -> object:
        if kind == "seek returns None":
            return OldStyleFile(size, position)
        return _Sized(size, position)

    big = MAX_PUT_BYTES + 10
    fits = stream(big, 10)
    assert check_seekable_size(fits) == 10 and fits.tell() == 10  # type: ignore[attr-defined]
    with pytest.raises(awskit.InvalidInput, match="5 GiB") as info:
        check_seekable_size(stream(big, 9))
    assert info.value.field == "data"
