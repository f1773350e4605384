"""Inspect entry point: the ``sustain_tasks`` tasks and the ``sustain`` model provider.

Inspect imports this module on every run, so it imports only the task functions (whose
modules need nothing heavier than inspect_ai, already loaded by then) and the provider
registration, whose class is imported only when a ``sustain/...`` model is requested.

``inspect eval sustain_tasks/gsm8k`` looks the task up as ``sustain_tasks/gsm8k``. Inspect adds
that package prefix itself for a regular install, but not for an editable one whose
distribution name (``sustainscore``) differs from the import name; :func:`_namespaced` then
registers the task under the prefixed name too, so both installs behave the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inspect_ai import task

from sustain_tasks._inspect.modelapi import sustain
from sustain_tasks.gsm8k import gsm8k
from sustain_tasks.hotpotqa import hotpotqa
from sustain_tasks.humaneval import humaneval
from sustain_tasks.math500 import math500
from sustain_tasks.mbpp import mbpp
from sustain_tasks.wrap import wrap

__all__ = ["gsm8k", "hotpotqa", "humaneval", "math500", "mbpp", "sustain", "wrap"]

PACKAGE = "sustain_tasks"


def _namespaced(task_fn: Callable[..., Any]) -> None:
    try:
        from inspect_ai._util.registry import registry_info
    except ImportError:  # pragma: no cover - private API moved: keep the plain name
        return
    name = registry_info(task_fn).name
    if "/" not in name:
        task(name=f"{PACKAGE}/{name}")(getattr(task_fn, "__wrapped__", task_fn))


for _task_fn in (gsm8k, math500, hotpotqa, humaneval, mbpp, wrap):
    _namespaced(_task_fn)
