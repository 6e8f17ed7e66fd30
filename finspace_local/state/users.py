"""FinSpace users: CreateUser, GetUser, ListUsers, UpdateUser, EnableUser, DisableUser, ResetUserPassword.

A new user is CREATING until ``creating_seconds`` have passed on the emulator's clock, and each mutation
refuses a CREATING user."""

from __future__ import annotations

import base64
import secrets
import sqlite3
import uuid

from ..exceptions import conflict, not_found
from .tables import Params, Tables

__all__ = ["USER_FIELDS", "Users"]

USER_FIELDS = ("emailAddress", "type", "firstName", "lastName", "apiAccess", "apiAccessPrincipalArn")


class Users:
    """The users of the environment of the call in progress (:attr:`Tables.environment`)."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def row(self, user_id: str) -> sqlite3.Row:
        """The user's row in the acting environment, or FinSpace's ResourceNotFoundException."""
        self.settle()
        row = self._tables.one("SELECT * FROM users WHERE userId=? AND environmentId=?", user_id,
                               self._tables.environment)
        if row is None:
            raise not_found("User", user_id)
        return row

    def mutable_row(self, user_id: str) -> sqlite3.Row:
        """The user a mutation may change. The API model lists ConflictException for every user
        mutation and nothing says which a CREATING user accepts: the stricter reading refuses them all."""
        row = self.row(user_id)
        if row["status"] == "CREATING":
            raise conflict("The user is still being created; try again shortly")
        return row

    def settle(self) -> None:
        """Users whose creation time has come are ENABLED."""
        self._tables.db.execute(
            "UPDATE users SET status='ENABLED', lastEnabledTime=? WHERE status='CREATING' AND readyAt<=?",
            (self._tables.ms(), self._tables.now()),
        )

    def ready(self, user_id: str) -> None:
        """The user is created now (not API: a first superuser, a user made in the web application)."""
        self._tables.db.execute("UPDATE users SET readyAt=? WHERE userId=?", (self._tables.now(), user_id))
        self.settle()

    @staticmethod
    def view(row: sqlite3.Row) -> Params:
        keys = ("userId", "status", *USER_FIELDS, "createTime", "lastEnabledTime", "lastDisabledTime",
                "lastModifiedTime", "lastLoginTime")
        return {key: row[key] for key in keys if row[key] is not None}

    def create(self, params: Params) -> Params:
        tables = self._tables
        email_key = params["emailAddress"].lower()
        if tables.one("SELECT 1 FROM users WHERE emailKey=? AND environmentId=?", email_key, tables.environment):
            raise conflict("A user with this email address already exists")
        user_id = base64.b32encode(uuid.uuid4().bytes).decode().lower()[:22]
        now = tables.ms()
        tables.db.execute(
            "INSERT INTO users (userId, environmentId, emailKey, emailAddress, type, firstName, lastName, apiAccess,"
            " apiAccessPrincipalArn, status, readyAt, createTime, lastModifiedTime) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (user_id, tables.environment, email_key, *(params.get(f) for f in USER_FIELDS), "CREATING",
             tables.now() + tables.settings.creating_seconds, now, now),
        )
        self.settle()
        return {"userId": user_id}

    def get(self, params: Params) -> Params:
        return self.view(self.row(params["userId"]))

    def page(self, params: Params) -> Params:
        self.settle()
        rows, next_token = self._tables.page(
            "SELECT rowid, * FROM users WHERE environmentId=? AND rowid>? ORDER BY rowid LIMIT ?",
            (self._tables.environment,), params,
        )
        return {"users": [self.view(row) for row in rows], "nextToken": next_token}

    def update(self, params: Params) -> Params:
        row = self.mutable_row(params["userId"])
        changes = {f: params[f] for f in USER_FIELDS[1:] if params.get(f) is not None}
        merged = {**dict(row), **changes}
        if merged["apiAccessPrincipalArn"] and merged["apiAccess"] != "ENABLED" and "apiAccess" in changes:
            merged["apiAccessPrincipalArn"] = None
        assignments = ", ".join(f"{f}=?" for f in USER_FIELDS[1:])
        self._tables.db.execute(
            f"UPDATE users SET {assignments}, lastModifiedTime=? WHERE userId=?",
            (*(merged[f] for f in USER_FIELDS[1:]), self._tables.ms(), row["userId"]),
        )
        return {"userId": row["userId"]}

    def enable(self, params: Params) -> Params:
        return self._set_status(params["userId"], "ENABLED", "lastEnabledTime")

    def disable(self, params: Params) -> Params:
        return self._set_status(params["userId"], "DISABLED", "lastDisabledTime")

    def _set_status(self, user_id: str, status: str, time_column: str) -> Params:
        row = self.mutable_row(user_id)
        if row["status"] == status and self._tables.settings.redundant_state_change == "conflict":
            raise conflict(f"The user is already {status}")
        self._tables.db.execute(
            f"UPDATE users SET status=?, {time_column}=?, lastModifiedTime=? WHERE userId=?",
            (status, self._tables.ms(), self._tables.ms(), user_id),
        )
        return {"userId": user_id}

    def reset_password(self, params: Params) -> Params:
        row = self.mutable_row(params["userId"])
        return {"userId": row["userId"], "temporaryPassword": "Tmp-" + secrets.token_urlsafe(9)}
