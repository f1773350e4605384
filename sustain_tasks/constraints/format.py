"""``format`` kinds: the layout of an output, decided by form alone.

A kind that asks for a form (a boxed answer, numbered steps, a bullet list, a fenced code block, a
fixed prefix on the last line) is proposed only when the source output has that form, and not
when it would merely repeat the task's own answer format (``SourceContext.required``). A kind that
forbids a form (headings, bold text, lists) refuses any required fragment that has the form.

Kinds that ask for literal text expose it through ``demands()``, which the conflict check uses.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, Self

from sustain_tasks.constraints.base import Category, Constraint, Prohibition, SourceContext
from sustain_tasks.constraints.registry import register
from sustain_tasks.constraints.text import last_line

__all__ = [
    "BoxedAnswer",
    "BulletList",
    "FencedCodeBlock",
    "FinalLinePrefix",
    "NoBold",
    "NoHeadings",
    "NoLists",
    "NumberedSteps",
    "boxed_contents",
]

_BOXED = "\\boxed{"
_NUMBERED_RE = re.compile(r"^[ \t]*(\d{1,3})[.)][ \t]+\S", re.MULTILINE)
_BULLET_MARKERS = ("-", "*", "+", "\u2022")
_BULLET_RE = re.compile(r"^[ \t]*([-*+\u2022])[ \t]+\S", re.MULTILINE)
_LIST_RE = re.compile(r"^[ \t]*(?:[-*+\u2022]|\d{1,3}[.)])[ \t]+\S", re.MULTILINE)
_HEADING_RE = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)", re.MULTILINE)
_FENCE_RE = re.compile(r"^[ \t]{0,3}```", re.MULTILINE)
_BOLD_UNDERSCORE_RE = re.compile(r"(?<![A-Za-z0-9_])__(?=[^\s_])")
_PREFIX_RE = re.compile(
    r"#{1,6}(?=[ \t]|$)"
    r"|\*\*[A-Za-z][A-Za-z ]{0,30}:\*\*"
    r"|\*\*[A-Za-z][A-Za-z ]{0,30}\*\*:"
    r"|[A-Z][A-Za-z]*(?: [A-Za-z]+){0,3}:(?=[ \t]|$)"
    r"|The (?:final )?answer is\b"
)
_MIN_ITEMS = 2


def boxed_contents(text: str) -> str | None:
    """The contents of the last ``\\boxed{...}`` in ``text`` (None when absent or unclosed)."""
    start = text.rfind(_BOXED)
    if start < 0:
        return None
    depth = 1
    begin = start + len(_BOXED)
    for i in range(begin, len(text)):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[begin:i]
    return None


def _repeats_required(piece: str, ctx: SourceContext) -> bool:
    return any(piece in fragment for fragment in ctx.required)


@register
@dataclass(frozen=True)
class BoxedAnswer(Constraint):
    """The output puts a non-empty final answer inside ``\\boxed{...}``."""

    kind: ClassVar[str] = "format:boxed_answer"
    category: ClassVar[Category] = "format"

    def describe(self) -> str:
        return "Put your final answer inside \\boxed{}."

    def check(self, output: str) -> bool:
        inner = boxed_contents(output)
        return inner is not None and bool(inner.strip())

    def demands(self) -> tuple[str, ...]:
        return (_BOXED,)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        if _BOXED in source and not _repeats_required("\\boxed", ctx):
            yield cls()

    @classmethod
    def example(cls) -> Self:
        return cls()


@register
@dataclass(frozen=True)
class NumberedSteps(Constraint):
    """The output has at least two lines that start a numbered list item (``1.`` or ``1)``)."""

    kind: ClassVar[str] = "format:numbered_steps"
    category: ClassVar[Category] = "format"

    def describe(self) -> str:
        return "Write your solution as a numbered list of steps, each step on its own line."

    def check(self, output: str) -> bool:
        for count, _ in enumerate(_NUMBERED_RE.finditer(output), start=1):
            if count >= _MIN_ITEMS:
                return True
        return False

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        yield cls()

    @classmethod
    def example(cls) -> Self:
        return cls()


@register
@dataclass(frozen=True)
class BulletList(Constraint):
    """The output has at least two bullet items, lines starting with ``marker`` and a space."""

    kind: ClassVar[str] = "format:bullet_list"
    category: ClassVar[Category] = "format"
    marker: str = "-"

    def __post_init__(self) -> None:
        if self.marker not in _BULLET_MARKERS:
            raise ValueError(f"marker must be one of {_BULLET_MARKERS}, got {self.marker!r}")

    def describe(self) -> str:
        return (f'Format your solution as a bulleted list, starting each item with "{self.marker}" '
                "followed by a space.")

    def check(self, output: str) -> bool:
        count = 0
        for match in _BULLET_RE.finditer(output):
            if match.group(1) == self.marker:
                count += 1
                if count >= _MIN_ITEMS:
                    return True
        return False

    def demands(self) -> tuple[str, ...]:
        return (f"{self.marker} ",)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        counts = Counter(m.group(1) for m in _BULLET_RE.finditer(source))
        for marker, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            yield cls(marker)

    @classmethod
    def example(cls) -> Self:
        return cls("-")


@register
@dataclass(frozen=True)
class FencedCodeBlock(Constraint):
    """The output contains a fenced code block: a line opening with ``` and a later closing one."""

    kind: ClassVar[str] = "format:fenced_code_block"
    category: ClassVar[Category] = "format"

    def describe(self) -> str:
        return "Include a fenced code block, opened and closed by lines starting with ```."

    def check(self, output: str) -> bool:
        fences = _FENCE_RE.finditer(output)
        return next(fences, None) is not None and next(fences, None) is not None

    def demands(self) -> tuple[str, ...]:
        return ("```",)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        yield cls()

    @classmethod
    def example(cls) -> Self:
        return cls()


