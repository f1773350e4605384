"""``sustain mechanism attention``: how much the generated tokens attend to the constraint.

For every constrained item of S, the recorded prompt and output are teacher-forced with the
eager attention implementation, and on each *deciding step* of the output (the position where
the model chose the next output token; see :mod:`~sustain_tasks.mechanism.model`) the
attention weights on the constraint's tokens are summed: ``mass`` is that sum averaged over the
deciding steps (the share of the step's attention that went to the constraint), and
``mass_per_token`` divides it by the number of constraint tokens, so that long and short
constraints compare. Both are kept per layer and head.

Failed items (constrained output wrong) are then compared with successful ones, overall
(layers and heads averaged), per layer (heads averaged) and per head: means with bootstrap
intervals, the difference with its interval, Mann-Whitney p, Cliff's delta and Cohen's d (per
head: no intervals, with Benjamini-Hochberg q-values across heads). The same is done on the
placebo run's items with the neutral text in place of the constraint: if failures attend more
to any inserted text, the placebo shows it too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .runs import MechanismItem, item_summary
from .stats import benjamini_hochberg, compare
from .store import ItemStore

__all__ = ["METRICS", "SCHEMA_VERSION", "analyse", "measure", "plot"]

SCHEMA_VERSION = 1
METRICS: tuple[str, ...] = ("mass", "mass_per_token")
GROUPS: dict[str, str] = {"constraint": "constrained", "placebo": "placebo"}
"""Report section → the variant whose items it compares."""


def measure(items: Iterable[MechanismItem], store: ItemStore, loaded: Any,
            tick: Callable[[], None] | None = None) -> None:
    """Teacher-force each item not yet in ``store`` and append its attention masses.

    ``loaded`` is a :class:`~sustain_tasks.mechanism.model.LoadedModel` loaded with eager
    attention. An item is written with ``status`` ``skipped`` and a ``reason`` when it cannot
    be measured (empty output, longer than the model's context).
    """
    from .model import span_attention

    for item in items:
        if item.key in store:
            if tick is not None:
                tick()
            continue
        record = item_summary(item)
        enc = loaded.encode(item)
        record.update(n_prompt=enc.n_prompt, n_output=enc.n_output,
                      span_tokens=len(enc.span_indices()),
                      span_exact=all(s.exact for s in enc.spans))
        limit = loaded.max_positions
        if enc.n_output < 1:
            record.update(status="skipped", reason="empty output")
        elif limit is not None and len(enc.input_ids) > limit:
            record.update(status="skipped", reason=f"longer than the model's context ({limit})")
        else:
            forward = loaded.forward(enc, attentions=True)
            mass, per_token = span_attention(forward.attentions, enc.span_indices())
            record.update(status="ok", mass=np.round(mass, 8).tolist(),
                          mass_per_token=np.round(per_token, 8).tolist())
        store.add(record)
        if tick is not None:
            tick()


def _section(records: Sequence[Mapping[str, Any]], *, n_boot: int, seed: int
             ) -> dict[str, Any]:
    failed = [r for r in records if not r["correct"]]
    success = [r for r in records if r["correct"]]
    out: dict[str, Any] = {"n_items": len(records), "n_failed": len(failed),
                           "n_successful": len(success), "metrics": {}}
    for metric in METRICS:
        f = np.asarray([r[metric] for r in failed], dtype=np.float64)
        s = np.asarray([r[metric] for r in success], dtype=np.float64)
        shape = np.asarray(records[0][metric]).shape
        f = f.reshape((len(failed), *shape))
        s = s.reshape((len(success), *shape))
        n_layers, n_heads = shape
        overall = compare(f.mean(axis=(1, 2)), s.mean(axis=(1, 2)), n_boot=n_boot, seed=seed)
        layers = [{"layer": layer, **compare(f[:, layer].mean(axis=1),
                                             s[:, layer].mean(axis=1),
                                             n_boot=n_boot, seed=seed)}
                  for layer in range(n_layers)]
        heads = [{"layer": layer, "head": head,
                  **compare(f[:, layer, head], s[:, layer, head], n_boot=0, seed=seed)}
                 for layer in range(n_layers) for head in range(n_heads)]
        for head, q in zip(heads, benjamini_hochberg([h["p_value"] for h in heads]),
                           strict=True):
            head["q_value"] = q
            for key in ("ci_failed", "ci_successful", "difference_ci"):
                head.pop(key)
        out["metrics"][metric] = {"overall": overall, "layers": layers, "heads": heads}
    return out


def analyse(records: Iterable[Mapping[str, Any]], *, n_boot: int = 2000, seed: int = 0
            ) -> dict[str, Any]:
    """The report of stored per-item records (see the module docstring)."""
    records = list(records)
    ok = [r for r in records if r.get("status") == "ok"]
    skipped = Counter(str(r.get("reason")) for r in records if r.get("status") != "ok")
    report: dict[str, Any] = {
        "analysis": "attention", "schema_version": SCHEMA_VERSION,
        "models": sorted({str(r["model"]) for r in records}),
        "tasks": sorted({str(r["task"]) for r in records}),
        "runs": sorted({str(r["run"]) for r in records}),
        "n_items": len(records), "n_measured": len(ok), "skipped": dict(skipped),
        "span_exact_share": (sum(1 for r in ok if r.get("span_exact")) / len(ok)) if ok
        else None,
        "queries": "deciding steps of the output (the position before each output token)",
        "metrics": {"mass": "attention on the inserted text's tokens, summed over them and "
                            "averaged over the deciding steps",
                    "mass_per_token": "mass divided by the number of those tokens"},
        "bootstrap": n_boot, "seed": seed,
    }
    for section, variant in GROUPS.items():
        chosen = [r for r in ok if r["variant"] == variant]
        if not chosen:
            report[section] = None
            report[f"{section}_note"] = (
                "no placebo run among the inputs: run the task with mode=placebo (Inspect) "
                "and pass its log too, or run sustain_<bench>_placebo beside the constrained "
                "task (lm-eval)" if section == "placebo"
                else "no measured constrained item")
            continue
        report[section] = _section(chosen, n_boot=n_boot, seed=seed)
    return report


def plot(report: Mapping[str, Any], path: str) -> None:
    """Per-layer curves, failed vs successful with 95 % intervals: rows are the two metrics,
    columns the constraint and the placebo control."""
    from .plots import pyplot, save

    plt = pyplot()
    fig, axes = plt.subplots(len(METRICS), len(GROUPS), figsize=(11, 7.5), squeeze=False)
    for col, section in enumerate(GROUPS):
        data = report.get(section)
        for row, metric in enumerate(METRICS):
            ax = axes[row][col]
            ax.set_title(f"{section}: {metric}", fontsize=10)
            ax.set_xlabel("layer")
            ax.xaxis.get_major_locator().set_params(integer=True)
            if not data:
                ax.text(0.5, 0.5, "no items", ha="center", va="center",
                        transform=ax.transAxes)
                continue
            layers = data["metrics"][metric]["layers"]
            x = [entry["layer"] for entry in layers]
            for group, colour, label in (("failed", "tab:red", "failed"),
                                         ("successful", "tab:blue", "successful")):
                y = [entry[f"mean_{group}"] for entry in layers]
                if any(v is None for v in y):
                    continue
                n = data[f"n_{group}"]
                ax.plot(x, y, color=colour, label=f"{label} (n={n})", marker="o",
                        markersize=3)
                ci = [entry[f"ci_{group}"] for entry in layers]
                if all(c[0] is not None for c in ci):
                    ax.fill_between(x, [c[0] for c in ci], [c[1] for c in ci], color=colour,
                                    alpha=0.2)
            ax.legend(fontsize=8)
    fig.suptitle("Attention from the output's deciding steps to the inserted text", fontsize=11)
    fig.tight_layout()
    save(fig, path)
