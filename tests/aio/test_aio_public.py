"""awskit.aio's names report their public module, as the blocking API's do."""

from __future__ import annotations

import pickle

from tests.aio.conftest import require_aio

require_aio()

import awskit.aio  # noqa: E402


def test_session_connect_and_local_report_awskit_aio() -> None:
    for obj in (awskit.aio.Session, awskit.aio.connect, awskit.aio.local):
        assert obj.__module__ == "awskit.aio"
        assert getattr(awskit.aio, obj.__qualname__) is obj
    assert pickle.loads(pickle.dumps(awskit.aio.connect)) is awskit.aio.connect
