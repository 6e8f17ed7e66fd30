"""How the Lambda asset is assembled: one definition for the wheel build hook and for local bundling.

Standard library only: ``hatch_build.py`` loads this file by path, before aws-cdk-lib exists.

The asset carries bytecode for the Lambda runtime's Python, compiled by that Python (found as
``FINSPACE_LAMBDA_PYTHON``, this interpreter, ``python3.13`` on the PATH, or pyenv's newest 3.13;
none is a warning, or an error under ``FINSPACE_REQUIRE_BYTECODE=1``). Lambda's task folder
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
    "REQUIRE_BYTECODE_ENV",
    "RUNTIME_PYTHON",
    "assemble_asset",
    "compile_bytecode",
    "default_wheelhouse",
    "restore_asset",
    "runtime_python",
    "split_bytecode",
]

RUNTIME_PYTHON = "3.13"  # the provider's Lambda runtime: python3.13
_CACHE_TAG = "cpython-" + RUNTIME_PYTHON.replace(".", "")
LAMBDA_PYTHON_ENV = "FINSPACE_LAMBDA_PYTHON"
REQUIRE_BYTECODE_ENV = "FINSPACE_REQUIRE_BYTECODE"  # "1": no bytecode is an error (release builds, CI)
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
    """This interpreter, the PATH's, then pyenv's installed versions, newest first (its shims work only
    where a version is active)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    installed = sorted(pyenv.glob(f"{RUNTIME_PYTHON}*/bin/python{RUNTIME_PYTHON}"), key=_version_key, reverse=True)
    return [sys.executable, f"python{RUNTIME_PYTHON}", *map(str, installed)]


def _version_key(python: Path) -> tuple[int, ...]:
    """(3, 13, 10) for .../versions/3.13.10/bin/python3.13; pre-releases sort first."""
    release = python.parent.parent.name
    return tuple(int(part) if part.isdigit() else -1 for part in release.split("."))


def _is_runtime_python(python: str) -> bool:
    """The runtime loads bytecode by its cache tag (cpython-313), so that is what must match."""
    if python == sys.executable:
        return sys.implementation.cache_tag == _CACHE_TAG
    try:  # a pyenv shim exists even where its version is not installed: ask the interpreter itself
        done = subprocess.run([python, "-c", "import sys; print(sys.implementation.cache_tag)"],
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.strip() == _CACHE_TAG


def compile_bytecode(tree: Path) -> bool:
    """Compile every module under ``tree`` for the runtime, reproducibly. Without a Python of the
    runtime's version: a warning and False, or an error under ``FINSPACE_REQUIRE_BYTECODE=1``."""
    python = runtime_python()
    if python is None:
        _missing_bytecode(f"no Python {RUNTIME_PYTHON} found")
        return False
    # Plain bytecode where the runtime looks for it: no optimisation level, no cache prefix. A fixed
    # hash seed orders frozenset constants alike in every build, and the stripped prefix keeps the
    # build folder out of the files: the same sources give the same bytes (for one 3.13 release).
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPYCACHEPREFIX", "PYTHONOPTIMIZE")}
    subprocess.run([python, "-m", "compileall", "-q", "-o", "0", "--invalidation-mode", "checked-hash",
                    "-s", str(tree), "-p", LAMBDA_TASK_ROOT, str(tree)],
                   check=True, env={**environment, "PYTHONHASHSEED": "0"})
    missing = [source for source in tree.rglob("*.py") if not _compiled(source).is_file()]
    if missing:
        _missing_bytecode(f"{python} left {len(missing)} module(s) uncompiled, e.g. {missing[0].relative_to(tree)}")
        return False
    return True


def _compiled(source: Path) -> Path:
    return source.parent / _CACHE / f"{source.stem}.{_CACHE_TAG}.pyc"


def _missing_bytecode(why: str) -> None:
    message = (f"{why}: the Lambda asset carries no bytecode, so each cold start compiles the handler; "
               f"set {LAMBDA_PYTHON_ENV} to a Python {RUNTIME_PYTHON} (README: Performance)")
    if os.environ.get(REQUIRE_BYTECODE_ENV) == "1":
        raise RuntimeError(message)
    warnings.warn(message, stacklevel=3)


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
