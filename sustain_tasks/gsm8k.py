"""GSM8K with SustainScore: does following a self-evident instruction cost correctness?

Grade-school math word problems with a numeric final answer. In ``self`` mode (the default)
each sample runs the SustainScore protocol in one evaluation: the model answers the plain
prompt; when it is correct, constraints that its own answer already satisfies are extracted
from that answer, and the constrained prompt is asked in a fresh conversation. SustainScore
is the share of those items that stay correct.

Karl Cobbe, Vineet Kosaraju, Mohammad Bavarian, Mark Chen, Heewoo Jun, Lukasz Kaiser,
Matthias Plappert, Jerry Tworek, Jacob Hilton, Reiichiro Nakano, Christopher Hesse,
John Schulman. "Training Verifiers to Solve Math Word Problems." 2021.
https://arxiv.org/abs/2110.14168

SustainScore: Qi et al. 2026, arXiv:2601.22047. https://arxiv.org/abs/2601.22047

# the paper's protocol (plain, then constrained on the items solved)
inspect eval sustain_tasks/gsm8k.py --model openai/gpt-4o-mini

# two constraints per item, drawn only from length and format kinds
inspect eval sustain_tasks/gsm8k.py --model openai/gpt-4o-mini -T k=2 -T kinds=length,format

# constraints from the reference solutions; plain accuracy only; the two controls
inspect eval sustain_tasks/gsm8k.py --model openai/gpt-4o-mini -T mode=reference
inspect eval sustain_tasks/gsm8k.py --model openai/gpt-4o-mini -T mode=plain
inspect eval sustain_tasks/gsm8k.py --model openai/gpt-4o-mini -T mode=placebo
inspect eval sustain_tasks/gsm8k.py --model openai/gpt-4o-mini -T mode=retest

# verdicts the rules leave open (no final answer found, or an ambiguous one) decided by a grader
inspect eval sustain_tasks/gsm8k.py --model openai/gpt-4o-mini -T grader=model \\
    --model-role grader=openai/gpt-4o-mini

# offline, with local data and the built-in reference model (SustainScore 1.0)
SUSTAIN_DATA_DIR=../shared/data inspect eval sustain_tasks/gsm8k.py \\
    --model sustain/reference --limit 20

# once installed, by registry name; replaying recorded outputs
inspect eval sustain_tasks/gsm8k --model sustain/replay -M outputs=outputs.jsonl
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import Sample

from sustain_tasks._inspect import build_task, item_to_sample
from sustain_tasks.benchmarks import get_benchmark

__all__ = ["gsm8k", "record_to_sample"]

BENCHMARK_NAME = "gsm8k"
"""The benchmark in :data:`sustain_tasks.benchmarks.BENCHMARKS` this task runs."""

DEFAULT_MODE = "self"
DEFAULT_K = 1
DEFAULT_SEED = 0


@task
def gsm8k(
    mode: str = DEFAULT_MODE,
    k: int = DEFAULT_K,
    kinds: str | list[str] | None = None,
    seed: int = DEFAULT_SEED,
    data_dir: str | None = None,
    grader: str | None = None,
) -> Task:
    """GSM8K under the SustainScore protocol (task name ``sustain_gsm8k``).

    Args:
        mode: ``self`` (constraints from the model's own correct answer), ``reference``
            (constraints from the reference solution), ``plain`` (no constraints),
            ``placebo`` or ``retest`` (the two controls).
        k: Constraints per item, 1 to 3.
        kinds: Constraint ids and/or categories (``length``, ``format:boxed_answer``, ...),
            a list or a comma-separated string; the default uses length, format, lexical and
            content kinds.
        seed: Seed of every choice made while extracting constraints.
        data_dir: Folder with ``gsm8k/test.jsonl``; by default ``$SUSTAIN_DATA_DIR``, else
            the ``openai/gsm8k`` dataset on the Hugging Face hub.
        grader: ``model`` to let the model bound to the ``grader`` role (``--model-role
            grader=<model>``) decide verdicts the rules leave open (no final answer found,
            or an ambiguous one); both verdicts are kept in the score's metadata.
    """
    return build_task(BENCHMARK_NAME, mode=mode, k=k, kinds=kinds, seed=seed,
                      data_dir=data_dir, grader=grader)


def record_to_sample(record: Mapping[str, Any], index: int = 0) -> Sample:
    """One GSM8K record (``question``, ``answer``) as the sample this task evaluates.

    ``index`` is the record's 0-based position in the test split, which is its sample id.
    """
    benchmark = get_benchmark(BENCHMARK_NAME)
    return item_to_sample(benchmark, benchmark.record_to_item(record, index))
