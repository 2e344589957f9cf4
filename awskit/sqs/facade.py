"""The ``aws.sqs`` facade: create, find and list queues."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, overload

from pydantic import BaseModel

from .._errors import InvalidInput, aws_errors, translates_errors
from .._paging import Page, Paged, token_pages
from .codec import MAX_MESSAGE_BYTES, check_delay, check_queue_name, check_visibility
from .models import T
from .offload import S3Offload
from .queue import Queue

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from .._session import Session

__all__ = ["SQS"]


def _in_range(field: str, value: int | None, low: int, high: int) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(field, f"must be an integer from {low} to {high}")
    return str(value)


class SQS:
    """Amazon SQS facade: ``aws.sqs``.

    Example:
        ```python
        queue = aws.sqs.create_queue("greetings", model=Greeting)
        queue.send(Greeting(name="world"))
        ```
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def client(self) -> SQSClient:
        """The shared, typed boto3 client (escape hatch)."""
        return self._session.client("sqs")

    @overload
    def create_queue(
        self,
        name: str,
        model: None = None,
        *,
        delay_seconds: int | None = None,
        visibility_timeout: int | None = None,
        message_retention_seconds: int | None = None,
        maximum_message_size: int | None = None,
        receive_wait_seconds: int | None = None,
        fifo: bool | None = None,
        content_based_deduplication: bool | None = None,
        dead_letter_queue: Queue[Any] | str | None = None,
        max_receive_count: int | None = None,
        attributes: Mapping[str, str] | None = None,
        offload: S3Offload | None = None,
    ) -> Queue[str]: ...
    @overload
    def create_queue(
        self,
        name: str,
        model: type[T],
        *,
        delay_seconds: int | None = None,
        visibility_timeout: int | None = None,
        message_retention_seconds: int | None = None,
        maximum_message_size: int | None = None,
        receive_wait_seconds: int | None = None,
        fifo: bool | None = None,
        content_based_deduplication: bool | None = None,
        dead_letter_queue: Queue[Any] | str | None = None,
        max_receive_count: int | None = None,
        attributes: Mapping[str, str] | None = None,
        offload: S3Offload | None = None,
    ) -> Queue[T]: ...
    @translates_errors
    def create_queue(
        self,
        name: str,
        model: type[Any] | None = None,
        *,
        delay_seconds: int | None = None,
        visibility_timeout: int | None = None,
        message_retention_seconds: int | None = None,
        maximum_message_size: int | None = None,
        receive_wait_seconds: int | None = None,
        fifo: bool | None = None,
        content_based_deduplication: bool | None = None,
        dead_letter_queue: Queue[Any] | str | None = None,
        max_receive_count: int | None = None,
        attributes: Mapping[str, str] | None = None,
        offload: S3Offload | None = None,
    ) -> Queue[Any]:
        """Create a queue (or return the existing one if its attributes agree).

        AWS limits, checked before sending: name 1-80 of ``A-Za-z0-9_-`` (FIFO names end in
        ``.fifo``, which implies ``fifo=True``); delay 0-900 s; visibility 0-43200 s;
        retention 60-1209600 s; maximum size 1024-1048576 bytes; receive wait 0-20 s;
        max receive count 1-1000. ``attributes`` are raw AWS attributes, applied last.
        ``offload`` stores bodies over its threshold in S3 (see
        [S3Offload][awskit.sqs.S3Offload]); it is a setting of this handle, not of the queue.

        Raises:
            AlreadyExists: a queue of that name exists with different attributes.

        Example:
            ```python
            dlq = aws.sqs.create_queue("jobs-dlq")
            jobs = aws.sqs.create_queue("jobs", model=Job, delay_seconds=5,
                                        dead_letter_queue=dlq, max_receive_count=5)
            ```
        """
        raw = create_queue_attributes(
            name,
            model,
            delay_seconds=delay_seconds,
            visibility_timeout=visibility_timeout,
            message_retention_seconds=message_retention_seconds,
            maximum_message_size=maximum_message_size,
            receive_wait_seconds=receive_wait_seconds,
            fifo=fifo,
            content_based_deduplication=content_based_deduplication,
            dead_letter_arn=None
            if dead_letter_queue is None
            else lambda: (
                dead_letter_queue.arn if isinstance(dead_letter_queue, Queue) else dead_letter_queue
            ),
            max_receive_count=max_receive_count,
            attributes=attributes,
        )
        _check_offload(offload)
        answer = self._session.calls("sqs").create_queue(QueueName=name, Attributes=raw)  # type: ignore[arg-type]
        return Queue(self._session, answer["QueueUrl"], model, offload)

    @overload
    def get_queue(
        self, name: str, model: None = None, *, offload: S3Offload | None = None
    ) -> Queue[str]: ...
    @overload
    def get_queue(
        self, name: str, model: type[T], *, offload: S3Offload | None = None
    ) -> Queue[T]: ...
    @translates_errors
    def get_queue(
        self, name: str, model: type[Any] | None = None, *, offload: S3Offload | None = None
    ) -> Queue[Any]:
        """The queue called ``name``.

        With ``offload``, bodies over its threshold travel through S3 (see
        [S3Offload][awskit.sqs.S3Offload]). Without it, pointers that arrive are still
        read (they name their bucket), but awskit writes and deletes nothing in S3.

        Raises:
            NotFound: there is no such queue.

        Example:
            ```python
            queue = aws.sqs.get_queue("greetings", model=Greeting)
            ```
        """
        check_queue_name(name)
        _check_model(model)
        _check_offload(offload)
        answer = self._session.calls("sqs").get_queue_url(QueueName=name)
        return Queue(self._session, answer["QueueUrl"], model, offload)

    def queues(self, prefix: str | None = None) -> Iterator[Queue[str]]:
        """Every queue (whose name starts with ``prefix``), across every page.

        Example:
            ```python
            for queue in aws.sqs.queues(prefix="jobs-"):
                print(queue.name)
            ```
        """
        request: dict[str, Any] = {"MaxResults": 1000}
        if prefix:
            request["QueueNamePrefix"] = prefix
        fetch = token_pages(self._session.calls("sqs").list_queues, "QueueUrls", **request)

        def page(token: Any) -> Page[Queue[str]]:
            with aws_errors():
                raw = fetch(token)
            return Page([Queue(self._session, url) for url in raw.items], raw.next_token)

        return Paged(page)


