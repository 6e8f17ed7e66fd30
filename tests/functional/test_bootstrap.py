"""The first deployment as the README tells it, run by `make demo`'s command line on a fresh state:
provider stack, registration of its role, users stack; and what happens when the registration is
skipped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from finspace_local.cdk_app import PROVIDER_STACK_NAME, STACK_NAME
from finspace_local.cfn.state import StackStore
from finspace_users.cli import main

USERS = """\
environment: finspace-local
permission_groups:
  - {name: analysts, application_permissions: [AccessNotebooks]}
defaults: {type: APP_USER}
users:
  - {email: boss@example.com, type: SUPER_USER}
  - {email: quant@example.com, permission_groups: [analysts]}
"""
ROLE_ARN = "arn:aws:iam::123456789012:role/FinSpaceUserProvider-us-east-1"
REASON_START = "GetProgrammaticAccessCredentials failed with AccessDeniedException: register the provider role"


def deploy(capsys: pytest.CaptureFixture[str], state: Path, users_file: Path, *extra: str
           ) -> tuple[int, dict[str, Any]]:
    code = main(["deploy", "--state-dir", str(state), "--users-file", str(users_file), "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def test_users_deploy_without_registration_fails_at_once_and_keeps_the_provider(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, users_file = tmp_path / "state", tmp_path / "users.yaml"
    users_file.write_text(USERS)

    code, report = deploy(capsys, state, users_file, "--skip-registration")

    provider = StackStore(state / "stacks").load(PROVIDER_STACK_NAME)
    assert provider is not None
    (role,) = [r for r in provider.resources.values() if r.type == "AWS::IAM::Role"]
    assert (code, report["status"], report["registration"]) == (1, "ROLLBACK_COMPLETE", "skipped")
    assert report["providerRoleArn"] == ROLE_ARN
    failed = [f for f in report["failures"] if f["status"] == "CREATE_FAILED" and f["type"].startswith("Custom::")]
    assert failed, "the users stack failed on its first resources"
    assert {f["reason"][:len(REASON_START)] for f in failed} == {REASON_START}
    assert all(f["stack"].startswith(STACK_NAME) for f in failed)
    assert report["finspaceCalls"] == {}  # nothing was created in FinSpace
    assert provider.status == "CREATE_COMPLETE"
    assert role.properties["RoleName"] == "FinSpaceUserProvider-us-east-1"
    assert (role.deletion_policy, role.update_replace_policy) == ("RetainExceptOnCreate", "Retain")
    assert "RoleArn" in "".join(provider.outputs)


def test_registering_the_kept_role_lets_the_same_users_deploy_succeed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, users_file = tmp_path / "state", tmp_path / "users.yaml"
    users_file.write_text(USERS)
    deploy(capsys, state, users_file, "--skip-registration")

    code, report = deploy(capsys, state, users_file)

    assert (code, report["status"], report["registration"]) == (0, "CREATE_COMPLETE", "registered")
    assert report["providerRoleArn"] == ROLE_ARN  # the same role: the registration points at it
    assert {u["emailAddress"]: u["permissionGroups"] for u in report["users"]} == {
        "boss@example.com": [], "quant@example.com": ["analysts"]}
    assert report["failures"] == []
