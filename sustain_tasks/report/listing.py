"""``sustain score --failures``: every constrained failure on S, one line each, with its label
(:mod:`sustain_tasks.failures`), sample id, constraint kinds and the last line of both
outputs, as an aligned table, Markdown, CSV or JSON Lines; JSON Lines (and the HTML report)
also carry both outputs themselves (:func:`failure_outputs`: the first
:data:`~sustain_tasks.report.readers.MAX_KEPT_FAILURES` failures of each report, each output
cut to :data:`~sustain_tasks.report.readers.EXCERPT_CHARS` characters)."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sustain_tasks.report.formats import _aligned, _markdown, _titles
from sustain_tasks.report.readers import MAX_KEPT_FAILURES, KeptOutput, read_outputs
from sustain_tasks.report.score import TaskReport

__all__ = ["FAILURE_FIELDS", "OUTPUT_FIELDS", "TABLE_LINE_CHARS", "FailureOutputs",
           "failure_outputs", "failure_records", "render_failures"]

FAILURE_FIELDS = ("model", "task", "mode", "protocol", "id", "label", "constraint_kinds",
                  "plain_last_line", "constrained_last_line")
"""The fields of each listed failure (JSON keys, CSV columns)."""

OUTPUT_FIELDS = ("constraint_texts", "plain_output", "constrained_output")
"""The fields JSON Lines adds when the outputs were kept (:func:`failure_outputs`): the texts
of the constraints the prompt carried, and both outputs (null beyond the first
:data:`~sustain_tasks.report.readers.MAX_KEPT_FAILURES` failures of a report, or when the run
recorded no text)."""

TABLE_LINE_CHARS = 60
"""Last lines longer than this are cut (with ``…``) in the table and Markdown formats."""


@dataclass(frozen=True)
class FailureOutputs:
    """The kept outputs of one failure: the plain (correct) and the constrained (wrong) one,
    each None when its run holds no text for the item."""

    plain: KeptOutput | None
    constrained: KeptOutput | None

    @property
    def constraint_texts(self) -> tuple[str, ...]:
        return self.constrained.constraints if self.constrained is not None else ()


OutputsByFailure = Mapping[tuple[int, str], FailureOutputs]
"""(``id(report)``, sample id) → its kept outputs."""


def failure_outputs(reports: Sequence[TaskReport], paths: Sequence[str | Path], *,
                    limit: int = MAX_KEPT_FAILURES,
                    tick: Callable[[], None] | None = None) -> dict[tuple[int, str],
                                                                     FailureOutputs]:
    """Both outputs of the first ``limit`` failures of each report, read again from the runs
    under ``paths`` (only their files, only those items: memory grows with ``limit``, not with
    the runs)."""
    wanted: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    chosen: list[tuple[TaskReport, list[str]]] = []
    for r in reports:
        if r.failures is None or "plain" not in r.runs or "constrained" not in r.runs:
            continue
        ids = [f.sample_id for f in r.failures.items[:limit]]
        chosen.append((r, ids))
        for variant in ("plain", "constrained"):
            wanted[(r.runs[variant], r.task, variant)].update(ids)
    kept = read_outputs(paths, wanted, tick=tick) if wanted else {}
    return {(id(r), sid): FailureOutputs(kept.get((r.runs["plain"], r.task, "plain", sid)),
                                         kept.get((r.runs["constrained"], r.task,
                                                   "constrained", sid)))
            for r, ids in chosen for sid in ids}


def failure_records(reports: Sequence[TaskReport],
                    outputs: OutputsByFailure | None = None) -> list[dict[str, Any]]:
    """One record per failure, report by report, in the plain run's order; with ``outputs``
    (:func:`failure_outputs`) each also carries :data:`OUTPUT_FIELDS`."""
    out = []
    for r in reports:
        if r.failures is None:
            continue
        protocol = r.protocol.label() if r.protocol is not None else "-"
        for f in r.failures.items:
            record: dict[str, Any] = {
                "model": r.model, "task": r.task, "mode": r.mode, "protocol": protocol,
                "id": f.sample_id, "label": f.label, "constraint_kinds": list(f.kinds),
                "plain_last_line": f.plain_last_line,
                "constrained_last_line": f.constrained_last_line}
            if outputs is not None:
                kept = outputs.get((id(r), f.sample_id))
                record["constraint_texts"] = list(kept.constraint_texts) if kept else None
                record["plain_output"] = kept.plain.text if kept and kept.plain else None
                record["constrained_output"] = \
                    kept.constrained.text if kept and kept.constrained else None
            out.append(record)
    return out


def _cut(text: str | None) -> str:
    if text is None:
        return "-"
    return text if len(text) <= TABLE_LINE_CHARS else text[:TABLE_LINE_CHARS - 1] + "…"


def render_failures(reports: Sequence[TaskReport], fmt: str,
                    outputs: OutputsByFailure | None = None) -> str:
    """The failure listing in ``fmt`` (table, md, csv or json); JSON carries the kept
    ``outputs`` when given."""
    records = failure_records(reports, outputs if fmt == "json" else None)
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
