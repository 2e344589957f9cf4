"""S3 object calls ported to awskit.aio (open, delete_many, delete_bucket(empty=True), put
of file objects): one test body driven through the blocking API and through asyncio, where
the behaviour is the same, against moto's server."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
import os
import threading
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

import awskit
import awskit.aio
from tests.aio.conftest import AsyncSleeps, Connect, aio_session, require_aio
from tests.aio.test_aio_dynamo import _items, _maybe
from tests.canned import _RawBody
from tests.conftest import SleepRecorder
from tests.faults import FaultProxy
from tests.test_s3 import Huge, TextPipe, _delete_objects_reply
from tests.test_s3 import Pipe as BlockingPipe

require_aio()

S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


async def _client(aws: Any) -> Any:
    client = aws.s3.client
    return await client() if inspect.ismethod(client) else client


@dataclass
class Api:
    """One of the two APIs: a session on a freshly reset moto, and the sleeps it asked for."""

    name: str
    session: Callable[[], contextlib.AbstractAsyncContextManager[Any]]
    sleeps: list[float]


@pytest.fixture(params=["blocking", "asyncio"])
def api(
    request: pytest.FixtureRequest,
    aws: awskit.Session,
    sleeps: SleepRecorder,
    aio_connect: Connect,
    async_sleeps: AsyncSleeps,
) -> Api:
    if request.param == "blocking":

        @contextlib.asynccontextmanager
        async def blocking() -> AsyncIterator[awskit.Session]:
            yield aws

        return Api("blocking", blocking, sleeps.calls)
    return Api("asyncio", aio_connect, async_sleeps.calls)


def run(body: Callable[[Any], Awaitable[None]], api: Api) -> None:
    async def main() -> None:
        async with api.session() as aws:
            await body(aws)

    asyncio.run(main())


class Ops:
    """The S3 operations a client was about to send, in order."""

    def __init__(self, client: Any) -> None:
        self.ops: list[str] = []
        client.meta.events.register("before-send.s3", self._record)

    def _record(self, event_name: str, **_: Any) -> None:
        self.ops.append(event_name.rsplit(".", 1)[-1])


def moto_s3_backend() -> Any:
    """moto's S3 state, shared with the ThreadedMotoServer running in this process."""
    from moto.s3.models import s3_backends

    return s3_backends["123456789012"]["aws"]


# -- open ----------------------------------------------------------------------------------


async def open_contract(aws: Any) -> None:
    bucket = await _maybe(aws.s3.create_bucket("streams"))
    payload = os.urandom(300_000)
    await _maybe(bucket.put("blob", payload))
    stream = await _maybe(bucket.open("blob"))
    assert stream.readable() and stream.size == len(payload) and len(stream.etag) == 32
    assert stream.key == stream.name == "blob"
    head = await _maybe(stream.read(1000))
    buffer = bytearray(5000)
    n = await _maybe(stream.readinto(buffer))
    rest = await _maybe(stream.read())
    assert len(head) == 1000 and n == 5000
    assert head + bytes(buffer[:n]) + rest == payload
    assert await _maybe(stream.read(10)) == b""
    stream.close()
    assert stream.closed
    with pytest.raises(ValueError, match="closed"):
        await _maybe(stream.read(1))

    await _maybe(bucket.put("lines.txt", "one\ntwo\nthree", metadata={"Author": "Daniel"}))
    stream = await _maybe(bucket.open("lines.txt"))
    assert stream.content_type == "text/plain; charset=utf-8"
    assert stream.metadata == {"author": "Daniel"}  # S3 lower-cases metadata names
    assert stream.last_modified is not None
    assert await _items(stream) == [b"one\n", b"two\n", b"three"]
    stream.close()

    with pytest.raises(awskit.NotFound) as missing:
        await _maybe(bucket.open("gone.txt"))
    assert missing.value.code == "NoSuchKey" and missing.value.operation == "GetObject"
    with pytest.raises(awskit.InvalidInput) as bad:
        bucket.open("")
    assert bad.value.field == "key"


def test_open_streams_the_object_as_a_file(api: Api) -> None:
    run(open_contract, api)


