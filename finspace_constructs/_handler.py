"""The handler's own definitions (limits, property names), wherever the handler lives.

In this repository the handler is the top-level ``lambda_handler`` package. In the
installed distribution it is carried only inside this package's ready-made Lambda asset
(``finspace_constructs/_asset/lambda_handler``), so installing adds no generic top-level
name such as ``lambda_handler``. Either way the constructs read the very definitions the
handler validates with: one place for each limit.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

__all__ = [
    "ALLOWED_STACKS_VARIABLE",
    "API_ACCESS_ENABLED",
    "ASSET_DIR",
    "BYTECODE_DIR",
    "FIELDS",
    "GROUP_FIELDS",
    "GROUP_RESOURCE_TYPE",
    "HANDLER_PACKAGE",
    "PROVIDER_ROLE_VARIABLE",
    "RECORDS_PATH",
    "RECORDS_PATH_VARIABLE",
    "REENABLE_VARIABLE",
    "STACK_PATTERN",
    "USER_RESOURCE_TYPE",
    "FieldSpec",
    "email_key",
    "value_problem",
]

# Present only in a built wheel: the handler, its model and crhelper, assembled at build time.
ASSET_DIR = Path(__file__).resolve().parent / "_asset"
BYTECODE_DIR = ASSET_DIR.with_name("_asset_bytecode")  # the runtime's bytecode of the asset, if it was built
HANDLER_PACKAGE = (f"{__package__}._asset.lambda_handler" if (ASSET_DIR / "lambda_handler").is_dir()
                   else "lambda_handler")

if TYPE_CHECKING:
    from lambda_handler.callers import ALLOWED_STACKS_VARIABLE
    from lambda_handler.callers import PATTERN as STACK_PATTERN
    from lambda_handler.permission_groups import GROUP_FIELDS
    from lambda_handler.permission_groups import RESOURCE_TYPE as GROUP_RESOURCE_TYPE
    from lambda_handler.properties import API_ACCESS_ENABLED, FIELDS, FieldSpec, email_key, value_problem
    from lambda_handler.properties import RESOURCE_TYPE as USER_RESOURCE_TYPE
    from lambda_handler.records import DEFAULT_RECORDS_PATH as RECORDS_PATH
    from lambda_handler.records import RECORDS_PATH_VARIABLE
    from lambda_handler.safeguards import REENABLE_VARIABLE
    from lambda_handler.self_access import PROVIDER_ROLE_VARIABLE
else:
    _properties = import_module(f"{HANDLER_PACKAGE}.properties")
    _groups = import_module(f"{HANDLER_PACKAGE}.permission_groups")
    API_ACCESS_ENABLED = _properties.API_ACCESS_ENABLED
    FIELDS = _properties.FIELDS
    FieldSpec = _properties.FieldSpec
    value_problem = _properties.value_problem
    email_key = _properties.email_key
    USER_RESOURCE_TYPE = _properties.RESOURCE_TYPE
    GROUP_FIELDS = _groups.GROUP_FIELDS
    GROUP_RESOURCE_TYPE = _groups.RESOURCE_TYPE
    _callers = import_module(f"{HANDLER_PACKAGE}.callers")
    ALLOWED_STACKS_VARIABLE, STACK_PATTERN = _callers.ALLOWED_STACKS_VARIABLE, _callers.PATTERN
    _records = import_module(f"{HANDLER_PACKAGE}.records")
    RECORDS_PATH = _records.DEFAULT_RECORDS_PATH
    RECORDS_PATH_VARIABLE = _records.RECORDS_PATH_VARIABLE
    REENABLE_VARIABLE = import_module(f"{HANDLER_PACKAGE}.safeguards").REENABLE_VARIABLE
    PROVIDER_ROLE_VARIABLE = import_module(f"{HANDLER_PACKAGE}.self_access").PROVIDER_ROLE_VARIABLE
