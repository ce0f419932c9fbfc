"""The headless command line through its real entry points, as a user runs it.

Every command runs in a subprocess (`python -m tui ...`, and once the installed
`calc-tui` script). Each run pays for a fresh `import torch`, so all the commands
this file needs are started together, a few at a time, and their results cached.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
EPS = 2.0**-52
DERIVE_METHODS = ["exact", "autograd", "forward", "backward", "central", "five-point", "complex-step", "richardson"]
RICHARDSON_KEYS = {"value", "abs_error", "error_estimate", "final_h", "evaluations", "too_optimistic"}
SWEEP_METHODS = ["forward", "backward", "central", "five-point", "complex-step"]
TIMEOUT_S = 120  # a hang guard for one command on a busy machine, not a benchmark


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        assert self.returncode == 0, self.stderr
        return json.loads(self.stdout)


@cache
def run_command(*args: str) -> Run:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, timeout=TIMEOUT_S, cwd=ROOT, env=env)
    return Run(done.returncode, done.stdout, done.stderr)


def cli(*args: str) -> Run:
    run = run_command(*args)
    assert "Traceback" not in run.stderr, run.stderr
    return run


def user_error(*args: str) -> str:
    """Exit status 2, nothing on stdout, exactly one line on stderr: that line."""
    run = cli(*args)
    assert run.returncode == 2, (run.returncode, run.stdout, run.stderr)
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    return lines[0]


DERIVE_SIN = ("derive", "sin(x)", "--at", "1", "--json")
SWEEP_SIN = ("sweep", "sin(x)", "--domain", "-pi,pi", "--json")
SWEEP_AT = ("sweep", "sin(x)", "--at", "1", "--json")
DERIVE_TABLE = ("derive", "sin(x)", "--at", "pi/4")
SWEEP_TABLE = ("sweep", "-x^3", "--domain", "-3,3", "--points", "20", "--per-decade", "1")
DERIVE_NEGATIVE = ("derive", "-x^2", "--at", "-1e-3", "--json")
DERIVE_FLOAT32 = ("derive", "x^3 - 2x", "--at", "2", "--json", "--methods", "central,exact", "--h", "1e-2", "--dtype", "float32")
DERIVE_UNDEFINED = ("derive", "sqrt(x) + abs(x)", "--at", "-1", "--json")
DERIVE_OVERFLOWING_STEPS = ("derive", "sin(x)", "--at", "1", "--order", "3", "--dtype", "float16", "--methods", "exact,forward,central")
BENCH = ("bench", "--n", "1000", "--repeats", "1", "--json")
BAD_EXPRESSION = ("derive", "sinn(x)", "--at", "1")
BAD_NUMBER = ("derive", "sin(x)", "--at", "foo")
BAD_METHOD = ("derive", "sin(x)", "--at", "1", "--methods", "central,magic")
BAD_DEVICE = ("derive", "sin(x)", "--at", "1", "--device", "tpu")
NO_CUDA = ("derive", "sin(x)", "--at", "1", "--device", "cuda")
BAD_DOMAIN_ORDER = ("sweep", "sin(x)", "--domain", "3,-3")
EMPTY_DOMAIN = ("sweep", "sin(x)", "--domain", "1,1")
BAD_DOMAIN_SHAPE = ("sweep", "sin(x)", "--domain", "pi")
MISSING_AT = ("derive", "sin(x)")
MISSING_WHERE = ("sweep", "sin(x)")
BOTH_WHERE = ("sweep", "sin(x)", "--at", "1", "--domain", "0,1")
POINTS_AT_ONE_POINT = ("sweep", "sin(x)", "--at", "1", "--points", "5")
BAD_H = ("derive", "sin(x)", "--at", "1", "--h", "0")
BAD_DTYPE = ("derive", "sin(x)", "--at", "1", "--dtype", "float8")
BAD_NEGATIVE_NUMBER = ("derive", "sin(x)", "--at", "-foo")
APP_OPTION_BEFORE_SUBCOMMAND = ("--dtype", "float32", "derive", "sin(x)", "--at", "1")
THREE_NUMBER_DOMAIN = ("sweep", "sin(x)", "--domain", "-1,2,3")
ONE_POINT_DOMAIN = ("sweep", "sin(x)", "--domain", "0,1", "--points", "1")
NEGATIVE_H = ("derive", "sin(x)", "--at", "1", "--h", "-1e-3")
FUNCTION_WITHOUT_PARENTHESES = ("derive", "sin x", "--at", "1")
OVERFLOWING_CONSTANT = ("derive", "1e308*10", "--at", "1", "--json")  # 10**400 is refused at parse time
LOG_OF_MINUS_ONE = ("derive", "log(x)", "--at", "-1", "--json")
POLE = ("derive", "1/x", "--at", "0", "--json")
ROUNDED_X = ("derive", "sin(x)", "--at", "1000.3", "--dtype", "float16", "--methods", "exact,central")
ROUNDED_X_SWEEP = ("sweep", "sin(x)", "--at", "1000.3", "--dtype", "float16", "--json")


def readme_sweep_example() -> tuple[tuple[str, ...], dict[str, list[float]]]:
    """The README's `calc-tui sweep ...` example: its arguments, and per method best h, error, theory h*, error."""
    text = README.read_text()
    start = text.index("$ calc-tui sweep ")
    block = text[start : text.index("```", start)].splitlines()
    arguments = tuple(shlex.split(block[0])[2:])  # after "$ calc-tui"
    rows = {
        line.split()[0]: [float(word) for word in line.split()[1:5]] for line in block if line.split()[:1] in ([m] for m in SWEEP_METHODS)
    }
    return arguments, rows


