"""Whole runs: Inspect benchmarks, hostile MATH answers in a run, an interrupted verify.

Run by hand (not collected by pytest), from the repository root (about 10 minutes)::

    SUSTAIN_DATA_DIR=../shared/data python tests/perf/bench_runs.py [--repeats 3]
        [--out tests/perf/RESULTS.md]

The data folder is ``--data-dir`` or, without it, ``$SUSTAIN_DATA_DIR``. Each figure is the
median of ``--repeats`` runs (at least 3) and is set against the bound a test used to assert
(the tests now check what the runs produce, not how long they take):

- every item of MATH-500 and HotpotQA through Inspect with ``sustain/reference``, in self and
  reference mode; claim: under 300 s a run (``tests/inspect/test_inspect_benchmarks.py``);
- the hostile MATH answers of that test file (a power tower refused by the screen, an
  expansion cut at the worker's deadline) in a four-sample Inspect run with a heartbeat task on
  the event loop; claims: the run under 60 s, each hostile sample under 15 s, no gap between
  heartbeats (every 50 ms) of 2 s or more;
- ``sustain verify --task math500`` on 4000 outputs that all need the symbolic worker,
  interrupted (SIGINT) once the first verdict is in; claim: it exits within 15 s
  (``tests/cli/test_cli_benchmarks.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "verifiers")]

from _report import write_section  # noqa: E402 - beside this script
from inspect_ai import Task  # noqa: E402
from inspect_ai import eval as inspect_eval  # noqa: E402
from inspect_ai.solver import Generate, Solver, TaskState, solver  # noqa: E402

from sustain_tasks._inspect import (  # noqa: E402
    clear_verdicts,
    item_index,
    items_dataset,
    mode_metrics,
    sustain_scorer,
    sustain_solver,
)
from sustain_tasks.benchmarks import get_benchmark  # noqa: E402
from sustain_tasks.benchmarks.data import DATA_DIR_ENV  # noqa: E402
from sustain_tasks.hotpotqa import hotpotqa  # noqa: E402
from sustain_tasks.math500 import math500  # noqa: E402

SECTION = "# Whole runs: Inspect benchmarks, hostile MATH answers, an interrupted verify"
WHOLE_RUN_CLAIM = 300.0
HOSTILE_RUN_CLAIM = 60.0
HOSTILE_SAMPLE_CLAIM = 15.0
HEARTBEAT_GAP_CLAIM = 2.0
INTERRUPT_CLAIM = 15.0
TASKS: dict[str, Callable[..., Task]] = {"math500": math500, "hotpotqa": hotpotqa}


def load_test_module(relative: str) -> ModuleType:
    path = REPO / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@dataclass
class Heartbeat:
    """Ticks of a background task on the eval's event loop: a long gap means it was blocked."""

    ticks: list[float] = field(default_factory=list)
    period: float = 0.05

    def max_gap(self) -> float:
        gaps = [b - a for a, b in zip(self.ticks, self.ticks[1:], strict=False)]
        return max(gaps, default=float("inf"))


@solver
def heartbeat(beat: Heartbeat) -> Solver:
    """Starts the heartbeat on the first sample; changes nothing."""
    running: list[asyncio.Task[None]] = []

    async def tick() -> None:
        for _ in range(int(300 / beat.period)):
            beat.ticks.append(time.monotonic())
            await asyncio.sleep(beat.period)

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        del generate
        if not running:
            running.append(asyncio.get_running_loop().create_task(tick()))
        return state

    return solve


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def met(value: float, claim: float) -> str:
    return f"< {claim:g} s: {'met' if value < claim else 'NOT met'}"