def _check_model(model: object) -> None:
    if model is not None and not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise InvalidInput("model", "must be a pydantic BaseModel subclass, or None for str")


def _check_offload(offload: object) -> None:
    if offload is not None and not isinstance(offload, S3Offload):
        raise InvalidInput("offload", "must be an awskit.sqs.S3Offload, or None")


def create_queue_attributes(
    name: str,
    model: type[Any] | None,
    *,
    delay_seconds: int | None = None,
    visibility_timeout: int | None = None,
    message_retention_seconds: int | None = None,
    maximum_message_size: int | None = None,
    receive_wait_seconds: int | None = None,
    fifo: bool | None = None,
    content_based_deduplication: bool | None = None,
    dead_letter_arn: Callable[[], object] | None = None,
    max_receive_count: int | None = None,
    attributes: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The checked ``Attributes`` of a ``CreateQueue``.

    See [SQS.create_queue][awskit.sqs.SQS.create_queue] for the limits.

    ``dead_letter_arn()`` gives the dead-letter queue's ARN (``None``: no redrive); it is
    called after every other check, as finding a queue's ARN may take a request.
    """
    is_fifo = check_queue_name(name, fifo=fifo)
    _check_model(model)
    raw: dict[str, str] = {}
    if delay_seconds is not None:
        raw["DelaySeconds"] = str(check_delay(delay_seconds))
    if visibility_timeout is not None:
        raw["VisibilityTimeout"] = str(check_visibility(visibility_timeout))
    for key, field, value, low, high in (
        ("MessageRetentionPeriod", "message_retention_seconds",
         message_retention_seconds, 60, 1_209_600),
        ("MaximumMessageSize", "maximum_message_size", maximum_message_size,
         1024, MAX_MESSAGE_BYTES),
        ("ReceiveMessageWaitTimeSeconds", "receive_wait_seconds", receive_wait_seconds,
         0, 20),
    ):  # fmt: skip
        text = _in_range(field, value, low, high)
        if text is not None:
            raw[key] = text
    if is_fifo:
        raw["FifoQueue"] = "true"
    if content_based_deduplication is not None:
        if not is_fifo:
            raise InvalidInput(
                "content_based_deduplication", "only FIFO queues deduplicate by content"
            )
        raw["ContentBasedDeduplication"] = "true" if content_based_deduplication else "false"
    if dead_letter_arn is not None:
        if max_receive_count is None:
            raise InvalidInput("max_receive_count", "required with dead_letter_queue")
        _in_range("max_receive_count", max_receive_count, 1, 1000)
        arn = dead_letter_arn()
        if not isinstance(arn, str) or not arn.startswith("arn:") or ":sqs:" not in arn:
            raise InvalidInput("dead_letter_queue", "give a Queue or an SQS queue ARN")
        raw["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": arn, "maxReceiveCount": max_receive_count}
        )
    elif max_receive_count is not None:
        raise InvalidInput("max_receive_count", "only meaningful with dead_letter_queue")
    if attributes:
        raw.update({str(key): str(value) for key, value in attributes.items()})
    return raw
