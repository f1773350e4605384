"""Text measurements shared by every constraint kind, so that all kinds count alike.

Every function here is pure, total on any string and linear in its length.

Words
    Runs of letters (with their combining marks) and digits of any script, so Cyrillic, Greek,
    Arabic, Hebrew, Devanagari or Vietnamese words are whole words (``3.5``, ``1,200`` and
    ``farmer's`` are one word each). Scripts written without spaces between words are counted
    by a fixed rule: each Han ideograph is one word (as word processors count Chinese and
    Japanese), each run of kana is one word, and each run of Thai, Lao, Khmer or Myanmar
    letters counts one word per three letters (their average word length; combining marks
    ride on their letter). LaTeX command names are not words:
    ``\\boxed{\\frac{\\sqrt{21}}{5}}`` has the two words "21" and "5"; an escape ``\\n``,
    ``\\t`` or ``\\r`` followed by a word (``\\nWaves`` in JSON-quoted text) is not a command
    name, unless the whole name is a known command (``\\nabla``, ``\\times``, ``\\right``).

Sentences (:func:`sentences`) are counted as a reader counts sentences of prose:

- display math (``$$...$$``, ``\\[...\\]``, ``\\begin{align*}...\\end{align*}`` and the other
  math environments), fenced code blocks and ``[asy]`` drawings are not prose, and neither is a
  line of bare math: a line without two letters in a row (a Greek letter beside a Latin one
  is a math symbol, not two letters) or a letter of a script written without spaces, outside
  inline math and LaTeX command names (``16 - 3 - 4 = 9``, ``#### 18``, ``$x^2 = 4$``,
  ``\u0394x = 5``), or a line that is only a ``\\boxed{...}``. Such lines hold no sentence
  and do not end one;
- the final answer line is not a sentence either: the last line of prose when it starts with
  "Answer", "Final answer" or "The answer is" (after markdown marks such as ``**`` or ``#``);
- a sentence ends at ``.``, ``!`` or ``?`` followed by a space, at a full-width ``。``,
  ``！``, ``？`` or ``．`` (a space after it or not), at the Devanagari danda
  ``।``, the Arabic ``؟`` and the Urdu ``۔`` followed by a space, at the end of a
  line and at a blank line, except: after an abbreviation (a short list such as "e.g.", "Dr.",
  "approx.", dotted letters such as "U.S." or "a.m.", a capital initial such as "J.");
  before a word that starts with a lower-case letter, which continues the sentence (so
  hard-wrapped lines and "approx. three" stay one sentence) unless the whole text is written
  in lower case; and before an operator such as ``=`` (``5! = 120``);
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
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar, cast

import regex

__all__ = [
    "STOPWORDS",
    "WORD_RE",
    "count_lines",
    "count_paragraphs",
    "count_sentences",
    "count_words",
    "ends_with_answer_line",
    "fold_case",
    "has_word",
    "last_line",
    "lines",
    "longest_sentence_words",
    "normalize_phrase",
    "paragraphs",
    "per_text",
    "phrase_regex",
    "pieces",
    "sentences",
    "shared_analysis",
    "strip_latex_commands",
    "whole_word_test",
    "word_regex",
    "words",
    "written_without_spaces",
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


_UNSPACED_SCRIPTS = (r"\p{Han}\p{Hiragana}\p{Katakana}\u30FC\uFF70\u3099-\u309C"
                     r"\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}")
"""Scripts written without spaces between words (with the kana prolonged-sound and voicing
marks, which Unicode files under no script of their own)."""
_KANA = r"[\p{Hiragana}\p{Katakana}\u30FC\uFF70\u3099-\u309C]"
_SYLLABIC = r"[[\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]&&[\p{L}\p{N}]]"
_SPACED = rf"[[\p{{L}}\p{{M}}\p{{N}}]--[{_UNSPACED_SCRIPTS}]]"
"""A letter, combining mark or digit of a script written with spaces between words."""
_SYLLABIC_LETTERS_PER_WORD = 3
_UNSPACED_WORD = (rf"\p{{Han}}|{_KANA}+"
                  rf"|(?:{_SYLLABIC}\p{{M}}*){{1,{_SYLLABIC_LETTERS_PER_WORD}}}")
"""One word of a script without spaces: an ideograph, a run of kana, or up to three letters
(with their marks) of a run of Thai, Lao, Khmer or Myanmar."""



@functools.lru_cache(maxsize=8)
def word_regex(joiners: str) -> regex.Pattern[str]:
    """A pattern of words as :data:`WORD_RE` reads them, with only the characters of
    ``joiners`` allowed inside a word (``"'-"``: "farmer's" and "x-ray" are words, "3.5" two)."""
    inner = f"(?:[{regex.escape(joiners)}]{_SPACED}+)*" if joiners else ""
    return regex.compile(rf"{_UNSPACED_WORD}|{_SPACED}+{inner}", regex.V1)


WORD_RE: regex.Pattern[str] = word_regex("'\u2019.,-")
"""A word: letters/digits of any script, with inner apostrophes, hyphens, dots or commas
(3.5, 1,200), or one word of a script written without spaces (see the module docstring)."""

_ASCII_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:['.,-][A-Za-z0-9]+)*")
"""What :data:`WORD_RE` matches in ASCII text (the same words, found faster)."""
_SPACED_RUN_RE: regex.Pattern[str] = regex.compile(rf"{_SPACED}+", regex.V1)
"""A run of letters, marks and digits of scripts written with spaces: the unit of
:func:`has_word`."""
_ASCII_RUN_RE = re.compile(r"[A-Za-z0-9]+")
_UNSPACED_RE: regex.Pattern[str] = regex.compile(rf"[{_UNSPACED_SCRIPTS}]", regex.V1)
_NON_PHRASE_RE: regex.Pattern[str] = regex.compile(r"[^\p{L}\p{M}\p{N}]+")
_ASCII_NON_PHRASE_RE = re.compile(r"[^A-Za-z0-9]+")

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


_ESCAPE_LIKE_COMMANDS = frozenset({
    # LaTeX commands whose name starts like the escapes \n, \t and \r: any other name that does
    # is read as the escape followed by prose ("\nWaves" in JSON-quoted text)
    "nabla", "natural", "ncong", "ne", "nearrow", "neg", "negmedspace", "negthickspace",
    "negthinspace", "neq", "newcommand", "newenvironment", "newline", "newpage", "newtheorem",
    "nexists", "ngeq", "ngeqq", "ngeqslant", "ngtr", "ni", "nleftarrow", "nLeftarrow",
    "nleftrightarrow", "nLeftrightarrow", "nleq", "nleqq", "nleqslant", "nless", "nmid", "nobreak",
    "noindent", "nolimits", "nonumber", "normalsize", "not", "notag", "notin", "nparallel",
    "nprec", "npreceq", "nrightarrow", "nRightarrow", "nshortmid", "nshortparallel", "nsim",
    "nsubseteq", "nsubseteqq", "nsucc", "nsucceq", "nsupseteq", "nsupseteqq", "ntriangleleft",
    "ntrianglelefteq", "ntriangleright", "ntrianglerighteq", "nu", "null", "numberwithin",
    "nvdash", "nvDash", "nVdash", "nVDash", "nwarrow", "tableofcontents", "tag", "tan", "tanh",
    "tau", "tbinom", "text", "textasciitilde", "textbackslash", "textbf", "textcolor",
    "textdegree", "textellipsis", "textemdash", "textendash", "textheight", "textit", "textmd",
    "textnormal", "textperiodcentered", "textquotedbl", "textrm", "textsc", "textsf", "textsl",
    "textstyle", "textsubscript", "textsuperscript", "texttimes", "texttt", "textup", "textwidth",
    "tfrac", "therefore", "theta", "thickapprox", "thicksim", "thickspace", "thinspace",
    "thispagestyle", "tilde", "times", "tiny", "title", "to", "today", "top", "triangle",
    "triangledown", "triangleleft", "trianglelefteq", "triangleq", "triangleright",
    "trianglerighteq", "tt", "twoheadleftarrow", "twoheadrightarrow", "raggedleft", "raggedright",
    "raisebox", "rangle", "rbrace", "rbrack", "rceil", "ref", "refstepcounter", "renewcommand",
    "rfloor", "rgroup", "rho", "right", "rightarrow", "rightharpoondown", "rightharpoonup",
    "rightleftarrows", "rightleftharpoons", "rightrightarrows", "rightsquigarrow",
    "rightthreetimes", "risingdotseq", "rlap", "rm", "rmoust", "romannumeral", "root", "rtimes",
    "rule", "rvert", "rVert", "relax", "textcircled", "textcopyright", "textregistered",
    "texttrademark", "textsterling", "texteuro", "textdollar", "textpm", "textmu", "textonehalf",
    "textquoteleft", "textquoteright", "textbullet", "tikz", "tabularnewline", "thanks",
    "theoremstyle", "textfrac",
})


def _trie_pattern(names: Iterable[str]) -> str:
    """A regular expression matching exactly ``names`` (letters only), as a trie: at each
    position one branch per next letter, so a match is tried letter by letter, not name by
    name."""
    branches: dict[str, list[str]] = {}
    ends = False
    for name in names:
        if name:
            branches.setdefault(name[0], []).append(name[1:])
        else:
            ends = True
    if not branches:
        return ""
    body = "|".join(first + _trie_pattern(rest) for first, rest in sorted(branches.items()))
    return f"(?:{body}){'?' if ends else ''}"


_LATEX_COMMAND_RE = re.compile(
    r"\\(?:" + _trie_pattern(_ESCAPE_LIKE_COMMANDS) + r"(?![A-Za-z])\*?|[ntr]|[A-Za-z]+\*?)")
"""A LaTeX command name (``\\frac``, ``\\nabla``, ``\\times``), or a bare escape ``\\n``,
``\\t`` or ``\\r`` (only the two characters, so the word after it stays)."""


@per_text
def strip_latex_commands(text: str) -> str:
    """``text`` with LaTeX command names (``\\frac``, ``\\left``, ``\\boxed``) replaced by a
    space, so that they are not read as English words ("left", "boxed").

    The escapes ``\\n``, ``\\t`` and ``\\r`` of JSON-quoted text are replaced by a space too,
    but the word after them stays: ``\\nWaves`` reads " Waves" (a known command such as
    ``\\nabla``, ``\\text`` or ``\\right`` is a command)."""
    return _without_commands(text)


def _without_commands(text: str) -> str:
    return _LATEX_COMMAND_RE.sub(" ", text) if "\\" in text else text


def written_without_spaces(text: str) -> bool:
    """Whether ``text`` has a character of a script written without spaces between words
    (Han, kana, Thai, Lao, Khmer, Myanmar), whose words are counted by a fixed rule."""
    return _UNSPACED_RE.search(text) is not None


def _word_re(text: str) -> re.Pattern[str] | regex.Pattern[str]:
    """The pattern that finds :data:`WORD_RE`'s words in ``text`` fastest."""
    return _ASCII_WORD_RE if text.isascii() else WORD_RE


