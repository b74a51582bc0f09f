"""The house (STYLE.md): data flows one way, scenario -> compile -> runtime -> kernels -> results
-> views, with no import running back up and no cycle, lazy imports included."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "detente"

# lower rooms never import higher ones; a room may import itself and anything below it
RANK = {
    "errors": 0, "seeds": 0, "options": 0, "collector": 0, "__init__": 0, "_version": 0,
    "registry": 1,
    "scenario": 2,
    "compile": 3,
    "models": 4, "war": 4,
    "results": 5,
    "runtime": 6, "budget": 6,
    "analysis": 7,
    "forecast": 8, "evidence": 8,
    "views": 9, "report": 9, "web": 9, "cli": 9, "demo": 9, "warm": 9, "__main__": 9,
    "jsonout": 0,
}


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports() -> dict[str, set[str]]:
    """Every detente module and the detente modules it imports (anywhere in its body)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            found |= {t for t in targets if t in modules and t != name}
        graph[name] = found
    return graph


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_no_import_runs_back_up():
    upward = [(m, t) for m, targets in imports().items() for t in targets
              if RANK[room(t)] > RANK[room(m)]]
    assert not upward, "\n".join(f"{m} imports {t}" for m, t in upward)


def test_no_import_cycle():
    graph = imports()
    # a package and its own submodules are one node (``detente.models`` re-exports its parts)
    def node(m: str) -> str:
        return m
    seen: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(m: str) -> None:
        seen[m] = 1
        stack.append(m)
        for t in sorted(graph[m]):
            if t.startswith(m + ".") or m.startswith(t + "."):
                continue  # a package importing its own submodule (or the reverse) is one room
            if seen.get(t) == 1:
                cycles.append([*stack[stack.index(t):], t])
            elif t not in seen:
                visit(t)
        stack.pop()
        seen[m] = 2

    for m in sorted(graph):
        if m not in seen:
            visit(node(m))
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_the_options_module_depends_on_no_kernel():
    graph = imports()
    assert graph["detente.options"] <= {"detente.errors"}
    assert not any(room(t) in ("models", "war", "runtime") for t in graph["detente.registry"])
