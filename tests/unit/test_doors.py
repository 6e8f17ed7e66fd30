"""One door between packages: the constructs and the command line reach the handler only through
:mod:`finspace_constructs.handler_shared`, and the command line reaches the local stand-ins only
through :mod:`finspace_users.local`.

Each module's source is parsed (nothing is imported): every ``import`` and ``from ... import``
counts, at module level, under ``if TYPE_CHECKING:`` and inside functions alike, relative ones
resolved. A dynamic import (``importlib``, ``__import__``, ``runpy``) is how the handler is reached
where its location is chosen at run time, so only the handler's door may make one. A module that
lists in its ``__all__`` a name it took from a door is a door in front of the door (a re-export
shim), and counts as another door too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("finspace_constructs", "finspace_users")  # what the distribution installs
EXCLUDED = ("_asset", "_asset_bytecode")  # a built asset's copy of the handler and its dependencies
DOORS = {  # a package across a boundary: the one module of PACKAGES that imports it
    "lambda_handler": "finspace_constructs.handler_shared",
    "finspace_local": "finspace_users.local",
}
DYNAMIC_DOOR = DOORS["lambda_handler"]  # the handler is found at run time: in the repository or in the asset
DYNAMIC_IMPORTERS = ("importlib", "runpy")
NOT_IMPORTERS = ("importlib.metadata", "importlib.resources")  # they read packages, they import no module


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            if any(part in EXCLUDED for part in parts):
                continue
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(module: str, is_package: bool, tree: ast.AST) -> Iterator[tuple[ast.stmt, str, list[ast.alias]]]:
    """Each import statement, the module it imports from (relative ones resolved) and its names."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            yield node, base, node.names


def _exported(tree: ast.Module) -> set[str]:
    """The module's literal ``__all__``."""
    for node in tree.body:
        if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
                and isinstance(node.value, ast.List | ast.Tuple)):
            return {e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return set()


def _under(name: str, package: str) -> bool:
    return name == package or name.startswith(f"{package}.")


def crossings(module: str, source: str, is_package: bool = False) -> list[str]:
    """What ``module`` does across a boundary that only a door may do, one line each (empty: nothing)."""
    tree = ast.parse(source)
    found: list[str] = []
    from_doors: set[str] = set()
    for node, imported, names in _imports(module, is_package, tree):
        where = f"{module}:{node.lineno}"
        for package, door in DOORS.items():
            if _under(imported, package) and module != door:
                found.append(f"{where} imports {imported}: only {door} may")
        if (any(_under(imported, d) for d in DYNAMIC_IMPORTERS) and not any(_under(imported, n) for n in NOT_IMPORTERS)
                and module != DYNAMIC_DOOR):
            found.append(f"{where} imports {imported}, a dynamic import: only {DYNAMIC_DOOR} may")
        if imported in DOORS.values() and imported != module:
            if any(alias.name == "*" for alias in names):
                found.append(f"{where} imports * from {imported}: a door's names are imported by name")
            from_doors |= {alias.asname or alias.name for alias in names}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "__import__"
                and module != DYNAMIC_DOOR):
            found.append(f"{module}:{node.lineno} calls __import__, a dynamic import: only {DYNAMIC_DOOR} may")
    found += [f"{module} exports {name}, a door's name: a re-export shim is another door (import it from the door)"
              for name in sorted(_exported(tree) & from_doors)]
    return found


def test_each_door_is_a_module_of_the_distribution_and_does_import_across() -> None:
    modules = _modules()
    for package, door in DOORS.items():
        imported = {name for _, name, _ in _imports(door, False, ast.parse(modules[door].read_text()))}
        assert any(_under(name, package) for name in imported), f"{door} no longer imports {package}"


@pytest.mark.parametrize("package", PACKAGES)
def test_only_the_doors_import_the_handler_or_the_stand_ins(package: str) -> None:
    found = [line for module, path in _modules().items() if _under(module, package)
             for line in crossings(module, path.read_text(), path.name == "__init__.py")]
    assert not found, "another door:\n" + "\n".join(found)


@pytest.mark.parametrize(("module", "source"), [
    ("finspace_users.reader", "from lambda_handler.api import ApiSession\n"),
    ("finspace_users.reader", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import lambda_handler.api\n"),
    ("finspace_users._handler", "from importlib import import_module\n"
                                "from finspace_constructs.handler_shared import HANDLER_PACKAGE\n"
                                "properties = import_module(f'{HANDLER_PACKAGE}.properties')\n"),
    ("finspace_users.reader", "properties = __import__('lambda_handler.properties')\n"),
    ("finspace_constructs.user", "def f():\n    from finspace_local.cdk_app import synth\n"),
    ("finspace_users.web_app", "def f():\n    from finspace_local.webapp import ADMINISTRATOR_EMAILS\n"),
    ("finspace_users.stand_ins", "from .local import Emulator, StackStore\n__all__ = ['Emulator', 'StackStore']\n"),
    ("finspace_users._handler", "from finspace_constructs.handler_shared import ApiSession as ApiSession\n"
                                "__all__ = ['ApiSession']\n"),
    ("finspace_users.reader", "from finspace_constructs.handler_shared import *\n"),
])
def test_another_door_is_found(module: str, source: str) -> None:
    assert crossings(module, source)


def test_using_a_door_is_no_door() -> None:
    assert crossings("finspace_users.demo", "from .local import Emulator\nfrom finspace_constructs.handler_shared "
                                            "import ProviderRole\n__all__ = ['deploy']\n") == []
    assert crossings("finspace_users.cli", "def f():\n    from . import demo\n    from .local import StackStateError\n"
                                           "from importlib.metadata import version\n") == []
