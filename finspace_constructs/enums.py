"""The API's enumerations as Python enums (a unit test checks them against the carried model)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ApiAccess", "ApplicationPermission", "UserType"]


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


class ApplicationPermission(StrEnum):
    """What a permission group's members may do in the FinSpace application."""

    CREATE_DATASET = "CreateDataset"
    MANAGE_CLUSTERS = "ManageClusters"
    MANAGE_USERS_AND_GROUPS = "ManageUsersAndGroups"
    MANAGE_ATTRIBUTE_SETS = "ManageAttributeSets"
    VIEW_AUDIT_DATA = "ViewAuditData"
    ACCESS_NOTEBOOKS = "AccessNotebooks"
    GET_TEMPORARY_CREDENTIALS = "GetTemporaryCredentials"
