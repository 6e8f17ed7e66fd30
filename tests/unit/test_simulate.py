"""The diff's answers for the provider's own user and for re-enabled users, without FinSpace: a snapshot
made by hand, requests as CloudFormation sends them, the handler's own guard (ProviderRole)."""

from __future__ import annotations

from typing import Any

import pytest

from finspace_constructs.resource_properties import group_properties, user_properties
from finspace_users.reader import EnvironmentSnapshot, GroupRecord, UserRecord
from finspace_users.simulate import (
    GROUP_TYPE,
    REENABLES,
    USER_TYPE,
    Guards,
    NamedProvider,
    PlannedChange,
    Request,
    simulate,
)
from lambda_handler.self_access import ProviderRole

ENV = "env1"
ROLE = "arn:aws:iam::123456789012:role/FinSpaceUserProvider-us-east-1"
ADDED = "ADDITION_SUCCESS"
ROBOT = UserRecord("u-robot", "robot@example.com", "APP_USER", "ENABLED", api_access="ENABLED",
                   api_access_principal_arn=ROLE)
GONE = UserRecord("u-gone", "gone@example.com", "APP_USER", "DISABLED")
ADA = UserRecord("u-ada", "ada@example.com", "SUPER_USER", "ENABLED")
SNAPSHOT = EnvironmentSnapshot(ENV, (ROBOT, GONE, ADA), (
    GroupRecord("g-admins", "admins", None, ("ManageUsersAndGroups", "GetTemporaryCredentials"),
                {"u-robot": ADDED}),
    GroupRecord("g-other", "other", None, ("AccessNotebooks",), {"u-robot": ADDED}),
))
ROBOT_PROPS: dict[str, Any] = {"email_address": "robot@example.com", "type": "APP_USER",
                               "api_access_principal_arn": ROLE, "permission_group_ids": ["g-admins", "g-other"]}


def user(**props: Any) -> dict[str, Any]:
    return dict(user_properties(environment_id=ENV, **props))


def plan(*requests: Request, guards: Guards | None = None) -> list[PlannedChange]:
    return simulate(list(requests), lambda _environment: SNAPSHOT, {}, guards)


def update_robot(**changes: Any) -> Request:
    return Request("Update", "Users/Robot", "Robot", USER_TYPE, user(**{**ROBOT_PROPS, **changes}), "u-robot",
                   user(**ROBOT_PROPS))


GUARDED = Guards(ProviderRole(ROLE))


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        (update_robot(enabled=False), "Enabled: false would disable FinSpace user u-robot"),
        (update_robot(api_access_principal_arn="arn:aws:iam::123456789012:role/analytics"),
         "ApiAccess/ApiAccessPrincipalArn would take user u-robot's API access from the provider role"),
        (update_robot(permission_group_ids=["g-other"]),
         "PermissionGroupIds would remove user u-robot, which the provider signs in as, from its last group"),
        (Request("Update", "Users/Admins", "Admins", GROUP_TYPE,
                 dict(group_properties(environment_id=ENV, name="admins", application_permissions=["AccessNotebooks"])),
                 "g-admins", dict(group_properties(environment_id=ENV, name="admins",
                                                   application_permissions=["ManageUsersAndGroups"]))),
         "ApplicationPermissions would take ManageUsersAndGroups from group g-admins"),
    ],
)
def test_a_lockout_is_planned_as_the_handler_s_refusal(request_: Request, reason: str) -> None:
    (change,) = plan(request_, guards=GUARDED)
    (unguarded,) = plan(request_)  # no role known to the handler: no guard, as the handler without its ARN

    assert (change.action, change.calls) == ("fail", [])
    assert reason in change.reason
    assert "register another user for the provider role first (README: Bootstrap)" in change.reason
    assert unguarded.action == "update"


def test_a_group_change_earlier_in_the_deploy_counts_for_a_user_leaving_later() -> None:
    kept = plan(update_robot(permission_group_ids=["g-admins"]), guards=GUARDED)
    other_gains_it = plan(
        Request("Update", "Users/Other", "Other", GROUP_TYPE,
                dict(group_properties(environment_id=ENV, name="other",
                                      application_permissions=["AccessNotebooks", "ManageUsersAndGroups"])),
                "g-other", dict(group_properties(environment_id=ENV, name="other",
                                                 application_permissions=["AccessNotebooks"]))),
        update_robot(permission_group_ids=["g-other"]), guards=GUARDED)

    assert [c.action for c in kept] == ["update"]
    assert [(c.action, c.leaves) for c in other_gains_it] == [("update", []), ("update", ["admins"])]


