"""Checking a benchmark's reference constraints: time per thousand outputs, and self-evidence.

Run by hand (not collected by pytest)::

    SUSTAIN_DATA_DIR=../shared/data python tests/perf/bench_reference_checks.py \
        [--repeats 3] [--out tests/perf/RESULTS.md]

For GSM8K (1319 items), MATH-500 (500) and HotpotQA (500), the reference-mode constraints are
extracted from every reference solution, as ``sustain extract --reference`` does
(``Benchmark.constraints_for(item, item.reference, k=3)``), twice:

- with the task's default kinds (what a reference run uses);
- with every kind that extraction proposes only by id (``bounds``, ``wording`` and ``layout``
  kinds, the IFEval vocabulary), named explicitly.

Each set must be self-evident on its reference (100 %, the rule of the extraction path). Then
every item's constraints are checked on its reference solution with
:func:`~sustain_tasks.constraints.assess` (strict and loose, as ``sustain check`` and the
harness scorers do), the whole benchmark ``--repeats`` times; the median time is reported per
thousand outputs, together with the slowest kind. The claim: with the default kinds, well under
a second per thousand outputs. Only the standard library measures (``time.perf_counter``).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "verifiers")]

from _report import write_section  # noqa: E402 - beside this script

from sustain_tasks.benchmarks import get_benchmark  # noqa: E402
from sustain_tasks.constraints import (  # noqa: E402
    all_kinds,
    assess,
    check_all,
    extraction_mode,
)

SECTION = "# Checking reference constraints: time per thousand outputs"
CLAIM_SECONDS = 1.0
TASKS = ("gsm8k", "math500", "hotpotqa")


def data_dir() -> Path:
    return Path(os.environ.get("SUSTAIN_DATA_DIR", REPO.parent / "shared" / "data"))


def by_id_kinds() -> list[str]:
    return sorted(k for k, cls in all_kinds().items() if extraction_mode(cls) == "by id")


def measure(task: str, kinds: list[str] | None, repeats: int) -> dict[str, Any]:
    bench = get_benchmark(task)
    items = bench.load(data_dir())
    start = time.perf_counter()
    pairs = [(item.reference, bench.constraints_for(item, item.reference, k=3, kinds=kinds))
             for item in items]
    extraction = time.perf_counter() - start
    total = sum(len(cs) for _, cs in pairs)
    evident = sum(c.check(ref) for ref, cs in pairs for c in cs)
    kinds_used: dict[str, int] = defaultdict(int)
    for _, cs in pairs:
        for c in cs:
            kinds_used[c.kind] += 1
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        for ref, cs in pairs:
            assess(cs, ref)
        times.append(time.perf_counter() - begin)
    per_kind: dict[str, float] = defaultdict(float)
    for ref, cs in pairs:  # one timed pass per constraint, to name the slowest kind
        for c in cs:
            begin = time.perf_counter()
            check_all([c], ref)
            per_kind[c.kind] += time.perf_counter() - begin
    slowest = max(per_kind.items(), key=lambda kv: kv[1] / kinds_used[kv[0]], default=("-", 0.0))
    return {"items": len(items), "constraints": total, "evident": evident,
            "with_constraints": sum(1 for _, cs in pairs if cs),
            "extraction": extraction, "check": statistics.median(times),
            "kinds": dict(kinds_used),
            "slowest": (slowest[0], 1000 * slowest[1] / max(kinds_used.get(slowest[0], 1), 1))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args()
    if args.repeats < 3:
        parser.error("--repeats must be at least 3 (the median of three runs or more)")
    rows = []
    ok = True
    for task in TASKS:
        for label, kinds in (("default kinds", None), ("by-id kinds", by_id_kinds())):
            r = measure(task, kinds, args.repeats)
            per_thousand = 1000 * r["check"] / max(r["items"], 1)
            evident = r["evident"] == r["constraints"]
            ok = ok and evident and (kinds is not None or per_thousand < CLAIM_SECONDS)
            rows.append(
                f"| {task} | {label} | {r['items']} | {r['with_constraints']} | "
                f"{r['constraints']} | {100 * r['evident'] / max(r['constraints'], 1):.1f} % | "
                f"{r['extraction']:.2f} s | {r['check']:.3f} s | {per_thousand:.3f} s | "
                f"{r['slowest'][0]} ({r['slowest'][1]:.2f} ms) |")
            print(rows[-1], flush=True)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        SECTION, "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "- command: `SUSTAIN_DATA_DIR=../shared/data python tests/perf/bench_reference_checks.py`"
        " (from the repository root)",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}",
        f"- load average at start: {load}",
        f"- checking = `assess` (strict and loose) of every item's constraints (k=3) on its "
        f"reference solution, median of {args.repeats} passes over the whole benchmark",
        "",
        "| task | kinds | items | items with constraints | constraints | self-evident | "
        "extraction | checking, all items | checking per 1000 outputs | slowest kind "
        "(mean per check) |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows, "",
        f"Claim (default kinds: under {CLAIM_SECONDS:.0f} s per thousand outputs; every "
        f"constraint self-evident): {'holds' if ok else 'FAILS'}.",
        "The by-id kinds include `lexical:response_language`, whose check runs `langdetect` "
        "(a few milliseconds per output); it is never drawn by default.",
    ]
    write_section(Path(args.out), SECTION, lines)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
