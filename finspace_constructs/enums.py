"""The API's enumerations as Python enums (a unit test checks them against the carried model)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ApiAccess", "UserType"]


class UserType(StrEnum):
    """A FinSpace user's type."""

    SUPER_USER = "SUPER_USER"
    """Full access to the environment, user management included."""
    APP_USER = "APP_USER"
    """Permissions come from the user's permission groups."""


class ApiAccess(StrEnum):
    """Whether the user may call the FinSpace APIs (through its principal role)."""

    ENABLED = "ENABLED"
    DISABLED = "DISABLED"
