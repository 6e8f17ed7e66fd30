"""What the next deploy of the users stack will do, resource by resource, without deploying.

The synthesized templates are resolved as the local CloudFormation driver resolves them, against
the deployed stacks (ids, attributes, nested stacks' parameters, exports): a ``PermissionGroupIds``
``Fn::GetAtt`` becomes the deployed group's id, so an unchanged declaration is no Update at all.
A resource whose resolved properties differ gets the request CloudFormation would send, and
:mod:`finspace_users.simulate` answers it as the handler would, against what FinSpace holds now.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

from .local import DEMO_ACCOUNT, DEMO_REGION, STACK_TYPE, Resolver, ResourceState, StackStore, load_template, stringify
from .reader import EnvironmentSnapshot
from .simulate import GROUP_TYPE, REENABLES, USER_TYPE, Guards, PlannedChange, Request, simulate

__all__ = ["Plan", "forecast"]

Read = Callable[[str], EnvironmentSnapshot]


@dataclass(frozen=True)
class Plan:
    changes: tuple[PlannedChange, ...]

    def calls(self) -> dict[str, int]:
        """The FinSpace operations the deploy will call successfully, by name."""
        counts: dict[str, int] = {}
        for change in self.changes:
            for operation in change.calls:
                counts[operation] = counts.get(operation, 0) + 1
        return dict(sorted(counts.items()))

    @property
    def failing(self) -> list[PlannedChange]:
        return [c for c in self.changes if c.action == "fail"]

    @property
    def reenabling(self) -> list[PlannedChange]:
        """The users found DISABLED that the deploy enables again (README: Diff)."""
        return [c for c in self.changes if REENABLES in c.notes]

    def as_dict(self) -> dict[str, Any]:
        return {"changes": [c.as_dict() for c in self.changes], "finspaceCalls": self.calls(),
                "willFail": bool(self.failing), "reenables": [c.resource for c in self.reenabling]}


class _Pending(dict[str, str]):
    """The attributes of a resource the deploy creates: known only as placeholders."""

    def __init__(self, logical_id: str) -> None:
        super().__init__()
        self.logical_id = logical_id

    def __missing__(self, attribute: str) -> str:
        return placeholder(self.logical_id)


def placeholder(logical_id: str) -> str:
    """A stand-in id for what the deploy creates (26 characters at most, like a FinSpace id)."""
    return "new-" + hashlib.sha256(logical_id.encode()).hexdigest()[:20]


def forecast(store: StackStore, stack_name: str, templates: dict[str, dict[str, Any]], read: Read,
             guards: Guards | None = None) -> Plan:
    """The plan for deploying ``templates`` (by driver stack name) over ``stack_name``'s state;
    ``guards``: the provider's role and settings, as the handler will have them."""
    requests = list(_requests(store, stack_name, templates, {}))
    names = {placeholder(r.logical_id): str(r.properties.get("Name")) for r in requests if r.type == GROUP_TYPE}
    changes = simulate(requests, read, names, guards)
    return Plan(tuple(changes))


def _requests(store: StackStore, name: str, templates: dict[str, dict[str, Any]],
              parameters: dict[str, str]) -> Generator[Request, None, dict[str, Any]]:
    """The requests CloudFormation would send for ``name`` and its nested stacks; returns the stack's
    outputs as the deploy will give them (a nested stack's, read by its parent's ``Fn::GetAtt``)."""
    deployed = store.load(name)
    current = deployed.resources if deployed else {}
    template = templates.get(name, {"Resources": {}})
    declared = template.get("Resources", {})
    resolver = _resolver(store, name, deployed.stack_id if deployed else f"new:{name}", parameters, current, declared)
    resolver.list_parameters = load_template(template).list_parameters
    for logical_id in _in_order(declared):
        resource = declared[logical_id]
        kind = resource.get("Type")
        if kind == STACK_TYPE:
            properties = _resolved(resolver, resource)
            child = {k: str(v) for k, v in properties.get("Parameters", {}).items()}
            outputs = yield from _requests(store, f"{name}-{logical_id}", templates, child)
            resolver.attributes[logical_id] = {f"Outputs.{k}": v for k, v in outputs.items()}
        elif kind in (USER_TYPE, GROUP_TYPE):
            properties = _resolved(resolver, resource)
            yield _request(f"{name}/{logical_id}", logical_id, kind, properties, current.get(logical_id), resource)
    for logical_id, gone in sorted(current.items()):
        if logical_id not in declared:
            yield from _removed(store, name, gone)
    return _resolved(resolver, {"Properties": {k: o.get("Value") for k, o in template.get("Outputs", {}).items()}})


