"""Text measurements shared by every constraint kind, so that all kinds count alike."""

from __future__ import annotations

import re

__all__ = [
    "WORD_RE",
    "count_sentences",
    "count_words",
    "lines",
    "paragraphs",
    "sentences",
    "words",
]

WORD_RE = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:['\u2019.,-][A-Za-z0-9\u00C0-\u024F]+)*")
"""A word: letters/digits, with inner apostrophes, hyphens, dots or commas (3.5, 1,200)."""

_SENTENCE_END_RE = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=\S)|\n\s*\n|\n(?=\s*(?:[-*+]|\d+[.)])\s)")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "Mr.", "Mrs.", "Dr.", "St.", "No.")


def words(text: str) -> list[str]:
    """The words of ``text`` in order (numbers count as words)."""
    return WORD_RE.findall(text)


def count_words(text: str) -> int:
    """Number of words in ``text``."""
    return len(words(text))


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
            if words(line):
                parts.append(line)
    return parts


def count_sentences(text: str) -> int:
    """Number of sentences in ``text``."""
    return len(sentences(text))


def lines(text: str) -> list[str]:
    """Non-blank lines of ``text``, stripped of trailing whitespace."""
    return [ln.rstrip() for ln in text.splitlines() if ln.strip()]


def paragraphs(text: str) -> list[str]:
    """Paragraphs: runs of non-blank lines separated by blank lines."""
    return [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
