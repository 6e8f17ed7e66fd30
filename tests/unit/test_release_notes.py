"""scripts/release_notes.py: a release's notes are its CHANGELOG section, and only when the tag,
pyproject.toml and the CHANGELOG agree (.github/workflows/release.yml runs it before building)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts.release_notes import ReleaseNotesError, project_version, release_notes, section

REPO = Path(__file__).resolve().parents[2]
CHANGELOG = """# Changelog

Intro.

## Unreleased

## 0.3.0 - 2026-12-06

- First change.
- Second change,
  on two lines.

## 0.2.0

- Older.
"""
PYPROJECT = '[project]\nname = "x"\nversion = "0.3.0"\n'


def test_the_notes_are_the_versions_section_without_its_heading() -> None:
    notes = release_notes("v0.3.0", CHANGELOG, PYPROJECT)

    assert notes == "- First change.\n- Second change,\n  on two lines.\n"


def test_a_section_without_a_date_is_found_too() -> None:
    assert section(CHANGELOG, "0.2.0") == "- Older.\n"


@pytest.mark.parametrize(("tag", "pyproject", "changelog", "reason"), [
    ("v0.3.1", PYPROJECT, CHANGELOG, "not pyproject.toml's version 0.3.0"),
    ("0.3.0", PYPROJECT, CHANGELOG, "is not v<major>.<minor>.<patch>"),
    ("v0.4.0", PYPROJECT.replace("0.3.0", "0.4.0"), CHANGELOG, "no section '## 0.4.0'"),
    ("v0.3.0", PYPROJECT, CHANGELOG.replace("- First change.\n- Second change,\n  on two lines.\n", ""),
     "section '## 0.3.0' is empty"),
])
def test_a_tag_that_does_not_match_is_refused(tag: str, pyproject: str, changelog: str, reason: str) -> None:
    with pytest.raises(ReleaseNotesError, match=reason):
        release_notes(tag, changelog, pyproject)


def test_the_repositorys_own_version_has_notes() -> None:
    version = project_version((REPO / "pyproject.toml").read_text())

    result = subprocess.run([sys.executable, "scripts/release_notes.py", f"v{version}"], cwd=REPO,
                            capture_output=True, text=True, check=False, timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert result.stdout.strip() in (REPO / "CHANGELOG.md").read_text()


def test_a_refusal_exits_1_with_the_reason() -> None:
    result = subprocess.run([sys.executable, "scripts/release_notes.py", "v99.0.0"], cwd=REPO,
                            capture_output=True, text=True, check=False, timeout=60)

    assert (result.returncode, result.stdout) == (1, "")
    assert "not pyproject.toml's version" in result.stderr
