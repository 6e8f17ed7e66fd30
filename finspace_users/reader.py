"""What one FinSpace environment holds, read with list operations only (never a mutating call).

The paging is the handler's own (:meth:`lambda_handler.api.ApiSession.items`, 100 a page, every
call retried while it fails transiently and the budget lasts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._handler import ADDED, ADDING, ApiSession, Persistence, RequestIdentity

if TYPE_CHECKING:
    from mypy_boto3_finspace_data import FinSpaceDataClient

__all__ = ["EnvironmentSnapshot", "GroupRecord", "UserRecord", "read_environment"]

MEMBER_STATUSES = (ADDED, ADDING)  # a membership being removed no longer counts
_READER = RequestIdentity("finspace-users", "read", "read")  # reads send no client token; a session needs one


@dataclass(frozen=True)
class UserRecord:
    """A FinSpace user as ListUsers gives it. Personal fields stay out of ``repr``."""

    user_id: str
    email: str = field(repr=False)
    type: str
    status: str
    first_name: str | None = field(default=None, repr=False)
    last_name: str | None = field(default=None, repr=False)
    api_access: str = "DISABLED"
    api_access_principal_arn: str | None = None

    @property
    def enabled(self) -> bool:
        return self.status != "DISABLED"  # CREATING ends ENABLED by itself

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> UserRecord:
        return cls(str(raw["userId"]), str(raw.get("emailAddress", "")), str(raw.get("type", "")),
                   str(raw.get("status", "")), raw.get("firstName"), raw.get("lastName"),
                   str(raw.get("apiAccess") or "DISABLED"), raw.get("apiAccessPrincipalArn"))


@dataclass(frozen=True)
class GroupRecord:
    group_id: str
    name: str
    description: str | None
    application_permissions: tuple[str, ...]
    members: dict[str, str] = field(default_factory=dict)  # userId -> membershipStatus

    @classmethod
    def from_api(cls, raw: dict[str, Any], members: dict[str, str]) -> GroupRecord:
        return cls(str(raw["permissionGroupId"]), str(raw.get("name", "")), raw.get("description"),
                   tuple(raw.get("applicationPermissions", [])), members)


@dataclass(frozen=True)
class EnvironmentSnapshot:
    """Users, permission groups and memberships of one environment."""

    environment_id: str
    users: tuple[UserRecord, ...]
    groups: tuple[GroupRecord, ...]

    def user_by_email(self, email: str) -> UserRecord | None:
        key = email.strip().lower()
        return next((u for u in self.users if u.email.strip().lower() == key), None)

    def user_by_id(self, user_id: str) -> UserRecord | None:
        return next((u for u in self.users if u.user_id == user_id), None)

    def group_by_name(self, name: str) -> GroupRecord | None:
        return next((g for g in self.groups if g.name == name), None)

    def group_by_id(self, group_id: str) -> GroupRecord | None:
        return next((g for g in self.groups if g.group_id == group_id), None)

    def memberships(self, user_id: str) -> dict[str, str]:
        """permissionGroupId -> membershipStatus of ``user_id`` (every status)."""
        return {g.group_id: g.members[user_id] for g in self.groups if user_id in g.members}

    def group_names_of(self, user_id: str) -> tuple[str, ...]:
        """The names of the groups ``user_id`` belongs to (or is joining), sorted."""
        return tuple(sorted(g.name for g in self.groups if g.members.get(user_id) in MEMBER_STATUSES))


def read_environment(client: FinSpaceDataClient, persistence: Persistence, environment_id: str) -> EnvironmentSnapshot:
    """ListUsers, ListPermissionGroups and ListUsersByPermissionGroup (one per group), every page."""
    api = ApiSession(client, _READER, persistence.deadline, persistence.sleep, persistence=persistence)
    users = tuple(UserRecord.from_api(u) for u in api.items("ListUsers", client.list_users, "users"))
    groups = []
    for raw in api.items("ListPermissionGroups", client.list_permission_groups, "permissionGroups"):
        members = {str(m["userId"]): str(m.get("membershipStatus", ADDED))
                   for m in api.items("ListUsersByPermissionGroup", client.list_users_by_permission_group, "users",
                                      permissionGroupId=raw["permissionGroupId"])}
        groups.append(GroupRecord.from_api(raw, members))
    return EnvironmentSnapshot(environment_id, users, tuple(groups))
