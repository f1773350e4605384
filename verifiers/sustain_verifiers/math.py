"""Competition-math final answers (MATH-500): extraction separate from equivalence.

Extraction (:func:`extract_math_answer`) is pure string work in the calling process. It
understands, most explicit first:

1. ``\\boxed{...}`` / ``\\fbox{...}`` (the last one; nested and escaped braces are handled, so
   ``\\boxed{\\frac{1}{2}}`` and ``\\boxed{\\{1, 2\\}}`` come out whole), also ``\\boxed 5``;
2. an answer marker, the last of: ``The final answer is X`` (the Minerva style, with its
   trailing "I hope it is correct."), ``ANSWER: X`` / ``Final answer: X`` at the start of a line
   (markdown bold allowed), ``the answer is X``; when X contains ``$...$`` math, the first math
   span is the answer (``the answer is $5$ apples`` gives ``5``);
3. the whole output when it is a bare answer: one line of at most 60 characters (so saved
   answers can be re-scored);
4. a concluding sentence, the last sentence holding a number or math when it opens with
   "Therefore", "So", "Thus", "Hence" and the like: its last math span (``Therefore, the sum is
   $12$.`` gives ``12``), else its number read as :mod:`sustain_verifiers.statement` reads a
   final answer written in prose.

An answer after a marker that is a sentence rather than math (``The answer is: there are 12
ways``) is read the same way as 4, with the question when the caller passes it, so numbers it
restates are set aside. The last inline ``$...$`` of an output is deliberately *not* used as a
fallback: an output that states no final answer (none of the above) is judged wrong rather than
credited with an intermediate result.
Strict extraction (``strict=True``, the format the MATH-500 prompt asks for) accepts only
``\\boxed{}``.

Equivalence (:func:`math_equal`) first compares a conservative canonical string form (spacing,
``\\left``/``\\right``, ``\\dfrac``, thin spaces, ``\\text{}`` wrappers, degree signs, dollar
signs, choice letters such as ``(C)``), which decides most correct answers without any algebra.
Otherwise the two answers are parsed from LaTeX and compared with ``math-verify`` (built on
sympy): numbers, fractions, radicals, decimals within rounding, percentages, intervals and
unions, tuples, sets and ``\\pm`` lists, matrices, equations such as ``x = 5``, units and text
answers. That work runs in a bounded worker process (:mod:`sustain_verifiers._isolate`): a
wall-clock timeout and an address-space cap, usable from any thread and inside an asyncio event
loop (``signal.alarm`` is never used). Before it, a cheap screen (:func:`screen_expression`)
refuses inputs that could only be hostile: longer than :data:`MAX_ANSWER_CHARS`, brackets nested
deeper than :data:`MAX_NESTING`, power towers, and powers, factorials and binomials too large to
evaluate in any spelling (``(3)^{123456789}``, ``(1+x)^{100000}``, ``\\binom{10^{9}}{10^{8}}``);
such an answer is judged not equivalent, with the reason in the verdict.

Percentages follow math-verify: ``50\\%`` equals both ``50`` and ``0.5`` (so ``25\\%`` is
accepted for a reference ``0.25`` and the other way round). MATH writes percentage answers
either way and its problems do not ask for a fraction and a percentage of the same quantity in
one answer, so crediting both readings is the conventional choice; ``20\\%`` is still wrong
for ``25\\%``, and ``50`` and ``0.5`` stay different.
"""

from __future__ import annotations

import asyncio
import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from sustain_verifiers._isolate import WorkerStartupError, register_warm_up, run_bounded
from sustain_verifiers._limits import truncation_note
from sustain_verifiers.statement import QuestionFacts, find_statement, read_statement

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_ANSWER_CHARS",
    "MAX_DIGITS",
    "MAX_EXPANDED_EXPONENT",
    "MAX_EXPONENT",
    "MAX_NESTING",
    "Equivalence",
    "MathAnswer",
    "MathVerdict",
    "canonical_answer",
    "extract_boxed",
    "extract_math_answer",
    "math_equal",
    "screen_expression",
    "verify_math",
    "verify_math_async",
]

Method = Literal["boxed", "final_answer_is", "answer_line", "answer_is", "bare", "conclusion",
                 "none"]
How = Literal["string", "sympy", "refused", "timeout", "memory", "crashed", "error", "empty"]

