"""What a deployment did, or would do, to FinSpace users: creates, updates, replacements, disables."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .cfn import StackEvent
from .cfn.nested import STACK_TYPE
from .cfn.state import ResourceState, StackStore

__all__ = ["GROUP_TYPE", "USER_TYPE", "Changes", "changes_from_events", "planned_changes", "user_labels"]

USER_TYPE = "Custom::FinSpaceUser"
GROUP_TYPE = "Custom::FinSpacePermissionGroup"
IDENTITY = ("EnvironmentId", "EmailAddress")


@dataclass
class Changes:
    """Logical ids (``stack/logical id``) by kind of change."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    retained: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(self.as_dict().values())

    def as_dict(self) -> dict[str, list[str]]:
        return {"created": self.created, "updated": self.updated, "replaced": self.replaced,
                "disabled": self.disabled, "retained": self.retained}

    def summary(self) -> str:
        counts = [f"{len(ids)} {kind}" for kind, ids in self.as_dict().items() if ids]
        return ", ".join(counts) if counts else "no change"


def changes_from_events(events: Iterable[StackEvent]) -> Changes:
    """Classify the stack events of ``Custom::FinSpaceUser`` resources."""
    seen: dict[str, set[str]] = {}
    for event in events:
        if event.resource_type == USER_TYPE:
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


def planned_changes(store: StackStore, stack_name: str, templates: dict[str, dict[str, Any]]) -> Changes:
    """Compare synthesized templates (by stack name, as the driver names nested stacks) with the
    deployed state, without deploying: a ``cdk diff`` for FinSpace users."""
    desired = {f"{name}/{lid}": r for name, body in templates.items()
               for lid, r in body.get("Resources", {}).items() if r.get("Type") == USER_TYPE}
    current = _deployed_users(store, stack_name)
    changes = Changes()
    for key, declared in sorted(desired.items()):
        wanted = {k: v for k, v in declared.get("Properties", {}).items() if k != "ServiceToken"}
        deployed = current.get(key)
        have = deployed.properties if deployed else {}
        if deployed is None:
            changes.created.append(key)
        elif any(str(wanted.get(k, "")).lower() != str(have.get(k, "")).lower() for k in IDENTITY):
            changes.replaced.append(key)
        elif wanted != {k: v for k, v in have.items() if k != "ServiceToken"}:
            changes.updated.append(key)
    for key in sorted(set(current) - set(desired)):
        retained = current[key].retained(replaced=False, created_in_operation=False)
        (changes.retained if retained else changes.disabled).append(key)
    return changes


def _deployed_users(store: StackStore, stack_name: str) -> dict[str, ResourceState]:
    found: dict[str, ResourceState] = {}
    stack = store.load(stack_name)
    if stack is None:
        return found
    for logical_id, resource in stack.resources.items():
        if resource.type == USER_TYPE:
            found[f"{stack_name}/{logical_id}"] = resource
        elif resource.type == STACK_TYPE:
            found.update(_deployed_users(store, f"{stack_name}-{logical_id}"))
    return found


def user_labels(store: StackStore, stack_name: str, templates: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """``stack/logical id`` -> {email, environmentId}, from the templates and the deployed state."""
    labels = {key: _label(r.properties) for key, r in _deployed_users(store, stack_name).items()}
    for name, body in templates.items():
        for logical_id, resource in body.get("Resources", {}).items():
            if resource.get("Type") == USER_TYPE:
                labels[f"{name}/{logical_id}"] = _label(resource.get("Properties", {}))
            elif resource.get("Type") == GROUP_TYPE:
                labels[f"{name}/{logical_id}"] = {"group": f"group {resource['Properties'].get('Name', '?')}"}
    return labels


def _label(properties: dict[str, Any]) -> dict[str, str]:
    return {"email": str(properties.get("EmailAddress", "?")),
            "environmentId": str(properties.get("EnvironmentId", "?"))}
