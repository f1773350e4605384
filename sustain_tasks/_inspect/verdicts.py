"""Task verdicts shared between the solver and the scorer of one process.

In ``self``, ``placebo`` and ``retest`` modes the solver judges the plain output (to decide
whether the item enters S) and the scorer judges it again. Both ask :func:`verify` (or
:func:`verify_async`), which remembers recent verdicts by benchmark, item, target and output:
a slow symbolic comparison or test run is paid once, and the two always agree. A new process
(``inspect score`` on a saved log) judges afresh.

With ``grader`` (task argument ``-T grader=model``), a verdict the rules leave open (no answer
found, or an ambiguous one) is decided by the grader model (:mod:`.grader`); the graded
verdict is remembered beside the rule's, so the solver and the scorer agree on it too.

Code benchmarks run their tests in the package's own isolated runner by default; with the task
argument ``sandbox`` (e.g. ``docker``) :func:`verify_async` runs the same driver in Inspect's
sandbox of the sample instead (``sandbox().exec``), and judges its output the same way.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict

import anyio

from sustain_tasks.benchmarks import Benchmark, Item, Verdict

from .grader import grade, grader_model, needs_grader

__all__ = ["CACHE_SIZE", "SANDBOX_PYTHON", "clear_verdicts", "verify", "verify_async"]

SANDBOX_PYTHON = "python3"
"""The interpreter that runs tests inside an Inspect sandbox (it must be on the sandbox's PATH)."""

CACHE_SIZE = 2048
"""Verdicts kept (the most recently used); far more than the samples running at once."""

_Key = tuple[str, str | None, str, str, str | None]
_CACHE: OrderedDict[_Key, Verdict] = OrderedDict()
_LOCK = threading.Lock()


def _key(bench: Benchmark, output: str, target: str, item: Item | None,
         grader: str | None = None) -> _Key:
    return (bench.name, item.id if item is not None else None, target, output, grader)


def _remembered(key: _Key) -> Verdict | None:
    with _LOCK:
        verdict = _CACHE.get(key)
        if verdict is not None:
            _CACHE.move_to_end(key)
        return verdict


def verify(bench: Benchmark, output: str, target: str, item: Item | None) -> Verdict:
    """``bench.verify(output, target, item)``, remembered (thread-safe; may block on the
    verifier, so call it from a worker thread inside an event loop)."""
    key = _key(bench, output, target, item)
    verdict = _remembered(key)
    if verdict is not None:
        return verdict
    verdict = bench.verify(output, target, item)
    _remember(key, verdict)
    return verdict


def _remember(key: _Key, verdict: Verdict) -> None:
    with _LOCK:
        _CACHE[key] = verdict
        _CACHE.move_to_end(key)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)


async def verify_async(bench: Benchmark, output: str, target: str, item: Item | None,
                       sandbox: str | None = None, grader: bool = False) -> Verdict:
    """:func:`verify` without blocking the event loop; with ``sandbox`` (code benchmarks
    only), the tests run in the active sample's Inspect sandbox; with ``grader``, the grader
    model decides a verdict the rules leave open."""
    if sandbox is None:
        verdict = await anyio.to_thread.run_sync(verify, bench, output, target, item)
    else:
        key = _key(bench, output, target, item)
        remembered = _remembered(key)
        if remembered is None:
            remembered = await _verify_in_sandbox(bench, output, target, item)
            _remember(key, remembered)
        verdict = remembered
    if not grader or not needs_grader(verdict):
        return verdict
    model = grader_model()
    graded_key = _key(bench, output, target, item, grader=f"{model}#{id(model)}")
    graded = _remembered(graded_key)
    if graded is None:
        graded = await grade(model, output, target, item, verdict)
        _remember(graded_key, graded)
    return graded


async def _verify_in_sandbox(bench: Benchmark, output: str, target: str,
                             item: Item | None) -> Verdict:
    from inspect_ai.util import OutputLimitExceededError, sandbox
    from sustain_verifiers.execution import driver_source, interpret_run, request_payload

    from sustain_tasks.benchmarks.code import CodeBenchmark

    if not isinstance(bench, CodeBenchmark):
        raise TypeError(f"{bench.name} runs no code: it has no use for a sandbox")
    job = bench.test_job(output, target, item)
    if job.verdict is not None:
        return job.verdict
    limits = bench.limits
    token = secrets.token_hex(16)
    payload = request_payload(job.program or "", job.tests, limits, token)
    start = time.perf_counter()
    exit_code: int | None = None
    stdout = stderr = ""
    timed_out = False
    try:
        result = await sandbox().exec([SANDBOX_PYTHON, "-I", "-B", "-c", driver_source()],
                                      input=payload, timeout=max(1, round(limits.timeout)))
        exit_code, stdout, stderr = result.returncode, result.stdout, result.stderr
    except TimeoutError:
        timed_out = True
    except OutputLimitExceededError as exc:
        exit_code, stdout = 1, exc.truncated_output or ""
        stderr = "output limit of the sandbox exceeded"
    run = interpret_run(token=token, exit_code=exit_code, stdout=stdout, stderr=stderr,
                        timed_out=timed_out, seconds=time.perf_counter() - start,
                        limits=limits, isolation="inspect-sandbox")
    return bench.judge(job, run)


def clear_verdicts() -> None:
    """Forget every remembered verdict."""
    with _LOCK:
        _CACHE.clear()
