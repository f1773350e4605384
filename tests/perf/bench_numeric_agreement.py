"""GSM8K verdicts against reader labels: the previous extraction, lm-eval's, and today's.

Run by hand (not collected by pytest)::

    python tests/perf/bench_numeric_agreement.py [--data-dir ../shared/data]
        [--out tests/perf/RESULTS.md]

Three ways to read a final answer are compared on the reader-labelled endings of
``tests/verifiers/data`` (the 199-case corpus the rules were built on, and the 100-case
held-out corpus written afterwards), per answer style:

- ``last number``: lm-eval's GSM8K ``flexible-extract`` (the last number of the output);
- ``previous``: this package's extraction before answer statements were read (``####``,
  ``\\boxed{}``, a number right after an answer marker, else the last number);
- ``now``: :func:`sustain_verifiers.numeric.verify_numeric` with the item's question.

A verdict agrees when it equals the reader's (correct or not). With ``--data-dir``, the same
is measured on the 1319 GSM8K reference solutions with their ``#### N`` line removed, where
the last sentence states the answer in the reference's own words (reader verdict: correct).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "verifiers")]

from _report import write_section  # noqa: E402 - beside this script
from sustain_verifiers import numeric  # noqa: E402
from sustain_verifiers.numeric import numbers_equal, verify_numeric  # noqa: E402

SECTION = "# GSM8K verdicts against reader labels"
CORPORA = (("built on", "numeric_endings.jsonl"), ("held out", "numeric_endings_holdout.jsonl"))
_LAST_NUMBER_RE = re.compile(r"(-?[$0-9.,]{2,})|(-?[0-9]+)")  # lm-eval's flexible-extract

HOLDOUT_NOTE = (
    "The first run on the held-out corpus, before any change it prompted, agreed on 88/100. "
    "Ten of its twelve misses had general causes, which were then fixed: a clause opened by "
    "\", with\" or \"because\", \"which means\" read as an aside, \"making him 16\" "
    "as a result, \"how much time\" read as money, \"Let me double-check\" and "
    "\"Here's why\" paragraphs, modal verbs taken for the noun asked about, \"watermelons\" "
    "for \"melons\", and \"30 or 31\" as alternatives. The two that remain "
    "(`KNOWN_MISSES` in `tests/verifiers/test_numeric_corpus.py`) judge a correct answer "
    "wrong, never the reverse.")

Judge = Callable[[str, str, str], bool]


def last_number(output: str, target: str, question: str) -> bool:
    """lm-eval's ``flexible-extract``: the last number-like match, compared as a number."""
    del question
    found = _LAST_NUMBER_RE.findall(output)
    if not found:
        return False
    text = next(group for group in found[-1] if group).strip().rstrip(".")
    return numbers_equal(text, target)


def previous(output: str, target: str, question: str) -> bool:
    """The extraction before answer statements were read."""
    del question
    text = output[-numeric.MAX_OUTPUT_CHARS:]
    hashes = numeric._HASHES_RE.findall(text)
    if hashes:
        return numbers_equal(hashes[-1], target)
    for content in reversed(numeric._boxed_contents(text)):
        numbers = numeric._NUM_RE.findall(content.replace("\\$", "$").replace("{,}", ","))
        if numbers:
            return numbers_equal(numbers[0], target)
    markers = numeric._MARKER_RE.findall(text)
    if markers:
        return numbers_equal(markers[-1], target)
    numbers = numeric._PROSE_NUM_RE.findall(text)
    return bool(numbers) and numbers_equal(numbers[-1], target)


def now(output: str, target: str, question: str) -> bool:
    return verify_numeric(output, target, question=question).correct


JUDGES: dict[str, Judge] = {"last number": last_number, "previous": previous, "now": now}


