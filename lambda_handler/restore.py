"""What an adopted user or group was before its adoption, and putting it back (docs/DESIGN.md).

:func:`user_prior` and :func:`group_prior` describe an object as its adopting Create found it;
:func:`restore_user` and :func:`restore_group` undo that Create when its operation rolls back.
Personal fields (names) are recorded only when the adoption changes them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .memberships import sync_memberships
from .users import DISABLED, ENABLED

if TYPE_CHECKING:
    from .api import ApiSession
    from .users import Users

__all__ = ["group_prior", "restore_group", "restore_user", "user_prior"]

logger = logging.getLogger(__name__)

USER_FIELDS = ("type", "apiAccess", "apiAccessPrincipalArn")
PERSONAL_FIELDS = ("firstName", "lastName")
IN_GROUP = frozenset({"ADDITION_SUCCESS", "ADDITION_IN_PROGRESS"})


def user_prior(existing: Mapping[str, Any], changes: Mapping[str, str],
               memberships: Mapping[str, str]) -> dict[str, Any]:
    """The record of a user about to be adopted with ``changes``."""
    fields = {k: existing[k] for k in USER_FIELDS if existing.get(k) is not None}
    fields.update({k: existing[k] for k in PERSONAL_FIELDS if k in changes and existing.get(k) is not None})
    return {"kind": "user", "status": str(existing["status"]), "fields": fields,
            "groups": sorted(g for g, status in memberships.items() if status in IN_GROUP)}


def restore_user(users: Users, user_id: str, prior: Mapping[str, Any]) -> None:
    """Put fields, memberships and status back as the adopting Create found them."""
    current = users.get(user_id)
    fields: dict[str, str] = prior.get("fields", {})
    changes = {k: v for k, v in fields.items() if current.get(k) != v}
    if fields.get("apiAccess") == "DISABLED" or "apiAccessPrincipalArn" not in fields:
        changes.pop("apiAccessPrincipalArn", None)
    elif "apiAccessPrincipalArn" in changes:
        changes["apiAccess"] = fields["apiAccess"]
    status = users.wait_while_creating(user_id, str(current["status"]), required=True)
    users.update(user_id, changes, step="restore")
    groups = tuple(prior.get("groups", ()))
    sync_memberships(users, user_id, groups, previously=(), exact=True)
    wanted = str(prior.get("status", ENABLED))
    if wanted in (ENABLED, DISABLED) and status != wanted:
        users.set_enabled(user_id, wanted == ENABLED, step="restore-status")
    logger.info("User %s restored as its adoption found it (%d field(s))", user_id, len(changes))


def group_prior(existing: Mapping[str, Any]) -> dict[str, Any]:
    fields = {k: existing[k] for k in ("name", "description", "applicationPermissions") if existing.get(k) is not None}
    return {"kind": "group", "fields": fields}


def restore_group(api: ApiSession, group_id: str, current: Mapping[str, Any], prior: Mapping[str, Any]) -> None:
    fields: dict[str, Any] = prior.get("fields", {})
    changes = {k: v for k, v in fields.items() if k != "applicationPermissions" and current.get(k) != v}
    if set(current.get("applicationPermissions", [])) != set(fields.get("applicationPermissions", [])):
        changes["applicationPermissions"] = list(fields.get("applicationPermissions", []))
    if changes:
        api.call("UpdatePermissionGroup", api.client.update_permission_group, permissionGroupId=group_id,
                 clientToken=api.token("restore-group"), **changes)
    logger.info("Permission group %s restored as its adoption found it (%d field(s))", group_id, len(changes))
