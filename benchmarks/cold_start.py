"""Cold start of the provider Lambda against crhelper alone (a benchmark, not a test).

    python -m benchmarks.cold_start [--runs 20]

Each run is a fresh interpreter started as Lambda starts one: the Lambda runtime stand-in
(``.venv/lambda-py313``: Python 3.13 with the newest boto3) where it exists, else this Python;
a fresh copy of the bundled asset (``lambda_handler/`` and crhelper, with the bytecode the asset
carries: compiled for the runtime when a Python 3.13 was found) on the path; its folder treated as
read-only, as Lambda's is (``PYTHONDONTWRITEBYTECODE=1``, and a run that wrote a file is refused);
a region and fake keys, nothing else from this machine's AWS settings. Timed inside the process,
interleaved, ``--runs`` each:

- handler: ``import lambda_handler.index`` (its crhelper ``CfnResource`` included), then the
  first ``finspace-data`` client, built as the handler builds it;
- crhelper: ``from crhelper import CfnResource; CfnResource()``, the floor.

Creating clients makes no network call.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from finspace_constructs._assemble import assemble_asset, default_wheelhouse

REPO = Path(__file__).resolve().parent.parent
HANDLER_DIR = REPO / "lambda_handler"
LAMBDA_PYTHON = REPO / ".venv" / "lambda-py313" / "bin" / "python"
WHEELHOUSE = default_wheelhouse(REPO)
REGION = "us-east-1"

# Each snippet prints its timings (seconds) on its last line.
HANDLER_RUN = """\
import os, time
started = time.perf_counter()
import lambda_handler.index
imported = time.perf_counter()
from lambda_handler.client import new_finspace_client, shared_session
new_finspace_client(shared_session(), region_name=os.environ["AWS_REGION"])  # as the handler's first client
print(imported - started, time.perf_counter() - started)
"""
CRHELPER_RUN = """\
import time
started = time.perf_counter()
from crhelper import CfnResource
CfnResource()
print(time.perf_counter() - started)
"""


def build_asset(target: Path) -> None:
    """The Lambda asset as synthesis bundles it: the handler package, and crhelper from the wheelhouse."""
    assemble_asset(HANDLER_DIR, target, WHEELHOUSE)


def lambda_environment(task_dir: Path) -> dict[str, str]:
    """What a Lambda container gives the runtime, as far as this measurement is concerned."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(task_dir),
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",  # AWS's documented example keys: no call is made
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_SESSION_TOKEN": "fake-session-token",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def timed_run(python: str, asset: Path, code: str) -> list[float]:
    """One cold start in a fresh copy of the asset; the timings the snippet printed."""
    with tempfile.TemporaryDirectory(prefix="cold-start-") as scratch:
        task_dir = Path(scratch) / "task"
        shutil.copytree(asset, task_dir)
        before = files_in(task_dir)
        done = subprocess.run([python, "-c", code], cwd=task_dir, env=lambda_environment(task_dir),
                              capture_output=True, text=True, check=True)
        if files_in(task_dir) != before:
            raise RuntimeError("the run wrote to the task folder: the next one would not be cold")
    return [float(value) for value in done.stdout.strip().splitlines()[-1].split()]


def files_in(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


def spread(values: list[float]) -> str:
    return f"min {min(values):.3f}  median {statistics.median(values):.3f}  max {max(values):.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    python = str(LAMBDA_PYTHON) if LAMBDA_PYTHON.exists() else sys.executable
    with tempfile.TemporaryDirectory(prefix="cold-start-asset-") as asset_dir:
        asset = Path(asset_dir)
        build_asset(asset)
        handler: list[list[float]] = []
        bare: list[float] = []
        for run in range(args.runs):  # interleaved, the order flipped each run: noise hits both alike
            if run % 2:
                bare.append(timed_run(python, asset, CRHELPER_RUN)[0])
            handler.append(timed_run(python, asset, HANDLER_RUN))
            if not run % 2:
                bare.append(timed_run(python, asset, CRHELPER_RUN)[0])
        compiled = len(list(asset.rglob("*.pyc")))
    report(python, handler, bare, compiled)


def report(python: str, handler: list[list[float]], bare: list[float], compiled: int) -> None:
    versions = subprocess.run([python, "-c", "import sys, boto3; print(sys.version.split()[0], boto3.__version__)"],
                              capture_output=True, text=True, check=True).stdout.split()
    totals = [total for _, total in handler]
    print(f"cold start, {len(bare)} fresh runs each, interleaved (Python {versions[0]}, boto3 {versions[1]}; "
          f"the asset carries bytecode for {compiled} modules):")
    print(f"  handler import + first client  {spread(totals)}")
    print(f"    of which the first client    {spread([total - imported for imported, total in handler])}")
    print(f"  bare CfnResource()             {spread(bare)}")
    paired = [ours / floor for ours, floor in zip(totals, bare, strict=True)]
    print(f"  ratio: median of paired runs {statistics.median(paired):.3f}, of medians "
          f"{statistics.median(totals) / statistics.median(bare):.3f} (goal: at most 1.05)")


if __name__ == "__main__":
    main()
