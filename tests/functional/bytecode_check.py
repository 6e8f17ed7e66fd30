"""Which modules of a Lambda asset lack valid bytecode for the runtime, as the runtime's Python judges."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from finspace_constructs._assemble import runtime_python

__all__ = ["invalid_bytecode"]

# Run by the runtime's Python: the modules of a tree whose bytecode is missing, of another Python,
# not checked-hash, or not the bytecode of the source beside it.
INVALID_BYTECODE = """
import importlib.util, json, sys
from pathlib import Path
root = Path(sys.argv[1])
invalid = []
for source in sorted(root.rglob("*.py")):
    cached = Path(importlib.util.cache_from_source(str(source)))
    data = cached.read_bytes() if cached.is_file() else b""
    if (data[:4] != importlib.util.MAGIC_NUMBER or int.from_bytes(data[4:8], "little") != 0b11
            or data[8:16] != importlib.util.source_hash(source.read_bytes())):
        invalid.append(source.relative_to(root).as_posix())
print(json.dumps(invalid))
"""


def invalid_bytecode(tree: Path) -> list[str]:
    runtime = runtime_python()
    assert runtime is not None, "no Python of the runtime's version to judge with"
    done = subprocess.run([runtime, "-c", INVALID_BYTECODE, str(tree)], capture_output=True, text=True,
                          check=True, timeout=120)
    invalid: list[str] = json.loads(done.stdout)
    return invalid
