"""Nested stacks (``AWS::CloudFormation::Stack``) with the child templates CDK writes to ``cdk.out``.

A child runs as a stack of its own (named ``<parent>-<logical id>``) through the same
driver; its outputs become the parent's ``Fn::GetAtt [Child, Outputs.Name]``. The
child template is found through the resource's ``aws:asset:path`` metadata, relative
to the folder of the parent template. As in CloudFormation, an updated child's cleanup waits for
its parent's (it stays UPDATE_COMPLETE_CLEANUP_IN_PROGRESS meanwhile), and when the parent's
update fails the child rolls back its own update (UPDATE_ROLLBACK_IN_PROGRESS, then its own
UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS).

A child's template comes from S3 (TemplateURL): the driver checks it against CloudFormation's quotas
as such, its file's bytes as written; a child refused fails its resource with CloudFormation's
message and is never created or touched.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Protocol

from .run import STACK_TYPE, Run, StackResult
from .state import ResourceState, StackState

__all__ = ["STACK_TYPE", "NestedStacks", "StackOperations", "outputs_as_attributes"]


class StackOperations(Protocol):
    """The stack operations a nested stack's resource runs on its child (the driver's public ones)."""

    def stack(self, name: str) -> StackState | None: ...

    def discard_rolled_back(self, name: str) -> StackState | None: ...

    def create_stack(self, name: str, template: Any, parameters: dict[str, str] | None = None,
                     template_dir: Path | str | None = None, *, parent: StackState | None = None,
                     inline: bool | None = None) -> StackResult: ...

    def update_stack(self, name: str, template: Any, parameters: dict[str, str] | None = None,
                     template_dir: Path | str | None = None, *, inline: bool | None = None,
                     check: bool = True) -> StackResult: ...

    def update_until_cleanup(self, name: str, template: Any, parameters: dict[str, str] | None = None,
                             template_dir: Path | str | None = None, *, inline: bool | None = None,
                             check: bool = True) -> tuple[StackResult, Run | None]: ...

    def continue_update_rollback(self, name: str, template_dir: Path | str | None = None) -> StackResult: ...

    def delete_stack(self, name: str) -> StackResult: ...


class NestedStacks:
    """Create, update, roll back and delete child stacks through a driver's :class:`StackOperations`."""

    def __init__(self, stacks: StackOperations) -> None:
        self._stacks = stacks

    @staticmethod
    def child_name(run: Run, logical_id: str) -> str:
        return f"{run.stack.name}-{logical_id}"

    def _template(self, run: Run, declared: dict[str, Any]) -> Path:
        asset = declared.get("Metadata", {}).get("aws:asset:path")
        if run.template_dir is None or asset is None:
            raise KeyError("a nested stack needs its template file (aws:asset:path) next to the parent template")
        return Path(run.template_dir) / str(asset)

    def create(self, run: Run, state: ResourceState, declared: dict[str, Any]) -> StackResult:
        name = self.child_name(run, state.logical_id)
        self._stacks.discard_rolled_back(name)  # a failed child its parent retained
        return self._stacks.create_stack(name, self._template(run, declared), _parameters(state),
                                         template_dir=run.template_dir, parent=run.stack)

    def update(self, run: Run, current: ResourceState, properties: dict[str, Any],
               declared: dict[str, Any]) -> StackResult:
        name = self.child_name(run, current.logical_id)
        child = self._stacks.stack(name)
        if child is not None:
            with run.lock:
                run.nested_previous[current.logical_id] = (copy.deepcopy(child.template), dict(child.parameters))
        result, pending = self._stacks.update_until_cleanup(name, self._template(run, declared),
                                                            _parameters_of(properties), template_dir=run.template_dir,
                                                            inline=False)
        if pending is not None:
            with run.lock:
                run.deferred[current.logical_id] = pending
        return result

    def previous(self, run: Run, logical_id: str) -> dict[str, Any]:
        """What :meth:`roll_back` needs to put a child back later, kept with the parent's state."""
        if logical_id not in run.nested_previous:
            return {}
        template, parameters = run.nested_previous[logical_id]
        return {"Template": template, "Parameters": parameters}

    def take_deferred(self, run: Run, logical_id: str) -> Run | None:
        """The child's update that succeeded in ``run`` and awaits its cleanup (it rolls back itself)."""
        with run.lock:
            return run.deferred.pop(logical_id, None)

    def roll_back(self, run: Run, logical_id: str, previous: dict[str, Any], *, again: bool = False) -> bool:
        """Return a child whose update is not deferred (:meth:`take_deferred`) to ``previous`` (see
        :meth:`previous`): a child left UPDATE_ROLLBACK_FAILED continues its own rollback first (``again``:
        when the parent continues its rollback), then a child not on its previous template and parameters
        is updated back to them."""
        name = self.child_name(run, logical_id)
        child = self._stacks.stack(name)
        if child is None:
            return True
        if child.status == "UPDATE_ROLLBACK_FAILED":
            result = self._stacks.continue_update_rollback(name, run.template_dir) if again else None
            if result is None or result.status != "UPDATE_ROLLBACK_COMPLETE":
                return False
            child = result.stack
        if not previous or (child.template, child.parameters) == (previous["Template"], previous["Parameters"]):
            return True  # never updated, or a failed child update already rolled itself back
        return self._stacks.update_stack(name, previous["Template"], previous["Parameters"],
                                         template_dir=run.template_dir, check=False).ok

    def delete(self, run: Run, resource: ResourceState) -> bool:
        name = self.child_name(run, resource.logical_id)
        if self._stacks.stack(name) is None:
            return True
        return self._stacks.delete_stack(name).status == "DELETE_COMPLETE"


def _parameters(state: ResourceState) -> dict[str, str]:
    return _parameters_of(state.properties)


def _parameters_of(properties: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in properties.get("Parameters", {}).items()}


def outputs_as_attributes(result: StackResult) -> dict[str, Any]:
    return {f"Outputs.{name}": value for name, value in result.stack.outputs.items()}
