"""The report's figure: SustainScore with 95% Wilson intervals per model and benchmark, and a
second panel per constraint category (structural: length, format, code; semantic: lexical,
content), pooled over the benchmarks.

Models are drawn top to bottom in :func:`~sustain_tasks.report.leaderboard.model_order`
(SustainScore pooled over every benchmark, highest first). Beside each point: the interval,
``|S|`` and the plain accuracy. Drawn with matplotlib's object API on the Agg canvas (no
pyplot, no global state); the PNG carries no software or date metadata, so the same reports
give the same bytes.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sustain_tasks.errors import MissingDependencyError, SustainInputError
from sustain_tasks.report.leaderboard import (
    category_rates,
    display_names,
    family,
    model_order,
)
from sustain_tasks.report.score import TaskReport
from sustain_tasks.report.stats import Rate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["FORMATS", "figure", "plot_format", "plot_png", "require_matplotlib", "write_plot"]

TASK_COLUMNS = 2
"""Benchmark panels per row of the figure."""
ROW_INCHES = 0.34
"""Height of one model's row in a benchmark panel."""
CATEGORY_ROW_INCHES = 0.5
"""Height of one model's row in the category panel (it holds up to five points)."""
PANEL_WIDTH = 6.2
"""Width of one benchmark panel, its annotations included."""
STRUCTURAL_COLOURS = ("#1f4e99", "#4c8bd6", "#8fb8ea")
SEMANTIC_COLOURS = ("#c0501f", "#f0a050")
DPI = 110
TICKS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
_RC: Any = {"font.family": "DejaVu Sans", "font.size": 9.0, "svg.hashsalt": "sustainscore",
       "path.simplify": True}


def require_matplotlib(purpose: str = "--plot") -> None:
    """Raise :class:`MissingDependencyError` with an install hint unless matplotlib imports."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError("matplotlib", extra="plot", purpose=purpose) from exc


FORMATS = ("png", "svg", "pdf")
"""The image formats ``write_plot`` writes, chosen by the file's suffix."""


def plot_format(path: str | Path) -> str:
    """The format of ``path`` by its suffix (none: png); a clear error for another suffix."""
    suffix = Path(path).suffix.lstrip(".").lower() or "png"
    if suffix not in FORMATS:
        raise SustainInputError(f"cannot draw a .{suffix} file; name the plot "
                                + ", ".join(f".{f}" for f in FORMATS), path=path)
    return suffix


def _errors(r: Rate) -> tuple[float, float, float]:
    value = r.value or 0.0
    return value, value - (r.ci_low or 0.0), (r.ci_high or 0.0) - value


def _benchmark_panel(ax: Any, task: str, rows: list[str],
                     by_name: dict[str, TaskReport], *, first: bool) -> None:
    from matplotlib.transforms import blended_transform_factory

    note = blended_transform_factory(ax.transAxes, ax.transData)
    for y, name in enumerate(rows):
        r = by_name.get(name)
        if r is None or r.sustain.value is None:
            text = "no run" if r is None else f"no item in S (plain acc {_fmt(r.plain.value)})"
            ax.text(1.03, y, text, transform=note, va="center", fontsize=8, color="#777777",
                    clip_on=False)
            continue
        value, low, high = _errors(r.sustain)
        ax.errorbar([value], [y], xerr=[[low], [high]], fmt="o", color="#1f4e99",
                    ecolor="#1f4e99", elinewidth=1.6, capsize=3, markersize=5)
        ax.text(1.03, y, f"{value:.3f} [{r.sustain.ci_low:.2f}, {r.sustain.ci_high:.2f}]"
                f"  |S|={r.sustain.n}  plain acc {_fmt(r.plain.value)}",
                transform=note, va="center", fontsize=8, clip_on=False)
    ax.axvline(1.0, color="#999999", linewidth=0.8, linestyle="--")
    ax.set_xlim(0.0, 1.02)
    ax.set_xticks(TICKS)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows if first else [""] * len(rows))
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
    counts = sorted({r.n_items for r in by_name.values()})
    items = str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
    ax.set_title(f"{task}: {_plural(len(by_name), 'model')}, n = {items} items each",
                 loc="left", fontsize=10, fontweight="bold")
    ax.set_xlabel("SustainScore (95% Wilson interval)")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _category_panel(ax: Any, rows: list[str], rates: dict[str, dict[str, Rate]]) -> None:
    categories: list[str] = []
    for per in rates.values():
        categories += [c for c in per if c not in categories]
    from sustain_tasks.constraints.base import CATEGORIES

    rank: dict[str, int] = {c: i for i, c in enumerate(CATEGORIES)}
    categories.sort(key=lambda c: (family(c) != "structural", rank.get(c, len(rank)), c))
    width = 0.7
    step = width / max(1, len(categories))
    colours: dict[str, str] = {}
    structural = [c for c in categories if family(c) == "structural"]
    semantic = [c for c in categories if family(c) == "semantic"]
    for i, c in enumerate(structural):
        colours[c] = STRUCTURAL_COLOURS[i % len(STRUCTURAL_COLOURS)]
    for i, c in enumerate(semantic):
        colours[c] = SEMANTIC_COLOURS[i % len(SEMANTIC_COLOURS)]
    for j, c in enumerate(categories):
        offset = -width / 2 + step * (j + 0.5)
        xs, ys, lows, highs = [], [], [], []
        for y, name in enumerate(rows):
            r = rates.get(name, {}).get(c)
            if r is None or r.value is None:
                continue
            value, low, high = _errors(r)
            xs.append(value)
            ys.append(y + offset)
            lows.append(low)
            highs.append(high)
        total = sum(rates.get(name, {}).get(c, Rate(0, 0, None, None, None)).n
                    for name in rows)
        ax.errorbar(xs, ys, xerr=[lows, highs], fmt="s" if family(c) == "semantic" else "o",
                    color=colours[c], ecolor=colours[c], elinewidth=1.3, capsize=2,
                    markersize=4.5, label=f"{c} ({family(c)}, |S|={total})")
    ax.axvline(1.0, color="#999999", linewidth=0.8, linestyle="--")
    ax.set_xlim(0.0, 1.02)
    ax.set_xticks(TICKS)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows)
    ax.tick_params(axis="y", length=0)
    for y in range(len(rows) - 1):
        ax.axhline(y + 0.5, color="#eeeeee", linewidth=0.8)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_title("By constraint category, pooled over benchmarks\n(structural: length, format, "
                 "code; semantic: lexical, content)", loc="left", fontsize=10,
                 fontweight="bold")
    ax.set_xlabel("SustainScore on the items of S carrying the category (95% Wilson "
                  "interval)\nan item counts under each of its categories")
    if categories:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
                  borderaxespad=0.0)


