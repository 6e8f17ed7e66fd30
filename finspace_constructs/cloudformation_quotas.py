"""CloudFormation's quotas on one template, and the messages CloudFormation refuses a template with.

Source: AWS CloudFormation User Guide, "Understand CloudFormation quotas"
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html):
500 resources, 200 parameters, 200 outputs, 200 mappings of at most 200 attributes each, names
(logical ids, parameter, output and mapping names) of at most 255 characters, parameter values of
at most 4,096 bytes, a description of at most 1,024 bytes, a template body of at most 51,200 bytes
in a CreateStack/UpdateStack request and 1 MB (1,000,000 bytes, as cfn-lint counts it) from S3, and a
custom resource's response of at most 4,096 bytes. A nested stack is a resource of its parent, and
its template always comes from S3.

Used by both sides: the users app keeps its templates within them (:mod:`finspace_constructs.users_app`)
and the local CloudFormation driver refuses what exceeds them (``finspace_local.cfn``). The messages
are CloudFormation's own where they were seen in reports of real refusals (resources, parameters,
outputs, description, both body sizes); the others (mappings, names, parameter values) follow their
pattern.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "MAX_DESCRIPTION_BYTES", "MAX_INLINE_BODY_BYTES", "MAX_MAPPINGS", "MAX_MAPPING_ATTRIBUTES", "MAX_NAME_CHARS",
    "MAX_OUTPUTS", "MAX_PARAMETERS", "MAX_PARAMETER_VALUE_BYTES", "MAX_RESOURCES", "MAX_RESPONSE_BYTES",
    "MAX_S3_BODY_BYTES", "body_size", "parameter_value_problem", "template_problem",
]

MAX_RESOURCES = 500
MAX_PARAMETERS = 200
MAX_OUTPUTS = 200
MAX_MAPPINGS = 200
MAX_MAPPING_ATTRIBUTES = 200
MAX_NAME_CHARS = 255  # a logical id, and a parameter, output or mapping name
MAX_PARAMETER_VALUE_BYTES = 4096
MAX_DESCRIPTION_BYTES = 1024
MAX_INLINE_BODY_BYTES = 51_200  # TemplateBody of CreateStack / UpdateStack
MAX_S3_BODY_BYTES = 1_000_000  # TemplateURL: a template in S3 (every nested stack's)
MAX_RESPONSE_BYTES = 4096  # a custom resource's answer, PUT to its ResponseURL


def body_size(body: Mapping[str, Any]) -> int:
    """The bytes of a template known only as a dict: its JSON, compact (files are measured as they are)."""
    return len(json.dumps(body, separators=(",", ":")).encode())


def template_problem(body: Mapping[str, Any], size: int, *, max_bytes: int = MAX_S3_BODY_BYTES) -> str | None:
    """CloudFormation's message refusing a template of ``size`` bytes (``max_bytes``: the limit of how it
    is passed), or ``None`` when it is within every quota. The first problem only, as CloudFormation
    answers one."""
    if size > max_bytes:
        if max_bytes <= MAX_INLINE_BODY_BYTES:
            return ("1 validation error detected: Value '...' at 'templateBody' failed to satisfy constraint: "
                    f"Member must have length less than or equal to {max_bytes}")
        return f"Template may not exceed {max_bytes} bytes in size."
    description = body.get("Description")
    if isinstance(description, str) and len(description.encode()) > MAX_DESCRIPTION_BYTES:
        return f"Template format error: 'Description' length is greater than {MAX_DESCRIPTION_BYTES}."
    sections: dict[str, Mapping[str, Any]] = {name: body.get(name) or {} for name in _COUNTS}
    problem = next(filter(None, (_count_problem(name, sections[name]) for name in _COUNTS)), None)
    problem = problem or next(filter(None, (_name_problem(name, sections[name]) for name in _COUNTS)), None)
    return problem or _attributes_problem(sections["Mappings"])


# Per section: its limit, CloudFormation's message when over it, and what one entry is called.
_COUNTS = {
    "Resources": (MAX_RESOURCES, "Number of resources, {n}, is greater than maximum allowed, {max}", "Resource"),
    "Parameters": (MAX_PARAMETERS, "Parameter count {n} is greater than max allowed {max}", "Parameter"),
    "Outputs": (MAX_OUTPUTS, "Outputs count {n} is greater than max allowed {max}", "Output"),
    "Mappings": (MAX_MAPPINGS, "Mappings count {n} is greater than max allowed {max}", "Mapping"),
}


def _count_problem(section: str, entries: Mapping[str, Any]) -> str | None:
    limit, message, _ = _COUNTS[section]
    return "Template format error: " + message.format(n=len(entries), max=limit) if len(entries) > limit else None


def _name_problem(section: str, entries: Mapping[str, Any]) -> str | None:
    kind = _COUNTS[section][2]
    return next((f"Template format error: {kind} name {name} is longer than {MAX_NAME_CHARS} characters"
                 for name in entries if len(name) > MAX_NAME_CHARS), None)


def _attributes_problem(mappings: Mapping[str, Any]) -> str | None:
    for name, mapping in mappings.items():
        for key, attributes in (mapping or {}).items():
            if isinstance(attributes, Mapping) and len(attributes) > MAX_MAPPING_ATTRIBUTES:
                return (f"Template format error: Mapping {name} key {key} attribute count {len(attributes)} "
                        f"is greater than max allowed {MAX_MAPPING_ATTRIBUTES}")
    return None


def parameter_value_problem(name: str, value: str) -> str | None:
    """CloudFormation's refusal of a parameter value over 4,096 bytes (a CommaDelimitedList's whole text)."""
    size = len(value.encode())
    if size > MAX_PARAMETER_VALUE_BYTES:
        return f"Parameter {name} has a value of {size} bytes, greater than max allowed {MAX_PARAMETER_VALUE_BYTES}"
    return None
