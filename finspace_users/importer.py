"""``import``: a users file written from what FinSpace holds, ready to adopt it unchanged.

Every user and permission group is marked ``adopt_existing: true``; each user carries exactly the
fields FinSpace has (an absent name stays absent, a DISABLED user is ``enabled: false``), so a
deploy of the file changes nothing: each Create is refused with a Conflict and the existing user or
group is adopted as it is. Sorted by environment, group name and email, without a timestamp: the
same FinSpace state gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from .reader import EnvironmentSnapshot, UserRecord

__all__ = ["ImportFilter", "environment_document", "render", "selected_users"]

HEADER = ("# FinSpace users imported by 'finspace-users import' (README: \"finspace-users\").\n"
          "# Every entry adopts what exists: the first deploy changes nothing in FinSpace.\n")


@dataclass(frozen=True)
class ImportFilter:
    """Which users to import; empty means all. Administrators are left out unless included."""

    types: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()  # group names: members of any of them
    include_administrators: bool = False
    is_administrator: Any = field(default=lambda _user: False)  # Callable[[UserRecord], bool]

    def keeps(self, user: UserRecord, group_names: Sequence[str]) -> bool:
        status = "DISABLED" if not user.enabled else "ENABLED"
        return ((self.include_administrators or not self.is_administrator(user))
                and (not self.types or user.type in self.types)
                and (not self.statuses or status in self.statuses)
                and (not self.groups or bool(self.groups.intersection(group_names))))


def selected_users(snapshot: EnvironmentSnapshot, chosen: ImportFilter) -> list[UserRecord]:
    return sorted((u for u in snapshot.users if chosen.keeps(u, snapshot.group_names_of(u.user_id))),
                  key=lambda u: (u.email.lower(), u.user_id))


def environment_document(snapshot: EnvironmentSnapshot, chosen: ImportFilter) -> dict[str, Any]:
    """``{id, permission_groups, users}`` of one environment, in the users file's keys."""
    users = selected_users(snapshot, chosen)
    member_of = {u.user_id: snapshot.group_names_of(u.user_id) for u in users}
    wanted = {name for names in member_of.values() for name in names}
    everything = not chosen.groups and not chosen.types and not chosen.statuses
    groups = sorted((g for g in snapshot.groups if everything or g.name in wanted or g.name in chosen.groups),
                    key=lambda g: g.name)
    return {"id": snapshot.environment_id,
            "permission_groups": [_group_entry(g.name, g.description, g.application_permissions) for g in groups],
            "users": [_user_entry(u, member_of[u.user_id]) for u in users]}


def _group_entry(name: str, description: str | None, permissions: Iterable[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name}
    if description:
        entry["description"] = description
    entry["application_permissions"] = sorted(set(permissions))
    entry["adopt_existing"] = True
    return entry


def _user_entry(user: UserRecord, groups: Sequence[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"email": user.email, "type": user.type}
    for key, value in (("first_name", user.first_name), ("last_name", user.last_name)):
        if value:
            entry[key] = value
    principal = user.api_access_principal_arn if user.api_access == "ENABLED" else None
    if principal:
        entry["api_access_principal_arn"] = principal  # the file's default is then ENABLED
    elif user.api_access == "ENABLED":
        entry["api_access"] = "ENABLED"
    if not user.enabled:
        entry["enabled"] = False
    entry["adopt_existing"] = True
    if groups:
        entry["permission_groups"] = list(groups)
    return entry


def render(documents: Sequence[dict[str, Any]]) -> str:
    """The users file: ``environment`` + ``permission_groups`` + ``users`` for one environment,
    ``environments`` for several."""
    if len(documents) == 1:
        (only,) = documents
        body: dict[str, Any] = {"environment": only["id"], "permission_groups": only["permission_groups"],
                                "users": only["users"]}
    else:
        body = {"environments": sorted(documents, key=lambda d: str(d["id"]))}
    text = yaml.safe_dump(body, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1000)
    return HEADER + text
