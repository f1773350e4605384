"""Prompt lookups and document building: what the offline models and the lm-eval adapter cost.

Run by hand (not collected by pytest), from the repository root::

    SUSTAIN_DATA_DIR=../shared/data python tests/perf/bench_lookups.py [--repeats 3]
        [--out tests/perf/RESULTS.md]

The data folder is ``--data-dir`` or, without it, ``$SUSTAIN_DATA_DIR``. Three measurements,
each the median of ``--repeats`` runs (at least 3), each against the figure the tests used to
assert (a timed assertion fails at random on a loaded machine; the tests now check only that
every answer is right):

- lm-eval's :class:`~sustain_tasks.lm_eval.lookup.PromptIndex`: every HotpotQA item found from
  five forms of its prompt (plain, constrained, placebo, a chat template, a system instruction),
  by prompt (the question scan off), per lookup; claim: under 10 ms. The question scan alone
  (every 25th item) is reported without a claim.
- Inspect's ``ItemIndex.find_in_prompt``: every MATH-500 and HotpotQA item from its plain
  prompt, per call; claim: under 50 ms.
- lm-eval's ``build_docs(bench, "constrained", k=3, seed=5)``: reference-mode constraints for
  all 500 items of MATH-500 and HotpotQA; claim: under 30 s each.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "verifiers")]

from _report import write_section  # noqa: E402 - beside this script

from sustain_tasks._inspect import item_index  # noqa: E402
from sustain_tasks.benchmarks import Item, get_benchmark  # noqa: E402
from sustain_tasks.benchmarks.data import DATA_DIR_ENV  # noqa: E402
from sustain_tasks.constraints import constraint_from_record  # noqa: E402
from sustain_tasks.lm_eval.adapter import build_docs  # noqa: E402
from sustain_tasks.lm_eval.lookup import PromptIndex  # noqa: E402
from sustain_tasks.protocol import constrained_prompt, placebo_prompt  # noqa: E402

SECTION = "# Prompt lookups and lm-eval documents"
LOOKUP_CLAIM = 0.010
"""Seconds per :class:`PromptIndex` lookup by prompt (``tests/lm_eval/test_models.py``)."""
FIND_IN_PROMPT_CLAIM = 0.050
"""Seconds per ``find_in_prompt`` call (``tests/inspect/test_inspect_benchmarks.py``)."""
BUILD_DOCS_CLAIM = 30.0
"""Seconds for the 500 reference-mode documents (``tests/lm_eval/test_adapter.py``)."""
LIMIT = constraint_from_record({"kind": "length:max_words", "params": {"limit": 500}})


def wrapped(prompt: str, item: Item) -> list[str]:
    """Every way a prompt reaches a model (as in ``tests/lm_eval/test_models.py``)."""
    return [prompt, constrained_prompt(prompt, [LIMIT]),
            placebo_prompt(prompt, [LIMIT], key=item.id),
            f"<|user|>\n{prompt}\n<|assistant|>\n",
            f"You are a careful assistant.\n\n{constrained_prompt(prompt, [LIMIT])}\n\nAnswer:"]


def median_seconds(run: Callable[[], Any], repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def prompt_index(data_dir: str, *, scan_questions: bool) -> PromptIndex:
    """A loaded index that finds items by prompt only, or by the question scan only."""
    index = PromptIndex(data_dir=data_dir)
    index.find("load every benchmark")
    for ix in index._loaded.values():
        assert ix is not None
        if scan_questions:
            ix.by_prompt = {}
            ix.lengths = frozenset()
        else:
            ix.questions = []
    return index


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms" if seconds < 0.01 else f"{seconds * 1000:.1f} ms"


def verdict(value: float, claim: float) -> str:
    return "met" if value < claim else "NOT met"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get(DATA_DIR_ENV) or None,
                        help=f"the offline data folder (default: ${DATA_DIR_ENV})")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args(argv)
    if not args.data_dir:
        parser.error(f"give --data-dir or set {DATA_DIR_ENV}")
    if args.repeats < 3:
        parser.error("--repeats must be at least 3 (the median of three runs or more)")
    os.environ[DATA_DIR_ENV] = args.data_dir  # build_docs reads the data folder from here
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    load_before = os.getloadavg()
    missed: list[str] = []
    lines = [SECTION, "",
             f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
             f"- machine: {platform.machine()}, nproc {os.cpu_count()}, Python "
             f"{platform.python_version()}, {platform.system()} {platform.release()}",
             f"- load average at start: {', '.join(f'{x:.2f}' for x in load_before)}",
             "- command: `SUSTAIN_DATA_DIR=../shared/data python tests/perf/bench_lookups.py` "
             "(from the repository root)",
             f"- every figure is the median of {args.repeats} runs; the claim is the bound a "
             "test used to assert", ""]

    # 1. lm-eval's PromptIndex on every HotpotQA prompt form
    hotpot = get_benchmark("hotpotqa")
    items = hotpot.load(args.data_dir)
    rows = []
    for label, scan, sample in (("by prompt (every item)", False, items),
                                ("by the question scan only (every 25th item)", True,
                                 items[::25])):
        index = prompt_index(args.data_dir, scan_questions=scan)
        prompts = [(p, item) for item in sample for p in wrapped(hotpot.prompt(item), item)]

        def find_all(index: PromptIndex = index,
                     prompts: list[tuple[str, Item]] = prompts) -> None:
            for prompt, item in prompts:
                match = index.find(prompt)
                if match is None or match.item != item:
                    raise SystemExit(f"lookup failed for item {item.id}")

        median, times = median_seconds(find_all, args.repeats)
        per = median / len(prompts)
        claim = f"< {ms(LOOKUP_CLAIM)}: {verdict(per, LOOKUP_CLAIM)}" if not scan else "none"
        if not scan and per >= LOOKUP_CLAIM:
            missed.append("PromptIndex lookup")
        rows.append(f"| {label} | {len(prompts)} | {ms(per)} | "
                    f"{', '.join(f'{t:.2f}' for t in times)} s | {claim} |")
    lines += ["## lm-eval `PromptIndex.find`, HotpotQA (five prompt forms per item, "
              "~6,000 characters each)", "",
              "| lookup | prompts | per lookup (median) | all runs, total | claim |",
              "|---|---|---|---|---|", *rows, ""]

    # 2. Inspect's find_in_prompt on every plain prompt
    rows = []
    for name in ("math500", "hotpotqa"):
        bench = get_benchmark(name)
        inspect_index = item_index(name, args.data_dir)
        prompts = [(item, bench.prompt(item)) for item in inspect_index.items]

        def find_each(inspect_index: Any = inspect_index,
                      prompts: list[tuple[Item, str]] = prompts) -> None:
            for item, prompt in prompts:
                found = inspect_index.find_in_prompt(prompt)
                if found is None or found.id != item.id:
                    raise SystemExit(f"find_in_prompt failed for item {item.id}")

        median, times = median_seconds(find_each, args.repeats)
        per = median / len(prompts)
        if per >= FIND_IN_PROMPT_CLAIM:
            missed.append(f"find_in_prompt {name}")
        rows.append(f"| {bench.title} | {len(prompts)} | {ms(per)} | "
                    f"{', '.join(f'{t:.2f}' for t in times)} s | "
                    f"< {ms(FIND_IN_PROMPT_CLAIM)}: {verdict(per, FIND_IN_PROMPT_CLAIM)} |")
    lines += ["## Inspect `ItemIndex.find_in_prompt`, every item's plain prompt", "",
              "| benchmark | prompts | per call (median) | all runs, total | claim |",
              "|---|---|---|---|---|", *rows, ""]

    # 3. lm-eval reference-mode documents for all 500 items
    rows = []
    for name in ("math500", "hotpotqa"):
        docs: list[dict[str, Any]] = []

        def build(name: str = name, docs: list[dict[str, Any]] = docs) -> None:
            docs[:] = build_docs(name, "constrained", k=3, seed=5)

        median, times = median_seconds(build, args.repeats)
        if len(docs) != 500:
            raise SystemExit(f"{name}: {len(docs)} documents, not 500")
        if median >= BUILD_DOCS_CLAIM:
            missed.append(f"build_docs {name}")
        full = sum(len(doc["constraints"]) == 3 for doc in docs)
        rows.append(f"| {get_benchmark(name).title} | {len(docs)} ({full} with 3 constraints) | "
                    f"{median:.2f} s | {', '.join(f'{t:.2f}' for t in times)} s | "
                    f"< {BUILD_DOCS_CLAIM:g} s: {verdict(median, BUILD_DOCS_CLAIM)} |")
    lines += ["## lm-eval `build_docs(bench, \"constrained\", k=3, seed=5)`, all 500 items", "",
              "| benchmark | documents | median | all runs | claim |", "|---|---|---|---|---|",
              *rows, "",
              f"- claims not met: {', '.join(missed) if missed else 'none'}"]
    print("\n".join(lines))
    write_section(Path(args.out), SECTION, lines)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
