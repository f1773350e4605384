"""The bounded worker pool: timeouts, memory cap, crashes, threads and event loops."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sustain_verifiers._isolate import Outcome, WorkerPool, WorkerStartupError

PROBE = "sustain_verifiers._isolate:_probe"


@pytest.fixture(scope="module")
def pool() -> Iterator[WorkerPool]:
    p = WorkerPool(size=2, memory_mb=512, warm=())
    yield p
    p.close()


def test_returns_values(pool: WorkerPool) -> None:
    out = pool.run(PROBE, "echo", timeout=120)
    assert out == Outcome(True, "echo", seconds=out.seconds)


@pytest.mark.slow
def test_timeout_kills_and_replaces_the_worker(pool: WorkerPool) -> None:
    before = pool.restarts
    out = pool.run(PROBE, "sleep", 60, timeout=0.5)
    # the pool's deadline ended the call (a call that ran its course would be ok)
    assert (out.ok, out.error) == (False, "timeout")
    assert pool.restarts == before + 1
    assert pool.run(PROBE, "echo", timeout=120).value == "echo"


def test_memory_cap_is_enforced(pool: WorkerPool) -> None:
    out = pool.run(PROBE, "allocate", 2048, timeout=120)
    assert (out.ok, out.error) == (False, "memory")
    assert pool.run(PROBE, "allocate", 16, timeout=120).ok


def test_a_crashing_worker_is_replaced(pool: WorkerPool) -> None:
    out = pool.run(PROBE, "crash", timeout=120)
    assert (out.ok, out.error) == (False, "crashed")
    assert pool.run(PROBE, "echo", timeout=120).ok


def test_exceptions_are_reported_not_raised(pool: WorkerPool) -> None:
    out = pool.run(PROBE, "raise", timeout=120)
    assert (out.ok, out.error) == (False, "error")
    assert "ArithmeticError" in out.message


def test_only_package_functions_can_be_called(pool: WorkerPool) -> None:
    with pytest.raises(ValueError):
        pool.run("os:system", "true", timeout=1)
    with pytest.raises(ValueError):
        pool.run("sustain_verifiers._isolate", timeout=1)


def test_concurrent_threads_share_the_pool(pool: WorkerPool) -> None:
    results: list[object] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        out = pool.run(PROBE, f"echo-{i}", timeout=120)
        with lock:
            results.append(out.value)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(map(str, results)) == sorted(f"echo-{i}" for i in range(6))


def test_async_calls_do_not_block_the_loop(pool: WorkerPool,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The blocking call behind ``run_async`` runs in a worker thread, never on the loop's."""
    calls: list[threading.Thread] = []
    blocking = pool.run

    def recording(func: str, *args: object, timeout: float) -> Outcome:
        calls.append(threading.current_thread())
        with pytest.raises(RuntimeError):  # no event loop runs in this thread
            asyncio.get_running_loop()
        return blocking(func, *args, timeout=timeout)

    monkeypatch.setattr(pool, "run", recording)

    async def main() -> tuple[list[Outcome], threading.Thread]:
        outs = await asyncio.gather(pool.run_async(PROBE, "sleep", 0.3, timeout=120),
                                    pool.run_async(PROBE, "sleep", 0.3, timeout=120))
        return list(outs), threading.current_thread()

    outs, loop_thread = asyncio.run(main())
    assert all(o.ok for o in outs)
    assert len(calls) == 2
    assert loop_thread not in calls


def test_closed_pool_refuses_work() -> None:
    p = WorkerPool(size=1, warm=())
    assert p.run(PROBE, "echo", timeout=120).ok
    p.close()
    with pytest.raises(RuntimeError):
        p.run(PROBE, "echo", timeout=1)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        WorkerPool(size=0)
    with pytest.raises(ValueError):
        WorkerPool(memory_mb=1)
    with pytest.raises(ValueError):
        WorkerPool(warm=["json:dumps"])


def test_a_worker_that_cannot_start_is_reported() -> None:
    p = WorkerPool(size=1, warm=["sustain_verifiers._isolate:no_such_function"])
    try:
        out = p.run(PROBE, "echo", timeout=120)
    finally:
        p.close()
    assert (out.ok, out.error) == (False, "startup")
    assert "no_such_function" in out.message


