"""Numeric final answers, as in GSM8K: extraction separate from comparison.

Extraction understands the forms real models write, most explicit first:
``#### 18``, ``\\boxed{18}``, an answer marker (``ANSWER: 18``, ``Final answer: 18``,
``The answer is 18.``, ``The final answer is **18**``; case-insensitive, markdown bold allowed),
and falls back to the last number in the output. A bare "answer" followed by a number is not a
marker ("she must answer 70% of the questions", "answer = 2"): only "answer is" and
"answer:" are. Numbers may carry ``$``, a trailing ``.00``, a percent sign or a unit word, and
thousands separators: commas (``1,200``), or spaces, no-break or thin spaces and LaTeX ``\\,``
(``1 200``, ``1\\,200``) when every group after the first has exactly three digits (``12 34``
is the number 12 followed by 34).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Literal

__all__ = [
    "NumericAnswer",
    "NumericVerdict",
    "extract_numeric_answer",
    "numbers_equal",
    "parse_number",
    "verify_numeric",
]

Method = Literal["hashes", "boxed", "answer_marker", "last_number", "none"]

MAX_OUTPUT_CHARS = 200_000
"""Longer outputs are judged on their last part only, so extraction stays linear and fast."""

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
    r"\b(?:final\s+answer|answer)(?:\s*(?:\*\*|__))?\s*(?:is\b\s*:?|:)\s*(?:\$|\\\(|\*\*|__)*\s*"
    rf"({_NUM})",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class NumericAnswer:
    """The answer found in an output: its text as written and how it was found."""

    text: str | None
    method: Method


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


def extract_numeric_answer(output: str, *, strict: bool = False) -> NumericAnswer:
    """Find the final numeric answer in ``output``.

    With ``strict=True`` only the ``#### N`` form counts (the GSM8K format the prompt asks for).
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
    markers = _MARKER_RE.findall(text)
    if markers:
        return NumericAnswer(markers[-1].strip(), "answer_marker")
    numbers = _PROSE_NUM_RE.findall(text)
    if numbers:
        return NumericAnswer(numbers[-1].strip(), "last_number")
    return NumericAnswer(None, "none")


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


def verify_numeric(output: str, target: str, *, strict: bool = False) -> NumericVerdict:
    """Judge ``output`` against the numeric ``target``."""
    answer = extract_numeric_answer(output, strict=strict)
    if answer.text is None:
        return NumericVerdict(False, None, "none", "no numeric answer found")
    if parse_number(target) is None:
        detail = f"target {target!r} is not a number"
        return NumericVerdict(False, answer.text, answer.method, detail)
    ok = numbers_equal(answer.text, target)
    detail = f"{answer.text!r} ({answer.method}) {'=' if ok else '!='} {target!r}"
    return NumericVerdict(ok, answer.text, answer.method, detail)
