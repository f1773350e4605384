"""Constraint checks on adversarial outputs: the slowest check of every kind.

Run by hand (not collected by pytest)::

    python tests/perf/bench_constraint_checks.py [--out tests/perf/RESULTS.md]

Every registered kind's example checks every output of ``ADVERSARIAL`` in
``tests/constraints/test_registry.py`` (200,000-character inputs built to make scanners
quadratic); the claim is that no single check takes a second. The test suite checks only that
each check returns a bool (a timed assertion fails at random on a busy machine); the timing lives
here, written to its own section of the report.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "verifiers")]

from _report import write_section  # noqa: E402 - beside this script

from sustain_tasks.constraints import all_kinds  # noqa: E402

SECTION = "# Constraint checks on adversarial outputs"
CLAIM_SECONDS = 1.0


def adversarial() -> list[str]:
    path = REPO / "tests" / "constraints" / "test_registry.py"
    spec = importlib.util.spec_from_file_location("registry_cases", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.ADVERSARIAL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args()
    outputs = adversarial()
    rows = []
    for kind, cls in all_kinds().items():
        example = cls.example()
        worst, worst_output = 0.0, ""
        for output in outputs:
            start = time.perf_counter()
            example.check(output)
            elapsed = time.perf_counter() - start
            if elapsed > worst:
                worst, worst_output = elapsed, output
        rows.append((worst, kind, worst_output[:12]))
    rows.sort(reverse=True)
    lines = [SECTION, "",
             f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
             f"- machine: {platform.machine()}, nproc {os.cpu_count()}, Python "
             f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f}",
             "- command: `python tests/perf/bench_constraint_checks.py`",
             f"- {len(outputs)} adversarial outputs of up to 200,000 characters, each kind's "
             "example; the slowest single check of each kind (the claim: under "
             f"{CLAIM_SECONDS:g} s)", "",
             "| kind | slowest check | on |", "|---|---|---|"]
    lines += [f"| `{kind}` | {worst * 1000:.0f} ms | `{shown!r}...` |"
              for worst, kind, shown in rows]
    over = [kind for worst, kind, _ in rows if worst >= CLAIM_SECONDS]
    lines += ["", f"- kinds over {CLAIM_SECONDS:g} s: {', '.join(over) if over else 'none'}"]
    print("\n".join(lines))
    write_section(Path(args.out), SECTION, lines)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
