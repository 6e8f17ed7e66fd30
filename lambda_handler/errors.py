"""The provider's exceptions, and the one place that maps FinSpace API errors to them.

Every exception here carries a message that is already safe to show CloudFormation:
it names the property or the API error, the problem and the fix, and no personal
data. :mod:`lambda_handler.reasons` renders it into the final Reason.
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,  # noqa: A004 - botocore's name: every failure to reach or hear the endpoint
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
)

__all__ = [
    "API_ERROR_FIXES",
    "AdoptionRequiredError",
    "ApiCallError",
    "DeadlineError",
    "LockoutError",
    "MissingResourceError",
    "PropertyError",
    "ProviderError",
    "api_error",
    "error_code",
    "is_transient",
    "may_have_taken_effect",
]


class ProviderError(Exception):
    """A failure whose message is safe and complete (problem and fix)."""


class PropertyError(ProviderError):
    """ResourceProperties that break the contract; the message lists every problem."""


class AdoptionRequiredError(ProviderError):
    """An ENABLED user already has the declared email, and AdoptExisting is not true."""


class LockoutError(ProviderError):
    """The request would cut the provider off from FinSpace (its own user, API access or right)."""


class MissingResourceError(ProviderError):
    """The FinSpace object this resource manages no longer exists."""


class DeadlineError(ProviderError):
    """Not enough invocation time left to finish safely."""


class ApiCallError(ProviderError):
    """A FinSpace API call failed (a transient error: every retry the time budget allowed failed)."""

    def __init__(self, operation: str, code: str, fix: str, attempts: int = 1, *, uncertain: bool = False) -> None:
        """``uncertain``: an earlier attempt may have taken effect (a 5xx, or a reply lost)."""
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(f"{operation} failed with {code}{tries}: {fix}")
        self.operation = operation
        self.code = code
        self.uncertain = uncertain


API_ERROR_FIXES = {
    "AccessDeniedException": "register the provider role (output RoleArn) in the FinSpace web app: a user with API "
    "access, that role as IAM principal, Superuser or ManageUsersAndGroups (README: Bootstrap)",
    "ThrottlingException": "FinSpace throttled every retry until the function's time ran out; deploy again, and "
    "size the provider for the number of users (README: Sizing)",
    "InternalServerException": "FinSpace kept failing until the function's time ran out; deploy again later",
    "LimitExceededException": "the environment's user limit is reached; disable unused users or raise the limit",
    "ValidationException": "FinSpace rejected a value; check the properties against the README reference",
    "ResourceNotFoundException": "the user or environment does not exist; check EnvironmentId",
    "ConflictException": "the user is in a conflicting state; check it in FinSpace and deploy again",
}
CONNECTION_FIX = "could not reach the FinSpace endpoint; check the network path and AWS_ENDPOINT_URL_FINSPACE_DATA"
# Codes that mean "slow down" rather than "wrong request", whatever HTTP status carries them.
THROTTLING_CODES = frozenset({
    "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown",
    "ServiceUnavailableException", "ServiceUnavailable", "InternalServerException", "InternalFailure",
})


def api_error(operation: str, error: ClientError | BotoCoreError, attempts: int = 1,
              *, uncertain: bool = False) -> ApiCallError:
    """Translate a botocore error into an :class:`ApiCallError` (never echoing its message)."""
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", "UnknownError"))
        fix = API_ERROR_FIXES.get(code, "see the function's logs")
    elif isinstance(error, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError):
        code, fix = type(error).__name__, CONNECTION_FIX
    else:
        code, fix = type(error).__name__, "see the function's logs"
    return ApiCallError(operation, code, fix, attempts, uncertain=uncertain)


def may_have_taken_effect(error: ClientError | BotoCoreError) -> bool:
    """True when the failed attempt may still have been carried out: a 5xx answer, or a connection
    that broke after the request was sent (a throttled or unreachable call never was)."""
    if isinstance(error, ClientError):
        return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0) >= 500
    return isinstance(error, HTTPClientError)


def is_transient(error: ClientError | BotoCoreError) -> bool:
    """True when the same call may succeed later: throttling, a 5xx, or a connection that failed or
    dropped (every mutating call carries a client token, so repeating one is safe)."""
    if isinstance(error, ClientError):
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return status == 429 or status >= 500 or error_code(error) in THROTTLING_CODES
    return isinstance(error, ConnectionError | HTTPClientError)


def error_code(error: ClientError) -> str:
    """The API error code of a ClientError."""
    return str(error.response.get("Error", {}).get("Code", ""))