def words(text: str) -> list[str]:
    """The words of ``text`` in order (numbers count as words, LaTeX command names do not)."""
    stripped = strip_latex_commands(text)
    return _word_re(stripped).findall(stripped)


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
    stripped = _without_commands(text)  # not memoised: also applied to sentences
    if len(stripped) <= _CHUNK:
        return len(_word_re(stripped).findall(stripped))
    return sum(len(_word_re(piece).findall(piece)) for piece in pieces(stripped))


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
_ASCII_PROSE_RE = re.compile(r"[A-Za-z]{2}")
_PROSE_RE: regex.Pattern[str] = regex.compile(
    rf"(?:[\p{{L}}--\p{{Greek}}--[{_UNSPACED_SCRIPTS}]]\p{{M}}*){{2}}|(?:\p{{Greek}}\p{{M}}*){{2}}"
    rf"|[\p{{L}}&&[{_UNSPACED_SCRIPTS}]]", regex.V1)
"""A sign of prose: two letters in a row (a Greek letter next to a Latin one is a math symbol:
"\u0394x"), or one letter of a script written without spaces (an ideograph is a word)."""
_UPPER_RE: regex.Pattern[str] = regex.compile(r"[\p{Lu}\p{Lt}]")
_END_MARKS = ".!?\u3002\uff01\uff1f\uff0e\uff61\u0964\u0965\u061f\u06d4"
"""Marks that end a sentence: Latin, full-width (CJK), Devanagari dandas, Arabic and Urdu."""
_FULL_WIDTH_END_RE = re.compile(
    r"[\u3002\uff01\uff1f\uff0e\uff61]+[\u300d\u300f\uff09\u3011\u300b\u3009\"'\u201d\u2019]*"
    r"(?=[^\s\d])")
