"""A handler that only holds its container: one line per run in the event's ``Journal`` (its
``RequestId``), then ``Hold`` seconds of sleep. For the tests of Lambda's queue."""

from __future__ import annotations

import time
from typing import Any


def handler(event: dict[str, Any], _context: Any) -> None:
    with open(event["Journal"], "a") as journal:
        journal.write(f"{event['RequestId']}\n")
    time.sleep(float(event.get("Hold", 0)))
