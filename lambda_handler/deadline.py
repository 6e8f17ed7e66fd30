"""The invocation's time budget: stop, and answer FAILED, well before Lambda's timeout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .client import WORST_CALL_S
from .errors import DeadlineError

__all__ = ["Deadline"]

MAX_MARGIN_S = WORST_CALL_S  # a call started inside the budget ends before the margin runs out
MARGIN_SHARE = 0.25  # on short timeouts, keep a quarter of the time back


class Deadline:
    """Seconds left for work, after a safety margin for answering CloudFormation."""

    def __init__(self, remaining_s: Callable[[], float]) -> None:
        self._remaining_s = remaining_s
        self._margin_s = min(MAX_MARGIN_S, remaining_s() * MARGIN_SHARE)

    @classmethod
    def from_context(cls, context: Any, waited_for: Callable[[], float] | None = None) -> Deadline:
        """Lambda's remaining time; with ``waited_for`` (how long CloudFormation still waits, see
        :mod:`lambda_handler.event_age`), whichever ends first."""
        def lambda_left() -> float:
            return float(context.get_remaining_time_in_millis()) / 1000.0

        if waited_for is None:
            return cls(lambda_left)
        return cls(lambda: min(lambda_left(), waited_for()))

    def left(self) -> float:
        return self._remaining_s() - self._margin_s

    def check(self, doing: str) -> None:
        """Raise :class:`DeadlineError` when no time is left for ``doing``."""
        if self.left() <= 0:
            raise DeadlineError(
                f"Stopped before the Lambda timeout while {doing}; deploy again to finish (each step is idempotent)"
            )
