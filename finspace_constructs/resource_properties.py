"""The custom resources' properties from the constructs' arguments: plain values in, no CDK.

One mapping for both users of it: :class:`~finspace_constructs.user.FinSpaceUser` and
:class:`~finspace_constructs.permission_group.FinSpacePermissionGroup` (whose values may be CDK
tokens, passed through untouched), and ``finspace-users drift``, which parses the very same
properties with the handler's own rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from .enums import ApiAccess, ApplicationPermission, UserType

__all__ = ["group_properties", "user_properties"]

Properties = dict[str, str | list[str]]


def user_properties(
    *,
    environment_id: str,
    email_address: str,
    type: UserType | str,  # noqa: A002 - the API's own name for it
    first_name: str | None = None,
    last_name: str | None = None,
    api_access: ApiAccess | str | None = None,
    api_access_principal_arn: str | None = None,
    enabled: bool = True,
    adopt_existing: bool = False,
    permission_group_ids: Sequence[str] = (),
    reapply: str | None = None,
) -> Properties:
    """``Custom::FinSpaceUser``'s properties; API access defaults to ENABLED with a principal."""
    access = api_access or (ApiAccess.ENABLED if api_access_principal_arn else ApiAccess.DISABLED)
    declared: dict[str, str | list[str] | None] = {
        "EnvironmentId": environment_id,
        "EmailAddress": email_address,
        "Type": UserType(type).value,
        "FirstName": first_name,
        "LastName": last_name,
        "ApiAccess": ApiAccess(access).value,
        "ApiAccessPrincipalArn": api_access_principal_arn,
        "Enabled": "true" if enabled else "false",
        "AdoptExisting": "true" if adopt_existing else "false",
        "PermissionGroupIds": list(permission_group_ids) or None,
        "Reapply": reapply,
    }
    return _given(declared)


def group_properties(
    *,
    environment_id: str,
    name: str,
    application_permissions: Sequence[ApplicationPermission | str],
    description: str | None = None,
    adopt_existing: bool = False,
    reapply: str | None = None,
) -> Properties:
    """``Custom::FinSpacePermissionGroup``'s properties."""
    declared: dict[str, str | list[str] | None] = {
        "EnvironmentId": environment_id,
        "Name": name,
        "Description": description,
        "ApplicationPermissions": [ApplicationPermission(p).value for p in application_permissions],
        "AdoptExisting": "true" if adopt_existing else None,  # absent by default: templates stay as they were
        "Reapply": reapply,
    }
    return _given(declared)


def _given(declared: dict[str, str | list[str] | None]) -> Properties:
    """The properties that have a value: an absent one is the handler's default."""
    return {k: v for k, v in declared.items() if v is not None}
