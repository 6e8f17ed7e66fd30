"""What CloudFormation is doing with the stack that sent a request: read-only, and only when a Delete
must know it (docs/DESIGN.md, "Do no harm").

A custom resource's Delete does not say why it comes. CloudFormation sends the same event when a
declaration is removed, when a failed operation rolls back what it created, and when an update's
cleanup removes an old logical id whose object a new one now holds. Only the stack's status tells a
rollback apart (DescribeStacks), and only the resources tell a rename or a move apart
(ListStackResources): of the request's own stack, and of every stack under the same root, since an app
may move a construct from one nested stack to another. The whole tree is listed once per container and
per phase of the root's operation (:class:`HolderIndex`), not once per request.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from .errors import ApiCallError
from .retries import Persistence

__all__ = ["CLEANUP", "DELETION", "ROLLBACK", "HolderIndex", "StackView"]

logger = logging.getLogger(__name__)

ROLLBACK, CLEANUP, DELETION = "rollback", "cleanup", "deletion"
# A Delete in these statuses removes what the failed operation itself created.
ROLLBACK_STATUSES = frozenset({"ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS",
                               "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "IMPORT_ROLLBACK_IN_PROGRESS"})
CLEANUP_STATUS = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
DELETING_STATUS = "DELETE_IN_PROGRESS"
MAX_PARENTS = 16  # deeper than any nesting CloudFormation builds in practice; bounds a malformed chain
STACK_TYPE = "AWS::CloudFormation::Stack"
KEPT_TREES = 8  # per container: the trees of the last few operations (a phase each)
Holder = tuple[str, str]  # (stack id, logical id) of a live resource
STACK_READ_FIX = ("the provider could not read its stack; grant cloudformation:DescribeStacks and "
                  "ListStackResources on it (README: Bootstrap)")


class HolderIndex:
    """Physical id -> the live resources holding it, for each tree of stacks seen by this container,
    keyed by the root's id, status and last update (a new phase or operation lists the tree again)."""

    def __init__(self) -> None:
        self._trees: dict[tuple[str, str, str], dict[str, set[Holder]]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> dict[str, set[Holder]] | None:
        with self._lock:
            return self._trees.get(key)

    def put(self, key: tuple[str, str, str], holders: dict[str, set[Holder]]) -> None:
        with self._lock:
            self._trees[key] = holders
            while len(self._trees) > KEPT_TREES:
                self._trees.pop(next(iter(self._trees)))


class StackView:
    """The stack of one request, read through an injected CloudFormation client; ``holders`` is the
    container's :class:`HolderIndex` (default: one for this request only)."""

    def __init__(self, client: Any, stack_id: str, persistence: Persistence,
                 holders: HolderIndex | None = None) -> None:
        self.client = client
        self.stack_id = stack_id
        self.persistence = persistence
        self.holders = holders or HolderIndex()
        self._own: dict[str, Any] | None = None  # the request's stack as DescribeStacks last showed it

    def phase(self) -> str:
        """Why a Delete comes: ROLLBACK (a failed operation undoes its creations), CLEANUP (a successful
        update removes what it replaced or no longer declares) or DELETION (the declaration goes away
        with its stack). A nested stack being deleted takes the phase of the nearest parent that is not
        itself being deleted: its parent's rollback or cleanup is what removes it."""
        stack_id = self.stack_id
        for _ in range(MAX_PARENTS):
            stack = self._describe(stack_id)
            if stack_id == self.stack_id:
                self._own = stack
            status = str(stack.get("StackStatus", ""))
            if status in ROLLBACK_STATUSES:
                return ROLLBACK
            if status == CLEANUP_STATUS:
                return CLEANUP
            parent = stack.get("ParentId")
            if status != DELETING_STATUS or not parent:
                return DELETION
            stack_id = str(parent)
        return DELETION

    def held_by_another(self, physical_id: str, logical_id: str) -> bool:
        """True when another live resource answers for the same object: in this stack (a renamed logical
        id) or in another stack of the same root (a construct moved between nested stacks)."""
        own = (self.stack_id, logical_id)
        if any(summary.get("PhysicalResourceId") == physical_id and _holder(self.stack_id, summary) not in (None, own)
               for summary in self._resources(self.stack_id)):
            logger.info("Another resource of the stack now holds %s", physical_id)
            return True
        others = self._tree_holders().get(physical_id, set()) - {own}
        if others:
            logger.info("A resource of another stack of the same root now holds %s", physical_id)
        return bool(others)

    def _tree_holders(self) -> dict[str, set[Holder]]:
        own = self._own or self._describe(self.stack_id)
        root_id = str(own.get("RootId") or self.stack_id)
        root = own if root_id == self.stack_id else self._describe(root_id)
        key = (root_id, str(root.get("StackStatus", "")), str(root.get("LastUpdatedTime", "")))
        holders = self.holders.get(key)
        if holders is None:
            holders = {}
            self._collect(root_id, holders, depth=0)
            self.holders.put(key, holders)
        return holders

    def _collect(self, stack_id: str, holders: dict[str, set[Holder]], depth: int) -> None:
        for summary in self._resources(stack_id):
            holder = _holder(stack_id, summary)
            if holder is None:
                continue
            physical_id = str(summary["PhysicalResourceId"])
            if summary.get("ResourceType") == STACK_TYPE and depth < MAX_PARENTS:
                self._collect(physical_id, holders, depth + 1)
            else:
                holders.setdefault(physical_id, set()).add(holder)

    def _describe(self, stack_id: str) -> dict[str, Any]:
        response = self._call("DescribeStacks", self.client.describe_stacks, StackName=stack_id)
        stacks: list[dict[str, Any]] = response.get("Stacks", [])
        return stacks[0] if stacks else {}

    def _resources(self, stack_id: str) -> list[dict[str, Any]]:
        summaries: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = self._call("ListStackResources", self.client.list_stack_resources, StackName=stack_id,
                              **({"NextToken": token} if token else {}))
            summaries.extend(page.get("StackResourceSummaries", []))
            token = page.get("NextToken")
            if not token:
                return summaries

    def _call(self, operation: str, function: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return self.persistence.call(operation, function, **kwargs)
        except ApiCallError as error:
            if error.code in ("AccessDenied", "AccessDeniedException", "ValidationError"):
                raise ApiCallError(operation, error.code, STACK_READ_FIX, uncertain=False) from error
            raise


def _holder(stack_id: str, summary: dict[str, Any]) -> Holder | None:
    """The resource as a holder of its physical id, or ``None`` when it holds nothing (being deleted)."""
    if not summary.get("PhysicalResourceId") or str(summary.get("ResourceStatus", "")).startswith("DELETE_"):
        return None
    return stack_id, str(summary.get("LogicalResourceId", ""))
