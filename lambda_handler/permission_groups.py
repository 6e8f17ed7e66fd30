"""``Custom::FinSpacePermissionGroup``: properties, and what Create, Update and Delete do.

Same guarantees as users: deterministic client tokens, the group id handed over as soon as it
exists, only changed fields sent, a missing group on Delete is success; an existing group of the
same name is adopted only with ``AdoptExisting: true``. A group that still has
ENABLED members is not deleted: the Delete keeps it and says so in the log, so nobody silently
loses access and a stack can always be deleted. A rollback never deletes a group its Create adopted:
it restores it (docs/DESIGN.md, "Do no harm").
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, NamedTuple

from .api import ApiSession
from .errors import ApiCallError, MissingResourceError, PropertyError
from .properties import (
    BOOLEAN_VALUES,
    NON_BLANK_HINT,
    REAPPLY_FIELD,
    FieldSpec,
    collect,
    join_problems,
    redacted_repr,
)
from .restore import group_prior, restore_group
from .safeguards import Safeguards
from .stack_view import ROLLBACK

__all__ = ["GROUP_FIELDS", "GroupOutcome", "GroupProperties", "changed_group_fields", "create", "delete",
           "parse_group", "update"]

logger = logging.getLogger(__name__)

RESOURCE_TYPE = "Custom::FinSpacePermissionGroup"
GROUP_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("EnvironmentId", "IdType", required=True),
    FieldSpec("Name", "PermissionGroupName", required=True, sensitive=True,
              pattern_hint=NON_BLANK_HINT),
    FieldSpec("Description", "PermissionGroupDescription", sensitive=True),
    FieldSpec("ApplicationPermissions", "ApplicationPermission", required=True, is_list=True),
    FieldSpec("AdoptExisting", None, default="false"),
    REAPPLY_FIELD,
)


class GroupProperties(NamedTuple):
    """A validated group declaration; its name and description stay out of ``repr``."""

    environment_id: str
    name: str
    description: str | None = None
    application_permissions: tuple[str, ...] = ()
    adopt_existing: bool = False

    def __repr__(self) -> str:
        return redacted_repr(self, PERSONAL_GROUP_FIELDS)


PERSONAL_GROUP_FIELDS = frozenset({"name", "description"})


class GroupOutcome:
    """The answer: the permissionGroupId (PhysicalResourceId)."""

    __slots__ = ("group_id",)

    def __init__(self, group_id: str) -> None:
        self.group_id = group_id

    @property
    def physical_id(self) -> str:
        return self.group_id

    @property
    def data(self) -> dict[str, str]:
        return {"PermissionGroupId": self.group_id}


def parse_group(raw: Mapping[str, Any]) -> GroupProperties:
    values, problems = collect(raw, GROUP_FIELDS)
    if problems:
        raise PropertyError(join_problems(problems))
    return GroupProperties(values["EnvironmentId"], values["Name"], values["Description"],
                           tuple(dict.fromkeys(values["ApplicationPermissions"])),
                           BOOLEAN_VALUES[values["AdoptExisting"]])


def create(api: ApiSession, props: GroupProperties, safety: Safeguards) -> GroupOutcome:
    fields = {"name": props.name, "applicationPermissions": list(props.application_permissions),
              **({"description": props.description} if props.description else {})}
    try:
        response = api.call("CreatePermissionGroup", api.client.create_permission_group,
                            clientToken=api.token("create-group"), **fields)
    except ApiCallError as error:
        if error.code != "ConflictException":
            raise
        return _adopt(api, props, error, safety)
    group_id = str(response["permissionGroupId"])
    api.on_owned(group_id)
    logger.info("CreatePermissionGroup answered permissionGroupId %s", group_id)
    return GroupOutcome(group_id)


def _adopt(api: ApiSession, props: GroupProperties, conflict: ApiCallError, safety: Safeguards) -> GroupOutcome:
    """The name is taken: with AdoptExisting, that group becomes this resource (only what differs
    is changed); without it, the request fails and says how to adopt it."""
    existing = next((g for g in api.items("ListPermissionGroups", api.client.list_permission_groups,
                                          "permissionGroups") if g.get("name") == props.name), None)
    if existing is None:
        raise conflict
    group_id = str(existing["permissionGroupId"])
    if not props.adopt_existing and not safety.moved_within_stack(group_id):
        raise PropertyError("Name is already used by another permission group in this environment; choose "
                            "another name, or set AdoptExisting: true to manage that group") from conflict
    safety.keep_prior(group_id, group_prior(existing))
    api.on_owned(group_id)
    logger.info("Adopting existing permission group %s", group_id)
    _apply_changes(api, props, existing, group_id, safety)
    return GroupOutcome(group_id)


def update(api: ApiSession, props: GroupProperties, physical_id: str, old_environment: str,
           safety: Safeguards) -> GroupOutcome:
    """Rename, redescribe or change permissions in place; another environment is a replacement."""
    if old_environment != props.environment_id:
        return create(api, props, safety)
    _apply_changes(api, props, _get(api, physical_id), physical_id, safety)
    return GroupOutcome(physical_id)


def changed_group_fields(actual: Mapping[str, Any], props: GroupProperties) -> dict[str, Any]:
    """Only what differs from the group as FinSpace has it (an undeclared description is left)."""
    changes: dict[str, Any] = {}
    if actual.get("name") != props.name:
        changes["name"] = props.name
    if props.description is not None and actual.get("description") != props.description:
        changes["description"] = props.description
    if set(actual.get("applicationPermissions", [])) != set(props.application_permissions):
        changes["applicationPermissions"] = list(props.application_permissions)
    return changes


def _apply_changes(api: ApiSession, props: GroupProperties, actual: Mapping[str, Any], group_id: str,
                   safety: Safeguards) -> None:
    changes = changed_group_fields(actual, props)
    if "applicationPermissions" in changes:
        safety.role.check_group_permissions(api, group_id, changes["applicationPermissions"])
    if changes:
        api.call("UpdatePermissionGroup", api.client.update_permission_group, permissionGroupId=group_id,
                 clientToken=api.token("update-group"), **changes)
        logger.info("UpdatePermissionGroup %s changed %s", group_id, ", ".join(sorted(changes)))


def delete(api: ApiSession, physical_id: str, safety: Safeguards) -> None:
    """DeletePermissionGroup, unless that would harm what existed before: see the module docstring."""
    if safety.phase() == ROLLBACK:
        prior = safety.prior_state(physical_id)
        if prior is not None:
            try:
                restore_group(api, physical_id, _get(api, physical_id), prior)
            except MissingResourceError:
                logger.info("Permission group %s does not exist; nothing to restore", physical_id)
            safety.forget(physical_id)
            return
    elif safety.taken_over_by_rename(physical_id):
        safety.forget(physical_id)
        return
    _delete_unless_in_use(api, physical_id)
    safety.forget(physical_id)


def _delete_unless_in_use(api: ApiSession, physical_id: str) -> None:
    """Delete the group unless it has ENABLED members; then keep it (and say so in the log)."""
    try:
        members = list(api.items("ListUsersByPermissionGroup", api.client.list_users_by_permission_group, "users",
                                 permissionGroupId=physical_id))
    except ApiCallError as error:
        if error.code == "ResourceNotFoundException":
            logger.info("Permission group %s does not exist; nothing to delete", physical_id)
            return
        raise
    enabled = [m for m in members if m.get("status") == "ENABLED"]
    if enabled:
        logger.warning("Permission group %s kept: it still has %d enabled member(s) that no Delete of this stack "
                       "disabled (retained or managed elsewhere); delete it in FinSpace once they left",
                       physical_id, len(enabled))
        return
    try:
        api.call("DeletePermissionGroup", api.client.delete_permission_group, permissionGroupId=physical_id,
                 clientToken=api.token("delete-group"))
    except ApiCallError as error:
        if error.code != "ResourceNotFoundException":
            raise
    logger.info("Permission group %s deleted", physical_id)


def _get(api: ApiSession, group_id: str) -> dict[str, Any]:
    try:
        group: dict[str, Any] = api.call("GetPermissionGroup", api.client.get_permission_group,
                                         permissionGroupId=group_id)["permissionGroup"]
    except ApiCallError as error:
        if error.code == "ResourceNotFoundException":
            raise MissingResourceError(f"Permission group {group_id} no longer exists; remove the resource, or "
                                   "rename its logical id to create a new group") from error
        raise
    return group
