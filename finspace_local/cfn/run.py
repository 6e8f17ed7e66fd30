"""One stack operation's state, shared by its phases: the events so far, what it created, updated and
replaced (for rollback and cleanup), and what the phases are given to send a handler its events."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from .answers import Answer
from .state import ResourceState, StackState
from .template import Template

__all__ = ["STACK_TYPE", "Run", "Send", "StackEvent", "StackResult", "dependencies"]

STACK_TYPE = "AWS::CloudFormation::Stack"


@dataclass(frozen=True)
class StackEvent:
    """One line of the console's stack events."""

    at: float
    stack: str
    logical_id: str
    resource_type: str
    status: str
    reason: str = ""
    physical_id: str = ""


@dataclass
class StackResult:
    status: str
    events: list[StackEvent]
    stack: StackState

    @property
    def ok(self) -> bool:
        return self.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE")

    @property
    def leftovers(self) -> list[ResourceState]:
        """Resources a failed rollback or delete left in the stack."""
        return self.stack.leftovers

    def resource_ids(self) -> dict[str, str]:
        return {k: v.physical_id for k, v in self.stack.resources.items()}


@dataclass
class Run:
    """What one stack operation did so far (for rollback and cleanup)."""

    stack: StackState
    template: Template
    events: list[StackEvent] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: dict[str, ResourceState] = field(default_factory=dict)  # state before the Update
    attempted: dict[str, dict[str, Any]] = field(default_factory=dict)  # properties the Update sent
    replaced: list[ResourceState] = field(default_factory=list)
    failed_creates: dict[str, ResourceState] = field(default_factory=dict)
    template_dir: str | None = None  # where nested templates (aws:asset:path) are found
    nested_previous: dict[str, tuple[dict[str, Any], dict[str, str]]] = field(default_factory=dict)
    previous: StackState | None = None  # an update's stack as it was before
    # Nested stacks updated in this update whose cleanup waits for this stack's (as CloudFormation
    # runs nested stacks' cleanup with their root's), or which roll back with it.
    deferred: dict[str, Run] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Send(Protocol):
    """Send a resource's handler one event (``Create``, ``Update``, ``Delete``) and wait for its answer."""

    def __call__(self, run: Run, request_type: str, resource: ResourceState,
                 old_properties: dict[str, Any] | None = None) -> Answer: ...


def dependencies(template: Template) -> dict[str, set[str]]:
    """Each resource of ``template`` and the resources it depends on."""
    return {logical_id: template.dependencies(logical_id) for logical_id in template.resources}
