"""What CloudFormation is doing with the stack that sent a request: read-only, and only when a Delete
must know it (docs/DESIGN.md, "Do no harm").

A custom resource's Delete does not say why it comes. CloudFormation sends the same event when a
declaration is removed, when a failed operation rolls back what it created, and when an update's
cleanup removes an old logical id whose object a new one now holds. Only the stack's status tells a
rollback apart (DescribeStacks), and only its resources tell a rename apart (ListStackResources).
"""

from __future__ import annotations

import logging
from typing import Any

from .errors import ApiCallError
from .retries import Persistence

__all__ = ["CLEANUP", "DELETION", "ROLLBACK", "StackView"]

logger = logging.getLogger(__name__)

ROLLBACK, CLEANUP, DELETION = "rollback", "cleanup", "deletion"
# A Delete in these statuses removes what the failed operation itself created.
ROLLBACK_STATUSES = frozenset({"ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS",
                               "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "IMPORT_ROLLBACK_IN_PROGRESS"})
CLEANUP_STATUS = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
DELETING_STATUS = "DELETE_IN_PROGRESS"
MAX_PARENTS = 16  # deeper than any nesting CloudFormation builds in practice; bounds a malformed chain
STACK_READ_FIX = ("the provider could not read its stack; grant cloudformation:DescribeStacks and "
                  "ListStackResources on it (README: Bootstrap)")


class StackView:
    """The stack of one request, read through an injected CloudFormation client."""

    def __init__(self, client: Any, stack_id: str, persistence: Persistence) -> None:
        self.client = client
        self.stack_id = stack_id
        self.persistence = persistence

    def phase(self) -> str:
        """Why a Delete comes: ROLLBACK (a failed operation undoes its creations), CLEANUP (a successful
        update removes what it replaced or no longer declares) or DELETION (the declaration goes away
        with its stack). A nested stack being deleted takes the phase of the nearest parent that is not
        itself being deleted: its parent's rollback or cleanup is what removes it."""
        stack_id = self.stack_id
        for _ in range(MAX_PARENTS):
            stack = self._describe(stack_id)
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
        """True when another live resource of this stack answers for the same object: a renamed logical
        id, or a construct moved within the stack, took it over in this very update."""
        for summary in self._resources():
            if (summary.get("PhysicalResourceId") == physical_id and summary.get("LogicalResourceId") != logical_id
                    and not str(summary.get("ResourceStatus", "")).startswith("DELETE_")):
                logger.info("Another resource of the stack now holds %s", physical_id)
                return True
        return False

    def _describe(self, stack_id: str) -> dict[str, Any]:
        response = self._call("DescribeStacks", self.client.describe_stacks, StackName=stack_id)
        stacks: list[dict[str, Any]] = response.get("Stacks", [])
        return stacks[0] if stacks else {}

    def _resources(self) -> list[dict[str, Any]]:
        summaries: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = self._call("ListStackResources", self.client.list_stack_resources, StackName=self.stack_id,
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
