"""``drift``: what FinSpace holds that a users file does not say (README: "Drift").

Declared users that are missing, or whose status, fields or memberships were changed outside the
stack; declared groups missing or changed; ENABLED users and groups that no file declares
(unmanaged; a user removed from the file is disabled by the deploy, so a DISABLED one is not).
What differs is the handler's own answer (``changed_fields``, ``changed_group_fields``,
``membership_changes`` as a re-apply runs it), asked with the properties the constructs make of the
file and parsed as the handler parses them: only what a deploy would set is compared, so an
undeclared name or description is not drift, and a declaration the handler refuses is an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from finspace_constructs.handler_shared import (
    PERSONAL_GROUP_FIELDS,
    PERSONAL_USER_FIELDS,
    GroupProperties,
    PropertyError,
    UserProperties,
    changed_fields,
    changed_group_fields,
    membership_changes,
    parse_group,
    parse_properties,
)
from finspace_constructs.resource_properties import group_properties, user_properties
from finspace_constructs.users_file import ResolvedGroup, ResolvedUser

from .errors import CommandError
from .reader import EnvironmentSnapshot, UserRecord

__all__ = ["Finding", "corrections", "find_drift"]

_Props = TypeVar("_Props", UserProperties, GroupProperties)

# What corrects each kind of finding (README: "Correcting drift"), in the order drift prints them.
CORRECTIONS = (
    (frozenset({"status", "field", "membership-removed", "membership-added", "group-changed"}),
     "status, fields, memberships, group permissions or description: deploy with a new 'reapply' value in the "
     "users file, which sets them back (README: Correcting drift)"),
    (frozenset({"missing", "group-missing"}),
     "missing: deploy the users file, which creates them (a group deleted outside the stack: remove it from the "
     "file, deploy, then declare it again)"),
    (frozenset({"unmanaged-user", "unmanaged-group"}),
     "unmanaged: no deploy touches them; declare them in the users file (finspace-users import writes their "
     "entries), or disable the users and delete the groups in FinSpace; --ignore-unmanaged stops reporting them"),
)


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
        """camelCase keys, as every other ``--json`` document of the command line."""
        return {"environmentId": self.environment_id, "kind": self.kind, "subject": self.subject,
                "field": self.field, "declared": self.declared, "actual": self.actual}


def find_drift(snapshot: EnvironmentSnapshot, users: list[ResolvedUser], groups: list[ResolvedGroup],
               is_administrator: Callable[[UserRecord], bool], redact: bool = False) -> list[Finding]:
    """Every difference in one environment, sorted. :class:`CommandError` when the handler would
    refuse a declaration (the deploy would fail on it too)."""
    def name(user: UserRecord) -> str:
        return user.user_id if redact else user.email

    env = snapshot.environment_id
    group_ids = _GroupIds(snapshot, [g.name for g in groups] + [n for u in users for n in u.permission_groups])
    declared_groups = [_parsed(parse_group, _group_properties(g), "permission group", i, env)
                       for i, g in enumerate(groups, 1)]
    declared_users = [_parsed(parse_properties, _user_properties(u, group_ids), "user", i, env)
                      for i, u in enumerate(users, 1)]
    found = [f for props in declared_groups for f in _group_drift(snapshot, props)]
    for props in declared_users:
        actual = snapshot.user_by_email(props.email_address)
        if actual is None:
            found.append(Finding(env, "missing", "(redacted)" if redact else props.email_address))
            continue
        changes = _user_drift(snapshot, props, actual, group_ids)
        found += [Finding(env, kind, name(actual), *rest) for kind, *rest in changes]
    declared_emails = {u.email.lower() for u in users}
    found += [Finding(env, "unmanaged-user", name(u)) for u in snapshot.users
              if u.enabled and u.email.lower() not in declared_emails and not is_administrator(u)]
    declared_names = {g.name for g in groups}
    found += [Finding(env, "unmanaged-group", g.name) for g in snapshot.groups if g.name not in declared_names]
    return sorted(found, key=lambda f: (f.environment_id, f.subject.lower(), f.kind, f.field))


def corrections(findings: list[Finding]) -> list[str]:
    """What fixes the findings, one line per kind of fix that applies."""
    kinds = {f.kind for f in findings}
    return [advice for fixed, advice in CORRECTIONS if kinds & fixed]


class _GroupIds:
    """The declared groups' ids in FinSpace; a missing group gets a stand-in id that no membership
    has (its memberships are then missing too), and names are found again for either."""

    def __init__(self, snapshot: EnvironmentSnapshot, names: list[str]) -> None:
        self.snapshot = snapshot
        self.ids: dict[str, str] = {}
        self.stand_ins: dict[str, str] = {}
        for name in dict.fromkeys(names):
            found = snapshot.group_by_name(name)
            if found is not None:
                self.ids[name] = found.group_id
            else:
                stand_in = f"(missing group {len(self.stand_ins)})"
                self.ids[name], self.stand_ins[stand_in] = stand_in, name

    def name_of(self, group_id: str) -> str:
        found = self.snapshot.group_by_id(group_id)
        return found.name if found else self.stand_ins[group_id]


def _user_properties(user: ResolvedUser, group_ids: _GroupIds) -> dict[str, Any]:
    """The properties the constructs give this user's resource, its groups' ids resolved as a deploy resolves them."""
    return user_properties(
        environment_id=user.environment_id, email_address=user.email, type=user.type, first_name=user.first_name,
        last_name=user.last_name, api_access=user.api_access, api_access_principal_arn=user.api_access_principal_arn,
        enabled=user.enabled, adopt_existing=user.adopt_existing, reapply=user.reapply,
        permission_group_ids=[group_ids.ids[n] for n in user.permission_groups],
    )


def _group_properties(group: ResolvedGroup) -> dict[str, Any]:
    return group_properties(environment_id=group.environment_id, name=group.name, description=group.description,
                            application_permissions=group.application_permissions,
                            adopt_existing=group.adopt_existing, reapply=group.reapply)


def _parsed(parse: Callable[[Mapping[str, Any]], _Props], raw: dict[str, Any], what: str, position: int,
            environment_id: str) -> _Props:
    """The handler's parsing; its refusal names the declaration by position (never by a personal value)."""
    try:
        return parse(raw)
    except PropertyError as error:
        raise CommandError(f"environment {environment_id}: the handler would refuse {what} {position} of the users "
                           f"file, so a deploy would fail on it: {error}", "users-file") from error


