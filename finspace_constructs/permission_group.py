"""``FinSpacePermissionGroup``: a FinSpace permission group as a CloudFormation resource."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import RemovalPolicy
from constructs import Construct

from ._resource import provider_resource, validate_literals
from .enums import ApplicationPermission
from .handler_shared import GROUP_FIELDS
from .handler_shared import GROUP_RESOURCE_TYPE as RESOURCE_TYPE
from .provider import FinSpaceUserProvider
from .resource_properties import group_properties

__all__ = ["FinSpacePermissionGroup"]

_PROP_NAMES = {"EnvironmentId": "environment_id", "Name": "name", "Description": "description",
               "ApplicationPermissions": "application_permissions", "AdoptExisting": "adopt_existing",
               "Reapply": "reapply"}


class FinSpacePermissionGroup(Construct):
    """A FinSpace permission group, served by the same provider as the stack's users.

    :param environment_id: the FinSpace environment.
    :param name: 1-255 characters; a change renames the group in place.
    :param application_permissions: what members may do (``ApplicationPermission``).
    :param description: 1-4000 characters. Default: - none (removing it later keeps the old one).
    :param removal_policy: ``DESTROY`` deletes the group when the resource leaves the stack (refused
        while it has ENABLED members); ``RETAIN`` keeps it. Default: ``DESTROY``.
    :param provider: Default: - the stack's shared provider.
    :param adopt_existing: take over an existing group with this name (only what differs is changed).
        Default: ``False`` (such a group makes the deployment fail with a message saying so).
    :param reapply: any new value makes the next deploy re-apply the declaration. Default: - none.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment_id: str,
        name: str,
        application_permissions: Sequence[ApplicationPermission],
        description: str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
        provider: FinSpaceUserProvider | None = None,
        adopt_existing: bool = False,
        reapply: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        properties = group_properties(environment_id=environment_id, name=name, description=description,
                                      application_permissions=application_permissions,
                                      adopt_existing=adopt_existing, reapply=reapply)
        validate_literals(self, properties, GROUP_FIELDS, _PROP_NAMES)
        self.environment_id = environment_id
        self.provider = provider or FinSpaceUserProvider.of(self)
        self.resource = provider_resource(self, self.provider, RESOURCE_TYPE, properties, removal_policy)
        self._permission_group_id: str | None = None

    @property
    def permission_group_id(self) -> str:
        """The FinSpace permissionGroupId (a token), made once: every member asks for it."""
        if self._permission_group_id is None:
            self._permission_group_id = self.resource.get_att_string("PermissionGroupId")
        return self._permission_group_id
