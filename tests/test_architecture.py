"""The rules the layout rests on, checked on the source: the engine has no UI, screens never touch torch,
nothing the user types is evaluated, and the first frame pays for neither torch, SymPy nor numpy."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINE = sorted((ROOT / "engine").rglob("*.py"))
TUI = sorted((ROOT / "tui").rglob("*.py"))
UI_PACKAGES = ("textual", "textual_plotext", "plotext", "rich", "tui")
EVALUATORS = ("eval", "exec", "sympify", "parse_expr", "compile")


def imports(path: Path, top_level_only: bool = False) -> set[str]:
    """The top-level package of every module `path` imports (anywhere, or only at module level)."""
    tree = ast.parse(path.read_text(), str(path))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", ENGINE, ids=relative)
def test_the_engine_never_imports_the_ui(path: Path) -> None:
    assert not imports(path) & set(UI_PACKAGES)


# The app's screens, widgets and state; the loader, the compute layer and the command-line helpers may touch torch.
NOT_UI = ("loading.py", "doctor.py", "serve.py", "entry.py", "__main__.py")
UI = [p for p in TUI if "compute" not in p.parts and p.name not in NOT_UI]


@pytest.mark.parametrize("path", UI, ids=relative)
def test_screens_and_widgets_never_import_torch_or_the_math(path: Path) -> None:
    """Only the compute layer (in its functions) and the loader touch torch and SymPy; the UI thread draws plain values."""
    assert not imports(path) & {"torch", "sympy", "mpmath", "numpy"}


@pytest.mark.parametrize("path", [p for p in TUI if "compute" in p.parts], ids=relative)
def test_the_compute_layer_imports_torch_only_inside_its_functions(path: Path) -> None:
    assert not imports(path, top_level_only=True) & {"torch", "sympy", "mpmath", "numpy"}


@pytest.mark.parametrize("path", ENGINE + TUI, ids=relative)
def test_nothing_is_evaluated(path: Path) -> None:
    """User text goes through the whitelist walker only: no eval, exec, sympify, parse_expr or compile() calls."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr if isinstance(node.func, ast.Attribute) else ""
            if name == "compile" and isinstance(node.func, ast.Attribute) and node.func.value.__class__ is ast.Name:
                continue  # torch.compile(kernel) and re.compile(pattern) compile code we wrote, not user text
            assert name not in EVALUATORS, f"{relative(path)}:{node.lineno} calls {name}()"


def test_starting_the_app_imports_neither_torch_sympy_nor_numpy() -> None:
    """What the first frame needs: the CLI, the app and the Compare screen, with its quick preview drawn."""
    code = (
        "import sys; import engine.cli.main, tui.app, tui.screens.compare;"
        "from tui.compute.compare import preview_compare; preview_compare('sin(x)', -3, 3, 400, 1e-4, 1.0);"
        "print(sorted(m for m in ('torch', 'sympy', 'numpy', 'mpmath') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120, check=True)
    assert done.stdout.strip() == "[]"
