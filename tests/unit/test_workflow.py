"""The GitHub Actions example, checked for what no runner here can: who gets AWS access, with which
OIDC subject, on which trigger; pinned actions and dependency caches."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / "examples" / "github-actions" / "finspace-users.yml"
README = REPO / "README.md"
MAKEFILE = REPO / "Makefile"
CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials"
PINNED = re.compile(r"^\s*-?\s*uses: [\w.-]+/[\w.-]+@[0-9a-f]{40}\s+# v\d+(\.\d+)*$")


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    loaded["on"] = loaded.pop(True, loaded.get("on"))  # YAML 1.1 reads the key `on` as true
    return loaded


def aws_role_variable(job: dict[str, Any]) -> str | None:
    """The repository variable holding the role the job assumes, if it assumes one."""
    for step in job["steps"]:
        if str(step.get("uses", "")).startswith(CREDENTIALS_ACTION):
            match = re.fullmatch(r"\$\{\{ vars\.(\w+) \}\}", step["with"]["role-to-assume"])
            assert match, "the role comes from a repository variable"
            return match[1]
    return None


def documented_subject(variable: str) -> str:
    """The trust subject the README's CI/CD table gives for the role in ``variable``."""
    rows = [line for line in README.read_text().splitlines() if line.strip().startswith(f"| `{variable}` |")]
    assert len(rows) == 1, f"one README row documents {variable}"
    subjects: list[str] = re.findall(r"`(repo:[^`]+)`", rows[0])
    assert len(subjects) == 1
    return subjects[0]


def test_triggers_are_pull_requests_and_pushes_to_main(workflow: dict[str, Any]) -> None:
    assert workflow["on"] == {"pull_request": {"branches": ["main"]}, "push": {"branches": ["main"]}}
    assert set(workflow["jobs"]) == {"test", "diff", "deploy"}


def test_nothing_is_granted_workflow_wide(workflow: dict[str, Any]) -> None:
    assert workflow["permissions"] == {}


def test_each_job_asks_for_its_own_permissions_and_only_aws_jobs_get_an_oidc_token(workflow: dict[str, Any]) -> None:
    jobs = workflow["jobs"]

    tokens = {name: job["permissions"].get("id-token") for name, job in jobs.items()}
    roles = {name: aws_role_variable(job) for name, job in jobs.items()}

    assert all(job["permissions"]["contents"] == "read" for job in jobs.values())
    assert tokens == {"test": None, "diff": "write", "deploy": "write"}
    assert roles == {"test": None, "diff": "FINSPACE_DIFF_ROLE_ARN", "deploy": "FINSPACE_DEPLOY_ROLE_ARN"}


def commands(job: dict[str, Any]) -> list[str]:
    return [str(step["run"]).split("#")[0].strip() for step in job["steps"] if "run" in step]


def make_recipe(target: str) -> str:
    """The recipe lines of ``target`` in the Makefile."""
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", MAKEFILE.read_text(), re.MULTILINE)
    assert match, f"the Makefile has a target {target}"
    return match[1]


def test_pull_requests_get_only_the_diff_role_and_never_deploy(workflow: dict[str, Any]) -> None:
    diff, deploy = workflow["jobs"]["diff"], workflow["jobs"]["deploy"]

    # same-repository pull requests only: a fork's gets no OIDC token, and must not reach AWS anyway
    assert diff["if"] == ("github.event_name == 'pull_request' && "
                          "github.event.pull_request.head.repo.full_name == github.repository")
    assert commands(diff) == ["make setup-deploy", "make diff"]
    assert "$(CDK) diff --no-notices --method=template" in make_recipe("diff")  # templates only: what the role may read
    assert "--no-change-set" not in MAKEFILE.read_text() + WORKFLOW.read_text() + README.read_text()
    assert deploy["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert commands(deploy) == ["make setup-deploy", "make deploy"]


def test_aws_jobs_install_only_what_synthesis_needs() -> None:
    """``setup-deploy``: the app's requirements and the CLI, not the test venvs and wheelhouse of ``setup``."""
    recipe = make_recipe("$(DEPLOY_STAMP)")

    assert "-r requirements.txt -c constraints.txt" in recipe
    assert "requirements-dev" not in recipe
    assert "wheelhouse" not in recipe
    assert re.search(r"^setup-deploy: \$\(DEPLOY_STAMP\) \$\(NODE_STAMP\)$", MAKEFILE.read_text(), re.MULTILINE)
    for target in ("synth", "diff", "deploy"):
        assert re.search(rf"^{target}: setup-deploy$", MAKEFILE.read_text(), re.MULTILINE), target


def test_no_checkout_keeps_its_credentials(workflow: dict[str, Any]) -> None:
    checkouts = [step for job in workflow["jobs"].values() for step in job["steps"]
                 if str(step.get("uses", "")).startswith("actions/checkout@")]

    assert len(checkouts) == 3
    assert all(step["with"]["persist-credentials"] is False for step in checkouts)


def test_the_diff_role_trusts_what_the_diff_job_sends_and_reads_only_templates() -> None:
    role = yaml.load((REPO / "examples" / "iam" / "diff-role.yaml").read_text(), Loader=_CfnLoader)  # noqa: S506 - a SafeLoader
    (trust,) = role["Resources"]["DiffRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    (policy,) = role["Resources"]["DiffRole"]["Properties"]["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]

    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"]["StringEquals"] == {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "!Sub repo:${GitHubOwner}/${GitHubRepository}:pull_request"}
    assert "ManagedPolicyArns" not in role["Resources"]["DiffRole"]["Properties"]
    assert statement["Action"] == ["cloudformation:DescribeStacks", "cloudformation:GetTemplate",
                                   "cloudformation:ListStackResources"]
    assert [r.split(":stack/")[1] for r in statement["Resource"]] == [
        "${ProviderStackName}/*", "${UsersStackName}/*", "${UsersStackName}-*/*"]


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation's short tags as text (``!Sub x`` -> ``"!Sub x"``)."""


_CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: f"!{suffix} {loader.construct_scalar(node)}")


def test_readme_trust_subjects_match_what_each_job_sends(workflow: dict[str, Any]) -> None:
    deploy = workflow["jobs"]["deploy"]
    # GitHub sends the environment subject when the job names an environment, the ref otherwise.
    sent = (f"repo:<org>/<repo>:environment:{deploy['environment']}" if "environment" in deploy
            else "repo:<org>/<repo>:ref:refs/heads/main")

    assert documented_subject("FINSPACE_DEPLOY_ROLE_ARN") == sent
    assert documented_subject("FINSPACE_DIFF_ROLE_ARN") == "repo:<org>/<repo>:pull_request"
    assert f'"token.actions.githubusercontent.com:sub": "{sent}"' in README.read_text()
    assert "repo:<org>/<repo>:ref:refs/heads/main" in README.read_text()  # the other way, documented


def test_every_action_is_pinned_to_a_commit_with_its_version(workflow: dict[str, Any]) -> None:
    uses = [line for line in WORKFLOW.read_text().splitlines() if "uses:" in line and not line.lstrip().startswith("#")]

    assert uses
    assert [line for line in uses if not PINNED.match(line)] == []


def test_every_job_caches_pip_and_npm(workflow: dict[str, Any]) -> None:
    for name, job in workflow["jobs"].items():
        caches = {str(step["uses"]).split("@")[0]: step["with"].get("cache") for step in job["steps"]
                  if str(step.get("uses", "")).startswith(("actions/setup-python", "actions/setup-node"))}
        assert caches == {"actions/setup-python": "pip", "actions/setup-node": "npm"}, name
