"""What every construct of the package builds the same way: its CloudFormation resource, served by the
provider, and the check of its literal values against the handler's own limits."""

from __future__ import annotations

from typing import Any

from aws_cdk import CustomResource, RemovalPolicy
from constructs import Construct

from .handler_shared import FieldSpec, value_problem
from .provider import FinSpaceUserProvider
from .tokens import is_token

__all__ = ["provider_resource", "validate_literals"]


def provider_resource(scope: Construct, provider: FinSpaceUserProvider, resource_type: str,
                      properties: dict[str, Any], removal_policy: RemovalPolicy) -> CustomResource:
    """The construct's main child, ``Resource``, served by ``provider``."""
    return CustomResource(scope, "Resource", service_token=provider.service_token, resource_type=resource_type,
                          properties=properties, removal_policy=removal_policy,
                          service_timeout=provider.service_timeout)


def validate_literals(owner: Construct, properties: dict[str, Any], fields: tuple[FieldSpec, ...],
                      prop_names: dict[str, str]) -> None:
    """Literal values checked against the handler's own limits; tokens are left to deploy time.
    Personal values are described, never shown."""
    problems = []
    for name, value in properties.items():
        values = value if isinstance(value, list) else [value]
        if any(is_token(str(v)) for v in values):
            continue
        problem = value_problem(name, value, fields)
        if problem:
            sensitive = next(f.sensitive for f in fields if f.name == name)
            shown = "" if sensitive else f" (got {value!r})"
            problems.append(f"{prop_names[name]}{shown} {problem}")
    if problems:
        raise ValueError(f"{type(owner).__name__} {owner.node.path}: " + "; ".join(problems))