def _group_drift(snapshot: EnvironmentSnapshot, props: GroupProperties) -> Iterator[Finding]:
    actual = snapshot.group_by_name(props.name)
    env = snapshot.environment_id
    if actual is None:
        yield Finding(env, "group-missing", props.name)
        return
    have = actual.handler_view()
    for key, value in changed_group_fields(have, props).items():
        shown = _shown(key, value, have[key], PERSONAL_GROUP_FIELDS)
        yield Finding(env, "group-changed", props.name, _file_name(key), *shown)


def _user_drift(snapshot: EnvironmentSnapshot, props: UserProperties, actual: UserRecord, group_ids: _GroupIds
                ) -> Iterator[tuple[str, str, str, str]]:
    if props.enabled != actual.enabled:
        yield "status", "status", "ENABLED" if props.enabled else "DISABLED", actual.status
    have = actual.handler_view()
    for key, value in changed_fields(have, props).items():
        if have[key] != value:  # apiAccess goes along with a changed principal: unchanged, it is no difference
            yield "field", _file_name(key), *_shown(key, value, have[key], PERSONAL_USER_FIELDS)
    joins, leaves = membership_changes(props.permission_group_ids, (), snapshot.memberships(actual.user_id),
                                       exact=True)  # a re-apply's: memberships made outside are drift too
    for group in sorted(group_ids.name_of(g) for g in joins):
        yield "membership-removed", "permission_groups", group, ""
    for group in sorted(group_ids.name_of(g) for g in leaves):
        yield "membership-added", "permission_groups", "", group


def _file_name(key: str) -> str:
    """The users file's name of an API field: apiAccessPrincipalArn -> api_access_principal_arn."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", key).lower()


def _shown(key: str, declared: Any, actual: Any, personal: frozenset[str]) -> tuple[str, str]:
    """Declared and actual values as shown; a personal one (a name, a description) never is."""
    if _file_name(key) in personal:
        return "(declared)", "(changed)"
    return _text(declared), _text(actual)


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(sorted({str(v) for v in value}))
    return str(value or "")
