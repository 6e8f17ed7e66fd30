"""What every part of the emulator's state shares: the SQLite database, the settings, the clock, the
environment of the call in progress, and pagination."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from ..exceptions import validation_error
from .schema import open_schema

__all__ = ["IDEMPOTENCY_SECONDS", "BackendSettings", "Params", "Tables"]

Params = dict[str, Any]
IDEMPOTENCY_SECONDS = 600  # FinSpace clientToken lifetime: 10 minutes


@dataclass
class BackendSettings:
    """Behaviours AWS leaves open, and the emulator's timings.

    ``redundant_state_change``: how DisableUser on a disabled user (and EnableUser
    on an enabled one) is answered, since AWS does not document it.
    """

    environments: frozenset[str] = frozenset({"finspace-local"})
    creating_seconds: float = 0.0
    membership_seconds: float = 0.0
    redundant_state_change: Literal["succeed", "conflict"] = "succeed"
    # How long a clientToken is honoured: FinSpace's 10 minutes; 0 plays a token that expired.
    client_token_seconds: float = IDEMPOTENCY_SECONDS
    extra: dict[str, Any] = field(default_factory=dict)


class Tables:
    """The database (in a file, or in memory), opened with its schema; the emulator's clock; and
    ``environment``, the environment the call in progress acts in (set by the caller, under its lock)."""

    def __init__(self, db_path: str, settings: BackendSettings) -> None:
        self.settings = settings
        self.db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        open_schema(self.db, db_path)
        self.clock_offset = 0.0
        self.environment = ""

    def now(self) -> float:
        return time.time() + self.clock_offset

    def ms(self) -> int:
        return int(self.now() * 1000)

    def one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(sql, args).fetchone()
        return row

    def page(self, sql: str, args: tuple[Any, ...], params: Params) -> tuple[list[sqlite3.Row], str | None]:
        """One page of ``sql`` (whose last two placeholders are the rowid to start after and the limit),
        as ``params`` asks (``nextToken``, ``maxResults``), and the token of the next page."""
        start = _decode_token(params.get("nextToken"))
        limit = params["maxResults"]
        rows = self.db.execute(sql, (*args, start, limit + 1)).fetchall()
        next_token = _encode_token(rows[limit - 1]["rowid"]) if len(rows) > limit else None
        return rows[:limit], next_token


def _encode_token(rowid: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": rowid}).encode()).decode()


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        after = json.loads(base64.urlsafe_b64decode(token.encode()))["after"]
    except (ValueError, KeyError, TypeError) as exc:
        raise validation_error("Value at 'nextToken' is not a token this API issued") from exc
    return int(after)
