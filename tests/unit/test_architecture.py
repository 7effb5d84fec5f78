"""The engine's import structure: no cycle between modules, no stage importing a later stage.

Imports are read with ``ast`` from the source files (module-level and function-level imports both
count; ``if TYPE_CHECKING:`` imports too), so a lazy import cannot hide a cycle. The stage order is
written down once, in ``STAGES`` below: a module may import shared modules, modules of its own stage
and of earlier stages, never of a later one. Every engine module must be placed, so that a new module
gets a stage on purpose.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import REPO

#: used from anywhere; they import only each other (sacoche_schema: SACoche's DDL, for tests and the demo)
SHARED = (
    "engine",
    "engine.errors",
    "engine.ops",
    "engine.ops_run",
    "engine.names",
    "engine.rules",
    "engine.rules_check",
    "engine.rules_model",
    "engine.cache",
    "engine.codecache",
    "engine.templatecache",
    "engine.yamlpos",
    "engine.dburl",
    "engine.sacoche_schema",
)

#: the pipeline's stages, earliest first; a name stands for the module and, for a package, its submodules
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # the export files (engine.read) and SACoche's database as it is now
    (
        "read",
        (
            "engine.read",
            "engine.connection",
            "engine.state",
            "engine.state_rows",
            "engine.archive",
            "engine.widths",
            "engine.readset",
            "engine.readset_touched",
            "engine.readset_sql",
            "engine.target",
        ),
    ),
    ("match", ("engine.match",)),
    ("plan", ("engine.plan",)),
    ("render", ("engine.render",)),
    # commands: they put the stages together
    (
        "commands",
        (
            "engine.pipeline",
            "engine.pipeline_parents",
            "engine.review",
            "engine.overview",
            "engine.outpaths",
            "engine.draft",
            "engine.draft_headers",
            "engine.draft_model",
            "engine.draft_values",
            "engine.draft_yaml",
            "engine.batch_map",
            "engine.batch_run",
            "engine.batch_pool",
            "engine.batch",
            "engine.cliguard",
            "engine.cli_shared",
            "engine.cli_inspect",
            "engine.cli_plan",
            "engine.cli_rules",
            "engine.cli_review",
            "engine.cli_apply",
            "engine.cli_batch",
            "engine.cli",
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class Edge:
    """``source`` imports ``target`` at ``file:line``."""

    source: str
    target: str
    file: str
    line: int

    def where(self) -> str:
        return f"{self.file}:{self.line}"


def modules(root: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` (a directory under ``root``) by dotted name; a package by its name."""
    found: dict[str, Path] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _resolve(name: str, known: Mapping[str, Path]) -> str | None:
    """The longest known module that ``name`` is or lies in, else None (outside the package)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def import_edges(root: Path, package: str) -> list[Edge]:
    """All imports between modules of ``package``, wherever they stand in a file."""
    known = modules(root, package)
    edges: list[Edge] = []
    for module, path in known.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        rel = str(path.relative_to(root))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = module.split(".") if is_package else module.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from pkg import sub` imports the submodule when there is one
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
            for target in targets:
                resolved = _resolve(target, known)
                if resolved is not None and resolved != module:
                    edges.append(Edge(module, resolved, rel, node.lineno))
    return edges


def _placement(
    module: str, shared: Sequence[str], stages: Sequence[tuple[str, Sequence[str]]], root_package: str
) -> int | None:
    """-1 for a shared module, the stage's index, or None when unplaced (longest name wins)."""
    best: tuple[int, int] | None = None  # (length of the matching name, rank)
    entries = [(name, -1) for name in shared] + [(n, i) for i, (_, names) in enumerate(stages) for n in names]
    for name, rank in entries:
        inside = module.startswith(name + ".") and name != root_package
        if (module == name or inside) and (best is None or len(name) > best[0]):
            best = (len(name), rank)
    return None if best is None else best[1]


