"""``import``: a users file written from what FinSpace holds, ready to adopt it unchanged.

Every user and permission group is marked ``adopt_existing: true``; each user carries exactly the
fields FinSpace has (an absent name stays absent, a DISABLED user is ``enabled: false``), so a
deploy of the file changes nothing: each Create is refused with a Conflict and the existing user or
group is adopted as it is. Sorted by environment, group name and email, without a timestamp: the
same FinSpace state gives the same bytes.

The provider's own user (its principal is a ``FinSpaceUserProvider-`` role, or ``--provider-role-arn``)
is left out, as administrators are, unless ``--include-provider``: the file names it in
``provider_user`` instead, so that loading the file refuses a later declaration that would lock the
provider out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from finspace_constructs.provider_identity import names_provider_role

from .finspace import role_key
from .reader import EnvironmentSnapshot, UserRecord

__all__ = ["ImportFilter", "environment_document", "provider_recogniser", "render", "selected_users"]

HEADER = ("# FinSpace users imported by 'finspace-users import' (README: \"finspace-users\").\n"
          "# Every entry adopts what exists: the first deploy changes nothing in FinSpace.\n")
PROVIDER_NOTE = ("# provider_user: the user the provider signs in as (its principal is the provider role). It is not\n"
                 "# declared, so no deploy changes it; naming it makes loading the file refuse any declaration of\n"
                 "# it that would lock the provider out (README: Bootstrap).\n")


@dataclass(frozen=True)
class ImportFilter:
    """Which users to import; empty means all. Administrators are left out unless included."""

    types: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()  # group names: members of any of them
    include_administrators: bool = False
    is_administrator: Any = field(default=lambda _user: False)  # Callable[[UserRecord], bool]
    include_provider: bool = False
    is_provider: Any = field(default=lambda _user: False)  # Callable[[UserRecord], bool]; import only

    def keeps(self, user: UserRecord, group_names: Sequence[str]) -> bool:
        status = "DISABLED" if not user.enabled else "ENABLED"
        wanted = self.include_provider if self.is_provider(user) else (
            self.include_administrators or not self.is_administrator(user))
        return (wanted
                and (not self.types or user.type in self.types)
                and (not self.statuses or status in self.statuses)
                and (not self.groups or bool(self.groups.intersection(group_names))))


def provider_recogniser(role_arn: str | None = None) -> Callable[[UserRecord], bool]:
    """The provider's own user: its principal is ``role_arn``, or, without it, any role named like the
    bootstrap's provider role (``FinSpaceUserProvider-<region>``)."""
    wanted = role_key(role_arn) if role_arn else None

    def is_provider(user: UserRecord) -> bool:
        principal = user.api_access_principal_arn or ""
        if wanted is not None:
            return role_key(principal) == wanted
        return names_provider_role(principal)

    return is_provider


def selected_users(snapshot: EnvironmentSnapshot, chosen: ImportFilter) -> list[UserRecord]:
    return sorted((u for u in snapshot.users if chosen.keeps(u, snapshot.group_names_of(u.user_id))),
                  key=lambda u: (u.email.lower(), u.user_id))


def environment_document(snapshot: EnvironmentSnapshot, chosen: ImportFilter) -> dict[str, Any]:
    """``{id, permission_groups, users}`` of one environment, in the users file's keys; ``provider_user``
    too when the provider's own user is left out."""
    users = selected_users(snapshot, chosen)
    member_of = {u.user_id: snapshot.group_names_of(u.user_id) for u in users}
    wanted = {name for names in member_of.values() for name in names}
    everything = not chosen.groups and not chosen.types and not chosen.statuses
    groups = sorted((g for g in snapshot.groups if everything or g.name in wanted or g.name in chosen.groups),
                    key=lambda g: g.name)
    document: dict[str, Any] = {"id": snapshot.environment_id}
    left_out = [] if chosen.include_provider else sorted(
        (u for u in snapshot.users if chosen.is_provider(u)), key=lambda u: (u.status != "ENABLED", u.email.lower()))
    if left_out:  # the enabled one, where an old registration left another
        document["provider_user"] = left_out[0].email
    document["permission_groups"] = [_group_entry(g.name, g.description, g.application_permissions) for g in groups]
    document["users"] = [_user_entry(u, member_of[u.user_id]) for u in users]
    return document


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
    ``environments`` for several. ``provider_user`` at the top when every environment has the same,
    else in each environment's entry."""
    providers = {d.get("provider_user") for d in documents}
    shared = providers.pop() if len(providers) == 1 else None
    if len(documents) == 1:
        (only,) = documents
        body: dict[str, Any] = {"environment": only["id"], "permission_groups": only["permission_groups"],
                                "users": only["users"]}
    else:
        entries = [{k: v for k, v in d.items() if shared is None or k != "provider_user"} for d in documents]
        body = {"environments": sorted(entries, key=lambda d: str(d["id"]))}
    top = (PROVIDER_NOTE + _dump({"provider_user": shared})) if shared else (
        PROVIDER_NOTE if any("provider_user" in d for d in documents) else "")
    return HEADER + top + _dump(body)


def _dump(body: dict[str, Any]) -> str:
    return yaml.safe_dump(body, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1000)
