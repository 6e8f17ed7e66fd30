"""The emulator's state in SQLite: one method per operation, idempotency, time.

Kept in a file (a demo can stop and resume) or in memory. All access goes
through one lock: SQLite serialises writers anyway, and this keeps each
operation atomic (idempotency look-up, checks and writes together).

Users and permission groups belong to an environment, as in FinSpace: a call acts in
the environment its credentials were issued for. Each configured environment is
created with its first superuser (as the AWS console does), who has no API access.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .access import check_may_manage, registered_user
from .auth import IssuedCredentials, Principal
from .exceptions import ApiError, access_denied, conflict, not_found, validation_error
from .sigv4 import SigningKey

__all__ = ["CREDENTIALS_OPERATION", "FIRST_SUPERUSER_EMAIL", "Backend", "BackendSettings", "Caller"]

Params = dict[str, Any]
IDEMPOTENCY_SECONDS = 600  # FinSpace clientToken lifetime: 10 minutes
USER_FIELDS = ("emailAddress", "type", "firstName", "lastName", "apiAccess", "apiAccessPrincipalArn")
CREDENTIALS_OPERATION = "GetProgrammaticAccessCredentials"
FIRST_SUPERUSER_EMAIL = "environment.admin@example.com"
SCHEMA_VERSION = 3  # 2: environments, IAM principals, credentials acting as a user; 3: principals' secrets

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  rowid INTEGER PRIMARY KEY, userId TEXT UNIQUE, environmentId TEXT, emailKey TEXT, emailAddress TEXT,
  type TEXT, firstName TEXT, lastName TEXT, apiAccess TEXT, apiAccessPrincipalArn TEXT, status TEXT, readyAt REAL,
  createTime INTEGER, lastEnabledTime INTEGER, lastDisabledTime INTEGER, lastModifiedTime INTEGER,
  lastLoginTime INTEGER, UNIQUE (environmentId, emailKey));
CREATE TABLE IF NOT EXISTS groups (
  rowid INTEGER PRIMARY KEY, permissionGroupId TEXT UNIQUE, environmentId TEXT, name TEXT, description TEXT,
  applicationPermissions TEXT, createTime INTEGER, lastModifiedTime INTEGER);
CREATE TABLE IF NOT EXISTS environments (environmentId TEXT PRIMARY KEY, createTime INTEGER);
CREATE TABLE IF NOT EXISTS principals (
  accessKeyId TEXT PRIMARY KEY, roleArn TEXT, secretAccessKey TEXT, sessionToken TEXT);
CREATE TABLE IF NOT EXISTS members (
  permissionGroupId TEXT, userId TEXT, membershipStatus TEXT, settlesAt REAL,
  PRIMARY KEY (permissionGroupId, userId));
CREATE TABLE IF NOT EXISTS tokens (
  operation TEXT, token TEXT, fingerprint TEXT, response TEXT, createdAt REAL, PRIMARY KEY (operation, token));
CREATE TABLE IF NOT EXISTS credentials (
  accessKeyId TEXT PRIMARY KEY, secretAccessKey TEXT, sessionToken TEXT, environmentId TEXT, expiresAt REAL,
  userId TEXT);
"""

_MEMBER_PAGE_SQL = {
    column: "SELECT m.rowid AS rowid, m.*, g.name FROM members m JOIN groups g USING (permissionGroupId)"
    " WHERE m." + column + "=? AND g.environmentId=? AND m.rowid>? ORDER BY m.rowid LIMIT ?"
    for column in ("userId", "permissionGroupId")
}


@dataclass
class BackendSettings:
    """Behaviours AWS leaves open, and the emulator's timings.

    ``redundant_state_change``: how DisableUser on a disabled user (and EnableUser
    on an enabled one) is answered, since AWS does not document it.
    """

    environments: frozenset[str] = frozenset({"finspace-local"})
    creating_seconds: float = 0.0
    membership_seconds: float = 0.0
    redundant_state_change: Literal["succeed", "conflict"] = "succeed"
    # How long a clientToken is honoured: FinSpace's 10 minutes; 0 plays a token that expired.
    client_token_seconds: float = IDEMPOTENCY_SECONDS
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Caller:
    """Who signed an API request: an IAM role (for GetProgrammaticAccessCredentials), or
    credentials this emulator issued (for every other operation)."""

    role_arn: str | None = None
    credentials: IssuedCredentials | None = None


