"""The Lambda asset's bytecode: compiled by the runtime's Python, reproducible, used by the runtime,
and never stale (checked-hash pycs, PEP 552). Needs a Python 3.13, which ``make setup`` finds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from finspace_constructs._assemble import (
    LAMBDA_PYTHON_ENV,
    RUNTIME_PYTHON,
    assemble_asset,
    default_wheelhouse,
    runtime_python,
)
from finspace_constructs.bundling import HANDLER_DIR
from tests.functional.bytecode_check import invalid_bytecode

REPO = Path(__file__).resolve().parents[2]
RUNTIME = runtime_python()
LAMBDA_RUNTIME = REPO / ".venv" / "lambda-py313" / "bin" / "python"  # `make setup`: that Python with boto3
pytestmark = pytest.mark.skipif(RUNTIME is None, reason=f"no Python {RUNTIME_PYTHON} on this machine")

def contents(tree: Path) -> dict[str, bytes]:
    return {p.relative_to(tree).as_posix(): p.read_bytes() for p in sorted(tree.rglob("*")) if p.is_file()}


def loaded_from(task_dir: Path) -> dict[str, str]:
    """Module name -> "bytecode" or "source", as the runtime's Python imports the handler from ``task_dir``."""
    if not LAMBDA_RUNTIME.exists():
        pytest.fail(f"{LAMBDA_RUNTIME} is missing: run 'make setup'")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(task_dir), "PYTHONDONTWRITEBYTECODE": "1",
           "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
           "AWS_SECRET_ACCESS_KEY": "example", "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    done = subprocess.run([str(LAMBDA_RUNTIME), "-v", "-c", "import lambda_handler.index"], cwd=task_dir, env=env,
                          capture_output=True, text=True, check=True, timeout=120)
    found: dict[str, str] = {}
    for line in done.stderr.splitlines():  # "# code object from '<...>.pyc'" or "# code object from <...>.py"
        if line.startswith("# code object from") and str(task_dir) in line:
            path = Path(line.split("from", 1)[1].strip().strip("'"))
            module = path.name.split(".")[0]
            found[module] = "bytecode" if path.suffix == ".pyc" else "source"
    return found


@pytest.fixture(scope="module")
def asset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("asset")
    assemble_asset(HANDLER_DIR, target, default_wheelhouse(REPO))
    return target


def test_every_module_of_the_asset_carries_checked_bytecode_for_the_runtime(asset: Path) -> None:
    modules = list(asset.rglob("*.py"))

    assert len(modules) >= 20  # the handler's modules and crhelper's
    assert invalid_bytecode(asset) == []
    assert {p.name.split(".")[1] for p in asset.rglob("*.pyc")} == {f"cpython-{RUNTIME_PYTHON.replace('.', '')}"}


def test_the_same_sources_give_the_same_bytes(asset: Path, tmp_path: Path) -> None:
    assemble_asset(HANDLER_DIR, tmp_path, default_wheelhouse(REPO))  # another folder, another process

    assert contents(tmp_path) == contents(asset)


def test_the_runtime_uses_the_bytecode_and_recompiles_an_edited_module(asset: Path, tmp_path: Path) -> None:
    task_dir = tmp_path / "task"
    shutil.copytree(asset, task_dir)
    untouched = loaded_from(task_dir)
    with (task_dir / "lambda_handler" / "reasons.py").open("a") as source:
        source.write("\nEDITED_IN_THE_CONSOLE = True\n")  # as an edit in the Lambda console would
    edited = loaded_from(task_dir)

    assert set(untouched.values()) == {"bytecode"}
    assert {"index", "reasons", "resource_helper"} <= set(untouched)
    assert edited == {**untouched, "reasons": "source"}


def test_a_lambda_python_of_another_version_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LAMBDA_PYTHON_ENV, sys.executable if sys.version_info[:2] != (3, 13) else "/nonexistent")

    with pytest.raises(RuntimeError, match=f"is not a working Python {RUNTIME_PYTHON}: point it at one"):
        runtime_python()
