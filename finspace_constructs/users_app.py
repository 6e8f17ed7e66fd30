"""Stacks built from a users file: the provider, and users spread over nested stacks.

The provider lives in its own stack (:class:`FinSpaceUserProviderStack`), deployed first and
kept: its role has a stable name and is retained, so the one-time registration of that role
in FinSpace survives any users deploy, failed ones included (README: Bootstrap). A users stack
given that stack's ``provider`` imports its service token (a CDK cross-stack reference).

CloudFormation's quotas (:mod:`finspace_constructs.cloudformation_quotas`: 500 resources, 200
parameters and 200 outputs per template, 4,096 bytes per parameter value) shape the users stack:

- **Users** are placed in nested stacks ``UsersNN`` by a bucket derived from the email alone (64
  hash buckets, only the non-empty ones synthesized), so adding or removing other users never moves
  a user to another stack, which would disable it and create it again.
- **Permission groups** are placed the same way in nested stacks ``GroupsNN``, by a bucket derived
  from environment and name alone (32 buckets): a group never moves between stacks when others are
  added or removed, which would delete it and create it again. The parent holds only nested stacks
  (at most 96) and, without ``provider``, the provider.
- **Group ids reach the users' stacks as lists, never one parameter per group.** A users stack gets
  one ``CommaDelimitedList`` parameter ``GroupIdsKK`` per group bucket whose groups its users name;
  its value is an output ``IdsForUsersNN`` of ``GroupsKK``: the ids of exactly the groups of bucket KK
  that users of bucket NN name, in the order of their logical ids; a user takes each with
  ``Fn::Select``. So a users stack has at most 32 such parameters and a groups stack at most 64
  outputs, whatever the number of groups; the parent passes one ``Fn::GetAtt`` per pair (its groups
  stacks have short logical ids ``GroupsKK`` for that), so its template grows with the buckets, not
  with the groups: at most 64 x 32 pairs, about 320 KB, read from S3. Outputs narrowed to one
  users bucket keep changes local: a new group changes no users stack until a user names it, and a
  new membership changes only its own pair's list. A shifted position changes a ``Fn::Select``
  index, never the resolved id: the user's properties, as its handler gets them, stay equal
  (docs/FACTS.md, on what CloudFormation sends then).
  *Why not* one parameter per group (CDK's automatic cross-stack references): 250 groups named in
  one users bucket make 250 parameters, over the 200 allowed. *Why not* exports and
  ``Fn::ImportValue``: an export in use cannot be removed, so dropping a group and its memberships
  in one deploy would fail, and each export is account-wide. *Why not* one output per group joined
  by the parent: the parent would carry one reference per (users bucket, group) pair, over 1 MB
  for large files.
- Limits this leaves: a list holds at most 151 ids (26 characters each, with commas, in 4,096
  bytes), so the users of one users bucket may name at most 151 groups of one group bucket (a user
  in every group allows about 3,500 groups, spread by hash over the 32); a users bucket holds up to
  500 users (about 20,000 in all). Beyond either, synthesis fails with a message saying which.
- A users stack synthesized before the group buckets held its groups itself: the first deploy of
  this layout moves every group to its ``GroupsKK`` (README: Upgrading).

Construct ids (and so logical ids) come from the environment and the email or group name, never
the position.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, cast

from aws_cdk import Annotations, Aws, CfnOutput, CfnParameter, Fn, NestedStack, RemovalPolicy, Stack, Token
from aws_cdk import aws_iam as iam
from constructs import Construct

from .cloudformation_quotas import MAX_PARAMETER_VALUE_BYTES
from .handler_shared import email_key
from .permission_group import FinSpacePermissionGroup
from .provider import FinSpaceUserProvider
from .provider_identity import PROVIDER_STACK_NAME, USERS_STACK_NAME, provider_role_prefix
from .user import FinSpaceUser
from .users_file import ResolvedGroup, ResolvedUser

__all__ = ["BUCKETS", "GROUP_BUCKETS", "PROVIDER_STACK_NAME", "USERS_STACK_NAME", "FinSpaceUserProviderStack",
           "FinSpaceUsersStack", "bucket_of", "group_bucket_of", "group_construct_id", "provider_role_name",
           "user_construct_id", "user_id_of"]

# 64 buckets keep each nested stack far below 500 resources up to ~20,000 users. Changing
# this number moves users between stacks: never change it for a deployed file.
BUCKETS = 64
# 32 buckets of groups: at most 32 list parameters per users stack, and about 4,800 groups before
# one (users bucket, group bucket) list outgrows a parameter value. Never change it for a deployed
# file: groups would move between stacks.
GROUP_BUCKETS = 32
MAX_ID_CHARS = 26  # a FinSpace permissionGroupId (the service model: 1-26 characters)
MAX_IDS_PER_LIST = (MAX_PARAMETER_VALUE_BYTES + 1) // (MAX_ID_CHARS + 1)  # 151, comma-separated
REMOVAL_POLICIES = {"destroy": RemovalPolicy.DESTROY, "retain": RemovalPolicy.RETAIN}


def provider_role_name(provider_stack_name: str = PROVIDER_STACK_NAME, region: str = Aws.REGION) -> str:
    """The provider role's name: ``<provider stack name>-<region>`` (IAM names are global to the
    account, FinSpace environments are regional)."""
    return f"{provider_role_prefix(provider_stack_name)}{region}"


def bucket_of(email: str) -> int:
    """The bucket of an email: stable, and independent of every other user."""
    return int(hashlib.sha256(email_key(email).encode()).hexdigest(), 16) % BUCKETS


def group_bucket_of(environment_id: str, name: str) -> int:
    """The bucket of a group: from environment and name alone (the hash its logical id is made of)."""
    return int(_digest(environment_id, name), 16) % GROUP_BUCKETS


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
    return f"{kind}{_digest(environment_id, key)[:16].upper()}"


def _digest(environment_id: str, key: str) -> str:
    return hashlib.sha256(f"{environment_id}:{key}".encode()).hexdigest()


class FinSpaceUsersStack(Stack):
    """One nested stack ``GroupsKK`` per non-empty bucket of permission groups and one ``UsersNN`` per
    non-empty bucket of users; group ids reach users as lists (module docstring).

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
        by_key = {(g.environment_id, g.name): g for g in groups}
        user_buckets: dict[int, list[ResolvedUser]] = defaultdict(list)
        for user in users:
            user_buckets[bucket_of(user.email)].append(user)
        # (users bucket, group bucket) -> the groups its users name, in logical id order: the list's positions
        lists: dict[tuple[int, int], list[ResolvedGroup]] = {}
        for bucket, members in sorted(user_buckets.items()):
            named = {by_key[(u.environment_id, name)] for u in members for name in u.permission_groups}
            for group in sorted(named, key=group_construct_id):
                lists.setdefault((bucket, group_bucket_of(group.environment_id, group.name)), []).append(group)
        passed = self._declare_groups(groups, lists, provider)
        for bucket in sorted(user_buckets):
            pairs = sorted(k for n, k in lists if n == bucket)
            nested = NestedStack(self, f"Users{bucket:02d}",
                                 parameters={f"GroupIds{k:02d}": passed[(bucket, k)] for k in pairs})
            ids = {k: CfnParameter(nested, f"GroupIds{k:02d}", type="CommaDelimitedList",
                                   description=f"ids of the groups of Groups{k:02d} named here").value_as_list
                   for k in pairs}
            position = {(g.environment_id, g.name): (k, i) for k in pairs for i, g in enumerate(lists[(bucket, k)])}
            for user in sorted(user_buckets[bucket], key=user_construct_id):
                member_of = [Fn.select(index, ids[k]) for k, index in
                             (position[(user.environment_id, name)] for name in user.permission_groups)]
                _declare(nested, user, provider, member_of)

    def _declare_groups(self, groups: Sequence[ResolvedGroup], lists: dict[tuple[int, int], list[ResolvedGroup]],
                        provider: FinSpaceUserProvider) -> dict[tuple[int, int], str]:
        """The nested stacks ``GroupsKK``; for each (users bucket, group bucket), what the parent passes to
        the users stack: the output of ``GroupsKK`` listing the ids its users name."""
        group_buckets: dict[int, list[ResolvedGroup]] = defaultdict(list)
        for group in groups:
            group_buckets[group_bucket_of(group.environment_id, group.name)].append(group)
        passed: dict[tuple[int, int], str] = {}
        for k in sorted(group_buckets):
            nested = NestedStack(self, f"Groups{k:02d}")
            resource = nested.nested_stack_resource
            assert resource is not None
            resource.override_logical_id(f"Groups{k:02d}")  # short: the parent names it once per list it passes
            declared = {(g.environment_id, g.name): _declare_group(nested, g, provider)
                        for g in sorted(group_buckets[k], key=group_construct_id)}
            for (bucket, group_bucket), named in sorted(lists.items()):
                if group_bucket != k:
                    continue
                if len(named) > MAX_IDS_PER_LIST:
                    raise ValueError(
                        f"{self.node.path}: the users of Users{bucket:02d} name {len(named)} permission groups of "
                        f"Groups{k:02d}; their ids ({MAX_ID_CHARS} characters each) would exceed CloudFormation's "
                        f"{MAX_PARAMETER_VALUE_BYTES} bytes per parameter value beyond {MAX_IDS_PER_LIST}: split the "
                        "users file into several users stacks")
                name = f"IdsForUsers{bucket:02d}"
                CfnOutput(nested, name, value=Fn.join(",", [declared[(g.environment_id, g.name)].permission_group_id
                                                            for g in named]))
                passed[(bucket, k)] = Token.as_string(resource.get_att(f"Outputs.{name}"))
        return passed


def _declare_group(scope: Construct, group: ResolvedGroup, provider: FinSpaceUserProvider) -> FinSpacePermissionGroup:
    return FinSpacePermissionGroup(
        scope, group_construct_id(group), environment_id=group.environment_id,
        name=group.name, application_permissions=group.application_permissions, description=group.description,
        removal_policy=REMOVAL_POLICIES[group.removal_policy], provider=provider,
        adopt_existing=group.adopt_existing, reapply=group.reapply,
    )


def _declare(scope: Construct, user: ResolvedUser, provider: FinSpaceUserProvider,
             member_of: list[str]) -> FinSpaceUser:
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
