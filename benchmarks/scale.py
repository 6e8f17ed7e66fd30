"""``make bench-scale``: N users deployed, 10% updated, then destroyed, under FinSpace's throttling.

    python -m benchmarks.scale [--users 500] [--rate 10] [--burst 10] [--error-rate 0.15]
                               [--drop-rate 0] [--containers 64] [--runs 3] [--invalid 0]

Prints a table per run: stack status, FAILED resources, wall time, FinSpace calls by operation and
status, calls per user, the floor (admitted calls / rate) and wall/floor, users ENABLED versus
declared. The containers are started before the clock: 64 cold Python processes cost over a minute
of CPU on 2 cores, which measures the machine, not the provider.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from rich.console import Console
from rich.table import Table

from finspace_constructs import users_app  # noqa: F401 - first: quiets jsii's Node banner
from finspace_local.faults import FaultSettings
from finspace_local.scale import PhaseReport, ScaleSettings, run_scale


def _arguments(argv: list[str] | None) -> tuple[ScaleSettings, int]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--rate", type=float, default=10.0, help="token bucket refill, requests/s (0: none)")
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of HTTP 500 answers")
    parser.add_argument("--drop-rate", type=float, default=0.0, help="share of connections dropped unanswered")
    parser.add_argument("--lost-reply-rate", type=float, default=0.0,
                        help="share of calls carried out whose answer is lost")
    parser.add_argument("--containers", type=int, default=64, help="the function's reserved concurrency")
    parser.add_argument("--invalid", type=int, default=0, help="users whose Create fails (rollback scenario)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    faults = FaultSettings(throttle_rate=args.rate or None, throttle_burst=args.burst, error_rate=args.error_rate,
                           drop_rate=args.drop_rate, lost_reply_rate=args.lost_reply_rate, seed=args.seed)
    return ScaleSettings(users=args.users, faults=faults, containers=args.containers, invalid=args.invalid), args.runs


def _table(title: str, reports: list[PhaseReport]) -> Table:
    table = Table(title=title)
    for column in ("phase", "status", "failed", "wall s", "floor s", "wall/floor", "calls/user", "enabled/declared",
                   "FinSpace calls (operation status x n)"):
        table.add_column(column)
    for r in reports:
        calls = ", ".join(f"{op} {outcome} x{n}" for (op, outcome), n in sorted(r.calls.items()))
        table.add_row(r.name, r.status, str(r.failed), f"{r.wall_s:.1f}", f"{r.floor_s:.1f}", f"{r.ratio:.2f}",
                      f"{r.calls_per_user:.2f}", f"{r.enabled}/{r.declared}", calls)
    return table


def main(argv: list[str] | None = None) -> int:
    settings, runs = _arguments(argv)
    console = Console(width=200)
    worst_ok = True
    for run in range(runs):
        f = settings.faults
        title = (f"run {run + 1}/{runs}: {settings.users} users, rate {f.throttle_rate}/s burst {f.throttle_burst}, "
                 f"500s {f.error_rate:.0%}, drops {f.drop_rate:.0%}, lost replies {f.lost_reply_rate:.0%}, "
                 f"{settings.containers} containers")
        seeded = replace(settings, faults=replace(f, seed=f.seed + run))
        reports = run_scale(seeded, console.print)
        console.print(_table(title, reports))
        worst_ok &= all(r.failed == 0 and r.enabled == r.declared for r in reports) or bool(settings.invalid)
    return 0 if worst_ok else 1


if __name__ == "__main__":
    sys.exit(main())
