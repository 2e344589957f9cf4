"""awskit.aio's process() held to the blocking consumer's rules (tests/test_sqs_process.py):
a FIFO failure stops the rest of its group for that receive, a handled message whose delete
failed is counted ``undeleted``, an error no wait mends ends the run once the messages in
hand are done."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.compat import HTTPHeaders

import awskit
import awskit.aio
import awskit.aio.sqs
from awskit.sqs import ProcessStats
from tests.aio.conftest import AsyncSleeps, Connect, aio_session, require_aio
from tests.canned import CannedReply, sqs_json
from tests.faults import FaultProxy
from tests.test_sqs_process import FIFO_URL, URL, StrictFifo, error, raw_message

require_aio()


class _AsyncRaw(io.BytesIO):
    """The ``raw`` aiobotocore reads a response body from: an awaited ``read()``."""

    async def read(self, amt: int | None = -1) -> bytes:  # type: ignore[override]
        return super().read(amt)


def aio_canned(
    client: Any, responses: dict[str, Callable[[AWSPreparedRequest], CannedReply] | CannedReply]
) -> Callable[[], None]:
    """tests.canned.canned for an aiobotocore client: the same replies, read by awaiting."""
    from aiobotocore.awsrequest import AioAWSResponse

    event = f"before-send.{client.meta.service_model.service_id.hyphenize()}"

    def reply(request: AWSPreparedRequest, event_name: str, **_: Any) -> Any:
        answer = responses.get(event_name.rsplit(".", 1)[-1])
        if answer is None:
            return None
        status, headers, body = answer if isinstance(answer, tuple) else answer(request)
        http_headers = HTTPHeaders()
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            http_headers[name] = value
        return AioAWSResponse(request.url, status, http_headers, _AsyncRaw(body))

    client.meta.events.register(event, reply)
    return lambda: client.meta.events.unregister(event, reply)


def test_fifo_failure_stops_the_rest_of_its_group_which_comes_back_in_order(
    aio_connect: Connect,
) -> None:
    double = StrictFifo([("a0", "a"), ("a1", "a"), ("b0", "b"), ("a2", "a"), ("a3", "a"),
                         ("a4", "a"), ("b1", "b"), ("b2", "b")])  # fmt: skip
    handled: list[str] = []
    fail_once = {"a1", "b1"}

    async def handler(msg: awskit.aio.sqs.Message[str]) -> None:
        handled.append(msg.raw_body)
        # Other groups' handlers run meanwhile: order holds within a group only.
        await asyncio.sleep(0)
        if msg.raw_body in fail_once:
            fail_once.discard(msg.raw_body)
            raise RuntimeError("not yet")

    run: dict[str, Any] = dict(handler=handler, concurrency=10, wait_seconds=0,
                               stop_when_empty=True, visibility_timeout=30)  # fmt: skip

    async def main() -> tuple[ProcessStats, ProcessStats]:
        async with aio_connect() as aws:
            queue: awskit.aio.sqs.Queue[str] = awskit.aio.sqs.Queue(aws, FIFO_URL)
            undo = aio_canned(await aws.client("sqs"), {
                "ReceiveMessage": double.receive,
                "DeleteMessageBatch": double.delete,
                "ChangeMessageVisibilityBatch": double.change,
            })  # fmt: skip
            try:
                first = await queue.process(**run)
                # a1 and b1 failed, so a2..a4 and b2 were neither handled nor deleted,
                # and were made receivable again behind them.
                assert double.receives[0] == ["a0", "a1", "b0", "a2", "a3", "a4", "b1", "b2"]
                assert sorted(handled) == ["a0", "a1", "b0", "b1"]
                assert sorted(double.deleted) == ["a0", "b0"]
                assert sorted(double.released) == [("a2", 0), ("a3", 0), ("a4", 0), ("b2", 0)]
                double.advance(30)  # the failed messages' visibility timeout ends
                second = await queue.process(**run)
            finally:
                undo()
            return first, second

    first, second = asyncio.run(main())
    assert first == ProcessStats(succeeded=2, failed=2)
    by_group = {g: [b for b in handled if b[0] == g] for g in "ab"}
    assert by_group == {"a": ["a0", "a1", "a1", "a2", "a3", "a4"], "b": ["b0", "b1", "b1", "b2"]}
    assert double.messages == []
    assert second == ProcessStats(succeeded=6)


def test_a_handled_message_whose_delete_failed_is_counted_undeleted_and_comes_back(
    fault_proxy: FaultProxy, async_sleeps: AsyncSleeps
) -> None:
    handled: Counter[str] = Counter()

    async def handler(msg: awskit.aio.sqs.Message[str]) -> None:
        handled[msg.raw_body] += 1

    async def main() -> tuple[ProcessStats, ProcessStats, int]:
        async with aio_session(
            fault_proxy.url, async_sleeps, retry=awskit.RetryPolicy(max_attempts=1)
        ) as aws:
            queue = await aws.sqs.create_queue("undeleted")
            await queue.send_many([f"m{n}" for n in range(5)])
            # botocore's 3 attempts and awskit's one: the first delete fails for good.
            fault_proxy.add("5xx", service="sqs", operation="DeleteMessageBatch", times=3)
            first = await queue.process(handler, concurrency=1, wait_seconds=0,
                                        stop_when_empty=True, visibility_timeout=1)  # fmt: skip
            again = await queue.process(handler, concurrency=1, wait_seconds=3,
                                        stop_when_empty=True)  # fmt: skip
            left = (await queue.attributes()).approximate_number_of_messages
            return first, again, left

    first, again, left = asyncio.run(main())
    assert first.undeleted >= 1
    assert first == ProcessStats(succeeded=5 - first.undeleted, undeleted=first.undeleted)
    assert again == ProcessStats(succeeded=first.undeleted)
    assert sum(handled.values()) == 5 + first.undeleted and left == 0
    assert async_sleeps.calls  # the deleter backed off before going on


@pytest.mark.parametrize("operation", ["ReceiveMessage", "DeleteMessageBatch"])
def test_access_denied_ends_process(
    aio_connect: Connect, async_sleeps: AsyncSleeps, operation: str
) -> None:
    def echo(request: AWSPreparedRequest) -> CannedReply:
        import json

        entries = json.loads(request.body)["Entries"]  # type: ignore[arg-type]
        return sqs_json({"Successful": [{"Id": e["Id"]} for e in entries], "Failed": []})

    replies: dict[str, Any] = {
        "ReceiveMessage": sqs_json({"Messages": [raw_message("x", "r-x")]}),
        "ChangeMessageVisibilityBatch": echo,
        operation: error("AccessDenied", 403),
    }
    handled: list[str] = []

    async def handler(msg: awskit.aio.sqs.Message[str]) -> None:
        handled.append(msg.raw_body)

    async def main() -> None:
        async with aio_connect() as aws:
            queue: awskit.aio.sqs.Queue[str] = awskit.aio.sqs.Queue(aws, URL)
            undo = aio_canned(await aws.client("sqs"), replies)
            try:
                with pytest.raises(awskit.AwskitError) as info:
                    await queue.process(handler, wait_seconds=0, visibility_timeout=30)
            finally:
                undo()
            assert info.value.code == "AccessDenied"

    asyncio.run(main())
    assert async_sleeps.calls == []  # not retried, not backed off
    # The canned receive hands out "x" again and again until the refused delete stops it.
    assert bool(handled) == (operation == "DeleteMessageBatch")
