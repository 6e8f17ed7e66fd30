"""Run actions in dependency order, independent branches in parallel."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

__all__ = ["GraphRun", "reverse", "run_in_order"]


@dataclass
class GraphRun:
    succeeded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    not_started: list[str] = field(default_factory=list)


def reverse(nodes: Iterable[str], dependencies: dict[str, set[str]]) -> dict[str, set[str]]:
    """Deletion order: a node waits for every node that depends on it."""
    nodes = list(nodes)
    return {node: {other for other in nodes if node in dependencies.get(other, set())} for node in nodes}


def run_in_order(
    nodes: Iterable[str],
    dependencies: dict[str, set[str]],
    action: Callable[[str], bool],
    *,
    stop_on_failure: bool = True,
) -> GraphRun:
    """Run ``action(node)`` once each node's dependencies (within ``nodes``) succeeded.

    Every ready node starts at once, as CloudFormation starts every independent resource (a
    thread each: the actions mostly wait for answers). After a failure with ``stop_on_failure``,
    nothing new starts; running actions finish.
    """
    pending = sorted(nodes)
    wanted = set(pending)
    run = GraphRun()
    running: dict[Future[bool], str] = {}
    with ThreadPoolExecutor(max_workers=max(1, len(pending))) as pool:
        while True:
            if not (run.failed and stop_on_failure):
                succeeded = set(run.succeeded)
                for node in [n for n in pending if dependencies.get(n, set()) & wanted <= succeeded]:
                    pending.remove(node)
                    running[pool.submit(action, node)] = node
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                node = running.pop(future)
                (run.succeeded if future.result() else run.failed).append(node)
    run.not_started = pending
    return run
