"""A fault-injecting HTTP proxy that sits between botocore and moto's server.

moto answers every request perfectly, so on its own it never exercises retry code.
:class:`FaultProxy` forwards requests to moto over real HTTP and, on request, answers
instead with a throttle or a 500 in the service's own wire format, drops the connection
(before or after moto did the work), withholds half of a batch, or corrupts an EBS block.
botocore then sees exactly what AWS would send, so its own retry logic and awskit's run
unchanged. Stdlib only, so it works wherever the tests run.

Example::

    with FaultProxy(moto_url, seed=1) as proxy:
        proxy.add("throttle", service="dynamodb", operation="PutItem", times=2)
        client = boto3.client("dynamodb", endpoint_url=proxy.url, ...)
"""

from __future__ import annotations

import collections
import contextlib
import gzip
import http.client
import json
import math
import random
import re
import struct
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, BinaryIO, cast
from urllib.parse import parse_qs, urlsplit

from tests.loopback import Handler, LoopbackServer

__all__ = ["FAULT_KINDS", "FaultProxy", "cbor_encode", "identify"]

#: Every kind :meth:`FaultProxy.add` accepts.
FAULT_KINDS = frozenset({"throttle", "5xx", "drop", "drop_after", "partial", "corrupt"})

#: Operations a "partial" fault can half-fail; others pass through untouched.
_PARTIAL_OPERATIONS = frozenset(
    {
        ("dynamodb", "BatchWriteItem"),
        ("dynamodb", "BatchGetItem"),
        ("sqs", "SendMessageBatch"),
        ("sqs", "DeleteMessageBatch"),
        ("sqs", "ChangeMessageVisibilityBatch"),
    }
)
_CORRUPT_OPERATIONS = frozenset({("ebs", "GetSnapshotBlock")})

#: SigV4 signing names that differ from the service name tests use.
_SERVICE_ALIASES = {"monitoring": "cloudwatch"}

# Headers that describe one hop, not the message (RFC 9110 7.6.1), plus Expect: the proxy
# answers 100-continue itself and forwards the body in one go.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "expect",
    }
)

# Bodies up to this size are read into memory, so a stale pooled upstream connection can
# be retried and batch bodies can be rewritten; larger ones (S3 parts) stream through.
_BUFFER_LIMIT = 1 << 20
_COPY_CHUNK = 1 << 16

_CREDENTIAL = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_CBOR_PATH = re.compile(r"^/service/[^/]+/operation/([^/?]+)")


@dataclass(frozen=True)
class _Call:
    """What a request is: the service, the operation, and how it talks (for fault bodies)."""

    service: str
    operation: str
    protocol: str  # "json", "cbor", "rest-json", "s3", "ec2", "query"
    #: The client sent ``x-amzn-query-mode: true``: the service moved from the query
    #: protocol (SQS, CloudWatch) and botocore reads the old error code from the
    #: ``x-amzn-query-error`` header.
    query_compatible: bool = False


# -- identifying requests ------------------------------------------------------------------


def identify(
    method: str, target: str, headers: dict[str, str], body: bytes | None = None
) -> tuple[str, str]:
    """Return ``(service, operation)`` for a request as botocore sends it.

    ``headers`` must have lower-case names. The service comes from the SigV4 credential
    scope (``monitoring`` is reported as ``cloudwatch``); the operation from
    ``X-Amz-Target``, the RPC-v2-CBOR path, the ``Action`` of a query body, or the method
    and path for the REST services. Unknown parts are ``"unknown"``.
    """
    call = _identify(method, target, headers, body)
    return call.service, call.operation


