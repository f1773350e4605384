"""Short-answer QA (HotpotQA): answer extraction, then the official exact match and token F1.

Normalisation follows the HotpotQA evaluation (Yang et al., 2018): lower-case, drop ASCII
punctuation, drop the articles *a*, *an*, *the*, collapse whitespace. Exact match (EM) compares
the normalised strings; token F1 compares their bags of tokens, except that when either side
normalises to ``yes``, ``no`` or ``noanswer`` only an identical answer scores (F1 = 1), anything
else scores 0.

Extraction (:func:`extract_qa_answer`), most explicit first:

1. the last ``Answer: X`` marker (case-insensitive; ``Final answer:`` too; markdown bold and
   quotes around the answer and a trailing period are dropped): at the start of a line, or
   inside a line after the end of a sentence (``The capital is Paris. Answer: Paris``); the
   one furthest into the output wins, so a final ``Answer:`` line beats anything before it. An
   empty ``Answer:`` line takes the next non-empty line;
2. the last ``the answer is X``;
3. the whole output, when it is a bare answer: one line of at most :data:`MAX_BARE_WORDS`
   words (so saved answers can be re-scored).

The answer runs to the end of its sentence: a period followed by a space and a capital letter
ends it, except after an initial or a common abbreviation (``D.C. Statehood``, ``St. Louis``,
``John F. Kennedy``), where it ends only when the next word usually starts a sentence
(``It``, ``The``, ``He``, ``This``, ...): ``Washington, D.C. It is the capital.`` gives
``Washington, D.C.``. This is a heuristic: an answer that continues after an abbreviation with
such a word (``U.S. The Band``) is cut short.

Strict extraction (the format the prompt asks for) accepts only an ``Answer:`` line that is the
last non-empty line of the output.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from sustain_verifiers._limits import truncation_note

__all__ = [
    "MAX_BARE_WORDS",
    "QAAnswer",
    "QAVerdict",
    "exact_match",
    "extract_qa_answer",
    "f1_precision_recall",
    "f1_score",
    "normalize_answer",
    "verify_qa",
]

Method = Literal["answer_line", "answer_is", "bare", "none"]

MAX_OUTPUT_CHARS = 200_000
"""Longer outputs are searched in their last part only (the verdict's detail says so)."""

MAX_BARE_WORDS = 10
"""A single-line output with at most this many words is taken as the answer itself."""

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES_RE = re.compile(r"\b(?:a|an|the)\b")
_SPECIAL = frozenset({"yes", "no", "noanswer"})


def normalize_answer(text: str) -> str:
    """The official HotpotQA normalisation: lower-case, no ASCII punctuation, no articles,
    single spaces."""
    lowered = text.lower()
    no_punct = "".join(ch for ch in lowered if ch not in _PUNCTUATION)
    no_articles = _ARTICLES_RE.sub(" ", no_punct)
    return " ".join(no_articles.split())


def exact_match(prediction: str, gold: str) -> bool:
    """Whether the normalised prediction equals the normalised gold answer."""
    return normalize_answer(prediction) == normalize_answer(gold)


def f1_precision_recall(prediction: str, gold: str) -> tuple[float, float, float]:
    """Token F1, precision and recall of ``prediction`` against ``gold`` (official rules)."""
    pred, ref = normalize_answer(prediction), normalize_answer(gold)
    if (pred in _SPECIAL or ref in _SPECIAL) and pred != ref:
        return 0.0, 0.0, 0.0
    pred_tokens, ref_tokens = pred.split(), ref.split()
    overlap = sum((Counter(pred_tokens) & Counter(ref_tokens)).values())
    if overlap == 0:
        return 0.0, 0.0, 0.0
    precision = overlap / len(pred_tokens)
    recall = overlap / len(ref_tokens)
    return 2 * precision * recall / (precision + recall), precision, recall


def f1_score(prediction: str, gold: str) -> float:
    """Token F1 of ``prediction`` against ``gold`` (official rules)."""
    return f1_precision_recall(prediction, gold)[0]


@dataclass(frozen=True)
class QAAnswer:
    """The answer found in an output and how it was found."""

    text: str | None
    method: Method


_ANSWER_LINE_RE = re.compile(
    r"^[ \t>#*_-]*(?:final[ \t]+)?answer[ \t*_]*:[ \t]*(.*)$", re.IGNORECASE | re.MULTILINE)
_INLINE_ANSWER_RE = re.compile(
    r"[.!?][\"')\]*_]*[ \t]+[*_]*(?:final[ \t]+)?answer[ \t*_]*:[ \t]*(.*)$",
    re.IGNORECASE | re.MULTILINE)
_ANSWER_IS_RE = re.compile(r"\bthe[ \t]+(?:final[ \t]+)?answer[ \t]+is[ \t]*:?[ \t]*(.*)$",
                           re.IGNORECASE | re.MULTILINE)
_BOXED_RE = re.compile(r"\\boxed\{([^{}]*)\}")
_EMPHASIS = "*_` \t"
_QUOTE_PAIRS = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}
_KEEP_PERIOD_RE = re.compile(r"(?:\b[A-Za-z]|\b(?:Jr|Sr|St|Mt|Ft|Co|Inc|Ltd|Bros|etc))\.$")