def test_open_in_async_with_reads_lines_of_any_length_and_closes(aio_connect: Connect) -> None:
    long_line = b"x" * 200_000 + b"\n"
    text = long_line + b"short\n" + b"\n" + b"last"

    async def main() -> None:
        async with aio_connect() as aws:
            bucket = await aws.s3.create_bucket("lines")
            await bucket.put("text", text)
            async with bucket.open("text") as f:
                assert await f.readline() == long_line
                assert await f.readline(3) == b"sho"
                assert await f.readline() == b"rt\n"
                assert [line async for line in f] == [b"\n", b"last"]
                assert await f.readline() == b""
            assert f.closed
            with pytest.raises(ValueError, match="closed"):
                await f.readline()
            async with await bucket.open("text") as again:
                assert repr(again) == f"ObjectStream(key='text', size={len(text)})"
                assert await again.read(4) == b"xxxx"
            assert again.closed
            stream = await bucket.open("text")
            await stream.aclose()
            await stream.aclose()  # closing twice is no error
            assert stream.closed
            with pytest.raises(awskit.NotFound):
                async with bucket.open("missing"):
                    pass
            ghost = aws.s3.bucket("no-such-bucket")
            with pytest.raises(awskit.NotFound) as info:
                await ghost.open("k")
            assert info.value.code == "NoSuchBucket"

    asyncio.run(main())


# -- delete_many and delete_bucket ---------------------------------------------------------------


async def delete_many_contract(aws: Any) -> None:
    bucket = await _maybe(aws.s3.create_bucket("bulk"))
    keys = [f"k/{i:05d}" for i in range(1005)]
    # 1,005 PutObjects over HTTP would take seconds: the keys go straight into moto's state.
    store = moto_s3_backend()
    for key in keys:
        store.put_object("bulk", key, key.encode())
    await _maybe(bucket.put("other/x", b"x"))
    ops = Ops(await _client(aws))
    assert await _maybe(bucket.delete_many(iter(keys + keys[:5]))) == 1005  # duplicates once
    assert ops.ops == ["DeleteObjects", "DeleteObjects"]  # 1,000 keys a request
    assert [o.key for o in await _items(bucket.objects())] == ["other/x"]
    assert await _maybe(bucket.delete_many([])) == 0
    sent = len(ops.ops)
    for keys_arg in ("abc", b"abc", ["ok", "x" * 1025], ["ok", ""]):
        with pytest.raises(awskit.InvalidInput) as info:
            await _maybe(bucket.delete_many(keys_arg))
        assert info.value.field == "keys"
    assert len(ops.ops) == sent  # refused before any request


def test_delete_many_deletes_1000_keys_a_request(api: Api) -> None:
    run(delete_many_contract, api)


def answer_deletes(
    client: Any, errors_for: Callable[[list[str]], dict[str, str]]
) -> list[list[str]]:
    """Answer the client's DeleteObjects with ``errors_for(keys)`` (the blocking tests'
    canned reply); returns the batches sent. The client parses it as it would S3's
    answer (aiobotocore awaits its body)."""
    from aiobotocore.awsrequest import AioAWSResponse

    batches: list[list[str]] = []
    answer = _delete_objects_reply(errors_for, batches)

    class Body(io.BytesIO):
        async def read(self, size: int | None = -1) -> bytes:  # type: ignore[override]
            return super().read(size)

    def reply(request: Any, **_: Any) -> Any:
        status, fields, body = answer(request)
        headers = HTTPHeaders()
        for name, value in {"Content-Length": str(len(body)), **fields}.items():
            headers[name] = value
        if type(client).__module__.startswith("aiobotocore"):
            return AioAWSResponse(request.url, status, headers, Body(body))
        return AWSResponse(request.url, status, headers, _RawBody(body))

    client.meta.events.register("before-send.s3.DeleteObjects", reply)
    return batches


def test_delete_many_retries_and_reports_exactly_the_failed_keys(api: Api) -> None:
    async def body(aws: Any) -> None:
        calls = Counter[str]()

        def errors_for(batch: list[str]) -> dict[str, str]:
            out: dict[str, str] = {}
            for k in batch:
                calls[k] += 1
                if k in ("d0003", "d1000"):
                    out[k] = "AccessDenied"  # never retried
                elif k == "d0007" and calls[k] == 1:
                    out[k] = "InternalError"  # retried once, then deleted
                elif k == "d0500" and calls[k] < 3:
                    out[k] = "SlowDown"
            return out

        bucket = aws.s3.bucket("any-bucket")
        batches = answer_deletes(await _client(aws), errors_for)
        keys = [f"d{i:04d}" for i in range(1001)]
        with pytest.raises(awskit.PartialFailure) as info:
            await _maybe(bucket.delete_many(keys))
        err = info.value
        assert err.failed == ["d0003", "d1000"]
        assert "2 of 1001 keys not deleted from any-bucket" in str(err)
        assert "AccessDenied (2)" in str(err) and err.operation == "DeleteObjects"
        assert [len(b) for b in batches[:1]] == [1000]
        assert batches[1:] == [["d0007", "d0500"], ["d0500"], ["d1000"]]
        assert calls["d0003"] == 1

    run(body, api)
    assert len(api.sleeps) == 2


