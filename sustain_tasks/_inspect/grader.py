"""A grader model for the verdicts rules cannot reach (task argument ``-T grader=model``).

The rule-based verifiers decide every verdict they can. When one finds no final answer in an
output, or finds it ambiguous (a sentence that states several candidate numbers and nothing
tells which one answers the question), the verdict has no ``extracted`` answer and is wrong
by rule. With the grader on, such an output is shown to the model bound to Inspect's
``grader`` role (``--model-role grader=openai/gpt-4o-mini``), which answers ``GRADE: C`` or
``GRADE: I``; its grade becomes the verdict. Outputs whose answer the rules did extract are
never sent to the grader, so a grader cannot overturn a clear rule-based verdict.

Both verdicts are kept: :attr:`Verdict.grader` holds the rule's verdict and detail, the
grader's model, grade and reply, and ``Score.metadata`` stores them as ``plain_grader`` and
``second_grader``; ``sustain score`` counts how often the grader overturned the rule. A reply
without a grade leaves the rule's verdict in place (and says so).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sustain_tasks.benchmarks import Item, Verdict
from sustain_tasks.errors import SustainInputError

if TYPE_CHECKING:
    from inspect_ai.model import Model

__all__ = [
    "GRADERS",
    "GRADER_HEADER",
    "GRADER_ROLE",
    "MAX_RESPONSE_CHARS",
    "grade",
    "grader_model",
    "grader_prompt",
    "needs_grader",
    "parse_grade",
    "quoted_response",
]

GRADER_ROLE = "grader"
"""The Inspect model role the grader is bound to."""

GRADERS = ("model",)
"""Accepted values of the ``grader`` task argument (besides none)."""

MAX_RESPONSE_CHARS = 4_000
"""The grader sees at most the last this many characters of a response (its final answer)."""

GRADER_HEADER = "You are checking the final answer of a response to a problem."
"""First line of every grader prompt (the offline replay model recognises it)."""

_RESPONSE_OPEN = "<response>"
_RESPONSE_CLOSE = "</response>"
_PROMPT = """{header}

Problem:
{question}

Reference answer: {target}

The response (its last part):
{open}
{response}
{close}

Does the response commit to a final answer equal to the reference answer? Equal values in
another form count (18 and 18.00, $1,200 and 1200, 3/4 and 0.75, an answer with its unit).
A response that gives no final answer, stops before one, or offers several values without
choosing one is incorrect. Reply with one line, GRADE: C if the final answer is correct or
GRADE: I if it is not."""

_GRADE_RE = re.compile(r"GRADE\s*:\s*\**\s*([CI])\b", re.IGNORECASE)


def needs_grader(verdict: Verdict) -> bool:
    """Whether the rules left ``verdict`` open: no answer extracted (none, or ambiguous)."""
    return verdict.extracted is None and not verdict.correct


def grader_prompt(question: str, target: str, output: str) -> str:
    """The prompt asking the grader whether ``output``'s final answer equals ``target``."""
    return _PROMPT.format(header=GRADER_HEADER, question=question.strip(), target=target,
                          open=_RESPONSE_OPEN, response=output[-MAX_RESPONSE_CHARS:],
                          close=_RESPONSE_CLOSE)


def quoted_response(prompt: str) -> str | None:
    """The response a grader prompt quotes (None if ``prompt`` is not a grader prompt)."""
    if GRADER_HEADER not in prompt:
        return None
    start = prompt.find(_RESPONSE_OPEN + "\n")
    end = prompt.rfind("\n" + _RESPONSE_CLOSE)
    if start < 0 or end < start:
        return None
    return prompt[start + len(_RESPONSE_OPEN) + 1:end]


def parse_grade(reply: str) -> bool | None:
    """True for ``GRADE: C``, False for ``GRADE: I`` (the last one written), else None."""
    found = _GRADE_RE.findall(reply or "")
    if not found:
        return None
    return str(found[-1]).upper() == "C"


def grader_model() -> Model:
    """The model bound to the grader role; an error naming the fix when there is none."""
    from inspect_ai._util.error import PrerequisiteError
    from inspect_ai.model import get_model

    try:
        return get_model(role=GRADER_ROLE, required=True)
    except PrerequisiteError as exc:
        raise SustainInputError(
            f"-T grader=model needs a grader model: --model-role grader=<model> ({exc})",
            field="grader") from None


async def grade(model: Model, output: str, target: str, item: Item | None,
                rule: Verdict) -> Verdict:
    """The verdict on ``output`` with ``model``'s grade in place of the open rule verdict."""
    if item is None:
        raise SustainInputError("the grader needs the item the output answers", field="grader")
    reply = (await model.generate(grader_prompt(item.question, target, output))).completion
    graded = parse_grade(reply)
    record: dict[str, Any] = {
        "model": str(model), "grade": None if graded is None else ("C" if graded else "I"),
        "rule_correct": rule.correct, "rule_detail": rule.detail, "reply": reply[-500:],
    }
    if graded is None:
        detail = f"{rule.detail}; the grader ({model}) gave no grade, the rule's verdict stands"
        return Verdict(rule.correct, rule.extracted, detail, rule.score, grader=record)
    detail = (f"{rule.detail}; grader ({model}): {'correct' if graded else 'incorrect'}"
              + (" (overturns the rule)" if graded != rule.correct else ""))
    return Verdict(graded, rule.extracted, detail, rule.score, grader=record)
