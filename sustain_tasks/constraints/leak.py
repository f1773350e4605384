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
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
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
_COMPOSABLE = frozenset([*_UNITS, *_TENS, "hundred", "thousand"])
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


def numbers_in(text: str) -> set[Decimal]:
    """Values of every number written in digits or as a simple number word in ``text``."""
    found: set[Decimal] = set()
    for match in _NUMBER_RE.finditer(text):
        value = normalize_number(match.group())
        if value is not None:
            found.add(value)
            found.add(abs(value))
    group: list[str] = []
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _NUMBER_WORDS:
            found.add(Decimal(_NUMBER_WORDS[word]))
        if word in _COMPOSABLE or (word == "and" and group):
            group.append(word)
            continue
        _add_compound(group, found)
        group = []
    _add_compound(group, found)
    return found


def names_a_number(text: str) -> bool:
    """Whether :func:`numbers_in` finds a number in ``text`` (decided at once for a word of
    ASCII letters: it names a number only when it is a number word)."""
    if text.isascii() and text.isalpha():
        return text.lower() in _NUMBER_WORDS
    return bool(numbers_in(text))


def _add_compound(group: list[str], found: set[Decimal]) -> None:
    """Add the value of a run of number words ("twenty-five", "three hundred and six")."""
    while group and group[-1] == "and":
        group = group[:-1]
    if len(group) < 2:
        return
    total = current = 0
    for word in group:
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
    return re.sub(r"[{}$]", " ", text)


def _normalize_text(text: str) -> str:
    # fold accents too, so "Zurich" reveals "Zürich"
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^\w\s]", " ", text)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def salient_tokens(answer: str) -> set[str]:
    """Content tokens of an answer that would give it away: 3+ letters or any digits."""
    return {t for t in _normalize_text(_strip_latex(answer)).split()
            if t not in _STOPWORDS and (len(t) >= 3 or any(c.isdigit() for c in t))}


def leaks_answer(text: str, answers: Iterable[str]) -> bool:
    """True when ``text`` reveals any of ``answers`` (numerically or textually)."""
    text_numbers: set[Decimal] | None = None
    norm_text = _normalize_text(text)
    text_tokens = set(norm_text.split())
    # plural forms reveal the singular ("Americans" reveals "American")
    text_tokens |= {t[:-1] for t in text_tokens if len(t) > 4 and t.endswith("s")}
    text_tokens |= {t[:-2] for t in text_tokens if len(t) > 5 and t.endswith("es")}
    for answer in answers:
        if not answer or not answer.strip():
            continue
        value = normalize_number(answer)
        if value is not None:
            if text_numbers is None:
                text_numbers = numbers_in(text)
            if value in text_numbers or abs(value) in text_numbers:
                return True
            continue
        norm_answer = _normalize_text(_strip_latex(answer))
        if norm_answer and re.search(rf"(?<!\w){re.escape(norm_answer)}(?!\w)", norm_text):
            return True
        if salient_tokens(answer) & text_tokens:
            return True
        # numbers inside a text answer ("5 hours") leak by value too
        digit_values = {v for v in (normalize_number(m.group())
                                    for m in _NUMBER_RE.finditer(answer)) if v is not None}
        if digit_values:
            if text_numbers is None:
                text_numbers = numbers_in(text)
            if digit_values & text_numbers:
                return True
    return False
