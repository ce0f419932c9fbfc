"""The rules the layout rests on, checked on the source: the engine has no UI, screens never touch torch,
nothing the user types is evaluated, the first frame pays for neither torch, SymPy nor numpy, no two modules
import each other (even from inside a function), the layers import downwards only, and every demo's help is
a Markdown file beside its screen."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path

import pytest

from tui.app import DEMOS
from tui.screens.help import SHARED_KEYS, help_path

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


def is_compute(path: Path) -> bool:
    """The compute layer: the shared tui/compute/ and each demo's compute.py."""
    return path.parent.name == "compute" or path.name == "compute.py"


UI = [p for p in TUI if not is_compute(p) and p.name not in NOT_UI]


@pytest.mark.parametrize("path", UI, ids=relative)
def test_screens_and_widgets_never_import_torch_or_the_math(path: Path) -> None:
    """Only the compute layer (in its functions) and the loader touch torch and SymPy; the UI thread draws plain values."""
    assert not imports(path) & {"torch", "sympy", "mpmath", "numpy"}


@pytest.mark.parametrize("path", [p for p in TUI if is_compute(p)], ids=relative)
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


def printed_by(code: str) -> str:
    """What a fresh interpreter running `code` in the project prints: start-up imports measured from nothing."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120, check=True)
    return done.stdout.strip()


def test_starting_the_app_imports_neither_torch_sympy_nor_numpy() -> None:
    """What the first frame needs: the CLI, the app and the Compare screen, with its quick preview drawn."""
    code = (
        "import sys; import engine.cli.main, tui.app, tui.demos.compare.screen;"
        "from tui.demos.compare.compute import preview_compare; preview_compare('sin(x)', -3, 3, 400, 1e-4, 1.0);"
        "print(sorted(m for m in ('torch', 'sympy', 'numpy', 'mpmath') if m in sys.modules))"
    )
    assert printed_by(code) == "[]"


def test_the_first_frame_waits_for_no_panel_widget() -> None:
    """The first screen's panels are mounted after the first frame: their modules load then, not before (3 ms)."""
    code = (
        "import sys; import tui.entry, tui.app, tui.demos.compare.screen;"
        "print(sorted(m for m in sys.modules if m.startswith('tui.widgets.') and m.split('.')[-1] in "
        "('function_input', 'log_value_input', 'method_toggles', 'domain_panel', 'number_field', 'inline_error')))"
    )
    assert printed_by(code) == "[]"


# -- the module graph -------------------------------------------------------------------------------


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in ENGINE + TUI}


def imported_modules(path: Path) -> set[str]:
    """The project's modules that `path` imports anywhere: at the top, inside functions, under TYPE_CHECKING.

    `from tui import doctor` imports the module tui.doctor; `from tui.state import Lab` the module tui.state.
    (A package's own __init__ runs before any of its modules, which is no circle of ours: it is not counted
    for `from package import module`.)
    """
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in MODULES}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parents = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parents, *([node.module] if node.module else [])])
            submodules = {f"{base}.{alias.name}" for alias in node.names} & MODULES.keys()
            found |= submodules
            if base in MODULES and len(submodules) < len(node.names):
                found.add(base)
    return found - {name}


GRAPH = {name: imported_modules(path) for name, path in MODULES.items()}


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan): each is a set of modules in a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(graph[module]):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(component)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


# Circles being removed on another branch: issue 17 makes Richardson a method like the others (the accuracy
# branch). Once it is merged this entry is stale, and the test below says so: delete it then.
KNOWN_CIRCLES: list[set[str]] = []  # none left: an entry here would name a circle still to break


def test_no_two_modules_import_each_other_even_inside_functions() -> None:
    found = circles(GRAPH)
    assert [c for c in found if c not in KNOWN_CIRCLES] == [], "import circles (a function-level import hides one too)"
    assert [c for c in KNOWN_CIRCLES if c not in found] == [], "a known circle is gone: remove it from KNOWN_CIRCLES"


