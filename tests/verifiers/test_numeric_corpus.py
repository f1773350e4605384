"""GSM8K verdicts against a reader-labelled corpus of realistic answer endings.

``data/numeric_endings.jsonl`` holds model-style responses to real GSM8K questions (markdown,
LaTeX, prose with units, money, percentages, times, negatives, fractions, number words, checks
and restatements after the answer, constrained styles such as a single line or no lists), each
with the answer a careful reader takes from it (``reader_answer``, null when the response states
none or a reader cannot tell which number answers) and the reader's verdict (``correct``).
``data/numeric_endings_holdout.jsonl`` (100 more cases, on other questions) was written after
the rules, to measure them on endings they were not built from (see ``tests/perf/RESULTS.md``).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sustain_verifiers.numeric import numbers_equal, verify_numeric

from sustain_tasks.benchmarks import get_benchmark
from sustain_tasks.benchmarks.base import Item

CORPUS = Path(__file__).parent / "data" / "numeric_endings.jsonl"
HOLDOUT = Path(__file__).parent / "data" / "numeric_endings_holdout.jsonl"

STYLES = (
    "hashes", "boxed", "final_answer_is", "answer_colon_prose", "therefore_is", "so_sentence",
    "last_sentence_prose", "markdown", "latex", "percent", "money_commas_cents", "times_dates",
    "negative", "fraction_decimal", "number_words", "followed_by_check", "restatement_after",
    "single_line", "no_lists", "ambiguous", "no_answer", "wrong_answer",
)

# Cases the previous extraction (``####``, ``\boxed{}``, a number right after an answer marker,
# else the last number of the output) judged differently from the reader. Every one of them is
# now judged as the reader judges it.
REGRESSIONS = frozenset({
    "acp-glasses-01", "acp-house-02", "acp-jellybeans-03", "acp-coins-04", "acp-running-05",
    "acp-pies-06", "ther-ship-03", "ther-mechanic-04", "so-tank-03", "so-tv-04",
    "lsp-brownies-02", "md-potato-03", "ltx-cars-04", "pct-editing-03", "pct-teeth-06",
    "pct-pokemon-08", "pct-silos-09", "money-salary-02", "td-candle-01", "td-banana-02",
    "td-carriage-03", "td-cake-04", "td-voting-05", "td-sleepwalk-06", "td-calories-07",
    "td-car-09", "td-expenses-10", "neg-belowzero-04", "neg-lemon-07", "neg-apples-09",
    "frac-bookbag-02", "frac-drinks-03", "frac-unicorns-05", "frac-giftbags-09", "nw-eggs-01",
    "nw-omelet-02", "nw-easter-03", "nw-madeleines-04", "nw-deviled-05", "nw-movies-06",
    "nw-robe-07", "nw-sunflower-09", "nw-cookies-10", "chk-glasses-01", "chk-vacuum-02",
    "chk-coffee-03", "chk-spoons-05", "chk-elves-06", "rst-phones-01", "rst-shoes-02",
    "rst-paper-03", "rst-sleep-04", "rst-run-05", "rst-sausages-06", "rst-walk-08",
    "rst-carwash-09", "rst-pineapples-10",
    # the last number happened to equal the target although a reader finds no answer
    "amb-candles-04",
})


def _load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


CASES = _load(CORPUS)
HOLDOUT_CASES = _load(HOLDOUT)

# Held-out endings the rules still read differently from the reader. Both err on the safe side
# (a correct answer judged wrong, never the reverse):
KNOWN_MISSES = {
    # "Sam is currently 6 years old, and Ruby is 36.": the answer 6 also appears in the
    # question ("Ruby is 6 times older"), so it is set aside as restated, leaving 36
    "ho-latex-ruby-02",
    # "The profit is -$16, so Adam loses $16.": only one word ("loses") echoes the question
    # ("how much money does he lose?"), too little to prefer 16 over -16
    "ho-neg-rocks-04",
}


def test_corpus_is_broad_and_well_formed() -> None:
    assert len(CASES) >= 150
    assert len({c["id"] for c in CASES}) == len(CASES)
    styles = Counter(c["style"] for c in CASES)
    assert set(styles) == set(STYLES)
    assert min(styles.values()) >= 6
    for case in CASES:
        stated = case["reader_answer"]
        assert case["correct"] == (stated is not None and numbers_equal(stated, case["target"]))
    assert {c["id"] for c in CASES} >= REGRESSIONS


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_verdict_matches_the_reader(case: dict[str, Any]) -> None:
    verdict = verify_numeric(case["output"], case["target"], question=case["question"])
    assert verdict.correct == case["correct"], verdict.detail
    if case["reader_answer"] is not None:
        assert verdict.extracted is not None, verdict.detail
        assert numbers_equal(verdict.extracted, case["reader_answer"]), verdict.detail


@pytest.mark.parametrize("case", [c for c in CASES if c["id"] in REGRESSIONS],
                         ids=lambda c: c["id"])
def test_regressions_through_the_benchmark(case: dict[str, Any]) -> None:
    """The same verdicts through ``GSM8K.verify``, which passes the item's question."""
    bench = get_benchmark("gsm8k")
    item = Item(id=str(case["index"]), question=case["question"], target=case["target"],
                reference="")
    assert bench.verify(case["output"], case["target"], item).correct == case["correct"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_strict_filter_reads_only_hashes(case: dict[str, Any]) -> None:
    verdict = verify_numeric(case["output"], case["target"], strict=True,
                             question=case["question"])
    if "####" not in case["output"]:
        assert verdict.extracted is None
        assert not verdict.correct


@pytest.mark.parametrize("case", HOLDOUT_CASES, ids=[c["id"] for c in HOLDOUT_CASES])
def test_holdout(case: dict[str, Any]) -> None:
    verdict = verify_numeric(case["output"], case["target"], question=case["question"])
    if case["id"] in KNOWN_MISSES:
        assert case["correct"]
        assert not verdict.correct, verdict.detail
    else:
        assert verdict.correct == case["correct"], verdict.detail


def test_no_false_positives_on_unanswered_or_ambiguous_endings() -> None:
    """Where a reader finds no answer, no rule may credit one, in either corpus."""
    for case in CASES + HOLDOUT_CASES:
        if case["reader_answer"] is None:
            verdict = verify_numeric(case["output"], case["target"], question=case["question"])
            assert not verdict.correct, (case["id"], verdict.detail)


def test_every_verdict_says_which_rule_decided() -> None:
    methods = Counter()
    for case in CASES:
        verdict = verify_numeric(case["output"], case["target"], question=case["question"])
        methods[verdict.method] += 1
        if verdict.method in ("answer_statement", "conclusion", "last_sentence"):
            assert f"({verdict.method}: " in verdict.detail or "no answer" in verdict.detail
    assert {"hashes", "boxed", "answer_marker", "answer_statement", "last_sentence"} <= set(
        methods)
