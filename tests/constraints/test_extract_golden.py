"""Extraction output pinned on recorded cases: reference solutions of every benchmark, outputs
written like a model's, and long concatenations of references.

Each line of ``data/extract_golden.jsonl`` holds a source output, its extraction context, the
arguments and the records ``extract_constraints`` returned when the file was written. The file
is self-contained (no dataset needed). Regenerate it only when a change of extraction output is
intended::

    PYTHONPATH=.:verifiers python tests/constraints/test_extract_golden.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from sustain_tasks.constraints import SourceContext, extract_constraints

GOLDEN = Path(__file__).with_name("data") / "extract_golden.jsonl"

KIND_SETS: tuple[str | None, ...] = (
    None, "length", "format", "lexical", "content", "code", "lexical:include_word",
    "lexical:include_word,lexical:avoid_word,content:mention_entity,"
    "length:max_words_per_sentence",
)
ITEMS = (0, 7, 42, 99)
"""Items of each benchmark whose reference solutions are recorded."""
MODEL_OUTPUTS = (
    "Let's break this down step by step.\n\n"
    "**Step 1:** Janet's ducks lay 16 eggs per day.\n"
    "**Step 2:** She eats 3 and bakes with 4, so 16 - 3 - 4 = 9 eggs remain.\n"
    "**Step 3:** She sells each for $2, so 9 * 2 = 18 dollars.\n\n"
    "I hope this helps!\n\n#### 18",
    "# Solution\n\n- First, we compute the remainder: 16 - 3 - 4 = 9.\n"
    "- Then we multiply: 9 x 2 = 18.\n\nThe answer is 18.\n#### 18",
    "We need the total number of bolts.\n1. Blue fiber: 2 bolts.\n"
    "2. White fiber: half of that, 2 / 2 = 1 bolt.\n3. Total: 2 + 1 = 3 bolts.\n#### 3",
    "The Hound of the Baskervilles features Sherlock Holmes; it was written by "
    "Arthur Conan Doyle, a Scottish author (e.g. he also wrote The Lost World).\n"
    "Answer: Arthur Conan Doyle",
    "Here is the function.\n\n```python\ndef add(a: int, b: int) -> int:\n"
    '    """Return the sum."""\n    return a + b\n```\n\nIt simply adds the two numbers.',
)


def _context(record: dict[str, Any]) -> SourceContext:
    return SourceContext(task=record["task"], item_id=record["item_id"], seed=record["seed"],
                         answers=tuple(record["answers"]), required=tuple(record["required"]),
                         facts=record["facts"])


def _cases() -> list[dict[str, Any]]:
    if not GOLDEN.exists():  # while regenerating
        return []
    return [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["name"])
def test_extraction_matches_the_recorded_output(case: dict[str, Any]) -> None:
    chosen = extract_constraints(case["source"], _context(case["context"]), k=case["k"],
                                 kinds=case["kinds"], default_kinds=case["default_kinds"])
    assert [c.to_record() for c in chosen] == case["expected"]
    for c in chosen:
        assert c.check(case["source"])


def _record(name: str, bench: Any, item: Any, source: str, seed: int, kinds: str | None,
            k: int) -> dict[str, Any]:
    ctx = bench.source_context(item, source, seed)
    context = {"task": ctx.task, "item_id": ctx.item_id, "seed": ctx.seed,
               "answers": list(ctx.answers), "required": list(ctx.required),
               "facts": dict(ctx.facts)}
    chosen = extract_constraints(source, ctx, k=k, kinds=kinds,
                                 default_kinds=bench.default_kinds)
    return {"name": name, "source": source, "context": context, "k": k, "kinds": kinds,
            "default_kinds": list(bench.default_kinds),
            "expected": [c.to_record() for c in chosen]}


def regenerate(data_dir: Path) -> int:
    """Write :data:`GOLDEN` from the references in ``data_dir``; returns the number of cases."""
    from sustain_tasks.benchmarks import get_benchmark

    cases: list[dict[str, Any]] = []
    n = 0
    for name in ("gsm8k", "math500", "hotpotqa", "humaneval", "mbpp"):
        bench = get_benchmark(name)
        items = bench.load(data_dir, limit=max(ITEMS) + 1)
        for index in ITEMS:
            item = items[index]
            for j in range(5):
                n += 1
                seed, kinds, k = n % 3, KIND_SETS[n % len(KIND_SETS)], 1 + n % 3
                cases.append(_record(f"{name}-{item.id}-{j}", bench, item, item.reference,
                                     seed, kinds, k))
        long_source = "\n\n".join(item.reference for item in items[:12])
        for j, kinds in enumerate((None, "lexical")):
            cases.append(_record(f"{name}-long-{j}", bench, items[0], long_source, j, kinds, 3))
    gsm8k, hotpotqa, mbpp = (get_benchmark(b) for b in ("gsm8k", "hotpotqa", "mbpp"))
    gsm_items = gsm8k.load(data_dir, limit=2)
    owners = [(gsm8k, gsm_items[0]), (gsm8k, gsm_items[0]), (gsm8k, gsm_items[1]),
              (hotpotqa, hotpotqa.load(data_dir, limit=1)[0]),
              (mbpp, mbpp.load(data_dir, limit=1)[0])]
    for m, (source, (bench, item)) in enumerate(zip(MODEL_OUTPUTS, owners, strict=True)):
        for seed, kinds, k in ((0, None, 3), (m + 1, KIND_SETS[m + 1], 2)):
            cases.append(_record(f"model-{m}-{seed}", bench, item, source, seed, kinds, k))
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text("".join(json.dumps(c, sort_keys=True) + "\n" for c in cases),
                      encoding="utf-8")
    return len(cases)


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[2]
    print(regenerate(root.parent / "shared" / "data"), "cases written to", GOLDEN,
          file=sys.stderr)
