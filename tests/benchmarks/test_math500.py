"""MATH-500: loading, prompt, all 500 references judged correct, reference constraints."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from sustain_verifiers._isolate import run_bounded

from sustain_tasks.benchmarks import Item, get_benchmark
from sustain_tasks.benchmarks.math500 import MATH500
from sustain_tasks.constraints import leaks_answer
from sustain_tasks.errors import SustainInputError


@pytest.fixture(scope="module")
def bench() -> MATH500:
    b = get_benchmark("math500")
    assert isinstance(b, MATH500)
    return b


@pytest.fixture(scope="module")
def items(bench: MATH500, data_dir: Path) -> list[Item]:
    return bench.load(data_dir)


def test_loads_all_500_with_metadata(items: list[Item]) -> None:
    assert len(items) == 500
    assert len({it.id for it in items}) == 500
    assert items[0].id.startswith("test/")
    assert Counter(it.metadata["subject"] for it in items)["Algebra"] == 124
    assert {it.metadata["level"] for it in items} == {1, 2, 3, 4, 5}
    assert all(f"\\boxed{{{it.target}}}" in it.reference for it in items)


def test_limit(bench: MATH500, data_dir: Path) -> None:
    assert [it.id for it in bench.load(data_dir, limit=3)] == [
        it.id for it in bench.load(data_dir)[:3]]


def test_prompt_asks_for_reasoning_and_a_boxed_answer(bench: MATH500, items: list[Item]) -> None:
    prompt = bench.prompt(items[0])
    assert items[0].question in prompt
    assert "\\boxed{}" in prompt
    assert "step by step" in prompt
    assert bench.required_fragments(items[0]) == ("\\boxed{",)


def test_all_references_are_judged_correct(bench: MATH500, items: list[Item]) -> None:
    wrong = [(it.id, v.detail) for it in items
             if not (v := bench.verify(it.reference, it.target, it)).correct]
    assert wrong == []
    strict = [it.id for it in items if not bench.verify_strict(it.reference, it.target, it).correct]
    assert strict == []
    assert all(bench.final_answer(it.reference) == it.target for it in items)


@pytest.mark.slow
def test_every_target_parses_and_matches_itself_symbolically(items: list[Item]) -> None:
    # the string shortcut decides the references; this checks the symbolic path on all 500
    failed = []
    for it in items:
        out = run_bounded("sustain_verifiers.math:_compare_in_worker", it.target, it.target,
                          timeout=120)  # stops a hung comparison; how fast: tests/perf/
        if not (out.ok and out.value["equal"]):
            failed.append((it.id, it.target, out))
    assert failed == []


@pytest.mark.slow
def test_references_are_judged_wrong_against_other_targets(bench: MATH500,
                                                           items: list[Item]) -> None:
    # a negative control: shift the targets by one item (skipping equal answers)
    sample = items[::5]
    wrong_ok = [it.id for it, other in zip(sample, sample[1:] + sample[:1], strict=True)
                if other.target != it.target
                and bench.verify(it.reference, other.target, it).correct]
    assert wrong_ok == []


@pytest.mark.slow
def test_reference_constraints_are_self_evident_and_leak_free(bench: MATH500,
                                                              items: list[Item]) -> None:
    with_constraints = 0
    for it in items:
        constraints = bench.constraints_for(it, it.reference, k=3)
        with_constraints += bool(constraints)
        assert len(constraints) <= 3
        answers = [it.target, bench.final_answer(it.reference) or ""]
        for c in constraints:
            assert c.check(it.reference), (it.id, c.to_record())
            assert not leaks_answer(c.describe(), answers), (it.id, c.to_record())
            assert c.permits("\\boxed{"), (it.id, c.to_record())
        assert constraints == bench.constraints_for(it, it.reference, k=3)  # deterministic
    assert with_constraints >= 0.8 * len(items)


def test_bad_records_name_file_line_and_field(bench: MATH500, tmp_path: Path) -> None:
    good = {"problem": "1+1?", "solution": "It is \\boxed{2}.", "answer": "2",
            "subject": "Algebra", "level": 1, "unique_id": "test/algebra/1.json"}
    folder = tmp_path / "math500"
    folder.mkdir()
    missing = dict(good)
    del missing["answer"]
    (folder / "test.jsonl").write_text(json.dumps(good) + "\n" + json.dumps(missing) + "\n")
    with pytest.raises(SustainInputError) as err:
        bench.load(tmp_path)
    assert (err.value.line, err.value.field) == (2, "answer")
    bad_level = dict(good, level="hard")
    (folder / "test.jsonl").write_text(json.dumps(bad_level) + "\n")
    with pytest.raises(SustainInputError, match="level"):
        bench.load(tmp_path)
