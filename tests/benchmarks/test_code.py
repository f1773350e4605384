"""HumanEval and MBPP: loading, prompts, every reference solution passing its tests in the
isolated runner, strict vs flexible verdicts, and code constraints self-evident on the
references."""

from __future__ import annotations

from pathlib import Path

import pytest

from sustain_tasks.benchmarks import Item, get_benchmark
from sustain_tasks.benchmarks.code import CodeBenchmark, quoted_values
from sustain_tasks.benchmarks.mbpp import entry_point_of
from sustain_tasks.constraints import check_all, leaks_answer

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def items(data_dir: Path) -> dict[str, list[Item]]:
    return {name: get_benchmark(name).load(data_dir) for name in ("humaneval", "mbpp")}


def test_loading_ids_and_prompts(items: dict[str, list[Item]]) -> None:
    humaneval, mbpp = items["humaneval"], items["mbpp"]
    assert [i.id for i in humaneval] == [f"HumanEval/{n}" for n in range(164)]
    assert [i.id for i in mbpp] == [str(n) for n in range(11, 511)]
    first = humaneval[0]
    assert first.metadata["entry_point"] == "has_close_elements"
    assert first.target.endswith("check(has_close_elements)\n")
    prompt = get_benchmark("humaneval").prompt(first)
    assert first.question in prompt
    assert "```python" in prompt
    m = mbpp[0]
    assert m.metadata["entry_point"] == "remove_Occ"
    prompt = get_benchmark("mbpp").prompt(m)
    assert m.metadata["first_test"] in prompt
    assert m.question in prompt
    assert m.target.count("assert") == 3
    assert "\r" not in m.reference


def test_mbpp_honours_test_setup_code(data_dir: Path) -> None:
    bench = get_benchmark("mbpp")
    record = {"task_id": 42, "text": "Add one.", "code": "def f(x):\r\n    return x + K",
              "test_setup_code": "K = 1", "test_list": ["assert f(1) == 2"]}
    item = bench.record_to_item(record, 0)
    assert item.target.startswith("K = 1\n")
    assert bench.verify(item.reference, item.target, item).correct
    without = bench.record_to_item({**record, "test_setup_code": ""}, 0)
    assert not bench.verify(without.reference, without.target, without).correct


@pytest.mark.slow
@pytest.mark.parametrize("name", ["humaneval", "mbpp"])
def test_every_reference_solution_passes(items: dict[str, list[Item]], name: str) -> None:
    bench = get_benchmark(name)
    assert isinstance(bench, CodeBenchmark)
    verdicts = bench.verify_many([(i.reference, i.target, i) for i in items[name]])
    failed = [(i.id, v.detail) for i, v in zip(items[name], verdicts, strict=True)
              if not v.correct]
    assert failed == []
    assert len(verdicts) == {"humaneval": 164, "mbpp": 500}[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["humaneval", "mbpp"])
def test_reference_code_constraints_are_self_evident_and_leak_no_test_value(
        items: dict[str, list[Item]], name: str) -> None:
    bench = get_benchmark(name)
    with_code = 0
    for item in items[name]:
        constraints = bench.constraints_for(item, item.reference, k=3, kinds=["code"])
        with_code += bool(constraints)
        assert all(r.strict for r in check_all(constraints, item.reference)), item.id
        literals = quoted_values(item.target)
        for c in constraints:
            assert not leaks_answer(c.describe(), literals), (item.id, c.describe())
    assert with_code == len(items[name])


def test_strict_needs_the_fenced_block_flexible_accepts_other_forms(
        items: dict[str, list[Item]]) -> None:
    bench = get_benchmark("humaneval")
    item = items["humaneval"][2]
    body = item.reference.removeprefix("```python\n").removesuffix("\n```")[
        len(item.question):]
    full = item.reference.removeprefix("```python\n").removesuffix("\n```")
    forms = {
        "fenced": (item.reference, True, True),
        "bare body": (body, True, False),
        "prose around code": (f"Sure! Here it is:\n\n{full}\n\nHope this helps.", True, False),
        "no code": ("I do not know.", False, False),
        "wrong": ("```python\ndef truncate_number(number):\n    return number\n```", False,
                  False),
    }
    for label, (output, flexible, strict) in forms.items():
        assert bench.verify(output, item.target, item).correct is flexible, label
        assert bench.verify_strict(output, item.target, item).correct is strict, label


def test_entry_point_of_mbpp_tests() -> None:
    code = "import math\ndef helper(x):\n    return x\ndef area(r):\n    return helper(r)"
    assert entry_point_of(code, "assert math.isclose(area(2), 2)") == "area"
    assert entry_point_of(code, "assert other(1) == 2") is None