def runs(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def whole_runs(folder: Path, repeats: int, missed: list[str]) -> list[str]:
    rows = []
    for bench, mode in [(b, m) for b in TASKS for m in ("self", "reference")]:
        seconds = []
        for n in range(repeats):
            clear_verdicts()  # each run judges its outputs afresh
            log, dt = timed(lambda bench=bench, mode=mode, n=n: inspect_eval(
                TASKS[bench](mode=mode), model="sustain/reference", display="none",
                log_dir=str(folder / f"{bench}-{mode}-{n}"))[0])
            if log.status != "success" or log.results is None or \
                    log.results.completed_samples != 500:
                raise SystemExit(f"{bench} {mode}: {log.status} {log.error}")
            seconds.append(dt)
        median = statistics.median(seconds)
        if median >= WHOLE_RUN_CLAIM:
            missed.append(f"{bench} {mode} run")
        rows.append(f"| {get_benchmark(bench).title} | {mode} | {median:.1f} s | "
                    f"{runs(seconds)} s | {met(median, WHOLE_RUN_CLAIM)} |")
    return ["## Every item through Inspect with `sustain/reference` (500 samples a run)", "",
            "| benchmark | mode | median | all runs | claim |", "|---|---|---|---|---|",
            *rows, ""]


def hostile_run(folder: Path, repeats: int, missed: list[str]) -> list[str]:
    tests = load_test_module("tests/inspect/test_inspect_benchmarks.py")
    bench = get_benchmark("math500")
    items = item_index(bench).items[:4]
    outputs = [tests.HOSTILE[0][0], tests.HOSTILE[1][0],
               "Simplify the fraction: \\boxed{\\frac{28}{6}}", items[3].reference]
    path = folder / "hostile.jsonl"
    path.write_text("".join(json.dumps({"id": item.id, "output": out}) + "\n"
                            for item, out in zip(items, outputs, strict=True)), "utf-8")
    walls: list[float] = []
    gaps: list[float] = []
    per_sample: dict[int, list[float]] = {n: [] for n in tests.HOSTILE}
    hows: dict[int, str] = {}
    for n in range(repeats):
        clear_verdicts()  # otherwise the second run finds every verdict remembered
        beat = Heartbeat()
        task = Task(dataset=items_dataset(bench, items),
                    solver=[heartbeat(beat), sustain_solver("math500", mode="self")],
                    scorer=sustain_scorer("math500"), metrics=mode_metrics("self"))
        log, dt = timed(lambda task=task, n=n: inspect_eval(
            task, model="sustain/replay", model_args={"outputs": str(path)}, display="none",
            log_dir=str(folder / f"hostile-{n}"))[0])
        if log.status != "success" or log.samples is None:
            raise SystemExit(f"hostile run: {log.status} {log.error}")
        walls.append(dt)
        gaps.append(beat.max_gap())
        samples = {str(s.id): s for s in log.samples}
        for k in tests.HOSTILE:
            sample = samples[items[k].id]
            per_sample[k].append(float(sample.total_time or 0.0))
            meta = sample.scores["sustain_scorer"].metadata  # type: ignore[index]
            hows[k] = str(meta["plain_detail"]).rpartition("[")[2].partition(":")[0]
    wall, gap = statistics.median(walls), statistics.median(gaps)
    lines = ["## Hostile MATH answers in a four-sample Inspect run (`sustain/replay`)", "",
             "| measure | median | all runs | claim |", "|---|---|---|---|",
             f"| whole run | {wall:.1f} s | {runs(walls)} s | {met(wall, HOSTILE_RUN_CLAIM)} |"]
    if wall >= HOSTILE_RUN_CLAIM:
        missed.append("hostile run")
    for k, times in per_sample.items():
        median = statistics.median(times)
        if median >= HOSTILE_SAMPLE_CLAIM:
            missed.append(f"hostile sample {k}")
        answer = tests.HOSTILE[k][0].partition("\\boxed{")[2][:-1]
        lines.append(f"| sample {k}, answer `{answer}` ({hows[k]}) | "
                     f"{median:.1f} s | {runs(times)} s | {met(median, HOSTILE_SAMPLE_CLAIM)} |")
    if gap >= HEARTBEAT_GAP_CLAIM:
        missed.append("heartbeat gap")
    lines += [f"| longest gap between event-loop heartbeats (every 50 ms) | {gap:.2f} s | "
              f"{', '.join(f'{g:.2f}' for g in gaps)} s | {met(gap, HEARTBEAT_GAP_CLAIM)} |", ""]
    return lines


def interrupted_verify(folder: Path, repeats: int, missed: list[str]) -> list[str]:
    outputs = folder / "symbolic.jsonl"
    outputs.write_text("".join(json.dumps({"id": f"x{i}", "output": f"\\boxed{{{i}/7}}",
                                           "target": "\\frac{3}{7}"}) + "\n"
                               for i in range(4000)), "utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO), str(REPO / "verifiers"), os.environ.get("PYTHONPATH", "")]))
    seconds = []
    # a process started with SIGINT ignored (background job, nohup) passes that on to its
    # children, and Python then turns no Ctrl-C into KeyboardInterrupt: undo it for them
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    for _ in range(repeats):
        proc = subprocess.Popen(
            [sys.executable, "-m", "sustain_tasks.cli", "verify", "--task", "math500",
             "--outputs", str(outputs), "--progress"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=folder)
        try:
            assert proc.stderr is not None
            first = proc.stderr.readline()  # verifying: 0/4000
            first = proc.stderr.readline()  # the first verdict: a worker is up
            if not first.startswith("verifying: 1/4000"):
                raise SystemExit(f"unexpected progress line {first!r}")
            proc.send_signal(signal.SIGINT)
            code, dt = timed(lambda proc=proc: proc.wait(timeout=600))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        rest = proc.stderr.read()
        if code != 130 or "sustain: interrupted" not in rest:
            raise SystemExit(f"interrupted verify exited {code}: {rest[-500:]}")
        seconds.append(dt)
    median = statistics.median(seconds)
    if median >= INTERRUPT_CLAIM:
        missed.append("interrupted verify")
    return ["## `sustain verify --task math500`, 4000 symbolic outputs, SIGINT after the first "
            "verdict", "",
            "| measure | median | all runs | claim |", "|---|---|---|---|",
            f"| from SIGINT to exit (code 130) | {median:.2f} s | "
            f"{', '.join(f'{s:.2f}' for s in seconds)} s | {met(median, INTERRUPT_CLAIM)} |", ""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get(DATA_DIR_ENV) or None,
                        help=f"the offline data folder (default: ${DATA_DIR_ENV})")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args(argv)
    if not args.data_dir:
        parser.error(f"give --data-dir or set {DATA_DIR_ENV}")
    if args.repeats < 3:
        parser.error("--repeats must be at least 3 (the median of three runs or more)")
    os.environ[DATA_DIR_ENV] = str(Path(args.data_dir).resolve())
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    lines = [SECTION, "",
             f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
             f"- machine: {platform.machine()}, nproc {os.cpu_count()}, Python "
             f"{platform.python_version()}, {platform.system()} {platform.release()}",
             f"- load average at start: {', '.join(f'{x:.2f}' for x in os.getloadavg())}",
             "- command: `SUSTAIN_DATA_DIR=../shared/data python tests/perf/bench_runs.py` "
             "(from the repository root)",
             f"- every figure is the median of {args.repeats} runs; the claim is the bound a "
             "test used to assert", ""]
    missed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench_runs_") as tmp:
        folder = Path(tmp)
        print("\n".join(lines), flush=True)
        for part in (whole_runs, hostile_run, interrupted_verify):
            new = part(folder, args.repeats, missed)
            print("\n".join(new), flush=True)
            lines += new
    lines.append(f"- claims not met: {', '.join(missed) if missed else 'none'}")
    print(lines[-1])
    write_section(Path(args.out), SECTION, lines)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
