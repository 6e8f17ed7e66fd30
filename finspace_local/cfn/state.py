"""Stack state kept in a JSON file between runs: resources, outputs, exports.

Fields added later have defaults, so state files written before them still load.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ResourceState", "StackState", "StackStore"]


@dataclass
class ResourceState:
    logical_id: str
    type: str
    physical_id: str
    properties: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    deletion_policy: str = "Delete"
    update_replace_policy: str = "Delete"
    # Kept for a leftover (a resource a failed rollback or delete could not remove): its deletion
    # order among the leftovers, and whether the failed operation created it (RetainExceptOnCreate).
    depends_on: list[str] = field(default_factory=list)
    created_in_operation: bool = False
    # What ListStackResources shows once the operation that last touched it ended ("" in older
    # files: CREATE_COMPLETE), and when (epoch seconds; 0: unknown, the stack's time is shown).
    status: str = ""
    updated_at: float = 0.0

    def retained(self, *, replaced: bool, created_in_operation: bool) -> bool:
        """CloudFormation's policies: Retain always keeps it; RetainExceptOnCreate keeps it
        unless the rolled-back operation created it. A replaced resource follows UpdateReplacePolicy."""
        policy = self.update_replace_policy if replaced else self.deletion_policy
        return policy == "Retain" or (policy == "RetainExceptOnCreate" and not created_in_operation)

    @property
    def is_custom(self) -> bool:
        return self.type.startswith("Custom::") or self.type == "AWS::CloudFormation::CustomResource"


@dataclass
class StackState:
    name: str
    stack_id: str
    status: str = "REVIEW_IN_PROGRESS"
    template: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    resources: dict[str, ResourceState] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)
    # What a failed rollback or delete could not remove (CloudFormation keeps them in the stack and
    # retries them on the next delete or continue-update-rollback), and the Updates a failed update
    # rollback still owes: logical id -> the properties the failed Update had sent.
    leftovers: list[ResourceState] = field(default_factory=list)
    pending_rollback: dict[str, dict[str, Any]] = field(default_factory=dict)
    # DescribeStacks: CreationTime, LastUpdatedTime (epoch seconds; 0: unknown, never updated), and
    # for a nested stack its parent's and its root stack's ids (ParentId, RootId).
    created_at: float = 0.0
    updated_at: float = 0.0
    parent_id: str = ""
    root_id: str = ""

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> StackState:
        resources = {k: ResourceState(**v) for k, v in raw.pop("resources").items()}
        leftovers = [ResourceState(**v) for v in raw.pop("leftovers", [])]
        return cls(resources=resources, leftovers=leftovers, **raw)


class StackStore:
    """One JSON file per stack under ``directory``; exports gathered across stacks."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        # Every resource of a users stack imports the provider's service token: the exports are read
        # once per change of the folder (each save renames a file into it), not once per resource.
        self._exports: tuple[int, dict[str, dict[str, str]]] | None = None
        self._lock = threading.Lock()

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}.stack.json"

    def load(self, name: str) -> StackState | None:
        path = self._path(name)
        try:
            stack = StackState.from_dict(json.loads(path.read_text()))
            stack.created_at = stack.created_at or path.stat().st_mtime  # a file older than the field
        except FileNotFoundError:
            return None
        return stack

    def names(self) -> list[str]:
        """Every stack kept here."""
        return sorted(path.name.removesuffix(".stack.json") for path in self.directory.glob("*.stack.json"))

    def save(self, stack: StackState) -> None:
        path = self._path(stack.name)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(stack), indent=1, sort_keys=True))
        tmp.replace(path)
        self._forget_exports()

    def remove(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)
        self._forget_exports()

    def exports(self, excluding: str | None = None) -> dict[str, str]:
        """Every stack's exports but ``excluding``'s."""
        stamp = self.directory.stat().st_mtime_ns
        with self._lock:
            if self._exports is None or self._exports[0] != stamp:
                self._exports = (stamp, self._read_exports())
            by_stack = self._exports[1]
        return {key: value for name, exports in by_stack.items() if name != excluding
                for key, value in exports.items()}

    def _read_exports(self) -> dict[str, dict[str, str]]:
        stacks = (StackState.from_dict(json.loads(path.read_text()))
                  for path in sorted(self.directory.glob("*.stack.json")))
        return {stack.name: stack.exports for stack in stacks}

    def _forget_exports(self) -> None:
        with self._lock:
            self._exports = None
