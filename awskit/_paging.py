"""Paging: every page of a list call, as a plain iterator, with exact resume.

A [Paged][awskit.Paged] iterates items; [Paged.pages][awskit.Paged.pages] iterates the pages
themselves, and [Paged.next_token][awskit.Paged.next_token] resumes right after the last item handed
out, whether the caller stopped at ``limit``, broke out of the loop or read page by page (``None``
once the listing is exhausted). Inside a page that is the page's own per-item token when the API
has one (DynamoDB: the last item's key, see `Page.after`), else a `Cursor`:
the page's token and how many of its items were handed out. ``limit`` is the number of
*items* wanted, separate from the page size a caller asks AWS for. Built from a fetch
function (``token -> Page``), from a ``NextToken``-style loop (`token_pages`, also
for EBS, which has no boto3 paginators), or from a boto3 paginator (`from_paginator`).
`AsyncPaged` is the same on asyncio (``async for``); both drive one
`Position`, which alone decides limits, skips and resume tokens.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, TypeVar

__all__ = [
    "AsyncPaged",
    "Cursor",
    "Page",
    "Paged",
    "Position",
    "from_paginator",
    "token_pages",
    "token_pages_async",
]

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing and the token that fetches the next (``None`` on the last).

    ``after``, where the API allows it, holds one resume token per item: the token that
    lists what follows that item (DynamoDB's ``ExclusiveStartKey`` of the item's key).
    """

    items: Sequence[T]
    next_token: Any = None
    after: Sequence[Any] | None = None

    def skip(self, count: int) -> Page[T]:
        """The page without its first ``count`` items."""
        after = None if self.after is None else self.after[count:]
        return Page(self.items[count:], self.next_token, after)

    def convert(self, convert: Callable[[T], U]) -> Page[U]:
        """The same page with each item converted."""
        return Page([convert(item) for item in self.items], self.next_token, self.after)


@dataclass(frozen=True)
class Cursor:
    """A resume token inside a page: fetch the page at ``token`` again, skip ``skip`` items.

    For listings whose API has no per-item token. Pass it back as the start token of the
    same listing; it assumes the page reads the same again, as list APIs answer a token.
    """

    token: Any
    skip: int


class _Signal(Enum):
    FETCH = "fetch"
    END = "end"


class Position(Generic[T]):
    """Where a listing stands, and what comes next: the sans-IO core of every Paged.

    A driver asks `step` for the next item; on ``FETCH`` it fetches the page at
    `token` and hands it to `landed`; on ``END`` the listing is over.
    [Paged][awskit.Paged] drives it blocking, `AsyncPaged` on asyncio, so
    limits, skips and resume tokens are decided once for both.
    """

    FETCH = _Signal.FETCH
    END = _Signal.END

    def __init__(self, *, limit: int | None = None, start_token: Any = None) -> None:
        if limit is not None and limit < 0:
            from ._errors import InvalidInput

            raise InvalidInput("limit", "must not be negative")
        self.limit = limit
        self._skip = 0
        if isinstance(start_token, Cursor):
            start_token, self._skip = start_token.token, start_token.skip
        self.token = start_token
        self.done = False
        self._yielded = 0
        self._page: Page[T] | None = None
        self._page_token: Any = None
        self._page_offset = 0
        self._pos = 0

    @property
    def next_token(self) -> Any:
        """Token to resume right after the last item handed out (see ``Paged.next_token``)."""
        page = self._page
        if page is None:
            return Cursor(self.token, self._skip) if self._skip else self.token
        if self._pos < len(page.items):
            if self._pos == 0:
                if self._page_offset:
                    return Cursor(self._page_token, self._page_offset)
                return self._page_token
            if page.after is not None:
                return page.after[self._pos - 1]
            return Cursor(self._page_token, self._page_offset + self._pos)
        return None if self.done else self.token

    def landed(self, page: Page[T]) -> Page[T]:
        """Take in the page fetched at `token`; returns it less the items to skip."""
        token, skip = self.token, self._skip
        if skip:
            page = page.skip(skip)
        self._skip = 0
        self._page, self._pos, self._page_token, self._page_offset = page, 0, token, skip
        self.token = page.next_token
        self.done = page.next_token is None
        return page

    def read_whole(self) -> None:
        """The current page was handed out whole (``pages()``)."""
        if self._page is not None:
            self._pos = len(self._page.items)

    def step(self) -> T | _Signal:
        """The next item, or ``FETCH`` (a page is needed first), or ``END``."""
        if self.limit is not None and self._yielded >= self.limit:
            return _Signal.END
        page = self._page
        if page is not None and self._pos < len(page.items):
            item = page.items[self._pos]
            self._pos += 1
            self._yielded += 1
            return item
        return _Signal.END if self.done else _Signal.FETCH


