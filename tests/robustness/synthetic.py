"""Synthetic lm-eval output folders of any size, shaped like real lm-eval 0.4.x output.

One ``--output_path`` model folder per model, each holding one invocation
(``results_<date>.json`` with ``n-samples``, and one ``samples_sustain_<bench>_<variant>_<date>
.jsonl`` per task and variant). Every item runs plain and constrained (reference mode, as
``lm_eval --tasks sustain_<bench>`` does), so ``n_items`` items give ``n_items`` paired
records. Each (document, filter) pair is one line, the ``strict-match`` lines of every document
first and then the ``flexible-extract`` ones, as lm-eval writes them. The content is drawn from
a seeded generator: the same arguments write the same bytes.

Used by the golden-output test (small sizes) and ``tests/perf/bench_score_scale.py``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

__all__ = ["KINDS", "write_synthetic_runs"]

KINDS = ("length:max_words", "length:max_sentences", "format:boxed_answer",
         "format:numbered_steps", "lexical:no_commas", "lexical:include_word",
         "lexical:all_lowercase", "content:answer_length", "format:no_bold",
         "length:max_lines")
SUBJECTS = ("Algebra", "Geometry", "Number Theory", "Precalculus", "Prealgebra",
            "Counting & Probability", "Intermediate Algebra")
FILTERS = ("strict-match", "flexible-extract")
_DATE = "2026-01-{day:02d}T10-00-00.{micro:06d}"


def _doc(task: str, variant: str, sid: str, rng: random.Random,
         constraints: list[dict[str, object]] | None) -> dict[str, object]:
    doc: dict[str, object] = {"id": sid, "task": task, "variant": variant,
                              "question": f"question {sid}", "target": "1"}
    if task == "math500":
        doc["metadata"] = {"level": 1 + rng.randrange(5), "subject": rng.choice(SUBJECTS)}
    elif task == "hotpotqa":
        doc["metadata"] = {"type": rng.choice(("bridge", "comparison")), "level": "hard"}
    doc["constraints"] = constraints or []
    doc["constraint_source"] = "reference" if constraints else None
    return doc


def _line(doc_id: int, doc: dict[str, object], filt: str, metrics: dict[str, float]
          ) -> str:
    record: dict[str, object] = {
        "doc_id": doc_id, "doc": doc, "target": "1",
        "arguments": {"gen_args_0": {"arg_0": "prompt", "arg_1": {"until": []}}},
        "resps": [["The answer is 1."]], "filtered_resps": ["1"], "filter": filt,
        "metrics": list(metrics), "doc_hash": "d", "prompt_hash": "p", "target_hash": "t"}
    record.update(metrics)
    return json.dumps(record, ensure_ascii=False) + "\n"


def write_synthetic_runs(root: Path, n_items: int, *,
                         models: Sequence[str] = ("org/model-a", "org/model-b"),
                         tasks: Sequence[str] = ("gsm8k", "math500", "hotpotqa"),
                         seed: int = 0, filters: Sequence[str] = FILTERS) -> list[Path]:
    """Write ``n_items`` paired items (split evenly over models × tasks) under ``root``.

    Returns the model folders written.
    """
    rng = random.Random(seed)
    per = max(1, n_items // (len(models) * len(tasks)))
    folders = []
    for m, model in enumerate(models):
        folder = root / model.replace("/", "__")
        folder.mkdir(parents=True, exist_ok=True)
        date = _DATE.format(day=1 + m, micro=m + 1)
        names = [f"sustain_{t}_{v}" for t in tasks for v in ("plain", "constrained")]
        results = {
            "results": {name: {} for name in names}, "configs": {
                name: {"task": name, "filter_list": [{"name": f} for f in filters]}
                for name in names},
            "n-samples": {name: {"original": per, "effective": per} for name in names},
            "config": {"model": "hf", "model_args": f"pretrained={model}", "limit": None},
            "model_name": model, "model_name_sanitized": model.replace("/", "__"),
            "date": 1767261600.0 + 86400 * m, "lm_eval_version": "0.4.13"}
        (folder / f"results_{date}.json").write_text(json.dumps(results, indent=2),
                                                     encoding="utf-8")
        for task in tasks:
            plain_lines: list[tuple[int, dict[str, object], dict[str, float]]] = []
            constrained_lines: list[tuple[int, dict[str, object], dict[str, float]]] = []
            for i in range(per):
                sid = f"{task[:2]}{i}"
                plain_ok = rng.random() < 0.7
                kinds = rng.sample(KINDS, 1 + rng.randrange(3))
                constraints: list[dict[str, object]] = [
                    {"kind": k, "params": {}, "text": k} for k in kinds]
                kept = rng.random() < (0.9 if plain_ok else 0.2)
                compliant = rng.random() < 0.85
                p_metrics: dict[str, float] = {"acc": float(plain_ok)}
                c_metrics: dict[str, float] = {"acc": float(kept)}
                if task == "hotpotqa":
                    p_metrics["f1"] = 1.0 if plain_ok else round(rng.random() * 0.9, 3)
                    c_metrics["f1"] = 1.0 if kept else round(rng.random() * 0.9, 3)
                c_metrics["compliance"] = float(compliant)
                c_metrics["compliance_loose"] = float(compliant or rng.random() < 0.5)
                plain_lines.append((i, _doc(task, "plain", sid, rng, None), p_metrics))
                constrained_lines.append(
                    (i, _doc(task, "constrained", sid, rng, constraints), c_metrics))
            for variant, lines in (("plain", plain_lines), ("constrained", constrained_lines)):
                path = folder / f"samples_sustain_{task}_{variant}_{date}.jsonl"
                with path.open("w", encoding="utf-8") as fh:
                    for filt in filters:
                        for doc_id, doc, metrics in lines:
                            shown = dict(metrics)
                            if filt == "strict-match":
                                shown["acc"] = 0.0
                            fh.write(_line(doc_id, doc, filt, shown))
        folders.append(folder)
    return folders
