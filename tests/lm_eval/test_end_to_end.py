"""lm-eval end to end: its real ``local-completions`` client against a loopback server (GSM8K;
MATH-500 and HotpotQA in one run), the Python API with the offline models, ``sustain lm-eval``,
and the two-stage self flow joined by ``sustain extract``. The math verifier's worker processes
must end with the run that started them.

Subprocess runs take seconds each on a small machine, so they are few and use ``--limit``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
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


def _rebox(reference: str, answer: str) -> str:
    """``reference`` with its last ``\\boxed{...}`` holding ``answer`` instead."""
    from sustain_verifiers.math import extract_boxed

    old = "\\boxed{" + extract_boxed(reference)[-1] + "}"
    head, sep, tail = reference.rpartition(old)
    assert sep, reference
    return head + "\\boxed{" + answer + "}" + tail


@pytest.mark.slow
def test_math500_and_hotpotqa_groups_through_the_cli(
        tmp_path: Path, offline_env: dict[str, str], completion_server: Any, lm_eval_cli: Any,
        lm_eval_run: Any, leftover_processes: Any, bench_items: dict[str, list[Item]]) -> None:
    """One run of both groups; the math verifier's worker processes end with the run."""
    from sustain_verifiers.math import verify_math

    limit = 8
    math_items, hotpot_items = bench_items["math500"][:limit], bench_items["hotpotqa"][:limit]
    items = {item.id: item for item in [*math_items, *hotpot_items]}
    # equivalent answers written differently: the math one needs the symbolic worker
    math_item, hotpot_item = math_items[2], hotpot_items[0]
    assert math_item.target == "\\frac{14}{3}"
    assert verify_math("\\boxed{14/3}", math_item.target).how == "sympy"
    completion_server.script[(math_item.id, "plain")] = _rebox(math_item.reference, "14/3")
    completion_server.script[(hotpot_item.id, "plain")] = (
        hotpot_item.reference.rpartition("Answer:")[0]
        + f"Answer: The {hotpot_item.target.upper()}.")
    tag = f"SUSTAIN_TEST_RUN={uuid.uuid4().hex}"
    env = {**offline_env, tag.partition("=")[0]: tag.partition("=")[2]}
    out = tmp_path / "out"
    lm_eval_cli([*_client_args(completion_server.url), "--include_path", str(include_path()),
                 "--tasks", "sustain_math500,sustain_hotpotqa", "--limit", str(limit),
                 "--output_path", str(out), "--log_samples"], env, tmp_path)
    assert leftover_processes(tag) == [], "the run left processes behind"

    results, samples = lm_eval_run(out)
    tasks = {f"sustain_{b}_{v}" for b in ("math500", "hotpotqa")
             for v in ("plain", "constrained")}
    assert set(results["results"]) >= tasks
    assert set(samples) == tasks
    for bench in ("math500", "hotpotqa"):
        assert results["group_subtasks"][f"sustain_{bench}"] == [
            f"sustain_{bench}_plain", f"sustain_{bench}_constrained"]
    for task in tasks:
        res = results["results"][task]
        for f in ("strict-match", "flexible-extract"):
            assert res[f"acc,{f}"] == 1.0, (task, f)
            if task.endswith("_constrained"):
                assert res[f"compliance,{f}"] == 1.0, (task, f)
                assert res[f"compliance_loose,{f}"] == 1.0, (task, f)
            if "hotpotqa" in task:
                assert res[f"f1,{f}"] == 1.0, (task, f)
            else:
                assert f"f1,{f}" not in res

    for task, lines in samples.items():
        bench_name, variant = task.removeprefix("sustain_").split("_")
        bench = get_benchmark(bench_name)
        assert len(lines) == 2 * limit
        assert {line["filter"] for line in lines} == {"strict-match", "flexible-extract"}
        for line in lines:
            doc = line["doc"]
            assert set(doc) == DOC_KEYS
            assert (doc["task"], doc["variant"]) == (bench_name, variant)
            item = items[doc["id"]]
            assert doc["metadata"] == json.loads(json.dumps(dict(item.metadata)))
            assert line["arguments"]["gen_args_0"]["arg_0"] == doc["prompt"]
            assert doc["prompt"].startswith(bench.prompt(item))
            raw = line["resps"][0][0]
            assert raw == completion_server.script.get((item.id, variant), item.reference)
            assert line["acc"] == 1.0
            assert ("f1" in line) == (bench_name == "hotpotqa")
            if variant == "constrained":
                assert doc["constraint_source"] == "reference"
                for record in doc["constraints"]:
                    assert constraint_from_record(record).check(raw)
                    assert record["text"] in doc["prompt"]
            if line["filter"] == "flexible-extract" and raw == item.reference:
                assert bench.verify(raw, item.target).extracted == line["filtered_resps"][0]
        if bench_name == "hotpotqa":
            assert all(len(line["doc"]["metadata"]["context"]) == 10 for line in lines)
    math_lines = [line for line in samples["sustain_math500_plain"]
                  if line["doc"]["id"] == math_item.id]
    assert [line["filtered_resps"] for line in math_lines] == [["14/3"], ["14/3"]]

    stops = {"math500": ["\n\nProblem:"], "hotpotqa": ["\n\nQuestion:"]}
    assert len(completion_server.requests) == 4 * limit
    for body in completion_server.requests:
        (prompt,) = body["prompt"] if isinstance(body["prompt"], list) else [body["prompt"]]
        item = completion_server.item_for(prompt)
        bench_name = "math500" if item.id.startswith("test/") else "hotpotqa"
        assert body["stop"] == stops[bench_name]
        assert body["max_tokens"] == 1024
        assert body["temperature"] == 0


