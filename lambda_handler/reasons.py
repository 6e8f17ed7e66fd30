"""The one place that renders a failure into CloudFormation's Reason.

Reasons stay under 256 characters (crhelper would otherwise keep only the last
240 and lose the beginning, which names the property), and are scrubbed of any
email address or declared personal value that slipped into a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .errors import ProviderError

__all__ = ["MAX_REASON_CHARS", "render_reason", "scrub"]

MAX_REASON_CHARS = 255
# Compiled on the first failure (re caches it), not in every cold start: most containers render none.
_EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
_ELLIPSIS = "..."


def scrub(text: str, personal_values: Iterable[str] = ()) -> str:
    """Replace email addresses, and the given personal values where they stand as whole words or
    values, with placeholders. A value inside a longer word is left: a last name "User" must not
    turn "ManageUsersAndGroups" into "Manage<redacted>sAndGroups"."""
    text = re.sub(_EMAIL_PATTERN, "<email>", text)
    for value in sorted({v.strip() for v in personal_values if v and len(v.strip()) > 1}, key=len, reverse=True):
        text = re.sub(rf"(?<![\w@.]){re.escape(value)}(?![\w@])", "<redacted>", text)
    return text


def render_reason(error: BaseException, request_id: str, personal_values: Iterable[str] = ()) -> str:
    """The Reason for ``error``: its own message for provider errors, a pointer to the logs otherwise."""
    if isinstance(error, ProviderError):
        message = str(error)
    else:
        name = type(error).__name__
        message = f"Internal error ({name}) in the FinSpace user provider; see its logs for request {request_id}"
    message = scrub(message, personal_values)
    if len(message) > MAX_REASON_CHARS:
        message = message[: MAX_REASON_CHARS - len(_ELLIPSIS)] + _ELLIPSIS
    return message