"""A full-width end mark (with closing brackets) glued to the next sentence, as CJK text
writes it: a space is put after it (not before a digit: "\uff13\uff0e\uff15")."""
_BOXED_ONLY_RE = re.compile(r"[\s$*.\\\[\]()]*\\boxed\{.*\}[\s$*.\\\[\]()]*")
_ANSWER_LINE_RE = re.compile(
    r"[\s#*_>]*(?:the\s+)?(?:final\s+)?answer\W*?(?:is\b|[:\uff1a]|$)", re.IGNORECASE)
_OPERATOR_START = frozenset("=+-/^<>,;:)]}%")
"""A token starting with one of these continues the sentence before it (``5! = 120``)."""
_LINE_CONTINUATION = frozenset("=/^<,;:)]}%")
"""A line starting with one of these continues the sentence before it (not ``-``, ``+`` and
``>``, which start list items and quotes)."""
_OPENERS = "\"'([{*_\u201c\u2018\u300c\u300e\uff08\u3010\u300a\u3008"
_CLOSERS = "\"')]}*_$\u201d\u2019\u300d\u300f\uff09\u3011\u300b\u3009"
_ABBREVIATIONS = frozenset({
    "e.g.", "i.e.", "etc.", "vs.", "v.", "cf.", "ca.", "approx.", "Approx.", "esp.", "incl.",
    "al.", "km.", "ft.", "lb.", "lbs.", "oz.", "hr.", "hrs.", "min.", "sec.",
    "Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", "St.", "Mt.", "Jr.", "Sr.", "No.", "Nos.", "Ph.D.",
    "Gen.", "Gov.", "Sen.", "Rep.", "Rev.", "Capt.", "Col.", "Lt.", "Sgt.", "Fig.", "Eq.",
    "Vol.", "vol.", "pp.", "Inc.", "Ltd.", "Co.", "Corp.", "Bros.", "Jan.", "Feb.", "Aug.",
    "Sep.", "Sept.", "Oct.", "Nov.", "Dec.",
})
# item labels ("(a)", "iv.", "Step 2.") are Latin letters and Roman numerals in every language
_NEXT_LABEL_RE = re.compile(r"\(?(?:[a-z]|[ivx]{1,4})[.)]")
_DOTTED_RE: regex.Pattern[str] = regex.compile(r"(?:\p{L}\.){2,}|[\p{Lu}\p{Lt}]\.")
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


