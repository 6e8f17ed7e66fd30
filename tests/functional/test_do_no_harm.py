"""Do no harm to what existed before a stack (docs/DESIGN.md, "Do no harm"): one test per way a deploy
used to leave an existing user or group worse, through the driver, the real handler and the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from finspace_local import FaultSettings
from finspace_local.webapp import PROVIDER_USER_EMAIL
from tests.conftest import CALLER_ROLE_ARN, ENVIRONMENT_ID
from tests.functional.stack_harness import StackHarness, group, template, user

TIMES = ("createTime", "lastModifiedTime", "lastEnabledTime", "lastDisabledTime", "lastLoginTime")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StackHarness]:
    harness = StackHarness(tmp_path)
    yield harness
    harness.close()


def call(harness: StackHarness, operation: str, **params: Any) -> dict[str, Any]:
    """A change made outside any stack, as a person in the web application makes it."""
    result: dict[str, Any] = harness.emulator.backend.call(operation, params, environment_id=ENVIRONMENT_ID)
    return result


def existing_user(harness: StackHarness, email: str, **fields: Any) -> str:
    user_id = str(call(harness, "CreateUser", emailAddress=email, type="APP_USER", **fields)["userId"])
    harness.emulator.backend.finish_creating(user_id)
    return user_id


def existing_group(harness: StackHarness, name: str, *permissions: str) -> str:
    return str(call(harness, "CreatePermissionGroup", name=name,
                    applicationPermissions=list(permissions or ("ViewAuditData",)))["permissionGroupId"])


def join(harness: StackHarness, group_id: str, user_id: str) -> None:
    call(harness, "AssociateUserToPermissionGroup", permissionGroupId=group_id, userId=user_id)


def snapshot(harness: StackHarness) -> dict[str, Any]:
    """Every user (fields, status, memberships) and group of the environment, times aside."""
    users = {}
    for row in harness.emulator.web_app.users(ENVIRONMENT_ID):
        groups = call(harness, "ListPermissionGroupsByUser", userId=row["userId"], maxResults=100)
        users[row["emailAddress"]] = ({k: v for k, v in row.items() if k not in TIMES},
                                      sorted(g["permissionGroupId"] for g in groups["permissionGroups"]))
    groups = call(harness, "ListPermissionGroups", maxResults=100)["permissionGroups"]
    return {"users": users, "groups": sorted((g["permissionGroupId"], g["name"], tuple(sorted(
        g["applicationPermissions"]))) for g in groups)}


def provider_still_works(harness: StackHarness) -> bool:
    """The provider can still call FinSpace: a new user deploys in a stack of its own."""
    result = harness.driver.deploy("probe", template(Probe=user("probe@example.com")))
    return result.status == "CREATE_COMPLETE"


def test_a_failed_first_deploy_leaves_adopted_users_and_groups_exactly_as_they_were(stack: StackHarness) -> None:
    quants = existing_group(stack, "quants", "ViewAuditData", "AccessNotebooks")
    people = {f"p{i}@example.com": existing_user(stack, f"p{i}@example.com", firstName=f"P{i}") for i in range(6)}
    for user_id in list(people.values())[:3]:
        join(stack, quants, user_id)
    before = snapshot(stack)
    declared: dict[str, Any] = {"Quants": group("quants", "ViewAuditData", "AccessNotebooks", AdoptExisting="true")}
    for i, email in enumerate(people):
        declared[f"P{i}"] = user(email, FirstName=f"P{i}", AdoptExisting="true",
                                 PermissionGroupIds=[{"Fn::GetAtt": ["Quants", "PermissionGroupId"]}] if i < 3 else [])
    declared["Admin"] = user(PROVIDER_USER_EMAIL, "SUPER_USER")  # ENABLED and not adopted: this one fails

    result = stack.deploy(template(**declared))

    assert result.status == "ROLLBACK_COMPLETE"
    assert snapshot(stack) == before
    assert not any(c in stack.mutating_calls() for c in ("DisableUser", "DeletePermissionGroup"))


def test_a_rollback_restores_what_an_adoption_changed(stack: StackHarness) -> None:
    analysts = existing_group(stack, "analysts")
    other = existing_group(stack, "other")
    ada = existing_user(stack, "ada@example.com", firstName="Ada", lastName="Lovelace")
    bob = existing_user(stack, "bob@example.com", firstName="Bob")  # FinSpace cannot clear a name once set
    call(stack, "DisableUser", userId=bob)
    join(stack, other, ada)
    before = snapshot(stack)

    result = stack.deploy(template(
        Analysts=group("analysts", "ViewAuditData", "AccessNotebooks", AdoptExisting="true"),
        Ada=user("ada@example.com", "SUPER_USER", FirstName="Augusta", AdoptExisting="true",
                 PermissionGroupIds=[analysts]),
        Bob=user("bob@example.com", FirstName="Robert"),  # DISABLED: reclaimed, then put back
        Late={"Type": "Custom::FinSpaceUser", "DependsOn": ["Ada", "Bob", "Analysts"],
              "Properties": {**user(PROVIDER_USER_EMAIL)["Properties"]}},  # fails: an ENABLED user, not adopted
    ))

    assert result.status == "ROLLBACK_COMPLETE"
    assert snapshot(stack) == before
    assert stack.driver.parameters() == {}  # the adoption records went with the rollback


def test_the_provider_never_disables_its_own_user(stack: StackHarness) -> None:
    result = stack.deploy(template(Me=user(PROVIDER_USER_EMAIL, "SUPER_USER", Enabled="false", AdoptExisting="true",
                                             ApiAccess="ENABLED", ApiAccessPrincipalArn=CALLER_ROLE_ARN)))

    assert result.status == "ROLLBACK_COMPLETE"
    (reason,) = [e.reason for e in result.events if e.status == "CREATE_FAILED"]
    assert "provider signs in as" in reason
    assert len(reason) < 256
    assert stack.emulator.web_app.is_registered(ENVIRONMENT_ID, CALLER_ROLE_ARN)
    assert provider_still_works(stack)


def test_the_provider_keeps_its_own_user_when_a_stack_that_adopted_it_is_deleted(stack: StackHarness) -> None:
    declared = template(Me=user(PROVIDER_USER_EMAIL, "SUPER_USER", AdoptExisting="true", ApiAccess="ENABLED",
                                ApiAccessPrincipalArn=CALLER_ROLE_ARN))
    assert stack.deploy(declared).status == "CREATE_COMPLETE"

    assert stack.delete().status == "DELETE_COMPLETE"
    assert stack.emulator.web_app.is_registered(ENVIRONMENT_ID, CALLER_ROLE_ARN)
    assert provider_still_works(stack)


def test_a_group_update_cannot_take_manage_users_from_the_providers_only_group(stack: StackHarness) -> None:
    admins = existing_group(stack, "admins", "ManageUsersAndGroups")
    me = stack.emulator.web_app.register_role(ENVIRONMENT_ID, CALLER_ROLE_ARN, user_type="APP_USER")
    join(stack, admins, me)
    assert stack.deploy(template(Admins=group("admins", "ManageUsersAndGroups", AdoptExisting="true"))).ok

    result = stack.deploy(template(Admins=group("admins", "ViewAuditData", AdoptExisting="true")))

    assert result.status == "UPDATE_ROLLBACK_COMPLETE"
    (reason,) = [e.reason for e in result.events if e.status == "UPDATE_FAILED"]
    assert "ManageUsersAndGroups" in reason
    assert provider_still_works(stack)


def test_a_renamed_logical_id_keeps_the_user_it_adopted_enabled(stack: StackHarness) -> None:
    existing_user(stack, "eve@example.com")
    assert stack.deploy(template(Eve=user("eve@example.com", AdoptExisting="true"))).ok

    result = stack.deploy(template(EveRenamed=user("eve@example.com", AdoptExisting="true")))

    assert result.status == "UPDATE_COMPLETE"
    assert stack.users()["eve@example.com"]["status"] == "ENABLED"
    assert "DisableUser" not in stack.mutating_calls()


def test_a_user_another_stack_keeps_disabled_is_not_reenabled_without_adopt_existing(tmp_path: Path) -> None:
    harness = StackHarness(tmp_path, environment={"FINSPACE_REENABLE_REQUIRES_ADOPT": "true"})
    try:
        assert harness.driver.deploy("a", template(Off=user("off@example.com", Enabled="false"))).ok

        result = harness.driver.deploy("b", template(On=user("off@example.com")))

        assert result.status == "ROLLBACK_COMPLETE"
        assert "AdoptExisting" in next(e.reason for e in result.events if e.status == "CREATE_FAILED")
        assert harness.users()["off@example.com"]["status"] == "DISABLED"
    finally:
        harness.close()


def test_a_create_whose_replies_are_all_lost_leaves_no_enabled_orphan(tmp_path: Path) -> None:
    harness = StackHarness(tmp_path, timeout_s=6)
    try:
        harness.emulator.faults.configure(FaultSettings(lost_reply_rate=1.0, operations=frozenset({"CreateUser"})))
        result = harness.deploy(template(Lost=user("lost@example.com")))
        harness.emulator.faults.configure(FaultSettings())

        assert result.status == "ROLLBACK_COMPLETE"
        assert harness.users()["lost@example.com"]["status"] == "DISABLED"
    finally:
        harness.close()


def test_destroy_completes_and_keeps_a_group_whose_member_the_stack_retains(stack: StackHarness) -> None:
    kept = user("kept@example.com", PermissionGroupIds=[{"Fn::GetAtt": ["Desk", "PermissionGroupId"]}])
    assert stack.deploy(template(Desk=group("desk"), Kept={**kept, "DeletionPolicy": "Retain"})).ok

    result = stack.delete()

    assert result.status == "DELETE_COMPLETE"
    assert stack.users()["kept@example.com"]["status"] == "ENABLED"
    names = [g["name"] for g in call(stack, "ListPermissionGroups", maxResults=100)["permissionGroups"]]
    assert "desk" in names


def test_a_renamed_group_is_neither_deleted_nor_left_without_its_members(stack: StackHarness) -> None:
    member = user("mia@example.com", PermissionGroupIds=[{"Fn::GetAtt": ["Desk", "PermissionGroupId"]}])
    assert stack.deploy(template(Desk=group("desk"), Mia=member)).ok
    moved = user("mia@example.com", PermissionGroupIds=[{"Fn::GetAtt": ["TradingDesk", "PermissionGroupId"]}])

    result = stack.deploy(template(TradingDesk=group("desk", AdoptExisting="true"), Mia=moved))

    assert result.status == "UPDATE_COMPLETE"
    assert not [e for e in result.events if e.status.endswith("_FAILED")]
    assert "DeletePermissionGroup" not in stack.mutating_calls()
    assert list(stack.groups_of("mia@example.com").values()) == ["ADDITION_SUCCESS"]


def test_a_replacement_that_fails_after_adopting_puts_the_adopted_user_back(stack: StackHarness) -> None:
    existing_user(stack, "new.address@example.com", firstName="Before")
    assert stack.deploy(template(Max=user("max@example.com", FirstName="Max"))).ok
    before = snapshot(stack)

    result = stack.deploy(template(Max=user("new.address@example.com", FirstName="After", AdoptExisting="true",
                                            PermissionGroupIds=["nosuchgroup"])))  # adopts, then fails

    assert result.status == "UPDATE_ROLLBACK_COMPLETE"
    assert snapshot(stack) == before


def test_a_construct_moved_to_another_nested_stack_keeps_its_user(stack: StackHarness, tmp_path: Path) -> None:
    def nested(name: str, **resources: dict[str, Any]) -> dict[str, Any]:
        (tmp_path / name).write_text(json.dumps(template(**resources)))
        return {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": f"https://s3/{name}"},
                "Metadata": {"aws:asset:path": name}}

    first = template(Team=nested("team-1.json", Ann=user("ann@example.com")))
    assert stack.driver.deploy("users", first, template_dir=tmp_path).ok

    moved = template(Team=nested("team-2.json"), Desk=nested("desk-1.json", Ann=user("ann@example.com")))
    result = stack.driver.deploy("users", moved, template_dir=tmp_path)

    assert result.status == "UPDATE_COMPLETE", [e.reason for e in result.events if e.reason]
    assert stack.users()["ann@example.com"]["status"] == "ENABLED"
    assert "DisableUser" not in stack.mutating_calls()
