"""``sustain mechanism probe``: where compliance and task success become linearly decodable.

For every constrained item of S, the recorded prompt and output are teacher-forced and the
hidden states of every layer (layer 0 is the embeddings) are kept at the last prompt token
(before anything is generated) and, for ``--positions``, at the output's first token, its
tokens at 25 %, 50 % and 75 % of its length and its last token
(:data:`~sustain_tasks.mechanism.model.POSITIONS`).

Probes are logistic regressions (standardised features, L2, scikit-learn) evaluated by
stratified k-fold cross-validation: every item is scored by a probe that never saw it, and the
AUC of those out-of-fold scores is reported per layer with a 95 % bootstrap interval over items.
Targets:

- ``task_success``: the constrained output is correct;
- ``compliance``: every inserted constraint is satisfied (the task-general compliance probe);
- one per constraint category (``length``, ``format``, ``lexical``, ``content``, ``code``): on
  the items that got a constraint of that category, all of them satisfied (the specialists).

The *first decodable layer* of a target is the first layer whose AUC reaches the threshold
with an interval above 0.5; categories are reported side by side as structural (``length``,
``format``, ``code``: decided by form) and semantic (``lexical``, ``content``: decided by
content). The task-general probe is compared with each specialist on the specialist's items,
and each specialist is tested on the other categories' items (transfer; items holding both
categories are left out of the test set, since the probe trained on them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sustain_tasks.constraints import CATEGORIES, STRUCTURAL_CATEGORIES
from sustain_tasks.errors import SustainInputError

from . import require
from .runs import MechanismItem, item_summary
from .store import ItemStore, array_name

__all__ = ["SCHEMA_VERSION", "analyse", "auc", "first_layer", "layer_curve", "measure",
           "plot"]

SCHEMA_VERSION = 1
MIN_PER_CLASS = 3
"""Fewest items of each class a probe is trained on (else the target is reported as too
small)."""


# -- measuring -------------------------------------------------------------------------------

def measure(items: Iterable[MechanismItem], store: ItemStore, loaded: Any, folder: Path,
            tick: Callable[[], None] | None = None) -> None:
    """Teacher-force each constrained item not yet in ``store``; its hidden states go to
    ``folder`` (``[positions, layers + 1, hidden]``, float16) before its line is written."""
    folder.mkdir(parents=True, exist_ok=True)
    for item in items:
        if item.key in store or item.variant != "constrained":
            if tick is not None:
                tick()
            continue
        record = item_summary(item)
        enc = loaded.encode(item)
        record.update(n_prompt=enc.n_prompt, n_output=enc.n_output)
        limit = loaded.max_positions
        if enc.n_output < 1:
            record.update(status="skipped", reason="empty output")
        elif limit is not None and len(enc.input_ids) > limit:
            record.update(status="skipped", reason=f"longer than the model's context ({limit})")
        else:
            forward = loaded.forward(enc, hidden=True)
            name = array_name(item.key)
            tmp = folder / f".{name}.tmp.npy"
            np.save(tmp, forward.hidden.astype(np.float16))
            tmp.replace(folder / name)
            record.update(status="ok", hidden=name, shape=list(forward.hidden.shape))
        store.add(record)
        if tick is not None:
            tick()


# -- statistics ------------------------------------------------------------------------------

def auc(scores: Any, labels: Any) -> Any:
    """ROC AUC of ``scores`` against boolean ``labels``; both may be 2-D (one AUC per row),
    ties counted half. NaN where a row holds only one class."""
    (scipy_stats,) = require("scipy.stats")
    s = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    y = np.atleast_2d(np.asarray(labels, dtype=bool))
    ranks = scipy_stats.rankdata(s, axis=1)
    n_pos = y.sum(axis=1)
    n_neg = y.shape[1] - n_pos
    with np.errstate(invalid="ignore", divide="ignore"):
        value = ((ranks * y).sum(axis=1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    value = np.where((n_pos == 0) | (n_neg == 0), np.nan, value)
    return value if np.ndim(scores) > 1 else float(value[0])


def _auc_ci(scores: Any, labels: Any, *, n_boot: int, seed: int
            ) -> tuple[float | None, float | None]:
    if n_boot < 1:
        return None, None
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(labels), size=(n_boot, len(labels)))
    values = auc(np.asarray(scores)[idx], np.asarray(labels)[idx])
    values = values[~np.isnan(values)]
    if values.size < n_boot // 2:
        return None, None
    lo, hi = np.percentile(values, [2.5, 97.5])
    return float(lo), float(hi)


def _pipeline(c: float, seed: int) -> Any:
    require("sklearn")
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000,
                                                              random_state=seed))


def _folds(y: Any, folds: int) -> int:
    return int(min(folds, np.bincount(np.asarray(y, dtype=np.int64), minlength=2).min()))


def oof_scores(x: Any, y: Any, *, folds: int, seed: int, c: float) -> Any:
    """Out-of-fold decision scores of a probe (stratified ``folds``-fold, seeded)."""
    require("sklearn")
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(y, dtype=bool)
    scores = np.zeros(len(y), dtype=np.float64)
    splitter = StratifiedKFold(n_splits=_folds(y, folds), shuffle=True, random_state=seed)
    for train, test in splitter.split(x, y):
        model = _pipeline(c, seed).fit(x[train], y[train])
        scores[test] = model.decision_function(x[test])
    return scores


def _too_small(y: Any) -> str | None:
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=2)
    if counts.min() < MIN_PER_CLASS:
        return (f"too few items: {int(counts[1])} positive and {int(counts[0])} negative "
                f"(a probe needs at least {MIN_PER_CLASS} of each)")
    return None


def layer_curve(x: Any, y: Any, *, folds: int = 5, seed: int = 0, n_boot: int = 1000,
                c: float = 1.0) -> tuple[list[dict[str, Any]], list[Any]]:
    """Cross-validated AUC per layer of ``x`` (``[items, layers, hidden]``) for labels ``y``.

    Returns:
        One ``{"layer", "auc", "ci"}`` per layer, and the out-of-fold scores per layer.
    """
    y = np.asarray(y, dtype=bool)
    curve, all_scores = [], []
    for layer in range(x.shape[1]):
        scores = oof_scores(x[:, layer, :], y, folds=folds, seed=seed, c=c)
        lo, hi = _auc_ci(scores, y, n_boot=n_boot, seed=seed + layer)
        curve.append({"layer": layer, "auc": float(auc(scores, y)), "ci": [lo, hi]})
        all_scores.append(scores)
    return curve, all_scores


def first_layer(curve: Sequence[Mapping[str, Any]], threshold: float) -> int | None:
    """The first layer whose AUC reaches ``threshold`` with an interval above 0.5 (a layer
    without an interval, e.g. under ``--bootstrap 0``, is never declared decodable)."""
    for entry in curve:
        lo = entry["ci"][0]
        if entry["auc"] >= threshold and lo is not None and lo > 0.5:
            return int(entry["layer"])
    return None


# -- the report ------------------------------------------------------------------------------

def _targets(records: Sequence[Mapping[str, Any]]) -> dict[str, tuple[list[int], list[bool]]]:
    """Target name → (indices of the items it is defined on, labels)."""
    out: dict[str, tuple[list[int], list[bool]]] = {
        "task_success": (list(range(len(records))), [bool(r["correct"]) for r in records]),
        "compliance": (list(range(len(records))), [bool(r["compliant"]) for r in records]),
    }
    for category in CATEGORIES:
        idx, labels = [], []
        for i, r in enumerate(records):
            checks = [c["ok"] for c in r["checks"] if c["category"] == category]
            if checks:
                idx.append(i)
                labels.append(all(checks))
        if idx:
            out[category] = (idx, labels)
    return out


def _load(records: Sequence[Mapping[str, Any]], folder: Path, n_positions: int | None) -> Any:
    """``[items, positions, layers + 1, hidden]`` (the first ``n_positions`` positions)."""
    arrays = []
    for r in records:
        path = folder / str(r["hidden"])
        try:
            arrays.append(np.load(path)[:n_positions].astype(np.float32))
        except (OSError, ValueError) as exc:
            raise SustainInputError(f"unreadable hidden states of item {r['key']!r} ({exc}); "
                                    "delete the --out folder to measure again",
                                    path=path) from None
    return np.stack(arrays)


def _curves_at(x: Any, targets: Mapping[str, tuple[list[int], list[bool]]], *, folds: int,
               seed: int, n_boot: int, c: float, threshold: float
               ) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    out: dict[str, Any] = {}
    scores: dict[str, list[Any]] = {}
    for name, (idx, labels) in targets.items():
        y = np.asarray(labels, dtype=bool)
        entry: dict[str, Any] = {"n": len(idx), "n_positive": int(y.sum()),
                                 "n_negative": int((~y).sum())}
        reason = _too_small(y)
        if reason:
            entry.update(layers=None, first_layer=None, best_layer=None, best_auc=None,
                         note=reason)
        else:
            curve, oof = layer_curve(x[idx], y, folds=folds, seed=seed, n_boot=n_boot, c=c)
            best = max(curve, key=lambda e: e["auc"])
            entry.update(layers=curve, first_layer=first_layer(curve, threshold),
                         best_layer=best["layer"], best_auc=best["auc"])
            scores[name] = oof
        out[name] = entry
    return out, scores


def _general_vs_specialist(targets: Mapping[str, tuple[list[int], list[bool]]],
                           curves: Mapping[str, Any], scores: Mapping[str, list[Any]]
                           ) -> dict[str, Any]:
    out: dict[str, Any] = {}
    general = scores.get("compliance")
    for category in CATEGORIES:
        if category not in scores or general is None:
            continue
        idx, labels = targets[category]
        y = np.asarray(labels, dtype=bool)
        rows = []
        for layer, spec in enumerate(curves[category]["layers"]):
            rows.append({"layer": layer, "specialist_auc": spec["auc"],
                         "general_auc": float(auc(general[layer][idx], y))})
        out[category] = rows
    return out


def _transfer(x: Any, targets: Mapping[str, tuple[list[int], list[bool]]], *, c: float,
              seed: int) -> dict[str, Any]:
    """Train on each category, test on each other category's items (not the training's)."""
    cats = [k for k in CATEGORIES if k in targets and _too_small(targets[k][1]) is None]
    out: dict[str, Any] = {}
    for source in cats:
        s_idx, s_y = targets[source]
        trained = set(s_idx)
        row: dict[str, Any] = {}
        for dest in cats:
            if dest == source:
                continue
            pairs = [(i, lab) for i, lab in zip(*targets[dest], strict=True)
                     if i not in trained]
            labels = np.asarray([lab for _, lab in pairs], dtype=bool)
            if not pairs or labels.all() or not labels.any():
                row[dest] = {"n": len(pairs), "layers": None,
                             "note": "no test item of both classes outside the training set"}
                continue
            test = [i for i, _ in pairs]
            aucs = []
            for layer in range(x.shape[1]):
                model = _pipeline(c, seed).fit(x[s_idx, layer, :], np.asarray(s_y, bool))
                aucs.append(float(auc(model.decision_function(x[test, layer, :]), labels)))
            row[dest] = {"n": len(pairs), "layers": aucs}
        out[source] = row
    return out


def analyse(records: Iterable[Mapping[str, Any]], folder: Path, *, positions: bool = False,
            threshold: float = 0.7, folds: int = 5, seed: int = 0, n_boot: int = 1000,
            c: float = 1.0) -> dict[str, Any]:
    """The probe report of stored per-item records (see the module docstring)."""
    from .model import POSITIONS

    records = list(records)
    ok = [r for r in records if r.get("status") == "ok"]
    skipped = Counter(str(r.get("reason")) for r in records if r.get("status") != "ok")
    report: dict[str, Any] = {
        "analysis": "probe", "schema_version": SCHEMA_VERSION,
        "models": sorted({str(r["model"]) for r in records}),
        "tasks": sorted({str(r["task"]) for r in records}),
        "runs": sorted({str(r["run"]) for r in records}),
        "n_items": len(records), "n_measured": len(ok), "skipped": dict(skipped),
        "probe": f"logistic regression (standardised, L2, C={c}), stratified {folds}-fold "
                 "cross-validation, AUC of out-of-fold scores",
        "threshold": threshold, "folds": folds, "seed": seed, "bootstrap": n_boot,
        "layers_note": "layer 0 is the embeddings; layer i the output of block i",
    }
    if not ok:
        report["note"] = "no measured item"
        return report
    hidden = _load(ok, folder, None if positions else 1)
    targets = _targets(ok)
    report["n_layers"] = int(hidden.shape[2])
    kw: dict[str, Any] = {"folds": folds, "seed": seed, "n_boot": n_boot, "c": c,
                          "threshold": threshold}
    curves, scores = _curves_at(hidden[:, 0], targets, **kw)
    report["targets"] = curves
    report["first_layer"] = {
        "structural": {k: curves[k]["first_layer"] for k in CATEGORIES
                       if k in curves and k in STRUCTURAL_CATEGORIES},
        "semantic": {k: curves[k]["first_layer"] for k in CATEGORIES
                     if k in curves and k not in STRUCTURAL_CATEGORIES},
        "task_success": curves["task_success"]["first_layer"],
        "compliance": curves["compliance"]["first_layer"],
    }
    report["general_vs_specialist"] = _general_vs_specialist(targets, curves, scores)
    report["transfer"] = _transfer(hidden[:, 0], targets, c=c, seed=seed)
    if positions:
        by_position: dict[str, Any] = {}
        for p, name in enumerate(POSITIONS):
            at = curves if p == 0 else _curves_at(hidden[:, p], targets, **kw)[0]
            by_position[name] = at
        report["positions"] = list(POSITIONS)
        report["by_position"] = by_position
        report["position_summary"] = {
            target: {name: by_position[name][target]["best_auc"] for name in POSITIONS}
            for target in curves}
    return report


def plot(report: Mapping[str, Any], path: str) -> None:
    """AUC per layer for each target at the last prompt token (with intervals); with
    positions, a second panel with each target's best-layer AUC per position."""
    from .plots import pyplot, save

    plt = pyplot()
    has_positions = "position_summary" in report
    fig, axes = plt.subplots(1, 2 if has_positions else 1, figsize=(13 if has_positions
                                                                    else 7, 4.8),
                             squeeze=False)
    ax = axes[0][0]
    for name, entry in (report.get("targets") or {}).items():
        if not entry.get("layers"):
            continue
        x = [e["layer"] for e in entry["layers"]]
        y = [e["auc"] for e in entry["layers"]]
        style = "-" if name in STRUCTURAL_CATEGORIES else "--" if name in CATEGORIES else ":"
        (line,) = ax.plot(x, y, style, marker="o", markersize=3, label=f"{name} (n={entry['n']})")
        ci = [e["ci"] for e in entry["layers"]]
        if all(c[0] is not None for c in ci):
            ax.fill_between(x, [c[0] for c in ci], [c[1] for c in ci], alpha=0.15,
                            color=line.get_color())
    ax.axhline(0.5, color="grey", linewidth=0.8)
    ax.axhline(float(report.get("threshold", 0.7)), color="grey", linewidth=0.8, linestyle=":")
    ax.set_xlabel("layer (0 = embeddings)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("cross-validated AUC")
    ax.set_ylim(0.0, 1.02)
    ax.set_title("Probes at the last prompt token (solid: structural categories, dashed: "
                 "semantic, dotted: task success and compliance)", fontsize=8)
    ax.legend(fontsize=7)
    if has_positions:
        ax2 = axes[0][1]
        names = list(report["positions"])
        for target, values in report["position_summary"].items():
            if all(v is None for v in values.values()):
                continue
            ax2.plot(range(len(names)), [values[n] for n in names], marker="o", label=target)
        ax2.set_xticks(range(len(names)))
        ax2.set_xticklabels(names)
        ax2.set_ylim(0.0, 1.02)
        ax2.axhline(0.5, color="grey", linewidth=0.8)
        ax2.set_ylabel("best-layer AUC")
        ax2.set_title("Before (prompt) and during generation", fontsize=9)
        ax2.legend(fontsize=7)
    fig.tight_layout()
    save(fig, path)
