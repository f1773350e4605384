"""A static, self-contained HTML report: one file that opens from disk, with no server, no
script and no external resource.

It holds the leaderboards, the model comparisons, the figure (an inline base64 PNG, when
matplotlib is installed), every report's metrics and breakdowns (by constraint kind,
category and item metadata), the failure counts per label, and a failure table with the
plain and the constrained output side by side, with the constraints' texts (the outputs
:func:`~sustain_tasks.report.listing.failure_outputs` kept, each cut to its first and last
characters; beyond the failures it keeps, the last line of each). Every text that comes
from a run (model names, ids, outputs, constraint texts) is HTML-escaped, and a
Content-Security-Policy forbids scripts and any load from outside the file, so a model's
output can never run or fetch anything. The page carries
no date and the PNG no metadata: the same reports give byte-identical HTML.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sustain_tasks.errors import MissingDependencyError
from sustain_tasks.failures import FAILURE_LABELS
from sustain_tasks.outfiles import write_atomic
from sustain_tasks.report.formats import (
    _breakdown_rows,
    _compare_rows,
    _main_rows,
    _metadata_rows,
    _titles,
)
from sustain_tasks.report.leaderboard import (
    SORTED_BY,
    display_names,
    leaderboard_rows,
    leaderboards,
)
from sustain_tasks.report.listing import OutputsByFailure
from sustain_tasks.report.readers import EXCERPT_CHARS, MAX_KEPT_FAILURES, excerpt
from sustain_tasks.report.score import TaskReport

__all__ = ["OUTPUT_CHARS", "FailureCase", "failure_cases", "render_html", "write_html"]

OUTPUT_CHARS = EXCERPT_CHARS
"""The failure table shows at most this many characters of each output (its beginning and
its end, :func:`~sustain_tasks.report.readers.excerpt`)."""

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
margin:1.5rem auto;max-width:1400px;padding:0 1rem;color:#1b1b1b;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:2px solid #ddd;
padding-bottom:.2rem}h3{margin-top:1.6rem}
.note{color:#555;font-size:.92rem}.warn{background:#fff4e0;border-left:4px solid #e39b1b;
padding:.5rem .8rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.88rem}
th,td{border:1px solid #d8d8d8;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f4f7}tbody tr:nth-child(even){background:#fafbfc}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
img{max-width:100%;height:auto;border:1px solid #eee}
table.failures td pre{white-space:pre-wrap;word-break:break-word;margin:0;max-height:18rem;
overflow:auto;font-size:.8rem;background:#f7f7f7;padding:.3rem}
table.failures td.out{width:38%}
table.failures ul.ctext{margin:.3rem 0 0;padding-left:1rem;font-size:.8rem;color:#444}
"""

_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        "base-uri 'none'; form-action 'none'")


@dataclass(frozen=True)
class FailureCase:
    """One constrained failure on S, for the failure table: both outputs (``whole``: as kept
    by :func:`~sustain_tasks.report.listing.failure_outputs`; else their last non-blank line)
    and the texts of the constraints the prompt carried."""

    model: str
    task: str
    sample_id: str
    label: str
    kinds: tuple[str, ...]
    plain_output: str | None
    constrained_output: str | None
    constraint_texts: tuple[str, ...] = ()
    whole: bool = False


