"""FinSpace user operations for one request: botocore errors translated at the call site,
deterministic client tokens, bounded waits. No personal data is logged here."""

from __future__ import annotations

import logging
import time
from typing import Any

from .api import ApiSession
from .directory import EmailIndex
from .errors import ApiCallError, DeadlineError, MissingResourceError, ProviderError
from .properties import API_ACCESS_DISABLED, API_ACCESS_ENABLED, UserProperties

__all__ = ["CREATING", "DISABLED", "ENABLED", "Users", "changed_fields", "desired_fields"]

logger = logging.getLogger(__name__)

CREATING, ENABLED, DISABLED = "CREATING", "ENABLED", "DISABLED"
CREATING_WAIT_S = 60.0  # how long one invocation waits for CREATING to end
CLOCK_SKEW_MS = 5_000  # between this function's clock and FinSpace's createTime


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
    """Only what differs from the user as FinSpace has it (no apiAccess there is the API's default, DISABLED)."""
    current = {"apiAccess": API_ACCESS_DISABLED, **{k: v for k, v in actual.items() if v is not None}}
    changes = {key: value for key, value in desired_fields(props).items() if current.get(key) != value}
    if "apiAccessPrincipalArn" in changes:
        changes["apiAccess"] = props.api_access  # the ARN is only taken together with apiAccess
    return changes


class Users(ApiSession):
    """The user operations one CloudFormation request needs.

    ``emails``: the environment's email index, shared by the requests a warm container serves.
    """

    def __init__(self, *args: Any, emails: EmailIndex | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.emails = emails or EmailIndex()

    def get(self, user_id: str) -> dict[str, Any]:
        try:
            return self.call("GetUser", self.client.get_user, userId=user_id)
        except ApiCallError as error:
            if error.code == "ResourceNotFoundException":
                raise MissingResourceError(
                    f"FinSpace user {user_id} no longer exists; remove the resource from the stack, "
                    "or rename its logical id to create a new user"
                ) from error
            raise

    def find_by_email(self, email: str) -> dict[str, Any] | None:
        """The user with this email as FinSpace has it now (status included), or ``None``. An id learned
        earlier whose user has vanished (removed outside the API) is forgotten and looked up once more."""
        for _ in range(2):
            user_id = self.emails.find(self, email)
            if user_id is None:
                return None
            try:
                return self.get(user_id)
            except MissingResourceError:
                self.emails.forget(email)
        return None

    def create(self, props: UserProperties, step: str) -> str:
        started_ms = time.time() * 1000
        try:
            response = self.call("CreateUser", self.client.create_user, emailAddress=props.email_address,
                                  clientToken=self.token(step), **desired_fields(props))
            user_id = str(response["userId"])
        except ApiCallError as error:
            user_id = self._made_by_lost_reply(error, props.email_address, started_ms) or ""
            if not user_id:
                if error.uncertain:
                    self._own_unseen(props.email_address, started_ms)
                raise
        except DeadlineError:  # time ran out between attempts: one of them may have taken effect
            self._own_unseen(props.email_address, started_ms)
            raise
        logger.info("CreateUser answered userId %s", user_id)
        self.on_owned(user_id)
        self.emails.remember(props.email_address, user_id)
        return user_id

    def _made_by_lost_reply(self, error: ApiCallError, email: str, started_ms: float) -> str | None:
        """After a Conflict that follows an attempt whose reply was lost (a 5xx, a broken connection),
        the user with this email that appeared since this call started is the one that attempt made.
        FinSpace replays a repeated client token instead; this covers a service that does not."""
        if error.code != "ConflictException" or not error.uncertain:
            return None
        found = self.made_since(email, started_ms)
        if found is None:
            return None
        logger.info("User %s was made by an earlier attempt of this CreateUser (its reply was lost)",
                    found["userId"])
        return str(found["userId"])

    def made_since(self, email: str, started_ms: float) -> dict[str, Any] | None:
        """The user with this email if it appeared after ``started_ms`` (this request made it)."""
        found = self.find_by_email(email)
        if found is None or int(found.get("createTime", 0)) < started_ms - CLOCK_SKEW_MS:
            return None
        return found

    def _own_unseen(self, email: str, started_ms: float) -> None:
        """A CreateUser whose outcome is unknown failed for good: answer with the user it may have made,
        so the rollback Delete disables it; if it cannot be looked up now, with a placeholder that
        tells the rollback Delete to look (docs/DESIGN.md, "Do no harm")."""
        try:
            found = self.made_since(email, started_ms)
        except ProviderError:
            found = None
            self.on_owned(self.request.uncertain_id(started_ms))
        if found is not None:
            logger.info("User %s was made by this request's CreateUser, whose reply was lost", found["userId"])
            self.on_owned(str(found["userId"]))

    def update(self, user_id: str, changes: dict[str, str], step: str) -> None:
        if not changes:
            return
        self.call("UpdateUser", self.client.update_user, userId=user_id,
                   clientToken=self.token(step), **changes)
        logger.info("UpdateUser %s changed %s", user_id, ", ".join(sorted(changes)))

    def set_enabled(self, user_id: str, enabled: bool, step: str, *, missing_ok: bool = False) -> None:
        """EnableUser / DisableUser. A Conflict is looked into: already in that status is success; a
        user still CREATING is waited for (bounded) and asked again."""
        operation, function = ("EnableUser", self.client.enable_user) if enabled else \
            ("DisableUser", self.client.disable_user)
        try:
            self.call(operation, function, userId=user_id, clientToken=self.token(step))
        except ApiCallError as error:
            if error.code == "ResourceNotFoundException" and missing_ok:
                logger.info("%s: user %s does not exist; nothing to do", operation, user_id)
                return
            if error.code != "ConflictException":
                raise
            self._after_conflict(user_id, enabled, operation, step, error)
        logger.info("%s %s done", operation, user_id)

    def _after_conflict(self, user_id: str, enabled: bool, operation: str, step: str, error: ApiCallError) -> None:
        status = self.wait_while_creating(user_id)
        if status == (ENABLED if enabled else DISABLED):
            return
        if status == CREATING:
            raise DeadlineError(f"FinSpace user {user_id} is still CREATING, so {operation} cannot run yet; "
                                "deploy again") from error
        function = self.client.enable_user if enabled else self.client.disable_user
        self.call(operation, function, userId=user_id, clientToken=self.token(f"{step}-after-creating"))

    def wait_while_creating(self, user_id: str, status: str | None = None, *, required: bool = False) -> str:
        """Poll GetUser while the user is CREATING, for a bounded time; the last status. ``required``: the
        next step is a mutation, which FinSpace may refuse while CREATING, so still CREATING is an error."""
        status = status or str(self.get(user_id)["status"])
        if status == CREATING:
            for _ in self.polls(CREATING_WAIT_S):
                status = str(self.get(user_id)["status"])
                if status != CREATING:
                    break
        if status == CREATING and required:
            raise DeadlineError(f"FinSpace user {user_id} is still CREATING, so it cannot be changed yet; "
                                "deploy again")
        return status

    def memberships(self, user_id: str) -> dict[str, str]:
        """permissionGroupId -> membershipStatus, every page."""
        groups = self.items("ListPermissionGroupsByUser", self.client.list_permission_groups_by_user,
                            "permissionGroups", userId=user_id)
        return {g["permissionGroupId"]: g["membershipStatus"] for g in groups}
