"""Log lines an operator can use and nobody can mine: JSON, correlated, free of personal data.

crhelper's own JSON logging stamps every record with the event's LogicalResourceId and StackId, and
an app may make logical ids from emails (the users app once did). So the provider formats its own
lines: the RequestId (CloudFormation's, for the console's events) and Lambda's request id for
correlation, and a short hash of the logical id, never the id itself. Messages carry ids of FinSpace
objects, counts and codes only; the personal fields of a request never reach a log call.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any

__all__ = ["JsonLines", "correlate", "resource_tag"]

TAG_CHARS = 10


def resource_tag(logical_id: str) -> str:
    """A short, stable stand-in for a logical id in logs (the id itself may hold an email)."""
    return "r-" + hashlib.sha256(logical_id.encode()).hexdigest()[:TAG_CHARS]


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the request's correlation fields."""

    def __init__(self, fields: dict[str, str] | None = None) -> None:
        super().__init__()
        self.fields = dict(fields or {})

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname, "logger": record.name, "message": record.getMessage(), **self.fields,
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def correlate(event: dict[str, Any], context: Any) -> None:
    """Format every line of this invocation with its correlation fields (Lambda's root handler included)."""
    fields = {"requestType": str(event.get("RequestType", "")), "requestId": str(event.get("RequestId", "")),
              "resource": resource_tag(str(event.get("LogicalResourceId", ""))),
              "awsRequestId": str(getattr(context, "aws_request_id", ""))}
    formatter = JsonLines(fields)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
