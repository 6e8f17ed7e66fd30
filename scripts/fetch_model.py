"""Carry the ``finspace-data`` API model into the Lambda asset.

botocore 1.43.116 is the last release that ships this model (see
``docs/FACTS.md``). This script downloads that wheel from the package
registry, takes the model files, keeps the operations this project calls (users,
permission groups and the credentials exchange: ``OPERATIONS``) with the shapes they
reach, strips every ``documentation`` string (constraints, routes, errors, paginators
and endpoint rules stay) and writes them under ``lambda_handler/models/``, where
botocore's loader finds them. Datasets, changesets and data views are left out: the
provider never calls them, and each Lambda cold start would parse them.

Run it with ``make model``; commit its output.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

BOTOCORE_VERSION = "1.43.116"
SERVICE = "finspace-data"
API_VERSION = "2020-07-13"
MODEL_FILES = ("service-2.json.gz", "paginators-1.json", "endpoint-rule-set-1.json.gz")
OUT_ROOT = Path(__file__).resolve().parent.parent / "lambda_handler" / "models"
# What the handler, finspace-users and the emulator call: users, permission groups, memberships.
OPERATIONS = (
    "AssociateUserToPermissionGroup", "CreatePermissionGroup", "CreateUser", "DeletePermissionGroup",
    "DisableUser", "DisassociateUserFromPermissionGroup", "EnableUser", "GetPermissionGroup",
    "GetProgrammaticAccessCredentials", "GetUser", "ListPermissionGroups", "ListPermissionGroupsByUser",
    "ListUsers", "ListUsersByPermissionGroup", "ResetUserPassword", "UpdatePermissionGroup", "UpdateUser",
)


def strip_documentation(node: Any) -> Any:
    """Return ``node`` without any ``documentation``/``documentationUrl`` keys."""
    if isinstance(node, dict):
        return {
            key: strip_documentation(value)
            for key, value in node.items()
            if key not in ("documentation", "documentationUrl")
        }
    if isinstance(node, list):
        return [strip_documentation(item) for item in node]
    return node


def keep_operations(service: dict[str, Any], operations: tuple[str, ...]) -> dict[str, Any]:
    """``service`` with only ``operations`` and the shapes their inputs, outputs and errors reach."""
    kept = {name: service["operations"][name] for name in operations}
    reached: set[str] = set()
    pending = [ref["shape"] for op in kept.values()
               for ref in (op.get("input"), op.get("output"), *op.get("errors", ())) if ref]
    while pending:
        name = pending.pop()
        if name not in reached:
            reached.add(name)
            shape = service["shapes"][name]
            pending += [ref["shape"] for ref in (shape.get("member"), shape.get("key"), shape.get("value")) if ref]
            pending += [member["shape"] for member in shape.get("members", {}).values()]
    return {**service, "operations": kept, "shapes": {k: v for k, v in service["shapes"].items() if k in reached}}


def keep_paginators(paginators: dict[str, Any], operations: tuple[str, ...]) -> dict[str, Any]:
    return {"pagination": {k: v for k, v in paginators["pagination"].items() if k in operations}}


def download_wheel(target: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--only-binary=:all:", "-d", str(target), f"botocore=={BOTOCORE_VERSION}"],
        check=True,
    )
    return next(target.glob("botocore-*.whl"))


def read_member(wheel: zipfile.ZipFile, name: str) -> Any:
    raw = wheel.read(f"botocore/data/{SERVICE}/{API_VERSION}/{name}")
    return json.loads(gzip.decompress(raw) if name.endswith(".gz") else raw)


def main() -> None:
    out_dir = OUT_ROOT / SERVICE / API_VERSION
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(download_wheel(Path(tmp))) as wheel:
        for name in MODEL_FILES:
            model = strip_documentation(read_member(wheel, name))
            if name.startswith("service-2"):
                model = keep_operations(model, OPERATIONS)
            elif name.startswith("paginators-1"):
                model = keep_paginators(model, OPERATIONS)
            target = out_dir / name.removesuffix(".gz")
            target.write_text(json.dumps(model, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    source = {"botocore": BOTOCORE_VERSION, "service": SERVICE, "apiVersion": API_VERSION,
              "operations": sorted(OPERATIONS)}
    (OUT_ROOT / "SOURCE.json").write_text(json.dumps(source, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {SERVICE} {API_VERSION} from botocore {BOTOCORE_VERSION} to {out_dir}")


if __name__ == "__main__":
    main()