def failure_cases(reports: Sequence[TaskReport],
                  outputs: OutputsByFailure | None = None) -> list[FailureCase]:
    """Every labelled failure of the reports, report by report in the plain run's order, with
    its kept ``outputs`` (:func:`~sustain_tasks.report.listing.failure_outputs`) when there
    are, else the last lines the report keeps."""
    names = display_names(reports)
    cases = []
    for r in reports:
        failures = r.failures
        if failures is None:
            continue
        name = names[id(r)]
        for f in failures.items:
            kept = outputs.get((id(r), f.sample_id)) if outputs is not None else None
            if kept is None:
                cases.append(FailureCase(name, r.task, f.sample_id, f.label, tuple(f.kinds),
                                         f.plain_last_line, f.constrained_last_line))
            else:
                cases.append(FailureCase(
                    name, r.task, f.sample_id, f.label, tuple(f.kinds),
                    kept.plain.text if kept.plain else None,
                    kept.constrained.text if kept.constrained else None,
                    kept.constraint_texts, whole=True))
    return cases


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _is_number(cell: str) -> bool:
    if cell == "-":
        return True
    head = cell.split(" ", 1)[0].lstrip("+-<")
    return bool(head) and head[0].isdigit()


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], *,
           text_columns: Collection[int] = ()) -> str:
    """A table whose numeric cells are right-aligned (except in ``text_columns``)."""
    out = ["<div class=\"scroll\"><table><thead><tr>"]
    out += [f"<th>{_e(h)}</th>" for h in header]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(
            f'<td class="num">{_e(c)}</td>' if i not in text_columns and _is_number(c)
            else f"<td>{_e(c)}</td>" for i, c in enumerate(row)) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _share(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else "-"


def _failure_summary(r: TaskReport) -> str:
    """Counts and shares per failure label (the report's ``failures`` field), if it has one."""
    failures = r.to_dict().get("failures")
    if not isinstance(failures, Mapping):
        return ""
    counts = failures.get("counts") or {}
    shares = failures.get("shares") or {}
    examples = failures.get("examples") or {}
    labels = [*FAILURE_LABELS, *sorted(set(counts) - set(FAILURE_LABELS))]
    rows = [[label, str(counts.get(label, 0)), _share(shares.get(label)),
             ", ".join(str(x) for x in examples.get(label, []))] for label in labels]
    unrecorded = "" if failures.get("stop_reason_recorded", True) else \
        " The runs recorded no stop reason, so no failure is labelled truncated."
    parts = [f"<p>{_e(failures.get('n_failures', 0))} item(s) of S answered wrong under "
             f"the constraint, one label each (first match wins).{unrecorded}</p>",
             _table(["label", "failures", "share", "example ids"], rows, text_columns={3})]
    by_kind = failures.get("by_kind") or {}
    if isinstance(by_kind, Mapping) and by_kind:
        header = ["kind", "failures", *FAILURE_LABELS]
        kind_rows = []
        for kind, entry in by_kind.items():
            kc = entry.get("counts") or {}
            kind_rows.append([kind, str(entry.get("n_failures", 0)),
                              *[str(kc.get(label, 0)) for label in FAILURE_LABELS]])
        parts.append("<p class=\"note\">Per constraint kind (an item counts under each of its "
                     "kinds):</p>")
        parts.append(_table(header, kind_rows))
    return "".join(parts)


def _p_value(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return "-"
    return f"{value:.2e}" if value < 1e-3 else f"{value:.3f}"


def _control_tests(r: TaskReport) -> str:
    """Constrained vs each control on the items of S both ran (self mode): is the loss
    interference or noise."""
    rows = [[control, str(test.n_paired), str(test.control_only), str(test.constrained_only),
             _p_value(test.p)]
            for control in ("retest", "placebo")
            if (test := r.control_tests.get(control)) is not None and test.n_paired]
    if not rows:
        return ""
    return _table(["control", "items of S paired", "control right, constrained wrong",
                   "constrained right, control wrong", "exact McNemar p"], rows)


def _shown(text: str | None) -> str:
    return "(not recorded)" if text is None else excerpt(text, OUTPUT_CHARS)


def _failure_table(cases: Sequence[FailureCase]) -> str:
    out = ['<div class="scroll"><table class="failures"><thead><tr><th>model</th>'
           "<th>task</th><th>id</th><th>label</th><th>constraints</th>"
           "<th>plain output (correct)</th><th>constrained output (wrong)</th></tr></thead>"
           "<tbody>"]
    for c in cases:
        texts = "".join(f"<li>{_e(t)}</li>" for t in c.constraint_texts)
        constraints = _e(", ".join(c.kinds)) + (f'<ul class="ctext">{texts}</ul>' if texts
                                                else "")
        part = "" if c.whole else '<span class="note">last line:</span>'
        out.append(
            f"<tr><td>{_e(c.model)}</td><td>{_e(c.task)}</td><td>{_e(c.sample_id)}</td>"
            f"<td>{_e(c.label)}</td><td>{constraints}</td>"
            f'<td class="out">{part}<pre>{_e(_shown(c.plain_output))}</pre></td>'
            f'<td class="out">{part}<pre>{_e(_shown(c.constrained_output))}</pre></td></tr>')
    out.append("</tbody></table></div>")
    return "".join(out)


def _report_section(r: TaskReport, title: str) -> str:
    parts = [f"<h3>{_e(title)}</h3>"]
    runs = r.runs
    if runs:
        parts.append("<p class=\"note\">Runs: " + "; ".join(
            f"{_e(variant)}: {_e(run)}" for variant, run in sorted(runs.items())) + "</p>")
    if r.mcnemar_note:
        parts.append(f"<p class=\"note\">McNemar: {_e(r.mcnemar_note)}</p>")
    tests = _control_tests(r)
    if tests:
        parts.append("<h4>Constrained vs the controls (interference or noise)</h4>")
        parts.append(tests)
    if r.by_kind:
        parts.append("<h4>By constraint kind</h4>")
        parts.append(_table(*_breakdown_rows("kind", r.by_kind)))
    if r.by_category:
        parts.append("<h4>By constraint category</h4>")
        parts.append(_table(*_breakdown_rows("category", r.by_category)))
    for name, groups in r.by_metadata.items():
        if len(groups) < 2:
            continue
        parts.append(f"<h4>By {_e(name)}</h4>")
        parts.append(_table(*_metadata_rows(name, groups)))
    summary = _failure_summary(r)
    if summary:
        parts.append("<h4>Failures on S by label</h4>")
        parts.append(summary)
    return "".join(parts)


def render_html(reports: Sequence[TaskReport], *, png: bytes | None = None,
                failures: Sequence[FailureCase] | None = None, plot_note: str | None = None,
                title: str = "SustainScore report") -> str:
    """The whole page. ``png``: the figure (see :func:`~sustain_tasks.report.plot.plot_png`),
    or None with ``plot_note`` saying why there is none; ``failures``: the rows of the
    failure table (default: :func:`failure_cases` of the reports)."""
    if failures is None:
        failures = failure_cases(reports)
    titles = _titles(reports)
    models = sorted({r.model for r in reports})
    tasks = sorted({r.task for r in reports})
    body: list[str] = [
        f"<h1>{_e(title)}</h1>",
        f"<p class=\"note\">{len(models)} model(s) on {len(tasks)} benchmark(s): "
        f"{_e(', '.join(tasks))}. SustainScore: of the items S a model solves with the plain "
        "prompt (and that received a constraint its own answer already satisfied), the share "
        "it still solves with the constraint added; 1.0 means no interference. Every rate has "
        "a 95% Wilson interval.</p>",
    ]
    incomplete = [r for r in reports if not r.complete]
    if incomplete:
        body.append("<div class=\"warn\"><strong>Incomplete runs.</strong> These reports are "
                    "scored from runs that did not finish:<ul>" + "".join(
                        f"<li>{_e(titles[id(r)])}: {_e(run)}: {_e('; '.join(problems))}</li>"
                        for r in incomplete for run, problems in r.incomplete.items())
                    + "</ul></div>")
    body.append("<h2 id=\"leaderboard\">Leaderboard</h2>")
    body.append(f"<p class=\"note\">Sorted by {_e(SORTED_BY)}. <em>adj. interference</em> = "
                "retest retention − SustainScore (the loss beyond the model's own "
                "flakiness); <em>vs next</em> = paired-bootstrap difference with the row "
                "below.</p>")
    for board in leaderboards(reports):
        body.append(f"<h3>{_e(board.task)}</h3>")
        body.append(_table(*leaderboard_rows(board)))
    body.append("<h2 id=\"figure\">Figure</h2>")
    if png is not None:
        encoded = base64.b64encode(png).decode("ascii")
        body.append(f'<img alt="SustainScore with 95% Wilson intervals per model and '
                    f'benchmark, and per constraint category" src="data:image/png;base64,'
                    f'{encoded}">')
    else:
        body.append(f"<p class=\"note\">{_e(plot_note or 'No figure.')}</p>")
    if any(r.compare for r in reports):
        body.append("<h2 id=\"compare\">Model comparisons (paired bootstrap)</h2>")
        body.append(_table(*_compare_rows(reports)))
    body.append("<h2 id=\"metrics\">All metrics</h2>")
    body.append(_table(*_main_rows(reports)))
    body.append("<h2 id=\"breakdowns\">Breakdowns</h2>")
    for r in reports:
        body.append(_report_section(r, titles[id(r)]))
    body.append("<h2 id=\"failures\">Failures</h2>")
    if failures:
        body.append(f"<p class=\"note\">{len(failures)} constrained failure(s) on S, "
                    "each with its plain (correct) and constrained (wrong) output side by "
                    f"side (up to {OUTPUT_CHARS} characters each: a longer output shows its "
                    "beginning and its end), and the constraints its prompt carried. "
                    + ("" if all(c.whole for c in failures) else
                       f"Where the outputs were not kept (beyond the first {MAX_KEPT_FAILURES} "
                       "failures of a report, or when only the reports were given), only "
                       "their last line is shown. ")
                    + "The labels, first match wins: " + ", ".join(FAILURE_LABELS) + ".</p>")
        body.append(_failure_table(failures))
    else:
        body.append("<p class=\"note\">No failure to list.</p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_CSP}\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def write_html(reports: Sequence[TaskReport], path: str | Path, *,
               failures: Sequence[FailureCase] | None = None) -> None:
    """Write the page to ``path`` atomically, with the figure when matplotlib is installed."""
    from sustain_tasks.report.plot import plot_png, require_matplotlib

    png: bytes | None = None
    note = None
    try:
        require_matplotlib("the figure of the HTML report")
    except MissingDependencyError as exc:
        note = f"No figure: {exc}"
    else:
        png = plot_png(reports)
    write_atomic(path, render_html(reports, png=png, failures=failures, plot_note=note))
