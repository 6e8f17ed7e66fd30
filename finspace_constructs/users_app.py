"""Stacks built from a users file: the provider, and users spread over nested stacks.

CloudFormation holds at most 500 resources per stack. Users are placed in nested
stacks by a bucket derived from the email alone (a fixed number of hash buckets,
only the non-empty ones synthesized), so adding or removing other users never moves
a user to another stack, which would disable it and create it again. Construct ids
(and so logical ids) come from the environment and the email, never the position.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import NestedStack, RemovalPolicy, Stack
from constructs import Construct

from .permission_group import FinSpacePermissionGroup
from .provider import FinSpaceUserProvider
from .user import FinSpaceUser
from .users_file import ResolvedGroup, ResolvedUser

__all__ = ["BUCKETS", "FinSpaceUserProviderStack", "FinSpaceUsersStack", "bucket_of", "user_construct_id"]

# 64 buckets keep each nested stack far below 500 resources up to ~20,000 users. Changing
# this number moves users between stacks: never change it for a deployed file.
BUCKETS = 64
REMOVAL_POLICIES = {"destroy": RemovalPolicy.DESTROY, "retain": RemovalPolicy.RETAIN}


def bucket_of(email: str) -> int:
    """The bucket of an email: stable, and independent of every other user."""
    return int(hashlib.sha256(email.strip().lower().encode()).hexdigest(), 16) % BUCKETS


def user_construct_id(user: ResolvedUser) -> str:
    return f"{user.environment_id}:{user.email.strip().lower()}"


class FinSpaceUsersStack(Stack):
    """The provider and the permission groups, and one nested stack ``UsersNN`` per non-empty
    bucket of users."""

    def __init__(self, scope: Construct, construct_id: str, *, users: list[ResolvedUser],
                 groups: Sequence[ResolvedGroup] = (), provider_options: Mapping[str, Any] | None = None,
                 **kwargs: Any) -> None:
        """``provider_options``: keyword arguments of :class:`FinSpaceUserProvider`."""
        super().__init__(scope, construct_id, **kwargs)
        provider = FinSpaceUserProvider.of(self, **(provider_options or {}))
        declared = {(g.environment_id, g.name): _declare_group(self, g, provider)
                    for g in sorted(groups, key=lambda g: (g.environment_id, g.name))}
        buckets: dict[int, list[ResolvedUser]] = defaultdict(list)
        for user in users:
            buckets[bucket_of(user.email)].append(user)
        for bucket in sorted(buckets):
            nested = NestedStack(self, f"Users{bucket:02d}")
            for user in sorted(buckets[bucket], key=user_construct_id):
                member_of = [declared[(user.environment_id, name)] for name in user.permission_groups]
                _declare(nested, user, provider, member_of)


def _declare_group(scope: Construct, group: ResolvedGroup, provider: FinSpaceUserProvider) -> FinSpacePermissionGroup:
    return FinSpacePermissionGroup(
        scope, f"{group.environment_id}:group:{group.name}", environment_id=group.environment_id,
        name=group.name, application_permissions=group.application_permissions, description=group.description,
        removal_policy=REMOVAL_POLICIES[group.removal_policy], provider=provider,
    )


def _declare(scope: Construct, user: ResolvedUser, provider: FinSpaceUserProvider,
             member_of: list[FinSpacePermissionGroup]) -> FinSpaceUser:
    return FinSpaceUser(
        scope, user_construct_id(user),
        environment_id=user.environment_id, email_address=user.email, type=user.type,
        first_name=user.first_name, last_name=user.last_name, api_access=user.api_access,
        api_access_principal=user.api_access_principal_arn, enabled=user.enabled,
        adopt_existing=user.adopt_existing, removal_policy=REMOVAL_POLICIES[user.removal_policy],
        permission_groups=member_of, provider=provider,
    )


class FinSpaceUserProviderStack(Stack):
    """Only the provider: its exported service token serves plain CloudFormation templates."""

    def __init__(self, scope: Construct, construct_id: str, *, provider_options: Mapping[str, Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.provider = FinSpaceUserProvider.of(self, **(provider_options or {}))
