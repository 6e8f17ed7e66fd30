"""Who may do what, as FinSpace decides it (README: "What the emulator enforces").

Two decisions, both answered with ``AccessDeniedException`` (HTTP 403), the only
authorization error in the API model (every operation lists it):

1. ``GetProgrammaticAccessCredentials``: the signing IAM role must be the
   ``apiAccessPrincipalArn`` of a user of that environment whose status is ENABLED and
   whose ``apiAccess`` is ENABLED. The credentials then act as that user.
2. Every user and permission-group operation signed with those credentials: the user must
   still be ENABLED with API access, and be a SUPER_USER or a member (ADDITION_SUCCESS) of
   a permission group with ``ManageUsersAndGroups``.

Messages name roles and user ids, never emails or names (personal data).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .exceptions import access_denied

__all__ = ["MANAGE_USERS", "check_may_manage", "registered_user"]

MANAGE_USERS = "ManageUsersAndGroups"
User = Mapping[str, Any]


def registered_user(role_arn: str, environment_id: str, candidates: Sequence[User]) -> User:
    """The user that credentials for ``role_arn`` act as; ``candidates`` are the environment's
    users whose ``apiAccessPrincipalArn`` is that role."""
    usable = [user for user in candidates if _usable(user)]
    if usable:
        return usable[0]
    if not candidates:
        raise access_denied(
            f"Role {role_arn} is not registered in environment {environment_id}: no user has it as "
            "apiAccessPrincipalArn with API access enabled"
        )
    raise access_denied(f"Role {role_arn} is registered to user {candidates[0]['userId']}, "
                        f"which {_why_unusable(candidates[0])}")


def check_may_manage(user: User | None, group_permissions: Sequence[Sequence[str]]) -> None:
    """AccessDeniedException unless the acting ``user`` may manage users and groups now;
    ``group_permissions``: the applicationPermissions of each group it is a member of."""
    if user is None:
        raise access_denied("The user these credentials act as no longer exists")
    if not _usable(user):
        raise access_denied(f"The user these credentials act as ({user['userId']}) {_why_unusable(user)}")
    if user["type"] == "SUPER_USER" or any(MANAGE_USERS in permissions for permissions in group_permissions):
        return
    raise access_denied(
        f"User {user['userId']} may not manage users and groups: it is an APP_USER in no permission group "
        f"with {MANAGE_USERS}"
    )


def _usable(user: User) -> bool:
    return bool(user["status"] == "ENABLED" and user["apiAccess"] == "ENABLED")


def _why_unusable(user: User) -> str:
    if user["status"] != "ENABLED":
        return f"is {user['status']}"
    return "has API access DISABLED"
