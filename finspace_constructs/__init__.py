"""CDK constructs for Amazon FinSpace users as code.

The constructs (:class:`FinSpaceUser`, :class:`FinSpacePermissionGroup`, :class:`FinSpaceUserProvider`),
their enumerations, and :class:`FinSpaceUserProviderStack`, the provider in a stack of its own with a
named, retained role (README: Bootstrap). Users files: :mod:`finspace_constructs.users_file` and
:mod:`finspace_constructs.users_app`.
"""

from typing import TYPE_CHECKING, Any

from .enums import ApiAccess, ApplicationPermission, UserType
from .permission_group import FinSpacePermissionGroup
from .provider import FinSpaceUserProvider
from .user import FinSpaceUser

if TYPE_CHECKING:
    from .users_app import FinSpaceUserProviderStack

__all__ = [
    "ApiAccess",
    "ApplicationPermission",
    "FinSpacePermissionGroup",
    "FinSpaceUser",
    "FinSpaceUserProvider",
    "FinSpaceUserProviderStack",
    "UserType",
]


def __getattr__(name: str) -> Any:
    """:class:`FinSpaceUserProviderStack` on first use: its module loads the users file's models
    (pydantic), which an app without a users file need not import."""
    if name == "FinSpaceUserProviderStack":
        from .users_app import FinSpaceUserProviderStack

        return FinSpaceUserProviderStack
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
