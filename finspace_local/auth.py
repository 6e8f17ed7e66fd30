"""Two-step authentication as FinSpace does it (see the README, "What the emulator enforces").

``GetProgrammaticAccessCredentials`` takes a well-formed SigV4 signature for the
``finspace-api`` service whose access key the emulator was told belongs to an IAM role
(:meth:`~finspace_local.state.Backend.assign_role`: what IAM would know); the secret
itself is not checked. Every other operation must carry a SigV4 signature made with
credentials this emulator issued, not yet expired; the signature is recomputed and
compared. Whether the role or the user may act is decided in :mod:`finspace_local.access`.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .exceptions import access_denied

__all__ = ["IssuedCredentials", "SignedRequest", "parse_authorization", "verify_signature"]

SIGNING_NAME = "finspace-api"
_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,"
    r"\s*SignedHeaders=(?P<headers>[^,]+),\s*Signature=(?P<signature>[0-9a-f]{64})"
)


@dataclass(frozen=True)
class IssuedCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    environment_id: str
    expires_at: float
    user_id: str  # the FinSpace user these credentials act as


@dataclass(frozen=True)
class SignedRequest:
    """What the client sent, as the server received it."""

    method: str
    host_url: str
    raw_path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Authorization:
    access_key_id: str
    region: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(headers: dict[str, str]) -> Authorization:
    """The SigV4 ``Authorization`` header, or AccessDeniedException."""
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    match = _AUTHORIZATION.fullmatch(value.strip())
    if match is None:
        raise access_denied("Missing or malformed AWS Signature Version 4 authorization")
    if match["service"] != SIGNING_NAME:
        raise access_denied(f"Credential should be scoped to the service '{SIGNING_NAME}'")
    return Authorization(match["key"], match["region"], tuple(match["headers"].split(";")), match["signature"])


def verify_signature(request: SignedRequest, auth: Authorization, issued: IssuedCredentials) -> None:
    """Recompute the signature with the issued secret; AccessDeniedException on mismatch."""
    lowered = {k.lower(): v for k, v in request.headers.items()}
    if lowered.get("x-amz-security-token") != issued.session_token:
        raise access_denied("The security token included in the request is invalid")
    signed = {name: lowered.get(name, "") for name in auth.signed_headers}
    aws_request = AWSRequest(
        method=request.method, url=request.host_url + request.raw_path, data=request.body, headers=signed
    )
    aws_request.context["timestamp"] = lowered.get("x-amz-date", "")
    signer = SigV4Auth(
        Credentials(issued.access_key_id, issued.secret_access_key, issued.session_token), SIGNING_NAME, auth.region
    )
    string_to_sign = signer.string_to_sign(aws_request, signer.canonical_request(aws_request))
    expected = signer.signature(string_to_sign, aws_request)
    if not hmac.compare_digest(expected, auth.signature):
        raise access_denied("The request signature we calculated does not match the signature you provided")
