"""The aioboto3 side of ``bench/aio.py``, run by the python of a venv of its own.

aioboto3 pins an aiobotocore older than the one awskit's ``aio`` extra needs, so the two
cannot share a venv: ``bench/aio.py`` starts this script with the python named by
``AWSKIT_BENCH_AIOBOTO3_PYTHON`` (``.venv-aioboto3/bin/python`` by default, made by
``make bench-aio``) and sends it one JSON command a line on stdin; each answer is one
JSON line on stdout. It imports aioboto3 (and the aiobotocore/botocore it installs) and the
standard library only: nothing of awskit or of the tests.

Commands:

* ``{"op": "open", "url": ..., "table": ..., "pool": N}``: an aioboto3 resource on ``url``;
  answers the versions of aioboto3 and aiobotocore.
* ``{"op": "gets", "keys": [...], "concurrency": N}``: ``Table.get_item`` of every key,
  at most N at once (``asyncio.gather`` under a semaphore); answers the seconds it took,
  the CPU seconds this process used meanwhile and how many items came back.
* ``{"op": "canned", "replies": {"Query": [status, headers, body], ...}}``: a second
  resource whose calls are answered at botocore's ``before-send`` hook, never sent.
* ``{"op": "query", "loops": N}``: N ``Table.query`` calls of one page on that resource;
  answers the seconds per call and the items of the last page.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import sys
import time
from importlib.metadata import version as _version
from typing import Any

import aioboto3
from aiobotocore.awsrequest import AioAWSResponse
from aiobotocore.config import AioConfig
from boto3.dynamodb.conditions import Key
from botocore.compat import HTTPHeaders

# moto's dummy credentials (awskit._local.DUMMY_CREDENTIALS): nothing here can reach AWS.
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class _AsyncRaw(io.BytesIO):
    """The ``raw`` aiobotocore reads a canned body from: an awaited ``read()``."""

    async def read(self, amt: int | None = -1) -> bytes:  # type: ignore[override]
        return super().read(amt)


class Peer:
    def __init__(self) -> None:
        self.stack = contextlib.AsyncExitStack()
        self.session = aioboto3.Session(region_name="us-east-1", **CREDENTIALS)
        self.table: Any = None
        self.canned_table: Any = None

    async def open(self, url: str, table: str, pool: int) -> dict[str, Any]:
        resource = await self.stack.enter_async_context(
            self.session.resource(
                "dynamodb", endpoint_url=url, config=AioConfig(max_pool_connections=pool)
            )
        )
        self.table = await resource.Table(table)
        versions = (f"{name} {_version(name)}" for name in ("aioboto3", "aiobotocore"))
        return {"version": ", ".join(versions)}

    async def gets(self, keys: list[dict[str, Any]], concurrency: int) -> dict[str, Any]:
        gate = asyncio.Semaphore(concurrency)

        async def get(key: dict[str, Any]) -> bool:
            async with gate:
                return "Item" in await self.table.get_item(Key=key)

        start, cpu = time.perf_counter(), time.process_time()
        found = await asyncio.gather(*(get(key) for key in keys))
        return {
            "seconds": time.perf_counter() - start,
            "cpu": time.process_time() - cpu,
            "found": sum(found),
        }

    async def canned(self, replies: dict[str, list[Any]]) -> dict[str, Any]:
        resource = await self.stack.enter_async_context(
            self.session.resource("dynamodb", endpoint_url="http://canned.invalid")
        )

        def reply(request: Any, event_name: str, **_: Any) -> Any:
            answer = replies.get(event_name.rsplit(".", 1)[-1])
            if answer is None:
                return None
            status, headers, body = answer
            payload = body.encode()
            http_headers = HTTPHeaders()
            for name, value in {"Content-Length": str(len(payload)), **headers}.items():
                http_headers[name] = value
            return AioAWSResponse(request.url, status, http_headers, _AsyncRaw(payload))

        resource.meta.client.meta.events.register("before-send.dynamodb", reply)
        self.canned_table = await resource.Table("users")
        return {}

    async def query(self, loops: int) -> dict[str, Any]:
        items: list[Any] = []
        start = time.perf_counter()
        for _ in range(loops):
            page = await self.canned_table.query(
                KeyConditionExpression=Key("username").eq("user00001")
            )
            items = page["Items"]
        return {"seconds": (time.perf_counter() - start) / loops, "items": len(items)}


def main() -> None:
    loop = asyncio.new_event_loop()
    peer = Peer()
    try:
        for line in sys.stdin:
            command = json.loads(line)
            op = command.pop("op")
            answer = loop.run_until_complete(getattr(peer, op)(**command))
            print(json.dumps(answer), flush=True)
    finally:
        loop.run_until_complete(peer.stack.aclose())
        loop.close()


if __name__ == "__main__":
    main()
