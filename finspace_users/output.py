"""One place for what commands print: rich text and tables for people, one JSON document with ``--json``."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["Output", "table"]

WIDTH_WHEN_PIPED = 140


class Output:
    """``say`` and ``show`` print for people (nothing with ``--json``); ``emit`` prints the JSON
    document (nothing without). Errors go to stderr, or into the JSON document when asked."""

    def __init__(self, as_json: bool, console: Console | None = None) -> None:
        self.as_json = as_json
        self.console = console or Console(width=None if sys.stdout.isatty() else WIDTH_WHEN_PIPED)

    def say(self, text: str) -> None:
        if not self.as_json:
            self.console.print(text)

    def show(self, renderable: Any) -> None:
        if not self.as_json:
            self.console.print(renderable)

    def emit(self, document: dict[str, Any]) -> None:
        if self.as_json:
            print(json.dumps(document, sort_keys=True))

    def error(self, kind: str, message: str) -> None:
        if self.as_json:
            print(json.dumps({"error": {"kind": kind, "message": message}}, sort_keys=True))
        else:
            print(f"finspace-users: {message}", file=sys.stderr)


def table(title: str, columns: tuple[str, ...], rows: Sequence[Sequence[str]]) -> Table:
    shown = Table(title=title)
    for column in columns:
        shown.add_column(column)
    for row in rows:
        shown.add_row(*row)
    return shown
