"""What both wrappers share: names, verdicts, generic kinds, the leak guard's answers."""

from __future__ import annotations

import math

import pytest

from sustain_tasks.errors import SustainInputError
from sustain_tasks.wrapping import (
    generic_constraints,
    generic_kinds,
    leak_answers,
    reference_text,
    value_verdict,
    wrapped_base,
    wrapped_name,
)


@pytest.mark.parametrize(("name", "base"), [
    ("inspect_evals/gsm8k", "gsm8k_wrapped"),
    ("MyTask", "mytask"),
    ("pkg/sub task!", "sub_task"),
    ("bbh_cot_zeroshot_boolean_expressions", "bbh_cot_zeroshot_boolean_expressions"),
    ("math500", "math500_wrapped"),
])
def test_wrapped_names(name: str, base: str) -> None:
    assert wrapped_base(name) == base
    assert wrapped_name(name) == f"sustain_{base}"


@pytest.mark.parametrize(("value", "threshold", "verdict"), [
    ("C", 1.0, True), ("I", 1.0, False), ("N", 1.0, False), ("P", 1.0, False),
    ("P", 0.5, True), (True, 1.0, True), (False, 0.0, False), (1, 1.0, True),
    (0.99, 1.0, False), (0.8, 0.8, True), (math.nan, 0.0, None), ("maybe", 1.0, None),
    ({"a": 1}, 1.0, None), (None, 1.0, None),
])
def test_value_verdicts(value: object, threshold: float, verdict: bool | None) -> None:
    assert value_verdict(value, threshold) is verdict


def test_generic_kinds_refuse_task_aware_ones() -> None:
    assert set(generic_kinds(None)) >= {"length:max_words", "format:no_bold",
                                        "lexical:no_commas"}
    assert not [k for k in generic_kinds(None) if k.startswith(("content:", "code:"))]
    with pytest.raises(SustainInputError, match="code:no_imports"):
        generic_kinds("code:no_imports")


def test_leak_answers_keep_final_answers_only() -> None:
    output = "The capital of France is Paris, a large city."
    assert leak_answers(["Paris"], "Paris", output) == ["Paris", "Paris"]
    assert leak_answers(["Paris"], output, output) == ["Paris"]  # the whole output
    assert leak_answers(["Paris"], ["42"], output) == ["Paris", "42"]
    assert leak_answers(["Paris"], None, output) == ["Paris"]


def test_reference_text_needs_two_words() -> None:
    assert reference_text(["42", "forty two"]) == "forty two"
    assert reference_text(["A"]) is None


def test_generic_constraints_are_deterministic_and_leak_free() -> None:
    source = "There are 101 apples in the basket, counted twice.\nThe answer is 101 apples."
    first = generic_constraints(source, task="apples", item_id="0", answers=["101 apples"],
                                k=3, seed=1)
    again = generic_constraints(source, task="apples", item_id="0", answers=["101 apples"],
                                k=3, seed=1)
    assert [c.to_record() for c in first] == [c.to_record() for c in again]
    assert first
    for constraint in first:
        assert constraint.check(source)
        assert "apples" not in constraint.describe()
        assert "101" not in constraint.describe()
