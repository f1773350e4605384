"""SustainScore as a Hugging Face ``evaluate`` metric, loaded from this file (no hub).

::

    import evaluate
    from sustain_tasks.report import METRIC_PATH
    metric = evaluate.load(METRIC_PATH)
    metric.compute(references=[1, 1, 1, 0], predictions=[1, 0, 1, 0], compliant=[1, 1, 0, 1])

One row per item: ``references`` is the item's verdict under the plain prompt and
``predictions`` its verdict under the constrained prompt (1 or True = correct, 0 or False =
wrong), paired by position. ``compliant`` (optional, one per item) says whether the
constrained output satisfied every inserted constraint. Give only items whose constrained
variant ran with at least one constraint: ``S`` is then the items whose reference is 1.

Returned (the names of ``sustain score --format json``): ``n_items``, ``plain_accuracy``,
``constrained_accuracy``, ``n_sustain`` (= |S|), ``n_sustained``, ``sustain_score``,
``sustain_ci_low``, ``sustain_ci_high``, ``drop`` (1 − SustainScore), and with ``compliant``
``n_compliance``, ``compliance``, ``compliance_ci_low``, ``compliance_ci_high``. Intervals are
Wilson score intervals at ``confidence`` (default 0.95); a rate over no item is None.
The statistics come from :mod:`sustain_tasks.report.stats`, as in ``sustain score``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from statistics import NormalDist
from typing import Any

import datasets
import evaluate

from sustain_tasks.report.stats import Z95, Rate, rate

__all__ = ["METRIC_PATH", "SustainScore"]

METRIC_PATH = str(Path(__file__).resolve())
"""Give this to ``evaluate.load``."""

_CITATION = """\
@misc{sustainscore,
  title = {SustainScore: how much instruction following interferes with task solving},
  note = {sustainscore package}
}
"""

_DESCRIPTION = """\
SustainScore: of the items a model solves with the plain prompt (references = 1), the share it
still solves when a self-evident constraint is added to the prompt (predictions = 1). 1.0
means no interference. Also reports plain and constrained accuracy, compliance with the
constraints, and a Wilson interval for every rate.
"""

_KWARGS_DESCRIPTION = """\
Args:
    predictions: verdict per item under the constrained prompt (1/True correct, 0/False wrong).
    references: verdict per item under the plain prompt, paired with predictions by position.
    compliant: optional, per item: the constrained output satisfied every constraint (1/0).
    confidence: level of the Wilson intervals, default 0.95.
Returns:
    sustain_score, sustain_ci_low, sustain_ci_high, n_sustain, n_sustained, drop,
    plain_accuracy, constrained_accuracy, n_items, and with compliant: compliance,
    compliance_ci_low, compliance_ci_high, n_compliance.
Examples:
    >>> metric = evaluate.load(METRIC_PATH)
    >>> metric.compute(references=[1, 1, 0], predictions=[1, 0, 0])["sustain_score"]
    0.5
"""


def _verdicts(name: str, values: Sequence[Any]) -> list[bool]:
    out = []
    for i, v in enumerate(values):
        if v not in (0, 1):  # True and False compare equal to 1 and 0
            raise ValueError(f"{name}[{i}]: a verdict is 0 or 1 (or a bool), got {v!r}")
        out.append(bool(v))
    return out


def _put(out: dict[str, Any], prefix: str, value_key: str, r: Rate) -> None:
    out[value_key] = r.value
    out[f"{prefix}_ci_low"] = r.ci_low
    out[f"{prefix}_ci_high"] = r.ci_high


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class SustainScore(evaluate.Metric):  # type: ignore[misc]  # evaluate is untyped
    """SustainScore, compliance and their Wilson intervals from paired verdicts."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("float64"),
                                        "references": datasets.Value("float64")}),
        )

    def _compute(self, predictions: Sequence[Any], references: Sequence[Any],
                 compliant: Sequence[Any] | None = None,
                 confidence: float = 0.95) -> dict[str, Any]:
        if not 0.0 < confidence < 1.0:
            raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
        # the report's own constant at 95%, so both give the same digits
        z = Z95 if confidence == 0.95 else NormalDist().inv_cdf(0.5 + confidence / 2)
        constrained = _verdicts("predictions", predictions)
        plain = _verdicts("references", references)
        kept = [c for p, c in zip(plain, constrained, strict=True) if p]
        out: dict[str, Any] = {"n_items": len(plain)}
        plain_rate = rate(sum(plain), len(plain), z)
        constrained_rate = rate(sum(constrained), len(constrained), z)
        sustain = rate(sum(kept), len(kept), z)
        _put(out, "plain", "plain_accuracy", plain_rate)
        _put(out, "constrained", "constrained_accuracy", constrained_rate)
        out["n_sustain"] = sustain.n
        out["n_sustained"] = sustain.k
        _put(out, "sustain", "sustain_score", sustain)
        out["drop"] = None if sustain.value is None else 1.0 - sustain.value
        if compliant is not None:
            flags = _verdicts("compliant", compliant)
            if len(flags) != len(plain):
                raise ValueError(f"compliant has {len(flags)} values for {len(plain)} items; "
                                 "give one per item")
            compliance = rate(sum(flags), len(flags), z)
            out["n_compliance"] = compliance.n
            _put(out, "compliance", "compliance", compliance)
        return out
