"""Hostile answers are judged wrong within a few seconds and never hang or break the run.

The bounds here are generous (the machine may be loaded); the tight figures are measured by
``tests/perf/bench_math_verify.py``.
"""

from __future__ import annotations

import time

import pytest
from sustain_verifiers.math import math_equal, verify_math

BOUND_SECONDS = 20.0

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


@pytest.mark.parametrize("answer", SCREENED_OR_FAST.values(), ids=SCREENED_OR_FAST.keys())
def test_hostile_answer_is_wrong_quickly(answer: str) -> None:
    start = time.perf_counter()
    verdict = verify_math(f"The result is \\boxed{{{answer}}}", "5")
    assert not verdict.correct
    assert time.perf_counter() - start < BOUND_SECONDS, verdict.detail


@pytest.mark.parametrize("answer", SCREENED.values(), ids=SCREENED.keys())
def test_costly_answer_is_refused_without_a_worker(answer: str) -> None:
    start = time.perf_counter()
    eq = math_equal("5", answer)
    assert (eq.equal, eq.how) == (False, "refused"), eq
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("answer", TIMEOUT_PATH.values(), ids=TIMEOUT_PATH.keys())
def test_runaway_algebra_is_cut_at_the_timeout(answer: str) -> None:
    start = time.perf_counter()
    eq = math_equal("5", answer, timeout=1.0)
    assert not eq.equal
    assert eq.how in ("timeout", "memory", "sympy", "crashed"), eq
    assert time.perf_counter() - start < BOUND_SECONDS


def test_hostile_whole_outputs_are_handled() -> None:
    outputs = [
        "\\boxed{" * 30_000,
        "$" * 200_000,
        "The final answer is " + "(" * 100_000,
        "ANSWER: " + "9^{" * 5000 + "9" + "}" * 5000,
    ]
    for output in outputs:
        start = time.perf_counter()
        assert not verify_math(output, "5").correct
        assert time.perf_counter() - start < BOUND_SECONDS


def test_the_run_continues_after_hostile_answers() -> None:
    assert math_equal("5", "(x+y+1)^{100}", timeout=0.5).how in ("timeout", "sympy")
    assert math_equal("\\frac{1}{2}", "0.5").equal
    assert math_equal("2\\sqrt{2}", "\\sqrt{8}").equal
