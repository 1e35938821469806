"""Dependencies point one way: faces -> use cases -> domain -> storage.

Read from the source with `ast` (every import, module-level or inside a function), so
an import added anywhere is seen without running it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.paths import ROOT

CORE = ROOT / "layers" / "core"
FACES = ("choleor.cli", "choleor.edge.handler", "functions")
USECASES = ("choleor.usecases",)
STORAGE = ("choleor.storage", "choleor.stack", "choleor.config", "choleor.errors")
RANKS = {"face": 3, "usecases": 2, "domain": 1, "storage": 0}
# What a face may take from the core besides the use cases: the errors it turns into messages.
FACE_MAY_IMPORT = ("choleor.usecases", "choleor.errors")


def _within(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def layer(name: str) -> str:
    if _within(name, FACES):
        return "face"
    if _within(name, USECASES):
        return "usecases"
    if _within(name, STORAGE):
        return "storage"
    return "domain"


def _module_files() -> dict[str, Path]:
    files = {}
    for path in sorted((CORE / "choleor").rglob("*.py")):
        parts = path.relative_to(CORE).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    for path in sorted((ROOT / "functions").glob("*/app.py")):
        files[f"functions.{path.parent.name}.app"] = path
    return files


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The choleor modules `name` imports (a `from pkg import sub` counts as importing pkg.sub)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import choleor.x.y` names a module; trim attributes
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def graph() -> dict[str, set[str]]:
    files = _module_files()
    known = set(files)
    return {name: _imports(name, path, known) for name, path in files.items()}


def upward(g: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{a} ({layer(a)}) imports {b} ({layer(b)})"
        for a, deps in g.items()
        for b in deps
        if RANKS[layer(b)] > RANKS[layer(a)]
    )


def faces_past_usecases(g: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{a} imports {b}"
        for a, deps in g.items()
        if layer(a) == "face"
        for b in deps
        if layer(b) != "face" and not _within(b, FACE_MAY_IMPORT)
    )


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(g):
        if v not in index:
            visit(v)
    return found


def _without_packages(g: dict[str, set[str]]) -> dict[str, set[str]]:
    """A package's __init__ re-exporting its own modules is not a circle: drop those edges."""
    return {
        a: {b for b in deps if not a.startswith(b + ".") and not b.startswith(a + ".")}
        for a, deps in g.items()
    }


def test_no_import_circles():
    assert cycles(_without_packages(graph())) == []


def test_no_upward_imports():
    assert upward(graph()) == []


def test_faces_go_through_the_use_cases():
    assert faces_past_usecases(graph()) == []


def test_the_checks_catch_a_circle_and_an_upward_import():
    g = graph()
    g["choleor.songs"] = g["choleor.songs"] | {"choleor.cli"}
    assert "choleor.songs (domain) imports choleor.cli (face)" in upward(g)
    g = graph()
    g["choleor.storage.records"] = g["choleor.storage.records"] | {"choleor.songs"}
    g["choleor.songs"] = g["choleor.songs"] | {"choleor.storage.records"}
    assert any({"choleor.songs", "choleor.storage.records"} <= set(c) for c in cycles(_without_packages(g)))
    g = graph()
    g["functions.api.app"] = g["functions.api.app"] | {"choleor.songs"}
    assert faces_past_usecases(g) == ["functions.api.app imports choleor.songs"]


def test_the_api_imports_without_the_numpy_stack():
    """The API's function imports the use cases; numpy loads only when a heavy step runs."""
    code = (
        "import sys; sys.path.insert(0, 'functions/api'); import app; "
        "print(sorted(m for m in ('numpy', 'sklearn', 'scipy', 'cv2', 'librosa') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
