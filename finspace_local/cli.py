"""Deploy a users file to the local FinSpace emulator: the main job, on one command.

    python -m finspace_local.cli deploy  [--users-file users.yaml] [--skip-registration] [--json]
    python -m finspace_local.cli diff    [--users-file users.yaml] [--json]
    python -m finspace_local.cli destroy [--json]
    python -m finspace_local.cli users   [--json]

``deploy`` synthesizes app.py with the pinned CDK CLI, then walks the real first deployment
through the local CloudFormation driver and the real handler (from the bundled asset) against
the emulator: 1. the provider stack, 2. the registration of its role, done through the
emulator's web application and printed as the step a person does there (``--skip-registration``
leaves the role unregistered, so step 3 fails as on a real account), 3. the users stack.
FinSpace state and stacks are kept under ``--state-dir``; ``destroy`` removes the users stack
and keeps the provider. Exit codes: 0 done, 1 a stack operation failed, 2 the users file (or
the command line) is wrong.
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

from .cdk_app import PROVIDER_STACK_NAME, REPO, STACK_NAME, asset_dir, synth, templates_by_stack
from .cfn import Driver, HandlerSpec, LambdaFunction, StackEvent, StackStateError
from .plan import GROUP_TYPE, USER_TYPE, Changes, changes_from_events, planned_changes, user_labels
from .server import Emulator, EmulatorSettings
from .state import BackendSettings
from .tls import LocalCA
from .webapp import ADMINISTRATOR_EMAILS, registration_steps

__all__ = ["main"]

ENVIRONMENTS = frozenset({"finspace-local", "finspace-local-2"})  # README: "make demo"
# The provider function's (fake) IAM keys; the emulator is told they belong to the provider's role.
PROVIDER_KEYS = ("AKIALOCALPROVIDER", "local-provider-secret")
SHOWN_STACKS = frozenset({STACK_NAME, PROVIDER_STACK_NAME})
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
        self.bootstrap: dict[str, str] = {}  # deploy's provider role and registration, for the report
        self.failures: list[dict[str, str]] = []  # every *_FAILED event: stack, resource, status, reason

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
            if event.status.endswith("FAILED"):
                self.failures.append({"stack": event.stack, "resource": event.logical_id, "type": event.resource_type,
                                      "status": event.status, "reason": event.reason})
            if event.resource_type not in SHOWN_TYPES and event.logical_id not in SHOWN_STACKS:
                return  # the provider's resources and nested stacks' own events are noise here
            style = next((s for key, s in STATUS_STYLES.items() if event.status.endswith(key)), "white")
            reason = f"  {event.reason}" if event.reason else ""
            label = self.labels.get(f"{event.stack}/{event.logical_id}", {})
            name = label.get("email") or label.get("group") or event.logical_id
            self.say(f"{_short(event.stack)[:22]:<22} {name[:30]:<30} [{style}]{event.status}[/]{reason}")

        return Driver(self.state / "stacks", self.ca, default_function=function, on_event=record)

    def function(self, out: Path, template: dict[str, Any]) -> LambdaFunction:
        return LambdaFunction(HandlerSpec(
            code_dir=asset_dir(out, template), handler="lambda_handler.index.handler",
            environment={"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": PROVIDER_KEYS[0],
                         "AWS_SECRET_ACCESS_KEY": PROVIDER_KEYS[1], **self.emulator.environment()},
        ))

    def users(self) -> list[dict[str, Any]]:
        """The users of every environment, but the administrators made in the web application."""
        return [{**row, "environmentId": environment, "permissionGroups": self._groups_of(environment, row["userId"])}
                for environment in sorted(ENVIRONMENTS) for row in self.emulator.web_app.users(environment)
                if row["emailAddress"] not in ADMINISTRATOR_EMAILS]

    def _groups_of(self, environment_id: str, user_id: str) -> list[str]:
        page = self.emulator.backend.call("ListPermissionGroupsByUser", {"userId": user_id, "maxResults": 100},
                                          environment_id=environment_id)
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
        session.say(f"[bold]1/3[/] cdk deploy {PROVIDER_STACK_NAME}")
        provider = driver.deploy(PROVIDER_STACK_NAME, out / f"{PROVIDER_STACK_NAME}.template.json", template_dir=out)
        if not provider.ok:
            return _report(session, provider.status, False, Changes())
        role_arn = provider_role_arn(driver)
        session.emulator.backend.assign_role(PROVIDER_KEYS[0], role_arn)  # IAM: the function runs as the role
        session.bootstrap = {"providerRoleArn": role_arn, "registration": _register(session, role_arn)}
        session.say(f"[bold]3/3[/] cdk deploy {STACK_NAME}")
        result = driver.deploy(STACK_NAME, template, template_dir=out)
    finally:
        driver.close()
        function.close()
    return _report(session, result.status, result.ok, changes_from_events(events))


def provider_role_arn(driver: Driver) -> str:
    """The ARN IAM gives the provider stack's role, from its (stable) RoleName."""
    stack = driver.stack(PROVIDER_STACK_NAME)
    assert stack is not None, "deploy the provider stack first"
    (role,) = [r for r in stack.resources.values() if r.type == "AWS::IAM::Role"]
    return f"arn:aws:iam::{driver.account}:role/{role.properties['RoleName']}"


def _register(session: Session, role_arn: str) -> str:
    """Step 2, the one a person does in the FinSpace web application of each environment."""
    web_app = session.emulator.web_app
    if all(web_app.is_registered(environment, role_arn) for environment in ENVIRONMENTS):
        session.say(f"[bold]2/3[/] role {role_arn} is already registered")
        return "already registered"
    if session.args.skip_registration:
        session.say(f"[bold]2/3[/] [yellow]skipped[/] (--skip-registration): role {role_arn} is not registered")
        return "skipped"
    for environment in sorted(ENVIRONMENTS):
        session.say(f"[bold]2/3[/] {registration_steps(role_arn, environment)}")
        web_app.register_role(environment, role_arn)
    return "registered"


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
                          "users": users, "failures": session.failures, **session.bootstrap}, sort_keys=True))
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
    parser.add_argument("--skip-registration", action="store_true",
                        help="deploy: leave the provider's role unregistered (the users deploy then fails)")
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
        except StackStateError as error:  # CloudFormation's refusal of a stuck stack, with the way out
            print(f"{error} (make demo-destroy deletes the users stack)", file=sys.stderr)
            return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
