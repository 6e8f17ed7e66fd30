"""The events of a stack operation, as the console and the read API show them from the moment they happen."""

from __future__ import annotations

import time
from collections.abc import Callable

from .live import LiveStacks
from .run import STACK_TYPE, Run, StackEvent, StackResult
from .state import StackStore

__all__ = ["Journal"]


class Journal:
    """Records each event of a :class:`~finspace_local.cfn.run.Run`: in the run, in what the read API
    shows (:class:`~finspace_local.cfn.live.LiveStacks`) and to ``on_event``; and ends the run."""

    def __init__(self, store: StackStore, live: LiveStacks,
                 on_event: Callable[[StackEvent], None] | None = None) -> None:
        self.store, self.live, self.on_event = store, live, on_event

    def stack_event(self, run: Run, status: str) -> None:
        """The stack's status, as the read API shows it from now on."""
        event = StackEvent(time.time(), run.stack.name, run.stack.name, STACK_TYPE, status, "", run.stack.stack_id)
        run.stack.status = status
        self.live.status(run.stack, status, event.at)
        self._record(run, event)

    def event(self, run: Run, logical_id: str, resource_type: str, status: str, reason: str = "",
              physical_id: str = "") -> None:
        """A resource's status, as the read API shows it from now on."""
        event = StackEvent(time.time(), run.stack.name, logical_id, resource_type, status, reason, physical_id)
        self.live.note(run.stack, event)
        self._record(run, event)

    def failed(self, run: Run, logical_id: str, resource_type: str, status: str, reason: str,
               physical_id: str | None = None) -> bool:
        """A resource's failure (``status``: CREATE_FAILED, UPDATE_FAILED, ...); always False."""
        self.event(run, logical_id, resource_type, status, reason, physical_id or "")
        return False

    def finish(self, run: Run, status: str) -> StackResult:
        """The operation ends in ``status``: the stack is saved, and read from its file from now on."""
        self.stack_event(run, status)
        self.live.settle(run.stack)
        self.store.save(run.stack)
        self.live.end(run.stack)
        return StackResult(status, run.events, run.stack)

    def _record(self, run: Run, event: StackEvent) -> None:
        with run.lock:
            run.events.append(event)
        if self.on_event is not None:
            self.on_event(event)
