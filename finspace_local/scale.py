"""A deploy at scale, as a user runs it: the users file, the synthesized app, the driver, the bundled
handler and the emulator, under FinSpace's throttling and faults. Used by ``make bench-scale`` and by
a small guard test.

One run: synthesize the app (provider stack + users stack) for N users; deploy the provider stack and
register its role (the README's bootstrap); start the function's containers (so that cold starts, which
measure the machine, stay out of the clock); then, timed, deploy the users, update a share of them, and
destroy the users stack. Each phase reports its stack status, failed resources, FinSpace calls by
operation and status, and the floor: the calls the service admitted (every call but the throttled
ones, less the burst) divided by the rate; and Lambda's queue: the events that found every container
busy, how long events waited for one, those dropped as too old, and the longest time CloudFormation
waited for one resource's answer (what its ServiceTimeout bounds).

The function runs as its template declares it, Lambda's queue included: an event beyond the reserved
concurrency waits the queue's growing intervals (``ScaleSettings.queue_scale`` times the real
schedule, ``None`` for none) and is dropped past the template's maximum event age
(:class:`~finspace_local.cfn.lambda_runtime.AsyncQueue`). :func:`model_phase` computes the same
phase from the same schedule, with FinSpace as an ideal server of ``rate`` calls per second.
"""

from __future__ import annotations

import heapq
import json
import random
import statistics
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambda_handler.properties import RESOURCE_TYPE as USER_RESOURCE_TYPE
from lambda_handler.self_access import PROVIDER_ROLE_VARIABLE

from .cdk_app import PROVIDER_STACK_NAME, STACK_NAME, provider_function, synth
from .cfn import Driver, HandlerSpec, LambdaFunction, StackEvent, StackResult
from .cfn.lambda_runtime import AsyncQueue, QueuedEvent
from .faults import FaultSettings
from .server import Emulator, EmulatorSettings
from .state import BackendSettings
from .tls import LocalCA
from .webapp import ADMINISTRATOR_EMAILS

__all__ = ["ModelReport", "PhaseReport", "ScaleSettings", "model_phase", "run_scale", "users_file_text"]

ENVIRONMENT_ID = "finspace-scale"
PROVIDER_KEYS = ("AKIASCALEPROVIDER", "scale-provider-secret")


@dataclass(frozen=True)
class ScaleSettings:
    """What to deploy and how FinSpace behaves during the timed phases. ``invalid``: users declared
    with an ENABLED email that exists already and no adoption, so that their Create fails (the
    rollback scenario). ``containers``: the function's reserved concurrency. ``queue_scale``: Lambda's
    queue intervals and maximum event age, times this (1.0 the real schedule; ``None``: no intervals,
    an event beyond the reserved concurrency takes the next free container at once)."""

    users: int = 500
    faults: FaultSettings = field(default_factory=lambda: FaultSettings(throttle_rate=10.0, throttle_burst=10))
    containers: int = 64
    update_share: float = 0.1
    invalid: int = 0
    queue_scale: float | None = 1.0


@dataclass
class PhaseReport:
    name: str
    status: str
    wall_s: float
    failed: int
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)  # (operation, status or error)
    enabled: int = 0
    declared: int = 0  # users the stack declares after the phase: each must be ENABLED exactly once
    users: int = 0  # users the phase works on (for calls per user)
    rate: float | None = None
    burst: int = 0
    queued: list[QueuedEvent] = field(default_factory=list)  # the phase's asynchronous deliveries
    longest_wait_s: float = 0.0  # the longest a user resource waited for its answer (IN_PROGRESS to done)

    @property
    def throttled(self) -> int:
        """Events that found every container busy at least once (and waited the queue's intervals)."""
        return sum(1 for q in self.queued if q.throttles)

    @property
    def dropped(self) -> int:
        return sum(1 for q in self.queued if q.outcome == "dropped")

    @property
    def queued_p50_s(self) -> float:
        waits = [q.queued_s for q in self.queued if q.queued_s is not None]
        return statistics.median(waits) if waits else 0.0

    @property
    def queued_max_s(self) -> float:
        return max((q.queued_s for q in self.queued if q.queued_s is not None), default=0.0)

    @property
    def calls_per_user(self) -> float:
        return sum(self.calls.values()) / max(1, self.users)

    @property
    def admitted(self) -> int:
        return sum(n for (_, outcome), n in self.calls.items() if outcome != "ThrottlingException")

    @property
    def floor_s(self) -> float:
        return max(0, self.admitted - self.burst) / self.rate if self.rate else 0.0

    @property
    def ratio(self) -> float:
        return self.wall_s / self.floor_s if self.floor_s else float("nan")


