"""The real handler, run by the CloudFormation driver against the emulator, all over HTTPS."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from finspace_local import Emulator, EmulatorSettings, LocalCA
from finspace_local.cdk_app import PROVIDER_STACK_NAME
from finspace_local.cfn import Driver, HandlerSpec, LambdaFunction, StackResult
from finspace_local.state import BackendSettings
from finspace_local.webapp import ADMINISTRATOR_EMAILS
from tests.conftest import CALLER_KEYS, CALLER_ROLE_ARN, ENVIRONMENT_ID, REGION, bootstrap

REPO = Path(__file__).resolve().parents[2]
# The handler the harness runs: this checkout's, or another build's (to show a test fails on it).
HANDLER_DIR = Path(os.environ.get("FINSPACE_TEST_HANDLER_DIR") or REPO)
TOKEN = f"arn:aws:lambda:{REGION}:123456789012:function:finspace-user-provider"
STACK = "users"


def user(email: str, user_type: str = "APP_USER", **extra: Any) -> dict[str, Any]:
    properties = {"ServiceToken": TOKEN, "ServiceTimeout": "60", "EnvironmentId": ENVIRONMENT_ID,
                  "EmailAddress": email, "Type": user_type, **extra}
    return {"Type": "Custom::FinSpaceUser", "Properties": properties}


def group(name: str, *permissions: str, **extra: Any) -> dict[str, Any]:
    properties = {"ServiceToken": TOKEN, "ServiceTimeout": "60", "EnvironmentId": ENVIRONMENT_ID, "Name": name,
                  "ApplicationPermissions": list(permissions or ("ViewAuditData",)), **extra}
    return {"Type": "Custom::FinSpacePermissionGroup", "Properties": properties}


def users_app_logical_id(email: str, environment_id: str = ENVIRONMENT_ID) -> str:
    """The logical id the users app gives this user in its nested stack (construct id + CDK's hash)."""
    import aws_cdk as cdk

    from finspace_constructs.users_app import user_id_of

    stack = cdk.Stack(cdk.App(), "Ids")
    construct = cdk.CfnResource(stack, user_id_of(environment_id, email), type="Custom::FinSpaceUser")
    return str(stack.get_logical_id(construct))


def template(**resources: dict[str, Any]) -> dict[str, Any]:
    return {"Resources": copy.deepcopy(resources)}


class StackHarness:
    """Emulator + driver + handler; ``deploy``/``delete`` a stack named ``users``.

    The handler signs with CALLER_KEYS, whose role is registered (``register_caller=False``:
    not yet, as before the README's bootstrap step)."""

    def __init__(self, tmp_path: Path, *, backend: BackendSettings | None = None, code_dir: Path = HANDLER_DIR,
                 handler: str = "lambda_handler.index.handler", register_caller: bool = True, **spec: Any) -> None:
        self.ca = LocalCA(tmp_path / "ca")
        backend = backend or BackendSettings(environments=frozenset({ENVIRONMENT_ID}))
        self.emulator = bootstrap(Emulator(EmulatorSettings(backend=backend), ca=self.ca).start(),
                                  register_caller=register_caller)
        environment = {
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": str(CALLER_KEYS[0]),  # the Lambda role's (fake) IAM credentials
            "AWS_SECRET_ACCESS_KEY": str(CALLER_KEYS[1]),
            "FINSPACE_PROVIDER_ROLE_ARN": CALLER_ROLE_ARN,  # as the provider construct sets it
            **self.emulator.environment(),
            **spec.pop("environment", {}),
        }
        self.function = LambdaFunction(HandlerSpec(
            code_dir=code_dir, handler=handler, environment=environment,
            timeout_s=spec.pop("timeout_s", 60), **spec,
        ))
        self.driver = Driver(tmp_path / "stacks", self.ca, default_function=self.function, timeout_scale=1.0)

    def deploy_provider(self, out: Path) -> StackResult:
        """Bootstrap step 1: the provider stack of a synthesized app (cdk.out ``out``), which the
        app's users stack imports its service token from."""
        return self.driver.deploy(PROVIDER_STACK_NAME, out / f"{PROVIDER_STACK_NAME}.template.json", template_dir=out)

    def deploy(self, body: dict[str, Any]) -> StackResult:
        return self.driver.deploy(STACK, body)

    def delete(self) -> StackResult:
        return self.driver.delete_stack(STACK)

    def users(self) -> dict[str, dict[str, Any]]:
        """Every FinSpace user in the environment but its administrators, by lower-cased email."""
        rows = self.emulator.web_app.users(ENVIRONMENT_ID)
        return {row["emailAddress"].lower(): row for row in rows if row["emailAddress"] not in ADMINISTRATOR_EMAILS}

    def groups_of(self, email: str) -> dict[str, str]:
        """permissionGroupId -> membershipStatus of the user with this email."""
        user_id = self.users()[email]["userId"]
        rows = self.emulator.backend.call("ListPermissionGroupsByUser", {"userId": user_id, "maxResults": 100},
                                          environment_id=ENVIRONMENT_ID)
        return {g["permissionGroupId"]: g["membershipStatus"] for g in rows["permissionGroups"]}

    def mutating_calls(self) -> list[str]:
        return [c.operation for c in self.emulator.mutating_calls()]

    def close(self) -> None:
        self.function.close()
        self.driver.close()
        self.emulator.stop()
