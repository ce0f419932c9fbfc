"""`calc-tui speed` and `scripts/gpu-check` through their real entry points, as a user runs them.

Each command is a subprocess (`python -m tui speed ...`) paying for its own `import torch`, so the
commands are started together, a few at a time, and their results cached. Sizes are tiny: these
tests check what is printed, never how fast anything is.
"""

from __future__ import annotations

import json
import os
import platform
import select
import signal
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import pytest
import torch

from engine.cli.main import main
from engine.speed import machine
from engine.speed import measure as measure_module
from tests.test_speed import FAKE_CACHE_BYTES, MEMORY_COPY_BYTES, Cost, FakeMachine, linear

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 180  # a hang guard on a busy machine, not a benchmark
ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}
ISSUE_KEYS = {"expression", "device", "device_name", "dtype", "threads", "bandwidth_gbps", "sizes", "methods", "unavailable", "skipped"}
SAMPLE_KEYS = {"n", "median_s", "iqr_s", "per_second", "gbps", "bound_fraction"}
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message given where there is no CUDA device")


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


@cache
def run_command(*args: str) -> Run:
    done = subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, timeout=TIMEOUT_S, cwd=ROOT, env=ENV)
    return Run(done.returncode, done.stdout, done.stderr)


def user_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Exit status 2, nothing on stdout, exactly one line on stderr: that line (run in this process: no new torch import)."""
    status: object
    try:
        status = main(list(args))
    except SystemExit as exit_:
        status = exit_.code  # argparse's own errors
    out, err = capsys.readouterr()
    assert status == 2, (status, out, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


TINY = ("--nmin", "1e3", "--nmax", "2000", "--per-decade", "1", "--repeats", "1")
JSON_DEFAULT_EXPRESSION = ("speed", *TINY, "--methods", "exact,autograd", "--json")
TABLE = ("speed", "abs(x)", "--nmin", "1000", "--nmax", "1000", "--repeats", "1", "--methods", "exact,complex-step")
BAD_EXPRESSION = ("speed", "sinn(x)", "--nmax", "1000")
TWO_VARIABLES = ("speed", "x*y", "--nmax", "1000")
FRACTIONAL_SIZE = ("speed", "--nmin", "1.5")
WORD_SIZE = ("speed", "--nmax", "lots")
SIZES_REVERSED = ("speed", "--nmin", "1e4", "--nmax", "1e3")
BAD_METHOD = ("speed", "--methods", "autograd,forward")
BAD_DTYPE = ("speed", "--dtype", "float8")
NO_CUDA = ("speed", "--device", "cuda", "--nmax", "1000")
RUN_AS_A_USER = [JSON_DEFAULT_EXPRESSION, TABLE]


@pytest.fixture(scope="module", autouse=True)
def _run_all_commands_up_front() -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda args: run_command(*args), RUN_AS_A_USER))


def test_json_has_the_issue_keys_and_consistent_numbers() -> None:
    run = run_command(*JSON_DEFAULT_EXPRESSION)
    assert run.returncode == 0, run.stderr
    # No progress bar when stderr is not a terminal; at most the one-line warning a busy machine earns.
    assert run.stderr == "" or (len(run.stderr.splitlines()) == 1 and run.stderr.startswith("calc-tui speed: warning: ")), run.stderr
    data = json.loads(run.stdout)
    assert set(data) >= ISSUE_KEYS
    assert data["expression"] == "sin(x)"  # the default
    # torch's own count in a fresh process (this one may have run the app, which computes on one thread)
    fresh = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.get_num_threads())"], capture_output=True, text=True, check=True
    )
    assert (data["device"], data["dtype"], data["threads"]) == ("cpu", "float64", int(fresh.stdout))
    assert data["sizes"] == [1000, 2000]
    assert list(data["methods"]) == ["exact", "autograd"]
    assert data["unavailable"] == {} and data["skipped"] == []
    assert data["bandwidth_gbps"] > 0
    for samples in data["methods"].values():
        assert [s["n"] for s in samples] == [1000, 2000]
        for s in samples:
            assert set(s) >= SAMPLE_KEYS
            assert s["per_second"] == pytest.approx(s["n"] / s["median_s"])
            assert s["gbps"] == pytest.approx(s["per_second"] * 16 / 1e9)  # read x, write f'(x): 2 x 8 bytes
            copy = next(b for b in data["bounds"] if b["n"] == s["n"])  # a copy of this N's two tensors
            memory = next(b for b in data["bounds"] if b["n"] is None)
            assert copy["tensor_bytes"] == 8 * s["n"] and memory["place"] == "memory"
            bound = max(copy, memory, key=lambda b: b["limit_gbps"])  # the faster of the two bounds
            assert s["bound"] == bound["place"] and s["bound_n"] == bound["n"]  # the copy's N, or null: main memory's
            assert s["bound_fraction"] == pytest.approx(s["gbps"] / bound["limit_gbps"])
            assert bound["limit_gbps"] == bound["upper_gbps"] >= bound["gbps"]  # the faster repeats' rate
            assert s["time_per_call_s"] == s["median_s"] and s["spread"] == pytest.approx(s["iqr_s"] / s["median_s"])
    assert set(data["overhead_per_call_s"]) == {"exact", "autograd"}
    assert set(data["load_average"]) == {"start", "end"}
    if platform.libc_ver()[0] == "glibc":  # freed tensors kept in the heap while measuring (a page fault a call swung rates 30-40%)
        assert data["allocator"].startswith("glibc, freed blocks up to 1 GiB kept")
    thp = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    # the entry point sets THP_MEM_ALLOC_ENABLE before torch loads, so torch's big buffers are on huge pages
    assert data["allocator"].endswith(", huge pages") == (thp.exists() and "[never]" not in thp.read_text())


def test_table_names_the_bound_the_sizes_and_what_cannot_run() -> None:
    run = run_command(*TABLE)
    assert run.returncode == 0, run.stderr
    text = run.stdout
    assert "f(x) = abs(x)   float64 on cpu" in text
    assert "the bound at N: the faster of a copy of N points and main memory's copy" in text and "16 bytes a point" in text
    copies = [line.split()[0] for line in text.splitlines() if line.strip().startswith(("1,000 ", "main memory "))]
    assert copies[:2] == ["1,000", "main"]  # a copy of the N measured, then main memory's
    assert "overhead/call" in text and "time/call at N" in text
    row = next(line for line in text.splitlines() if line.startswith("exact ") and " 1,000 " in line)
    assert row.split()[-1] in ("o", "c", "m")  # the regime mark
    assert "complex-step: unavailable: not applicable: f has a kink or jump" in text


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (BAD_EXPRESSION, "calc-tui: error: bad expression 'sinn(x)': "),
        (TWO_VARIABLES, "calc-tui: error: bad expression 'x*y': "),
        (FRACTIONAL_SIZE, "bad size '1.5'"),
        (WORD_SIZE, "bad size 'lots'"),
        (SIZES_REVERSED, "calc-tui: error: --nmin 10,000 is above --nmax 1,000"),
        (BAD_METHOD, "unknown method 'forward'"),
        (BAD_DTYPE, "invalid choice: 'float8'"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], args: tuple[str, ...], expected: str) -> None:
    assert expected in user_error(capsys, *args)


@no_cuda
def test_cuda_without_a_card_is_a_user_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert "sees no CUDA device" in user_error(capsys, *NO_CUDA)


def test_progress_on_a_terminal_and_ctrl_c_prints_what_was_measured_and_exits_130() -> None:
    master, slave = os.openpty()
    args = ["speed", "--nmin", "1e3", "--nmax", "1e7", "--per-decade", "3", "--methods", "exact,autograd"]
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", *args], stdout=subprocess.PIPE, stderr=slave, text=True, cwd=ROOT, env=ENV, start_new_session=True
    )
    os.close(slave)
    seen = b""
    try:
        while b"at N = 2,154" not in seen:  # the progress bar has reached the second size
            ready, _, _ = select.select([master], [], [], TIMEOUT_S)
            assert ready, f"no progress on the terminal: {seen[-300:]!r}"
            seen += os.read(master, 4096)
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=TIMEOUT_S)
        while select.select([master], [], [], 1)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    assert b"speed [" in seen and b"exact at N = 1,000" in seen
    assert process.returncode == 130  # as any command ended by Ctrl-C, after printing what it had measured
    assert seen.rstrip().endswith(b"calc-tui: interrupted")
    assert "cancelled: the sizes above are the ones measured before the stop" in stdout
    assert "1,000" in stdout


@no_cuda
def test_gpu_check_says_there_is_no_cuda_and_runs_nothing() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "gpu-check")], capture_output=True, text=True, timeout=TIMEOUT_S, env=ENV)
    assert done.returncode == 2, done.stderr
    assert "gpu-check: no CUDA device: torch" in done.stderr
    assert "Nothing was run" in done.stderr
    assert "derive" not in done.stderr


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (torch sees none)")
def test_speed_on_cuda_names_the_card() -> None:
    run = run_command("speed", *TINY, "--methods", "exact,autograd", "--device", "cuda", "--dtype", "float32", "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["device"].startswith("cuda") and data["device_name"] == torch.cuda.get_device_name(0)
    assert all(len(samples) == 2 for samples in data["methods"].values())


# --- the CLI on the fake machine of tests/test_speed.py: what it prints against hand-computed numbers -------------


@pytest.fixture
def fake_cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeMachine]:
    """`calc-tui speed` in this process, measuring on the fake machine of tests/test_speed.py with the costs given."""
    import engine.speed
    from engine.speed import kernels as kernel_module

    monkeypatch.setattr(machine, "bandwidth_tensor_bytes", lambda budget, cache: MEMORY_COPY_BYTES)
    monkeypatch.setattr(measure_module, "cache_bytes", lambda device: FAKE_CACHE_BYTES)

    def make(costs: dict[str, Cost]) -> FakeMachine:
        fake = FakeMachine(costs)
        monkeypatch.setattr(kernel_module, "kernel_for", fake.kernel_for)
        real = measure_module.measure_speed
        monkeypatch.setattr(engine.speed, "measure_speed", lambda request, **options: real(request, stopwatch=fake.stopwatch, **options))
        return fake

    return make


def test_threads_on_the_command_line_are_the_threads_measured_with(
    fake_cli: Callable[..., FakeMachine], capsys: pytest.CaptureFixture[str]
) -> None:
    asked = 1 if torch.get_num_threads() != 1 else 2
    fake = fake_cli({"exact": linear(10e-6, 2e-9)})
    status = main(["speed", "--nmin", "1e4", "--nmax", "1e4", "--methods", "exact", "--threads", str(asked), "--json"])
    out, _err = capsys.readouterr()
    assert status == 0
    assert fake.threads_seen == {asked}
    assert json.loads(out)["threads"] == asked


def test_the_table_prints_the_hand_computed_figures(fake_cli: Callable[..., FakeMachine], capsys: pytest.CaptureFixture[str]) -> None:
    # exact: 10 us + 2 ns a point. N = 10,000: 30 us a call, 333M/s, 5.33 GB/s: 13% of the 40 GB/s cache copy.
    # N = 100,000: 210 us, 476M/s, 7.62 GB/s: 76% of the 10 GB/s memory copy.
    fake_cli({"exact": linear(10e-6, 2e-9)})
    status = main(["speed", "--nmin", "1e4", "--nmax", "1e5", "--per-decade", "1", "--methods", "exact", "--repeats", "3"])
    out, err = capsys.readouterr()
    assert status == 0 and err == ""
    rows = [line.split() for line in out.splitlines() if line.startswith("exact ")]
    assert rows[0] == ["exact", "10", "us", "-", "-", "-"]  # overhead/call: 10 us + 8 points x 2 ns = 10.016 us
    assert rows[1] == ["exact", "10,000", "333M", "30", "us", "0%", "cache", "13%", "c"]
    assert rows[2] == ["exact", "100,000", "476M", "210", "us", "0%", "memory", "76%", "m"]
    # A copy of 10,000 points moves 160 kB, in the fake 1 MB cache: 40 GB/s; of 100,000, 1.6 MB: 10 GB/s, as main memory.
    assert (
        "       10,000      40      40      0%   cache           2.5G\n"
        "      100,000      10      10      0%  memory           625M\n"
        "  main memory      10      10      0%  memory           625M\n"
    ) in out


def test_a_share_over_the_bound_is_flagged_not_printed_and_the_cli_warns(
    fake_cli: Callable[..., FakeMachine], capsys: pytest.CaptureFixture[str]
) -> None:
    fake_cli({"exact": linear(0.0, 0.2e-9)})  # 10,000 points in 2 us: 80 GB/s, twice the cache copy
    status = main(["speed", "--nmin", "1e4", "--nmax", "1e4", "--methods", "exact", "--repeats", "3", "--threads", "1"])
    out, err = capsys.readouterr()
    assert status == 0
    row = next(line.split() for line in out.splitlines() if line.startswith("exact ") and "10,000" in line)
    assert row == ["exact", "10,000", "5G!", "2", "us", "0%", "cache", "over!", "c"]
    assert "200%" not in row
    assert "! exact at N = 10,000: exceeds the bound (200%; no derivative outruns a copy of its size): timing unreliable" in out
    assert (
        err == "calc-tui speed: warning: 1 figure unreliable (marked !): the machine is busy; try a quieter machine\n"
    )  # one thread already


def test_the_skip_summary_names_each_method_and_size(fake_cli: Callable[..., FakeMachine], capsys: pytest.CaptureFixture[str]) -> None:
    # 100 ns a point for exact, 1 us for central: at --max-seconds 0.05, central stops after 1e4, exact after 1e5.
    fake_cli({"exact": linear(0.0, 100e-9), "central": linear(0.0, 1e-6)})
    args = ["speed", "--nmin", "1e3", "--nmax", "1e6", "--per-decade", "1", "--methods", "exact,central", "--repeats", "3"]
    status = main([*args, "--max-seconds", "0.05"])
    out, _err = capsys.readouterr()
    assert status == 0
    skipped = [line for line in out.splitlines() if ": skipped N = " in line]
    assert [line.split(":")[0] + ":" + line.split(":")[1] for line in skipped] == [
        "central: skipped N = 100,000, 1,000,000",
        "exact: skipped N = 1,000,000",
    ]


def test_compiled_rows_give_graphs_and_breaks_and_say_when_nothing_was_compiled(
    fake_cli: Callable[..., FakeMachine], capsys: pytest.CaptureFixture[str]
) -> None:
    """The real dynamo explain (tracing only); the kernels themselves are the fake machine's."""
    fake_cli({"exact-compiled": linear(10e-6, 2e-9), "complex-step-compiled": linear(10e-6, 2e-9)})
    status = main(["speed", "--nmin", "1e4", "--nmax", "1e4", "--methods", "exact-compiled,complex-step-compiled", "--repeats", "3"])
    out, _err = capsys.readouterr()
    assert status == 0
    summary = {line.split()[0]: line.split()[-2:] for line in out.splitlines() if line.endswith((" 0", " 1")) and "-compiled " in line}
    assert summary == {"exact-compiled": ["1", "0"], "complex-step-compiled": ["1", "0"]}  # graphs, breaks
    rows = {line.split()[0]: line.split() for line in out.splitlines() if " 10,000 " in line}
    assert rows["exact-compiled"][2] == "333M" and rows["complex-step-compiled"][2] == "333M!"
    assert (
        "complex-step-compiled: not compiled: the compiler generated no code for it "
        "(inductor has no code generation for complex operators): its figures are eager code plus the compiler's overhead"
    ) in out
    data_line = [line for line in out.splitlines() if line.startswith("exact-compiled:")]
    assert data_line == []  # exact-compiled is one fused graph: nothing to say


