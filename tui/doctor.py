"""`calc-tui doctor`: what the app sees here, for a bug report or a first SSH session on a new box.

Versions, torch's devices and CUDA, the terminal (size, colours, encoding, SSH),
the look the app would choose and why, the settings file and the export folder.
Nothing is changed (a corrupt settings file is only reported), and the exit status
is 0 even when something is missing: the report says what.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.cli.arguments import add_output
from engine.cli.main import package_version
from engine.cli.output import Output
from tui.options import AppOptions, add_look_options

NAME = "doctor"
HELP = "what calc-tui sees here: versions, torch and CUDA, the terminal, the look it would choose, settings and exports"
PACKAGES = ("calc-tui", "torch", "textual", "plotext", "textual-serve")
WEB_HINT = "only for calc-tui serve: pip install 'calc-tui[web]'"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # The app's own options, so that the report is about the app as it would be started with them.
    add_look_options(parser)
    add_output(parser)


def run(args: argparse.Namespace) -> Output:
    options = AppOptions(ascii=args.ascii, no_color=args.no_color, export_dir=args.export_dir, no_config=args.no_config)
    sections = {
        "versions": versions(),
        "torch": torch_state(),
        "terminal": terminal_state(os.environ),
        "look": look_state(options, os.environ, sys.stdout.encoding),
        "settings": settings_state(options),
        "exports": export_state(options.export_dir),
    }
    return Output(report(sections), sections)


def versions() -> dict[str, str]:
    found = {name: package_version(name) for name in PACKAGES}
    if found["textual-serve"] == "not installed":
        found["textual-serve"] = f"not installed ({WEB_HINT})"
    return {**found, "Python": f"{platform.python_version()} ({sys.executable})"}


def torch_state() -> dict[str, Any]:
    """torch's build, CUDA and devices; what went wrong if torch cannot be imported."""
    try:
        import torch
    except Exception as error:  # noqa: BLE001 - a broken install is exactly what doctor must report
        return {"imported": False, "error": f"torch could not be imported: {type(error).__name__}: {error}"}
    state: dict[str, Any] = {
        "imported": True,
        "version": str(torch.__version__),
        "cuda_build": torch.version.cuda,  # None: a CPU-only build
        "cuda_available": False,
        "devices": ["cpu"],
        "threads": torch.get_num_threads(),
    }
    try:
        state["cuda_available"] = bool(torch.cuda.is_available())
        if state["cuda_available"]:
            count = torch.cuda.device_count()
            state["devices"] += [f"cuda:{index} {torch.cuda.get_device_name(index)}" for index in range(count)]
    except Exception as error:  # noqa: BLE001 - a driver mismatch raises here; report it, do not crash
        state["cuda_error"] = f"{type(error).__name__}: {error}"
    return state


def terminal_size() -> tuple[int, int, str]:
    """Columns, lines and where they came from: the first of stdout, stderr, stdin that is a terminal."""
    for name, stream in (("stdout", sys.__stdout__), ("stderr", sys.__stderr__), ("stdin", sys.__stdin__)):
        try:
            if stream is not None and stream.isatty():
                size = os.get_terminal_size(stream.fileno())
                return size.columns, size.lines, f"the terminal on {name}"
        except (OSError, ValueError):
            continue
    size = shutil.get_terminal_size()
    return size.columns, size.lines, "no terminal: COLUMNS and LINES, else 80x24"


def colour_system(environ: Mapping[str, str]) -> str | None:
    """What Textual's console detects: it forces a terminal and reads TERM, COLORTERM and TEXTUAL_COLOR_SYSTEM."""
    from rich.console import Console

    wanted = environ.get("TEXTUAL_COLOR_SYSTEM", "auto")
    choice: Any = wanted if wanted in ("auto", "standard", "256", "truecolor", "windows") else "auto"
    return Console(file=io.StringIO(), force_terminal=True, color_system=choice, _environ=dict(environ)).color_system


def terminal_state(environ: Mapping[str, str]) -> dict[str, Any]:
    columns, lines, source = terminal_size()
    encoding = sys.stdout.encoding
    return {
        "stdout_is_terminal": sys.stdout.isatty(),
        "size": f"{columns}x{lines}",
        "size_from": source,
        "fits_80x24": columns >= 80 and lines >= 24,
        "TERM": environ.get("TERM"),
        "COLORTERM": environ.get("COLORTERM"),
        "colour_system": colour_system(environ),
        "encoding": encoding,
        "utf8": _is_utf8(encoding),
        "over_ssh": "SSH_CONNECTION" in environ or "SSH_TTY" in environ,
    }


def _is_utf8(encoding: str | None) -> bool:
    return (encoding or "").lower().replace("-", "").replace("_", "") == "utf8"


