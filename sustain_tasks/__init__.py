"""SustainScore: measure how much instruction following interferes with task solving.

The package holds one implementation of datasets, answer extraction, constraints and
statistics; the Inspect tasks (``sustain_tasks/<bench>.py``) and the lm-evaluation-harness
configurations (``task_configs/``) are thin adapters over it.

Importing this package is cheap: heavy dependencies (datasets, inspect_ai, lm_eval, sympy)
are imported only by the modules that need them.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