def users_file_text(count: int, *, first_name: str = "User", invalid: int = 0) -> str:
    lines = [f"environment: {ENVIRONMENT_ID}", "defaults:", "  type: APP_USER", "users:"]
    for index in range(count):
        lines += [f"  - email: user{index:05d}@example.com", f"    first_name: {first_name}{index}"]
    for index in range(invalid):
        lines += [f"  - email: taken{index:03d}@example.com"]
    return "\n".join(lines) + "\n"


class _Bench:
    """One run's emulator, driver and function."""

    def __init__(self, settings: ScaleSettings, state: Path, say: Callable[[str], None]) -> None:
        self.settings, self.state, self.say = settings, state, say
        self.ca = LocalCA(state / "ca")
        backend = BackendSettings(environments=frozenset({ENVIRONMENT_ID}))
        self.emulator = Emulator(EmulatorSettings(backend=backend), ca=self.ca).start()
        self.function: LambdaFunction | None = None
        self.events: list[StackEvent] = []  # nested stacks' too, which a StackResult does not hold
        self.driver = Driver(state / "stacks", self.ca, on_event=self.events.append)

    def close(self) -> None:
        if self.function is not None:
            self.function.close()
        self.driver.close()
        self.emulator.stop()

    def synth(self, text: str) -> tuple[Path, dict[str, Any]]:
        users_file = self.state / "users.yaml"
        users_file.write_text(text)
        out = self.state / "cdk.out"
        started = time.perf_counter()
        template = synth(out, {"usersFile": str(users_file), "reservedConcurrency": str(self.settings.containers)})
        self.say(f"cdk synth of {self.settings.users + self.settings.invalid} users: "
                 f"{time.perf_counter() - started:.1f} s")
        return out, template

    def bootstrap(self, out: Path) -> None:
        """Deploy the provider stack, register its role, start its containers."""
        provider = json.loads((out / f"{PROVIDER_STACK_NAME}.template.json").read_text())
        resource, code_dir = provider_function(out, provider)
        environment = {"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": PROVIDER_KEYS[0],
                       "AWS_SECRET_ACCESS_KEY": PROVIDER_KEYS[1], **self.emulator.environment()}
        self.function = LambdaFunction(HandlerSpec.for_function(
            resource, code_dir, template=provider, queue_time_scale=self.settings.queue_scale, environment=environment))
        self.driver.default_function = self.function
        result = self.driver.deploy(PROVIDER_STACK_NAME, provider, template_dir=out)
        (role_arn,) = [r.data["Arn"] for r in result.stack.resources.values() if r.type == "AWS::IAM::Role"]
        self.function.add_environment({PROVIDER_ROLE_VARIABLE: role_arn})  # the template's GetAtt, resolved
        self.emulator.backend.assign_role(PROVIDER_KEYS[0], role_arn, secret_access_key=PROVIDER_KEYS[1])
        self.emulator.web_app.register_role(ENVIRONMENT_ID, role_arn)
        for index in range(self.settings.invalid):
            self.emulator.web_app.add_user(ENVIRONMENT_ID, f"taken{index:03d}@example.com")
        started = time.perf_counter()
        self.function.warm(min(self.settings.containers, self.settings.users + self.settings.invalid))
        self.say(f"{self.settings.containers} containers started: {time.perf_counter() - started:.1f} s")

    def faults(self, on: bool) -> None:
        self.emulator.faults.configure(self.settings.faults if on else FaultSettings())

    def phase(self, name: str, operation: Callable[[], StackResult]) -> PhaseReport:
        assert self.function is not None
        self.emulator.clear_calls()
        self.events.clear()
        first = len(self.function.queued)
        self.faults(True)
        started = time.perf_counter()
        result = operation()
        wall = time.perf_counter() - started
        self.faults(False)
        calls = Counter((c.operation, c.error or str(c.status)) for c in self.emulator.calls_of())
        failed = sum(1 for e in self.events if e.resource_type == USER_RESOURCE_TYPE and e.status.endswith("_FAILED"))
        declared = 0 if result.status == "DELETE_COMPLETE" or "ROLLBACK" in result.status else self.settings.users
        report = PhaseReport(name, result.status, wall, failed, calls, self.enabled_users(), declared,
                             self.settings.users, self.settings.faults.throttle_rate,
                             self.settings.faults.throttle_burst, list(self.function.queued[first:]),
                             _longest_wait(self.events))
        self.say(f"{name}: {result.status} in {wall:.1f} s, {failed} failed, {report.enabled} enabled, "
                 f"{report.throttled} events throttled, waited up to {report.queued_max_s:.0f} s, "
                 f"{report.dropped} dropped")
        return report

    def enabled_users(self) -> int:
        return sum(1 for u in self.emulator.web_app.users(ENVIRONMENT_ID)
                   if u["status"] == "ENABLED" and u["emailAddress"] not in ADMINISTRATOR_EMAILS
                   and not u["emailAddress"].startswith("taken"))


