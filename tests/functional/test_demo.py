"""`make demo`'s job: deploy the app to the emulator, then a second run changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from finspace_local.demo import main


def test_demo_deploys_then_reports_no_change_then_disables_on_destroy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = ["--state-dir", str(tmp_path), "--users", "demo.one@example.com,demo.two@example.com"]

    first = main(state)
    first_output = capsys.readouterr().out
    second = main(state)
    second_output = capsys.readouterr().out
    destroyed = main([*state, "--destroy"])
    destroy_output = capsys.readouterr().out

    assert (first, second, destroyed) == (0, 0, 0)
    assert "FinSpace changes: CreateUser x2" in first_output
    assert "demo.two@example.com" in first_output
    assert "No change: no mutating FinSpace call was made." in second_output
    assert "DisableUser x2" in destroy_output
