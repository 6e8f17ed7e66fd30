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
    REQUIRE_BYTECODE_ENV,
    RUNTIME_PYTHON,
    assemble_asset,
    compile_bytecode,
    default_wheelhouse,
    runtime_python,
)
from finspace_constructs.bundling import HANDLER_DIR
from tests.functional.bytecode_check import invalid_bytecode

REPO = Path(__file__).resolve().parents[2]
LAMBDA_RUNTIME = REPO / ".venv" / "lambda-py313" / "bin" / "python"  # `make setup`: that Python with boto3
CACHE_TAG = f"cpython-{RUNTIME_PYTHON.replace('.', '')}"


def contents(tree: Path) -> dict[str, bytes]:
    return {p.relative_to(tree).as_posix(): p.read_bytes() for p in sorted(tree.rglob("*")) if p.is_file()}


def loaded_from(task_dir: Path) -> dict[str, str]:
    """Module file (relative) -> "bytecode" or "source", as the runtime's Python imports the handler."""
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
            loaded = Path(line.split("from", 1)[1].strip().strip("'"))
            if loaded.suffix == ".pyc":  # .../pkg/__pycache__/mod.cpython-313.pyc
                module, kind = loaded.parent.parent / f"{loaded.name.split('.')[0]}.py", "bytecode"
            else:
                module, kind = loaded, "source"
            found[module.relative_to(task_dir).as_posix()] = kind
    return found


@pytest.fixture(scope="module")
def asset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if runtime_python() is None:
        pytest.skip(f"no Python {RUNTIME_PYTHON} on this machine: the asset is built without bytecode")
    target = tmp_path_factory.mktemp("asset")
    assemble_asset(HANDLER_DIR, target, default_wheelhouse(REPO))
    return target


def test_every_module_of_the_asset_carries_checked_bytecode_for_the_runtime(asset: Path) -> None:
    modules = list(asset.rglob("*.py"))

    assert len(modules) >= 20  # the handler's modules and crhelper's
    assert invalid_bytecode(asset) == []
    assert {p.name.split(".")[1] for p in asset.rglob("*.pyc")} == {CACHE_TAG}


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
    assert {"lambda_handler/index.py", "lambda_handler/reasons.py", "crhelper/utils.py"} <= set(untouched)
    assert edited == {**untouched, "lambda_handler/reasons.py": "source"}


def test_compiling_ignores_an_inherited_cache_prefix_and_optimisation(
    asset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(asset / "lambda_handler", tree / "lambda_handler", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv("PYTHONPYCACHEPREFIX", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("PYTHONOPTIMIZE", "1")

    assert compile_bytecode(tree)
    assert contents(tree) == {k: v for k, v in contents(asset).items() if k.startswith("lambda_handler/")}


def test_a_lambda_python_of_another_version_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LAMBDA_PYTHON_ENV, sys.executable if sys.version_info[:2] != (3, 13) else "/nonexistent")

    with pytest.raises(RuntimeError, match=f"is not a working Python {RUNTIME_PYTHON}: point it at one"):
        runtime_python()


def test_no_runtime_python_is_a_warning_or_under_the_strict_switch_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    if sys.implementation.cache_tag == CACHE_TAG:
        pytest.skip("this interpreter is itself a Python of the runtime's version")
    (tmp_path / "module.py").write_text("VALUE = 1\n")
    monkeypatch.delenv(LAMBDA_PYTHON_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "no-python-here"))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv-here"))

    with pytest.warns(UserWarning, match=f"no Python {RUNTIME_PYTHON} found: the Lambda asset carries no bytecode"):
        assert compile_bytecode(tmp_path) is False
    monkeypatch.setenv(REQUIRE_BYTECODE_ENV, "1")
    with pytest.raises(RuntimeError, match=f"set {LAMBDA_PYTHON_ENV} to a Python {RUNTIME_PYTHON}"):
        compile_bytecode(tmp_path)
    assert not list(tmp_path.rglob("*.pyc"))
