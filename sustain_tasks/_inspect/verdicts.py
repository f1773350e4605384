"""Task verdicts shared between the solver and the scorer of one process.

In ``self``, ``placebo`` and ``retest`` modes the solver judges the plain output (to decide
whether the item enters S) and the scorer judges it again. Both ask :func:`verify`, which
remembers recent verdicts by benchmark, item, target and output: a slow symbolic comparison
(bounded by the verifier's timeout) is paid once, and the two always agree. A new process
(``inspect score`` on a saved log) judges afresh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from sustain_tasks.benchmarks import Benchmark, Item, Verdict

__all__ = ["CACHE_SIZE", "clear_verdicts", "verify"]

CACHE_SIZE = 2048
"""Verdicts kept (the most recently used); far more than the samples running at once."""

_Key = tuple[str, str | None, str, str]
_CACHE: OrderedDict[_Key, Verdict] = OrderedDict()
_LOCK = threading.Lock()


def verify(bench: Benchmark, output: str, target: str, item: Item | None) -> Verdict:
    """``bench.verify(output, target, item)``, remembered (thread-safe; may block on the
    verifier, so call it from a worker thread inside an event loop)."""
    key: _Key = (bench.name, item.id if item is not None else None, target, output)
    with _LOCK:
        verdict = _CACHE.get(key)
        if verdict is not None:
            _CACHE.move_to_end(key)
            return verdict
    verdict = bench.verify(output, target, item)
    with _LOCK:
        _CACHE[key] = verdict
        _CACHE.move_to_end(key)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return verdict


def clear_verdicts() -> None:
    """Forget every remembered verdict."""
    with _LOCK:
        _CACHE.clear()
