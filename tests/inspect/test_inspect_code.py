"""HumanEval and MBPP in Inspect: the whole of HumanEval in self mode with the reference model,
every mode on a subset, hostile answers off the event loop, and Inspect's own sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog

from sustain_tasks._inspect import build_task
from sustain_tasks.benchmarks import get_benchmark
from sustain_tasks.errors import SustainInputError
from sustain_tasks.humaneval import humaneval
from sustain_tasks.mbpp import mbpp

pytestmark = [pytest.mark.inspect, pytest.mark.sandbox]


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Path:
    monkeypatch.setenv("SUSTAIN_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return data_dir


def _metrics(log: EvalLog) -> dict[str, Any]:
    assert log.status == "success", log.error
    assert log.results is not None
    return {name: m.value for name, m in log.results.scores[0].metrics.items()}


def _values(log: EvalLog) -> dict[str, dict[str, Any]]:
    assert log.samples is not None
    out = {}
    for sample in log.samples:
        assert sample.scores is not None, sample.error
        value = sample.scores["sustain_scorer"].value
        assert isinstance(value, dict)
        out[str(sample.id)] = value
    return out


@pytest.mark.slow
def test_whole_humaneval_self_mode_with_the_reference_model(offline: Path,
                                                             tmp_path: Path) -> None:
    log = inspect_eval(humaneval(), model="sustain/reference", display="none",
                       log_dir=str(tmp_path))[0]
    got = _metrics(log)
    assert got["plain_accuracy"] == 1.0
    assert got["sustain_score"] == 1.0
    assert got["constrained_accuracy"] == 1.0
    assert got["compliance"] == 1.0
    assert got["n_sustain"] == 164.0
    assert log.samples is not None
    categories = {c for s in log.samples if s.scores
                  for c in s.scores["sustain_scorer"].metadata["categories"]}
    assert "code" in categories


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "key"), [("plain", None), ("placebo", "placebo"),
                                           ("retest", "retest"), ("reference", "constrained")])
def test_every_mode_on_a_subset(offline: Path, tmp_path: Path, mode: str,
                                key: str | None) -> None:
    log = inspect_eval(mbpp(mode=mode), model="sustain/reference", limit=4, display="none",
                       log_dir=str(tmp_path))[0]
    values = _values(log)
    assert len(values) == 4
    for value in values.values():
        assert value["plain"] == 1.0
        if key is not None:
            assert value[key] == 1.0


@pytest.mark.slow
def test_hostile_and_wrong_answers_are_wrong_and_the_run_goes_on(offline: Path,
                                                                 tmp_path: Path) -> None:
    items = get_benchmark("humaneval").load(offline)[:4]
    answers = [
        "```python\nimport os\nos._exit(0)\n```",
        "```python\nwhile True:\n    pass\n```",
        f"```python\ndef {items[2].metadata['entry_point']}(*args):\n    return None\n```",
        items[3].reference,
    ]
    path = tmp_path / "outputs.jsonl"
    path.write_text("".join(json.dumps({"id": item.id, "output": answer}) + "\n"
                            for item, answer in zip(items, answers, strict=True)))
    log = inspect_eval(humaneval(mode="plain"), model="sustain/replay",
                       model_args={"outputs": str(path)}, limit=4, display="none",
                       log_dir=str(tmp_path / "logs"))[0]
    values = _values(log)
    assert [values[item.id]["plain"] for item in items] == [0.0, 0.0, 0.0, 1.0]
    assert log.samples is not None
    details = {str(s.id): s.scores["sustain_scorer"].metadata["plain_detail"]
               for s in log.samples if s.scores}
    assert details[items[1].id].startswith("timeout")


@pytest.mark.slow
def test_inspect_sandbox_gives_the_same_verdicts(offline: Path, tmp_path: Path) -> None:
    """``sandbox=local`` exercises the Inspect sandbox path (Docker is not needed for it)."""
    items = get_benchmark("mbpp").load(offline)[:3]
    wrong = f"```python\ndef {items[1].metadata['entry_point']}(*a):\n    return 0\n```"
    path = tmp_path / "outputs.jsonl"
    path.write_text("".join(
        json.dumps({"id": item.id, "output": wrong if n == 1 else item.reference}) + "\n"
        for n, item in enumerate(items)))
    runs = {}
    for sandbox in (None, "local"):
        log = inspect_eval(mbpp(mode="plain", sandbox=sandbox), model="sustain/replay",
                           model_args={"outputs": str(path)}, limit=3, display="none",
                           log_dir=str(tmp_path / str(sandbox)))[0]
        runs[sandbox] = {k: v["plain"] for k, v in _values(log).items()}
    assert runs[None] == runs["local"] == {items[0].id: 1.0, items[1].id: 0.0,
                                           items[2].id: 1.0}


def test_sandbox_argument_only_for_code_benchmarks(offline: Path) -> None:
    with pytest.raises(SustainInputError, match="sandbox"):
        build_task("gsm8k", sandbox="docker")
