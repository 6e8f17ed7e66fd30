"""Every Python block of the README runs, so none can rot; no document points outside the repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_python_block_runs(code: str, tmp_path: Path) -> None:
    # GIVEN a fresh folder holding the example users file, as a reader's project would
    shutil.copy(REPO / "users.yaml", tmp_path / "users.yaml")
    env = {**os.environ, "PYTHONPATH": str(REPO), "CDK_OUTDIR": str(tmp_path / "cdk.out")}

    # WHEN the block runs there
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300, check=False)

    # THEN it succeeds
    assert result.returncode == 0, result.stderr[-2000:]


def test_no_document_points_outside_the_repository() -> None:
    documents = [README, *(REPO / "docs").glob("*.md"), REPO / "CHANGELOG.md"]
    for document in documents:
        text = document.read_text()
        assert "../shared" not in text, document
        assert "/work/" not in text, document
        for target in re.findall(r"\]\(([^)#]+)\)", text):
            if not target.startswith(("http://", "https://")):
                assert (document.parent / target).exists(), f"{document.name} links to missing {target}"