def look_state(options: AppOptions, environ: Mapping[str, str], encoding: str | None) -> dict[str, Any]:
    """The look choose_look picks for these options here, and every reason that applies."""
    from tui.look import choose_look

    look = choose_look(options.ascii, options.no_color, environ, encoding)
    ascii_reasons = [
        *(["--ascii"] if options.ascii else []),
        *([f"CALC_TUI_ASCII={environ['CALC_TUI_ASCII']}"] if environ.get("CALC_TUI_ASCII", "") not in ("", "0") else []),
        *([f"the output encoding {encoding} is not UTF-8"] if not _is_utf8(encoding) else []),
    ]
    colour_reasons = [*(["--no-color"] if options.no_color else []), *(["NO_COLOR is set"] if "NO_COLOR" in environ else [])]
    return {
        "ascii": look.ascii,
        "colour": look.color,
        "describe": look.describe(),
        "ascii_because": ascii_reasons or ["UTF-8 output, no --ascii, no CALC_TUI_ASCII"],
        "colour_because": colour_reasons or ["no --no-color, no NO_COLOR"],
    }


def settings_state(options: AppOptions) -> dict[str, Any]:
    """Where the settings live and whether the app could read them, without touching the file."""
    from tui.settings import SettingsError, SettingsFile, default_path

    path = default_path()
    state: dict[str, Any] = {"path": str(path), "exists": path.exists(), "used": not options.no_config}
    if not path.exists():
        state["status"] = "none yet: written when the app first has something to remember"
        return state
    try:
        data = path.read_bytes()
        json.loads(data.decode("utf-8"))
    except OSError as error:
        state["status"] = f"unreadable ({error.strerror}): the app would start with defaults"
        return state
    except ValueError as error:  # bad JSON or bad UTF-8
        state["status"] = f"corrupt ({error}): the app would rename it *.corrupt and start with defaults"
        return state
    # SettingsFile sets a file it cannot use aside; it reads a copy here, so the real one is left alone.
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "settings.json"
        copy.write_bytes(data)
        try:
            settings = SettingsFile(copy).load()
        except SettingsError:
            state["status"] = "corrupt (not a JSON object): the app would rename it *.corrupt and start with defaults"
            return state
    remembered = sum(len(history) for history in settings.histories.values())
    state["status"] = f"valid: dtype {settings.dtype or 'not set'}, theme {settings.theme or 'not set'}, {remembered} functions remembered"
    return state


def export_state(directory: Path) -> dict[str, Any]:
    folder = directory.resolve()
    if folder.is_dir():
        status = "exists, writable" if os.access(folder, os.W_OK) else "exists, NOT writable: exports will fail"
    elif folder.exists():
        status = "is a file, not a folder: exports will fail"
    else:
        parent = next((p for p in folder.parents if p.exists()), None)
        writable = parent is not None and os.access(parent, os.W_OK)
        status = "missing: created on the first export" if writable else "missing, and it cannot be created here: exports will fail"
    return {"folder": str(folder), "status": status}


def report(sections: Mapping[str, Mapping[str, Any]]) -> str:
    versions_, torch_, terminal = sections["versions"], sections["torch"], sections["terminal"]
    look, settings, exports = sections["look"], sections["settings"], sections["exports"]
    lines = ["versions", *(f"  {name:<16}{version}" for name, version in versions_.items())]
    lines.append("torch")
    if not torch_["imported"]:
        lines.append(f"  {torch_['error']}")
    else:
        build = f"CUDA {torch_['cuda_build']}" if torch_["cuda_build"] else "CPU only (torch.version.cuda is None)"
        lines.append(f"  {'build':<16}torch {torch_['version']}, {build}")
        available = "yes" if torch_["cuda_available"] else "no"
        lines.append(f"  {'CUDA available':<16}{available}, {len(torch_['devices']) - 1} CUDA devices")
        lines += [f"  {'device':<16}{device}" for device in torch_["devices"]]
        if "cuda_error" in torch_:
            lines.append(f"  {'CUDA error':<16}{torch_['cuda_error']}")
        lines.append(f"  {'CPU threads':<16}{torch_['threads']}")
    fits = "" if terminal["fits_80x24"] else " (below 80x24: the app may be cramped)"
    lines += [
        "terminal",
        f"  {'size':<16}{terminal['size']} ({terminal['size_from']}){fits}",
        f"  {'stdout':<16}{'a terminal' if terminal['stdout_is_terminal'] else 'not a terminal'}",
        f"  {'TERM':<16}{terminal['TERM'] or 'not set'}",
        f"  {'COLORTERM':<16}{terminal['COLORTERM'] or 'not set'}",
        f"  {'colour system':<16}{terminal['colour_system'] or 'none'} (as Textual's console detects it)",
        f"  {'encoding':<16}{terminal['encoding']} ({'UTF-8' if terminal['utf8'] else 'not UTF-8'})",
        f"  {'over SSH':<16}{'yes' if terminal['over_ssh'] else 'no'}",
        "look",
        f"  {'chosen':<16}{look['describe']}",
        f"  {'ASCII':<16}{'yes' if look['ascii'] else 'no'}: {'; '.join(look['ascii_because'])}",
        f"  {'colour':<16}{'yes' if look['colour'] else 'no'}: {'; '.join(look['colour_because'])}",
        "settings",
        f"  {'file':<16}{settings['path']}{'' if settings['used'] else ' (not used: --no-config)'}",
        f"  {'status':<16}{settings['status']}",
        "exports",
        f"  {'folder':<16}{exports['folder']}",
        f"  {'status':<16}{exports['status']}",
    ]
    return "\n".join(lines)
