"""Two-step authentication as FinSpace does it (see the README, "What the emulator enforces").

Every request must carry a SigV4 signature for the ``finspace-api`` service, recomputed and
compared (:mod:`finspace_local.sigv4`) with the secret of its access key: either IAM keys the
emulator was told belong to a role (:meth:`~finspace_local.state.Backend.assign_role`, with their
secret: what IAM would know), or credentials this emulator issued (with their session token, not
yet expired). ``GetProgrammaticAccessCredentials`` must be signed by a role, every other operation
with issued credentials: that, and whether the role or the user may act, is decided in
:mod:`finspace_local.state` and :mod:`finspace_local.access`.

Refusals are AWS's, HTTP 403 with the code in ``x-amzn-ErrorType`` (none of them is in the API
model; botocore gives the code all the same): an unknown access key, or a session token missing
or not the key's, ``UnrecognizedClientException``; a wrong signature, or an ``X-Amz-Date`` more
than 5 minutes away, ``InvalidSignatureException``; issued credentials past their expiry,
``ExpiredTokenException``; no signature, ``MissingAuthenticationTokenException``; a malformed one,
``IncompleteSignatureException``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from .exceptions import ApiError
from .sigv4 import (
    UNRECOGNIZED_KEY_MESSAGE,
    Refusal,
    SignatureError,
    SignedRequest,
    SigningKey,
    check_scope,
    parse_authorization,
    verify,
)

__all__ = ["SIGNING_NAME", "IssuedCredentials", "KeyStore", "Principal", "SignedRequest", "authenticate"]

SIGNING_NAME = "finspace-api"
EXPIRED_MESSAGE = "The security token included in the request is expired"


@dataclass(frozen=True)
class IssuedCredentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    environment_id: str
    expires_at: float
    user_id: str  # the FinSpace user these credentials act as

    @property
    def signing_key(self) -> SigningKey:
        return SigningKey(self.access_key_id, self.secret_access_key, self.session_token)


@dataclass(frozen=True)
class Principal:
    """IAM keys of a role: what IAM knows of an access key."""

    role_arn: str
    signing_key: SigningKey


class KeyStore(Protocol):
    """Who signs with an access key (the emulator's :class:`~finspace_local.state.Backend`)."""

    def issued_credentials(self, access_key_id: str) -> IssuedCredentials | None: ...

    def principal(self, access_key_id: str) -> Principal | None: ...

    def now(self) -> float: ...


def authenticate(request: SignedRequest, keys: KeyStore, *, now: float | None = None) -> IssuedCredentials | Principal:
    """Who signed ``request``, or the ApiError AWS answers. ``now``: the machine's clock by default
    (what the client signs with; the emulator's own clock, :meth:`KeyStore.now`, decides expiry)."""
    try:
        auth = parse_authorization(request.headers)
        check_scope(auth, services=(SIGNING_NAME,))
        signer: IssuedCredentials | Principal | None = keys.issued_credentials(auth.access_key_id)
        if signer is None:
            signer = keys.principal(auth.access_key_id)
        if signer is None:
            raise SignatureError(Refusal.UNRECOGNIZED, UNRECOGNIZED_KEY_MESSAGE)
        verify(request, auth, signer.signing_key, now=now)
        if isinstance(signer, IssuedCredentials) and signer.expires_at <= keys.now():
            raise SignatureError(Refusal.EXPIRED_TOKEN, EXPIRED_MESSAGE)
    except SignatureError as error:
        raise ApiError(error.json_code, error.message, error.status) from None
    return signer
