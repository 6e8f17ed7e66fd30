"""One HTTPS server on loopback for several AWS APIs, and what every AWS API checks first: a signature.

botocore signs each request with SigV4 for the service it calls; the credential scope's service
name (``cloudformation``, ``ssm``) picks the API here, as the host name does at AWS. An unsigned or
malformed request is refused as AWS refuses it (403), and so is one signed for another region than
the driver's. Given the keys that may sign (``keys``), the endpoint also recomputes each signature
with the key's secret and checks its session token and time, as the FinSpace emulator does
(:mod:`finspace_local.sigv4`); without them (``None``, as the driver builds it today: it does not
tell the endpoint its functions' keys), signatures are not recomputed.
"""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from ..loopback import LoopbackServer, QuietHandler
from ..sigv4 import (
    UNRECOGNIZED_KEY_MESSAGE,
    Authorization,
    Refusal,
    SignatureError,
    SignedRequest,
    SigningKey,
    check_scope,
    parse_authorization,
    verify,
)

__all__ = ["AwsEndpoint", "AwsError", "Reply", "Service"]

MAX_BODY_BYTES = 1 << 20


class AwsError(Exception):
    """An error answer: its code (``ValidationError``, ``ParameterNotFound``...), message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes


class Service(Protocol):
    """One API served at the endpoint."""

    signing_name: str  # the service in the SigV4 credential scope, as botocore signs for it
    endpoint_variable: str  # botocore's per-service endpoint override

    def claims(self, headers: Mapping[str, str]) -> bool:
        """Whether an unsigned request looks like one of this API's (to answer in its protocol)."""

    def handle(self, headers: Mapping[str, str], body: bytes, request_id: str) -> Reply:
        """The answer to a signed request (errors included)."""

    def error(self, error: AwsError, request_id: str) -> Reply:
        """``error`` in this API's protocol."""


class _Server(LoopbackServer):
    endpoint: AwsEndpoint


class _Handler(QuietHandler):
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, MAX_BODY_BYTES))
        except (OSError, ValueError):
            self.close_connection = True
            return
        request_id = str(uuid.uuid4())
        reply = self.server.endpoint.answer({k.lower(): v for k, v in self.headers.items()}, body, request_id,
                                            method=self.command, target=self.path)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("x-amzn-RequestId", request_id)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_PUT = do_DELETE = do_POST  # noqa: N815 - stdlib naming; every API here is POST-only


class AwsEndpoint:
    """The services' HTTPS server on 127.0.0.1 (a free port); :meth:`close` stops it."""

    def __init__(self, tls_context: ssl.SSLContext, services: list[Service], *, region: str,
                 keys: Mapping[str, SigningKey] | None = None) -> None:
        """``keys``: the keys that may sign, by access key id (read at each request: a dict filled
        later works); ``None``: signatures are not recomputed."""
        self.services = {service.signing_name: service for service in services}
        self.region = region
        self.keys = keys
        self._server = _Server(_Handler, tls_context=tls_context)
        self._server.endpoint = self
        self._server.start("aws-endpoint")

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._server.port}"

    def environment(self) -> dict[str, str]:
        """The variables that point botocore at every service served here."""
        return {service.endpoint_variable: self.url for service in self.services.values()}

    def answer(self, headers: Mapping[str, str], body: bytes, request_id: str, *, method: str = "POST",
               target: str = "/") -> Reply:
        """The reply to a request: ``headers`` lower-cased, ``target`` the path and query as sent."""
        auth: Authorization | SignatureError
        try:
            auth = parse_authorization(headers)
        except SignatureError as error:
            auth = error
        service = self.services.get(auth.service) if isinstance(auth, Authorization) else None
        if service is None:
            service = next((s for s in self.services.values() if s.claims(headers)), None)
            if service is None:
                service = next(iter(self.services.values()))
        try:
            if isinstance(auth, SignatureError):
                raise auth
            check_scope(auth, services=self.services, region=self.region)
            if self.keys is not None:
                key = self.keys.get(auth.access_key_id)
                if key is None:
                    raise SignatureError(Refusal.UNRECOGNIZED, UNRECOGNIZED_KEY_MESSAGE)
                url = f"https://{headers.get('host', '')}{target}"
                verify(SignedRequest(method, url, headers, body), auth, key)
        except SignatureError as error:
            return service.error(AwsError(error.query_code, error.message, error.status), request_id)
        return service.handle(headers, body, request_id)

    def close(self) -> None:
        self._server.stop()
