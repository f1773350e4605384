"""``length`` kinds: bounds on words, sentences, lines, paragraphs and characters.

Every bound applies to the whole response (reasoning and final answer alike), and the texts say
so ("your whole response"), since task prompts also speak of a "final answer". Words and
sentences are counted as :mod:`sustain_tasks.constraints.text` defines them: LaTeX command names
are not words, and display math, lines of bare math and a final answer line are not sentences.

Bounds are rounded up to a natural number the source output satisfies, with some slack: 87 words
becomes "fewer than 100 words", never "fewer than 88 words". Every upper bound also decides
:meth:`~sustain_tasks.constraints.base.Constraint.permits`: a required fragment that alone breaks
the bound cannot appear in a compliant output.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import ClassVar, Self

from sustain_tasks.constraints.base import Category, Constraint, SourceContext
from sustain_tasks.constraints.registry import register
from sustain_tasks.constraints.text import (
    count_lines,
    count_paragraphs,
    count_sentences,
    count_words,
    longest_sentence_words,
)

__all__ = [
    "MaxCharacters",
    "MaxLines",
    "MaxParagraphs",
    "MaxSentences",
    "MaxWords",
    "MaxWordsPerSentence",
    "plural",
    "positive_int",
    "round_down_bounds",
    "round_up_bounds",
    "slack_bounds",
]

_CANDIDATES = 4
"""How many successively looser bounds a length kind proposes."""


def _nice_numbers() -> Iterator[int]:
    yield from range(1, 11)
    scale = 1
    while True:
        for mantissa in (12, 15, 20, 25, 30, 40, 50, 60, 75, 80, 100):
            yield mantissa * scale
        scale *= 10


def round_up_bounds(value: int) -> Iterator[int]:
    """Round numbers strictly greater than ``value``, tightest first.

    87 → 100, 120, 150, ...; 4 → 5, 6, 7, ...
    """
    last = 0
    for bound in _nice_numbers():
        if bound > value and bound != last:
            yield bound
        last = bound
        if bound > 100 * max(value, 1):
            return


def round_down_bounds(value: int) -> Iterator[int]:
    """Round numbers from ``value`` down to 1, closest first: 37 → 30, 25, 20, ..., 1."""
    found: list[int] = []
    for bound in _nice_numbers():
        if bound > value:
            break
        found.append(bound)
    return reversed(found)


def slack_bounds(value: int, *, gap: int, ratio: float) -> Iterator[int]:
    """Round numbers at least ``max(value + gap, value * ratio)``, tightest first.

    ``slack_bounds(3, gap=1, ratio=1.2)`` → 4, 5, 6, ...; ``slack_bounds(430, gap=20,
    ratio=1.1)`` → 500, 600, 750, ...
    """
    threshold = max(value + gap, math.ceil(value * ratio))
    return round_up_bounds(threshold - 1)


def plural(n: int, noun: str) -> str:
    """``"1 word"``, ``"5 words"``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def positive_int(value: int, name: str, minimum: int = 1) -> None:
    """Raise ``ValueError`` unless ``value`` is an integer of at least ``minimum``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer of at least {minimum}"
        raise ValueError(f"{name} must be {what}, got {value!r}")


@register
@dataclass(frozen=True)
class MaxWords(Constraint):
    """The whole output has fewer than ``limit`` words (LaTeX command names are not words)."""

    kind: ClassVar[str] = "length:max_words"
    category: ClassVar[Category] = "length"
    limit: int

    def __post_init__(self) -> None:
        positive_int(self.limit, "limit")

    def describe(self) -> str:
        return f"Use fewer than {self.limit} words in your whole response."

    def check(self, output: str) -> bool:
        return count_words(output) < self.limit

    def permits(self, fragment: str) -> bool:
        return self.check(fragment)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        n = count_words(source)
        if n == 0:
            return
        for bound in round_up_bounds(n):
            if bound >= n * 1.1 or bound - n >= 10:
                yield cls(bound)

    @classmethod
    def example(cls) -> Self:
        return cls(120)


@register
@dataclass(frozen=True)
class MaxSentences(Constraint):
    """The output has at most ``limit`` sentences of prose (see ``text.sentences``).

    A line of prose without end punctuation is a sentence; display math, lines of bare math and
    a final answer line ("Answer: ...", "#### 18", a lone ``\\boxed{...}``) are not.
    """

    kind: ClassVar[str] = "length:max_sentences"
    category: ClassVar[Category] = "length"
    limit: int

    def __post_init__(self) -> None:
        positive_int(self.limit, "limit")

    def describe(self) -> str:
        return (f"Write at most {plural(self.limit, 'sentence')} in your whole response "
                "(lines of bare math, display equations and a separate final answer line "
                "do not count).")

    def check(self, output: str) -> bool:
        return count_sentences(output) <= self.limit

    def permits(self, fragment: str) -> bool:
        return self.check(fragment)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        n = count_sentences(source)
        if n == 0:
            return
        for bound in islice(slack_bounds(n, gap=1, ratio=1.2), _CANDIDATES):
            yield cls(bound)

    @classmethod
    def example(cls) -> Self:
        return cls(6)


@register
@dataclass(frozen=True)
class MaxLines(Constraint):
    """The output has at most ``limit`` non-blank lines."""

    kind: ClassVar[str] = "length:max_lines"
    category: ClassVar[Category] = "length"
    limit: int

    def __post_init__(self) -> None:
        positive_int(self.limit, "limit")

    def describe(self) -> str:
        return (f"Write your whole response in at most {plural(self.limit, 'line')} "
                "(blank lines do not count).")

    def check(self, output: str) -> bool:
        return count_lines(output) <= self.limit

    def permits(self, fragment: str) -> bool:
        return self.check(fragment)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        n = count_lines(source)
        if n < 2:
            return
        for bound in islice(slack_bounds(n, gap=1, ratio=1.2), _CANDIDATES):
            yield cls(bound)

    @classmethod
    def example(cls) -> Self:
        return cls(8)


@register
@dataclass(frozen=True)
class MaxParagraphs(Constraint):
    """The output has at most ``limit`` paragraphs (runs of lines separated by blank lines).

    The tightest candidate is the source's own paragraph count: "at most" leaves room below it,
    and a paragraph count is a layout choice, not an amount of text that needs slack.
    """

    kind: ClassVar[str] = "length:max_paragraphs"
    category: ClassVar[Category] = "length"
    limit: int

    def __post_init__(self) -> None:
        positive_int(self.limit, "limit")

    def describe(self) -> str:
        if self.limit == 1:
            return "Write your whole response as one block of text, without any blank lines."
        return (f"Write your whole response in at most {self.limit} paragraphs "
                "(blocks of text separated by blank lines).")

    def check(self, output: str) -> bool:
        return count_paragraphs(output) <= self.limit

    def permits(self, fragment: str) -> bool:
        return self.check(fragment)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        n = count_paragraphs(source)
        if n == 0:
            return
        yield cls(n)
        for bound in islice(round_up_bounds(n), _CANDIDATES - 1):
            if bound > 1:
                yield cls(bound)

    @classmethod
    def example(cls) -> Self:
        return cls(3)


@register
@dataclass(frozen=True)
class MaxCharacters(Constraint):
    """The output, without leading and trailing whitespace, is shorter than ``limit`` chars."""

    kind: ClassVar[str] = "length:max_characters"
    category: ClassVar[Category] = "length"
    limit: int

    def __post_init__(self) -> None:
        positive_int(self.limit, "limit")

    def describe(self) -> str:
        return (f"Keep your whole response shorter than {self.limit} characters, "
                "spaces included.")

    def check(self, output: str) -> bool:
        return len(output.strip()) < self.limit

    def permits(self, fragment: str) -> bool:
        return self.check(fragment)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        n = len(source.strip())
        if n == 0:
            return
        for bound in islice(slack_bounds(n + 1, gap=20, ratio=1.1), _CANDIDATES):
            yield cls(bound)

    @classmethod
    def example(cls) -> Self:
        return cls(600)


@register
@dataclass(frozen=True)
class MaxWordsPerSentence(Constraint):
    """Every sentence of prose in the output has fewer than ``limit`` words (see ``text``)."""

    kind: ClassVar[str] = "length:max_words_per_sentence"
    category: ClassVar[Category] = "length"
    limit: int

    def __post_init__(self) -> None:
        positive_int(self.limit, "limit")

    def describe(self) -> str:
        return f"Keep every sentence of your response shorter than {self.limit} words."

    def check(self, output: str) -> bool:
        return longest_sentence_words(output) < self.limit

    def permits(self, fragment: str) -> bool:
        return self.check(fragment)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        longest = longest_sentence_words(source)
        if longest < 3:
            return
        for bound in islice(slack_bounds(longest + 1, gap=3, ratio=1.2), _CANDIDATES):
            yield cls(bound)

    @classmethod
    def example(cls) -> Self:
        return cls(25)
