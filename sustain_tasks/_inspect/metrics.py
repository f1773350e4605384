"""Aggregate SustainScore metrics over the dict-valued scores of ``sustain_scorer``.

Each sample's ``Score.value`` holds ``plain``, ``constrained``, ``compliant``,
``compliant_loose``, ``placebo``, ``retest`` (1.0, 0.0, or None when that generation did not
run), ``in_s`` (1.0 when the item belongs to S), ``n_constraints``, and for benchmarks that
grade answers ``plain_f1`` / ``constrained_f1`` (None otherwise). A metric whose
denominator is empty reports NaN (e.g. ``constrained_accuracy`` in plain mode).

All metrics read unreduced scores: with several epochs every (sample, epoch) pair counts as
one observation, and Inspect's default epoch reducer (which would turn "did not run" into 0)
is never applied to these values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from inspect_ai.scorer import Metric, SampleScore, Value, metric

__all__ = [
    "compliance",
    "compliance_loose",
    "constrained_accuracy",
    "constrained_f1",
    "n_no_constraint",
    "n_sustain",
    "placebo_retention",
    "plain_accuracy",
    "plain_f1",
    "rate",
    "retest_retention",
    "sustain_score",
]


def _values(scores: list[SampleScore]) -> Iterator[Mapping[str, Any]]:
    for sample_score in scores:
        value = sample_score.score.value
        if isinstance(value, Mapping):
            yield value


def _flag(value: Any) -> float | None:
    """A 0/1 flag as a float; None when absent, None or NaN (the generation did not run)."""
    if value.__class__ is float:  # the scorer's own values: the common case first
        return None if math.isnan(value) else value
    if value is None or isinstance(value, str):
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        number = float(value)
        return None if math.isnan(number) else number
    return None


def rate(scores: list[SampleScore], key: str,
         where: Callable[[Mapping[str, Any]], bool] | None = None) -> float:
    """Mean of ``key`` over the scores where it ran (and ``where`` holds); NaN when none."""
    total = 0.0
    count = 0
    for sample_score in scores:  # Inspect recomputes the metrics as samples complete
        value = sample_score.score.value
        if not isinstance(value, Mapping) or (where is not None and not where(value)):
            continue
        flag = _flag(value.get(key))
        if flag is None:
            continue
        total += flag
        count += 1
    return total / count if count else math.nan


def _in_s(value: Mapping[str, Any]) -> bool:
    return _flag(value.get("in_s")) == 1.0


@metric(scores="unreduced")
def plain_accuracy() -> Metric:
    """Share of samples answered correctly with the plain prompt."""

    def compute(scores: list[SampleScore]) -> Value:
        return rate(scores, "plain")

    return compute


@metric(scores="unreduced")
def constrained_accuracy() -> Metric:
    """Share of constrained generations answered correctly (over those that ran)."""

    def compute(scores: list[SampleScore]) -> Value:
        return rate(scores, "constrained")

    return compute


@metric(scores="unreduced")
def sustain_score() -> Metric:
    """SustainScore: share of S (plain-correct items with constraints) still correct."""

    def compute(scores: list[SampleScore]) -> Value:
        return rate(scores, "constrained", where=_in_s)

    return compute


@metric(scores="unreduced")
def compliance() -> Metric:
    """Share of constrained outputs satisfying every constraint (strict check)."""

    def compute(scores: list[SampleScore]) -> Value:
        return rate(scores, "compliant")

    return compute


@metric(scores="unreduced")
def compliance_loose() -> Metric:
    """Share of constrained outputs satisfying every constraint (loose check)."""

    def compute(scores: list[SampleScore]) -> Value:
        return rate(scores, "compliant_loose")

    return compute


@metric(scores="unreduced")
def n_sustain() -> Metric:
    """|S|: how many samples were plain-correct and received at least one constraint."""

    def compute(scores: list[SampleScore]) -> Value:
        return float(sum(1 for value in _values(scores) if _in_s(value)))

    return compute


@metric(scores="unreduced")
def n_no_constraint() -> Metric:
    """How many plain-correct samples got no constraint (outside S: their output offered no
    self-evident constraint, or in reference mode the reference offered none)."""

    def compute(scores: list[SampleScore]) -> Value:
        return float(sum(1 for value in _values(scores)
                         if _flag(value.get("plain")) == 1.0
                         and _flag(value.get("n_constraints")) == 0.0))

    return compute


@metric(scores="unreduced")
def placebo_retention() -> Metric:
    """Share of S still correct when a neutral sentence replaces the constraints."""

    def compute(scores: list[SampleScore]) -> Value:
        return rate(scores, "placebo", where=_in_s)

    return compute


@metric(scores="unreduced")
def retest_retention() -> Metric:
    """Share of S still correct when the plain prompt is asked again."""

    def compute(scores: list[SampleScore]) -> Value:
        return rate(scores, "retest", where=_in_s)

    return compute


@metric(scores="unreduced")
def plain_f1() -> Metric:
    """Mean graded score (token F1) of the plain answers, for benchmarks that grade."""

    def compute(scores: list[SampleScore]) -> Value:
        return rate(scores, "plain_f1")

    return compute


@metric(scores="unreduced")
def constrained_f1() -> Metric:
    """Mean graded score (token F1) of the constrained answers (over those that ran)."""

    def compute(scores: list[SampleScore]) -> Value:
        return rate(scores, "constrained_f1")

    return compute
