"""FinSpace user operations for one request: botocore errors translated at the call site,
deterministic client tokens, bounded waits. No personal data is logged here."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from .deadline import Deadline
from .errors import ApiCallError, UserMissingError, api_error
from .ids import RequestIdentity
from .properties import API_ACCESS_ENABLED, UserProperties

if TYPE_CHECKING:
    from mypy_boto3_finspace_data import FinSpaceDataClient

__all__ = ["CREATING", "DISABLED", "ENABLED", "Users", "changed_fields", "desired_fields"]

logger = logging.getLogger(__name__)

CREATING, ENABLED, DISABLED = "CREATING", "ENABLED", "DISABLED"
CREATING_WAIT_S = 60.0  # how long one invocation waits for CREATING to end
POLL_DELAYS_S = (0.25, 0.5, 1.0, 2.0)
LIST_PAGE_SIZE = 100  # ListUsers' maximum maxResults


def desired_fields(props: UserProperties) -> dict[str, str]:
    """The UpdateUser/CreateUser fields the declaration fixes (email excluded)."""
    fields = {"type": props.user_type, "apiAccess": props.api_access}
    if props.first_name is not None:
        fields["firstName"] = props.first_name
    if props.last_name is not None:
        fields["lastName"] = props.last_name
    if props.api_access == API_ACCESS_ENABLED and props.api_access_principal_arn:
        fields["apiAccessPrincipalArn"] = props.api_access_principal_arn
    return fields


def changed_fields(actual: dict[str, Any], props: UserProperties) -> dict[str, str]:
    """Only what differs from the user as FinSpace has it."""
    changes = {key: value for key, value in desired_fields(props).items() if actual.get(key) != value}
    if "apiAccessPrincipalArn" in changes:
        changes["apiAccess"] = props.api_access  # the ARN is only taken together with apiAccess
    return changes


class Users:
    """The user operations one CloudFormation request needs."""

    def __init__(self, client: FinSpaceDataClient, request: RequestIdentity, deadline: Deadline,
                 sleep: Callable[[float], None] = time.sleep,
                 on_owned: Callable[[str], None] = lambda _user_id: None) -> None:
        """``on_owned(user_id)`` is told as soon as a user belongs to this resource, so that
        even a timeout answers with its id and the rollback Delete disables it."""
        self._client = client
        self._request = request
        self._deadline = deadline
        self._sleep = sleep
        self.on_owned = on_owned

    def _call(self, operation: str, function: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
        self._deadline.check(f"calling {operation}")
        try:
            response: dict[str, Any] = function(**kwargs)
        except (ClientError, BotoCoreError) as error:
            raise api_error(operation, error) from error
        return response

    def get(self, user_id: str) -> dict[str, Any]:
        try:
            return self._call("GetUser", self._client.get_user, userId=user_id)
        except ApiCallError as error:
            if error.code == "ResourceNotFoundException":
                raise UserMissingError(
                    f"FinSpace user {user_id} no longer exists; remove the resource from the stack, "
                    "or rename its logical id to create a new user"
                ) from error
            raise

    def find_by_email(self, email: str) -> dict[str, Any] | None:
        wanted, token = email.lower(), None
        while True:
            page = self._call("ListUsers", self._client.list_users, maxResults=LIST_PAGE_SIZE,
                              **({"nextToken": token} if token else {}))
            for user in page.get("users", []):
                if str(user.get("emailAddress", "")).lower() == wanted:
                    return dict(user)
            token = page.get("nextToken")
            if not token:
                return None

    def create(self, props: UserProperties, step: str) -> str:
        response = self._call("CreateUser", self._client.create_user, emailAddress=props.email_address,
                              clientToken=self._request.client_token(step), **desired_fields(props))
        user_id = str(response["userId"])
        logger.info("CreateUser answered userId %s", user_id)
        self.on_owned(user_id)
        return user_id

    def update(self, user_id: str, changes: dict[str, str], step: str) -> None:
        if not changes:
            return
        self._call("UpdateUser", self._client.update_user, userId=user_id,
                   clientToken=self._request.client_token(step), **changes)
        logger.info("UpdateUser %s changed %s", user_id, ", ".join(sorted(changes)))

    def set_enabled(self, user_id: str, enabled: bool, step: str, *, missing_ok: bool = False) -> None:
        operation, function = ("EnableUser", self._client.enable_user) if enabled else \
            ("DisableUser", self._client.disable_user)
        try:
            self._call(operation, function, userId=user_id, clientToken=self._request.client_token(step))
        except ApiCallError as error:
            if error.code == "ResourceNotFoundException" and missing_ok:
                logger.info("%s: user %s does not exist; nothing to do", operation, user_id)
                return
            if error.code != "ConflictException" or self.get(user_id)["status"] != (ENABLED if enabled else DISABLED):
                raise
        logger.info("%s %s done", operation, user_id)

    def wait_while_creating(self, user_id: str, status: str | None = None) -> str:
        """Poll GetUser while the user is CREATING, for a bounded time; the last status."""
        status = status or str(self.get(user_id)["status"])
        waited, attempt = 0.0, 0
        while status == CREATING and waited < min(CREATING_WAIT_S, self._deadline.left()):
            delay = POLL_DELAYS_S[min(attempt, len(POLL_DELAYS_S) - 1)]
            self._sleep(delay)
            waited, attempt = waited + delay, attempt + 1
            status = str(self.get(user_id)["status"])
        return status
