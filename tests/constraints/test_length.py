"""Golden tests for the ``length`` kinds and the bound rounding helpers."""

from __future__ import annotations

import pytest

from sustain_tasks.constraints import Constraint, SourceContext
from sustain_tasks.constraints.length import (
    MaxCharacters,
    MaxLines,
    MaxParagraphs,
    MaxSentences,
    MaxWords,
    MaxWordsPerSentence,
    round_down_bounds,
    round_up_bounds,
    slack_bounds,
)

CTX = SourceContext(task="t", item_id="1")

GOLDEN: list[tuple[Constraint, str, bool]] = [
    (MaxWords(5), "one two three four", True),
    (MaxWords(5), "one two three four five", False),
    (MaxWords(3), "It costs $1,200.50 now", False),  # 1,200.50 is a single word
    (MaxWords(4), "It costs $1,200.50", True),
    (MaxWords(1), "", True),
    (MaxSentences(2), "First sentence. Second one!", True),
    (MaxSentences(2), "First. Second. Third.", False),
    (MaxSentences(2), "e.g. this is one sentence. And another.", True),
    (MaxSentences(2), "line one\nline two\nline three", False),
    (MaxSentences(3), "Step a\n- item b\n- item c", True),
    (MaxLines(2), "a\n\n\nb\n   \n", True),
    (MaxLines(2), "a\nb\nc", False),
    (MaxLines(1), "", True),
    (MaxParagraphs(1), "a\nb\nc", True),
    (MaxParagraphs(1), "a\n\nb", False),
    (MaxParagraphs(1), "a\n \t \nb", False),
    (MaxParagraphs(2), "a\n\nb\n\n\n", True),
    (MaxParagraphs(2), "a\n\nb\n\nc", False),
    (MaxCharacters(6), "  hello \n", True),
    (MaxCharacters(5), "hello", False),
    (MaxWordsPerSentence(4), "One two three. Four five six.", True),
    (MaxWordsPerSentence(4), "One two three. Four five six seven.", False),
    (MaxWordsPerSentence(4), "a b c\nd e f g", False),
    (MaxWordsPerSentence(2), "", True),
]


@pytest.mark.parametrize(("constraint", "output", "expected"), GOLDEN)
def test_golden(constraint: Constraint, output: str, expected: bool) -> None:
    assert constraint.check(output) is expected


def test_round_up_bounds() -> None:
    assert next(round_up_bounds(87)) == 100
    assert list(round_up_bounds(4))[:3] == [5, 6, 7]
    assert list(round_up_bounds(100))[:3] == [120, 150, 200]
    assert all(b > 87 for b in round_up_bounds(87))


def test_round_down_and_slack_bounds() -> None:
    assert list(round_down_bounds(37))[:3] == [30, 25, 20]
    assert list(round_down_bounds(1)) == [1]
    assert list(round_down_bounds(0)) == []
    assert list(slack_bounds(3, gap=1, ratio=1.2))[:2] == [4, 5]
    assert next(slack_bounds(430, gap=20, ratio=1.1)) == 500
    assert next(slack_bounds(10, gap=1, ratio=1.2)) == 12


def test_max_words_rounds_to_a_natural_number() -> None:
    source = " ".join(["word"] * 87)
    first = next(MaxWords.candidates(source, CTX))
    assert first == MaxWords(100)
    assert first.describe() == "Answer in fewer than 100 words."
    assert first.check(source)


@pytest.mark.parametrize(
    ("cls", "source", "first"),
    [
        (MaxSentences, "A. B. C.", 4),
        (MaxLines, "a\nb\nc\nd\ne\nf\ng\nh\ni\nj", 12),
        (MaxParagraphs, "a\nb", 1),
        (MaxParagraphs, "a\n\nb\n\nc", 3),
        (MaxCharacters, "x" * 430, 500),
        (MaxWordsPerSentence, "a b c d e f g h i j k l m n o p q. Short.", 25),
    ],
)
def test_first_candidate(cls: type[Constraint], source: str, first: int) -> None:
    candidate = next(cls.candidates(source, CTX))
    assert candidate.params() == {"limit": first}
    assert candidate.check(source)


@pytest.mark.parametrize(
    "cls", [MaxWords, MaxSentences, MaxLines, MaxParagraphs, MaxCharacters, MaxWordsPerSentence]
)
def test_candidates_are_satisfied_and_loosen(cls: type[Constraint]) -> None:
    source = "Janet sells 16 - 3 - 4 = 9 duck eggs a day.\nShe makes $18.\n\nDone here.\n#### 18"
    found = list(cls.candidates(source, CTX))
    assert found, cls.kind
    limits = [c.params()["limit"] for c in found]
    assert limits == sorted(limits)
    assert all(c.check(source) for c in found)


@pytest.mark.parametrize(
    "cls", [MaxWords, MaxSentences, MaxLines, MaxParagraphs, MaxCharacters, MaxWordsPerSentence]
)
def test_nothing_from_empty_source(cls: type[Constraint]) -> None:
    assert list(cls.candidates("", CTX)) == []
    assert list(cls.candidates("  \n ", CTX)) == []


def test_single_line_offers_no_line_bound() -> None:
    assert list(MaxLines.candidates("just this", CTX)) == []


def test_paragraph_wording() -> None:
    assert "blank lines" in MaxParagraphs(1).describe()
    assert MaxParagraphs(3).describe() == "Use at most 3 paragraphs, separated by blank lines."
    assert MaxSentences(1).describe() == "Answer in at most 1 sentence."


def test_upper_bounds_refuse_fragments_that_break_them() -> None:
    assert MaxWords(5).permits("#### 18")
    assert not MaxWords(1).permits("#### 18")
    assert not MaxCharacters(5).permits("#### 18")
    assert MaxLines(1).permits("#### 18")
    assert not MaxLines(1).permits("Answer:\n18")


@pytest.mark.parametrize("bad", [0, -3, True])
def test_invalid_limit(bad: int) -> None:
    with pytest.raises(ValueError):
        MaxWords(bad)
