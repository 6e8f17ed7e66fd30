"""Reading FinSpace as the handler does: the caller's AWS credentials exchanged for programmatic
access credentials per environment (:class:`lambda_handler.credentials.ProgrammaticCredentials`),
calls retried within a budget (:class:`lambda_handler.retries.Persistence`), but a connection that
never opened fails at once (:class:`ReadPersistence`). Only list operations.

Who counts as an administrator (left out of ``import``, ``users`` and drift's unmanaged users by
default): the FinSpace user whose ``apiAccessPrincipalArn`` is the caller's own role, the one whose
principal is the provider's role (``FinSpaceUserProvider-<region>``), and the emails given with
``--exclude-email`` (locally: the emulator's first superuser and the provider's user).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import botocore.session
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, SSLError

from finspace_constructs.handler_shared import (
    ApiCallError,
    DeadlineError,
    Persistence,
    ProgrammaticCredentials,
    new_session,
)
from finspace_constructs.provider_identity import PROVIDER_ROLE_PREFIX

from .errors import CommandError, stand_ins_missing
from .reader import EnvironmentSnapshot, UserRecord, read_environment

if TYPE_CHECKING:
    from .local import Emulator

__all__ = ["Administrators", "FinSpace", "ReadPersistence", "local_finspace", "real_finspace", "role_key"]

READ_BUDGET_S = 120.0  # per environment: throttling and 5xx are retried this long
NEVER_CONNECTED = (EndpointConnectionError, SSLError)  # refused, unresolved, unreachable; an untrusted certificate
NEVER_CONNECTED_FIX = "check the network, --region, AWS_ENDPOINT_URL_FINSPACE_DATA and AWS_CA_BUNDLE (not retried)"


class _NeverConnectedError(Exception):
    def __init__(self, error: BotoCoreError, attempts: int) -> None:
        super().__init__(str(error))
        self.error, self.attempts = error, attempts


class ReadPersistence(Persistence):
    """The handler's retries, for a person waiting at a terminal: throttling, 5xx, a dropped
    connection and a connect timeout are retried within the budget, as the handler retries them;
    a connection that never opened (refused, a name that does not resolve, no route, a certificate
    not trusted) fails at once, since waiting does not change the network or the endpoint setting."""

    def call(self, operation: str, function: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
        attempts = 0

        def attempt(**arguments: Any) -> dict[str, Any]:
            nonlocal attempts
            attempts += 1
            try:
                response: dict[str, Any] = function(**arguments)
            except NEVER_CONNECTED as error:
                raise _NeverConnectedError(error, attempts) from error
            return response

        try:
            return super().call(operation, attempt, **kwargs)
        except _NeverConnectedError as failed:
            raise ApiCallError(operation, type(failed.error).__name__, f"{failed.error}; {NEVER_CONNECTED_FIX}",
                               failed.attempts) from failed.error


def role_key(arn: str) -> tuple[str, str] | None:
    """(account, role name) of an IAM role ARN or an STS assumed-role ARN; paths are ignored,
    since an assumed-role ARN does not carry them."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return None
    account, resource = parts[4], parts[5].split("/")
    if resource[0] == "role" and len(resource) >= 2:
        return account, resource[-1]
    if resource[0] == "assumed-role" and len(resource) >= 2:
        return account, resource[1]
    return None


@dataclass(frozen=True)
class Administrators:
    """Users made outside any users file, which a deploy of an imported file must never touch."""

    roles: frozenset[tuple[str, str]]
    emails: frozenset[str]

    def includes(self, user: UserRecord) -> bool:
        principal = role_key(user.api_access_principal_arn or "")
        return (principal is not None and principal in self.roles) or user.email.lower() in self.emails

    @classmethod
    def of(cls, caller_role_arn: str, region: str, emails: frozenset[str] = frozenset()) -> Administrators:
        caller = role_key(caller_role_arn)
        if caller is None:
            raise CommandError(f"{caller_role_arn} is not an IAM role ARN", "usage")
        provider = (caller[0], f"{PROVIDER_ROLE_PREFIX}{region}")
        return cls(frozenset({caller, provider}), frozenset(e.lower() for e in emails))


