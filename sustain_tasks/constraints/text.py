"""Text measurements shared by every constraint kind, so that all kinds count alike.

Every function here is pure, total on any string and linear in its length.

Words
    Runs of letters and digits (``3.5``, ``1,200`` and ``farmer's`` are one word each). LaTeX
    command names are not words: ``\\boxed{\\frac{\\sqrt{21}}{5}}`` has the two words "21" and
    "5".

Sentences (:func:`sentences`) are counted as a reader counts sentences of prose:

- display math (``$$...$$``, ``\\[...\\]``, ``\\begin{align*}...\\end{align*}`` and the other
  math environments), fenced code blocks and ``[asy]`` drawings are not prose, and neither is a
  line of bare math: a line with no run of two letters outside inline math and LaTeX command
  names (``16 - 3 - 4 = 9``, ``#### 18``, ``$x^2 = 4$``), or a line that is only a
  ``\\boxed{...}``. Such lines hold no sentence and do not end one;
- the final answer line is not a sentence either: the last line of prose when it starts with
  "Answer", "Final answer" or "The answer is" (after markdown marks such as ``**`` or ``#``);
- a sentence ends at ``.``, ``!`` or ``?`` followed by a space, at the end of a line and at a
  blank line, except: after an abbreviation (a short list such as "e.g.", "Dr.", "approx.",
  dotted letters such as "U.S." or "a.m.", a capital initial such as "J."); before a word that
  starts with a lower-case letter, which continues the sentence (so hard-wrapped lines and
  "approx. three" stay one sentence) unless the whole text is written in lower case; and
  before an operator such as ``=`` (``5! = 120``);
- a label such as "Step 1.", "2." or "(a)" belongs to the sentence after it.

Shared analysis
    Extraction checks many candidates against one source output, and several kinds measure the
    same thing (words, sentences, lines). Inside :func:`shared_analysis` every whole-text
    measurement marked :func:`per_text` is computed once per distinct text and then reused; the
    block's memory is dropped when it ends, so nothing is remembered between extractions.
    Outside the block the functions simply compute.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar, cast

__all__ = [
    "STOPWORDS",
    "WORD_RE",
    "count_lines",
    "count_paragraphs",
    "count_sentences",
    "count_words",
    "ends_with_answer_line",
    "has_word",
    "last_line",
    "lines",
    "longest_sentence_words",
    "normalize_phrase",
    "paragraphs",
    "per_text",
    "pieces",
    "sentences",
    "shared_analysis",
    "strip_latex_commands",
    "whole_word_test",
    "words",
]

_T = TypeVar("_T")
_Memo = dict[tuple[Callable[[str], object], str], object]
_ANALYSIS: ContextVar[_Memo | None] = ContextVar("sustain_shared_analysis", default=None)


@contextmanager
def shared_analysis() -> Iterator[None]:
    """Within the block, each :func:`per_text` measurement of a text is computed once.

    Blocks nest (an inner block shares the outer one's results). The results belong to the
    current context (thread or task), and are dropped when the outermost block ends.
    """
    if _ANALYSIS.get() is not None:
        yield
        return
    token = _ANALYSIS.set({})
    try:
        yield
    finally:
        _ANALYSIS.reset(token)


def per_text(fn: Callable[[str], _T]) -> Callable[[str], _T]:
    """Decorator: inside :func:`shared_analysis`, ``fn(text)`` is computed once per text.

    For pure functions of one string whose result is immutable (a number, a string, a tuple),
    applied to whole outputs rather than to their pieces (each distinct text is kept until the
    block ends).
    """

    @functools.wraps(fn)
    def measured(text: str) -> _T:
        memo = _ANALYSIS.get()
        if memo is None:
            return fn(text)
        key = (fn, text)
        if key in memo:
            return cast(_T, memo[key])
        value = fn(text)
        memo[key] = value
        return value

    return measured


WORD_RE = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:['\u2019.,-][A-Za-z0-9\u00C0-\u024F]+)*")
"""A word: letters/digits, with inner apostrophes, hyphens, dots or commas (3.5, 1,200)."""

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


@per_text
def strip_latex_commands(text: str) -> str:
    """``text`` with LaTeX command names (``\\frac``, ``\\left``, ``\\boxed``) replaced by a
    space, so that they are not read as English words ("left", "boxed")."""
    return _LATEX_COMMAND_RE.sub(" ", text)


def words(text: str) -> list[str]:
    """The words of ``text`` in order (numbers count as words, LaTeX command names do not)."""
    return WORD_RE.findall(strip_latex_commands(text))


_CHUNK = 1 << 16
_SPACE_RE = re.compile(r"\s")


def pieces(text: str) -> Iterator[str]:
    """``text`` in consecutive pieces of about 64 KB, each cut just before a whitespace
    character, so that no word (see :data:`WORD_RE`) is cut: a long text can then be tokenised
    at the speed of ``findall`` without holding all its tokens at once."""
    start = 0
    while len(text) - start > _CHUNK:
        space = _SPACE_RE.search(text, start + _CHUNK)
        if space is None:
            break
        yield text[start:space.start()]
        start = space.start()
    yield text[start:]


def _count_words(text: str) -> int:
    stripped = _LATEX_COMMAND_RE.sub(" ", text)
    if len(stripped) <= _CHUNK:
        return len(WORD_RE.findall(stripped))
    return sum(len(WORD_RE.findall(piece)) for piece in pieces(stripped))


@per_text
def count_words(text: str) -> int:
    """Number of words in ``text`` (see :func:`words`)."""
    return _count_words(text)


_MATH = "\ue000"
"""Stands in for a masked display-math or code block: no word, no letter, not blank."""

_MATH_ENVS = (
    "align", "alignat", "aligned", "array", "bmatrix", "Bmatrix", "cases", "displaymath",
    "eqnarray", "equation", "flalign", "gather", "gathered", "math", "matrix", "multline",
    "pmatrix", "smallmatrix", "split", "vmatrix", "Vmatrix",
)
_BLOCK_OPEN_RE = re.compile(
    r"```|~~~|\$\$|\\\[|\[asy\]|\\begin\{(" + "|".join(_MATH_ENVS) + r")(\*?)\}")
_BLOCK_CLOSE = {"```": "```", "~~~": "~~~", "$$": "$$", "\\[": "\\]", "[asy]": "[/asy]"}
_INLINE_MATH_RE = re.compile(r"\$[^$\n]*\$")
_PROSE_RE = re.compile(r"[A-Za-z\u00C0-\u024F]{2,}")
_UPPER_RE = re.compile(r"[A-Z\u00C0-\u00DE]")
_BOXED_ONLY_RE = re.compile(r"[\s$*.\\\[\]()]*\\boxed\{.*\}[\s$*.\\\[\]()]*")
_ANSWER_LINE_RE = re.compile(
    r"[\s#*_>]*(?:the\s+)?(?:final\s+)?answer\W*?(?:is\b|[:\uff1a]|$)", re.IGNORECASE)
_OPERATOR_START = frozenset("=+-/^<>,;:)]}%")
"""A token starting with one of these continues the sentence before it (``5! = 120``)."""
_LINE_CONTINUATION = frozenset("=/^<,;:)]}%")
"""A line starting with one of these continues the sentence before it (not ``-``, ``+`` and
``>``, which start list items and quotes)."""
_OPENERS = "\"'([{*_\u201c\u2018"
_CLOSERS = "\"')]}*_$\u201d\u2019"
_ABBREVIATIONS = frozenset({
    "e.g.", "i.e.", "etc.", "vs.", "v.", "cf.", "ca.", "approx.", "Approx.", "esp.", "incl.",
    "al.", "km.", "ft.", "lb.", "lbs.", "oz.", "hr.", "hrs.", "min.", "sec.",
    "Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", "St.", "Mt.", "Jr.", "Sr.", "No.", "Nos.", "Ph.D.",
    "Gen.", "Gov.", "Sen.", "Rep.", "Rev.", "Capt.", "Col.", "Lt.", "Sgt.", "Fig.", "Eq.",
    "Vol.", "vol.", "pp.", "Inc.", "Ltd.", "Co.", "Corp.", "Bros.", "Jan.", "Feb.", "Aug.",
    "Sep.", "Sept.", "Oct.", "Nov.", "Dec.",
})
_NEXT_LABEL_RE = re.compile(r"\(?(?:[a-z]|[ivx]{1,4})[.)]")
_DOTTED_RE = re.compile(r"(?:[A-Za-z]\.){2,}|[A-Z]\.")
_LABEL_RE = re.compile(
    r"[\W_]*(?:(?:step|part|case|stage)\s*)?(?:\d{1,3}|[A-Za-z]|[ivx]{1,4}|[IVX]{1,4})?[\W_]*",
    re.IGNORECASE)


def _mask_blocks(text: str) -> str:
    """``text`` with display math, math environments, code fences and ``[asy]`` blocks each
    replaced by :data:`_MATH` (and a full stop when the math ends with one). An opener without
    its closer is left as it is."""
    out: list[str] = []
    pos = 0
    unclosed: set[str] = set()  # closers known to be absent after some point: never search again
    while (m := _BLOCK_OPEN_RE.search(text, pos)) is not None:
        closer = (f"\\end{{{m.group(1)}{m.group(2)}}}" if m.group(1)
                  else _BLOCK_CLOSE[m.group()])
        end = -1 if closer in unclosed else text.find(closer, m.end())
        if end < 0:
            unclosed.add(closer)
            out.append(text[pos:m.end()])
            pos = m.end()
            continue
        out.append(text[pos:m.start()])
        out.append(_MATH)
        body_end = text[m.end():end].rstrip(" \t\n\\")[-1:]
        if m.group() not in ("```", "~~~", "[asy]") and body_end in (".", "!", "?"):
            out.append(".")  # the display ends its sentence: "... \\[x = 5.\\]Then ..."
        out.append(" ")
        pos = end + len(closer)
    out.append(text[pos:])
    return "".join(out)


def _prose_part(line: str) -> str:
    """The part of ``line`` outside inline math and LaTeX command names."""
    line = line.replace("\\(", "$").replace("\\)", "$")
    return _LATEX_COMMAND_RE.sub(" ", _INLINE_MATH_RE.sub(" ", line))


def _is_prose(line: str) -> bool:
    if _BOXED_ONLY_RE.fullmatch(line.replace(_MATH, " ")):
        return False
    return _PROSE_RE.search(_prose_part(line)) is not None


def _prose_runs(text: str) -> tuple[list[list[str]], bool, bool]:
    """Runs of prose lines (a blank line ends a run; lines of math are skipped), whether the
    text is written in mixed case, and whether it ends with a line that is not prose (a
    final answer line, a line of math or a display block)."""
    runs: list[list[str]] = [[]]
    last_is_prose = False
    mixed = False
    for raw in _mask_blocks(text).splitlines():
        line = raw.strip()
        if not line:
            if runs[-1]:
                runs.append([])
            continue
        last_is_prose = _is_prose(line)
        if last_is_prose:
            runs[-1].append(" ".join(line.replace(_MATH, " \u2026").split()))
            mixed = mixed or _UPPER_RE.search(_prose_part(line)) is not None
    if not runs[-1]:
        runs.pop()
    if runs and _ANSWER_LINE_RE.match(runs[-1][-1]):  # the last line of prose
        runs[-1].pop()
        if not runs[-1]:
            runs.pop()
        last_is_prose = False
    return runs, mixed, not last_is_prose


_MAY_END_SENTENCE = frozenset(".!?" + _CLOSERS)


def _breaks_after(token: str, following: str, mixed: bool) -> bool:
    """Whether a sentence ends after ``token`` when ``following`` comes next on its line."""
    core = token.rstrip(_CLOSERS)
    if not core or core[-1] not in ".!?":
        return False
    if core[-1] == ".":
        word = core.lstrip(_OPENERS)
        if word in _ABBREVIATIONS or _DOTTED_RE.fullmatch(word):
            return False
    if _NEXT_LABEL_RE.fullmatch(following.strip("*_")):
        return True
    nxt = following.lstrip(_OPENERS)
    if not nxt:
        return True
    if nxt[0] in _OPERATOR_START:
        return False
    return not (mixed and _starts_lowercase_word(nxt))


def _starts_lowercase_word(text: str) -> bool:
    """``text`` starts with a lower-case word: two letters, or the article "a" (not ``x=5``)."""
    return text[:1].islower() and (text[1:2].isalpha() or text[:2] == "a ")


@per_text
def _sentence_analysis(text: str) -> tuple[tuple[str, ...], bool]:
    """The sentences of prose in ``text`` and whether it ends with a line that is not prose."""
    runs, mixed, ends_without_prose = _prose_runs(text)
    found: list[str] = []
    for run in runs:
        pending: list[str] = []  # tokens of the sentence being read
        for i, line in enumerate(run):
            if i and pending and not (line[0] in _LINE_CONTINUATION
                                      or (mixed and _starts_lowercase_word(line))):
                _close_sentence(pending, found)
            tokens = line.split()
            start = 0  # tokens[:start] are in ``pending`` (or closed)
            # a sentence can end only after a token whose last character is an end mark or a
            # closer (see _breaks_after): the others are not looked at one by one
            for j in [j for j, t in enumerate(tokens) if t[-1] in _MAY_END_SENTENCE]:
                if j + 1 < len(tokens) and _breaks_after(tokens[j], tokens[j + 1], mixed):
                    pending.extend(tokens[start:j + 1])
                    start = j + 1
                    _close_sentence(pending, found)
            pending.extend(tokens[start:])
        if pending:
            _close_sentence(pending, found, last=True)
    return tuple(found), ends_without_prose


def sentences(text: str) -> list[str]:
    """The sentences of prose in ``text``, each as its words joined by single spaces.

    See the module docstring for what is and is not a sentence.
    """
    return list(_sentence_analysis(text)[0])


def _close_sentence(pending: list[str], found: list[str], *, last: bool = False) -> None:
    """Move ``pending`` to ``found`` if it is a sentence; keep a label to lead the next one;
    drop a fragment without prose (bare math)."""
    sentence = " ".join(pending)
    if not last and _is_label(sentence):
        return
    pending.clear()
    if _PROSE_RE.search(_prose_part(sentence)):
        found.append(sentence)


def _is_label(fragment: str) -> bool:
    """"Step 1.", "2)", "**(a)**", "Step 3:": a label that leads the sentence after it."""
    if not _LABEL_RE.fullmatch(fragment):
        return False
    return any(c.isdigit() for c in fragment) or fragment.rstrip("*_ ")[-1:] in (".", ")", ":")


def count_sentences(text: str) -> int:
    """Number of sentences of prose in ``text`` (see :func:`sentences`)."""
    return len(_sentence_analysis(text)[0])


@per_text
def longest_sentence_words(text: str) -> int:
    """The number of words (see :func:`words`) of the longest sentence of ``text``; 0 when it
    has no sentence."""
    return max((_count_words(s) for s in _sentence_analysis(text)[0]), default=0)


def ends_with_answer_line(text: str) -> bool:
    """Whether the last non-blank line of ``text`` is not prose: a final answer line
    ("Answer: ...", "#### 18", a lone ``\\boxed{...}``), a line of math or a display block."""
    if not text or text.isspace():
        return False
    return _sentence_analysis(text)[1]


def lines(text: str) -> list[str]:
    """Non-blank lines of ``text``, stripped of trailing whitespace."""
    return [ln.rstrip() for ln in text.splitlines() if ln.strip()]


@per_text
def count_lines(text: str) -> int:
    """Number of non-blank lines in ``text``."""
    return sum(1 for ln in text.splitlines() if ln and not ln.isspace())


@per_text
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


@per_text
def count_paragraphs(text: str) -> int:
    """Number of paragraphs in ``text`` (see :func:`paragraphs`)."""
    count = 0
    in_paragraph = False
    for ln in text.splitlines():
        blank = not ln or ln.isspace()
        count += not blank and not in_paragraph
        in_paragraph = not blank
    return count


def has_word(text: str, word: str) -> bool:
    """Whether ``word`` occurs in ``text`` as a whole word, ignoring case.

    A whole word is not preceded or followed by a letter or digit, so "farmer" occurs in
    "the farmer's market" but "art" does not occur in "start".
    """
    if not word:
        return False
    pattern = rf"(?<![{_WORD_CHARS}]){re.escape(word)}(?![{_WORD_CHARS}])"
    return re.search(pattern, text, re.IGNORECASE) is not None


_WORD_CHAR_RUN_RE = re.compile(rf"[{_WORD_CHARS}]+", re.IGNORECASE)
"""A run of what :func:`has_word` reads as letters and digits (its look-arounds ignore case
too, so the Kelvin sign, for one, counts as a letter)."""


def whole_word_test(texts: Iterable[str]) -> Callable[[str], bool]:
    """``test(word)``, equal to ``any(has_word(text, word) for text in texts)``, for testing many
    words against a few short texts (the task's required fragments).

    A word made of letters and digits occurs as a whole word only as a whole run of letters and
    digits (and every character that equals one of them ignoring case is one too), so the runs
    of ``texts`` are compiled once, ignoring case as :func:`has_word` does, and a word is
    matched against the runs of its length; no pattern is compiled per word. Other words go
    through :func:`has_word`.
    """
    texts = tuple(texts)
    by_length = _run_patterns(texts)

    def test(word: str) -> bool:
        if _WORD_CHAR_RUN_RE.fullmatch(word) is None:
            return any(has_word(text, word) for text in texts)
        return any(run.fullmatch(word) is not None for run in by_length.get(len(word), ()))

    return test


@functools.lru_cache(maxsize=64)
def _run_patterns(texts: tuple[str, ...]) -> Mapping[int, tuple[re.Pattern[str], ...]]:
    """The runs of letters and digits of ``texts``, compiled ignoring case, by length."""
    runs = sorted({run for text in texts for run in _WORD_CHAR_RUN_RE.findall(text)})
    by_length: dict[int, list[re.Pattern[str]]] = {}
    for run in runs:
        by_length.setdefault(len(run), []).append(re.compile(re.escape(run), re.IGNORECASE))
    return {length: tuple(patterns) for length, patterns in by_length.items()}


def normalize_phrase(text: str) -> str:
    """Lower-cased words of ``text`` joined by single spaces (punctuation dropped)."""
    return " ".join(_NON_PHRASE_RE.sub(" ", text.lower()).split())
