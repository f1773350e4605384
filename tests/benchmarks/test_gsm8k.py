"""GSM8K dataset loading, prompts and verdicts on the shared core."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from sustain_tasks.benchmarks import get_benchmark
from sustain_tasks.benchmarks.gsm8k import strip_calculator_annotations
from sustain_tasks.constraints import leaks_answer
from sustain_tasks.errors import MissingDataError, SustainInputError


def test_all_reference_solutions_are_correct(data_dir: Path) -> None:
    bench = get_benchmark("gsm8k")
    items = bench.load(data_dir)
    assert len(items) == 1319
    assert [item.id for item in items[:3]] == ["0", "1", "2"]
    wrong = [item.id for item in items if not bench.verify(item.reference, item.target).correct]
    assert wrong == []
    strict_wrong = [i.id for i in items if not bench.verify_strict(i.reference, i.target).correct]
    assert strict_wrong == []


def test_reference_has_no_annotations_and_plain_target(data_dir: Path) -> None:
    items = get_benchmark("gsm8k").load(data_dir)
    assert all("<<" not in item.reference for item in items)
    assert all("," not in item.target for item in items)
    with_separators = [i for i in items if i.target.isdigit() and len(i.target) > 3]
    assert with_separators  # 1,450,000 and friends lose their commas
    assert strip_calculator_annotations("2*3=<<2*3=6>>6") == "2*3=6"


def test_reference_constraints_are_self_evident_and_leak_free(data_dir: Path) -> None:
    bench = get_benchmark("gsm8k")
    for item in bench.load(data_dir, limit=200):
        constraints = bench.constraints_for(item, item.reference, k=3, seed=0)
        assert constraints
        for c in constraints:
            assert c.check(item.reference), (item.id, c.kind)
            assert not leaks_answer(c.describe(), [item.target]), (item.id, c.describe())


def test_prompt_asks_for_the_answer_format(data_dir: Path) -> None:
    bench = get_benchmark("gsm8k")
    item = bench.load(data_dir, limit=1)[0]
    prompt = bench.prompt(item)
    assert item.question in prompt
    assert "####" in prompt


@pytest.mark.parametrize(
    ("output", "correct"),
    [
        ("Janet has 9 eggs left.\n#### 18", True),
        ("The answer is $18.00.", True),
        ("\\boxed{18}", True),
        ("ANSWER: 18", True),
        ("#### 17", False),
        ("", False),
        ("I don't know.", False),
    ],
)
def test_verdicts_on_model_styles(output: str, correct: bool) -> None:
    assert get_benchmark("gsm8k").verify(output, "18").correct is correct


def test_missing_data_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match=r"gsm8k[/\\]test\.jsonl"):
        get_benchmark("gsm8k").load(tmp_path)


def test_missing_data_folder(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match="does not exist"):
        get_benchmark("gsm8k").load(tmp_path / "nope")


def test_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "gsm8k"
    folder.mkdir()
    good = json.dumps({"question": "q", "answer": "a\n#### 1"})
    (folder / "test.jsonl").write_text(f"{good}\n{{not json\n", encoding="utf-8")
    with pytest.raises(SustainInputError) as info:
        get_benchmark("gsm8k").load(tmp_path)
    assert "test.jsonl:2" in str(info.value)


def test_missing_field_names_the_field(tmp_path: Path) -> None:
    folder = tmp_path / "gsm8k"
    folder.mkdir()
    (folder / "test.jsonl").write_text(json.dumps({"question": "q"}) + "\n", encoding="utf-8")
    with pytest.raises(SustainInputError) as info:
        get_benchmark("gsm8k").load(tmp_path)
    assert "test.jsonl:1" in str(info.value)
    assert "field 'answer'" in str(info.value)


def test_answer_without_final_line_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "gsm8k"
    folder.mkdir()
    record = {"question": "q", "answer": "no final line"}
    (folder / "test.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    with pytest.raises(SustainInputError, match="####"):
        get_benchmark("gsm8k").load(tmp_path)


def test_environment_variable_selects_local_data(data_dir: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUSTAIN_DATA_DIR", str(data_dir))
    assert len(get_benchmark("gsm8k").load(limit=5)) == 5


def test_hub_failure_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without local data the hub is tried; offline that fails with a hint, not a traceback."""
    monkeypatch.delenv("SUSTAIN_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", "/nonexistent-sustain-cache")
    # datasets and huggingface_hub read these variables once, at import: when another test
    # imported them first, their copies are set as a fresh offline process would have them
    # (else datasets retries the hub for about 20 s before failing)
    for module in ("datasets.config", "huggingface_hub.constants"):
        if module in sys.modules:
            for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
                if hasattr(sys.modules[module], name):
                    monkeypatch.setattr(sys.modules[module], name, True)
    with pytest.raises(MissingDataError, match="SUSTAIN_DATA_DIR"):
        get_benchmark("gsm8k").load(limit=1)


def test_unknown_task() -> None:
    with pytest.raises(SustainInputError, match="unknown task"):
        get_benchmark("gsm9k")


def test_hub_path_gives_the_same_items(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hub loader is exercised offline by standing a local copy in for the hub split."""
    import datasets

    calls: list[tuple[str, str | None, str]] = []

    def fake_load_dataset(path: str, name: str | None = None, *, split: str) -> list[dict]:
        calls.append((path, name, split))
        lines = (data_dir / "gsm8k" / "test.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines[:10]]

    monkeypatch.delenv("SUSTAIN_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")  # the hub cache: no connection test
    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    bench = get_benchmark("gsm8k")
    from_hub = bench.load(limit=10)
    assert calls == [("openai/gsm8k", "main", "test")]
    assert from_hub == bench.load(data_dir, limit=10)
