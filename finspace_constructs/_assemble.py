"""How the Lambda asset is assembled: one definition for the wheel build hook and for local bundling.

Standard library only: ``hatch_build.py`` loads this file by path, before aws-cdk-lib exists.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["assemble_asset", "default_wheelhouse"]

_NOT_COPIED = ("__pycache__", "*.pyc", ".mypy_cache")


def default_wheelhouse(repository: Path) -> Path:
    """The wheel cache that ``make setup`` fills (``FINSPACE_WHEELHOUSE`` overrides it)."""
    return Path(os.environ.get("FINSPACE_WHEELHOUSE", repository / ".venv" / "wheelhouse"))


def assemble_asset(handler_dir: Path, target: Path, wheelhouse: Path) -> None:
    """The handler package beside its pinned requirements (crhelper), as the Lambda runtime loads them.

    Wheels only, no dependencies, no bytecode (it would tie the asset hash to one Python); from
    ``wheelhouse`` alone when it exists, so no network is needed.
    """
    shutil.copytree(handler_dir, target / handler_dir.name, ignore=shutil.ignore_patterns(*_NOT_COPIED))
    source = ["--no-index", "--find-links", str(wheelhouse)] if wheelhouse.is_dir() else []
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
         "--no-compile", "--only-binary=:all:", "--target", str(target), *source,
         "-r", str(handler_dir / "requirements.txt")],
        check=True,
    )
