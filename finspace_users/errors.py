"""The command line's one exception and its exit codes (README: "finspace-users")."""

from __future__ import annotations

__all__ = ["EXIT_DRIFT", "EXIT_ERROR", "EXIT_OK", "CommandError"]

EXIT_OK, EXIT_ERROR, EXIT_DRIFT = 0, 1, 2


class CommandError(Exception):
    """Why a command could not do its job, with what to do; never carries personal data.

    ``kind`` names the category in ``--json`` output (``usage``, ``users-file``, ``finspace``,
    ``stack``, ``setup``)."""

    def __init__(self, message: str, kind: str = "finspace") -> None:
        super().__init__(message)
        self.kind = kind
