"""Time the isolated code runner against a naive unisolated one on HumanEval's 164 references.

Usage::

    python tests/perf/bench_code_runner.py [--data-dir DIR] [--repeats 3] \
        [--out tests/perf/RESULTS.md]

The data folder is ``--data-dir`` or, without it, ``$SUSTAIN_DATA_DIR`` (one of the two is
required); it must hold ``humaneval/HumanEval.jsonl.gz``.

Each program is the item's ``prompt + canonical_solution``, its tests the item's ``test`` and
``check(<entry_point>)``. Measured, in the same process, ``--repeats`` times each:

- isolated: :func:`sustain_verifiers.execution.run_many` (bubblewrap, parallel, default
  workers: one per core);
- naive: one ``python3`` (this interpreter, ``sys.executable``) subprocess per program with
  ``-c program+tests``, one after the other, no isolation and no limits.

Reported: the median total over the repeats, and the median time per program (the isolated
runner's ``RunResult.seconds``, the naive runner's subprocess wall time). Then the wall time of
a fork bomb and of a memory bomb in the isolated runner with the benchmarks' default limits,
and where the time of one isolated run goes. Only the standard library measures
(``time.perf_counter``). The figures are printed and written to their own section of the
Markdown report (``# Code runner benchmark ...``), replacing that section when it exists and keeping
the rest of the file.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "verifiers")]

from _report import write_section  # noqa: E402 - beside this script
from sustain_verifiers import execution  # noqa: E402
from sustain_verifiers.execution import (  # noqa: E402
    DEFAULT_LIMITS,
    RunResult,
    default_workers,
    run_many,
    run_tests,
)

from sustain_tasks.benchmarks.data import DATA_DIR_ENV  # noqa: E402

SECTION = "# Code runner benchmark: HumanEval references, isolated vs naive"
FORK_BOMB = ("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n"
             "        pass\n")
MEMORY_BOMB = "chunks = []\nwhile True:\n    chunks.append(bytearray(64 << 20))\n"


def load(data_dir: Path) -> list[tuple[str, str]]:
    """(program, tests) for each HumanEval item."""
    jobs = []
    with gzip.open(data_dir / "humaneval" / "HumanEval.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                item = json.loads(line)
                jobs.append((item["prompt"] + item["canonical_solution"],
                             item["test"] + f"\n\ncheck({item['entry_point']})\n"))
    return jobs


def naive(jobs: Sequence[tuple[str, str]]) -> tuple[float, list[float], int]:
    """Total seconds, seconds per program, programs that exited 0."""
    per: list[float] = []
    passed = 0
    start = time.perf_counter()
    for program, tests in jobs:
        one = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", program + "\n" + tests],
                              capture_output=True, timeout=60, check=False)
        per.append(time.perf_counter() - one)
        passed += proc.returncode == 0
    return time.perf_counter() - start, per, passed


def isolated(jobs: Sequence[tuple[str, str]]) -> tuple[float, list[float], int]:
    start = time.perf_counter()
    results = run_many(jobs, DEFAULT_LIMITS)
    total = time.perf_counter() - start
    return total, [r.seconds for r in results], sum(r.passed for r in results)


def median_of(runs: Sequence[float]) -> float:
    return statistics.median(runs)


def timed_median(fn: Callable[[], Any], n: int) -> float:
    seconds = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def ms(x: float) -> str:
    return f"{1000 * x:.1f} ms"


def command_output(*cmd: str) -> str:
    try:
        return subprocess.run(list(cmd), capture_output=True, text=True, check=False,
                              timeout=30).stdout.strip()
    except OSError:
        return "unavailable"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get(DATA_DIR_ENV) or None,
                        help=f"folder with humaneval/HumanEval.jsonl.gz (default: "
                             f"${DATA_DIR_ENV})")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args(argv)
    if not args.data_dir:
        parser.error(f"give --data-dir or set {DATA_DIR_ENV}")
    execution.isolation()  # refuse early without bubblewrap
    jobs = load(Path(args.data_dir))
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    command = "python " + " ".join([os.path.relpath(__file__, REPO), *sys.argv[1:]])
    say(SECTION)
    say()
    say(f"- date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    say(f"- machine: {platform.machine()}, nproc {command_output('nproc')}, Python "
        f"{platform.python_version()}, {command_output('bwrap', '--version')}, "
        f"{platform.system()} {platform.release()}")
    say(f"- load average at start: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    say(f"- command: `{command}` (from the repository root)")
    say(f"- {len(jobs)} programs (`prompt + canonical_solution`, tests `test` + "
        f"`check(entry_point)`); {args.repeats} repeats of each runner, medians reported")
    say(f"- isolated: `run_many`, bubblewrap, {default_workers()} workers (default: one per "
        f"core), limits {DEFAULT_LIMITS.timeout:g} s / {DEFAULT_LIMITS.memory_mb} MiB / "
        f"{DEFAULT_LIMITS.processes} processes")
    say("- naive: one `python3 -c program+tests` subprocess per program (`sys.executable`), "
        "sequential, no isolation, no limits")
    say()

    run_tests("x = 1\n", "assert x\n")  # warm up: the sandbox probe, the page cache
    iso_totals, iso_per, iso_passed = [], [], []
    naive_totals, naive_per, naive_passed = [], [], []
    for _ in range(args.repeats):
        total, per, passed = isolated(jobs)
        iso_totals.append(total)
        iso_per += per
        iso_passed.append(passed)
        total, per, passed = naive(jobs)
        naive_totals.append(total)
        naive_per += per
        naive_passed.append(passed)

    say("## Totals")
    say()
    say("| runner | total (median of repeats) | all totals | per program, median | "
        "per program, p95 | passed |")
    say("|---|---|---|---|---|---|")
    for name, totals, per, passed in (("isolated (`run_many`)", iso_totals, iso_per,
                                       iso_passed),
                                      ("naive (sequential `python3 -c`)", naive_totals,
                                       naive_per, naive_passed)):
        ordered = sorted(per)
        say(f"| {name} | {median_of(totals):.2f} s | "
            f"{', '.join(f'{t:.2f}' for t in totals)} s | {ms(statistics.median(per))} | "
            f"{ms(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))])} | "
            f"{min(passed)}/{len(jobs)} |")
    ratio = median_of(iso_totals) / median_of(naive_totals)
    say()
    say(f"- isolated total / naive total: {ratio:.2f} "
        f"({'no slower' if ratio <= 1 else 'slower'} than the naive runner)")
    say()

    # where one isolated run's time goes (sequential, one at a time)
    bwrap = shutil.which("bwrap") or "bwrap"
    sandbox = list(execution._bwrap_args(bwrap))
    n = 30

    def start(cmd: list[str]) -> Callable[[], Any]:
        return lambda: subprocess.run(cmd, capture_output=True, check=False)

    bare = timed_median(start([sys.executable, "-I", "-B", "-c", "pass"]), n)
    no_site = timed_median(start([sys.executable, "-I", "-S", "-c", "pass"]), n)
    bwrap_true = timed_median(start([*sandbox, "--", "/bin/true"]), n)
    bwrap_python = timed_median(start([*sandbox, "--", sys.executable, "-I", "-B", "-c",
                                       "pass"]), n)
    one: list[RunResult] = []
    full = timed_median(lambda: one.append(run_tests("x = 1\n", "assert x\n")), n)
    say("## One isolated run, where the time goes (medians of 30, one at a time)")
    say()
    say(f"- `python -I -B -c pass` (interpreter start with `site`): {ms(bare)}; without "
        f"`site` (`-S`): {ms(no_site)}")
    say(f"- `bwrap ... /bin/true` (the sandbox alone): {ms(bwrap_true)}")
    say(f"- `bwrap ... python -I -B -c pass`: {ms(bwrap_python)}")
    say(f"- `run_tests` of a trivial program (sandbox, driver, payload, verdict): {ms(full)}")
    say()

    bombs = []
    for name, program in (("fork bomb", FORK_BOMB), ("memory bomb", MEMORY_BOMB)):
        start_time = time.perf_counter()
        result = run_tests(program, "pass\n", DEFAULT_LIMITS)
        bombs.append((name, time.perf_counter() - start_time, result))
    say(f"## Bombs in the isolated runner (default limits: timeout {DEFAULT_LIMITS.timeout:g} "
        f"s, {DEFAULT_LIMITS.memory_mb} MiB, {DEFAULT_LIMITS.processes} processes)")
    say()
    say("| program | wall | outcome | detail |")
    say("|---|---|---|---|")
    for name, seconds, result in bombs:
        say(f"| {name} | {seconds:.2f} s | {result.outcome} | {result.detail} |")
    after = run_tests("x = 1\n", "assert x\n")
    say()
    say(f"- next ordinary run after the bombs: {after.outcome}, {ms(after.seconds)}")

    out = Path(args.out)
    write_section(out, SECTION, lines)
    print(f"\nwritten to {out}")
    return 0 if min(iso_passed) == len(jobs) == min(naive_passed) else 1


if __name__ == "__main__":
    raise SystemExit(main())
