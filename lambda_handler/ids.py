"""Deterministic client tokens and the placeholder id of a failed Create."""

from __future__ import annotations

import hashlib
from typing import Any

__all__ = ["PLACEHOLDER_PREFIX", "UNCERTAIN_PREFIX", "RequestIdentity", "is_placeholder", "uncertain_since"]

# Longer than any FinSpace userId (1-26 characters), so it can never name a real user.
PLACEHOLDER_PREFIX = "finspace-user-not-created-"
MAX_USER_ID_CHARS = 26
# A failed Create whose CreateUser may have taken effect unseen: the rollback Delete looks for the user
# made since this time (epoch ms) and disables it (docs/DESIGN.md, "Do no harm").
UNCERTAIN_PREFIX = "finspace-user-uncertain-"


class RequestIdentity:
    """Who is asking: the parts of a CloudFormation request that identify it."""

    __slots__ = ("logical_id", "request_id", "stack_id")

    def __init__(self, stack_id: str, logical_id: str, request_id: str) -> None:
        self.stack_id = stack_id
        self.logical_id = logical_id
        self.request_id = request_id

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> RequestIdentity:
        return cls(event["StackId"], event["LogicalResourceId"], event["RequestId"])

    def client_token(self, step: str) -> str:
        """Same request and step, same token: a duplicate delivery repeats no change."""
        digest = hashlib.sha256(f"{self.stack_id}|{self.logical_id}|{self.request_id}|{step}".encode()).hexdigest()
        return digest[:64]

    def placeholder_id(self) -> str:
        return f"{PLACEHOLDER_PREFIX}{self._digest()[:20]}"

    def uncertain_id(self, started_ms: float) -> str:
        """The placeholder of a Create whose CreateUser may have made a user nobody saw."""
        return f"{UNCERTAIN_PREFIX}{int(started_ms)}-{self._digest()[:12]}"

    def _digest(self) -> str:
        return hashlib.sha256(f"{self.stack_id}|{self.logical_id}|{self.request_id}".encode()).hexdigest()


def uncertain_since(physical_id: str) -> int | None:
    """When the uncertain CreateUser behind this placeholder started (epoch ms), or ``None``."""
    if not physical_id.startswith(UNCERTAIN_PREFIX):
        return None
    stamp = physical_id[len(UNCERTAIN_PREFIX):].split("-", 1)[0]
    return int(stamp) if stamp.isdigit() else None


def is_placeholder(physical_id: str) -> bool:
    """True for ids that name no FinSpace user: ours, crhelper's random ones, empty ones."""
    return not physical_id or physical_id.startswith(PLACEHOLDER_PREFIX) or len(physical_id) > MAX_USER_ID_CHARS
