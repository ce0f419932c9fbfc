"""The command line in a real terminal: --version, doctor, the app's options, --csv, limits, 1e7 and Ctrl-C.

Commands a user runs go through the real entry point in subprocesses (`python -m tui ...`),
started together and cached as in tests/test_cli.py; each that imports torch pays ~2 s.
What needs no new process (argument types, the limits' arithmetic, the app built from the
options) is checked in this process.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import select
import signal
import subprocess
import sys
import tomllib
from argparse import ArgumentTypeError
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.cli.arguments import UserError, count
from engine.cli.sweep import MAX_CELLS, MAX_POINTS, check_memory, h_count
from tui import entry
from tui.app import CalcApp
from tui.doctor import look_state, settings_state
from tui.options import AppOptions
from tui.serve import public_url, reach_lines, web_install_command

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 120  # a hang guard on a busy machine, not a benchmark
SWEEP_METHODS = ["forward", "backward", "central", "five-point", "complex-step"]
DOCTOR_LABELS = ["calc-tui", "torch", "textual", "plotext", "textual-serve", "Python", "build", "CUDA available", "device", "size"]
DOCTOR_LABELS += ["TERM", "colour system", "encoding", "over SSH", "chosen", "ASCII", "colour", "file", "status", "folder"]


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        assert self.returncode == 0, self.stderr
        return json.loads(self.stdout)

    def one_error_line(self) -> str:
        """Exit status 2, nothing on stdout, exactly one line on stderr: that line."""
        assert self.returncode == 2, (self.returncode, self.stdout, self.stderr)
        assert self.stdout == ""
        assert len(self.stderr.splitlines()) == 1, self.stderr
        return self.stderr.strip()


def run_tui(args: tuple[str, ...], env: dict[str, str]) -> Run:
    environment = {**os.environ, "PYTHONWARNINGS": "ignore", **env}
    for name in ("CALC_TUI_ASCII", "NO_COLOR"):
        if name not in env:
            environment.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "tui", *args], capture_output=True, text=True, timeout=TIMEOUT_S, cwd=ROOT, env=environment
    )
    assert "Traceback" not in done.stderr, done.stderr
    return Run(done.returncode, done.stdout, done.stderr)


DERIVE = ("derive", "abs(x)", "--at", "-1")  # complex-step does not apply at a kink: a row without a value
# float16 loses the small h: null errors; and 1e1 points is 10 points
SWEEP = ("sweep", "abs(x)", "--domain", "0.5,2", "--points", "1e1", "--dtype", "float16", "--per-decade", "1")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every subprocess this file needs, started together."""
    corrupt = tmp_path_factory.mktemp("corrupt-config")
    (corrupt / "settings.json").write_text("{not json")
    commands: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
        "version": (("--version",), {}),
        "doctor": (("doctor",), {"CALC_TUI_CONFIG_DIR": str(corrupt), "CALC_TUI_ASCII": "1", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}),
        "derive csv": ((*DERIVE, "--csv"), {}),
        "derive json": ((*DERIVE, "--json"), {}),
        "sweep csv": ((*SWEEP, "--csv"), {}),
        "sweep json": ((*SWEEP, "--json"), {}),
        "csv and json": ((*DERIVE, "--csv", "--json"), {}),
        "too many points": (("sweep", "sin(x)", "--domain", "-1,1", "--points", "1e8"), {}),
        "too many cells": (("sweep", "sin(x)", "--domain", "-1,1", "--points", "1e5", "--per-decade", "8"), {}),
        "points 1.5": (("sweep", "sin(x)", "--domain", "0,1", "--points", "1.5"), {}),
        "points 1e-3": (("sweep", "sin(x)", "--domain", "0,1", "--points", "1e-3"), {}),
        "app option before doctor": (("--ascii", "doctor"), {}),
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(run_tui, args, env) for name, (args, env) in commands.items()}
        done = {name: future.result() for name, future in futures.items()}
    assert (corrupt / "settings.json").read_text() == "{not json", "doctor must not set a corrupt file aside"
    return done