def _has_capital(text: str) -> bool:
    """Whether ``text`` has an upper-case (or title-case) letter of any script."""
    if text.isascii():
        return not text.islower() and any(map(str.isupper, text))
    return _UPPER_RE.search(text) is not None


def _has_prose(text: str) -> bool:
    """Whether ``text`` has a sign of prose (see :data:`_PROSE_RE`)."""
    pattern = _ASCII_PROSE_RE if text.isascii() else _PROSE_RE
    return pattern.search(text) is not None


def _is_prose(line: str) -> bool:
    if _BOXED_ONLY_RE.fullmatch(line.replace(_MATH, " ")):
        return False
    return _has_prose(_prose_part(line))


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
            if not line.isascii():
                line = _FULL_WIDTH_END_RE.sub(r"\g<0> ", line)
            runs[-1].append(" ".join(line.replace(_MATH, " \u2026").split()))
            mixed = mixed or _has_capital(_prose_part(line))
    if not runs[-1]:
        runs.pop()
    if runs and _ANSWER_LINE_RE.match(runs[-1][-1]):  # the last line of prose
        runs[-1].pop()
        if not runs[-1]:
            runs.pop()
        last_is_prose = False
    return runs, mixed, not last_is_prose


_MAY_END_SENTENCE = frozenset(_END_MARKS + _CLOSERS)


def _breaks_after(token: str, following: str, mixed: bool) -> bool:
    """Whether a sentence ends after ``token`` when ``following`` comes next on its line."""
    core = token.rstrip(_CLOSERS)
    if not core or core[-1] not in _END_MARKS:
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
    if _has_prose(_prose_part(sentence)):
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
    """Whether ``word`` occurs in ``text`` as a whole word, ignoring case (Unicode case folding).

    A whole word is not preceded or followed by a letter, combining mark or digit of a script
    written with spaces, so "farmer" occurs in "the farmer's market" and in "\u6211\u7528farmer"
    but "art" does not occur in "start". A word of a script written without spaces between
    words (Chinese, Japanese, Thai, ...) occurs wherever its characters do, since nothing marks
    where words begin and end there.

    Linear in ``text``, and no pattern is compiled per word: inside :func:`shared_analysis` a
    word of letters and digits is looked up in the set of the text's runs of letters and digits
    (collected once for every word looked for in the same text); outside it, its occurrences
    are found with ``str.find`` and their neighbours checked.
    """
    if not word:
        return False
    key = fold_case(word)
    if _UNSPACED_RE.search(key) is not None:
        return key in _folded(text)
    is_run = _SPACED_RUN_RE.fullmatch(key) is not None
    if _ANALYSIS.get() is not None and is_run:
        return key in _folded_runs(text)
    found = _occurs_between_boundaries(_folded(text), key)
    if found is None:  # too many occurrences inside longer words: read the runs once
        return key in _runs_in(_folded(text)) if is_run else _boundaries_regex(key).search(
            _folded(text)) is not None
    return found


