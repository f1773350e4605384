"""MBPP and HumanEval through lm-eval's own command line against a loopback completion server:
the unsafe-code gate, the verdicts of the isolated runner, and the same verdicts as Inspect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval as inspect_eval

from sustain_tasks.benchmarks import Item
from sustain_tasks.lm_eval import include_path
from sustain_tasks.mbpp import mbpp

pytestmark = [pytest.mark.lm_eval, pytest.mark.sandbox]


def _client_args(url: str) -> list[str]:
    return ["--model", "local-completions", "--model_args",
            f"model=loopback,base_url={url},tokenizer_backend=none,tokenized_requests=False,"
            "num_concurrent=1,max_retries=1"]


@pytest.mark.slow
def test_code_tasks_need_the_unsafe_code_confirmation(
        tmp_path: Path, offline_env: dict[str, str], completion_server: Any) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "lm_eval", *_client_args(completion_server.url),
         "--include_path", str(include_path()), "--tasks", "sustain_humaneval_plain",
         "--limit", "1"], env=offline_env, cwd=tmp_path, capture_output=True, text=True,
        timeout=600, check=False)
    assert proc.returncode != 0
    assert "confirm_run_unsafe_code" in proc.stderr + proc.stdout
    assert completion_server.requests == []


@pytest.mark.slow
def test_mbpp_reference_run_agrees_with_inspect(
        tmp_path: Path, offline_env: dict[str, str], completion_server: Any, lm_eval_cli: Any,
        lm_eval_run: Any, bench_items: dict[str, list[Item]], data_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    limit = 30
    items = bench_items["mbpp"][:limit]
    # one wrong program and one that never ends: both judged wrong, the run goes on
    wrong, endless = items[1], items[2]
    completion_server.script[(wrong.id, "plain")] = (
        f"```python\ndef {wrong.metadata['entry_point']}(*args):\n    return 0\n```")
    completion_server.script[(endless.id, "plain")] = (
        f"```python\ndef {endless.metadata['entry_point']}(*args):\n    while True:\n"
        "        pass\n```")
    out = tmp_path / "out"
    lm_eval_cli([*_client_args(completion_server.url), "--include_path", str(include_path()),
                 "--tasks", "sustain_mbpp", "--limit", str(limit), "--confirm_run_unsafe_code",
                 "--output_path", str(out), "--log_samples"], offline_env, tmp_path)
    results, samples = lm_eval_run(out)
    assert set(samples) == {"sustain_mbpp_plain", "sustain_mbpp_constrained"}
    lm: dict[tuple[str, str, str], dict[str, Any]] = {}
    for task, lines in samples.items():
        variant = task.rpartition("_")[2]
        assert len(lines) == 2 * limit
        for line in lines:
            lm[(line["doc"]["id"], variant, line["filter"])] = line
    plain = {i.id: lm[(i.id, "plain", "flexible-extract")]["acc"] for i in items}
    assert plain[wrong.id] == plain[endless.id] == 0.0
    assert sum(plain.values()) == limit - 2
    res = results["results"]["sustain_mbpp_constrained"]
    assert res["acc,flexible-extract"] == res["compliance,flexible-extract"] == 1.0

    # the same items in Inspect, reference mode, with the reference model
    monkeypatch.setenv("SUSTAIN_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    log = inspect_eval(mbpp(mode="reference"), model="sustain/reference", limit=limit,
                       display="none", log_dir=str(tmp_path / "logs"))[0]
    assert log.status == "success", log.error
    assert log.samples is not None
    for sample in log.samples:
        assert sample.scores is not None
        value = sample.scores["sustain_scorer"].value
        assert isinstance(value, dict)
        item_id = str(sample.id)
        assert value["plain"] == 1.0  # the reference model answers every item correctly
        for f in ("flexible-extract", "strict-match"):
            con = lm.get((item_id, "constrained", f))
            if con is None:
                continue
            assert con["acc"] == value["constrained"], (item_id, f)
            assert con["compliance"] == value["compliant"], (item_id, f)
        if item_id not in (wrong.id, endless.id):
            assert lm[(item_id, "plain", "flexible-extract")]["acc"] == value["plain"]