# --- --version and doctor ------------------------------------------------------------------------------


def test_version_is_one_line_with_every_version(runs: dict[str, Run]) -> None:
    import plotext
    import textual
    import torch

    run = runs["version"]
    assert run.returncode == 0 and run.stderr == ""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    python = ".".join(map(str, sys.version_info[:3]))
    assert run.stdout == (
        f"calc-tui {project} (torch {torch.__version__}, textual {textual.__version__}, plotext {plotext.__version__}, Python {python})\n"
    )


def test_version_imports_neither_torch_nor_textual() -> None:
    script = (
        "import sys\nfrom tui.entry import main\ntry:\n    main(['--version'])\nexcept SystemExit as done:\n    assert done.code == 0\n"
        "print(sorted({'torch', 'textual', 'sympy'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=TIMEOUT_S, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_doctor_names_every_item_says_ascii_and_why_and_exits_0(runs: dict[str, Run]) -> None:
    import torch

    run = runs["doctor"]
    assert run.returncode == 0, run.stderr
    sections = [line for line in run.stdout.splitlines() if not line.startswith(" ")]
    assert sections == ["versions", "torch", "terminal", "look", "settings", "exports"]
    for label in DOCTOR_LABELS:
        assert re.search(rf"^  {re.escape(label)}  ", run.stdout, re.MULTILINE), label
    assert f"torch {torch.__version__}" in run.stdout
    assert ("CUDA available  yes" if torch.cuda.is_available() else "CUDA available  no") in run.stdout
    assert "  chosen          ASCII, no colour\n" in run.stdout
    assert "  ASCII           yes: CALC_TUI_ASCII=1\n" in run.stdout
    assert "  colour          no: NO_COLOR is set\n" in run.stdout
    assert "  status          corrupt (" in run.stdout  # and the fixture checks the file was left as it was


def test_doctor_reads_a_valid_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALC_TUI_CONFIG_DIR", str(tmp_path))
    (tmp_path / "settings.json").write_text(json.dumps({"version": 1, "dtype": "float32", "histories": {"lab": ["x^2", "sin(x)"]}}))
    state = settings_state(AppOptions())
    assert state["path"] == str(tmp_path / "settings.json")
    assert state["status"] == "valid: dtype float32, theme not set, 2 functions remembered"
    assert settings_state(AppOptions(no_config=True))["used"] is False


@pytest.mark.parametrize("encoding", ["latin-1", "ascii", None])
def test_doctor_chooses_ascii_for_an_output_encoding_that_is_not_utf8(encoding: str | None) -> None:
    look = look_state(AppOptions(), {}, encoding)
    assert (look["ascii"], look["colour"]) == (True, True)
    assert look["ascii_because"] == [f"the output encoding {encoding} is not UTF-8"]
    assert look_state(AppOptions(), {}, "UTF-8")["ascii"] is False


# --- the app's options reach the app ----------------------------------------------------------------------


def built_app(argv: list[str]) -> CalcApp:
    """The CalcApp that `calc-tui ARGV` would run, without running it."""
    apps: list[CalcApp] = []

    def keep(app: CalcApp) -> int:
        apps.append(app)
        return 0

    assert entry.main(argv, run=keep) == 0
    (app,) = apps
    return app


def test_app_options_reach_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CALC_TUI_ASCII", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("CALC_TUI_CONFIG_DIR", str(tmp_path))
    (tmp_path / "settings.json").write_text(json.dumps({"version": 1, "dtype": "float16"}))
    app = built_app(
        ["--device", "cpu", "--dtype", "float32", "--ascii", "--no-color", "--export-dir", str(tmp_path / "out"), "--no-config"]
    )
    assert app.requested_device == "cpu"
    assert app.requested_dtype == "float32"
    assert (app.state.look.ascii, app.state.look.color) == (True, False)
    assert app.export_dir == tmp_path / "out"
    assert app.settings_file is None


APP_ONLY_LINES = [
    [],
    ["--no-config"],
    ["--device", "cpu", "--dtype", "float16"],
    ["--ascii", "--no-color", "--export-dir", "out dir"],
    ["--device=cuda:1", "--dtype=bfloat16", "--no-config"],
]


@pytest.mark.parametrize("argv", APP_ONLY_LINES)
def test_app_options_read_without_the_whole_parser_are_read_as_the_whole_parser_reads_them(argv: list[str]) -> None:
    from engine.cli.main import Frontend, build_parser
    from tui.options import add_look_options

    frontend = Frontend(start_app=lambda args: 0, app_options=lambda parser: add_look_options(parser, prefix="app_"))
    assert entry.only_app_options(argv) == AppOptions.from_args(build_parser(frontend).parse_args(argv), prefix="app_")


@pytest.mark.parametrize(
    "argv",
    [
        ["derive", "sin(x)", "--at", "1"],
        ["--no-config", "speed"],
        ["--help"],
        ["--version"],
        ["--dtype"],
        ["--dtype", "float8"],
        ["--device", "gpu"],
        ["--bogus"],
        ["--no-conf"],  # no abbreviations: the whole parser names the option meant
        ["sin(x)"],
    ],
)
def test_anything_but_app_options_goes_to_the_whole_parser(argv: list[str]) -> None:
    assert entry.only_app_options(argv) is None


def test_starting_the_app_with_options_does_not_load_the_subcommands() -> None:
    """The point of the short way: `calc-tui --no-config` starts without the CLI's modules (about 10 ms)."""
    code = (
        "import sys\nfrom tui import entry\n"
        "entry.main(['--no-config', '--device', 'cpu'], run=lambda app: 0)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('engine.cli.', 'tui.doctor', 'tui.serve', 'tui.lesson'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "['engine.cli.arguments']"


def test_without_options_the_remembered_dtype_and_the_environment_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALC_TUI_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("CALC_TUI_ASCII", raising=False)
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="utf-8"))
    (tmp_path / "settings.json").write_text(json.dumps({"version": 1, "dtype": "float16"}))
    app = built_app([])
    assert app.requested_dtype == "float16"
    assert app.settings_file.path == tmp_path / "settings.json"
    assert (app.state.look.ascii, app.state.look.color) == (False, False)
    assert app.requested_device == "auto"
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("CALC_TUI_ASCII", "1")
    assert built_app([]).state.look.ascii is True
    monkeypatch.delenv("CALC_TUI_ASCII")
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="latin-1"))
    assert built_app([]).state.look.ascii is True


