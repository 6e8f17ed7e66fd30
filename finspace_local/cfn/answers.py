"""CloudFormation's rules for a custom resource's answer, checked as it checks them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from finspace_constructs.cloudformation_quotas import MAX_RESPONSE_BYTES

__all__ = ["Answer", "judge"]

MAX_BODY_BYTES = MAX_RESPONSE_BYTES  # "Response object is too long." beyond
MAX_PHYSICAL_ID_BYTES = 1024


@dataclass(frozen=True)
class Answer:
    status: str  # SUCCESS or FAILED
    reason: str = ""
    physical_id: str | None = None  # a valid id, or None
    data: dict[str, Any] = field(default_factory=dict)


def judge(body: bytes | None, event: dict[str, Any]) -> Answer:
    """The outcome CloudFormation takes from ``body`` (``None``: no answer in time)."""
    if body is None:
        return Answer("FAILED", "CloudFormation did not receive a response from your Custom Resource. "
                                f"Please check your logs for requestId [{event['RequestId']}].")
    if len(body) > MAX_BODY_BYTES:
        return Answer("FAILED", "Response object is too long.")
    try:
        answer = json.loads(body)
    except ValueError:
        return Answer("FAILED", "Invalid response object: the body is not JSON")
    problem = _problem(answer, event)
    if problem:
        return Answer("FAILED", problem)
    physical_id = answer["PhysicalResourceId"]
    return Answer(answer["Status"], str(answer.get("Reason") or ""), physical_id, dict(answer.get("Data") or {}))


def _problem(answer: Any, event: dict[str, Any]) -> str | None:
    if not isinstance(answer, dict) or answer.get("Status") not in ("SUCCESS", "FAILED"):
        return "Invalid response object: Status must be SUCCESS or FAILED"
    for key in ("StackId", "RequestId", "LogicalResourceId"):
        if answer.get(key) != event[key]:
            return f"Invalid response object: {key} does not match the request"
    physical_id = answer.get("PhysicalResourceId")
    if not isinstance(physical_id, str) or not physical_id or len(physical_id.encode()) > MAX_PHYSICAL_ID_BYTES:
        return "Invalid PhysicalResourceId"
    if answer["Status"] == "FAILED" and not answer.get("Reason"):
        return "Invalid response object: Reason is required when Status is FAILED"
    if not isinstance(answer.get("Data", {}), dict):
        return "Invalid response object: Data must be an object"
    return None
