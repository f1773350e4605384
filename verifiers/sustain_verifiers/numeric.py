"""Numeric final answers, as in GSM8K: extraction separate from comparison.

Extraction (:func:`extract_numeric_answer`) reads the final answer the way a careful reader
does, most explicit first; the verdict's ``detail`` names the rule that decided.

1. ``#### N``, the format the GSM8K prompt asks for (``strict=True`` accepts only this).
2. ``\\boxed{N}`` (the last one): ``The final answer is $\\boxed{18}$`` reads 18.
3. An answer marker directly followed by a number: ``The answer is 18.``, ``**Answer:** 18``,
   ``Final answer: $1,200``. A bare "answer" followed by a number is not a marker ("she must
   answer 70% of the questions", "answer = 2"): only "answer is" and "answer:" are, with an
   optional parenthesis between ("the answer (arabic numerals) is").
4. The *answer statement*, the sentence after the last answer marker when a sentence comes
   first: ``Answer: Kylar needs to pay $64 for 16 glasses.`` reads 64 (the question asks what
   he pays, and says 16 glasses).
5. Otherwise the last sentence holding a number, passing over checks after the answer:
   ``So she makes $18 a day. Check: 9 * 2 = 18.`` reads 18 from the first sentence.

A statement (4, 5) is read with :func:`sustain_verifiers.statement.read_statement`, which knows
the question when the caller passes it: numbers restated from the question are set aside, the
unit the question asks for is preferred, times and dates are never numbers ("8 centimeters
shorter from 1:00 PM to 5:00 PM" reads 8) and number words are read ("two hundred ninety-four
dollars" reads 294). A statement with several candidate numbers that no rule tells apart gives
no answer, so the verdict is wrong and its detail lists the candidates.

Numbers may carry ``$``, a trailing ``.00``, a percent sign or a unit word, and thousands
separators: commas (``1,200``), or, in forms 1-3, spaces, no-break or thin spaces and LaTeX
``\\,`` (``1 200``, ``1\\,200``) when every group after the first has exactly three digits
(``12 34`` is the number 12 followed by 34).

Digits of any script count (Unicode decimal digits: Arabic-Indic ``١٦٠``, full-width ``３６６``,
Devanagari ``१६०``): they are the same numbers written differently, as a reader reads them,
and a model answering in another script has still answered. Other numerals (Roman ``XII``,
CJK ``十二``) are not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Literal

from sustain_verifiers._limits import truncation_note
from sustain_verifiers.statement import QuestionFacts, find_statement, read_statement

__all__ = [
    "NumericAnswer",
    "NumericVerdict",
    "extract_numeric_answer",
    "numbers_equal",
    "parse_number",
    "verify_numeric",
]

Method = Literal["hashes", "boxed", "answer_marker", "answer_statement", "conclusion",
                 "last_sentence", "none"]

MAX_OUTPUT_CHARS = 200_000
"""Longer outputs are judged on their last part only, so extraction stays linear and fast; the
verdict's detail then says so ("read the last 200,000 of 500,000 characters")."""

_SPACE_SEPARATORS = (" ", "\u00a0", "\u2009", "\u202f", "\\,", "\\ ")
"""Spaces that may separate groups of three digits: a space, no-break space, thin space, narrow
no-break space, and LaTeX's thin space and control space."""


def _number_pattern(separators: tuple[str, ...]) -> str:
    grouped = "|".join(rf"(?:{re.escape(sep)}\d{{3}})+" for sep in separators)
    return (r"[-\u2212]?\$?\s?"
            rf"(?:\d{{1,3}}(?:{grouped})(?!\d)|\d+)(?:\.\d+)?(?:\s?/\s?\d+)?")


_NUM = _number_pattern((",", *_SPACE_SEPARATORS))
"""A number in a stated answer (``#### 1 200``, ``\\boxed{1\\,200}``, ``The answer is 1,200``)."""
_PROSE_NUM = _number_pattern((",",))
"""A number anywhere in prose: spaces do not group digits there ("5 100-dollar bills")."""
_PLAIN_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?(?:/-?\d+(?:\.\d+)?)?")
_SPACED_NUMBER_RE = re.compile(r"-?\d{1,3}(?: \d{3})+(?:\.\d+)?(?:/-?\d+(?:\.\d+)?)?")
_NUM_RE = re.compile(rf"(?<![\w.]){_NUM}")
_PROSE_NUM_RE = re.compile(rf"(?<![\w.]){_PROSE_NUM}")
_HASHES_RE = re.compile(rf"####\s*\**\s*({_NUM})")
_BOXED_RE = re.compile(r"\\(?:boxed|fbox)\s*\{")
_MARKER_RE = re.compile(
    r"\b(?:final\s+answer|answer)(?:\s*\([^()\n]{0,40}\))?(?:\s*(?:\*\*|__))?\s*(?:is\b\s*:?|:)\s*(?:\$|\\\(|\*\*|__)*\s*"
    rf"({_NUM})",
    re.IGNORECASE,
)


_STATEMENT_MARKER_RE = re.compile(
    r"\b(?:final\s+answer|answer)(?:\s*\([^()\n]{0,40}\))?(?:\s*(?:\*\*|__))?\s*(?:is\b|:)",
    re.IGNORECASE)
_OPERATOR_NEXT_RE = re.compile(
    r"(?:\*\*|__)?\s*(?:[+/×÷=]|\*(?!\*)|-\s*\d|\\times|\\cdot|(?:[A-Za-z]+\s+)?or\s+\$?\d)")


