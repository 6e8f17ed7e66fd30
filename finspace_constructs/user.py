"""``FinSpaceUser``: one Amazon FinSpace user as a CloudFormation resource."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from aws_cdk import Annotations, RemovalPolicy
from aws_cdk import aws_iam as iam
from constructs import Construct

from ._resource import provider_resource, validate_literals
from .enums import ApiAccess, UserType
from .handler_shared import API_ACCESS_ENABLED, FIELDS, USER_RESOURCE_TYPE
from .permission_group import FinSpacePermissionGroup
from .provider import FinSpaceUserProvider
from .provider_identity import names_provider_role
from .resource_properties import user_properties
from .tokens import is_token

__all__ = ["FinSpaceUser"]

RESOURCE_TYPE = USER_RESOURCE_TYPE


class FinSpaceUser(Construct):
    """An Amazon FinSpace user, created with CreateUser and disabled when removed.

    :param environment_id: the FinSpace environment (used for programmatic access credentials).
    :param email_address: the user's identity; changing it replaces the user.
    :param type: ``UserType.SUPER_USER`` or ``UserType.APP_USER``.
    :param first_name: 1-50 characters. Default: - not set (removing it later leaves the name as is).
    :param last_name: 1-50 characters. Default: - not set (as ``first_name``).
    :param api_access: whether the user may use the FinSpace APIs. Default: - ``ENABLED`` when
        ``api_access_principal`` is given, else ``DISABLED``.
    :param api_access_principal: the IAM role (or role ARN) that acts as this user in the APIs.
        Default: - none.
    :param enabled: the user's FinSpace status. Default: ``True``.
    :param adopt_existing: take over an ENABLED user that already has this email. Default: ``False``
        (such a user makes the deployment fail with a message saying so).
    :param removal_policy: ``RETAIN`` keeps the user enabled when the resource leaves the stack;
        ``DESTROY`` disables it (FinSpace users cannot be deleted). Default: ``DESTROY``.
    :param permission_groups: the groups (constructs or ids) the user belongs to; changes add and
        remove only the difference; memberships made outside the stack are kept. Default: - none
        (an APP_USER then has no permissions: one synthesis warning per scope names the first).
    :param provider: the provider serving this resource. Default: - the stack's shared provider.
    :param reapply: any new value (a date, a ticket) makes the next deploy re-apply the declaration:
        fields, status and memberships (undeclared ones removed) corrected to it. Default: - none.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment_id: str,
        email_address: str,
        type: UserType,  # noqa: A002 - the API's own name for it
        first_name: str | None = None,
        last_name: str | None = None,
        api_access: ApiAccess | None = None,
        api_access_principal: iam.IRole | str | None = None,
        enabled: bool = True,
        adopt_existing: bool = False,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
        permission_groups: Sequence[FinSpacePermissionGroup | str] = (),
        provider: FinSpaceUserProvider | None = None,
        reapply: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        principal_arn = api_access_principal if isinstance(api_access_principal, str) or api_access_principal is None \
            else api_access_principal.role_arn
        properties = user_properties(
            environment_id=environment_id, email_address=email_address, type=type, first_name=first_name,
            last_name=last_name, api_access=api_access, api_access_principal_arn=principal_arn, enabled=enabled,
            adopt_existing=adopt_existing, reapply=reapply,
            permission_group_ids=[g if isinstance(g, str) else g.permission_group_id for g in permission_groups],
        )
        validate_literals(self, properties, FIELDS, _PROP_NAMES)
        literal = principal_arn is not None and not is_token(principal_arn)
        _refuse_lockout(self, properties, literal and names_provider_role(str(principal_arn)))
        if (properties.get("ApiAccessPrincipalArn") is not None and properties["ApiAccess"] != API_ACCESS_ENABLED
                and not is_token(str(properties["ApiAccessPrincipalArn"]))):
            raise ValueError(f"FinSpaceUser {self.node.path}: api_access_principal needs api_access=ApiAccess.ENABLED;"
                             " set it or drop the principal")
        if UserType(type) is UserType.APP_USER and not permission_groups and scope not in _WARNED_SCOPES:
            _WARNED_SCOPES.add(scope)
            Annotations.of(scope).add_warning_v2(
                "finspace:appUserWithoutGroups",
                f"an APP_USER gets its permissions only from permission groups, and {self.node.path} (with any "
                "other APP_USER here) has none: pass permission_groups",
            )
        if adopt_existing:
            Annotations.of(self).add_warning_v2(
                "finspace:adoptExisting",
                "adopt_existing takes over an ENABLED FinSpace user with this email; removing this resource "
                "later disables that user (use RemovalPolicy.RETAIN to keep it)",
            )
        self.provider = provider or FinSpaceUserProvider.of(self)
        _refuse_lockout(self, properties, api_access_principal is self.provider.role)
        self.provider.check_user(self, environment_id, email_address, permission_groups)
        self.resource = provider_resource(self, self.provider, RESOURCE_TYPE, properties, removal_policy)

    @property
    def user_id(self) -> str:
        """The FinSpace userId (a token)."""
        return self.resource.get_att_string("UserId")

    @property
    def status(self) -> str:
        """The user's status when last deployed: ``ENABLED``, ``DISABLED`` or ``CREATING`` (a token)."""
        return self.resource.get_att_string("Status")


# Scopes already warned about group-less APP_USERs: one warning per scope, not one per user (a users
# file of thousands would repeat it thousands of times, each costing jsii calls and a stack trace).
_WARNED_SCOPES: weakref.WeakSet[Construct] = weakref.WeakSet()

_PROP_NAMES = {
    "EnvironmentId": "environment_id", "EmailAddress": "email_address", "Type": "type",
    "FirstName": "first_name", "LastName": "last_name", "ApiAccess": "api_access",
    "ApiAccessPrincipalArn": "api_access_principal", "Enabled": "enabled", "AdoptExisting": "adopt_existing",
    "PermissionGroupIds": "permission_groups", "Reapply": "reapply",
}


def _refuse_lockout(user: FinSpaceUser, properties: dict[str, Any], provider_principal: bool) -> None:
    """A user whose principal is the provider's role is the one the provider signs in as: disabling it,
    or taking its API access, would lock the provider out (the handler refuses it at deploy time)."""
    if not provider_principal:
        return
    wrong = (["enabled=False"] if properties["Enabled"] == "false" else []) + (
        ["api_access=ApiAccess.DISABLED"] if properties["ApiAccess"] != API_ACCESS_ENABLED else [])
    if wrong:
        raise ValueError(f"FinSpaceUser {user.node.path}: api_access_principal is the provider's role, so this is the "
                         f"provider's own FinSpace user, and {' and '.join(wrong)} would lock the provider out; keep "
                         "it enabled with API access, or register another user for the provider role first "
                         "(README: Bootstrap)")
