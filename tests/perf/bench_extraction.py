"""Constraint extraction on long outputs: 160 KB, 1 MB and 50 MB.

Run by hand (not collected by pytest)::

    python tests/perf/bench_extraction.py [--sizes 160000,1000000,50000000] [--runs 3] \
        [--baseline REV] [--out tests/perf/RESULTS.md]

The data folder is ``$SUSTAIN_DATA_DIR`` or, without it, ``../shared/data`` beside the checkout.
Two kinds of output, each cut to the size measured:

- ``gsm8k``: GSM8K-style reasoning, the reference solutions of the first 200 GSM8K items (without
  their ``#### N`` lines) repeated, then ``#### N`` of item 0: long, with a small vocabulary;
- ``words``: sentences of ten made-up distinct words (every word new), then the same final line:
  the worst case for the kinds that collect words.

Measured for GSM8K item 0, as the Inspect solver and ``sustain extract`` do it:
``GSM8K().constraints_for(item, output, k=3)`` (default kinds, seed 0; "extraction", which
includes reading the output's final answer for the leak guard), then
:func:`~sustain_tasks.constraints.check_all` of the constraints extracted on the same output
("checking"). Each (output, size) runs in its own Python process, ``--runs`` times; the median
is reported, with the process's peak resident memory. Only the standard library measures
(``time.perf_counter``). The claim: a 1 MB output extracts in under 1 s.

With ``--baseline REV`` the same extraction also runs once on the code of git revision ``REV``
(exported to a temporary folder), for the sizes up to 1 MB, with a time limit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CODE = Path(os.environ.get("SUSTAIN_BENCH_CODE", REPO))
"""The checkout whose code is measured (the baseline's exported tree in a baseline worker)."""
sys.path[:0] = [str(CODE), str(CODE / "verifiers")]

SECTION = "# Constraint extraction on long outputs"
CLAIM_SIZE = 1_000_000
CLAIM_SECONDS = 1.0
DEFAULT_SIZES = (160_000, 1_000_000, 50_000_000)
INPUTS = ("gsm8k", "words")
BASELINE_MAX_SIZE = 1_000_000
BASELINE_TIMEOUT = 900


def data_dir() -> Path:
    return Path(os.environ.get("SUSTAIN_DATA_DIR", REPO.parent / "shared" / "data"))


def _made_up_word(i: int) -> str:
    """The ``i``-th made-up word: distinct for every ``i``, 5 to 9 letters, never an English
    function word or number word."""
    letters = []
    n = i + 26**4  # at least five letters
    while n:
        n, r = divmod(n, 26)
        letters.append(chr(ord("a") + r))
    return "q" + "".join(letters)


def build(kind: str, size: int) -> tuple[str, Any, Any]:
    """The output of ``kind`` cut to ``size`` characters, the benchmark and its item 0."""
    from sustain_tasks.benchmarks import get_benchmark

    bench = get_benchmark("gsm8k")
    items = bench.load(data_dir(), limit=200)
    item = items[0]
    final = f"\n#### {item.target}"
    if kind == "gsm8k":
        body = "\n".join(it.reference.rsplit("\n####", 1)[0] for it in items)
        text = "\n".join([body] * (size // (len(body) + 1) + 1))[: size - len(final)]
    else:
        parts: list[str] = []
        length = 0
        i = 0
        while length < size:
            sentence = " ".join(_made_up_word(i + j) for j in range(10)).capitalize() + ".\n"
            parts.append(sentence)
            length += len(sentence)
            i += 10
        text = "".join(parts)[: size - len(final)]
    return text + final, bench, item


def worker(kind: str, size: int, runs: int) -> dict[str, Any]:
    """Measure in this process (run through ``--worker``)."""
    import resource

    from sustain_tasks.constraints import check_all

    output, bench, item = build(kind, size)
    bench.constraints_for(item, item.reference, k=3)  # loads every kind: not timed
    extraction: list[float] = []
    extraction_cpu: list[float] = []
    checking: list[float] = []
    constraints: list[Any] = []
    compliant = True
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        constraints = bench.constraints_for(item, output, k=3)
        extraction.append(time.perf_counter() - start)
        extraction_cpu.append(time.process_time() - start_cpu)
        start = time.perf_counter()
        results = check_all(constraints, output)
        checking.append(time.perf_counter() - start)
        compliant = compliant and all(r.strict for r in results)
    return {"kind": kind, "size": len(output), "extraction": extraction,
            "extraction_cpu": extraction_cpu, "checking": checking,
            "kinds": [c.kind for c in constraints], "self_evident": compliant,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_worker(kind: str, size: int, runs: int, code: Path = REPO,
               timeout: float | None = None) -> dict[str, Any] | None:
    """:func:`worker` in a fresh Python process on the code in ``code``; None on timeout."""
    env = dict(os.environ, SUSTAIN_BENCH_CODE=str(code), SUSTAIN_DATA_DIR=str(data_dir()))
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", kind,
               "--sizes", str(size), "--runs", str(runs)]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True,
                              timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"worker failed:\n{exc.stderr}") from exc
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def export(rev: str, folder: Path) -> str:
    """Write the tree of git revision ``rev`` into ``folder``; returns its short hash."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", rev],
                          capture_output=True, text=True, check=True).stdout.strip()


def _size(n: int) -> str:
    return f"{n / 1_000_000:g} MB" if n >= 1_000_000 else f"{n / 1000:g} KB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--inputs", default=",".join(INPUTS))
    parser.add_argument("--baseline", default=None, help="a git revision to compare with")
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.worker:
        print(json.dumps(worker(args.worker, sizes[0], args.runs)))
        return 0
    if args.runs < 3:
        raise SystemExit("--runs must be at least 3 (the median of three or more runs)")
    inputs = args.inputs.split(",")
    load = os.getloadavg()[0]
    rows: list[dict[str, Any]] = []
    for kind in inputs:
        for size in sizes:
            result = run_worker(kind, size, args.runs)
            assert result is not None
            rows.append(result)
            print(kind, _size(size), f"extraction {statistics.median(result['extraction']):.3f} s",
                  f"checking {statistics.median(result['checking']):.3f} s", flush=True)
    baseline: list[tuple[str, int, dict[str, Any] | None]] = []
    short = ""
    if args.baseline:
        with tempfile.TemporaryDirectory() as folder:
            short = export(args.baseline, Path(folder))
            for kind in inputs:
                for size in (s for s in sizes if s <= BASELINE_MAX_SIZE):
                    found = run_worker(kind, size, 1, Path(folder), timeout=BASELINE_TIMEOUT)
                    baseline.append((kind, size, found))
                    print("baseline", kind, _size(size),
                          "timeout" if found is None else f"{found['extraction'][0]:.3f} s",
                          flush=True)

    claim = [r for r in rows if abs(r["size"] - CLAIM_SIZE) < 1000]
    lines = [SECTION, "",
             f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
             f"- machine: {platform.machine()}, nproc {os.cpu_count()}, Python "
             f"{platform.python_version()}, load average {load:.2f} at start and "
             f"{os.getloadavg()[0]:.2f} at the end (other jobs share the machine: the CPU "
             "time of the extraction is less sensitive to them than its wall time)",
             f"- command: `python tests/perf/bench_extraction.py --runs {args.runs}"
             + (f" --baseline {args.baseline}" if args.baseline else "") + "`",
             "- measured: `GSM8K().constraints_for(item 0, output, k=3)` (default kinds, seed 0), "
             "then `check_all` of the extracted constraints on the same output; each row in its "
             f"own process, median of {args.runs} runs (min-max in brackets)",
             "- outputs: `gsm8k` = the first 200 GSM8K reference solutions repeated (small "
             "vocabulary), `words` = sentences of made-up words, every word new (the worst case "
             "for kinds that collect words); both end with `#### N`",
             "",
             "| output | size | extraction | extraction, CPU time | checking | peak memory | "
             "extracted | self-evident |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ext, cpu, chk = r["extraction"], r["extraction_cpu"], r["checking"]
        lines.append(
            f"| `{r['kind']}` | {_size(r['size'])} | {statistics.median(ext):.3f} s "
            f"({min(ext):.3f}-{max(ext):.3f}) | {statistics.median(cpu):.3f} s "
            f"| {statistics.median(chk):.3f} s "
            f"({min(chk):.3f}-{max(chk):.3f}) | {r['peak_rss_mb']:.0f} MB | "
            f"{', '.join(f'`{k}`' for k in r['kinds'])} | {'yes' if r['self_evident'] else 'NO'} |")
    if baseline:
        lines += ["", f"Before (revision `{short}`, one run each, stopped after "
                  f"{BASELINE_TIMEOUT} s; 50 MB not attempted):", "",
                  "| output | size | extraction | extraction, CPU time |", "|---|---|---|---|"]
        for kind, size, found in baseline:
            shown = (f"> {BASELINE_TIMEOUT} s (stopped) | -" if found is None
                     else f"{found['extraction'][0]:.3f} s | {found['extraction_cpu'][0]:.3f} s")
            lines.append(f"| `{kind}` | {_size(size)} | {shown} |")
    met = True
    lines.append("")
    if claim:
        lines.append(f"- target: a 1 MB output extracts in under {CLAIM_SECONDS:g} s (median "
                     "wall time):")
        for r in claim:
            wall = statistics.median(r["extraction"])
            met = met and wall < CLAIM_SECONDS
            lines.append(f"  - `{r['kind']}`: {'met' if wall < CLAIM_SECONDS else 'NOT met'} "
                         f"({wall:.3f} s; CPU time {statistics.median(r['extraction_cpu']):.3f} s)")
    lines += ["- no size limit: a 50 MB output is read in full (every pass is linear); "
              "`lexical:include_word` considers at most `MAX_DISTINCT_WORDS` (50,000) distinct "
              "words and each kind tries at most `MAX_CANDIDATES_PER_KIND` (32) candidates"]
    print("\n".join(lines))
    from _report import write_section  # beside this script

    write_section(Path(args.out), SECTION, lines)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
