"""lm-eval and Inspect give the same verdicts on the same completions.

The completions are replayed through lm-eval (``sustain-replay`` via the Python API, so the
real filters and ``process_results`` run) and scored by the Inspect scorer's
``score_record`` on the same items and constraints.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from sustain_tasks.benchmarks import Item, get_benchmark
from sustain_tasks.lm_eval import register_models, task_manager
from sustain_tasks.lm_eval.adapter import INVALID, build_docs

pytestmark = [pytest.mark.lm_eval, pytest.mark.inspect]

N_DOCS = 36


def _variant(reference: str, target: str, kind: int) -> str:
    """Six kinds of completion: right, right in another format, wrong, empty, long, boxed."""
    body = reference.rpartition("####")[0].rstrip()
    if kind == 0:
        return reference
    if kind == 1:
        return f"{body}\nThe answer is {target}."
    if kind == 2:
        return re.sub(r"#### .*$", f"#### {int(target) + 1}", reference)
    if kind == 3:
        return ""
    if kind == 4:
        padding = " ".join(["Let me double check every step of this once more."] * 40)
        return f"{padding}\n\n{reference}, I am sure; here, there, everywhere"
    return f"So the result is $\\boxed{{{target}}}$"


def test_lm_eval_and_inspect_verdicts_agree(local_data: Path, tmp_path: Path,
                                            gsm8k_items: list[Item]) -> None:
    import lm_eval

    from sustain_tasks._inspect.scorer import score_record

    bench = get_benchmark("gsm8k")
    constrained_docs = build_docs("gsm8k", "constrained")[:N_DOCS]
    ids = sorted({d["id"] for d in constrained_docs} | {str(i) for i in range(N_DOCS)},
                 key=int)
    by_id = {item.id: item for item in gsm8k_items}
    outputs: dict[tuple[str, str], str] = {}
    for n, item_id in enumerate(ids):
        item = by_id[item_id]
        outputs[(item_id, "plain")] = _variant(item.reference, item.target, n % 6)
        outputs[(item_id, "constrained")] = _variant(item.reference, item.target, (n + 3) % 6)
    path = tmp_path / "outputs.jsonl"
    path.write_text("".join(json.dumps({"id": i, "variant": v, "output": o}) + "\n"
                            for (i, v), o in outputs.items()))

    register_models()
    result = lm_eval.simple_evaluate(
        model="sustain-replay", model_args={"outputs": str(path), "model": "replay"},
        tasks=["sustain_gsm8k"], task_manager=task_manager(), limit=N_DOCS,
        log_samples=True, bootstrap_iters=0)
    assert result is not None
    samples: dict[str, list[dict[str, Any]]] = result["samples"]

    lm: dict[tuple[str, str, str], dict[str, Any]] = {}
    for task, lines in samples.items():
        variant = task.rpartition("_")[2]
        assert len(lines) == 2 * N_DOCS
        for line in lines:
            assert line["resps"][0][0] == outputs[(line["doc"]["id"], variant)]
            lm[(line["doc"]["id"], variant, line["filter"])] = line

    checked: dict[str, set[Any]] = {"plain": set(), "constrained": set(), "compliant": set()}
    compared = 0
    for doc in constrained_docs:
        item_id = doc["id"]
        if (item_id, "plain", "flexible-extract") not in lm:
            continue  # an item past the plain task's limit
        compared += 1
        plain_out, constrained_out = outputs[(item_id, "plain")], outputs[(item_id,
                                                                           "constrained")]
        record = {"mode": "reference", "plain_output": plain_out,
                  "constraints": doc["constraints"], "second_variant": "constrained",
                  "second_output": constrained_out}
        score = score_record(bench, record, doc["target"], by_id[item_id])
        value = score.value
        assert isinstance(value, dict)
        plain_line = lm[(item_id, "plain", "flexible-extract")]
        con_line = lm[(item_id, "constrained", "flexible-extract")]
        assert plain_line["acc"] == value["plain"], (item_id, plain_out)
        assert con_line["acc"] == value["constrained"], (item_id, constrained_out)
        assert con_line["compliance"] == value["compliant"], (item_id, doc["constraints"])
        assert con_line["compliance_loose"] == value["compliant_loose"]
        assert plain_line["filtered_resps"] == [score.answer or INVALID]
        # both filters report the same compliance; strict-match uses verify_strict
        con_strict = lm[(item_id, "constrained", "strict-match")]
        assert con_strict["compliance"] == con_line["compliance"]
        assert con_strict["acc"] == float(
            bench.verify_strict(constrained_out, doc["target"]).correct)
        checked["plain"].add(value["plain"])
        checked["constrained"].add(value["constrained"])
        checked["compliant"].add(value["compliant"])
    assert compared >= N_DOCS // 2
    # the completions exercise both verdicts of every key
    assert checked == {"plain": {0.0, 1.0}, "constrained": {0.0, 1.0},
                       "compliant": {0.0, 1.0}}
    strict = [lm[(i, "plain", "strict-match")]["acc"] for i in ids if (i, "plain",
                                                                       "strict-match") in lm]
    flexible = [lm[(i, "plain", "flexible-extract")]["acc"] for i in ids
                if (i, "plain", "flexible-extract") in lm]
    assert sum(strict) < sum(flexible)
