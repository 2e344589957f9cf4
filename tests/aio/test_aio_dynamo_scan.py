"""awskit.aio DynamoDB parallel scan: one contract driven through both APIs; on asyncio,
segments run as tasks (at most max_concurrency), a slow reader holds them back, and they
are cancelled when the reader stops, fails or drops the iterator."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from pydantic import BaseModel

import awskit
import awskit.aio
from awskit.dynamo import Attr
from awskit.dynamo.scan import SegmentPlan, check_resume, check_segments, scan_workers
from tests.aio.conftest import AsyncSleeps, Connect, aio_session, require_aio
from tests.aio.test_aio_dynamo import _items, _maybe
from tests.conftest import SleepRecorder
from tests.faults import FaultProxy

require_aio()


async def _client(aws: Any) -> Any:
    client = aws.dynamo.client
    return await client() if inspect.ismethod(client) else client


class Scans:
    """Scan requests a client sends: how many, which segments, and how many at once."""

    def __init__(self, client: Any) -> None:
        self.sent = 0
        self.segments: set[tuple[int, int]] = set()
        self.in_flight = 0
        self.most = 0
        client.meta.events.register("before-send.dynamodb.Scan", self._send)
        client.meta.events.register("after-call.dynamodb.Scan", self._done)
        client.meta.events.register("after-call-error.dynamodb.Scan", self._done)

    def _send(self, request: Any, **_: Any) -> None:
        import json

        body = json.loads(request.body)
        if "Segment" in body:
            self.segments.add((body["Segment"], body["TotalSegments"]))
        self.sent += 1
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)

    def _done(self, **_: Any) -> None:
        self.in_flight -= 1


@contextlib.asynccontextmanager
async def _as_is(value: Any) -> AsyncIterator[Any]:
    yield value


@pytest.fixture(params=["blocking", "asyncio"])
def session(
    request: pytest.FixtureRequest, aws: awskit.Session, aio_connect: Connect
) -> Callable[[], contextlib.AbstractAsyncContextManager[Any]]:
    if request.param == "blocking":
        return lambda: _as_is(aws)
    return aio_connect


async def fill(aws: Any, name: str = "numbers") -> Any:
    table = await _maybe(
        aws.dynamo.create_table(name, hash_key="group", range_key="n", key_types={"n": "N"})
    )
    writer = table.batch_writer()
    if hasattr(writer, "__aenter__"):
        async with writer as batch:
            for n in range(50):
                await batch.put({"group": "g", "n": n, "even": n % 2 == 0})
            for n in range(10):
                await batch.put({"group": "h", "n": n, "even": n % 2 == 0})
    else:
        with writer as batch:
            for n in range(50):
                batch.put({"group": "g", "n": n, "even": n % 2 == 0})
            for n in range(10):
                batch.put({"group": "h", "n": n, "even": n % 2 == 0})
    return table


async def parallel_scan_contract(aws: Any) -> None:
    numbers = await fill(aws)
    scans = Scans(await _client(aws))
    serial = sorted((i["group"], i["n"]) for i in await _items(numbers.scan()))
    assert len(serial) == 60
    listing = numbers.scan(segments=4, page_size=5)
    parallel = sorted((i["group"], i["n"]) for i in await _items(listing))
    assert parallel == serial  # every item once
    assert listing.next_token is None
    assert scans.segments == {(s, 4) for s in range(4)} and scans.sent > 4 + 1
    filtered = numbers.scan(Attr("even").eq(False), segments=3)
    assert sorted(i["n"] for i in await _items(filtered) if i["group"] == "g") == list(
        range(1, 50, 2)
    )
    assert len(await _items(numbers.scan(segments=5, limit=7, page_size=2))) == 7
    assert len(await _items(numbers.scan(segments=60, limit=0))) == 0
    projected = await _items(numbers.scan(segments=2, projection=["n"]))
    assert sorted(i["n"] for i in projected if set(i) == {"n"}) == sorted(n for _, n in serial)
    sent = scans.sent
    for kwargs in (
        {"segments": 2, "start_key": {"group": "g", "n": 1}},
        {"segments": 0},
        {"segments": 1_000_001},
        {"segments": "4"},
        {"segments": 2, "limit": -1},
    ):
        with pytest.raises(awskit.InvalidInput) as info:
            await _items(numbers.scan(**kwargs))
        assert info.value.field in kwargs
    with pytest.raises(awskit.InvalidInput, match="has no index 'nope'") as info:
        await _items(numbers.scan(segments=2, index="nope"))
    assert info.value.field == "index"
    assert scans.sent == sent  # refused before any request
    absent = aws.dynamo.table("absent")
    with pytest.raises(awskit.NotFound):
        await _items(absent.scan(segments=3))


def test_parallel_scan_reads_every_segment_whole(session: Any) -> None:
    async def main() -> None:
        async with session() as aws:
            await parallel_scan_contract(aws)

    asyncio.run(main())


def test_segments_run_as_tasks_bounded_by_max_concurrency(aio_connect: Connect) -> None:
    async def main() -> None:
        for limit, segments, most in ((2, 6, 2), (8, 3, 3)):
            async with aio_connect(max_concurrency=limit) as aws:
                numbers = await fill(aws, f"numbers-{limit}")
                scans = Scans(await aws.dynamo.client())
                items = [i async for i in numbers.scan(segments=segments, page_size=4)]
                assert len(items) == 60
                assert scans.segments == {(s, segments) for s in range(segments)}
                # The tasks send at once, never more than max_concurrency.
                assert scans.most == most, (limit, segments)

    asyncio.run(main())


async def _settle(scans: Scans) -> None:
    """Let the tasks run until they send nothing more (they wait for the reader)."""
    still = 0
    last = -1
    for _ in range(500):
        await asyncio.sleep(0.01)
        still = still + 1 if scans.sent == last and scans.in_flight == 0 else 0
        last = scans.sent
        if still >= 20:
            return


def _others() -> set[asyncio.Task[Any]]:
    return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]


async def _ended() -> None:
    """Every other task ends by itself (a guard, not a timing: 10 s). With 60 pages and
    room for 12, some task was blocked on the queue: it can only have been cancelled."""
    others = _others()
    if others:
        _, pending = await asyncio.wait(others, timeout=10)
        assert not pending, pending
        assert any(task.cancelled() for task in others)


def test_a_slow_reader_holds_the_tasks_back_and_stopping_cancels_them(
    aio_connect: Connect,
) -> None:
    async def main() -> None:
        async with aio_connect(max_concurrency=4) as aws:
            numbers = await fill(aws)
            scans = Scans(await aws.dynamo.client())
            listing = numbers.scan(segments=4, page_size=1)  # 60 pages and more
            first = await listing.__anext__()
            assert first["group"] in ("g", "h")
            await _settle(scans)
            # At most 2 x 4 pages wait in the queue, 4 more in the hands of the blocked
            # tasks, and the one being read: not the 60 pages of the table.
            assert 4 <= scans.sent <= 8 + 4 + 1
            await listing.aclose()
            await _ended()
            sent = scans.sent
            await _settle(scans)
            assert scans.sent == sent

            # The limit reached: the tasks are cancelled too.
            assert len([i async for i in numbers.scan(segments=4, page_size=1, limit=3)]) == 3
            await _ended()

            # A loop left with break drops the iterator: its tasks are cancelled.
            async for _ in numbers.scan(segments=4, page_size=1):
                break
            await _ended()

            # A dropped iterator cancels its tasks when it is collected.
            dropped = numbers.scan(segments=4, page_size=1)
            await dropped.__anext__()
            assert _others()
            del dropped
            gc.collect()
            for _ in range(3):
                await _ended()

            # A reader cancelled mid-scan, in contextlib.aclosing: the tasks go with it.
            async def read_all() -> None:
                scan = numbers.scan(segments=4, page_size=1)
                async with contextlib.aclosing(scan) as waiting:
                    async for _ in waiting:
                        await asyncio.sleep(3600)

            reader = asyncio.create_task(read_all())
            await _settle(scans)
            assert len(_others()) >= 2  # the reader and the tasks still scanning
            reader.cancel()
            with pytest.raises(asyncio.CancelledError):
                await reader
            await _ended()

    asyncio.run(main())


def test_a_failed_segment_is_raised_and_ends_the_scan(
    fault_proxy: FaultProxy, async_sleeps: AsyncSleeps
) -> None:
    from aiobotocore.config import AioConfig

    async def main() -> None:
        async with aio_session(fault_proxy.url, async_sleeps) as aws:
            numbers = await fill(aws)
            # Throttled pages are retried by the one rule: every item still comes, once.
            fault_proxy.add("throttle", service="dynamodb", operation="Scan", times=3)
            items = [i async for i in numbers.scan(segments=4, page_size=7)]
            assert sorted((i["group"], i["n"]) for i in items) == sorted(
                [("g", n) for n in range(50)] + [("h", n) for n in range(10)]
            )
            assert fault_proxy.injected["throttle"] == 3
        async with aio_session(
            fault_proxy.url,
            async_sleeps,
            retry=awskit.RetryPolicy(max_attempts=1),
            config=AioConfig(retries={"mode": "standard", "total_max_attempts": 1}),
        ) as aws:
            numbers = aws.dynamo.table("numbers")
            await numbers.describe()
            fault_proxy.add("5xx", service="dynamodb", operation="Scan", times=1)
            with pytest.raises(awskit.AwskitError) as info:
                _ = [i async for i in numbers.scan(segments=4, page_size=1)]
            assert not isinstance(info.value, awskit.InvalidInput)
            assert info.value.operation == "Scan"
            await _ended()

    asyncio.run(main())


# -- the plan both scans share ----------------------------------------------------------------


def test_the_plan_hands_out_every_segment_once_with_its_requests() -> None:
    plan = SegmentPlan({"TableName": "t", "Limit": 5}, segments=3, workers=2)
    assert plan.buffer == 4
    assert [plan.next_segment() for _ in range(4)] == [0, 1, 2, None]
    assert plan.page_request(1, None) == {
        "TableName": "t", "Limit": 5, "Segment": 1, "TotalSegments": 3
    }  # fmt: skip
    assert plan.page_request(2, {"k": {"S": "x"}})["ExclusiveStartKey"] == {"k": {"S": "x"}}
    assert plan.last_key({"Items": []}) is None
    page = plan.page([{"n": {"N": "1"}}], lambda item: item["n"]["N"])
    assert list(page.items) == ["1"] and page.next_token is not None
    assert SegmentPlan.end().next_token is None and not SegmentPlan.end().items
    assert scan_workers(100, 16) == 16 and scan_workers(3, 16) == 3
    assert check_segments(1_000_000) == 1_000_000
    for bad in (0, -1, 1_000_001, 2.0, "2"):
        with pytest.raises(awskit.InvalidInput):
            check_segments(bad)
    check_resume(1, {"k": 1})
    with pytest.raises(awskit.InvalidInput):
        check_resume(2, {"k": 1})


class Row(BaseModel):
    group: str
    n: int
    even: bool


def test_model_items_come_typed_from_every_segment(
    aio_connect: Connect, aws: awskit.Session, sleeps: SleepRecorder
) -> None:
    async def main() -> list[Row]:
        async with aio_connect() as aio:
            await fill(aio)
            table = aio.dynamo.table("numbers", model=Row)
            return [row async for row in table.scan(Attr("group").eq("h"), segments=3)]

    rows = asyncio.run(main())
    assert sorted(r.n for r in rows) == list(range(10))
    assert all(isinstance(r, Row) for r in rows)


@pytest.mark.parametrize("kind", ["drop", "drop_after"])
def test_a_dropped_connection_is_a_transport_error(
    fault_proxy: FaultProxy, async_sleeps: AsyncSleeps, kind: str
) -> None:
    from aiobotocore.config import AioConfig

    async def main() -> None:
        async with aio_session(
            fault_proxy.url,
            async_sleeps,
            retry=awskit.RetryPolicy(max_attempts=1),
            config=AioConfig(retries={"mode": "standard", "total_max_attempts": 1}),
        ) as aws:
            numbers = await fill(aws)
            fault_proxy.add(kind, service="dynamodb", operation="Scan")
            with pytest.raises(awskit.TransportError) as info:
                _ = [i async for i in numbers.scan(segments=4, page_size=1)]
            assert info.value.operation == "Scan"
            await _ended()

    asyncio.run(main())
    assert fault_proxy.injected[kind] >= 1
