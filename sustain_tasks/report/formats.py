"""Render reports: aligned text table, Markdown, CSV, JSON Lines (the plot is in
:mod:`~sustain_tasks.report.plot`, re-exported here)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from sustain_tasks.report.leaderboard import adjusted_interference_text
from sustain_tasks.report.plot import require_matplotlib, write_plot
from sustain_tasks.report.score import Breakdown, TaskReport
from sustain_tasks.report.stats import Mean, Rate

__all__ = ["CSV_FIELDS", "FORMATS", "aligned_table", "markdown_table", "render", "render_table",
           "require_matplotlib", "write_plot"]

FORMATS = ("table", "json", "csv", "md")

CSV_FIELDS = (
    "model", "task", "mode", "harness", "n_items",
    "n_plain", "plain_correct", "plain_accuracy", "plain_ci_low", "plain_ci_high",
    "n_constrained", "constrained_correct", "constrained_accuracy", "constrained_ci_low",
    "constrained_ci_high",
    "n_sustain", "n_sustained", "sustain_score", "sustain_ci_low", "sustain_ci_high", "drop",
    "n_plain_correct_without_constrained",
    "n_compliance", "compliance", "compliance_ci_low", "compliance_ci_high",
    "n_compliance_loose", "compliance_loose", "compliance_loose_ci_low",
    "compliance_loose_ci_high",
    "n_paired", "mcnemar_b", "mcnemar_c", "mcnemar_p",
    "n_retest", "retest_retention", "retest_ci_low", "retest_ci_high",
    "n_placebo", "placebo_retention", "placebo_ci_low", "placebo_ci_high",
    "adjusted_interference",
    "n_plain_f1", "plain_f1", "n_constrained_f1", "constrained_f1", "n_sustain_f1",
    "sustain_f1",
    "k", "kinds", "seed", "constraints_file", "complete",
    "schema_version", "adjusted_interference_ci_low", "adjusted_interference_ci_high",
    "retest_n_paired", "retest_mcnemar_p", "placebo_n_paired", "placebo_mcnemar_p",
)
"""Columns of ``--format csv`` (breakdowns, discordant counts and failures are in the JSON
output); each addition comes last, after the columns earlier versions wrote."""


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


P_FLOOR = 1e-300
"""p-values below this are shown as ``<1e-300`` (exact McNemar p-values can underflow)."""


def _p(value: float | None) -> str:
    if value is None:
        return "-"
    if value < P_FLOOR:
        return "<1e-300"
    return f"{value:.2e}" if value < 1e-3 else f"{value:.3f}"


def _ci(r: Rate) -> str:
    if r.value is None:
        return "-"
    return f"{r.value:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]"


def _signed(value: float | None) -> str:
    if value is None:
        return "-"
    shown = round(value, 3) or 0.0  # -0.0 is falsy: never "-0.000"
    return f"{shown:+.3f}"


def _mean(m: Mean) -> str:
    return "-" if m.value is None else f"{m.value:.3f} (n={m.n})"


def _protocol(r: TaskReport) -> str:
    return r.protocol.label() if r.protocol is not None else "-"


def _titles(reports: Sequence[TaskReport]) -> dict[int, str]:
    """``model / task`` per report, with mode and protocol when a (model, task) has reports
    of several protocols."""
    count = Counter((r.model, r.task) for r in reports)
    return {id(r): r.label + (f" ({r.mode}, {_protocol(r)})" if count[(r.model, r.task)] > 1
                              else "") for r in reports}


def _main_rows(reports: Sequence[TaskReport]) -> tuple[list[str], list[list[str]]]:
    retest = any(r.retest.n for r in reports)
    placebo = any(r.placebo.n for r in reports)
    incomplete = any(not r.complete for r in reports)
    header = ["model", "task", "mode", "protocol", *(["complete"] if incomplete else []),
              "n", "plain acc", "constrained acc", "|S|", "SustainScore [95% CI]", "drop",
              "compliance", "loose", "McNemar p"]
    if retest:
        header += ["retest", "adj. interference [95% CI]", "vs retest: McNemar p"]
    if placebo:
        header += ["placebo", "vs placebo: McNemar p"]
    graded = any(r.graded for r in reports)
    if graded:
        header += ["plain F1", "constrained F1", "F1 on S"]
    rows = []
    for r in reports:
        row = [r.model, r.task, r.mode, _protocol(r),
               *([("yes" if r.complete else "NO")] if incomplete else []),
               str(r.n_items), _ci(r.plain), _ci(r.constrained),
               str(r.sustain.n), _ci(r.sustain), _num(r.drop), _ci(r.compliance),
               _num(r.compliance_loose.value), _p(r.mcnemar_p)]
        if retest:
            row += [_ci(r.retest), adjusted_interference_text(r), _control_p(r, "retest")]
        if placebo:
            row += [_ci(r.placebo), _control_p(r, "placebo")]
        if graded:
            row += [_mean(r.plain_f1), _mean(r.constrained_f1), _mean(r.sustain_f1)]
        rows.append(row)
    return header, rows


def _control_p(r: TaskReport, control: str) -> str:
    """The exact McNemar p of constrained vs ``control`` on the items of S both ran
    (``retest_mcnemar_p``, ``placebo_mcnemar_p``); ``-`` when none was paired."""
    test = r.control_tests.get(control)
    return _p(test.p) if test is not None and test.n_paired else "-"


def _metadata_rows(name: str, groups: dict[str, TaskReport]
                   ) -> tuple[list[str], list[list[str]]]:
    subs = list(groups.values())
    retest = any(g.retest.n for g in subs)
    graded = any(g.graded for g in subs)
    header = [name, "n", "plain acc", "constrained acc", "|S|", "SustainScore [95% CI]",
              "drop", "compliance"]
    if retest:
        header += ["retest", "adj. interference"]
    if graded:
        header += ["plain F1", "constrained F1", "F1 on S"]
    rows = []
    for key, g in groups.items():
        row = [key, str(g.n_items), _ci(g.plain), _ci(g.constrained), str(g.sustain.n),
               _ci(g.sustain), _num(g.drop), _ci(g.compliance)]
        if retest:
            row += [_ci(g.retest), _signed(g.adjusted_interference)]
        if graded:
            row += [_mean(g.plain_f1), _mean(g.constrained_f1), _mean(g.sustain_f1)]
        rows.append(row)
    return header, rows


def _breakdown_rows(name: str, table: dict[str, Breakdown]
                    ) -> tuple[list[str], list[list[str]]]:
    header = [name, "|S|", "SustainScore [95% CI]", "n", "compliance [95% CI]", "loose"]
    rows = [[key, str(b.sustain.n), _ci(b.sustain), str(b.compliance.n), _ci(b.compliance),
             _num(b.compliance_loose.value)] for key, b in table.items()]
    return header, rows


def _compare_rows(reports: Sequence[TaskReport]) -> tuple[list[str], list[list[str]]]:
    header = ["task", "model", "vs model", "shared items", "SustainScore difference [95% CI]",
              "resamples used"]
    rows = []
    for r in reports:
        for other, c in sorted(r.compare.items()):
            if r.model < other:
                ci = "-" if c.ci_low is None else f"[{_signed(c.ci_low)}, {_signed(c.ci_high)}]"
                rows.append([r.task, r.model, other, str(c.n_items),
                             f"{_signed(c.estimate)} {ci}", f"{c.n_valid}/{c.n_boot}"])
    return header, rows


def _aligned(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
              for row in rows]
    return "\n".join(lines)


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


aligned_table = _aligned
"""Header and rows as an aligned plain-text table."""
markdown_table = _markdown
"""Header and rows as a Markdown table (``|`` in cells escaped)."""


def _incomplete_note(reports: Sequence[TaskReport], titles: dict[int, str]) -> list[str]:
    """The lines above the tables saying which reports use incomplete runs."""
    shown = [r for r in reports if not r.complete]
    if not shown:
        return []
    lines = ["INCOMPLETE (complete = NO): no complete run of the same model, task and protocol "
             "was found, so these rows are scored from runs that did not finish:"]
    for r in shown:
        for run, problems in r.incomplete.items():
            lines.append(f"- {titles[id(r)]}: {run}: {'; '.join(problems)}")
    return lines


def _document(reports: Sequence[TaskReport], table: Callable[[list[str], list[list[str]]], str],
              heading: Callable[[str], str], note: Callable[[list[str]], str]) -> str:
    titles = _titles(reports)
    notice = _incomplete_note(reports, titles)
    parts = [note(notice)] if notice else []
    parts.append(table(*_main_rows(reports)))
    for r in reports:
        title = titles[id(r)]
        if r.by_kind:
            parts.append(heading(f"{title}: by constraint kind"))
            parts.append(table(*_breakdown_rows("kind", r.by_kind)))
        if r.by_category:
            parts.append(heading(f"{title}: by category"))
            parts.append(table(*_breakdown_rows("category", r.by_category)))
        for name, groups in r.by_metadata.items():
            if len(groups) < 2:
                continue  # one group repeats the overall row (e.g. every HotpotQA dev item is hard)
            parts.append(heading(f"{title}: by {name}"))
            parts.append(table(*_metadata_rows(name, groups)))
    graded = [r for r in reports if r.grader]
    if graded:
        parts.append(heading("Verdicts decided by the grader model (the rules found no answer "
                             "or an ambiguous one)"))
        parts.append(table(["model", "task", "variant", "consulted", "overturned"], [
            [r.model, r.task, variant, str(c["consulted"]), str(c["overturned"])]
            for r in graded for variant, c in r.grader.items()]))
    if any(r.compare for r in reports):
        parts.append(heading("Model comparisons (paired bootstrap)"))
        parts.append(table(*_compare_rows(reports)))
    return "\n\n".join(parts) + "\n"


def render_table(reports: Sequence[TaskReport]) -> str:
    """Aligned plain-text tables."""
    return _document(reports, _aligned, lambda title: title, "\n".join)


def _csv(reports: Sequence[TaskReport]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(CSV_FIELDS), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for r in reports:
        writer.writerow({k: "" if v is None else str(v).lower() if isinstance(v, bool) else v
                         for k, v in r.to_dict().items()})
    return buf.getvalue()


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def render(reports: Sequence[TaskReport], fmt: str) -> str:
    """The reports in ``fmt`` (table, json, csv or md)."""
    if fmt == "json":
        return "".join(json.dumps(_json_safe(r.to_dict()), ensure_ascii=False) + "\n"
                       for r in reports)
    if fmt == "csv":
        return _csv(reports)
    if fmt == "md":
        return _document(reports, _markdown, lambda title: f"### {title}",
                         lambda lines: "\n".join([f"**{lines[0]}**", "", *lines[1:]]))
    if fmt == "table":
        return render_table(reports)
    raise ValueError(f"unknown format {fmt!r}; choose from {FORMATS}")
