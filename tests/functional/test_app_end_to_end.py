"""`cdk synth` of app.py with the pinned CDK CLI, offline and without AWS credentials, then the
synthesized template deployed by the driver with the handler taken from the bundled asset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from finspace_constructs._assemble import runtime_python
from finspace_local.cdk_app import STACK_NAME, asset_dir, synth, templates_by_stack
from tests.conftest import ENVIRONMENT_ID
from tests.functional.bytecode_check import invalid_bytecode
from tests.functional.stack_harness import STACK, StackHarness


def synth_users(out: Path, emails: str) -> dict[str, Any]:
    """A users file with these emails (the first a SUPER_USER), synthesized with the CDK CLI."""
    lines = [f"environment: {ENVIRONMENT_ID}", "defaults: {type: APP_USER}", "users:"]
    for index, email in enumerate(emails.split(",")):
        lines.append(f"  - {{email: {email}{', type: SUPER_USER' if index == 0 else ''}}}")
    out.mkdir(parents=True)
    users_file = out.parent / f"{out.name}.users.yaml"
    users_file.write_text("\n".join(lines) + "\n")
    return synth(out, {"usersFile": str(users_file)})


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    root = tmp_path_factory.mktemp("synth")
    first = synth_users(root / "one", "ada@example.com,bob@example.com")
    second = synth_users(root / "two", "ada@example.com,bob.new@example.com")
    return root / "one", first, second


def test_cli_synth_offline_declares_users_and_a_bundled_provider(
    synthesized: tuple[Path, dict[str, Any], dict[str, Any]],
) -> None:
    out, template, _ = synthesized
    users = [r for body in templates_by_stack(out, STACK_NAME, template).values()
             for r in body["Resources"].values() if r["Type"] == "Custom::FinSpaceUser"]
    bundle = asset_dir(out, template)

    assert sorted(u["Properties"]["EmailAddress"] for u in users) == ["ada@example.com", "bob@example.com"]
    assert (bundle / "lambda_handler" / "index.py").is_file()
    assert (bundle / "crhelper" / "resource_helper.py").is_file()
    assert (bundle / "lambda_handler" / "models" / "finspace-data" / "2020-07-13" / "service-2.json").is_file()
    assert not (bundle / "boto3").exists()  # the runtime's boto3 is used
    if runtime_python() is not None:  # compiled for the runtime, every module (README: Performance)
        assert invalid_bytecode(bundle) == []
    else:
        assert not list(bundle.rglob("*.pyc"))


def test_synthesized_app_deploys_updates_and_deletes_with_the_bundled_handler(
    synthesized: tuple[Path, dict[str, Any], dict[str, Any]], tmp_path: Path,
) -> None:
    out, first, second = synthesized
    harness = StackHarness(tmp_path, code_dir=asset_dir(out, first))
    try:
        harness.deploy_provider(out)
        created = harness.driver.deploy(STACK, first, template_dir=out)
        updated = harness.driver.deploy(STACK, second, template_dir=out.parent / "two")
        deleted = harness.delete()
        users = harness.users()
    finally:
        harness.close()

    assert (created.status, updated.status, deleted.status) == ("CREATE_COMPLETE", "UPDATE_COMPLETE",
                                                                "DELETE_COMPLETE")
    assert {email: u["status"] for email, u in users.items()} == {
        "ada@example.com": "DISABLED", "bob@example.com": "DISABLED", "bob.new@example.com": "DISABLED"}
    assert users["ada@example.com"]["type"] == "SUPER_USER"


LAMBDA_PYTHON = Path(__file__).resolve().parents[2] / ".venv" / "lambda-py313" / "bin" / "python"


@pytest.mark.skipif(not LAMBDA_PYTHON.exists(), reason="no Python 3.13 on this machine ('make setup' makes one)")
def test_bundled_handler_runs_on_the_lambda_python_with_the_newest_boto3(
    synthesized: tuple[Path, dict[str, Any], dict[str, Any]], tmp_path: Path,
) -> None:
    out, first, _ = synthesized
    harness = StackHarness(tmp_path, code_dir=asset_dir(out, first), python=str(LAMBDA_PYTHON))
    try:
        harness.deploy_provider(out)
        created = harness.driver.deploy(STACK, first, template_dir=out)
        deleted = harness.delete()
        users = harness.users()
        runtimes = {line for line in harness.function.logs if line.startswith("INIT_START")}
    finally:
        harness.close()

    assert (created.status, deleted.status) == ("CREATE_COMPLETE", "DELETE_COMPLETE")
    assert {u["status"] for u in users.values()} == {"DISABLED"}
    assert runtimes == {"INIT_START Runtime Version: python:3.13"}
