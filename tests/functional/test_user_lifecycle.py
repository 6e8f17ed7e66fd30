"""Every lifecycle rule of docs/DESIGN.md, through the CloudFormation driver, the real handler
(lambda_handler/index.py) and the emulator over HTTPS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from finspace_local import FaultSettings
from finspace_local.state import BackendSettings
from lambda_handler.ids import PLACEHOLDER_PREFIX
from tests.conftest import ENVIRONMENT_ID
from tests.functional.stack_harness import REPO, StackHarness, template, user, users_app_logical_id

ROLE = "arn:aws:iam::123456789012:role/analytics"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StackHarness]:
    harness = StackHarness(tmp_path)
    yield harness
    harness.close()


def preexisting(harness: StackHarness, email: str, *, disabled: bool = False, **fields: Any) -> str:
    """A user that exists before the stack (made through the backend, not under test)."""
    user_id = str(harness.emulator.backend.call("CreateUser", {"emailAddress": email, "type": "APP_USER",
                                                              **fields})["userId"])
    if disabled:
        harness.emulator.backend.call("DisableUser", {"userId": user_id})
    return user_id


def failure_reasons(result: Any) -> list[str]:
    return [e.reason for e in result.events if e.status.endswith("_FAILED")]


def test_create_makes_the_user_and_answers_its_id_and_safe_data(stack: StackHarness) -> None:
    result = stack.deploy(template(Ada=user("ada@example.com", "SUPER_USER", FirstName="Ada", LastName="Lovelace",
                                            ApiAccess="ENABLED", ApiAccessPrincipalArn=ROLE)))

    assert result.status == "CREATE_COMPLETE"
    made = stack.users()["ada@example.com"]
    assert result.resource_ids() == {"Ada": made["userId"]}
    assert (made["type"], made["firstName"], made["lastName"]) == ("SUPER_USER", "Ada", "Lovelace")
    assert (made["apiAccess"], made["apiAccessPrincipalArn"], made["status"]) == ("ENABLED", ROLE, "ENABLED")
    assert result.stack.resources["Ada"].data == {"UserId": made["userId"], "Status": "ENABLED"}


def test_create_of_an_enabled_user_costs_one_call_and_its_delete_a_read_and_one_change(stack: StackHarness) -> None:
    created = stack.deploy(template(Ida=user("ida@example.com")))
    create_calls = [c.operation for c in stack.emulator.calls_of() if c.operation != "GetProgrammaticAccessCredentials"]
    stack.emulator.clear_calls()
    deleted = stack.delete()
    delete_calls = [c.operation for c in stack.emulator.calls_of() if c.operation != "GetProgrammaticAccessCredentials"]

    assert (created.status, deleted.status) == ("CREATE_COMPLETE", "DELETE_COMPLETE")
    assert create_calls == ["CreateUser"]
    assert delete_calls == ["GetUser", "DisableUser"]  # the read: the provider's own user, already disabled
    assert stack.users()["ida@example.com"]["status"] == "DISABLED"


def test_create_with_enabled_false_leaves_the_user_disabled(stack: StackHarness) -> None:
    result = stack.deploy(template(Bob=user("bob@example.com", Enabled="false")))

    assert result.status == "CREATE_COMPLETE"
    assert stack.users()["bob@example.com"]["status"] == "DISABLED"


def test_create_waits_while_the_user_is_creating(tmp_path: Path) -> None:
    harness = StackHarness(tmp_path, backend=BackendSettings(environments=frozenset({ENVIRONMENT_ID}),
                                                              creating_seconds=1.5))
    try:
        result = harness.deploy(template(Cy=user("cy@example.com", Enabled="false")))
        polls = [c.operation for c in harness.emulator.calls_of("GetUser")]
        status = harness.users()["cy@example.com"]["status"]
    finally:
        harness.close()

    assert result.status == "CREATE_COMPLETE"
    assert len(polls) >= 2
    assert status == "DISABLED"


def test_create_reclaims_a_disabled_user_with_the_same_email(stack: StackHarness) -> None:
    old_id = preexisting(stack, "dee@example.com", disabled=True, firstName="Old")

    result = stack.deploy(template(Dee=user("dee@example.com", "SUPER_USER", FirstName="Dee")))

    assert result.status == "CREATE_COMPLETE"
    assert result.resource_ids() == {"Dee": old_id}
    reclaimed = stack.users()["dee@example.com"]
    assert (reclaimed["status"], reclaimed["type"], reclaimed["firstName"]) == ("ENABLED", "SUPER_USER", "Dee")
    assert len(stack.users()) == 1


def test_create_fails_clearly_on_an_enabled_email_and_rolls_back_without_touching_it(stack: StackHarness) -> None:
    theirs = preexisting(stack, "eve@example.com", firstName="Eve")
    stack.emulator.clear_calls()

    result = stack.deploy(template(Eve=user("EVE@example.com", "SUPER_USER")))

    assert result.status == "ROLLBACK_COMPLETE"
    reason = failure_reasons(result)[0]
    assert reason == (f"EmailAddress belongs to FinSpace user {theirs}, which is ENABLED; set AdoptExisting: true "
                      "to manage it from this stack, or declare another email")
    deletes = [r for r in stack.driver.requests if r["RequestType"] == "Delete"]
    assert deletes[0]["PhysicalResourceId"].startswith(PLACEHOLDER_PREFIX)
    assert [c.error for c in stack.emulator.calls_of("CreateUser")] == ["ConflictException"]
    assert stack.mutating_calls() == []  # no update, no enable/disable of that user
    untouched = stack.users()["eve@example.com"]
    assert (untouched["status"], untouched["type"], untouched["firstName"]) == ("ENABLED", "APP_USER", "Eve")


def test_create_adopts_an_enabled_user_only_when_asked(stack: StackHarness) -> None:
    theirs = preexisting(stack, "fay@example.com")

    result = stack.deploy(template(Fay=user("fay@example.com", "SUPER_USER", AdoptExisting="true")))

    assert result.status == "CREATE_COMPLETE"
    assert result.resource_ids() == {"Fay": theirs}
    assert stack.users()["fay@example.com"]["type"] == "SUPER_USER"


def test_update_sends_only_the_changed_fields(stack: StackHarness) -> None:
    stack.deploy(template(Gus=user("gus@example.com", FirstName="Gus", LastName="Old")))
    stack.emulator.clear_calls()

    result = stack.deploy(template(Gus=user("gus@example.com", FirstName="Gus", LastName="New")))

    assert result.status == "UPDATE_COMPLETE"
    updates = stack.emulator.calls_of("UpdateUser")
    assert [c.members for c in updates] == [("clientToken", "lastName", "userId")]
    assert stack.mutating_calls() == ["UpdateUser"]
    assert stack.users()["gus@example.com"]["lastName"] == "New"


def test_update_without_a_change_makes_no_mutating_call(stack: StackHarness) -> None:
    stack.deploy(template(Hal=user("hal@example.com", ServiceTimeout="60")))
    stack.emulator.clear_calls()

    result = stack.deploy(template(Hal=user("hal@example.com", ServiceTimeout="120")))

    assert result.status == "UPDATE_COMPLETE"
    assert [r["RequestType"] for r in stack.driver.requests][-1] == "Update"
    assert stack.mutating_calls() == []


def test_enabled_changes_call_disable_then_enable(stack: StackHarness) -> None:
    stack.deploy(template(Ivy=user("ivy@example.com")))
    stack.emulator.clear_calls()

    off = stack.deploy(template(Ivy=user("ivy@example.com", Enabled="false")))
    status_off = stack.users()["ivy@example.com"]["status"]
    on = stack.deploy(template(Ivy=user("ivy@example.com", Enabled="true")))

    assert (off.status, on.status) == ("UPDATE_COMPLETE", "UPDATE_COMPLETE")
    assert stack.mutating_calls() == ["DisableUser", "EnableUser"]
    assert (status_off, stack.users()["ivy@example.com"]["status"]) == ("DISABLED", "ENABLED")


def test_api_access_principal_change_sends_it_with_api_access(stack: StackHarness) -> None:
    stack.deploy(template(Jo=user("jo@example.com")))
    stack.emulator.clear_calls()

    stack.deploy(template(Jo=user("jo@example.com", ApiAccess="ENABLED", ApiAccessPrincipalArn=ROLE)))

    assert [c.members for c in stack.emulator.calls_of("UpdateUser")] == [
        ("apiAccess", "apiAccessPrincipalArn", "clientToken", "userId")]
    assert stack.users()["jo@example.com"]["apiAccessPrincipalArn"] == ROLE


def test_email_change_replaces_the_user_and_disables_the_old_one_in_cleanup(stack: StackHarness) -> None:
    first = stack.deploy(template(Kim=user("kim@example.com")))

    result = stack.deploy(template(Kim=user("kim.new@example.com")))

    assert result.status == "UPDATE_COMPLETE"
    users = stack.users()
    assert result.resource_ids() == {"Kim": users["kim.new@example.com"]["userId"]}
    assert first.resource_ids()["Kim"] == users["kim@example.com"]["userId"]
    assert (users["kim@example.com"]["status"], users["kim.new@example.com"]["status"]) == ("DISABLED", "ENABLED")


def test_failed_update_is_rolled_back_to_the_old_state(stack: StackHarness) -> None:
    stack.deploy(template(Lee=user("lee@example.com", FirstName="Lee")))

    result = stack.deploy(template(Lee=user("lee@example.com", "SUPER_USER", FirstName="Leo"),
                                   Bad=user("not-an-email")))

    assert result.status == "UPDATE_ROLLBACK_COMPLETE"
    assert "EmailAddress is not a valid email address" in failure_reasons(result)[0]
    restored = stack.users()["lee@example.com"]
    assert (restored["type"], restored["firstName"]) == ("APP_USER", "Lee")
    assert len(stack.users()) == 1


def test_delete_disables_the_user(stack: StackHarness) -> None:
    stack.deploy(template(Max=user("max@example.com")))

    result = stack.delete()

    assert result.status == "DELETE_COMPLETE"
    assert stack.users()["max@example.com"]["status"] == "DISABLED"


@pytest.mark.parametrize("redundant", ["succeed", "conflict"])
def test_delete_of_an_already_disabled_user_succeeds_whatever_the_api_answers(tmp_path: Path, redundant: str) -> None:
    harness = StackHarness(tmp_path, backend=BackendSettings(environments=frozenset({ENVIRONMENT_ID}),
                                                              redundant_state_change=redundant))  # type: ignore[arg-type]
    try:
        harness.deploy(template(Ned=user("ned@example.com", Enabled="false")))
        result = harness.delete()
    finally:
        harness.close()

    assert result.status == "DELETE_COMPLETE"


def test_delete_of_a_vanished_user_succeeds(stack: StackHarness) -> None:
    created = stack.deploy(template(Oz=user("oz@example.com")))
    stack.emulator.backend.forget_user(created.resource_ids()["Oz"])

    assert stack.delete().status == "DELETE_COMPLETE"


def test_invalid_properties_fail_the_create_and_the_placeholder_delete_calls_nothing(stack: StackHarness) -> None:
    result = stack.deploy(template(Pat=user("pat@example", Type="ROOT", Colour="red")))

    assert result.status == "ROLLBACK_COMPLETE"
    reason = failure_reasons(result)[0]
    assert reason == ("Invalid properties: Unknown property Colour: remove it or fix its spelling; EmailAddress is "
                      "not a valid email address: use a name, an @ and a domain with a dot; Type must be one of "
                      "SUPER_USER, APP_USER")
    assert [e.status for e in result.events if e.logical_id == "Pat"][-1] == "DELETE_COMPLETE"
    assert stack.emulator.calls_of() == []


def test_retained_user_stays_enabled_when_the_stack_goes(stack: StackHarness) -> None:
    kept = user("quin@example.com")
    kept["DeletionPolicy"] = "Retain"
    stack.deploy(template(Quin=kept))

    result = stack.delete()

    assert result.status == "DELETE_COMPLETE"
    assert stack.users()["quin@example.com"]["status"] == "ENABLED"


def test_duplicate_delivery_of_create_makes_one_user(tmp_path: Path) -> None:
    harness = StackHarness(tmp_path, deliver_twice=True)
    try:
        result = harness.deploy(template(Ray=user("ray@example.com")))
        harness.function.drain()
        creates = [c.error for c in harness.emulator.calls_of("CreateUser")]
        users = harness.users()
    finally:
        harness.close()

    assert result.status == "CREATE_COMPLETE"
    assert creates == [None, None]  # the second was replayed by its client token
    assert list(users) == ["ray@example.com"]


def test_throttling_and_server_errors_are_retried_and_the_stack_succeeds(stack: StackHarness) -> None:
    stack.emulator.faults.configure(FaultSettings(error_rate=0.2, throttle_rate=20, throttle_burst=4, seed=3))
    body = template(**{f"U{i}": user(f"u{i}@example.com") for i in range(6)})

    result = stack.deploy(body)

    assert result.status == "CREATE_COMPLETE"
    errors = {c.error for c in stack.emulator.calls_of()}
    assert {"ThrottlingException", "InternalServerException"} <= errors
    assert len(stack.users()) == 6


def test_timeout_answers_failed_with_the_user_id_then_rolls_back_cleanly(tmp_path: Path) -> None:
    harness = StackHarness(tmp_path, timeout_s=4, retry_delays=(0.1, 0.1))
    group_id = harness.emulator.backend.call("CreatePermissionGroup", {
        "name": "slow", "applicationPermissions": ["ViewAuditData"]})["permissionGroupId"]
    slow = frozenset({"AssociateUserToPermissionGroup"})
    harness.emulator.faults.configure(FaultSettings(latency=6, operations=slow))
    try:
        result = harness.deploy(template(Sam=user("sam@example.com", PermissionGroupIds=[group_id])))
        harness.function.drain()
        users = harness.users()
    finally:
        harness.close()

    assert result.status == "ROLLBACK_COMPLETE"
    failed = next(e for e in result.events if e.status == "CREATE_FAILED")
    assert failed.physical_id == users["sam@example.com"]["userId"]
    assert "timed out" in failed.reason
    create_outcomes = [i.outcome for i in harness.function.invocations]
    assert create_outcomes.count("Task timed out") >= 2  # Lambda retried the timed-out Create
    assert users["sam@example.com"]["status"] == "DISABLED"  # not orphaned, even after those retries


# The logical ids apps really make: a hand-written app's from the email (CDK's alphanumerics of the
# construct path plus a hash), and the users app's (``User`` and a hash, no email).
EMAIL_ID = "testenvzoeprivateexamplecom651B51B5"


def test_no_log_line_or_answer_carries_personal_data_whatever_the_logical_id(stack: StackHarness) -> None:
    personal = ["zoe.private@example.com", "Zoeprivate", "Privatesurname", "zoeprivateexamplecom"]
    app_id = users_app_logical_id("ada.private@example.com")
    stack.deploy(template(**{EMAIL_ID: user(personal[0], FirstName=personal[1], LastName=personal[2]),
                             app_id: user("ada.private@example.com", FirstName="Ada")}))
    stack.deploy(template(**{EMAIL_ID: user(personal[0], "SUPER_USER", FirstName=personal[1], LastName=personal[2]),
                             "Bad": user("bad-address", FirstName=personal[1])}))
    stack.delete()
    stack.function.drain()

    answers = [repr({k: v for k, v in vars(a).items() if k != "logical_id"}) for a in stack.driver.answers]
    events = [repr(e) for e in stack.driver.requests]  # sanity: the data really went in
    assert any(personal[0] in e for e in events)
    assert "ada.private" not in app_id.lower()
    assert stack.function.logs
    for text in stack.function.logs + answers:
        for value in [*personal, "ada.private", "adaprivate"]:
            assert value.lower() not in text.lower()


def test_reasons_redact_names_as_words_and_keep_the_providers_own_words(tmp_path: Path) -> None:
    harness = StackHarness(tmp_path, register_caller=False)  # every request fails with AccessDenied
    try:
        result = harness.deploy(template(Li=user("li@example.com", FirstName="Access", LastName="User"),
                                         Da=user("da@example.com", FirstName="Data", LastName="Li")))
    finally:
        harness.close()

    reasons = [e.reason for e in result.events if e.status == "CREATE_FAILED"]
    assert reasons
    for reason in reasons:
        assert "GetProgrammaticAccessCredentials failed with AccessDeniedException" in reason
        assert "ManageUsersAndGroups" in reason
        assert "<redacted>" not in reason  # no name stood there as a word: nothing to redact


def test_a_stack_the_provider_does_not_serve_is_refused_before_any_finspace_call(tmp_path: Path) -> None:
    harness = StackHarness(tmp_path, environment={"FINSPACE_ALLOWED_STACKS": "FinSpaceUsers,team-*"})
    try:
        harness.emulator.clear_calls()
        result = harness.deploy(template(Eve=user("eve@example.com")))
        calls = harness.emulator.calls_of()
    finally:
        harness.close()

    assert result.status == "ROLLBACK_COMPLETE"
    (reason,) = [e.reason for e in result.events if e.status == "CREATE_FAILED"]
    assert reason.startswith("Stack users may not use this FinSpace user provider")
    assert calls == []


def test_handler_also_loads_as_top_level_index_from_its_own_folder(tmp_path: Path) -> None:
    harness = StackHarness(tmp_path, code_dir=REPO / "lambda_handler", handler="index.handler")
    try:
        result = harness.deploy(template(Una=user("una@example.com")))
        status = harness.users()["una@example.com"]["status"]
    finally:
        harness.close()

    assert (result.status, status) == ("CREATE_COMPLETE", "ENABLED")


def test_lost_replies_are_retried_safely_thanks_to_client_tokens(stack: StackHarness) -> None:
    stack.emulator.faults.configure(FaultSettings(lost_reply_rate=0.4, seed=5))
    body = template(**{f"L{i}": user(f"l{i}@example.com") for i in range(6)})

    created = stack.deploy(body)
    deleted = stack.delete()

    lost = {c.operation for c in stack.emulator.calls_of() if c.error == "ReplyLost"}
    assert (created.status, deleted.status) == ("CREATE_COMPLETE", "DELETE_COMPLETE")
    assert {"CreateUser", "DisableUser"} <= lost  # carried out, answer lost, retried
    users = stack.users()
    assert len(users) == 6
    assert {u["status"] for u in users.values()} == {"DISABLED"}


def test_a_lost_create_reply_is_recognised_even_when_the_client_token_is_not_replayed(tmp_path: Path) -> None:
    harness = StackHarness(tmp_path, backend=BackendSettings(environments=frozenset({ENVIRONMENT_ID}),
                                                              client_token_seconds=0))
    harness.emulator.faults.configure(FaultSettings(lost_reply_rate=1.0, operations=frozenset({"CreateUser"})))
    try:
        result = harness.deploy(template(Lu=user("lu@example.com")))
        creates = [c.error for c in harness.emulator.calls_of("CreateUser")]
        users = harness.users()
    finally:
        harness.close()

    assert result.status == "CREATE_COMPLETE"
    assert creates == ["ReplyLost", "ConflictException"]  # the retry met the user the first attempt made
    assert result.resource_ids() == {"Lu": users["lu@example.com"]["userId"]}
    assert len(users) == 1
