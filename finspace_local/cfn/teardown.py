"""Rollback, cleanup and delete, as CloudFormation runs them, including when a Delete fails.

A resource whose Delete fails stays in the stack (``StackState.leftovers``) and the stack ends
ROLLBACK_FAILED, UPDATE_ROLLBACK_FAILED or DELETE_FAILED; the next delete-stack (or
continue-update-rollback) retries exactly those. A failed Delete in an update's cleanup phase is
reported (DELETE_FAILED event) and abandoned, as CloudFormation abandons it.

The stack's status says which phase runs: an update rollback first puts updated resources back
(UPDATE_ROLLBACK_IN_PROGRESS), then deletes what the failed update created
(UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS), as CloudFormation does; a nested stack updated in
the failed update rolls back the same way, as a stack of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .answers import Answer
from .graph import reverse, run_in_order
from .journal import Journal
from .nested import NestedStacks
from .run import STACK_TYPE, Run, Send, StackResult, dependencies
from .state import ResourceState, StackState
from .template import load_template

__all__ = ["Teardown"]


class Teardown:
    """The deleting half of a :class:`~finspace_local.cfn.engine.Driver`: it records through the driver's
    ``journal``, runs child stacks through ``nested`` and sends handlers their events with ``send``."""

    def __init__(self, journal: Journal, nested: NestedStacks, send: Send) -> None:
        self._journal, self._nested, self._send = journal, nested, send

    def rollback_create(self, run: Run) -> StackResult:
        self._journal.stack_event(run, "ROLLBACK_IN_PROGRESS")
        doomed = list(run.stack.resources.values()) + list(run.failed_creates.values())
        order = dependencies(run.template)
        kept = self._remember(run, self.delete_all(run, doomed, order), order)
        run.stack.resources, run.stack.leftovers = {}, kept
        return self._journal.finish(run, "ROLLBACK_FAILED" if kept else "ROLLBACK_COMPLETE")

    def rollback_update(self, run: Run, previous: StackState) -> StackResult:
        journal = self._journal
        journal.stack_event(run, "UPDATE_ROLLBACK_IN_PROGRESS")
        replaced_ids = {r.logical_id for r in run.replaced}
        pending: dict[str, dict[str, Any]] = {}
        for logical_id, before in run.updated.items():
            if logical_id in replaced_ids:
                continue  # the old resource stays; the new one is deleted below
            owed = self._nested.previous(run, logical_id) if before.type == STACK_TYPE else \
                run.attempted.get(logical_id, {})
            if not self._restore(run, before, owed):
                pending[logical_id] = owed
        for old in run.replaced:  # the stack points at the old resource again; the new one goes in cleanup
            journal.event(run, old.logical_id, old.type, "UPDATE_IN_PROGRESS", physical_id=old.physical_id)
            journal.event(run, old.logical_id, old.type, "UPDATE_COMPLETE", physical_id=old.physical_id)
        if not pending:
            journal.stack_event(run, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        doomed = [run.stack.resources[lid] for lid in run.created] + list(run.failed_creates.values())
        doomed += [r for r in run.stack.resources.values() if r.logical_id in replaced_ids]
        kept = self._remember(run, self.delete_all(run, doomed, dependencies(run.template)),
                              dependencies(run.template))
        run.stack.resources = previous.resources
        run.stack.template, run.stack.parameters = previous.template, previous.parameters
        run.stack.leftovers, run.stack.pending_rollback = previous.leftovers + kept, pending
        return journal.finish(run, "UPDATE_ROLLBACK_FAILED" if kept or pending else "UPDATE_ROLLBACK_COMPLETE")

    def continue_update_rollback(self, run: Run) -> StackResult:
        """Retry the Updates and Deletes a failed update rollback left."""
        journal, stack = self._journal, run.stack
        journal.stack_event(run, "UPDATE_ROLLBACK_IN_PROGRESS")
        pending = {lid: sent for lid, sent in stack.pending_rollback.items()
                   if not self._restore(run, stack.resources[lid], sent, again=True)}
        if not pending:
            journal.stack_event(run, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        stack.leftovers = self.delete_all(run, stack.leftovers, _order_of(stack.leftovers))
        stack.pending_rollback = pending
        status = "UPDATE_ROLLBACK_FAILED" if stack.leftovers or pending else "UPDATE_ROLLBACK_COMPLETE"
        return journal.finish(run, status)

    def _restore(self, run: Run, before: ResourceState, owed: dict[str, Any], *, again: bool = False) -> bool:
        """Put one updated resource back: an Update with the old properties (``owed``: the ones the failed
        Update sent), or the child stack back to its previous template (``owed``: that template)."""
        journal = self._journal
        journal.event(run, before.logical_id, before.type, "UPDATE_IN_PROGRESS", physical_id=before.physical_id)
        if before.type == STACK_TYPE:
            ok = self._roll_back_child(run, before.logical_id, owed, again=again)
            journal.event(run, before.logical_id, before.type, "UPDATE_COMPLETE" if ok else "UPDATE_FAILED",
                          physical_id=before.physical_id)
            return ok
        answer = self._send(run, "Update", before, old_properties=owed)
        return self._note(run, before, "UPDATE", answer)

    def _roll_back_child(self, run: Run, logical_id: str, previous: dict[str, Any], *, again: bool) -> bool:
        """A child stack back to ``previous``: a child whose update awaits our cleanup rolls back its
        own update; any other is put back by :meth:`NestedStacks.roll_back`."""
        updated = self._nested.take_deferred(run, logical_id)
        if updated is None:
            return self._nested.roll_back(run, logical_id, previous, again=again)
        assert updated.previous is not None
        return self.rollback_update(updated, updated.previous).status == "UPDATE_ROLLBACK_COMPLETE"

    @staticmethod
    def _remember(run: Run, kept: list[ResourceState], dependencies: dict[str, set[str]]) -> list[ResourceState]:
        """Leftovers keep their deletion order and whether the failed operation made them, for the retry."""
        names = {r.logical_id for r in kept}
        for resource in kept:
            resource.depends_on = sorted(dependencies.get(resource.logical_id, set()) & names)
            resource.created_in_operation = resource.logical_id in run.created or \
                resource.logical_id in run.failed_creates
        return kept

    def cleanup(self, run: Run, previous: StackState) -> None:
        removed = [r for lid, r in previous.resources.items() if lid not in run.template.resources]
        for gone in removed:
            run.stack.resources.pop(gone.logical_id, None)
        self.delete_all(run, removed + run.replaced, dependencies(load_template(previous.template)),
                        replaced=run.replaced)

    def delete_stack(self, run: Run) -> bool:
        """Delete every resource (and every leftover); keep in the stack whatever could not go."""
        stack = run.stack
        doomed = list(stack.resources.values()) + stack.leftovers
        kept = self.delete_all(run, doomed, {**dependencies(run.template), **_order_of(stack.leftovers)})
        stack.resources, stack.leftovers = {}, kept
        return not kept

    def delete_all(self, run: Run, doomed: list[ResourceState], dependencies: dict[str, set[str]],
                   replaced: Sequence[ResourceState] = ()) -> list[ResourceState]:
        """Delete in reverse dependency order, all independent ones at once; what was not deleted."""
        by_key = {_key(r): r for r in doomed}
        replaced_keys = {_key(r) for r in replaced}
        deps = {key: {k for k in by_key if k.split("|")[0] in dependencies.get(r.logical_id, set())}
                for key, r in by_key.items()}
        result = run_in_order(
            by_key, reverse(by_key, deps),
            lambda key: self._delete(run, by_key[key], replaced=key in replaced_keys), stop_on_failure=False,
        )
        return [by_key[key] for key in sorted(result.failed + result.not_started)]

    def _delete(self, run: Run, resource: ResourceState, *, replaced: bool = False) -> bool:
        journal = self._journal
        created_here = resource.created_in_operation or resource.logical_id in run.created or \
            resource.logical_id in run.failed_creates
        if resource.retained(replaced=replaced, created_in_operation=created_here):
            journal.event(run, resource.logical_id, resource.type, "DELETE_SKIPPED", physical_id=resource.physical_id)
            return True
        journal.event(run, resource.logical_id, resource.type, "DELETE_IN_PROGRESS", physical_id=resource.physical_id)
        if resource.type == STACK_TYPE:
            ok = self._nested.delete(run, resource)
            status = "DELETE_COMPLETE" if ok else "DELETE_FAILED"
            journal.event(run, resource.logical_id, resource.type, status, physical_id=resource.physical_id)
            return ok
        if not resource.is_custom:
            journal.event(run, resource.logical_id, resource.type, "DELETE_COMPLETE", physical_id=resource.physical_id)
            return True
        return self._note(run, resource, "DELETE", self._send(run, "Delete", resource))

    def _note(self, run: Run, resource: ResourceState, verb: str, answer: Answer) -> bool:
        status = f"{verb}_COMPLETE" if answer.status == "SUCCESS" else f"{verb}_FAILED"
        self._journal.event(run, resource.logical_id, resource.type, status, answer.reason, resource.physical_id)
        return answer.status == "SUCCESS"


def _order_of(leftovers: list[ResourceState]) -> dict[str, set[str]]:
    """The deletion order the leftovers were kept with."""
    return {r.logical_id: set(r.depends_on) for r in leftovers}


def _key(resource: ResourceState) -> str:
    return f"{resource.logical_id}|{resource.physical_id}"
