"""Embedded AWS: moto's server in this process, on a free loopback port.

``awskit.local()`` is for tests, demos and trying awskit with no account. Nothing leaves
the machine: the server binds 127.0.0.1 and the session it yields carries dummy
credentials, so a stray request can never reach real AWS with real ones.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ._errors import AwskitError

if TYPE_CHECKING:
    from ._retry import RetryPolicy
    from ._session import Session

__all__ = ["LocalEndpoint", "local"]

#: Credentials moto accepts; they are not secrets and never reach AWS.
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def reset(url: str) -> None:
    """Make the moto server at ``url`` forget every resource (``/moto-api/reset``); it
    may run in this process or another."""
    import urllib.request

    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30):
        pass


_receive_lock = threading.Lock()
_receiving = threading.local()


def _atomic_sqs_receives() -> None:
    """Make moto hand each SQS message to one ``ReceiveMessage`` at a time.

    moto checks that a message is visible and marks it received without a lock, so two
    receives served at once by its threaded server can both take the same message: a
    standard queue delivering it twice within its visibility timeout, a FIFO queue giving
    one group to two consumers. SQS does neither, and awskit's concurrent consumer
    (``Queue.process``) handled messages twice on the embedded endpoint. One lock around
    each receive fixes it; a long poll lets go of it while it waits.
    """
    from moto.sqs import models

    receive = getattr(models.SQSBackend, "receive_message", None)
    wait = getattr(models.Queue, "wait_for_messages", None)
    if receive is None or wait is None or getattr(receive, "_awskit_atomic", False):
        # Patched already, or a moto whose internals moved: serve as moto does.
        return

    def receive_message(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _receive_lock:
            _receiving.held = True
            try:
                return receive(self, *args, **kwargs)
            finally:
                _receiving.held = False

    def wait_for_messages(self: Any, timeout: int) -> None:
        if not getattr(_receiving, "held", False):
            wait(self, timeout)
            return
        _receiving.held = False
        _receive_lock.release()
        try:
            wait(self, timeout)
        finally:
            _receive_lock.acquire()
            _receiving.held = True

    receive_message._awskit_atomic = True  # type: ignore[attr-defined]
    models.SQSBackend.receive_message = receive_message  # type: ignore[method-assign]
    models.Queue.wait_for_messages = wait_for_messages  # type: ignore[method-assign]


class LocalEndpoint:
    """moto's ``ThreadedMotoServer`` on 127.0.0.1; ``url`` is set once started."""

    def __init__(self, port: int = 0) -> None:
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as exc:
            raise AwskitError(
                "The embedded AWS endpoint needs moto's server: pip install 'awskit[local]'",
                code="MissingExtra",
            ) from exc
        _atomic_sqs_receives()
        self._server: Any = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.url = ""

    def start(self) -> LocalEndpoint:
        # werkzeug logs every request to stderr; a library must not.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        self._server.stop()

    def reset(self) -> None:
        """Forget every resource (moto's ``/moto-api/reset``)."""
        reset(self.url)

    def __enter__(self) -> LocalEndpoint:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextmanager
def local(
    *,
    port: int = 0,
    region: str = "us-east-1",
    retry: RetryPolicy | None = None,
    max_concurrency: int = 16,
    connect_timeout: float = 5.0,
    read_timeout: float = 30.0,
) -> Iterator[Session]:
    """Run an embedded AWS endpoint (moto) and yield a [Session][awskit.Session] connected to it.

    Needs the ``local`` extra (``pip install 'awskit[local]'``). The server stops when the
    block ends. moto keeps resources per process, not per server: what one ``local()``
    block created is still there in the next one in the same process.

    Example:
        ```python
        with awskit.local() as aws:
            queue = aws.sqs.create_queue("test")
        ```
    """
    import boto3

    from ._session import Session

    with LocalEndpoint(port) as endpoint:
        session = boto3.Session(
            region_name=region,
            aws_access_key_id=DUMMY_CREDENTIALS["aws_access_key_id"],
            aws_secret_access_key=DUMMY_CREDENTIALS["aws_secret_access_key"],
        )
        yield Session(
            session,
            endpoint_url=endpoint.url,
            retry=retry,
            max_concurrency=max_concurrency,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )
