"""Deploy a users file to the local FinSpace emulator: the main job, on one command.

    python -m finspace_local.cli deploy  [--users-file users.yaml] [--json]
    python -m finspace_local.cli diff    [--users-file users.yaml] [--json]
    python -m finspace_local.cli destroy [--json]
    python -m finspace_local.cli users   [--json]

``deploy`` synthesizes app.py with the pinned CDK CLI, then deploys it through the
local CloudFormation driver and the real handler (from the bundled asset) against
the emulator; FinSpace state and stacks are kept under ``--state-dir``. Exit codes:
0 done, 1 the stack operation failed, 2 the users file (or the command line) is wrong.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from finspace_constructs.users_file import UsersFileError, load_users

from .cdk_app import REPO, STACK_NAME, asset_dir, synth, templates_by_stack
from .cfn import Driver, HandlerSpec, LambdaFunction, StackEvent
from .plan import GROUP_TYPE, USER_TYPE, Changes, changes_from_events, planned_changes, user_labels
from .server import Emulator, EmulatorSettings
from .state import BackendSettings
from .tls import LocalCA

__all__ = ["main"]

ENVIRONMENTS = frozenset({"finspace-local", "finspace-local-2"})
STATUS_STYLES = {"COMPLETE": "green", "FAILED": "red", "IN_PROGRESS": "yellow", "SKIPPED": "dim"}
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
SHOWN_TYPES = frozenset({USER_TYPE, GROUP_TYPE})
WIDTH_WHEN_PIPED = 140


class Session:
    """The emulator (with its saved state) and what the commands share."""

    def __init__(self, args: argparse.Namespace, console: Console) -> None:
        self.args, self.console = args, console
        self.state: Path = args.state_dir
        self.state.mkdir(parents=True, exist_ok=True)
        self.ca = LocalCA(self.state / "ca")
        backend = BackendSettings(environments=ENVIRONMENTS)
        self.emulator = Emulator(EmulatorSettings(db_path=str(self.state / "finspace.sqlite"), backend=backend),
                                 ca=self.ca)
        self.labels: dict[str, dict[str, str]] = {}  # stack/logical id -> email, environment

    def say(self, text: str) -> None:
        if not self.args.json:
            self.console.print(text)

    def synth(self) -> tuple[Path, dict[str, Any]]:
        """Check the users file here (precise errors, exit 2), then run ``cdk synth``."""
        load_users(Path(self.args.users_file))
        out = self.state / "cdk.out"
        self.say(f"[bold]cdk synth[/] {self.args.users_file}")
        return out, synth(out, {"usersFile": str(Path(self.args.users_file).resolve())})

    def driver(self, function: LambdaFunction | None, events: list[StackEvent]) -> Driver:
        def record(event: StackEvent) -> None:
            events.append(event)
            if event.resource_type not in SHOWN_TYPES and event.logical_id != STACK_NAME:
                return  # the provider's and nested stacks' own events are noise here
            style = next((s for key, s in STATUS_STYLES.items() if event.status.endswith(key)), "white")
            reason = f"  {event.reason}" if event.reason else ""
            label = self.labels.get(f"{event.stack}/{event.logical_id}", {})
            name = label.get("email") or label.get("group") or event.logical_id
            self.say(f"{_short(event.stack)[:22]:<22} {name[:30]:<30} [{style}]{event.status}[/]{reason}")

        return Driver(self.state / "stacks", self.ca, default_function=function, on_event=record)

    def function(self, out: Path, template: dict[str, Any]) -> LambdaFunction:
        return LambdaFunction(HandlerSpec(
            code_dir=asset_dir(out, template), handler="lambda_handler.index.handler",
            environment={"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIALOCALPROVIDER",
                         "AWS_SECRET_ACCESS_KEY": "local-provider-secret", **self.emulator.environment()},
        ))

    def users(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            paging = {"nextToken": token} if token else {}
            page = self.emulator.backend.call("ListUsers", {"maxResults": 100, **paging})
            rows += page["users"]
            token = page.get("nextToken")
            if not token:
                return [{**row, "permissionGroups": self._groups_of(row["userId"])} for row in rows]

    def _groups_of(self, user_id: str) -> list[str]:
        page = self.emulator.backend.call("ListPermissionGroupsByUser", {"userId": user_id, "maxResults": 100})
        return sorted(g["name"] for g in page["permissionGroups"])

    def mutating_calls(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for call in self.emulator.mutating_calls():
            counts[call.operation] = counts.get(call.operation, 0) + 1
        return counts


def _deploy(session: Session) -> int:
    out, template = session.synth()
    function, events = session.function(out, template), list[StackEvent]()
    driver = session.driver(function, events)
    session.labels = user_labels(driver.store, STACK_NAME, templates_by_stack(out, STACK_NAME, template))
    try:
        result = driver.deploy(STACK_NAME, template, template_dir=out)
    finally:
        driver.close()
        function.close()
    return _report(session, result.status, result.ok, changes_from_events(events))


def _destroy(session: Session) -> int:
    events: list[StackEvent] = []
    driver = session.driver(None, events)
    try:
        if driver.stack(STACK_NAME) is None:
            return _report(session, "NO_STACK", True, Changes())
        out = session.state / "cdk.out"
        template = json.loads((out / f"{STACK_NAME}.template.json").read_text())
        session.labels = user_labels(driver.store, STACK_NAME, {})
        function = session.function(out, template)
        driver.default_function = function
        try:
            result = driver.delete_stack(STACK_NAME)
        finally:
            function.close()
    finally:
        driver.close()
    return _report(session, result.status, result.ok, changes_from_events(events))


def _diff(session: Session) -> int:
    out, template = session.synth()
    driver = session.driver(None, [])
    try:
        templates = templates_by_stack(out, STACK_NAME, template)
        changes = planned_changes(driver.store, STACK_NAME, templates)
        session.labels = user_labels(driver.store, STACK_NAME, templates)
    finally:
        driver.close()
    if session.args.json:
        print(json.dumps({"planned": _labelled(session, changes)}, sort_keys=True))
    else:
        _print_changes(session, changes, "Planned")
    return EXIT_OK


def _report(session: Session, status: str, ok: bool, changes: Changes) -> int:
    calls = session.mutating_calls()
    users = session.users()
    if session.args.json:
        print(json.dumps({"status": status, "changes": _labelled(session, changes), "finspaceCalls": calls,
                          "users": users}, sort_keys=True))
        return EXIT_OK if ok else EXIT_FAILED
    session.console.print(_users_table(users))
    _print_changes(session, changes, f"Stack {status}")
    if calls:
        session.console.print("FinSpace calls: " + ", ".join(f"{op} x{n}" for op, n in sorted(calls.items())))
    else:
        session.console.print("[green]No change[/]: no mutating FinSpace call was made.")
    return EXIT_OK if ok else EXIT_FAILED


def _labelled(session: Session, changes: Changes) -> dict[str, list[dict[str, str]]]:
    return {kind: [{"resource": key, **session.labels.get(key, {})} for key in keys]
            for kind, keys in changes.as_dict().items()}


def _print_changes(session: Session, changes: Changes, title: str) -> None:
    session.console.print(f"[bold]{title}:[/] {changes.summary()}")
    for kind, entries in _labelled(session, changes).items():
        for entry in entries:
            where = f"{entry.get('email', '?')} ({entry.get('environmentId', '?')})"
            session.console.print(f"  {kind:<9} {where}")


def _short(stack: str) -> str:
    """FinSpaceUsers-Users12NestedStackUsers12NestedStackResourceE12AAC79 -> FinSpaceUsers/Users12"""
    return re.sub(r"-(Users\d+)NestedStack\w*", r"/\1", stack)


def _users_table(users: list[dict[str, Any]]) -> Table:
    table = Table(title="FinSpace users (local emulator)")
    for column in ("userId", "email", "type", "status", "groups"):
        table.add_column(column)
    for user in sorted(users, key=lambda u: str(u["emailAddress"]).lower()):
        table.add_row(user["userId"], user["emailAddress"], user["type"], user["status"],
                      ", ".join(user["permissionGroups"]))
    return table


def _users(session: Session) -> int:
    return _report(session, "LISTED", True, Changes())


COMMANDS = {"deploy": _deploy, "diff": _diff, "destroy": _destroy, "users": _users}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m finspace_local.cli", description=__doc__.split("\n")[0],
                                     epilog="Exit codes: 0 done, 1 stack operation failed, 2 bad users file.")
    parser.add_argument("command", choices=sorted(COMMANDS), help="what to do")
    parser.add_argument("--users-file", type=Path, default=REPO / "users.yaml", help="default: users.yaml")
    parser.add_argument("--state-dir", type=Path, default=REPO / ".local" / "demo",
                        help="emulator state, stacks and cdk.out (default: .local/demo)")
    parser.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    return parser


def main(argv: list[str] | None = None, console: Console | None = None) -> int:
    args = _parser().parse_args(argv)
    session = Session(args, console or Console(width=None if sys.stdout.isatty() else WIDTH_WHEN_PIPED))
    with session.emulator:
        try:
            return COMMANDS[args.command](session)
        except UsersFileError as error:
            print(error, file=sys.stderr)
            return EXIT_BAD_INPUT
        except subprocess.CalledProcessError as error:
            print((error.stderr or b"").decode(errors="replace").strip() or str(error), file=sys.stderr)
            return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
