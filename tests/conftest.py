"""Shared fixtures: an HTTPS emulator per test and clients signed as FinSpace wants.

By default the caller's IAM keys (``CALLER_KEYS``) belong to ``CALLER_ROLE_ARN``, and that
role is registered, through the emulator's web application, as the IAM principal of a
SUPER_USER with API access: the state after the README's bootstrap. ``register_caller=False``
gives the state before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from botocore.config import Config

import finspace_constructs  # noqa: F401 - first: jsii starts once, before any test times itself
from finspace_local import Emulator, EmulatorSettings
from finspace_local.state import BackendSettings
from lambda_handler.client import new_finspace_client

if TYPE_CHECKING:
    from mypy_boto3_finspace_data import FinSpaceDataClient

REGION = "us-east-1"
ENVIRONMENT_ID = "testenv"
CALLER_KEYS = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", None)
CALLER_ROLE_ARN = "arn:aws:iam::123456789012:role/FinSpaceUserProvider-us-east-1"
# Every access key the tests sign with as the provider's role, and its secret (a few tests set their own).
CALLER_ACCESS_KEYS = {str(CALLER_KEYS[0]): str(CALLER_KEYS[1]), "AKIAPROVIDERROLE": "provider-secret",
                      "AKIAOLD": "secret"}


def bootstrap(emu: Emulator, *, register_caller: bool = True) -> Emulator:
    """IAM knows the caller's keys as CALLER_ROLE_ARN; registered unless told otherwise."""
    for access_key_id, secret_access_key in CALLER_ACCESS_KEYS.items():
        emu.backend.assign_role(access_key_id, CALLER_ROLE_ARN, secret_access_key=secret_access_key)
    if register_caller:
        emu.web_app.register_role(ENVIRONMENT_ID, CALLER_ROLE_ARN)
    return emu


EmulatorFactory = Callable[..., Emulator]


@pytest.fixture
def make_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorFactory]:
    """Start HTTPS emulators (``db_path``, ``register_caller`` and backend settings as keywords);
    each is stopped after the test, and botocore's standard variables point at the last one."""
    started: list[Emulator] = []

    def start(db_path: str = ":memory:", *, register_caller: bool = True, **backend: Any) -> Emulator:
        settings = BackendSettings(**{"environments": frozenset({ENVIRONMENT_ID}), **backend})
        emu = bootstrap(Emulator(EmulatorSettings(db_path=db_path, backend=settings)).start(),
                        register_caller=register_caller)
        started.append(emu)
        for name, value in emu.environment().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AWS_REGION", REGION)
        return emu

    yield start
    for emu in started:
        emu.stop()


@pytest.fixture
def emulator(make_emulator: EmulatorFactory) -> Emulator:
    """A fresh HTTPS emulator with default behaviour."""
    return make_emulator()


def caller_client(config: Config | None = None) -> FinSpaceDataClient:
    """Signed with the caller's own IAM keys: good only for GetProgrammaticAccessCredentials."""
    return new_finspace_client(region_name=REGION, credentials=CALLER_KEYS, config=config)


def user_client(config: Config | None = None) -> FinSpaceDataClient:
    """Signed with credentials from GetProgrammaticAccessCredentials, as user operations need."""
    issued = caller_client().get_programmatic_access_credentials(environmentId=ENVIRONMENT_ID)["credentials"]
    keys = (issued["accessKeyId"], issued["secretAccessKey"], issued["sessionToken"])
    return new_finspace_client(region_name=REGION, credentials=keys, config=config)


@pytest.fixture
def client(emulator: Emulator) -> FinSpaceDataClient:
    return user_client()
