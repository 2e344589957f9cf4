"""Paging: every page of a list call, as a plain iterator, with exact resume.

A :class:`Paged` iterates items; :meth:`Paged.pages` iterates the pages themselves, and
:attr:`Paged.next_token` resumes right after the last item handed out, whether the caller
stopped at ``limit``, broke out of the loop or read page by page (``None`` once the
listing is exhausted). Inside a page that is the page's own per-item token when the API
has one (DynamoDB: the last item's key, see :attr:`Page.after`), else a :class:`Cursor`:
the page's token and how many of its items were handed out. ``limit`` is the number of
*items* wanted, separate from the page size a caller asks AWS for. Built from a fetch
function (``token -> Page``), from a ``NextToken``-style loop (:func:`token_pages`, also
for EBS, which has no boto3 paginators), or from a boto3 paginator (:func:`from_paginator`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["Cursor", "Page", "Paged", "from_paginator", "token_pages"]

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


@dataclass(frozen=True)
class Cursor:
    """A resume token inside a page: fetch the page at ``token`` again, skip ``skip`` items.

    For listings whose API has no per-item token. Pass it back as the start token of the
    same listing; it assumes the page reads the same again, as list APIs answer a token.
    """

    token: Any
    skip: int


class Paged(Iterator[T]):
    """Items across every page, fetched lazily; stops after ``limit`` items if given."""

    def __init__(
        self,
        fetch: Callable[[Any], Page[T]],
        *,
        limit: int | None = None,
        start_token: Any = None,
    ) -> None:
        if limit is not None and limit < 0:
            from ._errors import InvalidInput

            raise InvalidInput("limit", "must not be negative")
        self._fetch = fetch
        self._limit = limit
        self._skip = 0
        if isinstance(start_token, Cursor):
            start_token, self._skip = start_token.token, start_token.skip
        self._token = start_token
        self._done = False
        self._yielded = 0
        self._page: Page[T] | None = None
        self._page_token: Any = None
        self._page_offset = 0
        self._pos = 0

    @property
    def next_token(self) -> Any:
        """Token to resume right after the last item handed out.

        ``None`` when nothing is left, once anything was read (before that it is the start
        token the listing was made with: ``None`` for one from the start).
        """
        page = self._page
        if page is None:
            return Cursor(self._token, self._skip) if self._skip else self._token
        if self._pos < len(page.items):
            if self._pos == 0:
                if self._page_offset:
                    return Cursor(self._page_token, self._page_offset)
                return self._page_token
            if page.after is not None:
                return page.after[self._pos - 1]
            return Cursor(self._page_token, self._page_offset + self._pos)
        return None if self._done else self._token

    def _advance(self) -> Page[T]:
        token, skip = self._token, self._skip
        page = self._fetch(token)
        if skip:
            page = page.skip(skip)
        self._skip = 0
        self._page, self._pos, self._page_token, self._page_offset = page, 0, token, skip
        self._token = page.next_token
        self._done = page.next_token is None
        return page

    def pages(self) -> Iterator[Page[T]]:
        """The remaining pages, one request each; empty pages are skipped over, not ended on.

        A page handed out counts as read: ``next_token`` then resumes after it.
        """
        while not self._done:
            page = self._advance()
            self._pos = len(page.items)
            yield page

    def __iter__(self) -> Paged[T]:
        return self

    def __next__(self) -> T:
        while True:
            if self._limit is not None and self._yielded >= self._limit:
                raise StopIteration
            page = self._page
            if page is not None and self._pos < len(page.items):
                item = page.items[self._pos]
                self._pos += 1
                self._yielded += 1
                return item
            if self._done:
                raise StopIteration
            self._advance()

    def map(self, convert: Callable[[T], U]) -> Paged[U]:
        """The same listing with each item converted (from where this one stands)."""

        def fetch(token: Any) -> Page[U]:
            page = self._fetch(token)
            return Page([convert(item) for item in page.items], page.next_token, page.after)

        return Paged(fetch, limit=self._limit, start_token=self.next_token)


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
    response_token = response_token or request_token

    def fetch(token: Any) -> Page[Any]:
        request = dict(kwargs)
        if token is not None:
            request[request_token] = token
        response = call(**request)
        return Page(list(response.get(items_key, ())), response.get(response_token) or None)

    return fetch


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
