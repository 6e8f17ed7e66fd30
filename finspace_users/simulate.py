"""The handler's answer to one CloudFormation request, predicted against what FinSpace holds now.

The rules are the handler's own functions (``parse_properties``, ``changed_fields``,
``membership_changes``, ``changed_group_fields``, ``is_reapply``), so a plan cannot drift from
what the deploy does; each planned change lists the FinSpace operations it will call successfully.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lambda_handler.errors import PropertyError
from lambda_handler.ids import is_placeholder
from lambda_handler.memberships import membership_changes
from lambda_handler.permission_groups import RESOURCE_TYPE as GROUP_RESOURCE_TYPE
from lambda_handler.permission_groups import GroupProperties, changed_group_fields, parse_group
from lambda_handler.properties import RESOURCE_TYPE as USER_RESOURCE_TYPE
from lambda_handler.properties import UserProperties, declared_groups_of, identity_of, is_reapply, parse_properties
from lambda_handler.users import CREATING, DISABLED, changed_fields

from .reader import EnvironmentSnapshot, GroupRecord, UserRecord

__all__ = ["GROUP_TYPE", "USER_TYPE", "PlannedChange", "Request", "simulate"]

USER_TYPE = USER_RESOURCE_TYPE
GROUP_TYPE = GROUP_RESOURCE_TYPE
Read = Callable[[str], EnvironmentSnapshot]


@dataclass(frozen=True)
class Request:
    """What CloudFormation sends for one resource (``None``: nothing, the properties are unchanged)."""

    action: str  # Create, Update, Delete, Retain, None
    key: str  # stack/logical id
    logical_id: str
    type: str
    properties: dict[str, Any]
    physical_id: str = ""
    old_properties: dict[str, Any] = field(default_factory=dict)
    retain_replaced: bool = False


@dataclass
class PlannedChange:
    """One resource's change: ``action`` is create, adopt, reclaim, update, replace, disable, delete,
    retain or fail; ``calls`` the FinSpace operations it makes."""

    resource: str
    kind: str  # user or group
    action: str
    environment_id: str
    subject: str  # the email or the group's name
    fields: list[str] = field(default_factory=list)
    status: str = ""  # ENABLED / DISABLED when the status changes
    joins: list[str] = field(default_factory=list)
    leaves: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        label = {"email": self.subject} if self.kind == "user" else {"group": self.subject}
        return {"resource": self.resource, "kind": self.kind, "action": self.action,
                "environmentId": self.environment_id, **label, "fields": self.fields, "status": self.status,
                "joins": self.joins, "leaves": self.leaves, "calls": self.calls, "reason": self.reason}


@dataclass
class _Context:
    read: Read
    names: dict[str, str]  # placeholder id -> name of a group the deploy creates
    leaving: dict[str, set[str]] = field(default_factory=dict)  # group id -> users this deploy removes
    disabled: set[str] = field(default_factory=set)  # users this deploy disables

    def group_name(self, snapshot: EnvironmentSnapshot, group_id: str) -> str:
        found = snapshot.group_by_id(group_id)
        return found.name if found else self.names.get(group_id, group_id)


def simulate(requests: list[Request], read: Read, names: dict[str, str]) -> list[PlannedChange]:
    """Changes in CloudFormation's order: groups, users, then the cleanup (users, then groups)."""
    context = _Context(read, names)
    ordered = sorted((r for r in requests if r.action != "None"), key=_order)
    return [_plan(request, context) for request in ordered]


def _order(request: Request) -> tuple[int, str]:
    removing = request.action in ("Delete", "Retain")
    rank = {(GROUP_TYPE, False): 0, (USER_TYPE, False): 1, (USER_TYPE, True): 2, (GROUP_TYPE, True): 3}
    return rank[(request.type, removing)], request.key


def _plan(request: Request, context: _Context) -> PlannedChange:
    raw = request.properties or request.old_properties
    environment_id = str(raw.get("EnvironmentId", ""))
    kind = "user" if request.type == USER_TYPE else "group"
    subject = str(raw.get("EmailAddress" if kind == "user" else "Name", "?"))
    change = PlannedChange(request.key, kind, "update", environment_id, subject)
    try:
        if kind == "user":
            _plan_user(request, change, context)
        else:
            _plan_group(request, change, context)
    except PropertyError as error:
        change.action, change.reason, change.calls = "fail", str(error), []
    return change


# --- users ----------------------------------------------------------------------------------------
def _plan_user(request: Request, change: PlannedChange, context: _Context) -> None:
    if request.action in ("Delete", "Retain"):
        _plan_removal(request, change, context)
        return
    props = parse_properties(request.properties)
    snapshot = context.read(props.environment_id)
    if request.action == "Create":
        _user_create(props, snapshot, change, context)
        return
    if is_placeholder(request.physical_id) or identity_of(request.old_properties) != props.identity:
        _user_create(props, snapshot, change, context)
        change.action = "fail" if change.action == "fail" else "replace"
        old = context.read(identity_of(request.old_properties)[0]).user_by_id(request.physical_id)
        if old is not None and not request.retain_replaced and change.action == "replace":
            change.calls.append("DisableUser")  # the old user, in the cleanup
            context.disabled.add(old.user_id)
        return
    actual = snapshot.user_by_id(request.physical_id)
    if actual is None:
        raise PropertyError(f"FinSpace user {request.physical_id} no longer exists")
    _converge(props, actual, snapshot, change, context, previously=declared_groups_of(request.old_properties),
              exact=is_reapply(request.properties, request.old_properties))


