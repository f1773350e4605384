"""Attention on the inserted text: the measure, and failed vs successful on planted signals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sustain_tasks.mechanism.attention import analyse
from sustain_tasks.mechanism.model import span_attention
from sustain_tasks.mechanism.stats import benjamini_hochberg, compare

from .conftest import need

need("scipy")

N_PROMPT, N_OUTPUT, HEADS, LAYERS = 40, 20, 2, 3
SPAN = list(range(10, 20))


def _maps(rng: np.random.Generator, boost: float, layers_with_boost: set[int]) -> list[Any]:
    """Causal attention rows of the deciding steps (queries N_PROMPT-1 .. N-2), per layer
    ``[heads, queries, keys]``; ``boost`` is added to the span's logits in the given layers."""
    n = N_PROMPT + N_OUTPUT
    out = []
    for layer in range(LAYERS):
        logits = rng.normal(size=(HEADS, N_OUTPUT, n))
        if layer in layers_with_boost:
            logits[:, :, SPAN] += boost
        queries = np.arange(N_PROMPT - 1, n - 1)
        mask = np.arange(n)[None, :] > queries[:, None]  # no attention to later tokens
        logits[:, mask] = -np.inf
        weights = np.exp(logits - logits.max(axis=2, keepdims=True))
        out.append(weights / weights.sum(axis=2, keepdims=True))
    return out


def _records(seed: int, boost: float, *, variant: str = "constrained",
             n_each: int = 20) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    records = []
    for i in range(2 * n_each):
        failed = i % 2 == 0
        maps = _maps(rng, boost if failed else 0.0, {1, 2})
        mass, per_token = span_attention(maps, SPAN)
        records.append({"key": f"r|gsm8k|{i}|{variant}", "run": "r", "model": "m",
                        "task": "gsm8k", "id": str(i), "variant": variant,
                        "correct": not failed, "status": "ok", "span_exact": True,
                        "mass": mass.tolist(), "mass_per_token": per_token.tolist()})
    return records


def test_span_attention_sums_the_span_and_divides_by_its_length() -> None:
    attn = np.zeros((1, 2, 5))
    attn[0, 0] = [0.1, 0.2, 0.3, 0.4, 0.0]
    attn[0, 1] = [0.0, 0.5, 0.5, 0.0, 0.0]
    mass, per_token = span_attention([attn, attn * 0], [1, 2])
    assert mass.shape == (2, 1)
    assert mass[0, 0] == pytest.approx((0.5 + 1.0) / 2)
    assert per_token[0, 0] == pytest.approx(0.75 / 2)
    assert mass[1, 0] == 0.0


def test_planted_attention_difference_is_detected_per_layer() -> None:
    report = analyse(_records(seed=3, boost=1.0), n_boot=500, seed=0)
    section = report["constraint"]
    assert (section["n_failed"], section["n_successful"]) == (20, 20)
    for metric in ("mass", "mass_per_token"):
        layers = section["metrics"][metric]["layers"]
        assert layers[0]["p_value"] > 0.01  # no difference planted in layer 0
        for layer in (1, 2):
            entry = layers[layer]
            assert entry["p_value"] < 0.01
            assert entry["mean_failed"] > entry["mean_successful"]
            assert entry["difference_ci"][0] > 0
            assert entry["cliffs_delta"] > 0.5
        overall = section["metrics"][metric]["overall"]
        assert overall["p_value"] < 0.01
        heads = section["metrics"][metric]["heads"]
        assert len(heads) == LAYERS * HEADS
        assert all(h["q_value"] < 0.01 for h in heads if h["layer"] > 0)
    assert report["placebo"] is None
    assert "mode=placebo" in report["placebo_note"]
    assert "sustain_<bench>_placebo" in report["placebo_note"]


def test_no_planted_difference_is_not_significant() -> None:
    report = analyse(_records(seed=3, boost=0.0), n_boot=500, seed=0)
    overall = report["constraint"]["metrics"]["mass_per_token"]["overall"]
    assert overall["p_value"] > 0.01
    ci = overall["difference_ci"]
    assert ci[0] < 0 < ci[1]


def test_placebo_control_is_reported_beside_the_constraint() -> None:
    records = _records(seed=3, boost=1.0) + _records(seed=4, boost=0.0, variant="placebo")
    report = analyse(records, n_boot=200, seed=0)
    assert report["constraint"]["metrics"]["mass"]["overall"]["p_value"] < 0.01
    assert report["placebo"]["metrics"]["mass"]["overall"]["p_value"] > 0.01
    assert report["n_measured"] == 80


def test_analysis_is_deterministic_for_a_seed() -> None:
    records = _records(seed=5, boost=0.5)
    assert analyse(records, n_boot=300, seed=7) == analyse(records, n_boot=300, seed=7)


def test_skipped_items_are_counted_not_compared() -> None:
    records = _records(seed=3, boost=1.0, n_each=5)
    records.append({"key": "x", "run": "r", "model": "m", "task": "gsm8k", "id": "x",
                    "variant": "constrained", "correct": False, "status": "skipped",
                    "reason": "empty output"})
    report = analyse(records, n_boot=100, seed=0)
    assert report["skipped"] == {"empty output": 1}
    assert report["constraint"]["n_items"] == 10


def test_compare_on_known_values() -> None:
    out = compare([1.0, 2.0, 3.0], [4.0, 5.0, 6.0], n_boot=200, seed=0)
    assert out["difference"] == -3.0
    assert out["cliffs_delta"] == -1.0
    assert out["p_value"] == pytest.approx(0.1)  # exact two-sided Mann-Whitney, n = 3 and 3
    assert out["cohens_d"] == pytest.approx(-3.0)
    assert out["ci_failed"][0] >= 1.0
    assert out["ci_failed"][1] <= 3.0
    tiny = compare([1.0], [], n_boot=200, seed=0)
    assert tiny["p_value"] is None
    assert tiny["ci_failed"] == [None, None]
    assert tiny["mean_failed"] == 1.0
    assert tiny["mean_successful"] is None
    same = compare([2.0, 2.0], [2.0, 2.0], n_boot=10, seed=0)
    assert same["p_value"] == 1.0
    assert same["cohens_d"] is None


def test_benjamini_hochberg() -> None:
    q = benjamini_hochberg([0.01, None, 0.04, 0.03, 0.5])
    assert q[1] is None
    assert q[0] == pytest.approx(0.04)
    assert q[2] == pytest.approx(0.04 * 4 / 3)
    assert q[3] == pytest.approx(0.04 * 4 / 3)
    assert q[4] == pytest.approx(0.5)
