"""Users still CREATING (docs/DESIGN.md): the emulator refuses every mutation of a CREATING user with
409, as the stricter reading of the API model allows; every operation of the handler waits and acts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from finspace_local.state import BackendSettings
from tests.conftest import ENVIRONMENT_ID
from tests.functional.stack_harness import StackHarness, group, template, user

CREATING_S = 1.5


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[StackHarness]:
    """New users stay CREATING for a while after CreateUser answered."""
    harness = StackHarness(tmp_path, backend=BackendSettings(environments=frozenset({ENVIRONMENT_ID}),
                                                              creating_seconds=CREATING_S))
    yield harness
    harness.close()


def test_the_emulator_refuses_every_mutation_of_a_creating_user(slow: StackHarness) -> None:
    backend = slow.emulator.backend
    user_id = backend.call("CreateUser", {"emailAddress": "new@example.com", "type": "APP_USER"},
                           environment_id=ENVIRONMENT_ID)["userId"]
    group_id = backend.call("CreatePermissionGroup", {"name": "g", "applicationPermissions": ["ViewAuditData"]},
                            environment_id=ENVIRONMENT_ID)["permissionGroupId"]

    for operation, params in (("UpdateUser", {"userId": user_id, "firstName": "X"}),
                              ("DisableUser", {"userId": user_id}),
                              ("AssociateUserToPermissionGroup", {"userId": user_id, "permissionGroupId": group_id})):
        with pytest.raises(Exception, match="still being created"):
            backend.call(operation, params, environment_id=ENVIRONMENT_ID)


def test_update_delete_and_memberships_sent_while_creating_all_succeed(slow: StackHarness) -> None:
    created = slow.deploy(template(G=group("g"), Cy=user("cy@example.com")))
    updated = slow.deploy(template(G=group("g"), Cy=user("cy@example.com", FirstName="Cy", PermissionGroupIds=[
        {"Fn::GetAtt": ["G", "PermissionGroupId"]}])))  # at once: the user is still CREATING
    deleted = slow.delete()

    assert (created.status, updated.status, deleted.status) == ("CREATE_COMPLETE", "UPDATE_COMPLETE",
                                                                 "DELETE_COMPLETE")
    assert slow.users()["cy@example.com"]["status"] == "DISABLED"
    assert slow.users()["cy@example.com"]["firstName"] == "Cy"


def test_a_new_member_and_enabled_false_wait_for_creating_to_end(slow: StackHarness) -> None:
    result = slow.deploy(template(G=group("g"), Di=user("di@example.com", Enabled="false", PermissionGroupIds=[
        {"Fn::GetAtt": ["G", "PermissionGroupId"]}]), Ed=user("ed@example.com", PermissionGroupIds=[
            {"Fn::GetAtt": ["G", "PermissionGroupId"]}])))

    assert result.status == "CREATE_COMPLETE"
    assert slow.users()["di@example.com"]["status"] == "DISABLED"
    assert set(slow.groups_of("ed@example.com").values()) <= {"ADDITION_SUCCESS", "ADDITION_IN_PROGRESS"}
    assert slow.groups_of("ed@example.com")
