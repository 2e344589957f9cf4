"""Type-checked only (mypy --strict, pyright strict): a user's model flows through awskit.sqs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from pydantic import BaseModel
from typing_extensions import assert_type

import awskit
from awskit.sqs import (
    AttributeValue,
    BatchResult,
    Message,
    OutgoingMessage,
    ProcessStats,
    Queue,
    QueueAttributes,
    SendResult,
)


class Greeting(BaseModel):
    name: str


def typed_queues(aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("test", model=Greeting, delay_seconds=5)
    assert_type(queue, Queue[Greeting])
    assert_type(aws.sqs.get_queue("test", model=Greeting), Queue[Greeting])
    assert_type(aws.sqs.get_queue("test"), Queue[str])
    assert_type(aws.sqs.create_queue("raw"), Queue[str])
    assert_type(aws.sqs.queues(prefix=None), Iterator[Queue[str]])

    assert_type(queue.receive(), list[Message[Greeting]])
    assert_type(queue.receive()[0].body, Greeting)
    assert_type(queue.receive()[0].body.name, str)
    assert_type(aws.sqs.get_queue("test").receive()[0].body, str)
    for msg in queue.messages(wait_seconds=1):
        assert_type(msg, Message[Greeting])
        assert_type(msg.raw_body, str)
        assert_type(msg.attributes, dict[str, AttributeValue])
        assert_type(msg.sent_at, datetime)
        assert_type(msg.receive_count, int)


def sending(queue: Queue[Greeting], raw: Queue[str]) -> None:
    assert_type(queue.send(Greeting(name="world"), attributes={"Author": "Daniel"}), SendResult)
    assert_type(raw.send("text"), SendResult)
    result = queue.send_many([Greeting(name="a"), OutgoingMessage(Greeting(name="b"))])
    assert_type(result, BatchResult)
    assert_type(result.sent, list[SendResult])
    assert_type(queue.delete_messages(queue.receive()), BatchResult)
    assert_type(queue.attributes, QueueAttributes)
    assert_type(queue.attributes.delay_seconds, int)
    assert_type(queue.attributes.fifo, bool)
    assert_type(queue.attributes.raw, dict[str, str])
    assert_type(queue.arn, str)


def consuming(queue: Queue[Greeting]) -> None:
    def handler(msg: Message[Greeting]) -> None:
        assert_type(msg.body, Greeting)

    assert_type(queue.process(handler, workers=8, stop_when_empty=True), ProcessStats)
    assert_type(queue.process(lambda m: print(m.body.name)), ProcessStats)
