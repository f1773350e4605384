"""HumanEval with SustainScore: does following a self-evident instruction cost correct code?

164 hand-written Python problems: the model sees a function's signature and docstring and
writes the function; the item's unit tests decide, run in an isolated sandbox (bubblewrap:
read-only file system, no network, resource limits; see ``sustain_verifiers.execution``).
In ``self`` mode (the default) each sample runs the SustainScore protocol in one evaluation:
plain answer; when its tests pass, constraints extracted from it (code structure checked with
``ast``, and the prose kinds); the constrained prompt in a fresh conversation.

Mark Chen et al. "Evaluating Large Language Models Trained on Code." 2021.
https://arxiv.org/abs/2107.03374

SustainScore: Qi et al. 2026, arXiv:2601.22047. https://arxiv.org/abs/2601.22047

# the paper's protocol (plain, then constrained on the items solved)
inspect eval sustain_tasks/humaneval.py --model openai/gpt-4o-mini

# code constraints only, two per item; constraints from the reference solutions
inspect eval sustain_tasks/humaneval.py --model openai/gpt-4o-mini -T kinds=code -T k=2
inspect eval sustain_tasks/humaneval.py --model openai/gpt-4o-mini -T mode=reference

# the tests in Inspect's Docker sandbox instead of the built-in one
inspect eval sustain_tasks/humaneval.py --model openai/gpt-4o-mini -T sandbox=docker

# offline, with local data and the built-in reference model (SustainScore 1.0)
SUSTAIN_DATA_DIR=../shared/data inspect eval sustain_tasks/humaneval.py \\
    --model sustain/reference
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import Sample

from sustain_tasks._inspect import build_task, item_to_sample
from sustain_tasks.benchmarks import get_benchmark

__all__ = ["humaneval", "record_to_sample"]

BENCHMARK_NAME = "humaneval"
"""The benchmark in :data:`sustain_tasks.benchmarks.BENCHMARKS` this task runs."""

DEFAULT_MODE = "self"
DEFAULT_K = 1
DEFAULT_SEED = 0


@task
def humaneval(
    mode: str = DEFAULT_MODE,
    k: int = DEFAULT_K,
    kinds: str | list[str] | None = None,
    seed: int = DEFAULT_SEED,
    data_dir: str | None = None,
    sandbox: str | None = None,
) -> Task:
    """HumanEval under the SustainScore protocol (task name ``sustain_humaneval``).

    Args:
        mode: ``self`` (constraints from the model's own correct answer), ``reference``
            (constraints from the reference solution), ``plain`` (no constraints),
            ``placebo`` or ``retest`` (the two controls).
        k: Constraints per item, 1 to 3.
        kinds: Constraint ids and/or categories (``code``, ``code:no_imports``, ``length``,
            ...), a list or a comma-separated string; the default uses code, length, format
            and lexical kinds.
        seed: Seed of every choice made while extracting constraints.
        data_dir: Folder with ``humaneval/HumanEval.jsonl.gz``; by default
            ``$SUSTAIN_DATA_DIR``, else ``openai/openai_humaneval`` on the Hugging Face hub.
        sandbox: Run the tests in this Inspect sandbox (e.g. ``docker``; it needs
            ``python3``) instead of the built-in bubblewrap sandbox.
    """
    return build_task(BENCHMARK_NAME, mode=mode, k=k, kinds=kinds, seed=seed,
                      data_dir=data_dir, sandbox=sandbox)


def record_to_sample(record: Mapping[str, Any], index: int = 0) -> Sample:
    """One HumanEval record (``task_id``, ``prompt``, ``canonical_solution``, ``test``,
    ``entry_point``) as the sample this task evaluates; its id is ``task_id`` and its target
    the test code.
    """
    benchmark = get_benchmark(BENCHMARK_NAME)
    return item_to_sample(benchmark, benchmark.record_to_item(record, index))