def load(name: str) -> list[dict[str, Any]]:
    path = REPO / "tests" / "verifiers" / "data" / name
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def agreement_table(cases: list[dict[str, Any]]) -> list[str]:
    by_style: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case in cases:
        by_style[case["style"]].append(case)
    header = "| style | n | " + " | ".join(JUDGES) + " |"
    lines = [header, "|" + "---|" * (len(JUDGES) + 2)]
    totals = dict.fromkeys(JUDGES, 0)
    false_pos = dict.fromkeys(JUDGES, 0)
    for style in sorted(by_style):
        group = by_style[style]
        cells = []
        for name, judge in JUDGES.items():
            agree = 0
            for case in group:
                verdict = judge(case["output"], case["target"], case["question"])
                agree += verdict == case["correct"]
                false_pos[name] += verdict and not case["correct"]
            totals[name] += agree
            cells.append(f"{agree}/{len(group)}")
        lines.append(f"| {style} | {len(group)} | " + " | ".join(cells) + " |")
    n = len(cases)
    lines.append(f"| **all** | {n} | " + " | ".join(
        f"**{totals[j]}/{n} ({100 * totals[j] / n:.1f} %)**" for j in JUDGES) + " |")
    lines.append("| credited although the reader says wrong | | " + " | ".join(
        str(false_pos[j]) for j in JUDGES) + " |")
    return lines


def references(data_dir: Path) -> list[str]:
    from sustain_tasks.benchmarks.gsm8k import strip_calculator_annotations

    rows = [json.loads(line) for line in
            (data_dir / "gsm8k" / "test.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    counts = dict.fromkeys(JUDGES, 0)
    start = time.perf_counter()
    for row in rows:
        head, _, final = row["answer"].rpartition("####")
        target = final.strip().replace(",", "")
        output = strip_calculator_annotations(head).strip()
        for name, judge in JUDGES.items():
            counts[name] += judge(output, target, row["question"])
    seconds = time.perf_counter() - start
    n = len(rows)
    return [
        f"## The {n} GSM8K reference solutions without their `#### N` line",
        "",
        "| | " + " | ".join(JUDGES) + " |",
        "|" + "---|" * (len(JUDGES) + 1),
        "| judged correct | " + " | ".join(
            f"{counts[j]}/{n} ({100 * counts[j] / n:.1f} %)" for j in JUDGES) + " |",
        "",
        f"- all three judges over the {n} solutions: {seconds:.2f} s",
    ]


def _load(name: str) -> Any:
    import importlib.util

    path = REPO / "tests" / "verifiers" / name
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HOSTILE_CLAIM = 5.0
"""Seconds for ``HOSTILE_OUTPUT`` of ``tests/verifiers/test_numeric.py`` (its former bound)."""


def hostile() -> list[str]:
    """Timings of ``verify_numeric`` on the hostile shapes of the statement tests, and on the
    long hostile output of the numeric tests; each the median of 3 runs."""
    statement = _load("test_statement.py")
    numeric_tests = _load("test_numeric.py")
    cases = [(name, text, statement.KYLAR, None) for name, text in statement.HOSTILE.items()]
    cases.append(("numbers, then openers without closers (test_numeric.py, no question)",
                  numeric_tests.HOSTILE_OUTPUT, None, HOSTILE_CLAIM))
    lines = ["## Hostile outputs (`verify_numeric`; median of 3)", "",
             "| shape | characters | seconds | claim |", "|---|---|---|---|"]
    for name, text, question, claim in cases:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            verify_numeric(text, "5", question=question)
            times.append(time.perf_counter() - start)
        seconds = sorted(times)[1]
        stated = (f"< {claim:g} s: {'met' if seconds < claim else 'NOT met'}" if claim
                  else "none")
        lines.append(f"| {name} | {len(text):,} | {seconds:.3f} | {stated} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("SUSTAIN_DATA_DIR"))
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args()
    lines = [
        SECTION,
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f}",
        "- agreement of the verdict with the reader's, per answer style; `last number` is "
        "lm-eval's flexible-extract, `previous` this package's extraction before it read "
        "answer statements, `now` the question-aware reading",
    ]
    for label, name in CORPORA:
        cases = load(name)
        lines += ["", f"## Reader-labelled endings the rules were {label} ({name})", ""]
        lines += agreement_table(cases)
        if label == "held out":
            lines += ["", HOLDOUT_NOTE]
    if args.data_dir:
        lines += ["", *references(Path(args.data_dir))]
    lines += ["", *hostile()]
    write_section(Path(args.out), SECTION, lines)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
