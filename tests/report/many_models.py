"""Rows of many synthetic models on several benchmarks, drawn from a seeded generator."""

from __future__ import annotations

import random

from sustain_tasks.report.readers import SampleRow

KINDS = ("length:max_words", "format:boxed_answer", "code:no_imports", "lexical:no_commas",
         "content:mention_entity")
TASK_KINDS = {"gsm8k": KINDS[:2] + KINDS[3:4], "math500": KINDS[:2] + KINDS[3:],
              "mbpp": (KINDS[0], KINDS[2], KINDS[3])}


def _row(model: str, task: str, sid: str, variant: str, correct: bool, *, run: str,
         mode: str, kinds: tuple[str, ...] = (), compliant: bool | None = None) -> SampleRow:
    return SampleRow(model=model, task=task, sample_id=sid, variant=variant, correct=correct,
                     compliant=compliant, compliant_loose=compliant, kinds=kinds,
                     categories=tuple(dict.fromkeys(k.split(":")[0] for k in kinds)),
                     n_constraints=len(kinds) if variant == "constrained" else None,
                     mode=mode, harness="inspect", run=run, created=1.0)


def model_names(n: int) -> list[str]:
    """``n`` model names of realistic length."""
    families = ("llama-3.1-8b", "qwen2.5-7b", "mistral-7b-v0.3", "gemma-2-9b", "olmo-2-7b")
    stages = ("base", "sft", "dpo", "rlvr")
    return [f"org/{families[i % len(families)]}-{stages[(i // len(families)) % len(stages)]}"
            + (f"-r{i // 20}" if i >= 20 else "") for i in range(n)]


def many_model_rows(n_models: int, *, tasks: tuple[str, ...] = ("gsm8k", "math500", "mbpp"),
                    n_items: int = 60, retest: bool = True, seed: int = 0) -> list[SampleRow]:
    """Self-mode rows of ``n_models`` models on ``tasks``; every other model also has a
    retest run."""
    rng = random.Random(seed)
    rows: list[SampleRow] = []
    for m, model in enumerate(model_names(n_models)):
        skill = 0.45 + 0.5 * rng.random()
        keep = 0.55 + 0.45 * rng.random()
        for task in tasks:
            kinds = TASK_KINDS.get(task, KINDS)
            run = f"{model}/{task}"
            for i in range(n_items):
                sid = str(i)
                plain = rng.random() < skill
                rows.append(_row(model, task, sid, "plain", plain, run=run, mode="self"))
                if not plain:
                    continue
                chosen = tuple(sorted(rng.sample(kinds, rng.randint(1, 2))))
                kept = rng.random() < keep - (0.15 if "lexical:no_commas" in chosen else 0.0)
                rows.append(_row(model, task, sid, "constrained", kept, run=run, mode="self",
                                 kinds=chosen, compliant=rng.random() < 0.8))
            if retest and m % 2 == 0:
                control = f"{run}/retest"
                for i in range(n_items):
                    sid = str(i)
                    plain = rng.random() < skill
                    rows.append(_row(model, task, sid, "plain", plain, run=control,
                                     mode="retest"))
                    if plain:
                        rows.append(_row(model, task, sid, "retest", rng.random() < 0.93,
                                         run=control, mode="retest"))
    return rows
