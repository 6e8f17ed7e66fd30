"""``finspace-users`` on the demo's local emulator: import of a hand-made state adopted unchanged,
drift reported and corrected by a re-apply, and a plan that the deploy then follows call by call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from finspace_constructs.users_file import load_declaration
from finspace_users.cli import main
from finspace_users.local import open_emulator

ENV = "finspace-local"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def shown(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """What a person sees: the exit code, and stdout then stderr with rich's wrapping undone."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, " ".join((captured.out + captured.err).split())


def admin(state: Path, operation: str, **params: Any) -> dict[str, Any]:
    """What a person does in the web application: straight to the state, no API call."""
    with open_emulator(state) as emulator:
        result: dict[str, Any] = emulator.backend.call(operation, params, environment_id=ENV)
        if operation == "CreateUser":
            emulator.backend.finish_creating(result["userId"])
        return result


def everything(state: Path) -> dict[str, Any]:
    """Users (every field and status), groups and memberships of the environment, ids included."""
    with open_emulator(state) as emulator:
        backend = emulator.backend
        users = backend.call("ListUsers", {"maxResults": 100}, environment_id=ENV)["users"]
        groups = backend.call("ListPermissionGroups", {"maxResults": 100}, environment_id=ENV)["permissionGroups"]
        members = {g["permissionGroupId"]: sorted(
            (m["userId"], m["membershipStatus"]) for m in backend.call(
                "ListUsersByPermissionGroup", {"permissionGroupId": g["permissionGroupId"], "maxResults": 100},
                environment_id=ENV)["users"]) for g in groups}
    strip = ("lastModifiedTime", "lastEnabledTime", "lastDisabledTime")
    return {"users": sorted(({k: v for k, v in u.items() if k not in strip} for u in users), key=lambda u: u["userId"]),
            "groups": sorted(({k: v for k, v in g.items() if k != "lastModifiedTime"} for g in groups),
                             key=lambda g: g["permissionGroupId"]),
            "members": members}


