"""Who is in which permission group: AssociateUserToPermissionGroup, DisassociateUserFromPermissionGroup,
ListPermissionGroupsByUser, ListUsersByPermissionGroup.

A membership is ADDITION_IN_PROGRESS, and a removed one REMOVAL_IN_PROGRESS, until ``membership_seconds``
have passed on the emulator's clock."""

from __future__ import annotations

import json
import sqlite3

from ..exceptions import conflict, not_found
from .groups import Groups
from .tables import Params, Tables
from .users import Users

__all__ = ["Memberships"]

_MEMBER_PAGE_SQL = {
    column: "SELECT m.rowid AS rowid, m.*, g.name FROM members m JOIN groups g USING (permissionGroupId)"
    " WHERE m." + column + "=? AND g.environmentId=? AND m.rowid>? ORDER BY m.rowid LIMIT ?"
    for column in ("userId", "permissionGroupId")
}


class Memberships:
    """Memberships of the ``users`` in the ``groups`` of the environment of the call in progress."""

    def __init__(self, tables: Tables, users: Users, groups: Groups) -> None:
        self._tables, self._users, self._groups = tables, users, groups

    def settle(self) -> None:
        """Additions and removals whose time has come are done."""
        now = self._tables.now()
        self._tables.db.execute(
            "DELETE FROM members WHERE membershipStatus='REMOVAL_IN_PROGRESS' AND settlesAt<=?", (now,),
        )
        self._tables.db.execute(
            "UPDATE members SET membershipStatus='ADDITION_SUCCESS'"
            " WHERE membershipStatus='ADDITION_IN_PROGRESS' AND settlesAt<=?",
            (now,),
        )

    def permissions_of(self, user_id: str) -> list[list[str]]:
        """The application permissions of each group the user is a member of (additions done), in any
        environment."""
        rows = self._tables.db.execute(
            "SELECT g.applicationPermissions FROM members m JOIN groups g USING (permissionGroupId)"
            " WHERE m.userId=? AND m.membershipStatus='ADDITION_SUCCESS'", (user_id,),
        ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def associate(self, params: Params) -> Params:
        group_id, user_id = self._keys(params)
        if self._tables.one("SELECT 1 FROM members WHERE permissionGroupId=? AND userId=?", group_id, user_id):
            raise conflict("The user is already a member of this permission group")
        self._tables.db.execute(
            "INSERT INTO members VALUES (?,?,?,?)",
            (group_id, user_id, "ADDITION_IN_PROGRESS", self._tables.now() + self._tables.settings.membership_seconds),
        )
        self.settle()
        return {"statusCode": 200}

    def disassociate(self, params: Params) -> Params:
        group_id, user_id = self._keys(params)
        row = self._tables.one("SELECT * FROM members WHERE permissionGroupId=? AND userId=?", group_id, user_id)
        if row is None or row["membershipStatus"] == "REMOVAL_IN_PROGRESS":
            raise not_found("Membership of user in permission group", group_id)
        self._tables.db.execute(
            "UPDATE members SET membershipStatus='REMOVAL_IN_PROGRESS', settlesAt=?"
            " WHERE permissionGroupId=? AND userId=?",
            (self._tables.now() + self._tables.settings.membership_seconds, group_id, user_id),
        )
        self.settle()
        return {"statusCode": 200}

    def _keys(self, params: Params) -> tuple[str, str]:
        self.settle()
        group_id = self._groups.row(params["permissionGroupId"])["permissionGroupId"]
        return group_id, self._users.mutable_row(params["userId"])["userId"]

    def groups_of_user(self, params: Params) -> Params:
        user_id = self._users.row(params["userId"])["userId"]
        self.settle()
        rows, next_token = self._page(params, "userId", user_id)
        groups = [{k: row[k] for k in ("permissionGroupId", "name", "membershipStatus")} for row in rows]
        return {"permissionGroups": groups, "nextToken": next_token}

    def users_of_group(self, params: Params) -> Params:
        group_id = self._groups.row(params["permissionGroupId"])["permissionGroupId"]
        self.settle()
        rows, next_token = self._page(params, "permissionGroupId", group_id)
        users = []
        for row in rows:
            view = self._users.view(self._users.row(row["userId"]))
            view.pop("createTime", None)
            users.append({**{k: v for k, v in view.items() if not k.startswith("last")},
                          "membershipStatus": row["membershipStatus"]})
        return {"users": users, "nextToken": next_token}

    def _page(self, params: Params, column: str, value: str) -> tuple[list[sqlite3.Row], str | None]:
        return self._tables.page(_MEMBER_PAGE_SQL[column], (value, self._tables.environment), params)
