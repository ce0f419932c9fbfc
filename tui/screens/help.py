"""The help screen of the current demo: what it shows, what to try, every key. Escape closes it.

Each demo's help is a Markdown file beside its screen (`HELP_PATH`, like `CSS_PATH`); its first line,
`# Title`, is the box's title. The keys in it are never typed by hand: `{{shift_h(-1) shift_h(1)}}`
stands for the keys bound to those actions on that screen (`[` `]` or `-` `+` `=`), `{{toggle_method}}`
for every binding of that action, whatever its arguments. `{{name}}` is a value instead when the screen's
`HELP_VALUES` (or the page: `demos`, `presets`) has one. The table of keys every demo shares,
`everywhere.md`, is written the same way and appended to each page. A reference to an action that is
not bound on the screen is an error (`HelpError`), so a help cannot name a key the demo lacks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from inspect import getfile
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.keys import format_key
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

from tui.screens.base import DemoScreen

SHARED_KEYS = Path(__file__).with_name("everywhere.md")
REFERENCE = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
ACTION = re.compile(r"[\w.]+(?:\([^)]*\))?")
NAMED_KEYS = {
    "space": "space",
    "backspace": "backspace",
    "escape": "Esc",
    "enter": "Enter",
    "tab": "tab",
    "home": "Home",
    "end": "End",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "left": "←",
    "right": "→",
    "up": "↑",
    "down": "↓",
}
FUNCTION_KEY = re.compile(r"f(\d+)")
RUN = 3  # this many or more keys in a row (1 2 3 …, F2 F3 F4 …) are written as a range: `1`–`6`, F2–F8


class HelpError(ValueError):
    """A help file names an action the screen does not bind, or cannot be found."""


@dataclass(frozen=True)
class HelpPage:
    title: str
    text: str  # Markdown: the demo's help, then the keys every demo shares
    actions: frozenset[str]  # every action whose keys the page shows


@dataclass(frozen=True)
class BoundKey:
    key: str  # Textual's name: left_square_bracket, f2, shift+left
    action: str  # without the `app.` namespace: help, toggle_method('exact')
    own: bool  # bound by calc-tui (not by Textual's Screen or App)
    priority: bool = False  # an app binding Textual asks before the screen's

    @property
    def name(self) -> str:
        """The action's name without its arguments: toggle_method."""
        return self.action.partition("(")[0]


def key_text(key: str) -> str:
    """How a key is written in the help: `]`, `Esc`, `←`, `shift+←`, F2 (function keys go without backticks)."""
    modifiers, _, base = key.rpartition("+")
    function_key = FUNCTION_KEY.fullmatch(base)
    if function_key and not modifiers:
        return f"F{function_key.group(1)}"
    shown = NAMED_KEYS.get(base) or format_key(base)
    return f"`{modifiers}+{shown}`" if modifiers else f"`{shown}`"


def _rank(key: str) -> tuple[str, int] | None:
    """(kind, number) for keys that run in sequence: digits and function keys."""
    if key.isdigit():
        return "digit", int(key)
    function_key = FUNCTION_KEY.fullmatch(key)
    return ("function", int(function_key.group(1))) if function_key else None


def keys_text(keys: Sequence[str]) -> str:
    """`[` `]`, with runs of three or more digits or function keys written as ranges (`1`–`6`, F2–F8)."""
    words: list[str] = []
    index = 0
    while index < len(keys):
        end = index + 1
        rank = _rank(keys[index])
        while rank is not None and end < len(keys) and _rank(keys[end]) == (rank[0], rank[1] + end - index):
            end += 1
        if end - index >= RUN:
            words.append(f"{key_text(keys[index])}–{key_text(keys[end - 1])}")
        else:
            words.extend(key_text(key) for key in keys[index:end])
        index = end
    return " ".join(words)


def _declared(cls: type[Any]) -> list[BoundKey]:
    """The bindings declared in `cls`'s hierarchy, base classes first, each key on its own."""
    found: list[BoundKey] = []
    for klass in reversed(cls.__mro__):
        if "BINDINGS" in vars(klass):
            declared: list[BindingType] = vars(klass)["BINDINGS"]
            own = klass.__module__.startswith("tui.")
            found.extend(BoundKey(b.key, b.action.removeprefix("app."), own, b.priority) for b in Binding.make_bindings(declared))
    return found


def _effective(bindings: list[BoundKey]) -> dict[str, BoundKey]:
    """Key -> binding, a subclass's binding taking the key from its base class's (as in Textual)."""
    effective: dict[str, BoundKey] = {}
    for bound in bindings:
        effective.pop(bound.key, None)  # re-declared: it takes the base class's place, in the subclass's order
        effective[bound.key] = bound
    return effective


