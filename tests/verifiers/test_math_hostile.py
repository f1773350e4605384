"""Hostile answers are judged wrong by a bounded mechanism and never hang or break the run.

What is checked here is how each verdict was reached (refused by the screen, decided by sympy,
cut at the worker's deadline) rather than how long it took: a timed assertion fails at random
on a loaded machine. The timings are measured by ``tests/perf/bench_math_verify.py``, which
also runs every answer of this module; a hang is caught by the suite's per-test timeout.
"""

from __future__ import annotations

import pytest
import sustain_verifiers.math as math_module
from sustain_verifiers.math import math_equal, verify_math

SCREENED_OR_FAST = {
    "power tower": "9^{9^{9^{9}}}",
    "short power tower": "9^{9^{9}}",
    "two-level tower": "2^{2^{2^{2^{2}}}}",
    "huge literal power": "3^{100000000}",
    "python power": "3**100000000",
    "nested huge root": "\\sqrt{10^{10^{10}}}",
    "huge factorial": "1000000000!",
    "thousands of parentheses": "(" * 3000 + "1" + ")" * 3000,
    "thousands of braces": "{" * 3000 + "1" + "}" * 3000,
    "nested fractions": "\\frac{" * 40 + "1" + "}{2}" * 40,
    "200 kB sum": "1+" * 100_000 + "1",
    "200 kB of x": "x" * 200_000,
    "division by zero": "\\frac{1}{0}",
    "zero over zero": "\\frac{0}{0}",
    "python division by zero": "1/0",
    "infinity minus infinity": "\\infty - \\infty",
    "zero to the zero": "0^0",
    "unbalanced": "\\frac{1}{",
    "only closers": "}" * 5000,
    "control characters": "\x00\x01\x02\u202e5",
    "undefined macro": "\\foo{\\bar{\\baz}}",
    "huge symbolic exponent": "x^{100000000}+1",
}

# Cheap to recognise, expensive to evaluate: refused by the screen, never sent to a worker.
SCREENED = {
    "bracketed base": "(3)^{123456789}",
    "left-right base": "\\left(3\\right)^{123456789}",
    "bracketed exponent": "3^(123456789)",
    "python bracketed power": "(3)**(123456789)",
    "polynomial power": "(1+x)^{100000}",
    "polynomial blow-up": "(x+1)^{10000}-(x-1)^{10000}",
    "huge binomial": "\\binom{1000000000}{500000000}",
    "binomial of powers": "\\binom{10^{9000}}{10^{4000}}",
    "power of powers": "(10^{999})^{(10^{999})}",
    "huge product": "\\prod_{k=1}^{100000000} k",
    "factorial of a power": "(10^{9})!",
    "Gamma of a power": "\\Gamma(10^{9})",
}

# Pass the screen but take sympy long: cut at the timeout.
TIMEOUT_PATH = {
    "three-variable expansion": "(x+y+1)^{100}",
}


# Whole outputs (not one boxed answer) that are hard to read an answer from.
WHOLE_OUTPUTS = {
    "30000 unclosed boxed": "\\boxed{" * 30_000,
    "200 kB of dollar signs": "$" * 200_000,
    "marker then 100k parentheses": "The final answer is " + "(" * 100_000,
    "marker then a 5000-level tower": "ANSWER: " + "9^{" * 5000 + "9" + "}" * 5000,
}


@pytest.mark.parametrize("answer", SCREENED_OR_FAST.values(), ids=SCREENED_OR_FAST.keys())
def test_hostile_answer_is_wrong(answer: str) -> None:
    verdict = verify_math(f"The result is \\boxed{{{answer}}}", "5")
    assert not verdict.correct
    # refused by the screen, compared by sympy within the worker's deadline (or cut at it),
    # or no final answer at all: never an error
    assert verdict.how in ("refused", "sympy", "timeout", None), verdict.detail


@pytest.mark.parametrize("answer", SCREENED.values(), ids=SCREENED.keys())
def test_costly_answer_is_refused_without_a_worker(answer: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def no_worker(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"sent to a worker: {args[:3]}")

    monkeypatch.setattr(math_module, "run_bounded", no_worker)
    eq = math_equal("5", answer)
    assert (eq.equal, eq.how) == (False, "refused"), eq


@pytest.mark.slow
@pytest.mark.parametrize("answer", TIMEOUT_PATH.values(), ids=TIMEOUT_PATH.keys())
def test_runaway_algebra_is_cut_at_the_timeout(answer: str) -> None:
    eq = math_equal("5", answer, timeout=1.0)
    assert not eq.equal
    assert eq.how in ("timeout", "memory", "sympy", "crashed"), eq


@pytest.mark.parametrize("output", WHOLE_OUTPUTS.values(), ids=WHOLE_OUTPUTS.keys())
def test_hostile_whole_output_is_wrong(output: str) -> None:
    assert not verify_math(output, "5").correct


@pytest.mark.slow
def test_the_run_continues_after_hostile_answers() -> None:
    assert math_equal("5", "(x+y+1)^{100}", timeout=0.5).how in ("timeout", "sympy")
    assert math_equal("\\frac{1}{2}", "0.5").equal
    assert math_equal("2\\sqrt{2}", "\\sqrt{8}").equal
