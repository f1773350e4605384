"""GSM8K: grade-school math word problems with a numeric final answer.

Cobbe et al., 2021, "Training Verifiers to Solve Math Word Problems", arXiv:2110.14168.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from sustain_verifiers.numeric import extract_numeric_answer, verify_numeric

from sustain_tasks.benchmarks.base import Benchmark, Item, Verdict
from sustain_tasks.benchmarks.data import HubSource

__all__ = ["GSM8K", "strip_calculator_annotations"]

PROMPT_TEMPLATE = (
    "Solve the following math word problem. Reason step by step, then give the final answer "
    'as a number on the last line, in the form "#### <number>".\n\n'
    "Problem: {question}"
)

_ANNOTATION_RE = re.compile(r"<<[^<>]*>>")


def strip_calculator_annotations(solution: str) -> str:
    """Remove GSM8K's ``<<48/2=24>>`` calculator annotations."""
    return _ANNOTATION_RE.sub("", solution)


class GSM8K(Benchmark):
    """GSM8K test split (1319 problems)."""

    name: ClassVar[str] = "gsm8k"
    title: ClassVar[str] = "GSM8K"
    hub: ClassVar[HubSource] = HubSource("openai/gsm8k", "main", "test")
    local_file: ClassVar[str] = "gsm8k/test.jsonl"

    def record_to_item(self, record: Mapping[str, Any], index: int) -> Item:
        question = record["question"]
        solution = record["answer"]
        if not isinstance(question, str) or not isinstance(solution, str):
            raise TypeError("'question' and 'answer' must be strings")
        head, sep, final = solution.rpartition("####")
        if not sep:
            raise ValueError("'answer' has no '#### <final answer>' line")
        target = final.strip().replace(",", "")
        reference = strip_calculator_annotations(head).rstrip() + f"\n#### {target}"
        return Item(id=str(index), question=question, target=target, reference=reference)

    def prompt(self, item: Item) -> str:
        return PROMPT_TEMPLATE.format(question=item.question)

    def verify(self, output: str, target: str, item: Item | None = None) -> Verdict:
        v = verify_numeric(output, target, question=item.question if item else None)
        return Verdict(v.correct, v.extracted, v.detail)

    def verify_strict(self, output: str, target: str, item: Item | None = None) -> Verdict:
        v = verify_numeric(output, target, strict=True)
        return Verdict(v.correct, v.extracted, v.detail)

    def final_answer(self, output: str) -> str | None:
        return extract_numeric_answer(output).text

    def required_fragments(self, item: Item) -> tuple[str, ...]:
        return (f"#### {item.target}",)