def bound_keys(screen: type[DemoScreen[Any, Any]], app: type[App[Any]]) -> list[BoundKey]:
    """Every binding that can act on a key press on `screen`: the screen's in declaration order, then the app's.

    The screen's binding for a key hides the app's, unless the app's is a priority binding, which Textual asks
    first (it may pass the key on): then both are listed. A preset key without a preset (F6 on a demo with
    four) does nothing, so it is left out.
    """
    on_screen = _effective(_declared(screen))
    app_keys = _declared(app)
    if app.ENABLE_COMMAND_PALETTE:
        app_keys.append(BoundKey(app.COMMAND_PALETTE_BINDING, "command_palette", own=False, priority=True))
    in_app = [bound for bound in _effective(app_keys).values() if bound.key not in on_screen or bound.priority]
    return [bound for bound in [*on_screen.values(), *in_app] if not _idle_preset(bound, len(screen.PRESETS))]


def _idle_preset(bound: BoundKey, presets: int) -> bool:
    match = re.fullmatch(r"preset\((\d+)\)", bound.action)
    return match is not None and int(match.group(1)) >= presets


def _normal(action: str) -> str:
    return action.removeprefix("app.").replace(" ", "")


def render_keys(reference: str, bound: Sequence[BoundKey]) -> tuple[str, set[str]]:
    """The keys for `shift_h(-1) shift_h(1)`: each action's first key, then ' or ' and the others, and the actions shown."""
    columns: dict[str, list[str]] = {}
    tokens = ACTION.findall(reference)
    if not tokens:
        raise HelpError(f"{{{{{reference}}}}} names no action")
    for token in tokens:
        wanted = _normal(token)
        matches = [b for b in bound if (_normal(b.action) == wanted if "(" in wanted else b.name == wanted)]
        if not matches:
            raise HelpError(f"{{{{{reference}}}}}: no key is bound to {token!r} on this screen")
        for match in matches:
            columns.setdefault(match.action, []).append(match.key)
    first = [keys[0] for keys in columns.values()]
    # then each action's second key, then each one's third: `[` `]` or `-` `+` `=`
    others = [keys[rank] for rank in range(1, max(map(len, columns.values()))) for keys in columns.values() if rank < len(keys)]
    text = keys_text(first) + (f" or {keys_text(others)}" if others else "")
    return text, set(columns)


def expand(markdown: str, bound: Sequence[BoundKey], values: dict[str, str]) -> tuple[str, set[str]]:
    """`markdown` with every {{reference}} replaced by its value or its keys, and the actions whose keys it shows."""
    shown: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        reference = match.group(1)
        if reference in values:
            return values[reference]
        text, actions = render_keys(reference, bound)
        shown.update(actions)
        return text

    return REFERENCE.sub(replace, markdown), shown


def help_path(screen: type[DemoScreen[Any, Any]]) -> Path:
    """The screen's help file: HELP_PATH beside the module that defines the screen."""
    if not screen.HELP_PATH:
        raise HelpError(f"{screen.__name__} has no HELP_PATH")
    return Path(getfile(screen)).with_name(screen.HELP_PATH)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise HelpError(f"the help file {path.name} cannot be read: {error}") from error


def help_page(screen: type[DemoScreen[Any, Any]], app: type[App[Any]], demos: Iterable[str]) -> HelpPage:
    """The help of `screen` in `app`: its Markdown file with the keys bound there, then the keys every demo shares."""
    path = help_path(screen)
    heading, _, body = _read(path).partition("\n")
    if not heading.startswith("# "):
        raise HelpError(f"{path.name} must start with '# Title'")
    bound = bound_keys(screen, app)
    values = {"demos": ", ".join(demos), "presets": ", ".join(p.name for p in screen.PRESETS), **screen.HELP_VALUES}
    text, actions = "", set[str]()
    for source, markdown in ((path, body), (SHARED_KEYS, _read(SHARED_KEYS))):
        try:
            expanded, shown = expand(markdown, bound, values)
        except HelpError as error:
            raise HelpError(f"{source.name}: {error}") from error
        text, actions = text + expanded, actions | shown
    return HelpPage(heading.removeprefix("# ").strip(), text, frozenset(actions))


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close help"),
        Binding("up,k", "scroll(-1)", "Scroll", show=False),
        Binding("down,j", "scroll(1)", "Scroll", show=False),
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self._title = title
        self._text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = self._title
            box.border_subtitle = "Esc closes"
            yield Markdown(self._text)
        yield Static("")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)

    def action_scroll(self, direction: int) -> None:
        self.query_one("#help-box", VerticalScroll).scroll_relative(y=direction * 2, animate=False)
