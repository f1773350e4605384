"""The aggregate metrics on hand-made scores: denominators, None and NaN."""

from __future__ import annotations

import math
from typing import Any

from inspect_ai.scorer import SampleScore, Score

from sustain_tasks._inspect.metrics import (
    compliance,
    compliance_loose,
    constrained_accuracy,
    n_placebo,
    n_retest,
    n_sustain,
    placebo_retention,
    plain_accuracy,
    retest_retention,
    sustain_score,
)


def scores(*values: dict[str, Any]) -> list[SampleScore]:
    return [SampleScore(score=Score(value=v), sample_id=str(i)) for i, v in enumerate(values)]


def row(plain: float, constrained: float | None = None, compliant: float | None = None,
        in_s: float = 0.0, **extra: Any) -> dict[str, Any]:
    return {"plain": plain, "constrained": constrained, "compliant": compliant,
            "compliant_loose": compliant, "placebo": None, "retest": None, "in_s": in_s,
            "n_constraints": 1 if in_s else 0, **extra}


def test_reference_mode_denominators() -> None:
    # reference mode: the constrained prompt also runs for a plain-wrong item (not in S)
    data = scores(row(1.0, 1.0, 1.0, in_s=1.0), row(1.0, 0.0, 1.0, in_s=1.0),
                  row(0.0, 1.0, 0.0), row(1.0))
    assert plain_accuracy()(data) == 0.75
    assert constrained_accuracy()(data) == 2 / 3
    assert sustain_score()(data) == 0.5
    assert compliance()(data) == 2 / 3
    assert compliance_loose()(data) == 2 / 3
    assert n_sustain()(data) == 2.0


def test_empty_denominators_are_nan() -> None:
    data = scores(row(1.0), row(0.0))
    for m in (constrained_accuracy(), sustain_score(), compliance(), placebo_retention(),
              retest_retention()):
        value = m(data)
        assert isinstance(value, float)
        assert math.isnan(value)
    assert n_sustain()(data) == 0.0
    assert math.isnan(plain_accuracy()([]))  # type: ignore[arg-type]


def test_nan_and_booleans_are_read_as_not_run_and_flags() -> None:
    data = scores(row(True, float("nan"), None, in_s=1.0), row(False, 1, True, in_s=True))
    assert plain_accuracy()(data) == 0.5
    assert sustain_score()(data) == 1.0
    assert compliance()(data) == 1.0
    assert n_sustain()(data) == 1.0  # the first constrained generation did not run


def test_control_retention_over_s() -> None:
    data = scores(row(1.0, in_s=1.0, placebo=1.0, retest=0.0),
                  row(1.0, in_s=1.0, placebo=0.0, retest=0.0),
                  row(0.0, placebo=1.0))
    assert placebo_retention()(data) == 0.5
    assert retest_retention()(data) == 0.0


def test_n_sustain_counts_constrained_generations_only() -> None:
    """Regression: on a retest or placebo log n_sustain counted the control's items while
    sustain score reported 0 there; now both give |S| = 0 and count the controls in
    n_retest / n_placebo."""
    retest_log = scores(row(1.0, in_s=1.0, retest=1.0), row(1.0, in_s=1.0, retest=0.0),
                        row(0.0))
    assert n_sustain()(retest_log) == 0.0
    assert n_retest()(retest_log) == 2.0
    assert n_placebo()(retest_log) == 0.0
    placebo_log = scores(row(1.0, in_s=1.0, placebo=1.0), row(1.0))
    assert (n_sustain()(placebo_log), n_placebo()(placebo_log)) == (0.0, 1.0)


def test_non_dict_scores_are_ignored() -> None:
    data = [SampleScore(score=Score(value=1.0)), *scores(row(0.0))]
    assert plain_accuracy()(data) == 0.0
