r"""``lexical`` kinds: which words and characters an output uses.

Words are matched as whole words, ignoring case (see :func:`~.text.has_word`), after LaTeX
command names are blanked out (:func:`~.text.strip_latex_commands`), so that ``\left``,
``\because`` or ``\boxed`` never count as the English words "left", "because" or "boxed". Words
proposed for inclusion come from the source output itself; words proposed for avoidance come from
:data:`AVOIDABLE_WORDS`, a fixed vocabulary of words a solution might plausibly use. Which word is
proposed is drawn with ``ctx.rng(kind)``, so it depends only on the seed, the item and the kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import ClassVar, Self

import regex

from sustain_tasks.constraints.base import Category, Constraint, Prohibition, SourceContext
from sustain_tasks.constraints.leak import names_a_number
from sustain_tasks.constraints.loose import strip_emphasis
from sustain_tasks.constraints.registry import register
from sustain_tasks.constraints.text import (
    STOPWORDS,
    WORD_RE,
    has_word,
    per_text,
    pieces,
    strip_latex_commands,
    whole_word_test,
    word_regex,
    written_without_spaces,
)

__all__ = [
    "AVOIDABLE_WORDS",
    "MAX_DISTINCT_WORDS",
    "AllLowercase",
    "AvoidWord",
    "IncludeWord",
    "NoCommas",
    "NoFirstPerson",
    "StartsWith",
    "first_person_words",
    "without_math",
]

AVOIDABLE_WORDS: tuple[str, ...] = tuple(sorted({
    "actually", "additionally", "also", "altogether", "amount", "basically", "because",
    "calculate", "clearly", "combined", "consequently", "each", "find", "finally", "first",
    "given", "hence", "however", "just", "know", "left", "means", "need", "next", "note",
    "now", "overall", "remaining", "result", "since", "simply", "step", "therefore", "thus",
    "total", "whole",
}))
"""Words an avoid-word constraint may name: common in solutions, never needed for an answer."""

MAX_DISTINCT_WORDS = 50_000
"""How many distinct words ``lexical:include_word`` considers, in order of first use: on a huge
output, words first used after this many are not proposed (the tokens are still read once, so
the work stays linear and the memory bounded). Real outputs stay far below it."""

_WORD_MIN_LEN = 4
_INCLUDE_CANDIDATES = 12
# letters of any script, each with its combining marks (Devanagari vowel signs, decomposed accents)
_LETTERS_RE: regex.Pattern[str] = regex.compile(r"(?:\p{L}\p{M}*)+")
_TOKEN_RE: regex.Pattern[str] = regex.compile(r"(?:\p{L}\p{M}*)+(?:'(?:\p{L}\p{M}*)+)*")
_ASCII_TOKEN_RE = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
"""What :data:`_TOKEN_RE` matches in ASCII text, found faster."""
_Match = re.Match[str] | regex.Match[str]
_LATIN_LETTER_RE: regex.Pattern[str] = regex.compile(r"\p{Latin}")
_NON_LATIN_LETTER_RE: regex.Pattern[str] = regex.compile(r"[\p{L}--\p{Latin}]", regex.V1)
_MATH_OPEN_RE = re.compile(r"\$\$|\\\(|\\\[|\$(?=[^\s$])")
_MATH_CLOSE = {"$$": "$$", "\\(": "\\)", "\\[": "\\]"}
_FIRST_PERSON = frozenset({
    "me", "my", "myself", "we", "us", "our", "ours", "ourselves", "let's", "i'm", "i've",
    "i'll", "i'd", "we're", "we've", "we'll", "we'd",
})
# capitalised words that open a sentence before a pronoun "I" ("Then I add", "So I")
_OPENERS = STOPWORDS | frozenset({
    "actually", "again", "also", "alternatively", "anyway", "finally", "first", "firstly",
    "hence", "here", "hmm", "initially", "instead", "last", "lastly", "next", "now", "oh",
    "okay", "ok", "otherwise", "second", "secondly", "sure", "then", "therefore", "third",
    "thus", "today", "wait", "well", "yes",
})
# words that never follow the pronoun "I" but follow a label "I" ("the incenter I is ...")
_NOT_AFTER_PRONOUN_I = frozenset({
    "is", "has", "does", "lies", "equals", "of", "on", "in", "at", "from", "to",
})
_SENTENCE_END = ".!?:;\n"
_OPENING_MARKS = " \t*_\"'`([>#\u2022\u201c\u2018-"


def _word(value: str, name: str) -> None:
    if not isinstance(value, str) or _LETTERS_RE.fullmatch(value) is None:
        raise ValueError(f"{name} must be a single word of letters, got {value!r}")


@per_text
def without_math(text: str) -> str:
    """``text`` with math spans (``$$...$$``, ``$...$``, ``\\(...\\)``, ``\\[...\\]``) replaced
    by a space.

    An inline ``$...$`` span follows the usual Markdown rule: no space right after the opening
    dollar or right before the closing one, and no digit right after the closing one, so the
    prices in "$5 and $3" are not read as a span.
    """
    kept: list[str] = []
    done = 0  # text[:done] is handled
    start = 0  # where to look for the next opening marker
    unclosed: set[str] = set()  # markers with no closing one after the last look
    while (opening := _MATH_OPEN_RE.search(text, start)) is not None:
        marker = opening.group()
        end = -1
        if marker in unclosed:
            pass
        elif marker in _MATH_CLOSE:
            close = _MATH_CLOSE[marker]
            found = text.find(close, opening.end() + 1)
            if found < 0:
                unclosed.add(marker)
            else:
                end = found + len(close)
        else:
            end = _inline_math_end(text, opening.end())
        if end < 0:
            start = opening.end()
            continue
        kept.append(text[done:opening.start()])
        kept.append(" ")
        done = start = end
    kept.append(text[done:])
    return "".join(kept)


def _inline_math_end(text: str, begin: int) -> int:
    """The end of an inline ``$...$`` span whose content starts at ``begin``, or -1."""
    stop = len(text)
    for ch in ("$", "\n"):
        found = text.find(ch, begin, stop)
        if found >= 0:
            stop = found
    if stop == len(text) or text[stop] != "$" or text[stop - 1] in " \t\\":
        return -1
    if stop + 1 < len(text) and text[stop + 1].isdigit():
        return -1
    return stop + 1


def _sentence_initial(text: str, start: int) -> bool:
    """Whether ``text[start:]`` begins a sentence: only opening marks between it and the start
    of ``text`` or the end of a sentence (read backwards in place, without copying)."""
    i = start
    while i > 0 and text[i - 1] in _OPENING_MARKS:
        i -= 1
    return i == 0 or text[i - 1] in _SENTENCE_END


def _title_case(word: str) -> bool:
    return word[:1].isupper() and word[1:] == word[1:].lower()


def first_person_words(text: str) -> Iterator[str]:
    """First-person pronouns in ``text``: I (and I'm, I've...), me, my, we, us, our, let's, ...

    A heuristic that tells pronouns from names, titles and symbols:

    - math spans (see :func:`without_math`) and LaTeX command names are ignored;
    - "I" counts only as a capital letter, and not when it follows a capitalised word that is not
      an ordinary sentence opener ("World War I", "Elizabeth I", "Type I error", but "Then I"
      counts), when a hyphen, digit or "=" follows ("I-15", "I 95", "I = 6"), when the next
      word is one that never follows the pronoun ("The incenter I is ...", "I of the
      triangle"), when a sentence ends with it after a content word ("the incenter I."), or
      when a capitalised word follows (a title: "I Am Legend");
    - the other words (me, my, we, us, our, let's, ...) count only in lower case, or with a
      capital first letter at the start of a sentence and not followed by a capitalised word
      ("My Chemical Romance", "Let's Dance"); so "US", "Portland, ME" and "the film Us" do not
      count;
    - "mine" is not counted (it is more often a noun).
    """
    plain = _plain_text(text)
    tokens: Iterator[_Match] = (_ASCII_TOKEN_RE if plain.isascii() else _TOKEN_RE).finditer(plain)
    previous: _Match | None = None
    current = next(tokens, None)
    while current is not None:  # a window of three tokens, read once
        following = next(tokens, None)
        word = current.group()
        if word == "I" or word.startswith("I'"):
            if _is_pronoun_i(plain, previous, current, _next_word(plain, current, following)):
                yield word
        else:
            lower = word.lower()
            # lower case, or capitalised as the first word of a sentence that is not a title
            if (lower in _FIRST_PERSON or lower.startswith("i'")) and (
                    word == lower
                    or (_title_case(word)
                        and not _next_word(plain, current, following)[:1].isupper()
                        and _sentence_initial(plain, current.start()))):
                yield word
        previous, current = current, following


@per_text
def _plain_text(text: str) -> str:
    """``text`` as :func:`first_person_words` reads it: without math and LaTeX command names,
    curly apostrophes straightened."""
    return strip_latex_commands(without_math(text)).replace("\u2019", "'")


def _next_word(plain: str, current: _Match, following: _Match | None) -> str:
    """The token after ``current`` when only whitespace separates them, else ""."""
    if following is None:
        return ""
    gap = plain[current.end():following.start()]
    return following.group() if not gap or gap.isspace() else ""


def _is_pronoun_i(plain: str, previous: _Match | None, match: _Match,
                  next_word: str) -> bool:
    after = plain[match.end():match.end() + 2]
    if after[:1] == "-" or after.lstrip(" ")[:1].isdigit() or after.lstrip(" ")[:1] == "=":
        return False
    if match.group() == "I" and (next_word.lower() in _NOT_AFTER_PRONOUN_I
                                 or next_word[:1].isupper()):
        return False
    if previous is None:
        return True
    prev_word = previous.group()
    if plain[previous.end():match.start()].strip(" \t"):
        return True
    if prev_word[:1].isupper():
        # "Then I" opens a sentence; "War I" or "Elizabeth I" names something
        return _sentence_initial(plain, previous.start()) and prev_word.lower() in _OPENERS
    # a sentence that ends with "I" after a content word ends with a label ("the incenter I.")
    return match.group() != "I" or bool(next_word) or prev_word.lower() in _OPENERS


@register
@dataclass(frozen=True)
class IncludeWord(Constraint):
    """The output uses ``word`` as a whole word (any case), outside LaTeX command names.

    Candidates are content words of the source (LaTeX command names such as ``\\frac`` or
    ``\\boxed`` excluded), never words of the task's own answer format (``ctx.required``, e.g.
    "Answer" on HotpotQA), since asking for those asks for nothing. The source is read once;
    at most :data:`MAX_DISTINCT_WORDS` distinct words are considered.
    """

    kind: ClassVar[str] = "lexical:include_word"
    category: ClassVar[Category] = "lexical"
    word: str

    def __post_init__(self) -> None:
        _word(self.word, "word")

    def describe(self) -> str:
        return f'Use the word "{self.word}" somewhere in your response.'

    def check(self, output: str) -> bool:
        return has_word(strip_latex_commands(output), self.word)

    def demands(self) -> tuple[str, ...]:
        return (self.word,)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        in_required = whole_word_test(ctx.required)
        forms: dict[str, str] = {}  # usable words, lower-case form -> form proposed
        refused: set[str] = set()  # lower-case forms that may not be proposed
        for token in _first_occurrences(WORD_RE, strip_latex_commands(source)):
            # reading a token again would change nothing
            if (len(token) < _WORD_MIN_LEN or _LETTERS_RE.fullmatch(token) is None
                    or written_without_spaces(token)):
                continue  # a number, or a piece of a script without spaces (not a real word)
            lower = token.lower()
            if lower in forms:
                # the lower-case form when the source ever writes it so, else as first
                # written (a name)
                if token == lower:
                    forms[lower] = token
                continue
            if lower in refused or len(forms) + len(refused) >= MAX_DISTINCT_WORDS:
                continue
            # every test below depends on the lower-case form only: decided once per word
            if lower in STOPWORDS or names_a_number(lower) or in_required(lower):
                refused.add(lower)
            else:
                forms[lower] = token
        pool = sorted(forms)
        ctx.rng(cls.kind).shuffle(pool)
        for lower in pool[:_INCLUDE_CANDIDATES]:
            yield cls(forms[lower])

    @classmethod
    def example(cls) -> Self:
        return cls("market")


def _first_occurrences(pattern: regex.Pattern[str], text: str) -> Iterator[str]:
    """The matches of ``pattern`` (which never spans whitespace) in ``text`` in order, without
    the repeats within each piece of :func:`~.text.pieces` (a token may come again in a later
    piece): for readers that a repeated token leaves unchanged."""
    for piece in pieces(text):
        yield from dict.fromkeys(pattern.findall(piece))


def _avoidable_words_used(source: str) -> frozenset[str]:
    """The words of :data:`AVOIDABLE_WORDS` that ``source`` uses (any case), as
    :meth:`AvoidWord.check` reads them (inside extraction's shared analysis the source's words
    are read once for all of them)."""
    plain = strip_latex_commands(source)
    return frozenset(word for word in AVOIDABLE_WORDS if has_word(plain, word))


@register
@dataclass(frozen=True)
class AvoidWord(Constraint):
    """The output never uses ``word`` as a whole word (any case), outside LaTeX command names.

    Command names such as ``\\left`` or ``\\therefore`` do not count as uses of "left" or
    "therefore".
    """

    kind: ClassVar[str] = "lexical:avoid_word"
    category: ClassVar[Category] = "lexical"
    word: str

    def __post_init__(self) -> None:
        _word(self.word, "word")

    def describe(self) -> str:
        return f'Do not use the word "{self.word}" anywhere in your response.'

    def check(self, output: str) -> bool:
        return not has_word(strip_latex_commands(output), self.word)

    def permits(self, fragment: str) -> bool:
        return self.check(fragment)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        used = _avoidable_words_used(source)
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
    r"""The output begins with the words of ``prefix``.

    Words (of any script, counted as in :mod:`~.text`) are compared ignoring case and the
    punctuation between them, with curly apostrophes read as straight ones ("first, let’s look"
    matches "First, let's look"). Leading whitespace, markdown markers (``#``, ``*``, ``_``,
    ``>``, ``-``, bullets, backticks) and opening quotes before the first word are skipped;
    nothing else is (a "Solution:" label is a word that does not match). A prefix that opens
    with other symbols (``<<Resignation Notice>>``, ``(Verse 1)``, ``[Your Name]``) asks for
    them: the output must open with the same symbols (after markdown markers), then the words.
    Candidates are the source's first two to four words (emphasis markers removed), and only
    plain words: a prefix with digits, math or symbols (``$ \ ( ) = / :``), a script written
    without spaces, or Latin words beside another script's letters ("Let θ be") is never
    proposed, so that the prefix neither gives away a first computation ("15000/3 = 5,000") nor
    asks for markup.
    """

    kind: ClassVar[str] = "lexical:starts_with"
    category: ClassVar[Category] = "lexical"
    prefix: str

    def __post_init__(self) -> None:
        if not isinstance(self.prefix, str) or not _prefix_words(self.prefix):
            raise ValueError("prefix must contain at least one word")
        if '"' in self.prefix or "\n" in self.prefix:
            raise ValueError("prefix may not contain a double quote or a line break")

    def describe(self) -> str:
        return (f'Begin your response with the words "{self.prefix}" '
                "(capitalization and punctuation between the words may differ).")

    def check(self, output: str) -> bool:
        expected = _prefix_words(self.prefix)
        head = output.replace("\u2019", "'").lstrip(_LEADING_MARKUP)
        lead = _symbol_lead(self.prefix)
        if lead:
            # a prefix that opens with symbols ("<<Title>>", "(Verse 1)") asks for them
            if not head.startswith(lead):
                return False
            head = head[len(lead):].lstrip(" \t")
        if _PREFIX_WORD_RE.match(head) is None:
            return False
        got: list[str] = []
        for match in _PREFIX_WORD_RE.finditer(head):
            got.append(match.group().lower())
            if len(got) == len(expected):
                break
        return got == expected

    def demands(self) -> tuple[str, ...]:
        return (self.prefix,)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        plain = strip_emphasis(source.replace("\u2019", "'"))
        line = plain.lstrip(_LEADING_MARKUP).split("\n", 1)[0]
        ends = [m.end() for m in islice(_PREFIX_WORD_RE.finditer(line), 4)]
        for n in (3, 2, 4):
            if len(ends) >= n:
                # the quoted prefix is the source's own text up to its n-th word
                prefix = line[: ends[n - 1]].strip()
                if _plain_prefix(prefix):
                    yield cls(prefix)

    @classmethod
    def example(cls) -> Self:
        return cls("First, we need")


_LEADING_MARKUP = " \t\r\n#*_>\"'`-\u2022\u201c\u201d\u2018"
_PREFIX_WORD_RE = word_regex("'-")
_PLAIN_WORD = r"(?:\p{L}\p{M}*)+(?:['-](?:\p{L}\p{M}*)+)*"
_PLAIN_PREFIX_RE: regex.Pattern[str] = regex.compile(rf"{_PLAIN_WORD}(?:,? {_PLAIN_WORD})*")


def _prefix_words(prefix: str) -> list[str]:
    return [w.lower() for w in _PREFIX_WORD_RE.findall(prefix.replace("\u2019", "'"))]


def _symbol_lead(prefix: str) -> str:
    """The symbols ``prefix`` opens with before its first word ("<<", "(", "["), without
    whitespace and the markdown markers :class:`StartsWith` skips anyway ("" for "First",
    "**First" or "- First")."""
    prefix = prefix.replace("\u2019", "'")
    first = _PREFIX_WORD_RE.search(prefix)
    return prefix[:first.start() if first else 0].lstrip(_LEADING_MARKUP).rstrip()


def _plain_prefix(prefix: str) -> bool:
    """Words of letters of one script, written with spaces: Latin ("First, we need") or
    another ("Сначала найдём"), never a Latin word beside a Greek math letter ("Let θ be")."""
    return (_PLAIN_PREFIX_RE.fullmatch(prefix) is not None
            and not written_without_spaces(prefix)
            and not (_LATIN_LETTER_RE.search(prefix) and _NON_LATIN_LETTER_RE.search(prefix)))


@register
@dataclass(frozen=True)
class NoCommas(Prohibition):
    """The output contains no comma."""

    kind: ClassVar[str] = "lexical:no_commas"
    category: ClassVar[Category] = "lexical"

    def describe(self) -> str:
        return "Do not use any commas anywhere in your response."

    def check(self, output: str) -> bool:
        return "," not in output


@register
@dataclass(frozen=True)
class AllLowercase(Prohibition):
    """The output has no uppercase letter outside math, LaTeX command names and unit symbols.

    Ignored: math spans (see :func:`without_math`), LaTeX command names (``\\Delta``,
    ``\\mathbb``) and a unit symbol right after a number ("5 N", "20 °C", "3 kW", "2 GB").
    """

    kind: ClassVar[str] = "lexical:all_lowercase"
    category: ClassVar[Category] = "lexical"

    def describe(self) -> str:
        # no example values here: the leak guard would read "5 N" as the answer 5
        return ("Write your whole response in lowercase letters, without capital letters except "
                "in math ($...$, \\(...\\), \\[...\\]), in LaTeX command names and in unit "
                "symbols right after a number.")

    def check(self, output: str) -> bool:
        text = _UNIT_RE.sub(" ", strip_latex_commands(without_math(output)))
        return not any(map(str.isupper, text))


_UNIT_RE = re.compile(
    r"(?<=\d)[ \t]?(?:°[CF]|[kMGT]?(?:Hz|Pa|W|J|N|V|B|Wh)|mA|mV|kV|mL|L|K|A)(?![^\W\d_])"
)


@register
@dataclass(frozen=True)
class NoFirstPerson(Prohibition):
    """The output uses no first-person pronoun (see :func:`first_person_words`).

    That function documents how pronouns are told from names, titles and symbols.
    """

    kind: ClassVar[str] = "lexical:no_first_person"
    category: ClassVar[Category] = "lexical"

    def describe(self) -> str:
        return ('Do not refer to yourself: do not use first-person pronouns such as "I", "me", '
                '"we", "us", "my", "our" or "let\'s".')

    def check(self, output: str) -> bool:
        return next(first_person_words(output), None) is None
