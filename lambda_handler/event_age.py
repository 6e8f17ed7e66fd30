"""How long CloudFormation will still wait for an event's answer, judged from the event itself.

CloudFormation waits ``ServiceTimeout`` seconds (default 3600) from the moment it sends a request;
Lambda may keep an asynchronous event queued for longer than that. A Create run after CloudFormation
gave up would make a user no stack owns. The provider cannot know a template's ServiceTimeout from its
own configuration, but the event carries both ends: the ``ServiceTimeout`` it was sent with, and the
ResponseURL, a pre-signed S3 URL whose ``X-Amz-Date`` is when CloudFormation signed it, i.e. sent it.
So the handler budgets its work to the time CloudFormation still waits, and does nothing for an event
nobody waits for (docs/DESIGN.md, "An event's age").
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .errors import ProviderError

__all__ = ["DEFAULT_SERVICE_TIMEOUT_S", "ExpiredEventError", "signed_at", "waited_for"]

DEFAULT_SERVICE_TIMEOUT_S = 3600.0  # CloudFormation's default and maximum
DATE_FORMAT = "%Y%m%dT%H%M%SZ"


class ExpiredEventError(ProviderError):
    """CloudFormation no longer waits for this event's answer: nothing was done."""


def signed_at(response_url: str) -> float | None:
    """When the pre-signed ResponseURL was signed (epoch seconds), or ``None`` if it says nothing."""
    values = {k.lower(): v for k, v in parse_qs(urlsplit(response_url).query).items()}
    stamp = values.get("x-amz-date", [""])[0]
    try:
        return float(calendar.timegm(time.strptime(stamp, DATE_FORMAT)))
    except ValueError:
        return None


def service_timeout_of(event: dict[str, Any]) -> float:
    """The ServiceTimeout CloudFormation applies to this event (a declared one arrives in the event)."""
    raw = event.get("ServiceTimeout") or event.get("ResourceProperties", {}).get("ServiceTimeout")
    try:
        return min(float(raw), DEFAULT_SERVICE_TIMEOUT_S) if raw else DEFAULT_SERVICE_TIMEOUT_S
    except (TypeError, ValueError):
        return DEFAULT_SERVICE_TIMEOUT_S


def waited_for(event: dict[str, Any], clock: Callable[[], float] = time.time) -> Callable[[], float] | None:
    """Seconds CloudFormation still waits for this event, as a clock-driven function; ``None`` when the
    ResponseURL carries no signing time. Raises :class:`ExpiredEventError` when that time is over."""
    sent = signed_at(str(event.get("ResponseURL", "")))
    if sent is None:
        return None
    timeout = service_timeout_of(event)
    age = clock() - sent
    if age >= timeout:
        raise ExpiredEventError(
            f"This request waited {age:.0f} s in Lambda's queue, past its ServiceTimeout of {timeout:.0f} s; "
            "CloudFormation no longer waits for it, so nothing was done (README: Sizing)")
    return lambda: sent + timeout - clock()
