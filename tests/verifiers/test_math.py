"""The MATH-500 verifier: answer extraction, canonical forms, the screen and equivalence."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest
from sustain_verifiers.math import (
    MAX_ANSWER_CHARS,
    canonical_answer,
    extract_boxed,
    extract_math_answer,
    math_equal,
    screen_expression,
    verify_math,
    verify_math_async,
)

# -- extraction -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("so \\boxed{5}.", ["5"]),
        ("\\boxed{\\frac{1}{2}}", ["\\frac{1}{2}"]),
        ("\\boxed{\\frac{\\sqrt{3}}{2}}", ["\\frac{\\sqrt{3}}{2}"]),
        ("\\boxed{\\{1, 2\\}}", ["\\{1, 2\\}"]),
        ("\\boxed{\\left\\{ 1 \\right\\}}", ["\\left\\{ 1 \\right\\}"]),
        ("\\boxed{\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}}",
         ["\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}"]),
        ("first \\boxed{1} then \\boxed{2}", ["1", "2"]),
        ("\\fbox{7}", ["7"]),
        ("\\boxed {x^{2}}", ["x^{2}"]),
        ("$\\boxed 5$", ["5"]),
        ("\\boxed{unclosed \\frac{1}{2}", []),
        ("\\boxedx{3}", []),
        ("\\boxed{}", [""]),
    ],
)
def test_extract_boxed(text: str, expected: list[str]) -> None:
    assert extract_boxed(text) == expected


@pytest.mark.parametrize(
    ("output", "answer", "method"),
    [
        ("We get $x=3$, so the answer is $\\boxed{3}$.", "3", "boxed"),
        ("\\boxed{1} is wrong; the answer is \\boxed{\\dfrac{2}{3}}", "\\dfrac{2}{3}", "boxed"),
        ("Nested: \\boxed{\\frac{a^{2}}{b_{1}}}", "\\frac{a^{2}}{b_{1}}", "boxed"),
        ("Final Answer: The final answer is $\\frac{14}{3}$. I hope it is correct.",
         "\\frac{14}{3}", "final_answer_is"),
        ("The final answer is 42", "42", "final_answer_is"),
        ("Work...\nANSWER: 7", "7", "answer_line"),
        ("Work...\n**Final Answer:** $\\sqrt{2}$", "\\sqrt{2}", "answer_line"),
        ("Work...\nFinal answer:\n$(1, 2)$\n", "(1, 2)", "answer_line"),
        ("Thus the answer is $5$ apples.", "5", "answer_is"),
        ("So the answer is 12. We are done.", "12", "answer_is"),
        ("Answer: 3.5", "3.5", "answer_line"),
        ("\\frac{1}{2}", "\\frac{1}{2}", "bare"),
        ("$-\\sqrt{3}$", "-\\sqrt{3}", "bare"),
        ("We compute many things.\nThen more things.\nNo conclusion here.", None, "none"),
        ("", None, "none"),
    ],
)
def test_extract_math_answer(output: str, answer: str | None, method: str) -> None:
    found = extract_math_answer(output)
    assert (found.text, found.method) == (answer, method)


HANDSHAKES = "At a party each of 8 people shakes hands once with every other. How many handshakes?"


@pytest.mark.parametrize(
    ("output", "question", "answer", "method"),
    [
        # a marker followed by a sentence: its number, read against the question
        ("We count pairs.\nThe answer is: there are 28 handshakes among the 8 people.",
         HANDSHAKES, "28", "answer_is"),
        ("Work.\nAnswer: The 8 people make 28 handshakes in total.", HANDSHAKES, "28",
         "answer_line"),
        # no marker: a concluding sentence states the answer (math first, else its number)
        ("Each pair is counted once, over many lines of work\nwith $x = 3$.\n"
         "Therefore, the number of handshakes is $28$.", HANDSHAKES, "28", "conclusion"),
        ("Many lines of work, with $x = 3$ and more.\nSo the total number of handshakes is "
         "28 for the 8 people.", HANDSHAKES, "28", "conclusion"),
        ("Many lines of work, with $x = 3$ and more.\nThus $\\frac{3}{4}$ of them remain.",
         None, "\\frac{3}{4}", "conclusion"),
        # a last sentence that concludes nothing is still no answer
        ("Many lines of work, with $x = 3$ and more.\nWe get 28 once we count all 8 people.",
         HANDSHAKES, None, "none"),
    ],
)
def test_sentence_answers_without_boxed(output: str, question: str | None, answer: str | None,
                                        method: str) -> None:
    found = extract_math_answer(output, question=question)
    assert (found.text, found.method) == (answer, method)


def test_verify_math_reads_sentence_answers_with_the_question() -> None:
    output = "The answer is: there are 28 handshakes among the 8 people."
    assert verify_math(output, "28", question=HANDSHAKES).correct
    assert not verify_math(output, "28", strict=True, question=HANDSHAKES).correct


def test_strict_extraction_accepts_only_boxed() -> None:
    assert extract_math_answer("The final answer is $5$.", strict=True).text is None
    assert extract_math_answer("ANSWER: 5", strict=True).text is None
    assert extract_math_answer("so \\boxed{5}", strict=True).text == "5"


def test_extraction_handles_huge_and_unbalanced_outputs() -> None:
    """How fast: tests/perf/bench_math_verify.py (the same three outputs)."""
    assert extract_math_answer("\\boxed{" * 30_000).method in ("none", "bare")
    assert extract_math_answer("x" * 200_000 + "\\boxed{4}").text == "4"
    assert extract_math_answer("}" * 200_000 + "{" * 200_000).text is None


# -- canonical forms and the screen -------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("\\dfrac{1}{2}", "\\frac{1}{2}"),
        ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})"),
        ("10,\\!080", "10,080"),
        ("90^\\circ", "90"),
        ("90^{\\circ}", "90"),
        ("\\text{(C)}", "C"),
        ("(c)", "C"),
        ("\\text{Evelyn}", "evelyn"),
        ("\\text{Yes}", "yes"),
        ("\\$18.90", "18.90"),
        ("$\\frac{3}{4}$", "\\frac{3}{4}"),
        ("{5}", "5"),
        ("5.", "5"),
    ],
)
def test_canonical_answer_equal(a: str, b: str) -> None:
    assert canonical_answer(a) == canonical_answer(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("x", "X"), ("xy", "XY"), ("\\frac{1}{2}", "\\frac{2}{1}"), ("(1,2)", "[1,2]"),
     ("12", "1,2"), ("-1", "1")],
)
def test_canonical_answer_keeps_meaningful_differences(a: str, b: str) -> None:
    assert canonical_answer(a) != canonical_answer(b)


@pytest.mark.parametrize(
    "answer",
    [
        "9^{9^{9}}",
        "2^{2^{2^{2}}}",
        "e^{e^{e^{e}}}",
        "3^{100000000}",
        "3**100000000",
        "\\sqrt{10^{10^{10}}}",
        "1000000!",
        "(" * 11 + "1" + ")" * 11,
        "\\frac{" * 12 + "1" + "}{2}" * 12,
        "1+" * 600 + "1",
        # bracketed bases, bracketed exponents and Python spellings
        "(3)^{123456789}",
        "\\left(3\\right)^{123456789}",
        "{3}^{123456789}",
        "3^(123456789)",
        "(3)**(123456789)",
        "3 ** 123456789",
        "(1+x)^{100000}",
        "(1+x)^{1000}",
        "x^{2000}",
        "\\sum_{k=1}^{1000} k^{1000}",
        "x^{100000000}+1",
        "(x+1)^{10000}-(x-1)^{10000}",
        "\\left(\\frac{2}{3}\\right)^{10^{9}}",
        "(10^{999})^{(10^{999})}",
        "x^{10^{20}}",
        "2^{1000 \\cdot 1000 \\cdot 1000}",
        "10**9999**9",
        # binomials, factorials, Gamma, products and sums with huge literals
        "\\binom{10^{9000}}{10^{4000}}",
        "\\binom{1000000000}{500000000}",
        "\\dbinom{100000}{50000}",
        "{10^{9} \\choose 10^{8}}",
        "\\binom{n}{1000000000}",
        "(10^{9})!",
        "\\left(100000\\right)!",
        "\\Gamma(10^{9})",
        "\\prod_{k=1}^{100000000} k",
        "\\sum_{k=1}^{10^{12}} k^2",
    ],
)
def test_screen_refuses_hostile_answers(answer: str) -> None:
    assert screen_expression(answer) is not None


@pytest.mark.parametrize(
    "answer",
    ["2^{2005}", "e^{x^2}", "10^{100}", "2009!", "\\frac{\\sqrt{3}}{2}", "(-\\infty, 0]",
     "\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}", "x^5 - x^4 + x^3 - x^2 + x - 1",
     "(3)^{2005}", "\\left(\\frac{2}{3}\\right)^{2005}", "(1+x)^{100}", "x^{1000}", "x^{2n+1}",
     "\\binom{2007}{1003}", "\\binom{n}{2}", "(2n)!", "\\sum_{k=1}^{100} k^2",
     "\\frac{1}{2^{2005}}", "2516_8", "4210_{5}", "90^\\circ", "e^{-x^2/2}", "3**2005",
     "[0, 1) \\cup (2, 3]", "\\{1\\pm\\sqrt{5},-2\\}", "10,\\!080", "5!!", "x^{\\frac{1}{2}}"],
)
def test_screen_accepts_ordinary_answers(answer: str) -> None:
    assert screen_expression(answer) is None


def test_screen_passes_every_math500_answer(data_dir: Path) -> None:
    """No legitimate answer is refused: the 500 targets and every boxed answer of the
    reference solutions."""
    answers: list[str] = []
    for line in (data_dir / "math500" / "test.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        answers.append(record["answer"])
        answers.extend(extract_boxed(record["solution"]))
    assert len(answers) >= 1000
    refused = {a: screen_expression(a) for a in answers if screen_expression(a) is not None}
    assert refused == {}


def test_overlong_answers_are_refused_without_parsing() -> None:
    eq = math_equal("5", "5" + " " * MAX_ANSWER_CHARS)
    assert not eq.equal
    assert eq.how == "refused"


# -- equivalence: (gold, model output, expected) ------------------------------------------------
# Outputs imitate how models end their solutions: boxed LaTeX in its many spellings, Minerva-style
# "The final answer is", "ANSWER:" lines, bare answers, decimals, units, degrees, text answers.

CASES: list[tuple[str, str, bool]] = [
    # numbers and formatting
    ("5", "Thus $x = 5$, so the answer is $\\boxed{5}$.", True),
    ("5", "\\boxed{5.0}", True),
    ("5", "\\boxed{6}", False),
    ("-3", "\\boxed{-3}", True),
    ("-3", "\\boxed{3}", False),
    ("10,\\!080", "\\boxed{10080}", True),
    ("10,\\!080", "\\boxed{10,080}", True),
    ("10,\\!080", "\\boxed{10,800}", False),
    ("11,\\! 111,\\! 111,\\! 100", "The final answer is $11111111100$.", True),
    ("0.25", "\\boxed{\\frac{1}{4}}", True),
    ("0.25", "\\boxed{.25}", True),
    ("0.25", "\\boxed{0.2}", False),
    # fractions
    ("\\frac{14}{3}", "\\boxed{\\dfrac{14}{3}}", True),
    ("\\frac{14}{3}", "\\boxed{14/3}", True),
    ("\\frac{14}{3}", "\\boxed{4\\frac{2}{3}}", True),  # a mixed number, as MATH writes them
    ("\\frac{14}{3}", "\\boxed{\\frac{3}{14}}", False),
    ("\\frac{1}{2}", "Final Answer: The final answer is $\\frac12$. I hope it is correct.", True),
    ("\\frac{1}{2}", "\\boxed{0.5}", True),
    ("\\frac{1}{3}", "\\boxed{0.333}", False),
    ("\\frac{270}7\\text{ degrees}", "\\boxed{\\frac{270}{7}}", True),
    # radicals and constants
    ("2\\sqrt{2}", "\\boxed{\\sqrt{8}}", True),
    ("2\\sqrt{2}", "\\boxed{2\\sqrt2}", True),
    ("2\\sqrt{2}", "\\boxed{\\sqrt{2}}", False),
    ("\\frac{\\sqrt{3}}{2}", "\\boxed{\\frac{1}{2}\\sqrt{3}}", True),
    ("\\frac{\\sqrt{3}}{2}", "\\boxed{\\frac{\\sqrt{2}}{2}}", False),
    ("3 \\pm 2 \\sqrt{2}", "\\boxed{3+2\\sqrt{2}, 3-2\\sqrt{2}}", True),
    ("3 \\pm 2 \\sqrt{2}", "\\boxed{3+2\\sqrt{2}}", False),
    ("\\pi", "\\boxed{\\pi}", True),
    ("2\\pi", "\\boxed{\\pi}", False),
    ("6 - 5i", "\\boxed{6-5i}", True),
    ("6 - 5i", "\\boxed{6+5i}", False),
    # intervals
    ("(-2,1)", "\\boxed{(-2, 1)}", True),
    ("(-2,1)", "\\boxed{[-2, 1]}", False),
    ("(-\\infty, 0]", "\\boxed{(-\\infty,0]}", True),
    ("(-\\infty, 0]", "\\boxed{(-\\infty,0)}", False),
    ("(-\\infty, 2) \\cup (3, \\infty)", "\\boxed{(-\\infty,2)\\cup(3,\\infty)}", True),
    ("(-\\infty, 2) \\cup (3, \\infty)", "\\boxed{(-\\infty,3)\\cup(2,\\infty)}", False),
    ("x \\in [-2,7]", "\\boxed{[-2,7]}", True),
    ("\\left[ \\frac{\\pi^2}{8}, \\frac{5 \\pi^2}{4} \\right]",
     "\\boxed{\\left[\\frac{\\pi^{2}}{8},\\frac{5\\pi^{2}}{4}\\right]}", True),
    # tuples, points and sets
    ("\\left( 3, \\frac{\\pi}{2} \\right)", "\\boxed{(3, \\pi/2)}", True),
    ("\\left( 3, \\frac{\\pi}{2} \\right)", "\\boxed{(\\frac{\\pi}{2}, 3)}", False),
    ("(6,31,-1)", "ANSWER: (6, 31, -1)", True),
    ("(6,31,-1)", "ANSWER: (6, -1, 31)", False),
    ("-2, 1", "\\boxed{1, -2}", True),
    ("-2, 1", "\\boxed{-2}", False),
    ("\\{1\\pm\\sqrt{5},-2\\}", "\\boxed{-2, 1+\\sqrt{5}, 1-\\sqrt{5}}", True),
    # matrices and vectors
    ("\\begin{pmatrix} 1/5 \\\\ -18/5 \\end{pmatrix}",
     "\\boxed{\\begin{pmatrix} \\frac{1}{5} \\\\ -\\frac{18}{5} \\end{pmatrix}}", True),
    ("\\begin{pmatrix} 1/5 \\\\ -18/5 \\end{pmatrix}",
     "\\boxed{\\begin{pmatrix} 0.2 \\\\ -3.6 \\end{pmatrix}}", True),
    ("\\begin{pmatrix} 1/5 \\\\ -18/5 \\end{pmatrix}",
     "\\boxed{\\begin{pmatrix} -18/5 \\\\ 1/5 \\end{pmatrix}}", False),
    ("\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}",
     "\\boxed{\\begin{bmatrix} -1 & 0 \\\\ 0 & -1 \\end{bmatrix}}", True),
    # expressions and equations
    ("x^2+2x+1", "\\boxed{(x+1)^2}", True),
    ("x^2+2x+1", "\\boxed{(x-1)^2}", False),
    ("5", "\\boxed{x = 5}", True),
    ("y = -\\frac{5}{2}x + 5", "\\boxed{y=-\\frac52 x+5}", True),
    ("y = -\\frac{5}{2}x + 5", "\\boxed{y=\\frac52 x+5}", False),
    # percentages, degrees, money, units, bases
    ("25\\%", "\\boxed{25}", True),
    ("25\\%", "\\boxed{0.25}", True),
    ("25\\%", "\\boxed{20\\%}", False),
    ("0.25", "\\boxed{25\\%}", True),  # math-verify's percentage rule, documented
    ("25", "\\boxed{0.25}", False),
    ("90^\\circ", "\\boxed{90}", True),
    ("90^\\circ", "\\boxed{90^{\\circ}}", True),
    ("90^\\circ", "\\boxed{45^\\circ}", False),
    ("\\$18.90", "\\boxed{\\$18.90}", True),
    ("\\$18.90", "\\boxed{18.9}", True),
    ("5.4 \\text{ cents}", "\\boxed{5.4}", True),
    ("4210_{5}", "\\boxed{4210_5}", True),
    # text answers and choices
    ("\\text{Evelyn}", "\\boxed{\\text{Evelyn}}", True),
    ("\\text{Evelyn}", "The answer is Evelyn.", True),
    ("\\text{Evelyn}", "\\boxed{\\text{Navin}}", False),
    ("\\text{east}", "\\boxed{\\text{East}}", True),
    ("\\text{(C)}", "\\boxed{C}", True),
    ("\\text{(C)}", "\\boxed{(C)}", True),
    ("\\text{(C)}", "\\boxed{\\textbf{(C)}}", True),
    ("\\text{(C)}", "\\boxed{(B)}", False),
    # no answer, or only an intermediate result
    ("5", "We have $x = 5$ from the first step.\nThen the rest follows.", False),
    ("5", "", False),
]


def test_the_case_table_is_large_and_balanced() -> None:
    assert len(CASES) >= 60
    assert sum(expected for *_, expected in CASES) >= 25
    assert sum(not expected for *_, expected in CASES) >= 25


@pytest.mark.parametrize(("gold", "output", "expected"), CASES)
def test_verify_math_case_table(gold: str, output: str, expected: bool) -> None:
    verdict = verify_math(output, gold)
    assert verdict.correct is expected, verdict.detail


def test_verdict_detail_says_how() -> None:
    v = verify_math("\\boxed{\\dfrac{1}{2}}", "\\frac12")
    assert v.correct
    assert v.extracted == "\\dfrac{1}{2}"
    assert v.method == "boxed"
    assert "boxed" in v.detail
    assert v.how in ("string", "sympy")
    miss = verify_math("no answer in this long rambling text at all, really none whatsoever", "1")
    assert not miss.correct
    assert miss.extracted is None
    assert "no final answer" in miss.detail
    strict = verify_math("The final answer is $1$.", "1", strict=True)
    assert not strict.correct
    assert "boxed" in strict.detail


def test_math_equal_reports_the_path() -> None:
    assert math_equal("\\frac{1}{2}", "\\dfrac{1}{2}").how == "string"
    eq = math_equal("\\frac{1}{2}", "0.5")
    assert (eq.equal, eq.how) == (True, "sympy")
    assert math_equal("", "1").how == "empty"


# -- threads and event loops ----------------------------------------------------------------------


def test_verify_works_inside_a_running_event_loop() -> None:
    async def main() -> tuple[bool, bool]:
        sync_inside_loop = verify_math("\\boxed{\\sqrt{8}}", "2\\sqrt{2}").correct
        verdicts = await asyncio.gather(
            *(verify_math_async(f"\\boxed{{{i}/2}}", f"\\frac{{{i}}}{{2}}") for i in range(1, 7)))
        return sync_inside_loop, all(v.correct for v in verdicts)

    assert asyncio.run(main()) == (True, True)


def test_verify_works_from_many_threads() -> None:
    results: list[bool] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        ok = verify_math(f"The final answer is $\\frac{{{2 * i}}}{{4}}$.", f"{i}/2").correct
        with lock:
            results.append(ok)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [True] * 8
