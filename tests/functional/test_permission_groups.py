"""Permission groups and memberships as code, through the driver, the real handler and the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from finspace_local.state import BackendSettings
from tests.conftest import ENVIRONMENT_ID
from tests.functional.stack_harness import StackHarness, group, template, user


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StackHarness]:
    harness = StackHarness(tmp_path)
    yield harness
    harness.close()


def member_of(*logical_ids: str) -> dict[str, list[dict[str, str]]]:
    return {"PermissionGroupIds": [{"Ref": lid} for lid in logical_ids]}


def test_group_is_created_renamed_and_repermissioned_in_place(stack: StackHarness) -> None:
    created = stack.deploy(template(Quants=group("quants", "ViewAuditData")))
    group_id = created.resource_ids()["Quants"]
    stack.emulator.clear_calls()

    renamed = stack.deploy(template(Quants=group("quant-research", "ViewAuditData")))
    repermissioned = stack.deploy(template(Quants=group("quant-research", "ViewAuditData", "AccessNotebooks")))

    assert (renamed.status, repermissioned.status) == ("UPDATE_COMPLETE", "UPDATE_COMPLETE")
    assert renamed.resource_ids()["Quants"] == repermissioned.resource_ids()["Quants"] == group_id
    assert [c.members for c in stack.emulator.calls_of("UpdatePermissionGroup")] == [
        ("clientToken", "name", "permissionGroupId"), ("applicationPermissions", "clientToken", "permissionGroupId")]
    found = stack.emulator.backend.call("GetPermissionGroup", {"permissionGroupId": group_id})["permissionGroup"]
    assert (found["name"], found["applicationPermissions"]) == ("quant-research", ["ViewAuditData", "AccessNotebooks"])
    assert created.stack.resources["Quants"].data == {"PermissionGroupId": group_id}


def test_user_joins_its_declared_groups_on_create(stack: StackHarness) -> None:
    ann = user("ann@example.com", **member_of("G1", "G2"))

    result = stack.deploy(template(G1=group("g1"), G2=group("g2"), Ann=ann))
    ids = result.resource_ids()
    assert result.status == "CREATE_COMPLETE"
    assert stack.groups_of("ann@example.com") == {ids["G1"]: "ADDITION_SUCCESS", ids["G2"]: "ADDITION_SUCCESS"}


def test_membership_moves_by_the_declared_difference_and_keeps_outside_memberships(stack: StackHarness) -> None:
    first = stack.deploy(template(G1=group("g1"), G2=group("g2"), G3=group("g3"),
                                  Ben=user("ben@example.com", **member_of("G1"))))
    ids = first.resource_ids()
    stack.emulator.backend.call("AssociateUserToPermissionGroup",
                                {"permissionGroupId": ids["G3"], "userId": ids["Ben"]})  # added by hand
    stack.emulator.clear_calls()

    moved = stack.deploy(template(G1=group("g1"), G2=group("g2"), G3=group("g3"),
                                  Ben=user("ben@example.com", **member_of("G2"))))

    assert moved.status == "UPDATE_COMPLETE"
    assert stack.mutating_calls() == ["AssociateUserToPermissionGroup", "DisassociateUserFromPermissionGroup"]
    assert stack.groups_of("ben@example.com") == {ids["G2"]: "ADDITION_SUCCESS", ids["G3"]: "ADDITION_SUCCESS"}


def test_failed_membership_change_is_rolled_back(stack: StackHarness) -> None:
    first = stack.deploy(template(G1=group("g1"), G2=group("g2"), Cat=user("cat@example.com", **member_of("G1"))))
    ids = first.resource_ids()

    result = stack.deploy(template(G1=group("g1"), G2=group("g2"), Cat=user("cat@example.com", **member_of("G2")),
                                   Bad=user("not-an-email")))

    assert result.status == "UPDATE_ROLLBACK_COMPLETE"
    assert stack.groups_of("cat@example.com") == {ids["G1"]: "ADDITION_SUCCESS"}


def test_memberships_wait_for_the_asynchronous_status(tmp_path: Path) -> None:
    backend = BackendSettings(environments=frozenset({ENVIRONMENT_ID}), membership_seconds=1.5)
    harness = StackHarness(tmp_path, backend=backend)
    try:
        result = harness.deploy(template(G1=group("g1"), Dan=user("dan@example.com", **member_of("G1"))))
        polls = len(harness.emulator.calls_of("ListPermissionGroupsByUser"))
        memberships = harness.groups_of("dan@example.com")
    finally:
        harness.close()

    assert result.status == "CREATE_COMPLETE"
    assert polls >= 3
    assert list(memberships.values()) == ["ADDITION_SUCCESS"]


def test_memberships_that_do_not_settle_fail_clearly_before_the_timeout(tmp_path: Path) -> None:
    backend = BackendSettings(environments=frozenset({ENVIRONMENT_ID}), membership_seconds=3600)
    harness = StackHarness(tmp_path, backend=backend, timeout_s=8)
    try:
        result = harness.deploy(template(G1=group("g1"), Eve=user("eve@example.com", **member_of("G1"))))
    finally:
        harness.close()

    reason = next(e.reason for e in result.events if e.status == "CREATE_FAILED")
    assert result.status == "ROLLBACK_COMPLETE"
    assert reason.startswith("Memberships of user ")
    assert reason.endswith("did not settle in time (still in progress in FinSpace); deploy again")


def test_a_group_that_does_not_exist_fails_the_user_clearly(stack: StackHarness) -> None:
    result = stack.deploy(template(Fay=user("fay@example.com", PermissionGroupIds=["nosuchgroup"])))

    assert result.status == "ROLLBACK_COMPLETE"
    assert next(e.reason for e in result.events if e.status == "CREATE_FAILED") == (
        "PermissionGroupIds: permission group nosuchgroup does not exist; create it or remove it from the declaration")


def test_deleting_a_group_with_enabled_members_keeps_it_and_loses_nothing(stack: StackHarness) -> None:
    first = stack.deploy(template(G1=group("g1"), Gus=user("gus@example.com", **member_of("G1"))))
    ids = first.resource_ids()
    outsider = stack.emulator.backend.call("CreateUser", {"emailAddress": "outsider@example.com", "type": "APP_USER"})
    stack.emulator.backend.call("AssociateUserToPermissionGroup",
                                {"permissionGroupId": ids["G1"], "userId": outsider["userId"]})

    result = stack.delete()

    assert result.status == "DELETE_COMPLETE"  # a destroy always completes
    assert "DeletePermissionGroup" not in stack.mutating_calls()
    assert any(f"Permission group {ids['G1']} kept: it still has 1 enabled member(s)" in line
               for line in stack.function.logs)
    assert stack.groups_of("outsider@example.com") == {ids["G1"]: "ADDITION_SUCCESS"}
    assert stack.users()["gus@example.com"]["status"] == "DISABLED"  # its own user went first


def test_stack_delete_removes_a_group_whose_members_are_all_disabled(stack: StackHarness) -> None:
    stack.deploy(template(G1=group("g1"), Hal=user("hal@example.com", **member_of("G1"))))

    result = stack.delete()

    assert result.status == "DELETE_COMPLETE"
    assert stack.emulator.backend.call("ListPermissionGroups", {"maxResults": 10})["permissionGroups"] == []


def test_a_group_deleted_outside_the_stack_does_not_block_its_users_or_their_rollback(stack: StackHarness) -> None:
    first = stack.deploy(template(G1=group("g1"), Ivy=user("ivy@example.com", **member_of("G1"))))
    stack.emulator.backend.call("DeletePermissionGroup", {"permissionGroupId": first.resource_ids()["G1"]})

    result = stack.deploy(template(G1=group("g1"), Ivy=user("ivy@example.com", LastName="New", **member_of("G1"))))

    assert result.status == "UPDATE_COMPLETE"
    assert stack.users()["ivy@example.com"]["lastName"] == "New"
    assert stack.groups_of("ivy@example.com") == {}


def test_an_enabled_member_beyond_the_first_page_still_keeps_the_group(stack: StackHarness) -> None:
    created = stack.deploy(template(G1=group("g1")))
    group_id = created.resource_ids()["G1"]
    backend = stack.emulator.backend
    for index in range(101):  # 100 disabled members fill the first page; the enabled one is on the second
        user_id = backend.call("CreateUser", {"emailAddress": f"m{index}@example.com", "type": "APP_USER"})["userId"]
        backend.call("AssociateUserToPermissionGroup", {"permissionGroupId": group_id, "userId": user_id})
        if index < 100:
            backend.call("DisableUser", {"userId": user_id})

    result = stack.delete()

    assert result.status == "DELETE_COMPLETE"
    assert "DeletePermissionGroup" not in stack.mutating_calls()
    assert any("still has 1 enabled member(s)" in line for line in stack.function.logs)


def test_fails_if_the_name_is_taken_and_adopts_it_with_adopt_existing(stack: StackHarness) -> None:
    existing = stack.emulator.backend.call(
        "CreatePermissionGroup", {"name": "quants", "applicationPermissions": ["ViewAuditData"]})["permissionGroupId"]

    refused = stack.deploy(template(Quants=group("quants", "ViewAuditData")))
    stack.delete()
    stack.emulator.clear_calls()
    adopted = stack.deploy(template(Quants=group("quants", "ViewAuditData", AdoptExisting="true")))

    assert refused.status == "ROLLBACK_COMPLETE"
    assert any("set AdoptExisting: true to manage that group" in e.reason for e in refused.events)
    assert adopted.status == "CREATE_COMPLETE"
    assert adopted.resource_ids()["Quants"] == existing
    assert stack.mutating_calls() == []  # the same permissions: adopted without any change


def test_adopting_changes_only_what_differs(stack: StackHarness) -> None:
    existing = stack.emulator.backend.call(
        "CreatePermissionGroup", {"name": "quants", "applicationPermissions": ["ViewAuditData"]})["permissionGroupId"]

    adopted = stack.deploy(template(Quants=group("quants", "AccessNotebooks", AdoptExisting="true")))

    assert adopted.resource_ids()["Quants"] == existing
    assert [c.members for c in stack.emulator.calls_of("UpdatePermissionGroup")] == [
        ("applicationPermissions", "clientToken", "permissionGroupId")]


def test_reapply_re_adds_a_membership_removed_outside_and_removes_one_added_outside(stack: StackHarness) -> None:
    first = stack.deploy(template(G1=group("g1"), G2=group("g2"), Ben=user("ben@example.com", **member_of("G1"))))
    ids = first.resource_ids()
    backend = stack.emulator.backend
    backend.call("DisassociateUserFromPermissionGroup", {"permissionGroupId": ids["G1"], "userId": ids["Ben"]})
    backend.call("AssociateUserToPermissionGroup", {"permissionGroupId": ids["G2"], "userId": ids["Ben"]})

    again = stack.deploy(template(G1=group("g1"), G2=group("g2"),
                                  Ben=user("ben@example.com", Reapply="2026-01-01", **member_of("G1"))))

    assert again.status == "UPDATE_COMPLETE"
    assert stack.groups_of("ben@example.com") == {ids["G1"]: "ADDITION_SUCCESS"}
