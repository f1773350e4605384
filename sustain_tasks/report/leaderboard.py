"""Model comparison: one leaderboard per benchmark, and SustainScore pooled per constraint
category.

A leaderboard lists every (model, protocol) report of one task, ranked by SustainScore,
highest first; ties go to the report with the larger ``S`` (more evidence), then to the model
name, and reports without a SustainScore (empty ``S``) come last. A model with reports of
several protocols on the task gets one row per protocol, named ``model (mode, protocol)``.
A board whose rows come from runs of different modes (self, reference) has a ``mode`` column:
their constraints were chosen differently.

When the reports were compared (``sustain score --compare``) the column ``vs next`` gives the
paired-bootstrap difference between a row and the row ranked just below it, with its 95%
interval: an interval that covers 0 means the two ranks are not told apart by the data.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sustain_tasks.constraints.base import CATEGORIES, STRUCTURAL_CATEGORIES
from sustain_tasks.report.score import TaskReport
from sustain_tasks.report.stats import BootstrapResult, Rate, rate

__all__ = [
    "SORTED_BY",
    "Board",
    "Entry",
    "adjusted_interference_text",
    "category_rates",
    "display_names",
    "distinct_models",
    "family",
    "leaderboard_rows",
    "leaderboards",
    "model_order",
    "render_leaderboards",
]

SORTED_BY = "SustainScore, highest first (ties: larger |S|, then model name)"
"""How leaderboard rows are ordered, as the tables say it."""


@dataclass(frozen=True)
class Entry:
    """One row of a leaderboard: a report, its display name and its rank (1 = best)."""

    rank: int
    name: str
    report: TaskReport
    vs_next: BootstrapResult | None
    """SustainScore(this) − SustainScore(the next row), paired bootstrap (``--compare``)."""


@dataclass(frozen=True)
class Board:
    """The leaderboard of one task."""

    task: str
    entries: tuple[Entry, ...]

    @property
    def controls(self) -> bool:
        """True when some row has a retest control (so adjusted interference exists)."""
        return any(e.report.retest.n for e in self.entries)

    @property
    def graded(self) -> bool:
        """True when some row has graded scores (HotpotQA's token F1)."""
        return any(e.report.graded for e in self.entries)

    @property
    def mixed_modes(self) -> bool:
        """True when the rows come from runs of different modes (self, reference): their
        constraints were chosen differently, so the table says each row's mode."""
        return len({e.report.mode for e in self.entries}) > 1

    @property
    def compared(self) -> bool:
        """True when some row carries a comparison with the next one."""
        return any(e.vs_next is not None for e in self.entries)


def _rank_key(r: TaskReport) -> tuple[bool, float, int, str, str]:
    value = r.sustain.value
    return (value is None, -(value or 0.0), -r.sustain.n, r.model,
            r.protocol.label() if r.protocol is not None else "")


def display_names(reports: Sequence[TaskReport]) -> dict[int, str]:
    """The model name per report (keyed by ``id``), with mode and protocol added when the
    model has reports of several protocols on the same task."""
    count = Counter((r.model, r.task) for r in reports)
    names: dict[int, str] = {}
    for r in reports:
        name = r.model
        if count[(r.model, r.task)] > 1:
            protocol = r.protocol.label() if r.protocol is not None else "-"
            name = f"{r.model} ({r.mode}, {protocol})"
        names[id(r)] = name
    return names


def leaderboards(reports: Sequence[TaskReport]) -> list[Board]:
    """One :class:`Board` per task (tasks in name order), rows ranked as the module says."""
    names = display_names(reports)
    by_task: dict[str, list[TaskReport]] = defaultdict(list)
    for r in reports:
        by_task[r.task].append(r)
    boards = []
    for task in sorted(by_task):
        ranked = sorted(by_task[task], key=_rank_key)
        per_model = Counter(r.model for r in ranked)
        entries = []
        for i, r in enumerate(ranked):
            after = ranked[i + 1] if i + 1 < len(ranked) else None
            vs_next = None
            # ``compare`` holds one entry per other model: the report of the same protocol
            # when a model has several; shown only when that report is the next row's
            if after is not None and after.model != r.model and (
                    r.protocol == after.protocol
                    or (per_model[r.model] == 1 and per_model[after.model] == 1)):
                vs_next = r.compare.get(after.model)
            entries.append(Entry(i + 1, names[id(r)], r, vs_next))
        boards.append(Board(task, tuple(entries)))
    return boards


def model_order(reports: Sequence[TaskReport]) -> list[str]:
    """Display names ordered by SustainScore pooled over all tasks, highest first (the order
    the plot draws them in)."""
    names = display_names(reports)
    pooled: dict[str, list[int]] = {}
    for r in reports:
        k_n = pooled.setdefault(names[id(r)], [0, 0])
        k_n[0] += r.sustain.k
        k_n[1] += r.sustain.n

    def key(name: str) -> tuple[bool, float, int, str]:
        k, n = pooled[name]
        return (n == 0, -(k / n) if n else 0.0, -n, name)

    return sorted(pooled, key=key)


def category_rates(reports: Sequence[TaskReport]) -> dict[str, dict[str, Rate]]:
    """Display name → constraint category → SustainScore over the items of S carrying that
    category, pooled over the name's tasks (items of different tasks are distinct, so the
    counts add up); categories in the catalogue's order, only those that occurred."""
    names = display_names(reports)
    counts: dict[str, dict[str, list[int]]] = {}
    for r in reports:
        per = counts.setdefault(names[id(r)], {})
        for category, b in r.by_category.items():
            k_n = per.setdefault(category, [0, 0])
            k_n[0] += b.sustain.k
            k_n[1] += b.sustain.n
    order: dict[str, int] = {c: i for i, c in enumerate(CATEGORIES)}
    return {name: {c: rate(k, n) for c, (k, n) in
                   sorted(per.items(), key=lambda item: (order.get(item[0], len(order)),
                                                         item[0]))}
            for name, per in counts.items()}


def family(category: str) -> str:
    """``structural`` (length, format, code: decided by form) or ``semantic``."""
    return "structural" if category in STRUCTURAL_CATEGORIES else "semantic"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _signed(value: float | None) -> str:
    if value is None:
        return "-"
    shown = round(value, 3) or 0.0  # never "-0.000"
    return f"{shown:+.3f}"


def _with_ci(r: Rate) -> str:
    if r.value is None:
        return "-"
    return f"{r.value:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]"


def _difference(result: BootstrapResult | None) -> str:
    if result is None or result.estimate is None:
        return "-"
    if result.ci_low is None:
        return _signed(result.estimate)
    return f"{_signed(result.estimate)} [{_signed(result.ci_low)}, {_signed(result.ci_high)}]"


def adjusted_interference_text(r: TaskReport) -> str:
    """``retest retention − SustainScore`` with its paired-bootstrap interval."""
    value = r.adjusted_interference
    if value is None:
        return "-"
    boot = r.adjusted_ci
    if boot is None or boot.ci_low is None or boot.ci_high is None:
        return _signed(value)
    return f"{_signed(value)} [{_signed(boot.ci_low)}, {_signed(boot.ci_high)}]"


def leaderboard_rows(board: Board) -> tuple[list[str], list[list[str]]]:
    """The header and cell texts of one leaderboard."""
    mixed = board.mixed_modes
    header = ["#", "model", *(["mode"] if mixed else []), "n", "plain acc", "|S|",
              "SustainScore [95% CI]", "compliance"]
    if board.controls:
        header.append("adj. interference")
    if board.graded:
        header += ["plain F1", "constrained F1", "F1 on S"]
    if board.compared:
        header.append("vs next [95% CI]")
    rows = []
    for e in board.entries:
        r = e.report
        row = [str(e.rank), e.name, *([r.mode] if mixed else []), str(r.plain.n),
               _num(r.plain.value), str(r.sustain.n), _with_ci(r.sustain),
               _num(r.compliance.value)]
        if board.controls:
            row.append(adjusted_interference_text(r))
        if board.graded:
            row += [_num(r.plain_f1.value), _num(r.constrained_f1.value),
                    _num(r.sustain_f1.value)]
        if board.compared:
            row.append(_difference(e.vs_next))
        rows.append(row)
    return header, rows


def render_leaderboards(reports: Sequence[TaskReport], fmt: str) -> str:
    """Every task's leaderboard as aligned text (``table``) or Markdown (``md``)."""
    from sustain_tasks.report.formats import aligned_table, markdown_table

    table: Callable[[list[str], list[list[str]]], str]
    heading: Callable[[str], str]
    if fmt == "md":
        table, heading = markdown_table, lambda title: f"### {title}"
    elif fmt == "table":
        table, heading = aligned_table, lambda title: title
    else:
        raise ValueError(f"leaderboards are drawn as 'table' or 'md', not {fmt!r}")
    parts: list[str] = []
    for board in leaderboards(reports):
        parts.append(heading(f"Leaderboard: {board.task}, sorted by {SORTED_BY}"))
        parts.append(table(*leaderboard_rows(board)))
    return "\n\n".join(parts) + "\n"


def distinct_models(reports: Iterable[TaskReport]) -> int:
    """How many different models the reports cover."""
    return len({r.model for r in reports})
