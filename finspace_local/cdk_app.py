"""Synthesize the CDK app with the pinned CDK CLI, offline and without AWS credentials."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from finspace_constructs.provider_identity import PROVIDER_STACK_NAME, USERS_STACK_NAME

__all__ = ["PROVIDER_STACK_NAME", "REPO", "STACK_NAME", "asset_dir", "provider_function", "synth",
           "templates_by_stack"]

REPO = Path(__file__).resolve().parent.parent
CDK = REPO / "node_modules" / ".bin" / "cdk"
# app.py's stack names, declared once in finspace_constructs.provider_identity (importing it starts
# jsii, as every importer of this module did already: the driver's quotas, the users file).
STACK_NAME = USERS_STACK_NAME


def synth(out: Path, context: dict[str, str], stack_name: str = STACK_NAME) -> dict[str, Any]:
    """Run ``cdk synth`` into ``out`` and return the stack's template."""
    if not CDK.exists():
        raise FileNotFoundError("The CDK CLI is missing: run 'make setup'")
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    # No credentials at all: synthesis must not need an AWS account.
    env.update(AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               CDK_DISABLE_VERSION_CHECK="1",
               # Node.js 26 (the LTS) from node_modules, which jsii does not list yet: its "untested" banner only.
               JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1",
               PATH=os.pathsep.join((str(REPO / "node_modules" / ".bin"), str(REPO / ".venv" / "bin"),
                                     env.get("PATH", ""))))
    arguments = [str(CDK), "synth", "--no-notices", "--no-version-reporting", "-q", "-o", str(out)]
    for key, value in context.items():
        arguments += ["-c", f"{key}={value}"]
    subprocess.run(arguments, cwd=REPO, env=env, check=True, capture_output=True, timeout=300)
    template: dict[str, Any] = json.loads((out / f"{stack_name}.template.json").read_text())
    return template


def templates_by_stack(out: Path, name: str, template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The template and its nested templates, named as the driver names the stacks."""
    found = {name: template}
    for logical_id, resource in template.get("Resources", {}).items():
        asset = resource.get("Metadata", {}).get("aws:asset:path")
        if resource.get("Type") == "AWS::CloudFormation::Stack" and asset:
            child = json.loads((out / str(asset)).read_text())
            found.update(templates_by_stack(out, f"{name}-{logical_id}", child))
    return found


def provider_function(out: Path, template: dict[str, Any]) -> tuple[dict[str, Any], Path]:
    """The template's (single) provider function and its bundled asset; for a users stack served by
    the provider stack, the provider stack's function in ``out``."""
    functions = _functions(template)
    if not functions:
        templates = [json.loads(path.read_text()) for path in sorted(out.glob("*.template.json"))]
        functions = [function for body in templates for function in _functions(body)]
    (function,) = functions
    return function, out / str(function["Metadata"]["aws:asset:path"])


def asset_dir(out: Path, template: dict[str, Any]) -> Path:
    """The bundled Lambda asset of the provider function (see :func:`provider_function`)."""
    return provider_function(out, template)[1]


def _functions(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in template.get("Resources", {}).values() if r["Type"] == "AWS::Lambda::Function"]
