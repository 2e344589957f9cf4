"""awskit.aio's S3.delete_bucket(empty=True) through the bodies of tests/test_s3_versions.py:
the same versioned, suspended, paged, half-failed and retried emptying, awaited."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.aio.conftest import AsyncSleeps, Connect, aio_session, require_aio
from tests.faults import FaultProxy
from tests.test_s3_versions import (
    half_failed_contract,
    paged_contract,
    retried_contract,
    suspended_contract,
    versioned_contract,
)

require_aio()


def run(body: Callable[[Any], Awaitable[None]], connect: Connect) -> None:
    async def main() -> None:
        async with connect() as aws:
            await body(aws)

    asyncio.run(main())


def test_a_versioned_bucket_is_emptied_of_old_versions_and_delete_markers(
    aio_connect: Connect,
) -> None:
    run(versioned_contract, aio_connect)


def test_a_versioning_suspended_bucket_is_emptied(aio_connect: Connect) -> None:
    run(suspended_contract, aio_connect)


def test_versions_are_listed_page_by_page_and_deleted_1000_a_request(
    aio_connect: Connect,
) -> None:
    run(paged_contract, aio_connect)


def test_a_half_failed_delete_keeps_the_bucket_and_names_the_keys(
    aio_connect: Connect, async_sleeps: AsyncSleeps
) -> None:
    run(half_failed_contract, aio_connect)
    assert len(async_sleeps.calls) == 1


@pytest.mark.parametrize("kind", ["throttle", "drop_after"])
def test_a_throttled_or_dropped_delete_is_sent_again(
    fault_proxy: FaultProxy, async_sleeps: AsyncSleeps, kind: str
) -> None:
    run(
        lambda aws: retried_contract(aws, fault_proxy, kind),
        lambda: aio_session(fault_proxy.url, async_sleeps),
    )
