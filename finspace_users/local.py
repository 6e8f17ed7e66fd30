"""The demo's local FinSpace: the emulator on its saved state, and what the demo's bootstrap made.

The emulator knows two environments; the demo's provider role is registered in both as user
``finspace-provider@example.com`` (``finspace-users deploy``, step 2). Read-only commands with
``--local`` sign as that role, as the handler does, so they work once the demo has registered it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from finspace_local.cdk_app import PROVIDER_STACK_NAME
from finspace_local.server import Emulator, EmulatorSettings
from finspace_local.state import BackendSettings
from finspace_local.tls import LocalCA

__all__ = ["DEMO_ACCOUNT", "DEMO_PROVIDER_ROLE_ARN", "DEMO_REGION", "ENVIRONMENTS", "PROVIDER_KEYS",
           "open_emulator", "process_environment"]

ENVIRONMENTS = frozenset({"finspace-local", "finspace-local-2"})  # README: "make demo"
DEMO_REGION, DEMO_ACCOUNT = "us-east-1", "123456789012"  # the local CloudFormation driver's
# The provider function's (fake) IAM keys; the emulator is told they belong to the provider's role.
PROVIDER_KEYS = ("AKIALOCALPROVIDER", "local-provider-secret")
DEMO_PROVIDER_ROLE_ARN = f"arn:aws:iam::{DEMO_ACCOUNT}:role/{PROVIDER_STACK_NAME}-{DEMO_REGION}"


def open_emulator(state_dir: Path) -> Emulator:
    """The emulator on the demo's state (not started); IAM knows the provider's keys as its role."""
    state_dir.mkdir(parents=True, exist_ok=True)
    settings = EmulatorSettings(db_path=str(state_dir / "finspace.sqlite"),
                                backend=BackendSettings(environments=ENVIRONMENTS))
    emulator = Emulator(settings, ca=LocalCA(state_dir / "ca"))
    emulator.backend.assign_role(PROVIDER_KEYS[0], DEMO_PROVIDER_ROLE_ARN, secret_access_key=PROVIDER_KEYS[1])
    return emulator


@contextlib.contextmanager
def process_environment(values: Mapping[str, str], *, removed: tuple[str, ...] = ()) -> Iterator[None]:
    """botocore's standard variables set for a block (endpoint, CA bundle, keys), then restored."""
    saved = {name: os.environ.get(name) for name in (*values, *removed)}
    os.environ.update(values)
    for name in removed:
        os.environ.pop(name, None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
