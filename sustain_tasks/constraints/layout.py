r"""More ``format`` kinds: titles, JSON, sections, counted lists and highlights, dividers,
postscripts, quoting, placeholders, fixed openings and endings.

Each kind decides by form alone. Code (fenced blocks and inline spans) and math spans are not
read where they could fake a form: ``a << b >> c`` in code is not a title, ``2 * 3 * 4`` is not a
highlight, ``\[x\]`` is not a placeholder.

Which kinds extraction may propose is stated per kind (``extraction``): ``"by id"`` kinds are
proposed only when named by id, and only when the source output already has the form (a title,
a postscript, ...); ``"none"`` kinds (an end phrase, fixed answer options, repeating the prompt)
are never self-evident on a task's answer, or would quote it, and come from constraints files
only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, Self

from sustain_tasks.constraints.base import Category, Constraint, SourceContext
from sustain_tasks.constraints.leak import names_a_number
from sustain_tasks.constraints.length import plural, positive_int
from sustain_tasks.constraints.lexical import without_math
from sustain_tasks.constraints.registry import register
from sustain_tasks.constraints.text import paragraphs, per_text

__all__ = [
    "BulletCount",
    "ConstrainedResponse",
    "DividedParagraphs",
    "EndPhrase",
    "Highlights",
    "JsonOutput",
    "ParagraphFirstWord",
    "Placeholders",
    "Postscript",
    "Quoted",
    "RepeatPrompt",
    "Sections",
    "Title",
    "TwoResponses",
    "bullet_items",
    "highlights",
    "placeholders",
]

_CODE_RE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]+`", re.DOTALL)
_TITLE_RE = re.compile(r"<<([^\n]*?)>>")
_JSON_FENCE_RE = re.compile(r"```(?:json)?[ \t]*\n?(.*?)\n?[ \t]*```", re.IGNORECASE | re.DOTALL)
_BULLET_ITEM_RE = re.compile(r"^[ \t]*[-*+\u2022][ \t]+\S", re.MULTILINE)
_HIGHLIGHT_RE = re.compile(r"(?<![\w*\\])(\*{1,3})(?=[^\s*])([^\n*]*?[^\s*\\])\1(?![\w*])")
_PLACEHOLDER_RE = re.compile(r"(?<![\\\]\w])\[([^\[\]\n]{1,100})\](?![(\[:])")
_DIVIDER = "***"
_SEPARATOR = "******"
_MARKS = " \t*_#>\"'\u201c\u2018"
_WORD_RE = re.compile(r"[^\W_]+")
_MAX_SECTIONS_SEEN = 1000


@per_text
def _no_code(text: str) -> str:
    return _CODE_RE.sub(" ", text)


@per_text
def _no_code_or_math(text: str) -> str:
    return without_math(_CODE_RE.sub(" ", text))


def bullet_items(text: str) -> int:
    """Lines that start a bullet item: optional indent, ``-``, ``*``, ``+`` or ``•``, a space."""
    return sum(1 for _ in _BULLET_ITEM_RE.finditer(_no_code(text)))


@per_text
def highlights(text: str) -> int:
    """Emphasised spans ``*text*``, ``**text**`` and ``***text***`` on one line, outside code
    and math (the markers touch the text, as Markdown wants: ``2 * 3 * 4`` is no highlight)."""
    return sum(1 for _ in _HIGHLIGHT_RE.finditer(_no_code_or_math(text)))


@per_text
def placeholders(text: str) -> int:
    """Bracketed placeholders such as ``[address]``: text with a letter between ``[`` and ``]``
    on one line; not ``\\[`` math, not a Markdown link ``[text](url)``, not code."""
    return sum(1 for m in _PLACEHOLDER_RE.finditer(_no_code_or_math(text))
               if any(c.isalpha() for c in m.group(1)))


def _one_line(value: str, name: str) -> None:
    if not isinstance(value, str) or not value.strip() or "\n" in value:
        raise ValueError(f"{name} must be a non-empty single line, got {value!r}")


@register
@dataclass(frozen=True)
class Title(Constraint):
    """The output has a title wrapped in double angular brackets, ``<<title>>``, outside code."""

    kind: ClassVar[str] = "format:title"
    category: ClassVar[Category] = "format"
    extraction: ClassVar[str] = "by id"

    def describe(self) -> str:
        return "Give your response a title wrapped in << and >>, such as <<poem of joy>>."

    def check(self, output: str) -> bool:
        return any(m.group(1).strip(" \t<>") for m in _TITLE_RE.finditer(_no_code(output)))

    def demands(self) -> tuple[str, ...]:
        return ("<<",)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        del source, ctx
        yield cls()

    @classmethod
    def example(cls) -> Self:
        return cls()


def _json_body(output: str) -> str:
    text = output.strip()
    fenced = _JSON_FENCE_RE.fullmatch(text)
    return fenced.group(1) if fenced else text


@register
@dataclass(frozen=True)
class JsonOutput(Constraint):
    """The whole output is one JSON value, optionally in a fenced block (```json)."""

    kind: ClassVar[str] = "format:json_output"
    category: ClassVar[Category] = "format"
    extraction: ClassVar[str] = "by id"

    def describe(self) -> str:
        return ("Write your entire response as valid JSON (you may wrap it in a markdown code "
                "block opened with ```json).")

    def check(self, output: str) -> bool:
        body = _json_body(output)
        if not body:
            return False
        try:
            json.loads(body)
        except (ValueError, RecursionError):
            return False
        return True

    def permits(self, fragment: str) -> bool:
        # a required fragment must fit inside a JSON string at least
        return "\n" not in fragment.strip()

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        del source, ctx
        yield cls()

    @classmethod
    def example(cls) -> Self:
        return cls()


@register
@dataclass(frozen=True)
class Sections(Constraint):
    """Exactly ``count`` lines open a section with ``splitter`` and a number ("SECTION 1")."""

    kind: ClassVar[str] = "format:sections"
    category: ClassVar[Category] = "format"
    extraction: ClassVar[str] = "by id"
    count: int
    splitter: str = "SECTION"

    def __post_init__(self) -> None:
        positive_int(self.count, "count")
        if not isinstance(self.splitter, str) or not self.splitter.isalpha():
            raise ValueError(f"splitter must be a single word, got {self.splitter!r}")

    def describe(self) -> str:
        return (f"Divide your response into {plural(self.count, 'section')}. Begin each "
                f"section with a line that starts with {self.splitter} and the section's "
                "number.")

    def _pattern(self) -> re.Pattern[str]:
        return re.compile(rf"^[ \t*_#>]*{re.escape(self.splitter)}[ \t]+\d+\b", re.MULTILINE)

    def check(self, output: str) -> bool:
        found = 0
        for found, _ in enumerate(self._pattern().finditer(_no_code(output)), start=1):
            if found > self.count:
                return False
        return found == self.count

    def demands(self) -> tuple[str, ...]:
        return (self.splitter,)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        del ctx
        for splitter in ("SECTION", "Section", "PART", "Part"):
            probe = cls(1, splitter)
            n = sum(1 for _ in probe._pattern().finditer(_no_code(source)))
            if 1 <= n <= _MAX_SECTIONS_SEEN:
                yield cls(n, splitter)

    @classmethod
    def example(cls) -> Self:
        return cls(3, "SECTION")


@register
@dataclass(frozen=True)
class BulletCount(Constraint):
    """Exactly ``count`` lines start a markdown bullet item (``*``, ``-``, ``+`` or ``•``)."""

    kind: ClassVar[str] = "format:bullet_count"
    category: ClassVar[Category] = "format"
    extraction: ClassVar[str] = "by id"
    count: int

    def __post_init__(self) -> None:
        positive_int(self.count, "count")

    def describe(self) -> str:
        return (f"Your response must contain exactly {plural(self.count, 'bullet point')}, "
                'each a line starting with "* " or "- ".')

    def check(self, output: str) -> bool:
        return bullet_items(output) == self.count

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        del ctx
        n = bullet_items(source)
        if n >= 2:
            yield cls(n)

    @classmethod
    def example(cls) -> Self:
        return cls(3)


@register
@dataclass(frozen=True)
class Highlights(Constraint):
    """At least ``minimum`` spans are emphasised with markdown, ``*text*`` or ``**text**``."""

    kind: ClassVar[str] = "format:highlights"
    category: ClassVar[Category] = "format"
    extraction: ClassVar[str] = "by id"
    minimum: int

    def __post_init__(self) -> None:
        positive_int(self.minimum, "minimum")

    def describe(self) -> str:
        return (f"Highlight at least {plural(self.minimum, 'section')} of your response with "
                "markdown, i.e. *highlighted section*.")

    def check(self, output: str) -> bool:
        return highlights(output) >= self.minimum

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        del ctx
        n = highlights(source)
        if n >= 1:
            yield cls(min(n, 3))

    @classmethod
    def example(cls) -> Self:
        return cls(2)


def _divided(output: str) -> list[str] | None:
    """The parts of ``output`` between lines that hold only ``***``; None when a part between
    two dividers is blank (a blank part at either end is dropped)."""
    parts: list[list[str]] = [[]]
    for line in output.split("\n"):
        if line.strip() == _DIVIDER:
            parts.append([])
        else:
            parts[-1].append(line)
    texts = ["\n".join(p).strip() for p in parts]
    if texts and not texts[0]:
        texts.pop(0)
    if texts and not texts[-1]:
        texts.pop()
    return None if any(not t for t in texts) else texts


@register
@dataclass(frozen=True)
class DividedParagraphs(Constraint):
    """Exactly ``count`` non-blank parts, separated by lines holding only the divider ``***``."""

    kind: ClassVar[str] = "format:divided_paragraphs"
    category: ClassVar[Category] = "format"
    extraction: ClassVar[str] = "by id"
    count: int

    def __post_init__(self) -> None:
        positive_int(self.count, "count")

    def describe(self) -> str:
        return (f"Write exactly {plural(self.count, 'paragraph')}, separated from each other by "
                "the markdown divider *** on a line of its own.")

    def check(self, output: str) -> bool:
        parts = _divided(output)
        return parts is not None and len(parts) == self.count

    def demands(self) -> tuple[str, ...]:
        return (_DIVIDER,) if self.count > 1 else ()

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        del ctx
        parts = _divided(source)
        if parts is not None and len(parts) >= 2:
            yield cls(len(parts))

    @classmethod
    def example(cls) -> Self:
        return cls(3)


def _first_word(paragraph: str) -> str:
    match = _WORD_RE.search(paragraph.lstrip(_MARKS))
    return match.group().lower() if match else ""


@register
@dataclass(frozen=True)
class ParagraphFirstWord(Constraint):
    """Exactly ``paragraphs`` paragraphs (at blank lines); paragraph ``nth`` opens with ``word``."""

    kind: ClassVar[str] = "format:paragraph_first_word"
    category: ClassVar[Category] = "format"
    extraction: ClassVar[str] = "by id"
    paragraphs: int
    nth: int
    word: str

    def __post_init__(self) -> None:
        positive_int(self.paragraphs, "paragraphs")
        positive_int(self.nth, "nth")
        if self.nth > self.paragraphs:
            raise ValueError(f"nth ({self.nth}) may not exceed paragraphs ({self.paragraphs})")
        if not isinstance(self.word, str) or _WORD_RE.fullmatch(self.word) is None:
            raise ValueError(f"word must be a single word, got {self.word!r}")

    def describe(self) -> str:
        return (f"Write exactly {plural(self.paragraphs, 'paragraph')}, separated by blank "
                f'lines; paragraph {self.nth} must start with the word "{self.word}".')

    def check(self, output: str) -> bool:
        found = paragraphs(output)
        return (len(found) == self.paragraphs
                and _first_word(found[self.nth - 1]) == self.word.lower())

    def demands(self) -> tuple[str, ...]:
        return (self.word,)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        found = paragraphs(source)
        if len(found) < 2:
            return
        order = list(range(2, len(found) + 1))
        ctx.rng(cls.kind).shuffle(order)
        for nth in order[:4]:
            word = _first_word(found[nth - 1])
            if len(word) >= 2 and word.isalpha() and not names_a_number(word):
                yield cls(len(found), nth, word)

    @classmethod
    def example(cls) -> Self:
        return cls(3, 2, "however")


@register
@dataclass(frozen=True)
class TwoResponses(Constraint):
    """Two different non-blank responses separated by ``******`` (and by nothing else)."""

    kind: ClassVar[str] = "format:two_responses"
    category: ClassVar[Category] = "format"
    extraction: ClassVar[str] = "by id"

    def describe(self) -> str:
        return ("Give a first response, then a different second response, separated only by "
                "the asterisks ******.")

    def check(self, output: str) -> bool:
        parts = output.split(_SEPARATOR)
        kept: list[str] = []
        for i, part in enumerate(parts):
            if part.strip():
                kept.append(part.strip())
            elif 0 < i < len(parts) - 1:
                return False
        return len(kept) == 2 and kept[0] != kept[1]

    def demands(self) -> tuple[str, ...]:
        return (_SEPARATOR,)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        del source, ctx
        yield cls()

    @classmethod
    def example(cls) -> Self:
        return cls()


_QUOTES = (('"', '"'), ("\u201c", "\u201d"))


@register
@dataclass(frozen=True)
class Quoted(Constraint):
    """The whole output, without surrounding whitespace, is wrapped in double quotation marks."""

    kind: ClassVar[str] = "format:quoted"
    category: ClassVar[Category] = "format"
    extraction: ClassVar[str] = "by id"

    def describe(self) -> str:
        return 'Wrap your entire response in quotation marks ("...").'

    def check(self, output: str) -> bool:
        text = output.strip()
        return len(text) > 1 and any(text[0] == a and text[-1] == b for a, b in _QUOTES)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        del source, ctx
        yield cls()

    @classmethod
    def example(cls) -> Self:
        return cls()


@register
@dataclass(frozen=True)
class Placeholders(Constraint):
    """At least ``minimum`` bracketed placeholders such as ``[address]`` (not math, links, code)."""

    kind: ClassVar[str] = "format:placeholders"
    category: ClassVar[Category] = "format"
    extraction: ClassVar[str] = "by id"
    minimum: int

    def __post_init__(self) -> None:
        positive_int(self.minimum, "minimum")

    def describe(self) -> str:
        return (f"Include at least {plural(self.minimum, 'placeholder')} in square brackets, "
                "such as [address].")

    def check(self, output: str) -> bool:
        return placeholders(output) >= self.minimum

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        del ctx
        n = placeholders(source)
        if n >= 1:
            yield cls(min(n, 3))

    @classmethod
    def example(cls) -> Self:
        return cls(2)


def _marker_re(marker: str) -> re.Pattern[str]:
    body = r"\.\s?".join(re.escape(p.strip()) for p in marker.split("."))
    return re.compile(rf"^[ \t*_>]*{body}", re.IGNORECASE | re.MULTILINE)


@register
@dataclass(frozen=True)
class Postscript(Constraint):
    """A line after the first one starts with ``marker`` ("P.S."), ignoring case and emphasis."""

    kind: ClassVar[str] = "format:postscript"
    category: ClassVar[Category] = "format"
    extraction: ClassVar[str] = "by id"
    marker: str = "P.S."

    def __post_init__(self) -> None:
        _one_line(self.marker, "marker")

    def describe(self) -> str:
        return (f'At the end of your response, add a postscript starting with "{self.marker}".')

    def check(self, output: str) -> bool:
        text = output.strip()
        first_end = text.find("\n")
        if first_end < 0:
            return False
        return _marker_re(self.marker).search(text, first_end + 1) is not None

    def demands(self) -> tuple[str, ...]:
        return (self.marker,)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        del ctx
        for marker in ("P.P.S", "P.S."):
            probe = cls(marker)
            if probe.check(source):
                yield probe

    @classmethod
    def example(cls) -> Self:
        return cls("P.S.")


def _ending(output: str) -> str:
    return output.strip().strip('"').rstrip(" \t\n*_").lower()


@register
@dataclass(frozen=True)
class EndPhrase(Constraint):
    """The output ends with ``phrase`` (ignoring case, surrounding quotes and emphasis)."""

    kind: ClassVar[str] = "format:end_phrase"
    category: ClassVar[Category] = "format"
    extraction: ClassVar[str] = "none"
    phrase: str

    def __post_init__(self) -> None:
        _one_line(self.phrase, "phrase")

    def describe(self) -> str:
        return (f'Finish your response with the exact phrase "{self.phrase}"; nothing may '
                "follow it.")

    def check(self, output: str) -> bool:
        return _ending(output).endswith(self.phrase.strip().lower())

    def demands(self) -> tuple[str, ...]:
        return (self.phrase,)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        del source, ctx  # the last words of an answer are the answer
        return iter(())

    @classmethod
    def example(cls) -> Self:
        return cls("Any other questions?")


@register
@dataclass(frozen=True)
class ConstrainedResponse(Constraint):
    """The output contains exactly one of ``options`` (and none of the others)."""

    kind: ClassVar[str] = "format:constrained_response"
    category: ClassVar[Category] = "format"
    extraction: ClassVar[str] = "none"
    options: tuple[str, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.options, tuple) or len(self.options) < 2:
            raise ValueError("options must list at least two answers")
        for option in self.options:
            _one_line(option, "option")

    def describe(self) -> str:
        listed = ", ".join(f'"{o}"' for o in self.options)
        return f"Answer by choosing among the following options, word for word: {listed}."

    def check(self, output: str) -> bool:
        return sum(1 for o in self.options if o.strip() in output) == 1

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        del source, ctx  # a task's answer is not one of fixed options
        return iter(())

    @classmethod
    def example(cls) -> Self:
        return cls(("I agree.", "I disagree.", "I am not sure."))


def _squeezed(text: str) -> str:
    return " ".join(text.split()).lower()


@register
@dataclass(frozen=True)
class RepeatPrompt(Constraint):
    """The output starts with ``prompt`` word for word (ignoring case and runs of whitespace)."""

    kind: ClassVar[str] = "format:repeat_prompt"
    category: ClassVar[Category] = "format"
    extraction: ClassVar[str] = "none"
    prompt: str

    def __post_init__(self) -> None:
        if not isinstance(self.prompt, str) or not self.prompt.strip():
            raise ValueError("prompt must be non-empty text")

    def describe(self) -> str:
        return ("First repeat the request word for word without change, then give your answer "
                "(say nothing before repeating the request; the request to repeat does not "
                "include this sentence).")

    def check(self, output: str) -> bool:
        return _squeezed(output).startswith(_squeezed(self.prompt))

    def demands(self) -> tuple[str, ...]:
        return (self.prompt,)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        del source, ctx  # extraction does not see the prompt
        return iter(())

    @classmethod
    def example(cls) -> Self:
        return cls("Write a haiku about the sea.")
