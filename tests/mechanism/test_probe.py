"""Layer-wise probes on planted hidden states: the first decodable layer, and the null."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sustain_tasks.mechanism.model import POSITIONS
from sustain_tasks.mechanism.probe import analyse, auc, first_layer, layer_curve
from sustain_tasks.mechanism.store import ItemStore, array_name

from .conftest import need

need("sklearn", "scipy")

N, LAYERS, DIM = 120, 6, 16


def _planted(seed: int, from_layer: int, labels: Any, strength: float = 1.5) -> Any:
    """``[items, layers, dim]`` noise, plus the label along one direction from
    ``from_layer`` on."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(len(labels), LAYERS, DIM))
    direction = rng.normal(size=DIM)
    direction /= np.linalg.norm(direction)
    sign = np.where(np.asarray(labels), 1.0, -1.0)
    x[:, from_layer:, :] += strength * sign[:, None, None] * direction
    return x


def test_auc_matches_its_definition() -> None:
    assert auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == pytest.approx(0.75)
    assert auc([1, 1, 1, 1], [False, True, False, True]) == pytest.approx(0.5)  # ties: half
    assert np.isnan(auc([0.1, 0.2], [True, True]))
    rows = auc(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[False, True], [False, True]]))
    assert list(rows) == [1.0, 0.0]


def test_first_decodable_layer_is_the_planted_one() -> None:
    y = np.arange(N) % 2 == 0
    x = _planted(0, 3, y)
    curve, _ = layer_curve(x, y, folds=5, seed=0, n_boot=200)
    assert [e["layer"] for e in curve] == list(range(LAYERS))
    assert all(e["auc"] < 0.7 for e in curve[:3])
    assert all(e["auc"] > 0.9 for e in curve[3:])
    assert first_layer(curve, 0.7) == 3


def test_shuffled_labels_give_chance_auc() -> None:
    y = np.arange(N) % 2 == 0
    x = _planted(0, 0, y)
    shuffled = np.random.default_rng(1).permutation(y)
    curve, _ = layer_curve(x, shuffled, folds=5, seed=0, n_boot=200)
    aucs = [e["auc"] for e in curve]
    assert abs(float(np.mean(aucs)) - 0.5) < 0.1
    assert all(abs(a - 0.5) < 0.2 for a in aucs)
    assert first_layer(curve, 0.7) is None


def _records(folder: Path, hidden: Any, labels: dict[str, Any], success: Any
             ) -> list[dict[str, Any]]:
    """Stored records with per-category checks and the hidden states on disk."""
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for i in range(hidden.shape[0]):
        key = f"r|gsm8k|{i}|constrained"
        name = array_name(key)
        np.save(folder / name, hidden[i].astype(np.float16))
        checks = [{"kind": f"{cat}:x", "category": cat, "ok": bool(lab[i])}
                  for cat, lab in labels.items() if lab[i] is not None]
        records.append({"key": key, "run": "r", "model": "m", "task": "gsm8k", "id": str(i),
                        "variant": "constrained", "correct": bool(success[i]),
                        "compliant": all(c["ok"] for c in checks), "checks": checks,
                        "status": "ok", "hidden": name})
    return records


