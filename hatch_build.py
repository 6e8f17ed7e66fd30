"""Wheel build hook: the provider's Lambda asset, ready-made inside the wheel.

It lands at ``finspace_constructs/_asset/``: the ``lambda_handler`` package (the carried
``finspace-data`` model included) and crhelper from the pin in ``lambda_handler/requirements.txt``,
assembled by ``finspace_constructs/_assemble.py`` (the same code that bundles in the repository).
Their bytecode for the Lambda runtime's Python goes to ``finspace_constructs/_asset_bytecode/``,
out of reach of pip, which recompiles installed sources for the installing Python in place.
A consumer's synthesis then runs no pip and needs no network. The wheel cache of ``make setup``
is used when present, so the build itself can run offline.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

__all__ = ["LambdaAssetHook"]

ASSET_PATH = "finspace_constructs/_asset"
BYTECODE_PATH = "finspace_constructs/_asset_bytecode"


def _assembler(root: Path) -> ModuleType:
    """``_assemble.py`` by path: importing the package would need aws-cdk-lib in the build environment."""
    spec = importlib.util.spec_from_file_location("_finspace_assemble", root / "finspace_constructs" / "_assemble.py")
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {root / 'finspace_constructs' / '_assemble.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class LambdaAssetHook(BuildHookInterface):  # type: ignore[type-arg]
    """Adds the ready-made Lambda asset to regular wheels (an editable install bundles from the repository)."""

    PLUGIN_NAME = "custom"
    _staging: Path | None = None

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        assembler = _assembler(root)
        self._staging = Path(tempfile.mkdtemp(prefix="finspace-asset-"))
        sources, bytecode = self._staging / "sources", self._staging / "bytecode"
        assembler.assemble_asset(root / "lambda_handler", sources, assembler.default_wheelhouse(root))
        assembler.split_bytecode(sources, bytecode)
        build_data["force_include"][str(sources)] = ASSET_PATH
        if bytecode.is_dir():
            build_data["force_include"][str(bytecode)] = BYTECODE_PATH

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
