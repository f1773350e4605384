"""lm-eval end to end: its real ``local-completions`` client against a loopback server, the
Python API, ``sustain lm-eval``, and the two-stage self flow joined by ``sustain extract``.

Subprocess runs take seconds each on a small machine, so they are few and use ``--limit``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sustain_tasks.benchmarks import Item, get_benchmark
from sustain_tasks.constraints import constraint_from_record
from sustain_tasks.lm_eval import include_path, register_models, task_manager

pytestmark = [pytest.mark.lm_eval]

DOC_KEYS = {"id", "task", "variant", "question", "target", "prompt", "constraints",
            "constraint_source", "metadata"}
SAMPLE_KEYS = {"doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter",
               "metrics"}


def _client_args(url: str, model: str = "loopback") -> list[str]:
    return ["--model", "local-completions", "--model_args",
            f"model={model},base_url={url},tokenizer_backend=none,tokenized_requests=False,"
            "num_concurrent=1,max_retries=1"]


@pytest.mark.slow
def test_local_completions_through_the_cli(tmp_path: Path, offline_env: dict[str, str],
                                           completion_server: Any, lm_eval_cli: Any,
                                           lm_eval_run: Any, gsm8k_items: list[Item]) -> None:
    by_id = {item.id: item for item in gsm8k_items}
    # item 3 answers right but not in the "#### N" form: flexible yes, strict no
    completion_server.script[("3", "plain")] = (
        by_id["3"].reference.rpartition("####")[0] + f"The answer is {by_id['3'].target}.")
    out = tmp_path / "out"
    lm_eval_cli([*_client_args(completion_server.url), "--include_path", str(include_path()),
                 "--tasks", "sustain_gsm8k", "--limit", "20", "--output_path", str(out),
                 "--log_samples"], offline_env, tmp_path)

    results, samples = lm_eval_run(out)
    assert (out / "loopback").is_dir()
    plain, constrained = (results["results"][f"sustain_gsm8k_{v}"]
                          for v in ("plain", "constrained"))
    assert plain["acc,flexible-extract"] == 1.0
    assert plain["acc,strict-match"] == pytest.approx(19 / 20)
    for f in ("strict-match", "flexible-extract"):
        assert constrained[f"acc,{f}"] == 1.0
        assert constrained[f"compliance,{f}"] == 1.0
        assert constrained[f"compliance_loose,{f}"] == 1.0
    assert set(results["group_subtasks"]["sustain_gsm8k"]) == {
        "sustain_gsm8k_plain", "sustain_gsm8k_constrained"}

    assert set(samples) == {"sustain_gsm8k_plain", "sustain_gsm8k_constrained"}
    for task, lines in samples.items():
        variant = task.rpartition("_")[2]
        assert len(lines) == 40
        assert {line["filter"] for line in lines} == {"strict-match", "flexible-extract"}
        for line in lines:
            assert set(line) >= SAMPLE_KEYS
            doc = line["doc"]
            assert set(doc) == DOC_KEYS
            assert doc["variant"] == variant
            item = by_id[doc["id"]]
            assert line["target"] == item.target
            raw = line["resps"][0][0]
            assert raw == completion_server.script.get((item.id, variant), item.reference)
            assert line["arguments"]["gen_args_0"]["arg_0"] == doc["prompt"]
            if line["filter"] == "flexible-extract":
                assert line["filtered_resps"] == [item.target]
            if variant == "constrained":
                assert doc["constraint_source"] == "reference"
                assert doc["constraints"]
                for record in doc["constraints"]:
                    assert constraint_from_record(record).check(raw)
                    assert record["text"] in doc["prompt"]
                assert line["compliance"] == 1.0
            else:
                assert doc["constraints"] == []
    # what the client sent: the task's generation settings, one prompt per request
    assert len(completion_server.requests) == 40
    for body in completion_server.requests:
        assert body["stop"] == ["\n\nProblem:"]
        assert body["max_tokens"] == 1024
        assert body["temperature"] == 0


def test_python_api_with_the_reference_model(local_data: Path) -> None:
    import lm_eval

    from sustain_tasks.lm_eval.models import ReferenceLM

    register_models()
    tm = task_manager(metadata={"k": 2, "kinds": "length,format", "seed": 1})
    result = lm_eval.simple_evaluate(model="sustain-reference", tasks=["sustain_gsm8k"],
                                     task_manager=tm, limit=8, log_samples=True,
                                     bootstrap_iters=0)
    assert result is not None
    res = result["results"]
    assert res["sustain_gsm8k_plain"]["acc,strict-match"] == 1.0
    assert res["sustain_gsm8k_constrained"]["acc,flexible-extract"] == 1.0
    assert res["sustain_gsm8k_constrained"]["compliance,strict-match"] == 1.0
    lines = result["samples"]["sustain_gsm8k_constrained"]
    assert len(lines) == 16
    n_constraints = set()
    for line in lines:
        records = line["doc"]["constraints"]
        n_constraints.add(len(records))
        assert {r["kind"].partition(":")[0] for r in records} <= {"length", "format"}
    assert max(n_constraints) == 2

    # an LM instance works as well
    lm = ReferenceLM(data_dir=str(local_data))
    again = lm_eval.simple_evaluate(model=lm, tasks=["sustain_gsm8k_plain"],
                                    task_manager=task_manager(), limit=3, bootstrap_iters=0)
    assert again is not None
    assert again["results"]["sustain_gsm8k_plain"]["acc,flexible-extract"] == 1.0


@pytest.mark.slow
def test_sustain_lm_eval_entry_adds_include_path_and_models(
        tmp_path: Path, offline_env: dict[str, str], lm_eval_run: Any,
        gsm8k_items: list[Item]) -> None:
    outputs = tmp_path / "outputs.jsonl"
    outputs.write_text("".join(
        json.dumps({"id": item.id, "output": item.reference if item.id != "1" else "no idea"})
        + "\n" for item in gsm8k_items[:4]))
    out = tmp_path / "out"
    code = ("import sys; from sustain_tasks.lm_eval import cli_main; "
            "raise SystemExit(cli_main(sys.argv[1:]))")
    proc = subprocess.run(
        [sys.executable, "-c", code, "--model", "sustain-replay", "--model_args",
         f"outputs={outputs}", "--tasks", "sustain_gsm8k_plain", "--limit", "4",
         "--output_path", str(out), "--log_samples"],
        env=offline_env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
        check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    results, samples = lm_eval_run(out)
    assert (out / "sustain-replay").is_dir()
    assert results["results"]["sustain_gsm8k_plain"]["acc,flexible-extract"] == 0.75
    flexible = [s for s in samples["sustain_gsm8k_plain"] if s["filter"] == "flexible-extract"]
    assert [s["acc"] for s in flexible] == [1.0, 0.0, 1.0, 1.0]
    assert flexible[1]["filtered_resps"] == ["[invalid]"]


@pytest.mark.slow
def test_two_stage_self_flow(tmp_path: Path, offline_env: dict[str, str],
                             completion_server: Any, lm_eval_cli: Any, sustain_cli: Any,
                             lm_eval_run: Any, gsm8k_items: list[Item]) -> None:
    """plain run -> sustain extract -> constrained run with metadata -> sustain score."""
    by_id = {item.id: item for item in gsm8k_items}
    n = 10
    # plain: item 2 is wrong, so it is not in S
    completion_server.script[("2", "plain")] = "I think it is 123456.\n#### 123456"
    plain_out = tmp_path / "plain"
    lm_eval_cli([*_client_args(completion_server.url, "m"), "--include_path",
                 str(include_path()), "--tasks", "sustain_gsm8k_plain", "--limit", str(n),
                 "--output_path", str(plain_out), "--log_samples"], offline_env, tmp_path)

    constraints = tmp_path / "constraints.jsonl"
    sustain_cli(["extract", "--task", "gsm8k", "--from", str(plain_out), "--out",
                 str(constraints)], offline_env, tmp_path)
    lines = [json.loads(x) for x in constraints.read_text().splitlines() if x.strip()]
    ids = [line["id"] for line in lines]
    assert "2" not in ids
    assert set(ids) <= {str(i) for i in range(n)}
    assert len(ids) >= n - 3
    bench = get_benchmark("gsm8k")
    for line in lines:
        assert line["task"] == "gsm8k"
        assert line["source"] == "self"
        for record in line["constraints"]:
            assert constraint_from_record(record).check(by_id[line["id"]].reference)

    # constrained: the first item of S answers wrong, everything else as before
    broken = ids[0]
    completion_server.script[(broken, "constrained")] = "No idea.\n#### 0"
    requests_before = len(completion_server.requests)
    constrained_out = tmp_path / "constrained"
    lm_eval_cli([*_client_args(completion_server.url, "m"), "--include_path",
                 str(include_path()), "--tasks", "sustain_gsm8k_constrained",
                 "--metadata", json.dumps({"constraints_path": str(constraints)}),
                 "--output_path", str(constrained_out), "--log_samples"],
                offline_env, tmp_path)
    results, samples = lm_eval_run(constrained_out)
    docs = [s["doc"] for s in samples["sustain_gsm8k_constrained"]
            if s["filter"] == "flexible-extract"]
    assert [d["id"] for d in docs] == ids
    assert all(d["constraint_source"] == "self" for d in docs)
    assert len(completion_server.requests) - requests_before == len(ids)
    expected = (len(ids) - 1) / len(ids)
    con = results["results"]["sustain_gsm8k_constrained"]
    assert con["acc,flexible-extract"] == pytest.approx(expected)
    prompts = {d["id"]: d["prompt"] for d in docs}
    for line in lines:
        plain_prompt = bench.prompt(by_id[line["id"]])
        assert prompts[line["id"]].startswith(plain_prompt)
        for record in line["constraints"]:
            assert record["text"] in prompts[line["id"]]

    proc = sustain_cli(["score", str(plain_out), str(constrained_out), "--format", "json"],
                       offline_env, tmp_path)
    rows = [json.loads(x) for x in proc.stdout.splitlines() if x.strip().startswith("{")]
    (row,) = [r for r in rows if r["task"] in ("gsm8k", "sustain_gsm8k")]
    assert row["model"] == "m"
    assert row["n_sustain"] == len(ids)
    assert row["sustain_score"] == pytest.approx(expected)
    assert row["plain_accuracy"] == pytest.approx((n - 1) / n)
    assert row["constrained_accuracy"] == pytest.approx(expected)
    assert row["sustain_ci_low"] <= row["sustain_score"] <= row["sustain_ci_high"]