def test_delete_many_gives_up_on_keys_that_stay_retryable(
    moto_endpoint: Any, sleeps: SleepRecorder, async_sleeps: AsyncSleeps
) -> None:
    from tests.conftest import make_session

    async def body(aws: Any) -> None:
        batches = answer_deletes(
            await _client(aws), lambda ks: {k: "SlowDown" for k in ks if k == "b"}
        )
        with pytest.raises(awskit.PartialFailure) as info:
            await _maybe(aws.s3.bucket("any-bucket").delete_many(["a", "b", "c"]))
        assert info.value.failed == ["b"]
        assert "still retryable (1)" in str(info.value)
        assert batches == [["a", "b", "c"], ["b"], ["b"]]

    policy = awskit.RetryPolicy(max_attempts=3, sleep=sleeps, jitter=False)
    asyncio.run(body(make_session(moto_endpoint.url, policy)))

    async def on_asyncio() -> None:
        async with aio_session(moto_endpoint.url, async_sleeps, retry=policy) as aws:
            await body(aws)

    asyncio.run(on_asyncio())
    assert len(sleeps.calls) == len(async_sleeps.calls) == 2


async def delete_bucket_contract(aws: Any) -> None:
    bucket = await _maybe(aws.s3.create_bucket("scratch"))
    for key in ("a", "b/c", "d e"):
        await _maybe(bucket.put(key, key.encode()))
    with pytest.raises(awskit.AwskitError) as full:
        await _maybe(aws.s3.delete_bucket("scratch"))
    assert full.value.code == "BucketNotEmpty"
    assert await _maybe(bucket.exists("a"))  # nothing was deleted
    ops = Ops(await _client(aws))
    assert await _maybe(aws.s3.delete_bucket("scratch", empty=True)) == 3
    assert ops.ops == ["ListObjectVersions", "DeleteObjects", "DeleteBucket"]
    assert "scratch" not in {b.name for b in await _items(aws.s3.buckets())}
    with pytest.raises(awskit.NotFound) as missing:
        await _maybe(aws.s3.delete_bucket("scratch", empty=True))
    assert missing.value.code == "NoSuchBucket"
    await _maybe(aws.s3.create_bucket("empty-one"))
    assert await _maybe(aws.s3.delete_bucket("empty-one")) == 0
    with pytest.raises(awskit.InvalidInput):
        await _maybe(aws.s3.delete_bucket("Bad_Name!", empty=True))


def test_delete_bucket_empties_it_only_when_asked(api: Api) -> None:
    run(delete_bucket_contract, api)


# -- put from file objects -----------------------------------------------------------------


