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

import regex

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
    "has_bold",
]

_BOXED = "\\boxed{"
_BOXED_RE = re.compile(r"\\boxed\s*\{")
# a numbered item: "1." or "1)" at the start of a line, optionally in bold ("**1.**")
_NUMBERED_RE = re.compile(r"^[ \t]*(?:\*\*|__)?(\d{1,3})[.)](?:\*\*|__)?[ \t]+\S", re.MULTILINE)
_BULLET_MARKERS = ("-", "*", "+", "\u2022")
_BULLET_RE = re.compile(r"^[ \t]*([-*+\u2022])[ \t]+\S", re.MULTILINE)
_LIST_RE = re.compile(r"^[ \t]*(?:[-*+\u2022]|(?:\*\*|__)?\d{1,3}[.)](?:\*\*|__)?)[ \t]+\S",
                      re.MULTILINE)
_HEADING_RE = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)", re.MULTILINE)
_FENCE_RE = re.compile(r"^[ \t]{0,3}```", re.MULTILINE)
# bold markers that may open or close a bold span: not inside a word of any script ("x**2 +
# y**2") and touching the text they wrap
_BOLD_MARKERS = ("\\*", "_")
_BOLD_OPEN_RE = {m: re.compile(rf"(?<![^\W_])(?<!{m}){m}{{2,3}}(?=[^\s{m}])")
                 for m in _BOLD_MARKERS}
_BOLD_CLOSE_RE = {m: re.compile(rf"(?<=[^\s{m}]){m}{{2,3}}(?![^\W_])(?!{m})")
                  for m in _BOLD_MARKERS}
_CODE_RE = re.compile(r"^[ \t]{0,3}```.*?^[ \t]{0,3}```|`[^`\n]+`", re.MULTILINE | re.DOTALL)
# markers skipped at the start of the last line: quotes and emphasis ("> **Answer:** Paris")
_LINE_MARKUP_RE = re.compile(r"^[\s>]*|\*+|(?<![^\W_])_+|_+(?![^\W_])")
# a label in any script: "Answer:", "**Final Answer:**", "Ответ:", "答案："; a label starts with
# a capital letter or, in a script without case, any letter
_PREFIX_RE: regex.Pattern[str] = regex.compile(
    r"#{1,6}(?=[ \t]|$)"
    r"|\*\*\p{L}[\p{L}\p{M} ]{0,30}[:\uff1a]\*\*"
    r"|\*\*\p{L}[\p{L}\p{M} ]{0,30}\*\*[:\uff1a]"
    r"|[\p{Lu}\p{Lt}\p{Lo}][\p{L}\p{M}]*(?: [\p{L}\p{M}]+){0,3}(?::(?=[ \t]|$)|\uff1a)"
    r"|The (?:final )?answer is\b"
)
_MIN_ITEMS = 2


def boxed_contents(text: str) -> str | None:
    """The contents of the last ``\\boxed{...}`` in ``text`` (None when absent or unclosed).

    Space between ``\\boxed`` and its brace is allowed (``\\boxed {5}``).
    """
    opened = list(_BOXED_RE.finditer(text))
    if not opened:
        return None
    depth = 1
    begin = opened[-1].end()
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


def has_bold(text: str) -> bool:
    """Whether a line of ``text`` has an opening bold marker and a later closing one."""
    for line in text.splitlines():
        for marker in _BOLD_MARKERS:
            # linear: a pair exists when some closing marker follows the first opening one
            opening = _BOLD_OPEN_RE[marker].search(line)
            if opening is not None and _BOLD_CLOSE_RE[marker].search(line, opening.end()):
                return True
    return False


def _unmarked(line: str) -> str:
    """``line`` without leading whitespace and quote markers and without emphasis markers."""
    return _LINE_MARKUP_RE.sub("", line)


