"""What every AWS API checks before anything else: a SigV4 signature, recomputed and compared.

Shared by the FinSpace emulator (:mod:`finspace_local.auth`) and the driver's AWS endpoint
(:mod:`finspace_local.aws.endpoint`). :func:`parse_authorization` reads the ``Authorization``
header; :func:`verify` recomputes the signature with botocore's own signer
(:class:`botocore.auth.SigV4Auth`) over the request as received (method, path and query, the
headers the client signed, body) and the secret of the signing key, and compares in constant
time; the session token must be the key's, and ``X-Amz-Date`` within 5 minutes of the machine's
clock. A refusal is a :class:`SignatureError`, which each API names in its protocol
(:attr:`SignatureError.json_code` or :attr:`SignatureError.query_code`), answered with HTTP 403.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import Enum

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

__all__ = ["SIGNATURE_WINDOW_S", "Authorization", "Refusal", "SignatureError", "SignedRequest", "SigningKey",
           "check_scope", "parse_authorization", "verify"]

SIGNATURE_WINDOW_S = 300  # AWS accepts an X-Amz-Date up to 5 minutes away from its clock
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/\s,]+)/(?P<date>\d{8})/(?P<region>[^/\s,]+)/(?P<service>[^/\s,]+)"
    r"/aws4_request,\s*SignedHeaders=(?P<headers>[a-z0-9;-]+),\s*Signature=(?P<signature>[0-9a-f]{64})"
)
UNRECOGNIZED_KEY_MESSAGE = "The security token included in the request is invalid."
SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your "
                      "AWS Secret Access Key and signing method. Consult the service documentation for details.")


class Refusal(Enum):
    """Why a request was refused, with AWS's code for it in the query and in the JSON protocols."""

    MISSING = ("MissingAuthenticationToken", "MissingAuthenticationTokenException")
    INCOMPLETE = ("IncompleteSignature", "IncompleteSignatureException")
    UNRECOGNIZED = ("InvalidClientTokenId", "UnrecognizedClientException")
    MISMATCH = ("SignatureDoesNotMatch", "InvalidSignatureException")
    EXPIRED_TOKEN = ("ExpiredToken", "ExpiredTokenException")


class SignatureError(Exception):
    """A request AWS refuses before its API sees it (HTTP 403)."""

    status = 403

    def __init__(self, refusal: Refusal, message: str) -> None:
        super().__init__(message)
        self.refusal, self.message = refusal, message

    @property
    def query_code(self) -> str:
        return self.refusal.value[0]

    @property
    def json_code(self) -> str:
        return self.refusal.value[1]


@dataclass(frozen=True)
class SigningKey:
    """An access key and what signing with it takes: its secret, and its session token if temporary."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SignedRequest:
    """What the client sent, as the server received it: ``url`` is scheme, ``Host`` header, the
    path and query as sent (still percent-encoded)."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name), None)


@dataclass(frozen=True)
class Authorization:
    """The parts of a SigV4 ``Authorization`` header."""

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str = field(repr=False)


def parse_authorization(headers: Mapping[str, str]) -> Authorization:
    """The SigV4 ``Authorization`` header, or the SignatureError AWS answers for a missing or malformed one."""
    lowered = {k.lower(): v for k, v in headers.items()}
    value = lowered.get("authorization", "").strip()
    if not value:
        raise SignatureError(Refusal.MISSING, "Request is missing Authentication Token")
    match = _AUTHORIZATION.fullmatch(value)
    if match is None:
        raise SignatureError(Refusal.INCOMPLETE, "Authorization header requires 'Credential', 'SignedHeaders' and "
                             f"'Signature' parameters (AWS4-HMAC-SHA256). Authorization={value.split()[0]}")
    if "x-amz-date" not in lowered and "date" not in lowered:
        raise SignatureError(Refusal.INCOMPLETE, "Authorization header requires existence of either a "
                             "'X-Amz-Date' or a 'Date' header.")
    return Authorization(match["key"], match["date"], match["region"], match["service"],
                         tuple(match["headers"].split(";")), match["signature"])


