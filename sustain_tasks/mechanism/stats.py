"""Two-group comparisons for the mechanism analyses: failed vs successful items.

Means with seeded percentile-bootstrap 95 % intervals, a two-sided Mann-Whitney U test (exact
for small groups without ties, else the normal approximation, as scipy decides), Cliff's delta
(the probability that a failed item's value exceeds a successful one's minus the reverse) and
Cohen's d (pooled standard deviation), and Benjamini-Hochberg q-values across many tests.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import require

__all__ = ["benjamini_hochberg", "bootstrap_mean_ci", "compare"]


def bootstrap_mean_ci(values: ArrayLike, *, n_boot: int, seed: int
                      ) -> tuple[float | None, float | None]:
    """A 95 % percentile-bootstrap interval of the mean (None, None for fewer than 2
    values)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size < 2 or n_boot < 1:
        return None, None
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(n_boot, x.size))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def _mean(x: Any) -> float | None:
    return float(np.mean(x)) if len(x) else None


def compare(failed: ArrayLike, successful: ArrayLike, *, n_boot: int = 2000,
            seed: int = 0) -> dict[str, Any]:
    """Failed vs successful: means with intervals, difference, Mann-Whitney p, effect sizes.

    Every statistic that a group too small to give is None (a mean needs 1 value, an
    interval 2, a test 1 in each group, Cohen's d 2 in each); ``n_boot`` 0 leaves the
    intervals out (None).
    """
    (scipy_stats,) = require("scipy.stats")
    f = np.asarray(failed, dtype=np.float64)
    s = np.asarray(successful, dtype=np.float64)
    out: dict[str, Any] = {
        "n_failed": int(f.size), "n_successful": int(s.size),
        "mean_failed": _mean(f), "mean_successful": _mean(s),
    }
    out["ci_failed"] = list(bootstrap_mean_ci(f, n_boot=n_boot, seed=seed))
    out["ci_successful"] = list(bootstrap_mean_ci(s, n_boot=n_boot, seed=seed + 1))
    diff = None if not (f.size and s.size) else float(f.mean() - s.mean())
    out["difference"] = diff
    if f.size >= 2 and s.size >= 2 and n_boot >= 1:
        rng = np.random.default_rng(seed + 2)
        boots = (f[rng.integers(0, f.size, size=(n_boot, f.size))].mean(axis=1)
                 - s[rng.integers(0, s.size, size=(n_boot, s.size))].mean(axis=1))
        lo, hi = np.percentile(boots, [2.5, 97.5])
        out["difference_ci"] = [float(lo), float(hi)]
    else:
        out["difference_ci"] = [None, None]
    if f.size and s.size:
        if np.ptp(np.concatenate([f, s])) == 0:
            p, u = 1.0, f.size * s.size / 2
        else:
            test = scipy_stats.mannwhitneyu(f, s, alternative="two-sided")
            p, u = float(test.pvalue), float(test.statistic)
        out["mannwhitney_u"] = float(u)
        out["p_value"] = p
        greater = (f[:, None] > s[None, :]).sum()
        less = (f[:, None] < s[None, :]).sum()
        out["cliffs_delta"] = float((greater - less) / (f.size * s.size))
    else:
        out["mannwhitney_u"] = out["p_value"] = out["cliffs_delta"] = None
    if f.size >= 2 and s.size >= 2:
        pooled = math.sqrt(((f.size - 1) * f.var(ddof=1) + (s.size - 1) * s.var(ddof=1))
                           / (f.size + s.size - 2))
        out["cohens_d"] = None if pooled == 0 else float((f.mean() - s.mean()) / pooled)
    else:
        out["cohens_d"] = None
    return out


def benjamini_hochberg(p_values: Sequence[float | None]) -> list[float | None]:
    """Benjamini-Hochberg q-values (None stays None)."""
    present = [(p, i) for i, p in enumerate(p_values) if p is not None]
    q: list[float | None] = [None] * len(p_values)
    m = len(present)
    running = 1.0
    for rank, (p, i) in reversed(list(enumerate(sorted(present), 1))):
        running = min(running, p * m / rank)
        q[i] = running
    return q
