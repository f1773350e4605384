"""Constraint checks on adversarial outputs: the slowest check of every kind.

Run by hand (not collected by pytest)::

    python tests/perf/bench_constraint_checks.py [--out tests/perf/RESULTS.md]

Every registered kind's example checks every output of ``ADVERSARIAL`` in
``tests/constraints/test_registry.py`` (200,000-character inputs built to make scanners
quadratic); the claim is that no single check takes a second. Then both sentence checks
(``length:max_sentences`` and ``length:max_words_per_sentence``) read each input of
``LINEAR_TIME_CASES`` in ``tests/constraints/test_length.py``; the claim is under 2 s for the
pair. Last, the word and sentence kinds check ordinary outputs in several scripts (English
with LaTeX, JSON-quoted English, Russian, Chinese, Hindi, Thai), a thousand of each; the claim
is well under a second per thousand outputs. Every figure is the median of ``--repeats`` runs
(at least 3). The test suite checks only
that each check returns a bool and that the sentence scanner's work grows linearly (a timed
assertion fails at random on a busy machine); the timing lives here, written to its own section
of the report.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "verifiers")]

from _report import write_section  # noqa: E402 - beside this script

from sustain_tasks.constraints import Constraint, all_kinds  # noqa: E402
from sustain_tasks.constraints.length import MaxSentences, MaxWordsPerSentence  # noqa: E402

SECTION = "# Constraint checks on adversarial outputs"
CLAIM_SECONDS = 1.0
SENTENCE_CLAIM_SECONDS = 2.0
"""Both sentence checks on one input of ``LINEAR_TIME_CASES`` (``test_length.py``)."""
THOUSAND_CLAIM_SECONDS = 0.5
"""One word or sentence kind on a thousand ordinary outputs."""
ORDINARY = {
    "English + LaTeX": ("Janet sells 16 - 3 - 4 = 9 duck eggs a day. She makes $9 \\times 2 = "
                        "18$ dollars at the farmer's market.\nSo the total is "
                        "$\\frac{36}{2} = 18$.\n#### 18\n") * 3,
    "JSON-quoted English": "Title: Ocean\\nWaves crash on the shore.\\n\\nI love the sea. " * 8,
    "Russian": "Фермер продаёт яйца на рынке каждый день. Всего он получает 18 долларов. " * 6,
    "Chinese": "农民每天在市场上卖鸡蛋。他一共得到十八美元！" * 10,
    "Hindi": "किसान हर दिन बाज़ार में अंडे बेचता है। कुल मिलाकर उसे 18 डॉलर मिलते हैं। " * 6,
    "Thai": "ชาวนาขายไข่ที่ตลาดทุกวัน รวมแล้วได้ 18 ดอลลาร์ " * 10,
}
WORD_KINDS = ("lexical:include_word", "lexical:avoid_word", "lexical:no_first_person",
              "lexical:all_lowercase", "lexical:starts_with", "length:max_words",
              "length:max_sentences", "length:max_words_per_sentence")


def test_module(name: str) -> ModuleType:
    path = REPO / "tests" / "constraints" / name
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def adversarial() -> list[str]:
    return list(test_module("test_registry.py").ADVERSARIAL)


def median_time(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args()
    if args.repeats < 3:
        parser.error("--repeats must be at least 3 (the median of three runs or more)")
    outputs = adversarial()
    rows = []
    for kind, cls in all_kinds().items():
        example = cls.example()
        worst, worst_output = 0.0, ""
        for output in outputs:
            elapsed = median_time(lambda example=example, output=output: example.check(output),
                                  args.repeats)
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
             f"example; the slowest check of each kind, each check the median of "
             f"{args.repeats} runs (the claim: under {CLAIM_SECONDS:g} s)", "",
             "| kind | slowest check | on |", "|---|---|---|"]
    lines += [f"| `{kind}` | {worst * 1000:.0f} ms | `{shown!r}...` |"
              for worst, kind, shown in rows]
    over = [kind for worst, kind, _ in rows if worst >= CLAIM_SECONDS]
    lines += ["", f"- kinds over {CLAIM_SECONDS:g} s: {', '.join(over) if over else 'none'}"]

    cases: list[tuple[str, int]] = test_module("test_length.py").LINEAR_TIME_CASES
    lines += ["", "## Sentence checks on the scanner-hostile inputs of "
              "`tests/constraints/test_length.py`", "",
              "`MaxSentences(3).check` and `MaxWordsPerSentence(3).check` on the same input, "
              f"median of {args.repeats} runs (the claim: under {SENTENCE_CLAIM_SECONDS:g} s "
              "for the pair)", "",
              "| input | characters | both checks | claim |", "|---|---|---|---|"]
    for unit, repeat in cases:
        text = unit * repeat

        def both(text: str = text) -> None:
            MaxSentences(3).check(text)
            MaxWordsPerSentence(3).check(text)

        elapsed = median_time(both, args.repeats)
        if elapsed >= SENTENCE_CLAIM_SECONDS:
            over.append(f"sentences on {unit!r} * {repeat}")
        lines.append(f"| `{unit!r} * {repeat:,}` | {len(text):,} | {elapsed * 1000:.0f} ms | "
                     f"{'met' if elapsed < SENTENCE_CLAIM_SECONDS else 'NOT met'} |")
    kinds = all_kinds()
    lines += ["", "## Word and sentence kinds on ordinary outputs in several scripts", "",
              "Each kind's example checks 1,000 outputs of one style (each about 300-700 "
              f"characters), median of {args.repeats} runs (the claim: under "
              f"{THOUSAND_CLAIM_SECONDS:g} s per thousand outputs)", "",
              "| kind | " + " | ".join(ORDINARY) + " |", "|---" * (len(ORDINARY) + 1) + "|"]
    for kind in WORD_KINDS:
        example = kinds[kind].example()
        cells = []
        for style, sample in ORDINARY.items():
            outputs = [f"{sample}{i}" for i in range(1000)]  # distinct texts: nothing cached

            def thousand(example: Constraint = example, outputs: list[str] = outputs) -> None:
                for output in outputs:
                    example.check(output)

            elapsed = median_time(thousand, args.repeats)
            if elapsed >= THOUSAND_CLAIM_SECONDS:
                over.append(f"{kind} on {style}")
            cells.append(f"{elapsed * 1000:.0f} ms")
        lines.append(f"| `{kind}` | " + " | ".join(cells) + " |")
    lines += ["", f"- claims not met: {', '.join(over) if over else 'none'}"]
    print("\n".join(lines))
    write_section(Path(args.out), SECTION, lines)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
