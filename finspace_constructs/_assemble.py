"""How the Lambda asset is assembled: one definition for the wheel build hook and for local bundling.

Standard library only: ``hatch_build.py`` loads this file by path, before aws-cdk-lib exists.

The asset carries bytecode for the Lambda runtime's Python, compiled by that Python (found as
``FINSPACE_LAMBDA_PYTHON``, this interpreter, ``python3.13`` on the PATH, or pyenv's 3.13). Lambda's task folder
is read-only, so without it every cold start compiles each module it imports (about 12 ms of the
handler's own). The files are "checked-hash" pycs (PEP 552): the runtime uses one only while its
source is unchanged, so an edit in the Lambda console can never run stale code, and unlike the
default (source modification times) they survive zipping and unzipping.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

__all__ = [
    "LAMBDA_PYTHON_ENV",
    "RUNTIME_PYTHON",
    "assemble_asset",
    "compile_bytecode",
    "default_wheelhouse",
    "restore_asset",
    "runtime_python",
    "split_bytecode",
]

RUNTIME_PYTHON = "3.13"  # the provider's Lambda runtime: python3.13
LAMBDA_PYTHON_ENV = "FINSPACE_LAMBDA_PYTHON"
LAMBDA_TASK_ROOT = "/var/task"  # where Lambda unpacks the asset: the path compiled into tracebacks
_CACHE = "__pycache__"
_NOT_COPIED = (_CACHE, "*.pyc", ".mypy_cache")


def default_wheelhouse(repository: Path) -> Path:
    """The wheel cache that ``make setup`` fills (``FINSPACE_WHEELHOUSE`` overrides it)."""
    return Path(os.environ.get("FINSPACE_WHEELHOUSE", repository / ".venv" / "wheelhouse"))


def assemble_asset(handler_dir: Path, target: Path, wheelhouse: Path) -> None:
    """The handler package beside its pinned requirements (crhelper), as the Lambda runtime loads them,
    with their bytecode when a Python of the runtime's version is at hand.

    Wheels only, no dependencies; from ``wheelhouse`` alone when it exists, so no network is needed.
    """
    shutil.copytree(handler_dir, target / handler_dir.name, ignore=shutil.ignore_patterns(*_NOT_COPIED))
    source = ["--no-index", "--find-links", str(wheelhouse)] if wheelhouse.is_dir() else []
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
         "--no-compile", "--only-binary=:all:", "--target", str(target), *source,
         "-r", str(handler_dir / "requirements.txt")],
        check=True,
    )
    compile_bytecode(target)


def runtime_python() -> str | None:
    """A Python of the runtime's version: ``FINSPACE_LAMBDA_PYTHON`` (which must be one), else the first
    of :func:`_candidates` that is one; ``None`` when there is none."""
    explicit = os.environ.get(LAMBDA_PYTHON_ENV)
    if explicit:
        if not _is_runtime_python(explicit):
            raise RuntimeError(f"{LAMBDA_PYTHON_ENV}={explicit} is not a working Python {RUNTIME_PYTHON}: "
                               f"point it at one, or unset it to build the asset without bytecode")
        return explicit
    return next((p for p in _candidates() if _is_runtime_python(p)), None)


def _candidates() -> list[str]:
    """This interpreter, the PATH's, then pyenv's installed versions (its shims work only where active)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    installed = sorted(pyenv.glob(f"{RUNTIME_PYTHON}*/bin/python{RUNTIME_PYTHON}"), reverse=True)
    return [sys.executable, f"python{RUNTIME_PYTHON}", *map(str, installed)]


def _is_runtime_python(python: str) -> bool:
    if python == sys.executable:
        return f"{sys.version_info.major}.{sys.version_info.minor}" == RUNTIME_PYTHON
    try:  # a pyenv shim exists even where its version is not installed: ask the interpreter itself
        done = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.strip() == RUNTIME_PYTHON


def compile_bytecode(tree: Path) -> bool:
    """Compile every module under ``tree`` for the runtime, reproducibly; False (with a warning)
    when no Python of the runtime's version is at hand."""
    python = runtime_python()
    if python is None:
        warnings.warn(f"no Python {RUNTIME_PYTHON} found: the Lambda asset carries no bytecode, so each cold "
                      f"start compiles the handler; set {LAMBDA_PYTHON_ENV} to one (README: Performance)",
                      stacklevel=2)
        return False
    # A fixed hash seed orders frozenset constants alike in every build; the stripped prefix keeps the
    # build folder out of the files. Together they make the same sources give the same bytes.
    subprocess.run([python, "-m", "compileall", "-q", "--invalidation-mode", "checked-hash",
                    "-s", str(tree), "-p", LAMBDA_TASK_ROOT, str(tree)],
                   check=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    return True


def split_bytecode(tree: Path, bytecode: Path) -> None:
    """Move the bytecode of ``tree`` under ``bytecode``, each file in its module's folder (no
    ``__pycache__``, which wheel builders leave out): in a wheel, pip recompiles installed sources for
    the installing Python and would overwrite it in place."""
    for compiled in sorted(tree.rglob(f"{_CACHE}/*.pyc")):
        destination = bytecode / compiled.parent.parent.relative_to(tree) / compiled.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(compiled, destination)
        if not any(compiled.parent.iterdir()):
            compiled.parent.rmdir()


def restore_asset(sources: Path, bytecode: Path, target: Path) -> None:
    """The asset as assembled: ``sources`` without the installing Python's caches, and the runtime's
    bytecode (from :func:`split_bytecode`, when the wheel carries it) back in its ``__pycache__``."""
    shutil.copytree(sources, target, ignore=shutil.ignore_patterns(*_NOT_COPIED), dirs_exist_ok=True)
    for compiled in sorted(bytecode.rglob("*.pyc")):
        destination = target / compiled.parent.relative_to(bytecode) / _CACHE / compiled.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(compiled, destination)
