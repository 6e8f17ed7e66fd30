"""The ResponseURL: an HTTPS server on loopback standing in for S3's pre-signed URLs.

Each request gets its own URL; the first body PUT there is the answer, as
CloudFormation reads it. Later PUTs are kept too (``duplicates``), for tests.
"""

from __future__ import annotations

import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field

from ..loopback import LoopbackServer, QuietHandler

__all__ = ["ResponseInbox"]

MAX_ACCEPTED_BYTES = 1 << 20  # read what was sent, even oversized, to judge it


@dataclass
class _Slot:
    arrived: threading.Event = field(default_factory=threading.Event)
    bodies: list[bytes] = field(default_factory=list)


class _Handler(QuietHandler):
    server: _InboxServer

    def do_PUT(self) -> None:  # noqa: N802 - stdlib naming
        length = min(int(self.headers.get("Content-Length") or 0), MAX_ACCEPTED_BYTES)
        body = self.rfile.read(length)
        found = self.server.inbox.deliver(self.path.split("?")[0], body)
        self.send_response(200 if found else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _InboxServer(LoopbackServer):
    inbox: ResponseInbox


class ResponseInbox:
    """Pre-signed-URL stand-in: ``new_url()`` per request, ``wait(url, timeout)`` for its answer."""

    def __init__(self, tls_context: ssl.SSLContext) -> None:
        self._slots: dict[str, _Slot] = {}
        self._lock = threading.Lock()
        self._server = _InboxServer(_Handler, tls_context=tls_context)
        self._server.inbox = self
        self._server.start("cfn-response-url")

    def new_url(self) -> str:
        path = f"/cloudformation-custom-resource-response/{uuid.uuid4()}"
        with self._lock:
            self._slots[path] = _Slot()
        # As S3 pre-signs it: the signing time (when CloudFormation sent the request) and 2 hours of validity.
        signed = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        return (f"https://127.0.0.1:{self._server.port}{path}?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                f"&X-Amz-Date={signed}&X-Amz-Expires=7200&X-Amz-SignedHeaders=host&X-Amz-Signature=local")

    def deliver(self, path: str, body: bytes) -> bool:
        with self._lock:
            slot = self._slots.get(path)
        if slot is None:
            return False
        slot.bodies.append(body)
        slot.arrived.set()
        return True

    def wait(self, url: str, timeout: float) -> bytes | None:
        """The first body PUT to ``url`` within ``timeout`` seconds, or ``None``."""
        slot = self._slots[_path_of(url)]
        return slot.bodies[0] if slot.arrived.wait(timeout) else None

    def deliveries(self, url: str) -> list[bytes]:
        """Every body PUT to ``url`` (duplicates included)."""
        return list(self._slots[_path_of(url)].bodies)

    def close(self) -> None:
        self._server.stop()


def _path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3].split("?")[0]
