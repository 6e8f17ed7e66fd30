"""Which stacks may use the provider (docs/DESIGN.md, "Who may ask").

The provider acts with the rights of its FinSpace user, and anyone in the account who can create a
stack and invoke the function can name its ServiceToken: without a limit, they could declare a
SUPER_USER with their own IAM principal (a confused deputy). The construct lists the stacks allowed
to use it (names, ``*`` as a wildcard, each also allowing its nested stacks ``NAME-*``); a request
from any other stack is refused before any FinSpace call.
"""

from __future__ import annotations

import fnmatch
import os
import re

from .errors import ProviderError

__all__ = ["ALLOWED_STACKS_VARIABLE", "AllowedStacks", "StackNotAllowedError", "stack_name_of"]

ALLOWED_STACKS_VARIABLE = "FINSPACE_ALLOWED_STACKS"
PATTERN = re.compile(r"[A-Za-z*][A-Za-z0-9*-]*")  # a stack name, with * for any characters


class StackNotAllowedError(ProviderError):
    """The request comes from a stack the provider does not serve."""


def stack_name_of(stack_id: str) -> str:
    """``arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/UUID`` -> ``NAME``."""
    parts = stack_id.split(":stack/", 1)
    return parts[1].split("/", 1)[0] if len(parts) == 2 else stack_id


class AllowedStacks:
    """The allow-list as the construct passes it: comma-separated patterns; unset allows every stack."""

    __slots__ = ("patterns",)

    def __init__(self, value: str | None = None) -> None:
        raw = os.environ.get(ALLOWED_STACKS_VARIABLE) if value is None else value
        self.patterns: tuple[str, ...] | None = None if raw is None else tuple(
            p.strip() for p in raw.split(",") if p.strip())

    def allows(self, stack_id: str) -> bool:
        if self.patterns is None:
            return True
        name = stack_name_of(stack_id)
        return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(name, f"{p}-*") for p in self.patterns)

    def check(self, stack_id: str) -> None:
        if not self.allows(stack_id):
            raise StackNotAllowedError(
                f"Stack {stack_name_of(stack_id)} may not use this FinSpace user provider; add it to the provider's "
                "allowed_stacks, or use a provider of its own (README: Security)")
