"""Benchmarks by name. Each module defines one :class:`Benchmark`; importing is lazy."""

from __future__ import annotations

import importlib
from functools import cache

from sustain_tasks.benchmarks.base import Benchmark, Item, Verdict
from sustain_tasks.errors import SustainInputError

__all__ = ["BENCHMARKS", "Benchmark", "Item", "Verdict", "get_benchmark"]

BENCHMARKS: dict[str, str] = {
    "gsm8k": "sustain_tasks.benchmarks.gsm8k:GSM8K",
    "math500": "sustain_tasks.benchmarks.math500:MATH500",
    "hotpotqa": "sustain_tasks.benchmarks.hotpotqa:HotpotQA",
    "humaneval": "sustain_tasks.benchmarks.humaneval:HumanEval",
    "mbpp": "sustain_tasks.benchmarks.mbpp:MBPP",
}
"""Benchmark name → ``module:Class``."""


@cache
def get_benchmark(name: str) -> Benchmark:
    """The benchmark called ``name`` (``gsm8k``, ...)."""
    key = name.strip().lower().removeprefix("sustain_")
    if key not in BENCHMARKS:
        raise SustainInputError(f"unknown task {name!r}; choose from {sorted(BENCHMARKS)}",
                                field="task")
    module, _, cls = BENCHMARKS[key].partition(":")
    benchmark: Benchmark = getattr(importlib.import_module(module), cls)()
    return benchmark
