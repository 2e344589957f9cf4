"""A threaded HTTP/1.1 server on a free loopback port: what the test doubles share.

:class:`LoopbackServer` owns the listening socket, the serving thread and the open
client connections (cut on :meth:`~LoopbackServer.stop`, so a keep-alive connection
never outlives a test). Subclasses answer requests in :meth:`~LoopbackServer.serve`.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from typing_extensions import Self

__all__ = ["Handler", "LoopbackServer"]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 makes 16 clients connecting at once wait for SYN retries.
    request_queue_size = 256
    owner: LoopbackServer


class Handler(BaseHTTPRequestHandler):
    """One connection; every request on it goes to the owner's ``serve``."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay silent: a test run must not print a line per request."""

    def _handle(self) -> None:
        try:
            self.server.owner.serve(self)
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _handle


class LoopbackServer:
    """Start, stop and connection bookkeeping; ``url`` is set once started."""

    def __init__(self) -> None:
        self.url = ""
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def serve(self, handler: Handler) -> None:
        """Answer the request ``handler`` has just read the request line and headers of."""
        raise NotImplementedError

    def start(self) -> Self:
        """Listen on a free loopback port; ``url`` is set on return."""
        server = _Server(("127.0.0.1", 0), Handler)
        server.owner = self
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut every open client connection."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            for sock in list(self._connections):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._idle.wait_for(lambda: not self._connections, timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _track(self, sock: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(sock)
            else:
                self._connections.discard(sock)
                self._idle.notify_all()