class Pipe(BlockingPipe):
    """The blocking tests' pipe, noting the threads it is read on."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.threads: set[int] = set()

    def read(self, size: int = -1) -> bytes:
        self.threads.add(threading.get_ident())
        return super().read(size)


async def put_file_objects_contract(aws: Any, tmp_path: Path) -> None:
    bucket = await _maybe(aws.s3.create_bucket("files"))
    handle = io.BytesIO(b"skip-this|keep-this")
    handle.seek(10)
    await _maybe(bucket.put("tail", handle))
    path = tmp_path / "report.csv"
    path.write_bytes(b"a,b\n1,2\n")
    with path.open("rb") as f:
        result = await _maybe(
            bucket.put("from-file", f, content_type="text/csv", metadata={"Author": "D"})
        )
    assert result.key == "from-file" and len(result.etag) == 32
    with path.open("rb", buffering=0) as raw:
        await _maybe(bucket.put("raw.csv", raw))
    await _maybe(bucket.put("piped", Pipe(b"through a pipe")))
    await _maybe(bucket.put("image.jpg", io.BytesIO(b"\xff\xd8")))
    assert await _maybe(bucket.get("tail")) == b"keep-this"
    assert await _maybe(bucket.get("from-file")) == b"a,b\n1,2\n"
    assert await _maybe(bucket.get("raw.csv")) == b"a,b\n1,2\n"
    assert await _maybe(bucket.get("piped")) == b"through a pipe"
    client = await _client(aws)
    head = await _maybe(client.head_object(Bucket="files", Key="from-file"))
    assert head["ContentType"] == "text/csv" and head["Metadata"] == {"author": "D"}
    assert head["ContentLength"] == 8
    head = await _maybe(client.head_object(Bucket="files", Key="image.jpg"))
    assert head["ContentType"] == "image/jpeg"

    ops = Ops(client)
    with path.open("r", encoding="utf-8") as text:
        for data in (io.StringIO("text"), TextPipe(), text, 3, object()):
            with pytest.raises(awskit.InvalidInput) as info:
                await _maybe(bucket.put("k", data))
            assert info.value.field == "data"
    assert ops.ops == []


def test_put_accepts_binary_file_objects(api: Api, tmp_path: Path) -> None:
    run(lambda aws: put_file_objects_contract(aws, tmp_path), api)


def test_put_reads_file_objects_in_a_thread_and_checks_their_size_first(
    aio_connect: Connect,
) -> None:
    async def main() -> None:
        async with aio_connect() as aws:
            bucket = await aws.s3.create_bucket("threads")
            pipe = Pipe(b"data")
            await bucket.put("piped", pipe)
            assert pipe.threads and threading.get_ident() not in pipe.threads
            ops = Ops(await aws.s3.client())
            with pytest.raises(awskit.InvalidInput, match="5 GiB") as info:
                await bucket.put("huge", Huge())
            assert info.value.field == "data" and ops.ops == []

    asyncio.run(main())


def test_put_of_a_file_read_from_the_middle_survives_a_retry(
    fault_proxy: FaultProxy, async_sleeps: AsyncSleeps
) -> None:
    async def main() -> bytes:
        async with aio_session(fault_proxy.url, async_sleeps) as aws:
            bucket = await aws.s3.create_bucket("retried-put")
            handle = io.BytesIO(b"0123456789" + b"the part after the header")
            handle.seek(10)
            fault_proxy.add("5xx", service="s3", operation="PutObject", times=1)
            await bucket.put("tail", handle)
            return await bucket.get("tail")

    assert asyncio.run(main()) == b"the part after the header"
    assert fault_proxy.injected["5xx"] == 1
    assert fault_proxy.requests.count(("s3", "PutObject")) == 2


# -- failures ------------------------------------------------------------------------------

NEW_CALLS: dict[str, Callable[[Any], Awaitable[Any]]] = {
    "open": lambda b: b.open("k"),
    "open_with": lambda b: _enter(b.open("k")),
    "delete_many": lambda b: b.delete_many(["k", "j"]),
    "delete_bucket": lambda b: b._s3.delete_bucket(b.name, empty=True),
    "put_file": lambda b: b.put("k", io.BytesIO(b"data")),
}


async def _enter(opener: Any) -> None:
    async with opener:
        pass


@pytest.mark.parametrize("call", sorted(NEW_CALLS))
def test_a_missing_bucket_is_not_found(aio_connect: Connect, call: str) -> None:
    async def main() -> None:
        async with aio_connect() as aws:
            with pytest.raises(awskit.NotFound) as info:
                await NEW_CALLS[call](aws.s3.bucket("absent-bucket"))
            assert info.value.code == "NoSuchBucket"

    asyncio.run(main())


@pytest.mark.parametrize("kind", ["drop", "drop_after"])
@pytest.mark.parametrize("call", sorted(NEW_CALLS))
def test_a_dropped_connection_is_a_transport_error(
    fault_proxy: FaultProxy, async_sleeps: AsyncSleeps, call: str, kind: str
) -> None:
    from aiobotocore.config import AioConfig

    async def main() -> None:
        # One attempt of botocore's and one of awskit's: the drop outlives every retry.
        async with aio_session(
            fault_proxy.url,
            async_sleeps,
            retry=awskit.RetryPolicy(max_attempts=1),
            config=AioConfig(retries={"mode": "standard", "total_max_attempts": 1}),
        ) as aws:
            bucket = await aws.s3.create_bucket("dropping")
            await bucket.put("k", b"data")
            fault_proxy.add(kind, service="s3")
            with pytest.raises(awskit.AwskitError) as info:
                await NEW_CALLS[call](bucket)
            error = info.value
            if isinstance(error, awskit.PartialFailure):
                # A batch reports what was not deleted; the dropped connection is why.
                assert call in ("delete_many", "delete_bucket")
                assert error.failed == ["k", "j"][: len(error.failed)] and error.failed
                assert isinstance(error.last_error, awskit.TransportError)
            else:
                assert isinstance(error, awskit.TransportError), error
                assert error.operation is not None

    asyncio.run(main())
    assert fault_proxy.injected[kind] >= 1
