"""``length`` kinds that set a floor: at least so many words, sentences or paragraphs.

They count as the upper bounds of :mod:`sustain_tasks.constraints.length` count (words and
sentences as :mod:`sustain_tasks.constraints.text` defines them; paragraphs are runs of non-blank
lines). A floor is extracted only when a kind is named by id (they are not in any task's default
selection): the bound is rounded down to a natural number with some slack below the source's
own count, so it is self-evident and says nothing about an answer. A required fragment never
breaks a floor (more text only helps), so every fragment is permitted.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import ClassVar, Self

from sustain_tasks.constraints.base import Category, Constraint, SourceContext
from sustain_tasks.constraints.length import plural, positive_int, round_down_bounds
from sustain_tasks.constraints.registry import register
from sustain_tasks.constraints.text import count_paragraphs, count_sentences, count_words

__all__ = ["MinParagraphs", "MinSentences", "MinWords", "floor_bounds"]

_CANDIDATES = 4


def floor_bounds(value: int, *, ratio: float, minimum: int = 1) -> Iterator[int]:
    """Round numbers at most ``value * ratio`` (and at least ``minimum``), loosest last.

    ``floor_bounds(87, ratio=0.9)`` → 75, 60, 50, ...: a floor a little below the source's count.
    """
    ceiling = math.floor(value * ratio)
    for bound in round_down_bounds(ceiling):
        if bound >= minimum:
            yield bound


@register
@dataclass(frozen=True)
class MinWords(Constraint):
    """The whole output has at least ``minimum`` words (LaTeX command names are not words)."""

    kind: ClassVar[str] = "length:min_words"
    category: ClassVar[Category] = "length"
    extraction: ClassVar[str] = "by id"
    minimum: int

    def __post_init__(self) -> None:
        positive_int(self.minimum, "minimum")

    def describe(self) -> str:
        return f"Use at least {plural(self.minimum, 'word')} in your whole response."

    def check(self, output: str) -> bool:
        return count_words(output) >= self.minimum

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        n = count_words(source)
        if n < 10:  # "at least 5 words" asks for nothing
            return
        for bound in islice(floor_bounds(n, ratio=0.9, minimum=10), _CANDIDATES):
            yield cls(bound)

    @classmethod
    def example(cls) -> Self:
        return cls(50)


@register
@dataclass(frozen=True)
class MinSentences(Constraint):
    """The output has at least ``minimum`` sentences of prose (see ``text.sentences``)."""

    kind: ClassVar[str] = "length:min_sentences"
    category: ClassVar[Category] = "length"
    extraction: ClassVar[str] = "by id"
    minimum: int

    def __post_init__(self) -> None:
        positive_int(self.minimum, "minimum")

    def describe(self) -> str:
        return (f"Write at least {plural(self.minimum, 'sentence')} in your whole response "
                "(lines of bare math, display equations and a separate final answer line "
                "do not count).")

    def check(self, output: str) -> bool:
        return count_sentences(output) >= self.minimum

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        n = count_sentences(source)
        if n < 3:
            return
        for bound in islice(floor_bounds(n, ratio=0.8, minimum=2), _CANDIDATES):
            yield cls(bound)

    @classmethod
    def example(cls) -> Self:
        return cls(4)


@register
@dataclass(frozen=True)
class MinParagraphs(Constraint):
    """The output has at least ``minimum`` paragraphs (runs of lines between blank lines)."""

    kind: ClassVar[str] = "length:min_paragraphs"
    category: ClassVar[Category] = "length"
    extraction: ClassVar[str] = "by id"
    minimum: int

    def __post_init__(self) -> None:
        positive_int(self.minimum, "minimum", minimum=2)

    def describe(self) -> str:
        return (f"Write at least {self.minimum} paragraphs (blocks of text separated by blank "
                "lines) in your whole response.")

    def check(self, output: str) -> bool:
        return count_paragraphs(output) >= self.minimum

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        n = count_paragraphs(source)
        if n < 2:
            return
        for bound in islice(floor_bounds(n, ratio=1.0, minimum=2), _CANDIDATES):
            yield cls(bound)

    @classmethod
    def example(cls) -> Self:
        return cls(3)
