"""What one FinSpace environment holds, read with list operations only (never a mutating call).

The paging is the handler's own (:meth:`lambda_handler.api.ApiSession.items`, 100 a page, every
call retried while it fails transiently and the budget lasts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from finspace_constructs.handler_shared import ADDED, ADDING, ApiSession, Persistence, RequestIdentity

if TYPE_CHECKING:
    from mypy_boto3_finspace_data import FinSpaceDataClient

__all__ = ["EnvironmentSnapshot", "GroupRecord", "UserRecord", "read_environment"]

MEMBER_STATUSES = (ADDED, ADDING)  # a membership being removed no longer counts
_Record = TypeVar("_Record")
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

    def handler_view(self) -> dict[str, Any]:
        """The fields as the handler's ``changed_fields`` reads a user (GetUser's names)."""
        return {"type": self.type, "firstName": self.first_name, "lastName": self.last_name,
                "apiAccess": self.api_access, "apiAccessPrincipalArn": self.api_access_principal_arn}

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

    def handler_view(self) -> dict[str, Any]:
        """The fields as the handler's ``changed_group_fields`` reads a group."""
        return {"name": self.name, "description": self.description,
                "applicationPermissions": self.application_permissions}

    @classmethod
    def from_api(cls, raw: dict[str, Any], members: dict[str, str]) -> GroupRecord:
        return cls(str(raw["permissionGroupId"]), str(raw.get("name", "")), raw.get("description"),
                   tuple(raw.get("applicationPermissions", [])), members)


@dataclass(frozen=True)
class EnvironmentSnapshot:
    """Users, permission groups and memberships of one environment.

    The look-ups use indexes built once, on first use (a drift or a plan of thousands of users asks
    once per user); where two records share a key, the first one is found, as a scan would."""

    environment_id: str
    users: tuple[UserRecord, ...]
    groups: tuple[GroupRecord, ...]

    def user_by_email(self, email: str) -> UserRecord | None:
        return self._users_by_email.get(_email_key(email))

    def user_by_id(self, user_id: str) -> UserRecord | None:
        return self._users_by_id.get(user_id)

    def group_by_name(self, name: str) -> GroupRecord | None:
        return self._groups_by_name.get(name)

    def group_by_id(self, group_id: str) -> GroupRecord | None:
        return self._groups_by_id.get(group_id)

    def memberships(self, user_id: str) -> dict[str, str]:
        """permissionGroupId -> membershipStatus of ``user_id`` (every status)."""
        return dict(self._memberships.get(user_id, {}))

    def group_names_of(self, user_id: str) -> tuple[str, ...]:
        """The names of the groups ``user_id`` belongs to (or is joining), sorted."""
        return self._group_names.get(user_id, ())

    # cached_property stores into the instance's __dict__, which a frozen dataclass still has
    @cached_property
    def _users_by_email(self) -> dict[str, UserRecord]:
        return _first_by(self.users, lambda u: _email_key(u.email))

    @cached_property
    def _users_by_id(self) -> dict[str, UserRecord]:
        return _first_by(self.users, lambda u: u.user_id)

    @cached_property
    def _groups_by_name(self) -> dict[str, GroupRecord]:
        return _first_by(self.groups, lambda g: g.name)

    @cached_property
    def _groups_by_id(self) -> dict[str, GroupRecord]:
        return _first_by(self.groups, lambda g: g.group_id)

    @cached_property
    def _memberships(self) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for group in self.groups:
            for user_id, status in group.members.items():
                found.setdefault(user_id, {})[group.group_id] = status
        return found

    @cached_property
    def _group_names(self) -> dict[str, tuple[str, ...]]:
        names: dict[str, list[str]] = {}
        for group in self.groups:
            for user_id, status in group.members.items():
                if status in MEMBER_STATUSES:
                    names.setdefault(user_id, []).append(group.name)
        return {user_id: tuple(sorted(found)) for user_id, found in names.items()}


def _email_key(email: str) -> str:
    """Emails compare case-insensitively, surrounding blanks ignored."""
    return email.strip().lower()


def _first_by(records: tuple[_Record, ...], key: Callable[[_Record], str]) -> dict[str, _Record]:
    found: dict[str, _Record] = {}
    for record in records:
        found.setdefault(key(record), record)
    return found


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
