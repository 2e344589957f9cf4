"""The paging helper: items across pages, limit apart from page size, resume tokens."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import awskit
from awskit._paging import Cursor, Page, Paged, from_paginator, token_pages


def pages_of(sizes: list[int]) -> tuple[list[list[int]], Any]:
    pages: list[list[int]] = []
    n = 0
    for size in sizes:
        pages.append(list(range(n, n + size)))
        n += size
    calls: list[Any] = []

    def fetch(token: Any) -> Page[int]:
        calls.append(token)
        index = 0 if token is None else int(token)
        nxt = str(index + 1) if index + 1 < len(pages) else None
        return Page(pages[index], nxt)

    return pages, (fetch, calls)


@given(sizes=st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=8))
def test_every_item_of_every_page_once_in_order(sizes: list[int]) -> None:
    pages, (fetch, calls) = pages_of(sizes)
    assert list(Paged(fetch)) == [x for page in pages for x in page]
    assert len(calls) == len(pages)  # empty pages are read through, not stopped at


@given(
    sizes=st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=8),
    limit=st.integers(min_value=0, max_value=30),
)
def test_limit_counts_items_not_pages(sizes: list[int], limit: int) -> None:
    pages, (fetch, _calls) = pages_of(sizes)
    everything = [x for page in pages for x in page]
    assert list(Paged(fetch, limit=limit)) == everything[:limit]


def test_resume_token_and_pages() -> None:
    _pages, (fetch, _) = pages_of([2, 2, 2])
    paged = Paged(fetch)
    first = next(paged.pages())
    assert list(first.items) == [0, 1]
    assert paged.next_token == "1"
    resumed = Paged(fetch, start_token=paged.next_token)
    assert list(resumed) == [2, 3, 4, 5]
    assert resumed.next_token is None


def test_map_converts_items_and_negative_limit_is_invalid() -> None:
    _, (fetch, _) = pages_of([2, 1])
    assert list(Paged(fetch).map(str)) == ["0", "1", "2"]
    with pytest.raises(awskit.InvalidInput, match="limit"):
        Paged(fetch, limit=-1)


def test_token_pages_over_a_next_token_call() -> None:
    responses = {
        None: {"Items": [1, 2], "NextToken": "a"},
        "a": {"Items": [], "NextToken": "b"},
        "b": {"Items": [3], "NextToken": ""},
    }
    seen: list[dict[str, Any]] = []

    def call(**kwargs: Any) -> dict[str, Any]:
        seen.append(kwargs)
        return responses[kwargs.get("NextToken")]

    assert list(Paged(token_pages(call, "Items", MaxResults=2))) == [1, 2, 3]
    assert seen == [
        {"MaxResults": 2},
        {"MaxResults": 2, "NextToken": "a"},
        {"MaxResults": 2, "NextToken": "b"},
    ]


def test_from_paginator_against_moto(aws: awskit.Session) -> None:
    sqs = aws.client("sqs")
    for i in range(7):
        sqs.create_queue(QueueName=f"page-{i}")
    fetch = from_paginator(sqs.get_paginator("list_queues"), "QueueUrls", page_size=3)
    paged = Paged(fetch)
    first = next(paged.pages())
    assert len(first.items) == 3
    assert paged.next_token is not None
    rest = list(Paged(fetch, start_token=paged.next_token))
    names = sorted(url.rsplit("/", 1)[1] for url in [*first.items, *rest])
    assert names == [f"page-{i}" for i in range(7)]


def pages_with_keys(sizes: list[int]) -> tuple[list[int], Any]:
    """Pages of a listing whose API resumes after any item (DynamoDB's ExclusiveStartKey)."""
    everything = list(range(sum(sizes)))
    starts = [sum(sizes[:i]) for i in range(len(sizes))]

    def fetch(token: Any) -> Page[int]:
        after = -1 if token is None else token["after"]
        # The page that would follow ``after``: from the next page boundary, like AWS.
        first = after + 1
        ends = [s + n for s, n in zip(starts, sizes, strict=True) if s + n > first]
        end = ends[0] if ends else first
        items = everything[first:end]
        nxt = {"after": end - 1} if end < len(everything) else None
        return Page(items, nxt, [{"after": x} for x in items])

    return everything, fetch


@given(
    sizes=st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=8),
    limit=st.none() | st.integers(min_value=0, max_value=40),
    stop=st.integers(min_value=0, max_value=40),
    keyed=st.booleans(),
)
def test_resume_token_resumes_right_after_the_last_item_handed_out(
    sizes: list[int], limit: int | None, stop: int, keyed: bool
) -> None:
    if keyed:
        everything, fetch = pages_with_keys(sizes)
    else:
        pages, (fetch, _) = pages_of(sizes)
        everything = [x for page in pages for x in page]
    paged = Paged(fetch, limit=limit)
    handed = [x for _, x in zip(range(stop), paged, strict=False)]
    wanted = everything if limit is None else everything[:limit]
    assert handed == wanted[:stop]
    token = paged.next_token
    # None is "nothing left" once anything was read, and "from the start" before that.
    exhausted = token is None and bool(handed)
    rest = [] if exhausted else list(Paged(fetch, start_token=token))
    # Nothing skipped, nothing repeated: the two runs together are the whole listing.
    assert handed + rest == everything


@given(sizes=st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=6))
def test_reading_page_by_page_resumes_after_the_last_page_read(sizes: list[int]) -> None:
    pages, (fetch, _) = pages_of(sizes)
    everything = [x for page in pages for x in page]
    paged = Paged(fetch)
    read: list[int] = []
    for page in paged.pages():
        read.extend(page.items)
        break
    rest = [] if paged.next_token is None else list(Paged(fetch, start_token=paged.next_token))
    assert read + rest == everything


def test_a_cursor_inside_a_page_reads_that_page_again() -> None:
    _, (fetch, calls) = pages_of([3, 3])
    paged = Paged(fetch)
    assert [next(paged), next(paged)] == [0, 1]
    assert paged.next_token == Cursor(None, 2)
    assert list(Paged(fetch, start_token=paged.next_token)) == [2, 3, 4, 5]
    assert calls[-2:] == [None, "1"]
