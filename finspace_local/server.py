"""The FinSpace Data API emulator: an HTTP(S) server on loopback.

``Emulator`` is a context manager (and a pytest fixture's body): it starts the
server on a free port in a background thread and stops it on exit. Requests are
routed by the carried model, authenticated, validated, passed through the fault
injector and answered by :class:`~finspace_local.state.Backend`. Every call is
recorded in :attr:`Emulator.calls` (operation, HTTP status, error code, time).
:attr:`Emulator.web_app` plays the FinSpace web application (add users, register
roles) for the demo and tests; it never goes through the API.

The administration routes (``GET /_emulator/calls``, ``POST /_emulator/faults``) are no
AWS API: they take ``Authorization: Bearer <token>`` with :attr:`Emulator.admin_token`,
random per emulator (printed at start by ``python -m finspace_local.emulator``), and answer
401 without it, 403 with another.
"""

from __future__ import annotations

import hmac
import json
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .auth import IssuedCredentials, SignedRequest, authenticate
from .exceptions import ApiError
from .faults import Faults, FaultSettings
from .loopback import LoopbackServer, QuietHandler
from .protocol import Answer, find_route, parse_input, read_only_operations, render_output
from .state import Backend, BackendSettings, Caller
from .tls import LocalCA
from .validation import validate_input
from .webapp import WebApplication

__all__ = ["CallRecord", "Emulator", "EmulatorSettings"]

_Outcome = TypeVar("_Outcome", Answer, ApiError, None)
CONTROL_PREFIX = "/_emulator/"


@dataclass(frozen=True)
class CallRecord:
    """One API call: its operation, HTTP status, error code, time, and the names (not
    values) of the members it sent."""

    operation: str
    status: int
    error: str | None
    at: float
    members: tuple[str, ...] = ()


@dataclass
class EmulatorSettings:
    """How to serve: ``tls`` off gives plain HTTP; ``db_path`` ``:memory:`` keeps nothing."""

    db_path: str = ":memory:"
    tls: bool = True
    port: int = 0
    state_dir: Path | None = None
    backend: BackendSettings = field(default_factory=BackendSettings)
    faults: FaultSettings = field(default_factory=FaultSettings)


class _Server(LoopbackServer):
    emulator: Emulator