README_SWEEP, README_ROWS = readme_sweep_example()
README_SWEEP_JSON = (*README_SWEEP, "--json")

ALL = [
    value
    for name, value in list(globals().items())
    if name.isupper() and isinstance(value, tuple) and value and value[0] in ("derive", "sweep", "bench")
]


@pytest.fixture(scope="module", autouse=True)
def _run_all_commands_up_front() -> None:
    """Start every command this file uses, a few at a time; the tests then read the cached results."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda args: run_command(*args), ALL))


# --- derive ----------------------------------------------------------------------------------------


def test_derive_json_shape_and_values() -> None:
    data = cli(*DERIVE_SIN).json()
    assert set(data) == {"expression", "order", "derivative", "x", "x_held", "h", "dtype", "device", "reference", "results"}
    assert data["expression"] == "sin(x)"
    assert data["derivative"] == "cos(x)"
    assert data["x"] == 1.0
    assert data["h"] == 1e-5
    assert data["dtype"] == "float64"
    assert data["device"] == "cpu" or data["device"].startswith("cuda")
    assert data["reference"] == math.cos(1.0)
    assert list(data["results"]) == DERIVE_METHODS  # all eight by default, in order
    assert data["order"] == 1
    for name, row in data["results"].items():
        assert set(row) == (RICHARDSON_KEYS if name == "richardson" else {"value", "abs_error"}), name
        assert row["abs_error"] == pytest.approx(abs(row["value"] - math.cos(1.0)), rel=1e-6, abs=1e-18)
    results = data["results"]
    h, sin1, cos1 = 1e-5, math.sin(1.0), math.cos(1.0)
    assert results["exact"]["abs_error"] == 0.0  # cos(1) rounded once, as the reference is
    assert results["autograd"]["abs_error"] <= EPS * cos1  # torch's SinBackward: cos(1) times 1, within an ulp
    # forward and backward: h/2 |f''| = h/2 sin(1); the next term, h^2/6 cos(1), is 1e-5 of it, round-off 1e-5 too
    assert results["forward"]["abs_error"] == pytest.approx(h / 2 * sin1, rel=1e-4)
    assert results["backward"]["abs_error"] == pytest.approx(h / 2 * sin1, rel=1e-4)
    # central: h^2/6 cos(1) = 9.0e-12 of truncation, plus round-off at most eps (|sin 1| + |cos 1| / 2) / h = 2.5e-11
    assert results["central"]["abs_error"] <= h**2 / 6 * cos1 + EPS * (sin1 + cos1 / 2) / h
    # complex step: Im sin(1 + ih) / h = cos(1) sinh(h) / h = cos(1) (1 + h^2/6 + ...), so the error is h^2/6 cos(1)
    assert results["complex-step"]["abs_error"] == pytest.approx(h**2 / 6 * cos1, rel=1e-4)


def test_derive_with_chosen_methods_h_and_dtype() -> None:
    data = cli(*DERIVE_FLOAT32).json()
    assert list(data["results"]) == ["central", "exact"]
    assert data["dtype"] == "float32"
    assert data["h"] == float(torch.tensor(1e-2, dtype=torch.float32))  # h as float32 holds it
    assert data["reference"] == 10.0  # 3x^2 - 2 at 2
    assert data["results"]["exact"]["value"] == 10.0
    # for a cubic, central's error is exactly h^2 = 1e-4, plus float32 round-off ~ eps |f| / h ~ 1e-4
    assert data["results"]["central"]["value"] == pytest.approx(10.0 + 1e-4, abs=3e-4)
    assert data["results"]["central"]["abs_error"] > 1e-6


def test_a_method_that_gives_an_infinity_reads_undefined_like_one_that_gives_nan() -> None:
    """float16's h^3 = 1e-9 underflows to 0: forward divides a number by 0 (inf), central 0 by 0 (NaN). Both are
    undefined, with the reason; neither error is the largest float that torch's nan_to_num would clamp inf to."""
    run = cli(*DERIVE_OVERFLOWING_STEPS)
    assert run.returncode == 0, run.stderr
    rows = {line.split()[0]: line.split()[1:] for line in run.stdout.splitlines() if line.split()[:1] in (["forward"], ["central"])}
    assert rows == {"forward": ["undefined", "undefined"], "central": ["undefined", "undefined"]}
    assert "1.80e+308" not in run.stdout and " inf" not in run.stdout and " nan" not in run.stdout
    assert run.stdout.count("undefined: h^3 = 0.001^3 underflows to 0 in float16: the difference is divided by 0") == 2