def _identify(method: str, target: str, headers: dict[str, str], body: bytes | None) -> _Call:
    parts = urlsplit(target)
    path, query = parts.path, parse_qs(parts.query, keep_blank_values=True)
    service = "unknown"
    match = _CREDENTIAL.search(headers.get("authorization", ""))
    if match is None and "X-Amz-Credential" in query:
        match = _CREDENTIAL.search("Credential=" + query["X-Amz-Credential"][0])
    if match is not None:
        service = _SERVICE_ALIASES.get(match.group(1), match.group(1))

    amz_target = headers.get("x-amz-target")
    if amz_target:
        prefix, _, operation = amz_target.rpartition(".")
        if service == "unknown":
            service = {"DynamoDB_20120810": "dynamodb", "AmazonSQS": "sqs"}.get(prefix, service)
        query_mode = headers.get("x-amzn-query-mode", "").lower() == "true"
        return _Call(service, operation, "json", query_mode or service == "sqs")
    cbor = _CBOR_PATH.match(path)
    if cbor is not None:
        if service == "unknown" and "GraniteServiceVersion20100801" in path:
            service = "cloudwatch"
        query_mode = headers.get("x-amzn-query-mode", "").lower() == "true"
        return _Call(service, cbor.group(1), "cbor", query_mode or service == "cloudwatch")
    action = query.get("Action")
    content_type = headers.get("content-type", "")
    if action is None and body and content_type.startswith("application/x-www-form-urlencoded"):
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
    if action:
        return _Call(service, action[0], "ec2" if service == "ec2" else "query")
    if service == "ebs":
        return _Call(service, _ebs_operation(method, path), "rest-json")
    if service == "s3":
        return _Call(service, _s3_operation(method, path, query, headers), "s3")
    return _Call(service, "unknown", "rest-json")


def _ebs_operation(method: str, path: str) -> str:
    segments = [s for s in path.split("/") if s]
    if segments[:1] != ["snapshots"]:
        return "unknown"
    if method == "POST":
        return "CompleteSnapshot" if segments[1:2] == ["completion"] else "StartSnapshot"
    if len(segments) == 4 and segments[2] == "blocks":
        return "PutSnapshotBlock" if method == "PUT" else "GetSnapshotBlock"
    if len(segments) == 3:
        return {"blocks": "ListSnapshotBlocks", "changedblocks": "ListChangedBlocks"}.get(
            segments[2], "unknown"
        )
    return "unknown"


def _s3_operation(
    method: str, path: str, query: dict[str, list[str]], headers: dict[str, str]
) -> str:
    # Path-style addressing (botocore uses it for an IP endpoint): /bucket[/key].
    segments = path.lstrip("/").split("/", 1)
    bucket = segments[0]
    has_key = len(segments) == 2 and segments[1] != ""
    if not bucket:
        return "ListBuckets" if method == "GET" else "unknown"
    if not has_key:
        bucket_ops = {
            "GET": "ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects",
            "PUT": "CreateBucket",
            "DELETE": "DeleteBucket",
            "HEAD": "HeadBucket",
            "POST": "DeleteObjects" if "delete" in query else "unknown",
        }
        if method == "GET" and "uploads" in query:
            return "ListMultipartUploads"
        return bucket_ops.get(method, "unknown")
    if method == "PUT":
        if "partNumber" in query:
            return "UploadPartCopy" if "x-amz-copy-source" in headers else "UploadPart"
        return "CopyObject" if "x-amz-copy-source" in headers else "PutObject"
    if method == "POST":
        if "uploads" in query:
            return "CreateMultipartUpload"
        return "CompleteMultipartUpload" if "uploadId" in query else "unknown"
    if method == "DELETE":
        return "AbortMultipartUpload" if "uploadId" in query else "DeleteObject"
    if method == "GET":
        return "ListParts" if "uploadId" in query else "GetObject"
    return "HeadObject" if method == "HEAD" else "unknown"


# -- fault bodies in each service's wire format ---------------------------------------------


def cbor_encode(value: Any) -> bytes:
    """Encode str, bytes, int, bool, None, list and dict as CBOR (RFC 8949), enough for errors.

    CloudWatch speaks smithy-rpc-v2-cbor in this botocore, so its faults must be CBOR.
    """
    if value is None:
        return b"\xf6"
    if isinstance(value, bool):
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, int):
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, bytes):
        return _cbor_head(2, len(value)) + value
    if isinstance(value, str):
        encoded = value.encode("utf-8")
        return _cbor_head(3, len(encoded)) + encoded
    if isinstance(value, list):
        return _cbor_head(4, len(value)) + b"".join(cbor_encode(v) for v in value)
    if isinstance(value, dict):
        items = b"".join(cbor_encode(k) + cbor_encode(v) for k, v in value.items())
        return _cbor_head(5, len(value)) + items
    raise TypeError(f"cannot CBOR-encode {type(value).__name__}")


