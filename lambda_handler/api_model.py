"""The carried ``finspace-data`` API model: where it lives and what its shapes allow.

This module is the one place that reads the model's constraints (lengths,
patterns, enumerations); the handler's validation, the CDK constructs and the
local emulator all take their limits from here, never from hand-copied numbers.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from botocore.loaders import Loader

__all__ = [
    "API_VERSION",
    "MODEL_ROOT",
    "SERVICE_NAME",
    "Constraint",
    "constraint",
    "enum_values",
    "model_loader",
    "service_model_dict",
]

SERVICE_NAME = "finspace-data"
API_VERSION = "2020-07-13"
MODEL_ROOT = Path(__file__).resolve().parent / "models"


@cache
def model_loader() -> Loader:
    """botocore's data loader with the carried model first; every session of this process uses it
    (client.new_session), so the model and botocore's own data files are parsed once."""
    return Loader(extra_search_paths=[str(MODEL_ROOT)])


def service_model_dict() -> dict[str, Any]:
    """The carried ``service-2.json`` as a dictionary (parsed once per process, clients included)."""
    model: dict[str, Any] = model_loader().load_service_model(SERVICE_NAME, "service-2", API_VERSION)
    return model


class Constraint(NamedTuple):
    """The limits the model puts on one string shape."""

    shape: str
    min_length: int | None
    max_length: int | None
    pattern: str | None
    enum: tuple[str, ...]

    def problem(self, value: str) -> str | None:
        """Describe what is wrong with ``value`` without echoing it, or ``None``."""
        if self.min_length is not None and len(value) < self.min_length:
            return f"is shorter than {self.min_length} characters"
        if self.max_length is not None and len(value) > self.max_length:
            return f"is longer than {self.max_length} characters"
        if self.enum and value not in self.enum:
            return f"must be one of {', '.join(self.enum)}"
        # Matched whole: FinSpace's reference gives each pattern as the format of the whole value, and
        # a search would accept a value that only contains a match ("Eve <eve@example.com>", a role
        # ARN followed by a line break, a name on two lines).
        if self.pattern is not None and re.fullmatch(self.pattern, value) is None:
            return f"does not match the pattern {self.pattern}"
        return None


@cache
def constraint(shape_name: str) -> Constraint:
    """The constraint of the model's shape ``shape_name`` (e.g. ``"Email"``)."""
    shape = service_model_dict()["shapes"][shape_name]
    return Constraint(
        shape=shape_name,
        min_length=shape.get("min"),
        max_length=shape.get("max"),
        pattern=shape.get("pattern"),
        enum=tuple(shape.get("enum", ())),
    )


def enum_values(shape_name: str) -> tuple[str, ...]:
    """The enumeration of the model's shape ``shape_name``."""
    return constraint(shape_name).enum