@pytest.fixture
def hand_made(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The provider registered (deploy --provider-only), then users, groups and memberships made by hand."""
    state = tmp_path / "state"
    code, report = run(capsys, "deploy", "--provider-only", "--state-dir", str(state))
    assert (code, report["registration"]) == (0, "registered")
    analysts = admin(state, "CreatePermissionGroup", name="analysts", description="Research",
                     applicationPermissions=["AccessNotebooks", "ViewAuditData"])["permissionGroupId"]
    admin(state, "CreatePermissionGroup", name="empty", applicationPermissions=["CreateDataset"])
    ada = admin(state, "CreateUser", emailAddress="ada@example.com", type="SUPER_USER", firstName="Ada",
                lastName="Lovelace")["userId"]
    bob = admin(state, "CreateUser", emailAddress="bob@example.com", type="APP_USER", apiAccess="ENABLED",
                apiAccessPrincipalArn="arn:aws:iam::123456789012:role/analytics")["userId"]
    gone = admin(state, "CreateUser", emailAddress="gone@example.com", type="APP_USER", firstName="Gone")["userId"]
    admin(state, "AssociateUserToPermissionGroup", permissionGroupId=analysts, userId=bob)
    admin(state, "AssociateUserToPermissionGroup", permissionGroupId=analysts, userId=gone)
    admin(state, "DisableUser", userId=gone)
    assert ada
    return state


def test_import_then_deploy_adopts_everything_and_changes_nothing(
    hand_made: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, users_file = hand_made, tmp_path / "imported.yaml"
    before = everything(state)

    code, imported = run(capsys, "import", "--local", "--state-dir", str(state), "--environment-id", ENV,
                         "-o", str(users_file))
    first = users_file.read_bytes()
    run(capsys, "import", "--local", "--state-dir", str(state), "--environment-id", ENV, "-o", str(users_file))
    deployed = run(capsys, "deploy", "--state-dir", str(state), "--users-file", str(users_file))
    planned = run(capsys, "diff", "--state-dir", str(state), "--users-file", str(users_file))

    assert (code, imported["mutatingCallsMade"]) == (0, 0)
    assert imported["files"] == [{"path": str(users_file), "environments": [ENV], "users": 3, "groups": 2,
                                  "providerUserLeftOut": True}]
    assert users_file.read_bytes() == first  # byte-stable
    declaration = load_declaration(users_file)
    assert [u.email for u in declaration.users] == ["ada@example.com", "bob@example.com", "gone@example.com"]
    assert declaration.provider_users == {ENV: "finspace-provider@example.com"}  # named, not declared
    assert all(u.adopt_existing for u in declaration.users)
    assert all(g.adopt_existing for g in declaration.groups)
    assert "environment.admin@example.com" not in first.decode()  # administrators are left out
    assert deployed[0] == 0, deployed[1]["failures"]
    assert deployed[1]["finspaceCalls"] == {}  # refused creates led to adoption; no successful change
    assert everything(state) == before
    assert planned[0] == 0
    assert (planned[1]["changes"], planned[1]["finspaceCalls"]) == ([], {})


def test_drift_reports_manual_changes_and_a_reapply_corrects_them(
    hand_made: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, users_file = hand_made, tmp_path / "users.yaml"
    run(capsys, "import", "--local", "--state-dir", str(state), "-o", str(users_file), "--environment-id", ENV)
    assert run(capsys, "deploy", "--state-dir", str(state), "--users-file", str(users_file))[0] == 0
    drift_args = ("drift", "--local", "--state-dir", str(state), "--users-file", str(users_file))
    clean = run(capsys, *drift_args)
    ids = {u["emailAddress"]: u["userId"] for u in everything(state)["users"]}
    groups = {g["name"]: g["permissionGroupId"] for g in everything(state)["groups"]}
    admin(state, "DisableUser", userId=ids["ada@example.com"])
    admin(state, "UpdateUser", userId=ids["bob@example.com"], type="SUPER_USER", firstName="Robert")
    admin(state, "DisassociateUserFromPermissionGroup", permissionGroupId=groups["analysts"],
          userId=ids["bob@example.com"])
    admin(state, "AssociateUserToPermissionGroup", permissionGroupId=groups["empty"], userId=ids["ada@example.com"])
    admin(state, "UpdatePermissionGroup", permissionGroupId=groups["empty"], applicationPermissions=["ViewAuditData"])
    admin(state, "CreateUser", emailAddress="stranger@example.com", type="APP_USER")

    code, drifted = run(capsys, *drift_args)
    users_file.write_text(users_file.read_text().replace("users:\n", "defaults:\n  reapply: '2026-01-01'\nusers:\n", 1))
    plan = run(capsys, "diff", "--state-dir", str(state), "--users-file", str(users_file))[1]
    deployed = run(capsys, "deploy", "--state-dir", str(state), "--users-file", str(users_file))[1]
    after = run(capsys, *drift_args)
    ignoring = run(capsys, *drift_args, "--ignore-unmanaged")

    assert clean == (0, {"drift": [], "driftFound": False, "mutatingCallsMade": 0})
    assert code == 2
    found = {(f["subject"], f["kind"], f["field"]) for f in drifted["drift"]}
    assert found == {("ada@example.com", "status", "status"),
                     ("ada@example.com", "membership-added", "permission_groups"),
                     ("bob@example.com", "field", "type"),  # its first name is not declared: not drift
                     ("bob@example.com", "membership-removed", "permission_groups"),
                     ("empty", "group-changed", "application_permissions"),
                     ("stranger@example.com", "unmanaged-user", "")}
    assert drifted["mutatingCallsMade"] == 0
    assert deployed["status"] == "UPDATE_COMPLETE", deployed["failures"]
    assert deployed["finspaceCalls"] == plan["finspaceCalls"] == {
        "AssociateUserToPermissionGroup": 1, "DisassociateUserFromPermissionGroup": 1, "EnableUser": 1,
        "UpdatePermissionGroup": 1, "UpdateUser": 1}
    assert after[0] == 2
    assert [f["kind"] for f in after[1]["drift"]] == ["unmanaged-user"]
    assert ignoring[0] == 0
    assert {tuple(sorted(f)) for f in drifted["drift"]} == {
        ("actual", "declared", "environmentId", "field", "kind", "subject")}  # camelCase, as every document


def test_drift_advises_what_corrects_what_it_found(hand_made: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    state, users_file = hand_made, tmp_path / "users.yaml"
    users_file.write_text(HANDLERS_VIEW)
    drift_args = ("drift", "--local", "--state-dir", str(state), "--users-file", str(users_file))
    clean = shown(capsys, *drift_args)
    admin(state, "CreateUser", emailAddress="stranger@example.com", type="APP_USER")
    unmanaged = shown(capsys, *drift_args)
    ids = {u["emailAddress"]: u["userId"] for u in everything(state)["users"]}
    admin(state, "DisableUser", userId=ids["ada@example.com"])
    both = shown(capsys, *drift_args)

    assert clean[0] == 0
    assert clean[1].endswith("No drift: FinSpace holds what the file declares.")
    # an unmanaged user: a re-apply leaves it as it is, so the advice is to declare or disable it
    assert unmanaged[0] == 2
    assert "1 difference(s). To correct them: - unmanaged: no deploy touches them; declare them" in unmanaged[1]
    assert "reapply" not in unmanaged[1]
    # a declared user disabled outside the stack: that one a re-apply sets back
    assert both[0] == 2
    assert "2 difference(s). To correct them: - status, fields, memberships" in both[1]
    assert "deploy with a new 'reapply' value" in both[1]
    assert "- unmanaged: no deploy touches them" in both[1]


HANDLERS_VIEW = """\
environment: finspace-local
permission_groups:
  - {name: analysts, description: Research, application_permissions: [AccessNotebooks, ViewAuditData]}
  - {name: empty, application_permissions: [CreateDataset]}
users:
  - {email: Ada@Example.COM, type: SUPER_USER}
  - email: bob@example.com
    type: APP_USER
    api_access_principal_arn: arn:aws:iam::123456789012:role/analytics
    permission_groups: [analysts]
"""


def test_drift_is_the_handlers_answer_to_the_declaration_a_deploy_sends(
    hand_made: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, users_file, refused = hand_made, tmp_path / "users.yaml", tmp_path / "refused.yaml"
    users_file.write_text(HANDLERS_VIEW)
    refused.write_text(HANDLERS_VIEW.replace("    type: APP_USER\n", "    type: APP_USER\n    api_access: DISABLED\n"))
    ids = {u["emailAddress"]: u["userId"] for u in everything(state)["users"]}
    clean = run(capsys, "drift", "--local", "--state-dir", str(state), "--users-file", str(users_file))
    admin(state, "UpdateUser", userId=ids["ada@example.com"], firstName="Augusta", type="APP_USER")
    admin(state, "UpdateUser", userId=ids["bob@example.com"],
          apiAccessPrincipalArn="arn:aws:iam::123456789012:role/elsewhere")

    code, drifted = run(capsys, "drift", "--local", "--state-dir", str(state), "--users-file", str(users_file))
    refusal = run(capsys, "drift", "--local", "--state-dir", str(state), "--users-file", str(refused))

    assert clean == (0, {"drift": [], "driftFound": False, "mutatingCallsMade": 0})  # the email's case is no drift
    assert code == 2
    # the first name is not declared: not drift; the principal changed alone: apiAccess, which the
    # handler sends along with it, is unchanged and no difference
    assert [(f["subject"], f["kind"], f["field"], f["declared"], f["actual"]) for f in drifted["drift"]] == [
        ("ada@example.com", "field", "type", "SUPER_USER", "APP_USER"),
        ("bob@example.com", "field", "api_access_principal_arn", "arn:aws:iam::123456789012:role/analytics",
         "arn:aws:iam::123456789012:role/elsewhere")]
    # a principal with API access DISABLED: the handler refuses it, so drift does not compare it either
    assert refusal[0] == 1
    assert refusal[1]["error"]["kind"] == "users-file"
    assert "ApiAccessPrincipalArn needs ApiAccess: ENABLED" in refusal[1]["error"]["message"]
    assert "example.com" not in refusal[1]["error"]["message"]


BEFORE = """\
environment: finspace-local
permission_groups:
  - {name: analysts, application_permissions: [AccessNotebooks]}
  - {name: engineers, application_permissions: [CreateDataset]}
defaults: {type: APP_USER}
users:
  - {email: ann@example.com, first_name: Ann, permission_groups: [analysts]}
  - {email: ben@example.com, permission_groups: [analysts]}
  - {email: cat@example.com, permission_groups: [engineers]}
  - {email: dan@example.com, permission_groups: [engineers]}
  - {email: old@example.com, permission_groups: [analysts]}
"""
AFTER = """\
environment: finspace-local
permission_groups:
  - {name: analysts, application_permissions: [AccessNotebooks, ViewAuditData]}
  - {name: engineers, application_permissions: [CreateDataset]}
  - {name: quants, application_permissions: [ViewAuditData]}
defaults: {type: APP_USER}
users:
  - {email: ann@example.com, first_name: Anne, permission_groups: [analysts]}
  - {email: ben@example.com, type: SUPER_USER, permission_groups: [analysts]}
  - {email: cat@example.com, permission_groups: [engineers, quants]}
  - {email: dan@example.com, enabled: false, permission_groups: [engineers]}
  - {email: new@example.com, permission_groups: [analysts]}
"""


def test_diff_plans_nothing_after_a_deploy_and_exactly_what_the_next_deploy_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, before, after = tmp_path / "state", tmp_path / "before.yaml", tmp_path / "after.yaml"
    before.write_text(BEFORE)
    after.write_text(AFTER)
    assert run(capsys, "deploy", "--state-dir", str(state), "--users-file", str(before))[0] == 0

    unchanged = run(capsys, "diff", "--state-dir", str(state), "--users-file", str(before))[1]
    plan = run(capsys, "diff", "--state-dir", str(state), "--users-file", str(after))[1]
    code, deployed = run(capsys, "deploy", "--state-dir", str(state), "--users-file", str(after))

    assert (unchanged["changes"], unchanged["finspaceCalls"], unchanged["mutatingCallsMade"]) == ([], {}, 0)
    assert code == 0, deployed["failures"]
    assert plan["finspaceCalls"] == deployed["finspaceCalls"] == {
        "AssociateUserToPermissionGroup": 2, "CreatePermissionGroup": 1, "CreateUser": 1, "DisableUser": 2,
        "UpdatePermissionGroup": 1, "UpdateUser": 2}
    by_subject = {c.get("email") or c.get("group"): c for c in plan["changes"]}
    assert {s: (c["action"], c["fields"], c["status"], c["joins"]) for s, c in by_subject.items()} == {
        "analysts": ("update", ["applicationPermissions"], "", []),
        "quants": ("create", [], "", []),
        "ann@example.com": ("update", ["firstName"], "", []),
        "ben@example.com": ("update", ["type"], "", []),
        "cat@example.com": ("update", [], "", ["quants"]),
        "dan@example.com": ("update", [], "DISABLED", []),
        "new@example.com": ("create", [], "", ["analysts"]),
        "old@example.com": ("disable", [], "", []),
    }
    assert sorted(c["email"] for c in deployed["changes"]["created"] if "email" in c) == ["new@example.com"]
    # the summary comes from FinSpace's state: dan disabled by its Update, old by its Delete
    assert sorted(c["email"] for c in deployed["changes"]["disabled"]) == ["dan@example.com", "old@example.com"]


def test_an_email_change_in_the_file_is_planned_as_a_new_user_and_the_old_one_disabled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, before, after = tmp_path / "state", tmp_path / "before.yaml", tmp_path / "after.yaml"
    before.write_text(BEFORE)
    after.write_text(BEFORE.replace("old@example.com", "renamed@example.com"))
    run(capsys, "deploy", "--state-dir", str(state), "--users-file", str(before))

    plan = run(capsys, "diff", "--state-dir", str(state), "--users-file", str(after))[1]
    deployed = run(capsys, "deploy", "--state-dir", str(state), "--users-file", str(after))[1]

    # the file's logical ids derive from the email: a new resource, and the old one removed
    assert [(c["action"], c["email"]) for c in plan["changes"]] == [
        ("create", "renamed@example.com"), ("disable", "old@example.com")]
    assert plan["finspaceCalls"] == deployed["finspaceCalls"] == {
        "AssociateUserToPermissionGroup": 1, "CreateUser": 1, "DisableUser": 1}


def test_every_command_has_help_json_errors_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    for command in ("deploy", "diff", "destroy", "users", "import", "drift", "local disable-user",
                    "local enable-user", "local set-field", "local add-membership", "local remove-membership"):
        assert main([*command.split(), "--help"]) == 0
        assert "--json" in capsys.readouterr().out

    missing_state = run(capsys, "users", "--local", "--state-dir", str(tmp_path / "none"))
    bad_option = run(capsys, "drift", "--bogus")
    no_output = run(capsys, "import", "--local")

    assert missing_state == (1, {"error": {"kind": "setup", "message": missing_state[1]["error"]["message"]}})
    assert "finspace-users deploy" in missing_state[1]["error"]["message"]
    assert (bad_option[0], bad_option[1]["error"]["kind"]) == (1, "usage")
    assert (no_output[0], no_output[1]["error"]["kind"]) == (1, "usage")


def test_an_environment_the_demo_does_not_have_is_refused_naming_those_it_has(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, prod = tmp_path / "state", tmp_path / "prod.yaml"
    prod.write_text("environment: finspace-prod\ndefaults: {type: APP_USER}\nusers:\n  - {email: a@example.com}\n")

    deployed = run(capsys, "deploy", "--state-dir", str(state), "--users-file", str(prod))
    planned = run(capsys, "diff", "--state-dir", str(state), "--users-file", str(prod))
    open_emulator(state).backend.call("ListUsers", {"maxResults": 1}, environment_id=ENV)  # a state to read
    drifted = run(capsys, "drift", "--local", "--state-dir", str(state), "--users-file", str(prod))
    listed = run(capsys, "users", "--local", "--state-dir", str(state), "--environment-id", "finspace-prod")

    for code, report in (deployed, planned, drifted):
        assert (code, report["error"]["kind"]) == (1, "users-file")
        message = report["error"]["message"]
        assert message.startswith(f"{prod}: environment finspace-prod is unknown to the demo's emulator, which has "
                                  "only finspace-local and finspace-local-2")
        assert "register" not in message  # before: register the role, deploy --provider-only: a loop
        assert "--provider-only" not in message
    assert (listed[0], listed[1]["error"]["kind"]) == (1, "usage")
    assert "--environment-id: environment finspace-prod is unknown" in listed[1]["error"]["message"]
    assert not (state / "stacks").exists()  # refused before anything ran: no stack, no registration claimed


def test_local_verbs_change_the_emulator_by_hand_and_drift_reports_exactly_that(
    hand_made: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, users_file = hand_made, tmp_path / "users.yaml"
    users_file.write_text(HANDLERS_VIEW)
    at = ("--state-dir", str(state))
    before = everything(state)

    changed = [run(capsys, "local", *verb, *at) for verb in (
        ("disable-user", "ADA@example.com"), ("set-field", "bob@example.com", "type", "SUPER_USER"),
        ("remove-membership", "bob@example.com", "analysts"), ("add-membership", "ada@example.com", "empty"),
        ("set-field", "ada@example.com", "first_name", "Augusta"))]
    refused = {name: run(capsys, "local", *verb, *at)[1]["error"] for name, verb in {
        "no such user": ("disable-user", "nobody@example.com"),
        "already": ("disable-user", "ada@example.com"),
        "no such group": ("add-membership", "bob@example.com", "nogroup"),
        "not a member": ("remove-membership", "bob@example.com", "analysts"),
        "bad value": ("set-field", "bob@example.com", "type", "ROOT"),
        "no such environment": ("disable-user", "bob@example.com", "--environment-id", "finspace-prod"),
    }.items()}
    code, drifted = run(capsys, "drift", "--local", *at, "--users-file", str(users_file))
    again = shown(capsys, "deploy", "--provider-only", *at)

    assert [c for c, _ in changed] == [0] * 5
    assert [r["changed"]["verb"] for _, r in changed] == [
        "disable-user", "set-field", "remove-membership", "add-membership", "set-field"]
    assert changed[0][1]["changed"] == {"verb": "disable-user", "environmentId": ENV, "email": "ada@example.com",
                                        "userId": changed[0][1]["changed"]["userId"], "status": "DISABLED"}
    assert code == 2
    assert drifted["mutatingCallsMade"] == 0
    assert [(f["subject"], f["kind"], f["field"], f["declared"], f["actual"]) for f in drifted["drift"]] == [
        ("ada@example.com", "membership-added", "permission_groups", "", "empty"),
        ("ada@example.com", "status", "status", "ENABLED", "DISABLED"),  # its first name is not declared
        ("bob@example.com", "field", "type", "APP_USER", "SUPER_USER"),
        ("bob@example.com", "membership-removed", "permission_groups", "analysts", "")]
    assert {name: error["kind"] for name, error in refused.items()} == {
        "no such user": "usage", "already": "usage", "no such group": "usage", "not a member": "usage",
        "bad value": "finspace", "no such environment": "usage"}
    assert "ValidationException" in refused["bad value"]["message"]
    assert not any("example.com" in error["message"] for error in refused.values())  # errors never echo an email
    after = everything(state)
    assert [u for u in after["users"] if u["emailAddress"] == "gone@example.com"] == [
        u for u in before["users"] if u["emailAddress"] == "gone@example.com"]  # nothing else changed
    # the registration is checked in the demo's environments, and the line says so
    assert again[0] == 0
    assert ("2/3 role arn:aws:iam::123456789012:role/FinSpaceUserProvider-us-east-1 is already registered in "
            "finspace-local and finspace-local-2") in again[1]


def test_a_failed_deploy_gives_one_account_of_finspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state, users_file = tmp_path / "state", tmp_path / "users.yaml"
    users_file.write_text(BEFORE)

    code, text = shown(capsys, "deploy", "--skip-registration", "--state-dir", str(state), "--users-file",
                       str(users_file))

    # every Create refused (the role unregistered), then rolled back: the rollback's Deletes touched nothing
    assert code == 1
    assert text.endswith("Stack ROLLBACK_COMPLETE: nothing changed in FinSpace "
                         "No change: no mutating FinSpace call was made.")  # before: "1 disabled" above this
    assert " disabled " not in text


def test_destroy_shows_deleted_groups_as_deleted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state, users_file = tmp_path / "state", tmp_path / "users.yaml"
    users_file.write_text(BEFORE.replace("{email: dan@example.com,", "{email: dan@example.com, enabled: false,"))
    assert run(capsys, "deploy", "--state-dir", str(state), "--users-file", str(users_file))[0] == 0

    code, text = shown(capsys, "destroy", "--state-dir", str(state))

    assert code == 0
    summary = text[text.index("Stack DELETE_COMPLETE"):]
    # dan, disabled already, only lost the deleted group's membership: that is the group's change
    assert summary.startswith("Stack DELETE_COMPLETE: 4 disabled, 2 deleted ")
    assert "dan@example.com" not in summary
    assert "deleted analysts (finspace-local, now DELETED)" in summary
    assert "deleted engineers (finspace-local, now DELETED)" in summary
    assert "disabled analysts" not in summary
    assert summary.endswith("FinSpace calls: DeletePermissionGroup x2, DisableUser x4")
