"""Golden tests for the ``length`` kinds and the bound rounding helpers."""

from __future__ import annotations

import sys
from types import FrameType

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

LINEAR_TIME_CASES: list[tuple[str, int]] = [
    ("\\[", 50_000), ("\\begin{align}", 20_000), ("$", 100_000), ("a. ", 50_000),
    ("Step 1. ", 30_000), ("U.S. ", 40_000), ("x\n", 100_000),
]
"""Sentence-scanner inputs built to be quadratic (openers without closers, labels, dotted
abbreviations, many lines): a unit and how often it is repeated. Their timings are in
``tests/perf/bench_constraint_checks.py``."""

GOLDEN: list[tuple[Constraint, str, bool]] = [
    (MaxWords(5), "one two three four", True),
    (MaxWords(5), "one two three four five", False),
    (MaxWords(3), "It costs $1,200.50 now", False),  # 1,200.50 is a single word
    (MaxWords(4), "It costs $1,200.50", True),
    (MaxWords(1), "", True),
    # LaTeX command names are not words: this answer has the two words 21 and 5
    (MaxWords(3), "\\boxed{\\frac{\\sqrt{21}}{5}}", True),
    (MaxWords(2), "\\boxed{\\frac{\\sqrt{21}}{5}}", False),
    (MaxSentences(2), "First sentence. Second one!", True),
    (MaxSentences(2), "First. Second. Third.", False),
    (MaxSentences(2), "e.g. this is one sentence. And another.", True),
    (MaxSentences(2), "Line one\nLine two\nLine three", False),
    (MaxSentences(2), "line one\nline two\nline three", False),  # all lower case: no wrapping
    (MaxSentences(3), "Step a\n- item b\n- item c", True),
    # a final answer line is not a sentence, in any of its usual forms
    (MaxSentences(2), "Add the eggs.\nSell them.\n#### 18", True),
    (MaxSentences(2), "Add the eggs.\nSell them.\nAnswer: Arthur Conan Doyle", True),
    (MaxSentences(2), "Add the eggs.\nSell them.\n**Final answer:** Paris", True),
    (MaxSentences(2), "Add the eggs.\nSell them.\n$\\boxed{\\text{Monday}}$", True),
    (MaxSentences(2), "Add the eggs.\nSell them.\nThen we are done.", False),
    # display math, environment delimiters and lines of bare math are not sentences
    (MaxSentences(2), "We have\n\\begin{align*}\nx &= 1 \\\\\ny &= 2\n\\end{align*}\nSo x < y.",
     True),
    (MaxSentences(1), "We get\n$$x = 5$$\nwhich is odd.", True),
    (MaxSentences(1), "We get \\[x = 5.\\] Then it is odd.", False),
    (MaxSentences(2), "Janet has 16 eggs.\n16 - 3 - 4 = 9\n9 * 2 = 18\nShe makes $18.", True),
    (MaxSentences(1), "Janet has 16 eggs.\n16 - 3 - 4 = 9\n9 * 2 = 18\nShe makes $18.", False),
    # hard-wrapped lines and abbreviations do not split a sentence
    (MaxSentences(1), "This sentence was wrapped by\nthe editor at a narrow width.", True),
    (MaxSentences(1),
     "He moved to the U.S. in 1990 at 5 p.m. with Ms. Smith Jr. and J. K. Rowling.", True),
    (MaxSentences(1), "It weighs approx. three tons and costs $5 vs. $7 in Washington D.C. now.",
     True),
    (MaxSentences(1), "It moved to the U.S. in 1990. Then it stayed.", False),
    # labels belong to the sentence after them
    (MaxSentences(2), "Step 1. Add the eggs.\nStep 2. Sell them.", True),
    (MaxSentences(2), "1. Add the eggs.\n2. Sell them.\n3. Count the money.", False),
    (MaxSentences(2), "(a) Add the eggs. (b) Sell them.", True),
    (MaxSentences(1), "So 5! = 120 ways exist.", True),
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
    (MaxWordsPerSentence(4), "Ann has cats\nBob has two dogs", False),
    (MaxWordsPerSentence(4), "Ann has cats\nBob has dogs", True),
    (MaxWordsPerSentence(4), "We have\n$$x + y + z + w = 10$$\nSo done.", True),
    (MaxWordsPerSentence(4), "Ann has cats.\nAnswer: Sir Arthur Conan Doyle", True),
    (MaxWordsPerSentence(4), "This line was wrapped\nby the editor.", False),
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
    assert first.describe() == "Use fewer than 100 words in your whole response."
    assert first.check(source)


@pytest.mark.parametrize(
    ("cls", "source", "first"),
    [
        (MaxSentences, "Ann ran. Bob sat. Cal ate.", 4),
        (MaxLines, "a\nb\nc\nd\ne\nf\ng\nh\ni\nj", 12),
        (MaxParagraphs, "a\nb", 1),
        (MaxParagraphs, "a\n\nb\n\nc", 3),
        (MaxCharacters, "x" * 430, 500),
        (MaxWordsPerSentence, " ".join(["word"] * 17) + ". Short.", 25),
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


def test_wording_speaks_of_the_whole_response() -> None:
    assert MaxParagraphs(1).describe() == (
        "Write your whole response as one block of text, without any blank lines.")
    assert MaxParagraphs(3).describe() == (
        "Write your whole response in at most 3 paragraphs (blocks of text separated by blank "
        "lines).")
    assert MaxSentences(1).describe() == (
        "Write at most 1 sentence in your whole response (lines of bare math, display equations "
        "and a separate final answer line do not count).")
    assert MaxLines(8).describe() == (
        "Write your whole response in at most 8 lines (blank lines do not count).")
    assert MaxCharacters(600).describe() == (
        "Keep your whole response shorter than 600 characters, spaces included.")
    assert MaxWordsPerSentence(25).describe() == (
        "Keep every sentence of your response shorter than 25 words.")
    for cls in (MaxWords, MaxSentences, MaxLines, MaxParagraphs, MaxCharacters,
                MaxWordsPerSentence):
        assert "answer in" not in cls.example().describe().lower()
        assert "your answer" not in cls.example().describe().lower()


def test_paragraph_bound_starts_at_the_source_count() -> None:
    source = "First part.\n\nSecond part.\n\nThird part."
    found = [c.limit for c in MaxParagraphs.candidates(source, CTX)]
    assert found == [3, 4, 5, 6]
    assert next(MaxParagraphs.candidates("One block\nof two lines.", CTX)) == MaxParagraphs(1)


def _work(text: str) -> int:
    """The work of both sentence checks on ``text``, counted without a clock: every function
    call (Python or built-in), plus the characters of the strings handed to Python functions
    (a helper called again and again on a growing text shows up here; a generator's strings
    count at its first call, not at every resumption)."""
    work = 0
    seen: dict[int, FrameType] = {}  # frames kept alive, so an id is never reused

    def count(frame: FrameType, event: str, arg: object) -> None:
        nonlocal work
        del arg
        if event == "c_call":
            work += 1
        elif event == "call":
            work += 1
            # a generator is "called" again at every resumption: its strings count once
            if id(frame) not in seen:
                seen[id(frame)] = frame
                work += sum(len(v) for v in frame.f_locals.values() if isinstance(v, str))

    sys.setprofile(count)
    try:
        MaxSentences(3).check(text)
        MaxWordsPerSentence(3).check(text)
    finally:
        sys.setprofile(None)
    return work


@pytest.mark.slow
@pytest.mark.parametrize(("unit", "repeat"), LINEAR_TIME_CASES,
                         ids=[repr(unit)[1:-1] for unit, _ in LINEAR_TIME_CASES])
def test_sentences_are_counted_in_linear_time(unit: str, repeat: int) -> None:
    """The work of both sentence checks about doubles when the input doubles (a quadratic
    scanner would quadruple it), and the full-size input gets an answer. The margin above 2
    covers what the count charges but a run does not pay: a helper called once per 64 KB piece
    is charged the whole text it holds a reference to. How long a check takes:
    ``tests/perf/bench_constraint_checks.py``."""
    MaxSentences(3).check("Warm up. Two sentences.")  # compiles patterns, fills caches
    quarter, half = _work(unit * (repeat // 4)), _work(unit * (repeat // 2))
    assert half <= 2.5 * quarter + 100, (quarter, half)
    text = unit * repeat
    assert isinstance(MaxSentences(3).check(text), bool)
    assert isinstance(MaxWordsPerSentence(3).check(text), bool)


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
