"""`calc-tui lesson`: the app with the lesson open; `--list` prints the steps, `--check N` checks a task headless.

`calc-tui lesson --check N --json [FILE]` reads an observation (the state and views the
app would show: see tui/lesson/observation.py) from FILE or stdin, runs step N's check
on it and prints the verdict: exit 0 when the task is done, 1 when it is not, 2 for
input it cannot read. It needs neither torch nor the app.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from engine.cli.arguments import UserError
from engine.cli.output import json_safe
from tui.options import AppOptions, add_app_options, build_app, run_app

NAME = "lesson"
HELP = "the derivatives lesson, step by step beside the demos (--list: the steps; --check N: check step N's task on a state in JSON)"
NOT_DONE = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--list", action="store_true", help="print the steps and their tasks, then exit")
    what.add_argument("--check", metavar="N", help="check step N's task against an observation in JSON (FILE, or stdin)")
    parser.add_argument("file", nargs="?", metavar="FILE", help="with --check: the observation's JSON file (default: stdin)")
    parser.add_argument("--json", action="store_true", help="with --list or --check: print JSON")
    add_app_options(parser)


def run(args: argparse.Namespace) -> int:
    if args.file is not None and args.check is None:
        raise UserError("FILE is read only with --check N")
    if args.list:
        return print_steps(args.json)
    if args.check is not None:
        return check(args.check, args.file, args.json)
    return run_app(build_app(AppOptions.from_args(args), os.environ, sys.stdout.encoding, lesson=True))


def steps_data() -> list[dict[str, Any]]:
    from tui.lesson.steps import STEPS

    return [
        {"step": number, "key": step.key, "title": step.title, "demo": step.demo, "task": step.task or None}
        for number, step in enumerate(STEPS, start=1)
    ]


def print_steps(as_json: bool) -> int:
    steps = steps_data()
    if as_json:
        print(json.dumps({"steps": steps}, indent=2))
        return 0
    for step in steps:
        task = f"\n     task: {step['task']}" if step["task"] else ""
        print(f"{step['step']:>2}. {step['title']}  [{step['demo']}]{task}")
    return 0


def check(number_text: str, path: str | None, as_json: bool) -> int:
    from tui.lesson.observation import ObservationError, observation_from_json
    from tui.lesson.steps import STEPS, step_number

    try:
        number = step_number(number_text)
    except ValueError as error:
        raise UserError(str(error)) from None
    step = STEPS[number - 1]
    if step.check is None:
        raise UserError(f"step {number} ({step.title}) has no task to check; steps with tasks: {tasked(STEPS)}")
    source = path or "stdin"
    try:
        text = sys.stdin.read() if path is None else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read {source}: {getattr(error, 'strerror', None) or error}") from None
    try:
        observation = observation_from_json(json.loads(text))
    except json.JSONDecodeError as error:
        raise UserError(f"{source} is not JSON: line {error.lineno}, column {error.colno}: {error.msg}") from None
    except ObservationError as error:
        raise UserError(f"{source}: {error}") from None
    verdict = step.check(observation)
    if as_json:
        data = {
            "step": number,
            "key": step.key,
            "title": step.title,
            "task": step.task,
            "done": verdict.done,
            "explanation": verdict.explanation,
        }
        print(json.dumps(json_safe(data), indent=2))
    else:
        print(f"step {number}, {step.title}: {'done' if verdict.done else 'not done'}\n{verdict.explanation}")
    return 0 if verdict.done else NOT_DONE


def tasked(steps: Any) -> str:
    return ", ".join(str(number) for number, step in enumerate(steps, start=1) if step.check is not None)
