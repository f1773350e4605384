"""Inspect adapter: one task builder, solver, scorer and metric set for every benchmark.

A benchmark's Inspect task file (``sustain_tasks/<bench>.py``) only calls
:func:`build_task`. The offline model providers live in :mod:`.providers` and are registered
by :mod:`.modelapi`, which imports them only when a ``sustain/...`` model is requested.
:func:`sustain` (:mod:`.wrap`) wraps any other Inspect task in the protocol.
"""

from __future__ import annotations

from .dataset import item_index, item_to_sample, items_dataset
from .metrics import (
    compliance,
    compliance_loose,
    constrained_accuracy,
    n_placebo,
    n_retest,
    n_sustain,
    placebo_retention,
    plain_accuracy,
    retest_retention,
    sustain_score,
)
from .scorer import SCORE_KEYS, score_record, sustain_scorer
from .solver import sustain_solver
from .task import build_task, mode_metrics, validate_args
from .verdicts import clear_verdicts
from .wrap import resolve_task, sustain, sustain_wrap_solver

__all__ = [
    "SCORE_KEYS",
    "build_task",
    "clear_verdicts",
    "compliance",
    "compliance_loose",
    "constrained_accuracy",
    "item_index",
    "item_to_sample",
    "items_dataset",
    "mode_metrics",
    "n_placebo",
    "n_retest",
    "n_sustain",
    "placebo_retention",
    "plain_accuracy",
    "resolve_task",
    "retest_retention",
    "score_record",
    "sustain",
    "sustain_score",
    "sustain_scorer",
    "sustain_solver",
    "sustain_wrap_solver",
    "validate_args",
]
