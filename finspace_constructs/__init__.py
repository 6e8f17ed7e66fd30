"""CDK constructs for Amazon FinSpace users as code."""

from .enums import ApiAccess, UserType
from .provider import FinSpaceUserProvider
from .user import FinSpaceUser

__all__ = ["ApiAccess", "FinSpaceUser", "FinSpaceUserProvider", "UserType"]
