"""The handler's answer to one CloudFormation request, predicted against what FinSpace holds now.

The rules are the handler's own functions (``parse_properties``, ``changed_fields``,
``membership_changes``, ``changed_group_fields``, ``is_reapply``), so a plan cannot drift from
what the deploy does; each planned change lists the FinSpace operations it will call successfully.
The provider's own user is guarded by the handler's own :class:`~lambda_handler.self_access.ProviderRole`
(its reads answered from the snapshot): a change it refuses as a lockout is planned as a failure
with its reason. A user found DISABLED and enabled by the deploy is named in the change's notes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from finspace_constructs.handler_shared import (
    CREATING,
    DISABLED,
    GROUP_RESOURCE_TYPE,
    USER_RESOURCE_TYPE,
    AdoptionRequiredError,
    GroupProperties,
    PropertyError,
    ProviderError,
    ProviderRole,
    UserProperties,
    changed_fields,
    changed_group_fields,
    declared_groups_of,
    identity_of,
    is_placeholder,
    is_reapply,
    membership_changes,
    parse_group,
    parse_properties,
)
from finspace_constructs.provider_identity import names_provider_role

from .reader import MEMBER_STATUSES, EnvironmentSnapshot, GroupRecord, UserRecord

if TYPE_CHECKING:
    from finspace_constructs.handler_shared import ApiSession

__all__ = ["GROUP_TYPE", "REENABLES", "USER_TYPE", "Guards", "NamedProvider", "PlannedChange", "Request", "simulate"]

USER_TYPE = USER_RESOURCE_TYPE
GROUP_TYPE = GROUP_RESOURCE_TYPE
Read = Callable[[str], EnvironmentSnapshot]
REENABLES = "re-enables a user disabled outside this stack"
LEFT_ENABLED = "the provider's own user: the Delete leaves it enabled"


class NamedProvider(ProviderRole):
    """The provider's own user where its role's ARN is unknown: the users file's ``provider_user``
    emails, or a principal named like the bootstrap's provider role (``FinSpaceUserProvider-``)."""

    __slots__ = ("emails",)

    def __init__(self, emails: Iterable[str] = ()) -> None:
        super().__init__("(recognised by name)")  # set: the guard is on
        self.emails = frozenset(e.strip().lower() for e in emails)

    def owns(self, user: Mapping[str, Any]) -> bool:
        principal = str(user.get("apiAccessPrincipalArn") or "")
        email = str(user.get("emailAddress") or "").strip().lower()
        return names_provider_role(principal) or (bool(email) and email in self.emails)


@dataclass(frozen=True)
class Guards:
    """What the deploy's handler knows of itself: its role (no ARN: no guard) and whether re-enabling
    a DISABLED user takes AdoptExisting (``reenable_requires_adopt``)."""

    role: ProviderRole = field(default_factory=lambda: ProviderRole(""))
    strict_reenable: bool = False


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
    notes: list[str] = field(default_factory=list)  # e.g. REENABLES

    def as_dict(self) -> dict[str, Any]:
        label = {"email": self.subject} if self.kind == "user" else {"group": self.subject}
        return {"resource": self.resource, "kind": self.kind, "action": self.action,
                "environmentId": self.environment_id, **label, "fields": self.fields, "status": self.status,
                "joins": self.joins, "leaves": self.leaves, "calls": self.calls, "reason": self.reason,
                "notes": self.notes}


@dataclass
class _Context:
    read: Read
    names: dict[str, str]  # placeholder id -> name of a group the deploy creates
    guards: Guards = field(default_factory=Guards)
    leaving: dict[str, set[str]] = field(default_factory=dict)  # group id -> users this deploy removes
    disabled: set[str] = field(default_factory=set)  # users this deploy disables
    permissions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # group id -> as this deploy sets them

    def group_name(self, snapshot: EnvironmentSnapshot, group_id: str) -> str:
        found = snapshot.group_by_id(group_id)
        return found.name if found else self.names.get(group_id, group_id)

    def api(self, snapshot: EnvironmentSnapshot) -> ApiSession:
        """The reads the provider's guard makes, answered from ``snapshot`` (a stand-in, not a session)."""
        return cast("ApiSession", _SnapshotApi(snapshot, self.permissions))


class _SnapshotApi:
    """``ListPermissionGroupsByUser``, ``ListUsersByPermissionGroup`` and ``GetPermissionGroup`` as
    :class:`ProviderRole` calls them, from the snapshot and the permissions this deploy sets earlier
    (groups are changed before users)."""

    class _Client:
        def __getattr__(self, _operation: str) -> None:
            return None  # the method passed along; only the operation's name is read

    client = _Client()

    def __init__(self, snapshot: EnvironmentSnapshot, permissions: Mapping[str, tuple[str, ...]]) -> None:
        self.snapshot = snapshot
        self.permissions = permissions

    def items(self, operation: str, _method: object, _key: str, **params: str) -> list[dict[str, Any]]:
        if operation == "ListPermissionGroupsByUser":
            return [{"permissionGroupId": group_id} for group_id, status
                    in self.snapshot.memberships(params["userId"]).items() if status in MEMBER_STATUSES]
        assert operation == "ListUsersByPermissionGroup", operation
        group = self.snapshot.group_by_id(params["permissionGroupId"])
        members = [self.snapshot.user_by_id(user_id) for user_id in (group.members if group else {})]
        return [user_view(member) for member in members if member is not None]

    def call(self, operation: str, _method: object, **params: str) -> dict[str, Any]:
        assert operation == "GetPermissionGroup", operation
        group_id = params["permissionGroupId"]
        group = self.snapshot.group_by_id(group_id)
        permissions = self.permissions.get(group_id, group.application_permissions if group else ())
        return {"permissionGroup": {"permissionGroupId": group_id, "applicationPermissions": list(permissions)}}


