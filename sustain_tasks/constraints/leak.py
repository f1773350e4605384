"""The no-answer-leak guard: a constraint's text may not reveal an answer.

Numbers are compared by value after normalisation (``1,200`` = ``1200`` = ``1200.00``; number
words count too, alone and composed: "five", "twenty-five", "three hundred"); text answers are
compared after lower-casing and stripping punctuation and articles, as a whole phrase and by
their salient tokens (content words of three or more characters, and any digits), so "mention
Paris" leaks the answer "Paris, France".

LaTeX markup is removed from an answer before its phrase and tokens are taken: command names
(``\\text``, ``\\frac``, ``\\left``), braces and ``$``, so the answer ``\\text{Evelyn}`` makes
"Evelyn" salient but not "text". Greek letter commands keep their name (``\\pi`` -> "pi"), and
numbers inside the markup stay (``\\frac{14}{3}`` still leaks through 14 and 3: conservative).

The guard runs for every candidate constraint of every extraction, so the work that depends
only on an answer (its value, phrase and salient tokens) or only on a constraint text (its
numbers, normalised words) is done once and remembered (bounded caches; texts longer than
:data:`_CACHE_MAX_CHARS` are not remembered).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = ["leaks_answer", "names_a_number", "normalize_number", "numbers_in", "salient_tokens"]

_NUMBER_RE = re.compile(
    r"(?<![\w.])[-\u2212]?\$?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-\u2212]?\$?\d+(?:\.\d+)?"
)
_UNITS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)
_TENS = (
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
)
_NUMBER_WORDS: dict[str, int] = {w: i for i, w in enumerate(_UNITS)}
_NUMBER_WORDS.update({w: 20 + 10 * i for i, w in enumerate(_TENS)})
_NUMBER_WORDS.update({"hundred": 100, "thousand": 1000, "dozen": 12, "half": 2, "twice": 2,
                      "once": 1, "single": 1, "double": 2, "triple": 3})
_NUMBER_WORD_VALUES: dict[str, Decimal] = {w: Decimal(v) for w, v in _NUMBER_WORDS.items()}
_COMPOSABLE = frozenset([*_UNITS, *_TENS, "hundred", "thousand"])
_WORD_RE = re.compile(r"[a-z]+")
_PUNCT_RE = re.compile(r"[^\w\s]")
_ARTICLE_RE = re.compile(r"\b(a|an|the)\b")
_LATEX_PUNCT_RE = re.compile(r"[{}$]")
_CACHE_MAX_CHARS = 2000
"""Texts and answers up to this length have their analysis remembered."""
_STOPWORDS = frozenset({
    "the", "a", "an", "and", "or", "of", "in", "on", "at", "to", "for", "with", "from", "by", "as",
    "is", "are", "was", "were", "be", "been", "it", "its", "this", "that", "these", "those", "his",
    "her", "their", "our", "your", "my", "not", "no", "yes", "than", "then", "into", "over",
    "under", "about", "after", "before", "who", "whom", "which", "what", "when", "where", "why",
    "how", "all", "any", "both", "each", "few", "more", "most", "other", "some", "such", "only",
    "own", "same", "so", "too", "very", "can", "will", "just",
})


def normalize_number(text: str) -> Decimal | None:
    """The value of a number string (``$1,200.50``, ``−3``, ``7``), or None."""
    cleaned = text.strip().replace(",", "").replace("$", "").replace("\u2212", "-")
    cleaned = cleaned.rstrip(".")
    if cleaned.endswith("%"):
        cleaned = cleaned[:-1]
    try:
        value = Decimal(cleaned)
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite():
        return None
    return value.normalize()


_number_value = functools.lru_cache(maxsize=8192)(normalize_number)
""":func:`normalize_number`, remembered (number strings repeat across texts)."""


def numbers_in(text: str) -> set[Decimal]:
    """Values of every number written in digits or as a simple number word in ``text``."""
    return set(_numbers(text))


def _numbers(text: str) -> frozenset[Decimal]:
    if len(text) <= _CACHE_MAX_CHARS:
        return _numbers_cached(text)
    return _scan_numbers(text)


def _scan_numbers(text: str) -> frozenset[Decimal]:
    found: set[Decimal] = set()
    for match in _NUMBER_RE.finditer(text):
        value = _number_value(match.group())
        if value is not None:
            found.add(value)
            found.add(abs(value))
    group: list[str] = []
    for word in _WORD_RE.findall(text.lower()):
        value = _NUMBER_WORD_VALUES.get(word)
        if value is not None:
            found.add(value)
        if word in _COMPOSABLE or (word == "and" and group):
            group.append(word)
            continue
        if group:
            _add_compound(group, found)
            group = []
    _add_compound(group, found)
    return frozenset(found)


_numbers_cached = functools.lru_cache(maxsize=8192)(_scan_numbers)


def names_a_number(text: str) -> bool:
    """Whether :func:`numbers_in` finds a number in ``text`` (decided at once for a word of
    ASCII letters: it names a number only when it is a number word)."""
    if text.isascii() and text.isalpha():
        return text.lower() in _NUMBER_WORDS
    return bool(_numbers(text))


def _add_compound(group: list[str], found: set[Decimal]) -> None:
    """Add the value of a run of number words ("twenty-five", "three hundred and six")."""
    end = len(group)
    while end and group[end - 1] == "and":
        end -= 1
    if end < 2:
        return
    total = current = 0
    for word in group[:end]:
        if word == "hundred":
            current = max(current, 1) * 100
        elif word == "thousand":
            total += max(current, 1) * 1000
            current = 0
        elif word != "and":
            current += _NUMBER_WORDS[word]
    found.add(Decimal(total + current))


_LATEX_COMMAND_RE = re.compile(r"\\([A-Za-z]+)")
_GREEK = frozenset({
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
    "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "varpi", "rho", "sigma", "tau",
    "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi",
    "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
})


def _strip_latex(answer: str) -> str:
    """``answer`` without LaTeX command names (Greek letters keep theirs), braces and ``$``."""
    if "\\" not in answer and "{" not in answer and "$" not in answer:
        return answer
    text = _LATEX_COMMAND_RE.sub(
        lambda m: f" {m.group(1)} " if m.group(1) in _GREEK else " ", answer)
    return _LATEX_PUNCT_RE.sub(" ", text)


def _normalize_text(text: str) -> str:
    if text.isascii():  # NFKC, NFKD and the accent folding leave ASCII as it is
        text = text.lower()
    else:
        # fold accents too, so "Zurich" reveals "Zürich"
        text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).lower())
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = _PUNCT_RE.sub(" ", text)
    text = _ARTICLE_RE.sub(" ", text)
    return " ".join(text.split())


def salient_tokens(answer: str) -> set[str]:
    """Content tokens of an answer that would give it away: 3+ letters or any digits."""
    return {t for t in _normalize_text(_strip_latex(answer)).split()
            if t not in _STOPWORDS and (len(t) >= 3 or any(c.isdigit() for c in t))}


@dataclass(frozen=True)
class _Answer:
    """What the guard compares a text with for one answer: its value when the whole answer
    is a number; otherwise its normalised phrase, salient tokens and the values of the numbers
    written in it."""

    value: Decimal | None
    phrase: str = ""
    phrase_re: re.Pattern[str] | None = None
    salient: frozenset[str] = frozenset()
    digit_values: frozenset[Decimal] = frozenset()


def _analyse_answer(answer: str) -> _Answer | None:
    """The comparison facts of ``answer``; None for a blank answer (it reveals nothing)."""
    if not answer or not answer.strip():
        return None
    value = normalize_number(answer)
    if value is not None:
        return _Answer(value=value)
    phrase = _normalize_text(_strip_latex(answer))
    digit_values = frozenset(v for v in (_number_value(m.group())
                                         for m in _NUMBER_RE.finditer(answer)) if v is not None)
    return _Answer(value=None, phrase=phrase,
                   phrase_re=re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)") if phrase else None,
                   salient=frozenset(salient_tokens(answer)), digit_values=digit_values)


_analyse_answer_cached = functools.lru_cache(maxsize=4096)(_analyse_answer)


def _answer_facts(answer: str) -> _Answer | None:
    if len(answer) <= _CACHE_MAX_CHARS:
        return _analyse_answer_cached(answer)
    return _analyse_answer(answer)


def _words_of(text: str) -> tuple[str, frozenset[str]]:
    """``text`` normalised, and its tokens with the singulars of plural forms added
    ("Americans" reveals "American")."""
    norm_text = _normalize_text(text)
    tokens = set(norm_text.split())
    tokens |= {t[:-1] for t in tokens if len(t) > 4 and t.endswith("s")}
    tokens |= {t[:-2] for t in tokens if len(t) > 5 and t.endswith("es")}
    return norm_text, frozenset(tokens)


_words_of_cached = functools.lru_cache(maxsize=4096)(_words_of)


def _text_words(text: str) -> tuple[str, frozenset[str]]:
    if len(text) <= _CACHE_MAX_CHARS:
        return _words_of_cached(text)
    return _words_of(text)


def leaks_answer(text: str, answers: Iterable[str]) -> bool:
    """True when ``text`` reveals any of ``answers`` (numerically or textually)."""
    text_numbers: frozenset[Decimal] | None = None
    for answer in answers:
        facts = _answer_facts(answer)
        if facts is None:
            continue
        if facts.value is not None:
            if text_numbers is None:
                text_numbers = _numbers(text)
            if facts.value in text_numbers or abs(facts.value) in text_numbers:
                return True
            continue
        norm_text, text_tokens = _text_words(text)
        if (facts.phrase_re is not None and facts.phrase in norm_text
                and facts.phrase_re.search(norm_text)):
            return True
        if facts.salient & text_tokens:
            return True
        # numbers inside a text answer ("5 hours") leak by value too
        if facts.digit_values:
            if text_numbers is None:
                text_numbers = _numbers(text)
            if facts.digit_values & text_numbers:
                return True
    return False
