"""FinSpace permission groups: CreatePermissionGroup, GetPermissionGroup, ListPermissionGroups,
UpdatePermissionGroup, DeletePermissionGroup (which ends the group's memberships)."""

from __future__ import annotations

import base64
import json
import sqlite3
import uuid

from ..exceptions import conflict, not_found
from .tables import Params, Tables

__all__ = ["Groups"]


class Groups:
    """The permission groups of the environment of the call in progress (:attr:`Tables.environment`)."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def row(self, group_id: str) -> sqlite3.Row:
        """The group's row in the acting environment, or FinSpace's ResourceNotFoundException."""
        row = self._tables.one("SELECT * FROM groups WHERE permissionGroupId=? AND environmentId=?", group_id,
                               self._tables.environment)
        if row is None:
            raise not_found("Permission group", group_id)
        return row

    @staticmethod
    def view(row: sqlite3.Row) -> Params:
        view = {k: row[k] for k in ("permissionGroupId", "name", "description", "createTime", "lastModifiedTime")}
        view["applicationPermissions"] = json.loads(row["applicationPermissions"])
        return {k: v for k, v in view.items() if v is not None}

    def create(self, params: Params) -> Params:
        tables = self._tables
        if tables.one("SELECT 1 FROM groups WHERE name=? AND environmentId=?", params["name"], tables.environment):
            raise conflict("A permission group with this name already exists")
        group_id = base64.b32encode(uuid.uuid4().bytes).decode().lower()[:22]
        tables.db.execute(
            "INSERT INTO groups (permissionGroupId, environmentId, name, description, applicationPermissions,"
            " createTime, lastModifiedTime) VALUES (?,?,?,?,?,?,?)",
            (group_id, tables.environment, params["name"], params.get("description"),
             json.dumps(params["applicationPermissions"]), tables.ms(), tables.ms()),
        )
        return {"permissionGroupId": group_id}

    def get(self, params: Params) -> Params:
        return {"permissionGroup": self.view(self.row(params["permissionGroupId"]))}

    def page(self, params: Params) -> Params:
        rows, next_token = self._tables.page(
            "SELECT rowid, * FROM groups WHERE environmentId=? AND rowid>? ORDER BY rowid LIMIT ?",
            (self._tables.environment,), params,
        )
        return {"permissionGroups": [self.view(row) for row in rows], "nextToken": next_token}

    def update(self, params: Params) -> Params:
        row = dict(self.row(params["permissionGroupId"]))
        for key in ("name", "description"):
            if params.get(key) is not None:
                row[key] = params[key]
        if params.get("applicationPermissions") is not None:
            row["applicationPermissions"] = json.dumps(params["applicationPermissions"])
        self._tables.db.execute(
            "UPDATE groups SET name=?, description=?, applicationPermissions=?, lastModifiedTime=?"
            " WHERE permissionGroupId=?",
            (row["name"], row["description"], row["applicationPermissions"], self._tables.ms(),
             row["permissionGroupId"]),
        )
        return {"permissionGroupId": row["permissionGroupId"]}

    def delete(self, params: Params) -> Params:
        group_id = self.row(params["permissionGroupId"])["permissionGroupId"]
        self._tables.db.execute("DELETE FROM groups WHERE permissionGroupId=?", (group_id,))
        self._tables.db.execute("DELETE FROM members WHERE permissionGroupId=?", (group_id,))
        return {"permissionGroupId": group_id}
