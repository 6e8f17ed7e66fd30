"""The emulator refuses what FinSpace refuses: programmatic credentials only for a registered role,
user management only for a user that may manage users. Real boto3 over HTTPS."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from finspace_local import Emulator
from lambda_handler.client import new_finspace_client
from tests.conftest import ENVIRONMENT_ID, REGION, EmulatorFactory, caller_client, user_client

if TYPE_CHECKING:
    from mypy_boto3_finspace_data import FinSpaceDataClient

NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})
OTHER_KEYS = ("AKIAOTHERROLEEXAMPLE", "other-role-secret", None)
OTHER_ROLE = "arn:aws:iam::123456789012:role/other-automation"


def denied(exc: pytest.ExceptionInfo[ClientError]) -> str:
    """The message of an AccessDeniedException answered with HTTP 403."""
    response = exc.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessDeniedException",
                                                                                           403)
    return str(response["Error"]["Message"])


def other_caller() -> FinSpaceDataClient:
    return new_finspace_client(region_name=REGION, credentials=OTHER_KEYS, config=NO_RETRY)


def as_other_role(environment_id: str = ENVIRONMENT_ID) -> FinSpaceDataClient:
    issued = other_caller().get_programmatic_access_credentials(environmentId=environment_id)["credentials"]
    keys = (issued["accessKeyId"], issued["secretAccessKey"], issued["sessionToken"])
    return new_finspace_client(region_name=REGION, credentials=keys, config=NO_RETRY)


@pytest.fixture
def other_role(emulator: Emulator) -> Emulator:
    """The emulator, where IAM knows OTHER_KEYS as OTHER_ROLE (not registered yet)."""
    emulator.backend.assign_role(OTHER_KEYS[0], OTHER_ROLE, secret_access_key=OTHER_KEYS[1])
    return emulator


def test_unregistered_role_gets_no_credentials(make_emulator: EmulatorFactory) -> None:
    make_emulator(register_caller=False)

    with pytest.raises(ClientError) as exc:
        caller_client(config=NO_RETRY).get_programmatic_access_credentials(environmentId=ENVIRONMENT_ID)

    assert "is not registered in environment testenv" in denied(exc)


def test_keys_of_no_known_role_get_no_credentials(emulator: Emulator) -> None:
    with pytest.raises(ClientError) as exc:
        other_caller().get_programmatic_access_credentials(environmentId=ENVIRONMENT_ID)

    response = exc.value.response  # what AWS answers for an access key IAM does not know
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "UnrecognizedClientException", 403)


def test_registered_user_without_api_access_gets_no_credentials(other_role: Emulator) -> None:
    user_client().create_user(emailAddress="bot@example.com", type="SUPER_USER", apiAccess="DISABLED",
                              apiAccessPrincipalArn=OTHER_ROLE)

    with pytest.raises(ClientError) as exc:
        other_caller().get_programmatic_access_credentials(environmentId=ENVIRONMENT_ID)

    assert denied(exc).endswith("has API access DISABLED")


def test_disabled_registered_user_loses_access_at_once(other_role: Emulator) -> None:
    user_id = other_role.web_app.register_role(ENVIRONMENT_ID, OTHER_ROLE, email="bot@example.com")
    client = as_other_role()
    client.list_users(maxResults=1)  # works while enabled

    user_client().disable_user(userId=user_id)

    with pytest.raises(ClientError) as later_call:
        client.list_users(maxResults=1)
    with pytest.raises(ClientError) as new_credentials:
        other_caller().get_programmatic_access_credentials(environmentId=ENVIRONMENT_ID)
    assert denied(later_call).endswith("is DISABLED")
    assert denied(new_credentials) == f"Role {OTHER_ROLE} is registered to user {user_id}, which is DISABLED"


def test_removing_api_access_stops_issued_credentials(other_role: Emulator) -> None:
    user_id = other_role.web_app.register_role(ENVIRONMENT_ID, OTHER_ROLE, email="bot@example.com")
    client = as_other_role()

    user_client().update_user(userId=user_id, apiAccess="DISABLED")

    with pytest.raises(ClientError) as exc:
        client.create_user(emailAddress="x@example.com", type="APP_USER")
    assert "has API access DISABLED" in denied(exc)


def test_app_user_without_manage_users_and_groups_may_not_manage_users(other_role: Emulator) -> None:
    other_role.web_app.register_role(ENVIRONMENT_ID, OTHER_ROLE, email="bot@example.com", user_type="APP_USER")
    client = as_other_role()  # credentials are issued: any registered user with API access gets them

    with pytest.raises(ClientError) as exc:
        client.create_user(emailAddress="x@example.com", type="APP_USER")

    assert "may not manage users and groups" in denied(exc)
    assert "x@example.com" not in {u["emailAddress"] for u in user_client().list_users(maxResults=10)["users"]}


def test_app_user_in_a_group_with_manage_users_and_groups_may_manage_users(other_role: Emulator) -> None:
    user_id = other_role.web_app.register_role(ENVIRONMENT_ID, OTHER_ROLE, email="bot@example.com",
                                               user_type="APP_USER")
    admin = user_client()
    group_id = admin.create_permission_group(
        name="user-admins", applicationPermissions=["ManageUsersAndGroups", "GetTemporaryCredentials"],
    )["permissionGroupId"]
    admin.associate_user_to_permission_group(permissionGroupId=group_id, userId=user_id)

    created = as_other_role().create_user(emailAddress="x@example.com", type="APP_USER")["userId"]

    assert admin.get_user(userId=created)["status"] == "ENABLED"


def test_caller_keys_may_not_call_user_operations_directly(emulator: Emulator) -> None:
    with pytest.raises(ClientError) as exc:
        caller_client(config=NO_RETRY).list_users(maxResults=1)

    assert denied(exc) == "User operations must be signed with programmatic access credentials"


def test_credentials_act_in_their_own_environment_only(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator(environments=frozenset({ENVIRONMENT_ID, "otherenv"}))
    emulator.backend.assign_role(OTHER_KEYS[0], OTHER_ROLE, secret_access_key=OTHER_KEYS[1])
    emulator.web_app.register_role("otherenv", OTHER_ROLE, email="bot@example.com")
    user_client().create_user(emailAddress="only.here@example.com", type="APP_USER")

    other_env = {u["emailAddress"] for u in as_other_role("otherenv").list_users(maxResults=10)["users"]}
    with pytest.raises(ClientError) as exc:
        other_caller().get_programmatic_access_credentials(environmentId=ENVIRONMENT_ID)

    assert "only.here@example.com" not in other_env
    assert "environment.admin@example.com" in other_env  # each environment starts with its first superuser
    assert "is not registered in environment testenv" in denied(exc)


def test_web_application_steps_never_go_through_the_api(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator(register_caller=False)

    emulator.web_app.register_role(ENVIRONMENT_ID, OTHER_ROLE, email="bot@example.com")

    assert emulator.calls_of() == []
    assert emulator.web_app.is_registered(ENVIRONMENT_ID, OTHER_ROLE)
