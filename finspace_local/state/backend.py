"""The emulator's API: each operation run atomically under one lock, with FinSpace's idempotency
(clientToken), in the environment the caller's credentials were issued for; and the administration
the web application and the tests do (not API)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass

from ..auth import IssuedCredentials, Principal
from ..exceptions import ApiError, access_denied, conflict
from .groups import Groups
from .memberships import Memberships
from .principals import CREDENTIALS_OPERATION, Principals
from .tables import BackendSettings, Params, Tables
from .users import Users

__all__ = ["FIRST_SUPERUSER_EMAIL", "Backend", "Caller"]

FIRST_SUPERUSER_EMAIL = "environment.admin@example.com"


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
        self._tables = Tables(db_path, settings or BackendSettings())
        self.settings = self._tables.settings
        self._lock = threading.Lock()
        self.users = Users(self._tables)
        self.groups = Groups(self._tables)
        self.memberships = Memberships(self._tables, self.users, self.groups)
        self.principals = Principals(self._tables, self.users, self.memberships)
        self.operations: dict[str, Callable[[Params], Params]] = {
            "CreateUser": self.users.create,
            "GetUser": self.users.get,
            "ListUsers": self.users.page,
            "UpdateUser": self.users.update,
            "EnableUser": self.users.enable,
            "DisableUser": self.users.disable,
            "ResetUserPassword": self.users.reset_password,
            "CreatePermissionGroup": self.groups.create,
            "GetPermissionGroup": self.groups.get,
            "ListPermissionGroups": self.groups.page,
            "UpdatePermissionGroup": self.groups.update,
            "DeletePermissionGroup": self.groups.delete,
            "AssociateUserToPermissionGroup": self.memberships.associate,
            "DisassociateUserFromPermissionGroup": self.memberships.disassociate,
            "ListPermissionGroupsByUser": self.memberships.groups_of_user,
            "ListUsersByPermissionGroup": self.memberships.users_of_group,
        }
        for environment_id in sorted(self.settings.environments):
            self._create_environment(environment_id)

    # --- time -------------------------------------------------------------------
    def now(self) -> float:
        return self._tables.now()

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward (credential expiry, CREATING, tokens)."""
        self._tables.clock_offset += seconds

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
                return self.principals.issue(params, caller.role_arn if caller else None)
            assert handler is not None
            self._tables.environment = self._acting_environment(caller, environment_id)
            token = params.get("clientToken")
            if token is None:
                return handler(params)
            return self._idempotent(operation, token, params, handler)

    def _idempotent(self, operation: str, token: str, params: Params, handler: Callable[[Params], Params]) -> Params:
        fingerprint = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()
        row = self._tables.one(
            "SELECT * FROM tokens WHERE operation=? AND token=? AND createdAt>?",
            operation, token, self.now() - self.settings.client_token_seconds,
        )
        if row is not None:
            if row["fingerprint"] != fingerprint:
                raise conflict("The clientToken was already used with different parameters")
            replay: Params = json.loads(row["response"])
            return replay
        result = handler(params)
        self._tables.db.execute(
            "INSERT OR REPLACE INTO tokens VALUES (?,?,?,?,?)",
            (operation, token, fingerprint, json.dumps(result), self.now()),
        )
        return result

    def _acting_environment(self, caller: Caller | None, environment_id: str | None) -> str:
        if caller is None:
            if environment_id is not None:
                return environment_id
            if len(self.settings.environments) != 1:
                raise ValueError("Name the environment_id: this emulator serves several environments")
            return next(iter(self.settings.environments))
        if caller.credentials is None:
            raise access_denied("User operations must be signed with programmatic access credentials")
        self.principals.check_may_manage(caller.credentials.user_id)
        return caller.credentials.environment_id

    # --- administration, not API -------------------------------------------------
    def _create_environment(self, environment_id: str) -> None:
        """A new environment has one user: its first superuser, without API access."""
        with self._lock:
            if self._tables.one("SELECT 1 FROM environments WHERE environmentId=?", environment_id) is not None:
                return
            self._tables.db.execute("INSERT INTO environments VALUES (?,?)", (environment_id, self._tables.ms()))
            self._tables.environment = environment_id
            created = self.users.create({"emailAddress": FIRST_SUPERUSER_EMAIL, "type": "SUPER_USER",
                                         "firstName": "Environment", "lastName": "Admin", "apiAccess": "DISABLED"})
            self.users.ready(created["userId"])

    def finish_creating(self, user_id: str) -> None:
        """Administration, not API: a user made in the web application is ready at once."""
        with self._lock:
            self.users.ready(user_id)

    def forget_user(self, user_id: str) -> None:
        """Administration, not API: make a user vanish (as if removed outside CloudFormation)."""
        with self._lock:
            self._tables.db.execute("DELETE FROM users WHERE userId=?", (user_id,))
            self._tables.db.execute("DELETE FROM members WHERE userId=?", (user_id,))

    def assign_role(self, access_key_id: str, role_arn: str, *, secret_access_key: str,
                    session_token: str | None = None) -> None:
        """IAM, not API: requests signed with ``access_key_id`` come from ``role_arn``. Their signature
        is checked with ``secret_access_key``; ``session_token``: the token temporary keys must send
        (long-term keys send none)."""
        with self._lock:
            self.principals.assign_role(access_key_id, role_arn, secret_access_key, session_token)

    def principal(self, access_key_id: str) -> Principal | None:
        """The IAM role that signs with ``access_key_id``, and the key's secret (``None``: no role
        known here, or a key kept by an older emulator without its secret)."""
        with self._lock:
            return self.principals.principal(access_key_id)

    def issued_credentials(self, access_key_id: str) -> IssuedCredentials | None:
        """The credentials issued with ``access_key_id`` (expired too), ``None`` if none were."""
        with self._lock:
            return self.principals.issued(access_key_id)
