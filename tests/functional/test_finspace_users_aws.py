"""``finspace-users`` against a FinSpace endpoint as on AWS: the caller's own AWS credentials,
exchanged through GetProgrammaticAccessCredentials, and only list operations (the call log shows it)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from finspace_local.faults import FaultSettings
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


def test_a_read_fails_at_once_when_the_connection_never_opens(aws_caller: None, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:  # a port nothing listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_FINSPACE_DATA", f"https://127.0.0.1:{port}")

    started = time.monotonic()
    code = main(["users", *TARGET])
    elapsed = time.monotonic() - started
    error = json.loads(capsys.readouterr().out)["error"]

    assert (code, error["kind"]) == (1, "finspace")
    assert error["message"].startswith(f"environment {ENVIRONMENT_ID}: GetProgrammaticAccessCredentials failed with "
                                       f"EndpointConnectionError: Could not connect to the endpoint URL: "
                                       f'"https://127.0.0.1:{port}/')
    assert "attempts" not in error["message"]  # one: before, every retry of the 120 s budget
    assert elapsed < 10


def test_a_read_still_rides_out_5xx_and_dropped_connections(make_emulator: EmulatorFactory, aws_caller: None,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    emulator = make_emulator()
    emulator.web_app.add_user(ENVIRONMENT_ID, "quant@example.com")
    emulator.clear_calls()
    emulator.faults.configure(FaultSettings(error_rate=0.4, drop_rate=0.2, seed=3))

    code = main(["users", *TARGET])
    listing = json.loads(capsys.readouterr().out)

    assert code == 0
    assert [u["emailAddress"] for u in listing["users"]] == ["environment.admin@example.com", "quant@example.com"]
    assert {c.error for c in emulator.calls_of() if c.error} == {"InternalServerException", "Dropped"}
