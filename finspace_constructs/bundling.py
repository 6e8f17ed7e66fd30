"""Local bundling of the provider's Lambda asset: no Docker.

The asset holds the ``lambda_handler`` package (the carried model included) and
crhelper, installed with pip from ``lambda_handler/requirements.txt``. boto3 is
left to the Lambda runtime. The asset hash is computed from the source folder
(caches excluded), so it changes only when the handler, the model or the pins do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

__all__ = ["HANDLER", "HANDLER_DIR", "handler_code"]

HANDLER_DIR = Path(__file__).resolve().parent.parent / "lambda_handler"
HANDLER = "lambda_handler.index.handler"
EXCLUDED = ["**/__pycache__", "**/*.pyc", ".mypy_cache"]  # CDK glob patterns, for the asset hash
_NOT_COPIED = ("__pycache__", "*.pyc", ".mypy_cache")  # the same, as shutil name patterns
# A wheel cache filled by `make setup`, so that synthesis needs no network.
WHEELHOUSE = Path(os.environ.get("FINSPACE_WHEELHOUSE", HANDLER_DIR.parent / ".venv" / "wheelhouse"))


@jsii.implements(ILocalBundling)
class _PipBundling:
    def try_bundle(self, output_dir: str, options: Any) -> bool:
        target = Path(output_dir)
        shutil.copytree(HANDLER_DIR, target / HANDLER_DIR.name, ignore=shutil.ignore_patterns(*_NOT_COPIED))
        source = ["--no-index", "--find-links", str(WHEELHOUSE)] if WHEELHOUSE.is_dir() else []
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
             "--no-compile", "--target", str(target), *source, "-r", str(HANDLER_DIR / "requirements.txt")],
            check=True,
        )
        return True


def handler_code() -> lambda_.Code:
    """The Lambda code asset, bundled locally (the Docker image is never used)."""
    return lambda_.Code.from_asset(
        str(HANDLER_DIR),
        exclude=EXCLUDED,
        asset_hash_type=AssetHashType.SOURCE,
        bundling=BundlingOptions(
            image=DockerImage.from_registry("local-bundling-only"),
            # jsii calls try_bundle(output_dir, options) positionally; its stubs spell out keywords.
            local=_PipBundling(),  # type: ignore[arg-type]
        ),
    )
