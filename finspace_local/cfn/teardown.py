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
from typing import TYPE_CHECKING, Any

from .graph import reverse, run_in_order
from .nested import STACK_TYPE
from .state import ResourceState, StackState
from .template import load_template

if TYPE_CHECKING:
    from .answers import Answer
    from .engine import Driver, StackResult, _Run

__all__ = ["Teardown"]


class Teardown:
    """The deleting half of a :class:`~finspace_local.cfn.engine.Driver`."""

    def __init__(self, driver: Driver) -> None:
        self._driver = driver

    def rollback_create(self, run: _Run) -> StackResult:
        driver = self._driver
        driver._stack_event(run, "ROLLBACK_IN_PROGRESS")
        doomed = list(run.stack.resources.values()) + list(run.failed_creates.values())
        dependencies = driver._dependencies(run.template)
        kept = self._remember(run, self.delete_all(run, doomed, dependencies), dependencies)
        run.stack.resources, run.stack.leftovers = {}, kept
        return driver._finish(run, "ROLLBACK_FAILED" if kept else "ROLLBACK_COMPLETE")

    def rollback_update(self, run: _Run, previous: StackState) -> StackResult:
        driver = self._driver
        driver._stack_event(run, "UPDATE_ROLLBACK_IN_PROGRESS")
        replaced_ids = {r.logical_id for r in run.replaced}
        pending: dict[str, dict[str, Any]] = {}
        for logical_id, before in run.updated.items():
            if logical_id in replaced_ids:
                continue  # the old resource stays; the new one is deleted below
            owed = driver.nested.previous(run, logical_id) if before.type == STACK_TYPE else \
                run.attempted.get(logical_id, {})
            if not self._restore(run, before, owed):
                pending[logical_id] = owed
        for old in run.replaced:  # the stack points at the old resource again; the new one goes in cleanup
            driver._event(run, old.logical_id, old.type, "UPDATE_IN_PROGRESS", physical_id=old.physical_id)
            driver._event(run, old.logical_id, old.type, "UPDATE_COMPLETE", physical_id=old.physical_id)
        if not pending:
            driver._stack_event(run, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        doomed = [run.stack.resources[lid] for lid in run.created] + list(run.failed_creates.values())
        doomed += [r for r in run.stack.resources.values() if r.logical_id in replaced_ids]
        kept = self._remember(run, self.delete_all(run, doomed, driver._dependencies(run.template)),
                              driver._dependencies(run.template))
        run.stack.resources = previous.resources
        run.stack.template, run.stack.parameters = previous.template, previous.parameters
        run.stack.leftovers, run.stack.pending_rollback = previous.leftovers + kept, pending
        return driver._finish(run, "UPDATE_ROLLBACK_FAILED" if kept or pending else "UPDATE_ROLLBACK_COMPLETE")

    def continue_update_rollback(self, run: _Run) -> StackResult:
        """Retry the Updates and Deletes a failed update rollback left."""
        driver, stack = self._driver, run.stack
        driver._stack_event(run, "UPDATE_ROLLBACK_IN_PROGRESS")
        pending = {lid: sent for lid, sent in stack.pending_rollback.items()
                   if not self._restore(run, stack.resources[lid], sent, again=True)}
        if not pending:
            driver._stack_event(run, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        stack.leftovers = self.delete_all(run, stack.leftovers, _order_of(stack.leftovers))
        stack.pending_rollback = pending
        status = "UPDATE_ROLLBACK_FAILED" if stack.leftovers or pending else "UPDATE_ROLLBACK_COMPLETE"
        return driver._finish(run, status)

    def _restore(self, run: _Run, before: ResourceState, owed: dict[str, Any], *, again: bool = False) -> bool:
        """Put one updated resource back: an Update with the old properties (``owed``: the ones the failed
        Update sent), or the child stack back to its previous template (``owed``: that template)."""
        driver = self._driver
        driver._event(run, before.logical_id, before.type, "UPDATE_IN_PROGRESS", physical_id=before.physical_id)
        if before.type == STACK_TYPE:
            ok = driver.nested.roll_back(run, before.logical_id, owed, again=again)
            driver._event(run, before.logical_id, before.type, "UPDATE_COMPLETE" if ok else "UPDATE_FAILED",
                          physical_id=before.physical_id)
            return ok
        answer = driver._request(run, "Update", before, old_properties=owed)
        return self._note(run, before, "UPDATE", answer)

    @staticmethod
    def _remember(run: _Run, kept: list[ResourceState], dependencies: dict[str, set[str]]) -> list[ResourceState]:
        """Leftovers keep their deletion order and whether the failed operation made them, for the retry."""
        names = {r.logical_id for r in kept}
        for resource in kept:
            resource.depends_on = sorted(dependencies.get(resource.logical_id, set()) & names)
            resource.created_in_operation = resource.logical_id in run.created or \
                resource.logical_id in run.failed_creates
        return kept

    def cleanup(self, run: _Run, previous: StackState) -> None:
        removed = [r for lid, r in previous.resources.items() if lid not in run.template.resources]
        for gone in removed:
            run.stack.resources.pop(gone.logical_id, None)
        self.delete_all(run, removed + run.replaced, self._driver._dependencies(load_template(previous.template)),
                        replaced=run.replaced)

    def delete_stack(self, run: _Run) -> bool:
        """Delete every resource (and every leftover); keep in the stack whatever could not go."""
        stack = run.stack
        doomed = list(stack.resources.values()) + stack.leftovers
        kept = self.delete_all(run, doomed, {**self._driver._dependencies(run.template), **_order_of(stack.leftovers)})
        stack.resources, stack.leftovers = {}, kept
        return not kept

    def delete_all(self, run: _Run, doomed: list[ResourceState], dependencies: dict[str, set[str]],
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

    def _delete(self, run: _Run, resource: ResourceState, *, replaced: bool = False) -> bool:
        driver = self._driver
        created_here = resource.created_in_operation or resource.logical_id in run.created or \
            resource.logical_id in run.failed_creates
        if resource.retained(replaced=replaced, created_in_operation=created_here):
            driver._event(run, resource.logical_id, resource.type, "DELETE_SKIPPED", physical_id=resource.physical_id)
            return True
        driver._event(run, resource.logical_id, resource.type, "DELETE_IN_PROGRESS", physical_id=resource.physical_id)
        if resource.type == STACK_TYPE:
            ok = driver.nested.delete(run, resource)
            status = "DELETE_COMPLETE" if ok else "DELETE_FAILED"
            driver._event(run, resource.logical_id, resource.type, status, physical_id=resource.physical_id)
            return ok
        if not resource.is_custom:
            driver._event(run, resource.logical_id, resource.type, "DELETE_COMPLETE", physical_id=resource.physical_id)
            return True
        return self._note(run, resource, "DELETE", driver._request(run, "Delete", resource))

    def _note(self, run: _Run, resource: ResourceState, verb: str, answer: Answer) -> bool:
        status = f"{verb}_COMPLETE" if answer.status == "SUCCESS" else f"{verb}_FAILED"
        self._driver._event(run, resource.logical_id, resource.type, status, answer.reason, resource.physical_id)
        return answer.status == "SUCCESS"


def _order_of(leftovers: list[ResourceState]) -> dict[str, set[str]]:
    """The deletion order the leftovers were kept with."""
    return {r.logical_id: set(r.depends_on) for r in leftovers}


def _key(resource: ResourceState) -> str:
    return f"{resource.logical_id}|{resource.physical_id}"