class Paged(Iterator[T]):
    """Items across every page, fetched lazily; stops after ``limit`` items if given."""

    def __init__(
        self,
        fetch: Callable[[Any], Page[T]],
        *,
        limit: int | None = None,
        start_token: Any = None,
    ) -> None:
        self._at: Position[T] = Position(limit=limit, start_token=start_token)
        self._fetch = fetch
        self._limit = limit

    @property
    def next_token(self) -> Any:
        """Token to resume right after the last item handed out.

        ``None`` when nothing is left, once anything was read (before that it is the start
        token the listing was made with: ``None`` for one from the start).
        """
        return self._at.next_token

    def pages(self) -> Iterator[Page[T]]:
        """The remaining pages, one request each; empty pages are skipped over, not ended on.

        A page handed out counts as read: ``next_token`` then resumes after it.
        """
        at = self._at
        while not at.done:
            page = at.landed(self._fetch(at.token))
            at.read_whole()
            yield page

    def __iter__(self) -> Paged[T]:
        return self

    def __next__(self) -> T:
        at = self._at
        while True:
            got = at.step()
            if got is _Signal.END:
                raise StopIteration
            if got is not _Signal.FETCH:
                return got
            at.landed(self._fetch(at.token))

    def map(self, convert: Callable[[T], U]) -> Paged[U]:
        """The same listing with each item converted (from where this one stands)."""

        def fetch(token: Any) -> Page[U]:
            return self._fetch(token).convert(convert)

        return Paged(fetch, limit=self._limit, start_token=self.next_token)


class AsyncPaged(AsyncIterator[T]):
    """[Paged][awskit.Paged] on asyncio: ``async for`` over every page's items.

    The same `Position` decides limits and resume tokens; only the fetch is awaited.
    """

    def __init__(
        self,
        fetch: Callable[[Any], Awaitable[Page[T]]],
        *,
        limit: int | None = None,
        start_token: Any = None,
    ) -> None:
        self._at: Position[T] = Position(limit=limit, start_token=start_token)
        self._fetch = fetch
        self._limit = limit

    @property
    def next_token(self) -> Any:
        """Token to resume right after the last item handed out (as ``Paged.next_token``)."""
        return self._at.next_token

    async def pages(self) -> AsyncIterator[Page[T]]:
        """The remaining pages, one request each (as ``Paged.pages``)."""
        at = self._at
        while not at.done:
            page = at.landed(await self._fetch(at.token))
            at.read_whole()
            yield page

    def __aiter__(self) -> AsyncPaged[T]:
        return self

    async def __anext__(self) -> T:
        at = self._at
        while True:
            got = at.step()
            if got is _Signal.END:
                raise StopAsyncIteration
            if got is not _Signal.FETCH:
                return got
            at.landed(await self._fetch(at.token))

    def map(self, convert: Callable[[T], U]) -> AsyncPaged[U]:
        """The same listing with each item converted (from where this one stands)."""

        async def fetch(token: Any) -> Page[U]:
            return (await self._fetch(token)).convert(convert)

        return AsyncPaged(fetch, limit=self._limit, start_token=self.next_token)


def token_pages(
    call: Callable[..., Mapping[str, Any]],
    items_key: str,
    *,
    request_token: str = "NextToken",
    response_token: str | None = None,
    **kwargs: Any,
) -> Callable[[Any], Page[Any]]:
    """A fetch function over a ``NextToken``-style API call.

    ``call(**kwargs, NextToken=token)`` is made for every page; ``response[items_key]``
    are the items. An empty string token (some APIs send one on the last page) ends it.
    """
    pager = _TokenPager(items_key, request_token, response_token, kwargs)

    def fetch(token: Any) -> Page[Any]:
        return pager.page(call(**pager.request(token)))

    return fetch


def token_pages_async(
    call: Callable[..., Awaitable[Mapping[str, Any]]],
    items_key: str,
    *,
    request_token: str = "NextToken",
    response_token: str | None = None,
    **kwargs: Any,
) -> Callable[[Any], Awaitable[Page[Any]]]:
    """`token_pages` over an awaitable call, for [AsyncPaged][awskit._paging.AsyncPaged]."""
    pager = _TokenPager(items_key, request_token, response_token, kwargs)

    async def fetch(token: Any) -> Page[Any]:
        return pager.page(await call(**pager.request(token)))

    return fetch


@dataclass(frozen=True)
class _TokenPager:
    """The request for a token and the page of an answer, for ``NextToken``-style calls."""

    items_key: str
    request_token: str
    response_token: str | None
    kwargs: Mapping[str, Any]

    def request(self, token: Any) -> dict[str, Any]:
        request = dict(self.kwargs)
        if token is not None:
            request[self.request_token] = token
        return request

    def page(self, response: Mapping[str, Any]) -> Page[Any]:
        next_token = response.get(self.response_token or self.request_token) or None
        return Page(list(response.get(self.items_key, ())), next_token)


def from_paginator(
    paginator: Any,
    items_key: str,
    *,
    page_size: int,
    **kwargs: Any,
) -> Callable[[Any], Page[Any]]:
    """A fetch function over a boto3 paginator: one page of ``page_size`` items a call.

    It relies only on the paginator's public contract: ``MaxItems`` truncates, and
    ``resume_token`` is the ``StartingToken`` of what follows.
    """

    def fetch(token: Any) -> Page[Any]:
        config: dict[str, Any] = {"MaxItems": page_size, "PageSize": page_size}
        if token is not None:
            config["StartingToken"] = token
        pages = paginator.paginate(**kwargs, PaginationConfig=config)
        items = [item for page in pages for item in page.get(items_key, ())]
        return Page(items, pages.resume_token)

    return fetch
