"""Switchable, reproducible faults: throttling, server errors, latency, dropped connections."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Literal

__all__ = ["FaultDecision", "FaultSettings", "Faults"]

FaultDecision = Literal["throttle", "error", "drop", "lose-reply"] | None


@dataclass(frozen=True)
class FaultSettings:
    """What goes wrong, and how often.

    ``throttle_rate`` is a token-bucket refill rate in requests per second (``None``:
    no throttling), with ``throttle_burst`` tokens at most; ``error_rate`` and
    ``drop_rate`` are shares (0 to 1) of requests answered with a 500 or with a
    closed connection; ``lost_reply_rate`` is the share carried out whose answer is
    lost (the connection closes after the change: only a client token makes a retry
    safe); ``latency`` is added to every request, in seconds;
    ``operations`` limits the faults to those operation names (``None``: all).
    """

    throttle_rate: float | None = None
    throttle_burst: int = 1
    error_rate: float = 0.0
    drop_rate: float = 0.0
    lost_reply_rate: float = 0.0
    latency: float = 0.0
    seed: int = 0
    operations: frozenset[str] | None = None


class Faults:
    """Decides, per request, which fault (if any) applies; thread-safe."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._lock = threading.Lock()
        self.configure(settings or FaultSettings())

    def configure(self, settings: FaultSettings) -> None:
        with self._lock:
            self.settings = settings
            self._random = random.Random(settings.seed)
            self._tokens = float(settings.throttle_burst)
            self._refilled_at = time.monotonic()

    def decide(self, operation: str) -> FaultDecision:
        settings = self.settings
        if settings.operations is not None and operation not in settings.operations:
            return None
        if settings.latency:
            time.sleep(settings.latency)
        with self._lock:
            if settings.throttle_rate is not None and not self._take_token(settings):
                return "throttle"
            roll = self._random.random()
        if roll < settings.drop_rate:
            return "drop"
        if roll < settings.drop_rate + settings.error_rate:
            return "error"
        if roll < settings.drop_rate + settings.error_rate + settings.lost_reply_rate:
            return "lose-reply"
        return None

    def _take_token(self, settings: FaultSettings) -> bool:
        now = time.monotonic()
        rate = settings.throttle_rate or 0.0
        self._tokens = min(float(settings.throttle_burst), self._tokens + (now - self._refilled_at) * rate)
        self._refilled_at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False
