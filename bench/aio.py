"""asyncio: awskit.aio against aioboto3 and aiodynamo, side by side in one run.

* Throughput: 1000 concurrent ``get``s of existing items (at most 100 in flight, an
  ``asyncio.Semaphore`` around ``asyncio.gather``; a 100-connection pool on every client)
  through tests/faults.py's proxy adding 15 ms to every request, in front of moto (both in
  a child process, as bench/dynamo.py does). awskit.aio's ``Table.get`` into a pydantic
  model, aioboto3's resource ``Table.get_item`` and aiodynamo's ``Table.get_item`` (its
  aiohttp adapter), both returning dicts.
* Client CPU: one 100-item ``Query`` page (the 30-attribute model of bench/dynamo_codec.py)
  answered by canned responses at botocore's ``before-send`` hook: awskit.aio's
  ``Table.query`` into models against aioboto3's resource ``Table.query`` (dicts).

aioboto3 pins an aiobotocore older than awskit's ``aio`` extra allows, so it cannot share
this venv: its side runs in a child process of its own venv (bench/_aioboto3_peer.py, the
python of ``AWSKIT_BENCH_AIOBOTO3_PYTHON``, by default ``.venv-aioboto3/bin/python``),
against the same endpoint, its runs interleaved with the others. ``make bench-aio`` makes
both venvs and runs this.

Run: ``python -m bench --only aio`` (or ``python -m bench.aio [--quick]``).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from importlib.metadata import version as _version
from pathlib import Path
from typing import Any

import awskit
import awskit.aio
from awskit._local import DUMMY_CREDENTIALS
from bench._common import ROOT, dummy_session, servers
from bench.dynamo import User, _users
from bench.dynamo_codec import PAGE, _wire_item, make_user
from bench.dynamo_codec import User as WideUser
from tests.canned import dynamodb_json

LATENCY = 0.015
GETS = 1000
CONCURRENCY = 100
REGION = "us-east-1"
PEER_SCRIPT = Path(__file__).resolve().parent / "_aioboto3_peer.py"


def _peer_python() -> str:
    python = os.environ.get("AWSKIT_BENCH_AIOBOTO3_PYTHON") or str(
        ROOT / ".venv-aioboto3" / "bin" / "python"
    )
    if not Path(python).exists():
        raise RuntimeError(
            f"no python for the aioboto3 peer at {python}: run `make bench-aio`, or set "
            "AWSKIT_BENCH_AIOBOTO3_PYTHON to a python with aioboto3 installed"
        )
    return python


def _needs() -> None:
    """Fail at once, naming the fix, in a venv without the aio extra or aiodynamo."""
    try:
        import aiobotocore  # noqa: F401
        import aiodynamo  # noqa: F401
    except ImportError as exc:
        raise RuntimeError(
            f"{exc.name} is not installed here: run `make bench-aio` (awskit[aio] and "
            "aiodynamo[aiohttp] in .venv-aio, aioboto3 in .venv-aioboto3)"
        ) from exc


class Aioboto3Peer:
    """bench/_aioboto3_peer.py in its own venv, one JSON command and answer a line."""

    def __init__(self) -> None:
        self._child = subprocess.Popen(
            [_peer_python(), str(PEER_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def call(self, op: str, **args: Any) -> dict[str, Any]:
        assert self._child.stdin is not None and self._child.stdout is not None
        self._child.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self._child.stdin.flush()
        line = self._child.stdout.readline()
        if not line:
            raise RuntimeError(f"the aioboto3 peer exited (status {self._child.wait()})")
        return json.loads(line)  # type: ignore[no-any-return]

    def close(self) -> None:
        if self._child.stdin is not None:
            self._child.stdin.close()
        self._child.wait(timeout=30)
        if self._child.stdout is not None:
            self._child.stdout.close()


def _aio_session() -> Any:
    """An aiobotocore session with moto's dummy credentials: nothing here can reach AWS."""
    from aiobotocore.session import AioSession

    session = AioSession()
    session.set_credentials(
        DUMMY_CREDENTIALS["aws_access_key_id"], DUMMY_CREDENTIALS["aws_secret_access_key"]
    )
    return session


# -- throughput ------------------------------------------------------------------------------


