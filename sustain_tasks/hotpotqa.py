"""HotpotQA with SustainScore: does following a self-evident instruction cost correctness?

Multi-hop question answering in the distractor setting: the prompt gives the ten titled
context paragraphs (two supporting, eight distractors) and the question, and asks for brief
reasoning and a final ``Answer: ...`` line. Verdicts use the official answer normalisation:
exact match decides correctness, token F1 is reported beside it. In ``self`` mode (the
default) each sample runs the SustainScore protocol in one evaluation.

Zhilin Yang, Peng Qi, Saizheng Zhang, Yoshua Bengio, William W. Cohen, Ruslan Salakhutdinov,
Christopher D. Manning. "HotpotQA: A Dataset for Diverse, Explainable Multi-hop Question
Answering." EMNLP 2018. https://arxiv.org/abs/1809.09600

SustainScore: Qi et al. 2026, arXiv:2601.22047. https://arxiv.org/abs/2601.22047

# the paper's protocol (plain, then constrained on the items solved)
inspect eval sustain_tasks/hotpotqa.py --model openai/gpt-4o-mini

# only content constraints (answer length, mentioning a supporting title, ...)
inspect eval sustain_tasks/hotpotqa.py --model openai/gpt-4o-mini -T kinds=content

# offline, with local data and the built-in reference model (SustainScore 1.0)
SUSTAIN_DATA_DIR=../shared/data inspect eval sustain_tasks/hotpotqa.py \\
    --model sustain/reference --limit 20

# once installed, by registry name
inspect eval sustain_tasks/hotpotqa --model openai/gpt-4o-mini -T mode=retest

# verdicts the rules leave open (no final answer found, or an ambiguous one) decided by a grader
inspect eval sustain_tasks/hotpotqa --model openai/gpt-4o-mini -T grader=model \\
    --model-role grader=openai/gpt-4o-mini
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import Sample

from sustain_tasks._inspect import build_task, item_to_sample
from sustain_tasks.benchmarks import get_benchmark

__all__ = ["hotpotqa", "record_to_sample"]

BENCHMARK_NAME = "hotpotqa"
"""The benchmark in :data:`sustain_tasks.benchmarks.BENCHMARKS` this task runs."""

DEFAULT_MODE = "self"
DEFAULT_K = 1
DEFAULT_SEED = 0


@task
def hotpotqa(
    mode: str = DEFAULT_MODE,
    k: int = DEFAULT_K,
    kinds: str | list[str] | None = None,
    seed: int = DEFAULT_SEED,
    data_dir: str | None = None,
    grader: str | None = None,
) -> Task:
    """HotpotQA under the SustainScore protocol (task name ``sustain_hotpotqa``).

    Args:
        mode: ``self`` (constraints from the model's own correct answer), ``reference``
            (constraints from the reference solution), ``plain`` (no constraints),
            ``placebo`` or ``retest`` (the two controls).
        k: Constraints per item, 1 to 3.
        kinds: Constraint ids and/or categories (``length``, ``format:boxed_answer``, ...),
            a list or a comma-separated string; the default uses length, format, lexical and
            content kinds.
        seed: Seed of every choice made while extracting constraints.
        data_dir: Folder with ``hotpotqa/dev_distractor_500.jsonl``; by default
            ``$SUSTAIN_DATA_DIR``, else the ``hotpotqa/hotpot_qa`` dataset on the hub.
        grader: ``model`` to let the model bound to the ``grader`` role (``--model-role
            grader=<model>``) decide verdicts the rules leave open (no final answer found,
            or an ambiguous one); both verdicts are kept in the score's metadata.
    """
    return build_task(BENCHMARK_NAME, mode=mode, k=k, kinds=kinds, seed=seed,
                      data_dir=data_dir, grader=grader)


def record_to_sample(record: Mapping[str, Any], index: int = 0) -> Sample:
    """One HotpotQA record in the original layout (``_id``, ``question``, ``answer``,
    ``context``, ``supporting_facts``, ...) as the sample this task evaluates.
    """
    benchmark = get_benchmark(BENCHMARK_NAME)
    return item_to_sample(benchmark, benchmark.record_to_item(record, index))
