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
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..tls import LocalCA
from .answers import Answer, judge
from .checks import checked_template, parameter_values
from .errors import StackStateError, TemplateValidationError, ValidationError
from .graph import run_in_order
from .journal import Journal
from .lambda_runtime import LambdaFunction
from .nested import STACK_TYPE, NestedStacks
from .provision import Provisioner
from .responses import ResponseInbox
from .run import Run, StackEvent, StackResult, dependencies
from .services import DriverServices
from .state import ResourceState, StackState, StackStore
from .teardown import Teardown
from .template import Template, load_template

__all__ = ["Driver", "StackEvent", "StackResult", "StackStateError", "TemplateValidationError", "ValidationError"]

DEFAULT_SERVICE_TIMEOUT_S = 3600
# Stacks that only a delete (or continue-update-rollback) may touch, and what to do about it.
STUCK_STATUSES = {
    "ROLLBACK_FAILED": "delete the stack (the delete retries what the rollback could not remove), then deploy",
    "DELETE_FAILED": "delete the stack again (it retries the resources that failed to delete)",
    "UPDATE_ROLLBACK_FAILED": "continue the update rollback (it retries what failed), then deploy again",
}


class Driver:
    """A local CloudFormation; see the module docstring.

    ``functions`` maps a ServiceToken to the function serving it; ``default_function``
    serves any other token. ``timeout_scale`` shrinks ServiceTimeout for tests. Every function
    given (here, by setting ``default_function``, or when first invoked) gets the variables that
    point botocore at the driver's CloudFormation and SSM (:meth:`DriverServices.equip`): give
    the functions before warming them, or their warm containers are retired.

    Its phases run over :class:`~finspace_local.cfn.run.Run`: :attr:`provision` creates and updates
    resources, :attr:`teardown` rolls back, cleans up and deletes, :attr:`nested` runs child stacks
    through this driver's public operations; all record through :attr:`journal`.
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
        self.journal = Journal(self.store, self.live, on_event)
        self.nested = NestedStacks(self)
        self.teardown = Teardown(self.journal, self.nested, self._request)
        self.provision = Provisioner(self.store, self.journal, self.nested, self._request, region=region,
                                     account=account)
        self.requests: list[dict[str, Any]] = []  # every event sent, for tests and reports
        self.answers: list[Answer] = []

    @property
    def on_event(self) -> Callable[[StackEvent], None] | None:
        """Called with every event, as it is recorded."""
        return self.journal.on_event

    @on_event.setter
    def on_event(self, on_event: Callable[[StackEvent], None] | None) -> None:
        self.journal.on_event = on_event

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
        existing = self.discard_rolled_back(name)  # what cdk deploy does: CloudFormation refuses to update it
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
        loaded = checked_template(template, inline=False if parent is not None else inline)
        stack = StackState(name, stack_id, template=loaded.body, parameters=parameter_values(loaded, parameters),
                           created_at=time.time(), parent_id=parent.stack_id if parent else "",
                           root_id=(parent.root_id or parent.stack_id) if parent else "")
        run = self._open(stack, loaded, _folder(template, template_dir))
        self.journal.stack_event(run, "CREATE_IN_PROGRESS")
        result = run_in_order(loaded.resources, dependencies(loaded), lambda lid: self.provision.create(run, lid))
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
                             check: bool = True) -> tuple[StackResult, Run | None]:
        """Update-stack up to its cleanup phase: the rolled-back result, or a result in
        UPDATE_COMPLETE_CLEANUP_IN_PROGRESS and the run whose cleanup is still to come."""
        stack = self._usable(name, "updated")
        loaded = checked_template(template, inline=inline) if check else load_template(template)
        given = parameter_values(loaded, parameters, stack.parameters, check=check)
        previous = copy.deepcopy(stack)
        stack.template, stack.parameters = loaded.body, given
        stack.updated_at = time.time()
        run = self._open(stack, loaded, _folder(template, template_dir), previous)
        self.journal.stack_event(run, "UPDATE_IN_PROGRESS")
        result = run_in_order(loaded.resources, dependencies(loaded), lambda lid: self.provision.apply(run, lid))
        if result.failed:
            return self.teardown.rollback_update(run, previous), None
        with contextlib.suppress(KeyError):  # a parent reads them now; an unresolved one is reported at the end
            self.provision.outputs(run)
        self.journal.stack_event(run, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
        return StackResult(stack.status, run.events, stack), run

    def _finish_update(self, run: Run) -> StackResult:
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
        self.journal.stack_event(run, "DELETE_IN_PROGRESS")
        if not self.teardown.delete_stack(run):
            return self.journal.finish(run, "DELETE_FAILED")
        self.store.remove(name)
        result = StackResult("DELETE_COMPLETE", run.events, stack)
        self.journal.stack_event(run, "DELETE_COMPLETE")
        self.live.end(stack)
        return result

    def _open(self, stack: StackState, template: Template, template_dir: str | None = None,
              previous: StackState | None = None) -> Run:
        """An operation on ``stack`` starts: what the read API shows of it is now live."""
        self.live.begin(stack)
        return Run(stack, template, template_dir=template_dir, previous=previous)

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

    def discard_rolled_back(self, name: str) -> StackState | None:
        """The stack named so, unless a failed create left it ROLLBACK_COMPLETE: then it is removed (the
        read API still describes it by its id) and None is returned, as for a stack that does not exist."""
        existing = self.store.load(name)
        if existing is not None and existing.status == "ROLLBACK_COMPLETE":
            self.store.remove(name)
            self.live.removed(existing, time.time())
            return None
        return existing

    # --- events to the handler ----------------------------------------------------
    def _request(self, run: Run, request_type: str, resource: ResourceState,
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

    # --- the end of an operation ------------------------------------------------------
    def _complete(self, run: Run, status: str) -> StackResult:
        try:
            self.provision.outputs(run)
        except KeyError as error:
            self.journal.event(run, run.stack.name, STACK_TYPE, status, f"Output not resolved: {error}")
        return self.journal.finish(run, status)


def _folder(template: Any, template_dir: Path | str | None) -> str | None:
    """Where nested templates are: as given, else the folder of a template file."""
    if template_dir is not None:
        return str(template_dir)
    if isinstance(template, Path):
        return str(template.parent)
    return None
