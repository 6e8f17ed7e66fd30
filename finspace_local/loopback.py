"""The HTTP(S) server base shared by the emulator and the driver's ResponseURL."""

from __future__ import annotations

import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["LoopbackServer", "QuietHandler"]

POLL_INTERVAL_S = 0.05  # a short poll keeps stop() quick


class LoopbackServer(ThreadingHTTPServer):
    """A threaded server on 127.0.0.1 (a free port by default), TLS when given a context."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, handler: type[BaseHTTPRequestHandler], *, port: int = 0,
                 tls_context: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", port), handler)
        self.tls_context = tls_context
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        if self.tls_context is not None:
            # The handshake happens in the request's own thread, not the accept loop.
            sock = self.tls_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that goes away mid-request (a killed Lambda container, a dropped TLS handshake)
        is normal here; anything else is still printed."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    def start(self, name: str) -> None:
        self._thread = threading.Thread(target=self.serve_forever, args=(POLL_INTERVAL_S,), name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, no Nagle, no per-request log lines."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Callers keep their own records."""
