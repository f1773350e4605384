"""MATH-500: competition mathematics with LaTeX final answers.

Hendrycks et al., 2021, "Measuring Mathematical Problem Solving With the MATH Dataset",
arXiv:2103.03874; the 500-problem test subset of Lightman et al., 2023, "Let's Verify Step by
Step", arXiv:2305.20050.

Verdicts come from :mod:`sustain_verifiers.math`: the answer is extracted (``\\boxed{}`` first,
then answer markers, see there) and compared with the reference by canonical string and, when
that does not decide, symbolically in a bounded worker process.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from sustain_verifiers.math import extract_math_answer, verify_math

from sustain_tasks.benchmarks.base import Benchmark, Item, Verdict
from sustain_tasks.benchmarks.data import HubSource

__all__ = ["MATH500", "PROMPT_TEMPLATE"]

PROMPT_TEMPLATE = (
    "Solve the following math problem. Reason step by step, then write the final answer in "
    "LaTeX inside \\boxed{{}}, for example \\boxed{{\\frac{{3}}{{4}}}}.\n\n"
    "Problem: {question}"
)


class MATH500(Benchmark):
    """MATH-500 test set (500 problems; subjects and levels 1-5 in the metadata)."""

    name: ClassVar[str] = "math500"
    title: ClassVar[str] = "MATH-500"
    hub: ClassVar[HubSource] = HubSource("HuggingFaceH4/MATH-500", None, "test")
    local_file: ClassVar[str] = "math500/test.jsonl"
    breakdowns: ClassVar[tuple[str, ...]] = ("level", "subject")

    def record_to_item(self, record: Mapping[str, Any], index: int) -> Item:
        del index
        values = {key: record[key] for key in ("unique_id", "problem", "answer", "solution")}
        for key, value in values.items():
            if not isinstance(value, str) or not value.strip():
                raise TypeError(f"field '{key}' must be a non-empty string")
        level = record.get("level")
        if isinstance(level, str) and level.strip().removeprefix("Level ").isdigit():
            level = int(level.strip().removeprefix("Level "))
        if not isinstance(level, int) or isinstance(level, bool):
            raise TypeError("field 'level' must be an integer from 1 to 5")
        subject = record.get("subject")
        if not isinstance(subject, str):
            raise TypeError("field 'subject' must be a string")
        return Item(
            id=values["unique_id"],
            question=values["problem"],
            target=values["answer"],
            reference=values["solution"],
            metadata={"subject": subject, "level": level},
        )

    def prompt(self, item: Item) -> str:
        return PROMPT_TEMPLATE.format(question=item.question)

    def verify(self, output: str, target: str, item: Item | None = None) -> Verdict:
        v = verify_math(output, target, question=item.question if item else None)
        return Verdict(v.correct, v.extracted, v.detail)

    def verify_strict(self, output: str, target: str, item: Item | None = None) -> Verdict:
        v = verify_math(output, target, strict=True)
        return Verdict(v.correct, v.extracted, v.detail)

    def final_answer(self, output: str) -> str | None:
        return extract_math_answer(output).text

    def required_fragments(self, item: Item) -> tuple[str, ...]:
        del item
        return ("\\boxed{",)
