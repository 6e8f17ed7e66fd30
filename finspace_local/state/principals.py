"""Who signs: the IAM role each access key (and its secret) belongs to, what IAM would know; the
credentials GetProgrammaticAccessCredentials issues to a role registered as a user's principal; and
whether that user may manage users and groups."""

from __future__ import annotations

import secrets

from ..access import check_may_manage, registered_user
from ..auth import IssuedCredentials, Principal
from ..exceptions import access_denied
from ..sigv4 import SigningKey
from .memberships import Memberships
from .tables import Params, Tables
from .users import Users

__all__ = ["CREDENTIALS_OPERATION", "Principals"]

CREDENTIALS_OPERATION = "GetProgrammaticAccessCredentials"


class Principals:
    """IAM principals and the credentials issued to them, over the emulator's ``tables``."""

    def __init__(self, tables: Tables, users: Users, memberships: Memberships) -> None:
        self._tables, self._users, self._memberships = tables, users, memberships

    def assign_role(self, access_key_id: str, role_arn: str, secret_access_key: str, session_token: str | None) -> None:
        """Requests signed with ``access_key_id`` come from ``role_arn``."""
        self._tables.db.execute(
            "INSERT OR REPLACE INTO principals (accessKeyId, roleArn, secretAccessKey, sessionToken)"
            " VALUES (?,?,?,?)", (access_key_id, role_arn, secret_access_key, session_token),
        )

    def principal(self, access_key_id: str) -> Principal | None:
        """The IAM role that signs with ``access_key_id``, and the key's secret (``None``: no role
        known here, or a key kept by an older emulator without its secret)."""
        row = self._tables.one("SELECT * FROM principals WHERE accessKeyId=?", access_key_id)
        if row is None or row["secretAccessKey"] is None:
            return None
        return Principal(row["roleArn"], SigningKey(access_key_id, row["secretAccessKey"], row["sessionToken"]))

    def check_may_manage(self, user_id: str) -> None:
        """FinSpace's AccessDeniedException unless the user may manage users and groups."""
        self._users.settle()
        self._memberships.settle()
        user = self._tables.one("SELECT * FROM users WHERE userId=?", user_id)
        check_may_manage(dict(user) if user else None, self._memberships.permissions_of(user_id))

    def issue(self, params: Params, role_arn: str | None) -> Params:
        """GetProgrammaticAccessCredentials, signed by ``role_arn``: credentials acting as the user
        registered with that role in the environment."""
        tables = self._tables
        environment = params["environmentId"]
        if role_arn is None:
            raise access_denied("GetProgrammaticAccessCredentials must be signed by an IAM role")
        if tables.one("SELECT 1 FROM environments WHERE environmentId=?", environment) is None:
            raise access_denied(f"Environment {environment} does not exist or is not accessible")
        self._users.settle()
        candidates = tables.db.execute(
            "SELECT * FROM users WHERE environmentId=? AND apiAccessPrincipalArn=? ORDER BY rowid",
            (environment, role_arn),
        ).fetchall()
        user = registered_user(role_arn, environment, [dict(row) for row in candidates])
        minutes = params.get("durationInMinutes", 60)
        issued = ("FSIA" + secrets.token_hex(8).upper(), secrets.token_urlsafe(30), secrets.token_urlsafe(60))
        tables.db.execute(
            "INSERT INTO credentials VALUES (?,?,?,?,?,?)",
            (*issued, environment, tables.now() + minutes * 60, user["userId"]),
        )
        keys = ("accessKeyId", "secretAccessKey", "sessionToken")
        return {"credentials": dict(zip(keys, issued, strict=True)), "durationInMinutes": minutes}

    def issued(self, access_key_id: str) -> IssuedCredentials | None:
        """The credentials issued with ``access_key_id`` (expired too), ``None`` if none were."""
        row = self._tables.one("SELECT * FROM credentials WHERE accessKeyId=?", access_key_id)
        if row is None:
            return None
        return IssuedCredentials(row["accessKeyId"], row["secretAccessKey"], row["sessionToken"],
                                 row["environmentId"], row["expiresAt"], row["userId"])
