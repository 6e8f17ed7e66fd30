"""``make demo``: the main job on the embedded default.

Synthesizes ``app.py`` with the pinned CDK CLI, then deploys it through the local
CloudFormation driver and the real handler (from the bundled asset) against the
local FinSpace emulator. State (FinSpace users, stacks) is kept under
``.local/demo`` between runs, so a second run shows that nothing changes.

    python -m finspace_local.demo [--users a@example.com,b@example.com] [--destroy]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .cdk_app import REPO, STACK_NAME, asset_dir, synth
from .cfn import Driver, HandlerSpec, LambdaFunction, StackEvent
from .server import Emulator, EmulatorSettings
from .state import BackendSettings
from .tls import LocalCA

__all__ = ["main"]

ENVIRONMENT_ID = "finspace-local"
DEFAULT_USERS = "first.user@example.com,second.user@example.com"
READ_ONLY = frozenset({"GetUser", "ListUsers", "GetProgrammaticAccessCredentials"})
STATUS_STYLES = {"COMPLETE": "green", "FAILED": "red", "IN_PROGRESS": "yellow", "SKIPPED": "dim"}

console = Console()


def _print_event(event: StackEvent) -> None:
    style = next((s for key, s in STATUS_STYLES.items() if event.status.endswith(key)), "white")
    reason = f"  {event.reason}" if event.reason else ""
    console.print(f"  {event.logical_id:<40} [{style}]{event.status}[/]{reason}")


def _users_table(emulator: Emulator) -> Table:
    table = Table(title=f"FinSpace users in environment {ENVIRONMENT_ID}")
    for column in ("userId", "email", "type", "status"):
        table.add_column(column)
    for user in emulator.backend.call("ListUsers", {"maxResults": 100})["users"]:
        table.add_row(user["userId"], user["emailAddress"], user["type"], user["status"])
    return table


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m finspace_local.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--users", default=DEFAULT_USERS, help="comma-separated emails (app.py's userEmails)")
    parser.add_argument("--state-dir", type=Path, default=REPO / ".local" / "demo")
    parser.add_argument("--destroy", action="store_true", help="delete the stack (disables its users)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    state: Path = args.state_dir
    state.mkdir(parents=True, exist_ok=True)
    ca = LocalCA(state / "ca")
    backend = BackendSettings(environments=frozenset({ENVIRONMENT_ID}))
    with Emulator(EmulatorSettings(db_path=str(state / "finspace.sqlite"), backend=backend), ca=ca) as emulator:
        console.print(f"[bold]FinSpace emulator[/] {emulator.endpoint_url}  (state in {state})")
        console.print("[bold]cdk synth[/] app.py ...")
        template = synth(state / "cdk.out", {"environmentId": ENVIRONMENT_ID, "userEmails": args.users})
        function = LambdaFunction(HandlerSpec(
            code_dir=asset_dir(state / "cdk.out", template), handler="lambda_handler.index.handler",
            environment={"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIADEMOPROVIDERROLE",
                         "AWS_SECRET_ACCESS_KEY": "demo-secret", **emulator.environment()},
        ))
        driver = Driver(state / "stacks", ca, default_function=function, on_event=_print_event)
        try:
            if args.destroy:
                result = driver.delete_stack(STACK_NAME) if driver.stack(STACK_NAME) else None
            else:
                result = driver.deploy(STACK_NAME, template)
        finally:
            driver.close()
            function.close()
        changes = Counter(c.operation for c in emulator.calls_of() if c.operation not in READ_ONLY and c.error is None)
        console.print(_users_table(emulator))
    if changes:
        console.print("FinSpace changes: " + ", ".join(f"{op} x{n}" for op, n in sorted(changes.items())))
    else:
        console.print("[green]No change[/]: no mutating FinSpace call was made.")
    return 0 if result is None or result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
