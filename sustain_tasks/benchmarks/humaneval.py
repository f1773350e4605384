"""HumanEval: Python functions from their signature and docstring, judged by unit tests.

Chen et al., 2021, "Evaluating Large Language Models Trained on Code", arXiv:2107.03374.

The prompt shows the function's signature and docstring and asks for the whole function in a
fenced code block; answers that only continue the body are accepted too (see
:mod:`sustain_verifiers.code`). The tests are the item's ``check`` function, called on the
entry point.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from sustain_tasks.benchmarks.base import Item
from sustain_tasks.benchmarks.code import CodeBenchmark
from sustain_tasks.benchmarks.data import HubSource

__all__ = ["PROMPT_TEMPLATE", "HumanEval"]

PROMPT_TEMPLATE = (
    "Complete the following Python function. Write the whole function, with its signature "
    "and any imports it needs, in one fenced code block (```python ... ```).\n\n"
    "```python\n{code}```"
)


class HumanEval(CodeBenchmark):
    """HumanEval (164 problems, ids ``HumanEval/0`` to ``HumanEval/163``)."""

    name: ClassVar[str] = "humaneval"
    title: ClassVar[str] = "HumanEval"
    hub: ClassVar[HubSource] = HubSource("openai/openai_humaneval", None, "test")
    local_file: ClassVar[str] = "humaneval/HumanEval.jsonl.gz"

    def record_to_item(self, record: Mapping[str, Any], index: int) -> Item:
        del index
        task_id = self._text(record, "task_id")
        prompt = self._text(record, "prompt")
        entry = self._text(record, "entry_point").strip()
        if not entry.isidentifier():
            raise ValueError(f"field 'entry_point' is not a Python name: {entry!r}")
        solution = self._text(record, "canonical_solution")
        tests = self._text(record, "test").rstrip() + f"\n\n\ncheck({entry})\n"
        return Item(id=task_id, question=prompt, target=tests,
                    reference=self.fenced(prompt + solution),
                    metadata={"entry_point": entry})

    def prompt(self, item: Item) -> str:
        return PROMPT_TEMPLATE.format(code=item.question if item.question.endswith("\n")
                                      else item.question + "\n")

    def code_prompt(self, item: Item | None) -> str:
        return item.question if item is not None else ""
