"""The package's shape: one folder per pipeline stage, dependencies one way, small modules.

The import graph is read from the source (every ``import`` statement, at the top of a module or
inside a function, and the lazy ``_EXPORTS`` of the package faces), so an import that only runs
later, or only for types, counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "analyzer"
MAX_LINES = 500

#: Which stage may import which: the pipeline of DESIGN.md, in the order data flows. ``base``
#: is what every stage may use (the error hierarchy, the data contract, the lazy-export helper).
BASE = {"errors", "schema", "_base"}
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "schema": set(),
    "_base": set(),
    "fit": set(),
    "metrics": set(),
    # ingest finds, decodes and summarises, and hands the store its rows (store.rows)
    "ingest": {"fit", "metrics", "store"},
    # the store only stores and reads: it never runs the importer or decodes a file
    "store": {"metrics"},
    "risk": {"metrics"},
    "plan": {"risk"},
    # the one analysis per athlete: everything a runner is told, built from the store's frames
    "analysis": {"plan", "risk", "metrics", "store"},
    # the simulator writes FIT files; its evaluation harness (simulate.summaries / evaluate /
    # figures) runs the judgement on scenario athletes as the CLI would
    "simulate": {"fit", "metrics", "risk", "plan", "analysis"},
    "report": {"analysis", "plan", "risk", "metrics", "store"},
    # the local app (analyzer serve): pages and JSON over the same analysis as the CLI
    "app": {"report", "analysis", "plan", "risk", "metrics", "store", "ingest", "fit"},
    "demo": {"report", "analysis", "simulate", "store", "ingest", "plan", "risk", "metrics"},
    "cli": {
        "app",
        "demo",
        "report",
        "analysis",
        "plan",
        "risk",
        "metrics",
        "store",
        "ingest",
        "fit",
        "simulate",
    },
    "__main__": {"cli"},
    "__init__": {"fit", "ingest", "store", "risk", "plan", "analysis"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(base: str, name: str | None) -> str:
    """``from base import name``: the submodule when ``name`` is one, else ``base``."""
    if name and f"{base}.{name}" in MODULES:
        return f"{base}.{name}"
    return base


def imports_of(module: str) -> set[str]:
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "analyzer")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            if base.split(".")[0] != "analyzer":
                continue
            found.update(_resolve(base, a.name) for a in node.names)
        elif (
            isinstance(node, ast.Assign)
            and path.name == "__init__.py"
            and any(isinstance(t, ast.Name) and t.id == "_EXPORTS" for t in node.targets)
        ):
            where = ast.literal_eval(node.value)
            found.update(f"{module}.{sub}" for sub in where.values())
    found.discard(module)
    return {m for m in found if m in MODULES}


GRAPH = {m: imports_of(m) for m in MODULES}


def stage(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def test_no_import_circle():
    """Depth-first search for a back edge; the message names the whole circle."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(GRAPH[m]):
            if state.get(n) == 1:
                circle = stack[stack.index(n) :] + [n]
                pytest.fail("import circle: " + " -> ".join(circle))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m)


def test_the_graph_is_read():
    """The reader sees real edges (a broken reader would pass the circle test vacuously)."""
    assert "analyzer.fit.activity" in GRAPH["analyzer.ingest.worker"]
    assert "analyzer.store.rows" in GRAPH["analyzer.ingest.importer"]
    assert "analyzer.risk.assessment" in GRAPH["analyzer.risk"]


def test_stages_depend_one_way():
    wrong = sorted(
        f"{m} imports {n}"
        for m, targets in GRAPH.items()
        for n in targets
        if stage(n) != stage(m) and stage(n) not in ALLOWED[stage(m)] | BASE
    )
    assert not wrong, "imports against the pipeline's direction:\n" + "\n".join(wrong)


def test_the_store_never_imports_ingest():
    """The store stores and reads; importing is ``analyzer.import_paths(store, paths)``."""
    wrong = sorted(
        f"{m} imports {n}"
        for m, targets in GRAPH.items()
        if stage(m) == "store"
        for n in targets
        if stage(n) == "ingest"
    )
    assert not wrong, "the store reaches into ingest:\n" + "\n".join(wrong)


def test_the_rule_sees_a_store_importing_ingest(tmp_path):
    """The reader catches an import inside a function (the kind the store used to have)."""
    planted = tmp_path / "planted.py"
    planted.write_text("def f():\n    from analyzer.ingest.importer import run_import\n")
    MODULES["analyzer.store.planted"] = planted
    try:
        assert "analyzer.ingest.importer" in imports_of("analyzer.store.planted")
    finally:
        del MODULES["analyzer.store.planted"]


def test_every_stage_is_known():
    assert {stage(m) for m in MODULES} <= set(ALLOWED)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_is_small(module):
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{MODULES[module].relative_to(PACKAGE.parent)}: {lines} lines"


@pytest.mark.parametrize(
    "package", sorted(m for m, p in MODULES.items() if p.name == "__init__.py")
)
def test_each_folder_says_what_it_takes_and_gives(package):
    doc = ast.get_docstring(ast.parse(MODULES[package].read_text(encoding="utf-8")))
    assert doc and len(doc.split()) >= 12, f"{package} has no docstring saying what it does"


def test_readme_maps_every_stage():
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    folders = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    missing = [f for f in folders if f"{f}/" not in readme]
    assert not missing, f"README's folder map lacks {missing}"


def private_uses(path: Path) -> list[str]:
    """Where a module reaches into another's private names: ``from analyzer.x import _name``,
    or ``obj._name`` on anything but ``self`` / ``cls`` (a split made by line count leaves
    these; a concept has a public face)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("analyzer"):
            found += [
                f"{path.name}:{node.lineno} imports {a.name}"
                for a in node.names
                if a.name.startswith("_") and not a.name.startswith("__")
            ]
        elif (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and isinstance(node.value, ast.Name)
            and node.value.id not in ("self", "cls")
        ):
            found.append(f"{path.name}:{node.lineno} uses {node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_names_across_modules(module):
    assert not private_uses(MODULES[module])


def test_the_private_check_sees_what_it_is_for(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from analyzer.risk.modelfile import _x\n"
        "def f(store):\n    return store._records_by_key(1), self._fine\n"
    )
    assert private_uses(bad) == [
        "bad.py:1 imports _x",
        "bad.py:3 uses store._records_by_key",
    ]


def _faces():
    for module, path in MODULES.items():
        if path.name != "__init__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = next(
            (
                ast.literal_eval(n.value)
                for n in tree.body
                if isinstance(n, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "_EXPORTS" for t in n.targets)
            ),
            None,
        )
        if where is not None:
            yield module, tree, where


@pytest.mark.parametrize(
    ("module", "tree", "where"), list(_faces()), ids=[m for m, _, _ in _faces()]
)
def test_lazy_names_are_seen_by_editors_and_dir(module, tree, where):
    """One way to load a stage lazily: the literal map, the same names imported under
    ``if TYPE_CHECKING:`` (editors, type checkers) and listed by ``dir()`` (notebooks)."""
    import importlib

    typed = {
        (a.asname or a.name): node.module[len(module) + 1 :]
        for block in tree.body
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for a in node.names
    }
    assert typed == dict(where)
    assert set(where) <= set(dir(importlib.import_module(module)))


def test_few_modules_directly_in_the_package():
    """The package is its stage folders; at most six modules stand beside them (the face, the
    entry point, the error hierarchy, the data contract, the demo...)."""
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(loose) <= 6, loose
