"""``make bench-scale``: N users deployed, 10% updated, then destroyed, under FinSpace's throttling,
with and without Lambda's queue intervals, side by side.

    python -m benchmarks.scale [--users 500] [--rate 10] [--burst 10] [--error-rate 0.15]
                               [--drop-rate 0] [--containers 10] [--runs 3] [--invalid 0]
                               [--queue both|real|none] [--queue-scale 1.0] [--model-only]

Prints the command that reproduces the numbers, then per run and queue mode a table: stack status,
FAILED resources, wall time, FinSpace calls by operation and status, calls per user, the floor
(admitted calls / rate) and wall/floor, users ENABLED versus declared, Lambda's queue (events
throttled, their wait for a container, those dropped) and the longest wait CloudFormation had for
one answer. ``--queue both`` (the default) runs the same phases without the queue's intervals
(``none``: a throttled event takes the next free container at once) and with them (``real``: the
template's function as Lambda runs it, maximum event age included), one after the other, and
compares them. The containers are started before the clock: cold Python processes cost CPU, which
measures the machine, not the provider.

Measured against computed: after the runs, or alone with ``--model-only`` (seconds, any size), the
same phases computed by :func:`finspace_local.scale.model_phase` from the stand-in's own schedule
with FinSpace as an ideal server. ``--queue-scale S`` multiplies the queue's intervals and maximum
event age by S while FinSpace's rate and the handler's backoff stay real: such a run is quick, but
its times are not real ones; the computed table is the real-time estimate.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from finspace_constructs import users_app  # noqa: F401 - first: jsii starts before anything is timed
from finspace_local.cdk_app import PROVIDER_STACK_NAME, synth
from finspace_local.cfn.lambda_runtime import AsyncQueue, max_event_age
from finspace_local.faults import FaultSettings
from finspace_local.scale import ModelReport, PhaseReport, ScaleSettings, model_phase, run_scale

QUEUE_MODES = {"none": None, "real": 1.0}  # --queue: a mode's queue scale (real: --queue-scale)
# Calls per event at the floor, as the bench counts them: a Create one CreateUser, an Update a GetUser
# and its change, a Delete a GetUser and a DisableUser.
CALLS_PER_EVENT = {"deploy": 1.0, "update": 2.0, "destroy": 2.0}


def _arguments(argv: list[str] | None) -> tuple[ScaleSettings, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--rate", type=float, default=10.0, help="token bucket refill, requests/s (0: none)")
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of HTTP 500 answers")
    parser.add_argument("--drop-rate", type=float, default=0.0, help="share of connections dropped unanswered")
    parser.add_argument("--lost-reply-rate", type=float, default=0.0,
                        help="share of calls carried out whose answer is lost")
    parser.add_argument("--containers", type=int, default=10,
                        help="the function's reserved concurrency (the provider's default: 10)")
    parser.add_argument("--invalid", type=int, default=0, help="users whose Create fails (rollback scenario)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--queue", choices=["both", "real", "none"], default="both",
                        help="Lambda's queue intervals for events beyond the reserved concurrency: with (real), "
                             "without (none), or both, run after run")
    parser.add_argument("--queue-scale", type=float, default=1.0,
                        help="the queue's intervals and maximum event age times this (1: the real schedule)")
    parser.add_argument("--model-only", action="store_true", help="only the computed phases, nothing run")
    args = parser.parse_args(argv)
    faults = FaultSettings(throttle_rate=args.rate or None, throttle_burst=args.burst, error_rate=args.error_rate,
                           drop_rate=args.drop_rate, lost_reply_rate=args.lost_reply_rate, seed=args.seed)
    settings = ScaleSettings(users=args.users, faults=faults, containers=args.containers, invalid=args.invalid)
    return settings, args


def _command(args: argparse.Namespace) -> str:
    """The command line that reproduces a run, every setting spelled out."""
    words = ["python -m benchmarks.scale", f"--users {args.users}", f"--rate {args.rate:g}", f"--burst {args.burst}",
             f"--containers {args.containers}", f"--queue {args.queue}", f"--queue-scale {args.queue_scale:g}",
             f"--runs {args.runs}", f"--seed {args.seed}"]
    for name in ("error_rate", "drop_rate", "lost_reply_rate"):
        if getattr(args, name):
            words.append(f"--{name.replace('_', '-')} {getattr(args, name):g}")
    if args.invalid:
        words.append(f"--invalid {args.invalid}")
    if args.model_only:
        words.append("--model-only")
    return " ".join(words)


def _table(title: str, reports: list[PhaseReport]) -> Table:
    table = Table(title=title)
    for column in ("phase", "status", "failed", "wall s", "floor s", "wall/floor", "calls/user", "enabled/declared",
                   "throttled events", "queued p50/max s", "dropped", "longest answer s",
                   "FinSpace calls (operation status x n)"):
        table.add_column(column)
    for r in reports:
        calls = ", ".join(f"{op} {outcome} x{n}" for (op, outcome), n in sorted(r.calls.items()))
        table.add_row(r.name, r.status, str(r.failed), f"{r.wall_s:.1f}", f"{r.floor_s:.1f}", f"{r.ratio:.2f}",
                      f"{r.calls_per_user:.2f}", f"{r.enabled}/{r.declared}", str(r.throttled),
                      f"{r.queued_p50_s:.0f}/{r.queued_max_s:.0f}", str(r.dropped), f"{r.longest_wait_s:.0f}", calls)
    return table


def _comparison(title: str, without: list[PhaseReport], with_queue: list[PhaseReport]) -> Table:
    """The same phases without and with the queue's intervals (measured in the same run)."""
    table = Table(title=title)
    for column in ("phase", "floor s", "wall s, no intervals", "wall/floor", "wall s, queue intervals", "wall/floor",
                   "with/without", "queued max s", "dropped", "longest answer s"):
        table.add_column(column)
    for a, b in zip(without, with_queue, strict=False):
        table.add_row(a.name, f"{a.floor_s:.0f} / {b.floor_s:.0f}", f"{a.wall_s:.0f}", f"{a.ratio:.2f}",
                      f"{b.wall_s:.0f}", f"{b.ratio:.2f}", f"{b.wall_s / a.wall_s:.2f}",
                      f"{a.queued_max_s:.0f} / {b.queued_max_s:.0f}", str(b.dropped), f"{b.longest_wait_s:.0f}")
    return table