@register
@dataclass(frozen=True)
class FinalLinePrefix(Constraint):
    """The last non-blank line of the output begins with ``prefix`` (case-sensitive).

    Tasks often dictate the last line themselves (GSM8K: ``#### 18``, HotpotQA: ``Answer: ...``),
    so this kind permits a required fragment only when a last line starting with the fragment
    would satisfy it too, that is when the fragment itself starts with ``prefix``. Otherwise a
    compliant output would have to break the task's answer format (a source ending "The answer is
    3." must not lead to "Begin the last line with 'The answer is'" on GSM8K). The rule is
    deliberately conservative: a fragment that need not open the last line (MATH's ``\\boxed{``)
    is refused as well, since nothing tells where a fragment must go. A fragment that starts with
    ``prefix`` makes the constraint a repetition of the task's format, so no candidate is proposed
    then: on tasks with required fragments this kind is in effect never extracted.

    The refusal concerns only answer-format fragments; text another constraint demands may appear
    anywhere before the last line, so :meth:`tolerates` accepts any text.
    """

    kind: ClassVar[str] = "format:final_line_prefix"
    category: ClassVar[Category] = "format"
    prefix: str

    def __post_init__(self) -> None:
        if not isinstance(self.prefix, str) or not self.prefix.strip() or "\n" in self.prefix:
            raise ValueError("prefix must be a non-empty single-line string")
        if '"' in self.prefix:
            raise ValueError("prefix may not contain a double quote")

    def describe(self) -> str:
        return f'Begin the last line of your answer with "{self.prefix}".'

    def check(self, output: str) -> bool:
        return last_line(output).startswith(self.prefix)

    def demands(self) -> tuple[str, ...]:
        return (self.prefix,)

    def permits(self, fragment: str) -> bool:
        # a last line that starts with the fragment starts with the prefix
        return fragment.lstrip().startswith(self.prefix)

    def tolerates(self, text: str) -> bool:
        del text
        return True

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        match = _PREFIX_RE.match(last_line(source))
        if match is None:
            return
        found = cls(match.group())
        # a prefix the task's answer format already asks for adds nothing; one that a required
        # fragment does not start with is refused by permits() on the extraction path
        if ctx.required and all(found.permits(fragment) for fragment in ctx.required):
            return
        yield found

    @classmethod
    def example(cls) -> Self:
        return cls("Answer:")


@register
@dataclass(frozen=True)
class NoHeadings(Prohibition):
    """No line of the output is a markdown heading (up to three spaces, 1-6 ``#``, a space)."""

    kind: ClassVar[str] = "format:no_headings"
    category: ClassVar[Category] = "format"

    def describe(self) -> str:
        return "Do not use markdown headings (lines that start with #)."

    def check(self, output: str) -> bool:
        return _HEADING_RE.search(output) is None


@register
@dataclass(frozen=True)
class NoBold(Prohibition):
    """The output has neither ``**`` nor a ``__`` opening bold text."""

    kind: ClassVar[str] = "format:no_bold"
    category: ClassVar[Category] = "format"

    def describe(self) -> str:
        return "Do not use bold markdown (text wrapped in ** or __)."

    def check(self, output: str) -> bool:
        return "**" not in output and _BOLD_UNDERSCORE_RE.search(output) is None


@register
@dataclass(frozen=True)
class NoLists(Prohibition):
    """No line of the output starts a bulleted (``-``, ``*``, ``+``, ``•``) or numbered item."""

    kind: ClassVar[str] = "format:no_lists"
    category: ClassVar[Category] = "format"

    def describe(self) -> str:
        return "Do not use bulleted or numbered lists; write your steps as plain lines or prose."

    def check(self, output: str) -> bool:
        return _LIST_RE.search(output) is None