def _in_order(declared: dict[str, Any]) -> list[str]:
    """Logical ids, each after those it references (a nested stack after the ones whose outputs it takes)."""
    template, done, order = load_template({"Resources": declared}), set[str](), list[str]()
    pending = sorted(declared)
    while pending:
        ready = [lid for lid in pending if lid not in template.resources or template.dependencies(lid) <= done] \
            or pending[:1]
        order += ready
        done.update(ready)
        pending = [lid for lid in pending if lid not in done]
    return order


def _resolved(resolver: Resolver, resource: dict[str, Any]) -> dict[str, Any]:
    """The properties as the driver sends them; one that cannot be resolved yet (an export of a
    stack not deployed) becomes a marker, so only that property looks changed."""
    declared = resource.get("Properties", {})
    try:
        return dict(stringify(resolver.resolve(declared)))
    except KeyError:
        pass
    resolved: dict[str, Any] = {}
    for key, value in declared.items():
        try:
            resolved.update(stringify(resolver.resolve({key: value})))
        except KeyError:
            resolved[key] = f"(unresolved {key})"
    return resolved


def _request(key: str, logical_id: str, kind: str, properties: dict[str, Any], deployed: ResourceState | None,
             declared: dict[str, Any]) -> Request:
    replace_policy = str(declared.get("UpdateReplacePolicy", "Delete"))
    if deployed is None or deployed.type != kind:
        return Request("Create", key, logical_id, kind, properties)
    if properties == deployed.properties:
        return Request("None", key, logical_id, kind, properties, deployed.physical_id, deployed.properties)
    return Request("Update", key, logical_id, kind, properties, deployed.physical_id, deployed.properties,
                   retain_replaced=replace_policy in ("Retain", "RetainExceptOnCreate"))


def _removed(store: StackStore, stack_name: str, gone: ResourceState) -> Iterator[Request]:
    """A resource that leaves the stack: a Delete, unless its policy retains it (a nested stack: all of it)."""
    if gone.type == STACK_TYPE:
        child = store.load(f"{stack_name}-{gone.logical_id}")
        for resource in sorted(child.resources.values(), key=lambda r: r.logical_id) if child else ():
            yield from _removed(store, child.name if child else "", resource)
    elif gone.type in (USER_TYPE, GROUP_TYPE):
        retained = gone.retained(replaced=False, created_in_operation=False)
        yield Request("Retain" if retained else "Delete", f"{stack_name}/{gone.logical_id}", gone.logical_id,
                      gone.type, {}, gone.physical_id, gone.properties)


def _resolver(store: StackStore, name: str, stack_id: str, parameters: dict[str, str],
              current: dict[str, ResourceState], declared: dict[str, Any]) -> Resolver:
    physical_ids = {lid: placeholder(lid) for lid in declared}
    attributes: dict[str, dict[str, Any]] = {lid: _Pending(lid) for lid in declared}
    for logical_id, resource in current.items():
        if logical_id in declared and resource.type == declared[logical_id].get("Type"):
            physical_ids[logical_id], attributes[logical_id] = resource.physical_id, resource.data
    return Resolver(
        parameters=parameters,
        pseudo={"AWS::Region": DEMO_REGION, "AWS::AccountId": DEMO_ACCOUNT, "AWS::StackName": name,
                "AWS::StackId": stack_id, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"},
        physical_ids=physical_ids, attributes=attributes, exports=lambda: store.exports(excluding=name),
    )
