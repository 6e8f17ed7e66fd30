"""One request's FinSpace session: calls with errors translated at the call site, client tokens,
the time budget, and bounded polling."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .deadline import Deadline
from .ids import RequestIdentity
from .retries import Persistence

if TYPE_CHECKING:
    from mypy_boto3_finspace_data import FinSpaceDataClient

__all__ = ["LIST_PAGE_SIZE", "POLL_DELAYS_S", "ApiSession"]

POLL_DELAYS_S = (0.25, 0.5, 1.0, 2.0)
LIST_PAGE_SIZE = 100  # the List operations' maximum maxResults


class ApiSession:
    """What every resource type's operations share for one CloudFormation request."""

    def __init__(self, client: FinSpaceDataClient, request: RequestIdentity, deadline: Deadline,
                 sleep: Callable[[float], None] = time.sleep,
                 on_owned: Callable[[str], None] = lambda _resource_id: None,
                 persistence: Persistence | None = None) -> None:
        """``on_owned(id)`` is told as soon as a FinSpace object belongs to this resource, so that
        even a timeout answers with its id and the rollback Delete reaches it."""
        self.client = client
        self.request = request
        self.deadline = deadline
        self.sleep = sleep
        self.on_owned = on_owned
        self.persistence = persistence or Persistence(deadline, sleep)

    def call(self, operation: str, function: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
        """One API operation, retried while it fails transiently and time is left."""
        return self.persistence.call(operation, function, **kwargs)

    def items(self, operation: str, function: Callable[..., Any], key: str, **kwargs: Any) -> Iterator[Any]:
        """Every item under ``key`` of a List operation, page after page."""
        token: str | None = None
        while True:
            page = self.call(operation, function, maxResults=LIST_PAGE_SIZE, **kwargs,
                             **({"nextToken": token} if token else {}))
            yield from page.get(key, [])
            token = page.get("nextToken")
            if not token:
                return

    def token(self, step: str) -> str:
        return self.request.client_token(step)

    def polls(self, limit_s: float) -> Iterator[int]:
        """Sleep, then yield, for each poll: growing delays, at most ``limit_s`` or the budget."""
        waited, attempt = 0.0, 0
        while waited < min(limit_s, self.deadline.left()):
            delay = POLL_DELAYS_S[min(attempt, len(POLL_DELAYS_S) - 1)]
            self.sleep(delay)
            waited, attempt = waited + delay, attempt + 1
            yield attempt
