"""Amazon SQS, typed: queues of pydantic models, batching that loses nothing, a consumer loop.

``aws.sqs`` is an [SQS][awskit.sqs.SQS]; its queues are [Queue][awskit.sqs.Queue] objects generic
over the body type (a pydantic model, or ``str``). Sends and receives check SQS's MD5s (botocore
does not); ``send_many`` retries what SQS leaves over and reports what still failed;
``process`` runs a threaded consumer with heartbeats and graceful shutdown.

Example:
    ```python
    queue = aws.sqs.create_queue("greetings", model=Greeting)
    queue.send(Greeting(name="world"), attributes={"Author": "Daniel"})
    for msg in queue.receive(wait_seconds=5):
        print(msg.body.name, msg.attributes["Author"])
        msg.delete()
    ```
"""

from __future__ import annotations

from .codec import AttributeValue
from .facade import SQS
from .models import (
    BatchFailure,
    BatchResult,
    InvalidMessage,
    Message,
    OutgoingMessage,
    PayloadMismatch,
    PayloadUnavailable,
    ProcessStats,
    QueueAttributes,
    RedrivePolicy,
    SendResult,
)
from .offload import S3Offload, S3Pointer
from .process import backoff_by_receive_count
from .queue import Queue
from .sender import BatchSender

__all__ = [  # noqa: RUF022 - plain sorted(), as tests/test_exports.py checks
    "AttributeValue",
    "BatchFailure",
    "BatchResult",
    "BatchSender",
    "InvalidMessage",
    "Message",
    "OutgoingMessage",
    "PayloadMismatch",
    "PayloadUnavailable",
    "ProcessStats",
    "Queue",
    "QueueAttributes",
    "RedrivePolicy",
    "S3Offload",
    "S3Pointer",
    "SQS",
    "SendResult",
    "backoff_by_receive_count",
]


# Last, once every exported name is bound: tracebacks and reprs show the public path
# (kept in one place at the end, so a merge never separates the import from the call).
from .._exports import publish

publish(globals())