def figure(reports: Sequence[TaskReport]) -> Figure:
    """The two-panel figure (benchmarks above, categories below) of ``reports``."""
    require_matplotlib()
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    if not reports:
        raise ValueError("nothing to plot: no reports")
    rows = model_order(reports)
    names = display_names(reports)
    tasks = sorted({r.task for r in reports})
    per_task: dict[str, dict[str, TaskReport]] = {t: {} for t in tasks}
    for r in reports:
        per_task[r.task][names[id(r)]] = r
    rates = category_rates(reports)
    columns = min(len(tasks), TASK_COLUMNS)
    task_rows = math.ceil(len(tasks) / columns)
    label_inches = 0.075 * max(len(name) for name in rows) + 0.4
    top = ROW_INCHES * len(rows) + 1.2
    bottom = CATEGORY_ROW_INCHES * len(rows) + 1.5 if any(rates.values()) else 0.0
    width = label_inches + PANEL_WIDTH * columns + (2.3 if bottom else 0.0)
    height = top * task_rows + bottom + 0.7
    with rc_context(_RC):
        fig = Figure(figsize=(max(width, 7.0), height), dpi=DPI, layout="constrained")
        outer = fig.add_gridspec(task_rows + (1 if bottom else 0), 1,
                                 height_ratios=[top] * task_rows + ([bottom] if bottom else []))
        for i, task in enumerate(tasks):
            row, col = divmod(i, columns)
            if col == 0:
                inner = outer[row].subgridspec(1, columns, wspace=0.0)
            ax = fig.add_subplot(inner[col])
            _benchmark_panel(ax, task, rows, per_task[task], first=col == 0)
        if bottom:
            _category_panel(fig.add_subplot(outer[task_rows]), rows, rates)
        fig.suptitle(f"SustainScore: {_plural(len(rows), 'model')} on "
                     f"{_plural(len(tasks), 'benchmark')}\n(1.0 = no interference; models "
                     "ordered by SustainScore pooled over benchmarks)", fontsize=11,
                     fontweight="bold", x=0.01, ha="left")
    return fig


def _encode(fig: Figure, fmt: str) -> bytes:
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    metadata: dict[str, Any] = {
        "png": {"Software": None},
        "svg": {"Creator": None, "Date": None},
        "pdf": {"Creator": None, "Producer": None, "CreationDate": None},
    }.get(fmt, {})
    with rc_context(_RC):
        fig.savefig(buf, format=fmt, metadata=metadata or None)
    return buf.getvalue()


def plot_png(reports: Sequence[TaskReport]) -> bytes:
    """The figure as PNG bytes (no metadata: byte-identical for identical reports)."""
    return _encode(figure(reports), "png")


def write_plot(reports: Sequence[TaskReport], path: str | Path) -> None:
    """Write the figure to ``path``; its suffix picks the format (png, svg, pdf)."""
    require_matplotlib()
    out = Path(path)
    fmt = plot_format(out)
    data = _encode(figure(reports), fmt)
    out.parent.mkdir(parents=True, exist_ok=True)
    # a temporary file beside it, renamed: a failed write never leaves a broken image there
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, out)
    except OSError as exc:
        raise SustainInputError(f"cannot write: {exc.strerror or exc}", path=out) from None
    finally:
        tmp.unlink(missing_ok=True)
