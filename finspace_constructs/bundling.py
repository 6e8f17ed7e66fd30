"""The provider's Lambda asset: the ``lambda_handler`` package (the carried model included) and
crhelper; boto3 is left to the Lambda runtime. No Docker, ever.

Installed from the wheel, the asset is ready-made (``finspace_constructs/_asset``, assembled when
the wheel was built): synthesis runs no pip and needs no network. In this repository it is bundled
from ``lambda_handler/`` with pip, from the wheel cache that ``make setup`` fills
(``.venv/wheelhouse``, or ``FINSPACE_WHEELHOUSE``), so synthesis is offline here too.
Either way the asset hash is computed from the source (caches excluded): it changes only with the
handler, the model or the pins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from ._assemble import assemble_asset, default_wheelhouse
from ._handler import ASSET_DIR, HANDLER_PACKAGE

__all__ = ["HANDLER", "HANDLER_DIR", "handler_code", "is_prebuilt"]

HANDLER_DIR = Path(__file__).resolve().parent.parent / "lambda_handler"
HANDLER = "lambda_handler.index.handler"
EXCLUDED = ["**/__pycache__", "**/*.pyc", ".mypy_cache"]  # CDK glob patterns, for the asset hash
WHEELHOUSE = default_wheelhouse(HANDLER_DIR.parent)


def is_prebuilt() -> bool:
    """True when this package carries the ready-made asset (an installed wheel)."""
    return HANDLER_PACKAGE != "lambda_handler"


@jsii.implements(ILocalBundling)
class _PipBundling:
    def try_bundle(self, output_dir: str, options: Any) -> bool:
        assemble_asset(HANDLER_DIR, Path(output_dir), WHEELHOUSE)
        return True


def handler_code() -> lambda_.Code:
    """The Lambda code asset: ready-made when installed, else bundled locally (never in Docker)."""
    if is_prebuilt():
        return lambda_.Code.from_asset(str(ASSET_DIR), exclude=EXCLUDED, asset_hash_type=AssetHashType.SOURCE)
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
