"""Persistence: a FinSpace call is repeated while it fails transiently and the invocation has time.

FinSpace publishes no rate quota and throttles bursts, so a fixed number of attempts gives up while
the service still has capacity (botocore's 5 standard attempts: about 7.5 s of backoff). Here the
limit is the invocation's time budget (the :class:`Deadline` keeps its safety margin): capped
exponential backoff with full jitter, so that many containers spread their retries instead of
retrying in step.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .deadline import Deadline
from .errors import api_error, is_transient, may_have_taken_effect

__all__ = ["Backoff", "Persistence"]


class Backoff:
    """Full jitter: the n-th wait is uniform in [0, min(cap, base * 2**n)].

    A small cap keeps the attempt rate of many waiting containers above the service's refill rate
    (no capacity left unused) and bounds the tail of a deploy; the jitter keeps them out of step.
    """

    __slots__ = ("base_s", "cap_s")

    def __init__(self, base_s: float = 0.2, cap_s: float = 4.0) -> None:
        self.base_s = base_s
        self.cap_s = cap_s

    def delay(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0.0, min(self.cap_s, self.base_s * 2 ** min(attempt, 30)))


class Persistence:
    """Runs calls for one request: retried while transient and time is left, then translated."""

    def __init__(self, deadline: Deadline, sleep: Callable[[float], None] = time.sleep,
                 backoff: Backoff | None = None, rng: random.Random | None = None) -> None:
        self.deadline = deadline
        self.sleep = sleep
        self.backoff = backoff or Backoff()
        self.rng = rng or random.Random()

    @classmethod
    def for_seconds(cls, seconds: float, **kwargs: Any) -> Persistence:
        """Persistence with a fixed budget, for callers outside a Lambda invocation."""
        end = time.monotonic() + seconds
        return cls(Deadline(lambda: end - time.monotonic()), **kwargs)

    def call(self, operation: str, function: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
        """``function(**kwargs)``; a non-transient error, or the last transient one when time is up,
        raises :class:`~lambda_handler.errors.ApiCallError`."""
        attempt, uncertain = 0, False
        while True:
            self.deadline.check(f"calling {operation}")
            try:
                response: dict[str, Any] = function(**kwargs)
                return response
            except (ClientError, BotoCoreError) as error:
                delay = self.backoff.delay(attempt, self.rng)
                attempt += 1
                uncertain = uncertain or may_have_taken_effect(error)
                if not is_transient(error) or self.deadline.left() <= delay:
                    raise api_error(operation, error, attempts=attempt, uncertain=uncertain) from error
            self.sleep(delay)
