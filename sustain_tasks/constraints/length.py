"""``length`` kinds: bounds on words, sentences, lines, paragraphs and characters.

Bounds are rounded up to a natural number the source output satisfies: 87 words becomes
"fewer than 100 words", never "fewer than 88 words".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, Self

from sustain_tasks.constraints.base import Category, Constraint, SourceContext
from sustain_tasks.constraints.registry import register
from sustain_tasks.constraints.text import count_words

__all__ = ["MaxWords", "round_up_bounds"]


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


@register
@dataclass(frozen=True)
class MaxWords(Constraint):
    """The output has fewer than ``limit`` words."""

    kind: ClassVar[str] = "length:max_words"
    category: ClassVar[Category] = "length"
    limit: int

    def describe(self) -> str:
        return f"Answer in fewer than {self.limit} words."

    def check(self, output: str) -> bool:
        return count_words(output) < self.limit

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
