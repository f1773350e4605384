"""The report: read harness outputs, pair variants, compute SustainScore and its statistics.

- :mod:`~sustain_tasks.report.stats`: Wilson intervals, exact McNemar, paired bootstrap.
- :mod:`~sustain_tasks.report.readers`: lm-eval samples files and Inspect logs → rows.
- :mod:`~sustain_tasks.report.score`: rows → one :class:`TaskReport` per (model, task,
  protocol), an incomplete run never in place of a complete one, with
  breakdowns by constraint kind, category and item metadata (MATH-500 level and subject,
  HotpotQA type).
- :mod:`~sustain_tasks.report.formats`: table, Markdown, CSV, JSON Lines, plot.
- :mod:`~sustain_tasks.report.listing`: every constrained failure on S with its label
  (``sustain score --failures``).
"""

from __future__ import annotations

from sustain_tasks.report.readers import Protocol, ReadResult, RunInfo, SampleRow, read_rows
from sustain_tasks.report.score import (
    TaskReport,
    compare_models,
    metadata_breakdowns,
    score_rows,
)
from sustain_tasks.report.stats import (
    BootstrapResult,
    Mean,
    Rate,
    mcnemar_exact,
    mean,
    paired_bootstrap,
    rate,
    wilson_interval,
)

__all__ = [
    "BootstrapResult",
    "Mean",
    "Protocol",
    "Rate",
    "ReadResult",
    "RunInfo",
    "SampleRow",
    "TaskReport",
    "compare_models",
    "mcnemar_exact",
    "mean",
    "metadata_breakdowns",
    "paired_bootstrap",
    "rate",
    "read_rows",
    "score_rows",
    "wilson_interval",
]