def run_scale(settings: ScaleSettings, say: Callable[[str], None] = print) -> list[PhaseReport]:
    """Deploy, update ``update_share`` of the users, destroy; a report per phase. With ``invalid``
    users: a deploy that must roll back, then the fixed file deployed again, then destroy."""
    with tempfile.TemporaryDirectory(prefix="finspace-scale-") as folder:
        bench = _Bench(settings, Path(folder), say)
        try:
            out, template = bench.synth(users_file_text(settings.users, invalid=settings.invalid))
            bench.bootstrap(out)
            reports = [bench.phase("deploy", lambda: bench.driver.deploy(STACK_NAME, template, template_dir=out))]
            if settings.invalid:
                out, template = bench.synth(users_file_text(settings.users))
                reports.append(bench.phase("redeploy fixed",
                                           lambda: bench.driver.deploy(STACK_NAME, template, template_dir=out)))
            elif settings.update_share and reports[0].status == "CREATE_COMPLETE":
                out, template = bench.synth(_updated_text(settings))
                reports.append(bench.phase("update",
                                           lambda: bench.driver.deploy(STACK_NAME, template, template_dir=out)))
            reports.append(bench.phase("destroy", lambda: bench.driver.delete_stack(STACK_NAME)))
            return reports
        finally:
            bench.close()


def _longest_wait(events: list[StackEvent]) -> float:
    """The longest time a user resource spent IN_PROGRESS before its answer (complete or failed)."""
    began: dict[tuple[str, str], float] = {}
    longest = 0.0
    for event in events:
        if event.resource_type != USER_RESOURCE_TYPE:
            continue
        key = (event.stack, event.logical_id)
        if event.status.endswith("_IN_PROGRESS"):
            began[key] = event.at
        elif key in began:
            longest = max(longest, event.at - began.pop(key))
    return longest


@dataclass(frozen=True)
class ModelReport:
    """A phase computed by :func:`model_phase` (seconds, the schedule's real time)."""

    events: int
    wall_s: float  # the last answer
    floor_s: float  # calls / rate
    queued_p50_s: float
    queued_max_s: float  # the longest an event waited before it ran
    dropped: int  # events older than the maximum event age before they could run

    @property
    def ratio(self) -> float:
        return self.wall_s / self.floor_s if self.floor_s else float("nan")


def model_phase(events: int, *, containers: int = 10, rate: float = 10.0, calls_per_event: float = 1.0,
                overhead_s: float = 0.2, queue: AsyncQueue | None, seed: int = 0) -> ModelReport:
    """The phase the bench measures, computed: ``events`` sent at once (CloudFormation starts every
    independent resource), ``containers`` at a time; each run holds its container for its calls,
    served one after the other at ``rate`` per second by an ideal FinSpace (no burst, no throttling
    waste), plus ``overhead_s`` (Lambda, the answer). An event that finds every container busy waits
    ``queue``'s intervals (the stand-in's own :meth:`AsyncQueue.interval`) and is dropped past its
    maximum age; with ``queue=None`` it takes the next free container at once."""
    rng = random.Random(seed)
    service = calls_per_event / rate
    attempts: list[tuple[float, int, int]] = [(0.0, index, 0) for index in range(events)]  # (at, event, throttles)
    heapq.heapify(attempts)
    ends: list[float] = []  # busy containers' end times
    waiting: deque[float] = deque()  # without a queue: events waiting for the next free container
    finspace_free_at, last, dropped = 0.0, 0.0, 0
    waits: list[float] = []

    def run(at: float) -> None:
        nonlocal finspace_free_at
        finspace_free_at = max(finspace_free_at, at) + service
        heapq.heappush(ends, finspace_free_at + overhead_s)
        waits.append(at)

    while attempts or ends:
        if ends and (not attempts or ends[0] <= attempts[0][0]):
            at = heapq.heappop(ends)
            last = max(last, at)
            if waiting:
                waiting.popleft()
                run(at)
            continue
        at, index, throttles = heapq.heappop(attempts)
        if queue is not None and at > queue.max_age_s:
            dropped += 1
        elif len(ends) < containers:
            run(at)
        elif queue is None:
            waiting.append(at)
        else:
            heapq.heappush(attempts, (at + queue.interval(throttles, rng), index, throttles + 1))
    return ModelReport(events, last, events * service, statistics.median(waits) if waits else 0.0,
                       max(waits, default=0.0), dropped)


def _updated_text(settings: ScaleSettings) -> str:
    """The same file with the first names of ``update_share`` of the users changed."""
    changed = int(settings.users * settings.update_share)
    text = users_file_text(settings.users)
    for index in range(changed):
        text = text.replace(f"first_name: User{index}\n", f"first_name: Renamed{index}\n", 1)
    return text
