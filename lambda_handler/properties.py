"""``Custom::FinSpaceUser`` properties: CloudFormation's strings in, one typed value out.

The limits come from the carried API model (:mod:`lambda_handler.api_model`);
the contract's own rules (unknown names, booleans, ApiAccessPrincipalArn only
with ApiAccess ENABLED) are here. Every problem is reported at once, named by its
PascalCase property, with the fix, and without echoing a personal value.
The CDK constructs validate literal values with :func:`field_problem` too.

Emails, everywhere (users file, constructs, duplicate checks, logical ids, this handler): a blank
around an email is refused, never stripped (a template may carry one as well as a users file),
patterns are matched whole (``Eve <eve@example.com>`` is refused), and two emails are the same user
when their :func:`email_key` is equal (case aside).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .api_model import constraint
from .errors import PropertyError

__all__ = [
    "API_ACCESS_DISABLED",
    "API_ACCESS_ENABLED",
    "BOOLEAN_VALUES",
    "CLOUDFORMATION_PROPERTIES",
    "FIELDS",
    "NON_BLANK_HINT",
    "PERSONAL_USER_FIELDS",
    "REAPPLY_FIELD",
    "RESOURCE_TYPE",
    "FieldSpec",
    "UserProperties",
    "collect",
    "declared_groups_of",
    "email_key",
    "field_problem",
    "identity_of",
    "is_reapply",
    "join_problems",
    "parse_properties",
    "personal_values_of",
    "redacted_repr",
    "value_problem",
]

RESOURCE_TYPE = "Custom::FinSpaceUser"  # the resource these properties belong to

API_ACCESS_ENABLED = "ENABLED"
API_ACCESS_DISABLED = "DISABLED"
CLOUDFORMATION_PROPERTIES = frozenset({"ServiceToken", "ServiceTimeout"})
BOOLEAN_VALUES = {"true": True, "false": False}


# The handler defines no dataclasses: each one execs generated code when defined, about 0.5 ms of
# every cold start. Value records are NamedTuples (immutable, a third of that); small helpers are
# plain classes with __slots__.
class FieldSpec(NamedTuple):
    """One property of the contract. ``shape`` names the model shape holding its limits."""

    name: str
    shape: str | None  # None: a boolean ("true"/"false")
    required: bool = False
    sensitive: bool = False
    pattern_hint: str = ""
    default: Any = None
    is_list: bool = False  # a list of values of ``shape``
    unpadded: bool = False  # a blank at the start or end is refused (the model's pattern would say less)


# The hint of the model's names (``.*\S.*``, matched whole).
NON_BLANK_HINT = "must contain a non-blank character and no line break"
# Any new value (a date, a ticket) makes the next Update re-apply the whole declaration (README: Drift).
REAPPLY_FIELD = FieldSpec("Reapply", "ClientToken", pattern_hint=NON_BLANK_HINT)
FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("EnvironmentId", "IdType", required=True),
    FieldSpec("EmailAddress", "Email", required=True, sensitive=True, unpadded=True,
              pattern_hint="is not a valid email address: use a name, an @ and a domain with a dot"),
    FieldSpec("Type", "UserType", required=True),
    FieldSpec("FirstName", "FirstName", sensitive=True, pattern_hint=NON_BLANK_HINT),
    FieldSpec("LastName", "LastName", sensitive=True, pattern_hint=NON_BLANK_HINT),
    FieldSpec("ApiAccess", "ApiAccess", default=API_ACCESS_DISABLED),
    FieldSpec("ApiAccessPrincipalArn", "RoleArn",
              pattern_hint="must be an IAM role ARN like arn:aws:iam::123456789012:role/Name"),
    FieldSpec("Enabled", None, default="true"),
    FieldSpec("AdoptExisting", None, default="false"),
    FieldSpec("PermissionGroupIds", "PermissionGroupId", default=(), is_list=True),
    REAPPLY_FIELD,
)


class UserProperties(NamedTuple):
    """A validated declaration. Personal fields are kept out of ``repr`` (and so out of logs)."""

    environment_id: str
    email_address: str
    user_type: str
    first_name: str | None = None
    last_name: str | None = None
    api_access: str = API_ACCESS_DISABLED
    api_access_principal_arn: str | None = None
    enabled: bool = True
    adopt_existing: bool = False
    permission_group_ids: tuple[str, ...] = ()
    reapply: str | None = None

    @property
    def identity(self) -> tuple[str, str]:
        """Which FinSpace user this is: environment and :func:`email_key`."""
        return self.environment_id, email_key(self.email_address)

    def __repr__(self) -> str:
        return redacted_repr(self, PERSONAL_USER_FIELDS)


PERSONAL_USER_FIELDS = frozenset({"email_address", "first_name", "last_name"})


def email_key(email: str) -> str:
    """What identifies a user's email, wherever two are compared: the users file's duplicate check, the
    constructs' (``FinSpaceUserProvider.check_user``), the users app's logical ids and buckets, and this
    handler's identity and FinSpace lookups. Case aside, as FinSpace compares them. A declared email
    never has a blank around it (refused); the strip serves emails read back from FinSpace or from a
    resource's old properties."""
    return email.strip().lower()


