"""``drift``: what FinSpace holds that a users file does not say (README: "Drift").

Declared users that are missing, or whose status, fields or memberships were changed outside the
stack; declared groups missing or changed; ENABLED users and groups that no file declares
(unmanaged; a user removed from the file is disabled by the deploy, so a DISABLED one is not).
Only what the handler would set is compared: an undeclared name or description is not drift.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

from finspace_constructs.users_file import ResolvedGroup, ResolvedUser

from .reader import EnvironmentSnapshot, UserRecord

__all__ = ["Finding", "find_drift"]


@dataclass(frozen=True)
class Finding:
    """One difference. ``subject``: the user's email (its id with ``--redact``) or the group's name."""

    environment_id: str
    kind: str  # missing, status, field, membership-removed, membership-added, group-missing, group-changed,
    # unmanaged-user, unmanaged-group
    subject: str
    field: str = ""
    declared: str = ""
    actual: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def find_drift(snapshot: EnvironmentSnapshot, users: list[ResolvedUser], groups: list[ResolvedGroup],
               is_administrator: Callable[[UserRecord], bool], redact: bool = False) -> list[Finding]:
    """Every difference in one environment, sorted."""
    def name(user: UserRecord) -> str:
        return user.user_id if redact else user.email

    env = snapshot.environment_id
    found = [f for g in groups for f in _group_drift(snapshot, g)]
    declared_emails = {u.email.lower() for u in users}
    for user in users:
        actual = snapshot.user_by_email(user.email)
        if actual is None:
            found.append(Finding(env, "missing", "(redacted)" if redact else user.email))
            continue
        found += [Finding(env, kind, name(actual), *rest) for kind, *rest in _user_drift(snapshot, user, actual)]
    found += [Finding(env, "unmanaged-user", name(u)) for u in snapshot.users
              if u.enabled and u.email.lower() not in declared_emails and not is_administrator(u)]
    declared_groups = {g.name for g in groups}
    found += [Finding(env, "unmanaged-group", g.name) for g in snapshot.groups if g.name not in declared_groups]
    return sorted(found, key=lambda f: (f.environment_id, f.subject.lower(), f.kind, f.field))


def _group_drift(snapshot: EnvironmentSnapshot, group: ResolvedGroup) -> Iterator[Finding]:
    actual = snapshot.group_by_name(group.name)
    env = snapshot.environment_id
    if actual is None:
        yield Finding(env, "group-missing", group.name)
        return
    declared = sorted({str(p) for p in group.application_permissions})
    if declared != sorted(set(actual.application_permissions)):
        yield Finding(env, "group-changed", group.name, "application_permissions", ", ".join(declared),
                      ", ".join(sorted(set(actual.application_permissions))))
    if group.description is not None and group.description != actual.description:
        yield Finding(env, "group-changed", group.name, "description", "(declared)", "(changed)")


def _user_drift(snapshot: EnvironmentSnapshot, user: ResolvedUser, actual: UserRecord
                ) -> Iterator[tuple[str, str, str, str]]:
    if user.enabled != actual.enabled:
        yield "status", "status", "ENABLED" if user.enabled else "DISABLED", actual.status
    access = str(user.api_access or ("ENABLED" if user.api_access_principal_arn else "DISABLED"))
    declared = {"type": str(user.type), "api_access": access}
    if user.first_name is not None:
        declared["first_name"] = user.first_name
    if user.last_name is not None:
        declared["last_name"] = user.last_name
    if access == "ENABLED" and user.api_access_principal_arn:
        declared["api_access_principal_arn"] = user.api_access_principal_arn
    have = {"type": actual.type, "api_access": actual.api_access, "first_name": actual.first_name,
            "last_name": actual.last_name, "api_access_principal_arn": actual.api_access_principal_arn}
    personal = ("first_name", "last_name")
    for key, value in declared.items():
        if have[key] != value:
            shown = ("(declared)", "(changed)") if key in personal else (value, str(have[key] or ""))
            yield "field", key, *shown
    member_of = set(snapshot.group_names_of(actual.user_id))
    for group in sorted(set(user.permission_groups) - member_of):
        yield "membership-removed", "permission_groups", group, ""
    for group in sorted(member_of - set(user.permission_groups)):
        yield "membership-added", "permission_groups", "", group
