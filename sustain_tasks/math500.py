"""MATH-500 with SustainScore: does following a self-evident instruction cost correctness?

Competition mathematics (the 500-problem MATH test subset of "Let's Verify Step by Step"),
answered with step-by-step reasoning and a final answer in ``\\boxed{}``, judged by symbolic
equivalence (math-verify on sympy, bounded in time and memory). Sample metadata carries the
subject and level so reports can break results down by difficulty. In ``self`` mode (the
default) each sample runs the SustainScore protocol in one evaluation: plain answer; when it is
correct, constraints extracted from it; the constrained prompt in a fresh conversation.

Dan Hendrycks, Collin Burns, Saurav Kadavath, Akul Arora, Steven Basart, Eric Tang, Dawn Song,
Jacob Steinhardt. "Measuring Mathematical Problem Solving With the MATH Dataset." 2021.
https://arxiv.org/abs/2103.03874
Hunter Lightman et al. "Let's Verify Step by Step." 2023. https://arxiv.org/abs/2305.20050

SustainScore: Qi et al. 2026, arXiv:2601.22047. https://arxiv.org/abs/2601.22047

# the paper's protocol (plain, then constrained on the items solved)
inspect eval sustain_tasks/math500.py --model openai/gpt-4o-mini

# two constraints per item; constraints from the reference solutions
inspect eval sustain_tasks/math500.py --model openai/gpt-4o-mini -T k=2
inspect eval sustain_tasks/math500.py --model openai/gpt-4o-mini -T mode=reference

# offline, with local data and the built-in reference model (SustainScore 1.0)
SUSTAIN_DATA_DIR=../shared/data inspect eval sustain_tasks/math500.py \\
    --model sustain/reference --limit 20

# once installed, by registry name
inspect eval sustain_tasks/math500 --model openai/gpt-4o-mini -T mode=placebo

# answers without a \\boxed{} that the rules cannot read, decided by a grader model
inspect eval sustain_tasks/math500.py --model openai/gpt-4o-mini -T grader=model \\
    --model-role grader=openai/gpt-4o-mini
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import Sample

from sustain_tasks._inspect import build_task, item_to_sample
from sustain_tasks.benchmarks import get_benchmark

__all__ = ["math500", "record_to_sample"]

BENCHMARK_NAME = "math500"
"""The benchmark in :data:`sustain_tasks.benchmarks.BENCHMARKS` this task runs."""

DEFAULT_MODE = "self"
DEFAULT_K = 1
DEFAULT_SEED = 0


@task
def math500(
    mode: str = DEFAULT_MODE,
    k: int = DEFAULT_K,
    kinds: str | list[str] | None = None,
    seed: int = DEFAULT_SEED,
    data_dir: str | None = None,
    grader: str | None = None,
) -> Task:
    """MATH-500 under the SustainScore protocol (task name ``sustain_math500``).

    Args:
        mode: ``self`` (constraints from the model's own correct answer), ``reference``
            (constraints from the reference solution), ``plain`` (no constraints),
            ``placebo`` or ``retest`` (the two controls).
        k: Constraints per item, 1 to 3.
        kinds: Constraint ids and/or categories (``length``, ``format:boxed_answer``, ...),
            a list or a comma-separated string; the default uses length, format, lexical and
            content kinds.
        seed: Seed of every choice made while extracting constraints.
        data_dir: Folder with ``math500/test.jsonl``; by default ``$SUSTAIN_DATA_DIR``, else
            the ``HuggingFaceH4/MATH-500`` dataset on the Hugging Face hub.
        grader: ``model`` to let the model bound to the ``grader`` role (``--model-role
            grader=<model>``) decide verdicts the rules leave open (no final answer found,
            or an ambiguous one); both verdicts are kept in the score's metadata.
    """
    return build_task(BENCHMARK_NAME, mode=mode, k=k, kinds=kinds, seed=seed,
                      data_dir=data_dir, grader=grader)


def record_to_sample(record: Mapping[str, Any], index: int = 0) -> Sample:
    """One MATH-500 record (``problem``, ``solution``, ``answer``, ``subject``, ``level``,
    ``unique_id``) as the sample this task evaluates; its id is ``unique_id``.
    """
    benchmark = get_benchmark(BENCHMARK_NAME)
    return item_to_sample(benchmark, benchmark.record_to_item(record, index))