def test_undefined_reference_and_not_applicable_method() -> None:
    run = cli(*DERIVE_UNDEFINED)
    data = run.json()
    assert data["reference"] is None  # sqrt is undefined at -1
    assert "NaN" not in run.stdout and "Infinity" not in run.stdout  # strict JSON: null instead
    results = data["results"]
    assert set(results["complex-step"]) == {"error"}  # abs has a kink
    assert "not applicable" in results["complex-step"]["error"]
    assert set(results["exact"]) == {"value", "abs_error"}
    assert results["exact"]["abs_error"] is None


def test_derive_table_names_every_method() -> None:
    run = cli(*DERIVE_TABLE)
    assert run.returncode == 0, run.stderr
    for name in DERIVE_METHODS:
        assert name in run.stdout
    assert "f'(x) = cos(x)" in run.stdout
    assert f"reference f'(x) = {math.cos(math.pi / 4):.17g}" in run.stdout


def test_negative_expression_and_point() -> None:
    data = cli(*DERIVE_NEGATIVE).json()
    assert data["expression"] == "-x^2"
    assert data["x"] == -1e-3
    assert data["reference"] == pytest.approx(2e-3, rel=1e-15)
    assert data["results"]["exact"]["value"] == pytest.approx(2e-3, rel=1e-15)


# --- sweep -------------------------------------------------------------------------------------------


def test_a_point_the_dtype_moves_is_shown_where_every_figure_is() -> None:
    """float16 holds 1000.3 as 1000.5: the reference and every method are at 1000.5, and the output says so."""
    text = cli(*ROUNDED_X).stdout
    assert "x = 1000.3 (held in float16 as 1000.5)" in text
    assert f"h = 1e-05 (held in float16 as {float(torch.tensor(1e-5, dtype=torch.float16))!r})" in text  # h rounds too
    assert "note: x = 1000.3 is 1000.5 in float16, the nearest value it holds: every figure is at x = 1000.5" in text
    assert f"reference f'(x) = {math.cos(1000.5):.17g}" in text  # cos(1000.5), not cos(1000.3) = 0.2929
    data = cli(*ROUNDED_X, "--json").json()
    assert (data["x"], data["x_held"]) == (1000.3, 1000.5) and data["reference"] == pytest.approx(math.cos(1000.5), rel=1e-15)
    assert cli(*DERIVE_SIN).json()["x_held"] == 1.0
    swept = cli(*ROUNDED_X_SWEEP).json()
    assert swept["notes"][0] == "x = 1000.3 is 1000.5 in float16, the nearest value it holds: every figure is at x = 1000.5"
    # float16's spacing at 1000 is 0.5: no h on the default grid (at most 0.1) moves x, so every best h is the edge
    assert swept["notes"][1].startswith("best h of forward, backward, central, five-point is at the edge of the h grid")


