"""The command line's own rules (issue 18): app.py's exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from finspace_users.errors import EXIT_DRIFT, EXIT_ERROR

ROOT = Path(__file__).resolve().parents[2]


def test_app_exits_with_the_input_error_code_on_a_bad_users_file_not_the_drift_code(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("environment: finspace-local\nusers:\n  - {email: a@example.com, type: ROOT}\n")
    environment = {**os.environ, "CDK_CONTEXT_JSON": json.dumps({"usersFile": str(bad)}),
                   "CDK_OUTDIR": str(tmp_path / "cdk.out")}  # as the CDK CLI runs the app

    app = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=environment, capture_output=True, text=True,
                         timeout=300, check=False)

    assert app.returncode == EXIT_ERROR != EXIT_DRIFT, app.stderr[-2000:]
    assert "users[0].type" in app.stderr
