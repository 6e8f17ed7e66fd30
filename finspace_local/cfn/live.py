"""What CloudFormation's read API shows of each stack at this very moment.

An operation changes its own :class:`~finspace_local.cfn.state.StackState` while the functions it
invoked ask, from the API server's threads, what the stack looks like. So, for each stack with an
operation in progress, the view is kept here under one lock: one row per logical resource, changed
by every event the driver records (before any handler hears of the step), as the console's
resource list changes. A deleted resource leaves the list; a deleted stack is still described, by
its id, with the resources it deleted (as AWS does for 90 days), while the driver lives. A stack at
rest is read from its state file, with the statuses its last operation left (:meth:`settle`).
"""

from __future__ import annotations

import dataclasses
import re
import threading
from dataclasses import dataclass, field

from ..aws.cloudformation import ResourceRow, StackView
from .run import StackEvent
from .state import ResourceState, StackState, StackStore

__all__ = ["LiveStacks"]

STACK_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]{0,127}")
_STACK_ARN = re.compile(r"arn:aws:cloudformation:[^:]+:\d{12}:stack/(?P<name>[^/]+)/[-0-9a-f]+")
GONE = ("DELETE_COMPLETE", "DELETE_SKIPPED")


@dataclass
class _Live:
    """A stack with an operation in progress."""

    stack: StackState
    rows: dict[str, ResourceRow]
    gone: dict[str, ResourceRow] = field(default_factory=dict)
    deleted_at: float = 0.0

    def note(self, event: StackEvent) -> None:
        row = self.rows.get(event.logical_id)
        if event.status.startswith("DELETE_"):
            if row is None or (row.physical_id and event.physical_id and row.physical_id != event.physical_id):
                return  # a replaced resource's old physical resource: the stack lists the new one
            changed = dataclasses.replace(row, status=event.status, updated_at=event.at, reason=event.reason)
            if event.status in GONE:
                del self.rows[event.logical_id]
                self.gone[event.logical_id] = changed
            else:
                self.rows[event.logical_id] = changed
            return
        physical_id = event.physical_id or (row.physical_id if row else "")
        self.rows[event.logical_id] = ResourceRow(event.logical_id, event.resource_type, physical_id, event.status,
                                                  event.at, event.reason)

    def view(self) -> StackView:
        stack = self.stack
        return _view(stack, tuple(self.rows.values()), deleted_at=self.deleted_at)


class LiveStacks:
    """The stacks as DescribeStacks and ListStackResources show them (a
    :class:`~finspace_local.aws.cloudformation.StackSource`)."""

    def __init__(self, store: StackStore) -> None:
        self._store = store
        self._running: dict[str, _Live] = {}  # by stack id
        self._deleted: dict[str, StackView] = {}  # by stack id
        self._lock = threading.Lock()

    # --- the driver's side ---------------------------------------------------------------
    def begin(self, stack: StackState) -> None:
        """An operation starts on ``stack`` (the object it will change)."""
        live = _Live(stack, {row.logical_id: row for row in _rows(stack)})
        with self._lock:
            self._running[stack.stack_id] = live

    def status(self, stack: StackState, status: str, at: float) -> None:
        """The stack's own status changed (``stack.status`` holds it)."""
        if status == "DELETE_IN_PROGRESS":
            with self._lock:
                live = self._running.get(stack.stack_id)
                if live is not None:
                    live.deleted_at = at

    def note(self, stack: StackState, event: StackEvent) -> None:
        """A resource event of ``stack``'s operation."""
        with self._lock:
            live = self._running.get(stack.stack_id)
            if live is not None:
                live.note(event)

    def settle(self, stack: StackState) -> None:
        """Before ``stack`` is saved: its resources keep the statuses the operation left them in."""
        with self._lock:
            live = self._running.get(stack.stack_id)
            rows = dict(live.rows) if live else {}
        for resource in stack.resources.values():
            row = rows.get(resource.logical_id)
            if row is not None and row.physical_id in ("", resource.physical_id):
                resource.status, resource.updated_at = row.status, row.updated_at

    def end(self, stack: StackState) -> None:
        """The operation on ``stack`` ended (it is saved, or removed when DELETE_COMPLETE)."""
        with self._lock:
            live = self._running.pop(stack.stack_id, None)
            if stack.status == "DELETE_COMPLETE":
                gone = tuple(live.gone.values()) if live else ()
                self._deleted[stack.stack_id] = _view(stack, gone, deleted_at=live.deleted_at if live else 0.0)

    def removed(self, stack: StackState, at: float) -> None:
        """``stack`` (with no resources left) was removed without an operation, as ``cdk deploy`` deletes
        a ROLLBACK_COMPLETE stack before creating it again."""
        with self._lock:
            self._running.pop(stack.stack_id, None)
            self._deleted[stack.stack_id] = dataclasses.replace(_view(stack, (), deleted_at=at),
                                                                status="DELETE_COMPLETE")

    # --- the API's side ------------------------------------------------------------------
    def find(self, name_or_id: str) -> StackView | None:
        with self._lock:
            for live in self._running.values():
                if name_or_id in (live.stack.stack_id, live.stack.name):
                    return live.view()
            if name_or_id in self._deleted:
                return self._deleted[name_or_id]
        arn = _STACK_ARN.fullmatch(name_or_id)
        name = arn["name"] if arn else name_or_id
        stack = self._store.load(name) if STACK_NAME.fullmatch(name) else None
        if stack is None or (arn is not None and stack.stack_id != name_or_id):
            return None
        return _view(stack, _rows(stack))

    def every(self) -> list[StackView]:
        with self._lock:
            running = {live.stack.name: live.view() for live in self._running.values()}
        stored = (self.find(name) for name in self._store.names() if name not in running)
        return [*running.values(), *(view for view in stored if view is not None)]


def _rows(stack: StackState) -> tuple[ResourceRow, ...]:
    """The resource list of a stack at rest: leftovers DELETE_FAILED, the others as last left."""
    rows = {r.logical_id: _row(r, "DELETE_FAILED", stack) for r in stack.leftovers}
    rows.update({r.logical_id: _row(r, r.status or "CREATE_COMPLETE", stack) for r in stack.resources.values()})
    return tuple(rows.values())


def _row(resource: ResourceState, status: str, stack: StackState) -> ResourceRow:
    at = resource.updated_at or stack.updated_at or stack.created_at
    return ResourceRow(resource.logical_id, resource.type, resource.physical_id, status, at)


def _view(stack: StackState, rows: tuple[ResourceRow, ...], *, deleted_at: float = 0.0) -> StackView:
    declared = stack.template.get("Parameters", {})
    parameters = {key: "****" if str(declared.get(key, {}).get("NoEcho", "")).lower() == "true" else value
                  for key, value in dict(stack.parameters).items()}
    description = stack.template.get("Description", "")
    return StackView(stack.stack_id, stack.name, stack.status, stack.created_at, stack.updated_at, deleted_at,
                     stack.parent_id, stack.root_id, description if isinstance(description, str) else "",
                     parameters, dict(stack.outputs), rows)