@pytest.mark.slow
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


def _equivalent_output(bench: str, item: Item) -> str:
    """A correct output written differently from the reference."""
    if bench == "math500":
        assert item.target == "\\frac{14}{3}"
        return _rebox(item.reference, "14/3")
    return item.reference.rpartition("Answer:")[0] + f"Answer: the {item.target.upper()}"


def _wrong_output(bench: str, item: Item) -> str:
    if bench == "math500":
        return _rebox(item.reference, "12345")
    return item.reference.rpartition("Answer:")[0] + "Answer: Nobody at all"


@pytest.mark.slow
@pytest.mark.parametrize("bench", ["math500", "hotpotqa"])
def test_python_api_with_the_offline_models(local_data: Path, tmp_path: Path, bench: str,
                                            bench_items: dict[str, list[Item]],
                                            children: Any) -> None:
    """sustain-reference and sustain-replay on MATH-500 and HotpotQA (``limit``), and no
    verifier process outlives its pool."""
    import lm_eval
    from sustain_verifiers._isolate import shutdown_default_pool

    register_models()
    limit = 6
    tm = task_manager(metadata={"k": 2})
    result = lm_eval.simple_evaluate(model="sustain-reference", tasks=[f"sustain_{bench}"],
                                     task_manager=tm, limit=limit, log_samples=True,
                                     bootstrap_iters=0)
    assert result is not None
    for variant in ("plain", "constrained"):
        res = result["results"][f"sustain_{bench}_{variant}"]
        for f in ("strict-match", "flexible-extract"):
            assert res[f"acc,{f}"] == 1.0
            assert (f"f1,{f}" in res) == (bench == "hotpotqa")
            if variant == "constrained":
                assert res[f"compliance,{f}"] == 1.0
        assert len(result["samples"][f"sustain_{bench}_{variant}"]) == 2 * limit
    assert {len(line["doc"]["constraints"])
            for line in result["samples"][f"sustain_{bench}_constrained"]} == {2}

    # replay: one wrong answer, one equivalent answer written differently (item 2)
    items = bench_items[bench][:limit]
    outputs = {item.id: item.reference for item in items}
    outputs[items[1].id] = _wrong_output(bench, items[1])
    outputs[items[2].id] = _equivalent_output(bench, items[2])
    path = tmp_path / "outputs.jsonl"
    path.write_text("".join(json.dumps({"id": i, "output": o, "variant": "plain"}) + "\n"
                            for i, o in outputs.items()))
    result = lm_eval.simple_evaluate(
        model="sustain-replay", model_args={"outputs": str(path), "tasks": bench},
        tasks=[f"sustain_{bench}_plain"], task_manager=task_manager(), limit=limit,
        log_samples=True, bootstrap_iters=0)
    assert result is not None
    lines = result["samples"][f"sustain_{bench}_plain"]
    flexible = {line["doc"]["id"]: line for line in lines if line["filter"] == "flexible-extract"}
    assert [flexible[item.id]["resps"][0][0] for item in items] == list(outputs.values())
    assert [flexible[item.id]["acc"] for item in items] == [1.0, 0.0, 1.0, 1.0, 1.0, 1.0]
    res = result["results"][f"sustain_{bench}_plain"]
    assert res["acc,flexible-extract"] == pytest.approx(5 / 6)
    if bench == "hotpotqa":
        assert res["f1,flexible-extract"] == pytest.approx(5 / 6)
        # upper case and an article: exact match after normalisation, but not as written
        assert flexible[items[2].id]["filtered_resps"] == [f"the {items[2].target.upper()}"]
    else:
        assert flexible[items[2].id]["filtered_resps"] == ["14/3"]

    # the math verifier's workers: alive while warm, none a zombie, all gone after shutdown
    assert not [c for c in children() if c[1] == "Z"]
    shutdown_default_pool()
    assert not [c for c in children() if "sustain_verifiers._isolate" in c[2]]


