"""Deterministic client tokens and the placeholder id of a failed Create."""

from __future__ import annotations

import hashlib
from typing import Any

__all__ = ["PLACEHOLDER_PREFIX", "RequestIdentity", "is_placeholder"]

# Longer than any FinSpace userId (1-26 characters), so it can never name a real user.
PLACEHOLDER_PREFIX = "finspace-user-not-created-"
MAX_USER_ID_CHARS = 26


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
        digest = hashlib.sha256(f"{self.stack_id}|{self.logical_id}|{self.request_id}".encode()).hexdigest()
        return f"{PLACEHOLDER_PREFIX}{digest[:20]}"


def is_placeholder(physical_id: str) -> bool:
    """True for ids that name no FinSpace user: ours, crhelper's random ones, empty ones."""
    return not physical_id or physical_id.startswith(PLACEHOLDER_PREFIX) or len(physical_id) > MAX_USER_ID_CHARS