def test_the_provider_s_user_is_left_enabled_by_a_delete_and_a_disabled_user_is_not_disabled_again() -> None:
    removals = [Request("Delete", f"Users/{u.user_id}", u.user_id, USER_TYPE, {}, u.user_id,
                        user(email_address=u.email, type=u.type)) for u in (ROBOT, GONE, ADA)]

    robot, gone, ada = sorted(plan(*removals, guards=GUARDED), key=lambda c: ["robot", "gone", "ada"].index(
        c.subject.split("@")[0]))

    assert (robot.action, robot.calls, robot.notes) == (
        "disable", [], ["the provider's own user: the Delete leaves it enabled"])
    assert (gone.calls, ada.calls) == ([], ["DisableUser"])


def test_a_reclaim_is_named_and_with_reenable_requires_adopt_fails_as_the_handler_answers() -> None:
    create = Request("Create", "Users/Gone", "Gone", USER_TYPE, user(email_address="gone@example.com",
                                                                     type="APP_USER"))
    adopting = Request("Create", "Users/Gone", "Gone", USER_TYPE, user(email_address="gone@example.com",
                                                                       type="APP_USER", adopt_existing=True))
    kept_disabled = Request("Create", "Users/Gone", "Gone", USER_TYPE, user(email_address="gone@example.com",
                                                                            type="APP_USER", enabled=False))

    (reclaim,) = plan(create)
    (strict,) = plan(create, guards=Guards(strict_reenable=True))
    (adopted,) = plan(adopting, guards=Guards(strict_reenable=True))
    (quiet,) = plan(kept_disabled)

    assert (reclaim.action, reclaim.status, reclaim.calls, reclaim.notes) == (
        "reclaim", "ENABLED", ["EnableUser"], [REENABLES])
    assert reclaim.as_dict()["notes"] == ["re-enables a user disabled outside this stack"]
    assert (strict.action, strict.notes) == ("fail", [])
    assert strict.reason == ("EmailAddress belongs to FinSpace user u-gone, which is DISABLED; set AdoptExisting: "
                             "true to manage it from this stack, or declare another email")
    assert (adopted.action, adopted.notes) == ("reclaim", [REENABLES])
    assert (quiet.action, quiet.calls, quiet.notes) == ("reclaim", [], [])


def test_an_update_that_enables_a_user_disabled_outside_names_it() -> None:
    declared = user(email_address="gone@example.com", type="APP_USER")
    renamed = Request("Update", "Users/Gone", "Gone", USER_TYPE, {**declared, "FirstName": "Gone"}, "u-gone", declared)
    enabling = Request("Update", "Users/Gone", "Gone", USER_TYPE, declared, "u-gone", {**declared, "Enabled": "false"})

    (outside,) = plan(renamed)
    (declared_change,) = plan(enabling)

    assert (outside.status, outside.notes) == ("ENABLED", [REENABLES])
    assert (declared_change.status, declared_change.notes) == ("ENABLED", [])  # the file enabled it again


def test_without_the_role_s_arn_the_provider_user_is_told_by_name() -> None:
    by_email = NamedProvider(["Ada@Example.com "])
    by_role = NamedProvider()
    disable_ada = Request("Update", "Users/Ada", "Ada", USER_TYPE,
                          user(email_address="ada@example.com", type="SUPER_USER", enabled=False), "u-ada",
                          user(email_address="ada@example.com", type="SUPER_USER"))

    (ada,) = plan(disable_ada, guards=Guards(by_email))
    (robot,) = plan(update_robot(enabled=False), guards=Guards(by_role))
    (ada_unnamed,) = plan(disable_ada, guards=Guards(by_role))

    assert (ada.action, robot.action, ada_unnamed.action) == ("fail", "fail", "update")
    assert "Enabled: false would disable FinSpace user u-ada" in ada.reason
