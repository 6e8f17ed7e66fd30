"""``Custom::FinSpaceUser`` properties: CloudFormation's strings in, one typed value out.

The limits come from the carried API model (:mod:`lambda_handler.api_model`);
the contract's own rules (unknown names, booleans, ApiAccessPrincipalArn only
with ApiAccess ENABLED) are here. Every problem is reported at once, named by its
PascalCase property, with the fix, and without echoing a personal value.
The CDK constructs validate literal values with :func:`field_problem` too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .api_model import constraint
from .errors import PropertyError

__all__ = [
    "API_ACCESS_DISABLED",
    "API_ACCESS_ENABLED",
    "CLOUDFORMATION_PROPERTIES",
    "FIELDS",
    "FieldSpec",
    "UserProperties",
    "field_problem",
    "identity_of",
    "parse_properties",
    "personal_values_of",
    "value_problem",
]

API_ACCESS_ENABLED = "ENABLED"
API_ACCESS_DISABLED = "DISABLED"
CLOUDFORMATION_PROPERTIES = frozenset({"ServiceToken", "ServiceTimeout"})
BOOLEAN_VALUES = {"true": True, "false": False}


@dataclass(frozen=True)
class FieldSpec:
    """One property of the contract. ``shape`` names the model shape holding its limits."""

    name: str
    shape: str | None
    required: bool = False
    sensitive: bool = False
    pattern_hint: str = ""
    default: str | None = None


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("EnvironmentId", "IdType", required=True),
    FieldSpec("EmailAddress", "Email", required=True, sensitive=True,
              pattern_hint="is not a valid email address: use a name, an @ and a domain with a dot"),
    FieldSpec("Type", "UserType", required=True),
    FieldSpec("FirstName", "FirstName", sensitive=True, pattern_hint="must contain a non-blank character"),
    FieldSpec("LastName", "LastName", sensitive=True, pattern_hint="must contain a non-blank character"),
    FieldSpec("ApiAccess", "ApiAccess", default=API_ACCESS_DISABLED),
    FieldSpec("ApiAccessPrincipalArn", "RoleArn",
              pattern_hint="must be an IAM role ARN like arn:aws:iam::123456789012:role/Name"),
    FieldSpec("Enabled", None, default="true"),
    FieldSpec("AdoptExisting", None, default="false"),
)
_BY_NAME = {spec.name: spec for spec in FIELDS}


@dataclass(frozen=True)
class UserProperties:
    """A validated declaration. Personal fields are kept out of ``repr`` (and so out of logs)."""

    environment_id: str
    email_address: str = field(repr=False)
    user_type: str
    first_name: str | None = field(default=None, repr=False)
    last_name: str | None = field(default=None, repr=False)
    api_access: str = API_ACCESS_DISABLED
    api_access_principal_arn: str | None = None
    enabled: bool = True
    adopt_existing: bool = False

    @property
    def identity(self) -> tuple[str, str]:
        """Which FinSpace user this is: environment and email (emails compare case-insensitively)."""
        return self.environment_id, self.email_address.lower()


def value_problem(name: str, value: Any) -> str | None:
    """What is wrong with ``value`` for property ``name``, as a predicate ("is longer than
    50 characters"), never echoing the value; ``None`` when it is fine."""
    spec = _BY_NAME[name]
    if not isinstance(value, str):
        return f"must be a string, not a {type(value).__name__}"
    if spec.shape is None:
        return None if value in BOOLEAN_VALUES else "must be true or false"
    problem = constraint(spec.shape).problem(value)
    if problem is not None and problem.startswith("does not match") and spec.pattern_hint:
        return spec.pattern_hint
    return problem


def field_problem(name: str, value: Any) -> str | None:
    """:func:`value_problem` with the property's name in front."""
    problem = value_problem(name, value)
    return None if problem is None else f"{name} {problem}"


def identity_of(raw: Mapping[str, Any]) -> tuple[str, str]:
    """The identity of raw properties, even ones that no longer validate."""
    return str(raw.get("EnvironmentId", "")), str(raw.get("EmailAddress", "")).lower()


def personal_values_of(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """The declared personal values (valid or not), to keep them out of reasons and logs."""
    return tuple(str(raw[s.name]) for s in FIELDS if s.sensitive and isinstance(raw.get(s.name), str))


def parse_properties(raw: Mapping[str, Any]) -> UserProperties:
    """Validate ``ResourceProperties`` and build the typed value; PropertyError lists every problem."""
    problems = [f"Unknown property {name}: remove it or fix its spelling"
                for name in sorted(raw) if name not in _BY_NAME and name not in CLOUDFORMATION_PROPERTIES]
    for spec in FIELDS:
        if spec.name not in raw:
            if spec.required:
                problems.append(f"{spec.name} is required: declare it")
            continue
        problem = field_problem(spec.name, raw[spec.name])
        if problem:
            problems.append(problem)
    values = {spec.name: raw.get(spec.name, spec.default) for spec in FIELDS}
    if values["ApiAccessPrincipalArn"] is not None and values["ApiAccess"] != API_ACCESS_ENABLED:
        problems.append("ApiAccessPrincipalArn needs ApiAccess: ENABLED; set ApiAccess or remove the ARN")
    if problems:
        raise PropertyError(_join(problems))
    return UserProperties(
        environment_id=values["EnvironmentId"],
        email_address=values["EmailAddress"],
        user_type=values["Type"],
        first_name=values["FirstName"],
        last_name=values["LastName"],
        api_access=values["ApiAccess"],
        api_access_principal_arn=values["ApiAccessPrincipalArn"],
        enabled=BOOLEAN_VALUES[values["Enabled"]],
        adopt_existing=BOOLEAN_VALUES[values["AdoptExisting"]],
    )


def _join(problems: list[str], limit: int = 250) -> str:
    """'Invalid properties: a; b (+N more)', kept under ``limit`` characters."""
    text = "Invalid properties: "
    for index, problem in enumerate(problems):
        more = f" (+{len(problems) - index} more)"
        candidate = text + ("; " if index else "") + problem
        if len(candidate) + len(more) > limit and index:
            return text + more
        text = candidate
    return text