class Backend:
    """FinSpace environments, users, permission groups, memberships, issued credentials, and
    which IAM role each signing access key (and its secret) belongs to (what IAM would know)."""

    def __init__(self, db_path: str = ":memory:", settings: BackendSettings | None = None) -> None:
        self.settings = settings or BackendSettings()
        self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        _open_schema(self._db, db_path)
        self._lock = threading.Lock()
        self._clock_offset = 0.0
        self._environment = ""  # the environment of the call in progress (set under the lock)
        self.operations: dict[str, Callable[[Params], Params]] = {
            "CreateUser": self.create_user,
            "GetUser": self.get_user,
            "ListUsers": self.list_users,
            "UpdateUser": self.update_user,
            "EnableUser": self.enable_user,
            "DisableUser": self.disable_user,
            "ResetUserPassword": self.reset_user_password,
            "CreatePermissionGroup": self.create_permission_group,
            "GetPermissionGroup": self.get_permission_group,
            "ListPermissionGroups": self.list_permission_groups,
            "UpdatePermissionGroup": self.update_permission_group,
            "DeletePermissionGroup": self.delete_permission_group,
            "AssociateUserToPermissionGroup": self.associate_user,
            "DisassociateUserFromPermissionGroup": self.disassociate_user,
            "ListPermissionGroupsByUser": self.list_permission_groups_by_user,
            "ListUsersByPermissionGroup": self.list_users_by_permission_group,
        }
        for environment_id in sorted(self.settings.environments):
            self._create_environment(environment_id)

    # --- time -------------------------------------------------------------------
    def now(self) -> float:
        return time.time() + self._clock_offset

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward (credential expiry, CREATING, tokens)."""
        self._clock_offset += seconds

    def _ms(self) -> int:
        return int(self.now() * 1000)

    # --- dispatch ---------------------------------------------------------------
    def call(self, operation: str, params: Params, caller: Caller | None = None, *,
             environment_id: str | None = None) -> Params:
        """Run ``operation`` atomically, replaying a recent answer for a reused clientToken.

        ``caller``: who signed the request; ``None`` is the emulator's own administration
        (the web application, tests), unchecked, in ``environment_id`` (default: the only
        configured environment)."""
        handler = self.operations.get(operation)
        if handler is None and operation != CREDENTIALS_OPERATION:
            raise ApiError("ValidationException", f"{operation} is not supported by this emulator")
        with self._lock:
            if operation == CREDENTIALS_OPERATION:
                return self._issue_credentials(params, caller.role_arn if caller else None)
            assert handler is not None
            self._environment = self._acting_environment(caller, environment_id)
            token = params.get("clientToken")
            if token is None:
                return handler(params)
            return self._idempotent(operation, token, params, handler)

    def _idempotent(self, operation: str, token: str, params: Params, handler: Callable[[Params], Params]) -> Params:
        fingerprint = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()
        row = self._one(
            "SELECT * FROM tokens WHERE operation=? AND token=? AND createdAt>?",
            operation, token, self.now() - self.settings.client_token_seconds,
        )
        if row is not None:
            if row["fingerprint"] != fingerprint:
                raise conflict("The clientToken was already used with different parameters")
            replay: Params = json.loads(row["response"])
            return replay
        result = handler(params)
        self._db.execute(
            "INSERT OR REPLACE INTO tokens VALUES (?,?,?,?,?)",
            (operation, token, fingerprint, json.dumps(result), self.now()),
        )
        return result

    def _one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._db.execute(sql, args).fetchone()
        return row

    # --- environments, IAM and authorization -----------------------------------
    def _create_environment(self, environment_id: str) -> None:
        """A new environment has one user: its first superuser, without API access."""
        with self._lock:
            if self._one("SELECT 1 FROM environments WHERE environmentId=?", environment_id) is not None:
                return
            self._db.execute("INSERT INTO environments VALUES (?,?)", (environment_id, self._ms()))
            self._environment = environment_id
            created = self.create_user({"emailAddress": FIRST_SUPERUSER_EMAIL, "type": "SUPER_USER",
                                        "firstName": "Environment", "lastName": "Admin", "apiAccess": "DISABLED"})
            self._db.execute("UPDATE users SET readyAt=? WHERE userId=?", (self.now(), created["userId"]))
            self._settle_users()

    def finish_creating(self, user_id: str) -> None:
        """Administration, not API: a user made in the web application is ready at once."""
        with self._lock:
            self._db.execute("UPDATE users SET readyAt=? WHERE userId=?", (self.now(), user_id))
            self._settle_users()

    def assign_role(self, access_key_id: str, role_arn: str, *, secret_access_key: str,
                    session_token: str | None = None) -> None:
        """IAM, not API: requests signed with ``access_key_id`` come from ``role_arn``. Their signature
        is checked with ``secret_access_key``; ``session_token``: the token temporary keys must send
        (long-term keys send none)."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO principals (accessKeyId, roleArn, secretAccessKey, sessionToken)"
                " VALUES (?,?,?,?)", (access_key_id, role_arn, secret_access_key, session_token),
            )

    def principal(self, access_key_id: str) -> Principal | None:
        """The IAM role that signs with ``access_key_id``, and the key's secret (``None``: no role
        known here, or a key kept by an older emulator without its secret)."""
        with self._lock:
            row = self._one("SELECT * FROM principals WHERE accessKeyId=?", access_key_id)
        if row is None or row["secretAccessKey"] is None:
            return None
        return Principal(row["roleArn"], SigningKey(access_key_id, row["secretAccessKey"], row["sessionToken"]))

    def _acting_environment(self, caller: Caller | None, environment_id: str | None) -> str:
        if caller is None:
            if environment_id is not None:
                return environment_id
            if len(self.settings.environments) != 1:
                raise ValueError("Name the environment_id: this emulator serves several environments")
            return next(iter(self.settings.environments))
        if caller.credentials is None:
            raise access_denied("User operations must be signed with programmatic access credentials")
        self._check_may_manage(caller.credentials.user_id)
        return caller.credentials.environment_id

    def _check_may_manage(self, user_id: str) -> None:
        self._settle_users()
        self._settle_members()
        user = self._one("SELECT * FROM users WHERE userId=?", user_id)
        rows = self._db.execute(
            "SELECT g.applicationPermissions FROM members m JOIN groups g USING (permissionGroupId)"
            " WHERE m.userId=? AND m.membershipStatus='ADDITION_SUCCESS'", (user_id,),
        ).fetchall()
        check_may_manage(dict(user) if user else None, [json.loads(row[0]) for row in rows])

    def _issue_credentials(self, params: Params, role_arn: str | None) -> Params:
        environment = params["environmentId"]
        if role_arn is None:
            raise access_denied("GetProgrammaticAccessCredentials must be signed by an IAM role")
        if self._one("SELECT 1 FROM environments WHERE environmentId=?", environment) is None:
            raise access_denied(f"Environment {environment} does not exist or is not accessible")
        self._settle_users()
        candidates = self._db.execute(
            "SELECT * FROM users WHERE environmentId=? AND apiAccessPrincipalArn=? ORDER BY rowid",
            (environment, role_arn),
        ).fetchall()
        user = registered_user(role_arn, environment, [dict(row) for row in candidates])
        minutes = params.get("durationInMinutes", 60)
        issued = ("FSIA" + secrets.token_hex(8).upper(), secrets.token_urlsafe(30), secrets.token_urlsafe(60))
        self._db.execute(
            "INSERT INTO credentials VALUES (?,?,?,?,?,?)",
            (*issued, environment, self.now() + minutes * 60, user["userId"]),
        )
        keys = ("accessKeyId", "secretAccessKey", "sessionToken")
        return {"credentials": dict(zip(keys, issued, strict=True)), "durationInMinutes": minutes}

    def issued_credentials(self, access_key_id: str) -> IssuedCredentials | None:
        """The credentials issued with ``access_key_id`` (expired too), ``None`` if none were."""
        with self._lock:
            row = self._one("SELECT * FROM credentials WHERE accessKeyId=?", access_key_id)
        if row is None:
            return None
        return IssuedCredentials(row["accessKeyId"], row["secretAccessKey"], row["sessionToken"],
                                 row["environmentId"], row["expiresAt"], row["userId"])

    # --- users ------------------------------------------------------------------
    def _user_row(self, user_id: str) -> sqlite3.Row:
        self._settle_users()
        row = self._one("SELECT * FROM users WHERE userId=? AND environmentId=?", user_id, self._environment)
        if row is None:
            raise not_found("User", user_id)
        return row

    def _mutable_user_row(self, user_id: str) -> sqlite3.Row:
        """The user a mutation may change. The API model lists ConflictException for every user
        mutation and nothing says which a CREATING user accepts: the stricter reading refuses them all."""
        row = self._user_row(user_id)
        if row["status"] == "CREATING":
            raise conflict("The user is still being created; try again shortly")
        return row

    def _settle_users(self) -> None:
        self._db.execute(
            "UPDATE users SET status='ENABLED', lastEnabledTime=? WHERE status='CREATING' AND readyAt<=?",
            (self._ms(), self.now()),
        )

    @staticmethod
    def _user_view(row: sqlite3.Row) -> Params:
        keys = ("userId", "status", *USER_FIELDS, "createTime", "lastEnabledTime", "lastDisabledTime",
                "lastModifiedTime", "lastLoginTime")
        return {key: row[key] for key in keys if row[key] is not None}

    def create_user(self, params: Params) -> Params:
        email_key = params["emailAddress"].lower()
        if self._one("SELECT 1 FROM users WHERE emailKey=? AND environmentId=?", email_key, self._environment):
            raise conflict("A user with this email address already exists")
        user_id = base64.b32encode(uuid.uuid4().bytes).decode().lower()[:22]
        now = self._ms()
        self._db.execute(
            "INSERT INTO users (userId, environmentId, emailKey, emailAddress, type, firstName, lastName, apiAccess,"
            " apiAccessPrincipalArn, status, readyAt, createTime, lastModifiedTime) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (user_id, self._environment, email_key, *(params.get(f) for f in USER_FIELDS), "CREATING",
             self.now() + self.settings.creating_seconds, now, now),
        )
        self._settle_users()
        return {"userId": user_id}

    def get_user(self, params: Params) -> Params:
        return self._user_view(self._user_row(params["userId"]))

    def list_users(self, params: Params) -> Params:
        self._settle_users()
        rows, next_token = self._page("users", params)
        return {"users": [self._user_view(row) for row in rows], "nextToken": next_token}

    def _page(self, table: str, params: Params) -> tuple[list[sqlite3.Row], str | None]:
        start = _decode_token(params.get("nextToken"))
        limit = params["maxResults"]
        rows = self._db.execute(
            f"SELECT rowid, * FROM {table} WHERE environmentId=? AND rowid>? ORDER BY rowid LIMIT ?",
            (self._environment, start, limit + 1),
        ).fetchall()
        next_token = _encode_token(rows[limit - 1]["rowid"]) if len(rows) > limit else None
        return rows[:limit], next_token

    def update_user(self, params: Params) -> Params:
        row = self._mutable_user_row(params["userId"])
        changes = {f: params[f] for f in USER_FIELDS[1:] if params.get(f) is not None}
        merged = {**dict(row), **changes}
        if merged["apiAccessPrincipalArn"] and merged["apiAccess"] != "ENABLED" and "apiAccess" in changes:
            merged["apiAccessPrincipalArn"] = None
        assignments = ", ".join(f"{f}=?" for f in USER_FIELDS[1:])
        self._db.execute(
            f"UPDATE users SET {assignments}, lastModifiedTime=? WHERE userId=?",
            (*(merged[f] for f in USER_FIELDS[1:]), self._ms(), row["userId"]),
        )
        return {"userId": row["userId"]}

    def forget_user(self, user_id: str) -> None:
        """Administration, not API: make a user vanish (as if removed outside CloudFormation)."""
        with self._lock:
            self._db.execute("DELETE FROM users WHERE userId=?", (user_id,))
            self._db.execute("DELETE FROM members WHERE userId=?", (user_id,))

    def enable_user(self, params: Params) -> Params:
        return self._set_status(params["userId"], "ENABLED", "lastEnabledTime")

    def disable_user(self, params: Params) -> Params:
        return self._set_status(params["userId"], "DISABLED", "lastDisabledTime")

    def _set_status(self, user_id: str, status: str, time_column: str) -> Params:
        row = self._mutable_user_row(user_id)
        if row["status"] == status and self.settings.redundant_state_change == "conflict":
            raise conflict(f"The user is already {status}")
        self._db.execute(
            f"UPDATE users SET status=?, {time_column}=?, lastModifiedTime=? WHERE userId=?",
            (status, self._ms(), self._ms(), user_id),
        )
        return {"userId": user_id}

    def reset_user_password(self, params: Params) -> Params:
        row = self._mutable_user_row(params["userId"])
        return {"userId": row["userId"], "temporaryPassword": "Tmp-" + secrets.token_urlsafe(9)}

    # --- permission groups -----------------------------------------------------
    def _group_row(self, group_id: str) -> sqlite3.Row:
        row = self._one("SELECT * FROM groups WHERE permissionGroupId=? AND environmentId=?", group_id,
                        self._environment)
        if row is None:
            raise not_found("Permission group", group_id)
        return row

    @staticmethod
    def _group_view(row: sqlite3.Row) -> Params:
        view = {k: row[k] for k in ("permissionGroupId", "name", "description", "createTime", "lastModifiedTime")}
        view["applicationPermissions"] = json.loads(row["applicationPermissions"])
        return {k: v for k, v in view.items() if v is not None}

    def create_permission_group(self, params: Params) -> Params:
        if self._one("SELECT 1 FROM groups WHERE name=? AND environmentId=?", params["name"], self._environment):
            raise conflict("A permission group with this name already exists")
        group_id = base64.b32encode(uuid.uuid4().bytes).decode().lower()[:22]
        self._db.execute(
            "INSERT INTO groups (permissionGroupId, environmentId, name, description, applicationPermissions,"
            " createTime, lastModifiedTime) VALUES (?,?,?,?,?,?,?)",
            (group_id, self._environment, params["name"], params.get("description"),
             json.dumps(params["applicationPermissions"]), self._ms(), self._ms()),
        )
        return {"permissionGroupId": group_id}

    def get_permission_group(self, params: Params) -> Params:
        return {"permissionGroup": self._group_view(self._group_row(params["permissionGroupId"]))}

    def list_permission_groups(self, params: Params) -> Params:
        rows, next_token = self._page("groups", params)
        return {"permissionGroups": [self._group_view(row) for row in rows], "nextToken": next_token}

    def update_permission_group(self, params: Params) -> Params:
        row = dict(self._group_row(params["permissionGroupId"]))
        for key in ("name", "description"):
            if params.get(key) is not None:
                row[key] = params[key]
        if params.get("applicationPermissions") is not None:
            row["applicationPermissions"] = json.dumps(params["applicationPermissions"])
        self._db.execute(
            "UPDATE groups SET name=?, description=?, applicationPermissions=?, lastModifiedTime=?"
            " WHERE permissionGroupId=?",
            (row["name"], row["description"], row["applicationPermissions"], self._ms(), row["permissionGroupId"]),
        )
        return {"permissionGroupId": row["permissionGroupId"]}

    def delete_permission_group(self, params: Params) -> Params:
        group_id = self._group_row(params["permissionGroupId"])["permissionGroupId"]
        self._db.execute("DELETE FROM groups WHERE permissionGroupId=?", (group_id,))
        self._db.execute("DELETE FROM members WHERE permissionGroupId=?", (group_id,))
        return {"permissionGroupId": group_id}

    # --- memberships ------------------------------------------------------------
    def _settle_members(self) -> None:
        now = self.now()
        self._db.execute("DELETE FROM members WHERE membershipStatus='REMOVAL_IN_PROGRESS' AND settlesAt<=?", (now,))
        self._db.execute(
            "UPDATE members SET membershipStatus='ADDITION_SUCCESS'"
            " WHERE membershipStatus='ADDITION_IN_PROGRESS' AND settlesAt<=?",
            (now,),
        )

    def associate_user(self, params: Params) -> Params:
        group_id, user_id = self._membership_keys(params)
        if self._one("SELECT 1 FROM members WHERE permissionGroupId=? AND userId=?", group_id, user_id):
            raise conflict("The user is already a member of this permission group")
        self._db.execute(
            "INSERT INTO members VALUES (?,?,?,?)",
            (group_id, user_id, "ADDITION_IN_PROGRESS", self.now() + self.settings.membership_seconds),
        )
        self._settle_members()
        return {"statusCode": 200}

    def disassociate_user(self, params: Params) -> Params:
        group_id, user_id = self._membership_keys(params)
        row = self._one("SELECT * FROM members WHERE permissionGroupId=? AND userId=?", group_id, user_id)
        if row is None or row["membershipStatus"] == "REMOVAL_IN_PROGRESS":
            raise not_found("Membership of user in permission group", group_id)
        self._db.execute(
            "UPDATE members SET membershipStatus='REMOVAL_IN_PROGRESS', settlesAt=?"
            " WHERE permissionGroupId=? AND userId=?",
            (self.now() + self.settings.membership_seconds, group_id, user_id),
        )
        self._settle_members()
        return {"statusCode": 200}

    def _membership_keys(self, params: Params) -> tuple[str, str]:
        self._settle_members()
        group_id = self._group_row(params["permissionGroupId"])["permissionGroupId"]
        return group_id, self._mutable_user_row(params["userId"])["userId"]

    def list_permission_groups_by_user(self, params: Params) -> Params:
        user_id = self._user_row(params["userId"])["userId"]
        self._settle_members()
        rows, next_token = self._members_page(params, "userId", user_id)
        groups = [{k: row[k] for k in ("permissionGroupId", "name", "membershipStatus")} for row in rows]
        return {"permissionGroups": groups, "nextToken": next_token}

    def list_users_by_permission_group(self, params: Params) -> Params:
        group_id = self._group_row(params["permissionGroupId"])["permissionGroupId"]
        self._settle_members()
        rows, next_token = self._members_page(params, "permissionGroupId", group_id)
        users = []
        for row in rows:
            view = self._user_view(self._user_row(row["userId"]))
            view.pop("createTime", None)
            users.append({**{k: v for k, v in view.items() if not k.startswith("last")},
                          "membershipStatus": row["membershipStatus"]})
        return {"users": users, "nextToken": next_token}

    def _members_page(self, params: Params, column: str, value: str) -> tuple[list[sqlite3.Row], str | None]:
        start = _decode_token(params.get("nextToken"))
        limit = params["maxResults"]
        rows = self._db.execute(
            _MEMBER_PAGE_SQL[column],
            (value, self._environment, start, limit + 1),
        ).fetchall()
        next_token = _encode_token(rows[limit - 1]["rowid"]) if len(rows) > limit else None
        return rows[:limit], next_token


def _encode_token(rowid: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": rowid}).encode()).decode()


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        after = json.loads(base64.urlsafe_b64decode(token.encode()))["after"]
    except (ValueError, KeyError, TypeError) as exc:
        raise validation_error("Value at 'nextToken' is not a token this API issued") from exc
    return int(after)


def _open_schema(db: sqlite3.Connection, db_path: str) -> None:
    """Create the tables; give principals of a version 2 state file room for their secrets (each key
    must be assigned again, with its secret); refuse an older one (no environments)."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    tables = db.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
    if tables and version == 2:
        db.execute("ALTER TABLE principals ADD COLUMN secretAccessKey TEXT")
        db.execute("ALTER TABLE principals ADD COLUMN sessionToken TEXT")
    elif tables and version != SCHEMA_VERSION:
        raise RuntimeError(f"{db_path} holds state from an older emulator: delete it (a demo: make demo-destroy, "
                           "then remove .local/demo) and start again")
    db.executescript(_SCHEMA)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
