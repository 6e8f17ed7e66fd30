"""The release notes of a tag: the CHANGELOG's section of that version (.github/workflows/release.yml).

    python scripts/release_notes.py v0.3.0 > notes.md

Fails (exit 1, the reason on stderr) unless the tag is ``v`` and pyproject.toml's version, and the
CHANGELOG has a section ``## <version>`` (``## 0.3.0 - 2026-12-06``) with something in it: a release
is never published with another version's notes, or none.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEADING = re.compile(r"^## (?P<version>\S+)(?: - (?P<date>\d{4}-\d{2}-\d{2}))?\s*$")


class ReleaseNotesError(Exception):
    """The tag, pyproject.toml and the CHANGELOG do not agree."""


def version_of_tag(tag: str) -> str:
    """``v0.3.0`` -> ``0.3.0``."""
    match = re.fullmatch(r"v(\d+\.\d+\.\d+(?:[-.]?(?:a|b|rc)\d+)?)", tag)
    if match is None:
        raise ReleaseNotesError(f"tag {tag!r} is not v<major>.<minor>.<patch>")
    return match[1]


def project_version(pyproject: str) -> str:
    version: str = tomllib.loads(pyproject)["project"]["version"]
    return version


def section(changelog: str, version: str) -> str:
    """The body of the CHANGELOG's section ``## <version>``, up to the next ``## `` heading."""
    lines = changelog.splitlines()
    headings = [i for i, line in enumerate(lines) if line.startswith("## ")]
    for position, index in enumerate(headings):
        heading = HEADING.match(lines[index])
        if heading is None or heading["version"] != version:
            continue
        following = headings[position + 1] if position + 1 < len(headings) else len(lines)
        text = "\n".join(lines[index + 1:following]).strip()
        if not text:
            raise ReleaseNotesError(f"CHANGELOG.md's section '## {version}' is empty")
        return text + "\n"
    raise ReleaseNotesError(f"CHANGELOG.md has no section '## {version}'")


def release_notes(tag: str, changelog: str, pyproject: str) -> str:
    """The notes of ``tag``, once the tag, pyproject.toml and the CHANGELOG agree."""
    version = version_of_tag(tag)
    declared = project_version(pyproject)
    if declared != version:
        raise ReleaseNotesError(f"tag {tag} is not pyproject.toml's version {declared}")
    return section(changelog, version)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tag", help="the release tag, e.g. v0.3.0")
    parser.add_argument("--changelog", type=Path, default=REPO / "CHANGELOG.md")
    parser.add_argument("--pyproject", type=Path, default=REPO / "pyproject.toml")
    arguments = parser.parse_args(argv)
    try:
        notes = release_notes(arguments.tag, arguments.changelog.read_text(), arguments.pyproject.read_text())
    except ReleaseNotesError as error:
        print(f"release_notes: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
