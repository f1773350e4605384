"""lm-eval and Inspect give the same verdicts on the same completions, for every benchmark.

The completions are replayed through lm-eval (``sustain-replay`` via the Python API, so the
real filters and ``process_results`` run) and scored by the Inspect scorer's
``score_record`` on the same items and constraints. ``flexible-extract`` must agree with the
Inspect verdicts (accuracy, F1, compliance); ``strict-match`` with ``verify_strict``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from sustain_tasks.benchmarks import Item, get_benchmark
from sustain_tasks.lm_eval import register_models, task_manager
from sustain_tasks.lm_eval.adapter import (
    INVALID,
    build_docs,
    flexible_extract,
    process_results,
    strict_match,
)

pytestmark = [pytest.mark.lm_eval, pytest.mark.inspect]

PADDING = " ".join(["Let me double check every step of this once more."] * 40)
"""Makes an output long and wordy: breaks most length and lexical constraints."""

NOISE = f"# Check\n\n- **{PADDING}**\n- Again, and again; here, there, everywhere.\n\n"
"""A heading, a list, bold text, commas and many words: breaks most format constraints too."""


# -- completions, per benchmark --------------------------------------------------------------

def _gsm8k(item: Item, kind: int) -> str:
    """Right, right in another format, wrong, empty, long, boxed."""
    reference, target = item.reference, item.target
    body = reference.rpartition("####")[0].rstrip()
    return [
        reference,
        f"{body}\nThe answer is {target}.",
        re.sub(r"#### .*$", f"#### {int(target) + 1}", reference),
        "",
        f"{PADDING}\n\n{reference}, I am sure; here, there, everywhere",
        f"So the result is $\\boxed{{{target}}}$",
    ][kind % 6]


def _rebox(reference: str, answer: str) -> str:
    """``reference`` with its last ``\\boxed{...}`` holding ``answer``."""
    from sustain_verifiers.math import extract_boxed

    old = "\\boxed{" + extract_boxed(reference)[-1] + "}"
    head, sep, tail = reference.rpartition(old)
    assert sep
    return head + "\\boxed{" + answer + "}" + tail


def math_equivalent(target: str) -> str:
    """The same value written another way: a fraction as a decimal (or ``a/b``), an integer
    as a fraction; anything else in an extra pair of braces."""
    frac = re.fullmatch(r"(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}", target.strip())
    if frac:
        value = Fraction(int(frac.group(2)), int(frac.group(3)))
        if frac.group(1):
            value = -value
        denominator = value.denominator
        for p in (2, 5):
            while denominator % p == 0:
                denominator //= p
        if denominator == 1:  # a terminating decimal
            return str(float(value))
        return f"{value.numerator}/{value.denominator}"
    if re.fullmatch(r"-?\d+", target.strip()):
        n = int(target)
        return f"\\frac{{{2 * n}}}{{2}}"
    return "{" + target + "}"


def _math500(item: Item, kind: int) -> str:
    """Right, equivalent but written differently, wrong, empty, long, unboxed with a marker,
    no final answer at all."""
    reference, target = item.reference, item.target
    return [
        reference,
        _rebox(reference, math_equivalent(target)),
        _rebox(reference, "12345"),
        "",
        f"{NOISE}{reference}",
        f"{reference.replace(chr(92) + 'boxed', '')}\nThe final answer is ${target}$.",
        re.sub(r"\\boxed\{", "{", reference).replace("answer is", "result:"),
    ][kind % 7]


def _hotpotqa(item: Item, kind: int) -> str:
    """Right, other casing and an article, wrong, empty, long, no Answer line, the answer in
    prose, a partly right answer."""
    reasoning = item.reference.rpartition("Answer:")[0].rstrip()
    target = item.target
    first = target.split()[0]
    return [
        item.reference,
        f"{reasoning}\nAnswer: The {target.upper()}.",
        f"{reasoning}\nAnswer: Nobody at all",
        "",
        f"{PADDING}\n\n{item.reference}",
        reasoning,
        f"{reasoning} So the answer is {target}. I am fairly sure.",
        f"{reasoning}\nAnswer: {first} Smith-Jones",
    ][kind % 8]


def _code(item: Item, kind: int) -> str:
    """The reference; unfenced inside prose; a wrong function; no code; the reference with a
    print call; a bare body (HumanEval) or a later usage-example block (MBPP)."""
    code = item.reference.removeprefix("```python\n").removesuffix("\n```")
    entry = item.metadata["entry_point"]
    if item.id.startswith("HumanEval/"):
        last = code[len(item.question):]  # the body continuing the prompt
    else:
        last = f"{item.reference}\n\nUsage:\n```python\nprint({entry}())\n```"
    return [
        item.reference,
        f"Here is my solution:\n\n{code}\n\nIt handles every case.",
        f"```python\ndef {entry}(*args, **kwargs):\n    return None\n```",
        "I am not able to solve this.",
        f"```python\n{code}\nprint('loaded')\n```",
        last,
    ][kind % 6]


COMPLETIONS: dict[str, Callable[[Item, int], str]] = {
    "gsm8k": _gsm8k, "math500": _math500, "hotpotqa": _hotpotqa, "humaneval": _code,
    "mbpp": _code}
N_DOCS = {"gsm8k": 36, "math500": 28, "hotpotqa": 32, "humaneval": 24, "mbpp": 24}


def _score(bench_name: str, item: Item, plain: str, constrained: str | None,
           constraints: list[dict[str, Any]]) -> Any:
    from sustain_tasks._inspect.scorer import score_record

    record: dict[str, Any] = {"mode": "reference", "plain_output": plain,
                              "constraints": constraints}
    if constrained is not None:
        record |= {"second_variant": "constrained", "second_output": constrained}
    return score_record(get_benchmark(bench_name), record, item.target, item)


# -- through a real lm-eval run --------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("bench_name", list(COMPLETIONS))
def test_lm_eval_and_inspect_verdicts_agree(local_data: Path, tmp_path: Path, bench_name: str,
                                            bench_items: dict[str, list[Item]]) -> None:
    import lm_eval

    bench = get_benchmark(bench_name)
    n_docs = N_DOCS[bench_name]
    make = COMPLETIONS[bench_name]
    items = bench_items[bench_name]
    constrained_docs = build_docs(bench_name, "constrained")[:n_docs]
    order = {item.id: n for n, item in enumerate(items)}
    ids = sorted({d["id"] for d in constrained_docs} | {item.id for item in items[:n_docs]},
                 key=order.__getitem__)
    by_id = {item.id: item for item in items}
    outputs: dict[tuple[str, str], str] = {}
    for n, item_id in enumerate(ids):
        outputs[(item_id, "plain")] = make(by_id[item_id], n)
        outputs[(item_id, "constrained")] = make(by_id[item_id], n + 3)
    path = tmp_path / "outputs.jsonl"
    path.write_text("".join(json.dumps({"id": i, "variant": v, "output": o}) + "\n"
                            for (i, v), o in outputs.items()))

    register_models()
    result = lm_eval.simple_evaluate(
        model="sustain-replay", model_args={"outputs": str(path), "model": "replay"},
        tasks=[f"sustain_{bench_name}"], task_manager=task_manager(), limit=n_docs,
        log_samples=True, bootstrap_iters=0, confirm_run_unsafe_code=True)
    assert result is not None
    samples: dict[str, list[dict[str, Any]]] = result["samples"]

    lm: dict[tuple[str, str, str], dict[str, Any]] = {}
    for task, lines in samples.items():
        variant = task.rpartition("_")[2]
        assert len(lines) == 2 * n_docs
        for line in lines:
            assert line["resps"][0][0] == outputs[(line["doc"]["id"], variant)]
            lm[(line["doc"]["id"], variant, line["filter"])] = line

    seen: dict[str, set[Any]] = {"plain": set(), "constrained": set(), "compliant": set(),
                                 "f1": set(), "strict": set(), "sympy": set()}
    compared = 0
    for doc in constrained_docs:
        item_id = doc["id"]
        if (item_id, "plain", "flexible-extract") not in lm:
            continue  # an item past the plain task's limit
        compared += 1
        item = by_id[item_id]
        plain_out = outputs[(item_id, "plain")]
        constrained_out = outputs[(item_id, "constrained")]
        score = _score(bench_name, item, plain_out, constrained_out, doc["constraints"])
        value = score.value
        assert isinstance(value, dict)
        plain_line = lm[(item_id, "plain", "flexible-extract")]
        con_line = lm[(item_id, "constrained", "flexible-extract")]
        assert plain_line["acc"] == value["plain"], (item_id, plain_out)
        assert con_line["acc"] == value["constrained"], (item_id, constrained_out)
        assert con_line["compliance"] == value["compliant"], (item_id, doc["constraints"])
        assert con_line["compliance_loose"] == value["compliant_loose"]
        assert plain_line["filtered_resps"] == [score.answer or INVALID]
        assert con_line["filtered_resps"] == [
            score.metadata["constrained_extracted"] or INVALID]
        if bench.graded:
            assert plain_line["f1"] == pytest.approx(value["plain_f1"])
            assert con_line["f1"] == pytest.approx(value["constrained_f1"])
            seen["f1"].add(round(plain_line["f1"], 3))
        else:
            assert "f1" not in plain_line
            assert "f1" not in con_line
        # strict-match judges with verify_strict; compliance is the same under both filters
        for variant, output in (("plain", plain_out), ("constrained", constrained_out)):
            strict_line = lm[(item_id, variant, "strict-match")]
            verdict = bench.verify_strict(output, item.target, item)
            assert strict_line["acc"] == float(verdict.correct), (item_id, variant, output)
            assert strict_line["filtered_resps"] == [verdict.extracted or INVALID]
            if bench.graded:
                assert strict_line["f1"] == pytest.approx(verdict.score)
            seen["strict"].add(strict_line["acc"])
            if bench_name == "math500":
                from sustain_verifiers.math import verify_math

                symbolic = verify_math(output, item.target)
                if symbolic.how == "sympy":
                    seen["sympy"].add(float(symbolic.correct))
        assert lm[(item_id, "constrained", "strict-match")]["compliance"] == con_line[
            "compliance"]
        seen["plain"].add(value["plain"])
        seen["constrained"].add(value["constrained"])
        seen["compliant"].add(value["compliant"])
    assert compared >= n_docs // 2
    # the completions exercise both verdicts of every key
    for key in ("plain", "constrained", "compliant", "strict"):
        assert seen[key] == {0.0, 1.0}, key
    if bench.graded:
        assert {0.0, 1.0} < seen["f1"], "no partly right answer"
    if bench_name == "math500":
        assert seen["sympy"] == {0.0, 1.0}, "no answer was judged symbolically both ways"
    strict = [lm[(i, "plain", "strict-match")]["acc"] for i in ids
              if (i, "plain", "strict-match") in lm]
    flexible = [lm[(i, "plain", "flexible-extract")]["acc"] for i in ids
                if (i, "plain", "flexible-extract") in lm]
    assert sum(strict) < sum(flexible)


# -- hand-picked cases through the filters and process_results -------------------------------

CASES: list[tuple[str, str, str, bool, bool]] = [
    # (benchmark, target, output, flexible correct, strict correct)
    ("math500", "\\frac{1}{2}", "So $x = \\boxed{0.5}$.", True, True),
    ("math500", "0.5", "Hence \\boxed{\\frac{1}{2}}.", True, True),
    ("math500", "\\frac{1}{2}", "Hence \\boxed{\\dfrac12}.", True, True),
    ("math500", "\\frac{1}{2}", "The final answer is $\\frac{2}{4}$. I hope it is correct.",
     True, False),
    ("math500", "3\\sqrt{13}", "\\boxed{\\sqrt{117}}", True, True),
    ("math500", "(3, \\frac{\\pi}{2})", "\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}", True,
     True),
    ("math500", "\\frac{1}{2}", "\\boxed{0.6}", False, False),
    ("math500", "\\frac{1}{2}", "I computed 1/2 along the way.\nNothing else to add here.",
     False, False),
    ("math500", "5", "", False, False),
    ("hotpotqa", "Denise Levertov", "Both are poets.\nAnswer: Denise Levertov", True, True),
    ("hotpotqa", "Denise Levertov", "Both are poets.\nAnswer: DENISE LEVERTOV.", True, True),
    ("hotpotqa", "The Weeknd", "He is a singer.\nAnswer: Weeknd", True, True),
    ("hotpotqa", "Weeknd", "He is a singer.\nanswer: the weeknd", True, True),
    ("hotpotqa", "yes", "Both are American.\nAnswer: Yes.", True, True),
    ("hotpotqa", "yes", "Both are American.\nAnswer: no", False, False),
    ("hotpotqa", "Denise Levertov", "Both are poets, so the answer is Denise Levertov.", True,
     False),
    ("hotpotqa", "Denise Levertov", "Answer: Denise Levertov\nI am sure about it.", True,
     False),
    ("hotpotqa", "Denise Levertov", "Both are poets and one of them was born in 1923.",
     False, False),
    ("hotpotqa", "Denise Levertov", "Answer: Levertov", False, False),
]


def _case_doc(bench_name: str, target: str, variant: str) -> dict[str, Any]:
    constraints = ([{"kind": "length:max_words", "params": {"limit": 20},
                     "text": "Answer in fewer than 20 words."}] if variant == "constrained"
                   else [])
    return {"id": "case", "task": bench_name, "variant": variant, "question": "q",
            "target": target, "prompt": "p", "constraints": constraints,
            "constraint_source": "self" if constraints else None, "metadata": {}}


@pytest.mark.parametrize(("bench_name", "target", "output", "flexible", "strict"), CASES)
def test_filters_and_scorer_agree_on_hand_picked_cases(bench_name: str, target: str,
                                                       output: str, flexible: bool,
                                                       strict: bool) -> None:
    bench = get_benchmark(bench_name)
    item = Item(id="case", question="q", target=target, reference="")
    doc = _case_doc(bench_name, target, "constrained")
    (strict_answer,) = strict_match([[output]], [doc])
    (flexible_answer,) = flexible_extract([[output]], [doc])
    strict_metrics = process_results(doc, [strict_answer])
    flexible_metrics = process_results(doc, [flexible_answer])
    score = _score(bench_name, item, output, output, doc["constraints"])
    value = score.value
    assert isinstance(value, dict)
    assert flexible_metrics["acc"] == value["plain"] == value["constrained"] == float(flexible)
    assert strict_metrics["acc"] == float(strict)
    assert flexible_metrics["compliance"] == strict_metrics["compliance"] == value["compliant"]
    assert str(flexible_answer) == (score.answer or INVALID)
    if bench.graded:
        assert flexible_metrics["f1"] == pytest.approx(value["plain_f1"])
        assert strict_metrics["f1"] == pytest.approx(
            bench.verify_strict(output, target).score)
    else:
        assert "f1" not in flexible_metrics
        assert "f1" not in strict_metrics
    # the plain variant reports the same verdict, without the compliance metrics
    plain_doc = _case_doc(bench_name, target, "plain")
    (plain_answer,) = flexible_extract([[output]], [plain_doc])
    plain_metrics = process_results(plain_doc, [plain_answer])
    assert plain_metrics["acc"] == float(flexible)
    assert "compliance" not in plain_metrics


def test_math_equivalent_rewrites() -> None:
    assert math_equivalent("\\frac{1}{2}") == "0.5"
    assert math_equivalent("\\frac{243}{625}") == "0.3888"
    assert math_equivalent("\\frac{14}{3}") == "14/3"
    assert math_equivalent("-\\dfrac{3}{4}") == "-0.75"
    assert math_equivalent("42") == "\\frac{84}{2}"
    assert math_equivalent("p - q") == "{p - q}"
