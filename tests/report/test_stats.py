"""Statistics checked against values computed by hand."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import pytest

from sustain_tasks.report.stats import (
    Mean,
    mcnemar_exact,
    mean,
    paired_bootstrap,
    quantile,
    rate,
    sustain_difference,
    sustain_score_of,
    wilson_interval,
)


def test_wilson_8_of_10_by_hand() -> None:
    # p = 0.8, z = 1.96: centre = (0.8 + 1.9208/10) / 1.38416 = 0.716738...,
    # half = 1.96 / 1.38416 * sqrt(0.016 + 0.009604) = 0.226581...
    low, high = wilson_interval(8, 10, z=1.96)
    assert low == pytest.approx(0.490157, abs=1e-6)
    assert high == pytest.approx(0.943319, abs=1e-6)


def test_wilson_edges() -> None:
    low, high = wilson_interval(0, 5)
    assert low == 0.0
    assert high == pytest.approx(0.434482, abs=1e-6)  # 3.8415 / (5 + 3.8415)
    low, high = wilson_interval(5, 5)
    assert high == 1.0
    assert low == pytest.approx(1 - 0.434482, abs=1e-6)


@pytest.mark.parametrize(("k", "n"), [(0, 0), (3, 2), (-1, 4)])
def test_wilson_rejects_impossible_counts(k: int, n: int) -> None:
    with pytest.raises(ValueError):
        wilson_interval(k, n)


def test_rate_empty_and_filled() -> None:
    empty = rate(0, 0)
    assert (empty.n, empty.value, empty.ci_low, empty.ci_high) == (0, None, None, None)
    assert str(empty) == "- (n=0)"
    r = rate(3, 4)
    assert r.value == 0.75
    assert r.ci_low is not None
    assert r.ci_high is not None
    assert r.ci_low < 0.75 < r.ci_high


def test_mcnemar_hand_values() -> None:
    # b=1, c=6: n=7, P(X<=1) = (1 + 7) / 128 = 0.0625, two-sided 0.125.
    assert mcnemar_exact(1, 6) == 0.125
    assert mcnemar_exact(6, 1) == 0.125
    assert mcnemar_exact(0, 5) == 0.0625  # 2 / 32
    assert mcnemar_exact(3, 3) == 1.0
    assert mcnemar_exact(0, 0) == 1.0
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 2)


def test_mcnemar_matches_binomial_sum_for_large_counts() -> None:
    b, c = 40, 75
    n = b + c
    expected = float(min(Fraction(1), 2 * Fraction(sum(math.comb(n, i) for i in range(b + 1)),
                                                    2**n)))
    assert mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-12)
    # very large n does not overflow
    assert 0.0 <= mcnemar_exact(3000, 3100) <= 1.0


def test_quantile_interpolates() -> None:
    values = [0.0, 1.0, 2.0, 3.0]
    assert quantile(values, 0.0) == 0.0
    assert quantile(values, 1.0) == 3.0
    assert quantile(values, 0.5) == 1.5
    with pytest.raises(ValueError):
        quantile([], 0.5)


def test_sustain_score_of() -> None:
    assert sustain_score_of([]) is None
    assert sustain_score_of([(False, False)]) is None
    assert sustain_score_of([(True, True), (True, False), (False, False)]) == 0.5


def _outcomes(n_in: int, n_kept: int, n_out: int = 0) -> dict[str, tuple[bool, bool]]:
    d = {str(i): (True, i < n_kept) for i in range(n_in)}
    d.update({f"x{i}": (False, False) for i in range(n_out)})
    return d


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    a = _outcomes(40, 36, 10)
    b = {k: (v[0], v[0] and int(k.lstrip("x")) % 2 == 0) for k, v in a.items()}
    first = sustain_difference(a, b, n_boot=500, seed=3)
    again = sustain_difference(a, b, n_boot=500, seed=3)
    other = sustain_difference(a, b, n_boot=500, seed=4)
    assert first == again
    assert (first.ci_low, first.ci_high) != (other.ci_low, other.ci_high)
    assert first.estimate == pytest.approx(36 / 40 - 20 / 40)
    assert first.ci_low is not None
    assert first.ci_high is not None
    assert first.ci_low < first.estimate < first.ci_high
    assert first.ci_low > 0  # a clear difference is detected
    assert first.n_items == 50


def test_bootstrap_identical_models_give_zero() -> None:
    a = _outcomes(20, 15, 5)
    result = sustain_difference(a, dict(a), n_boot=200, seed=0)
    assert result.estimate == 0.0
    assert (result.ci_low, result.ci_high) == (0.0, 0.0)


def test_bootstrap_uses_only_shared_items() -> None:
    a = {"1": 1.0, "2": 0.0, "3": 1.0}
    b = {"2": 1.0, "3": 1.0, "4": 0.0}

    def mean(xs: Sequence[float]) -> float | None:
        return sum(xs) / len(xs) if xs else None

    result = paired_bootstrap(a, b, mean, n_boot=50, seed=1)
    assert result.n_items == 2
    assert result.estimate == pytest.approx(0.5 - 1.0)
    empty = paired_bootstrap({"a": 1.0}, {"b": 1.0}, mean, n_boot=10)
    assert (empty.n_items, empty.estimate, empty.ci_low) == (0, None, None)


def test_mean_ignores_missing_scores() -> None:
    assert mean([1.0, None, 0.5, 0.0]) == Mean(3, 0.5)
    assert mean([None, None]) == Mean(0, None)
    assert mean([]) == Mean(0, None)
    assert str(mean([0.25])) == "0.250 (n=1)"
    assert str(mean([])) == "- (n=0)"


def test_mcnemar_never_underflows_to_zero() -> None:
    p = mcnemar_exact(0, 1100)
    assert 0.0 < p < 1e-300
    from sustain_tasks.report.formats import _p
    assert _p(p) == "<1e-300"
    assert _p(2e-5) == "2.00e-05"