def _phases(settings: ScaleSettings) -> list[tuple[str, int]]:
    """The timed phases and their events, as :func:`run_scale` runs them without invalid users."""
    return [("deploy", settings.users), ("update", int(settings.users * settings.update_share)),
            ("destroy", settings.users)]


def _model(settings: ScaleSettings, age_s: float, runs: int, seed: int) -> Table:
    """Each phase computed (real-time schedule), without and with the queue's intervals."""
    rate = settings.faults.throttle_rate or 10.0
    table = Table(title=f"computed (model_phase, not measured): {settings.users} users, {settings.containers} "
                        f"containers, an ideal FinSpace at {rate:g} calls/s, maximum event age {age_s:.0f} s, "
                        f"{runs} seeds")
    for column in ("phase", "events", "floor s", "last answer s, no intervals", "last answer s, queue intervals",
                   "with/floor", "queued max s", "dropped"):
        table.add_column(column)
    for name, events in _phases(settings):
        def computed(queue: AsyncQueue | None, run: int = 0, events: int = events, name: str = name) -> ModelReport:
            return model_phase(events, containers=settings.containers, rate=rate, calls_per_event=CALLS_PER_EVENT[name],
                               queue=queue, seed=seed + run)

        plain = computed(None)
        queued = [computed(AsyncQueue(age_s), run) for run in range(runs)]
        walls = [m.wall_s for m in queued]
        table.add_row(name, str(events), f"{plain.floor_s:.0f}", f"{plain.wall_s:.0f}",
                      f"{min(walls):.0f}-{max(walls):.0f}",
                      f"{min(m.ratio for m in queued):.2f}-{max(m.ratio for m in queued):.2f}",
                      f"{max(m.queued_max_s for m in queued):.0f}", str(max(m.dropped for m in queued)))
    return table


def _template_event_age(settings: ScaleSettings) -> float:
    """The maximum event age the provider's template declares (its default props), from a synthesis."""
    with tempfile.TemporaryDirectory(prefix="finspace-scale-age-") as folder:
        synth(Path(folder), {"providerOnly": "true", "reservedConcurrency": str(settings.containers)},
              stack_name=PROVIDER_STACK_NAME)
        template = json.loads((Path(folder) / f"{PROVIDER_STACK_NAME}.template.json").read_text())
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    return max_event_age(template, functions[0])


def main(argv: list[str] | None = None) -> int:
    settings, args = _arguments(argv)
    console = Console(width=220)
    console.print(f"reproduce with: {_command(args)}")
    modes = ["none", "real"] if args.queue == "both" else [args.queue]
    if args.queue_scale != 1.0:
        console.print(f"the queue's intervals and maximum event age x{args.queue_scale:g}; FinSpace's rate and the "
                      "handler's backoff are real: these times are not real ones (see the computed table)")
    worst_ok = True
    for run in range(0 if args.model_only else args.runs):
        f = settings.faults
        seeded = replace(settings, faults=replace(f, seed=f.seed + run))
        by_mode: dict[str, list[PhaseReport]] = {}
        for mode in modes:
            scale = None if QUEUE_MODES[mode] is None else args.queue_scale
            title = (f"run {run + 1}/{args.runs}, queue {mode}: {settings.users} users, rate {f.throttle_rate}/s "
                     f"burst {f.throttle_burst}, 500s {f.error_rate:.0%}, drops {f.drop_rate:.0%}, "
                     f"lost replies {f.lost_reply_rate:.0%}, {settings.containers} containers")
            console.print(title)
            by_mode[mode] = run_scale(replace(seeded, queue_scale=scale), console.print)
            console.print(_table(title, by_mode[mode]))
            worst_ok &= all(r.failed == 0 and r.enabled == r.declared for r in by_mode[mode]) or bool(settings.invalid)
        if len(by_mode) == 2:
            console.print(_comparison(f"run {run + 1}/{args.runs}: {settings.users} users, {settings.containers} "
                                      f"containers, without and with the queue's intervals (measured)",
                                      by_mode["none"], by_mode["real"]))
    if not settings.invalid:
        console.print(_model(settings, _template_event_age(settings), max(3, args.runs), args.seed))
    console.print(f"reproduce with: {_command(args)}")
    return 0 if worst_ok else 1


if __name__ == "__main__":
    sys.exit(main())