def test_sweep_json_shape_and_values() -> None:
    data = cli(*SWEEP_SIN).json()
    assert set(data) == {"expression", "order", "dtype", "device", "h", "errors", "best", "theory", "richardson", "notes"}
    assert data["order"] == 1 and set(data["richardson"]) == {"final_h", "error", "error_estimate", "evaluations", "too_optimistic"}
    assert data["richardson"]["error"] < 1e-12 <= data["richardson"]["error_estimate"] * 100  # honest and near 1e-13
    assert data["expression"] == "sin(x)"
    assert data["dtype"] == "float64"
    assert len(data["h"]) == 61
    assert data["h"][0] == pytest.approx(1e-1) and data["h"][-1] == pytest.approx(1e-16)
    assert list(data["errors"]) == SWEEP_METHODS  # the five step methods by default
    assert list(data["best"]) == SWEEP_METHODS
    assert list(data["theory"]) == SWEEP_METHODS
    for name in SWEEP_METHODS:
        assert len(data["errors"][name]) == 61
        assert set(data["best"][name]) == {"h", "error"}
        assert set(data["theory"][name]) == {"optimal_h", "errors"}
        assert len(data["theory"][name]["errors"]) == 61
    central = data["best"]["central"]
    assert 1e-6 < central["h"] < 1e-4
    assert 1e-12 < central["error"] < 1e-10
    assert 1e-6 < data["theory"]["central"]["optimal_h"] < 1e-4


def test_sweep_at_one_point() -> None:
    data = cli(*SWEEP_AT).json()
    assert len(data["h"]) == 61
    assert 1e-6 < data["best"]["central"]["h"] < 1e-4
    assert data["best"]["complex-step"]["error"] < 1e-15


def test_sweep_table_over_a_negative_domain_names_every_method() -> None:
    run = cli(*SWEEP_TABLE)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert "-x**3" in lines[0] and "[-3, 3]" in lines[0]
    assert lines[2].split() == ["h", *SWEEP_METHODS]
    rows = {line.split()[0]: line.split()[1:] for line in lines[3:19]}
    assert len(rows) == 16  # 1e-1 .. 1e-16 at one per decade
    # -x^3: central's error is exactly h^2 (|f'''| = 6), so 1.00e-04 at h = 1e-2
    assert rows["1.00e-02"][SWEEP_METHODS.index("central")] == "1.00e-04"
    assert "best h" in run.stdout
    assert "h* ~ eps^(1/3)" in run.stdout


# --- user errors: exit 2, one line on stderr, nothing on stdout ---------------------------------------


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (BAD_EXPRESSION, ["bad expression 'sinn(x)'", "column 1", "did you mean 'sin'"]),
        (BAD_NUMBER, ["--at", "'foo'"]),
        (BAD_METHOD, ["unknown method 'magic'", "central"]),
        (BAD_DEVICE, ["unknown device 'tpu'"]),
        (BAD_DOMAIN_ORDER, ["--domain", "lower end 3 must be below the upper end -3"]),
        (EMPTY_DOMAIN, ["--domain", "lower end 1 must be below the upper end 1"]),
        (BAD_DOMAIN_SHAPE, ["--domain", "A,B"]),
        (MISSING_AT, ["--at"]),
        (MISSING_WHERE, ["--at", "--domain"]),
        (BOTH_WHERE, ["--domain", "not allowed with"]),
        (POINTS_AT_ONE_POINT, ["--points 5 counts the points of --domain; with --at the sweep is at x = 1 alone"]),
        (BAD_H, ["--h", "greater than 0"]),
        (BAD_DTYPE, ["--dtype", "float8"]),
        (APP_OPTION_BEFORE_SUBCOMMAND, ["before 'derive' are for the app"]),
        (THREE_NUMBER_DOMAIN, ["bad domain '-1,2,3'", "two numbers"]),
        (ONE_POINT_DOMAIN, ["--points", "at least 2"]),
        (NEGATIVE_H, ["'-1e-3' must be greater than 0"]),
        (FUNCTION_WITHOUT_PARENTHESES, ["sin needs parentheses"]),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else "",
)
def test_user_errors_are_one_line_and_exit_2(args: tuple[str, ...], fragments: list[str]) -> None:
    line = user_error(*args)
    assert line.startswith("calc-tui")
    for fragment in fragments:
        assert fragment in line


def test_cuda_where_there_is_none_is_a_user_error_and_runs_where_there_is() -> None:
    if torch.cuda.is_available():
        assert cli(*NO_CUDA).returncode == 0
        return
    line = user_error(*NO_CUDA)
    assert "CUDA" in line
    assert "'cuda'" in line


def test_bad_negative_number_is_quoted_as_typed() -> None:
    line = user_error(*BAD_NEGATIVE_NUMBER)
    assert "'-foo'" in line


