"""What a stack operation did to FinSpace users and groups, from its events (the deploy's report)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from finspace_local.cfn import StackEvent
from finspace_local.cfn.nested import STACK_TYPE
from finspace_local.cfn.state import ResourceState, StackStore

from .simulate import GROUP_TYPE, USER_TYPE

__all__ = ["Changes", "changes_from_events", "resource_labels"]


@dataclass
class Changes:
    """Resources (``stack/logical id``) by kind of change; a removed group is ``disabled`` too (deleted)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    retained: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {"created": self.created, "updated": self.updated, "replaced": self.replaced,
                "disabled": self.disabled, "retained": self.retained}

    def summary(self) -> str:
        counts = [f"{len(ids)} {kind}" for kind, ids in self.as_dict().items() if ids]
        return ", ".join(counts) if counts else "no change"


def changes_from_events(events: Iterable[StackEvent]) -> Changes:
    """Classify the stack events of ``Custom::FinSpaceUser`` and ``Custom::FinSpacePermissionGroup``."""
    seen: dict[str, set[str]] = {}
    for event in events:
        if event.resource_type in (USER_TYPE, GROUP_TYPE):
            seen.setdefault(f"{event.stack}/{event.logical_id}", set()).add(event.status)
    changes = Changes()
    for key, statuses in sorted(seen.items()):
        if "CREATE_COMPLETE" in statuses:
            changes.created.append(key)
        elif "UPDATE_COMPLETE" in statuses and "DELETE_COMPLETE" in statuses:
            changes.replaced.append(key)
        elif "UPDATE_COMPLETE" in statuses:
            changes.updated.append(key)
        elif "DELETE_COMPLETE" in statuses:
            changes.disabled.append(key)
        elif "DELETE_SKIPPED" in statuses:
            changes.retained.append(key)
    return changes


def _deployed(store: StackStore, stack_name: str) -> dict[str, ResourceState]:
    found: dict[str, ResourceState] = {}
    stack = store.load(stack_name)
    for logical_id, resource in (stack.resources.items() if stack else ()):
        if resource.type in (USER_TYPE, GROUP_TYPE):
            found[f"{stack_name}/{logical_id}"] = resource
        elif resource.type == STACK_TYPE:
            found.update(_deployed(store, f"{stack_name}-{logical_id}"))
    return found


def resource_labels(store: StackStore, stack_name: str, templates: dict[str, dict[str, Any]]
                    ) -> dict[str, dict[str, str]]:
    """``stack/logical id`` -> {email or group, environmentId}, from the deployed state and the templates."""
    labels = {key: _label(r.type, r.properties) for key, r in _deployed(store, stack_name).items()}
    for name, body in templates.items():
        for logical_id, resource in body.get("Resources", {}).items():
            if resource.get("Type") in (USER_TYPE, GROUP_TYPE):
                labels[f"{name}/{logical_id}"] = _label(resource["Type"], resource.get("Properties", {}))
    return labels


def _label(kind: str, properties: dict[str, Any]) -> dict[str, str]:
    environment = {"environmentId": str(properties.get("EnvironmentId", "?"))}
    if kind == GROUP_TYPE:
        return {"group": str(properties.get("Name", "?")), **environment}
    return {"email": str(properties.get("EmailAddress", "?")), **environment}
