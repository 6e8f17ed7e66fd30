"""Validate a request against the carried model's input shape.

Every limit (required members, lengths, ranges, patterns, enumerations) is read
from the model. Messages name the member and the constraint, in the wording AWS
uses, and never echo a value of a ``sensitive`` shape.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.model import Shape, StructureShape

from .exceptions import validation_error

__all__ = ["validate_input"]

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "list": (list,),
    "structure": (dict,),
    "map": (dict,),
}


def validate_input(shape: StructureShape | None, params: dict[str, Any]) -> None:
    """Raise ValidationException naming the first member that breaks the model."""
    if shape is None:
        return
    problem = _structure_problem(shape, params, "")
    if problem:
        raise validation_error(f"1 validation error detected: {problem}")


def _structure_problem(shape: StructureShape, value: dict[str, Any], prefix: str) -> str | None:
    for name in shape.required_members:
        if value.get(name) is None:
            return f"Value at '{prefix}{name}' failed to satisfy constraint: Member must not be null"
    for name, member_value in value.items():
        member = shape.members.get(name)
        if member is None:
            return f"Member '{prefix}{name}' is not part of {shape.name}"
        problem = _value_problem(member, member_value, f"{prefix}{name}")
        if problem:
            return problem
    return None


def _value_problem(shape: Shape, value: Any, path: str) -> str | None:
    if value is None:
        return None
    expected = _PY_TYPES.get(shape.type_name, (object,))
    if not isinstance(value, expected) or (shape.type_name in ("integer", "long") and isinstance(value, bool)):
        return f"Value at '{path}' failed to satisfy constraint: Member must be of type {shape.type_name}"
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        return _structure_problem(shape, value, f"{path}.")
    if isinstance(value, list):
        return _list_problem(shape, value, path)
    return _scalar_problem(shape, value, path)


def _list_problem(shape: Any, value: list[Any], path: str) -> str | None:
    length_problem = _range_problem(shape.metadata, len(value), path, "length")
    if length_problem:
        return length_problem
    for index, item in enumerate(value):
        problem = _value_problem(shape.member, item, f"{path}.{index + 1}")
        if problem:
            return problem
    return None


def _scalar_problem(shape: Shape, value: Any, path: str) -> str | None:
    prefix = f"Value at '{path}' failed to satisfy constraint: Member must"
    if isinstance(value, str):
        length_problem = _range_problem(shape.metadata, len(value), path, "length")
        if length_problem:
            return length_problem
        enum = shape.metadata.get("enum")
        if enum and value not in enum:
            return f"{prefix} satisfy enum value set: [{', '.join(enum)}]"
        pattern = shape.metadata.get("pattern")
        # Smithy patterns are not implicitly anchored and services differ in how they apply them; the
        # stricter reading (the whole value must match) is the one a stand-in builds on (docs/FACTS.md).
        if pattern and re.fullmatch(pattern, value) is None:
            return f"{prefix} satisfy regular expression pattern: {pattern}"
        return None
    if isinstance(value, int):
        return _range_problem(shape.metadata, value, path, "value")
    return None


def _range_problem(metadata: dict[str, Any], measured: int, path: str, what: str) -> str | None:
    prefix = f"Value at '{path}' failed to satisfy constraint: Member must have {what}"
    if "min" in metadata and measured < metadata["min"]:
        return f"{prefix} greater than or equal to {metadata['min']}"
    if "max" in metadata and measured > metadata["max"]:
        return f"{prefix} less than or equal to {metadata['max']}"
    return None
