"""``content`` kinds: task-aware rules about what an answer says.

These kinds read ``SourceContext.facts``, which a benchmark fills in through
``Benchmark.facts(item)``. Keys read here (all optional; a kind whose facts are missing or of the
wrong type simply proposes nothing):

- ``"supporting_titles"``: ``list[str]`` — titles of the passages that support the answer (QA,
  e.g. HotpotQA's supporting facts). Read by ``content:mention_entity``; a trailing
  parenthesised disambiguation such as ``" (band)"`` is dropped, and only names of at most four
  words are proposed.
- ``"answer_prefix"``: ``str`` — the marker that introduces the final answer in the task's
  answer format, e.g. ``"Answer:"``. Read by ``content:answer_length``; without it a marker
  detected on the last line of the source output ("Answer:", "Final answer:", "The answer is")
  is used only when the task's required fragments (``SourceContext.required``) start with it,
  so the constraint never asks for a phrase the task itself does not require.

The no-leak guard in the extraction path refuses any text that names an answer, so a supporting
title that contains the answer is never proposed.
"""

from __future__ import annotations

import math
import re
import unicodedata
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
    ends_with_answer_line,
    last_line,
    normalize_phrase,
    per_text,
)

__all__ = [
    "AnswerLength",
    "MentionEntity",
    "ReasoningSteps",
    "ShowCalculations",
    "answer_after",
    "count_equations",
    "entity_key",
]

_EQUALS_RE = re.compile(r"(?<![=<>!:])=(?![=>])")
_INDEX_RE = re.compile(r"[_^]\{[^{}\n]*\}")
"""A LaTeX subscript or superscript group, such as the ``_{k=1}`` of a sum."""
_MARKER_RE = re.compile(
    r"\b(?:final\s+answer|answer)\s*:|\bthe\s+(?:final\s+)?answer\s+is\b", re.IGNORECASE
)
_PARENTHETICAL_RE = re.compile(r"\s*\([^()]*\)\s*$")
_LETTER_RE = re.compile(r"[^\W\d_]")
"""A letter of any script."""
_THE_RE = re.compile(r"^\s*the\s+", re.IGNORECASE)
_MAX_ANSWER_WORDS = 30
_MIN_ANSWER_LIMIT = 5
"""An answer-length bound below this is no constraint: short answers are the task's own format."""
_MIN_CALCULATIONS = 2
"""A single equation is in nearly every solution, so fewer are never asked for."""
_MAX_ENTITY_WORDS = 4
_CANDIDATES = 4


@per_text
def count_equations(text: str) -> int:
    """Number of ``=`` signs that write an equation: not ``==``, ``<=``, ``>=``, ``!=``, ``=>``,
    ``:=``, nor one inside a LaTeX subscript or superscript (``\\sum_{k=1}^{n}``)."""
    return sum(1 for _ in _EQUALS_RE.finditer(_INDEX_RE.sub(" ", text)))


@per_text
def _fold(text: str) -> str:
    """Lower-case words of ``text`` without accents, with "&" read as "and"."""
    decomposed = unicodedata.normalize("NFKD", text.replace("&", " and "))
    return normalize_phrase("".join(c for c in decomposed if not unicodedata.combining(c)))


@per_text
def _padded_fold(text: str) -> str:
    """:func:`_fold` of ``text`` between two spaces, where a mention is looked for."""
    return f" {_fold(text)} "


