"""The distribution as a team gets it: the wheel built, installed into a fresh virtual environment
outside the repository (no repository path importable), the README's app synthesized offline, and
the asset's handler deploying and deleting that app through the driver against the emulator."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from finspace_constructs import FinSpaceUserProvider
from finspace_constructs._assemble import RUNTIME_PYTHON, runtime_python
from finspace_local.cdk_app import CDK, asset_dir
from tests.conftest import ENVIRONMENT_ID
from tests.functional.bytecode_check import invalid_bytecode
from tests.functional.stack_harness import StackHarness

pytestmark = pytest.mark.distribution

REPO = Path(__file__).resolve().parents[2]
WHEELHOUSE = REPO / ".venv" / "wheelhouse"  # filled by `make setup`: the dependencies' wheels
# absolute (the tests run it from temporary folders), not resolved (that would leave the venv)
OLDEST_PYTHON = Path(os.path.abspath(os.environ.get("OLDEST_CDK_PYTHON",
                                                     REPO / ".venv" / "oldest-cdk" / "bin" / "python")))
README_ENVIRONMENT = "abcdefghijklmnopqrstuv"
# The repository's sources must not be importable (the oldest-versions venv is cached under .venv/).
PROBE = """
import importlib.util, os, sys, finspace_constructs
repo = sys.argv[1]
sources = [p for p in map(os.path.abspath, sys.path) if (p + os.sep).startswith(repo + os.sep)
           and not p.startswith(os.path.join(repo, ".venv"))]
assert not sources, sources
assert finspace_constructs.__file__.split(os.sep)[-3] == "site-packages", finspace_constructs.__file__
assert all(importlib.util.find_spec(n) is None for n in ("lambda_handler", "finspace_local", "tests", "crhelper"))
"""


def readme_app() -> str:
    """The complete app file of the README's "Use it in your own CDK app", for the emulator's environment."""
    section = (REPO / "README.md").read_text().split("## Use it in your own CDK app", 1)[1]
    app = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert app is not None
    return app.group(1).replace(README_ENVIRONMENT, ENVIRONMENT_ID)


def offline_env(python: Path) -> dict[str, str]:
    """No index, no credentials, nothing of the repository on the path, the venv's python first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON", "VIRTUAL_ENV", "PIP_"))}
    env.update(PIP_NO_INDEX="1", AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull, CDK_DISABLE_VERSION_CHECK="1",
               PATH=f"{python.parent}{os.pathsep}{env.get('PATH', '')}")
    return env


