"""Reading a final answer written as a sentence: which of its numbers answers the question.

Models often state the answer in prose ("Answer: Kylar needs to pay $64 for 16 glasses."),
where the last number is not the answer. :func:`read_statement` picks the answer among a
sentence's numbers with the rules below, in this order. Each rule is applied only when it keeps
at least one candidate and sets at least one aside, and the reading stops as soon as one value
is left. When several different values are left the reading is *ambiguous* and gives no answer:
a sentence that restates several quantities without saying which one answers the question is
not credited.

Not numbers (never candidates): times and dates, read as single tokens ("from 1:00 PM to 5:00
PM", "on March 3, 2021", "12/25/2020"), unless the question asks "what time" (then a time on
the hour is a candidate: "start by 2:00 pm" reads 2); ordinals ("the 3rd day").

1. *Results, not operands*: a number followed by an operator or ``=``, or preceded by an
   operator, is an operand of a calculation ("16 - 3 - 4 = 9 eggs" reads 9); so is a
   multiplier ("four times as many").
2. *A rounded result*: the number after "rounds to" ("0.3333, which rounds to 33%" reads 33).
3. *No other unit than the one asked for*: a number carrying another kind of unit (money,
   a percentage, a time) or naming another thing the question counts is set aside. The
   question asks for money ("how much money / how many dollars / how much does it cost"), a
   percentage ("what percent"), a duration ("how long"), a speed ("how fast"), cents, a place,
   a time of day, or the noun of "how many <noun>" / "how much <noun>" ("Kylar needs to pay $64
   for 16 glasses." reads 64 for "How much does he need to pay?"; "Claire will eat 7 dozens of
   eggs in 4 weeks." reads 7 for "How many dozens of eggs...?").
4. *The main clause*: numbers in an elaboration (a parenthesis, an aside opened by ", which" or
   "i.e.", or a clause opened by "based on", ", leaving", ", covering", ", with", "because",
   "vs.", "compared to") give way to those of the main clause ("The guests took 26 pieces of
   pie, leaving 14 of the 40 pieces." reads 26).
5. *The final result*: the result of the last calculation, when nothing new follows it ("Pay:
   180 × $1.50 = $270.00, plus the $10.00 bonus = $280.00" reads 280).
6. *The unit asked for*: numbers that carry it are preferred to bare ones.
7. *Not restated from the question*: a number that also appears in the question (in digits or
   words) is set aside ("In 4 weeks the total is 84." reads 84 when the question says "4
   weeks").
8. *Echoes the question*: the number whose clause repeats at least two of the question's own
   words, more than any other ("... so each child receives nine eggs" reads 9 for "how many
   eggs does each child receive?").
9. *Stated as the result*: a number right after "is / are / was / will be / = / equals / total
   / costs / pays / earns / spends / saves / owes / comes to / amounts to", or followed by "in
   total / altogether / in all" ("He walks 3 miles a day, a total of 21 miles." reads 21).

Numbers offered as alternatives ("30 or 31 pens") are never chosen.

Numbers written in words are candidates too ("two hundred ninety-four dollars" reads 294, "a
dozen" 12, "two dozen eggs" 2 dozen); "one" only in a sentence without digits ("each one
costs $5" reads 5), and a negative reads as such ("-10 degrees", "10 degrees below zero").

:func:`find_statement` locates the statement in a whole output (see its docstring).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from itertools import pairwise
from typing import Literal

__all__ = [
    "AskedUnit",
    "Quantity",
    "QuestionFacts",
    "Reading",
    "Statement",
    "find_statement",
    "mask_non_numbers",
    "parse_number_words",
    "quantities",
    "read_statement",
]

AskedUnit = str | None
"""``"$"`` (money), ``"%"``, a singular noun ("glass"), or None when the question names none."""

StatementKind = Literal["answer_statement", "conclusion", "last_sentence"]

MIN_ECHO = 2
"""Question words a number's clause must repeat before the echo rule prefers it."""

MAX_STATEMENT_CHARS = 2_000
"""A statement is read from at most this many characters."""

# -- masking: times, dates and ordinals are tokens, not numbers -----------------------------
_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|"
           "December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec")
_MERIDIEM = r"(?:[aApP]\.\s?[mM]\.?|[aApP][mM]\b)"
_NON_NUMBER_RE = re.compile(
    "|".join((
        rf"\b\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:\s?{_MERIDIEM})?",  # 1:00 PM, 13:45, 7:30:15
        rf"\b\d{{1,2}}\s?{_MERIDIEM}",  # 5 PM, 7am, 5 p.m.
        rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b",  # March 3, 2021
        rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\b(?:,?\s+\d{{4}}\b)?",  # 3 March
        r"\b\d{4}-\d{2}-\d{2}\b",  # 2021-03-05
        r"\b\d{1,2}/\d{1,2}/\d{2,4}\b",  # 12/25/2020
        r"(?<=\b(?:on|by) )\d{1,2}/\d{1,2}\b",  # on 12/25
        r"\b\d+(?:st|nd|rd|th)\b",  # 3rd
    )),
)
_MASK = "\u2592"
"""Masked characters become this symbol, so offsets into the original text stay valid."""


