"""Paging: every page of a list call, as a plain iterator.

A `Paged` iterates items; `Paged.pages` iterates the pages themselves, and
`Paged.next_token` is the resume token after the last page fetched (``None`` once
the listing is exhausted). ``limit`` is the number of *items* wanted, separate from the
page size a caller asks AWS for. Built from a fetch function (``token -> Page``), from a
``NextToken``-style loop (`token_pages`, also for EBS, which has no boto3
paginators), or from a boto3 paginator (`from_paginator`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["Page", "Paged", "from_paginator", "token_pages"]

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing and the token that fetches the next (``None`` on the last)."""

    items: Sequence[T]
    next_token: Any = None


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
        self._token = start_token
        self._done = False
        self._yielded = 0
        self._items: Iterator[T] = iter(())

    @property
    def next_token(self) -> Any:
        """Token to resume after the last page fetched; ``None`` when nothing is left."""
        return None if self._done else self._token

    def pages(self) -> Iterator[Page[T]]:
        """The remaining pages, one request each; empty pages are skipped over, not ended on."""
        while not self._done:
            page = self._fetch(self._token)
            self._token = page.next_token
            self._done = page.next_token is None
            yield page

    def __iter__(self) -> Paged[T]:
        return self

    def __next__(self) -> T:
        if self._limit is not None and self._yielded >= self._limit:
            raise StopIteration
        while True:
            for item in self._items:
                self._yielded += 1
                return item
            if self._done:
                raise StopIteration
            page = next(self.pages())
            self._items = iter(page.items)

    def map(self, convert: Callable[[T], U]) -> Paged[U]:
        """The same listing with each item converted (paging state is shared)."""

        def fetch(token: Any) -> Page[U]:
            page = self._fetch(token)
            return Page([convert(item) for item in page.items], page.next_token)

        return Paged(fetch, limit=self._limit, start_token=self._token)


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
