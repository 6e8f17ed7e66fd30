"""``Custom::FinSpacePermissionGroup``: properties, and what Create, Update and Delete do.

Same guarantees as users: deterministic client tokens, the group id handed over as soon as it
exists, only changed fields sent, a missing group on Delete is success. A group that still has
ENABLED members is not deleted: the Delete fails and says so, so nobody silently loses access.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .api import ApiSession
from .errors import ApiCallError, MissingResourceError, PropertyError
from .properties import FieldSpec, collect, join_problems

__all__ = ["GROUP_FIELDS", "GroupOutcome", "GroupProperties", "create", "delete", "parse_group", "update"]

logger = logging.getLogger(__name__)

RESOURCE_TYPE = "Custom::FinSpacePermissionGroup"
GROUP_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("EnvironmentId", "IdType", required=True),
    FieldSpec("Name", "PermissionGroupName", required=True, sensitive=True,
              pattern_hint="must contain a non-blank character"),
    FieldSpec("Description", "PermissionGroupDescription", sensitive=True),
    FieldSpec("ApplicationPermissions", "ApplicationPermission", required=True, is_list=True),
)


@dataclass(frozen=True)
class GroupProperties:
    environment_id: str
    name: str = field(repr=False)
    description: str | None = field(default=None, repr=False)
    application_permissions: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupOutcome:
    group_id: str

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
                           tuple(dict.fromkeys(values["ApplicationPermissions"])))


def create(api: ApiSession, props: GroupProperties) -> GroupOutcome:
    fields = {"name": props.name, "applicationPermissions": list(props.application_permissions),
              **({"description": props.description} if props.description else {})}
    try:
        response = api.call("CreatePermissionGroup", api.client.create_permission_group,
                            clientToken=api.token("create-group"), **fields)
    except ApiCallError as error:
        if error.code == "ConflictException":
            raise PropertyError("Name is already used by another permission group in this environment; "
                                "choose another name") from error
        raise
    group_id = str(response["permissionGroupId"])
    api.on_owned(group_id)
    logger.info("CreatePermissionGroup answered permissionGroupId %s", group_id)
    return GroupOutcome(group_id)


def update(api: ApiSession, props: GroupProperties, physical_id: str, old_environment: str) -> GroupOutcome:
    """Rename, redescribe or change permissions in place; another environment is a replacement."""
    if old_environment != props.environment_id:
        return create(api, props)
    actual = _get(api, physical_id)
    changes: dict[str, Any] = {}
    if actual.get("name") != props.name:
        changes["name"] = props.name
    if props.description is not None and actual.get("description") != props.description:
        changes["description"] = props.description
    if set(actual.get("applicationPermissions", [])) != set(props.application_permissions):
        changes["applicationPermissions"] = list(props.application_permissions)
    if changes:
        api.call("UpdatePermissionGroup", api.client.update_permission_group, permissionGroupId=physical_id,
                 clientToken=api.token("update-group"), **changes)
        logger.info("UpdatePermissionGroup %s changed %s", physical_id, ", ".join(sorted(changes)))
    return GroupOutcome(physical_id)


def delete(api: ApiSession, physical_id: str) -> None:
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
        raise PropertyError(f"Permission group {physical_id} still has {len(enabled)} enabled member(s); remove it "
                            "from their PermissionGroupIds first, or keep the group")
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
