"""Why interference happens, inside open-weight models: ``sustain mechanism``.

Two analyses of a recorded self- or reference-mode run (an Inspect log or an lm-eval samples
folder) of a Hugging Face model, each teacher-forcing the recorded prompt and output through
the same model (no new generation), item by item and resumably:

- :mod:`~sustain_tasks.mechanism.attention`: the attention the generated tokens give to the
  constraint's tokens, failed vs successful constrained items, per layer and head, with the
  placebo run's neutral text as the control;
- :mod:`~sustain_tasks.mechanism.probe`: layer-wise logistic-regression probes of hidden
  states for compliance per constraint category and for task success, before and during
  generation.

They need the optional extra ``mechanism`` (torch, transformers, scikit-learn):
``pip install 'sustainscore[mechanism]'``. This package imports without it; the heavy modules
are imported only by the analyses, through :func:`require`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from sustain_tasks.errors import MissingDependencyError

__all__ = ["EXTRA", "EXTRA_MODULES", "require"]

EXTRA = "mechanism"
"""The sustainscore extra that installs what these analyses need."""

EXTRA_MODULES: dict[str, str] = {"torch": "torch", "transformers": "transformers",
                                 "sklearn": "scikit-learn", "scipy": "scipy",
                                 "matplotlib": "matplotlib"}
"""Import name → distribution, for every module the analyses import."""


def require(*names: str) -> tuple[ModuleType, ...]:
    """Import the named modules of the extra (all of them when none are named).

    Raises:
        MissingDependencyError: one is not installed; the message names the extra
            (``pip install 'sustainscore[mechanism]'``).
    """
    modules = []
    for name in names or tuple(EXTRA_MODULES):
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            raise MissingDependencyError(EXTRA_MODULES.get(name.split(".")[0], name),
                                         extra=EXTRA,
                                         purpose="sustain mechanism") from None
    return tuple(modules)