def test_a_constant_beyond_float64_is_answered_not_a_traceback() -> None:
    # (exit 1 with an OverflowError traceback when this suite was written)
    data = cli(*OVERFLOWING_CONSTANT).json()
    assert data["derivative"] == "0"
    assert data["reference"] is None
    # f = 1e309 is not finite in float64, so by the undefined-point rule even its derivative 0 is not reported
    assert data["results"]["exact"] == {"value": None, "abs_error": None}


# --- undefined points: every method null -------------------------------------------------------------


@pytest.mark.parametrize("args", [LOG_OF_MINUS_ONE, POLE], ids=lambda args: f"{args[1]} at {args[3]}")
def test_every_method_is_null_where_f_is_undefined(args: tuple[str, ...]) -> None:
    """log(-1) and 1/0 have no real value: every method, exact and autograd included, reports null.
    (exact and autograd once said -1 at log(-1): the formula 1/x does not look at whether log(-1) exists.)"""
    run = cli(*args)
    data = run.json()
    assert data["reference"] is None
    assert list(data["results"]) == DERIVE_METHODS
    for name, row in data["results"].items():
        assert row["value"] is None and row["abs_error"] is None, name
        assert set(row) == (RICHARDSON_KEYS if name == "richardson" else {"value", "abs_error"}), name
    assert "NaN" not in run.stdout and "Infinity" not in run.stdout


# --- the README's sweep table ----------------------------------------------------------------------------


def _near(index: int, count: int) -> slice:
    return slice(max(index - 1, 0), min(index + 2, count))


def test_readme_sweep_table_is_what_the_command_prints_within_one_grid_step() -> None:
    """Each figure of the README's table against the same command run now: best h and theory h* within one step
    of the h grid, and each error within the range the measured (or model) curve spans over one grid step either
    side, with 5% for the README's two printed digits."""
    per_decade = int(README_SWEEP[README_SWEEP.index("--per-decade") + 1])
    step = 10 ** (1 / per_decade) * 1.001
    data = cli(*README_SWEEP_JSON).json()
    printed = {
        line.split()[0]: line.split()[1:5]
        for line in cli(*README_SWEEP).stdout.splitlines()
        if line.split()[:1] in ([m] for m in SWEEP_METHODS)
    }
    hs = data["h"]
    assert set(README_ROWS) >= {"forward", "central", "five-point", "complex-step"}
    for name, (best_h, best_error, theory_h, theory_error) in README_ROWS.items():
        best = data["best"][name]
        assert 1 / step <= best["h"] / best_h <= step, f"{name}: best h {best['h']:.1e}, README {best_h:.1e}"
        around = data["errors"][name][_near(hs.index(best["h"]), len(hs))]
        assert min(around) / 1.05 <= best_error <= max(around) * 1.05, f"{name}: error {best_error:.1e} vs {around}"
        optimal_h = data["theory"][name]["optimal_h"]
        assert 1 / step <= optimal_h / theory_h <= step, f"{name}: theory h* {optimal_h:.1e}, README {theory_h:.1e}"
        model = [e for h, e in zip(hs, data["theory"][name]["errors"], strict=True) if 1 / step <= h / optimal_h <= step]
        optimal_error = float(printed[name][3])
        assert optimal_error / 1.05 <= theory_error <= max(model) * 1.05, f"{name}: theory error {theory_error:.1e} vs {model}"


# --- bench and the console script --------------------------------------------------------------------


def test_bench_smoke() -> None:
    data = cli(*BENCH).json()
    assert data["n"] == 1000
    assert set(data["points_per_second"]) == {"raw torch.autograd.grad(sin)", "engine autograd", "engine exact", "engine central"}
    assert all(rate > 0 for rate in data["points_per_second"].values())
    assert set(data["sweep_ms"]) == {"cold (engine caches empty)", "warm (compiled, reference cached)"}
    assert all(ms > 0 for ms in data["sweep_ms"].values())
    assert data["autograd_vs_raw"] > 0


def _console_script() -> str | None:
    found = shutil.which("calc-tui")
    if found:
        return found
    beside = Path(sys.executable).with_name("calc-tui")
    return str(beside) if beside.exists() else None


