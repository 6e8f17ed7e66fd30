"""The repository's local stand-ins (``finspace_local``) for the commands that drive them, and the demo's
local FinSpace: the emulator on its saved state, and what the demo's bootstrap made.

This is the one module of ``finspace_users`` that imports ``finspace_local`` (``tests/unit/test_doors.py``);
the rest of the command line takes the stand-ins' names from here. The stand-ins are part of the
checkout, not of the installed package: the commands an installed ``finspace-users`` can run (reads
of real FinSpace) import this module only when a local command runs, and turn its ImportError into
the command to run in the checkout (:func:`finspace_users.errors.stand_ins_missing`).

The emulator knows two environments; the demo's provider role is registered in both as user
``finspace-provider@example.com`` (``finspace-users deploy``, step 2). Read-only commands with
``--local`` sign as that role, as the handler does, so they work once the demo has registered it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from finspace_local.cdk_app import PROVIDER_STACK_NAME, STACK_NAME, provider_function, synth, templates_by_stack
from finspace_local.cfn import Driver, HandlerSpec, LambdaFunction, StackEvent, StackStateError
from finspace_local.cfn.nested import STACK_TYPE
from finspace_local.cfn.state import ResourceState, StackStore
from finspace_local.cfn.template import Resolver, load_template, stringify
from finspace_local.exceptions import ApiError
from finspace_local.protocol import service_model
from finspace_local.server import Emulator, EmulatorSettings
from finspace_local.state import Backend, BackendSettings
from finspace_local.tls import LocalCA
from finspace_local.validation import validate_input
from finspace_local.webapp import ADMINISTRATOR_EMAILS, registration_steps

__all__ = ["ADMINISTRATOR_EMAILS", "DEMO_ACCOUNT", "DEMO_PROVIDER_ROLE_ARN", "DEMO_REGION", "ENVIRONMENTS",
           "PROVIDER_KEYS", "PROVIDER_STACK_NAME", "STACK_NAME", "STACK_TYPE", "ApiError", "Backend", "Driver",
           "Emulator", "HandlerSpec", "LambdaFunction", "Resolver", "ResourceState", "StackEvent", "StackStateError",
           "StackStore", "load_template", "open_emulator", "process_environment", "provider_function",
           "registration_steps", "service_model", "stringify", "synth", "templates_by_stack", "validate_input"]

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
