"""MATH-500 equivalence: the project's ``math_equal`` against math-verify called directly.

Usage::

    python tests/perf/bench_verify_vs_math_verify.py [--data-dir DIR] [--repeats 3] \
        [--out tests/perf/RESULTS.md]

The data folder is ``--data-dir`` or, without it, ``$SUSTAIN_DATA_DIR`` (one of the two is
required); it must hold ``math500/test.jsonl``.

Pairs (gold, answer), 1000 in all:

- equivalent: each item's target against the last ``\\boxed{}`` answer of its reference
  solution (500);
- non-equivalent: each item's target against the target of the item 250 places later (500).

Two paths judge every pair:

- project: ``sustain_verifiers.math.math_equal(gold, answer)``, what ``verify_math`` calls
  after extraction: the canonical string comparison first, then the screen, then
  math-verify in a bounded worker process (parse of ``\\boxed{gold}`` and ``\\boxed{answer}``,
  timeouts handled by the worker's deadline);
- direct: ``math_verify.verify(math_verify.parse(g), math_verify.parse(a))`` in this process,
  with math-verify's default extraction configuration and timeouts, on the same strings
  written as math-verify's ``parse`` expects them, ``g = "\\boxed{" + gold + "}"`` (the same
  text the project's worker parses). A third pass hands ``parse`` the bare strings (no
  delimiters) once, for agreement only.

Each pair is timed alone (``time.perf_counter``) on both paths, one right after the other,
``--repeats`` times (which path goes first alternates between repeats), after warm-up calls
(the project's worker started and warm; math-verify and sympy imported here). Reported: the
median over repeats of each group's total, the median over pairs of each pair's median time,
the ratio project / direct, overall and on the pairs the project's path sends to sympy, and
the pairs whose verdicts differ. Results are printed and written to their own section of the
Markdown report, replacing that section when it exists and keeping the rest of the file.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "verifiers")]

from _report import write_section  # noqa: E402 - beside this script
from sustain_verifiers._isolate import default_pool  # noqa: E402
from sustain_verifiers.math import (  # noqa: E402
    DEFAULT_TIMEOUT,
    Equivalence,
    extract_boxed,
    math_equal,
)

from sustain_tasks.benchmarks.data import DATA_DIR_ENV  # noqa: E402
from sustain_tasks.benchmarks.math500 import MATH500  # noqa: E402

SECTION = "# MATH-500 equivalence: math_equal vs math-verify called directly"
TARGET_RATIO = 1.2
"""Target: the project's path takes at most this times the direct call's time."""


@dataclass
class Pair:
    kind: str  # "equivalent" or "non-equivalent"
    index: int
    gold: str
    answer: str
    project: list[float] = field(default_factory=list)
    direct: list[float] = field(default_factory=list)
    direct_cpu: list[float] = field(default_factory=list)
    parent_cpu: list[float] = field(default_factory=list)
    project_verdicts: set[bool] = field(default_factory=set)
    direct_verdicts: set[bool] = field(default_factory=set)
    how: str = ""
    reason: str = ""
    bare_verdict: bool | None = None


def command_output(*cmd: str) -> str:
    try:
        return subprocess.run(list(cmd), capture_output=True, text=True, check=False,
                              timeout=30).stdout.strip()
    except OSError:
        return "unavailable"


def ms(seconds: float) -> str:
    return f"{1000 * seconds:.2f} ms"


def workers_cpu_seconds() -> tuple[float, tuple[int, ...]] | None:
    """User + system CPU seconds used so far by the default pool's idle workers, and their
    process ids (None where ``/proc`` or the pool's internals are not there)."""
    try:
        workers = list(default_pool()._idle)  # a private attribute: diagnostics only
        pids = tuple(sorted(w.proc.pid for w in workers))
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    except (AttributeError, OSError, ValueError, IndexError):
        return None
    return total / ticks, pids


def boxed(text: str) -> str:
    return "\\boxed{" + text + "}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get(DATA_DIR_ENV) or None,
                        help=f"folder with math500/test.jsonl (default: ${DATA_DIR_ENV})")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args(argv)
    if not args.data_dir:
        parser.error(f"give --data-dir or set {DATA_DIR_ENV}")
    if args.repeats < 3:
        parser.error("--repeats must be at least 3")

    from math_verify import parse, verify

    items = MATH500().load(args.data_dir)
    n = len(items)
    pairs = [Pair("equivalent", i, it.target, extract_boxed(it.reference)[-1])
             for i, it in enumerate(items)]
    pairs += [Pair("non-equivalent", i, it.target, items[(i + n // 2) % n].target)
              for i, it in enumerate(items)]

    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    def project(pair: Pair) -> Equivalence:
        return math_equal(pair.gold, pair.answer)

    def direct(pair: Pair) -> bool:
        return bool(verify(parse(boxed(pair.gold)), parse(boxed(pair.answer))))

    # warm-up: the project's worker started, sympy imported and exercised on both sides
    for gold, answer in (("\\frac{1}{2}", "0.5"), ("(1,2)", "(2,1)"), ("x^2", "2x")):
        math_equal(gold, answer)
        verify(parse(boxed(gold)), parse(boxed(answer)))

    command = ("PYTHONPATH=$PWD:$PWD/verifiers SUSTAIN_DATA_DIR=... python "
               + " ".join([os.path.relpath(__file__, REPO),
                           *(sys.argv[1:] if argv is None else argv)]))
    say(SECTION)
    say()
    say(f"- date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    say(f"- machine: {platform.machine()}, nproc {command_output('nproc')}, Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}; math-verify "
        f"{importlib.metadata.version('math-verify')}, sympy {importlib.metadata.version('sympy')}")
    say(f"- load average at start (1, 5, 15 min): "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} (other jobs share the machine)")
    say(f"- command: `{command}` (from the repository root)")
    say(f"- {len(pairs)} pairs: {n} equivalent (target vs the boxed answer of the reference "
        f"solution), {n} non-equivalent (target vs the target {n // 2} items later)")
    say(f"- project: `math_equal(gold, answer)` (canonical string, screen, then math-verify in a "
        f"bounded worker, timeout {DEFAULT_TIMEOUT:g} s); direct: `math_verify.verify("
        f"math_verify.parse(g), math_verify.parse(a))` in this process with the defaults, "
        f"`g = \\boxed{{gold}}`, `a = \\boxed{{answer}}` (the text the worker parses)")
    say(f"- each pair timed alone on both paths back to back, {args.repeats} repeats (first path "
        f"alternating), after warm-up calls; totals are medians over repeats, per-pair times "
        f"the median over pairs of each pair's median")
    say()

    load_during: list[float] = []
    totals: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {"worker": []}
    for repeat in range(args.repeats):
        load_during.append(os.getloadavg()[0])
        worker_cpu = workers_cpu_seconds()
        for pair in pairs:
            order: list[str] = ["project", "direct"] if repeat % 2 == 0 else ["direct", "project"]
            for path in order:
                cpu_start = time.process_time()
                start = time.perf_counter()
                if path == "project":
                    eq = project(pair)
                    pair.project.append(time.perf_counter() - start)
                    pair.parent_cpu.append(time.process_time() - cpu_start)
                    pair.project_verdicts.add(eq.equal)
                    pair.how, pair.reason = eq.how, eq.reason
                else:
                    verdict = direct(pair)
                    pair.direct.append(time.perf_counter() - start)
                    pair.direct_cpu.append(time.process_time() - cpu_start)
                    pair.direct_verdicts.add(verdict)
        after = workers_cpu_seconds()
        if worker_cpu is not None and after is not None and after[1] == worker_cpu[1]:
            cpu["worker"].append(after[0] - worker_cpu[0])
        totals.setdefault("project", []).append(sum(p.project[-1] for p in pairs))
        totals.setdefault("direct", []).append(sum(p.direct[-1] for p in pairs))
        print(f"  repeat {repeat + 1}: project {totals['project'][-1]:.2f} s, direct "
              f"{totals['direct'][-1]:.2f} s (load {load_during[-1]:.2f})", flush=True)
    load_during.append(os.getloadavg()[0])

    bare_start = time.perf_counter()
    for pair in pairs:
        pair.bare_verdict = bool(verify(parse(pair.gold), parse(pair.answer)))
    bare_seconds = time.perf_counter() - bare_start

    groups: dict[str, Callable[[Pair], bool]] = {
        "all pairs": lambda p: True,
        "equivalent pairs": lambda p: p.kind == "equivalent",
        "non-equivalent pairs": lambda p: p.kind == "non-equivalent",
        "pairs the project sends to sympy (`how == sympy`)": lambda p: p.how == "sympy",
        "pairs decided by the canonical string (`how == string`)": lambda p: p.how == "string",
        "pairs decided otherwise (refused, timeout, ...)":
            lambda p: p.how not in ("sympy", "string"),
    }
    say("| pairs | n | project total | direct total | ratio project / direct | project per "
        "pair, median | direct per pair, median | per-pair median ratio | 1-min load during "
        "runs |")
    say("|---|---|---|---|---|---|---|---|---|")
    ratios: dict[str, float] = {}
    load_range = f"{min(load_during):.2f}-{max(load_during):.2f}"
    for name, keep in groups.items():
        chosen = [p for p in pairs if keep(p)]
        if not chosen:
            say(f"| {name} | 0 | - | - | - | - | - | - | {load_range} |")
            continue
        proj_total = statistics.median(
            sum(p.project[r] for p in chosen) for r in range(args.repeats))
        dir_total = statistics.median(
            sum(p.direct[r] for p in chosen) for r in range(args.repeats))
        proj_med = statistics.median(statistics.median(p.project) for p in chosen)
        dir_med = statistics.median(statistics.median(p.direct) for p in chosen)
        ratios[name] = proj_total / dir_total
        say(f"| {name} | {len(chosen)} | {proj_total:.3f} s | {dir_total:.3f} s | "
            f"{ratios[name]:.2f} | {ms(proj_med)} | {ms(dir_med)} | {proj_med / dir_med:.2f} | "
            f"{load_range} |")
    say()
    overall = ratios["all pairs"]
    sympy_name = "pairs the project sends to sympy (`how == sympy`)"
    sympy_ratio = ratios.get(sympy_name)
    say(f"- totals of each repeat (s): project {', '.join(f'{t:.2f}' for t in totals['project'])}"
        f"; direct {', '.join(f'{t:.2f}' for t in totals['direct'])}")
    say(f"- **overall ratio {overall:.2f}** (target <= {TARGET_RATIO:g}: "
        f"**{'met' if overall <= TARGET_RATIO else 'NOT met'}**)")
    if sympy_ratio is not None:
        extra = [statistics.median(p.project) - statistics.median(p.direct)
                 for p in pairs if p.how == "sympy"]
        say(f"- **ratio on the pairs that reach sympy {sympy_ratio:.2f}** (against the same "
            f"{TARGET_RATIO:g}: **{'met' if sympy_ratio <= TARGET_RATIO else 'NOT met'}**); "
            f"per pair the difference is "
            f"{ms(statistics.median(extra))} (median over those pairs of project - direct)")
    # the fixed cost of the worker round trip: one pair many times, parse caches warm on both
    # sides, so nearly all that remains is the call itself
    trip_project, trip_direct = [], []
    for _ in range(200):
        start = time.perf_counter()
        math_equal("\\frac{1}{2}", "3")
        trip_project.append(time.perf_counter() - start)
        start = time.perf_counter()
        verify(parse(boxed("\\frac{1}{2}")), parse(boxed("3")))
        trip_direct.append(time.perf_counter() - start)
    say(f"- one cached pair (`\\frac{{1}}{{2}}` vs `3`) 200 times, median: project "
        f"{ms(statistics.median(trip_project))}, direct {ms(statistics.median(trip_direct))}: "
        f"the worker round trip itself costs "
        f"{ms(statistics.median(trip_project) - statistics.median(trip_direct))} a call")
    if cpu["worker"]:
        # the equivalent pairs never reach the worker: all its CPU time is the sympy pairs'
        sym = [p for p in pairs if p.how == "sympy"]
        worker = statistics.median(cpu["worker"])
        parent = statistics.median(sum(p.parent_cpu[r] for p in sym) for r in range(args.repeats))
        own = statistics.median(sum(p.direct_cpu[r] for p in sym) for r in range(args.repeats))
        say(f"- CPU time on the {len(sym)} pairs that reach sympy, median of repeats: project "
            f"{parent + worker:.2f} s (worker {worker:.2f} s from `/proc/<pid>/stat` in 10 ms "
            f"ticks, calling process {parent:.2f} s), direct {own:.2f} s "
            f"(`time.process_time`); CPU ratio {(parent + worker) / own:.2f}. Wall time above "
            f"that CPU time is time spent waiting for a CPU (the machine is shared)")
    hows: dict[str, int] = {}
    for p in pairs:
        hows[p.how] = hows.get(p.how, 0) + 1
    say("- how the project's path decided: "
        + ", ".join(f"{k} {v}" for k, v in sorted(hows.items(), key=lambda kv: -kv[1])))

    unstable = [p for p in pairs if len(p.project_verdicts) > 1 or len(p.direct_verdicts) > 1]
    differ = [p for p in pairs if p.project_verdicts != p.direct_verdicts]
    say()
    say("## Agreement")
    say()
    say(f"- verdicts that differ between the project and the direct call: **{len(differ)}** of "
        f"{len(pairs)} ({sum(p.kind == 'equivalent' for p in differ)} equivalent pairs, "
        f"{sum(p.kind == 'non-equivalent' for p in differ)} non-equivalent pairs); verdicts "
        f"that changed between repeats: {len(unstable)}")
    for p in differ[:5]:
        say(f"  - {p.kind} #{p.index}: gold `{p.gold}`, answer `{p.answer}`: project "
            f"{'equal' if True in p.project_verdicts else 'not equal'} ({p.how}"
            f"{': ' + p.reason if p.reason else ''}), direct "
            f"{'equal' if True in p.direct_verdicts else 'not equal'}")
    bare_differ = [p for p in pairs if {bool(p.bare_verdict)} != p.project_verdicts]
    say(f"- for reference, math-verify handed the bare strings (`parse(gold)` without "
        f"`\\boxed{{}}` or `$...$`, one pass, {bare_seconds:.2f} s): "
        f"{len(bare_differ)} verdicts differ from the project's "
        f"({sum(p.kind == 'equivalent' for p in bare_differ)} equivalent pairs judged not "
        f"equal, {sum(p.kind == 'non-equivalent' for p in bare_differ)} non-equivalent pairs "
        f"judged equal), e.g. "
        + ", ".join(f"`{p.gold}` vs `{p.answer}`" for p in bare_differ[:3]))
    say(f"- load average at end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    say()

    out = Path(args.out)
    write_section(out, SECTION, lines)
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