def _user_create(props: UserProperties, snapshot: EnvironmentSnapshot, change: PlannedChange,
                 context: _Context) -> None:
    existing = snapshot.user_by_email(props.email_address)
    if existing is None:
        change.action = "create"
        change.calls = ["CreateUser"] + ([] if props.enabled else ["DisableUser"])
        change.joins = [context.group_name(snapshot, g) for g in props.permission_group_ids]
        change.calls += ["AssociateUserToPermissionGroup"] * len(props.permission_group_ids)
        return
    if existing.status != DISABLED and not props.adopt_existing:
        raise PropertyError(f"EmailAddress belongs to FinSpace user {existing.user_id}, which is "
                            f"{existing.status}; set adopt_existing to manage it")
    change.action = "reclaim" if existing.status == DISABLED else "adopt"
    _converge(props, existing, snapshot, change, context, previously=(), exact=False)


def _converge(props: UserProperties, actual: UserRecord, snapshot: EnvironmentSnapshot, change: PlannedChange,
              context: _Context, *, previously: tuple[str, ...], exact: bool) -> None:
    """UpdateUser with the changed fields, the status, the memberships: the handler's order."""
    fields = changed_fields(actual.handler_view(), props)
    change.fields = sorted(fields)
    change.calls += ["UpdateUser"] if fields else []
    desired = "ENABLED" if props.enabled else DISABLED
    if actual.status != desired and not (actual.status == CREATING and props.enabled):
        change.status = desired
        change.calls.append("EnableUser" if props.enabled else "DisableUser")
    joins, leaves = membership_changes(props.permission_group_ids, previously, snapshot.memberships(actual.user_id),
                                       exact=exact)
    change.joins = [context.group_name(snapshot, g) for g in joins]
    change.leaves = [context.group_name(snapshot, g) for g in leaves]
    change.calls += ["AssociateUserToPermissionGroup"] * len(joins) + ["DisassociateUserFromPermissionGroup"] * len(
        leaves)
    for group_id in leaves:
        context.leaving.setdefault(group_id, set()).add(actual.user_id)


def _plan_removal(request: Request, change: PlannedChange, context: _Context) -> None:
    if request.action == "Retain":
        change.action = "retain"
        return
    change.action = "disable" if change.kind == "user" else "delete"
    if is_placeholder(request.physical_id) or change.kind != "user":
        return
    if context.read(change.environment_id).user_by_id(request.physical_id) is not None:
        change.calls.append("DisableUser")  # even when already DISABLED: Delete always asks
        context.disabled.add(request.physical_id)


# --- permission groups ------------------------------------------------------------------------------
def _plan_group(request: Request, change: PlannedChange, context: _Context) -> None:
    if request.action in ("Delete", "Retain"):
        _plan_removal(request, change, context)
        if change.action == "delete":
            _group_delete(request, change, context)
        return
    props = parse_group(request.properties)
    snapshot = context.read(props.environment_id)
    moved = str(request.old_properties.get("EnvironmentId", "")) != props.environment_id
    if request.action == "Create" or moved:
        _group_create(props, snapshot, change)
        return
    actual = snapshot.group_by_id(request.physical_id)
    if actual is None:
        raise PropertyError(f"Permission group {request.physical_id} no longer exists")
    _group_converge(props, actual, change)


def _group_create(props: GroupProperties, snapshot: EnvironmentSnapshot, change: PlannedChange) -> None:
    existing = snapshot.group_by_name(props.name)
    if existing is None:
        change.action, change.calls = "create", ["CreatePermissionGroup"]
        return
    if not props.adopt_existing:
        raise PropertyError("Name is already used by another permission group in this environment; "
                            "set adopt_existing to manage it")
    change.action = "adopt"
    _group_converge(props, existing, change)


def _group_converge(props: GroupProperties, actual: GroupRecord, change: PlannedChange) -> None:
    fields = changed_group_fields(actual.handler_view(), props)
    change.fields = sorted(fields)
    change.calls = ["UpdatePermissionGroup"] if fields else []


def _group_delete(request: Request, change: PlannedChange, context: _Context) -> None:
    snapshot = context.read(change.environment_id)
    actual = snapshot.group_by_id(request.physical_id)
    if actual is None:
        return
    gone = context.leaving.get(actual.group_id, set()) | context.disabled
    enabled = [u for u in actual.members
               if u not in gone and (user := snapshot.user_by_id(u)) is not None and user.status == "ENABLED"]
    if enabled:
        raise PropertyError(f"Permission group {actual.group_id} still has {len(enabled)} enabled member(s)")
    change.calls = ["DeletePermissionGroup"]
