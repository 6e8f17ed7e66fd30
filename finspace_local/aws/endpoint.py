"""One HTTPS server on loopback for several AWS APIs, and what every AWS API checks first: a signature.

botocore signs each request with SigV4 for the service it calls; the credential scope's service
name (``cloudformation``, ``ssm``) picks the API here, as the host name does at AWS. Signatures are
not recomputed (the functions sign with fake credentials), but an unsigned or malformed request is
refused as AWS refuses it (403), and so is one signed for another region than the driver's.
"""

from __future__ import annotations

import re
import ssl
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from ..loopback import LoopbackServer, QuietHandler

__all__ = ["AwsEndpoint", "AwsError", "Reply", "Service"]

MAX_BODY_BYTES = 1 << 20
_SCOPE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=[^/\s]+/\d{8}/(?P<region>[^/\s]+)/(?P<service>[^/\s]+)/aws4_request,"
    r"\s*SignedHeaders=[a-z0-9;-]+,\s*Signature=[0-9a-f]{64}"
)


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
        reply = self.server.endpoint.answer({k.lower(): v for k, v in self.headers.items()}, body, request_id)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("x-amzn-RequestId", request_id)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_PUT = do_DELETE = do_POST  # noqa: N815 - stdlib naming; every API here is POST-only


class AwsEndpoint:
    """The services' HTTPS server on 127.0.0.1 (a free port); :meth:`close` stops it."""

    def __init__(self, tls_context: ssl.SSLContext, services: list[Service], *, region: str) -> None:
        self.services = {service.signing_name: service for service in services}
        self.region = region
        self._server = _Server(_Handler, tls_context=tls_context)
        self._server.endpoint = self
        self._server.start("aws-endpoint")

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._server.port}"

    def environment(self) -> dict[str, str]:
        """The variables that point botocore at every service served here."""
        return {service.endpoint_variable: self.url for service in self.services.values()}

    def answer(self, headers: Mapping[str, str], body: bytes, request_id: str) -> Reply:
        scope = _SCOPE.fullmatch(headers.get("authorization", "").strip())
        service = self.services.get(scope["service"]) if scope else None
        if service is None:
            service = next((s for s in self.services.values() if s.claims(headers)), None)
            if service is None:
                service = next(iter(self.services.values()))
        try:
            self._check_signature(headers, scope)
        except AwsError as error:
            return service.error(error, request_id)
        return service.handle(headers, body, request_id)

    def _check_signature(self, headers: Mapping[str, str], scope: re.Match[str] | None) -> None:
        authorization = headers.get("authorization", "")
        if not authorization:
            raise AwsError("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
        if scope is None:
            raise AwsError("IncompleteSignature", "Authorization header requires 'Credential', 'SignedHeaders' and "
                           f"'Signature' parameters (AWS4-HMAC-SHA256). Authorization={authorization.split()[0]}", 403)
        if "x-amz-date" not in headers and "date" not in headers:
            raise AwsError("IncompleteSignature", "Authorization header requires existence of either a "
                           "'X-Amz-Date' or a 'Date' header.", 403)
        if scope["service"] not in self.services:
            raise AwsError("SignatureDoesNotMatch", f"Credential should be scoped to correct service: "
                           f"'{' or '.join(sorted(self.services))}'.", 403)
        if scope["region"] != self.region:
            raise AwsError("SignatureDoesNotMatch", f"Credential should be scoped to a valid region, "
                           f"not '{scope['region']}'.", 403)

    def close(self) -> None:
        self._server.stop()