DEFAULT_TIMEOUT = 3.0
"""Seconds one symbolic comparison may take before the answer is judged not equivalent."""

MAX_OUTPUT_CHARS = 200_000
"""Longer outputs are searched in their last part only, so extraction stays fast (the verdict's
detail says so)."""

MAX_ANSWER_CHARS = 1_000
"""Longer extracted answers are refused before any parsing (MATH-500 answers are < 60)."""

MAX_NESTING = 10
"""Deepest bracket nesting (``( [ {`` combined) an answer may have before it is refused."""

MAX_DIGITS = 10_000
"""Largest number of decimal digits a literal power, factorial or binomial may produce."""

MAX_EXPONENT = 1_000
"""Largest exponent allowed on a base that is not a plain number (``x^{1000}``)."""

MAX_EXPANDED_EXPONENT = 100
"""Largest exponent allowed on a bracketed base with a symbol in it (``(1+x)^{100}``), and
largest upper limit of a ``\\sum`` or ``\\prod``: sympy may expand them term by term."""

MAX_BARE_CHARS = 60
"""An output this short, on one line and without markers, is taken as the answer itself."""

_WORKER_FUNC = "sustain_verifiers.math:_compare_in_worker"
register_warm_up("sustain_verifiers.math:_warm_up")


# -- extraction ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class MathAnswer:
    """The final answer found in an output: its LaTeX as written and how it was found."""

    text: str | None
    method: Method


_BOXED_RE = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])\s*")
_BRACE_TOKEN_RE = re.compile(r"\\.|[{}]", re.DOTALL)


