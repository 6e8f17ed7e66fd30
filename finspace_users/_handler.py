"""The handler's client, credentials, retries, paging and comparison rules, wherever the handler lives.

In the repository it is the top-level ``lambda_handler`` package; installed from the wheel, only
the copy inside the constructs' Lambda asset (see :mod:`finspace_constructs._handler`). Reading
FinSpace reuses that code instead of a second client, and drift the handler's own rules for what differs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from finspace_constructs._handler import HANDLER_PACKAGE

__all__ = ["ADDED", "ADDING", "PERSONAL_GROUP_FIELDS", "PERSONAL_USER_FIELDS", "ApiCallError", "ApiSession",
           "DeadlineError", "GroupProperties", "Persistence", "ProgrammaticCredentials", "PropertyError",
           "RequestIdentity", "UserProperties", "changed_fields", "changed_group_fields", "membership_changes",
           "new_session", "parse_group", "parse_properties"]

if TYPE_CHECKING:
    from lambda_handler.api import ApiSession
    from lambda_handler.client import new_session
    from lambda_handler.credentials import ProgrammaticCredentials
    from lambda_handler.errors import ApiCallError, DeadlineError, PropertyError
    from lambda_handler.ids import RequestIdentity
    from lambda_handler.memberships import ADDED, ADDING, membership_changes
    from lambda_handler.permission_groups import (
        PERSONAL_GROUP_FIELDS,
        GroupProperties,
        changed_group_fields,
        parse_group,
    )
    from lambda_handler.properties import PERSONAL_USER_FIELDS, UserProperties, parse_properties
    from lambda_handler.retries import Persistence
    from lambda_handler.users import changed_fields
else:
    def _module(name: str):  # typed through the TYPE_CHECKING imports above
        return import_module(f"{HANDLER_PACKAGE}.{name}")

    ApiSession = _module("api").ApiSession
    new_session = _module("client").new_session
    ProgrammaticCredentials = _module("credentials").ProgrammaticCredentials
    ApiCallError, DeadlineError = _module("errors").ApiCallError, _module("errors").DeadlineError
    PropertyError = _module("errors").PropertyError
    RequestIdentity = _module("ids").RequestIdentity
    ADDED, ADDING = _module("memberships").ADDED, _module("memberships").ADDING
    membership_changes = _module("memberships").membership_changes
    _groups, _properties = _module("permission_groups"), _module("properties")
    GroupProperties, PERSONAL_GROUP_FIELDS = _groups.GroupProperties, _groups.PERSONAL_GROUP_FIELDS
    changed_group_fields, parse_group = _groups.changed_group_fields, _groups.parse_group
    UserProperties, PERSONAL_USER_FIELDS = _properties.UserProperties, _properties.PERSONAL_USER_FIELDS
    parse_properties = _properties.parse_properties
    Persistence = _module("retries").Persistence
    changed_fields = _module("users").changed_fields
