"""Numeric answer extraction and comparison (GSM8K)."""

from __future__ import annotations

import pytest
from sustain_verifiers.numeric import (
    extract_numeric_answer,
    numbers_equal,
    parse_number,
    verify_numeric,
)

HOSTILE_OUTPUT = ("1," * 100_000) + "\\boxed{" * 5000 + "(" * 50_000
"""285,000 characters: a list of numbers, then openers without closers."""


@pytest.mark.parametrize(
    ("output", "expected", "method"),
    [
        ("She sells 9 eggs.\n#### 18", "18", "hashes"),
        ("#### 1,200", "1,200", "hashes"),
        ("#### $18.00", "$18.00", "hashes"),
        ("First 3 then 4.\nThe answer is 18.", "18", "answer_marker"),
        ("ANSWER: 18", "18", "answer_marker"),
        ("Final answer: **18**", "18", "answer_marker"),
        ("The final answer is $\\boxed{18}$.", "18", "boxed"),
        ("So the total is \\boxed{\\$1{,}200}.", "$1,200", "boxed"),
        ("\\boxed{18 \\text{ dollars}}", "18", "boxed"),
        ("It costs $18.00 in total", "18.00", "last_sentence"),
        ("2 + 3 = 5 and then 1,200 remain", "5", "last_sentence"),  # "=" states a result
        ("The answer is -5.", "-5", "answer_marker"),
        ("The answer is 3/4", "3/4", "answer_marker"),
        ("Answer: 12 is wrong; the answer is 13.", "13", "answer_marker"),
        # "answer" as a verb or a variable is not a marker
        ("She must correctly answer 70% of the 50 questions to pass. 0.7 * 50 = 35. "
         "So the result is 35.", "35", "conclusion"),
        ("She can answer 5 questions per hour. In 8 hours: 5 * 8 = 40", "40", "last_sentence"),
        ("Let answer = 2 for now. Then 2 + 3 = 5.", "5", "last_sentence"),
        ("They answer 12 calls a day, so 12 * 5 = 60 calls a week.", "60", "last_sentence"),
        # real markers, in their usual spellings
        ("So 3 * 4 = 12.\n**Answer:** 12", "12", "answer_marker"),
        ("So 3 * 4 = 12.\n**Final answer**: 12", "12", "answer_marker"),
        ("So 3 * 4 = 12.\nThe final answer is **12**.", "12", "answer_marker"),
        ("so the answer is: $12.", "12", "answer_marker"),
        ("THE ANSWER IS 12 apples, not 13.", "12", "answer_marker"),
        # spaces and thin spaces as thousands separators (groups of exactly three digits)
        ("#### 1 200", "1 200", "hashes"),
        ("#### 1\\,200", "1\\,200", "hashes"),
        ("#### 1\u2009200", "1\u2009200", "hashes"),
        ("#### 1\u202f200\u202f000", "1\u202f200\u202f000", "hashes"),
        ("The answer is 12 500.", "12 500", "answer_marker"),
        ("\\boxed{1\\,200}", "1\\,200", "boxed"),
        ("#### 12 34", "12", "hashes"),
        ("#### 1 2000", "1", "hashes"),
        # prose: spaces do not group digits, so this is 5 and 100 (and no rule picks one)
        ("He paid with 5 100-dollar bills", None, "last_sentence"),
        ("no numbers here", None, "none"),
        ("", None, "none"),
        ("   \n ", None, "none"),
    ],
)
def test_extraction_forms(output: str, expected: str | None, method: str) -> None:
    answer = extract_numeric_answer(output)
    assert answer.text == expected
    assert answer.method == method


def test_strict_extraction_needs_hashes() -> None:
    assert extract_numeric_answer("The answer is 18.", strict=True).text is None
    assert extract_numeric_answer("work\n#### 18", strict=True).text == "18"


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("18", "18.00", True),
        ("$1,200", "1200", True),
        ("1,200.5", "1200.50", True),
        ("\u22123", "-3", True),
        ("3/4", "0.75", True),
        ("45%", "45", True),
        ("1 200", "1200", True),
        ("1\\,200", "1200", True),
        ("1\u2009200.50", "1200.5", True),
        ("1\u00a0200", "1200", True),
        ("$1 200 000", "1200000", True),
        ("18", "81", False),
        ("0.1", "0.10000001", False),
        ("1/0", "1", False),
        ("abc", "abc", False),
    ],
)
def test_numbers_equal(a: str, b: str, equal: bool) -> None:
    assert numbers_equal(a, b) is equal


def test_parse_number_rejects_huge_and_junk() -> None:
    assert parse_number("9" * 500) is None
    assert parse_number("") is None
    assert parse_number("1e999999999") is None  # exponent forms would build huge integers
    assert parse_number("inf") is None
    assert parse_number("NaN") is None


def test_space_separated_groups_must_have_three_digits() -> None:
    assert parse_number("12 34") is None
    assert parse_number("1 2000") is None
    assert parse_number("1 ,200") is None


def test_verdicts() -> None:
    assert verify_numeric("She must answer 70% of them.\nSo the result is 35.", "35").correct
    assert verify_numeric("Total: 1\u2009200 dollars.\n#### 1 200", "1200").correct
    assert verify_numeric("so #### 18", "18").correct
    assert not verify_numeric("so #### 17", "18").correct
    empty = verify_numeric("", "18")
    assert not empty.correct
    assert empty.extracted is None
    assert "no numeric answer" in empty.detail
    assert not verify_numeric("#### 18", "eighteen").correct


def test_long_hostile_output_gets_a_verdict() -> None:
    """How fast: tests/perf/bench_numeric_agreement.py (its hostile outputs include this one)."""
    verdict = verify_numeric(HOSTILE_OUTPUT, "18")
    assert not verdict.correct
    assert verdict.extracted is None
    assert "no numeric answer" in verdict.detail
