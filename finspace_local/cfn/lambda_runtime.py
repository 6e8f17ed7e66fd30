"""Run a handler as Lambda does for CloudFormation's asynchronous invocations.

A worker process per concurrent "container", reused while warm; a deadline per
invocation after which the container is killed (as Lambda ends a timed-out
sandbox); on a function error or timeout the same event is retried twice;
optionally every event is delivered twice. Every log line is kept in ``logs``.
:meth:`LambdaFunction.add_environment` changes the function's variables as
UpdateFunctionConfiguration does: only containers started afterwards see them.

With an :class:`AsyncQueue`, an event that finds every container busy (the
function at its reserved concurrency) goes back to Lambda's queue and is tried
again after growing intervals, and one older than the maximum event age is
dropped, never run; without one, it takes the next free container at once.
Each event's way through the queue is kept in ``queued`` (:class:`QueuedEvent`).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["AsyncQueue", "HandlerSpec", "Invocation", "LambdaFunction", "QueuedEvent", "max_event_age"]

ASYNC_RETRIES = 2  # Lambda retries a failed asynchronous invocation twice
DEFAULT_TIMEOUT_S = 3.0  # a Lambda function's timeout when its template sets none
INIT_LIMIT_S = 10.0  # Lambda's init phase limit
# An account's default concurrency: what a function without reserved concurrency may reach.
ACCOUNT_CONCURRENCY = 1000
WORKER = Path(__file__).resolve().parent / "worker.py"  # standard library only: runs on any interpreter
# Lambda's asynchronous queue: events are kept up to 6 hours (MaximumEventAgeInSeconds' default and
# maximum); a throttled event is retried "from 1 second ... to a maximum of 5 minutes" apart.
MAX_EVENT_AGE_S = 6 * 3600.0
FIRST_INTERVAL_S = 1.0
MAX_INTERVAL_S = 300.0


@dataclass(frozen=True)
class AsyncQueue:
    """Lambda's queue for asynchronous events that find the function at its reserved concurrency.

    AWS documents the schedule only as intervals growing "from 1 second after the first attempt to
    a maximum of 5 minutes" for up to the maximum event age (Lambda Developer Guide, "How Lambda
    handles errors and retries with asynchronous invocation"). The emulation's choice: after its
    k-th throttle (k = 0, 1, ...) an event waits U(1/2, 1) x min(300 s, 2^(k+1) s), equal jitter on a
    doubling base: 1-2 s, 2-4 s, 4-8 s, ... 128-256 s, then 150-300 s for good. The jitter stays at
    the cap, so events queued together spread out instead of retrying together every 5 minutes.
    An event older than ``max_event_age_s`` when it leaves the queue (for a throttle's retry or a
    function error's) is dropped, never run (Lambda would send it to an on-failure destination).
    ``time_scale`` multiplies every interval and the maximum age: 1.0 is the real schedule; tests
    and benchmarks shrink it (0.01: the first interval 10-20 ms, the cap 3 s, 6 hours 216 s).
    Function errors keep their own delays (:attr:`HandlerSpec.retry_delays`).
    """

    max_event_age_s: float = MAX_EVENT_AGE_S
    time_scale: float = 1.0
    seed: int | None = None  # the jitter's; None: a fresh one per function

    def interval(self, throttles: int, rng: random.Random) -> float:
        """Seconds to wait after the event's ``throttles``-th throttle (0-based), time scale applied."""
        base = min(MAX_INTERVAL_S, FIRST_INTERVAL_S * 2.0 ** min(throttles + 1, 32))
        return rng.uniform(0.5, 1.0) * base * self.time_scale

    @property
    def max_age_s(self) -> float:
        """The maximum event age, time scale applied."""
        return self.max_event_age_s * self.time_scale


def max_event_age(template: Mapping[str, Any] | None, resource: Mapping[str, Any]) -> float:
    """``MaximumEventAgeInSeconds`` of the ``AWS::Lambda::EventInvokeConfig`` that ``template`` declares
    for ``resource`` (one of its functions, referenced by ``Ref``); Lambda's 6 hours without one."""
    resources = (template or {}).get("Resources", {})
    names = {name for name, declared in resources.items() if declared is resource or declared == resource}
    for declared in resources.values():
        properties = declared.get("Properties", {})
        if (declared.get("Type") == "AWS::Lambda::EventInvokeConfig" and "MaximumEventAgeInSeconds" in properties
                and isinstance(properties.get("FunctionName"), dict)
                and properties["FunctionName"].get("Ref") in names):
            return float(properties["MaximumEventAgeInSeconds"])
    return MAX_EVENT_AGE_S


@dataclass(frozen=True)
class HandlerSpec:
    """What to run: code folder, ``module.function`` and the function's environment.

    ``retry_delays`` stand in for Lambda's 1 and 2 minutes between retries of a function error.
    ``python``: another interpreter (e.g. a Python 3.13 virtual environment standing in for the
    Lambda runtime, with its own boto3); then this process's path (site-packages included) is not
    passed on. ``queue``: Lambda's queue intervals and maximum event age for an event that finds
    ``max_concurrency`` containers busy (:class:`AsyncQueue`); ``None`` (a spec built directly):
    such an event takes the next free container at once, and no event is too old.
    """

    code_dir: Path
    handler: str
    environment: dict[str, str] = field(default_factory=dict)
    function_name: str = "finspace-user-provider"
    timeout_s: float = 60.0
    max_concurrency: int = 8
    retry_delays: tuple[float, ...] = (0.2, 0.4)
    deliver_twice: bool = False
    python: str | None = None
    queue: AsyncQueue | None = None

    @classmethod
    def for_function(cls, resource: dict[str, Any], code_dir: Path, *, template: Mapping[str, Any] | None = None,
                     queue_time_scale: float | None = 1.0, **settings: Any) -> HandlerSpec:
        """The spec a template's ``AWS::Lambda::Function`` declares: handler, timeout, environment, its
        reserved concurrency, and Lambda's queue for the events beyond it: the real intervals times
        ``queue_time_scale`` (``None``: none, the next free container at once), the maximum event age
        of ``template``'s ``AWS::Lambda::EventInvokeConfig`` for it (6 hours without one)."""
        properties = resource.get("Properties", {})
        declared = properties.get("Environment", {}).get("Variables", {})
        environment = {k: v for k, v in declared.items() if isinstance(v, str)}
        queue = None if queue_time_scale is None else AsyncQueue(max_event_age(template, resource), queue_time_scale)
        return cls(code_dir=code_dir, handler=str(properties.get("Handler", "index.handler")),
                   timeout_s=float(properties.get("Timeout", DEFAULT_TIMEOUT_S)),
                   max_concurrency=int(properties.get("ReservedConcurrentExecutions", ACCOUNT_CONCURRENCY)),
                   **{"queue": queue, **settings, "environment": {**environment, **settings.get("environment", {})}})


@dataclass(frozen=True)
class Invocation:
    request_id: str
    outcome: str  # "ok", an error name, or "Task timed out"


@dataclass
class QueuedEvent:
    """One asynchronous delivery of an event, for reports: how long it waited in Lambda's queue.

    Times are as run (a scaled queue's intervals are scaled). ``queued_s``: from
    :meth:`LambdaFunction.invoke_async` to its first run (waiting for a free container: the queue's
    intervals, or the wait for the next free one without them), ``None`` while or if it never ran.
    """

    request_id: str  # the event's RequestId (CloudFormation's), "" without one
    logical_id: str
    intervals: list[float] = field(default_factory=list)  # each wait after a throttle, in order
    queued_s: float | None = None
    runs: int = 0  # a function error's retries are runs too
    outcome: str = "queued"  # then the last run's ("ok", an error), "dropped" (too old), "abandoned" (closed)

    @property
    def throttles(self) -> int:
        return len(self.intervals)


class _Container:
    def __init__(self, spec: HandlerSpec, on_log: Any, environment: Mapping[str, str], generation: int) -> None:
        path = [] if spec.python else sys.path
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.pathsep.join(path),
               "AWS_LAMBDA_FUNCTION_NAME": spec.function_name, "PYTHONUNBUFFERED": "1",
               "PYTHONDONTWRITEBYTECODE": "1", **environment}  # Lambda code is read-only
        if "AWS_REGION" in env:  # Lambda sets both; boto3 reads the second
            env.setdefault("AWS_DEFAULT_REGION", env["AWS_REGION"])
        self.generation = generation  # the function configuration it was started with
        self.process = subprocess.Popen(
            [spec.python or sys.executable, str(WORKER), str(spec.code_dir), spec.handler,
             spec.function_name, str(spec.timeout_s)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        threading.Thread(target=self._pump_logs, args=(on_log,), daemon=True).start()
        self._results: list[str] = []
        self._ready = threading.Condition()
        self.initialized = threading.Event()
        threading.Thread(target=self._pump_results, daemon=True).start()

    def _pump_logs(self, on_log: Any) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            on_log(line.rstrip("\n"))

    def _pump_results(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if json.loads(line).get("ready"):
                self.initialized.set()
                continue
            with self._ready:
                self._results.append(line)
                self._ready.notify_all()
        self.initialized.set()
        with self._ready:  # the process died: whoever waits gets an error, not a hang
            self._results.append(json.dumps({"ok": False, "error": "Runtime.ExitError"}))
            self._ready.notify_all()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def run(self, event: dict[str, Any], request_id: str, timeout_s: float) -> str:
        assert self.process.stdin is not None
        self.initialized.wait(INIT_LIMIT_S)  # as in Lambda, the timeout counts from the end of init
        deadline = time.time() + timeout_s
        message = {"event": event, "request_id": request_id, "deadline": deadline}
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()
        with self._ready:
            if not self._ready.wait_for(lambda: bool(self._results), timeout=timeout_s + 0.5):
                self.kill()
                return "Task timed out"
            result = json.loads(self._results.pop(0))
        return "ok" if result["ok"] else str(result["error"])

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        """End the worker as its input ends; kill it if it does not go."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()


class LambdaFunction:
    """A function with a warm pool of containers; :meth:`invoke_async` as CloudFormation calls it."""

    def __init__(self, spec: HandlerSpec) -> None:
        self.spec = spec
        self.logs: list[str] = []
        self.invocations: list[Invocation] = []
        self.queued: list[QueuedEvent] = []  # every asynchronous delivery, in the order sent
        self._idle: list[_Container] = []
        self._deliveries: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._slots = threading.Semaphore(spec.max_concurrency)
        self._added: dict[str, str] = {}  # variables set after the spec (add_environment)
        self._generation = 0  # counts configuration changes: older containers are retired
        self._rng = random.Random(spec.queue.seed if spec.queue else None)
        self._closing = threading.Event()  # wakes deliveries waiting in the queue when the function closes

    @property
    def environment(self) -> dict[str, str]:
        """The function's variables: the spec's, and those added since (which win)."""
        with self._lock:
            return {**self.spec.environment, **self._added}

    def add_environment(self, variables: Mapping[str, str]) -> None:
        """Set ``variables`` as UpdateFunctionConfiguration does: containers started from now on see
        them; warm ones are retired (idle ones now, busy ones when their invocation returns). Setting
        what is already set changes nothing."""
        with self._lock:
            if all(self._added.get(k) == v for k, v in variables.items()):
                return
            self._added.update(variables)
            self._generation += 1
            retired, self._idle = self._idle, []
        for container in retired:
            container.stop()

    def _start(self) -> _Container:
        with self._lock:
            environment, generation = {**self.spec.environment, **self._added}, self._generation
        return _Container(self.spec, self._log, environment, generation)

    def _log(self, line: str) -> None:
        with self._lock:
            self.logs.append(line)

    def warm(self, containers: int, timeout_s: float = 300.0) -> None:
        """Start ``containers`` containers and wait until each has run its init, as a function that
        served traffic a moment ago has them: cold starts then stay out of a measurement."""
        started = [self._start() for _ in range(containers)]
        deadline = time.monotonic() + timeout_s
        for container in started:
            container.initialized.wait(max(0.0, deadline - time.monotonic()))
        for container in started:
            self._release(container)

    def invoke(self, event: dict[str, Any]) -> str:
        """One synchronous invocation in a warm (or new) container, once one is free; its outcome."""
        with self._slots:
            return self._run(event)

    def _run(self, event: dict[str, Any]) -> str:
        """Run ``event`` in a warm (or new) container; the caller holds a concurrency slot."""
        request_id = str(uuid.uuid4())
        with self._lock:
            container = self._idle.pop() if self._idle else None
        container = container or self._start()
        outcome = container.run(event, request_id, self.spec.timeout_s)
        self._release(container)
        with self._lock:
            self.invocations.append(Invocation(request_id, outcome))
        return outcome

    def _release(self, container: _Container) -> None:
        """Back to the warm pool, unless it died or runs an older configuration."""
        with self._lock:
            current = container.generation == self._generation
            if current and container.alive:
                self._idle.append(container)
        if not current and container.alive:
            container.stop()

    def invoke_async(self, event: dict[str, Any]) -> threading.Thread:
        """Deliver ``event`` in the background as Lambda does: through its queue (with an
        :class:`AsyncQueue`), with its retries of a function error (and a duplicate, if set)."""
        thread = threading.Thread(target=self._deliver, args=(event,), daemon=True, name="lambda-async")
        with self._lock:
            self._deliveries.append(thread)
        thread.start()
        return thread

    def drain(self, timeout: float = 60.0) -> None:
        """Wait for every asynchronous delivery (retries included) to end."""
        deadline = time.monotonic() + timeout
        with self._lock:
            deliveries, self._deliveries = self._deliveries, []
        for thread in deliveries:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _deliver(self, event: dict[str, Any]) -> None:
        for _ in range(2 if self.spec.deliver_twice else 1):
            record = QueuedEvent(str(event.get("RequestId", "")), str(event.get("LogicalResourceId", "")))
            with self._lock:
                self.queued.append(record)
            queued_at = time.monotonic()
            for attempt in range(ASYNC_RETRIES + 1):
                outcome = self._when_free(event, record, queued_at)
                if outcome is None or outcome == "ok":
                    break
                if attempt < ASYNC_RETRIES and self._closing.wait(self.spec.retry_delays[attempt]):
                    record.outcome = "abandoned"
                    break

    def _when_free(self, event: dict[str, Any], record: QueuedEvent, queued_at: float) -> str | None:
        """Run ``event`` once a container is free: its outcome; ``None`` if it never ran (dropped)."""
        if self.spec.queue is None:
            self._slots.acquire()
        elif not self._queue_for_slot(self.spec.queue, record, queued_at):
            return None
        try:
            if record.queued_s is None:
                record.queued_s = time.monotonic() - queued_at
            record.runs += 1
            record.outcome = self._run(event)
        finally:
            self._slots.release()
        return record.outcome

    def _queue_for_slot(self, queue: AsyncQueue, record: QueuedEvent, queued_at: float) -> bool:
        """Take a free slot, or wait the queue's next interval and try again: True once one is held;
        False when the event is older than the maximum event age (dropped) or the function closes."""
        while time.monotonic() - queued_at <= queue.max_age_s:
            if self._slots.acquire(blocking=False):
                return True
            interval = queue.interval(record.throttles, self._rng)
            record.intervals.append(interval)
            if self._closing.wait(interval):
                record.outcome = "abandoned"
                return False
        record.outcome = "dropped"
        return False

    def close(self) -> None:
        """Wait for the deliveries (up to a minute), then end the queue's waits and the containers."""
        self.drain()
        self._closing.set()
        with self._lock:
            containers, self._idle = self._idle, []
        for container in containers:
            container.stop()
