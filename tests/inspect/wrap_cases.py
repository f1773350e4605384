"""A small local Inspect task and recorded outputs whose SustainScore is counted by hand.

The task (``apples``): 30 questions, ``generate()``, ``match(location="any")``; item ``i``
has the target ``"<101 + 3i> apples"`` (a text of two words, so reference mode can use it).
The constraint kind is ``lexical:no_commas`` throughout, so compliance is read off the outputs
(a comma breaks it; a comma only in a first line such as "Sure, here it is:" breaks it
strictly but not loosely) and a correct plain output holding a comma offers no constraint.

Groups of items (plain output / constrained output):

- 0-7: correct / correct, compliant
- 8-10: correct / correct, compliant only loosely
- 11-13: correct / correct, not compliant
- 14-17: correct / wrong, compliant
- 18-19: correct / wrong, not compliant
- 20: correct / empty (wrong, not compliant)
- 21-23: correct with a comma (no constraint in self mode) / correct, compliant
- 24-29: wrong / wrong, compliant

Retest outputs are correct for items 0-14, placebo outputs for items 0-17 (S = items 0-20).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

N_ITEMS = 30
KINDS = "lexical:no_commas"

TASK_SOURCE = '''
from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.scorer import match
from inspect_ai.solver import generate


@task
def apples() -> Task:
    samples = [Sample(id=str(i), input=f"How many apples are in basket {i}? Answer briefly.",
                      target=f"{101 + 3 * i} apples") for i in range(30)]
    return Task(dataset=samples, solver=generate(), scorer=match(location="any"))
'''


def target(i: int) -> str:
    return f"{101 + 3 * i} apples"


def right(i: int) -> str:
    return f"There are {target(i)} in the basket."


def with_comma(i: int) -> str:
    return f"Well, there are {target(i)} in the basket."


LOOSE = "Sure, here it is:\n{}"
WRONG = "There are no apples in the basket."
WRONG_COMMA = "Well, there are no apples in the basket."


def plain_output(i: int) -> str:
    if i <= 20:
        return right(i)
    if i <= 23:
        return with_comma(i)
    return WRONG


def constrained_output(i: int) -> str:
    if i <= 7 or 21 <= i <= 23:
        return right(i)
    if i <= 10:
        return LOOSE.format(right(i))
    if i <= 13:
        return with_comma(i)
    if i <= 17:
        return WRONG
    if i <= 19:
        return WRONG_COMMA
    if i == 20:
        return ""
    return WRONG


def replay_lines() -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for i in range(N_ITEMS):
        lines.append({"id": str(i), "variant": "plain", "output": plain_output(i)})
        lines.append({"id": str(i), "variant": "constrained", "output": constrained_output(i)})
        lines.append({"id": str(i), "variant": "retest",
                      "output": right(i) if i <= 14 else WRONG})
        lines.append({"id": str(i), "variant": "placebo",
                      "output": right(i) if i <= 17 else WRONG})
    return lines


def write_jsonl(path: Path, lines: Sequence[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


NAN = float("nan")

EXPECTED: dict[str, dict[str, float]] = {
    # S = 0-20 (21 items); constrained correct in S: 0-13 (14); compliant: 0-7, 14-17 (12);
    # loosely: also 8-10 (15); plain correct without constraint: 21-23
    "self": {"plain_accuracy": 0.8, "constrained_accuracy": 14 / 21, "sustain_score": 14 / 21,
             "compliance": 12 / 21, "compliance_loose": 15 / 21, "n_sustain": 21.0,
             "n_no_constraint": 3.0},
    # every item gets the constraint from its target; S = 0-23 (24): correct 0-13 and 21-23;
    # all 30 constrained outputs: correct 17, compliant 0-7, 14-17, 21-29 (21), loosely 24
    "reference": {"plain_accuracy": 0.8, "constrained_accuracy": 17 / 30,
                  "sustain_score": 17 / 24, "compliance": 21 / 30, "compliance_loose": 24 / 30,
                  "n_sustain": 24.0, "n_no_constraint": 0.0},
    "plain": {"plain_accuracy": 0.8, "constrained_accuracy": NAN, "sustain_score": NAN,
              "compliance": NAN, "compliance_loose": NAN, "n_sustain": 0.0},
    "retest": {"plain_accuracy": 0.8, "constrained_accuracy": NAN, "sustain_score": NAN,
               "compliance": NAN, "compliance_loose": NAN, "n_sustain": 0.0,
               "retest_retention": 15 / 21, "n_retest": 21.0, "n_no_constraint": 3.0},
    "placebo": {"plain_accuracy": 0.8, "constrained_accuracy": NAN, "sustain_score": NAN,
                "compliance": NAN, "compliance_loose": NAN, "n_sustain": 0.0,
                "placebo_retention": 18 / 21, "n_placebo": 21.0, "n_no_constraint": 3.0},
}
"""Task metrics per mode, counted by hand from the groups above."""


def same_metrics(got: dict[str, Any], expected: dict[str, float]) -> bool:
    """Equal keys and values (NaN equals NaN; floats within 1e-12)."""
    if set(got) != set(expected):
        return False
    for key, value in expected.items():
        other = got[key]
        if value != value:  # NaN
            if other == other:
                return False
        elif abs(float(other) - value) > 1e-12:
            return False
    return True
