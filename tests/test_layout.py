"""The package's shape: no import cycles, and triggers that only declare.

A cycle works until someone imports the modules in another order; the graph is read from the
source (every `import` of a `shared` module, at module level or inside a function, outside
`if TYPE_CHECKING:`), so a cycle fails here before it fails at a cold start.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.paths import ROOT

PACKAGE = ROOT / "shared"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported_by(name: str) -> set[str]:
    """The `shared` modules that `name` imports anywhere in its body."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in walk_outside_type_checking(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            submodules = [f"{base}.{alias.name}" for alias in node.names]
            # `from pkg import mod` depends on the module; `from mod import name` on `mod`.
            found.update(m for m in submodules if m in MODULES)
            if not all(m in MODULES for m in submodules):
                found.add(base)
    return {m for m in found if m in MODULES and m != name}


def walk_outside_type_checking(tree: ast.AST) -> list[ast.AST]:
    nodes: list[ast.AST] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
            continue
        nodes.append(node)
        pending.extend(ast.iter_child_nodes(node))
    return nodes


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_the_graph_is_read_from_real_imports() -> None:
    assert "shared.pipeline" in imported_by("shared.api.handlers")
    assert "shared.teams.delivery" in imported_by("shared.pipeline")


def test_no_module_of_shared_imports_itself_back() -> None:
    graph = {name: imported_by(name) for name in MODULES}
    assert cycles(graph) == []


def test_a_cycle_is_found_when_there_is_one() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_trigger_modules_declare_and_load_their_handlers_on_first_use() -> None:
    # function_app imports every trigger module at each cold start: they may import only the
    # names of queues and connections (and the timers, their schedule entries) at module level.
    for name, path in MODULES.items():
        if not name.startswith("shared.triggers."):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = {
            node.module
            for node in tree.body
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("shared")
        }
        # shared.triggers.loading: the standard-library helper that loads a handler off the
        # event loop on its first request (it imports nothing of the app itself).
        allowed = {"shared.config.bindings", "shared.schedules.entries", "shared.triggers.loading"}
        assert top_level <= allowed, (name, top_level)
