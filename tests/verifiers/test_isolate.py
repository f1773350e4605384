"""The bounded worker pool: timeouts, memory cap, crashes, threads and event loops."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
from sustain_verifiers._isolate import Outcome, WorkerPool, WorkerStartupError

PROBE = "sustain_verifiers._isolate:_probe"


@pytest.fixture(scope="module")
def pool() -> Iterator[WorkerPool]:
    p = WorkerPool(size=2, memory_mb=512, warm=())
    yield p
    p.close()


def test_returns_values(pool: WorkerPool) -> None:
    out = pool.run(PROBE, "echo", timeout=30)
    assert out == Outcome(True, "echo", seconds=out.seconds)


def test_timeout_kills_and_replaces_the_worker(pool: WorkerPool) -> None:
    before = pool.restarts
    start = time.perf_counter()
    out = pool.run(PROBE, "sleep", 60, timeout=0.5)
    assert (out.ok, out.error) == (False, "timeout")
    assert time.perf_counter() - start < 10
    assert pool.restarts == before + 1
    assert pool.run(PROBE, "echo", timeout=30).value == "echo"


def test_memory_cap_is_enforced(pool: WorkerPool) -> None:
    out = pool.run(PROBE, "allocate", 2048, timeout=30)
    assert (out.ok, out.error) == (False, "memory")
    assert pool.run(PROBE, "allocate", 16, timeout=30).ok


def test_a_crashing_worker_is_replaced(pool: WorkerPool) -> None:
    out = pool.run(PROBE, "crash", timeout=30)
    assert (out.ok, out.error) == (False, "crashed")
    assert pool.run(PROBE, "echo", timeout=30).ok


def test_exceptions_are_reported_not_raised(pool: WorkerPool) -> None:
    out = pool.run(PROBE, "raise", timeout=30)
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
        out = pool.run(PROBE, f"echo-{i}", timeout=30)
        with lock:
            results.append(out.value)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(map(str, results)) == sorted(f"echo-{i}" for i in range(6))


def test_async_calls_do_not_block_the_loop(pool: WorkerPool) -> None:
    async def main() -> tuple[list[Outcome], int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        outs = await asyncio.gather(pool.run_async(PROBE, "sleep", 0.3, timeout=30),
                                    pool.run_async(PROBE, "sleep", 0.3, timeout=30))
        task.cancel()
        return list(outs), ticks

    outs, ticks = asyncio.run(main())
    assert all(o.ok for o in outs)
    assert ticks >= 5


def test_closed_pool_refuses_work() -> None:
    p = WorkerPool(size=1, warm=())
    assert p.run(PROBE, "echo", timeout=30).ok
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
        out = p.run(PROBE, "echo", timeout=30)
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
