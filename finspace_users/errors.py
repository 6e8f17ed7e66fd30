"""The command line's exceptions and its exit codes (README: "finspace-users")."""

from __future__ import annotations

__all__ = ["EXIT_DRIFT", "EXIT_ERROR", "EXIT_OK", "CheckoutNeededError", "CommandError", "stand_ins_missing"]

EXIT_OK, EXIT_ERROR, EXIT_DRIFT = 0, 1, 2


class CommandError(Exception):
    """Why a command could not do its job, with what to do; never carries personal data.

    ``kind`` names the category in ``--json`` output (``usage``, ``users-file``, ``finspace``,
    ``stack``, ``setup``)."""

    def __init__(self, message: str, kind: str = "finspace") -> None:
        super().__init__(message)
        self.kind = kind


class CheckoutNeededError(CommandError):
    """The command drives the repository's local stand-ins (``finspace_local``), which an installed
    ``finspace-users`` cannot import; the command line adds the exact command to run in the checkout."""

    def __init__(self, what: str) -> None:
        super().__init__(what, "setup")


def stand_ins_missing(error: ImportError, what: str) -> CommandError:
    """The error for a failed import of the stand-ins: :class:`CheckoutNeededError` when ``finspace_local``
    itself is missing (an installed package), else the missing dependency, to install."""
    if (error.name or "").split(".")[0] == "finspace_local":
        return CheckoutNeededError(what)
    return CommandError(f"{what}, and cannot import {error.name or error}: install the repository's "
                        "requirements-dev.txt into its venv", "setup")
