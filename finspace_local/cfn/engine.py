"""create-stack, update-stack and delete-stack for ``Custom::`` resources, as CloudFormation runs them.

Other resource types (the provider's Lambda function, its role, ...) are
"provisioned" instantly with a made-up physical id and ``Arn``, so CDK-synthesized
templates deploy whole. Custom resources get real events through a
:class:`~finspace_local.cfn.lambda_runtime.LambdaFunction`, which can ask the driver's
CloudFormation (DescribeStacks, ListStackResources: the stacks as they are at that moment) and
SSM Parameter Store over HTTPS (:mod:`finspace_local.cfn.services`).

A template beyond CloudFormation's quotas (:mod:`finspace_constructs.cloudformation_quotas`) is
refused as CloudFormation refuses it: create-stack and update-stack raise a
:class:`TemplateValidationError` with CloudFormation's message before any resource is touched, and a
nested stack's resource fails with that message. A top-level template is taken as ``cdk deploy``
passes it: in the request up to 51,200 bytes, from S3 beyond (up to 1,000,000 bytes); ``inline=True``
keeps it in the request (``aws cloudformation deploy`` without ``--s3-bucket``), ``inline=False``
always reads it from S3. A nested stack's template always comes from S3.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finspace_constructs.cloudformation_quotas import (
    MAX_INLINE_BODY_BYTES,
    MAX_S3_BODY_BYTES,
    body_size,
    parameter_value_problem,
    template_problem,
)

from ..tls import LocalCA
from .answers import Answer, judge
from .graph import run_in_order
from .lambda_runtime import LambdaFunction
from .nested import STACK_TYPE, NestedStacks, outputs_as_attributes
from .responses import ResponseInbox
from .services import DriverServices
from .state import ResourceState, StackState, StackStore
from .teardown import Teardown
from .template import Resolver, Template, load_template, stringify

__all__ = ["Driver", "StackEvent", "StackResult", "StackStateError", "TemplateValidationError", "ValidationError"]

DEFAULT_SERVICE_TIMEOUT_S = 3600
# Stacks that only a delete (or continue-update-rollback) may touch, and what to do about it.
STUCK_STATUSES = {
    "ROLLBACK_FAILED": "delete the stack (the delete retries what the rollback could not remove), then deploy",
    "DELETE_FAILED": "delete the stack again (it retries the resources that failed to delete)",
    "UPDATE_ROLLBACK_FAILED": "continue the update rollback (it retries what failed), then deploy again",
}


# Types whose physical id is a declared name, and the shape of their ARN.
NAMED_TYPES = {
    "AWS::IAM::Role": ("RoleName", "arn:aws:iam::{account}:role/{name}"),
    "AWS::Lambda::Function": ("FunctionName", "arn:aws:lambda:{region}:{account}:function:{name}"),
}


class ValidationError(ValueError):
    """CloudFormation's ValidationError: the API call is refused and nothing touched; the message is its own."""


class StackStateError(ValidationError):
    """An operation CloudFormation refuses in the stack's current status (its ValidationError)."""


