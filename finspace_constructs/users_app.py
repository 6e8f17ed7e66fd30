"""Stacks built from a users file: the provider, and users spread over nested stacks.

The provider lives in its own stack (:class:`FinSpaceUserProviderStack`), deployed first and
kept: its role has a stable name and is retained, so the one-time registration of that role
in FinSpace survives any users deploy, failed ones included (README: Bootstrap). A users stack
given that stack's ``provider`` imports its service token (a CDK cross-stack reference).

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
from typing import Any, cast

from aws_cdk import Annotations, Aws, NestedStack, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from ._handler import email_key
from .permission_group import FinSpacePermissionGroup
from .provider import FinSpaceUserProvider
from .provider_identity import PROVIDER_STACK_NAME, provider_role_prefix
from .user import FinSpaceUser
from .users_file import ResolvedGroup, ResolvedUser

__all__ = ["BUCKETS", "PROVIDER_STACK_NAME", "USERS_STACK_NAME", "FinSpaceUserProviderStack", "FinSpaceUsersStack",
           "bucket_of", "group_construct_id", "provider_role_name", "user_construct_id",
           "user_id_of"]

# 64 buckets keep each nested stack far below 500 resources up to ~20,000 users. Changing
# this number moves users between stacks: never change it for a deployed file.
BUCKETS = 64
REMOVAL_POLICIES = {"destroy": RemovalPolicy.DESTROY, "retain": RemovalPolicy.RETAIN}
USERS_STACK_NAME = "FinSpaceUsers"


def provider_role_name(provider_stack_name: str = PROVIDER_STACK_NAME, region: str = Aws.REGION) -> str:
    """The provider role's name: ``<provider stack name>-<region>`` (IAM names are global to the
    account, FinSpace environments are regional)."""
    return f"{provider_role_prefix(provider_stack_name)}{region}"


def bucket_of(email: str) -> int:
    """The bucket of an email: stable, and independent of every other user."""
    return int(hashlib.sha256(email_key(email).encode()).hexdigest(), 16) % BUCKETS


def user_construct_id(user: ResolvedUser) -> str:
    """``User`` and a hash of environment and email: stable, and no email in the logical id.

    CloudFormation prints logical ids in every stack event, and so do ``cdk deploy`` and CI logs, which
    far more people read than the template; the email stays in the resource's properties, where
    ``cdk diff`` shows it to a reviewer (docs/DESIGN.md, "Logical ids")."""
    return user_id_of(user.environment_id, user.email)


def user_id_of(environment_id: str, email: str) -> str:
    """:func:`user_construct_id` from the two values it depends on."""
    return _opaque_id("User", environment_id, email_key(email))


def group_construct_id(group: ResolvedGroup) -> str:
    """``Group`` and a hash of environment and name (FinSpace marks group names sensitive)."""
    return _opaque_id("Group", group.environment_id, group.name)


def _opaque_id(kind: str, environment_id: str, key: str) -> str:
    return f"{kind}{hashlib.sha256(f'{environment_id}:{key}'.encode()).hexdigest()[:16].upper()}"


class FinSpaceUsersStack(Stack):
    """The permission groups, and one nested stack ``UsersNN`` per non-empty bucket of users.

    :param provider: the provider serving them, usually ``FinSpaceUserProviderStack(...).provider``.
        :default: - a provider in this stack, built with ``provider_options`` (its role then shares
        this stack's fate: see README, Bootstrap)
    :param provider_options: keyword arguments of :class:`FinSpaceUserProvider`; only without ``provider``.
    """

    def __init__(self, scope: Construct, construct_id: str, *, users: list[ResolvedUser],
                 groups: Sequence[ResolvedGroup] = (), provider_options: Mapping[str, Any] | None = None,
                 provider: FinSpaceUserProvider | None = None, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        if provider is not None and provider_options:
            raise ValueError(f"{self.node.path}: provider_options belong to the provider's own stack; "
                             "give them there, not with provider=")
        if provider is not None:
            # Strong references are wanted: the provider stack cannot drop the export while users use it.
            Annotations.of(self).acknowledge_warning("@aws-cdk/core:crossStackReferencesDefaultStrong",
                                                     "the provider stack must keep serving the users stacks")
        else:
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
        scope, group_construct_id(group), environment_id=group.environment_id,
        name=group.name, application_permissions=group.application_permissions, description=group.description,
        removal_policy=REMOVAL_POLICIES[group.removal_policy], provider=provider,
        adopt_existing=group.adopt_existing, reapply=group.reapply,
    )


def _declare(scope: Construct, user: ResolvedUser, provider: FinSpaceUserProvider,
             member_of: list[FinSpacePermissionGroup]) -> FinSpaceUser:
    return FinSpaceUser(
        scope, user_construct_id(user),
        environment_id=user.environment_id, email_address=user.email, type=user.type,
        first_name=user.first_name, last_name=user.last_name, api_access=user.api_access,
        api_access_principal=user.api_access_principal_arn, enabled=user.enabled,
        adopt_existing=user.adopt_existing, removal_policy=REMOVAL_POLICIES[user.removal_policy],
        permission_groups=member_of, provider=provider, reapply=user.reapply,
    )


class FinSpaceUserProviderStack(Stack):
    """Only the provider, deployed once before any users stack and kept.

    Its role is named :func:`provider_role_name` (stable across redeploys: the ARN registered in
    FinSpace stays valid) and retained when the stack is deleted or the role replaced
    (``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE``: a failed first create still cleans up). Its
    service token is exported as ``<stack name>-FinSpaceUserServiceToken`` for plain
    CloudFormation templates.

    :param role_name: the provider role's name. :default: - ``<stack name>-<region>``
    """

    def __init__(self, scope: Construct, construct_id: str, *, provider_options: Mapping[str, Any] | None = None,
                 role_name: str | None = None, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.provider = FinSpaceUserProvider.of(self, **(provider_options or {}))
        if (provider_options or {}).get("role") is None:
            _keep_role(self.provider.role, role_name or provider_role_name(self.stack_name))


def _keep_role(role: iam.IRole, name: str) -> None:
    """Name the provider's own role and retain it: what FinSpace's registration points at."""
    cast(iam.CfnRole, role.node.default_child).role_name = name
    role.apply_removal_policy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE)
