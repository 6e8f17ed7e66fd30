"""What one request needs in order to do no harm to what existed before it (docs/DESIGN.md).

A bundle of three collaborators, injected like the FinSpace client: the request's stack as
CloudFormation shows it, the adoption records, and the provider's own role.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from .ids import RequestIdentity
from .records import AdoptionRecords
from .self_access import ProviderRole
from .stack_view import CLEANUP, StackView

__all__ = ["REENABLE_VARIABLE", "Safeguards"]

logger = logging.getLogger(__name__)

# "true": re-enabling a DISABLED user takes AdoptExisting: true (docs/DESIGN.md, "Re-enabling").
REENABLE_VARIABLE = "FINSPACE_REENABLE_REQUIRES_ADOPT"


class Safeguards:
    """The request's stack view, its adoption records (``name`` gives a record's key) and the role."""

    __slots__ = ("_phase", "records", "request", "role", "stack", "strict_reenable")

    def __init__(self, stack: StackView, records: AdoptionRecords, request: RequestIdentity,
                 role: ProviderRole | None = None, *, strict_reenable: bool | None = None) -> None:
        self.stack = stack
        self.records = records
        self.request = request
        self.role = role or ProviderRole()
        self._phase: str | None = None
        self.strict_reenable = (os.environ.get(REENABLE_VARIABLE, "").strip().lower() == "true"
                                if strict_reenable is None else strict_reenable)

    def record_name(self, object_id: str) -> str:
        return self.records.name(self.request.stack_id, self.request.logical_id, object_id)

    def keep_prior(self, object_id: str, prior: dict[str, Any]) -> None:
        """Before an adoption changes anything: what a rollback must put back."""
        self.records.keep(self.record_name(object_id), prior)

    def prior_state(self, object_id: str) -> dict[str, Any] | None:
        """What the Create that adopted the object found, or ``None`` when that Create made it."""
        return self.records.find(self.record_name(object_id))

    def taken_over_by_rename(self, object_id: str) -> bool:
        """True when another live resource of the stack took the object over in this update."""
        return self.phase() == CLEANUP and self.stack.held_by_another(object_id, self.request.logical_id)

    def moved_within_stack(self, object_id: str) -> bool:
        """True when another live resource of this stack already holds the object: the Create belongs to a
        renamed or moved construct (the old id's cleanup Delete will leave the object alone), which is no
        adoption from outside and needs no AdoptExisting."""
        if self.stack.held_by_another(object_id, self.request.logical_id):
            logger.info("Object %s moves to this resource from another of the same stack", object_id)
            return True
        return False

    def phase(self) -> str:
        """Why this Delete comes (:meth:`StackView.phase`), read once per request."""
        if self._phase is None:
            self._phase = self.stack.phase()
        return self._phase

    def forget(self, object_id: str) -> None:
        self.records.drop(self.record_name(object_id))
