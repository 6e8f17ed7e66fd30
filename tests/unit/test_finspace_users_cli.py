"""The command line's own rules (issue 18): reads that fail fast on a connection that never opened,
drift's JSON keys and advice, the deploy's and destroy's account of FinSpace, the command to run
when an installed ``finspace-users`` cannot import the stand-ins, and app.py's exit code."""

from __future__ import annotations

import importlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError, SSLError

from finspace_users.changes import Changes, FinSpaceState, changes_between
from finspace_users.cli import main
from finspace_users.drift import Finding, corrections
from finspace_users.errors import EXIT_DRIFT, EXIT_ERROR
from finspace_users.finspace import ReadPersistence
from lambda_handler.deadline import Deadline
from lambda_handler.errors import ApiCallError
from lambda_handler.retries import Backoff

ROOT = Path(__file__).resolve().parents[2]


class Calls:
    """A FinSpace call that raises the given errors in turn, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.made = 0

    def __call__(self, **_kwargs: Any) -> dict[str, Any]:
        self.made += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"users": []}


def reads(budget_s: float = 120.0) -> tuple[ReadPersistence, list[float]]:
    left, slept = [budget_s], list[float]()

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        left[0] -= seconds

    return ReadPersistence(Deadline(lambda: left[0]), sleep, Backoff(), random.Random(1)), slept


def throttled(status: int = 400, code: str = "ThrottlingException") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "ListUsers")


@pytest.mark.parametrize("error", [EndpointConnectionError(endpoint_url="https://finspace-api.example.invalid"),
                                   SSLError(endpoint_url="https://127.0.0.1:1", error="CERTIFICATE_VERIFY_FAILED")])
def test_a_connection_that_never_opened_fails_at_once(error: Exception) -> None:
    persistence, slept = reads()
    call = Calls(error, error)

    with pytest.raises(ApiCallError) as failed:
        persistence.call("ListUsers", call)

    assert (call.made, slept) == (1, [])  # before: retried for the whole 120 s budget
    assert failed.value.code == type(error).__name__
    assert "not retried" in str(failed.value)
    assert "https://" in str(failed.value)  # which endpoint it tried: the fix is in the settings


def test_throttling_5xx_and_a_dropped_connection_are_still_retried() -> None:
    persistence, slept = reads()
    call = Calls(throttled(), throttled(500, "InternalServerException"), ConnectionClosedError(endpoint_url="x"),
                 throttled(429, "TooManyRequestsException"))

    assert persistence.call("ListUsers", call) == {"users": []}
    assert (call.made, len(slept)) == (5, 4)


def test_drift_json_keys_are_camel_case_like_every_other_document() -> None:
    finding = Finding("finspace-local", "field", "ada@example.com", "type", "SUPER_USER", "APP_USER")

    assert finding.as_dict() == {"environmentId": "finspace-local", "kind": "field", "subject": "ada@example.com",
                                 "field": "type", "declared": "SUPER_USER", "actual": "APP_USER"}


def test_drift_advises_what_fixes_each_kind_of_finding() -> None:
    def finding(kind: str) -> Finding:
        return Finding("finspace-local", kind, "x@example.com")

    unmanaged = corrections([finding("unmanaged-user"), finding("unmanaged-group")])
    drifted = corrections([finding("status"), finding("membership-added"), finding("group-changed")])
    missing = corrections([finding("missing")])

    assert len(unmanaged) == 1
    assert "reapply" not in unmanaged[0]  # a re-apply leaves an unmanaged user as it is (README: Drift)
    assert all(advice in unmanaged[0] for advice in ("declare", "disable", "--ignore-unmanaged"))
    assert [("reapply" in advice) for advice in drifted] == [True]
    assert [("reapply" in advice, "deploy" in advice) for advice in missing] == [(False, True)]
    assert corrections([]) == []


def test_the_calls_line_never_says_no_change_under_a_change() -> None:
    from finspace_users.demo import _calls_line

    changed = Changes(disabled=[{"email": "a@example.com", "environmentId": "e", "status": "DISABLED"}])

    assert _calls_line({}, Changes()).endswith("No change[/]: no mutating FinSpace call was made.")
    assert "No change" not in _calls_line({}, changed)
    assert "the rollback restored it" in _calls_line({"CreateUser": 1, "DisableUser": 1}, Changes())
    assert "restored" not in _calls_line({"DisableUser": 1}, changed)


def test_a_deleted_group_is_deleted_and_its_members_are_not_updated_by_it() -> None:
    def user(email: str, status: str, groups: list[str]) -> dict[str, Any]:
        return {"environmentId": "e", "emailAddress": email, "status": status, "type": "APP_USER",
                "permissionGroups": groups}

    group = {"environmentId": "e", "permissionGroupId": "g1", "name": "analysts", "applicationPermissions": []}
    before = FinSpaceState.of([user("in@example.com", "ENABLED", ["analysts"]),
                               user("out@example.com", "DISABLED", ["analysts"])], [group])
    after = FinSpaceState.of([user("in@example.com", "DISABLED", []), user("out@example.com", "DISABLED", [])], [])
    again = FinSpaceState.of([user("in@example.com", "ENABLED", ["analysts"]),
                              user("out@example.com", "DISABLED", ["analysts"])],
                             [{**group, "permissionGroupId": "g2"}])  # replaced under the same name

    destroyed = changes_between(before, after)

    assert destroyed.summary() == "1 disabled, 1 deleted"
    assert destroyed.deleted == [{"group": "analysts", "environmentId": "e", "status": "DELETED"}]
    assert [e["email"] for e in destroyed.disabled] == ["in@example.com"]
    assert destroyed.updated == []  # out@ only lost the deleted group's membership
    assert changes_between(before, again).summary() == "1 created, 1 deleted"  # the new group, the old one


@pytest.fixture
def without_stand_ins(monkeypatch: pytest.MonkeyPatch) -> None:
    """As an installed finspace-users: finspace_local cannot be imported."""
    for loaded in ("finspace_users.demo", "finspace_users.local"):  # loaded: the imports must fail all the same
        importlib.import_module(loaded)
    for name in [n for n in sys.modules if n == "finspace_local" or n.startswith("finspace_local.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "finspace_local", None)
    for name in ("demo", "local"):
        monkeypatch.delitem(sys.modules, f"finspace_users.{name}")
        monkeypatch.delattr(sys.modules["finspace_users"], name)


@pytest.mark.parametrize("argv", [["users", "--local"], ["deploy", "--users-file", "teams/a b.yaml"],
                                  ["local", "disable-user", "ada@example.com"]])
def test_an_installed_finspace_users_gives_the_command_to_run_in_the_checkout(
    argv: list[str], without_stand_ins: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path
) -> None:
    monkeypatch.chdir(ROOT)
    in_checkout = main([*argv, "--json"])
    here = json.loads(capsys.readouterr().out)["error"]
    monkeypatch.chdir(tmp_path)
    elsewhere = main(argv)
    there = capsys.readouterr().err

    command = ".venv/bin/python -m finspace_users " + " ".join(a if " " not in a else f"'{a}'" for a in argv)
    assert (in_checkout, here["kind"]) == (EXIT_ERROR, "setup")
    assert here["message"].endswith(f"From this checkout, with its venv, run: {command} --json")
    assert elsewhere == EXIT_ERROR
    assert f"In the repository checkout, with its venv, run: {command}" in there


def test_app_exits_with_the_input_error_code_on_a_bad_users_file_not_the_drift_code(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("environment: finspace-local\nusers:\n  - {email: a@example.com, type: ROOT}\n")
    environment = {**os.environ, "CDK_CONTEXT_JSON": json.dumps({"usersFile": str(bad)}),
                   "CDK_OUTDIR": str(tmp_path / "cdk.out")}  # as the CDK CLI runs the app

    app = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=environment, capture_output=True, text=True,
                         timeout=300, check=False)

    assert app.returncode == EXIT_ERROR != EXIT_DRIFT, app.stderr[-2000:]
    assert "users[0].type" in app.stderr
