"""Which FinSpace user has an email: learned once per warm container, not once per resource.

CreateUser answers 409 for an email that already exists, and the API can only find a user by
email by paging ListUsers (100 a page). Doing that per resource makes a redeploy of N users after a
rollback cost O(N^2) calls. An email never changes and a user is never deleted, so an email's
userId, once seen, stays true: a container scans an environment only when an email is not known
yet (the first Conflict, or a user created elsewhere since the last scan), and learns every user
it creates. Statuses are never cached: the caller reads them fresh with GetUser.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from .properties import email_key

if TYPE_CHECKING:
    from .api import ApiSession

__all__ = ["EmailIndex", "UserDirectory"]

logger = logging.getLogger(__name__)


class EmailIndex:
    """email (case-insensitive) -> userId for one environment."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}
        self._lock = threading.Lock()
        self.scans = 0  # how many full ListUsers scans this index made (logged with each)

    def remember(self, email: str, user_id: str) -> None:
        with self._lock:
            self._ids[email_key(email)] = user_id

    def forget(self, email: str) -> None:
        with self._lock:
            self._ids.pop(email_key(email), None)

    def find(self, api: ApiSession, email: str) -> str | None:
        """The userId of ``email``; scans every page only when the email is not known yet."""
        key = email_key(email)
        with self._lock:
            if key in self._ids:
                return self._ids[key]
        found = {email_key(str(u.get("emailAddress", ""))): str(u["userId"])
                 for u in api.items("ListUsers", api.client.list_users, "users")}
        with self._lock:
            self._ids.update(found)
            self.scans += 1
            logger.info("Listed the environment's %d users to find an email (scan %d of this container)",
                        len(found), self.scans)
            return self._ids.get(key)


class UserDirectory:
    """One :class:`EmailIndex` per environment, kept for the container's life."""

    def __init__(self) -> None:
        self._indexes: dict[str, EmailIndex] = {}
        self._lock = threading.Lock()

    def of(self, environment_id: str) -> EmailIndex:
        with self._lock:
            return self._indexes.setdefault(environment_id, EmailIndex())
