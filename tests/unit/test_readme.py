"""Every Python block of the README runs, and so does every shell command that runs offline, so none
can rot; no document points outside the repository.

Each shell block of the README says, in the comment just above it, what it is:

- ``<!-- commands: run -->``: run here, in the repository;
- ``<!-- commands: run in your app's folder -->``: run here, in a folder laid out as the README's
  app (its ``app.py``, a ``.venv`` whose Python has the constructs, the CDK CLI in ``node_modules``);
- ``<!-- commands: run, the first in the background -->``: the first command is a server, started in
  the background; the values it prints replace the ``<that ...>`` placeholders of the others;
- ``<!-- commands: covered PATH... -->``: heavy, run by the tests or scripts it names;
- ``<!-- commands: aws -->``: needs AWS credentials or a published repository: not run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
TEXT = README.read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, re.DOTALL)
# (marker, commands) of every shell block, its fence indented or not
SHELL_FENCE = re.compile(r"(?:<!-- commands: (?P<marker>[^>]*?) -->\n)?(?P<indent>[ ]*)```(?:bash|sh|shell)\n"
                         r"(?P<body>.*?)(?P=indent)```", re.DOTALL)
SHELL_BLOCKS = [(m["marker"], re.sub(r"^" + m["indent"], "", m["body"], flags=re.MULTILINE))
                for m in SHELL_FENCE.finditer(TEXT)]
BASH = shutil.which("bash") or "/bin/bash"
MARKERS = ("run", "run in your app's folder", "run, the first in the background", "aws")
OWN_APP = re.search(r"```python\n(.*?)```", TEXT.split("## Use it in your own CDK app", 1)[1], re.DOTALL)
OFFLINE = {"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "CDK_DISABLE_VERSION_CHECK": "1"}


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

    # THEN it succeeds; an app of your own (the provider in its own stack) synthesizes without a warning
    assert result.returncode == 0, result.stderr[-2000:]
    if "FinSpaceUserProviderStack(" in code:
        assert synthesis_warnings(tmp_path / "cdk.out") == []


def test_both_apps_of_your_own_keep_the_provider_in_its_own_stack_serving_the_users_stack() -> None:
    own_apps = [code for code in BLOCKS if "FinSpaceUserProviderStack(" in code]

    assert len(own_apps) == 2  # "Use it in your own CDK app" and "The same from your own app"
    assert all('"allowed_stacks": ["FinSpaceUsers"]' in code for code in own_apps)
    assert all("FinSpaceUserProvider.of(" not in code for code in own_apps)


def synthesis_warnings(out: Path) -> list[str]:
    """The warnings CDK recorded in a cloud assembly (the manifest's or each stack's metadata file)."""
    entries = []
    for path in [out / "manifest.json", *out.glob("*.metadata.json")]:
        document = json.loads(path.read_text())
        metadata = [a.get("metadata", {}) for a in document.get("artifacts", {}).values()] or [document]
        entries += [entry for found in metadata for path_entries in found.values() for entry in path_entries]
    return [str(entry["data"]) for entry in entries if entry["type"] == "aws:cdk:warning"]


def test_every_shell_block_says_whether_a_test_runs_it() -> None:
    assert len(SHELL_BLOCKS) >= 6
    for marker, commands in SHELL_BLOCKS:
        assert marker is not None, f"a shell block has no <!-- commands: ... --> comment:\n{commands}"
        assert marker in MARKERS or marker.startswith("covered "), marker


@pytest.mark.parametrize("named", sorted({path for marker, _ in SHELL_BLOCKS if marker and marker.startswith("covered ")
                                          for path in marker.split()[1:]}))
def test_heavy_blocks_name_the_tests_that_cover_them(named: str) -> None:
    assert (REPO / named).is_file(), named


def blocks(marker: str) -> list[str]:
    return [commands for found, commands in SHELL_BLOCKS if found == marker]


@pytest.mark.parametrize("commands", blocks("run"), ids=lambda c: c.split()[0] + "...")
def test_offline_commands_run_in_the_repository(commands: str, tmp_path: Path) -> None:
    # make api-docs writes where API_DOCS_DIR says: here, the test's folder
    env = {**os.environ, **OFFLINE, "API_DOCS_DIR": str(tmp_path / "api")}

    result = subprocess.run([BASH, "-euo", "pipefail", "-c", commands], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=600, check=False)

    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    if "make help" in commands:
        assert "make setup-deploy" in result.stdout
        assert "make api-docs" in result.stdout
    if "finspace_users --help" in commands:
        assert "usage:" in result.stdout
    if "make api-docs" in commands:
        reference = (tmp_path / "api" / "finspace_constructs.html").read_text()
        assert "FinSpaceUserProviderStack" in reference
        assert "allowed_stacks" in reference


@pytest.mark.parametrize("commands", blocks("run in your app's folder"), ids=lambda c: c.split()[2] + "...")
def test_offline_commands_run_in_an_app_folder(commands: str, tmp_path: Path) -> None:
    # GIVEN the README's app, a .venv whose Python has the constructs, and the CDK CLI in node_modules
    assert OWN_APP is not None
    (tmp_path / "app.py").write_text(OWN_APP.group(1))
    (tmp_path / ".venv").symlink_to(REPO / ".venv")
    (tmp_path / "node_modules").symlink_to(REPO / "node_modules")
    env = {**os.environ, **OFFLINE, "PYTHONPATH": str(REPO), "npm_config_yes": "false"}

    # WHEN the block runs there
    result = subprocess.run([BASH, "-euo", "pipefail", "-c", commands], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600, check=False)

    # THEN it succeeds, and cdk synth wrote both stacks
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert {p.name for p in (tmp_path / "cdk.out").glob("*.template.json")} == {
        "FinSpaceUserProvider.template.json", "FinSpaceUsers.template.json"}


@pytest.mark.parametrize("commands", blocks("run, the first in the background"), ids=lambda c: c.split()[2] + "...")
def test_a_server_and_the_commands_that_use_it(commands: str, tmp_path: Path) -> None:
    # GIVEN a free port instead of the README's, and a folder for the server's state
    port = free_port()
    server, *rest = [line for line in re.sub(r"\b8443\b", str(port), commands).split("\n")
                     if line.strip() and not line.startswith("#")]
    (tmp_path / ".venv").symlink_to(REPO / ".venv")
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    # WHEN the first command serves in the background, and the others run with what it printed
    process = subprocess.Popen([BASH, "-c", f"exec {server}"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               text=True)
    try:
        assert process.stdout is not None
        printed = dict(process.stdout.readline().strip().split(": ", 1) for _ in range(3))
        script = ("\n".join(rest).replace("<that path>", printed["ca-bundle"])
                  .replace("<that token>", printed["admin-token"]))
        result = subprocess.run([BASH, "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=120, check=False)
    finally:
        process.terminate()
        process.wait(timeout=10)

    # THEN they reach it: faults configured, the call log answered
    assert printed["endpoint"] == f"https://127.0.0.1:{port}"
    assert result.returncode == 0, result.stderr
    assert '"faults"' in result.stdout
    assert '"calls"' in result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_no_document_points_outside_the_repository() -> None:
    documents = [README, *(REPO / "docs").glob("*.md"), REPO / "CHANGELOG.md"]
    for document in documents:
        text = document.read_text()
        assert "../shared" not in text, document
        assert "/work/" not in text, document
        for target in re.findall(r"\]\(([^)#]+)\)", text):
            if target == "../../releases" and document == README:
                continue  # GitHub resolves it to this repository's releases page
            if not target.startswith(("http://", "https://")):
                assert (document.parent / target).exists(), f"{document.name} links to missing {target}"
