"""The layout's rules, read from the code's own imports (static: lazy imports count too).

- The Lambda's handler never reaches the command line, the simulator or tests, so the
  asset can leave them out (infra/bundle.py) and still run.
- decide/ is pure: no I/O library, directly or through what it imports.
- Each role folder imports only the layers beneath it, and no module imports itself
  back through a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from infra.bundle import NOT_SHIPPED

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
IO_LIBRARIES = {"boto3", "botocore", "httpx", "sqlite3", "socket", "urllib3", "http", "requests"}
# What each role folder may import inside functions.monitor (besides itself).
ALLOWED = {
    "observe": {"models", "config", "values"},
    "decide": {"models", "config", "values"},
    "tell": {"models", "config", "values", "decide"},
    "keep": {"models", "config", "values", "decide", "aws"},
    "config": {"values"},
    "models": set(),
    "values": set(),
}
MAX_LINES = 450


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in FUNCTIONS.rglob("*.py")}


MODULES = _modules()


def _imports(name: str) -> set[str]:
    """Every module `name` imports, anywhere in its body, resolved to absolute names."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            # `from package import module` names a module too
            found |= {f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in MODULES}
    return found


def _internal(name: str) -> set[str]:
    return {m for m in _imports(name) if m in MODULES and m != name}


def _reachable(start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in _internal(todo.pop()):
            # importing a.b.c runs a/__init__ and a/b/__init__ too
            parts = nxt.split(".")
            for i in range(1, len(parts) + 1):
                mod = ".".join(parts[:i])
                if mod in MODULES and mod not in seen:
                    seen.add(mod)
                    todo.append(mod)
    return seen


def _role(name: str) -> str | None:
    parts = name.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["functions", "monitor"] else None


def test_given_the_handler_when_its_imports_are_walked_then_no_cli_simulator_or_tests():
    reached = _reachable("functions.monitor.handler")
    forbidden = sorted(
        m
        for m in reached
        if m.startswith(("functions.simulator", "functions.monitor.cli", "tests"))
        or m == "functions.monitor.__main__"
    )
    assert forbidden == []
    # and the cycle, the stores and the notifiers are reached: the walk itself works
    assert {"functions.monitor.cycle", "functions.monitor.keep.dynamo"} <= reached
    assert "functions.monitor.tell.notifiers" in reached


def test_given_the_bundle_when_it_leaves_code_out_then_the_handler_needs_none_of_it():
    reached = _reachable("functions.monitor.handler")
    shipped_out = {
        m
        for m, path in MODULES.items()
        if any(path.relative_to(FUNCTIONS).as_posix().startswith(prefix) for prefix in NOT_SHIPPED)
    }
    assert shipped_out, "the bundle leaves something out"
    assert reached & shipped_out == set()


def test_given_decide_when_its_imports_are_followed_then_no_io_library_is_reached():
    for name in MODULES:
        if _role(name) != "decide":
            continue
        external = {m.split(".")[0] for r in _reachable(name) for m in _imports(r)}
        assert external & IO_LIBRARIES == set(), name


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_given_a_role_folder_when_it_imports_then_only_layers_beneath_it(role):
    for name in MODULES:
        if _role(name) != role:
            continue
        roles = {_role(m) for m in _internal(name)} - {role, None}
        assert roles <= ALLOWED[role], (name, roles - ALLOWED[role])


def test_given_every_module_when_imports_are_followed_then_there_is_no_circle():
    graph = {name: _internal(name) - {name} for name in MODULES}
    # a package's __init__ is imported by its children implicitly, not a circle
    state: dict[str, int] = {}
    circles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                circles.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_given_every_module_when_counted_then_none_is_over_the_size_that_hides_a_role():
    # The CDK app (infra/) is held to the same rule as the function's code
    paths = [*MODULES.values(), *(ROOT / "infra").glob("*.py")]
    long = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in paths}
    assert {n: c for n, c in long.items() if c > MAX_LINES} == {}


def test_given_a_module_that_imports_boto3_when_checked_then_the_walk_sees_it():
    """The I/O check can fail: keep/dynamo reaches botocore, so the rule has teeth."""
    external = {m.split(".")[0] for m in _imports("functions.monitor.keep.dynamo")}
    assert "botocore" in external
