"""``sustain score`` on synthetic lm-eval output of 10k, 100k and 1M paired records.

Run by hand (not collected by pytest)::

    python tests/perf/bench_score_scale.py [--sizes 10000,100000,1000000] [--repeats 3] \
        [--repeats-large 3] [--work DIR] [--json-out FILE] [--before FILE] \
        [--code CHECKOUT --commit SHA] [--from-json FILE] [--out tests/perf/RESULTS.md]

Each size writes (once, under ``--work``) synthetic lm-eval output folders shaped like real
lm-eval 0.4.x output (``tests/robustness/synthetic.py``): two models × three tasks, every item
run plain and constrained (reference mode), each (document, filter) pair one line under both
filters (``strict-match`` and ``flexible-extract``), plus ``results_<date>.json`` with
``n-samples``. ``n`` paired records are ``n`` plain and ``n`` constrained documents, so
``4 n`` lines.

Each run is ``python -m sustain_tasks.cli score DIR --format json --out FILE --no-progress``
in a fresh subprocess; measured are its wall time (``time.perf_counter`` around the
subprocess) and its peak resident memory (``ru_maxrss`` of that child from ``os.wait4``).
Sizes up to 100k are run ``--repeats`` times, larger ones ``--repeats-large`` times; the
median is reported. The targets (1M paired records under 60 s and under 2 GB peak, growing
linearly) are stated in the section with whether they are met. ``--json-out`` keeps the
figures; ``--before FILE`` (figures kept earlier, e.g. from the code before a change) adds
them to the section for comparison; the "before" figures here were measured with ``--code``
pointing at an export of the code before the change (``--commit`` names it). ``--from-json``
rewrites the section from kept figures without measuring.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "verifiers")]

from _report import write_section  # noqa: E402 - beside this script

from tests.robustness.synthetic import write_synthetic_runs  # noqa: E402

SECTION = "# sustain score at scale: 10k, 100k and 1M paired records"
TARGET_RECORDS = 1_000_000
TARGET_SECONDS = 60.0
TARGET_BYTES = 2 * 1024**3
LARGE = 100_000
"""Sizes above this get ``--repeats-large`` runs."""


def prepare(work: Path, n: int) -> Path:
    """The synthetic input for ``n`` paired records (written once, reused)."""
    folder = work / f"records_{n}"
    done = folder / ".complete"
    if not done.exists():
        start = time.perf_counter()
        write_synthetic_runs(folder, n, seed=0)
        done.write_text("ok\n", encoding="utf-8")
        print(f"wrote {n:,} paired records in {time.perf_counter() - start:.1f} s",
              flush=True)
    return folder


def command(folder: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "sustain_tasks.cli", "score", str(folder), "--format",
            "json", "--out", str(out), "--no-progress"]


def run_once(folder: Path, out: Path, code: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (bytes) of one ``sustain
    score`` subprocess running the package in ``code``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(code), str(code / "verifiers")]))
    start = time.perf_counter()
    # from the code tree: ``python -m`` puts the working folder first on sys.path
    proc = subprocess.Popen(command(folder, out), env=env, cwd=code,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"sustain score failed ({proc.returncode}):\n{err}")
    return elapsed, usage.ru_utime + usage.ru_stime, int(usage.ru_maxrss) * 1024  # KB


def measure(work: Path, n: int, repeats: int, code: Path) -> dict[str, Any]:
    folder = prepare(work, n)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    lines = sum(1 for p in folder.rglob("samples_*.jsonl") for _ in p.open("rb"))
    folder, work = folder.resolve(), work.resolve()
    times, cpus, peaks, loads = [], [], [], []
    for i in range(repeats):
        loads.append(os.getloadavg()[0])
        seconds, cpu, peak = run_once(folder, work / f"out_{n}.jsonl", code)
        times.append(seconds)
        cpus.append(cpu)
        peaks.append(peak)
        print(f"{n:>9,} records, run {i + 1}/{repeats}: {seconds:.2f} s wall, {cpu:.2f} s "
              f"CPU, {peak / 2**20:.0f} MiB (load {loads[-1]:.1f})", flush=True)
    return {"records": n, "lines": lines, "bytes": size, "times": times, "cpus": cpus,
            "peaks": peaks, "loads": loads, "seconds": statistics.median(times),
            "cpu": statistics.median(cpus), "peak": statistics.median(peaks),
            "command": " ".join(["python", *command(folder, Path("OUT"))[1:]])}


def table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| paired records | sample lines | input | runs | median wall time | min–max | "
             "median CPU (user+sys) | CPU µs per record | median peak RSS | "
             "bytes per record | load average during runs |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cpu = f"{r['cpu']:.2f} s" if "cpu" in r else "-"
        loads = r.get("loads")
        load = f"{min(loads):.1f}–{max(loads):.1f}" if loads else "-"
        lines.append(
            f"| {r['records']:,} | {r['lines']:,} | {r['bytes'] / 2**20:,.0f} MiB | "
            f"{len(r['times'])} | {r['seconds']:.2f} s | {min(r['times']):.2f}–"
            f"{max(r['times']):.2f} s | {cpu} | {r['cpu'] / r['records'] * 1e6:.1f} | "
            f"{r['peak'] / 2**20:,.0f} MiB | {r['peak'] / r['records']:,.0f} | {load} |")
    return lines


def verdicts(rows: list[dict[str, Any]]) -> list[str]:
    out = []
    target = [r for r in rows if r["records"] == TARGET_RECORDS]
    if target:
        r = target[0]
        out.append(f"- 1M paired records under {TARGET_SECONDS:.0f} s: "
                   f"{'met' if r['seconds'] < TARGET_SECONDS else 'NOT met'} "
                   f"(median {r['seconds']:.1f} s)")
        out.append(f"- 1M paired records under 2 GB peak: "
                   f"{'met' if r['peak'] < TARGET_BYTES else 'NOT met'} "
                   f"(median {r['peak'] / 2**30:.2f} GiB)")
    else:
        out.append("- 1M paired records: not measured in this run")
    ordered = sorted(rows, key=lambda r: r["records"])
    for a, b in itertools.pairwise(ordered):
        scale = b["records"] / a["records"]
        out.append(f"- {a['records']:,} → {b['records']:,} records (×{scale:g}): wall time "
                   f"×{b['seconds'] / a['seconds']:.1f}, CPU ×{b['cpu'] / a['cpu']:.1f} (CPU "
                   f"per record ×{b['cpu'] / b['records'] / (a['cpu'] / a['records']):.2f}), "
                   f"peak memory ×{b['peak'] / a['peak']:.1f}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--repeats-large", type=int, default=3)
    parser.add_argument("--work", default="/tmp/sustain-score-scale")
    parser.add_argument("--json-out", default=None)
    parser.add_argument("--before", default=None,
                        help="figures kept earlier with --json-out, shown for comparison")
    parser.add_argument("--before-label", default="Before")
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--code", default=str(REPO),
                        help="checkout whose sustain_tasks is measured (default: this one)")
    parser.add_argument("--from-json", default=None,
                        help="write the section from figures kept with --json-out, without "
                             "measuring again")
    parser.add_argument("--commit", default=None,
                        help="the commit --code holds, when it is not a git checkout")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    commit = args.commit or subprocess.run(
        ["git", "-C", args.code, "rev-parse", "--short", "HEAD"], capture_output=True,
        text=True, check=False).stdout.strip()
    code = Path(args.code)
    if args.from_json:
        kept = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
        meta, rows = kept["meta"], kept["rows"]
    else:
        meta = {"date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "machine": f"{platform.machine()}, nproc {os.cpu_count()}, Python "
                           f"{platform.python_version()}, {platform.system()} "
                           f"{platform.release()}",
                "load": f"{os.getloadavg()[0]:.2f}", "commit": commit or "unknown"}
        rows = [measure(work, n, args.repeats if n <= LARGE else args.repeats_large, code)
                for n in sizes]
    if args.json_out and not args.from_json:
        Path(args.json_out).write_text(json.dumps({"meta": meta, "rows": rows}, indent=1),
                                       encoding="utf-8")
    lines = [SECTION, "",
             f"- date: {meta['date']}; commit {meta['commit']}",
             f"- machine: {meta['machine']}, load average at start {meta['load']}",
             "- input: synthetic lm-eval output (`tests/robustness/synthetic.py`): 2 models × "
             "3 tasks (gsm8k, math500, hotpotqa), reference mode, every item plain and "
             "constrained, both filters (4 sample lines per paired record), results files "
             "with `n-samples`",
             "- command (each row): `" + rows[0]["command"].replace(
                 f"records_{rows[0]['records']}", "records_N") + "` in a fresh subprocess; "
             "wall time around it, peak RSS = `ru_maxrss` of that child (`os.wait4`); "
             f"median of {args.repeats} runs up to 100k, of {args.repeats_large} above",
             f"- targets: {TARGET_RECORDS:,} paired records in under {TARGET_SECONDS:.0f} s "
             "and under 2 GB peak memory, growing linearly",
             "- the machine is shared with other jobs (see the load average on 2 cores): wall "
             "time includes waiting for a core, CPU time does not", ""]
    lines += table(rows)
    lines += ["", *verdicts(rows)]
    if args.before:
        before = json.loads(Path(args.before).read_text(encoding="utf-8"))
        bmeta = before["meta"]
        lines += ["", f"{args.before_label}: commit {bmeta['commit']}, {bmeta['date']}, same "
                  "machine, input and command, load average at start "
                  f"{bmeta['load']}:", ""]
        lines += table(before["rows"])
        lines += ["", *verdicts(before["rows"])]
    print("\n".join(lines))
    if not args.no_write:
        write_section(Path(args.out), SECTION, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
