"""Text measurements shared by every constraint kind, so that all kinds count alike.

Every function here is pure, total on any string and linear in its length.
"""

from __future__ import annotations

import re

__all__ = [
    "STOPWORDS",
    "WORD_RE",
    "count_lines",
    "count_paragraphs",
    "count_sentences",
    "count_words",
    "has_word",
    "last_line",
    "lines",
    "normalize_phrase",
    "paragraphs",
    "sentences",
    "strip_latex_commands",
    "words",
]

WORD_RE = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:['\u2019.,-][A-Za-z0-9\u00C0-\u024F]+)*")
"""A word: letters/digits, with inner apostrophes, hyphens, dots or commas (3.5, 1,200)."""

_SENTENCE_END_RE = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=\S)|\n\s*\n|\n(?=\s*(?:[-*+]|\d+[.)])\s)")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "Mr.", "Mrs.", "Dr.", "St.", "No.")
_WORD_CHARS = "A-Za-z0-9\u00C0-\u024F"
_NON_PHRASE_RE = re.compile(r"[\W_]+")

STOPWORDS: frozenset[str] = frozenset({
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any",
    "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both",
    "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "else",
    "even", "every", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her",
    "here", "hers", "herself", "him", "himself", "his", "how", "however", "i", "if", "in", "into",
    "is", "it", "its", "itself", "just", "let", "like", "may", "me", "might", "more", "most",
    "much", "must", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only",
    "or", "other", "our", "ours", "ourselves", "out", "over", "own", "per", "same", "shall", "she",
    "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves",
    "then", "there", "these", "they", "this", "those", "through", "thus", "to", "too", "under",
    "until", "up", "upon", "us", "very", "was", "we", "were", "what", "when", "where", "which",
    "while", "who", "whom", "whose", "why", "will", "with", "within", "without", "would", "yet",
    "you", "your", "yours", "yourself", "yourselves",
})
"""Function words: never proposed as words to include, never counted as salient."""


_LATEX_COMMAND_RE = re.compile(r"\\[A-Za-z]+\*?")


def strip_latex_commands(text: str) -> str:
    """``text`` with LaTeX command names (``\\frac``, ``\\left``, ``\\boxed``) replaced by a
    space, so that they are not read as English words ("left", "boxed")."""
    return _LATEX_COMMAND_RE.sub(" ", text)


def words(text: str) -> list[str]:
    """The words of ``text`` in order (numbers count as words)."""
    return WORD_RE.findall(text)


def count_words(text: str) -> int:
    """Number of words in ``text``."""
    return sum(1 for _ in WORD_RE.finditer(text))


def sentences(text: str) -> list[str]:
    """Sentences of ``text``: split after ``.!?`` followed by space, at blank lines and before
    list items. Lines without end punctuation count as one sentence each."""
    protected = text
    for abbr in _ABBREVIATIONS:
        protected = protected.replace(abbr, abbr.replace(".", "\x00"))
    parts: list[str] = []
    for block in _SENTENCE_END_RE.split(protected):
        for line in block.split("\n"):
            line = line.strip().replace("\x00", ".")
            if WORD_RE.search(line):
                parts.append(line)
    return parts


def count_sentences(text: str) -> int:
    """Number of sentences in ``text``."""
    return len(sentences(text))


def lines(text: str) -> list[str]:
    """Non-blank lines of ``text``, stripped of trailing whitespace."""
    return [ln.rstrip() for ln in text.splitlines() if ln.strip()]


def count_lines(text: str) -> int:
    """Number of non-blank lines in ``text``."""
    return sum(1 for ln in text.splitlines() if ln.strip())


def last_line(text: str) -> str:
    """The last non-blank line of ``text``, stripped (empty when there is none)."""
    for ln in reversed(text.splitlines()):
        if ln.strip():
            return ln.strip()
    return ""


def paragraphs(text: str) -> list[str]:
    """Paragraphs: runs of non-blank lines separated by blank lines."""
    found: list[str] = []
    current: list[str] = []
    for ln in text.splitlines():
        if ln.strip():
            current.append(ln)
        elif current:
            found.append("\n".join(current).strip())
            current = []
    if current:
        found.append("\n".join(current).strip())
    return found


def count_paragraphs(text: str) -> int:
    """Number of paragraphs in ``text``."""
    return len(paragraphs(text))


def has_word(text: str, word: str) -> bool:
    """Whether ``word`` occurs in ``text`` as a whole word, ignoring case.

    A whole word is not preceded or followed by a letter or digit, so "farmer" occurs in
    "the farmer's market" but "art" does not occur in "start".
    """
    if not word:
        return False
    pattern = rf"(?<![{_WORD_CHARS}]){re.escape(word)}(?![{_WORD_CHARS}])"
    return re.search(pattern, text, re.IGNORECASE) is not None


def normalize_phrase(text: str) -> str:
    """Lower-cased words of ``text`` joined by single spaces (punctuation dropped)."""
    return " ".join(_NON_PHRASE_RE.sub(" ", text.lower()).split())