def _cycles(edges: Iterable[Edge]) -> list[list[Edge]]:
    """One cycle (as its edges) per strongly connected group of modules that has one."""
    graph: dict[str, dict[str, Edge]] = {}
    for e in edges:
        graph.setdefault(e.source, {}).setdefault(e.target, e)
    found: list[list[Edge]] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[Edge] = []

    def visit(node: str) -> None:
        state[node] = 1
        for target, edge in sorted(graph.get(node, {}).items()):
            if state.get(target) == 1:
                start = (
                    next(i for i, e in enumerate(path) if e.source == target) if target != node else len(path)
                )
                found.append([*path[start:], edge])
            elif state.get(target) is None:
                path.append(edge)
                visit(target)
                path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def problems(
    root: Path,
    package: str,
    shared: Sequence[str] = SHARED,
    stages: Sequence[tuple[str, Sequence[str]]] = STAGES,
) -> list[str]:
    """Every breach of the structure, one line each, naming the file and line of the offending import."""
    out: list[str] = []
    names = ["shared", *(name for name, _ in stages)]
    for module, path in modules(root, package).items():
        if _placement(module, shared, stages, package) is None:
            out.append(f"{path.relative_to(root)}: {module} has no stage: add it to STAGES or SHARED")
    edges = import_edges(root, package)
    for e in edges:
        src = _placement(e.source, shared, stages, package)
        dst = _placement(e.target, shared, stages, package)
        if src is None or dst is None:
            continue
        if src == -1 and dst != -1:
            out.append(f"{e.where()}: shared module {e.source} imports {e.target} ({names[dst + 1]})")
        elif dst > src:
            out.append(
                f"{e.where()}: {e.source} ({names[src + 1]}) imports {e.target} "
                f"({names[dst + 1]}), a later stage"
            )
    for cycle in _cycles(edges):
        chain = " → ".join([cycle[0].source, *(f"{e.target} ({e.where()})" for e in cycle)])
        out.append(f"import cycle: {chain}")
    return out


# --- the engine itself ---------------------------------------------------------------------------------


def test_engine_imports_follow_the_stages_without_cycles() -> None:
    assert problems(REPO, "engine") == []


def test_the_stage_list_names_only_real_modules() -> None:
    known = modules(REPO, "engine")
    listed = [*SHARED, *(n for _, names in STAGES for n in names)]
    assert [n for n in listed if n not in known] == []
    assert len(listed) == len(set(listed))


# --- the checker, on tiny synthetic packages --------------------------------------------------------------


def _package(tmp_path: Path, files: Mapping[str, str]) -> Path:
    for name, text in {"__init__.py": "", **files}.items():
        path = tmp_path / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


_TINY_STAGES = (("first", ("pkg.early",)), ("second", ("pkg.late",)))


def test_a_clean_package_passes(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "util.py": "",
            "early/__init__.py": "from pkg.early.rows import rows\n",
            "early/rows.py": "from pkg import util\n\ndef rows():\n    return util\n",
            "late.py": "from pkg.early import rows\nfrom . import util\n",
        },
    )
    assert import_edges(root, "pkg")  # the checker saw the imports
    assert problems(root, "pkg", ("pkg", "pkg.util"), _TINY_STAGES) == []


def test_a_function_level_import_cycle_fails(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "early.py": "def f():\n    from pkg.late import g\n    return g\n",
            "late.py": "from pkg import early\n\ndef g():\n    return early\n",
        },
    )
    found = problems(root, "pkg", ("pkg",), (("one", ("pkg.early", "pkg.late")),))
    assert found == ["import cycle: pkg.early → pkg.late (pkg/early.py:2) → pkg.early (pkg/late.py:1)"]


def test_a_stage_importing_a_later_stage_fails(tmp_path: Path) -> None:
    root = _package(
        tmp_path, {"early.py": "\n\nimport pkg.late.sub\n", "late/__init__.py": "", "late/sub.py": ""}
    )
    stages = (("first", ("pkg.early",)), ("second", ("pkg.late",)))
    assert problems(root, "pkg", ("pkg",), stages) == [
        "pkg/early.py:3: pkg.early (first) imports pkg.late.sub (second), a later stage"
    ]


def test_a_shared_module_importing_a_stage_fails(tmp_path: Path) -> None:
    root = _package(tmp_path, {"util.py": "from .early import x\n", "early.py": "x = 1\n", "late.py": ""})
    assert problems(root, "pkg", ("pkg", "pkg.util"), _TINY_STAGES) == [
        "pkg/util.py:1: shared module pkg.util imports pkg.early (first)"
    ]


def test_an_unplaced_module_fails(tmp_path: Path) -> None:
    root = _package(tmp_path, {"early.py": "", "late.py": "", "stray.py": ""})
    assert problems(root, "pkg", ("pkg",), _TINY_STAGES) == [
        "pkg/stray.py: pkg.stray has no stage: add it to STAGES or SHARED"
    ]


def test_a_package_importing_a_name_from_its_own_init_is_a_cycle(tmp_path: Path) -> None:
    """``from pkg.early import Name`` inside pkg.early's submodule runs ``__init__`` that imports it back."""
    root = _package(
        tmp_path,
        {
            "early/__init__.py": "from pkg.early.a import A\n",
            "early/a.py": "from pkg.early import B\nA = B\n",
            "late.py": "",
        },
    )
    assert problems(root, "pkg", ("pkg",), _TINY_STAGES) == [
        "import cycle: pkg.early → pkg.early.a (pkg/early/__init__.py:1) → pkg.early (pkg/early/a.py:1)"
    ]
