"""Fixtures for awskit.aio: sessions on moto's server (the same one the sync tests use).

Without aiobotocore (the sync-only environment) these tests are skipped; where
``AWSKIT_REQUIRE_AIO`` is set (``make test``'s aio environment) a missing aiobotocore is an
error instead, so nothing is skipped silently there.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

import awskit
import awskit.aio
from awskit._local import DUMMY_CREDENTIALS, LocalEndpoint


def require_aio() -> None:
    """Skip the calling test module without aiobotocore, unless it is required here."""
    if not os.environ.get("AWSKIT_REQUIRE_AIO"):
        pytest.importorskip("aiobotocore")


class AsyncSleeps:
    """An injectable async ``sleep`` that records the delays asked for and never waits."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def async_sleeps() -> AsyncSleeps:
    return AsyncSleeps()


Connect = Callable[..., awskit.aio.Session]


def aio_session(url: str, sleeps: AsyncSleeps, **kwargs: Any) -> awskit.aio.Session:
    import aiobotocore.session

    core = aiobotocore.session.AioSession()
    core.set_credentials(
        DUMMY_CREDENTIALS["aws_access_key_id"], DUMMY_CREDENTIALS["aws_secret_access_key"]
    )
    kwargs.setdefault("retry", awskit.RetryPolicy())
    return awskit.aio.connect(
        session=core, region="us-east-1", endpoint_url=url, sleep=sleeps, **kwargs
    )


@pytest.fixture
def aio_connect(moto_endpoint: LocalEndpoint, async_sleeps: AsyncSleeps) -> Connect:
    """``aio_connect()`` is an ``awskit.aio.Session`` on a freshly reset moto server."""
    moto_endpoint.reset()
    return lambda **kwargs: aio_session(moto_endpoint.url, async_sleeps, **kwargs)
