r"""More ``lexical`` kinds: keyword lists and frequencies, letters, capitals and the language.

Keywords are matched as whole words or phrases, ignoring case: a keyword is not preceded or
followed by a letter, digit or underscore of any script (so "art" does not occur in "part"), and
the spaces inside a phrase match any run of whitespace. LaTeX command names are blanked out first
(``\left`` is not the word "left"). Capital words and capital letters are read outside math
spans and LaTeX command names, so ``$x$`` or ``\frac`` never decide a case rule.

Which kinds extraction may propose, and how, is stated per kind (``extraction``): ``"by id"``
kinds are proposed only when named by id, never through a category, so the default selections
of the tasks stay what they were; ``"none"`` kinds come from constraints files only.

The language of a response is identified by ``langdetect`` (a port of Google's language-detection
library) with a private detector factory whose seed is fixed, so the verdict on a text never
changes between runs. Code blocks, math and LaTeX command names are removed before detection; a
text with no letter left is in no language.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, ClassVar, Self

from sustain_tasks.constraints.base import Category, Constraint, SourceContext
from sustain_tasks.constraints.leak import names_a_number
from sustain_tasks.constraints.length import (
    plural,
    positive_int,
    round_down_bounds,
    slack_bounds,
)
from sustain_tasks.constraints.lexical import without_math
from sustain_tasks.constraints.registry import register
from sustain_tasks.constraints.text import (
    STOPWORDS,
    fold_case,
    per_text,
    phrase_regex,
    strip_latex_commands,
)

__all__ = [
    "LANGUAGES",
    "RELATIONS",
    "AllCapitals",
    "AvoidKeywords",
    "CapitalWords",
    "IncludeKeywords",
    "KeywordFrequency",
    "LetterFrequency",
    "ResponseLanguage",
    "capital_words",
    "count_keyword",
    "detect_language",
    "has_keyword",
]

RELATIONS: tuple[str, ...] = ("less than", "at least")
"""How a count is compared with its bound: ``count < n`` or ``count >= n``."""

LANGUAGES: dict[str, str] = {
    "af": "Afrikaans", "ar": "Arabic", "bg": "Bulgarian", "bn": "Bengali", "ca": "Catalan",
    "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German", "el": "Greek",
    "en": "English", "es": "Spanish", "et": "Estonian", "fa": "Persian", "fi": "Finnish",
    "fr": "French", "gu": "Gujarati", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian",
    "hu": "Hungarian", "id": "Indonesian", "it": "Italian", "ja": "Japanese", "kn": "Kannada",
    "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian", "mk": "Macedonian",
    "ml": "Malayalam", "mr": "Marathi", "ne": "Nepali", "nl": "Dutch", "no": "Norwegian",
    "pa": "Punjabi", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian",
    "sk": "Slovak", "sl": "Slovenian", "so": "Somali", "sq": "Albanian", "sv": "Swedish",
    "sw": "Swahili", "ta": "Tamil", "te": "Telugu", "th": "Thai", "tl": "Tagalog",
    "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese", "zh": "Chinese",
    "zh-cn": "Simplified Chinese", "zh-tw": "Traditional Chinese",
}
"""The languages ``langdetect`` identifies, by ISO 639-1 code; ``zh`` is either Chinese."""

_CANDIDATES = 4
_KEYWORD_MIN_LEN = 4
_SURE = 0.99
"""The probability ``langdetect`` must give a source's language before it is proposed."""
_MIN_PROSE_WORDS = 25
"""Words of two or more letters, outside code and math, a source needs before its language is
proposed."""
_PROSE_WORD_RE = re.compile(r"[^\W\d_]{2,}")
_CODE_RE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]+`", re.DOTALL)
_RUN_RE = re.compile(r"[^\W_]+")
_LETTER_RUN_RE = re.compile(r"[^\W\d_]+")


def _relation(value: str) -> None:
    if value not in RELATIONS:
        raise ValueError(f"relation must be one of {list(RELATIONS)}, got {value!r}")


def _compare(count: int, relation: str, bound: int) -> bool:
    return count < bound if relation == "less than" else count >= bound


def _keyword(value: str, name: str) -> None:
    if (not isinstance(value, str) or not value.strip() or '"' in value or "\n" in value
            or _RUN_RE.search(value) is None):
        raise ValueError(f"{name} must be a word or phrase without double quotes or line "
                         f"breaks, got {value!r}")


@functools.lru_cache(maxsize=256)
@per_text
def _plain(text: str) -> str:
    """``text`` without LaTeX command names (keywords are looked for here)."""
    return strip_latex_commands(text)


def has_keyword(text: str, keyword: str) -> bool:
    """Whether ``keyword`` occurs in ``text`` as a whole word or phrase, ignoring case."""
    return phrase_regex(keyword).search(_folded_plain(text)) is not None


def count_keyword(text: str, keyword: str) -> int:
    """How often ``keyword`` occurs in ``text`` as a whole word or phrase, ignoring case."""
    return sum(1 for _ in phrase_regex(keyword).finditer(_folded_plain(text)))


@per_text
def _folded_plain(text: str) -> str:
    """:func:`_plain` case-folded as :func:`has_word` folds (keywords are matched alike)."""
    return fold_case(_plain(text))


@per_text
def _prose(text: str) -> str:
    """``text`` without code, math spans and LaTeX command names: what case rules read."""
    return strip_latex_commands(without_math(_CODE_RE.sub(" ", text)))


@per_text
def capital_words(text: str) -> int:
    """Words of two or more letters written wholly in capitals ("NASA", "ÉTÉ", "COVID19"),
    outside code, math and LaTeX command names."""
    count = 0
    for run in _RUN_RE.findall(_prose(text)):
        letters = sum(1 for c in run if c.isalpha())
        if letters >= 2 and run.isupper():
            count += 1
    return count


@dataclass(frozen=True)
class _Keywords(Constraint):
    keywords: tuple[str, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.keywords, tuple) or not self.keywords:
            raise ValueError("keywords must be a non-empty list")
        for keyword in self.keywords:
            _keyword(keyword, "keyword")

    def _quoted(self) -> str:
        return ", ".join(f'"{k}"' for k in self.keywords)


@register
@dataclass(frozen=True)
class IncludeKeywords(_Keywords):
    """The output uses every keyword (a word or phrase) as a whole word, ignoring case."""

    kind: ClassVar[str] = "lexical:include_keywords"
    category: ClassVar[Category] = "lexical"
    extraction: ClassVar[str] = "none"

    def describe(self) -> str:
        if len(self.keywords) == 1:
            return f"Include the keyword {self._quoted()} in your response."
        return f"Include each of the keywords {self._quoted()} in your response."

    def check(self, output: str) -> bool:
        return all(has_keyword(output, k) for k in self.keywords)

    def demands(self) -> tuple[str, ...]:
        return self.keywords

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        # lexical:include_word proposes words of the source; a list adds nothing to it
        del source, ctx
        return iter(())

    @classmethod
    def example(cls) -> Self:
        return cls(("market", "fresh eggs"))


@register
@dataclass(frozen=True)
class AvoidKeywords(_Keywords):
    """The output uses none of the keywords (words or phrases) as a whole word, ignoring case."""

    kind: ClassVar[str] = "lexical:avoid_keywords"
    category: ClassVar[Category] = "lexical"
    extraction: ClassVar[str] = "none"

    def describe(self) -> str:
        return f"Do not include the keywords {self._quoted()} anywhere in your response."

    def check(self, output: str) -> bool:
        return not any(has_keyword(output, k) for k in self.keywords)

    def permits(self, fragment: str) -> bool:
        return self.check(fragment)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        # lexical:avoid_word proposes avoidable words; a list adds nothing to it
        del source, ctx
        return iter(())

    @classmethod
    def example(cls) -> Self:
        return cls(("therefore", "clearly"))


@register
@dataclass(frozen=True)
class KeywordFrequency(Constraint):
    """The keyword occurs as a whole word ``less than`` / ``at least`` ``times`` times."""

    kind: ClassVar[str] = "lexical:keyword_frequency"
    category: ClassVar[Category] = "lexical"
    extraction: ClassVar[str] = "by id"
    keyword: str
    times: int
    relation: str = "at least"

    def __post_init__(self) -> None:
        _keyword(self.keyword, "keyword")
        positive_int(self.times, "times")
        _relation(self.relation)

    def describe(self) -> str:
        return (f'In your response, use the word "{self.keyword}" {self.relation} '
                f"{plural(self.times, 'time')}.")

    def check(self, output: str) -> bool:
        return _compare(count_keyword(output, self.keyword), self.relation, self.times)

    def demands(self) -> tuple[str, ...]:
        return (self.keyword,) if self.relation == "at least" else ()

    def permits(self, fragment: str) -> bool:
        return self.relation == "at least" or self.check(fragment)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        counts = Counter(w.lower() for w in _LETTER_RUN_RE.findall(_plain(source))
                         if len(w) >= _KEYWORD_MIN_LEN)
        pool = sorted(w for w, n in counts.items()
                      if n >= 2 and w not in STOPWORDS and not names_a_number(w)
                      and not any(has_keyword(f, w) for f in ctx.required))
        ctx.rng(cls.kind).shuffle(pool)
        for word in pool[:_CANDIDATES]:
            # count the word as the check counts it (a phrase boundary may differ from a run)
            n = count_keyword(source, word)
            if n >= 2:
                yield cls(word, max(2, next(iter(round_down_bounds(n)), 2)), "at least")

    @classmethod
    def example(cls) -> Self:
        return cls("eggs", 3, "at least")


@register
@dataclass(frozen=True)
class LetterFrequency(Constraint):
    """The letter occurs (any case) ``less than`` / ``at least`` ``times`` times in the output."""

    kind: ClassVar[str] = "lexical:letter_frequency"
    category: ClassVar[Category] = "lexical"
    extraction: ClassVar[str] = "by id"
    letter: str
    times: int
    relation: str = "at least"

    def __post_init__(self) -> None:
        if not isinstance(self.letter, str) or len(self.letter) != 1 or not self.letter.isalpha():
            raise ValueError(f"letter must be a single letter, got {self.letter!r}")
        positive_int(self.times, "times")
        _relation(self.relation)

    def describe(self) -> str:
        return (f'In your response, the letter "{self.letter}" should appear {self.relation} '
                f"{plural(self.times, 'time')} (in either case).")

    def check(self, output: str) -> bool:
        letter = self.letter.lower()
        return _compare(output.lower().count(letter), self.relation, self.times)

    def permits(self, fragment: str) -> bool:
        return self.relation == "at least" or self.check(fragment)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        lowered = source.lower()
        letters = sorted({c for c in "abcdefghijklmnopqrstuvwxyz" if c in lowered})
        ctx.rng(cls.kind).shuffle(letters)
        for letter in letters[:_CANDIDATES]:
            n = lowered.count(letter)
            bound = next(iter(slack_bounds(n, gap=2, ratio=1.2)))
            yield cls(letter, bound, "less than")

    @classmethod
    def example(cls) -> Self:
        return cls("q", 5, "less than")


@register
@dataclass(frozen=True)
class CapitalWords(Constraint):
    """Words wholly in capitals (two or more letters) occur ``less than`` / ``at least`` n times."""

    kind: ClassVar[str] = "lexical:capital_words"
    category: ClassVar[Category] = "lexical"
    extraction: ClassVar[str] = "by id"
    times: int
    relation: str = "less than"

    def __post_init__(self) -> None:
        positive_int(self.times, "times")
        _relation(self.relation)

    def describe(self) -> str:
        return (f"In your response, words written entirely in capital letters should appear "
                f"{self.relation} {plural(self.times, 'time')} (math and code do not count).")

    def check(self, output: str) -> bool:
        return _compare(capital_words(output), self.relation, self.times)

    def permits(self, fragment: str) -> bool:
        return self.relation == "at least" or self.check(fragment)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        n = capital_words(source)
        for bound in islice(slack_bounds(n, gap=1, ratio=1.5), _CANDIDATES):
            yield cls(bound, "less than")

    @classmethod
    def example(cls) -> Self:
        return cls(3, "less than")


@register
@dataclass(frozen=True)
class AllCapitals(Constraint):
    """A capital letter and no lower-case letter in the output outside code, math, LaTeX names."""

    kind: ClassVar[str] = "lexical:all_capitals"
    category: ClassVar[Category] = "lexical"
    extraction: ClassVar[str] = "by id"

    def describe(self) -> str:
        return ("Write your whole response in capital letters, without lower-case letters "
                "except in code, in math and in LaTeX command names.")

    def check(self, output: str) -> bool:
        text = _prose(output)
        return not any(map(str.islower, text)) and any(map(str.isupper, text))

    def permits(self, fragment: str) -> bool:
        return not any(map(str.islower, _prose(fragment)))

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        del source, ctx
        yield cls()

    @classmethod
    def example(cls) -> Self:
        return cls()


@functools.lru_cache(maxsize=1)
def _detector_factory() -> Any:
    try:
        from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ImportError("lexical:response_language needs langdetect: "
                          "pip install langdetect") from exc
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.seed = 0  # this factory's detectors only; the module-wide default is untouched
    return factory


@per_text
def _detection(text: str) -> tuple[str, float] | None:
    """The most probable language of ``text`` (read as :func:`detect_language` reads it) and
    its probability."""
    prose = _prose(text)
    if not any(map(str.isalpha, prose)):
        return None
    from langdetect.lang_detect_exception import LangDetectException

    detector = _detector_factory().create()
    detector.append(prose)
    try:
        ranked = detector.get_probabilities()
    except LangDetectException:
        return None
    if not ranked:
        return None
    return str(ranked[0].lang), float(ranked[0].prob)


def detect_language(text: str) -> str | None:
    """The language code ``langdetect`` gives ``text`` without code, math and LaTeX command
    names (``"en"``, ``"zh-cn"``), with a fixed seed; None when no letter is left."""
    found = _detection(text)
    return None if found is None else found[0]


def _same_language(detected: str | None, wanted: str) -> bool:
    if detected is None:
        return False
    if "-" in wanted:
        return detected == wanted
    return detected.split("-")[0] == wanted


@register
@dataclass(frozen=True)
class ResponseLanguage(Constraint):
    """``langdetect`` (fixed seed) reads the output, without code and math, as ``language``."""

    kind: ClassVar[str] = "lexical:response_language"
    category: ClassVar[Category] = "lexical"
    extraction: ClassVar[str] = "by id"
    language: str

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"language must be an ISO 639-1 code that langdetect knows "
                             f"({', '.join(LANGUAGES)}), got {self.language!r}")

    def describe(self) -> str:
        return (f"Write your entire response in {LANGUAGES[self.language]}, and in that "
                "language alone.")

    def check(self, output: str) -> bool:
        return _same_language(detect_language(output), self.language)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        del ctx
        # a hesitant detection, or one made on a few words between formulas (math read as
        # Catalan or Somali), would ask for an odd language
        if sum(1 for _ in islice(_PROSE_WORD_RE.finditer(_prose(source)), _MIN_PROSE_WORDS)) \
                < _MIN_PROSE_WORDS:
            return
        found = _detection(source)
        if found is None or found[1] < _SURE:
            return
        primary = found[0].split("-")[0]
        yield cls(primary if primary in LANGUAGES else found[0])

    @classmethod
    def example(cls) -> Self:
        return cls("fr")