class _Handler(QuietHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._serve()

    do_POST = do_PUT = do_DELETE = do_GET  # noqa: N815 - stdlib naming

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
        except (OSError, ValueError):
            self.close_connection = True
            return
        split = urlsplit(self.path)
        if split.path.startswith(CONTROL_PREFIX):
            authorization = self.headers.get("Authorization")
            self._send(self.server.emulator.control(self.command, split.path, body, authorization=authorization))
            return
        outcome = self.server.emulator.handle(self.command, self.path, dict(self.headers.items()), body)
        if outcome is None:
            self.close_connection = True  # a "dropped connection" fault: no answer at all
            return
        self._send(outcome)

    def _send(self, answer: Answer | ApiError) -> None:
        if isinstance(answer, ApiError):
            status, headers, payload = answer.status, {"x-amzn-ErrorType": answer.code}, answer.body()
            if status == HTTPStatus.UNAUTHORIZED:
                headers["WWW-Authenticate"] = 'Bearer realm="finspace-local"'  # RFC 6750
        else:
            status, headers, payload = answer.status, answer.headers, answer.encoded()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("x-amzn-RequestId", f"{time.monotonic_ns():x}")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class Emulator:
    """The FinSpace Data API on ``127.0.0.1``; see the module docstring."""

    def __init__(self, settings: EmulatorSettings | None = None, ca: LocalCA | None = None) -> None:
        """``ca``: serve with this CA's certificate (share one with the CloudFormation driver)."""
        self.settings = settings or EmulatorSettings()
        self.backend = Backend(self.settings.db_path, self.settings.backend)
        self.web_app = WebApplication(self.backend)
        self.faults = Faults(self.settings.faults)
        self.calls: list[CallRecord] = []
        self._calls_lock = threading.Lock()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._server: _Server | None = None
        self.ca: LocalCA | None = ca
        self.admin_token = secrets.token_urlsafe(32)  # for /_emulator/...: Authorization: Bearer <token>

    # --- lifecycle --------------------------------------------------------------
    def start(self) -> Emulator:
        server = _Server(_Handler, port=self.settings.port)
        server.emulator = self
        if self.settings.tls:
            if self.ca is None:
                state_dir = self.settings.state_dir
                if state_dir is None:
                    self._tmp = tempfile.TemporaryDirectory(prefix="finspace-local-")
                    state_dir = Path(self._tmp.name)
                self.ca = LocalCA(state_dir)
            server.tls_context = self.ca.server_context()
        self._server = server
        server.start("finspace-api")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()

    @property
    def endpoint_url(self) -> str:
        assert self._server is not None, "start() the emulator first"
        scheme = "https" if self.settings.tls else "http"
        return f"{scheme}://127.0.0.1:{self._server.port}"

    @property
    def ca_bundle(self) -> str | None:
        return str(self.ca.bundle_path) if self.ca else None

    def environment(self) -> dict[str, str]:
        """The variables that point botocore (and the handler) at this emulator."""
        env = {"AWS_ENDPOINT_URL_FINSPACE_DATA": self.endpoint_url}
        if self.ca_bundle:
            env["AWS_CA_BUNDLE"] = self.ca_bundle
        return env

    # --- requests ---------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Answer | ApiError | None:
        """Answer one API request; ``None`` means drop the connection."""
        split = urlsplit(target)
        route = find_route(method, split.path)
        if route is None:
            unknown = ApiError("ValidationException", f"No operation serves {method} {split.path}")
            return self._record("Unknown", unknown)
        operation, labels = route
        fault = self.faults.decide(operation.name)
        members: tuple[str, ...] = ()
        if fault == "drop":
            self._record(operation.name, None)
            return None
        try:
            if fault in ("throttle", "error"):
                raise _fault_error(fault)
            caller = self._authenticate(method, split, headers, body)
            params = parse_input(operation, labels, split.query, headers, body)
            members = tuple(sorted(params))
            validate_input(operation.input_shape, params)
            answer = render_output(operation, self.backend.call(operation.name, params, caller))
            if fault == "lose-reply":  # done, but the caller never hears of it
                with self._calls_lock:
                    self.calls.append(CallRecord(operation.name, answer.status, "ReplyLost", time.time(), members))
                return None
            return self._record(operation.name, answer, members)
        except ApiError as error:
            return self._record(operation.name, error, members)

    def _authenticate(self, method: str, split: Any, headers: dict[str, str], body: bytes) -> Caller:
        """Who signed the request (whether they may call the operation is the backend's to decide)."""
        host_url = f"{'https' if self.settings.tls else 'http'}://{headers.get('Host', '')}"
        raw_path = split.path + (f"?{split.query}" if split.query else "")
        signer = authenticate(SignedRequest(method, host_url + raw_path, headers, body), self.backend)
        if isinstance(signer, IssuedCredentials):
            return Caller(credentials=signer)
        return Caller(role_arn=signer.role_arn)

    def _record(self, operation: str, outcome: _Outcome, members: tuple[str, ...] = ()) -> _Outcome:
        if isinstance(outcome, ApiError):
            record = CallRecord(operation, outcome.status, outcome.code, time.time(), members)
        elif outcome is None:
            record = CallRecord(operation, 0, "Dropped", time.time(), members)
        else:
            record = CallRecord(operation, outcome.status, None, time.time(), members)
        with self._calls_lock:
            self.calls.append(record)
        return outcome

    def calls_of(self, *operations: str) -> list[CallRecord]:
        """The recorded calls of these operations (all calls when none are named)."""
        with self._calls_lock:
            return [c for c in self.calls if not operations or c.operation in operations]

    def mutating_calls(self) -> list[CallRecord]:
        """The recorded calls that succeeded and can change state (not the model's GET routes)."""
        reads = read_only_operations()
        return [c for c in self.calls_of() if c.operation not in reads and c.error is None]

    def clear_calls(self) -> None:
        with self._calls_lock:
            self.calls.clear()

    # --- control (for an emulator run from the command line) -------------------
    def control(self, method: str, path: str, body: bytes, *, authorization: str | None) -> Answer | ApiError:
        """``GET /_emulator/calls``, ``POST /_emulator/faults`` with FaultSettings fields; ``authorization``
        (the header) must be ``Bearer`` and :attr:`admin_token`."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return ApiError("Unauthorized", "The emulator's administration needs 'Authorization: Bearer <token>', "
                            "the admin token it printed at start", HTTPStatus.UNAUTHORIZED)
        if not hmac.compare_digest(token.strip().encode(), self.admin_token.encode()):
            return ApiError("Forbidden", "Not this emulator's admin token", HTTPStatus.FORBIDDEN)
        if method == "GET" and path == CONTROL_PREFIX + "calls":
            return Answer(body={"calls": [record.__dict__ for record in self.calls_of()]})
        if method == "POST" and path == CONTROL_PREFIX + "faults":
            try:
                fields = json.loads(body or b"{}")
                if fields.get("operations") is not None:
                    fields["operations"] = frozenset(fields["operations"])
                self.faults.configure(FaultSettings(**fields))
            except (TypeError, ValueError) as exc:
                return ApiError("ValidationException", f"Bad fault settings: {exc}")
            return Answer(body={"faults": "configured"})
        return ApiError("ValidationException", f"No control operation at {method} {path}")


def _fault_error(fault: str) -> ApiError:
    if fault == "throttle":
        return ApiError("ThrottlingException", "Rate exceeded")
    return ApiError("InternalServerException", "Injected internal error")
