"""What wrapping any task in the SustainScore protocol shares between the two harnesses.

A wrapped task is one the package knows nothing about: its own prompt, its own scorer (Inspect)
or metrics (lm-eval). What the protocol needs from it is reduced to three things, defined here
once so that both wrappers extract the same constraints from the same outputs:

- a **name**: ``sustain_<name>`` (:func:`wrapped_name`), with the original's namespace dropped
  and a ``_wrapped`` suffix when it would collide with a built-in benchmark;
- a **verdict**: the original's score mapped to correct/incorrect (:func:`value_verdict`):
  Inspect's ``C``/``I`` (``P`` counts 0.5, ``N`` 0), booleans, and numbers at or above a
  threshold (1.0 by default);
- **generic constraints** (:func:`generic_constraints`): only the kinds that mean something on
  any text (length, format, lexical). The leak guard gets the item's targets and the answer the
  original scorer or filter extracted, when that is a final answer rather than the whole
  output (:func:`leak_answers`); there are no required fragments (the protocol does not
  know the answer format: a constraint is kept only when a correct output already satisfies
  it).

A reference text is what reference mode extracts from: a target of at least two words
(:func:`reference_text`); a bare number, letter or single word is an answer, not a solution.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sustain_tasks.constraints import Constraint, SourceContext, extract_constraints
from sustain_tasks.constraints.registry import all_kinds, resolve_kinds
from sustain_tasks.errors import SustainInputError

__all__ = [
    "GENERIC_CATEGORIES",
    "STRING_VERDICTS",
    "generic_constraints",
    "generic_kinds",
    "is_plain_data",
    "leak_answers",
    "reference_text",
    "value_verdict",
    "wrapped_base",
    "wrapped_name",
]

GENERIC_CATEGORIES: tuple[str, ...] = ("length", "format", "lexical")
"""The constraint categories that mean something on any text: the wrappers use only these."""

STRING_VERDICTS: dict[str, float] = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}
"""Inspect's score strings (CORRECT, INCORRECT, PARTIAL, NOANSWER) as numbers."""

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def is_plain_data(value: Any) -> bool:
    """Whether ``value`` is JSON-like data: None, str, int, float, bool, and lists, tuples and
    string-keyed mappings of them."""
    if value is None or isinstance(value, str | int | float | bool):
        return True
    if isinstance(value, list | tuple):
        return all(is_plain_data(v) for v in value)
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and is_plain_data(v) for k, v in value.items())
    return False


def wrapped_base(name: str) -> str:
    """The short name of a wrapped task: its namespace dropped (``inspect_evals/gsm8k`` →
    ``gsm8k``), characters other than letters, digits, ``_``, ``.`` and ``-`` replaced by
    ``_``, lower case (as ``sustain score`` reads task names), and ``_wrapped`` appended
    when the result is a built-in benchmark's name (so that ``sustain score`` never mixes a
    wrapped task with the built-in one)."""
    from sustain_tasks.benchmarks import BENCHMARKS

    base = _UNSAFE_NAME.sub("_", name.strip().rpartition("/")[2].rpartition("@")[2]).strip("_")
    base = base.removesuffix(".py").lower() or "task"
    if base in BENCHMARKS:
        base += "_wrapped"
    return base


def wrapped_name(name: str) -> str:
    """``sustain_<base>``: the name a wrapped task reports under (see :func:`wrapped_base`)."""
    return f"sustain_{wrapped_base(name)}"


def value_verdict(value: Any, threshold: float = 1.0) -> bool | None:
    """A score value as a verdict; None when it is not one.

    Booleans are verdicts; numbers are correct at or above ``threshold`` (NaN is no verdict);
    the strings ``C``, ``I``, ``P`` and ``N`` count 1, 0, 0.5 and 0.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        number = float(value)
        return None if math.isnan(number) else number >= threshold
    if isinstance(value, str) and value.strip().upper() in STRING_VERDICTS:
        return STRING_VERDICTS[value.strip().upper()] >= threshold
    return None


def check_threshold(threshold: Any) -> float:
    """A finite number (from a task argument, possibly a string)."""
    number: float | None = None
    if isinstance(threshold, int | float) and not isinstance(threshold, bool):
        number = float(threshold)
    elif isinstance(threshold, str):
        try:
            number = float(threshold.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        raise SustainInputError(f"must be a number, got {threshold!r}", field="threshold")
    return number


def generic_kinds(kinds: str | Sequence[str] | None) -> list[str]:
    """The kind ids selected by ``kinds`` (default: every length, format and lexical kind);
    a :class:`SustainInputError` for kinds of other categories."""
    chosen = resolve_kinds(kinds, default=GENERIC_CATEGORIES)
    registry = all_kinds()
    other = [kind for kind in chosen if registry[kind].category not in GENERIC_CATEGORIES]
    if other:
        raise SustainInputError(
            f"{', '.join(other)} need(s) knowledge of the task that a wrapped task does not "
            f"give; wrapped tasks take {', '.join(GENERIC_CATEGORIES)} kinds", field="kinds")
    if not chosen:
        raise SustainInputError(f"{kinds!r} selects no constraint kind", field="kinds")
    return chosen


def reference_text(targets: Iterable[Any]) -> str | None:
    """The first target that is a reference text (a string of at least two words)."""
    for target in targets:
        if isinstance(target, str) and len(target.split()) >= 2:
            return target
    return None


def _answers(values: Iterable[Any]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        if isinstance(value, list | tuple):
            out.extend(_answers(value))
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            text = str(value).strip()
            if text and text not in out:
                out.append(text)
    return tuple(out)


MAX_ANSWER_WORDS = 20
"""An extracted answer longer than this is not a final answer (e.g. a scorer whose answer is
the whole output): the leak guard leaves it out, or it would refuse nearly every constraint."""


def leak_answers(targets: Iterable[Any], extracted: Any, output: str) -> list[Any]:
    """What no constraint text may reveal: the item's targets, and the answer the task's
    scorer (Inspect) or filter (lm-eval) extracted from ``output`` when it is a final answer
    (shorter than the output, at most :data:`MAX_ANSWER_WORDS` words)."""
    answers: list[Any] = list(targets)
    if isinstance(extracted, list | tuple):
        extracted = extracted[0] if extracted else None
    if isinstance(extracted, str | int | float) and not isinstance(extracted, bool):
        text = str(extracted).strip()
        if text and text != output.strip() and len(text.split()) <= MAX_ANSWER_WORDS:
            answers.append(text)
    return answers


def generic_constraints(source: str, *, task: str, item_id: str, answers: Iterable[Any],
                        k: int = 1, kinds: Sequence[str] | None = None,
                        seed: int = 0) -> list[Constraint]:
    """Up to ``k`` generic constraints that ``source`` satisfies, through the one extraction
    path (self-evident, leak-free, deterministic, composable).

    Args:
        source: The output (self mode) or reference text (reference mode).
        task: The wrapped task's short name (:func:`wrapped_base`); it seeds the choices, so
            both harnesses must pass the same one.
        item_id: The sample id (Inspect) or document id (lm-eval).
        answers: What no constraint text may reveal (:func:`leak_answers`; lists are
            flattened, blanks ignored).
        k: Constraints to combine (1..3).
        kinds: Kind ids (already checked by :func:`generic_kinds`); None selects all generic
            kinds.
        seed: Extraction seed.
    """
    ctx = SourceContext(task=task, item_id=item_id, seed=seed, answers=_answers(answers))
    selected = list(kinds) if kinds is not None else generic_kinds(None)
    return extract_constraints(source, ctx, k=k, kinds=selected,
                               default_kinds=GENERIC_CATEGORIES)
