"""The ``evaluate`` metric module: loaded from its file offline, same numbers as the report."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from sustain_tasks.report import METRIC_PATH
from sustain_tasks.report.score import score_rows
from sustain_tasks.report.stats import rate, wilson_interval
from tests.report.test_leaderboard import _row
from tests.requires import need

evaluate = need("evaluate")


@pytest.fixture(scope="module")
def metric(tmp_path_factory: pytest.TempPathFactory) -> Any:
    # offline: the hub is never asked (a local path is loaded from the file itself)
    mp = pytest.MonkeyPatch()
    for name in ("HF_HUB_OFFLINE", "HF_EVALUATE_OFFLINE", "HF_DATASETS_OFFLINE"):
        mp.setenv(name, "1")
    try:
        yield evaluate.load(METRIC_PATH)
    finally:
        mp.undo()


def test_the_path_is_the_module_inside_the_package() -> None:
    path = Path(METRIC_PATH)
    assert path.is_file()
    assert path.parent == Path(__file__).resolve().parents[2] / \
        "sustain_tasks" / "report"
    assert path.name == "sustainscore_metric.py"


def test_counts_by_hand(metric: Any) -> None:
    out = metric.compute(references=[1, 1, 1, 1, 0], predictions=[1, 0, 1, 1, 0],
                         compliant=[1, 1, 0, 1, 1])
    low, high = wilson_interval(3, 4)
    assert out["n_sustain"] == 4
    assert out["n_sustained"] == 3
    assert out["sustain_score"] == 0.75
    assert (out["sustain_ci_low"], out["sustain_ci_high"]) == (low, high)
    assert out["drop"] == pytest.approx(0.25)
    assert out["plain_accuracy"] == 0.8
    assert out["constrained_accuracy"] == 0.6
    assert out["n_compliance"] == 5
    assert out["compliance"] == 0.8
    assert (out["compliance_ci_low"], out["compliance_ci_high"]) == wilson_interval(4, 5)
    assert out["n_items"] == 5


def test_booleans_batches_and_another_confidence(metric: Any) -> None:
    metric.add_batch(references=[True, True], predictions=[True, False])
    metric.add(references=True, predictions=True)
    out = metric.compute()
    assert (out["n_sustain"], out["sustain_score"]) == (3, 2 / 3)
    assert "compliance" not in out
    out90 = metric.compute(references=[1, 1, 1], predictions=[1, 0, 1], confidence=0.90)
    r = rate(2, 3, z=1.6448536269514722)
    assert out90["sustain_ci_low"] == pytest.approx(r.ci_low, abs=1e-12)
    assert out90["sustain_ci_low"] > out["sustain_ci_low"]


def test_empty_s_gives_nulls(metric: Any) -> None:
    out = metric.compute(references=[0, 0], predictions=[0, 1])
    assert out["n_sustain"] == 0
    assert out["sustain_score"] is None
    assert out["sustain_ci_low"] is None
    assert out["drop"] is None


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"references": [1, 2], "predictions": [1, 0]}, r"references\[1\]: a verdict is 0 or 1"),
    ({"references": [1, 1], "predictions": [1, 0.5]}, r"predictions\[1\]"),
    ({"references": [1, 1], "predictions": [1, 0], "compliant": [1]},
     "compliant has 1 values for 2 items"),
    ({"references": [1], "predictions": [1], "compliant": ["yes"]}, r"compliant\[0\]"),
    ({"references": [1], "predictions": [1], "confidence": 1.5}, "confidence"),
])
def test_bad_input_is_a_clear_error(metric: Any, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        metric.compute(**kwargs)


def test_same_numbers_as_sustain_score(metric: Any) -> None:
    rng = random.Random(7)
    rows, plain, constrained, compliant = [], [], [], []
    for i in range(200):
        p = rng.random() < 0.7
        c = rng.random() < (0.8 if p else 0.3)
        ok = rng.random() < 0.85
        plain.append(int(p))
        constrained.append(int(c))
        compliant.append(int(ok))
        rows.append(_row("m", str(i), "plain", p, mode="reference"))
        row = _row("m", str(i), "constrained", c, mode="reference")
        row.compliant = row.compliant_loose = ok
        rows.append(row)
    [report] = score_rows(rows)
    out = metric.compute(references=plain, predictions=constrained, compliant=compliant)
    d = report.to_dict()
    for key in ("n_sustain", "n_sustained", "sustain_score", "sustain_ci_low",
                "sustain_ci_high", "drop", "plain_accuracy", "plain_ci_low", "plain_ci_high",
                "constrained_accuracy", "compliance", "compliance_ci_low",
                "compliance_ci_high", "n_compliance"):
        assert out[key] == d[key], key
