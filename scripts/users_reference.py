"""Generate the users file's JSON Schema and README reference from the pydantic models.

    python scripts/users_reference.py          # rewrite users.schema.json and the README block
    python scripts/users_reference.py --check  # exit 1 if either is out of date (the tests do this)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from finspace_constructs.users_file import Environment, GroupEntry, UserDefaults, UserEntry, UsersFile  # noqa: E402

SCHEMA = REPO / "users.schema.json"
README = REPO / "README.md"
START, END = "<!-- users-reference:start -->", "<!-- users-reference:end -->"
SECTIONS: tuple[tuple[str, type[BaseModel]], ...] = (
    ("top level", UsersFile), ("an entry of `environments`", Environment),
    ("a user (`users` entries)", UserEntry), ("`defaults` (file or environment)", UserDefaults),
    ("a permission group (`permission_groups` entries)", GroupEntry),
)


def schema_text() -> str:
    schema: dict[str, Any] = UsersFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "FinSpace users file"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def reference_text() -> str:
    lines = [START, ""]
    for title, model in SECTIONS:
        own = model.model_fields if model is not UserEntry else {
            k: v for k, v in model.model_fields.items() if k not in UserDefaults.model_fields}
        lines += [f"Keys of {title}" + (" (plus every key of `defaults`)" if model is UserEntry else "") + ":", "",
                  "| key | required | meaning |", "|---|---|---|"]
        for name, info in own.items():
            lines.append(f"| `{name}` | {'yes' if info.is_required() else 'no'} | {info.description or ''} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def readme_with_reference(readme: str) -> str:
    before, rest = readme.split(START, 1)
    after = rest.split(END, 1)[1]
    return before + reference_text() + after


def main() -> int:
    readme = README.read_text(encoding="utf-8")
    expected = {SCHEMA: schema_text(), README: readme_with_reference(readme)}
    if "--check" in sys.argv:
        stale = [path.name for path, text in expected.items() if not path.exists() or path.read_text() != text]
        if stale:
            print(f"out of date: {', '.join(stale)}; run 'make docs'", file=sys.stderr)
        return 1 if stale else 0
    for path, text in expected.items():
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
