"""Statistics for the report: Wilson intervals, exact McNemar test, seeded paired bootstrap.

Pure Python (no numpy or scipy), exact where it matters, deterministic given a seed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = [
    "BootstrapResult",
    "Mean",
    "Rate",
    "mcnemar_exact",
    "mean",
    "paired_bootstrap",
    "quantile",
    "rate",
    "sustain_difference",
    "sustain_score_of",
    "wilson_interval",
]

Z95 = 1.959963984540054
"""The two-sided 95% normal quantile."""

T = TypeVar("T")

SMALLEST_P = math.ulp(0.0)
"""The smallest positive float: exact p-values below it are reported as it."""


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for ``k`` successes out of ``n`` trials.

    Raises:
        ValueError: ``n < 1`` or ``k`` outside ``0..n``.
    """
    if n < 1:
        raise ValueError(f"Wilson interval needs n >= 1, got n={n}")
    if not 0 <= k <= n:
        raise ValueError(f"k must be in 0..{n}, got {k}")
    p = k / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = (z / denom) * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class Rate:
    """A proportion with its count and 95% Wilson interval (all None when ``n == 0``)."""

    k: int
    n: int
    value: float | None
    ci_low: float | None
    ci_high: float | None

    def __str__(self) -> str:
        if self.value is None:
            return f"- (n={self.n})"
        return f"{self.value:.3f} [{self.ci_low:.3f}, {self.ci_high:.3f}] (n={self.n})"


def rate(k: int, n: int, z: float = Z95) -> Rate:
    """``k / n`` with its Wilson interval; an empty rate when ``n == 0``."""
    if n == 0:
        return Rate(0, 0, None, None, None)
    low, high = wilson_interval(k, n, z)
    return Rate(k, n, k / n, low, high)


@dataclass(frozen=True)
class Mean:
    """The mean of some graded scores (e.g. token F1) and how many there were (``value`` is
    None when ``n == 0``)."""

    n: int
    value: float | None

    def __str__(self) -> str:
        return f"- (n={self.n})" if self.value is None else f"{self.value:.3f} (n={self.n})"


def mean(values: Iterable[float | None]) -> Mean:
    """The mean of the values that are not None."""
    known = [v for v in values if v is not None]
    return Mean(len(known), math.fsum(known) / len(known) if known else None)


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for discordant counts ``b`` and ``c``.

    Under the null hypothesis each of the ``b + c`` discordant pairs falls either way with
    probability 1/2; the p-value is twice the smaller binomial tail, capped at 1. Computed with
    integers, so it is exact for any n (e.g. b=1, c=6 gives 0.125). A p-value below the
    smallest positive float (e.g. b=0, c=1100) is returned as that float, never as 0.
    """
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be non-negative, got b={b}, c={c}")
    n = b + c
    if n == 0:
        return 1.0
    m = min(b, c)
    term = 1  # C(n, 0)
    tail = 0
    for i in range(m + 1):
        tail += term
        term = term * (n - i) // (i + 1)
    return min(1.0, max(2 * tail / (1 << n), SMALLEST_P))


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q`` quantile of already sorted values (linear interpolation)."""
    if not sorted_values:
        raise ValueError("quantile of no values")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be in [0, 1], got {q}")
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    frac = pos - lo
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * frac


@dataclass(frozen=True)
class BootstrapResult:
    """A bootstrap estimate of ``statistic(a) - statistic(b)`` on shared items."""

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    n_items: int
    n_boot: int
    n_valid: int
    seed: int


def paired_bootstrap(
    a: Mapping[str, T],
    b: Mapping[str, T],
    statistic: Callable[[Sequence[T]], float | None],
    *,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> BootstrapResult:
    """Percentile bootstrap of ``statistic(a) - statistic(b)`` over the items both share.

    Items (keys present in both mappings) are resampled with replacement, the same indices for
    both sides, with a private ``random.Random(seed)``: the same inputs and seed give the same
    interval. Resamples where either statistic is undefined (None) are dropped.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, got {n_boot}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    shared = sorted(set(a) & set(b))
    va = [a[i] for i in shared]
    vb = [b[i] for i in shared]
    sa, sb = statistic(va), statistic(vb)
    estimate = None if sa is None or sb is None else sa - sb
    if not shared:
        return BootstrapResult(estimate, None, None, 0, n_boot, 0, seed)
    rng = random.Random(seed)  # noqa: S311 - statistics, not security
    n = len(shared)
    diffs: list[float] = []
    for _ in range(n_boot):
        idx = [rng.randrange(n) for _ in range(n)]
        ra = statistic([va[i] for i in idx])
        rb = statistic([vb[i] for i in idx])
        if ra is not None and rb is not None:
            diffs.append(ra - rb)
    if not diffs:
        return BootstrapResult(estimate, None, None, n, n_boot, 0, seed)
    diffs.sort()
    alpha = 1.0 - confidence
    return BootstrapResult(estimate, quantile(diffs, alpha / 2), quantile(diffs, 1 - alpha / 2),
                           n, n_boot, len(diffs), seed)


def sustain_score_of(outcomes: Sequence[tuple[bool, bool]]) -> float | None:
    """SustainScore of (in_S, constrained_correct) pairs; None when no item is in S."""
    in_s = [kept for member, kept in outcomes if member]
    if not in_s:
        return None
    return sum(in_s) / len(in_s)


def sustain_difference(
    a: Mapping[str, tuple[bool, bool]],
    b: Mapping[str, tuple[bool, bool]],
    *,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> BootstrapResult:
    """SustainScore(a) − SustainScore(b) on the items both models ran, with a bootstrap CI.

    Each mapping sends a sample id to (in S, correct under the constrained prompt).
    """
    return paired_bootstrap(a, b, sustain_score_of, n_boot=n_boot, seed=seed,
                            confidence=confidence)
