"""The FinSpace web application, played by the emulator: what a superuser does by hand.

Used by ``make demo`` and the tests for the one-time bootstrap step (register the
provider's role), never by the handler: it changes the state directly, not through
the API, so it is neither authenticated nor recorded in ``Emulator.calls``.
"""

from __future__ import annotations

from typing import Any

from .state import FIRST_SUPERUSER_EMAIL, Backend

__all__ = ["ADMINISTRATOR_EMAILS", "PROVIDER_USER_EMAIL", "WebApplication", "registration_steps"]

# The user the registration step creates for the provider's role (a service identity).
PROVIDER_USER_EMAIL = "finspace-provider@example.com"
# Users made outside the users file: the environment's first superuser and the provider's user.
ADMINISTRATOR_EMAILS = frozenset({FIRST_SUPERUSER_EMAIL, PROVIDER_USER_EMAIL})


def registration_steps(role_arn: str, environment_id: str) -> str:
    """The registration as a person does it in the FinSpace web application."""
    return (f"In the FinSpace web application of environment {environment_id}, signed in as a superuser: "
            f"Settings > Users > Add user {PROVIDER_USER_EMAIL}, Superuser, API access enabled, "
            f"IAM principal ARN {role_arn}")


class WebApplication:
    """Add users and register IAM roles, as a superuser does in the web application."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def add_user(self, environment_id: str, email: str, *, user_type: str = "APP_USER",
                 principal_arn: str | None = None) -> str:
        """A new ENABLED user; with ``principal_arn``, API access is enabled for that IAM role."""
        params: dict[str, Any] = {"emailAddress": email, "type": user_type, "apiAccess": "DISABLED"}
        if principal_arn is not None:
            params.update(apiAccess="ENABLED", apiAccessPrincipalArn=principal_arn)
        user_id = str(self.backend.call("CreateUser", params, environment_id=environment_id)["userId"])
        self.backend.finish_creating(user_id)
        return user_id

    def register_role(self, environment_id: str, role_arn: str, *, email: str = PROVIDER_USER_EMAIL,
                      user_type: str = "SUPER_USER") -> str:
        """Make ``role_arn`` the IAM principal of the user ``email`` (created, or updated and
        enabled), with API access: GetProgrammaticAccessCredentials then works for that role."""
        existing = self.find_user(environment_id, email)
        if existing is None:
            return self.add_user(environment_id, email, user_type=user_type, principal_arn=role_arn)
        user_id = str(existing["userId"])
        self.backend.call("UpdateUser", {"userId": user_id, "type": user_type, "apiAccess": "ENABLED",
                                         "apiAccessPrincipalArn": role_arn}, environment_id=environment_id)
        if existing["status"] == "DISABLED":
            self.backend.call("EnableUser", {"userId": user_id}, environment_id=environment_id)
        return user_id

    def is_registered(self, environment_id: str, role_arn: str) -> bool:
        """Whether an ENABLED user with API access has ``role_arn`` as its IAM principal."""
        return any(user.get("apiAccessPrincipalArn") == role_arn and user["status"] == "ENABLED"
                   and user.get("apiAccess") == "ENABLED" for user in self.users(environment_id))

    def find_user(self, environment_id: str, email: str) -> dict[str, Any] | None:
        return next((u for u in self.users(environment_id) if u["emailAddress"].lower() == email.lower()), None)

    def users(self, environment_id: str) -> list[dict[str, Any]]:
        """Every user of the environment, administrators included."""
        rows: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            paging = {"nextToken": token} if token else {}
            page = self.backend.call("ListUsers", {"maxResults": 100, **paging}, environment_id=environment_id)
            rows += page["users"]
            token = page.get("nextToken")
            if not token:
                return rows