def test_the_circle_check_sees_an_import_inside_a_function() -> None:
    """The check itself: the circle tui.entry <-> tui.doctor was made of imports inside functions."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [{"a", "b", "c"}]
    assert "tui.doctor" in GRAPH["tui.entry"]  # imported inside main()
    assert "tui.screens.help" in GRAPH["tui.app"]  # imported inside action_help()


def importers(target: str) -> Iterator[tuple[str, str]]:
    """(module, what it imports) for each import of `target` or a module inside it."""
    for module, imported in GRAPH.items():
        for name in imported:
            if name == target or name.startswith(target + "."):
                yield module, name


def compute_module(name: str) -> bool:
    return name.startswith("tui.compute") or name.endswith(".compute")


def test_the_compute_layer_imports_neither_screens_nor_widgets() -> None:
    """The compute layer turns a frozen request into a frozen view off the UI thread: it knows nothing of what draws it,
    so from tui it imports only other compute modules and the plain helpers (exports, the graph layout, the loader)."""
    plain = ("tui.export", "tui.graph_layout", "tui.loading", "tui")
    found = {
        (module, name)
        for module, imported in GRAPH.items()
        if compute_module(module)
        for name in imported
        if name.startswith("tui") and not compute_module(name) and name not in plain
    }
    assert found == set()


def test_widgets_import_neither_screens_demos_nor_the_app() -> None:
    """Widgets are shared by the demos: they know none of them."""
    layers = ("tui.screens", "tui.demos", "tui.app")
    assert [(m, i) for layer in layers for m, i in importers(layer) if m.startswith("tui.widgets")] == []


def demo_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["tui", "demos"] else None


def test_a_demo_lives_in_its_own_folder_and_imports_no_other_demo() -> None:
    """tui/demos/<name>/ holds a demo's screen, compute, plots, styles and help; demos share only what lies outside."""
    crossing = {
        (module, name)
        for module, imported in GRAPH.items()
        for name in imported
        if demo_of(module) and demo_of(name) and demo_of(module) != demo_of(name)
    }
    assert crossing == set()
    shared = ("tui.screens", "tui.widgets", "tui.compute", "tui.state", "tui.export", "tui.look", "tui.graph_layout")
    assert {(m, i) for m, i in importers("tui.demos") if m.startswith(shared)} == set(), "the shared layers know no demo"
    for demo in DEMOS:
        module = demo.screen.partition(":")[0]
        folder = ROOT / Path(*module.split(".")).parent
        assert module.startswith("tui.demos.") and module.endswith(".screen"), demo.screen
        assert {"screen.py", "compute.py", "help.md"} <= {p.name for p in folder.iterdir()}, folder
    shared_screens = {p.name for p in (ROOT / "tui" / "screens").iterdir() if p.suffix in (".py", ".md", ".tcss")}
    assert not {f"{demo.mode.replace('-', '_')}.py" for demo in DEMOS} & shared_screens


def test_nothing_below_the_app_imports_it() -> None:
    """tui.options builds it (the console script names its type); screens, widgets and the compute layer never reach up."""
    assert {module for module, _ in importers("tui.app")} == {"tui.options", "tui.entry"}


@pytest.mark.parametrize("name", ["tui.options", "tui.entry", "tui.doctor", "tui.serve"])
def test_the_command_line_imports_no_ui_until_it_starts_the_app(name: str) -> None:
    """`calc-tui derive` and `calc-tui doctor` must not pay for Textual: the options live apart from the app."""
    assert not imports(MODULES[name], top_level_only=True) & set(UI_PACKAGES) - {"tui"}


# -- the help ---------------------------------------------------------------------------------------


def demo_screens() -> list[type]:
    screens = []
    for demo in DEMOS:
        module, _, name = demo.screen.partition(":")
        screens.append(getattr(import_module(module), name))
    return screens


@pytest.mark.parametrize("screen", demo_screens(), ids=lambda screen: screen.__name__)
def test_every_demo_has_its_help_as_a_markdown_file_beside_its_screen(screen: type) -> None:
    path = help_path(screen)
    assert path.parent == Path(sys.modules[screen.__module__].__file__ or "").parent
    assert path.suffix == ".md" and path.read_text(encoding="utf-8").startswith("# ")


def test_every_help_file_belongs_to_a_demo_and_help_is_never_code() -> None:
    """No stray help file, and no screen keeps a help string in its code (HELP / HELP_TITLE, as before)."""
    used = {help_path(screen) for screen in demo_screens()} | {SHARED_KEYS}
    assert set((ROOT / "tui").rglob("*.md")) == used
    for path in [*(ROOT / "tui" / "screens").glob("*.py"), *(ROOT / "tui" / "demos").rglob("*.py")]:
        assignments = [node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Assign)]
        names = {target.id for node in assignments for target in node.targets if isinstance(target, ast.Name)}
        assert not names & {"HELP", "HELP_TITLE"}, relative(path)


def test_the_help_files_ship_with_the_package() -> None:
    """Each help file matches one of the package-data patterns, as setuptools globs them from the package."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["tui"]
    shipped = {path for pattern in patterns for path in (ROOT / "tui").glob(pattern)}
    assert set((ROOT / "tui").rglob("*.md")) - shipped == set()
