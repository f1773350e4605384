"""Why a constrained answer failed: the facts both harnesses record, and one label per failure.

A failure is an item of S (solved with the plain prompt) answered wrong under the constraint.
Each gets exactly one label, the first whose evidence holds:

1. ``no_answer``: nothing could be extracted from the constrained output (the verdict's
   extracted answer is None).
2. ``truncated``: generation stopped at the length limit (the harness's stop reason:
   Inspect's ``max_tokens``, or ``model_length`` when the context window ran out; lm-eval
   records no stop reason, so it never gives this label).
3. ``format_lost``: an answer was extracted, but not in the format the prompt asks for (the
   strict extraction finds none: GSM8K's ``#### N`` line, MATH-500's ``\\boxed{}``,
   HotpotQA's last ``Answer:`` line, a fenced code block for the code tasks).
4. ``constraint_violated``: wrong, and the output does not satisfy every constraint.
5. ``wrong_while_compliant``: wrong although every constraint was followed.
6. ``other``: wrong, with too little recorded to tell (e.g. no compliance verdict).

A fact that was not recorded (None) is no evidence: the label then falls to the next rule
whose evidence holds. The facts are recorded per constrained output: Inspect in
``Score.metadata`` (``constrained_answer_found``, ``constrained_in_format``,
``constrained_stop_reason``), lm-eval as per-sample fields of the constrained task
(``answer_found``, ``answer_in_format``), both from :func:`answer_facts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from sustain_tasks.benchmarks import Benchmark, Item, Verdict

__all__ = [
    "FAILURE_LABELS",
    "LAST_LINE_CHARS",
    "TRUNCATED_STOP_REASONS",
    "AnswerFacts",
    "FailureLabel",
    "answer_facts",
    "answer_in_format",
    "failure_label",
    "last_line",
]

FailureLabel = Literal["no_answer", "truncated", "format_lost", "constraint_violated",
                       "wrong_while_compliant", "other"]
FAILURE_LABELS: Final[tuple[FailureLabel, ...]] = (
    "no_answer", "truncated", "format_lost", "constraint_violated", "wrong_while_compliant",
    "other")
"""The labels, in order of precedence."""

TRUNCATED_STOP_REASONS: Final = frozenset({"max_tokens", "model_length"})
"""Inspect stop reasons that mean the generation was cut at a length limit."""

LAST_LINE_CHARS: Final = 200
"""The longest last line kept for failure listings (longer ones keep their end)."""


@dataclass(frozen=True)
class AnswerFacts:
    """What one output offers for the failure labels."""

    answer_found: bool
    """The task's extraction found an answer (the verdict's ``extracted`` is set)."""
    in_format: bool | None
    """The answer is stated in the format the prompt asks for; None for a task without a
    strict format known to this package."""


def answer_in_format(bench: Benchmark, output: str, item: Item | None = None) -> bool | None:
    """Whether ``output`` states an answer in the format ``bench``'s prompt asks for (the
    strict extraction finds one); extraction only, nothing is judged or run."""
    from sustain_verifiers.code import extract_code
    from sustain_verifiers.math import extract_math_answer
    from sustain_verifiers.numeric import extract_numeric_answer
    from sustain_verifiers.qa import extract_qa_answer

    from sustain_tasks.benchmarks.code import CodeBenchmark

    if isinstance(bench, CodeBenchmark):
        extraction = extract_code(output, bench.entry_point(item))
        return extraction is not None and extraction.method == "fenced"
    if bench.name == "gsm8k":
        return extract_numeric_answer(output, strict=True).text is not None
    if bench.name == "math500":
        return extract_math_answer(output, strict=True).text is not None
    if bench.name == "hotpotqa":
        return extract_qa_answer(output, strict=True).text is not None
    return None


def answer_facts(bench: Benchmark, output: str, verdict: Verdict,
                 item: Item | None = None) -> AnswerFacts:
    """The facts of one output judged ``verdict`` (the task's own, lenient verdict)."""
    return AnswerFacts(verdict.extracted is not None, answer_in_format(bench, output, item))


def failure_label(*, answer_found: bool | None, stop_reason: str | None,
                  in_format: bool | None, compliant: bool | None) -> FailureLabel:
    """The label of one constrained failure (see the module docstring); None facts are no
    evidence."""
    if answer_found is False:
        return "no_answer"
    if stop_reason in TRUNCATED_STOP_REASONS:
        return "truncated"
    if answer_found and in_format is False:
        return "format_lost"
    if compliant is False:
        return "constraint_violated"
    if compliant is True:
        return "wrong_while_compliant"
    return "other"


def last_line(text: str | None) -> str | None:
    """The last non-blank line of ``text``, stripped (its last :data:`LAST_LINE_CHARS`
    characters, after ``…``, when longer); None for no text, ``""`` for blank text."""
    if text is None:
        return None
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line:
            return line if len(line) <= LAST_LINE_CHARS else "…" + line[-LAST_LINE_CHARS:]
    return ""
