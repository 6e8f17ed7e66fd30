"""Issue 16's acceptance story: an environment made by hand, imported with ``finspace-users import``,
then a first deploy that fails. FinSpace must be exactly as before, as ``finspace-users users`` shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from finspace_local.webapp import ADMINISTRATOR_EMAILS
from tests.functional.test_finspace_users import everything, hand_made, run

__all__ = ["hand_made"]  # the fixture, shared with test_finspace_users

TIMES = ("createTime", "lastModifiedTime", "lastEnabledTime", "lastDisabledTime", "lastLoginTime")


def listed(capsys: pytest.CaptureFixture[str], state: Path) -> list[dict[str, Any]]:
    code, report = run(capsys, "users", "--local", "--state-dir", str(state))
    assert code == 0
    return sorted(({k: v for k, v in u.items() if k not in TIMES} for u in report["users"]),
                  key=lambda u: str(u.get("userId")))


def test_a_failed_first_deploy_after_import_leaves_the_environment_identical(
    hand_made: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, users_file = hand_made, tmp_path / "imported.yaml"
    assert run(capsys, "import", "--local", "--state-dir", str(state), "--environment-id", "finspace-local",
               "-o", str(users_file))[0] == 0
    declaration = yaml.safe_load(users_file.read_text())
    administrator = sorted(ADMINISTRATOR_EMAILS)[0]  # ENABLED and not adopted: this entry must fail
    declaration["users"].append({"email": administrator, "type": "SUPER_USER"})
    users_file.write_text(yaml.safe_dump(declaration, sort_keys=False))
    before, shown_before = everything(state), listed(capsys, state)

    code, deployed = run(capsys, "deploy", "--state-dir", str(state), "--users-file", str(users_file))

    assert code != 0
    assert deployed["status"] == "ROLLBACK_COMPLETE"
    assert any("AdoptExisting" in f["reason"] for f in deployed["failures"])
    assert everything(state) == before
    assert listed(capsys, state) == shown_before
    assert all(not entries for entries in deployed["changes"].values())
