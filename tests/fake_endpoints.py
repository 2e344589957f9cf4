"""Fake AWS endpoints on loopback that answer as AWS's error paths do, or not at all.

:class:`HangingEndpoint` reads each request and never answers (until stopped), as a
black-holed endpoint or a stuck load balancer does: every call must still end, in bounded
attempts. :class:`SignatureMismatchEndpoint` answers every request as AWS answers a bad
signature: the JSON-protocol services echo the canonical request they expected (session
token header included) in the message, S3 returns ``StringToSign``, ``CanonicalRequest``,
``SignatureProvided`` and ``AWSAccessKeyId`` beside it. What a client then shows must not
carry any of it. Stdlib only.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading

from tests.faults import _identify, cbor_encode
from tests.loopback import Handler, LoopbackServer

__all__ = ["HangingEndpoint", "SignatureMismatchEndpoint"]

_SIGNATURE = re.compile(r"Signature=([0-9a-f]+)")


class HangingEndpoint(LoopbackServer):
    """Accepts connections, reads requests, answers nothing (for ``hold`` seconds at most)."""

    def __init__(self, hold: float = 30.0) -> None:
        super().__init__()
        self.hold = hold
        self.requests = 0
        self._released = threading.Event()
        self._count = threading.Lock()

    def serve(self, handler: Handler) -> None:
        with self._count:
            self.requests += 1
        length = int(handler.headers.get("content-length", "0") or 0)
        if length:
            handler.rfile.read(length)
        # Bounded: the test ends it with stop(); a forgotten endpoint still lets go.
        self._released.wait(self.hold)
        handler.close_connection = True

    def stop(self) -> None:
        self._released.set()
        super().stop()


class SignatureMismatchEndpoint(LoopbackServer):
    """Answers every request with AWS's signature-mismatch error, echoing what it received."""

    def __init__(self) -> None:
        super().__init__()
        #: Signatures the clients sent (to check none of them shows anywhere).
        self.signatures: list[str] = []
        self._signatures_lock = threading.Lock()

    def serve(self, handler: Handler) -> None:
        lower = {k.lower(): v for k, v in handler.headers.items()}
        length = int(lower.get("content-length", "0") or 0)
        body = handler.rfile.read(length) if length else b""
        call = _identify(handler.command, handler.path, lower, body)
        authorization = lower.get("authorization", "")
        match = _SIGNATURE.search(authorization)
        if match is not None:
            with self._signatures_lock:
                self.signatures.append(match.group(1))
        signed = sorted(k for k in lower if k.startswith("x-amz-") or k in ("host",))
        canonical = "\n".join(
            [
                handler.command,
                handler.path.split("?", 1)[0],
                "",
                *(f"{name}:{lower[name]}" for name in signed),
                "",
                ";".join(signed),
                hashlib.sha256(body).hexdigest(),
            ]
        )
        string_to_sign = f"AWS4-HMAC-SHA256\n{lower.get('x-amz-date', '')}\n{authorization}"
        message = (
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.\n\nThe Canonical String for this request should have "
            f"been\n'{canonical}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
        )
        if call.protocol == "s3":
            key_id = re.search(r"Credential=([^/]+)/", authorization)
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch'
                "</Code><Message>The request signature we calculated does not match the "
                "signature you provided. Check your key and signing method.</Message>"
                f"<AWSAccessKeyId>{key_id.group(1) if key_id else ''}</AWSAccessKeyId>"
                f"<StringToSign>{_xml(string_to_sign)}</StringToSign>"
                f"<SignatureProvided>{match.group(1) if match else ''}</SignatureProvided>"
                f"<CanonicalRequest>{_xml(canonical)}</CanonicalRequest>"
                "<RequestId>FAKE</RequestId><HostId>FAKE</HostId></Error>"
            ).encode()
            self._reply(handler, 403, "application/xml", xml)
        elif call.protocol == "cbor":
            payload = {"__type": "com.amazonaws.cloudwatch#InvalidSignatureException"}
            payload["message"] = message
            self._reply(
                handler,
                403,
                "application/cbor",
                cbor_encode(payload),
                [("smithy-protocol", "rpc-v2-cbor")],
            )
        elif call.protocol == "json":
            payload = {"__type": "InvalidSignatureException", "message": message}
            self._reply(handler, 400, "application/x-amz-json-1.0", json.dumps(payload).encode())
        elif call.protocol in ("query", "ec2"):
            xml = (
                "<Response><Errors><Error><Code>SignatureDoesNotMatch</Code>"
                f"<Message>{_xml(message)}</Message></Error></Errors>"
                "<RequestID>FAKE</RequestID></Response>"
            ).encode()
            self._reply(handler, 403, "text/xml", xml)
        else:
            self._reply(
                handler,
                403,
                "application/json",
                json.dumps({"message": message}).encode(),
                [("x-amzn-ErrorType", "InvalidSignatureException")],
            )

    @staticmethod
    def _reply(
        handler: Handler,
        status: int,
        content_type: str,
        body: bytes,
        extra: list[tuple[str, str]] | None = None,
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("x-amzn-RequestId", "FAKE-REQUEST")
        for name, value in extra or ():
            handler.send_header(name, value)
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