def test_a_compiled_row_that_gains_little_says_so_and_one_that_gains_enough_says_nothing(
    fake_cli: Callable[..., FakeMachine], capsys: pytest.CaptureFixture[str]
) -> None:
    """exact-compiled 1.2x its eager twin (1.2 ns a point against 1 ns): the row says by how much, in the text and the JSON."""
    fake_cli({"exact": linear(0.0, 1.2e-9), "exact-compiled": linear(0.0, 1e-9)})
    args = ["speed", "--nmin", "1e4", "--nmax", "1e4", "--methods", "exact,exact-compiled", "--repeats", "3"]
    assert main(args) == 0
    out, _err = capsys.readouterr()
    gain_lines = [line for line in out.splitlines() if line.startswith("exact-compiled: compiled, ")]
    assert len(gain_lines) == 1 and gain_lines[0].startswith("exact-compiled: compiled, 1.20x eager at N = 10,000: ")
    assert main([*args, "--json"]) == 0
    gain = json.loads(capsys.readouterr().out)["compile_gain"]["exact-compiled"]
    assert gain["n"] == 10_000 and gain["ratio"] == pytest.approx(1.2) and gain["note"] == gain_lines[0].removeprefix("exact-compiled: ")

    fake_cli({"exact": linear(0.0, 2e-9), "exact-compiled": linear(0.0, 1e-9)})  # 2x: what fusing should give
    assert main(args) == 0
    assert "exact-compiled: compiled, " not in capsys.readouterr().out