def _matching_braces(text: str) -> dict[int, int]:
    """Position of each ``{`` → position of its ``}`` (escaped ``\\{``/``\\}`` ignored); linear."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for token in _BRACE_TOKEN_RE.finditer(text):
        char = token.group()
        if char == "{":
            stack.append(token.start())
        elif char == "}" and stack:
            pairs[stack.pop()] = token.start()
    return pairs


def extract_boxed(text: str) -> list[str]:
    """Contents of every ``\\boxed{...}`` / ``\\fbox{...}`` in ``text``, in order.

    Braces nest (``\\boxed{\\frac{1}{2}}`` gives ``\\frac{1}{2}``) and escaped braces do not
    count (``\\boxed{\\{1,2\\}}`` gives ``\\{1,2\\}``). ``\\boxed 5`` gives ``5``. An unclosed box
    is skipped. Runs in time linear in ``len(text)``.
    """
    pairs: dict[int, int] | None = None
    found: list[str] = []
    for match in _BOXED_RE.finditer(text):
        start = match.end()
        if start < len(text) and text[start] == "{":
            if pairs is None:
                pairs = _matching_braces(text)
            end = pairs.get(start)
            if end is not None:
                found.append(text[start + 1:end])
        elif match.group().endswith((" ", "\t")):
            bare = re.match(r"[^\s$]+", text[start:start + 200])
            if bare:
                found.append(bare.group())
    return found


_FINAL_IS_RE = re.compile(r"final\s+answer\s+is\s*:?", re.IGNORECASE)
_ANSWER_LINE_RE = re.compile(
    r"^[ \t>#*_]*(?:final\s+answer|answer)[ \t*_]*:[ \t*_]*", re.IGNORECASE | re.MULTILINE)
_ANSWER_IS_RE = re.compile(r"\banswer\s+is\s*:?", re.IGNORECASE)
_HOPE_RE = re.compile(r"\.?\s*I\s+hope\s+it\s+is\s+correct.*$", re.IGNORECASE | re.DOTALL)
_MATH_SPAN_RE = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)


def _marker_content(text: str, start: int) -> str:
    """The answer written after a marker ending at ``start``: up to the end of its line (or the
    next line when the marker ends one), first math span preferred."""
    rest = text[start:start + 2_000]
    line, _, after = rest.lstrip(" \t").partition("\n")
    if not line.strip():
        line = after.strip().partition("\n")[0]
    line = _HOPE_RE.sub("", line)
    span = _MATH_SPAN_RE.search(line)
    if span:
        return next(g for g in span.groups() if g is not None).strip()
    line = line.strip().strip("*_").strip()
    # a sentence after the answer ("5. So we are done") is not part of it
    line = re.split(r"\.\s+(?=[A-Z])|\.\s*$", line)[0]
    return line.strip().rstrip(".").strip()


def _last_match(regex: re.Pattern[str], text: str) -> re.Match[str] | None:
    last = None
    for last in regex.finditer(text):  # noqa: B007 - only the last one is wanted
        pass
    return last


def extract_math_answer(output: str, *, strict: bool = False,
                        question: str | None = None) -> MathAnswer:
    """Find the final answer stated in ``output`` (see the module docstring for the order).

    With ``strict=True`` only the last ``\\boxed{}`` counts. ``question`` (the problem) helps
    read an answer written as a sentence.
    """
    if not isinstance(output, str) or not output.strip():
        return MathAnswer(None, "none")
    text = output[-MAX_OUTPUT_CHARS:]
    boxed = [b.strip() for b in extract_boxed(text)]
    boxed = [b for b in boxed if b]
    if boxed:
        return MathAnswer(boxed[-1], "boxed")
    if strict:
        return MathAnswer(None, "none")
    markers: list[tuple[int, Method]] = []
    patterns: tuple[tuple[re.Pattern[str], Method], ...] = (
        (_FINAL_IS_RE, "final_answer_is"), (_ANSWER_LINE_RE, "answer_line"),
        (_ANSWER_IS_RE, "answer_is"))
    for regex, method in patterns:
        last = _last_match(regex, text)
        if last is not None:
            markers.append((last.end(), method))
    # the last marker wins; where two end together the more specific (listed first) wins
    for end, method in sorted(markers, key=lambda m: -m[0]):
        content = _marker_content(text, end)
        nested = _FINAL_IS_RE.search(content)
        if nested:  # "ANSWER: The final answer is 5"
            content = _marker_content(content, nested.end())
        if content:
            return MathAnswer(_prose_answer(content, question) or content, method)
    stripped = text.strip()
    if "\n" not in stripped and len(stripped) <= MAX_BARE_CHARS:
        span = _MATH_SPAN_RE.fullmatch(stripped)
        if span:
            stripped = next(g for g in span.groups() if g is not None).strip()
        return MathAnswer(stripped.rstrip(".").strip() or None, "bare")
    statement = find_statement(text, markers=False)
    if statement is not None and statement.kind == "conclusion":
        spans = [next(g for g in m.groups() if g is not None).strip()
                 for m in _MATH_SPAN_RE.finditer(statement.text)]
        if spans:
            return MathAnswer(spans[-1], "conclusion")
        reading = read_statement(statement.text, QuestionFacts.from_question(question))
        if reading.text is not None:
            return MathAnswer(reading.text, "conclusion")
    return MathAnswer(None, "none")


_PROSE_RE = re.compile(r"[A-Za-z]{2,}[\s,]+[A-Za-z]{2,}")


def _prose_answer(content: str, question: str | None) -> str | None:
    """The number a marker's content states when it is a sentence, not math (``there are 12
    ways`` gives ``12``), else None."""
    if "\\" in content or not _PROSE_RE.search(content) or not re.search(r"\d", content):
        return None
    return read_statement(content, QuestionFacts.from_question(question)).text


# -- canonical strings and the screen -----------------------------------------------------------
_TEXT_WRAPPER_RE = re.compile(
    r"\\(?:text|textbf|textit|mathrm|mathbf|mbox|operatorname)\s*\{([^{}]*)\}")
_DEGREE_RE = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|°|\\degree\b|\\text\{\s*degrees?\s*\}")
_SPACING_RE = re.compile(r"\\[!,;: ]|\\q?quad\b|~")


def _strip_math_delimiters(answer: str) -> str:
    s = answer.strip()
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if len(s) > len(left) + len(right) and s.startswith(left) and s.endswith(right):
            s = s[len(left):-len(right)].strip()
    return s


def canonical_answer(answer: str) -> str:
    """A conservative canonical form: two answers with equal forms are certainly equivalent.

    Removes spacing, ``\\left``/``\\right``, ``\\displaystyle``, thin spaces (``\\!``), dollar
    signs, degree marks and ``\\text{}``-like wrappers; ``\\dfrac``/``\\tfrac`` become
    ``\\frac``; a trailing period goes; a lone choice letter loses its parentheses (``(C)`` is
    ``C``); words (four or more letters, or any letters written in ``\text{}``) are
    lower-cased, while short letter strings such as ``xy`` keep their case.
    """
    s = _strip_math_delimiters(answer)
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    s = s.replace("\\left", "").replace("\\right", "").replace("\\displaystyle", "")
    s = _DEGREE_RE.sub("", s)
    s = _SPACING_RE.sub("", s)
    s = s.replace("\\$", "").replace("$", "")
    wrapped = False
    for _ in range(3):
        s, n = _TEXT_WRAPPER_RE.subn(r"\1", s)
        wrapped = wrapped or n > 0
        if not n:
            break
    s = "".join(s.split()).rstrip(".")
    for _ in range(5):
        if s[:1] == "{" and s[-1:] == "}" and _matching_braces(s).get(0) == len(s) - 1:
            s = s[1:-1]
    choice = re.fullmatch(r"\(([A-Za-z])\)", s)
    if choice:
        s = choice.group(1).upper()
    # words are compared without case; short letter strings may be products of variables
    if re.fullmatch(r"[A-Za-z]{4,}", s) or (wrapped and re.fullmatch(r"[A-Za-z]{2,}", s)):
        s = s.lower()
    return s


_POWER_OPS = ("^", "**")
_ARITHMETIC_COMMANDS = frozenset({
    "frac", "dfrac", "tfrac", "cfrac", "sqrt", "left", "right", "bigl", "bigr", "Bigl", "Bigr",
    "big", "Big", "cdot", "times", "div", "pm", "mp", "displaystyle", "mathrm", "mathbf",
})
_BINOMIALS = frozenset({"binom", "dbinom", "tbinom"})
_SCREEN_TOKEN_RE = re.compile(r"\\[{}]|\\[A-Za-z]+|\\.|\*\*|!!|\d*\.\d+|\d+|[A-Za-z]|\S",
                              re.DOTALL)
_OPENERS = frozenset({"(", "[", "{", "\\{"})
_CLOSERS = frozenset({")", "]", "}", "\\}"})
_LN10 = math.log(10)


class _Refused(Exception):
    pass


@dataclass(frozen=True)
class _Size:
    """A generous estimate of a fragment's magnitude: ``log10`` of the largest value its literal
    numbers can build (every number counts as a factor of at least 2, so sums are over-rated),
    and whether it involves anything but numbers."""

    digits: float
    symbolic: bool


_NO_SIZE = _Size(0.0, False)


def _factorial_digits(log_n: float) -> float:
    """Decimal digits of ``n!`` for ``n = 10**log_n``."""
    if log_n > 15:
        raise _Refused("factorial of a number with more than 15 digits")
    digits = math.lgamma(10**log_n + 1) / _LN10
    if digits > MAX_DIGITS:
        raise _Refused(f"factorial with more than {MAX_DIGITS} digits")
    return digits


def _binomial_digits(a: _Size, b: _Size) -> float:
    if a.symbolic or b.symbolic:
        # sympy keeps binomial(n, k) unevaluated, but expands it for literal k
        if max(a.digits, b.digits) > math.log10(MAX_EXPONENT):
            raise _Refused(f"binomial with a symbol and a number above {MAX_EXPONENT}")
        return a.digits + b.digits
    if a.digits > 15 or b.digits > 15:
        raise _Refused("binomial of a number with more than 15 digits")
    top, bottom = 10**a.digits, 10**b.digits
    if bottom >= top:
        return 0.0
    digits = (math.lgamma(top + 1) - math.lgamma(bottom + 1)
              - math.lgamma(top - bottom + 1)) / _LN10
    if digits > MAX_DIGITS:
        raise _Refused(f"binomial with more than {MAX_DIGITS} digits")
    return digits


class _Screen:
    """Scans an answer's tokens once and estimates the size of every power, factorial and
    binomial in it, refusing (by raising :class:`_Refused`) those too costly to evaluate."""

    def __init__(self, answer: str) -> None:
        self.tokens = [t.group() for t in _SCREEN_TOKEN_RE.finditer(answer)]
        self.partner: dict[int, int] = {}
        stack: list[int] = []
        for i, tok in enumerate(self.tokens):
            if tok in _OPENERS:
                stack.append(i)
            elif tok in _CLOSERS and stack:  # any closer ends any opener: (a, b] is fine
                self.partner[stack.pop()] = i

    def size(self, start: int, end: int) -> _Size:
        """The size of tokens ``start..end`` (a product of everything in it)."""
        atoms: list[tuple[str, int, int]] = []  # (kind, start, end) with kind an atom or op
        i = start
        while i < end:
            tok = self.tokens[i]
            if tok in _OPENERS:
                close = min(self.partner.get(i, end), end)
                atoms.append(("group", i + 1, close))
                i = close + 1
                continue
            if tok in _POWER_OPS or tok == "_":
                atoms.append((tok if tok == "_" else "^", i, i + 1))
            elif tok in ("!", "!!"):
                atoms.append(("!", i, i + 1))
            elif tok == "\\choose":
                atoms.append(("choose", i, i + 1))
            elif tok[0].isdigit() or tok[0] == ".":
                atoms.append(("number", i, i + 1))
            elif tok[0].isalpha() or (tok[0] == "\\" and tok[1:2].isalpha()):
                atoms.append(("word", i, i + 1))
            i += 1
        for k, atom in enumerate(atoms):
            if atom[0] == "choose":
                top, bottom = self._product(atoms[:k]), self._product(atoms[k + 1:])
                return _Size(_binomial_digits(top, bottom), False)
        return self._product(atoms)

    def _atom(self, atom: tuple[str, int, int]) -> _Size:
        kind, start, end = atom
        if kind == "group":
            return self.size(start, end)
        tok = self.tokens[start]
        if kind == "number":
            digits = tok.replace(".", "").lstrip("0") or "0"
            lead = int(digits[:15])
            return _Size(max(math.log10(max(lead, 2)) + len(digits) - min(len(digits), 15),
                             math.log10(2)), False)
        if kind == "word":
            return _Size(0.0, tok[1:] not in _ARITHMETIC_COMMANDS)
        return _NO_SIZE

    def _product(self, atoms: list[tuple[str, int, int]]) -> _Size:
        total, symbolic = 0.0, False
        k = 0
        while k < len(atoms):
            kind, start, _ = atoms[k]
            if kind in ("^", "!", "_"):  # an operator without a base: ignore it
                k += 1
                continue
            name = self.tokens[start][1:] if kind == "word" else ""
            if name in _BINOMIALS and k + 2 < len(atoms):
                base = _Size(_binomial_digits(self._atom(atoms[k + 1]), self._atom(atoms[k + 2])),
                             False)
                k += 3
            elif name == "Gamma" and k + 1 < len(atoms) and atoms[k + 1][0] == "group":
                arg = self._atom(atoms[k + 1])
                base = _Size(_factorial_digits(arg.digits), arg.symbolic)
                k += 2
            else:
                base = self._atom(atoms[k])
                k += 1
            # a bracketed expression with a symbol, or a sum or product, may get expanded
            expands = (kind == "group" and base.symbolic) or name in ("sum", "prod")
            # postfix: subscripts (skipped), powers (right-associative chains), factorials
            while k < len(atoms) and atoms[k][0] in ("^", "!", "_"):
                op = atoms[k][0]
                if op == "!":
                    base = _Size(_factorial_digits(base.digits), base.symbolic)
                    k += 1
                    continue
                if k + 1 >= len(atoms):
                    k += 1
                    break
                if op == "_":
                    k += 2
                    continue
                chain = [self._atom(atoms[k + 1])]
                k += 2
                while k + 1 < len(atoms) and atoms[k][0] == "^":
                    chain.append(self._atom(atoms[k + 1]))
                    k += 2
                exponent = chain[-1]
                for below in reversed(chain[:-1]):
                    exponent = self._power(below, exponent, expands=False)
                base = self._power(base, exponent, expands=expands)
            total += base.digits
            symbolic = symbolic or base.symbolic
        return _Size(total, symbolic)

    @staticmethod
    def _power(base: _Size, exponent: _Size, *, expands: bool) -> _Size:
        if exponent.digits > 15:
            raise _Refused("exponent with more than 15 digits")
        value = 10**exponent.digits
        if expands and value > MAX_EXPANDED_EXPONENT:
            raise _Refused(f"exponent or upper limit above {MAX_EXPANDED_EXPONENT} on a "
                           "bracketed expression, sum or product with a symbol")
        if base.symbolic and value > MAX_EXPONENT:
            raise _Refused(f"exponent above {MAX_EXPONENT} on a base that is not a number")
        digits = base.digits * value
        if digits > MAX_DIGITS:
            raise _Refused(f"power with more than {MAX_DIGITS} digits")
        return _Size(digits, base.symbolic or exponent.symbolic)


def _power_depth(s: str) -> int:
    """How deep exponents nest: ``x^2`` is 1, ``e^{x^2}`` is 2, ``9^{9^{9^9}}`` is 4."""
    deepest = 0
    stack: list[bool] = []  # for each open brace: does it open an exponent?
    pending = False
    i = 0
    while i < len(s):
        if s.startswith("**", i) or s[i] == "^":
            level = sum(stack) + 1
            deepest = max(deepest, level)
            pending = True
            i += 2 if s[i] == "*" else 1
            continue
        char = s[i]
        if char == "{":
            stack.append(pending)
        elif char == "}" and stack:
            stack.pop()
        if not char.isspace():
            pending = False
        i += 1
    return deepest


def screen_expression(answer: str) -> str | None:
    """Why ``answer`` is refused before any parsing, or None when it may be parsed.

    Refused: more than :data:`MAX_ANSWER_CHARS` characters; brackets nested deeper than
    :data:`MAX_NESTING`; exponents nested three or more deep; and any power, factorial or
    binomial too costly to evaluate, whatever the spelling (``3^{100000000}``, ``(3)^{...}``,
    ``3**(...)``, ``\\left(\\frac{2}{3}\\right)^{10^{9}}``, ``(10^{999})^{(10^{999})}``,
    ``100000!``, ``\\Gamma(10^{9})``, ``\\binom{10^{9}}{10^{8}}``, ``{n \\choose k}``):

    - an exponent above 10^15;
    - an exponent above :data:`MAX_EXPONENT` on a base that is not a plain number
      (``x^{2000}``), or above :data:`MAX_EXPANDED_EXPONENT` on a bracketed expression with a
      symbol (``(1+x)^{1000}``, which sympy may expand); the upper limit of a ``\\sum`` or
      ``\\prod`` counts as such an exponent;
    - a literal power, factorial or binomial with more than :data:`MAX_DIGITS` digits
      (``2^{2005}`` and ``2009!`` pass).

    Sizes are generous estimates (numbers in an exponent count as a product, so
    ``x^{1000+1000}`` is refused too); no answer in MATH-500 comes near. Cheap: linear in the
    (capped) length times the nesting depth.
    """
    if len(answer) > MAX_ANSWER_CHARS:
        return f"longer than {MAX_ANSWER_CHARS} characters"
    depth = deepest = 0
    for char in answer:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth = max(0, depth - 1)
    if deepest > MAX_NESTING:
        return f"brackets nested deeper than {MAX_NESTING}"
    if _power_depth(answer) >= 3:
        return "exponents nested three or more deep"
    screen = _Screen(answer)
    try:
        screen.size(0, len(screen.tokens))
    except _Refused as refused:
        return str(refused)
    except OverflowError:
        return "a number too large to estimate"
    return None


# -- equivalence --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Equivalence:
    """Whether two answers are equivalent, and how that was decided.

    ``how`` is ``string`` (equal canonical forms), ``sympy`` (compared by math-verify),
    ``refused`` (the screen refused an answer), ``timeout``/``memory``/``crashed``/``error``
    (the bounded comparison gave no result: not equivalent) or ``empty``.
    """

    equal: bool
    how: How
    reason: str = ""


def math_equal(gold: str, pred: str, *, timeout: float = DEFAULT_TIMEOUT) -> Equivalence:
    """Whether ``pred`` is mathematically equivalent to the reference answer ``gold``.

    Never raises on any string input and returns within about ``timeout`` seconds (plus the
    one-off start of a worker process). Raises :class:`WorkerStartupError` only when no worker
    process can be started at all (e.g. math-verify is not installed). ``gold`` is the
    reference: the comparison is not symmetric for equations (``x = 5`` is accepted for ``5``).
    """
    if not isinstance(gold, str) or not isinstance(pred, str):
        return Equivalence(False, "empty", "an answer is not a string")
    if not gold.strip() or not pred.strip():
        return Equivalence(False, "empty", "an answer is empty")
    for who, answer in (("answer", pred), ("reference", gold)):
        if len(answer) > MAX_ANSWER_CHARS:
            return Equivalence(False, "refused",
                               f"{who} refused: longer than {MAX_ANSWER_CHARS} characters")
    if canonical_answer(gold) == canonical_answer(pred) != "":
        return Equivalence(True, "string", "same canonical form")
    for who, answer in (("answer", pred), ("reference", gold)):
        refused = screen_expression(_strip_math_delimiters(answer))
        if refused:
            return Equivalence(False, "refused", f"{who} refused: {refused}")
    outcome = run_bounded(_WORKER_FUNC, _strip_math_delimiters(gold),
                          _strip_math_delimiters(pred), timeout=timeout)
    if outcome.error == "startup":
        # an environment problem, not the answer's fault: never turn it into a verdict
        raise WorkerStartupError(f"cannot compare math answers: {outcome.message}")
    if not outcome.ok:
        kind: How = outcome.error if outcome.error in ("timeout", "memory", "crashed") else "error"
        return Equivalence(False, kind, outcome.message or kind)
    value: Any = outcome.value
    if not isinstance(value, dict) or not isinstance(value.get("equal"), bool):
        return Equivalence(False, "error", "malformed result from the comparison worker")
    return Equivalence(value["equal"], "sympy", str(value.get("reason", "")))


@dataclass(frozen=True)
class MathVerdict:
    """The verdict on one output: correctness, the extracted answer and an explanation."""

    correct: bool
    extracted: str | None
    method: Method
    how: How | None
    detail: str


def verify_math(output: str, target: str, *, strict: bool = False,
                timeout: float = DEFAULT_TIMEOUT, question: str | None = None) -> MathVerdict:
    """Judge ``output`` against the reference answer ``target`` (LaTeX).

    Args:
        output: A model's full output.
        target: The reference final answer, e.g. ``\\frac{14}{3}``.
        strict: Accept only a ``\\boxed{}`` answer (the format the prompt asks for).
        timeout: Seconds the symbolic comparison may take.
        question: The problem, to read an answer written as a sentence against it.
    """
    answer = extract_math_answer(output, strict=strict, question=question)
    note = truncation_note(output, MAX_OUTPUT_CHARS)
    if answer.text is None:
        what = "no \\boxed{} answer found" if strict else "no final answer found"
        return MathVerdict(False, None, "none", None, what + note)
    eq = math_equal(target, answer.text, timeout=timeout)
    sign = "==" if eq.equal else "!="
    detail = f"{answer.text!r} ({answer.method}) {sign} {target!r} [{eq.how}"
    detail += f": {eq.reason}]" if eq.reason else "]"
    return MathVerdict(eq.equal, answer.text, answer.method, eq.how, detail + note)


async def verify_math_async(output: str, target: str, *, strict: bool = False,
                            timeout: float = DEFAULT_TIMEOUT,
                            question: str | None = None) -> MathVerdict:
    """:func:`verify_math` without blocking the running event loop."""
    return await asyncio.to_thread(verify_math, output, target, strict=strict, timeout=timeout,
                                   question=question)


# -- the part that runs inside the bounded worker -----------------------------------------------
def _warm_up() -> None:
    """Import and exercise the parser once, so the first timed comparison is fast."""
    _compare_in_worker("\\frac{1}{2}", "0.5")


def _compare_in_worker(gold: str, pred: str) -> dict[str, Any]:
    """Parse both answers and compare them with math-verify (its own timeouts disabled: they
    use ``signal.alarm``; the worker's deadline bounds the time instead)."""
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    config = [LatexExtractionConfig(), ExprExtractionConfig()]
    parsed_gold = parse(f"\\boxed{{{gold}}}", extraction_config=config, parsing_timeout=None)
    parsed_pred = parse(f"\\boxed{{{pred}}}", extraction_config=config, parsing_timeout=None)
    if not parsed_gold:
        return {"equal": False, "reason": "the reference could not be parsed"}
    if not parsed_pred:
        return {"equal": False, "reason": "the answer could not be parsed"}
    equal = bool(verify(parsed_gold, parsed_pred, timeout_seconds=None))
    return {"equal": equal, "reason": "equivalent" if equal else "not equivalent"}
