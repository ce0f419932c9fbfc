"""`calc-tui lesson`: --list prints the steps, --check N decides step N's task from an observation in JSON (stdin or a
file) with exit 0 done / 1 not done / 2 unreadable, without torch; plain `calc-tui lesson` starts the app with the
lesson open, with the app's own options."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import tui.lesson.command
from tui.app import CalcApp
from tui.entry import main
from tui.lesson.steps import STEPS

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 60  # a hang guard, not a benchmark

# Step 4's task (h from 1e-2 down to 1e-8) as the app would observe it, done.
SHRUNK = {
    "demo": "error-vs-h",
    "dtype": "float64",
    "lab": {"function": "sin(x)", "h": 1e-8, "order": 1, "methods": ["forward", "central"], "x0": 1.0},
    "sweep": {
        "dtype": "float64",
        "order": 1,
        "function": "sin(x)",
        "h": [1e-2, 1e-5, 1e-8],
        "errors": {"central": [1.4e-5, 3.1e-11, 5.6e-9]},
        "best_h": {"central": 1e-5},
        "best_error": {"central": 3.1e-11},
        "model_h": {"central": 6.7e-6},
    },
}


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def lesson(*args: str, stdin: str = "") -> Run:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-m", "tui", "lesson", *args], input=stdin, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=ROOT, env=env
    )
    assert "Traceback" not in done.stderr, done.stderr
    return Run(done.returncode, done.stdout, done.stderr)


def test_list_prints_every_step_with_its_demo_and_task() -> None:
    run = lesson("--list")
    assert run.returncode == 0
    for number, step in enumerate(STEPS, start=1):
        assert f"{number:>2}. {step.title}  [{step.demo}]" in run.stdout
    assert "task: press [ until h is 1e-8" in run.stdout
    data = json.loads(lesson("--list", "--json").stdout)
    assert [s["title"] for s in data["steps"]] == [s.title for s in STEPS]
    assert data["steps"][-1]["task"] is None  # the last step is to read


def test_check_reads_stdin_and_says_done_with_the_observations_numbers() -> None:
    run = lesson("--check", "4", "--json", stdin=json.dumps(SHRUNK))
    assert run.returncode == 0, run.stderr
    verdict = json.loads(run.stdout)
    assert verdict["done"] is True and verdict["step"] == 4
    assert "was 1.4e-05 at h = 1e-2, fell to 3.1e-11 at h = 1.0e-05, and is back up to 5.6e-09 at h = 1e-8" in verdict["explanation"]


def test_check_of_a_wrong_answer_says_not_done_with_exit_1(tmp_path: Path) -> None:
    short = {**SHRUNK, "lab": {**SHRUNK["lab"], "h": 1e-7}}  # type: ignore[dict-item]
    path = tmp_path / "state.json"
    path.write_text(json.dumps(short))
    run = lesson("--check", "4", str(path))
    assert run.returncode == 1
    assert run.stdout.startswith("step 4, Shrinking h from 1e-2 to 1e-8: not done\nh is 1.0e-07: press [")


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("--check", "4"), "{not json", "stdin is not JSON: line 1, column 2: Expecting property name enclosed in double quotes"),
        (("--check", "4"), '{"lab": {"h": "tiny"}}', "stdin: lab.h: expected a number, got 'tiny'"),
        (("--check", "12"), "{}", "step must be from 1 to 11, got 12"),
        (("--check", "ten"), "{}", "step must be a number from 1 to 11, got 'ten'"),
        (("--check", "10"), "{}", "step 10 (Millions of times a second) has no task to check; steps with tasks: 1, 2, 3, 4, 5, 6, 7, 8, 9"),
        (("--check", "4", "/nonexistent/state.json"), "", "cannot read /nonexistent/state.json: No such file or directory"),
        (("--list", "state.json"), "", "FILE is read only with --check N"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], stdin: str, message: str) -> None:
    run = lesson(*args, stdin=stdin)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.strip() == f"calc-tui: error: {message}"


def test_check_needs_neither_torch_nor_the_app(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(SHRUNK))
    code = (
        "import sys, tui.entry\n"
        f"status = tui.entry.main(['lesson', '--check', '4', {str(path)!r}])\n"
        "print(status, 'torch' in sys.modules, 'textual.app' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT_S, cwd=ROOT)
    assert done.stdout.splitlines()[-1] == "0 False False", done.stderr


def test_plain_lesson_starts_the_app_with_the_lesson_and_the_apps_options(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[CalcApp] = []
    monkeypatch.setattr(tui.lesson.command, "run_app", lambda app: started.append(app) or 0)
    assert main(["lesson", "--ascii", "--no-color", "--no-config", "--dtype", "float32"]) == 0
    (app,) = started
    assert app._open_lesson and app.settings_file is None
    assert app.state.look.ascii and not app.state.look.color and app.requested_dtype == "float32"