@register
@dataclass(frozen=True)
class BoxedAnswer(Constraint):
    """The last ``\\boxed{...}`` of the output (space before the brace allowed) is non-empty.

    Which text is the final answer cannot be told by form alone, so the instruction says that
    the last box is read as the final answer: an earlier box followed by an unboxed answer
    satisfies the check, and the task's grader then reads the box.
    """

    kind: ClassVar[str] = "format:boxed_answer"
    category: ClassVar[Category] = "format"

    def describe(self) -> str:
        return ("Put your final answer inside \\boxed{}; the last \\boxed{} in your response is "
                "read as your final answer.")

    def check(self, output: str) -> bool:
        inner = boxed_contents(output)
        return inner is not None and bool(inner.strip())

    def demands(self) -> tuple[str, ...]:
        return (_BOXED,)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        if _BOXED_RE.search(source) and not _repeats_required("\\boxed", ctx):
            yield cls()

    @classmethod
    def example(cls) -> Self:
        return cls()


@register
@dataclass(frozen=True)
class NumberedSteps(Constraint):
    """The output has at least two lines that start a numbered item (``1.`` or ``1)``).

    The number may be in bold (``**1.**``) and must be followed by a space. "Step 1:", "(1)",
    "1:" and headings ("### 1.") are not numbered items; the instruction names the form.
    """

    kind: ClassVar[str] = "format:numbered_steps"
    category: ClassVar[Category] = "format"

    def describe(self) -> str:
        # no digits here: the leak guard would read "2." as the answer 2
        return ("Write your solution as a numbered list: start each step on its own line with "
                "its number followed by a period.")

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
        return ("Include a fenced code block in your response, opened and closed by lines "
                "starting with ```.")

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

    Leading whitespace and quote markers (``>``) and markdown emphasis markers (``*``, ``_`` not
    inside a word) are ignored on both sides, so ``**Answer:** Paris`` and ``> Answer: Paris``
    begin with "Answer:". Candidates are stated without emphasis markers.

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
        if not _unmarked(self.prefix).strip():
            raise ValueError("prefix must contain more than markdown markers")

    def describe(self) -> str:
        return f'Begin the last line of your response with "{self.prefix}".'

    def check(self, output: str) -> bool:
        return _unmarked(last_line(output)).startswith(_unmarked(self.prefix))

    def demands(self) -> tuple[str, ...]:
        return (self.prefix,)

    def permits(self, fragment: str) -> bool:
        # a last line that starts with the fragment starts with the prefix
        return _unmarked(fragment).startswith(_unmarked(self.prefix))

    def tolerates(self, text: str) -> bool:
        del text
        return True

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        match = _PREFIX_RE.match(last_line(source).lstrip(" \t>"))
        if match is None:
            return
        found = cls(_unmarked(match.group()))
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
        return "Do not use markdown headings (lines that start with #) in your response."

    def check(self, output: str) -> bool:
        return _HEADING_RE.search(output) is None


@register
@dataclass(frozen=True)
class NoBold(Prohibition):
    """The output has no ``**...**`` or ``__...__`` pair around text, outside code.

    A pair is counted on one line, around text that neither starts nor ends with a space, and
    not inside a word, so ``x**2 + y**2`` and ``5**2`` are not bold; code spans and fenced code
    blocks are ignored, so `` `__init__` `` is not either (a bare __init__ is, as Markdown
    renders it in bold).
    """

    kind: ClassVar[str] = "format:no_bold"
    category: ClassVar[Category] = "format"

    def describe(self) -> str:
        return "Do not use bold markdown (text wrapped in ** or __) anywhere in your response."

    def check(self, output: str) -> bool:
        return not has_bold(_CODE_RE.sub(" ", output))


@register
@dataclass(frozen=True)
class NoLists(Prohibition):
    """No line of the output starts a bulleted (``-``, ``*``, ``+``, ``•``) or numbered item.

    Numbered items are ``1.`` or ``1)``, optionally in bold, as for ``format:numbered_steps``.
    """

    kind: ClassVar[str] = "format:no_lists"
    category: ClassVar[Category] = "format"

    def describe(self) -> str:
        return ("Do not use bulleted or numbered lists anywhere in your response; write your "
                "steps as plain lines or prose.")

    def check(self, output: str) -> bool:
        return _LIST_RE.search(output) is None