def test_app_options_before_a_subcommand_are_an_error(runs: dict[str, Run]) -> None:
    line = runs["app option before doctor"].one_error_line()
    assert "the options --ascii before 'doctor' are for the app" in line


def test_app_options_become_the_served_command_line() -> None:
    options = AppOptions(device="cuda:1", dtype="float32", ascii=True, no_color=True, export_dir=Path("out dir"), no_config=True)
    assert options.argv() == ["--device", "cuda:1", "--dtype", "float32", "--ascii", "--no-color", "--export-dir", "out dir", "--no-config"]
    assert AppOptions().argv() == []


def test_serve_without_textual_serve_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)  # what an install without the web extra raises
    assert entry.main(["serve"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [f"calc-tui: error: calc-tui serve needs textual-serve: {web_install_command()}"]


def test_served_on_another_host_the_server_says_there_is_no_password() -> None:
    assert public_url("127.0.0.1", 8000) == "http://localhost:8000"  # the far end of ssh -L 8000:localhost:8000
    assert public_url("10.0.0.5", 9000) == "http://10.0.0.5:9000"
    assert public_url("::1", 8000) == "http://localhost:8000"
    assert public_url("fe80::1", 8000) == "http://[fe80::1]:8000"
    assert reach_lines("127.0.0.1", 8000)[1].startswith("from a laptop: ssh -L 8000:localhost:8000 ")
    assert reach_lines("0.0.0.0", 8000)[1] == "listening on 0.0.0.0: anyone who can reach port 8000 can use the app (there is no password)"


def test_ctrl_c_while_the_app_starts_is_one_line_and_130(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALC_TUI_CONFIG_DIR", "/nonexistent-calc-tui-test")

    def interrupted(app: CalcApp) -> int:
        raise KeyboardInterrupt

    try:
        assert entry.main(["--no-config"], run=interrupted) == 130
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # main ignores a second Ctrl-C while it says so
    out, err = capsys.readouterr()
    assert (out, err) == ("", "calc-tui: interrupted\n")


# --- --csv ------------------------------------------------------------------------------------------------


def read_csv(text: str) -> tuple[list[str], list[list[str]]]:
    header, *rows = list(csv.reader(io.StringIO(text)))
    return header, rows


def cell(text: str) -> float | None:
    return None if text == "" else float(text)


def test_derive_csv_has_a_row_per_method_with_the_json_values(runs: dict[str, Run]) -> None:
    data = runs["derive json"].json()
    run = runs["derive csv"]
    assert run.returncode == 0 and run.stderr == ""
    header, rows = read_csv(run.stdout)
    assert header == ["method", "value", "abs_error", "error_estimate", "final_h", "evaluations", "error"]
    assert [row[0] for row in rows] == list(data["results"])
    for name, value, abs_error, estimate, final_h, evaluations, error in rows:
        expected = data["results"][name]
        assert cell(value) == expected.get("value"), name
        assert cell(abs_error) == expected.get("abs_error"), name
        assert cell(estimate) == expected.get("error_estimate") and cell(final_h) == expected.get("final_h"), name
        assert (int(evaluations) if evaluations else None) == expected.get("evaluations"), name
        assert error == (expected.get("error") or ""), name
    by_method = {row[0]: row for row in rows}
    assert by_method["complex-step"][6].startswith("not applicable")
    assert cell(by_method["exact"][1]) == -1.0  # d|x|/dx at -1


def test_sweep_csv_has_a_row_per_h_and_a_column_per_method_with_nulls_empty(runs: dict[str, Run]) -> None:
    data = runs["sweep json"].json()
    run = runs["sweep csv"]
    assert run.returncode == 0 and run.stderr == ""  # no progress bar: stderr is not a terminal
    header, rows = read_csv(run.stdout)
    assert header == ["h", *SWEEP_METHODS]
    assert [float(row[0]) for row in rows] == data["h"]
    for index, row in enumerate(rows):
        for name, text in zip(SWEEP_METHODS, row[1:], strict=True):
            errors = data["errors"][name]
            assert cell(text) == (errors[index] if isinstance(errors, list) else None), (name, index)
    assert any(text == "" for row in rows for text in row[1:4])  # float16 loses the smallest h: null in JSON, empty here
    assert all(row[5] == "" for row in rows)  # complex-step does not apply to abs


def test_csv_and_json_together_are_refused(runs: dict[str, Run]) -> None:
    assert "--json: not allowed with argument --csv" in runs["csv and json"].one_error_line()


# --- sizes and limits -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [("1e7", 10_000_000), ("2.5e3", 2500), ("400", 400), ("1_000", 1000), (" 1E2", 100)])
def test_counts_accept_whole_numbers_in_scientific_notation(text: str, value: int) -> None:
    assert count(1)(text) == value


@pytest.mark.parametrize("text", ["1.5", "1e-3", "nan", "inf", "lots", "1e7.5"])
def test_counts_refuse_what_is_not_whole(text: str) -> None:
    with pytest.raises(ArgumentTypeError, match=f"'{re.escape(text)}' is not a whole number"):
        count(1)(text)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bench", "--n", "1e9"], "argument --n: '1e9' is above the limit of 100,000,000: the benchmark holds"),
        (["backprop", "--network", "--steps", "1e6"], "argument --steps: '1e6' is above the limit of 100,000: each step is"),
    ],
)
def test_other_sizes_have_limits_too(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    from engine.cli.main import main

    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert message in line


def test_a_count_with_a_huge_exponent_is_refused_before_it_is_built() -> None:
    with pytest.raises(ArgumentTypeError, match="too large"):
        count(1)("1e999999999")  # a number with a billion digits would take minutes to build


@pytest.mark.parametrize("name", ["points 1.5", "points 1e-3"])
def test_fractional_points_are_refused(runs: dict[str, Run], name: str) -> None:
    line = runs[name].one_error_line()
    assert "argument --points" in line and "is not a whole number" in line


def test_too_many_points_is_refused_at_once_naming_the_limit(runs: dict[str, Run]) -> None:
    line = runs["too many points"].one_error_line()
    assert line.startswith(f"calc-tui: error: --points 100,000,000 is above the limit of {MAX_POINTS:,}")


def test_too_many_points_times_h_values_is_refused_naming_the_limit(runs: dict[str, Run]) -> None:
    line = runs["too many cells"].one_error_line()
    assert f"100,000 points × 121 h values = 12,100,000 is above the limit of {MAX_CELLS:,}" in line


def test_a_sweep_too_large_for_memory_is_refused_before_allocating() -> None:
    check_memory(100_000, 61, available=16 * 2**30)  # 2.4 GB of 16 GiB: fine
    with pytest.raises(UserError, match=r"100,000 points × 61 h values need about 2\.3 GiB, more than 50% of the 2\.0 GiB free"):
        check_memory(100_000, 61, available=2 * 2**30)


@pytest.mark.parametrize(("hmax", "hmin", "per_decade"), [(1e-1, 1e-16, 4), (1e-1, 1e-16, 1), (1.0, 1e-3, 7), (1e-2, 5e-3, 1)])
def test_the_h_count_is_the_grid_the_engine_builds(hmax: float, hmin: float, per_decade: int) -> None:
    from engine.sweep import h_grid

    assert h_count(hmax, hmin, per_decade) == h_grid(hmax, hmin, per_decade).numel()


def test_sweeping_one_method_at_a_time_gives_the_numbers_of_one_sweep() -> None:
    import torch

    from engine.cli.sweep import sweep_in_steps
    from engine.expression import parse_expression
    from engine.sweep import h_grid, sweep

    expression, points, hs = parse_expression("exp(-x^2)*sin(5x)"), torch.linspace(-1, 1, 50, dtype=torch.float64), h_grid(1e-1, 1e-12, 2)
    told: list[tuple[int, int, str]] = []
    stepped = sweep_in_steps(
        expression, points, hs, ("central", "complex-step"), torch.float32, torch.device("cpu"), lambda *a: told.append(a)
    )
    whole = sweep(expression, points, hs, ("central", "complex-step"), torch.float32, "cpu")
    assert told == [(0, 4, "50-digit reference at 50 points"), (1, 4, "central"), (2, 4, "complex-step"), (3, 4, "richardson")]
    for name in ("central", "complex-step"):
        assert torch.equal(stepped.methods[name].errors, whole.methods[name].errors)
        assert stepped.methods[name].best_h == whole.methods[name].best_h


# --- Ctrl-C -------------------------------------------------------------------------------------------------


def test_ctrl_c_during_a_long_sweep_exits_130_with_one_line_after_a_progress_bar() -> None:
    """stderr is a terminal (a pty), so the sweep draws its progress; Ctrl-C once it shows."""
    master, slave = os.openpty()
    args = ["sweep", "sin(x)", "--domain", "-1,1", "--points", f"{MAX_POINTS}"]
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", *args], stdout=subprocess.PIPE, stderr=slave, cwd=ROOT, env=os.environ, start_new_session=True
    )
    os.close(slave)
    seen = b""
    try:
        while f"50-digit reference at {MAX_POINTS:,} points".encode() not in seen:
            ready, _, _ = select.select([master], [], [], TIMEOUT_S)
            assert ready, f"no progress on the terminal: {seen[-300:]!r}"
            seen += os.read(master, 4096)
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=TIMEOUT_S)
        while select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the other end is closed: everything has been read
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    assert process.returncode == 130
    assert stdout == b""
    assert b"sweep [" in seen and b"Traceback" not in seen
    # the progress bar is wiped, then one line
    assert seen.rsplit(b"\r\x1b[K", 1)[1] == b"calc-tui: interrupted\r\n"