def entity_key(name: str) -> str:
    """The words a mention of ``name`` must contain, in order: :func:`_fold` of ``name``
    without a leading "the"."""
    folded = _fold(name)
    return folded[4:] if folded.startswith("the ") else folded


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
    """The output has at most ``limit`` sentences of prose before its final answer.

    Sentences are counted as in ``text.sentences`` (display math and lines of bare math are not
    sentences). The final answer is a separate final answer line ("#### 18", "Answer: ...", a
    lone ``\\boxed{...}``), which is not a sentence anyway; without one, it is the last sentence,
    which is not counted.
    """

    kind: ClassVar[str] = "content:reasoning_steps"
    category: ClassVar[Category] = "content"
    limit: int

    def __post_init__(self) -> None:
        if not isinstance(self.limit, int) or isinstance(self.limit, bool) or self.limit < 1:
            raise ValueError(f"limit must be a positive integer, got {self.limit!r}")

    def describe(self) -> str:
        return (f"Reach the final answer in at most {plural(self.limit, 'reasoning step')}: "
                f"at most {plural(self.limit, 'sentence')} before the sentence or line that "
                "gives the final answer (lines of bare math and display equations do not "
                "count).")

    @staticmethod
    def steps(output: str) -> int:
        """Sentences of prose before the final answer line or, without one, the last sentence."""
        n = count_sentences(output)
        return n if ends_with_answer_line(output) else max(n - 1, 0)

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
    """The output writes at least ``minimum`` equations, counted by ``count_equations``."""

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
        return count_equations(output) >= self.minimum

    def demands(self) -> tuple[str, ...]:
        return ("=",)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        n = count_equations(source)
        if n < _MIN_CALCULATIONS:
            return
        top = max(_MIN_CALCULATIONS, math.floor(n * 0.8))
        bounds = (b for b in round_down_bounds(top) if b >= _MIN_CALCULATIONS)
        for bound in islice(bounds, _CANDIDATES):
            yield cls(bound)

    @classmethod
    def example(cls) -> Self:
        return cls(3)


@register
@dataclass(frozen=True)
class AnswerLength(Constraint):
    """The answer after the last ``marker`` (any case) has 1 to ``limit`` words.

    Proposed only with the task's own answer marker (``facts["answer_prefix"]`` or one that a
    required fragment starts with), for answers that need a bound of at least five words and
    are not "yes" or "no": a shorter bound would only restate the task's answer format.
    """

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
            if not any(f.strip().lower().startswith(marker.lower()) for f in ctx.required):
                return  # the task does not ask for this marker
        answer = answer_after(source, marker)
        if answer is None or not _LETTER_RE.search(answer):
            return
        if normalize_phrase(answer) in ("yes", "no"):
            return
        n = count_words(answer)
        if not 1 <= n <= _MAX_ANSWER_WORDS:
            return
        bounds = list(islice(slack_bounds(n, gap=2, ratio=1.5), _CANDIDATES))
        if not bounds or bounds[0] < _MIN_ANSWER_LIMIT:
            return
        for bound in bounds:
            yield cls(bound, marker)

    @classmethod
    def example(cls) -> Self:
        return cls(5, "Answer:")


@register
@dataclass(frozen=True)
class MentionEntity(Constraint):
    """The output mentions ``name``, compared by :func:`entity_key`.

    Compared as lower-case words without accents or punctuation, "&" read as "and", and a
    leading "The" optional: "Beyoncé & Jay-Z" is mentioned by "beyonce and jay z".
    """

    kind: ClassVar[str] = "content:mention_entity"
    category: ClassVar[Category] = "content"
    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not normalize_phrase(self.name):
            raise ValueError("name must contain at least one letter or digit")
        if '"' in self.name or "\n" in self.name:
            raise ValueError("name may not contain a double quote or a line break")

    def describe(self) -> str:
        return f'Mention "{self.name}" in your response.'

    def check(self, output: str) -> bool:
        return f" {entity_key(self.name)} " in _padded_fold(output)

    def demands(self) -> tuple[str, ...]:
        return (" ".join(WORD_RE.findall(_THE_RE.sub("", self.name))),)

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
            if (name and '"' not in name and entity_key(name)
                    and len(_fold(name).split()) <= _MAX_ENTITY_WORDS):
                names.add(name)
        folded_source = _padded_fold(source)
        pool = sorted(n for n in names if f" {entity_key(n)} " in folded_source)
        ctx.rng(cls.kind).shuffle(pool)
        for name in pool:
            yield cls(name)

    @classmethod
    def example(cls) -> Self:
        return cls("Arthur Conan Doyle")
