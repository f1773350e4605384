"""The lm-eval control subtasks ``sustain_<bench>_retest`` / ``sustain_<bench>_placebo``:
their documents, and a self-mode flow where ``sustain score`` tests the constrained answers
against them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sustain_tasks.benchmarks import BENCHMARKS, Item, get_benchmark
from sustain_tasks.constraints import constraint_from_record
from sustain_tasks.lm_eval import include_path, task_manager
from sustain_tasks.lm_eval.adapter import build_docs
from sustain_tasks.protocol import CONSTRAINT_HEADER, placebo_prompt
from tests.lm_eval.conftest import read_run, run_sustain

pytestmark = pytest.mark.lm_eval

CONTROLS = ("retest", "placebo")
CONFIGS = include_path()


@pytest.mark.slow
@pytest.mark.parametrize("bench", ["gsm8k", "hotpotqa"])
def test_control_docs_hold_the_constrained_items(local_data: Path, bench: str) -> None:
    constrained = build_docs(bench, "constrained")
    retest = build_docs(bench, "retest")
    placebo = build_docs(bench, "placebo")
    plain = {d["id"]: d for d in build_docs(bench, "plain")}
    assert [d["id"] for d in retest] == [d["id"] for d in constrained]
    assert [d["id"] for d in placebo] == [d["id"] for d in constrained]
    for c, r, p in zip(constrained[:20], retest[:20], placebo[:20], strict=True):
        assert r["variant"] == "retest"
        assert p["variant"] == "placebo"
        assert r["prompt"] == plain[r["id"]]["prompt"]
        assert p["prompt"].startswith(plain[p["id"]]["prompt"] + "\n\n")
        assert CONSTRAINT_HEADER not in p["prompt"]
        # the very prompt the Inspect solver sends in placebo mode
        constraints = [constraint_from_record(x) for x in c["constraints"]]
        assert p["prompt"] == placebo_prompt(plain[p["id"]]["prompt"], constraints,
                                             key=p["id"])
        assert r["constraints"] == c["constraints"] == p["constraints"]


def test_control_tasks_are_indexed_outside_the_groups() -> None:
    from lm_eval.tasks._yaml_loader import load_yaml

    tm = task_manager()
    for bench in ("gsm8k", "math500", "hotpotqa", "humaneval", "mbpp"):
        assert bench in BENCHMARKS
        for control in CONTROLS:
            assert f"sustain_{bench}_{control}" in tm.all_subtasks
        group = load_yaml(CONFIGS / bench / f"_sustain_{bench}.yaml")
        assert group["task"] == [f"sustain_{bench}_plain", f"sustain_{bench}_constrained"]
        for control in CONTROLS:  # only what differs from the plain task is set
            cfg = load_yaml(CONFIGS / bench / f"sustain_{bench}_{control}.yaml",
                            resolve_func=False, recursive=False)
            assert set(cfg) == {"include", "task", "dataset_kwargs"}
            assert cfg["include"] == f"sustain_{bench}_plain.yaml"
            assert cfg["dataset_kwargs"] == {"sustain_task": bench,
                                             "sustain_variant": control}


def _wrong(item: Item) -> str:
    return f"I think it is {int(item.target.replace(',', '')) + 7}.\n#### " \
           f"{int(item.target.replace(',', '')) + 7}"


@pytest.mark.slow
def test_self_mode_with_controls_end_to_end(tmp_path: Path, offline_env: dict[str, str],
                                            gsm8k_items: list[Item]) -> None:
    """plain → sustain extract → constrained + retest + placebo over the constraints file →
    sustain score: retest_mcnemar_p and placebo_mcnemar_p from the lm-eval controls, with the
    discordant counts of the recorded answers."""
    n = 8
    items = gsm8k_items[:n]
    record: list[dict[str, Any]] = [{"id": i.id, "output": i.reference} for i in items]
    record[0]["output"] = _wrong(items[0])  # not in S
    # constrained wrong on 1, 2, 3; retest wrong on 3 and 4; placebo wrong on 2
    for variant, broken in (("constrained", (1, 2, 3)), ("retest", (3, 4)),
                            ("placebo", (2,))):
        record += [{"id": items[i].id, "variant": variant, "output": _wrong(items[i])}
                   for i in broken]
    outputs = tmp_path / "recording.jsonl"
    outputs.write_text("".join(json.dumps(r) + "\n" for r in record))
    model = ["--model", "sustain-replay", "--model_args", f"outputs={outputs}"]
    run_sustain(["lm-eval", *model, "--tasks", "sustain_gsm8k_plain", "--limit", str(n),
                 "--output_path", str(tmp_path / "run1"), "--log_samples"],
                offline_env, tmp_path)
    constraints = tmp_path / "constraints.jsonl"
    run_sustain(["extract", "--task", "gsm8k", "--from", str(tmp_path / "run1"), "--out",
                 str(constraints)], offline_env, tmp_path)
    ids = [json.loads(x)["id"] for x in constraints.read_text().splitlines() if x.strip()]
    assert ids == [i.id for i in items[1:]]
    run_sustain(["lm-eval", *model, "--tasks",
                 "sustain_gsm8k_constrained,sustain_gsm8k_retest,sustain_gsm8k_placebo",
                 "--metadata", json.dumps({"constraints_path": str(constraints)}),
                 "--output_path", str(tmp_path / "run2"), "--log_samples"],
                offline_env, tmp_path)
    results, samples = read_run(tmp_path / "run2")
    assert results["results"]["sustain_gsm8k_retest"]["acc,flexible-extract"] == \
        pytest.approx(5 / 7)
    assert {s["doc"]["variant"] for s in samples["sustain_gsm8k_placebo"]} == {"placebo"}

    proc = run_sustain(["score", str(tmp_path / "run1"), str(tmp_path / "run2"), "--format",
                        "json"], offline_env, tmp_path)
    [row] = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    assert row["model"] == f"sustain-replay[{outputs.as_posix()}]"
    assert (row["mode"], row["n_sustain"], row["n_sustained"]) == ("self", 7, 4)
    # retest: 5 of 7 kept; on S, retest right & constrained wrong = {1, 2}, the reverse {4}
    assert (row["n_retest"], row["retest_retention"]) == (7, pytest.approx(5 / 7))
    assert row["retest_n_paired"] == 7
    assert row["retest_discordant"] == {"control_only": 2, "constrained_only": 1}
    assert row["retest_mcnemar_p"] == 1.0
    # placebo: wrong on 2 only: control_only = {1, 3}, constrained_only = none
    assert row["placebo_discordant"] == {"control_only": 2, "constrained_only": 0}
    assert row["placebo_mcnemar_p"] == 0.5
    assert row["adjusted_interference"] == pytest.approx(5 / 7 - 4 / 7)
    assert row["adjusted_interference_ci_low"] <= row["adjusted_interference_ci_high"]
    failures = row["failures"]
    assert failures["n_failures"] == 3
    assert failures["stop_reason_recorded"] is False
    assert failures["answer_recorded"] is True
    assert sum(failures["counts"].values()) == 3


@pytest.mark.slow
def test_every_control_task_runs_with_the_reference_model(
        tmp_path: Path, offline_env: dict[str, str]) -> None:
    tasks = [f"sustain_{b}_{c}" for b in ("gsm8k", "math500", "hotpotqa", "humaneval", "mbpp")
             for c in CONTROLS]
    run_sustain(["lm-eval", "--model", "sustain-reference", "--tasks", ",".join(tasks),
                 "--limit", "3", "--confirm_run_unsafe_code", "--output_path",
                 str(tmp_path / "out"), "--log_samples"], offline_env, tmp_path, timeout=900)
    results, samples = read_run(tmp_path / "out")
    for task in tasks:
        assert results["results"][task]["acc,flexible-extract"] == 1.0, task
        assert len([s for s in samples[task] if s["filter"] == "flexible-extract"]) == 3
        bench = task.split("_")[1]
        assert get_benchmark(bench).name == bench
