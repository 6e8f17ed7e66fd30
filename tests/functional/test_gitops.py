"""The GitOps loop as a pipeline runs it: users file -> cdk synth -> deploy, with the command line
that `make demo` uses, against the emulator; and synthesis that is byte-identical and offline."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path
from typing import Any

import pytest

from finspace_local.cdk_app import synth
from finspace_local.server import Emulator, EmulatorSettings
from finspace_local.state import BackendSettings
from finspace_users.cli import main

BASE = """\
defaults: {type: APP_USER}
environment: finspace-local
users:
  - {email: keep@example.com, type: SUPER_USER, first_name: Keep}
  - {email: edit@example.com, first_name: Before}
  - {email: leave@example.com}
  - {email: old.address@example.com}
"""
EDITED = """\
defaults: {type: APP_USER}
environment: finspace-local
users:
  - {email: new.hire@example.com}
  - {email: edit@example.com, first_name: After}
  - {email: keep@example.com, type: SUPER_USER, first_name: Keep}
  - {email: new.address@example.com}
"""


def run(capsys: pytest.CaptureFixture[str], state: Path, command: str, users_file: Path | None = None
        ) -> tuple[int, dict[str, Any]]:
    argv = [command, "--state-dir", str(state), "--json", *(["--local"] if command == "users" else [])]
    if users_file is not None:
        argv += ["--users-file", str(users_file)]
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def emails(entries: list[dict[str, str]]) -> list[str]:
    return sorted(e["email"] for e in entries)


def test_deploy_again_edit_and_destroy_report_exactly_what_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, base, edited = tmp_path / "state", tmp_path / "base.yaml", tmp_path / "edited.yaml"
    base.write_text(BASE)
    edited.write_text(EDITED)

    first = run(capsys, state, "deploy", base)
    again = run(capsys, state, "deploy", base)
    planned = run(capsys, state, "diff", edited)
    applied = run(capsys, state, "deploy", edited)
    listed = run(capsys, state, "users")
    destroyed = run(capsys, state, "destroy")

    assert first[0] == 0
    assert emails(first[1]["changes"]["created"]) == [
        "edit@example.com", "keep@example.com", "leave@example.com", "old.address@example.com"]
    assert again[0] == 0
    assert again[1]["finspaceCalls"] == {}
    assert all(not entries for entries in again[1]["changes"].values())
    changes = applied[1]["changes"]
    planned_by = {a: sorted(c["email"] for c in planned[1]["changes"] if c["action"] == a)
                  for a in ("create", "update", "disable")}
    assert planned_by["create"] == emails(changes["created"]) == ["new.address@example.com", "new.hire@example.com"]
    assert planned_by["update"] == emails(changes["updated"]) == ["edit@example.com"]
    assert planned_by["disable"] == emails(changes["disabled"]) == ["leave@example.com", "old.address@example.com"]
    assert planned[1]["finspaceCalls"] == applied[1]["finspaceCalls"]
    status = {u["emailAddress"]: u["status"] for u in listed[1]["users"]}
    assert status == {"keep@example.com": "ENABLED", "edit@example.com": "ENABLED", "leave@example.com": "DISABLED",
                      "old.address@example.com": "DISABLED", "new.hire@example.com": "ENABLED",
                      "new.address@example.com": "ENABLED"}
    assert next(u for u in listed[1]["users"] if u["emailAddress"] == "edit@example.com")["firstName"] == "After"
    assert destroyed[0] == 0
    assert len(destroyed[1]["changes"]["disabled"]) == 4


def test_a_failing_user_rolls_the_whole_update_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state, base, edited = tmp_path / "state", tmp_path / "base.yaml", tmp_path / "edited.yaml"
    base.write_text(BASE)
    # edit@ changes, and a user is added whose email an enabled, undeclared user already holds.
    edited.write_text(BASE.replace("Before", "After") + "  - {email: someone.else@example.com}\n")
    run(capsys, state, "deploy", base)
    with Emulator(EmulatorSettings(db_path=str(state / "finspace.sqlite"), tls=False,
                                   backend=BackendSettings(environments=frozenset({"finspace-local"})))) as emu:
        emu.backend.call("CreateUser", {"emailAddress": "someone.else@example.com", "type": "APP_USER"})

    code, report = run(capsys, state, "deploy", edited)

    assert code == 1
    assert report["status"] == "UPDATE_ROLLBACK_COMPLETE"
    users = {u["emailAddress"]: u for u in report["users"]}
    assert users["edit@example.com"]["firstName"] == "Before"
    assert users["someone.else@example.com"]["status"] == "ENABLED"


def test_a_bad_users_file_exits_2_naming_file_line_and_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("environment: finspace-local\nusers:\n  - {email: a@example.com, type: ROOT}\n")

    code = main(["deploy", "--state-dir", str(tmp_path / "state"), "--users-file", str(bad)])

    assert code == 1
    assert f"{bad}:3: users[0].type: must be 'SUPER_USER' or 'APP_USER'" in capsys.readouterr().err


def test_cli_synth_is_byte_identical_and_offline(tmp_path: Path) -> None:
    context = {"usersFile": str(Path(__file__).resolve().parents[2] / "users.yaml")}

    synth(tmp_path / "one", context)
    synth(tmp_path / "two", context)

    templates = sorted(p.name for p in (tmp_path / "one").glob("*.template.json"))
    assert len(templates) >= 2  # the parent and its nested stacks
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "one", tmp_path / "two", templates, shallow=False)
    assert (mismatch, errors) == ([], [])
    assert match == templates


GROUPED = """\
environment: finspace-local
permission_groups:
  - {name: analysts, application_permissions: [AccessNotebooks]}
  - {name: engineers, application_permissions: [CreateDataset]}
defaults: {type: APP_USER}
users:
  - {email: mover@example.com, permission_groups: [analysts]}
"""


def test_memberships_follow_the_users_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state, before, after = tmp_path / "state", tmp_path / "before.yaml", tmp_path / "after.yaml"
    before.write_text(GROUPED)
    after.write_text(GROUPED.replace("permission_groups: [analysts]}", "permission_groups: [engineers]}"))

    first = run(capsys, state, "deploy", before)
    moved = run(capsys, state, "deploy", after)

    assert first[1]["users"][0]["permissionGroups"] == ["analysts"]
    assert moved[0] == 0
    assert moved[1]["users"][0]["permissionGroups"] == ["engineers"]
    assert moved[1]["finspaceCalls"] == {"AssociateUserToPermissionGroup": 1, "DisassociateUserFromPermissionGroup": 1}