class FinSpace:
    """Snapshots of environments, read with list operations only."""

    def __init__(self, credentials: ProgrammaticCredentials, administrators: Administrators, hint: str = "",
                 emulator: Emulator | None = None) -> None:
        self.credentials = credentials
        self.administrators = administrators
        self.emulator = emulator  # locally: its call log proves what the command called
        self._hint = hint  # what to do when access is denied
        self._read: dict[str, EnvironmentSnapshot] = {}

    def read(self, environment_id: str) -> EnvironmentSnapshot:
        if environment_id not in self._read:
            persistence = ReadPersistence.for_seconds(READ_BUDGET_S)
            try:
                client = self.credentials.client_for(environment_id, persistence)
                self._read[environment_id] = read_environment(client, persistence, environment_id)
            except (ApiCallError, DeadlineError) as error:
                denied = isinstance(error, ApiCallError) and error.code == "AccessDeniedException"
                hint = f" ({self._hint})" if denied and self._hint else ""
                raise CommandError(f"environment {environment_id}: {error}{hint}") from error
        return self._read[environment_id]


@contextlib.contextmanager
def real_finspace(region: str | None, caller_role_arn: str | None, excluded_emails: frozenset[str]
                  ) -> Iterator[FinSpace]:
    """FinSpace with the caller's AWS credentials (their usual chain: environment, profile, SSO, ...)."""
    session = new_session()
    region = region or session.get_config_variable("region") or os.environ.get("AWS_REGION")  # botocore reads only
    # AWS_DEFAULT_REGION and the profile; AWS_REGION is what Lambda and most CI set
    if not region:
        raise CommandError("no AWS region: pass --region or set AWS_REGION", "usage")
    caller = caller_role_arn or _caller_arn(session, region)
    hint = f"register your role ({caller}) as the IAM principal of a FinSpace user with API access"
    yield FinSpace(ProgrammaticCredentials(session, region_name=region),
                   Administrators.of(caller, region, excluded_emails), hint)


def _caller_arn(session: botocore.session.Session, region: str) -> str:
    try:
        sts: Any = session.create_client("sts", region_name=region)
        arn = str(sts.get_caller_identity()["Arn"])
    except (BotoCoreError, ClientError) as error:
        raise CommandError(f"cannot tell which IAM role you are (STS GetCallerIdentity: {error}); "
                           "pass --caller-role ARN", "setup") from error
    return arn


@contextlib.contextmanager
def local_finspace(state_dir: Path, excluded_emails: frozenset[str]) -> Iterator[FinSpace]:
    """The demo's emulator, read as the demo's provider role (the handler's identity there).
    The emulator is part of the repository (``finspace_local``), not of the installed package."""
    try:
        from .local import (
            ADMINISTRATOR_EMAILS,
            DEMO_PROVIDER_ROLE_ARN,
            DEMO_REGION,
            PROVIDER_KEYS,
            open_emulator,
            process_environment,
        )
    except ImportError as error:
        raise stand_ins_missing(error, "--local reads the demo's emulator") from error
    if not (state_dir / "finspace.sqlite").exists():
        raise CommandError(f"no emulator state in {state_dir}: run 'finspace-users deploy' (make demo) first, "
                           "or pass --state-dir", "setup")
    emulator = open_emulator(state_dir)
    with emulator:
        keys = {"AWS_ACCESS_KEY_ID": PROVIDER_KEYS[0], "AWS_SECRET_ACCESS_KEY": PROVIDER_KEYS[1],
                "AWS_REGION": DEMO_REGION, **emulator.environment()}
        with process_environment(keys, removed=("AWS_SESSION_TOKEN", "AWS_PROFILE")):
            hint = ("the demo's provider role is not registered there yet: run "
                    f"'finspace-users deploy --provider-only --state-dir {state_dir}' once")
            yield FinSpace(ProgrammaticCredentials(new_session(), region_name=DEMO_REGION),
                           Administrators.of(DEMO_PROVIDER_ROLE_ARN, DEMO_REGION,
                                             ADMINISTRATOR_EMAILS | excluded_emails), hint, emulator)