def test_a_noisy_copy_alone_is_warned_about_without_marks() -> None:
    from engine.cli.speed import warning
    from engine.speed import SpeedReport, SpeedRequest
    from engine.speed.report import Bound

    bounds = (Bound("cache", 8000, 40.0, 20.0, 5, 50.0, 1000), Bound("memory", 2**20, 10.0, 0.5, 5, 10.2))
    report = SpeedReport(SpeedRequest(), "cpu", "Made-up CPU", "float64", 1, 10.2, 10**6, 10**9, (), (), bounds=bounds)
    assert warning(report) == (
        "calc-tui speed: warning: the copy at N = 1,000 spread over 25%: the machine is busy; try a quieter machine"  # 1 thread
    )
    assert warning(replace(report, bounds=bounds[1:])) is None
    noisy_memory = (bounds[0], replace(bounds[1], iqr_gbps=5.0))
    assert "the copies at N = 1,000 and from main memory spread over 25%" in str(warning(replace(report, bounds=noisy_memory)))
    assert str(warning(replace(report, threads=2))).endswith("try --threads 1 or a quieter machine")


def test_the_copies_print_as_a_table_of_hand_computed_bounds_and_a_stalled_copy_is_warned_about() -> None:
    """One core of a server part: a copy of 1e6 points (16 MB) runs at 28 GB/s, of 1e7 at 14, main memory's at 13.8.
    A copy of 1e5 at 5 GB/s, below the 1e4 copy's and the 1e6 one's, stalled: the faster neighbour's bound stands in."""
    from engine.cli.speed import _bound_lines, warning
    from engine.speed import SpeedReport, SpeedRequest
    from engine.speed.report import Bound

    bounds = (
        Bound("cache", 80_000, 70.0, 0.7, 5, 72.0, 10_000),
        Bound("cache", 8 * 10**6, 28.0, 0.0, 5, 28.0, 10**6),
        Bound("cache", 8 * 10**7, 14.0, 0.0, 5, 14.0, 10**7),
        Bound("memory", 2**30, 13.7, 0.0, 5, 13.8),
    )
    report = SpeedReport(SpeedRequest(), "cpu", "Made-up Xeon", "float64", 1, 13.8, 480 * 2**20, 10**10, (), (), bounds=bounds)
    assert warning(report) is None and report.stalled_copies == ()
    assert _bound_lines(report)[3:] == [
        "    copy of N    GB/s  median  spread   place  bound deriv/s",
        "       10,000      72      70      1%   cache           4.5G",  # 72 GB/s over 16 bytes a point
        "    1,000,000      28      28      0%   cache          1.75G",
        "   10,000,000      14      14      0%   cache           875M",  # 14 GB/s beats main memory's 13.8
        "  main memory    13.8    13.7      0%  memory           862M",
        "(main memory's copy: 1,024 MiB a tensor, 5 repeats; an elementwise",
        "derivative reads x and writes f'(x): 16 bytes a point)",
    ]
    assert max(len(line) for line in _bound_lines(report)) <= 80  # a terminal's width
    one_copy = replace(report, bounds=(Bound("cache", 8000, 6.0, 0.0, 5, 6.0, 1000), bounds[-1]))
    assert _bound_lines(one_copy)[4] == "        1,000       6       6      0%   cache           862M main memory's"
    stalled = replace(report, bounds=(bounds[0], Bound("cache", 800_000, 5.0, 0.0, 5, 5.0, 100_000), *bounds[1:]))
    assert [b.n for b in stalled.stalled_copies] == [100_000] and stalled.as_dict()["stalled_copies"] == [100_000]
    lines = _bound_lines(stalled)
    assert lines[5] == "      100,000       5       5      0%   cache           4.5G stalled! N = 10,000's"  # the faster neighbour
    assert lines[-2:] == [
        "the copy at N = 100,000 came out below a smaller copy's rate and the next one's:",
        "a stall; the faster copy beside it gives the bound there",
    ]
    assert warning(stalled) == "calc-tui speed: warning: the copy at N = 100,000 stalled: the machine is busy; try a quieter machine"