def user_view(user: UserRecord) -> dict[str, Any]:
    """A user as GetUser answers it (the provider's guard reads it so)."""
    return {**user.handler_view(), "userId": user.user_id, "status": user.status, "emailAddress": user.email}


def simulate(requests: list[Request], read: Read, names: dict[str, str],
             guards: Guards | None = None) -> list[PlannedChange]:
    """Changes in CloudFormation's order: groups, users, then the cleanup (users, then groups)."""
    context = _Context(read, names, guards or Guards())
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
    except ProviderError as error:  # what the handler refuses: the contract, an adoption, a lockout
        change.action, change.reason, change.calls = "fail", str(error), []
        change.notes = [n for n in change.notes if n != REENABLES]
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
            _disable(old, change, context)  # the old user, in the cleanup
        return
    actual = snapshot.user_by_id(request.physical_id)
    if actual is None:
        raise PropertyError(f"FinSpace user {request.physical_id} no longer exists")
    if actual.status == DISABLED and props.enabled and request.old_properties.get("Enabled") != "false":
        change.notes.append(REENABLES)  # the stack had it enabled: someone disabled it since
    _converge(props, actual, snapshot, change, context, previously=declared_groups_of(request.old_properties),
              exact=is_reapply(request.properties, request.old_properties), guarded=True)


def _user_create(props: UserProperties, snapshot: EnvironmentSnapshot, change: PlannedChange,
                 context: _Context) -> None:
    existing = snapshot.user_by_email(props.email_address)
    if existing is None:
        change.action = "create"
        change.calls = ["CreateUser"] + ([] if props.enabled else ["DisableUser"])
        change.joins = [context.group_name(snapshot, g) for g in props.permission_group_ids]
        change.calls += ["AssociateUserToPermissionGroup"] * len(props.permission_group_ids)
        return
    if not props.adopt_existing and (existing.status != DISABLED or context.guards.strict_reenable):
        raise AdoptionRequiredError(  # the handler's own words (lifecycle._take_over)
            f"EmailAddress belongs to FinSpace user {existing.user_id}, which is {existing.status}; set "
            "AdoptExisting: true to manage it from this stack, or declare another email")
    change.action = "reclaim" if existing.status == DISABLED else "adopt"
    if existing.status == DISABLED and props.enabled:
        change.notes.append(REENABLES)
    _converge(props, existing, snapshot, change, context, previously=(), exact=False, guarded=False)


def _converge(props: UserProperties, actual: UserRecord, snapshot: EnvironmentSnapshot, change: PlannedChange,
              context: _Context, *, previously: tuple[str, ...], exact: bool, guarded: bool) -> None:
    """UpdateUser with the changed fields, the status, the memberships: the handler's order, its guard
    of the provider's own user first. ``guarded``: the groups left are checked too (an Update)."""
    fields = changed_fields(actual.handler_view(), props)
    context.guards.role.check_user_change(user_view(actual), fields, enabled=props.enabled)
    change.fields = sorted(fields)
    change.calls += ["UpdateUser"] if fields else []
    desired = "ENABLED" if props.enabled else DISABLED
    if actual.status != desired and not (actual.status == CREATING and props.enabled):
        change.status = desired
        change.calls.append("EnableUser" if props.enabled else "DisableUser")
    joins, leaves = membership_changes(props.permission_group_ids, previously, snapshot.memberships(actual.user_id),
                                       exact=exact)
    if leaves and guarded:
        context.guards.role.check_leaving(context.api(snapshot), user_view(actual), leaves)
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
    user = context.read(change.environment_id).user_by_id(request.physical_id)
    if user is not None:
        _disable(user, change, context)


def _disable(user: UserRecord, change: PlannedChange, context: _Context) -> None:
    """A Delete's DisableUser: none for a user already DISABLED, nor for the provider's own user."""
    if context.guards.role.owns(user_view(user)):
        change.notes.append(LEFT_ENABLED)
    elif user.status != DISABLED:
        change.calls.append("DisableUser")
        context.disabled.add(user.user_id)


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
        _group_create(props, snapshot, change, context)
        return
    actual = snapshot.group_by_id(request.physical_id)
    if actual is None:
        raise PropertyError(f"Permission group {request.physical_id} no longer exists")
    _group_converge(props, actual, change, context, snapshot)


def _group_create(props: GroupProperties, snapshot: EnvironmentSnapshot, change: PlannedChange,
                  context: _Context) -> None:
    existing = snapshot.group_by_name(props.name)
    if existing is None:
        change.action, change.calls = "create", ["CreatePermissionGroup"]
        return
    if not props.adopt_existing:
        raise PropertyError("Name is already used by another permission group in this environment; "
                            "set adopt_existing to manage it")
    change.action = "adopt"
    _group_converge(props, existing, change, context, snapshot)


def _group_converge(props: GroupProperties, actual: GroupRecord, change: PlannedChange, context: _Context,
                    snapshot: EnvironmentSnapshot) -> None:
    fields = changed_group_fields(actual.handler_view(), props)
    if "applicationPermissions" in fields:
        context.guards.role.check_group_permissions(context.api(snapshot), actual.group_id,
                                                    fields["applicationPermissions"])
        context.permissions[actual.group_id] = tuple(fields["applicationPermissions"])
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
    if enabled:  # the handler keeps it, and succeeds
        change.notes.append(f"kept: it still has {len(enabled)} enabled member(s)")
        return
    change.calls = ["DeletePermissionGroup"]
