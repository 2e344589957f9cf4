"""Canned HTTP responses served at botocore's ``before-send`` hook, with no network.

botocore emits ``before-send.<service>.<Operation>`` just before it would open a
connection; the first handler that returns an ``AWSResponse`` replaces the network
reply, and botocore parses it exactly as it parses a real one (status, headers, CRC32,
error codes). That makes client-side overhead measurable without a server in the way,
and pins exact response shapes, including errors no emulator produces.

Example::

    undo = canned(client, {"Query": dynamodb_json({"Items": [], "Count": 0})})
    try:
        client.query(TableName="t", KeyConditionExpression="k = :k", ...)
    finally:
        undo()
"""

from __future__ import annotations

import io
import json
import uuid
import zlib
from collections.abc import Callable, Iterator
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders

__all__ = ["CannedReply", "canned", "dynamodb_json", "sqs_json"]

#: ``(status, headers, body)`` as the service would send it.
CannedReply = tuple[int, dict[str, str], bytes]


class _RawBody(io.BytesIO):
    """The ``raw`` botocore expects: ``stream()`` for parsed bodies, ``read()`` for blobs.

    Streaming outputs (S3 ``GetObject``'s ``Body``) wrap ``raw`` in a ``StreamingBody``,
    which calls ``read``; every other response is read through ``stream``.
    """

    def stream(self, amt: int = 1 << 16, decode_content: bool = True) -> Iterator[bytes]:
        while chunk := self.read(amt):
            yield chunk


def canned(
    client: Any,
    responses: dict[str, Callable[[AWSPreparedRequest], CannedReply] | CannedReply],
) -> Callable[[], None]:
    """Answer ``client``'s calls to the named operations with canned replies.

    ``responses`` maps an operation name (``"Query"``) to a ``(status, headers, body)``
    tuple or to a function of the prepared request returning one (to echo ids back, or to
    count calls). Other operations go to the network as usual. Returns a function that
    removes the hook; call it when done.
    """
    service_id = client.meta.service_model.service_id.hyphenize()
    event = f"before-send.{service_id}"

    def reply(request: AWSPreparedRequest, event_name: str, **_: Any) -> AWSResponse | None:
        # botocore's event names are hierarchical: "before-send.dynamodb" also receives
        # "before-send.dynamodb.Query", so the operation is the last dotted part.
        answer = responses.get(event_name.rsplit(".", 1)[-1])
        if answer is None:
            return None
        status, headers, body = answer if isinstance(answer, tuple) else answer(request)
        http_headers = HTTPHeaders()
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            http_headers[name] = value
        return AWSResponse(request.url, status, http_headers, _RawBody(body))

    client.meta.events.register(event, reply)

    def undo() -> None:
        client.meta.events.unregister(event, reply)

    return undo


def dynamodb_json(body: dict[str, Any], status: int = 200) -> CannedReply:
    """A DynamoDB JSON reply with the ``x-amz-crc32`` header botocore verifies.

    For an error, pass the AWS error body and its status, e.g.
    ``dynamodb_json({"__type": "com.amazonaws.dynamodb.v20120810#"
    "ConditionalCheckFailedException", "message": "The conditional request failed"}, 400)``.
    """
    payload = json.dumps(body).encode()
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "x-amz-crc32": str(zlib.crc32(payload) & 0xFFFFFFFF),
        "x-amzn-RequestId": str(uuid.uuid4()),
    }
    return status, headers, payload


def sqs_json(body: dict[str, Any], status: int = 200) -> CannedReply:
    """An SQS (JSON protocol) reply.

    For an error, SQS also sends ``x-amzn-query-error: <QueryCode>;Sender``, which
    botocore prefers over ``__type``; add it to the returned headers when that matters.
    """
    payload = json.dumps(body).encode()
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "x-amzn-RequestId": str(uuid.uuid4()),
    }
    return status, headers, payload
