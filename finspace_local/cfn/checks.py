"""What CloudFormation checks before touching any resource: a template's size and quotas, and the
parameter values (:mod:`finspace_constructs.cloudformation_quotas`), refused with its messages.

A top-level template is taken as ``cdk deploy`` passes it: in the request up to 51,200 bytes, from S3
beyond (up to 1,000,000 bytes); ``inline=True`` keeps it in the request, ``inline=False`` always reads
it from S3 (as a nested stack's template is).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from finspace_constructs.cloudformation_quotas import (
    MAX_INLINE_BODY_BYTES,
    MAX_S3_BODY_BYTES,
    body_size,
    parameter_value_problem,
    template_problem,
)

from .errors import TemplateValidationError
from .template import Template, load_template

__all__ = ["checked_template", "parameter_values"]


def checked_template(template: Any, *, inline: bool | None) -> Template:
    """The template, loaded, if CloudFormation accepts it passed so (module docstring); else its refusal."""
    loaded = load_template(template)
    size = _size(template, loaded)
    limit = MAX_INLINE_BODY_BYTES if inline or (inline is None and size <= MAX_INLINE_BODY_BYTES) \
        else MAX_S3_BODY_BYTES
    problem = template_problem(loaded.body, size, max_bytes=limit)
    if problem:
        raise TemplateValidationError(problem)
    return loaded


def parameter_values(template: Template, given: dict[str, str] | None,
                     previous: dict[str, str] | None = None, *, check: bool = True) -> dict[str, str]:
    """Each declared parameter's value: given, else the stack's previous one, else its Default."""
    values: dict[str, str] = {}
    for name, declared in template.parameters.items():
        value = (given or {}).get(name, (previous or {}).get(name, declared.get("Default")))
        if value is None:
            raise TemplateValidationError(f"Parameters: [{name}] must have values")
        values[name] = str(value)
        problem = parameter_value_problem(name, values[name]) if check else None
        if problem:
            raise TemplateValidationError(problem)
    return values


def _size(template: Any, loaded: Template) -> int:
    """The template's bytes: a file's as written (as cdk deploy uploads it), text's, a dict's compact JSON."""
    if isinstance(template, Path):
        return template.stat().st_size
    if isinstance(template, str):
        return Path(template).stat().st_size if "\n" not in template else len(template.encode())
    return body_size(loaded.body)
