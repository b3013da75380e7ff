"""The layering of docs/architecture.md, checked on the source: who may import whom, no cycles,
modules small enough to read, and the plan arithmetic importable without torch or VapourSynth."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "vsafi"
#: The VapourSynth-facing layer: the only modules that may import vapoursynth.
VAPOURSYNTH_FACING = {"vsafi.filter", "vsafi.arguments", "vsafi.graph", "vsafi.frames",
                      "vsafi.analysis", "vsafi.cli", "vsafi.demo", "vsafi.synthetic.scenes", "vsafi.encode",
                      "vsafi.prebuild"}
#: Plan arithmetic and measurement that must not need torch or VapourSynth.
PURE = ["vsafi.timing", "vsafi.modes", "vsafi.modes.plain.plan", "vsafi.modes.forward.plan",
        "vsafi.modes.forward.blocks", "vsafi.modes.forward.cadence", "vsafi.modes.gray", "vsafi.modes.drba.plan",
        "vsafi.modes.drop.plan", "vsafi.models.registry"]
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path, top_level_only: bool) -> set[str]:
    """Absolute names of what ``path`` imports; ``top_level_only`` skips imports inside
    functions and ``if TYPE_CHECKING`` blocks (those cannot make an import cycle)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                found.add(base)
                found.update(f"{base}.{a.name}" for a in node.names)
            elif isinstance(node, ast.If) and top_level_only:
                if "TYPE_CHECKING" not in ast.unparse(node.test):
                    visit(node.body + node.orelse)
            elif isinstance(node, (ast.Try, ast.With)) and top_level_only:
                visit(node.body)
            elif not top_level_only:
                visit([n for n in ast.iter_child_nodes(node) if isinstance(n, ast.stmt)])

    visit(tree.body)
    return found


def test_no_import_cycle_inside_vsafi():
    mods = modules()
    graph = {m: {i for i in imports(p, top_level_only=True) if i in mods and i != m} for m, p in mods.items()}
    state: dict[str, int] = {}
    path: list[str] = []

    def walk(m: str) -> None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph[m]):
            assert state.get(n) != 1, f"import cycle: {' -> '.join(path[path.index(n):] + [n])}"
            if n not in state:
                walk(n)
        path.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            walk(m)


def test_models_import_nothing_from_the_engine_the_modes_or_vapoursynth():
    for name, path in modules().items():
        if name.startswith("vsafi.models"):
            bad = {i for i in imports(path, top_level_only=False)
                   if i.split(".")[0] == "vapoursynth" or i.startswith(("vsafi.engine", "vsafi.modes", "vsafi.cuts"))}
            assert not bad, f"{name} imports {sorted(bad)}"


def test_scale_out_uses_the_filter_only_through_interpolate_and_ray_only_in_its_pool():
    for name, path in modules().items():
        found = imports(path, top_level_only=False)
        if name.startswith("vsafi.cluster"):
            bad = {i for i in found if i.startswith(("vsafi.engine", "vsafi.modes", "vsafi.models", "vsafi.cuts"))}
            assert not bad, f"{name} imports {sorted(bad)}"
        if any(i.split(".")[0] == "ray" for i in found):
            assert name == "vsafi.cluster.ray_pool", f"{name} imports ray"


def test_only_the_vapoursynth_facing_layer_imports_vapoursynth():
    for name, path in modules().items():
        if any(i.split(".")[0] == "vapoursynth" for i in imports(path, top_level_only=False)):
            assert name in VAPOURSYNTH_FACING, f"{name} imports vapoursynth"


def test_no_module_is_over_400_lines():
    long = {name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, long


def test_plan_arithmetic_imports_without_torch_or_vapoursynth():
    code = "import sys\n" + "".join(f"import {m}\n" for m in PURE) + \
        "print(sorted(m for m in ('torch', 'vapoursynth') if m in sys.modules))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
