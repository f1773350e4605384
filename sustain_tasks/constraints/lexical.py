"""``lexical`` kinds: which words and characters an output uses.

Words are matched as whole words, ignoring case (see :func:`~.text.has_word`). Words proposed for
inclusion come from the source output itself; words proposed for avoidance come from
:data:`AVOIDABLE_WORDS`, a fixed vocabulary of words a solution might plausibly use. Which word is
proposed is drawn with ``ctx.rng(kind)``, so it depends only on the seed, the item and the kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, Self

from sustain_tasks.constraints.base import Category, Constraint, Prohibition, SourceContext
from sustain_tasks.constraints.leak import numbers_in
from sustain_tasks.constraints.registry import register
from sustain_tasks.constraints.text import STOPWORDS, WORD_RE, has_word

__all__ = [
    "AVOIDABLE_WORDS",
    "AllLowercase",
    "AvoidWord",
    "IncludeWord",
    "NoCommas",
    "NoFirstPerson",
    "StartsWith",
    "first_person_words",
]

AVOIDABLE_WORDS: tuple[str, ...] = tuple(sorted({
    "actually", "additionally", "also", "altogether", "amount", "basically", "because",
    "calculate", "clearly", "combined", "consequently", "each", "find", "finally", "first",
    "given", "hence", "however", "just", "know", "left", "means", "need", "next", "note",
    "now", "overall", "remaining", "result", "since", "simply", "step", "therefore", "thus",
    "total", "whole",
}))
"""Words an avoid-word constraint may name: common in solutions, never needed for an answer."""

_WORD_MIN_LEN = 4
_INCLUDE_CANDIDATES = 12
_LETTERS_RE = re.compile(r"[A-Za-z\u00C0-\u024F]+")
_LEADING_MARKUP = " \t\r\n#*_>\"'`-\u2022"
_WORD_RUN_RE = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+")
_TOKEN_RE = re.compile(r"[A-Za-z]+(?:['\u2019][A-Za-z]+)*")
_FIRST_PERSON = frozenset({
    "me", "my", "mine", "myself", "we", "us", "our", "ours", "ourselves", "let's", "i'm", "i've",
    "i'll", "i'd", "we're", "we've", "we'll", "we'd",
})


def _word(value: str, name: str) -> None:
    if not isinstance(value, str) or _LETTERS_RE.fullmatch(value) is None:
        raise ValueError(f"{name} must be a single word of letters, got {value!r}")


def first_person_words(text: str) -> Iterator[str]:
    """First-person pronouns in ``text``: I (and I'm, I've...), me, my, we, us, our, let's, ...

    "I" counts only as a capital letter and "US" in capitals is read as the country.
    """
    for match in _TOKEN_RE.finditer(text):
        word = match.group().replace("\u2019", "'")
        capital_i = word == "I" or word.startswith("I'")
        if capital_i or (word != "US" and word.lower() in _FIRST_PERSON):
            yield word


@register
@dataclass(frozen=True)
class IncludeWord(Constraint):
    """The output uses ``word`` as a whole word (any case)."""

    kind: ClassVar[str] = "lexical:include_word"
    category: ClassVar[Category] = "lexical"
    word: str

    def __post_init__(self) -> None:
        _word(self.word, "word")

    def describe(self) -> str:
        return f'Use the word "{self.word}" somewhere in your answer.'

    def check(self, output: str) -> bool:
        return has_word(output, self.word)

    def demands(self) -> tuple[str, ...]:
        return (self.word,)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        forms: dict[str, str] = {}
        for token in WORD_RE.findall(source):
            if len(token) < _WORD_MIN_LEN or _LETTERS_RE.fullmatch(token) is None:
                continue
            lower = token.lower()
            if lower in STOPWORDS or numbers_in(lower):
                continue
            # the lower-case form when the source ever writes it so, else as written (a name)
            if lower not in forms or token == lower:
                forms[lower] = token
        pool = sorted(forms)
        ctx.rng(cls.kind).shuffle(pool)
        for lower in pool[:_INCLUDE_CANDIDATES]:
            yield cls(forms[lower])

    @classmethod
    def example(cls) -> Self:
        return cls("market")


@register
@dataclass(frozen=True)
class AvoidWord(Constraint):
    """The output never uses ``word`` as a whole word (any case)."""

    kind: ClassVar[str] = "lexical:avoid_word"
    category: ClassVar[Category] = "lexical"
    word: str

    def __post_init__(self) -> None:
        _word(self.word, "word")

    def describe(self) -> str:
        return f'Do not use the word "{self.word}" anywhere in your answer.'

    def check(self, output: str) -> bool:
        return not has_word(output, self.word)

    def permits(self, fragment: str) -> bool:
        return self.check(fragment)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        used = {token.lower() for token in _WORD_RUN_RE.findall(source)}
        pool = [w for w in AVOIDABLE_WORDS if w not in used]
        ctx.rng(cls.kind).shuffle(pool)
        for word in pool:
            yield cls(word)

    @classmethod
    def example(cls) -> Self:
        return cls("therefore")


@register
@dataclass(frozen=True)
class StartsWith(Constraint):
    """The output begins with the words of ``prefix`` (any case; leading markup is skipped)."""

    kind: ClassVar[str] = "lexical:starts_with"
    category: ClassVar[Category] = "lexical"
    prefix: str

    def __post_init__(self) -> None:
        if not isinstance(self.prefix, str) or not WORD_RE.search(self.prefix):
            raise ValueError("prefix must contain at least one word")
        if '"' in self.prefix or "\n" in self.prefix:
            raise ValueError("prefix may not contain a double quote or a line break")

    def describe(self) -> str:
        return f'Begin your answer with the words "{self.prefix}".'

    def check(self, output: str) -> bool:
        expected = [w.lower() for w in WORD_RE.findall(self.prefix)]
        head = output.lstrip(_LEADING_MARKUP)
        if not expected or WORD_RE.match(head) is None:
            return False
        got: list[str] = []
        for match in WORD_RE.finditer(head):
            got.append(match.group().lower())
            if len(got) == len(expected):
                break
        return got == expected

    def demands(self) -> tuple[str, ...]:
        return (self.prefix,)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        line = source.lstrip(_LEADING_MARKUP).split("\n", 1)[0]
        if WORD_RE.match(line) is None:
            return
        ends: list[int] = []
        for match in WORD_RE.finditer(line):
            ends.append(match.end())
            if len(ends) == 4:
                break
        for n in (3, 2, 4):
            if len(ends) >= n:
                # the quoted prefix is the source's own text up to its n-th word
                prefix = line[: ends[n - 1]].strip()
                if '"' not in prefix:
                    yield cls(prefix)

    @classmethod
    def example(cls) -> Self:
        return cls("First, we need")


@register
@dataclass(frozen=True)
class NoCommas(Prohibition):
    """The output contains no comma."""

    kind: ClassVar[str] = "lexical:no_commas"
    category: ClassVar[Category] = "lexical"

    def describe(self) -> str:
        return "Do not use any commas in your answer."

    def check(self, output: str) -> bool:
        return "," not in output


@register
@dataclass(frozen=True)
class AllLowercase(Prohibition):
    """The output contains no uppercase letter."""

    kind: ClassVar[str] = "lexical:all_lowercase"
    category: ClassVar[Category] = "lexical"

    def describe(self) -> str:
        return "Write your whole answer in lowercase letters; do not use any capital letters."

    def check(self, output: str) -> bool:
        return not any(map(str.isupper, output))


@register
@dataclass(frozen=True)
class NoFirstPerson(Prohibition):
    """The output uses no first-person pronoun (see :func:`first_person_words`)."""

    kind: ClassVar[str] = "lexical:no_first_person"
    category: ClassVar[Category] = "lexical"

    def describe(self) -> str:
        return ('Do not refer to yourself: avoid first-person words such as "I", "we", "my", '
                '"our" and "let\'s".')

    def check(self, output: str) -> bool:
        return next(first_person_words(output), None) is None
