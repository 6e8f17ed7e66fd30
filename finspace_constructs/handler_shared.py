"""What the handler shares with the constructs and the command line, wherever the handler lives: the one door.

In this repository the handler is the top-level ``lambda_handler`` package. In the installed
distribution it is carried only inside this package's ready-made Lambda asset
(``finspace_constructs/_asset/lambda_handler``), so installing adds no generic top-level name such
as ``lambda_handler``; this module chooses between the two, once. Either way the constructs read the
very definitions the handler validates with (limits, property names, resource types, its variables:
one place for each), and ``finspace-users`` reads FinSpace with the handler's client, credentials,
retries and paging, and plans and reports drift with its own rules, instead of a second copy of any.

Every other module of ``finspace_constructs`` and ``finspace_users`` imports the handler's names from
here, and only here imports the handler (``tests/unit/test_doors.py``). The ``TYPE_CHECKING`` imports
below are the list of what is shared; at run time the same names come from the chosen package.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

__all__ = [
    "ADDED",
    "ADDING",
    "ALLOWED_STACKS_VARIABLE",
    "API_ACCESS_ENABLED",
    "ASSET_DIR",
    "BYTECODE_DIR",
    "CREATING",
    "DISABLED",
    "FIELDS",
    "GROUP_FIELDS",
    "GROUP_RESOURCE_TYPE",
    "HANDLER_PACKAGE",
    "PERSONAL_GROUP_FIELDS",
    "PERSONAL_USER_FIELDS",
    "PROVIDER_ROLE_VARIABLE",
    "RECORDS_PATH",
    "RECORDS_PATH_VARIABLE",
    "REENABLE_VARIABLE",
    "STACK_PATTERN",
    "USER_RESOURCE_TYPE",
    "AdoptionRequiredError",
    "ApiCallError",
    "ApiSession",
    "DeadlineError",
    "FieldSpec",
    "GroupProperties",
    "Persistence",
    "ProgrammaticCredentials",
    "PropertyError",
    "ProviderError",
    "ProviderRole",
    "RequestIdentity",
    "UserProperties",
    "changed_fields",
    "changed_group_fields",
    "declared_groups_of",
    "email_key",
    "identity_of",
    "is_placeholder",
    "is_reapply",
    "membership_changes",
    "new_session",
    "parse_group",
    "parse_properties",
    "value_problem",
]

# Present only in a built wheel: the handler, its model and crhelper, assembled at build time.
ASSET_DIR = Path(__file__).resolve().parent / "_asset"
BYTECODE_DIR = ASSET_DIR.with_name("_asset_bytecode")  # the runtime's bytecode of the asset, if it was built
HANDLER_PACKAGE = (f"{__package__}._asset.lambda_handler" if (ASSET_DIR / "lambda_handler").is_dir()
                   else "lambda_handler")

if TYPE_CHECKING:
    from lambda_handler.api import ApiSession
    from lambda_handler.callers import ALLOWED_STACKS_VARIABLE
    from lambda_handler.callers import PATTERN as STACK_PATTERN
    from lambda_handler.client import new_session
    from lambda_handler.credentials import ProgrammaticCredentials
    from lambda_handler.errors import AdoptionRequiredError, ApiCallError, DeadlineError, PropertyError, ProviderError
    from lambda_handler.ids import RequestIdentity, is_placeholder
    from lambda_handler.memberships import ADDED, ADDING, membership_changes
    from lambda_handler.permission_groups import (
        GROUP_FIELDS,
        PERSONAL_GROUP_FIELDS,
        GroupProperties,
        changed_group_fields,
        parse_group,
    )
    from lambda_handler.permission_groups import RESOURCE_TYPE as GROUP_RESOURCE_TYPE
    from lambda_handler.properties import (
        API_ACCESS_ENABLED,
        FIELDS,
        PERSONAL_USER_FIELDS,
        FieldSpec,
        UserProperties,
        declared_groups_of,
        email_key,
        identity_of,
        is_reapply,
        parse_properties,
        value_problem,
    )
    from lambda_handler.properties import RESOURCE_TYPE as USER_RESOURCE_TYPE
    from lambda_handler.records import DEFAULT_RECORDS_PATH as RECORDS_PATH
    from lambda_handler.records import RECORDS_PATH_VARIABLE
    from lambda_handler.retries import Persistence
    from lambda_handler.safeguards import REENABLE_VARIABLE
    from lambda_handler.self_access import PROVIDER_ROLE_VARIABLE, ProviderRole
    from lambda_handler.users import CREATING, DISABLED, changed_fields
else:  # the same names, line for line, from the package chosen above
    _properties = import_module(f"{HANDLER_PACKAGE}.properties")
    _groups = import_module(f"{HANDLER_PACKAGE}.permission_groups")
    _callers = import_module(f"{HANDLER_PACKAGE}.callers")
    _records = import_module(f"{HANDLER_PACKAGE}.records")
    _safeguards = import_module(f"{HANDLER_PACKAGE}.safeguards")
    _self_access = import_module(f"{HANDLER_PACKAGE}.self_access")
    _api = import_module(f"{HANDLER_PACKAGE}.api")
    _client = import_module(f"{HANDLER_PACKAGE}.client")
    _credentials = import_module(f"{HANDLER_PACKAGE}.credentials")
    _errors = import_module(f"{HANDLER_PACKAGE}.errors")
    _ids = import_module(f"{HANDLER_PACKAGE}.ids")
    _memberships = import_module(f"{HANDLER_PACKAGE}.memberships")
    _retries = import_module(f"{HANDLER_PACKAGE}.retries")
    _users = import_module(f"{HANDLER_PACKAGE}.users")

    ApiSession = _api.ApiSession
    ALLOWED_STACKS_VARIABLE = _callers.ALLOWED_STACKS_VARIABLE
    STACK_PATTERN = _callers.PATTERN
    new_session = _client.new_session
    ProgrammaticCredentials = _credentials.ProgrammaticCredentials
    AdoptionRequiredError, ApiCallError = _errors.AdoptionRequiredError, _errors.ApiCallError
    DeadlineError, PropertyError, ProviderError = _errors.DeadlineError, _errors.PropertyError, _errors.ProviderError
    RequestIdentity, is_placeholder = _ids.RequestIdentity, _ids.is_placeholder
    ADDED, ADDING, membership_changes = _memberships.ADDED, _memberships.ADDING, _memberships.membership_changes
    GROUP_FIELDS, PERSONAL_GROUP_FIELDS = _groups.GROUP_FIELDS, _groups.PERSONAL_GROUP_FIELDS
    GroupProperties, changed_group_fields, parse_group = (_groups.GroupProperties, _groups.changed_group_fields,
                                                          _groups.parse_group)
    GROUP_RESOURCE_TYPE = _groups.RESOURCE_TYPE
    API_ACCESS_ENABLED, FIELDS = _properties.API_ACCESS_ENABLED, _properties.FIELDS
    PERSONAL_USER_FIELDS, FieldSpec = _properties.PERSONAL_USER_FIELDS, _properties.FieldSpec
    UserProperties, declared_groups_of = _properties.UserProperties, _properties.declared_groups_of
    email_key, identity_of, is_reapply = _properties.email_key, _properties.identity_of, _properties.is_reapply
    parse_properties, value_problem = _properties.parse_properties, _properties.value_problem
    USER_RESOURCE_TYPE = _properties.RESOURCE_TYPE
    RECORDS_PATH = _records.DEFAULT_RECORDS_PATH
    RECORDS_PATH_VARIABLE = _records.RECORDS_PATH_VARIABLE
    Persistence = _retries.Persistence
    REENABLE_VARIABLE = _safeguards.REENABLE_VARIABLE
    PROVIDER_ROLE_VARIABLE, ProviderRole = _self_access.PROVIDER_ROLE_VARIABLE, _self_access.ProviderRole
    CREATING, DISABLED, changed_fields = _users.CREATING, _users.DISABLED, _users.changed_fields
