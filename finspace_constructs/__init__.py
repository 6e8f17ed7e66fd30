"""CDK constructs for Amazon FinSpace users as code."""

import os

# Before aws_cdk starts jsii: Node 20 (this project's machines) makes jsii print a large
# end-of-life banner on every run. Only the banner is silenced; an explicit setting wins.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from .enums import ApiAccess, ApplicationPermission, UserType
from .permission_group import FinSpacePermissionGroup
from .provider import FinSpaceUserProvider
from .user import FinSpaceUser

__all__ = [
    "ApiAccess",
    "ApplicationPermission",
    "FinSpacePermissionGroup",
    "FinSpaceUser",
    "FinSpaceUserProvider",
    "UserType",
]
