"""Plain CloudFormation: the provider-only stack exports its service token, and the example
template (examples/cloudformation/finspace-users.yaml) runs a full lifecycle against it."""

from __future__ import annotations

from pathlib import Path

from cfnlint.api import lint_all

from finspace_local.cdk_app import REPO, asset_dir, synth
from tests.conftest import ENVIRONMENT_ID
from tests.functional.stack_harness import StackHarness

EXAMPLE = REPO / "examples" / "cloudformation" / "finspace-users.yaml"
PROVIDER_STACK = "FinSpaceUserProvider"


def test_example_template_passes_cfn_lint() -> None:
    matches = lint_all(EXAMPLE.read_text())

    assert [f"{m.rule.id} {m.message}" for m in matches if m.rule.id.startswith(("E", "W"))] == []


def test_example_template_deploys_updates_and_deletes_through_the_provider_stack(tmp_path: Path) -> None:
    out = tmp_path / "cdk.out"
    provider = synth(out, {"providerOnly": "true", "allowedStacks": "finspace-users"}, stack_name=PROVIDER_STACK)
    edited = tmp_path / "finspace-users.yaml"
    edited.write_text(EXAMPLE.read_text().replace("FirstName: Ada", "FirstName: Augusta"))
    harness = StackHarness(tmp_path, code_dir=asset_dir(out, provider))
    parameters = {"EnvironmentId": ENVIRONMENT_ID}
    try:
        exported = harness.driver.create_stack(PROVIDER_STACK, provider)
        created = harness.driver.create_stack("finspace-users", EXAMPLE, parameters)
        after_create = harness.users()
        updated = harness.driver.update_stack("finspace-users", edited, parameters)
        after_update = harness.users()
        deleted = harness.driver.delete_stack("finspace-users")
        after_delete = harness.users()
    finally:
        harness.close()

    assert f"{PROVIDER_STACK}-FinSpaceUserServiceToken" in exported.stack.exports
    assert (created.status, updated.status, deleted.status) == ("CREATE_COMPLETE", "UPDATE_COMPLETE",
                                                                "DELETE_COMPLETE")
    assert created.stack.outputs["AdaUserId"] == after_create["ada@example.com"]["userId"]
    assert after_create["analyst@example.com"]["apiAccessPrincipalArn"] == "arn:aws:iam::123456789012:role/analytics"
    assert after_update["ada@example.com"]["firstName"] == "Augusta"
    assert after_delete["ada@example.com"]["status"] == "DISABLED"
    assert after_delete["analyst@example.com"]["status"] == "ENABLED"  # DeletionPolicy: Retain