def check_scope(auth: Authorization, *, services: Collection[str], region: str | None = None) -> None:
    """The credential scope names one of ``services`` (and ``region`` when given)."""
    if auth.service not in services:
        raise SignatureError(Refusal.MISMATCH, "Credential should be scoped to correct service: "
                             f"'{' or '.join(sorted(services))}'.")
    if region is not None and auth.region != region:
        raise SignatureError(Refusal.MISMATCH, f"Credential should be scoped to a valid region, not '{auth.region}'.")


def verify(request: SignedRequest, auth: Authorization, key: SigningKey, *, now: float | None = None) -> None:
    """Refuse ``request`` (a SignatureError) unless ``key`` signed it, as ``auth`` claims, within
    :data:`SIGNATURE_WINDOW_S` of ``now`` (the machine's clock by default), with its session token."""
    token = request.header("x-amz-security-token")
    if (token is None) != (key.session_token is None) or not hmac.compare_digest(
        (token or "").encode(), (key.session_token or "").encode()
    ):
        raise SignatureError(Refusal.UNRECOGNIZED, UNRECOGNIZED_KEY_MESSAGE)
    if "host" not in auth.signed_headers:
        raise SignatureError(Refusal.INCOMPLETE, "'Host' or ':authority' must be a 'SignedHeader' in the AWS "
                             "Authorization.")
    amz_date = request.header("x-amz-date")
    if amz_date is None:
        raise SignatureError(Refusal.INCOMPLETE, "Authorization header requires existence of either a "
                             "'X-Amz-Date' or a 'Date' header.")  # botocore signs with X-Amz-Date only
    _check_time(amz_date, auth, time.time() if now is None else now)
    content_sha256 = request.header("x-amz-content-sha256")
    if content_sha256 is not None and content_sha256 != hashlib.sha256(request.body).hexdigest():
        raise SignatureError(Refusal.MISMATCH, "The provided 'x-amz-content-sha256' header does not match what "
                             "was computed.")
    signed = {name: request.header(name) or "" for name in auth.signed_headers}
    aws_request = AWSRequest(method=request.method, url=request.url, data=request.body, headers=signed)
    aws_request.context["timestamp"] = amz_date
    signer = _Recomputer(Credentials(key.access_key_id, key.secret_access_key, key.session_token), auth.service,
                         auth.region, auth.signed_headers)
    expected = signer.signature(signer.string_to_sign(aws_request, signer.canonical_request(aws_request)),
                                aws_request)
    if not hmac.compare_digest(expected.encode(), auth.signature.encode()):
        raise SignatureError(Refusal.MISMATCH, SIGNATURE_MISMATCH)


def _check_time(amz_date: str, auth: Authorization, now: float) -> None:
    try:
        signed_at = datetime.datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=datetime.UTC).timestamp()
    except ValueError:
        raise SignatureError(Refusal.INCOMPLETE, f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. "
                             "See http://en.wikipedia.org/wiki/ISO_8601") from None
    if auth.date != amz_date[:8]:
        raise SignatureError(Refusal.MISMATCH, f"Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                             f"version of date from HTTP: '{auth.date}' != '{amz_date[:8]}', from '{amz_date}'.")
    if signed_at < now - SIGNATURE_WINDOW_S:
        raise SignatureError(Refusal.MISMATCH, f"Signature expired: {amz_date} is now earlier than "
                             f"{_format(now - SIGNATURE_WINDOW_S)} ({_format(now)} - 5 min.)")
    if signed_at > now + SIGNATURE_WINDOW_S:
        raise SignatureError(Refusal.MISMATCH, f"Signature not yet current: {amz_date} is still later than "
                             f"{_format(now + SIGNATURE_WINDOW_S)} ({_format(now)} + 5 min.)")


def _format(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime(_AMZ_DATE)


class _Recomputer(SigV4Auth):
    """botocore's signer, told which headers the client signed (it would otherwise pick its own)."""

    def __init__(self, credentials: Credentials, service_name: str, region_name: str,
                 signed_headers: tuple[str, ...]) -> None:
        super().__init__(credentials, service_name, region_name)
        self._signed_headers = signed_headers

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        headers = HTTPHeaders()
        for name in self._signed_headers:
            headers[name] = request.headers.get(name, "")
        return headers
