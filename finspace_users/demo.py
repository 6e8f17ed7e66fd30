"""``deploy``, ``diff`` and ``destroy``: a users file through the local stand-ins, as ``make demo`` does.

``deploy`` synthesizes app.py with the pinned CDK CLI, then walks the real first deployment through
the local CloudFormation driver and the real handler (from the bundled asset) against the emulator:
1. the provider stack, 2. the registration of its role, done through the emulator's web application
and printed as the step a person does there (``--skip-registration`` leaves the role unregistered,
so step 3 fails as on a real account; ``--provider-only`` stops here), 3. the users stack.
``destroy`` removes the users stack and keeps the provider. ``diff`` plans the next deploy
(:mod:`finspace_users.forecast`) without changing anything.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from finspace_constructs.handler_shared import PROVIDER_ROLE_VARIABLE, ProviderRole
from finspace_constructs.users_file import Declaration, load_declaration

from .changes import Changes, FinSpaceState, changes_between, resource_labels
from .errors import EXIT_ERROR, EXIT_OK
from .finspace import local_finspace
from .forecast import Plan, forecast
from .local import (
    ADMINISTRATOR_EMAILS,
    DEMO_ACCOUNT,
    DEMO_PROVIDER_ROLE_ARN,
    DEMO_REGION,
    ENVIRONMENTS,
    PROVIDER_KEYS,
    PROVIDER_STACK_NAME,
    STACK_NAME,
    Driver,
    Emulator,
    HandlerSpec,
    LambdaFunction,
    StackEvent,
    StackStore,
    open_emulator,
    provider_function,
    registration_steps,
    synth,
    templates_by_stack,
)
from .output import Output, table
from .simulate import GROUP_TYPE, USER_TYPE, Guards, NamedProvider, PlannedChange
from .web_app import demo_environments

__all__ = ["deploy", "destroy", "diff", "provider_role_arn"]

SHOWN_STACKS = frozenset({STACK_NAME, PROVIDER_STACK_NAME})
SHOWN_TYPES = frozenset({USER_TYPE, GROUP_TYPE})
STATUS_STYLES = {"COMPLETE": "green", "FAILED": "red", "IN_PROGRESS": "yellow", "SKIPPED": "dim"}


class Session:
    """The emulator (with its saved state), the stacks, and what a deploy or destroy reports."""

    def __init__(self, args: argparse.Namespace, out: Output, emulator: Emulator) -> None:
        self.args, self.out, self.emulator = args, out, emulator
        self.state: Path = args.state_dir
        self.labels: dict[str, dict[str, str]] = {}  # stack/logical id -> email or group, environment
        self.bootstrap: dict[str, str] = {}  # deploy's provider role and registration, for the report
        self.failures: list[dict[str, str]] = []  # every *_FAILED event: stack, resource, status, reason
        self.before = self.finspace()  # what the report compares FinSpace with

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
            self.out.say(f"{_short(event.stack)[:22]:<22} {name[:30]:<30} [{style}]{event.status}[/]{reason}")

        assert self.emulator.ca is not None, "the demo's emulator serves HTTPS"
        return Driver(self.state / "stacks", self.emulator.ca, default_function=function, on_event=record)

    def function(self, out: Path, template: dict[str, Any]) -> LambdaFunction:
        """The provider function as its template declares it (handler, timeout, reserved concurrency,
        its literal variables); its role's ARN, a reference there, is the role the demo's keys act as."""
        resource, code_dir = provider_function(out, template)
        return LambdaFunction(HandlerSpec.for_function(resource, code_dir, environment={
            "AWS_REGION": DEMO_REGION, "AWS_ACCESS_KEY_ID": PROVIDER_KEYS[0],
            "AWS_SECRET_ACCESS_KEY": PROVIDER_KEYS[1], PROVIDER_ROLE_VARIABLE: DEMO_PROVIDER_ROLE_ARN,
            **self.emulator.environment()}))

    def users(self) -> list[dict[str, Any]]:
        """The users of every environment, but the administrators (read through the web application)."""
        return [{**row, "environmentId": environment, "permissionGroups": self._groups_of(environment, row["userId"])}
                for environment in sorted(ENVIRONMENTS) for row in self.emulator.web_app.users(environment)
                if row["emailAddress"] not in ADMINISTRATOR_EMAILS]

    def groups(self) -> list[dict[str, Any]]:
        """The permission groups of every environment."""
        return [{**group, "environmentId": environment} for environment in sorted(ENVIRONMENTS)
                for group in self.emulator.backend.call("ListPermissionGroups", {"maxResults": 100},
                                                        environment_id=environment)["permissionGroups"]]

    def finspace(self) -> FinSpaceState:
        return FinSpaceState.of(self.users(), self.groups())

    def _groups_of(self, environment_id: str, user_id: str) -> list[str]:
        page = self.emulator.backend.call("ListPermissionGroupsByUser", {"userId": user_id, "maxResults": 100},
                                          environment_id=environment_id)
        return sorted(g["name"] for g in page["permissionGroups"])

    def mutating_calls(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for call in self.emulator.mutating_calls():
            counts[call.operation] = counts.get(call.operation, 0) + 1
        return dict(sorted(counts.items()))


def synthesized(args: argparse.Namespace, out: Output) -> tuple[Path, dict[str, Any], Declaration]:
    """Check the users file here (precise errors; only the demo's environments), then run ``cdk synth``
    into the state directory."""
    users_file = Path(args.users_file).resolve()
    declaration = load_declaration(users_file)
    named = [*(u.environment_id for u in declaration.users), *(g.environment_id for g in declaration.groups),
             *declaration.provider_users]
    demo_environments(named, str(args.users_file), "users-file")  # before anything runs
    cdk_out = Path(args.state_dir) / "cdk.out"
    out.say(f"[bold]cdk synth[/] {args.users_file}")
    return cdk_out, synth(cdk_out.resolve(), {"usersFile": str(users_file)}), declaration


def deploy(args: argparse.Namespace, out: Output) -> int:
    cdk_out, template, _declaration = synthesized(args, out)
    with open_emulator(args.state_dir) as emulator:
        session = Session(args, out, emulator)
        function, events = session.function(cdk_out, template), list[StackEvent]()
        driver = session.driver(function, events)
        session.labels = resource_labels(driver.store, STACK_NAME, templates_by_stack(cdk_out, STACK_NAME, template))
        try:
            out.say(f"[bold]1/3[/] cdk deploy {PROVIDER_STACK_NAME}")
            provider = driver.deploy(PROVIDER_STACK_NAME, cdk_out / f"{PROVIDER_STACK_NAME}.template.json",
                                     template_dir=cdk_out)
            if not provider.ok:
                return _report(session, provider.status, False)
            role_arn = provider_role_arn(driver)
            session.bootstrap = {"providerRoleArn": role_arn, "registration": _register(session, role_arn)}
            if args.provider_only:
                return _report(session, provider.status, True)
            out.say(f"[bold]3/3[/] cdk deploy {STACK_NAME}")
            result = driver.deploy(STACK_NAME, template, template_dir=cdk_out)
        finally:
            driver.close()
            function.close()
        return _report(session, result.status, result.ok)


def provider_role_arn(driver: Driver) -> str:
    """The ARN IAM gives the provider stack's role, from its (stable) RoleName."""
    arn = deployed_role_arn(driver.store, driver.account)
    assert arn is not None, "deploy the provider stack first"
    return arn


def deployed_role_arn(store: StackStore, account: str = DEMO_ACCOUNT) -> str | None:
    """The provider stack's role ARN, once that stack is deployed."""
    stack = store.load(PROVIDER_STACK_NAME)
    roles = [r for r in stack.resources.values() if r.type == "AWS::IAM::Role"] if stack else []
    return f"arn:aws:iam::{account}:role/{roles[0].properties['RoleName']}" if len(roles) == 1 else None


def _register(session: Session, role_arn: str) -> str:
    """Step 2, the one a person does in the FinSpace web application of each environment."""
    web_app = session.emulator.web_app
    if all(web_app.is_registered(environment, role_arn) for environment in ENVIRONMENTS):
        session.out.say(f"[bold]2/3[/] role {role_arn} is already registered in "
                        f"{' and '.join(sorted(ENVIRONMENTS))}")
        return "already registered"
    if session.args.skip_registration:
        session.out.say(f"[bold]2/3[/] [yellow]skipped[/] (--skip-registration): role {role_arn} is not registered")
        return "skipped"
    for environment in sorted(ENVIRONMENTS):
        session.out.say(f"[bold]2/3[/] {registration_steps(role_arn, environment)}")
        web_app.register_role(environment, role_arn)
    return "registered"


def destroy(args: argparse.Namespace, out: Output) -> int:
    with open_emulator(args.state_dir) as emulator:
        session = Session(args, out, emulator)
        events: list[StackEvent] = []
        driver = session.driver(None, events)
        try:
            if driver.stack(STACK_NAME) is None:
                return _report(session, "NO_STACK", True)
            cdk_out = session.state / "cdk.out"
            template = json.loads((cdk_out / f"{STACK_NAME}.template.json").read_text())
            session.labels = resource_labels(driver.store, STACK_NAME, {})
            function = session.function(cdk_out, template)
            driver.default_function = function
            try:
                result = driver.delete_stack(STACK_NAME)
            finally:
                function.close()
        finally:
            driver.close()
        return _report(session, result.status, result.ok)


def diff(args: argparse.Namespace, out: Output) -> int:
    """The next deploy's plan: read-only (list operations through the API, the stacks' state)."""
    cdk_out, template, declaration = synthesized(args, out)
    templates = templates_by_stack(cdk_out, STACK_NAME, template)
    store = StackStore(Path(args.state_dir) / "stacks")
    with local_finspace(Path(args.state_dir), frozenset()) as finspace:
        plan = forecast(store, STACK_NAME, templates, finspace.read, guards(store, declaration))
        reads = finspace.emulator.mutating_calls() if finspace.emulator else []
    out.emit({**plan.as_dict(), "mutatingCallsMade": len(reads)})
    _print_plan(out, plan)
    return EXIT_OK


def guards(store: StackStore, declaration: Declaration) -> Guards:
    """The handler's view of itself after the deploy: the provider role (deployed; else the users
    file's provider_user and the role's name tell its user) and the file's reenable_requires_adopt."""
    arn = deployed_role_arn(store)
    role = ProviderRole(arn) if arn else NamedProvider(declaration.provider_users.values())
    return Guards(role, declaration.reenable_requires_adopt)


def _print_plan(out: Output, plan: Plan) -> None:
    rows = [(c.action, c.kind, c.subject, c.environment_id, _details(c), ", ".join(c.calls) or "-")
            for c in plan.changes]
    out.show(table("Planned (next deploy)", ("action", "kind", "user or group", "environment", "what changes",
                                            "FinSpace calls"), rows))
    calls = plan.calls()
    reenabled = len(plan.reenabling)
    out.say("Planned FinSpace calls: " + (", ".join(f"{op} x{n}" for op, n in calls.items()) or "none")
            + (f"; [yellow]re-enables {reenabled} user(s) disabled outside this stack[/]" if reenabled else "")
            + (f"; [red]{len(plan.failing)} will fail[/]: the deploy would roll back" if plan.failing else ""))


def _details(change: PlannedChange) -> str:
    parts = [f"fields: {', '.join(change.fields)}"] if change.fields else []
    parts += [f"status: {change.status}"] if change.status else []
    parts += [f"+{g}" for g in change.joins] + [f"-{g}" for g in change.leaves] + change.notes
    parts += [change.reason] if change.reason else []
    return "; ".join(parts) or "no FinSpace change"


def _report(session: Session, status: str, ok: bool) -> int:
    """What FinSpace now holds against what it held before the operation, and the calls made."""
    calls, users = session.mutating_calls(), session.users()
    changes = changes_between(session.before, FinSpaceState.of(users, session.groups()))
    session.out.emit({"status": status, "changes": changes.as_dict(), "finspaceCalls": calls, "users": users,
                      "failures": session.failures, **session.bootstrap})
    rows = [(u["userId"], u["emailAddress"], u["type"], u["status"], ", ".join(u["permissionGroups"]))
            for u in sorted(users, key=lambda u: str(u["emailAddress"]).lower())]
    session.out.show(table("FinSpace users (local emulator)", ("userId", "email", "type", "status", "groups"), rows))
    session.out.say(f"[bold]Stack {status}:[/] {changes.summary()}")
    for kind, entries in changes.as_dict().items():
        for entry in entries:
            session.out.say(f"  {kind:<9} {entry.get('email') or entry.get('group', '?')} "
                            f"({entry['environmentId']}, now {entry['status']})")
    session.out.say(_calls_line(calls, changes))
    return EXIT_OK if ok else EXIT_ERROR


def _calls_line(calls: dict[str, int], changes: Changes) -> str:
    """One account with the lines above: calls made, and whether they left anything changed."""
    if not calls:
        return ("[green]No change[/]: no mutating FinSpace call was made." if changes.empty else
                "No mutating FinSpace call was made: the changes above happened outside this command "
                "(by hand, or a user that finished CREATING)")
    made = "FinSpace calls: " + ", ".join(f"{op} x{n}" for op, n in calls.items())
    return made + ("; they left FinSpace as it was (the rollback restored it)" if changes.empty else "")


def _short(stack: str) -> str:
    """FinSpaceUsers-Users12NestedStackUsers12NestedStackResourceE12AAC79 -> FinSpaceUsers/Users12"""
    return re.sub(r"-(Users\d+)NestedStack\w*", r"/\1", stack)
