"""Time the MATH-500 verifier: the 500 references, the symbolic path, hostile answers.

Usage::

    python tests/perf/bench_math_verify.py [--data-dir DIR] [--out tests/perf/RESULTS.md]

The data folder is ``--data-dir`` or, without it, ``$SUSTAIN_DATA_DIR`` (one of the two is
required).

The hostile answers are this script's and those of ``tests/verifiers/test_math_hostile.py``,
each timed as the median of ``--repeats`` runs (at least 3) against the bounds the tests used
to assert: an answer refused by the screen under 1 s, any other under 5 s (the tests' bound was
20 s); the three huge outputs of ``tests/verifiers/test_math.py`` (answer extraction) under 5 s
together; a worker-pool call past its 0.5 s deadline back under 10 s
(``tests/verifiers/test_isolate.py``). The tests now check how each verdict was reached.
Results are printed and written as a Markdown report. Measurements use only the standard
library: ``time.perf_counter`` for wall time, ``tracemalloc`` for the calling process's peak
Python allocations and ``resource.getrusage(RUSAGE_CHILDREN)`` for the largest worker's peak
resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import platform
import resource
import statistics
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "verifiers")]

from _report import write_section  # noqa: E402 - beside this script
from sustain_verifiers._isolate import (  # noqa: E402
    CPU_MARGIN_FACTOR,
    CPU_MARGIN_SECONDS,
    WorkerPool,
    default_pool,
    run_bounded,
)
from sustain_verifiers.math import (  # noqa: E402
    DEFAULT_TIMEOUT,
    extract_boxed,
    extract_math_answer,
    math_equal,
    screen_expression,
    verify_math,
    verify_math_async,
)

from sustain_tasks.benchmarks.data import DATA_DIR_ENV  # noqa: E402
from sustain_tasks.benchmarks.math500 import MATH500  # noqa: E402

HOSTILE: dict[str, str] = {
    "power tower 9^9^9^9": "9^{9^{9^{9}}}",
    "power tower 9^9^9": "9^{9^{9}}",
    "literal power 3^100000000": "3^{100000000}",
    "root of 10^10^10": "\\sqrt{10^{10^{10}}}",
    "factorial 10^9!": "1000000000!",
    "3000 nested parentheses": "(" * 3000 + "1" + ")" * 3000,
    "3000 nested braces": "{" * 3000 + "1" + "}" * 3000,
    "40 nested fractions": "\\frac{" * 40 + "1" + "}{2}" * 40,
    "200 kB sum": "1+" * 100_000 + "1",
    "200 kB of one letter": "x" * 200_000,
    "division by zero": "\\frac{1}{0}",
    "zero over zero": "\\frac{0}{0}",
    "infinity minus infinity": "\\infty - \\infty",
    "huge symbolic exponent": "x^{100000000}+1",
    "10 nested parentheses (at the cap)": "(" * 10 + "1" + ")" * 10,
    "bracketed base (3)^123456789": "(3)^{123456789}",
    "bracketed exponent 3^(123456789)": "3^(123456789)",
    "polynomial power (1+x)^100000": "(1+x)^{100000}",
    "polynomial blow-up": "(x+1)^{10000}-(x-1)^{10000}",
    "huge binomial": "\\binom{1000000000}{500000000}",
    "binomial of powers": "\\binom{10^{9000}}{10^{4000}}",
    "power of powers (10^999)^(10^999)": "(10^{999})^{(10^{999})}",
    "huge product": "\\prod_{k=1}^{100000000} k",
    "Gamma(10^9)": "\\Gamma(10^{9})",
    "three-variable expansion (timeout path)": "(x+y+1)^{100}",
}

WHOLE_OUTPUTS: dict[str, str] = {
    "30000 unclosed \\boxed{": "\\boxed{" * 30_000,
    "200 kB of dollar signs": "$" * 200_000,
    "marker then 100k parentheses": "The final answer is " + "(" * 100_000,
}


REFUSED_CLAIM = 1.0
"""Seconds for an answer the screen refuses (never sent to a worker)."""
HOSTILE_CLAIM = 5.0
"""Seconds for any other hostile answer or whole output."""
EXTRACTION_CLAIM = 5.0
"""Seconds for the three huge outputs of ``EXTRACTION_OUTPUTS`` together."""
POOL_DEADLINE_CLAIM = 10.0
"""Seconds for a worker-pool call whose 0.5 s deadline passes to come back."""
EXTRACTION_OUTPUTS: dict[str, str] = {  # test_extraction_handles_huge_and_unbalanced_outputs
    "30000 unclosed \\boxed{": "\\boxed{" * 30_000,
    "200k letters then \\boxed{4}": "x" * 200_000 + "\\boxed{4}",
    "200k closers then 200k openers": "}" * 200_000 + "{" * 200_000,
}


def hostile_cases() -> tuple[dict[str, str], dict[str, str]]:
    """This script's hostile answers and whole outputs, with those of
    ``tests/verifiers/test_math_hostile.py`` that it does not have yet."""
    path = REPO / "tests" / "verifiers" / "test_math_hostile.py"
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    answers, outputs = dict(HOSTILE), dict(WHOLE_OUTPUTS)
    for group in (module.SCREENED_OR_FAST, module.SCREENED, module.TIMEOUT_PATH):
        for name, answer in group.items():
            if answer not in answers.values():
                answers[f"{name} (tests)"] = answer
    for name, output in module.WHOLE_OUTPUTS.items():
        if output not in outputs.values():
            outputs[f"{name} (tests)"] = output
    return answers, outputs


def median_timed(fn: Callable[[], Any], repeats: int) -> tuple[Any, float]:
    """The last value and the median wall time of ``repeats`` calls."""
    times = []
    value = None
    for _ in range(repeats):
        value, dt = timed(fn)
        times.append(dt)
    return value, statistics.median(times)


def stats(seconds: Sequence[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "total": sum(ordered),
        "mean": statistics.fmean(ordered),
        "p50": ordered[len(ordered) // 2],
        "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
        "max": ordered[-1],
    }


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def ms(x: float) -> str:
    return f"{1000 * x:.1f} ms"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get(DATA_DIR_ENV) or None,
                        help=f"folder with math500/test.jsonl (default: ${DATA_DIR_ENV})")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each hostile case, of which the median is reported")
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args(argv)
    if not args.data_dir:
        parser.error(f"give --data-dir or set {DATA_DIR_ENV}")
    if args.repeats < 3:
        parser.error("--repeats must be at least 3 (the median of three runs or more)")

    bench = MATH500()
    items = bench.load(args.data_dir)
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    say("# MATH-500 verifier benchmark")
    say()
    say(f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    say("- command: `SUSTAIN_DATA_DIR=../shared/data python tests/perf/bench_math_verify.py` "
        "(from the repository root)")
    say(f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}")
    say(f"- load average at start: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    say(f"- per-comparison timeout: {DEFAULT_TIMEOUT:g} s; worker pool size "
        f"{default_pool().size}, address-space cap {default_pool().memory_mb} MiB, CPU-time "
        f"backstop {CPU_MARGIN_FACTOR * DEFAULT_TIMEOUT + CPU_MARGIN_SECONDS:g} s per call")
    say()

    # 1. cold start: the first symbolic comparison starts and warms a worker
    eq, cold = timed(lambda: math_equal("\\frac{1}{2}", "0.5"))
    if not (eq.equal and eq.how == "sympy"):
        print(f"unexpected start-up result: {eq}", file=sys.stderr)
        return 1
    _, warm = timed(lambda: math_equal("\\frac{1}{2}", "0.50"))
    say("## Start-up")
    say()
    say(f"- first symbolic comparison (starts a worker, imports sympy and math-verify): "
        f"{ms(cold)}")
    say(f"- second symbolic comparison (warm worker): {ms(warm)}")
    say()

    # 2. the 500 references through the benchmark's verify
    per_item: list[float] = []
    wrong = 0
    for it in items:
        verdict, dt = timed(partial(bench.verify, it.reference, it.target, it))
        per_item.append(dt)
        wrong += not verdict.correct
    s = stats(per_item)
    say("## All 500 reference solutions, `MATH500.verify` (extraction + equivalence)")
    say()
    say(f"- judged correct: {500 - wrong}/500")
    say(f"- total {s['total']:.2f} s; per item mean {ms(s['mean'])}, p50 {ms(s['p50'])}, "
        f"p95 {ms(s['p95'])}, max {ms(s['max'])}")
    say("- (every reference's boxed answer equals the target after canonicalisation, so this "
        "path needs no algebra)")
    say()

    # 2b. the screen must let every legitimate answer through
    answers = [it.target for it in items]
    answers += [b for it in items for b in extract_boxed(it.reference)]
    screened, screen_time = timed(lambda: [a for a in answers if screen_expression(a)])
    say("## The screen on every MATH-500 answer (500 targets and all boxed answers of the "
        "reference solutions)")
    say()
    say(f"- refused: {len(screened)}/{len(answers)}"
        + (f" ({', '.join(f'`{a}`' for a in screened[:5])})" if screened else ""))
    say(f"- total {ms(screen_time)}, per answer {ms(screen_time / len(answers))}")
    say()

    # 3. the symbolic path on all 500 targets
    sym: list[tuple[float, str, bool]] = []
    for it in items:
        out, dt = timed(partial(run_bounded, "sustain_verifiers.math:_compare_in_worker",
                                it.target, it.target, timeout=DEFAULT_TIMEOUT))
        sym.append((dt, it.target, bool(out.ok and out.value["equal"])))
    s = stats([dt for dt, _, _ in sym])
    say("## All 500 targets through the symbolic path (parse both sides, math-verify)")
    say()
    say(f"- equal to themselves: {sum(ok for _, _, ok in sym)}/500")
    say(f"- total {s['total']:.2f} s; per item mean {ms(s['mean'])}, p50 {ms(s['p50'])}, "
        f"p95 {ms(s['p95'])}, max {ms(s['max'])}")
    say("- slowest:")
    for dt, target, _ in sorted(sym, reverse=True)[:5]:
        say(f"  - {ms(dt)}: `{target}`")
    say()

    # 3b. non-equivalent pairs: every target against another item's (parser caches cold)
    cross: list[float] = []
    for i, it in enumerate(items):
        other = items[(i + 250) % len(items)]
        _, dt = timed(partial(math_equal, it.target, other.target))
        cross.append(dt)
    s = stats(cross)
    say("## 500 non-equivalent pairs (each target against the target 250 items later)")
    say()
    say(f"- total {s['total']:.2f} s; per pair mean {ms(s['mean'])}, p50 {ms(s['p50'])}, "
        f"p95 {ms(s['p95'])}, max {ms(s['max'])}")
    say()

    # 4. concurrency: threads and an event loop
    def verify_all_in_threads(n: int) -> float:
        chunks = [items[i::n] for i in range(n)]

        def work(chunk: list[Any]) -> None:
            for it in chunk:
                run_bounded("sustain_verifiers.math:_compare_in_worker", it.target, it.target,
                            timeout=DEFAULT_TIMEOUT)

        threads = [threading.Thread(target=work, args=(c,)) for c in chunks]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - start

    async def verify_all_async() -> int:
        verdicts = await asyncio.gather(*(verify_math_async(f"\\boxed{{{it.target}}}",
                                                            it.target) for it in items))
        return sum(v.correct for v in verdicts)

    threaded = verify_all_in_threads(4)
    n_async, async_time = timed(lambda: asyncio.run(verify_all_async()))
    say("## Concurrency")
    say()
    say(f"- symbolic path, 500 targets from 4 threads sharing the pool: {threaded:.2f} s")
    say(f"- `verify_math_async`, 500 boxed targets gathered in one event loop: "
        f"{async_time:.2f} s ({n_async}/500 correct)")
    say()

    # 5. hostile answers
    answers, whole_outputs = hostile_cases()
    missed: list[str] = []

    def hostile_row(name: str, output: str) -> None:
        tracemalloc.start()  # one run for the memory figure, then the timed runs without it
        verify_math(output, "5")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        verdict, dt = median_timed(partial(verify_math, output, "5"), args.repeats)
        claim = REFUSED_CLAIM if verdict.how == "refused" else HOSTILE_CLAIM
        if dt >= claim or verdict.correct:
            missed.append(name)
        say(f"| {name} | {dt:.3f} s | {'correct' if verdict.correct else 'wrong'} | "
            f"{verdict.how or 'no answer'} | {peak / 1e6:.1f} MB | < {claim:g} s: "
            f"{'met' if dt < claim else 'NOT met'} |")

    say("## Hostile answers (`verify_math('... \\\\boxed{<answer>}', '5')`)")
    say()
    say(f"Each time is the median of {args.repeats} runs; `(tests)` marks the cases of "
        "`tests/verifiers/test_math_hostile.py`. Claim: under 1 s when the screen refuses the "
        "answer, under 5 s otherwise (the tests' former bound: 20 s).")
    say()
    say("| case | wall | verdict | how | parent peak (tracemalloc) | claim |")
    say("|---|---|---|---|---|---|")
    for name, answer in answers.items():
        hostile_row(name, f"The result is \\boxed{{{answer}}}")
    for name, output in whole_outputs.items():
        hostile_row(f"whole output: {name}", output)
    say()
    say(f"- cases over their claim (or judged correct): {', '.join(missed) or 'none'}")
    say(f"- workers replaced after a timeout, crash or memory error: {default_pool().restarts}")
    after, recovered = timed(lambda: math_equal("2\\sqrt{2}", "\\sqrt{8}"))
    say(f"- next ordinary comparison after the hostile run: {ms(recovered)} "
        f"({'equal' if after.equal else 'NOT equal'})")
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    say(f"- largest peak resident memory of a finished worker: {children:.0f} MiB")
    say()

    # 6. answer extraction on huge outputs (no worker)
    def extract_all() -> list[str | None]:
        return [extract_math_answer(output).text for output in EXTRACTION_OUTPUTS.values()]

    found, extraction = median_timed(extract_all, args.repeats)
    if extraction >= EXTRACTION_CLAIM:
        missed.append("extraction")
    say("## Answer extraction on huge and unbalanced outputs (`extract_math_answer`)")
    say()
    say(f"- the three outputs of `tests/verifiers/test_math.py` "
        f"({', '.join(EXTRACTION_OUTPUTS)}): {ms(extraction)} together, median of "
        f"{args.repeats} (claim: < {EXTRACTION_CLAIM:g} s: "
        f"{'met' if extraction < EXTRACTION_CLAIM else 'NOT met'}); extracted {found}")
    say()

    # 7. the worker pool's deadline
    pool = WorkerPool(size=2, memory_mb=512, warm=())
    try:
        pool.run("sustain_verifiers._isolate:_probe", "echo", timeout=120)  # workers up
        outcome, deadline = median_timed(
            partial(pool.run, "sustain_verifiers._isolate:_probe", "sleep", 60, timeout=0.5),
            args.repeats)
        restarts = pool.restarts
    finally:
        pool.close()
    if deadline >= POOL_DEADLINE_CLAIM:
        missed.append("pool deadline")
    say("## Worker pool: a call past its deadline")
    say()
    say(f"- `run(_probe, 'sleep', 60, timeout=0.5)` came back after {ms(deadline)}, median of "
        f"{args.repeats} (claim: < {POOL_DEADLINE_CLAIM:g} s: "
        f"{'met' if deadline < POOL_DEADLINE_CLAIM else 'NOT met'}); outcome "
        f"`{outcome.error}`, workers replaced: {restarts}")
    say()
    say(f"- claims not met: {', '.join(missed) if missed else 'none'}")
    say()

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_section(out, lines[0], lines)
    print(f"\nwritten to {out}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
