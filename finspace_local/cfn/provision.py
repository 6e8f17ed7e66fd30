"""Create-stack's and update-stack's step for one resource, as CloudFormation takes it.

A ``Custom::`` resource gets its handler's answer to a Create or an Update (a new physical id
replaces it: the old one is deleted in the cleanup phase); a nested stack runs as a stack of its
own; any other type is "provisioned" instantly with a made-up physical id and ``Arn``, so
CDK-synthesized templates deploy whole.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from typing import Any

from .errors import TemplateValidationError
from .journal import Journal
from .nested import NestedStacks, outputs_as_attributes
from .run import STACK_TYPE, Run, Send
from .state import ResourceState, StackStore
from .template import Resolver, stringify

__all__ = ["NAMED_TYPES", "Provisioner"]

# Types whose physical id is a declared name, and the shape of their ARN.
NAMED_TYPES = {
    "AWS::IAM::Role": ("RoleName", "arn:aws:iam::{account}:role/{name}"),
    "AWS::Lambda::Function": ("FunctionName", "arn:aws:lambda:{region}:{account}:function:{name}"),
}


class Provisioner:
    """Creates and updates resources in ``region`` of ``account``: it records through ``journal``, runs
    child stacks through ``nested``, sends handlers their events with ``send`` and reads other stacks'
    exports from ``store``."""

    def __init__(self, store: StackStore, journal: Journal, nested: NestedStacks, send: Send, *,
                 region: str, account: str) -> None:
        self._store, self._journal, self._nested, self._send = store, journal, nested, send
        self._region, self._account = region, account

    def create(self, run: Run, logical_id: str) -> bool:
        """Create-stack's step (and update-stack's, for a resource new or of another type)."""
        declared = run.template.resources[logical_id]
        resource_type = declared["Type"]
        self._journal.event(run, logical_id, resource_type, "CREATE_IN_PROGRESS")
        try:
            properties = self.properties(run, declared)
        except KeyError as error:
            return self._journal.failed(run, logical_id, resource_type, "CREATE_FAILED", str(error))
        deletion, replace = _policies(declared)
        state = ResourceState(logical_id, resource_type, "", properties, deletion_policy=deletion,
                              update_replace_policy=replace)
        if state.type == STACK_TYPE:
            return self._create_nested(run, state, declared)
        if not state.is_custom:
            return self._provision_plain(run, state)
        answer = self._send(run, "Create", state)
        if answer.status != "SUCCESS":
            if answer.physical_id:
                state.physical_id = answer.physical_id
                with run.lock:
                    run.failed_creates[logical_id] = state
            return self._journal.failed(run, logical_id, resource_type, "CREATE_FAILED", answer.reason,
                                        answer.physical_id)
        state.physical_id, state.data = answer.physical_id or "", answer.data
        return self._created(run, state)

    def _create_nested(self, run: Run, state: ResourceState, declared: dict[str, Any]) -> bool:
        try:
            result = self._nested.create(run, state, declared)
        except TemplateValidationError as error:  # no child stack: CreateStack refused its template
            return self._journal.failed(run, state.logical_id, state.type, "CREATE_FAILED", str(error))
        except KeyError as error:
            return self._journal.failed(run, state.logical_id, state.type, "CREATE_FAILED", str(error))
        if not result.ok:  # the child rolled back (or could not): the parent's rollback deletes it
            state.physical_id = result.stack.stack_id
            with run.lock:
                run.failed_creates[state.logical_id] = state
            return self._journal.failed(run, state.logical_id, state.type, "CREATE_FAILED",
                                        f"Embedded stack {result.stack.stack_id} was not successfully created",
                                        state.physical_id)
        state.physical_id, state.data = result.stack.stack_id, outputs_as_attributes(result)
        return self._created(run, state)

    def _created(self, run: Run, state: ResourceState) -> bool:
        with run.lock:
            run.stack.resources[state.logical_id] = state
            run.created.append(state.logical_id)
        self._journal.event(run, state.logical_id, state.type, "CREATE_COMPLETE", physical_id=state.physical_id)
        return True

    def _provision_plain(self, run: Run, state: ResourceState) -> bool:
        """A made-up resource: its declared name (or a generated one) and an ARN of the service's shape."""
        digest = hashlib.sha256(f"{run.stack.stack_id}/{state.logical_id}".encode()).hexdigest()[:12]
        name_property, arn_format = NAMED_TYPES.get(state.type, ("", "arn:aws:{service}:{region}:{account}:{name}"))
        state.physical_id = str(state.properties.get(name_property) or f"{run.stack.name}-{state.logical_id}-{digest}")
        service = state.type.split("::")[1].lower() if "::" in state.type else "custom"
        state.data = {"Arn": arn_format.format(service=service, region=self._region, account=self._account,
                                               name=state.physical_id)}
        return self._created(run, state)

    def apply(self, run: Run, logical_id: str) -> bool:
        """Update-stack's step for one resource of the new template."""
        current = run.stack.resources.get(logical_id)
        declared = run.template.resources[logical_id]
        if current is None or current.type != declared["Type"]:
            return self.create(run, logical_id)
        try:
            properties = self.properties(run, declared)
        except KeyError as error:
            return self._journal.failed(run, logical_id, current.type, "UPDATE_FAILED", str(error))
        current.deletion_policy, current.update_replace_policy = _policies(declared)
        if properties == current.properties:
            return True  # a nested stack too: its TemplateURL changes with its template
        if current.type == STACK_TYPE:
            return self._update_nested(run, current, properties, declared)
        if not current.is_custom:
            current.properties = properties
            return True
        return self._update_custom(run, current, properties)

    def _update_nested(self, run: Run, current: ResourceState, properties: dict[str, Any],
                       declared: dict[str, Any]) -> bool:
        with run.lock:
            run.updated[current.logical_id] = copy.deepcopy(current)
        self._journal.event(run, current.logical_id, current.type, "UPDATE_IN_PROGRESS",
                            physical_id=current.physical_id)
        try:
            result = self._nested.update(run, current, properties, declared)
        except TemplateValidationError as error:  # the child is untouched: UpdateStack refused its template
            return self._journal.failed(run, current.logical_id, current.type, "UPDATE_FAILED", str(error),
                                        current.physical_id)
        if result.status != "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS":
            return self._journal.failed(run, current.logical_id, current.type, "UPDATE_FAILED",
                                        f"Embedded stack {result.stack.stack_id} was not successfully updated",
                                        current.physical_id)
        current.properties, current.data = properties, outputs_as_attributes(result)
        self._journal.event(run, current.logical_id, current.type, "UPDATE_COMPLETE",
                            physical_id=current.physical_id)
        return True

    def _update_custom(self, run: Run, current: ResourceState, properties: dict[str, Any]) -> bool:
        self._journal.event(run, current.logical_id, current.type, "UPDATE_IN_PROGRESS")
        if properties.get("ServiceToken") != current.properties.get("ServiceToken"):
            return self._journal.failed(run, current.logical_id, current.type, "UPDATE_FAILED",
                                        "Modifying service token is not allowed.")
        with run.lock:
            run.updated[current.logical_id] = copy.deepcopy(current)
            run.attempted[current.logical_id] = properties
        desired = dataclasses.replace(current, properties=properties)
        answer = self._send(run, "Update", desired, old_properties=current.properties)
        if answer.status != "SUCCESS":
            return self._journal.failed(run, current.logical_id, current.type, "UPDATE_FAILED", answer.reason)
        if answer.physical_id != current.physical_id:
            with run.lock:
                run.replaced.append(copy.deepcopy(current))
        current.physical_id, current.properties, current.data = answer.physical_id or "", properties, answer.data
        self._journal.event(run, current.logical_id, current.type, "UPDATE_COMPLETE",
                            physical_id=current.physical_id)
        return True

    def properties(self, run: Run, declared: dict[str, Any]) -> dict[str, Any]:
        """A declared resource's properties, resolved in the stack as it is now (KeyError: one is not)."""
        resolver = Resolver(
            parameters=run.stack.parameters,
            pseudo={"AWS::Region": self._region, "AWS::AccountId": self._account, "AWS::StackName": run.stack.name,
                    "AWS::StackId": run.stack.stack_id, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"},
            physical_ids={k: v.physical_id for k, v in run.stack.resources.items()},
            attributes={k: v.data for k, v in run.stack.resources.items()},
            exports=lambda: self._store.exports(excluding=run.stack.name),
            list_parameters=run.template.list_parameters,
        )
        resolved: dict[str, Any] = stringify(resolver.resolve(declared.get("Properties", {})))
        return resolved

    def outputs(self, run: Run) -> None:
        """The stack's outputs and exports, resolved now (KeyError: one is not)."""
        stack = run.stack
        stack.outputs, stack.exports = {}, {}
        for name, output in stack.template.get("Outputs", {}).items():
            value = str(self.properties(run, {"Properties": {"v": output["Value"]}})["v"])
            stack.outputs[name] = value
            if "Export" in output:
                export_name = self.properties(run, {"Properties": {"v": output["Export"]["Name"]}})["v"]
                stack.exports[str(export_name)] = value


def _policies(declared: dict[str, Any]) -> tuple[str, str]:
    """(DeletionPolicy, UpdateReplacePolicy) of a declared resource."""
    return declared.get("DeletionPolicy", "Delete"), declared.get("UpdateReplacePolicy", "Delete")
