"""MBPP: short Python programming problems in English, judged by three asserts each.

Austin et al., 2021, "Program Synthesis with Large Language Models", arXiv:2108.07732.

The test split (task_ids 11-510) of the full configuration. As in the MBPP paper, the prompt
states the task and shows a test, so the function's name and signature are known; here it
shows the first of the three asserts, and all three (after ``test_setup_code``) decide.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any, ClassVar

from sustain_verifiers.code import parse_python

from sustain_tasks.benchmarks.base import Item
from sustain_tasks.benchmarks.code import CodeBenchmark
from sustain_tasks.benchmarks.data import HubSource

__all__ = ["FIRST_TEST_ID", "LAST_TEST_ID", "MBPP", "PROMPT_TEMPLATE", "entry_point_of"]

PROMPT_TEMPLATE = (
    "You are an expert Python programmer, and here is your task: {text} "
    "Your code should pass this test:\n\n{test}\n\n"
    "Write the function in one fenced code block (```python ... ```)."
)

FIRST_TEST_ID = 11
LAST_TEST_ID = 510
"""The test split, by task_id (the upstream README's ranges)."""


def entry_point_of(code: str, test: str) -> str | None:
    """The function the test calls that ``code`` defines (the first such call in ``test``)."""
    try:
        defined = {node.name for node in parse_python(code).body
                   if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
        calls = [node.func.id for node in ast.walk(parse_python(test))
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)]
    except SyntaxError:
        return None
    return next((name for name in calls if name in defined), None)


class MBPP(CodeBenchmark):
    """MBPP full, test split (500 problems, ids ``"11"`` to ``"510"``)."""

    name: ClassVar[str] = "mbpp"
    title: ClassVar[str] = "MBPP"
    hub: ClassVar[HubSource] = HubSource("google-research-datasets/mbpp", "full", "test")
    local_file: ClassVar[str] = "mbpp/mbpp.jsonl"

    def keep(self, record: Mapping[str, Any]) -> bool:
        task_id = record.get("task_id")
        return isinstance(task_id, int) and FIRST_TEST_ID <= task_id <= LAST_TEST_ID

    def record_to_item(self, record: Mapping[str, Any], index: int) -> Item:
        del index
        text = self._text(record, "text").strip()
        code = self._text(record, "code")
        tests = record["test_list"]
        if not isinstance(tests, list) or not tests or not all(
                isinstance(t, str) and t.strip() for t in tests):
            raise TypeError("field 'test_list' must be a non-empty list of asserts")
        setup = record.get("test_setup_code") or ""
        if not isinstance(setup, str):
            raise TypeError("field 'test_setup_code' must be a string")
        entry = entry_point_of(code, tests[0])
        if entry is None:
            raise ValueError("field 'test_list': the first test calls no function that "
                             "field 'code' defines")
        test_code = "\n".join([*(s for s in [setup.replace("\r\n", "\n").strip()] if s),
                               *(t.strip() for t in tests)]) + "\n"
        return Item(id=str(record["task_id"]), question=text, target=test_code,
                    reference=self.fenced(code),
                    metadata={"entry_point": entry, "first_test": tests[0].strip()})

    def prompt(self, item: Item) -> str:
        return PROMPT_TEMPLATE.format(text=item.question, test=item.metadata["first_test"])
