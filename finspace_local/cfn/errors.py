"""CloudFormation's refusals of an API call: nothing was touched, and the message is its own."""

from __future__ import annotations

__all__ = ["StackStateError", "TemplateValidationError", "ValidationError"]


class ValidationError(ValueError):
    """CloudFormation's ValidationError: the API call is refused and nothing touched; the message is its own."""


class StackStateError(ValidationError):
    """An operation CloudFormation refuses in the stack's current status (its ValidationError)."""


class TemplateValidationError(ValidationError):
    """A template, or a parameter value, CloudFormation refuses before touching any resource."""
