"""What a stack operation did to FinSpace, from FinSpace itself: the state before against the state
after (the deploy's and destroy's report). Events say what CloudFormation asked; after a rollback only
the state says what is true, so a user the rollback restored is not "created" and a deleted group is
"deleted", not "disabled" (the memberships its deletion ended are its change, not its members' updates).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .local import STACK_TYPE, ResourceState, StackStore
from .simulate import GROUP_TYPE, USER_TYPE

__all__ = ["KINDS", "Changes", "FinSpaceState", "changes_between", "resource_labels"]

KINDS = ("created", "enabled", "updated", "disabled", "deleted")
USER_FIELDS = ("type", "firstName", "lastName", "apiAccess", "apiAccessPrincipalArn", "permissionGroups")
GROUP_FIELDS = ("name", "description", "applicationPermissions")


@dataclass(frozen=True)
class FinSpaceState:
    """Users by (environment, lower-cased email) and groups by (environment, id), as FinSpace has them."""

    users: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    groups: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, users: Iterable[dict[str, Any]], groups: Iterable[dict[str, Any]]) -> FinSpaceState:
        """``users`` and ``groups`` carry their ``environmentId``."""
        return cls({(u["environmentId"], str(u["emailAddress"]).lower()): u for u in users},
                   {(g["environmentId"], str(g["permissionGroupId"])): g for g in groups})


@dataclass
class Changes:
    """Users and groups by what happened to them; each entry names the email or group, the environment
    and the status FinSpace now gives it."""

    created: list[dict[str, str]] = field(default_factory=list)
    enabled: list[dict[str, str]] = field(default_factory=list)
    updated: list[dict[str, str]] = field(default_factory=list)
    disabled: list[dict[str, str]] = field(default_factory=list)
    deleted: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[dict[str, str]]]:
        return {kind: getattr(self, kind) for kind in KINDS}

    def summary(self) -> str:
        counts = [f"{len(entries)} {kind}" for kind, entries in self.as_dict().items() if entries]
        return ", ".join(counts) if counts else "nothing changed in FinSpace"

    @property
    def empty(self) -> bool:
        return not any(self.as_dict().values())


def changes_between(before: FinSpaceState, after: FinSpaceState) -> Changes:
    changes = Changes()
    gone = _deleted_group_names(before, after)
    for key, now in sorted(after.users.items()):
        was = before.users.get(key)
        if was is not None and gone.get(key[0]):  # a membership ended by its group's deletion: the group's change
            was = {**was, "permissionGroups": [g for g in was.get("permissionGroups", []) if g not in gone[key[0]]]}
        _classify(changes, was, now, {"email": now["emailAddress"]}, USER_FIELDS)
    for key, now in sorted(after.groups.items(), key=lambda item: (item[0][0], str(item[1].get("name")))):
        _classify(changes, before.groups.get(key), now, {"group": str(now.get("name"))}, GROUP_FIELDS)
    for key, gone in sorted(before.groups.items()):
        if key not in after.groups:
            changes.deleted.append({"group": str(gone.get("name")), "environmentId": key[0], "status": "DELETED"})
    return changes


def _deleted_group_names(before: FinSpaceState, after: FinSpaceState) -> dict[str, set[str]]:
    """Per environment, the names of the groups deleted (and not made again under the same name)."""
    kept = {(environment, str(g.get("name"))) for (environment, _id), g in after.groups.items()}
    gone: dict[str, set[str]] = {}
    for (environment, group_id), group in before.groups.items():
        name = str(group.get("name"))
        if (environment, group_id) not in after.groups and (environment, name) not in kept:
            gone.setdefault(environment, set()).add(name)
    return gone


def _classify(changes: Changes, was: dict[str, Any] | None, now: dict[str, Any], name: dict[str, str],
              fields: tuple[str, ...]) -> None:
    entry = {**name, "environmentId": str(now["environmentId"]), "status": str(now.get("status", "PRESENT"))}
    if was is None:
        changes.created.append(entry)
    elif was.get("status") != now.get("status"):
        (changes.enabled if now.get("status") == "ENABLED" else changes.disabled).append(entry)
    elif any(_comparable(was.get(f)) != _comparable(now.get(f)) for f in fields):
        changes.updated.append(entry)


def _comparable(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value


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
    """``stack/logical id`` -> {email or group, environmentId}, from the deployed state and the templates
    (the live event lines name users and groups, not logical ids)."""
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
