"""``finspace-users`` and the provider's own user on the demo's emulator: import leaves it out and names
it, a diff shows what the handler refuses as a lockout (the deploy then fails with the same reason and
changes nothing), and re-enabling a user found DISABLED is named, or refused with
``reenable_requires_adopt: true`` exactly as the deploy refuses it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from finspace_constructs.users_file import load_declaration
from finspace_users.cli import main

from .test_finspace_users import ENV, admin, everything, run

PROVIDER_EMAIL = "finspace-provider@example.com"  # the demo registers its role as this user
PROVIDER_ROLE = "arn:aws:iam::123456789012:role/FinSpaceUserProvider-us-east-1"
REENABLES = "re-enables a user disabled outside this stack"


@pytest.fixture
def registered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The provider stack deployed and its role registered (a SUPER_USER), and one user made by hand."""
    state = tmp_path / "state"
    assert run(capsys, "deploy", "--provider-only", "--state-dir", str(state))[0] == 0
    admin(state, "CreateUser", emailAddress="ada@example.com", type="SUPER_USER")
    return state


def user_of(state: Path, email: str) -> dict[str, Any]:
    return next(u for u in everything(state)["users"] if u["emailAddress"] == email)


def failure_reasons(deployed: dict[str, Any]) -> list[str]:
    return [f["reason"] for f in deployed["failures"] if f["status"].endswith("FAILED")]


