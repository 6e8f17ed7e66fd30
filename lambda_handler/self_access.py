"""The provider never cuts itself off from FinSpace (docs/DESIGN.md, "Do no harm").

FinSpace issues the provider's credentials only while the user registered with its role is ENABLED,
has API access with that role as principal, and may manage users: a SUPER_USER, or a member of a
permission group with ManageUsersAndGroups. A request that would take any of this away is refused
(Create, Update) or skipped (Delete, so that a stack can always be deleted): once it happened, no
later request, the rollback included, could repair it; only a person in the web application could.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import LockoutError

if TYPE_CHECKING:
    from .api import ApiSession

__all__ = ["MANAGE_USERS", "PROVIDER_ROLE_VARIABLE", "ProviderRole"]

logger = logging.getLogger(__name__)

PROVIDER_ROLE_VARIABLE = "FINSPACE_PROVIDER_ROLE_ARN"
MANAGE_USERS = "ManageUsersAndGroups"
SUPER_USER = "SUPER_USER"
INSTEAD = "register another user for the provider role first (README: Bootstrap)"


class ProviderRole:
    """The IAM role the provider signs with, as its construct passes it (unset: no guard)."""

    __slots__ = ("arn",)

    def __init__(self, arn: str | None = None) -> None:
        self.arn = (arn if arn is not None else os.environ.get(PROVIDER_ROLE_VARIABLE, "")).strip()

    def owns(self, user: Mapping[str, Any]) -> bool:
        """True for the user whose credentials the provider receives."""
        principal = str(user.get("apiAccessPrincipalArn") or "")
        return bool(self.arn) and principal.lower() == self.arn.lower()

    def check_user_change(self, user: Mapping[str, Any], fields: Mapping[str, str], *, enabled: bool) -> None:
        """Refuse a change of the provider's own user that would lock the provider out."""
        if not self.owns(user):
            return
        user_id = user.get("userId", "")
        if not enabled:
            raise LockoutError(f"Enabled: false would disable FinSpace user {user_id}, which the provider signs in "
                               f"as; keep it enabled, or {INSTEAD}")
        if fields.get("apiAccess", "ENABLED") != "ENABLED" or (
                "apiAccessPrincipalArn" in fields and not self.owns(fields)):
            raise LockoutError(f"ApiAccess/ApiAccessPrincipalArn would take user {user_id}'s API access from the "
                               f"provider role; keep them, or {INSTEAD}")
        if user.get("type") == SUPER_USER and fields.get("type", SUPER_USER) != SUPER_USER:
            raise LockoutError(f"Type: APP_USER would demote user {user_id}, which the provider signs in as; keep "
                               f"SUPER_USER, or {INSTEAD}")

    def check_leaving(self, api: ApiSession, user: Mapping[str, Any], leaving: Iterable[str]) -> None:
        """Refuse removing the provider's APP_USER from the last group that lets it manage users."""
        leaving = set(leaving)
        if not leaving or not self.owns(user) or user.get("type") == SUPER_USER:
            return
        staying = [g["permissionGroupId"] for g in api.items(
            "ListPermissionGroupsByUser", api.client.list_permission_groups_by_user, "permissionGroups",
            userId=user["userId"]) if g["permissionGroupId"] not in leaving]
        if not any(MANAGE_USERS in _permissions(api, group_id) for group_id in staying):
            raise LockoutError(f"PermissionGroupIds would remove user {user['userId']}, which the provider signs in "
                               f"as, from its last group with {MANAGE_USERS}; keep that group, or {INSTEAD}")

    def check_group_permissions(self, api: ApiSession, group_id: str, permissions: Iterable[str]) -> None:
        """Refuse taking ManageUsersAndGroups from a group the provider's APP_USER depends on."""
        if not self.arn or MANAGE_USERS in set(permissions) or MANAGE_USERS not in _permissions(api, group_id):
            return
        for member in api.items("ListUsersByPermissionGroup", api.client.list_users_by_permission_group, "users",
                                permissionGroupId=group_id):
            if self.owns(member) and member.get("type") != SUPER_USER:
                try:
                    self.check_leaving(api, member, [group_id])
                except LockoutError:
                    raise LockoutError(
                        f"ApplicationPermissions would take {MANAGE_USERS} from group {group_id}, the last one that "
                        f"lets the provider's user {member['userId']} manage users; keep it, or {INSTEAD}") from None

    def may_disable(self, user: Mapping[str, Any]) -> bool:
        """False for the provider's own user: a Delete then leaves it as it is (and says so in the log)."""
        if self.owns(user):
            logger.warning("User %s is the provider's own FinSpace user; the Delete leaves it enabled",
                           user.get("userId", ""))
            return False
        return True


def _permissions(api: ApiSession, group_id: str) -> list[str]:
    response = api.call("GetPermissionGroup", api.client.get_permission_group, permissionGroupId=group_id)
    return list(response.get("permissionGroup", {}).get("applicationPermissions", []))
