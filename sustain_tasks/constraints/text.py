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
    "ends_with_answer_line",
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
    """The words of ``text`` in order (numbers count as words, LaTeX command names do not)."""
    return WORD_RE.findall(strip_latex_commands(text))


def count_words(text: str) -> int:
    """Number of words in ``text`` (see :func:`words`)."""
    return sum(1 for _ in WORD_RE.finditer(strip_latex_commands(text)))


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
    return strip_latex_commands(_INLINE_MATH_RE.sub(" ", line))


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


def sentences(text: str) -> list[str]:
    """The sentences of prose in ``text``, each as its words joined by single spaces.

    See the module docstring for what is and is not a sentence.
    """
    runs, mixed, _ = _prose_runs(text)
    found: list[str] = []
    for run in runs:
        pending: list[str] = []  # tokens of the sentence being read
        for i, line in enumerate(run):
            if i and pending and not (line[0] in _LINE_CONTINUATION
                                      or (mixed and _starts_lowercase_word(line))):
                _close_sentence(pending, found)
            tokens = line.split()
            for j, token in enumerate(tokens):
                pending.append(token)
                if j + 1 < len(tokens) and _breaks_after(token, tokens[j + 1], mixed):
                    _close_sentence(pending, found)
        if pending:
            _close_sentence(pending, found, last=True)
    return found


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
    return len(sentences(text))


def ends_with_answer_line(text: str) -> bool:
    """Whether the last non-blank line of ``text`` is not prose: a final answer line
    ("Answer: ...", "#### 18", a lone ``\\boxed{...}``), a line of math or a display block."""
    if not text.strip():
        return False
    return _prose_runs(text)[2]


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
