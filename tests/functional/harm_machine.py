"""A stateful property-based exploration of "do no harm" (docs/DESIGN.md), for the test suite and the
longer benchmark run (``make bench-harm``).

Hypothesis chooses sequences of imports (users made outside any stack, then adopted), deploys that
succeed or fail, renames of logical ids, removals, destroys, offboardings outside the stack and faults
(throttling, lost replies), all through the driver, the real handler and the emulator. After every step
the invariants are the oracle:
- every user that existed before the stack and is not declared now is as it was, or DISABLED if a
  successful operation removed its declaration; a declared user is as declared;
- no user is ENABLED that neither the stack nor the world outside it accounts for;
- the provider can still call FinSpace;
- the stack is in a state CloudFormation allows to go on from (no *_FAILED).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from finspace_local import FaultSettings
from finspace_local.webapp import ADMINISTRATOR_EMAILS, PROVIDER_USER_EMAIL
from tests.conftest import CALLER_ROLE_ARN, ENVIRONMENT_ID
from tests.functional.stack_harness import StackHarness, template, user

__all__ = ["EMAILS", "HarmMachine", "explore"]

EMAILS = ("u0@example.com", "u1@example.com", "u2@example.com", "u3@example.com")
SETTLED = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "ROLLBACK_COMPLETE"})
FAULTS = {
    "none": FaultSettings(),
    "lost-replies": FaultSettings(lost_reply_rate=0.3, seed=7),
    "throttling": FaultSettings(throttle_rate=15.0, throttle_burst=3),
}
FIELDS = ("type", "firstName", "lastName", "apiAccess", "apiAccessPrincipalArn", "status")


class HarmMachine(RuleBasedStateMachine):
    """One environment, one stack ``users``; the model is what each email should look like."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        self.harness = StackHarness(Path(self.folder.name), timeout_s=30)
        self.declared: dict[str, bool] = {}  # email -> Enabled, as the last successful operation left it
        self.removed: set[str] = set()  # declared once, then removed by a successful operation
        self.made_by_failure: set[str] = set()  # new users a failed operation may have made (then disabled)
        self.baseline: dict[str, dict[str, Any] | None] = {}  # users the stack never declared, as they are
        self.generation = 0  # part of every logical id: a rename changes it
        self.status = "absent"

    def teardown(self) -> None:
        self.harness.close()
        self.folder.cleanup()

    # --- the world outside the stack ------------------------------------------------
    @initialize(existing=st.sets(st.sampled_from(EMAILS), min_size=2), offboarded=st.sets(st.sampled_from(EMAILS)),
                names=st.lists(st.sampled_from(("Li", "Data", "User", "Access")), min_size=4, max_size=4))
    def users_made_outside(self, existing: set[str], offboarded: set[str], names: list[str]) -> None:
        for email, name in zip(EMAILS, names, strict=True):
            if email in existing:
                user_id = self._call("CreateUser", emailAddress=email, type="APP_USER", firstName=name)["userId"]
                self.harness.emulator.backend.finish_creating(user_id)
                if email in offboarded:
                    self._call("DisableUser", userId=user_id)
        self.baseline = {email: self._row(email) for email in EMAILS}

    @rule(email=st.sampled_from(EMAILS))
    def offboard_outside(self, email: str) -> None:
        """A person disables a user the stack does not declare."""
        row = self._row(email)
        if email in self.declared or row is None or row["status"] != "ENABLED":
            return
        self._call("DisableUser", userId=row["userId"])
        self._forget_expectation(email)

    # --- what the stack does --------------------------------------------------------------
    @rule(chosen=st.dictionaries(st.sampled_from(EMAILS), st.booleans()), fail=st.booleans(),
          fault=st.sampled_from(sorted(FAULTS)))
    def deploy(self, chosen: dict[str, bool], fail: bool, fault: str) -> None:
        body = self._template(chosen, fail=fail)
        self.harness.emulator.faults.configure(FAULTS[fault])
        try:
            result = self.harness.deploy(body)
        finally:
            self.harness.emulator.faults.configure(FAULTS["none"])
        self.status = result.status
        if result.ok:
            self._succeeded(chosen)
        else:
            self.made_by_failure |= {e for e in chosen if self.baseline.get(e) is None and e not in self.declared
                                     and e not in self.removed}

    @rule()
    def rename_logical_ids(self) -> None:
        """The same declaration under new construct ids: a refactored app."""
        if not self.declared or self.status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE",
                                                    "UPDATE_ROLLBACK_COMPLETE"):
            return
        self.generation += 1
        result = self.harness.deploy(self._template(self.declared, fail=False))
        self.status = result.status
        assert result.ok, [e.reason for e in result.events if e.reason]

    @rule()
    def destroy(self) -> None:
        if self.harness.driver.stack("users") is None:
            return
        result = self.harness.delete()
        self.status = "absent" if result.status == "DELETE_COMPLETE" else result.status
        if result.status == "DELETE_COMPLETE":
            self._succeeded({})

    # --- the oracle -------------------------------------------------------------------------
    @invariant()
    def stack_can_go_on(self) -> None:
        assert self.status == "absent" or self.status in SETTLED, self.status

    @invariant()
    def provider_can_still_call_finspace(self) -> None:
        assert self.harness.emulator.web_app.is_registered(ENVIRONMENT_ID, CALLER_ROLE_ARN)

    @invariant()
    def nothing_is_worse_than_before_or_than_declared(self) -> None:
        for email in EMAILS:
            row = self._row(email)
            if email in self.declared:
                assert row is not None
                assert row["status"] == ("ENABLED" if self.declared[email] else "DISABLED")
                assert (row["firstName"], row["type"]) == (_name(email), "APP_USER")
            elif email in self.removed:
                assert (row or {}).get("status") == "DISABLED", email
            elif email in self.made_by_failure:
                assert row is None or row["status"] == "DISABLED", email
            else:
                assert _fields(row) == _fields(self.baseline[email]), email

    @invariant()
    def no_enabled_user_that_nobody_accounts_for(self) -> None:
        accounted = set(ADMINISTRATOR_EMAILS) | {e for e, on in self.declared.items() if on} | {
            e for e, row in self.baseline.items() if row is not None and row["status"] == "ENABLED"
            and e not in self.declared and e not in self.removed}
        enabled = {row["emailAddress"] for row in self.harness.emulator.web_app.users(ENVIRONMENT_ID)
                   if row["status"] == "ENABLED"}
        assert enabled <= accounted, enabled - accounted

    # --- helpers ---------------------------------------------------------------------------
    def _template(self, chosen: dict[str, bool], *, fail: bool) -> dict[str, Any]:
        resources = {f"U{email[1]}G{self.generation}": user(
            email, FirstName=_name(email), Enabled=str(enabled).lower(), AdoptExisting="true")
            for email, enabled in chosen.items()}
        if fail:  # an ENABLED user declared without AdoptExisting, last: the deploy fails and rolls back
            resources["Fail"] = {**user(PROVIDER_USER_EMAIL, "SUPER_USER"), "DependsOn": sorted(resources)}
        return template(**resources)

    def _succeeded(self, chosen: dict[str, bool]) -> None:
        self.removed = (self.removed | set(self.declared)) - set(chosen)
        self.made_by_failure -= set(chosen)
        self.declared = dict(chosen)

    def _forget_expectation(self, email: str) -> None:
        self.baseline[email] = self._row(email)
        self.removed.discard(email)

    def _row(self, email: str) -> dict[str, Any] | None:
        return self.harness.emulator.web_app.find_user(ENVIRONMENT_ID, email)

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.harness.emulator.backend.call(operation, params, environment_id=ENVIRONMENT_ID)
        return result


def _name(email: str) -> str:
    return f"Declared{email[1]}"


def _fields(row: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if row is None else {k: row.get(k) for k in FIELDS}


def explore(examples: int, steps: int) -> None:
    """Run the machine: ``examples`` sequences of up to ``steps`` steps, derandomized (same seed each run)."""
    run_state_machine_as_test(HarmMachine, settings=settings(
        max_examples=examples, stateful_step_count=steps, deadline=None, database=None, derandomize=True,
        suppress_health_check=list(HealthCheck)))
