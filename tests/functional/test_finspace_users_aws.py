"""``finspace-users`` against a FinSpace endpoint as on AWS: the caller's own AWS credentials,
exchanged through GetProgrammaticAccessCredentials, and only list operations (the call log shows it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finspace_users.cli import main
from tests.conftest import CALLER_KEYS, CALLER_ROLE_ARN, ENVIRONMENT_ID, REGION, EmulatorFactory

TARGET = ("--environment-id", ENVIRONMENT_ID, "--region", REGION, "--caller-role", CALLER_ROLE_ARN, "--json")


@pytest.fixture
def aws_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", str(CALLER_KEYS[0]))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", str(CALLER_KEYS[1]))
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def test_users_import_and_drift_only_read(make_emulator: EmulatorFactory, aws_caller: None, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    emulator = make_emulator()
    emulator.web_app.add_user(ENVIRONMENT_ID, "quant@example.com")
    emulator.clear_calls()
    users_file = tmp_path / "users.yaml"

    listed = main(["users", *TARGET])
    listing = json.loads(capsys.readouterr().out)
    imported = main(["import", *TARGET, "-o", str(users_file)])
    capsys.readouterr()
    drifted = main(["drift", *TARGET, "--users-file", str(users_file)])
    report = json.loads(capsys.readouterr().out)

    assert (listed, imported, drifted) == (0, 0, 0)
    assert [u["emailAddress"] for u in listing["users"]] == ["environment.admin@example.com", "quant@example.com"]
    assert "quant@example.com" in users_file.read_text()
    assert "role/FinSpaceUserProvider-us-east-1" not in users_file.read_text()  # the caller's own user is left out
    assert report == {"drift": [], "driftFound": False}
    assert emulator.mutating_calls() == []
    assert {c.operation for c in emulator.calls_of()} >= {"GetProgrammaticAccessCredentials", "ListUsers"}