def pip_into(python: Path, *arguments: str, compile_sources: bool = False) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--disable-pip-version-check", "--compile" if compile_sources else "--no-compile", *arguments],
                   check=True, timeout=600)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(REPO)], check=True, timeout=300, env={**os.environ, "PIP_NO_INDEX": "1"})
    (built,) = out.glob("finspace_user_provider-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no system site-packages) with the wheel and its dependencies, from local wheels only."""
    if not WHEELHOUSE.is_dir():
        pytest.fail("the wheelhouse is missing: run 'make setup'")
    home = tmp_path_factory.mktemp("consumer-venv")
    venv.create(home, with_pip=False, system_site_packages=False)
    python = home / "bin" / "python"
    pip_into(python, "--no-index", "--find-links", str(WHEELHOUSE), str(wheel))
    # Ours again as pip installs by default: compiled for the installing Python, next to the asset's sources.
    pip_into(python, "--no-index", "--no-deps", "--force-reinstall", str(wheel), compile_sources=True)
    return python


@pytest.fixture(scope="module")
def synthesized(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's app, synthesized by the CDK CLI in a folder outside the repository."""
    app_dir = tmp_path_factory.mktemp("consumer-app")
    (app_dir / "app.py").write_text(readme_app())
    env = offline_env(installed)
    subprocess.run([str(installed), "-c", PROBE, str(REPO)], cwd=app_dir, env=env, check=True, timeout=120)
    subprocess.run([str(CDK), "synth", "--no-notices", "--no-version-reporting", "-q", "--app",
                    f"{installed} app.py", "-o", "cdk.out"], cwd=app_dir, env=env, check=True, timeout=300)
    return app_dir / "cdk.out"


def template(out: Path, stack: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((out / f"{stack}.template.json").read_text())
    return body


def test_installing_adds_only_the_constructs_and_the_command_line(installed: Path) -> None:
    site = next(installed.parent.parent.glob("lib/python*/site-packages"))
    ours = {p.name for p in site.iterdir() if p.name.startswith("finspace")}

    assert ours == {"finspace_constructs", "finspace_users", f"finspace_user_provider-{_version(site)}.dist-info"}
    assert not (site / "lambda_handler").exists()
    assert not (site / "crhelper").exists()  # only inside the Lambda asset


def test_the_asset_holds_crhelper_the_handler_and_the_model_but_not_boto3(synthesized: Path) -> None:
    bundle = asset_dir(synthesized, template(synthesized, "FinSpaceUserProvider"))

    assert (bundle / "lambda_handler" / "index.py").is_file()
    assert (bundle / "crhelper" / "resource_helper.py").is_file()
    assert list((bundle / "lambda_handler" / "models" / "finspace-data").rglob("service-2.json*"))
    assert not (bundle / "boto3").exists()
    assert not (bundle / "botocore").exists()


def test_the_asset_carries_the_runtimes_bytecode_and_none_of_the_installing_python(synthesized: Path) -> None:
    bundle = asset_dir(synthesized, template(synthesized, "FinSpaceUserProvider"))
    if runtime_python() is None:
        pytest.skip(f"no Python {RUNTIME_PYTHON} here: the wheel was built without bytecode")

    assert invalid_bytecode(bundle) == []  # every module, checked-hash, of its very source
    assert {p.name.split(".")[1] for p in bundle.rglob("*.pyc")} == {f"cpython-{RUNTIME_PYTHON.replace('.', '')}"}


def test_the_asset_hash_is_the_repositorys_for_the_same_sources(synthesized: Path) -> None:
    """Installed or in the repository, built by another Python in another folder: the same handler, model
    and pins give the same asset (bundling/handler_hash), so a team's machines never flip the function."""
    installed_code = provider_code(template(synthesized, "FinSpaceUserProvider"))
    stack = cdk.Stack(cdk.App(), "FinSpaceUserProvider")
    FinSpaceUserProvider(stack, "Provider")

    assert installed_code["S3Key"] == provider_code(Template.from_stack(stack).to_json())["S3Key"]


def provider_code(body: dict[str, Any]) -> dict[str, Any]:
    (function,) = (r for r in body["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    code: dict[str, Any] = function["Properties"]["Code"]
    return code


def test_the_installed_handler_creates_and_deletes_the_readme_app(synthesized: Path, tmp_path: Path) -> None:
    provider_stack = template(synthesized, "FinSpaceUserProvider")
    harness = StackHarness(tmp_path, code_dir=asset_dir(synthesized, provider_stack))
    try:
        statuses = [harness.driver.deploy("FinSpaceUserProvider", provider_stack, template_dir=synthesized).status,
                    harness.driver.deploy("FinSpaceUsers", template(synthesized, "FinSpaceUsers"),
                                          template_dir=synthesized).status]
        created = {email: (u["type"], u["status"]) for email, u in harness.users().items()}
        bob_groups = set(harness.groups_of("bob@example.com").values())
        statuses.append(harness.driver.delete_stack("FinSpaceUsers").status)
        deleted = {email: u["status"] for email, u in harness.users().items()}
    finally:
        harness.close()

    assert statuses == ["CREATE_COMPLETE", "CREATE_COMPLETE", "DELETE_COMPLETE"]
    assert created == {"ada@example.com": ("SUPER_USER", "ENABLED"), "bob@example.com": ("APP_USER", "ENABLED")}
    assert bob_groups == {"ADDITION_SUCCESS"}
    assert deleted == {"ada@example.com": "DISABLED", "bob@example.com": "DISABLED"}


def test_the_readme_app_synthesizes_with_the_oldest_declared_aws_cdk_lib(wheel: Path, tmp_path: Path) -> None:
    if not OLDEST_PYTHON.exists():
        pytest.fail(f"{OLDEST_PYTHON} is missing: run 'make setup'")
    pip_into(OLDEST_PYTHON, "--no-index", "--no-deps", "--force-reinstall", str(wheel))
    (tmp_path / "app.py").write_text(readme_app())
    env = {**offline_env(OLDEST_PYTHON), "CDK_OUTDIR": str(tmp_path / "cdk.out")}

    subprocess.run([str(OLDEST_PYTHON), "-c", PROBE, str(REPO)], cwd=tmp_path, env=env, check=True, timeout=120)
    subprocess.run([str(OLDEST_PYTHON), "app.py"], cwd=tmp_path, env=env, check=True, timeout=300)
    versions = subprocess.run([str(OLDEST_PYTHON), "-c", "import aws_cdk; print(aws_cdk.__version__ if hasattr("
                               "aws_cdk, '__version__') else '')"], capture_output=True, text=True, env=env,
                              check=True).stdout

    users = template(tmp_path / "cdk.out", "FinSpaceUsers")["Resources"].values()
    assert sorted(r["Type"] for r in users if r["Type"].startswith("Custom::")) == [
        "Custom::FinSpacePermissionGroup", "Custom::FinSpaceUser", "Custom::FinSpaceUser"]
    assert _installed_version(OLDEST_PYTHON, "aws-cdk-lib") == _declared_floor("aws-cdk-lib"), versions


def _version(site: Path) -> str:
    (info,) = site.glob("finspace_user_provider-*.dist-info")
    return info.name.removeprefix("finspace_user_provider-").removesuffix(".dist-info")


def _installed_version(python: Path, distribution: str) -> str:
    return subprocess.run([str(python), "-c", f"import importlib.metadata as m; print(m.version({distribution!r}))"],
                          capture_output=True, text=True, check=True).stdout.strip()


def _declared_floor(distribution: str) -> str:
    match = re.search(rf'"{re.escape(distribution)}>=([^,"]+)', (REPO / "pyproject.toml").read_text())
    assert match is not None
    return match.group(1)