def fold_case(text: str) -> str:
    """``text`` for caseless comparison: composed (NFC, so a decomposed "café" equals the
    composed one), case-folded, and with the dotted capital I of Turkish folded to a plain "i"
    ("İstanbul" matches "istanbul")."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFC", text).casefold().replace("i\u0307", "i")


@per_text
def _folded(text: str) -> str:
    return fold_case(text)


@per_text
def _folded_runs(text: str) -> frozenset[str]:
    return _runs_in(_folded(text))


def _runs_in(folded: str) -> frozenset[str]:
    """The runs of letters, marks and digits of ``folded``, scripts written without spaces left
    out (:func:`has_word` searches their words as substrings)."""
    pattern = _ASCII_RUN_RE if folded.isascii() else _SPACED_RUN_RE
    return frozenset(pattern.findall(folded))


def _continues_word(char: str) -> bool:
    """Whether ``char`` (one character or "") is a letter, mark or digit of a script written
    with spaces, so that a word next to it is not a whole word."""
    if not char:
        return False
    if char.isascii():
        return char.isalnum()
    return _SPACED_RUN_RE.match(char) is not None


_MAX_NEIGHBOUR_CHECKS = 64
"""Occurrences of a word whose neighbours :func:`has_word` checks one by one before it reads
the whole text at once instead ("a" in "aaaa...")."""


def _occurs_between_boundaries(folded: str, key: str) -> bool | None:
    """Whether ``key`` occurs in ``folded`` neither preceded nor followed by a letter, mark or
    digit of a script written with spaces (see :func:`_continues_word`); None when more than
    :data:`_MAX_NEIGHBOUR_CHECKS` occurrences had to be looked at."""
    start = folded.find(key)
    for _ in range(_MAX_NEIGHBOUR_CHECKS):
        if start < 0:
            return False
        end = start + len(key)
        if not _continues_word(folded[start - 1:start] if start else "") \
                and not _continues_word(folded[end:end + 1]):
            return True
        start = folded.find(key, start + 1)
    return None if start >= 0 else False


@functools.lru_cache(maxsize=256)
def _boundaries_regex(key: str) -> regex.Pattern[str]:
    """A pattern for ``key`` between word boundaries, for the rare word with inner punctuation
    that occurs very often inside longer words (compiled once per such word)."""
    return regex.compile(rf"(?<!{_SPACED}){regex.escape(key)}(?!{_SPACED})", regex.V1)


@functools.lru_cache(maxsize=256)
def phrase_regex(phrase: str) -> regex.Pattern[str]:
    """A pattern for ``phrase`` as whole words, to search in :func:`fold_case` text: its words
    case-folded, any whitespace between them, and the word boundaries of :func:`has_word` at
    both ends (so a one-word phrase matches exactly where :func:`has_word` finds the word)."""
    body = r"\s+".join(regex.escape(fold_case(part)) for part in phrase.split())
    return regex.compile(rf"(?<!{_SPACED}){body}(?!{_SPACED})", regex.V1)


def whole_word_test(texts: Iterable[str]) -> Callable[[str], bool]:
    """``test(word)``, equal to ``any(has_word(text, word) for text in texts)``, for testing many
    words against a few short texts (the task's required fragments).

    The texts' runs of letters and digits are folded and collected once; a word made of letters
    and digits is then one set lookup. Other words go through :func:`has_word`.
    """
    texts = tuple(texts)
    runs = _runs_of(texts)

    def test(word: str) -> bool:
        key = fold_case(word)
        if key and _UNSPACED_RE.search(key) is None and _SPACED_RUN_RE.fullmatch(key):
            return key in runs
        return any(has_word(text, word) for text in texts)

    return test


@functools.lru_cache(maxsize=64)
def _runs_of(texts: tuple[str, ...]) -> frozenset[str]:
    """The case-folded runs of letters and digits of ``texts`` (see :func:`has_word`)."""
    return frozenset(run for text in texts for run in _runs_in(fold_case(text)))


def normalize_phrase(text: str) -> str:
    """Lower-cased words of ``text`` joined by single spaces (punctuation dropped)."""
    lower = text.lower()
    pattern = _ASCII_NON_PHRASE_RE if lower.isascii() else _NON_PHRASE_RE
    return " ".join(pattern.sub(" ", lower).split())