def test_math_refuses_to_turn_a_broken_installation_into_a_verdict(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import sustain_verifiers.math as m

    monkeypatch.setattr(m, "run_bounded", lambda *a, **k: Outcome(False, error="startup",
                                                                   message="no math_verify"))
    with pytest.raises(WorkerStartupError, match="no math_verify"):
        m.math_equal("1", "0.5")
    assert m.math_equal("1", "1").equal  # the string shortcut needs no worker


# -- workers never outlive their parent -----------------------------------------------------------
# A parent process starts a worker and hands it a computation that holds the interpreter lock for
# minutes (sympy evaluating 3**123456789), then the parent is killed. The worker must go too.

_PARENT = """
import json, sys
from sustain_verifiers._isolate import _Worker
worker = _Worker(512, ())
worker.wait_ready(120)
print(worker.proc.pid, flush=True)
request = {"func": "sustain_verifiers.math:_compare_in_worker",
           "args": ["1", "(3)^{123456789}"], "timeout": float(sys.argv[1])}
if sys.argv[2] == "busy":
    worker.request(json.dumps(request).encode() + b"\\n", 3600)
else:
    import time
    time.sleep(3600)
"""


def _state(pid: int) -> str | None:
    """The process state letter from /proc (None once the process is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[0]


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _gone_within(pid: int, seconds: float = 120) -> bool:
    """Whether the process ends within ``seconds`` (a bound on the wait: it returns as soon as
    the process is gone)."""
    deadline = time.monotonic() + seconds  # not a speed claim
    while time.monotonic() < deadline:  # not a speed claim
        if _state(pid) in (None, "Z", "X"):
            return True
        time.sleep(0.1)
    return False


def _start_parent(timeout: float, mode: str) -> tuple[subprocess.Popen[str], int]:
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(timeout), mode], stdout=subprocess.PIPE, text=True,
        start_new_session=True)
    assert parent.stdout is not None
    line = parent.stdout.readline()
    assert line.strip().isdigit(), "the parent did not start its worker"
    return parent, int(line)


def _busy(pid: int) -> None:
    """Wait until the worker is deep in its computation."""
    start = _cpu_seconds(pid)
    deadline = time.monotonic() + 120  # not a speed claim
    while _cpu_seconds(pid) - start < 0.5 and time.monotonic() < deadline:  # not a speed claim
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_busy_worker_dies_when_its_parent_is_killed() -> None:
    parent, worker = _start_parent(1.0, "busy")
    try:
        _busy(worker)
        parent.kill()
        parent.wait()
        assert _gone_within(worker), "the worker outlived its killed parent"
    finally:
        parent.kill()
        parent.wait()
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker, signal.SIGKILL)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_an_idle_worker_dies_when_its_parent_is_killed() -> None:
    parent, worker = _start_parent(1.0, "idle")
    try:
        parent.kill()
        parent.wait()
        assert _gone_within(worker), "the worker outlived its killed parent"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker, signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_signal_to_the_process_group_reaches_the_workers() -> None:
    """``timeout -s TERM`` and shells signal the whole process group: workers are in it. (The
    request's timeout and so its CPU-time backstop are far longer than the wait, so only the
    signal can end the worker within it.)"""
    parent, worker = _start_parent(600.0, "busy")
    try:
        _busy(worker)
        os.killpg(parent.pid, signal.SIGTERM)
        parent.wait()
        assert _gone_within(worker), "the worker escaped the signal to its group"
    finally:
        parent.kill()
        parent.wait()
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker, signal.SIGKILL)


@pytest.mark.slow
def test_an_interrupt_does_not_kill_a_worker_mid_call(pool: WorkerPool) -> None:
    """Ctrl-C reaches the whole group; the caller decides what to do, the worker carries on."""
    pool.start()
    pids = [w.proc.pid for w in pool._idle]
    result: list[Outcome] = []
    thread = threading.Thread(target=lambda: result.append(pool.run(PROBE, "sleep", 1.0,
                                                                    timeout=120)))
    thread.start()
    time.sleep(0.3)
    for pid in pids:
        os.kill(pid, signal.SIGINT)
    thread.join(120)
    assert result
    assert result[0].ok, result


def test_a_dead_idle_worker_is_replaced_before_use() -> None:
    p = WorkerPool(size=1, warm=())
    try:
        p.start()
        victim = p._idle[0]
        victim.proc.kill()
        victim.proc.wait()
        out = p.run(PROBE, "echo", timeout=120)
        assert out.ok, out
    finally:
        p.close()


def test_a_call_whose_worker_died_unnoticed_runs_on_a_fresh_one() -> None:
    """A worker that dies between the pool's check and the request: the call is not lost."""
    p = WorkerPool(size=1, warm=())
    try:
        assert p.run(PROBE, "echo", timeout=120).ok
        victim = p._idle[0]
        victim.proc.kill()
        victim.proc.wait()
        victim.alive = lambda: True  # type: ignore[method-assign]
        out = p.run(PROBE, "echo", timeout=120)
        assert out.ok, out
        assert p.restarts == 1
    finally:
        p.close()