def redacted_repr(record: NamedTuple, personal: frozenset[str]) -> str:
    """``repr`` of a record with its personal fields left out."""
    shown = (f"{name}={value!r}" for name, value in zip(record._fields, record, strict=True) if name not in personal)
    return f"{type(record).__name__}({', '.join(shown)})"


def value_problem(name: str, value: Any, fields: tuple[FieldSpec, ...] = FIELDS) -> str | None:
    """What is wrong with ``value`` for property ``name``, as a predicate ("is longer than
    50 characters"), never echoing the value; ``None`` when it is fine."""
    spec = next(s for s in fields if s.name == name)
    if spec.is_list:
        if not isinstance(value, list | tuple):
            return f"must be a list, not a {type(value).__name__}"
        problems = (_scalar_problem(spec, item) for item in value)
        return next((f"has an item that {p.removeprefix('is ')}" if p.startswith("is ") else f"items {p}"
                     for p in problems if p), None)
    return _scalar_problem(spec, value)


def _scalar_problem(spec: FieldSpec, value: Any) -> str | None:
    if not isinstance(value, str):
        return f"must be a string, not a {type(value).__name__}"
    if spec.shape is None:
        return None if value in BOOLEAN_VALUES else "must be true or false"
    if spec.unpadded and value != value.strip():
        return "has a blank (space, tab, line break) at its start or end: remove it"
    problem = constraint(spec.shape).problem(value)
    if problem is not None and problem.startswith("does not match") and spec.pattern_hint:
        return spec.pattern_hint
    return problem


def field_problem(name: str, value: Any, fields: tuple[FieldSpec, ...] = FIELDS) -> str | None:
    """:func:`value_problem` with the property's name in front."""
    problem = value_problem(name, value, fields)
    return None if problem is None else f"{name} {problem}"


def collect(raw: Mapping[str, Any], fields: tuple[FieldSpec, ...]) -> tuple[dict[str, Any], list[str]]:
    """Every field's value (defaults applied) and every problem: unknown, missing, invalid."""
    names = {spec.name for spec in fields}
    problems = [f"Unknown property {name}: remove it or fix its spelling"
                for name in sorted(raw) if name not in names and name not in CLOUDFORMATION_PROPERTIES]
    for spec in fields:
        if spec.name not in raw:
            if spec.required:
                problems.append(f"{spec.name} is required: declare it")
            continue
        problem = field_problem(spec.name, raw[spec.name], fields)
        if problem:
            problems.append(problem)
    return {spec.name: raw.get(spec.name, spec.default) for spec in fields}, problems


def identity_of(raw: Mapping[str, Any]) -> tuple[str, str]:
    """The identity of raw properties, even ones that no longer validate."""
    return str(raw.get("EnvironmentId", "")), email_key(str(raw.get("EmailAddress", "")))


def declared_groups_of(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """The PermissionGroupIds of raw (old) properties, even ones that no longer validate."""
    groups = raw.get("PermissionGroupIds", [])
    return tuple(str(g) for g in groups) if isinstance(groups, list) else ()


def is_reapply(new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
    """Whether an Update was asked to re-apply the declaration: its Reapply value changed."""
    return new.get("Reapply") != old.get("Reapply")


def personal_values_of(raw: Mapping[str, Any], fields: tuple[FieldSpec, ...] = FIELDS) -> tuple[str, ...]:
    """The declared personal values (valid or not), to keep them out of reasons and logs."""
    return tuple(str(raw[s.name]) for s in fields if s.sensitive and isinstance(raw.get(s.name), str))


def parse_properties(raw: Mapping[str, Any]) -> UserProperties:
    """Validate ``ResourceProperties`` and build the typed value; PropertyError lists every problem."""
    values, problems = collect(raw, FIELDS)
    if values["ApiAccessPrincipalArn"] is not None and values["ApiAccess"] != API_ACCESS_ENABLED:
        problems.append("ApiAccessPrincipalArn needs ApiAccess: ENABLED; set ApiAccess or remove the ARN")
    if problems:
        raise PropertyError(join_problems(problems))
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
        permission_group_ids=tuple(dict.fromkeys(values["PermissionGroupIds"])),
        reapply=values["Reapply"],
    )


def join_problems(problems: list[str], limit: int = 250) -> str:
    """'Invalid properties: a; b (+N more)', kept under ``limit`` characters."""
    text = "Invalid properties: "
    for index, problem in enumerate(problems):
        more = f" (+{len(problems) - index} more)"
        candidate = text + ("; " if index else "") + problem
        if len(candidate) + len(more) > limit and index:
            return text + more
        text = candidate
    return text