class TemplateValidationError(ValidationError):
    """A template, or a parameter value, CloudFormation refuses before touching any resource."""


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
class _Run:
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
    deferred: dict[str, _Run] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Driver:
    """A local CloudFormation; see the module docstring.

    ``functions`` maps a ServiceToken to the function serving it; ``default_function``
    serves any other token. ``timeout_scale`` shrinks ServiceTimeout for tests. Every function
    given (here, by setting ``default_function``, or when first invoked) gets the variables that
    point botocore at the driver's CloudFormation and SSM (:meth:`DriverServices.equip`): give
    the functions before warming them, or their warm containers are retired.
    """

    def __init__(
        self,
        state_dir: Path,
        ca: LocalCA,
        *,
        default_function: LambdaFunction | None = None,
        functions: Mapping[str, LambdaFunction] | None = None,
        region: str = "us-east-1",
        account: str = "123456789012",
        timeout_scale: float = 1.0,
        on_event: Callable[[StackEvent], None] | None = None,
    ) -> None:
        self.store = StackStore(state_dir)
        self.inbox = ResponseInbox(ca.server_context())
        self.services = DriverServices(self.store, ca, region=region, account=account)
        self.live = self.services.live
        self.functions = dict(functions or {})
        self._default_function: LambdaFunction | None = None
        try:
            for function in self.functions.values():
                self.services.equip(function)
            self.default_function = default_function
        except ValueError:
            self.close()  # a function that cannot trust the endpoint: no server left running
            raise
        self.region, self.account = region, account
        self.timeout_scale = timeout_scale
        self.on_event = on_event
        self.nested = NestedStacks(self)
        self.teardown = Teardown(self)
        self.requests: list[dict[str, Any]] = []  # every event sent, for tests and reports
        self.answers: list[Answer] = []

    @property
    def default_function(self) -> LambdaFunction | None:
        return self._default_function

    @default_function.setter
    def default_function(self, function: LambdaFunction | None) -> None:
        self.services.equip(function)
        self._default_function = function

    @property
    def endpoint_url(self) -> str:
        """Where the driver's CloudFormation and SSM APIs are served (HTTPS, the driver's LocalCA)."""
        return self.services.endpoint.url

    def parameters(self) -> dict[str, str]:
        """Every SSM parameter's current value, by name (read-only: a copy)."""
        return self.services.parameters.values()

    def close(self) -> None:
        self.inbox.close()
        self.services.close()

    # --- public operations ------------------------------------------------------
    def deploy(self, name: str, template: Any, parameters: dict[str, str] | None = None,
               template_dir: Path | str | None = None, *, inline: bool | None = None) -> StackResult:
        """``cdk deploy``-like: create the stack, or update it (re-create after a failed create).

        ``template_dir`` holds nested stacks' templates (default: the template file's folder);
        ``inline``: how the template is passed (module docstring)."""
        existing = self.store.load(name)
        if existing is not None and existing.status == "ROLLBACK_COMPLETE":
            self.store.remove(name)  # what cdk deploy does: CloudFormation refuses to update it
            self.live.removed(existing, time.time())
            existing = None
        if existing is None:
            return self.create_stack(name, template, parameters, template_dir, inline=inline)
        return self.update_stack(name, template, parameters, template_dir, inline=inline)

    def create_stack(self, name: str, template: Any, parameters: dict[str, str] | None = None,
                     template_dir: Path | str | None = None, *, parent: StackState | None = None,
                     inline: bool | None = None) -> StackResult:
        """``parent``: the stack whose nested stack this is; ``inline``: how the template is passed
        (module docstring)."""
        if self.store.load(name) is not None:
            raise StackStateError(f"Stack [{name}] already exists")
        stack_id = f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{name}/{uuid.uuid4()}"
        loaded = _checked(template, inline=False if parent is not None else inline)
        stack = StackState(name, stack_id, template=loaded.body, parameters=self._parameters(loaded, parameters),
                           created_at=time.time(), parent_id=parent.stack_id if parent else "",
                           root_id=(parent.root_id or parent.stack_id) if parent else "")
        run = self._open(stack, loaded, _folder(template, template_dir))
        self._stack_event(run, "CREATE_IN_PROGRESS")
        result = run_in_order(loaded.resources, self._dependencies(loaded), lambda lid: self._create(run, lid))
        if result.failed:
            return self.teardown.rollback_create(run)
        return self._complete(run, "CREATE_COMPLETE")

    def update_stack(self, name: str, template: Any, parameters: dict[str, str] | None = None,
                     template_dir: Path | str | None = None, *, inline: bool | None = None,
                     check: bool = True) -> StackResult:
        """``check=False``: a template this stack already ran (a nested stack put back by its parent's
        rollback), not validated again."""
        result, pending = self.update_until_cleanup(name, template, parameters, template_dir, inline=inline,
                                                    check=check)
        return self._finish_update(pending) if pending is not None else result

    def update_until_cleanup(self, name: str, template: Any, parameters: dict[str, str] | None = None,
                             template_dir: Path | str | None = None, *, inline: bool | None = None,
                             check: bool = True) -> tuple[StackResult, _Run | None]:
        """Update-stack up to its cleanup phase: the rolled-back result, or a result in
        UPDATE_COMPLETE_CLEANUP_IN_PROGRESS and the run whose cleanup is still to come."""
        stack = self._usable(name, "updated")
        loaded = _checked(template, inline=inline) if check else load_template(template)
        given = self._parameters(loaded, parameters, stack.parameters, check=check)
        previous = copy.deepcopy(stack)
        stack.template, stack.parameters = loaded.body, given
        stack.updated_at = time.time()
        run = self._open(stack, loaded, _folder(template, template_dir), previous)
        self._stack_event(run, "UPDATE_IN_PROGRESS")
        result = run_in_order(loaded.resources, self._dependencies(loaded), lambda lid: self._apply(run, lid))
        if result.failed:
            return self.teardown.rollback_update(run, previous), None
        with contextlib.suppress(KeyError):  # a parent reads them now; an unresolved one is reported at the end
            self._outputs(run)
        self._stack_event(run, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
        return StackResult(stack.status, run.events, stack), run

    def _finish_update(self, run: _Run) -> StackResult:
        """The cleanup phase: the nested stacks' first (each its own nested stacks' first), then its own."""
        with run.lock:
            children, run.deferred = list(run.deferred.values()), {}
        for child in children:
            self._finish_update(child)
        assert run.previous is not None
        self.teardown.cleanup(run, run.previous)
        return self._complete(run, "UPDATE_COMPLETE")

    def continue_update_rollback(self, name: str, template_dir: Path | str | None = None) -> StackResult:
        """CloudFormation's ContinueUpdateRollback for a stack in UPDATE_ROLLBACK_FAILED."""
        stack = self.store.load(name)
        if stack is None or stack.status != "UPDATE_ROLLBACK_FAILED":
            status = stack.status if stack else "absent"
            raise StackStateError(f"Stack [{name}] is {status}: only UPDATE_ROLLBACK_FAILED can continue its rollback")
        stack.updated_at = time.time()
        run = self._open(stack, load_template(stack.template), _folder(None, template_dir))
        return self.teardown.continue_update_rollback(run)

    def delete_stack(self, name: str) -> StackResult:
        stack = self.store.load(name)
        if stack is None:
            raise StackStateError(f"Stack [{name}] does not exist")
        run = self._open(stack, load_template(stack.template))
        self._stack_event(run, "DELETE_IN_PROGRESS")
        if not self.teardown.delete_stack(run):
            return self._finish(run, "DELETE_FAILED")
        self.store.remove(name)
        result = StackResult("DELETE_COMPLETE", run.events, stack)
        self._stack_event(run, "DELETE_COMPLETE")
        self.live.end(stack)
        return result

    def _open(self, stack: StackState, template: Template, template_dir: str | None = None,
              previous: StackState | None = None) -> _Run:
        """An operation on ``stack`` starts: what the read API shows of it is now live."""
        self.live.begin(stack)
        return _Run(stack, template, template_dir=template_dir, previous=previous)

    def _usable(self, name: str, doing: str) -> StackState:
        stack = self.store.load(name)
        if stack is None:
            raise StackStateError(f"Stack [{name}] does not exist")
        if stack.status in STUCK_STATUSES:
            raise StackStateError(f"Stack [{name}] is in {stack.status} state and can not be {doing}: "
                                  f"{STUCK_STATUSES[stack.status]}")
        return stack

    def stack(self, name: str) -> StackState | None:
        return self.store.load(name)

    # --- create / update of one resource -----------------------------------------
    def _create(self, run: _Run, logical_id: str) -> bool:
        declared = run.template.resources[logical_id]
        resource_type = declared["Type"]
        self._event(run, logical_id, resource_type, "CREATE_IN_PROGRESS")
        try:
            properties = self._properties(run, declared)
        except KeyError as error:
            return self._failed(run, logical_id, resource_type, "CREATE_FAILED", str(error))
        deletion, replace = _policies(declared)
        state = ResourceState(logical_id, resource_type, "", properties, deletion_policy=deletion,
                              update_replace_policy=replace)
        if state.type == STACK_TYPE:
            return self._create_nested(run, state, declared)
        if not state.is_custom:
            return self._provision_plain(run, state)
        answer = self._request(run, "Create", state)
        if answer.status != "SUCCESS":
            if answer.physical_id:
                state.physical_id = answer.physical_id
                with run.lock:
                    run.failed_creates[logical_id] = state
            return self._failed(run, logical_id, resource_type, "CREATE_FAILED", answer.reason, answer.physical_id)
        state.physical_id, state.data = answer.physical_id or "", answer.data
        return self._created(run, state)

    def _create_nested(self, run: _Run, state: ResourceState, declared: dict[str, Any]) -> bool:
        try:
            result = self.nested.create(run, state, declared)
        except TemplateValidationError as error:  # no child stack: CreateStack refused its template
            return self._failed(run, state.logical_id, state.type, "CREATE_FAILED", str(error))
        except KeyError as error:
            return self._failed(run, state.logical_id, state.type, "CREATE_FAILED", str(error))
        if not result.ok:  # the child rolled back (or could not): the parent's rollback deletes it
            state.physical_id = result.stack.stack_id
            with run.lock:
                run.failed_creates[state.logical_id] = state
            return self._failed(run, state.logical_id, state.type, "CREATE_FAILED",
                                f"Embedded stack {result.stack.stack_id} was not successfully created",
                                state.physical_id)
        state.physical_id, state.data = result.stack.stack_id, outputs_as_attributes(result)
        return self._created(run, state)

    def _created(self, run: _Run, state: ResourceState) -> bool:
        with run.lock:
            run.stack.resources[state.logical_id] = state
            run.created.append(state.logical_id)
        self._event(run, state.logical_id, state.type, "CREATE_COMPLETE", physical_id=state.physical_id)
        return True

    def _provision_plain(self, run: _Run, state: ResourceState) -> bool:
        """A made-up resource: its declared name (or a generated one) and an ARN of the service's shape."""
        digest = hashlib.sha256(f"{run.stack.stack_id}/{state.logical_id}".encode()).hexdigest()[:12]
        name_property, arn_format = NAMED_TYPES.get(state.type, ("", "arn:aws:{service}:{region}:{account}:{name}"))
        state.physical_id = str(state.properties.get(name_property) or f"{run.stack.name}-{state.logical_id}-{digest}")
        service = state.type.split("::")[1].lower() if "::" in state.type else "custom"
        state.data = {"Arn": arn_format.format(service=service, region=self.region, account=self.account,
                                               name=state.physical_id)}
        return self._created(run, state)

    def _apply(self, run: _Run, logical_id: str) -> bool:
        """Update-stack's step for one resource of the new template."""
        current = run.stack.resources.get(logical_id)
        declared = run.template.resources[logical_id]
        if current is None or current.type != declared["Type"]:
            return self._create(run, logical_id)
        try:
            properties = self._properties(run, declared)
        except KeyError as error:
            return self._failed(run, logical_id, current.type, "UPDATE_FAILED", str(error))
        current.deletion_policy, current.update_replace_policy = _policies(declared)
        if properties == current.properties:
            return True  # a nested stack too: its TemplateURL changes with its template
        if current.type == STACK_TYPE:
            return self._update_nested(run, current, properties, declared)
        if not current.is_custom:
            current.properties = properties
            return True
        return self._update_custom(run, current, properties)

    def _update_nested(self, run: _Run, current: ResourceState, properties: dict[str, Any],
                       declared: dict[str, Any]) -> bool:
        with run.lock:
            run.updated[current.logical_id] = copy.deepcopy(current)
        self._event(run, current.logical_id, current.type, "UPDATE_IN_PROGRESS", physical_id=current.physical_id)
        try:
            result = self.nested.update(run, current, properties, declared)
        except TemplateValidationError as error:  # the child is untouched: UpdateStack refused its template
            return self._failed(run, current.logical_id, current.type, "UPDATE_FAILED", str(error),
                                current.physical_id)
        if result.status != "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS":
            return self._failed(run, current.logical_id, current.type, "UPDATE_FAILED",
                                f"Embedded stack {result.stack.stack_id} was not successfully updated",
                                current.physical_id)
        current.properties, current.data = properties, outputs_as_attributes(result)
        self._event(run, current.logical_id, current.type, "UPDATE_COMPLETE", physical_id=current.physical_id)
        return True

    def _update_custom(self, run: _Run, current: ResourceState, properties: dict[str, Any]) -> bool:
        self._event(run, current.logical_id, current.type, "UPDATE_IN_PROGRESS")
        if properties.get("ServiceToken") != current.properties.get("ServiceToken"):
            return self._failed(run, current.logical_id, current.type, "UPDATE_FAILED",
                                "Modifying service token is not allowed.")
        with run.lock:
            run.updated[current.logical_id] = copy.deepcopy(current)
            run.attempted[current.logical_id] = properties
        desired = dataclasses.replace(current, properties=properties)
        answer = self._request(run, "Update", desired, old_properties=current.properties)
        if answer.status != "SUCCESS":
            return self._failed(run, current.logical_id, current.type, "UPDATE_FAILED", answer.reason)
        if answer.physical_id != current.physical_id:
            with run.lock:
                run.replaced.append(copy.deepcopy(current))
        current.physical_id, current.properties, current.data = answer.physical_id or "", properties, answer.data
        self._event(run, current.logical_id, current.type, "UPDATE_COMPLETE", physical_id=current.physical_id)
        return True

    # --- events to the handler ----------------------------------------------------
    def _request(self, run: _Run, request_type: str, resource: ResourceState,
                 old_properties: dict[str, Any] | None = None) -> Answer:
        token = str(resource.properties.get("ServiceToken", ""))
        function = self.functions.get(token, self.default_function)
        self.services.equip(function)
        event: dict[str, Any] = {
            "RequestType": request_type, "ServiceToken": token, "ResponseURL": self.inbox.new_url(),
            "StackId": run.stack.stack_id, "RequestId": str(uuid.uuid4()), "LogicalResourceId": resource.logical_id,
            "ResourceType": resource.type, "ResourceProperties": resource.properties,
        }
        if "ServiceTimeout" in resource.properties:
            event["ServiceTimeout"] = resource.properties["ServiceTimeout"]
        if request_type != "Create":
            event["PhysicalResourceId"] = resource.physical_id
        if old_properties is not None:
            event["OldResourceProperties"] = old_properties
        with run.lock:
            self.requests.append(event)
        if function is None:
            return Answer("FAILED", f"No function serves the ServiceToken {token}")
        function.invoke_async(event)
        timeout = float(resource.properties.get("ServiceTimeout", DEFAULT_SERVICE_TIMEOUT_S)) * self.timeout_scale
        answer = judge(self.inbox.wait(event["ResponseURL"], timeout), event)
        with run.lock:
            self.answers.append(answer)
        return answer

    # --- helpers --------------------------------------------------------------------
    def _properties(self, run: _Run, declared: dict[str, Any]) -> dict[str, Any]:
        resolver = Resolver(
            parameters=run.stack.parameters,
            pseudo={"AWS::Region": self.region, "AWS::AccountId": self.account, "AWS::StackName": run.stack.name,
                    "AWS::StackId": run.stack.stack_id, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"},
            physical_ids={k: v.physical_id for k, v in run.stack.resources.items()},
            attributes={k: v.data for k, v in run.stack.resources.items()},
            exports=lambda: self.store.exports(excluding=run.stack.name),
            list_parameters=run.template.list_parameters,
        )
        resolved: dict[str, Any] = stringify(resolver.resolve(declared.get("Properties", {})))
        return resolved

    @staticmethod
    def _parameters(template: Template, given: dict[str, str] | None,
                    previous: dict[str, str] | None = None, *, check: bool = True) -> dict[str, str]:
        values: dict[str, str] = {}
        for name, declared in template.parameters.items():
            value = (given or {}).get(name, (previous or {}).get(name, declared.get("Default")))
            if value is None:
                raise TemplateValidationError(f"Parameters: [{name}] must have values")
            values[name] = str(value)
            problem = parameter_value_problem(name, values[name]) if check else None
            if problem:
                raise TemplateValidationError(problem)
        return values

    @staticmethod
    def _dependencies(template: Template) -> dict[str, set[str]]:
        return {logical_id: template.dependencies(logical_id) for logical_id in template.resources}

    def _failed(self, run: _Run, logical_id: str, resource_type: str, status: str, reason: str,
                physical_id: str | None = None) -> bool:
        self._event(run, logical_id, resource_type, status, reason, physical_id or "")
        return False

    def _complete(self, run: _Run, status: str) -> StackResult:
        stack = run.stack
        try:
            self._outputs(run)
        except KeyError as error:
            self._event(run, stack.name, STACK_TYPE, status, f"Output not resolved: {error}")
        return self._finish(run, status)

    def _outputs(self, run: _Run) -> None:
        stack = run.stack
        stack.outputs, stack.exports = {}, {}
        for name, output in stack.template.get("Outputs", {}).items():
            value = str(self._properties(run, {"Properties": {"v": output["Value"]}})["v"])
            stack.outputs[name] = value
            if "Export" in output:
                export_name = self._properties(run, {"Properties": {"v": output["Export"]["Name"]}})["v"]
                stack.exports[str(export_name)] = value

    def _finish(self, run: _Run, status: str) -> StackResult:
        self._stack_event(run, status)
        self.live.settle(run.stack)
        self.store.save(run.stack)
        self.live.end(run.stack)
        return StackResult(status, run.events, run.stack)

    def _stack_event(self, run: _Run, status: str) -> None:
        """The stack's status, as the read API shows it from now on."""
        event = StackEvent(time.time(), run.stack.name, run.stack.name, STACK_TYPE, status, "", run.stack.stack_id)
        run.stack.status = status
        self.live.status(run.stack, status, event.at)
        self._record(run, event)

    def _event(self, run: _Run, logical_id: str, resource_type: str, status: str, reason: str = "",
               physical_id: str = "") -> None:
        """A resource's status, as the read API shows it from now on."""
        event = StackEvent(time.time(), run.stack.name, logical_id, resource_type, status, reason, physical_id)
        self.live.note(run.stack, event)
        self._record(run, event)

    def _record(self, run: _Run, event: StackEvent) -> None:
        with run.lock:
            run.events.append(event)
        if self.on_event is not None:
            self.on_event(event)


def _checked(template: Any, *, inline: bool | None) -> Template:
    """The template, loaded, if CloudFormation accepts it passed so (module docstring); else its refusal."""
    loaded = load_template(template)
    size = _size(template, loaded)
    limit = MAX_INLINE_BODY_BYTES if inline or (inline is None and size <= MAX_INLINE_BODY_BYTES) \
        else MAX_S3_BODY_BYTES
    problem = template_problem(loaded.body, size, max_bytes=limit)
    if problem:
        raise TemplateValidationError(problem)
    return loaded


def _size(template: Any, loaded: Template) -> int:
    """The template's bytes: a file's as written (as cdk deploy uploads it), text's, a dict's compact JSON."""
    if isinstance(template, Path):
        return template.stat().st_size
    if isinstance(template, str):
        return Path(template).stat().st_size if "\n" not in template else len(template.encode())
    return body_size(loaded.body)


def _policies(declared: dict[str, Any]) -> tuple[str, str]:
    """(DeletionPolicy, UpdateReplacePolicy) of a declared resource."""
    return declared.get("DeletionPolicy", "Delete"), declared.get("UpdateReplacePolicy", "Delete")


def _folder(template: Any, template_dir: Path | str | None) -> str | None:
    """Where nested templates are: as given, else the folder of a template file."""
    if template_dir is not None:
        return str(template_dir)
    if isinstance(template, Path):
        return str(template.parent)
    return None