def _cbor_head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if length < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, length)
    raise ValueError("CBOR length too large")


_Reply = tuple[int, list[tuple[str, str]], bytes]


def _fault_reply(kind: str, call: _Call) -> _Reply:
    """The response AWS sends for a throttle ("throttle") or a server error ("5xx")."""
    request_id = str(uuid.uuid4())
    throttle = kind == "throttle"
    headers = [("x-amzn-RequestId", request_id)]
    if call.protocol in ("json", "cbor"):
        # (modelled error shape, its query-protocol code) as each service names them.
        if call.service == "dynamodb":
            code, query_code = ("ThrottlingException" if throttle else "InternalServerError"), ""
            namespace = "com.amazonaws.dynamodb.v20120810"
        elif call.service == "cloudwatch":
            code, query_code = (
                ("ThrottlingException", "Throttling")
                if throttle
                else ("InternalServiceFault", "InternalServiceError")
            )
            namespace = "com.amazonaws.cloudwatch"
        else:
            # InternalFailure is the AWS-wide 500 code of the former query services (SQS).
            code = "ThrottlingException" if throttle else "InternalFailure"
            query_code = "Throttling" if throttle else "InternalFailure"
            namespace = f"com.amazonaws.{call.service}"
        message = "Rate of requests exceeds the allowed throughput." if throttle else "injected"
        if call.query_compatible and query_code:
            fault = "Sender" if throttle else "Receiver"
            headers.append(("x-amzn-query-error", f"{query_code};{fault}"))
        status = 400 if throttle else 500
        if call.protocol == "cbor":
            body = cbor_encode({"__type": f"{namespace}#{code}", "message": message})
            headers += [("smithy-protocol", "rpc-v2-cbor"), ("Content-Type", "application/cbor")]
            return status, headers, body
        body = json.dumps({"__type": f"{namespace}#{code}", "message": message}).encode()
        if call.service == "dynamodb":
            headers.append(("x-amz-crc32", str(zlib.crc32(body) & 0xFFFFFFFF)))
        headers.append(("Content-Type", "application/x-amz-json-1.0"))
        return status, headers, body
    if call.protocol == "s3":
        code = "SlowDown" if throttle else "InternalError"
        message = "Please reduce your request rate." if throttle else "injected"
        xml = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message><RequestId>{request_id}</RequestId>"
            f"<HostId>{request_id}</HostId></Error>"
        )
        headers += [("x-amz-request-id", request_id), ("Content-Type", "application/xml")]
        return (503 if throttle else 500), headers, xml.encode()
    if call.protocol == "ec2":
        code = "RequestLimitExceeded" if throttle else "InternalError"
        xml = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code}'
            f"</Code><Message>{'Request limit exceeded.' if throttle else 'injected'}</Message>"
            f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
        headers.append(("Content-Type", "text/xml;charset=UTF-8"))
        return (503 if throttle else 500), headers, xml.encode()
    if call.protocol == "query":
        code = "Throttling" if throttle else "InternalFailure"
        kind_ = "Sender" if throttle else "Receiver"
        xml = (
            f"<ErrorResponse><Error><Type>{kind_}</Type><Code>{code}</Code>"
            f"<Message>{'Rate exceeded' if throttle else 'injected'}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        headers.append(("Content-Type", "text/xml"))
        return (400 if throttle else 500), headers, xml.encode()
    # rest-json (EBS and anything unrecognised).
    if call.service == "ebs" and throttle:
        code = "RequestThrottledException"
        payload = {"Message": "Rate exceeded", "Reason": "ACCOUNT_THROTTLED"}
    elif call.service == "ebs":
        code, payload = "InternalServerException", {"Message": "injected"}
    else:
        code = "ThrottlingException" if throttle else "InternalFailure"
        payload = {"message": "Rate exceeded" if throttle else "injected"}
    headers += [("x-amzn-ErrorType", code), ("Content-Type", "application/json")]
    return (400 if throttle else 500), headers, json.dumps(payload).encode()


# -- half-failed batches ---------------------------------------------------------------------


def _split_batch(
    operation: str, request: dict[str, Any]
) -> tuple[dict[str, Any], Callable[[dict[str, Any]], None]] | None:
    """Split a batch request into the half to forward and a function adding the rest.

    Returns ``None`` when nothing would be withheld (a batch of one), so the request passes
    through untouched and a "partial" fault never stops a retry loop from finishing.
    """
    forwarded = dict(request)
    if operation == "BatchWriteItem":
        kept: dict[str, Any] = {}
        held: dict[str, Any] = {}
        for table, items in request.get("RequestItems", {}).items():
            half = math.ceil(len(items) / 2)
            kept[table] = items[:half]
            if items[half:]:
                held[table] = items[half:]
        if not held:
            return None
        forwarded["RequestItems"] = kept

        def add_items(response: dict[str, Any]) -> None:
            unprocessed = response.setdefault("UnprocessedItems", {})
            for table, items in held.items():
                unprocessed.setdefault(table, []).extend(items)

        return forwarded, add_items
    if operation == "BatchGetItem":
        kept_keys: dict[str, Any] = {}
        held_keys: dict[str, Any] = {}
        for table, spec in request.get("RequestItems", {}).items():
            keys = spec.get("Keys", [])
            half = math.ceil(len(keys) / 2)
            kept_keys[table] = {**spec, "Keys": keys[:half]}
            if keys[half:]:
                held_keys[table] = {**spec, "Keys": keys[half:]}
        if not held_keys:
            return None
        forwarded["RequestItems"] = kept_keys

        def add_keys(response: dict[str, Any]) -> None:
            unprocessed = response.setdefault("UnprocessedKeys", {})
            for table, spec in held_keys.items():
                if table in unprocessed:
                    unprocessed[table]["Keys"].extend(spec["Keys"])
                else:
                    unprocessed[table] = spec

        return forwarded, add_keys
    entries = request.get("Entries", [])
    half = math.ceil(len(entries) / 2)
    withheld = entries[half:]
    if not withheld:
        return None
    forwarded["Entries"] = entries[:half]

    def add_failed(response: dict[str, Any]) -> None:
        response.setdefault("Failed", []).extend(
            {"Id": e["Id"], "SenderFault": False, "Code": "InternalError", "Message": "injected"}
            for e in withheld
        )

    return forwarded, add_failed


# -- the proxy ---------------------------------------------------------------------------------


@dataclass
class _Fault:
    kind: str
    service: str | None
    operation: str | None
    times: int | None
    probability: float | None

    def applies_to(self, call: _Call, *, can_split: bool) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.service is not None and self.service != call.service:
            return False
        if self.operation is not None and self.operation != call.operation:
            return False
        if self.kind == "partial":
            return can_split
        if self.kind == "corrupt":
            return (call.service, call.operation) in _CORRUPT_OPERATIONS
        return True


class _BoundedReader:
    """Reads exactly ``remaining`` bytes of a request body from the client socket."""

    def __init__(self, stream: BinaryIO, remaining: int) -> None:
        self._stream = stream
        self.remaining = remaining

    def read(self, size: int = _COPY_CHUNK) -> bytes:
        if self.remaining <= 0:
            return b""
        data = self._stream.read(min(size, self.remaining))
        if not data:
            raise ConnectionError("client closed the connection mid-body")
        self.remaining -= len(data)
        return data

    def drain(self) -> None:
        while self.read():
            pass


class _Upstream:
    """A small pool of keep-alive connections to moto."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._lock = threading.Lock()
        self._idle: list[http.client.HTTPConnection] = []

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        return http.client.HTTPConnection(self._host, self._port, timeout=120), False

    def send(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes | _BoundedReader,
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Send one request and return the connection and its response (headers read)."""
        while True:
            if isinstance(body, bytes):
                conn, reused = self._connection()
            else:
                # A streamed body cannot be replayed, so never risk a stale connection.
                conn, reused = (
                    http.client.HTTPConnection(self._host, self._port, timeout=120),
                    False,
                )
            try:
                conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
                for name, value in headers:
                    conn.putheader(name, value)
                conn.endheaders()
                if isinstance(body, bytes):
                    if body:
                        conn.send(body)
                else:
                    while chunk := body.read():
                        conn.send(chunk)
                return conn, conn.getresponse()
            except (ConnectionError, http.client.HTTPException, OSError):
                conn.close()
                # moto may have closed an idle pooled connection; a fresh one will do.
                if not reused:
                    raise

    def release(self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse) -> None:
        """Return a connection whose response was read completely, or close it."""
        complete = response.isclosed()
        response.close()
        if response.will_close or not complete:
            conn.close()
            return
        with self._lock:
            self._idle.append(conn)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


class FaultProxy(LoopbackServer):
    """Forward HTTP to ``upstream`` (moto), injecting AWS-shaped faults on demand.

    Faults are matched in the order they were added; the first that applies and (for a
    ``probability``) wins its seeded coin toss is injected. ``requests`` records every
    request seen, ``injected`` how many faults of each kind were injected.
    """

    def __init__(self, upstream: str, *, seed: int = 0) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"upstream must be an http:// URL, not {upstream!r}")
        super().__init__()
        self.upstream = upstream
        self.injected: collections.Counter[str] = collections.Counter()
        self.requests: list[tuple[str, str]] = []
        self._pool = _Upstream(parts.hostname, parts.port or 80)
        self._rng = random.Random(seed)
        self._faults: list[_Fault] = []
        self._latency = 0.0

    def stop(self) -> None:
        """Stop listening, cut open client connections, and close upstream connections."""
        super().stop()
        self._pool.close()

    # -- configuration

    def set_latency(self, seconds: float) -> None:
        """Delay every request by ``seconds`` before it is forwarded or answered."""
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        with self._lock:
            self._latency = seconds

    def add(
        self,
        kind: str,
        *,
        service: str | None = None,
        operation: str | None = None,
        times: int | None = None,
        probability: float | None = None,
    ) -> None:
        """Inject ``kind`` on requests for ``service``/``operation`` (``None`` means any).

        ``times`` injects on the next N matching requests only; ``probability`` on that
        fraction of them (seeded, so runs repeat); neither means every matching request.
        "partial" applies only to batch operations with at least two entries and "corrupt"
        only to EBS GetSnapshotBlock; other requests pass through without using up ``times``.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {sorted(FAULT_KINDS)}, not {kind!r}")
        if times is not None and times < 0:
            raise ValueError("times must be >= 0")
        if probability is not None and not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if service is not None:
            service = _SERVICE_ALIASES.get(service, service)
        with self._lock:
            self._faults.append(_Fault(kind, service, operation, times, probability))

    def clear(self) -> None:
        """Remove every fault and the latency (``injected`` and ``requests`` are kept)."""
        with self._lock:
            self._faults.clear()
            self._latency = 0.0

    # -- serving

    def _choose(self, call: _Call, *, can_split: bool) -> str | None:
        with self._lock:
            for fault in self._faults:
                if not fault.applies_to(call, can_split=can_split):
                    continue
                if fault.probability is not None and self._rng.random() >= fault.probability:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                return fault.kind
        return None

    def serve(self, handler: Handler) -> None:
        method, target = handler.command, handler.path
        headers = [(k, v) for k, v in handler.headers.items()]
        lower = {k.lower(): v for k, v in headers}
        body: bytes | _BoundedReader
        if "chunked" in lower.get("transfer-encoding", "").lower():
            body = _read_chunked(cast(BinaryIO, handler.rfile))
        else:
            length = int(lower.get("content-length", "0") or 0)
            reader = _BoundedReader(cast(BinaryIO, handler.rfile), length)
            body = reader.read(length) if length <= _BUFFER_LIMIT else reader
            while isinstance(body, bytes) and len(body) < length:
                body += reader.read(length - len(body))
        call = _identify(method, target, lower, body if isinstance(body, bytes) else None)
        with self._lock:
            self.requests.append((call.service, call.operation))
            latency = self._latency
        if latency:
            time.sleep(latency)
        split = None
        if (call.service, call.operation) in _PARTIAL_OPERATIONS and isinstance(body, bytes):
            with contextlib.suppress(ValueError, TypeError, KeyError, AttributeError):
                split = _split_batch(call.operation, json.loads(body or b"{}"))
        kind = self._choose(call, can_split=split is not None)

        if kind in ("throttle", "5xx", "drop"):
            if isinstance(body, _BoundedReader):
                body.drain()
            self._count(kind)
            if kind == "drop":
                handler.close_connection = True
                return
            _reply(handler, *_fault_reply(kind, call))
            return

        forward_headers = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
        finish: Callable[[dict[str, Any]], None] | None = None
        if kind == "partial" and split is not None:
            request, finish = split
            body = json.dumps(request).encode()
            forward_headers = _replace_length(forward_headers, len(body))
        if isinstance(body, bytes) and "transfer-encoding" in lower:
            forward_headers = _replace_length(forward_headers, len(body))

        conn, response = self._pool.send(method, target, forward_headers, body)
        try:
            if kind == "drop_after":
                response.read()
                self._count(kind)
                handler.close_connection = True
                return
            if kind is not None or response.getheader("content-length") is None:
                self._relay_buffered(handler, method, response, kind, finish)
            else:
                _relay_streaming(handler, method, response)
        finally:
            self._pool.release(conn, response)

    def _count(self, kind: str) -> None:
        with self._lock:
            self.injected[kind] += 1

    def _relay_buffered(
        self,
        handler: Handler,
        method: str,
        response: http.client.HTTPResponse,
        kind: str | None,
        finish: Callable[[dict[str, Any]], None] | None,
    ) -> None:
        payload = response.read()
        headers = [
            (k, v)
            for k, v in response.getheaders()
            if k.lower() not in _HOP_BY_HOP and k.lower() != "content-length"
        ]
        ok = 200 <= response.status < 300
        if kind == "partial" and finish is not None and ok:
            if any(k.lower() == "content-encoding" and v == "gzip" for k, v in headers):
                payload = gzip.decompress(payload)
                headers = [(k, v) for k, v in headers if k.lower() != "content-encoding"]
            document = json.loads(payload or b"{}")
            finish(document)
            payload = json.dumps(document).encode()
            crc = str(zlib.crc32(payload) & 0xFFFFFFFF)
            headers = [(k, crc if k.lower() == "x-amz-crc32" else v) for k, v in headers]
            self._count(kind)
        elif kind == "corrupt" and ok and payload:
            middle = len(payload) // 2
            payload = payload[:middle] + bytes([payload[middle] ^ 0xFF]) + payload[middle + 1 :]
            self._count(kind)
        if method == "HEAD":
            length = response.getheader("content-length")
            if length is not None:
                headers.append(("Content-Length", length))
            _reply(handler, response.status, headers, b"", reason=response.reason, length=False)
        else:
            _reply(handler, response.status, headers, payload, reason=response.reason)


def _replace_length(headers: Iterable[tuple[str, str]], length: int) -> list[tuple[str, str]]:
    # A rewritten body no longer matches a payload hash or checksum header, so drop those;
    # moto does not verify SigV4, so the stale signature does no harm.
    stale = {
        "content-length",
        "x-amz-content-sha256",
        "content-md5",
        "x-amz-decoded-content-length",
    }
    kept = [(k, v) for k, v in headers if k.lower() not in stale]
    return [*kept, ("Content-Length", str(length))]


def _read_chunked(stream: BinaryIO) -> bytes:
    parts: list[bytes] = []
    while True:
        line = stream.readline(65537)
        if not line:
            raise ConnectionError("client closed the connection mid-body")
        size = int(line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while stream.readline(65537) not in (b"\r\n", b"\n", b""):
                pass  # trailers are not forwarded
            return b"".join(parts)
        data = stream.read(size + 2)
        if len(data) < size + 2:
            raise ConnectionError("client closed the connection mid-body")
        parts.append(data[:size])


def _reply(
    handler: Handler,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    reason: str | None = None,
    length: bool = True,
) -> None:
    handler.send_response_only(status, reason or None)
    for name, value in headers:
        handler.send_header(name, value)
    if length:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if body:
        handler.wfile.write(body)
    handler.wfile.flush()


def _relay_streaming(handler: Handler, method: str, response: http.client.HTTPResponse) -> None:
    handler.send_response_only(response.status, response.reason or None)
    for name, value in response.getheaders():
        if name.lower() not in _HOP_BY_HOP:
            handler.send_header(name, value)
    handler.end_headers()
    if method != "HEAD":
        while chunk := response.read(_COPY_CHUNK):
            handler.wfile.write(chunk)
    handler.wfile.flush()