def mask_non_numbers(text: str) -> str:
    """``text`` with times, dates and ordinals blotted out (same length), so no number is read
    from them."""
    return _NON_NUMBER_RE.sub(lambda m: _MASK * len(m.group()), text)


# -- number words ------------------------------------------------------------------------------
_UNITS = {w: i for i, w in enumerate(
    [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
        "nineteen"
    ])}
_TENS = {w: 10 * (i + 2) for i, w in enumerate(
    ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"])}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_NUMBER_WORD = "|".join([*_UNITS, *_TENS, *_SCALES, "dozen", "and", "a", "an", "half"])
_NUMBER_WORDS_RE = re.compile(
    rf"\b(?:{_NUMBER_WORD})(?:(?:[\s-]+)(?:{_NUMBER_WORD}))*\b", re.IGNORECASE)


def parse_number_words(text: str) -> int | None:
    """The value of a number written in English words ("two hundred ninety-four", "a dozen",
    "half a dozen", "three thousand and five"), or None if ``text`` is not one number."""
    words = [t for t in re.split(r"[\s-]+", text.lower().strip()) if t]
    if not words:
        return None
    if words[:3] in (["half", "a", "dozen"], ["half", "an", "dozen"]) and len(words) == 3:
        return 6
    if words[0] in ("a", "an") and len(words) > 1 and words[1] in (*_SCALES, "dozen"):
        words[0] = "one"
    total, group, seen = 0, 0, False
    previous = ""
    for word in words:
        if word in _UNITS:
            if previous in _UNITS or (previous in _TENS and _UNITS[word] >= 10):
                return None  # "five three", "twenty twelve"
            if previous in _TENS and _UNITS[word] == 0:
                return None
            group += _UNITS[word]
        elif word in _TENS:
            if previous in _UNITS or previous in _TENS:
                return None
            group += _TENS[word]
        elif word == "dozen":
            group = (group or 1) * 12
        elif word == "hundred":
            if group >= 100:
                return None
            group = (group or 1) * 100
        elif word in _SCALES:
            total += (group or 1) * _SCALES[word]
            group = 0
        elif word == "and":
            if not seen:
                return None
            continue
        else:
            return None
        seen = True
        previous = word
    if not seen or previous == "and":
        return None
    return total + group


# -- quantities in a sentence -------------------------------------------------------------------
_DIGITS_RE = re.compile(
    r"(?<![\w.,\u2592])(?:(?<=\$)\d{1,3}(?:[ \u00a0\u2009\u202f]\d{3})+(?![\d ,]\d)"
    r"|\d{1,3}(?:,\d{3})+(?![\d,]\d)|\d+|(?=\.\d))(?:\.\d+)?"
    r"(?:/(?:\d{1,3}(?:,\d{3})+(?![\d,]\d)|\d+)(?![\d/]))?"
    r"(?:(?![\w\u2592])|(?=[a-zA-Z]{1,3}\b))")
_OPERATOR = (r"(?:[+\-*/×÷·\u2212\u2013]|(?<![A-Za-z])x|\\times|\\cdot|\\div|\btimes\b|\bplus\b"
             r"|\bminus\b|\bdivided\s+by\b|\bmultiplied\s+by\b)")
_OPERATOR_AFTER_RE = re.compile(
    rf"^\s*(?:[%$]|\\%|\\\$|\\text\{{[^{{}}]*\}}|\\?\)|\*\*)?\s*(?:/[A-Za-z]+\s*)?"
    rf"(?:[A-Za-z]+(?:/[A-Za-z]+)?\s+){{0,3}}?"
    rf"(?:{_OPERATOR}\s*(?:[\\($\d(]|\.\d)|=(?!=)|times\s+(?:as|more|less|fewer|the|larger"
    rf"|smaller|bigger|faster|slower|longer|higher|older)\b)|^\((?=\s*[\d.])")
_OPERATOR_BEFORE_RE = re.compile(rf"(?:{_OPERATOR})\s*(?:\\?\$|\\\(|\(|\*\*)?\s*$")
_MONEY_BEFORE_RE = re.compile(r"(?:\$|\\\$|USD\s?|US\$\s?|€|£)\s*$")
_MONEY_AFTER_RE = re.compile(r"^\s*(?:-?\s?dollars?\b|bucks\b|USD\b|\\text\{\s*dollars?\s*\})",
                             re.IGNORECASE)
_PERCENT_AFTER_RE = re.compile(r"^\s*(?:%|\\%|percent\b|per\s+cent\b)", re.IGNORECASE)
_BELOW_ZERO_RE = re.compile(r"^\s*(?:°\s*[CF]?\s*|[A-Za-z]+\s+){0,3}below\s+zero\b", re.IGNORECASE)
_CUE_WORDS = frozenset(
    [
        "is", "are", "was", "were", "be", "been", "equals", "equal", "totals", "total", "costs",
        "cost", "pays", "pay", "paid", "earns", "earn", "earned", "spends", "spend", "spent",
        "saves", "save", "saved", "owes", "owe", "comes", "amounts"
    ])
_ROUNDED_RE = re.compile(r"\bround(?:s|ed|ing)?\s+(?:(?:up|down|off)\s+)?to\s+(?:about\s+)?"
                         r"(?:the\s+nearest\s+\w+\s*,?\s*)?(?:\\?\$)?\s*$", re.IGNORECASE)
_RESULT_WORDS = frozenset(["making", "giving", "yielding", "leaving"])
_CUE_SYMBOLS = ("=", "\u2248", ":")
_FILLER_WORDS = frozenset(
    [
        "a", "an", "the", "of", "only", "just", "exactly", "about", "approximately", "around",
        "roughly", "nearly", "almost", "to", "now", "then", "still", "therefore", "thus", "so",
        "him", "her", "it", "them", "us", "me", "in", "with"
    ])
_CUE_AFTER_RE = re.compile(
    r"^\s*(?:[%$]|\\%)?\s*(?:[A-Za-z]+\s+){0,2}?(?:in\s+total|in\s+all|altogether|total)\b",
    re.IGNORECASE)
_WORD_RE = re.compile(r"[A-Za-z]+")
_UNIT_WORDS_RE = re.compile(
    r"^(?:\s*(?:\$|\\\)|\})+)?[\s-]*(?:\\(?:text|mathrm)\{\s*)?([A-Za-z]+(?:[ -][A-Za-z]+){0,2})")
_NEGATIVE_WORD_RE = re.compile(r"\bnegative\s+$", re.IGNORECASE)
_ELABORATION_RE = re.compile(
    r"\((?=[^()]{0,200}?[A-Za-z]{2})|\[(?=[^\[\]]{0,200}?[A-Za-z]{2})|\bi\.\s?e\.|\be\.\s?g\."
    r"|,\s*which\b(?!\s+(?:means|gives|makes|leaves|brings))|\bbased\s+on\b|,\s*leaving\b"
    r"|,\s*covering\b"
    r"|\bafter\s+spending\b|\bvs\.?(?!\w)|\bversus\b|\bcompared\s+(?:to|with)\b|,\s*out\s+of\b"
    r"|,\s*that\s+is\b|,\s*or\s+(?:about|roughly|approximately|around|nearly|almost|equivalently"
    r"|just)\b|,?\s+because\b|,\s*since\b|,\s*with\b",
    re.IGNORECASE)
_RESUME_RE = re.compile(r",\s*(?:and\s+)?(?:so|therefore|thus|hence|then)\b|;\s", re.IGNORECASE)
_ALTERNATIVE_RE = re.compile(r"\s*%?\s*(?:[A-Za-z]+\s+){0,2}?or\s+(?:\\?\$)?\s*")
_ORDINAL_RE = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")
_CLAUSE_RE = re.compile(r"[,;:=()\[\]]|\band\b|\bwhich\b|\bwhen\b|\bor\b")
_TIME_RE = re.compile(rf"\b(\d{{1,2}})(?::00)?\s?{_MERIDIEM}|\b(\d{{1,2}}):00\b")
_STOP_WORDS = frozenset(
    [
        "a", "an", "the", "of", "to", "in", "on", "at", "for", "by", "with", "and", "or", "but",
        "if", "so", "is", "are", "was", "were", "be", "been", "will", "would", "does", "do", "did",
        "has", "have", "had", "can", "could", "should", "how", "many", "much", "what", "which",
        "who", "whom", "whose", "when", "where", "why", "it", "its", "he", "she", "they", "them",
        "his", "her", "their", "him", "we", "you", "i", "this", "that", "these", "those", "each",
        "every", "per", "than", "then", "there", "as", "from", "into", "out", "up", "about", "all",
        "any", "some", "more", "less"
    ])


@dataclass(frozen=True)
class Quantity:
    """A number found in a sentence, with what surrounds it.

    Attributes:
        text: The number as written ("$1,250.00", "-3", "two hundred ninety-four").
        value: Its exact value.
        start: Offset of ``text`` in the sentence.
        unit: ``"$"``, ``"%"``, ``"clock"``, or the (up to three, lowercase, singular) words
            after it, else "".
        cue: The word or symbol that states it as a result ("is", "=", "pay"), else "".
        operand: Whether it is an operand of a calculation written around it.
        words: Whether it is written in words.
        main: Whether it comes before any elaboration in the sentence (a parenthesis, "i.e.").
        context: The words around it (lowercase), for comparing with the question.
        before: The word right before it (lowercase, singular), e.g. "year" in "year 13".
    """

    text: str
    value: Fraction
    start: int
    unit: str
    cue: str
    operand: bool
    words: bool
    main: bool = True
    context: tuple[str, ...] = ()
    before: str = ""


def _singular(word: str) -> str:
    word = word.lower()
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ches", "ch"), ("shes", "sh"),
                         ("xes", "x"), ("oes", "o")):
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            return word[: -len(suffix)] + repl
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _unit(before: str, after: str) -> str:
    latex = before.endswith("$") and after.lstrip().startswith("$")  # "$5$" is math, not money
    if (_MONEY_BEFORE_RE.search(before) and not latex) or _MONEY_AFTER_RE.match(after):
        return "$"
    if _PERCENT_AFTER_RE.match(after):
        return "%"
    words = _UNIT_WORDS_RE.match(after)
    return " ".join(_singular(w) for w in words.group(1).split()) if words else ""


def _cue(before: str, after: str) -> str:
    if _ROUNDED_RE.search(before):
        return "rounded"
    tail = before[-80:].rstrip()
    tail = re.sub(r"(?:\\?\$|\\\(|\*\*|__|\\text\{|\()\s*$", "", tail).rstrip()
    if tail.endswith(_CUE_SYMBOLS):
        return tail[-1]
    if tail.endswith(("\\approx", "\\equiv")):
        return "="
    words = _WORD_RE.findall(tail)
    for word in reversed(words[-4:]):
        low = str(word).lower()
        if low in _RESULT_WORDS:
            return "="  # ", making him 16": the result of what precedes
        if low in _CUE_WORDS:
            return low
        if low not in _FILLER_WORDS:
            break
    if _CUE_AFTER_RE.match(after):
        return "in total"
    return ""


def _quantity(sentence: str, masked: str, start: int, end: int, *, words: bool,
              value: Fraction, spans: list[tuple[int, int]]) -> Quantity:
    # markdown emphasis around a number says nothing about its role
    before = masked[max(0, start - 120):start].replace("**", "").replace("__", "")
    after = masked[end:end + 120].replace("**", "").replace("__", "")
    text = sentence[start:end]
    operand = bool(_OPERATOR_AFTER_RE.match(after))
    minus = re.search(r"[-\u2212\u2013]\s*(?:\\?\$)?\s*$", before)
    if minus and not words:
        preceding = before[:minus.start()].rstrip()
        attached = not re.search(r"[-\u2212\u2013]\s", minus.group())  # "-5", not "- 5"
        if attached and not re.search(r"[\d)]$", preceding):
            value, text = -value, "-" + text  # a sign: "is -5", "(-3)", "-$90"
        else:
            operand = True  # "16 - 3", "16-3"
    elif _NEGATIVE_WORD_RE.search(before):
        value, text = -value, "-" + text
    elif _OPERATOR_BEFORE_RE.search(before) or re.search(r"[\d)]\s*\(\s*$", before):
        operand = True  # "3 * 4", "9(2/3)"
    if value > 0 and _BELOW_ZERO_RE.match(after):
        value, text = -value, "-" + text
    words_before = [w.lower() for w in _WORD_RE.findall(before[-60:])]
    clause_before = _CLAUSE_RE.split(before[-80:])[-1]
    clause_after = _CLAUSE_RE.split(after[:60])[0]
    context = tuple([w.lower() for w in _WORD_RE.findall(clause_before)][-8:]
                    + [w.lower() for w in _WORD_RE.findall(clause_after)][:5])
    return Quantity(text=text, value=value, start=start, unit=_unit(before, after),
                    cue=_cue(before, after), operand=operand, words=words,
                    main=not _inside(start, spans), context=context,
                    before=_singular(words_before[-1]) if words_before else "")


def _elaborations(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that elaborate on what comes before: a parenthesis (to its end), an
    aside opened by ", which" / "i.e." (to the next comma), or one opened by "based on",
    "leaving", "vs.", "because" and the like (to the end, or to a new main clause: ", so",
    "; ")."""
    spans = []
    for m in _ELABORATION_RE.finditer(text):
        opener = m.group()
        if opener[0] in "([":
            close = text.find(")" if opener[0] == "(" else "]", m.end())
            end = close if close >= 0 else len(text)
        elif re.match(r",?\s*(?:which|that\s+is)\b|i\.|e\.", opener, re.IGNORECASE):
            comma = text.find(",", m.end())
            end = comma if comma >= 0 else len(text)
        else:
            resume = _RESUME_RE.search(text, m.end())
            end = resume.start() if resume else len(text)
        spans.append((m.start(), end))
    return spans


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def quantities(sentence: str, *, times: bool = False, ordinals: bool = False) -> list[Quantity]:
    """The numbers of ``sentence`` in order of appearance; with ``times``, times on the hour
    too (as their hour, unit ``"clock"``), with ``ordinals``, ordinals ("6th", unit
    ``"place"``)."""
    masked = mask_non_numbers(sentence)
    spans = _elaborations(masked)
    found: list[Quantity] = []
    for m in _DIGITS_RE.finditer(masked):
        value = _digits_value(m.group())
        if value is not None:
            found.append(_quantity(sentence, masked, m.start(), m.end(), words=False,
                                   value=value, spans=spans))
    has_digits = bool(found)
    for m in _NUMBER_WORDS_RE.finditer(masked):
        text = m.group().strip()
        # connectives and "dozen" after a number belong to the prose ("five and", "two dozen")
        text = re.sub(r"(?:[\s-]+(?:and|a|an|half|dozen))+$", "", text, flags=re.IGNORECASE)
        parsed = parse_number_words(text)
        low = text.lower()
        if parsed is None or low in ("a", "an", "and", "half"):
            continue
        preceding = masked[max(0, m.start() - 20):m.start()].lower()
        if low == "one" and (has_digits or re.search(
                r"\b(?:each|every|any|no|this|that|which)\s+$", preceding)):
            continue  # "each one", "no one": a pronoun
        if low == "zero" and re.search(r"\b(?:below|above)\s+$", preceding):
            continue  # "10 degrees below zero" is one number
        found.append(_quantity(sentence, masked, m.start(), m.start() + len(text), words=True,
                               value=Fraction(parsed), spans=spans))
    marks: list[tuple[re.Match[str], str, int]] = []
    if times:
        marks += [(m, "clock", int(m.group(1) or m.group(2))) for m in _TIME_RE.finditer(sentence)]
    if ordinals:
        marks += [(m, "place", int(m.group(1))) for m in _ORDINAL_RE.finditer(sentence)]
    for m, unit, number in marks:
        found.append(Quantity(text=m.group(), value=Fraction(number), start=m.start(), unit=unit,
                              cue=_cue(sentence[:m.start()], ""), operand=False, words=False,
                              main=not _inside(m.start(), spans)))
    return sorted(found, key=lambda q: q.start)


def _digits_value(text: str) -> Fraction | None:
    cleaned = re.sub(r"[,\s\u00a0\u2009\u202f]", "", text)
    try:
        if "/" in cleaned:
            num, _, den = cleaned.partition("/")
            return Fraction(num) / Fraction(den) if Fraction(den) else None
        return Fraction(cleaned)
    except (ValueError, ZeroDivisionError):
        return None


# -- what the question asks ---------------------------------------------------------------------
_MONEY_QUESTION_RE = re.compile(
    r"\bhow\s+much\s+(?:money|cash|profit|change|rent|tax|interest)\b|\bhow\s+many\s+dollars\b"
    r"|\bin\s+dollars\b|\bhow\s+much\s+(?!(?:time|water|food|flour|sugar|milk|paint|weight|space"
    r"|longer|faster|further|farther|older|younger|taller|heavier|more\s+time)\b)(?:\w+\s+)"
    r"{0,6}?(?:cost|costs|pay|paid|spend|spent|earn|earned|earns|charge|charged|owe|owes|save"
    r"|saved|profit|tip|worth|make|makes|made|lose|lost|raise|raised|spend)\b|\bwhat\s+(?:is|was"
    r"|will\s+be)\s+the\s+(?:total\s+)?(?:cost|price|profit|amount\s+of\s+money)\b",
    re.IGNORECASE)
_PERCENT_QUESTION_RE = re.compile(r"\bpercent(?:age)?\b|\bhow\s+many\s+percent\b",
                                  re.IGNORECASE)
_TIME_QUESTION_RE = re.compile(r"\bwhat\s+time\b|\bat\s+what\s+hour\b|\blatest\s+time\b"
                               r"|\bearliest\s+time\b", re.IGNORECASE)
_CENTS_QUESTION_RE = re.compile(r"\bhow\s+many\s+cents\b|\bin\s+cents\b", re.IGNORECASE)
_PLACE_QUESTION_RE = re.compile(r"\b(?:what|which)\s+(?:place|position|rank)\b", re.IGNORECASE)
_DURATION_QUESTION_RE = re.compile(r"\bhow\s+long\b", re.IGNORECASE)
_SPEED_QUESTION_RE = re.compile(r"\bhow\s+fast\b|\bwhat\s+(?:is\s+(?:his|her|their|the)\s+)?"
                                r"(?:average\s+)?speed\b", re.IGNORECASE)
_COUNT_QUESTION_RE = re.compile(
    r"\bhow\s+(?:many|much)\s+(?:(?:more|fewer|less|additional|extra|total|whole|full|other"
    r"|different|new|old|of\s+(?:the|her|his|their))\s+)*([A-Za-z]+(?:\s+[A-Za-z]+){0,2})",
    re.IGNORECASE)
_ASKED_UNITS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_CENTS_QUESTION_RE, "cent"), (_PLACE_QUESTION_RE, "place"), (_PERCENT_QUESTION_RE, "%"),
    (_MONEY_QUESTION_RE, "$"),
    (re.compile(r"\bhow\s+much\s+(?:more\s+)?time\b", re.IGNORECASE), "duration"),
    (_TIME_QUESTION_RE, "clock"), (_SPEED_QUESTION_RE, "speed"),
    (_DURATION_QUESTION_RE, "duration"),
)
"""What a question asks for, first match wins; else the noun of "how many <noun>"."""
_NOT_NOUNS = frozenset([
    "more", "less", "fewer", "of", "does", "do", "did", "will", "would", "is", "are", "was",
    "were", "can", "could", "should", "has", "have", "had", "in", "must", "may", "might", "shall",
    "need", "needs"
])
_DURATIONS = frozenset(["second", "minute", "hour", "day", "week", "month", "year", "decade"])


@dataclass(frozen=True)
class QuestionFacts:
    """What a question tells a reader of the answer: the numbers it already states, the unit it
    asks for, and the words of the question proper (its last sentence)."""

    numbers: frozenset[Fraction]
    unit: AskedUnit
    words: frozenset[str] = frozenset()
    times: frozenset[Fraction] = frozenset()
    """Times of day the question states, by hour ("5:00 pm" gives 5)."""
    nouns: frozenset[str] = frozenset()
    """Every word of the question (lowercase, singular) but the most common ones."""

    def restates(self, q: Quantity) -> bool:
        """Whether ``q`` repeats a number (or, for a time, a time) of the question."""
        return abs(q.value) in (self.times if q.unit == "clock" else self.numbers)

    @classmethod
    def from_question(cls, question: str | None) -> QuestionFacts | None:
        """The facts of ``question`` (None for no question)."""
        if not question or not question.strip():
            return None
        numbers = frozenset(abs(q.value) for q in quantities(question))
        times = frozenset(q.value for q in quantities(question, times=True) if q.unit == "clock")
        asked = _asked_sentence(question)
        unit = _asked_unit(asked)
        words = frozenset(_stem(w) for w in _WORD_RE.findall(asked.lower())
                          if w not in _STOP_WORDS and _singular(w) != unit)
        nouns = frozenset(_singular(w) for w in _WORD_RE.findall(question.lower())
                          if w not in _STOP_WORDS)
        return cls(numbers, unit, words, times, nouns)


def _stem(word: str) -> str:
    return _singular(word)[:5]


def _asked_sentence(question: str) -> str:
    """The question proper: the last sentence ending in "?" (else the whole text)."""
    marks = [m.start() for m in re.finditer(r"\?", question)]
    head = question[:marks[-1] + 1] if marks else question.strip()
    return re.split(r"(?<=[.!?])\s+", head)[-1]


def _asked_unit(asked: str) -> AskedUnit:
    for regex, unit in _ASKED_UNITS:
        if regex.search(asked):
            return unit
    count = _COUNT_QUESTION_RE.search(asked)
    if count:
        # the head noun of the phrase: "how many sunflower seeds are there" asks for seeds
        phrase: list[str] = []
        for word in count.group(1).lower().split():
            if word in _NOT_NOUNS or word in _STOP_WORDS:
                break
            phrase.append(word)
        if phrase:
            word = _singular(phrase[-1])
            return "$" if word == "dollar" else word
    return None


# -- reading a statement ------------------------------------------------------------------------
@dataclass(frozen=True)
class Reading:
    """What a statement answers: the chosen number (None when there is none or it is
    ambiguous), the rules that decided, and the candidates it chose among."""

    text: str | None
    rule: str
    candidates: tuple[str, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.text is None and len(self.candidates) > 1


def _has_unit(q: Quantity, unit: str) -> bool:
    if unit in ("$", "%", "clock", "place"):
        return q.unit == unit
    if unit == "cent":
        return q.unit == "$" or q.unit.startswith("cent")
    words = set(q.unit.split()) | {q.before}
    if unit == "duration":
        return bool(words & _DURATIONS)
    if any(w.endswith(unit) and len(w) > len(unit) + 2 for w in words):
        return True  # "watermelons" answers "how many melons"
    if unit == "speed":
        return bool(words & {"mph", "kph", "kmh"}) or ("per" in words and bool(words & _DURATIONS))
    return unit in words


_KINDS = ("$", "%", "clock", "place")
_UNIT_FILLERS = frozenset([
    "more", "less", "fewer", "of", "each", "per", "time", "times", "total", "in", "all", "left",
    "altogether", "extra", "additional", "other"
])


def _conflicts(q: Quantity, question: QuestionFacts) -> bool:
    """Whether ``q`` carries a unit other than the one asked for: another kind (money, a
    percentage, a time) or a thing the question counts besides what it asks for."""
    asked = question.unit
    if asked is None or _has_unit(q, asked):
        return False
    if q.unit in _KINDS or (asked in _KINDS and q.unit in ("$", "%")):
        return True
    first = q.unit.split()[0] if q.unit else ""
    if asked == "duration" and first in _DURATIONS:
        return False
    return bool(first) and first not in _UNIT_FILLERS and first in question.nouns


def _echo(q: Quantity, question: QuestionFacts) -> int:
    return len({_stem(w) for w in q.context if w not in _STOP_WORDS} & question.words)


def read_statement(statement: str, question: QuestionFacts | None = None) -> Reading:
    """The number ``statement`` gives as its answer (see the module docstring for the rules)."""
    unit = question.unit if question is not None else None
    found = quantities(statement[:MAX_STATEMENT_CHARS], times=unit == "clock",
                       ordinals=unit == "place")
    if unit == "cent":  # "$0.25" answers "how many cents" with 25
        found = [replace(q, value=q.value * 100, unit="cent", words=True)
                 if q.unit == "$" else q for q in found]
    if not found:
        return Reading(None, "no number")
    everything = tuple(q.text for q in found)
    alternatives = _alternative_starts(statement[:MAX_STATEMENT_CHARS])
    rules: list[str] = []
    pool = found

    def narrow(keep: list[bool], rule: str) -> Reading | None:
        nonlocal pool
        kept = [q for q, k in zip(pool, keep, strict=True) if k]
        if kept and len(kept) < len(pool):
            rules.append(rule)
            pool = kept
        values = {q.value for q in pool}
        if len(values) != 1:
            return None
        chosen = pool[-1]
        if chosen.start in alternatives:
            return Reading(None, "ambiguous", tuple(q.text for q in found))
        if chosen.words:
            rules.append(f"number words {chosen.text!r}")
        return Reading(_digits(chosen), "; ".join(rules) or "only number", everything)

    def final_result(q: Quantity) -> bool:
        # the last result of a calculation, with nothing new after it
        results = [r for r in pool if r.cue == "="]
        return bool(results) and q is results[-1] and not any(
            r.start > q.start and not (question is not None and question.restates(r))
            for r in pool)

    steps: list[tuple[str, Callable[[Quantity], bool]]] = [
        ("result of the calculation", lambda q: not q.operand),
        ("rounded result", lambda q: q.cue == "rounded"),
    ]
    label = {"$": "money", "%": "a percentage", "clock": "a time of day",
             "duration": "a duration", "speed": "a speed", "place": "a place",
             "cent": "cents"}.get(unit or "", unit)
    if question is not None and unit:
        steps.append((f"no other unit than the one asked for ({label})",
                      lambda q: not _conflicts(q, question)))
    steps += [("main clause", lambda q: q.main), ("final result", final_result)]
    if question is not None and unit:
        steps.append((f"unit asked for ({label})", lambda q: _has_unit(q, unit)))
    if question is not None:
        steps.append(("not restated from the question", lambda q: not question.restates(q)))
    for rule, keep in steps:
        if (done := narrow([keep(q) for q in pool], rule)) is not None:
            return done
    if question is not None and question.words:
        echoes = [_echo(q, question) for q in pool]
        best = max(echoes)
        if best >= MIN_ECHO and echoes.count(best) == 1 and (
                done := narrow([e == best for e in echoes], "echoes the question")) is not None:
            return done
    if (done := narrow([bool(q.cue) for q in pool], "stated as the result")) is not None:
        return done
    return Reading(None, "ambiguous", tuple(q.text for q in pool))


def _alternative_starts(sentence: str) -> set[int]:
    """Offsets of numbers offered as alternatives ("30 or 31 pens", "$90 or $120")."""
    masked = mask_non_numbers(sentence)
    numbers = list(_DIGITS_RE.finditer(masked))
    starts: set[int] = set()
    for first, second in pairwise(numbers):
        between = masked[first.end():second.start()]
        if _ALTERNATIVE_RE.fullmatch(between) and first.group() != second.group():
            starts |= {first.start(), second.start()}
    return starts


def _digits(q: Quantity) -> str:
    """A number as written, or in digits when it is written in words or is a time."""
    if not q.words and q.unit not in ("clock", "place"):
        return q.text
    value = q.value
    return str(value.numerator) if value.denominator == 1 else str(float(value))


# -- finding the statement in an output ---------------------------------------------------------
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])(?:\*\*|__)?[\"')\]]*\s+|\n+")
_ABBREVIATION_RE = re.compile(r"(?:\b(?:vs|i\.e|e\.g|approx|ca|Mr|Mrs|Ms|Dr|St|No|Nos)\.)$",
                              re.IGNORECASE)
_CHECK_RE = re.compile(
    r"^\W*(?:check|checking|verification|verify|verifying|double[- ]check|sanity\s+check"
    r"|to\s+(?:check|verify|confirm)|let(?:'|’)?s\s+(?:check|verify|double[- ]check|confirm)"
    r"|let\s+me\s+(?:check|verify|double[- ]check|confirm)|we\s+can\s+(?:check|verify)|note"
    r"|proof|here(?:'|’)?s\s+why|here\s+is\s+why|here(?:'|’)?s\s+how|explanation|reasoning"
    r"|why)\b", re.IGNORECASE)
_CONCLUSION_RE = re.compile(
    r"^\W*(?:therefore|thus|so|hence|in\s+total|altogether|in\s+conclusion|overall|in\s+all"
    r"|this\s+means|that\s+means|in\s+summary|consequently|finally)\b", re.IGNORECASE)
_MARKER_RE = re.compile(
    r"\b(?:final\s+answer|answer)(?:\s*\([^()\n]{0,40}\))?(?:\s*(?:\*\*|__))?\s*(?:is\b\s*:?|:)",
    re.IGNORECASE)


@dataclass(frozen=True)
class Statement:
    """The sentence of an output that states its final answer, and how it was found."""

    text: str
    kind: StatementKind


def _sentences(text: str) -> list[str]:
    masked = mask_non_numbers(text)  # "5 p.m. to 6" stays one sentence
    out, start = [], 0
    for m in _SENTENCE_END_RE.finditer(masked):
        if _ABBREVIATION_RE.search(masked, max(0, m.start() - 8), m.start()):
            continue  # "vs. $480", "i.e. 90"
        out.append(text[start:m.start()])
        start = m.end()
    out.append(text[start:])
    return [s.strip() for s in out if s.strip()]


def _marker_statement(text: str) -> str | None:
    last = None
    for last in _MARKER_RE.finditer(text):  # noqa: B007 - only the last one is wanted
        pass
    if last is None:
        return None
    rest = text[last.end():last.end() + MAX_STATEMENT_CHARS].lstrip(" \t*_:\n")
    sentences = _sentences(rest)
    return sentences[0] if sentences else None


def find_statement(text: str, *, markers: bool = True, times: bool = False) -> Statement | None:
    """The final answer statement of ``text``.

    With ``markers``, the sentence after the last answer marker ("Answer:", "The final answer
    is", "the answer (arabic numerals) is") when it holds a number. Otherwise the last sentence
    holding a number, passing over checks that follow the answer ("Check: 64 / 16 = 4."),
    unless every such sentence is one; it is a *conclusion* when it opens with "Therefore",
    "So", "Thus", "In total" and the like. With ``times``, a time on the hour counts as a
    number (for questions asking "what time").
    """
    if markers:
        stated = _marker_statement(text)
        if stated is not None and quantities(stated, times=times):
            return Statement(stated, "answer_statement")
    last_numeric: str | None = None
    for paragraph in reversed([p for p in re.split(r"\n\s*\n", text) if p.strip()]):
        sentences = _sentences(paragraph)
        check_paragraph = bool(sentences) and bool(_CHECK_RE.match(sentences[0]))
        for whole in reversed(sentences):
            sentence = whole[-MAX_STATEMENT_CHARS:]  # a long sentence ends with its answer
            found = quantities(sentence, times=times)
            if not found or (all(q.words and q.value == 1 for q in found)
                             and not _CONCLUSION_RE.match(sentence)
                             and not any(q.cue for q in found)):
                continue  # "hope this helps one way or another" states no answer
            if last_numeric is None:
                last_numeric = sentence
            if not (check_paragraph or _CHECK_RE.match(sentence)):
                return _statement(sentence)
    return _statement(last_numeric) if last_numeric is not None else None


def _statement(sentence: str) -> Statement:
    return Statement(sentence, "conclusion" if _CONCLUSION_RE.match(sentence) else "last_sentence")
