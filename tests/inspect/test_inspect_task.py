"""The Inspect task: arguments, dataset, registry names, and runs with ``sustain/reference``."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog, read_eval_log

from sustain_tasks._inspect import build_task, validate_args
from sustain_tasks.benchmarks import get_benchmark
from sustain_tasks.errors import SustainInputError
from sustain_tasks.gsm8k import gsm8k, record_to_sample


def metrics(log: EvalLog) -> dict[str, float]:
    assert log.results is not None
    return {name: m.value for name, m in log.results.scores[0].metrics.items()}


def run(task: Task | str, log_dir: Path, limit: int = 5, **kwargs: Any) -> EvalLog:
    logs = inspect_eval(task, model="sustain/reference", limit=limit, display="none",
                        log_dir=str(log_dir), **kwargs)
    return read_eval_log(logs[0].location)


# -- arguments ------------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "field"), [
    ({"mode": "constrained"}, "mode"),
    ({"mode": 3}, "mode"),
    ({"k": 0}, "k"),
    ({"k": 4}, "k"),
    ({"k": "two"}, "k"),
    ({"k": True}, "k"),
    ({"seed": 1.5}, "seed"),
    ({"kinds": "length,nonsense"}, "kinds"),
    ({"kinds": 7}, "kinds"),
    ({"data_dir": "/nonexistent/folder"}, "data_dir"),
])
def test_bad_arguments_name_the_argument(args: dict[str, Any], field: str) -> None:
    with pytest.raises(SustainInputError) as info:
        validate_args("gsm8k", **args)
    assert info.value.field == field


def test_bad_argument_message_keeps_the_field_for_inspect(inspect_env: Path) -> None:
    with pytest.raises(SustainInputError) as info:
        gsm8k(mode="constrained")
    assert info.value.message.startswith("field 'mode':")


@pytest.mark.parametrize("kinds", ["length,format", ["length", "format"], ("length", "format")])
def test_kinds_as_list_or_comma_separated(kinds: Any) -> None:
    assert validate_args("gsm8k", kinds=kinds).kinds == ["length", "format"]


def test_argument_defaults_and_strings(data_dir: Path) -> None:
    args = validate_args("gsm8k", mode="Self", k="2", seed="7", kinds="", data_dir=str(data_dir))
    assert (args.mode, args.k, args.seed, args.kinds) == ("self", 2, 7, None)
    assert args.data_dir == str(data_dir.resolve())


# -- task and dataset -----------------------------------------------------------------------
def test_task_name_metadata_and_samples(inspect_env: Path) -> None:
    task = gsm8k(mode="reference", k=2, kinds="length,format", seed=3)
    assert task.name == "sustain_gsm8k"
    assert task.metadata == {"benchmark": "gsm8k", "mode": "reference", "k": 2,
                             "kinds": ["length", "format"], "seed": 3, "grader": False}
    assert len(task.dataset) == 1319
    sample = task.dataset[0]
    bench = get_benchmark("gsm8k")
    item = bench.load(limit=1)[0]
    assert sample.id == "0"
    assert sample.input == bench.prompt(item)
    assert sample.target == item.target
    assert sample.metadata == {"task": "gsm8k", "item_id": "0"}


def test_build_task_limit_and_data_dir(data_dir: Path) -> None:
    task = build_task("gsm8k", mode="plain", data_dir=str(data_dir), limit=3)
    assert [s.id for s in task.dataset] == ["0", "1", "2"]


def test_record_to_sample_delegates_to_the_benchmark(data_dir: Path) -> None:
    line = (data_dir / "gsm8k" / "test.jsonl").read_text(encoding="utf-8").splitlines()[4]
    sample = record_to_sample(json.loads(line), 4)
    assert sample.id == "4"
    assert sample.target == "20"
    assert sample.metadata == {"task": "gsm8k", "item_id": "4"}


def test_registry_has_the_installed_name() -> None:
    from inspect_ai._util.registry import registry_lookup

    import sustain_tasks._registry  # noqa: F401 - registers the tasks and the provider

    assert registry_lookup("task", "sustain_tasks/gsm8k") is not None
    assert registry_lookup("modelapi", "sustain") is not None or registry_lookup(
        "modelapi", "sustain_tasks/sustain") is not None


# -- end to end with sustain/reference ------------------------------------------------------
@pytest.mark.inspect
def test_self_mode_reference_model_sustains_everything(inspect_env: Path) -> None:
    log = run(gsm8k(), inspect_env, limit=20)
    assert log.status == "success", log.error
    assert log.eval.task == "sustain_gsm8k"
    assert log.eval.model == "sustain/reference"
    got = metrics(log)
    assert got["sustain_score"] == 1.0
    assert got["plain_accuracy"] == 1.0
    assert got["compliance"] == 1.0
    assert got["n_sustain"] == 20.0
    assert log.results is not None
    assert log.results.scores[0].name == "sustain_scorer"
    usage = log.stats.model_usage["sustain/reference"]
    assert usage.input_tokens > 0
    assert usage.output_tokens > 0


@pytest.mark.slow
@pytest.mark.inspect
def test_installed_task_name_runs(inspect_env: Path) -> None:
    log = run("sustain_tasks/gsm8k", inspect_env, limit=2, task_args={"mode": "reference"})
    assert log.status == "success", log.error
    assert log.eval.task == "sustain_gsm8k"
    assert log.eval.task_registry_name == "sustain_tasks/gsm8k"
    assert metrics(log)["sustain_score"] == 1.0


@pytest.mark.slow
@pytest.mark.inspect
@pytest.mark.parametrize(("mode", "expected", "absent"), [
    ("plain", {"plain_accuracy": 1.0, "n_sustain": 0.0},
     ["constrained_accuracy", "sustain_score", "compliance"]),
    ("reference", {"plain_accuracy": 1.0, "sustain_score": 1.0, "constrained_accuracy": 1.0,
                   "compliance": 1.0, "n_sustain": 4.0}, []),
    ("placebo", {"placebo_retention": 1.0, "n_sustain": 4.0}, ["sustain_score"]),
    ("retest", {"retest_retention": 1.0, "n_sustain": 4.0}, ["sustain_score"]),
])
def test_every_mode_with_the_reference_model(inspect_env: Path, mode: str,
                                             expected: dict[str, float],
                                             absent: list[str]) -> None:
    log = run(gsm8k(mode=mode), inspect_env, limit=4)
    assert log.status == "success", log.error
    got = metrics(log)
    for name, value in expected.items():
        assert got[name] == value, name
    for name in absent:
        assert math.isnan(got[name]), name
    assert log.samples is not None
    for sample in log.samples:
        assert sample.scores is not None
        score = sample.scores["sustain_scorer"]
        assert isinstance(score.value, dict)
        assert set(score.value) == {"plain", "constrained", "compliant", "compliant_loose",
                                    "placebo", "retest", "in_s", "n_constraints",
                                    "plain_f1", "constrained_f1"}
        assert score.value["plain_f1"] is None  # GSM8K verdicts are not graded
        assert score.metadata is not None
        assert score.metadata["mode"] == mode


@pytest.mark.slow
@pytest.mark.inspect
def test_placebo_prompt_carries_no_constraint(inspect_env: Path) -> None:
    log = run(gsm8k(mode="placebo"), inspect_env, limit=1)
    assert log.samples is not None
    record = log.samples[0].store["sustain"]
    assert record["second_variant"] == "placebo"
    assert "In your response" not in record["second_prompt"]
    assert record["second_prompt"].startswith(record["plain_prompt"])


@pytest.mark.slow
@pytest.mark.inspect
def test_epochs_pool_samples_without_reducer_warnings(
        inspect_env: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        log = run(gsm8k(mode="self"), inspect_env, limit=2, epochs=2)
    assert log.status == "success"
    assert metrics(log)["n_sustain"] == 4.0
    assert not [r for r in caplog.records if "Unable to convert" in r.getMessage()]
