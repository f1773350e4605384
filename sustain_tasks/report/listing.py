"""``sustain score --failures``: every constrained failure on S, one line each, with its label
(:mod:`sustain_tasks.failures`), sample id, constraint kinds and the last line of both
outputs, as an aligned table, Markdown, CSV or JSON Lines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from sustain_tasks.report.formats import _aligned, _markdown, _titles
from sustain_tasks.report.score import TaskReport

__all__ = ["FAILURE_FIELDS", "TABLE_LINE_CHARS", "failure_records", "render_failures"]

FAILURE_FIELDS = ("model", "task", "mode", "protocol", "id", "label", "constraint_kinds",
                  "plain_last_line", "constrained_last_line")
"""The fields of each listed failure (JSON keys, CSV columns)."""

TABLE_LINE_CHARS = 60
"""Last lines longer than this are cut (with ``…``) in the table and Markdown formats."""


def failure_records(reports: Sequence[TaskReport]) -> list[dict[str, Any]]:
    """One record per failure, report by report, in the plain run's order."""
    out = []
    for r in reports:
        if r.failures is None:
            continue
        protocol = r.protocol.label() if r.protocol is not None else "-"
        for f in r.failures.items:
            out.append({"model": r.model, "task": r.task, "mode": r.mode,
                        "protocol": protocol, "id": f.sample_id, "label": f.label,
                        "constraint_kinds": list(f.kinds),
                        "plain_last_line": f.plain_last_line,
                        "constrained_last_line": f.constrained_last_line})
    return out


def _cut(text: str | None) -> str:
    if text is None:
        return "-"
    return text if len(text) <= TABLE_LINE_CHARS else text[:TABLE_LINE_CHARS - 1] + "…"


def render_failures(reports: Sequence[TaskReport], fmt: str) -> str:
    """The failure listing in ``fmt`` (table, md, csv or json)."""
    records = failure_records(reports)
    if fmt == "json":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(FAILURE_FIELDS), lineterminator="\n")
        writer.writeheader()
        for r in records:
            writer.writerow({**r, "constraint_kinds": ",".join(r["constraint_kinds"]),
                             "plain_last_line": r["plain_last_line"] or "",
                             "constrained_last_line": r["constrained_last_line"] or ""})
        return buf.getvalue()
    if fmt not in ("table", "md"):
        raise ValueError(f"unknown format {fmt!r}")
    titles = _titles(reports)
    header = ["report", "id", "label", "kinds", "plain: last line", "constrained: last line"]
    rows: list[list[str]] = []
    for report in reports:
        if report.failures is None:
            continue
        for f in report.failures.items:
            rows.append([titles[id(report)], f.sample_id, f.label, ",".join(f.kinds),
                         _cut(f.plain_last_line), _cut(f.constrained_last_line)])
    table = _aligned if fmt == "table" else _markdown
    lines = [table(header, rows)]
    unrecorded = [titles[id(r)] for r in reports
                  if r.failures is not None and r.failures.items
                  and not r.failures.stop_reason_recorded]
    if unrecorded:
        lines.append("No stop reason recorded (so no 'truncated' label) for: "
                     + ", ".join(unrecorded))
    return "\n\n".join(lines) + "\n"