@dataclass(frozen=True)
class NumericAnswer:
    """The answer found in an output: its text as written, how it was found, and for an answer
    read from a sentence, the rule that chose it and the numbers it chose among."""

    text: str | None
    method: Method
    rule: str = ""
    candidates: tuple[str, ...] = ()

    def describe(self) -> str:
        """How the answer was found, for a verdict's detail."""
        if self.method in ("hashes", "boxed", "answer_marker", "none"):
            return self.method
        return f"{self.method}: {self.rule}"


@dataclass(frozen=True)
class NumericVerdict:
    """Whether an output's answer equals the target, with what was extracted."""

    correct: bool
    extracted: str | None
    method: Method
    detail: str


def _boxed_contents(text: str, last: int = 8) -> list[str]:
    """Contents of the last ``last`` ``\\boxed{...}`` groups (nested braces allowed)."""
    starts = [m.end() for m in _BOXED_RE.finditer(text)][-last:]
    found = []
    for start in starts:
        depth = 1
        for i in range(start, min(len(text), start + 2_000)):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    found.append(text[start:i])
                    break
    return found


def extract_numeric_answer(output: str, *, strict: bool = False,
                           question: str | None = None) -> NumericAnswer:
    """Find the final numeric answer in ``output`` (see the module docstring for the order).

    With ``strict=True`` only the ``#### N`` form counts (the GSM8K format the prompt asks for).
    ``question`` (the problem text) lets an answer written as a sentence be read against it.
    """
    if not isinstance(output, str) or not output.strip():
        return NumericAnswer(None, "none")
    text = output[-MAX_OUTPUT_CHARS:]
    hashes = _HASHES_RE.findall(text)
    if hashes:
        return NumericAnswer(hashes[-1].strip(), "hashes")
    if strict:
        return NumericAnswer(None, "none")
    for content in reversed(_boxed_contents(text)):
        numbers = _NUM_RE.findall(content.replace("\\$", "$").replace("{,}", ","))
        if numbers:
            return NumericAnswer(numbers[0].strip(), "boxed")
    direct = _last(_MARKER_RE, text)
    marker = _last(_STATEMENT_MARKER_RE, text)
    if (direct is not None and marker is not None and direct.start() <= marker.start()
            and not _OPERATOR_NEXT_RE.match(text, direct.end())):
        return NumericAnswer(direct.group(1).strip(), "answer_marker")
    facts = QuestionFacts.from_question(question)
    statement = find_statement(text, times=facts is not None and facts.unit == "clock")
    if statement is None:
        return NumericAnswer(None, "none")
    reading = read_statement(statement.text, facts)
    return NumericAnswer(reading.text, statement.kind, reading.rule, reading.candidates)


def _last(regex: re.Pattern[str], text: str) -> re.Match[str] | None:
    last = None
    for last in regex.finditer(text):  # noqa: B007 - only the last one is wanted
        pass
    return last


def parse_number(text: str) -> Fraction | None:
    """Exact value of a number as written (``$1,200.50``, ``1 200``, ``−3``, ``3/4``, ``45%``),
    or None. Space-like thousands separators need groups of exactly three digits."""
    cleaned = text.strip().replace("\u2212", "-").replace("$", "")
    for sep in _SPACE_SEPARATORS:
        cleaned = cleaned.replace(sep, " ")
    cleaned = re.sub(r"\s*/\s*", "/", cleaned).strip().rstrip(".").removesuffix("%").strip()
    cleaned = re.sub(r"^-\s+", "-", cleaned)
    if " " in cleaned:
        if not _SPACED_NUMBER_RE.fullmatch(cleaned):
            return None
        cleaned = cleaned.replace(" ", "")
    cleaned = cleaned.replace(",", "")
    if not cleaned or len(cleaned) > 100 or not _PLAIN_NUMBER_RE.fullmatch(cleaned):
        return None
    try:
        if "/" in cleaned:
            num, _, den = cleaned.partition("/")
            value = Fraction(Decimal(num)) / Fraction(Decimal(den))
        else:
            value = Fraction(Decimal(cleaned))
    except (InvalidOperation, ValueError, ZeroDivisionError):
        return None
    return value


def numbers_equal(a: str, b: str) -> bool:
    """Whether two number strings have the same exact value."""
    x, y = parse_number(a), parse_number(b)
    return x is not None and y is not None and x == y


def verify_numeric(output: str, target: str, *, strict: bool = False,
                   question: str | None = None) -> NumericVerdict:
    """Judge ``output`` against the numeric ``target``; ``question`` as for
    :func:`extract_numeric_answer`."""
    answer = extract_numeric_answer(output, strict=strict, question=question)
    note = truncation_note(output, MAX_OUTPUT_CHARS)
    if answer.text is None:
        if len(answer.candidates) > 1:
            detail = (f"no answer: the {answer.method.replace('_', ' ')} states "
                      f"{', '.join(answer.candidates)} and no rule tells which answers the "
                      "question")
        else:
            detail = "no numeric answer found"
        return NumericVerdict(False, None, answer.method, detail + note)
    if parse_number(target) is None:
        detail = f"target {target!r} is not a number"
        return NumericVerdict(False, answer.text, answer.method, detail + note)
    ok = numbers_equal(answer.text, target)
    detail = f"{answer.text!r} ({answer.describe()}) {'=' if ok else '!='} {target!r}"
    return NumericVerdict(ok, answer.text, answer.method, detail + note)