def test_report_names_structural_and_semantic_first_layers(tmp_path: Path) -> None:
    """length is planted from layer 1, content from layer 4 (each on its own items), task
    success nowhere: the report says so, side by side."""
    rng = np.random.default_rng(2)
    half = N // 2
    y_len = rng.permutation(np.arange(half) % 2 == 0)
    y_con = rng.permutation(np.arange(half) % 2 == 0)
    x = np.concatenate([_planted(3, 1, y_len), _planted(4, 4, y_con)])  # [N, LAYERS, DIM]
    hidden = x[:, None]  # [N, positions, LAYERS, DIM]: the last prompt token only
    labels = {"length": list(y_len) + [None] * half, "content": [None] * half + list(y_con)}
    success = rng.permutation(np.arange(N) % 2 == 0)
    records = _records(tmp_path, hidden, labels, success)
    report = analyse(records, tmp_path, threshold=0.7, folds=5, seed=0, n_boot=100)
    assert report["first_layer"]["structural"] == {"length": 1}
    assert report["first_layer"]["semantic"] == {"content": 4}
    assert report["first_layer"]["task_success"] is None
    assert report["targets"]["length"]["n"] == half
    assert "format" not in report["targets"]  # no item got a format constraint
    # the general probe (all constraints satisfied) is compared with each specialist
    general = report["general_vs_specialist"]["length"]
    assert [g["layer"] for g in general] == list(range(LAYERS))
    # transfer: the two categories share no item and their directions differ
    transfer = report["transfer"]["length"]["content"]
    assert transfer["n"] == half
    assert len(transfer["layers"]) == LAYERS
    assert "positions" not in report


def test_positions_tell_monitoring_from_planning(tmp_path: Path) -> None:
    """Compliance planted only in the states of the output's second half: chance before
    generation, decodable at 75 % and at the end."""
    n, layers = 60, 2
    rng = np.random.default_rng(5)
    y = rng.permutation(np.arange(n) % 2 == 0)
    hidden = rng.normal(size=(n, len(POSITIONS), layers, DIM))
    sign = np.where(y, 1.0, -1.0)
    for p, name in enumerate(POSITIONS):
        if name in ("75%", "end"):
            hidden[:, p, :, 0] += 2.0 * sign[:, None]
    records = _records(tmp_path, hidden, {"length": list(y)}, y)
    report = analyse(records, tmp_path, positions=True, folds=3, seed=0, n_boot=50)
    assert report["positions"] == list(POSITIONS)
    summary = report["position_summary"]["length"]
    assert set(summary) == set(POSITIONS)
    assert summary["prompt"] < 0.75
    assert summary["start"] < 0.75
    assert summary["75%"] > 0.9
    assert summary["end"] > 0.9
    assert report["first_layer"]["structural"] == {"length": None}  # at the prompt
    assert report["by_position"]["end"]["length"]["first_layer"] == 0


def test_too_few_items_are_reported_not_probed(tmp_path: Path) -> None:
    y = np.array([True, True, False, False, False, False])
    hidden = np.zeros((6, 1, LAYERS, DIM)) + np.arange(6)[:, None, None, None]
    records = _records(tmp_path, hidden, {"format": list(y)}, [True] * 5 + [False])
    report = analyse(records, tmp_path, n_boot=10)
    assert report["targets"]["format"]["layers"] is None
    assert "too few items" in report["targets"]["format"]["note"]
    assert report["first_layer"]["structural"] == {"format": None}


def test_store_resumes_and_refuses_other_settings(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    with ItemStore(path, {"model": "a"}) as store:
        store.add({"key": "1", "v": 1})
        store.add({"key": "2", "v": 2})
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"key": "3", "v"')  # a kill in the middle of a line
    store = ItemStore(path, {"model": "a"})
    assert "1" in store
    assert "2" in store
    assert "3" not in store
    assert len(store) == 2
    store.add({"key": "3", "v": 3})
    store.close()
    assert [r["v"] for r in ItemStore(path, {"model": "a"})] == [1, 2, 3]
    from sustain_tasks.errors import SustainInputError

    with pytest.raises(SustainInputError, match="other settings"):
        ItemStore(path, {"model": "b"})


def test_a_layer_without_an_interval_is_never_declared_decodable() -> None:
    curve = [{"layer": 0, "auc": 0.95, "ci": [None, None]},
             {"layer": 1, "auc": 0.9, "ci": [0.45, 0.99]},
             {"layer": 2, "auc": 0.9, "ci": [0.6, 0.99]}]
    assert first_layer(curve, 0.7) == 2
    assert first_layer(curve[:2], 0.7) is None
