"""``content`` kinds: task-aware rules about what an answer says.

These kinds read ``SourceContext.facts``, which a benchmark fills in through
``Benchmark.facts(item)``. Keys read here (all optional; a kind whose facts are missing or of the
wrong type simply proposes nothing):

- ``"supporting_titles"``: ``list[str]`` — titles of the passages that support the answer (QA,
  e.g. HotpotQA's supporting facts). Read by ``content:mention_entity``; a trailing
  parenthesised disambiguation such as ``" (band)"`` is dropped.
- ``"answer_prefix"``: ``str`` — the marker that introduces the final answer in the task's
  answer format, e.g. ``"Answer:"``. Read by ``content:answer_length``; without it the marker is
  detected on the last line of the source output ("Answer:", "Final answer:", "The answer
  is").

The no-leak guard in the extraction path refuses any text that names an answer, so a supporting
title that contains the answer is never proposed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import ClassVar, Self

from sustain_tasks.constraints.base import Category, Constraint, SourceContext
from sustain_tasks.constraints.length import plural, round_down_bounds, slack_bounds
from sustain_tasks.constraints.registry import register
from sustain_tasks.constraints.text import (
    WORD_RE,
    count_sentences,
    count_words,
    last_line,
    normalize_phrase,
)

__all__ = [
    "AnswerLength",
    "MentionEntity",
    "ReasoningSteps",
    "ShowCalculations",
    "answer_after",
    "count_equations",
]

_EQUALS_RE = re.compile(r"(?<![=<>!:])=(?![=>])")
_MARKER_RE = re.compile(
    r"\b(?:final\s+answer|answer)\s*:|\bthe\s+(?:final\s+)?answer\s+is\b", re.IGNORECASE
)
_PARENTHETICAL_RE = re.compile(r"\s*\([^()]*\)\s*$")
_LETTER_RE = re.compile(r"[A-Za-z\u00C0-\u024F]")
_MAX_ANSWER_WORDS = 30
_CANDIDATES = 4


def count_equations(text: str) -> int:
    """Number of ``=`` signs that write an equation (not ``==``, ``<=``, ``>=``, ``!=``, ``=>``)."""
    return sum(1 for _ in _EQUALS_RE.finditer(text))


def answer_after(text: str, marker: str) -> str | None:
    """The answer written after the last ``marker`` in ``text`` (any case), or None.

    The answer is the rest of the marker's line, or the next non-blank line when the rest is
    empty, without markdown emphasis and a closing full stop.
    """
    if not marker:
        return None
    last: re.Match[str] | None = None
    for last in re.finditer(re.escape(marker), text, re.IGNORECASE):  # noqa: B007
        pass
    if last is None:
        return None
    line, _, after = text[last.end():].partition("\n")
    if not line.strip(" \t*_"):
        line = next((ln for ln in after.split("\n") if ln.strip()), "")
    return line.strip(" \t*_").rstrip(".").strip(" \t*_")


@register
@dataclass(frozen=True)
class ReasoningSteps(Constraint):
    """Before its final sentence or line, the output has at most ``limit`` sentences or lines."""

    kind: ClassVar[str] = "content:reasoning_steps"
    category: ClassVar[Category] = "content"
    limit: int

    def __post_init__(self) -> None:
        if not isinstance(self.limit, int) or isinstance(self.limit, bool) or self.limit < 1:
            raise ValueError(f"limit must be a positive integer, got {self.limit!r}")

    def describe(self) -> str:
        return (f"Reach the final answer in at most {plural(self.limit, 'reasoning step')}, "
                "each written as its own sentence or line before the final answer.")

    @staticmethod
    def steps(output: str) -> int:
        """Sentences or lines before the last one (which states the answer)."""
        return max(count_sentences(output) - 1, 0)

    def check(self, output: str) -> bool:
        return self.steps(output) <= self.limit

    def permits(self, fragment: str) -> bool:
        return self.check(fragment)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        n = cls.steps(source)
        if n < 2:
            return
        for bound in islice(slack_bounds(n, gap=1, ratio=1.2), _CANDIDATES):
            yield cls(bound)

    @classmethod
    def example(cls) -> Self:
        return cls(5)


@register
@dataclass(frozen=True)
class ShowCalculations(Constraint):
    """The output writes at least ``minimum`` equations (counted by their ``=`` signs)."""

    kind: ClassVar[str] = "content:show_calculations"
    category: ClassVar[Category] = "content"
    minimum: int

    def __post_init__(self) -> None:
        if (not isinstance(self.minimum, int) or isinstance(self.minimum, bool)
                or self.minimum < 1):
            raise ValueError(f"minimum must be a positive integer, got {self.minimum!r}")

    def describe(self) -> str:
        return (f"Show your working: write out at least {plural(self.minimum, 'calculation')} "
                "with an equals sign (=).")

    def check(self, output: str) -> bool:
        for count, _ in enumerate(_EQUALS_RE.finditer(output), start=1):
            if count >= self.minimum:
                return True
        return False

    def demands(self) -> tuple[str, ...]:
        return ("=",)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        n = count_equations(source)
        if n == 0:
            return
        for bound in islice(round_down_bounds(max(1, math.floor(n * 0.8))), _CANDIDATES):
            yield cls(bound)

    @classmethod
    def example(cls) -> Self:
        return cls(3)


@register
@dataclass(frozen=True)
class AnswerLength(Constraint):
    """The answer after the last ``marker`` (any case) has 1 to ``limit`` words."""

    kind: ClassVar[str] = "content:answer_length"
    category: ClassVar[Category] = "content"
    limit: int
    marker: str = "Answer:"

    def __post_init__(self) -> None:
        if not isinstance(self.limit, int) or isinstance(self.limit, bool) or self.limit < 1:
            raise ValueError(f"limit must be a positive integer, got {self.limit!r}")
        if (not isinstance(self.marker, str) or not self.marker.strip() or "\n" in self.marker
                or '"' in self.marker):
            raise ValueError("marker must be a non-empty single line without double quotes")

    def describe(self) -> str:
        return (f'After "{self.marker}", state the final answer itself in at most '
                f"{plural(self.limit, 'word')}.")

    def check(self, output: str) -> bool:
        answer = answer_after(output, self.marker)
        return answer is not None and 1 <= count_words(answer) <= self.limit

    def permits(self, fragment: str) -> bool:
        answer = answer_after(fragment, self.marker)
        return answer is None or count_words(answer) <= self.limit

    def demands(self) -> tuple[str, ...]:
        return (self.marker,)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        prefix = ctx.facts.get("answer_prefix")
        if isinstance(prefix, str) and prefix.strip() and '"' not in prefix:
            marker = prefix.strip()
        else:
            match = None
            for match in _MARKER_RE.finditer(last_line(source)):  # noqa: B007
                pass
            if match is None:
                return
            marker = " ".join(match.group().split())
        answer = answer_after(source, marker)
        if answer is None or not _LETTER_RE.search(answer):
            return
        n = count_words(answer)
        if not 1 <= n <= _MAX_ANSWER_WORDS:
            return
        for bound in islice(slack_bounds(n, gap=2, ratio=1.5), _CANDIDATES):
            yield cls(bound, marker)

    @classmethod
    def example(cls) -> Self:
        return cls(5, "Answer:")


@register
@dataclass(frozen=True)
class MentionEntity(Constraint):
    """The output mentions ``name`` (compared as lower-case words, punctuation ignored)."""

    kind: ClassVar[str] = "content:mention_entity"
    category: ClassVar[Category] = "content"
    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not normalize_phrase(self.name):
            raise ValueError("name must contain at least one letter or digit")
        if '"' in self.name or "\n" in self.name:
            raise ValueError("name may not contain a double quote or a line break")

    def describe(self) -> str:
        return f'Mention "{self.name}" in your answer.'

    def check(self, output: str) -> bool:
        return f" {normalize_phrase(self.name)} " in f" {normalize_phrase(output)} "

    def demands(self) -> tuple[str, ...]:
        return (" ".join(WORD_RE.findall(self.name)),)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        titles = ctx.facts.get("supporting_titles")
        if not isinstance(titles, list | tuple):
            return
        names: set[str] = set()
        for title in titles:
            if not isinstance(title, str):
                continue
            name = " ".join(_PARENTHETICAL_RE.sub("", title).split())
            if name and '"' not in name and normalize_phrase(name):
                names.add(name)
        normalized_source = f" {normalize_phrase(source)} "
        pool = sorted(n for n in names if f" {normalize_phrase(n)} " in normalized_source)
        ctx.rng(cls.kind).shuffle(pool)
        for name in pool:
            yield cls(name)

    @classmethod
    def example(cls) -> Self:
        return cls("Arthur Conan Doyle")
