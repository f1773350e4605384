"""What the code benchmarks (HumanEval, MBPP) share: extraction, test runs and the leak guard.

An item's ``target`` is its test code (HumanEval's ``check`` function and the call
``check(<entry point>)``; MBPP's setup code and asserts), so a ``"target"`` given to
``sustain verify`` replaces the tests. A verdict extracts the code from the output
(:func:`sustain_verifiers.code.extract_code`), assembles the program (the prompt's signature and
imports for HumanEval), and runs it with its tests in the isolated runner
(:mod:`sustain_verifiers.execution`); it is correct only when the tests ran to completion.
``Verdict.detail`` names the outcome and which extraction rule found the code.

The strict verdict accepts only the format the prompt asks for: a complete fenced code block.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from sustain_verifiers._limits import truncation_note
from sustain_verifiers.code import (
    MAX_CODE_CHARS,
    CodeExtraction,
    assemble_program,
    extract_code,
    parse_python,
)
from sustain_verifiers.execution import DEFAULT_LIMITS, Limits, RunResult, run_many

from sustain_tasks.benchmarks.base import Benchmark, Item, Verdict
from sustain_tasks.constraints import SourceContext

__all__ = ["CODE_DEFAULT_KINDS", "CodeBenchmark", "TestJob", "quoted_values"]

CODE_DEFAULT_KINDS: tuple[str, ...] = ("code", "length", "format", "lexical")
"""Categories drawn from for code answers: code structure (``ast``), and the prose kinds."""

_MAX_LITERALS = 500


def quoted_values(tests: str) -> tuple[str, ...]:
    """String literals of the test code (values no constraint text may quote)."""
    try:
        tree = parse_python(tests)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ()
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.strip()
            if len(text) >= 2 and text not in found:
                found.append(text)
                if len(found) >= _MAX_LITERALS:
                    break
    return tuple(found)


class TestJob:
    """The program and tests for one output, or the verdict when there is nothing to run."""

    __slots__ = ("extraction", "note", "program", "tests", "verdict")

    def __init__(self, extraction: CodeExtraction | None, program: str | None, tests: str,
                 verdict: Verdict | None = None, note: str = "") -> None:
        self.extraction = extraction
        self.program = program
        self.tests = tests
        self.verdict = verdict
        self.note = note
        """Appended to the verdict's detail (e.g. that only the output's end was read)."""


class CodeBenchmark(Benchmark):
    """A benchmark whose answers are Python functions judged by unit tests."""

    default_kinds: ClassVar[tuple[str, ...]] = CODE_DEFAULT_KINDS
    limits: ClassVar[Limits] = DEFAULT_LIMITS
    """Bounds of each test run."""
    batch_size: ClassVar[int] = 64

    # -- what a subclass provides -----------------------------------------------------------
    def entry_point(self, item: Item | None) -> str | None:
        """The name of the function under test."""
        if item is None:
            return None
        name = item.metadata.get("entry_point")
        return name if isinstance(name, str) and name else None

    def code_prompt(self, item: Item | None) -> str:
        """Code the answer continues (HumanEval's signature and docstring); empty for MBPP."""
        del item
        return ""

    # -- verdicts ---------------------------------------------------------------------------
    def test_job(self, output: str, target: str, item: Item | None, *,
                 strict: bool = False) -> TestJob:
        """Extract and assemble the program for ``output``; ``target`` is the test code."""
        entry = self.entry_point(item)
        extraction = extract_code(output, entry)
        note = truncation_note(output, MAX_CODE_CHARS)
        if extraction is None or (strict and extraction.method != "fenced"):
            why = ("no complete fenced code block (strict format)" if extraction is not None
                   else "no code found in the output")
            return TestJob(extraction, None, target, Verdict(False, None, f"error: {why}{note}"))
        program = assemble_program(extraction.code, self.code_prompt(item), entry)
        return TestJob(extraction, program, target, note=note)

    @staticmethod
    def judge(job: TestJob, run: RunResult) -> Verdict:
        """The verdict on ``job`` from its test run."""
        assert job.extraction is not None
        return Verdict(run.passed, job.extraction.code,
                       f"{run.outcome}: {run.detail} (code: {job.extraction.method}){job.note}")

    def verify_many(self, jobs: Sequence[tuple[str, str, Item | None]], *,
                    strict: bool = False) -> list[Verdict]:
        """Verdicts for many ``(output, target, item)`` triples, tests run in parallel."""
        prepared = [self.test_job(output, target, item, strict=strict)
                    for output, target, item in jobs]
        runnable = [i for i, job in enumerate(prepared) if job.verdict is None]
        runs = run_many([(prepared[i].program or "", prepared[i].tests) for i in runnable],
                        self.limits)
        verdicts: list[Verdict | None] = [job.verdict for job in prepared]
        for i, run in zip(runnable, runs, strict=True):
            verdicts[i] = self.judge(prepared[i], run)
        return [v for v in verdicts if v is not None]

    def verify(self, output: str, target: str, item: Item | None = None) -> Verdict:
        return self.verify_many([(output, target, item)])[0]

    def verify_strict(self, output: str, target: str, item: Item | None = None) -> Verdict:
        return self.verify_many([(output, target, item)], strict=True)[0]

    def final_answer(self, output: str) -> str | None:
        extraction = extract_code(output)
        return extraction.code if extraction is not None else None

    # -- constraint policy ------------------------------------------------------------------
    def required_fragments(self, item: Item) -> tuple[str, ...]:
        entry = self.entry_point(item)
        return (f"def {entry}(",) if entry else ()

    def source_context(self, item: Item, source: str, seed: int = 0) -> SourceContext:
        """Extraction context: the leak guard protects the tests' string literals (code is the
        answer itself, so its own text is not a secret; constraint kinds never quote
        literals)."""
        del source
        return SourceContext(task=self.name, item_id=item.id, seed=seed,
                             answers=quoted_values(item.target),
                             required=self.required_fragments(item), facts=self.facts(item))

    @staticmethod
    def fenced(code: str) -> str:
        """``code`` as a model would answer: one fenced Python block."""
        return f"```python\n{code.rstrip()}\n```"

    @staticmethod
    def _text(record: Mapping[str, Any], key: str) -> str:
        value = record[key]
        if not isinstance(value, str) or not value.strip():
            raise TypeError(f"field '{key}' must be a non-empty string")
        return value.replace("\r\n", "\n")