def test_import_leaves_the_provider_s_user_out_and_names_it(
    registered: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = registered
    admin(state, "CreateUser", emailAddress="bot@example.com", type="SUPER_USER", apiAccess="ENABLED",
          apiAccessPrincipalArn="arn:aws:iam::123456789012:role/team-provider")
    where = ("--local", "--state-dir", str(state), "--environment-id", ENV)
    named, kept, chosen = tmp_path / "named.yaml", tmp_path / "kept.yaml", tmp_path / "chosen.yaml"

    code, report = run(capsys, "import", *where, "-o", str(named))
    run(capsys, "import", *where, "--include-provider", "-o", str(kept))
    run(capsys, "import", *where, "--provider-role-arn", "arn:aws:iam::123456789012:role/team-provider",
        "-o", str(chosen))
    bad_arn = run(capsys, "import", *where, "--provider-role-arn", "robot", "-o", str(tmp_path / "x.yaml"))

    text = named.read_text()
    assert (code, report["files"][0]["providerUserLeftOut"], report["mutatingCallsMade"]) == (0, True, 0)
    assert f"\nprovider_user: {PROVIDER_EMAIL}\nenvironment: {ENV}\n" in text
    assert "# provider_user: the user the provider signs in as" in text  # and why it is not declared
    declaration = load_declaration(named)
    assert [u.email for u in declaration.users] == ["ada@example.com", "bot@example.com"]
    assert declaration.provider_users == {ENV: PROVIDER_EMAIL}
    # --include-provider: declared as it is, and so no provider_user
    included = {u.email: u for u in load_declaration(kept).users}
    assert "provider_user" not in kept.read_text()
    robot = included[PROVIDER_EMAIL]
    assert (robot.api_access_principal_arn, robot.enabled, robot.adopt_existing) == (PROVIDER_ROLE, True, True)
    # --provider-role-arn: that role's user is the provider's (the demo's role stays an administrator's)
    assert load_declaration(chosen).provider_users == {ENV: "bot@example.com"}
    assert [u.email for u in load_declaration(chosen).users] == ["ada@example.com"]
    assert (bad_arn[0], bad_arn[1]["error"]["kind"]) == (1, "usage")

    deployed = run(capsys, "deploy", "--state-dir", str(state), "--users-file", str(kept))[1]
    locking = tmp_path / "locking.yaml"
    locking.write_text(kept.read_text().replace(f"- email: {PROVIDER_EMAIL}\n",
                                                f"- email: {PROVIDER_EMAIL}\n  enabled: false\n"))
    refused = run(capsys, "diff", "--state-dir", str(state), "--users-file", str(locking))

    assert deployed["status"] == "CREATE_COMPLETE", deployed["failures"]
    assert deployed["finspaceCalls"] == {}  # the provider's user adopted as it is
    assert refused[0] == 1
    assert refused[1]["error"]["kind"] == "users-file"
    assert "enabled: is false for the provider's own user" in refused[1]["error"]["message"]
    assert PROVIDER_EMAIL not in refused[1]["error"]["message"]


def test_diff_shows_a_principal_change_of_the_provider_s_user_as_the_handler_s_refusal(
    registered: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The file does not name the provider's user (no provider_user, another principal): only the
    handler, which knows its role, can tell, and the diff asks the handler's own guard."""
    state, users_file = registered, tmp_path / "users.yaml"
    users_file.write_text(f"""\
environment: {ENV}
users:
  - email: {PROVIDER_EMAIL}
    type: SUPER_USER
    adopt_existing: true
    api_access_principal_arn: arn:aws:iam::123456789012:role/analytics
""")
    before = everything(state)

    code, plan = run(capsys, "diff", "--state-dir", str(state), "--users-file", str(users_file))
    deployed = run(capsys, "deploy", "--state-dir", str(state), "--users-file", str(users_file))[1]
    users_file.write_text(f"provider_user: {PROVIDER_EMAIL}\n" + users_file.read_text())
    named = run(capsys, "diff", "--state-dir", str(state), "--users-file", str(users_file))

    (change,) = plan["changes"]
    assert (code, change["action"], change["calls"], plan["willFail"]) == (0, "fail", [], True)
    assert "ApiAccess/ApiAccessPrincipalArn would take user" in change["reason"]
    assert "API access from the provider role" in change["reason"]
    assert deployed["status"] == "ROLLBACK_COMPLETE"
    assert any(change["reason"] in reason for reason in failure_reasons(deployed)), deployed["failures"]
    assert everything(state) == before  # nothing was changed: the provider keeps its access
    assert user_of(state, PROVIDER_EMAIL)["apiAccessPrincipalArn"] == PROVIDER_ROLE
    # named in the file, the same declaration is refused before any deploy
    assert (named[0], named[1]["error"]["kind"]) == (1, "users-file")
    assert "names another role than the provider's" in named[1]["error"]["message"]


def test_diff_shows_a_group_that_would_cut_the_provider_s_app_user_off(
    registered: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, users_file = registered, tmp_path / "users.yaml"
    group = admin(state, "CreatePermissionGroup", name="admins",
                  applicationPermissions=["ManageUsersAndGroups", "GetTemporaryCredentials"])["permissionGroupId"]
    robot = user_of(state, PROVIDER_EMAIL)["userId"]
    admin(state, "AssociateUserToPermissionGroup", permissionGroupId=group, userId=robot)
    admin(state, "UpdateUser", userId=robot, type="APP_USER")
    users_file.write_text(f"""\
environment: {ENV}
permission_groups:
  - {{name: admins, application_permissions: [GetTemporaryCredentials], adopt_existing: true}}
users: []
""")
    before = everything(state)

    plan = run(capsys, "diff", "--state-dir", str(state), "--users-file", str(users_file))[1]
    deployed = run(capsys, "deploy", "--state-dir", str(state), "--users-file", str(users_file))[1]

    (change,) = plan["changes"]
    assert (change["group"], change["action"], change["calls"]) == ("admins", "fail", [])
    assert change["reason"].startswith(f"ApplicationPermissions would take ManageUsersAndGroups from group {group}, "
                                       f"the last one that lets the provider's user {robot} manage users")
    assert deployed["status"] == "ROLLBACK_COMPLETE"
    assert any(change["reason"] in reason for reason in failure_reasons(deployed)), deployed["failures"]
    assert everything(state) == before


REENABLE = f"""\
environment: {ENV}
users:
  - {{email: gone@example.com, type: APP_USER}}
"""


def test_a_reclaim_is_named_and_refused_as_the_handler_refuses_it_with_reenable_requires_adopt(
    registered: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, lenient, strict = registered, tmp_path / "lenient.yaml", tmp_path / "strict.yaml"
    gone = admin(state, "CreateUser", emailAddress="gone@example.com", type="APP_USER")["userId"]
    admin(state, "DisableUser", userId=gone)
    lenient.write_text(REENABLE)
    strict.write_text("reenable_requires_adopt: true\n" + REENABLE)
    diff = ("diff", "--state-dir", str(state), "--users-file")

    code = main([*diff, str(lenient)])
    text = capsys.readouterr().out
    plan = run(capsys, *diff, str(lenient))[1]
    refusal = run(capsys, *diff, str(strict))[1]
    refused = run(capsys, "deploy", "--state-dir", str(state), "--users-file", str(strict))[1]
    still_disabled = user_of(state, "gone@example.com")["status"]
    deployed = run(capsys, "deploy", "--state-dir", str(state), "--users-file", str(lenient))[1]

    assert code == 0
    assert REENABLES in text  # the change's own row
    assert "re-enables 1 user(s) disabled outside this stack" in text  # the summary
    (change,) = plan["changes"]
    assert (change["action"], change["status"], change["calls"], change["notes"]) == (
        "reclaim", "ENABLED", ["EnableUser"], [REENABLES])
    assert plan["reenables"] == [change["resource"]]
    (failing,) = refusal["changes"]
    assert (failing["action"], failing["notes"], refusal["reenables"]) == ("fail", [], [])
    assert failing["reason"] == (f"EmailAddress belongs to FinSpace user {gone}, which is DISABLED; set "
                                 "AdoptExisting: true to manage it from this stack, or declare another email")
    # the provider the deploy updates (step 1) has the file's setting, and answers as planned
    assert refused["status"] == "ROLLBACK_COMPLETE"
    assert any(failing["reason"] in reason for reason in failure_reasons(refused)), refused["failures"]
    assert still_disabled == "DISABLED"
    assert deployed["status"] == "CREATE_COMPLETE", deployed["failures"]
    assert deployed["finspaceCalls"] == plan["finspaceCalls"] == {"EnableUser": 1}
    assert user_of(state, "gone@example.com")["status"] == "ENABLED"