def test_installed_console_script() -> None:
    script = _console_script()
    assert script is not None, "the calc-tui console script is not installed: pip install -e . (the README's set-up does it)"
    done = subprocess.run(
        [script, "derive", "x^3 - 2x", "--at", "-2", "--json", "--methods", "exact"], capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"]["exact"]["value"] == 10.0
    bad = subprocess.run([script, "derive", "sin(x)", "--at", "foo"], capture_output=True, text=True, timeout=TIMEOUT_S)
    assert bad.returncode == 2 and bad.stdout == ""
    assert "'foo'" in bad.stderr and len(bad.stderr.splitlines()) == 1
    assert "Traceback" not in done.stderr + bad.stderr


# --- what an error quotes and names --------------------------------------------------------------------

LONG_SUM = " + ".join(["sin(x)", "cos(x)", "tanh(x)", "exp(x)", "log(1+x^2)", "sqrt(1+x^2)", "sigmoid(x)", "softplus(x)"])


def test_a_5000_character_expression_is_not_echoed_whole() -> None:
    line = user_error("derive", "x+" * 2500, "--at", "1")
    assert len(line) < 250, len(line)
    assert "5,000 characters" in line and "the limit is 500" in line


def test_an_error_deep_in_a_long_expression_quotes_the_text_around_its_column() -> None:
    text = f"{LONG_SUM} + sinn(x) + {LONG_SUM}"
    column = text.index("sinn") + 1
    line = user_error("derive", text, "--at", "1")
    assert f"column {column}" in line and "did you mean 'sin'" in line
    assert "+ sinn(x) +" in line  # the window around the error...
    assert LONG_SUM not in line and len(line) < 250  # ...not the whole text
    assert f"({len(text)} characters)" in line


def test_a_huge_number_is_quoted_in_part() -> None:
    line = user_error("derive", "sin(x)", "--at", "1" * 3000)
    assert "--at" in line and len(line) < 300, line


@pytest.mark.parametrize(
    ("args", "named", "meant"),
    [
        (("--dev", "cpu"), "'--dev'", "--device"),
        (("--dtyp", "float32"), "'--dtyp'", "--dtype"),
        (("--no-colour",), "'--no-colour'", "--no-color"),
    ],
    ids=["--dev", "--dtyp", "--no-colour"],
)
def test_a_mistyped_app_option_is_named_not_taken_for_a_subcommand(args: tuple[str, ...], named: str, meant: str) -> None:
    line = user_error(*args)
    assert f"unknown option {named}" in line and f"did you mean {meant}?" in line
    assert "invalid choice" not in line


def test_doctor_and_serve_give_the_readmes_install_command_for_the_web_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """calc-tui is installed from a clone, not a package index: `pip install 'calc-tui[web]'` cannot work."""
    from tui import doctor, entry, serve

    command = serve.web_install_command(ROOT)
    assert "'calc-tui[web]'" not in command
    if Path(sys.prefix).resolve() == ROOT / ".venv":  # the README's venv (CI's too): its very words
        assert command == ".venv/bin/pip install -e '.[web]'"
        assert ".venv/bin/pip install -q -e '.[web]'" in README.read_text()
    monkeypatch.chdir(ROOT)
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)  # an install without the extra
    assert entry.main(["serve"]) == 2
    assert capsys.readouterr().err == f"calc-tui: error: calc-tui serve needs textual-serve: {command}\n"
    monkeypatch.setattr(doctor, "package_version", lambda name: "not installed")
    assert doctor.versions()["textual-serve"] == f"not installed (only for calc-tui serve: {command})"


def test_a_subcommands_options_are_added_only_when_it_is_used() -> None:
    """`calc-tui --no-config` (app options, no subcommand) must not pay for every subcommand's options and the
    imports they need; a subcommand that is used parses exactly as before, and its --help lists its options."""
    import argparse
    import types

    from engine.cli.main import Frontend, build_parser

    filled: list[str] = []

    def add_arguments(parser: argparse.ArgumentParser) -> None:
        filled.append("probe")
        parser.add_argument("--size", type=int, required=True, help="how big")

    probe = types.SimpleNamespace(NAME="probe", HELP="a test command", add_arguments=add_arguments, run=lambda args: 0)
    frontend = Frontend(start_app=lambda args: 0, commands=(probe,))

    args = build_parser(frontend).parse_args(["--device", "cpu"])
    assert args.command is None and args.app_device == "cpu" and filled == []

    args = build_parser(frontend).parse_args(["probe", "--size", "3"])
    assert (args.command, args.size, filled) == ("probe", 3, ["probe"])

    parser = build_parser(frontend)
    subparsers = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    assert "--size SIZE  how big" in subparsers.choices["probe"].format_help()
    assert filled == ["probe", "probe"]
    with pytest.raises(SystemExit):
        build_parser(frontend).parse_args(["probe"])  # --size is required: the filled parser says so