@pytest.mark.slow
@pytest.mark.parametrize("bench", ["math500", "hotpotqa"])
def test_two_stage_self_flow_in_python(local_data: Path, tmp_path: Path, bench: str,
                                       bench_items: dict[str, list[Item]],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """plain run -> sustain extract -> constrained run with constraints_path -> sustain
    score, through the Python API (saving as the command line does) and the ``sustain`` entry
    point in-process."""
    import lm_eval
    from lm_eval.loggers import EvaluationTracker

    from sustain_tasks.cli import main as sustain_main

    register_models()
    n = 8
    items = bench_items[bench][:n]
    outputs = [{"id": item.id, "output": item.reference} for item in items]
    outputs[1]["output"] = _wrong_output(bench, items[1])  # not in S
    outputs[2]["output"] = _equivalent_output(bench, items[2])  # in S
    path = tmp_path / "outputs.jsonl"

    def run(tasks: list[str], out: Path, metadata: dict[str, Any] | None = None,
            limit: int | None = None) -> dict[str, Any]:
        path.write_text("".join(json.dumps(o) + "\n" for o in outputs))
        tracker = EvaluationTracker(output_path=str(out))
        result = lm_eval.simple_evaluate(
            model="sustain-replay", model_args=f"model=m,outputs={path}", tasks=tasks,
            task_manager=task_manager(metadata=metadata), limit=limit, log_samples=True,
            evaluation_tracker=tracker, bootstrap_iters=0)
        assert result is not None
        samples = result.pop("samples")
        tracker.save_results_aggregated(results=result, samples=samples)
        for name in result["configs"]:
            tracker.save_results_samples(task_name=name, samples=samples[name])
        return {**result, "samples": samples}

    plain_out = tmp_path / "plain"
    run([f"sustain_{bench}_plain"], plain_out, limit=n)
    assert len(list((plain_out / "m").glob("samples_*.jsonl"))) == 1
    constraints = tmp_path / "constraints.jsonl"
    assert sustain_main(["extract", "--task", bench, "--from", str(plain_out),
                         "--out", str(constraints), "--k", "2"]) == 0
    lines = [json.loads(x) for x in constraints.read_text().splitlines() if x.strip()]
    ids = [line["id"] for line in lines]
    assert items[1].id not in ids
    assert items[2].id in ids
    assert set(ids) <= {item.id for item in items}
    assert len(ids) >= n - 3
    sources = {o["id"]: o["output"] for o in outputs}
    for line in lines:
        assert (line["task"], line["source"]) == (bench, "self")
        for record in line["constraints"]:
            assert constraint_from_record(record).check(sources[line["id"]])

    # constrained: the first item of S now answers wrong
    broken = ids[0]
    outputs.append({"id": broken, "variant": "constrained",
                    "output": _wrong_output(bench,
                                            next(i for i in items if i.id == broken))})
    constrained_out = tmp_path / "constrained"
    result = run([f"sustain_{bench}_constrained"], constrained_out,
                 metadata={"constraints_path": str(constraints)})
    expected = (len(ids) - 1) / len(ids)
    con = result["results"][f"sustain_{bench}_constrained"]
    assert con["sample_len"] == len(ids)
    assert con["acc,flexible-extract"] == pytest.approx(expected)
    # the constrained outputs are the very outputs the constraints came from
    for line in result["samples"][f"sustain_{bench}_constrained"]:
        assert line["doc"]["constraint_source"] == "self"
        if line["doc"]["id"] != broken:
            assert line["compliance"] == 1.0

    capsys.readouterr()
    assert sustain_main(["score", str(plain_out), str(constrained_out), "--format",
                         "json"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()
            if x.strip().startswith("{")]
    (row,) = [r for r in rows if r["task"] in (bench, f"sustain_{bench}")]
    assert row["model"] == "m"
    assert row["n_sustain"] == len(ids)
    assert row["sustain_score"] == pytest.approx(expected)
    assert row["plain_accuracy"] == pytest.approx((n - 1) / n)
    assert row["constrained_accuracy"] == pytest.approx(expected)


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
