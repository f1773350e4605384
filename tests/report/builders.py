"""Hand-built lm-eval output folders and Inspect logs, shaped like the real ones."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def sample_value(plain: float, constrained: float | None = None, *,
                 compliant: float | None = None, compliant_loose: float | None = None,
                 placebo: float | None = None, retest: float | None = None,
                 n_constraints: int = 1, plain_f1: float | None = None,
                 constrained_f1: float | None = None) -> dict[str, Any]:
    """A ``sustain_scorer`` Score.value dict."""
    in_s = 1.0 if plain == 1.0 and constrained is not None and n_constraints > 0 else 0.0
    return {"plain": plain, "constrained": constrained, "compliant": compliant,
            "compliant_loose": compliant_loose if compliant_loose is not None else compliant,
            "placebo": placebo, "retest": retest, "in_s": in_s,
            "n_constraints": n_constraints if constrained is not None else 0,
            "plain_f1": plain_f1, "constrained_f1": constrained_f1}


def write_inspect_log(path: Path, samples: Sequence[Mapping[str, Any]], *,
                      task: str = "sustain_gsm8k", model: str = "sustain/reference",
                      mode: str = "self", status: str = "success",
                      created: str = "2026-01-01T10:00:00+00:00",
                      model_args: dict[str, Any] | None = None,
                      sample_ids: Sequence[str | int] | None = None,
                      task_args: Mapping[str, Any] | None = None) -> Path:
    """Write an Inspect log; each sample mapping has id, value, and optionally kinds,
    plain_output, constrained_output, epoch, no_score, first_message, metadata (the
    item's metadata; the task adds ``task`` and ``item_id`` as the real tasks do) and
    score_metadata (more ``Score.metadata`` keys).

    ``sample_ids``: the ids the run was started on (default: those of ``samples``); an
    unfinished run (``status="started"``) holds only some of them. ``task_args`` adds to (or
    overrides) ``mode``, ``k`` = 1 and ``seed`` = 0."""
    from inspect_ai.log import (
        EvalConfig,
        EvalDataset,
        EvalLog,
        EvalSample,
        EvalSpec,
        write_eval_log,
    )
    from inspect_ai.model import ChatMessageAssistant, ChatMessageUser
    from inspect_ai.scorer import Score

    eval_samples = []
    for s in samples:
        kinds = list(s.get("kinds", ["length:max_words"]))
        constraints = [{"kind": k, "params": {}, "text": k} for k in kinds]
        meta = {"mode": mode, "constraints": constraints, "kinds": kinds,
                "categories": list(dict.fromkeys(k.split(":")[0] for k in kinds)),
                "plain_output": s.get("plain_output", f"answer {s['id']}\n#### 1"),
                "constrained_output": s.get("constrained_output"),
                **s.get("score_metadata", {})}
        scores = None if s.get("no_score") else {
            "sustain_scorer": Score(value=s["value"], answer="1", metadata=meta)}
        messages = [ChatMessageUser(content="question"),
                    ChatMessageAssistant(content=s.get("first_message", "first reply"))]
        sample_meta = {**s.get("metadata", {}), "task": task.removeprefix("sustain_"),
                       "item_id": str(s["id"])}
        eval_samples.append(EvalSample(id=s["id"], epoch=s.get("epoch", 1), input="question",
                                       target="1", messages=messages, scores=scores,
                                       metadata=sample_meta))
    epochs = max((s.get("epoch", 1) for s in samples), default=1)
    ids = list(sample_ids) if sample_ids is not None else \
        list(dict.fromkeys(s["id"] for s in samples))
    log = EvalLog(
        status=status,
        eval=EvalSpec(created=created, task=task, dataset=EvalDataset(
            name="gsm8k", samples=len(ids), sample_ids=ids),
            model=model, model_args=model_args or {}, config=EvalConfig(epochs=epochs),
            task_args={"mode": mode, "k": 1, "seed": 0, **(task_args or {})}),
        samples=eval_samples,
    )
    write_eval_log(log, str(path))
    return path


def lm_line(doc_id: int, sid: str, *, acc: float, filt: str = "flexible-extract",
            output: str = "out", constraints: Sequence[str] | None = None,
            compliance: float | None = None, compliance_loose: float | None = None,
            source: str = "self", f1: Any = None,
            metadata: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One lm-eval samples line (sustain task); ``f1`` adds the graded metric (HotpotQA),
    ``metadata`` the doc's item metadata."""
    doc: dict[str, Any] = {"id": sid, "question": f"q{sid}", "target": "1"}
    if metadata is not None:
        doc["metadata"] = dict(metadata)
    line: dict[str, Any] = {
        "doc_id": doc_id, "doc": doc, "target": "1",
        "arguments": {"gen_args_0": {"arg_0": "prompt", "arg_1": {"until": []}}},
        "resps": [[output]], "filtered_resps": [output], "filter": filt,
        "metrics": ["acc"], "doc_hash": "x", "prompt_hash": "y", "target_hash": "z",
        "acc": acc,
    }
    if f1 is not None:
        line["metrics"] = ["acc", "f1"]
        line["f1"] = f1
    if constraints is not None:
        doc["constraints"] = [{"kind": k, "params": {}, "text": k} for k in constraints]
        doc["constraint_source"] = source
        line["metrics"] = [*line["metrics"], "compliance", "compliance_loose"]
        line["compliance"] = compliance
        line["compliance_loose"] = (compliance_loose if compliance_loose is not None
                                    else compliance)
    return line


def write_lmeval_run(folder: Path, tasks: Mapping[str, Sequence[Mapping[str, Any]]], *,
                     date: str = "2026-01-01T10-00-00.000001",
                     model_args: Any = "pretrained=org/model-a", model: str = "hf",
                     model_name: str | None = None, epoch: float | None = None,
                     results: bool = True) -> Path:
    """An lm-eval ``--output_path`` model folder: results_<date>.json + samples files.

    Each samples file repeats every line with the ``strict-match`` filter (acc 0) so that the
    reader has to pick the ``flexible-extract`` line.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if results:
        name = model_name
        if name is None:
            name = model_args.split("=", 1)[1] if isinstance(model_args, str) and "=" in \
                model_args else "randomname"
        data = {"results": {t: {} for t in tasks}, "configs": {}, "config": {
            "model": model, "model_args": model_args}, "model_name": name,
            "model_name_sanitized": name.replace("/", "__"), "date": epoch,
            "lm_eval_version": "0.4.13"}
        (folder / f"results_{date}.json").write_text(json.dumps(data), encoding="utf-8")
    for task, lines in tasks.items():
        path = folder / f"samples_{task}_{date}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for line in lines:
                if line.get("filter") == "flexible-extract":
                    strict = dict(line, filter="strict-match", acc=0.0)
                    fh.write(json.dumps(strict) + "\n")
                fh.write(json.dumps(line) + "\n")
    return folder