def _clean(answer: str) -> str:
    boxed = _BOXED_RE.search(answer)
    if boxed:
        answer = boxed.group(1)
    answer = answer.replace("$", "").strip(_EMPHASIS)
    # a trailing period ends the sentence ("Paris.") but belongs to "D.C." and "Jr."
    if answer.endswith(".") and not _KEEP_PERIOD_RE.search(answer):
        answer = answer[:-1].rstrip(_EMPHASIS)
    if len(answer) >= 2 and _QUOTE_PAIRS.get(answer[0]) == answer[-1]:
        inner = answer[1:-1]
        if answer[0] not in inner and answer[-1] not in inner:
            answer = inner.strip()
    return answer.strip()


_SENTENCE_END_RE = re.compile(r"\.\s+(?=([A-Z][A-Za-z']*))")
_ABBREVIATION_RE = re.compile(
    r"(?:\b[A-Z]|\b(?:St|Mt|Ft|Dr|Jr|Sr|Mr|Ms|Mrs|No|vs|Inc|Ltd|Co|Bros|Gen|Col|Lt|Capt|Sgt|"
    r"Rev|Prof|Gov|Sen|Rep|Ave|Blvd))$")
_SENTENCE_STARTERS = frozenset({
    "It", "Its", "This", "That", "These", "Those", "The", "He", "She", "They", "We", "I", "You",
    "There", "Here", "His", "Her", "Their", "Our", "So", "Thus", "Therefore", "Hence", "Both",
    "Neither", "Either", "Since", "Because", "As", "In", "On", "At", "And", "But", "However",
    "Also", "Which", "Who", "Whose", "When", "While", "Although", "Note", "Yes", "No",
})


def _sentence(text: str) -> str:
    """Up to the end of the first sentence (its period kept), a period followed by a space and
    a capital; after an initial or a common abbreviation only when a typical sentence opening
    follows ("D.C. It" ends a sentence, "St. Louis" and "F. Kennedy" do not)."""
    for end in _SENTENCE_END_RE.finditer(text):
        if (_ABBREVIATION_RE.search(text, 0, end.start())
                and end.group(1) not in _SENTENCE_STARTERS):
            continue
        return text[:end.start() + 1]
    return text


def _last_match(regex: re.Pattern[str], text: str) -> re.Match[str] | None:
    last = None
    for last in regex.finditer(text):  # noqa: B007 - only the last one is wanted
        pass
    return last


def extract_qa_answer(output: str, *, strict: bool = False) -> QAAnswer:
    """Find the final answer in ``output`` (see the module docstring for the order)."""
    if not isinstance(output, str) or not output.strip():
        return QAAnswer(None, "none")
    text = output[-MAX_OUTPUT_CHARS:]
    last = _last_match(_ANSWER_LINE_RE, text)
    if not strict:
        inline = _last_match(_INLINE_ANSWER_RE, text)
        if inline is not None and (last is None or inline.start(1) > last.start(1)):
            last = inline
    if last is not None:
        content = last.group(1)
        if not _clean(content):
            following = [ln for ln in text[last.end():].splitlines() if ln.strip()]
            content = following[0] if following else ""
            if strict and len(following) > 1:
                return QAAnswer(None, "none")
        elif strict and text[last.end():].strip():
            return QAAnswer(None, "none")
        answer = _clean(_sentence(content))
        if answer:
            return QAAnswer(answer, "answer_line")
    if strict:
        return QAAnswer(None, "none")
    last = _last_match(_ANSWER_IS_RE, text)
    if last is not None:
        answer = _clean(_sentence(last.group(1)))
        if answer:
            return QAAnswer(answer, "answer_is")
    stripped = text.strip()
    if "\n" not in stripped and len(stripped.split()) <= MAX_BARE_WORDS:
        answer = _clean(stripped)
        if answer:
            return QAAnswer(answer, "bare")
    return QAAnswer(None, "none")


@dataclass(frozen=True)
class QAVerdict:
    """EM verdict (``correct``) with token F1 beside it."""

    correct: bool
    extracted: str | None
    method: Method
    f1: float
    detail: str


def verify_qa(output: str, target: str, *, strict: bool = False) -> QAVerdict:
    """Judge ``output`` against the gold answer ``target``: EM decides, F1 is reported."""
    answer = extract_qa_answer(output, strict=strict)
    note = truncation_note(output, MAX_OUTPUT_CHARS)
    if answer.text is None:
        what = "no final 'Answer:' line" if strict else "no answer found"
        return QAVerdict(False, None, "none", 0.0, what + note)
    em = exact_match(answer.text, target)
    f1 = f1_score(answer.text, target)
    detail = (f"{answer.text!r} ({answer.method}) {'==' if em else '!='} {target!r} after "
              f"normalisation; F1 {f1:.2f}")
    return QAVerdict(em, answer.text, answer.method, f1, detail + note)