async def _bounded(get: Callable[[Any], Awaitable[Any]], keys: list[Any]) -> list[Any]:
    """``get`` of every key, all started at once, at most CONCURRENCY of them in flight."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(key: Any) -> Any:
        async with gate:
            return await get(key)

    return await asyncio.gather(*(one(key) for key in keys))


def _seed(upstream: str, users: list[User]) -> None:
    """The table and its items, written straight to moto (no latency): not timed."""
    aws = awskit.connect(session=dummy_session(), endpoint_url=upstream)
    table = aws.dynamo.create_table("users", User, hash_key="username", range_key="last_name")
    with table.batch_writer() as batch:
        for user in users:
            batch.put(user)


def _throughput(runs: int) -> list[dict[str, object]]:
    import aiohttp
    from aiodynamo.client import Client
    from aiodynamo.credentials import Key as DynamoKey
    from aiodynamo.credentials import StaticCredentials
    from aiodynamo.http.aiohttp import AIOHTTP
    from yarl import URL

    users = _users(GETS)
    keys = [{"username": u.username, "last_name": u.last_name} for u in users]
    loop = asyncio.new_event_loop()
    peer = Aioboto3Peer()
    with servers(LATENCY, "moto") as (upstream, url):
        _seed(upstream, users)
        # max_concurrency sizes the pool (100 + 4): the same 100 connections as the others.
        aws = awskit.aio.connect(
            session=_aio_session(), region=REGION, endpoint_url=url, max_concurrency=CONCURRENCY
        )
        table = aws.dynamo.table("users", model=User)
        # aiohttp's connector allows 100 connections by default: aiodynamo's pool.
        http = loop.run_until_complete(_aiohttp_session(aiohttp))
        aiodynamo_table = Client(
            AIOHTTP(http),
            StaticCredentials(
                DynamoKey(
                    DUMMY_CREDENTIALS["aws_access_key_id"],
                    DUMMY_CREDENTIALS["aws_secret_access_key"],
                )
            ),
            REGION,
            endpoint=URL(url),
        ).table("users")
        peer_version = peer.call("open", url=url, table="users", pool=CONCURRENCY)["version"]

        def gets(get: Callable[[Any], Awaitable[Any]]) -> tuple[float, float, Any]:
            """Wall and CPU seconds of every get (the server runs in another process)."""
            start, cpu = time.perf_counter(), time.process_time()
            got = loop.run_until_complete(_bounded(get, keys))
            return time.perf_counter() - start, time.process_time() - cpu, got

        def ours() -> tuple[float, float]:
            seconds, cpu, got = gets(table.get)
            if got != users:
                raise RuntimeError("awskit.aio did not read back every item")
            return seconds, cpu

        def aiodynamo() -> tuple[float, float]:
            seconds, cpu, got = gets(aiodynamo_table.get_item)
            if len(got) != GETS:
                raise RuntimeError("aiodynamo did not read back every item")
            return seconds, cpu

        def aioboto3() -> tuple[float, float]:
            answer = peer.call("gets", keys=keys, concurrency=CONCURRENCY)
            if answer["found"] != GETS:
                raise RuntimeError(f"aioboto3 read back {answer['found']} of {GETS} items")
            return float(answer["seconds"]), float(answer["cpu"])

        try:
            # One warm-up each (connections opened, key schema learnt), then in turn.
            sides = [ours, aioboto3, aiodynamo]
            for side in sides:
                side()
            times: list[list[float]] = [[] for _ in sides]
            cpus: list[list[float]] = [[] for _ in sides]
            for _ in range(runs):
                for side, seconds, cpu in zip(sides, times, cpus, strict=True):
                    wall, used = side()
                    seconds.append(wall)
                    cpu.append(used)
            ours_s, aioboto3_s, aiodynamo_s = (statistics.median(t) for t in times)
            ours_cpu, aioboto3_cpu, aiodynamo_cpu = (statistics.median(c) for c in cpus)
        finally:
            loop.run_until_complete(http.close())
            loop.run_until_complete(aws.close())
            peer.close()
            loop.close()
    note = (
        f"{CONCURRENCY} in flight (semaphore), {CONCURRENCY}-connection pools; median of "
        f"{runs}, in turn; awskit `Table.get` into a model, peers dicts; {{extra}}"
    )
    operation = f"{GETS} concurrent gets, {LATENCY * 1000:.0f} ms per request"
    return [
        {
            "operation": operation,
            "peer": "aioboto3 resource `Table.get_item`",
            "peer_s": aioboto3_s,
            "awskit_s": ours_s,
            "note": note.format(
                extra=f"{peer_version} in a child process from its own venv (it pins an "
                "older aiobotocore than awskit's), same endpoint; target <= 1.0x"
            ),
        },
        {
            "operation": operation,
            "peer": "aiodynamo `Table.get_item` (aiohttp)",
            "peer_s": aiodynamo_s,
            "awskit_s": ours_s,
            "note": note.format(
                extra=f"aiodynamo {_version('aiodynamo')}; target >= 90% of aiodynamo's "
                "throughput (<= 1.11x)"
            ),
        },
        {
            "operation": f"client CPU of those {GETS} gets",
            "peer": "aioboto3 resource `Table.get_item`",
            "peer_s": aioboto3_cpu,
            "awskit_s": ours_cpu,
            "note": "CPU seconds of the client's process during a run (median). The server "
            "(moto behind the proxy, ~3 ms of CPU a request) is the bottleneck above, not the "
            "15 ms (100 in flight would allow 0.15 s): on 2 shared cores, client CPU is what "
            "separates the clients",
        },
        {
            "operation": f"client CPU of those {GETS} gets",
            "peer": "aiodynamo `Table.get_item` (aiohttp)",
            "peer_s": aiodynamo_cpu,
            "awskit_s": ours_cpu,
            "note": "as above",
        },
    ]


async def _aiohttp_session(aiohttp: Any) -> Any:
    return aiohttp.ClientSession()


# -- client CPU of one query page ------------------------------------------------------------


def _query_cpu(loops: int, repeats: int) -> list[dict[str, object]]:
    from aiobotocore.awsrequest import AioAWSResponse
    from boto3.dynamodb.conditions import Key
    from botocore.compat import HTTPHeaders

    page = [_wire_item(make_user(n)) for n in range(PAGE)]
    query_reply = dynamodb_json({"Items": page, "Count": PAGE, "ScannedCount": PAGE})
    describe_reply = dynamodb_json(
        {
            "Table": {
                "TableName": "users",
                "TableStatus": "ACTIVE",
                "KeySchema": [
                    {"AttributeName": "username", "KeyType": "HASH"},
                    {"AttributeName": "last_name", "KeyType": "RANGE"},
                ],
                "AttributeDefinitions": [
                    {"AttributeName": "username", "AttributeType": "S"},
                    {"AttributeName": "last_name", "AttributeType": "S"},
                ],
            }
        }
    )
    replies = {"Query": query_reply, "DescribeTable": describe_reply}

    class Raw(io.BytesIO):
        async def read(self, amt: int | None = -1) -> bytes:  # type: ignore[override]
            return super().read(amt)

    def reply(request: Any, event_name: str, **_: Any) -> Any:
        answer = replies.get(event_name.rsplit(".", 1)[-1])
        if answer is None:
            return None
        status, headers, body = answer
        http_headers = HTTPHeaders()
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            http_headers[name] = value
        return AioAWSResponse(request.url, status, http_headers, Raw(body))

    loop = asyncio.new_event_loop()
    peer = Aioboto3Peer()
    aws = awskit.aio.connect(
        session=_aio_session(), region=REGION, endpoint_url="http://canned.invalid"
    )
    try:
        client = loop.run_until_complete(aws.dynamo.client())
        client.meta.events.register("before-send.dynamodb", reply)
        table = aws.dynamo.table("users", model=WideUser)

        async def query(n: int) -> list[WideUser]:
            models: list[WideUser] = []
            for _ in range(n):
                models = [m async for m in table.query(Key("username").eq("user00001"))]
            return models

        if loop.run_until_complete(query(1)) != [make_user(n) for n in range(PAGE)]:
            raise RuntimeError("awskit.aio did not decode the canned page")
        canned = {op: [s, h, b.decode()] for op, (s, h, b) in replies.items()}
        peer.call("canned", replies=canned)
        if peer.call("query", loops=1)["items"] != PAGE:
            raise RuntimeError("aioboto3 did not read the canned page")
        # Best of interleaved timed loops, as bench._common.best_pair: the least disturbed
        # loop of each side on a shared machine; aioboto3 times its loop in its process.
        best_ours = best_peer = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            loop.run_until_complete(query(loops))
            best_ours = min(best_ours, (time.perf_counter() - start) / loops)
            best_peer = min(best_peer, float(peer.call("query", loops=loops)["seconds"]))
    finally:
        loop.run_until_complete(aws.close())
        peer.close()
        loop.close()
    size_kb = len(query_reply[2]) / 1024
    return [
        {
            "operation": f"query page of {PAGE} items ({size_kb:.0f} KB) into models, asyncio",
            "peer": "aioboto3 resource `Table.query` (dicts)",
            "peer_s": best_peer,
            "awskit_s": best_ours,
            "note": f"canned at before-send; awskit.aio `Table.query` into pydantic (30 attrs); "
            f"per page, best of {repeats} interleaved loops of {loops}; aioboto3 in a child "
            "process from its own venv; target <= 0.5x",
        }
    ]


def run(quick: bool = False) -> list[dict[str, object]]:
    _needs()
    rows = _throughput(1 if quick else 5)
    rows += _query_cpu(3 if quick else 8, 3 if quick else 7)
    for row in rows:
        peer_s, awskit_s = float(str(row["peer_s"])), float(str(row["awskit_s"]))
        print(
            f"{row['operation']:<55} vs {row['peer']:<40} peer {peer_s * 1e3:9.2f} ms  "
            f"awskit {awskit_s * 1e3:9.2f} ms  {awskit_s / peer_s:5.2f}x"
        )
    return rows


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
