"""The report: read harness outputs, pair variants, compute SustainScore and its statistics.

- :mod:`~sustain_tasks.report.stats`: Wilson intervals, exact McNemar, paired bootstrap.
- :mod:`~sustain_tasks.report.readers`: lm-eval samples files and Inspect logs → rows.
- :mod:`~sustain_tasks.report.score`: rows → one :class:`TaskReport` per (model, task,
  protocol), an incomplete run never in place of a complete one, with
  breakdowns by constraint kind, category and item metadata (MATH-500 level and subject,
  HotpotQA type).
- :mod:`~sustain_tasks.report.formats`: table, Markdown, CSV, JSON Lines.
- :mod:`~sustain_tasks.report.listing`: every constrained failure on S with its label
  (``sustain score --failures``).
- :mod:`~sustain_tasks.report.leaderboard`, :mod:`~sustain_tasks.report.plot`,
  :mod:`~sustain_tasks.report.html`: model comparison tables, the figure, the HTML report.
- ``METRIC_PATH``: the file of the Hugging Face ``evaluate`` metric
  (:mod:`~sustain_tasks.report.sustainscore_metric`), for ``evaluate.load(METRIC_PATH)``.
"""

from __future__ import annotations

from pathlib import Path

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

METRIC_PATH = str(Path(__file__).resolve().with_name("sustainscore_metric.py"))
"""The ``evaluate`` metric module's file: ``evaluate.load(METRIC_PATH)`` works offline."""

__all__ = [
    "METRIC_PATH",
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
