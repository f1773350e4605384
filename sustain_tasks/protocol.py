"""How prompts are built for each variant, shared by both harnesses.

Variants:

- ``plain``: the benchmark's prompt.
- ``constrained``: the plain prompt followed by the constraint sentences.
- ``placebo``: the plain prompt followed by a neutral sentence of about the same length that
  asks for nothing (separates "the prompt changed" from "the prompt asked for something").
- ``retest``: the plain prompt again (a second sample measures the model's own flakiness).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Literal

from sustain_tasks.constraints import Constraint

__all__ = [
    "MODES",
    "PLACEBO_SENTENCES",
    "VARIANTS",
    "Mode",
    "Variant",
    "constrained_prompt",
    "placebo_prompt",
    "placebo_text",
]

Variant = Literal["plain", "constrained", "placebo", "retest"]
VARIANTS: tuple[Variant, ...] = ("plain", "constrained", "placebo", "retest")

Mode = Literal["self", "reference", "plain", "placebo", "retest"]
MODES: tuple[Mode, ...] = ("self", "reference", "plain", "placebo", "retest")

CONSTRAINT_HEADER = "In your response, also follow these instructions:"

PLACEBO_SENTENCES: tuple[str, ...] = (
    "This is one item of a test set.",
    "The item above comes from a public collection.",
    "Items in this set were written by people, not generated.",
    "The same instructions are given for every item in this set.",
    "This item was chosen for the evaluation the same way as all the others.",
    "The wording above is reproduced exactly as it appears in the original collection.",
    "Each item in this collection has been checked by its authors and has a single answer.",
    "Several thousand items like this one are used by researchers to compare language models.",
)
"""Neutral sentences: they state facts about the setting, ask for nothing, and name no task
type, so one bank serves math problems and questions alike."""


def constrained_prompt(plain: str, constraints: Sequence[Constraint]) -> str:
    """The plain prompt with the constraint sentences appended."""
    if not constraints:
        return plain
    lines = "\n".join(f"- {c.describe()}" for c in constraints)
    return f"{plain}\n\n{CONSTRAINT_HEADER}\n{lines}"


def placebo_text(length: int, key: str = "") -> str:
    """Neutral sentences whose total length is closest to ``length`` characters.

    ``key`` (e.g. the item id) breaks ties deterministically, so equal lengths do not always
    get the same sentence.
    """
    target = max(length, 1)
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big")
    chosen: list[str] = []
    total = 0
    pool = list(PLACEBO_SENTENCES)
    while pool and total < target * 0.8:
        remaining = target - total
        best = min(pool, key=lambda s: (abs(len(s) - remaining),
                                        (hash_index(s) + digest) % 997))
        chosen.append(best)
        pool.remove(best)
        total += len(best) + 1
    return " ".join(chosen)


def hash_index(text: str) -> int:
    """A stable small integer for ``text`` (tie-breaking only)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def placebo_prompt(plain: str, constraints: Sequence[Constraint], key: str = "") -> str:
    """The plain prompt with a neutral text as long as the constraint block would be."""
    length = len(constrained_prompt(plain, constraints)) - len(plain) - len(CONSTRAINT_HEADER) - 3
    return f"{plain}\n\n{placebo_text(length, key)}"
