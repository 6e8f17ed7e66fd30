"""Run a handler as Lambda does for CloudFormation's asynchronous invocations.

A worker process per concurrent "container", reused while warm; a deadline per
invocation after which the container is killed (as Lambda ends a timed-out
sandbox); on a function error or timeout the same event is retried twice;
optionally every event is delivered twice. Every log line is kept in ``logs``.
:meth:`LambdaFunction.add_environment` changes the function's variables as
UpdateFunctionConfiguration does: only containers started afterwards see them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["HandlerSpec", "Invocation", "LambdaFunction"]

ASYNC_RETRIES = 2  # Lambda retries a failed asynchronous invocation twice
DEFAULT_TIMEOUT_S = 3.0  # a Lambda function's timeout when its template sets none
INIT_LIMIT_S = 10.0  # Lambda's init phase limit
# An account's default concurrency: what a function without reserved concurrency may reach.
ACCOUNT_CONCURRENCY = 1000
WORKER = Path(__file__).resolve().parent / "worker.py"  # standard library only: runs on any interpreter


@dataclass(frozen=True)
class HandlerSpec:
    """What to run: code folder, ``module.function`` and the function's environment.

    ``retry_delays`` stand in for Lambda's 1 and 2 minutes between retries. ``python``: another
    interpreter (e.g. a Python 3.13 virtual environment standing in for the Lambda runtime, with its
    own boto3); then this process's path (site-packages included) is not passed on.
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

    @classmethod
    def for_function(cls, resource: dict[str, Any], code_dir: Path, **settings: Any) -> HandlerSpec:
        """The spec a template's ``AWS::Lambda::Function`` declares: handler, timeout, environment, and
        its reserved concurrency (events beyond it wait in the queue for a free container)."""
        properties = resource.get("Properties", {})
        declared = properties.get("Environment", {}).get("Variables", {})
        environment = {k: v for k, v in declared.items() if isinstance(v, str)}
        return cls(code_dir=code_dir, handler=str(properties.get("Handler", "index.handler")),
                   timeout_s=float(properties.get("Timeout", DEFAULT_TIMEOUT_S)),
                   max_concurrency=int(properties.get("ReservedConcurrentExecutions", ACCOUNT_CONCURRENCY)),
                   **{**settings, "environment": {**environment, **settings.get("environment", {})}})


@dataclass(frozen=True)
class Invocation:
    request_id: str
    outcome: str  # "ok", an error name, or "Task timed out"


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
        self._idle: list[_Container] = []
        self._deliveries: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._slots = threading.Semaphore(spec.max_concurrency)
        self._added: dict[str, str] = {}  # variables set after the spec (add_environment)
        self._generation = 0  # counts configuration changes: older containers are retired

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
        """One synchronous invocation in a warm (or new) container; returns its outcome."""
        request_id = str(uuid.uuid4())
        with self._slots:
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
        """Deliver ``event`` in the background with Lambda's retries (and duplicate, if set)."""
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
            for attempt in range(ASYNC_RETRIES + 1):
                if self.invoke(event) == "ok":
                    break
                if attempt < ASYNC_RETRIES:
                    time.sleep(self.spec.retry_delays[attempt])

    def close(self) -> None:
        self.drain()
        with self._lock:
            containers, self._idle = self._idle, []
        for container in containers:
            container.stop()
