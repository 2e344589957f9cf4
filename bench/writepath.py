"""Bulk writes: client-side CPU per item, and the memory of a long streaming send.

Every request is answered by a canned response at botocore's ``before-send`` hook (no
network), so what is measured is the client's own work: encoding, serialising, signing,
parsing, checking, and awskit's batching and threads. CPU time is the whole process's
(``time.process_time``: every thread), per item, the best of interleaved runs.

* SQS ``send_many`` of a 2-field model against a hand-tuned client loop
  (``model_dump_json`` + ``client.send_message_batch``, 10 a call, one thread);
  ``batch_sender()`` beside it; and ``send_many`` again with every answer held back 2 ms
  (a ``time.sleep`` in the hook, off the GIL as a network wait is), where awskit's worker
  threads send, since canned answers that never wait are sent on the calling thread.
* DynamoDB ``batch_writer()`` of a 5-field model (str, int, str, float, list) against the
  hand-tuned client (``TypeSerializer`` + ``client.batch_write_item``, 25 a call).
* DynamoDB single ``put`` against boto3's resource ``Table.put_item``.
* Memory: 200,000 messages through ``batch_sender()`` in a fresh child process; peak RSS
  growth (``VmHWM``) over the process's size before the send (after a warm-up send of
  2,000), against the same hand-tuned loop.

CPU rows are in µs per item or call (``unit``), the memory row in KiB.

Run: ``python -m bench --only writepath`` (or ``python -m bench.writepath [--quick]``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from pydantic import BaseModel

import awskit
from bench._common import ROOT, dummy_session
from tests.canned import CannedReply, canned, dynamodb_json, sqs_json

SQS_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/bench"
ENDPOINT = "https://sqs.us-east-1.amazonaws.com"
DYNAMO_ENDPOINT = "https://dynamodb.us-east-1.amazonaws.com"
#: Seconds each answer is held back in the SQS rows that imitate a network.
LATENCY = 0.002


class Greeting(BaseModel):
    name: str
    count: int


class Reading(BaseModel):
    sensor: str
    seq: int
    site: str
    value: float
    tags: list[str]


def greetings(n: int) -> Iterator[Greeting]:
    return (Greeting(name=f"name-{i}", count=i) for i in range(n))


def readings(n: int) -> list[Reading]:
    return [
        Reading(sensor=f"s{i:06}", seq=i, site="eu-west", value=i * 0.25, tags=["a", "b"])
        for i in range(n)
    ]


def _sqs_accept(request: Any) -> CannedReply:
    """Every entry accepted, with the MD5 SQS would compute (awskit checks it)."""
    from awskit.sqs.codec import md5_of_body

    entries = json.loads(request.body)["Entries"]
    return sqs_json(
        {
            "Successful": [
                {
                    "Id": e["Id"],
                    "MessageId": "00000000-0000-0000-0000-000000000000",
                    "MD5OfMessageBody": md5_of_body(e["MessageBody"]),
                }
                for e in entries
            ]
        }
    )


def _cpu_per_item(fns: list[Callable[[], int]], repeats: int) -> list[float]:
    """Best CPU seconds per item of each of ``fns`` (each returns its item count), interleaved."""
    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.process_time()
            items = fn()
            best[i] = min(best[i], (time.process_time() - start) / items)
    return best


# -- SQS ----------------------------------------------------------------------------------------


def _sqs_rows(quick: bool) -> list[dict[str, object]]:
    n = 2000 if quick else 10000
    client = dummy_session().client("sqs", endpoint_url=ENDPOINT)
    undo_peer = canned(client, {"SendMessageBatch": _sqs_accept})

    def peer() -> int:
        batch: list[Any] = []
        for i, g in enumerate(greetings(n)):
            batch.append({"Id": str(i), "MessageBody": g.model_dump_json()})
            if len(batch) == 10:
                assert not client.send_message_batch(QueueUrl=SQS_URL, Entries=batch).get("Failed")
                batch = []
        if batch:
            client.send_message_batch(QueueUrl=SQS_URL, Entries=batch)
        return n

    aws = awskit.connect(session=dummy_session(), endpoint_url=ENDPOINT)
    from awskit.sqs import Queue

    queue: Queue[Greeting] = Queue(aws, SQS_URL, Greeting)
    undo_ours = canned(queue.client, {"SendMessageBatch": _sqs_accept})

    def ours_many() -> int:
        result = queue.send_many(greetings(n))
        assert result.ok and len(result.sent) == n
        return n

    def ours_stream() -> int:
        with queue.batch_sender() as sender:
            for g in greetings(n):
                sender.send(g)
        assert sender.sent == n
        return n

    try:
        peer_s, many_s, stream_s = _cpu_per_item([peer, ours_many, ours_stream], 3 if quick else 5)
    finally:
        undo_peer()
        undo_ours()
    # The same with every answer 2 ms late, as a network would make it: awskit's worker
    # threads then send (canned answers never wait, so above it sends on the calling thread).
    slow_n = 1000 if quick else 3000

    def late(request: Any) -> CannedReply:
        time.sleep(LATENCY)
        return _sqs_accept(request)

    undo_peer = canned(client, {"SendMessageBatch": late})
    slow_queue: Queue[Greeting] = Queue(aws, SQS_URL, Greeting)
    undo_ours = canned(slow_queue.client, {"SendMessageBatch": late})

    def peer_slow() -> int:
        batch: list[Any] = []
        for i, g in enumerate(greetings(slow_n)):
            batch.append({"Id": str(i), "MessageBody": g.model_dump_json()})
            if len(batch) == 10:
                assert not client.send_message_batch(QueueUrl=SQS_URL, Entries=batch).get("Failed")
                batch = []
        if batch:
            client.send_message_batch(QueueUrl=SQS_URL, Entries=batch)
        return slow_n

    def ours_slow() -> int:
        result = slow_queue.send_many(greetings(slow_n))
        assert result.ok and len(result.sent) == slow_n
        return slow_n

    try:
        peer_slow_s, slow_s = _cpu_per_item([peer_slow, ours_slow], 3 if quick else 5)
    finally:
        undo_peer()
        undo_ours()
    peer_name = "hand-tuned client: model_dump_json + send_message_batch, 10 a call"
    return [
        {
            "operation": f"SQS send_many of {n} 2-field models, CPU per message (canned)",
            "peer": peer_name,
            "peer_s": peer_s * 1e6,
            "awskit_s": many_s * 1e6,
            "unit": "µs",
            "note": "awskit also checks every body and SQS's MD5s; answers that never wait "
            "are sent on the calling thread (threads start once requests wait: next row); "
            "target <= 1.0x",
        },
        {
            "operation": f"SQS send_many of {slow_n} 2-field models, +2 ms per request, "
            "CPU per message (canned)",
            "peer": peer_name + " (one thread)",
            "peer_s": peer_slow_s * 1e6,
            "awskit_s": slow_s * 1e6,
            "unit": "µs",
            "note": "awskit's worker threads send (default concurrency 16); the peer's one "
            "thread pays a wake-up per request",
        },
        {
            "operation": f"SQS batch_sender() of {n} 2-field models, CPU per message (canned)",
            "peer": peer_name,
            "peer_s": peer_s * 1e6,
            "awskit_s": stream_s * 1e6,
            "unit": "µs",
            "note": "target: send_many's CPU per message or better",
        },
    ]


_MEMORY = """
import json, sys
from bench.writepath import memory_child
print(json.dumps(memory_child(sys.argv[1], int(sys.argv[2]))))
"""


def _peak_rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def memory_child(which: str, n: int) -> dict[str, float]:
    """In a fresh process: peak RSS growth (MiB) while sending ``n`` messages ``which`` way."""
    warm = 2000
    if which == "peer":
        client = dummy_session().client("sqs", endpoint_url=ENDPOINT)
        canned(client, {"SendMessageBatch": _sqs_accept})

        def send(count: int) -> None:
            batch: list[Any] = []
            for i, g in enumerate(greetings(count)):
                batch.append({"Id": str(i % 10), "MessageBody": g.model_dump_json()})
                if len(batch) == 10:
                    client.send_message_batch(QueueUrl=SQS_URL, Entries=batch)
                    batch = []

    else:
        from awskit.sqs import Queue

        aws = awskit.connect(session=dummy_session(), endpoint_url=ENDPOINT)
        queue: Queue[Greeting] = Queue(aws, SQS_URL, Greeting)
        canned(queue.client, {"SendMessageBatch": _sqs_accept})

        def send(count: int) -> None:
            with queue.batch_sender() as sender:
                for g in greetings(count):
                    sender.send(g)
            assert sender.sent == count

    send(warm)  # imports, models, thread pool and connection state: not the work's memory
    before = _peak_rss_kib()
    start = time.process_time()
    send(n)
    cpu = time.process_time() - start
    return {"growth_kib": _peak_rss_kib() - before, "cpu_per_item": cpu / n}


def _memory_rows(quick: bool) -> list[dict[str, object]]:
    n = 20000 if quick else 200000
    out: dict[str, dict[str, float]] = {}
    for which in ("peer", "awskit"):
        child = subprocess.run(
            [sys.executable, "-c", _MEMORY, which, str(n)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        out[which] = json.loads(child.stdout.strip().splitlines()[-1])
    return [
        {
            "operation": f"SQS batch_sender() of {n} messages: peak RSS growth",
            "peer": "hand-tuned client loop over a generator, 10 a call",
            "peer_s": out["peer"]["growth_kib"],
            "awskit_s": out["awskit"]["growth_kib"],
            "unit": "KiB",
            "note": "target: under 50 MiB (51200 KiB) of growth; the ratio means little, the "
            "peer keeps nothing either; CPU per message "
            f"{out['awskit']['cpu_per_item'] * 1e6:.0f} µs (peer "
            f"{out['peer']['cpu_per_item'] * 1e6:.0f} µs)",
        }
    ]


# -- DynamoDB -----------------------------------------------------------------------------------


def _dynamo_rows(quick: bool) -> list[dict[str, object]]:
    n = 2500 if quick else 10000
    items = readings(n)
    serializer = TypeSerializer()
    ok = dynamodb_json({"UnprocessedItems": {}})
    client = dummy_session().client("dynamodb", endpoint_url=DYNAMO_ENDPOINT)
    undo_peer = canned(client, {"BatchWriteItem": ok})

    def peer() -> int:
        for start in range(0, n, 25):
            requests: list[Any] = [
                {
                    "PutRequest": {
                        "Item": {
                            k: serializer.serialize(Decimal(str(v)) if isinstance(v, float) else v)
                            for k, v in r.model_dump().items()
                        }
                    }
                }
                for r in items[start : start + 25]
            ]
            client.batch_write_item(RequestItems={"readings": requests})
        return n

    aws = awskit.connect(session=dummy_session(), endpoint_url=DYNAMO_ENDPOINT)
    from awskit.dynamo import KeySchema, Table

    table: Table[Reading] = Table(
        aws.dynamo,
        "readings",
        Reading,
        key_schema=KeySchema("sensor", "seq"),
        key_types={"sensor": "S", "seq": "N"},
    )
    undo_ours = canned(table.client, {"BatchWriteItem": ok, "PutItem": dynamodb_json({})})

    def ours() -> int:
        with table.batch_writer() as batch:
            for r in items:
                batch.put(r)
        return n

    resource = dummy_session().resource("dynamodb", endpoint_url=DYNAMO_ENDPOINT)
    peer_table = resource.Table("readings")
    undo_res = canned(resource.meta.client, {"PutItem": dynamodb_json({})})
    one = items[7]
    puts = 500 if quick else 2000

    def peer_put() -> int:
        # Each call starts from the model, as awskit's does and as the batch row's peer and
        # bench/dynamo.py's put row do: its fields, floats as Decimal (boto3's
        # TypeSerializer refuses floats). A dict made once outside the loop would leave
        # this step out of the peer's cost only.
        for _ in range(puts):
            peer_table.put_item(
                Item={
                    k: Decimal(str(v)) if isinstance(v, float) else v
                    for k, v in one.model_dump().items()
                }
            )
        return puts

    def ours_put() -> int:
        for _ in range(puts):
            table.put(one)
        return puts

    try:
        peer_s, ours_s = _cpu_per_item([peer, ours], 3 if quick else 5)
        peer_put_s, ours_put_s = _cpu_per_item([peer_put, ours_put], 3 if quick else 5)
    finally:
        undo_peer()
        undo_ours()
        undo_res()
    return [
        {
            "operation": f"DynamoDB batch_writer() of {n} 5-field models, CPU per item (canned)",
            "peer": "hand-tuned client: TypeSerializer + batch_write_item, 25 a call",
            "peer_s": peer_s * 1e6,
            "awskit_s": ours_s * 1e6,
            "unit": "µs",
            "note": "target <= 0.8x",
        },
        {
            "operation": "DynamoDB put of one 5-field model, CPU per call (canned)",
            "peer": "boto3 resource Table.put_item of the model's fields (model_dump, floats "
            "as Decimal), per call",
            "peer_s": peer_put_s * 1e6,
            "awskit_s": ours_put_s * 1e6,
            "unit": "µs",
            "note": "target <= 0.8x",
        },
    ]


def run(quick: bool = False) -> list[dict[str, object]]:
    rows = _sqs_rows(quick) + _dynamo_rows(quick) + _memory_rows(quick)
    for row in rows:
        peer = float(row["peer_s"])  # type: ignore[arg-type]
        ratio = float(row["awskit_s"]) / peer if peer > 0 else float("nan")  # type: ignore[arg-type]
        unit = row.get("unit", "s")
        print(
            f"{row['operation']} | peer {float(row['peer_s']):.1f} {unit} | "  # type: ignore[arg-type]
            f"awskit {float(row['awskit_s']):.1f} {unit} | {ratio:.2f}x"  # type: ignore[arg-type]
        )
    return rows


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
