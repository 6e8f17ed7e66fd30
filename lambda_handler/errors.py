"""The provider's exceptions, and the one place that maps FinSpace API errors to them.

Every exception here carries a message that is already safe to show CloudFormation:
it names the property or the API error, the problem and the fix, and no personal
data. :mod:`lambda_handler.reasons` renders it into the final Reason.
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

__all__ = [
    "API_ERROR_FIXES",
    "AdoptionRequiredError",
    "ApiCallError",
    "DeadlineError",
    "MissingResourceError",
    "PropertyError",
    "ProviderError",
    "StaleRequestError",
    "api_error",
    "error_code",
]


class ProviderError(Exception):
    """A failure whose message is safe and complete (problem and fix)."""


class PropertyError(ProviderError):
    """ResourceProperties that break the contract; the message lists every problem."""


class AdoptionRequiredError(ProviderError):
    """An ENABLED user already has the declared email, and AdoptExisting is not true."""


class MissingResourceError(ProviderError):
    """The FinSpace object this resource manages no longer exists."""


class StaleRequestError(ProviderError):
    """A late duplicate of a request whose effect CloudFormation already undid."""


class DeadlineError(ProviderError):
    """Not enough invocation time left to finish safely."""


class ApiCallError(ProviderError):
    """A FinSpace API call failed after botocore's retries."""

    def __init__(self, operation: str, code: str, fix: str) -> None:
        super().__init__(f"{operation} failed with {code}: {fix}")
        self.operation = operation
        self.code = code


API_ERROR_FIXES = {
    "AccessDeniedException": "register the provider role as apiAccessPrincipalArn of a FinSpace user allowed to "
    "manage users (README: Bootstrap)",
    "ThrottlingException": "FinSpace kept throttling after retries; deploy again later",
    "InternalServerException": "FinSpace kept failing after retries; deploy again later",
    "LimitExceededException": "the environment's user limit is reached; disable unused users or raise the limit",
    "ValidationException": "FinSpace rejected a value; check the properties against the README reference",
    "ResourceNotFoundException": "the user or environment does not exist; check EnvironmentId",
    "ConflictException": "the user is in a conflicting state; check it in FinSpace and deploy again",
}
CONNECTION_FIX = "could not reach the FinSpace endpoint; check the network path and AWS_ENDPOINT_URL_FINSPACE_DATA"


def api_error(operation: str, error: ClientError | BotoCoreError) -> ApiCallError:
    """Translate a botocore error into an :class:`ApiCallError` (never echoing its message)."""
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", "UnknownError"))
        return ApiCallError(operation, code, API_ERROR_FIXES.get(code, "see the function's logs"))
    if isinstance(error, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError):
        return ApiCallError(operation, type(error).__name__, CONNECTION_FIX)
    return ApiCallError(operation, type(error).__name__, "see the function's logs")


def error_code(error: ClientError) -> str:
    """The API error code of a ClientError."""
    return str(error.response.get("Error", {}).get("Code", ""))
