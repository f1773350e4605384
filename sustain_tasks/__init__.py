"""SustainScore: measure how much instruction following interferes with task solving.

The package holds one implementation of datasets, answer extraction, constraints and
statistics; the Inspect tasks (``sustain_tasks/<bench>.py``) and the lm-evaluation-harness
configurations (``task_configs/``) are thin adapters over it. ``sustain_tasks.sustain(task)``
wraps any other Inspect task in the protocol (``sustain lm-eval-wrap`` does the same for
lm-eval generation tasks).

Importing this package is cheap: heavy dependencies (datasets, inspect_ai, lm_eval, sympy)
are imported only by the modules that need them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["__version__", "sustain"]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``sustain_tasks.sustain`` (the Inspect task wrapper), imported on first use."""
    if name == "sustain":
        from sustain_tasks._inspect.wrap import sustain

        return sustain
    raise AttributeError(f"module 'sustain_tasks' has no attribute {name!r}")
