"""The provider's Lambda asset: the ``lambda_handler`` package (the carried model included) and
crhelper; boto3 is left to the Lambda runtime. No Docker, ever.

Installed from the wheel, the asset is ready-made (``finspace_constructs/_asset``, assembled when
the wheel was built, and its Lambda-runtime bytecode from ``_asset_bytecode``): synthesis only
copies it, runs no pip and needs no network. In this repository it is bundled from
``lambda_handler/`` with pip, from the wheel cache that ``make setup`` fills (``.venv/wheelhouse``,
or ``FINSPACE_WHEELHOUSE``), so synthesis is offline here too.
Either way the asset hash is computed from the ``lambda_handler`` package alone (its pins in
``requirements.txt`` included, caches excluded): it changes only with the handler, the model or the
pins, never with the Python, the machine or the folder that synthesizes. Bytecode is derived from
those sources and checked against them at run time, so it is left out of the hash.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from ._assemble import assemble_asset, default_wheelhouse, restore_asset
from .handler_shared import ASSET_DIR, BYTECODE_DIR, HANDLER_PACKAGE

__all__ = ["HANDLER", "HANDLER_DIR", "handler_code", "handler_hash", "is_prebuilt"]

HANDLER_DIR = Path(__file__).resolve().parent.parent / "lambda_handler"
HANDLER = "lambda_handler.index.handler"
EXCLUDED = ["**/__pycache__", "**/*.pyc", ".mypy_cache"]  # CDK glob patterns: never part of the asset
WHEELHOUSE = default_wheelhouse(HANDLER_DIR.parent)


def is_prebuilt() -> bool:
    """True when this package carries the ready-made asset (an installed wheel)."""
    return HANDLER_PACKAGE != "lambda_handler"


@jsii.implements(ILocalBundling)
class _PipBundling:
    def try_bundle(self, output_dir: str, options: Any) -> bool:
        assemble_asset(HANDLER_DIR, Path(output_dir), WHEELHOUSE)
        return True


@jsii.implements(ILocalBundling)
class _PrebuiltBundling:
    def try_bundle(self, output_dir: str, options: Any) -> bool:
        restore_asset(ASSET_DIR, BYTECODE_DIR, Path(output_dir))
        return True


def handler_code() -> lambda_.Code:
    """The Lambda code asset: ready-made when installed, else bundled locally (never in Docker)."""
    prebuilt = is_prebuilt()
    return lambda_.Code.from_asset(
        str(ASSET_DIR if prebuilt else HANDLER_DIR),
        exclude=EXCLUDED,
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=handler_hash(ASSET_DIR / HANDLER_DIR.name if prebuilt else HANDLER_DIR),
        bundling=BundlingOptions(
            image=DockerImage.from_registry("local-bundling-only"),
            # jsii calls try_bundle(output_dir, options) positionally; its stubs spell out keywords.
            local=_PrebuiltBundling() if prebuilt else _PipBundling(),  # type: ignore[arg-type]
        ),
    )


@cache
def handler_hash(handler_dir: Path) -> str:
    """SHA-256 of the handler package's files (relative paths and contents), caches left out."""
    digest = hashlib.sha256()
    for path in sorted(p for p in handler_dir.rglob("*") if p.is_file() and not _is_cache(p.relative_to(handler_dir))):
        digest.update(path.relative_to(handler_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _is_cache(relative: Path) -> bool:
    return relative.suffix == ".pyc" or any(part in ("__pycache__", ".mypy_cache") for part in relative.parts)

