"""Dependencies point one way: no module of the project's packages imports, however indirectly, one
that imports it back.

Each module's source is parsed (nothing is imported, so no CDK starts and no import side effect
runs); every ``import`` and ``from ... import`` counts, at module level, under ``if TYPE_CHECKING:``
and inside functions alike, relative ones resolved. ``from package import name`` is an edge to
``package.name`` when that is a module, else to ``package``. Importing a submodule runs its package's
``__init__`` too, but that is not counted as the submodule needing the package.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("finspace_local", "finspace_constructs", "lambda_handler", "finspace_users")
EXCLUDED = ("lambda_handler/models",)  # generated botocore models, not code (as mypy and ruff exclude them)


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            relative = path.relative_to(REPO)
            if any(relative.as_posix().startswith(prefix) for prefix in EXCLUDED):
                continue
            parts = relative.with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imported(module: str, path: Path, modules: dict[str, Path]) -> Iterator[str]:
    """The project's modules that ``module`` imports, anywhere in its source."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in modules else base


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {target for target in _imported(name, path, modules) if target in modules and target != name}
            for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> set[tuple[str, ...]]:
    """One cycle per back edge a depth-first search meets, rotated to start at its smallest module."""
    found: set[tuple[str, ...]] = set()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycle = path[path.index(target):]
                start = cycle.index(min(cycle))
                found.add(tuple(cycle[start:] + cycle[:start]))
            elif target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_the_graph_sees_every_package_and_their_imports() -> None:
    graph = _graph()
    assert {name.split(".")[0] for name in graph} == set(PACKAGES)
    assert "finspace_local.cfn.engine" in graph["finspace_local.cfn"]  # relative, from a package's __init__
    assert "finspace_constructs.cloudformation_quotas" in graph["finspace_local.cfn.checks"]  # absolute


def test_the_search_finds_a_cycle_through_a_type_checking_import() -> None:
    source = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(source) == {("a", "b", "c")}
    assert _cycles({"a": {"b"}, "b": set()}) == set()


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_imports_one_that_imports_it_back(package: str) -> None:
    cycles = sorted(cycle for cycle in _cycles(_graph()) if cycle[0].split(".")[0] == package)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join((*cycle, cycle[0])) for cycle in cycles)
