"""Bounded execution: run a verifier function in a warm worker process.

Symbolic algebra can take unbounded time and memory on hostile input (a power tower, thousands of
nested brackets). Timeouts based on ``signal.alarm`` work only in the main thread and not inside
an event loop, so instead the work runs in a separate, long-lived worker process:

- each call has a wall-clock timeout; a worker that misses it is killed and replaced at once;
- the worker's address space is capped with ``resource.setrlimit(RLIMIT_AS)``, so a runaway
  computation fails with ``MemoryError`` instead of exhausting the machine;
- a worker that crashes (segfault, C stack overflow) is detected by end-of-file and replaced;
- a worker never outlives its parent: it stays in the parent's process group (a signal to the
  group, as sent by ``timeout`` or a shell, reaches it), it exits at end of input or when its
  parent changes (checked before each request and by a watcher thread while idle), and before
  each request its CPU-time limit (``RLIMIT_CPU``) is set to the time used so far plus
  ``2 * timeout + 2`` seconds, so the kernel ends a runaway computation with ``SIGXCPU`` even
  when nothing in the worker can run any more (a long big-integer operation holds the
  interpreter lock; the parent normally kills the worker at the wall-clock deadline long before);
- a worker ignores ``SIGINT`` (Ctrl-C reaches the whole process group; the caller decides);
- a worker that died while idle is replaced before use, and a call whose worker turns out to be
  dead before the request reached it runs once more on a fresh worker, so a lost worker never
  becomes a verdict. (``PR_SET_PDEATHSIG`` is not used: it fires when the *thread* that started
  the worker exits, and pools are used from short-lived threads of executors and event loops.)
- workers are started lazily, stay warm between calls (heavy imports happen once), and are
  shared by all threads through a small pool; a call blocks only its own thread, so the
  synchronous API works from any thread and from inside a running asyncio loop
  (:meth:`WorkerPool.run_async` moves the wait off the loop with ``asyncio.to_thread``).

Workers are plain ``python -m sustain_verifiers._isolate`` child processes that talk JSON lines
over their standard input and output, so nothing depends on the ``multiprocessing`` start
method or on re-importing the caller's ``__main__``. Only functions inside the
``sustain_verifiers`` package can be called, with JSON arguments and a JSON result. A worker's
standard error is discarded unless ``SUSTAIN_WORKER_STDERR`` is set (for debugging).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib
import json
import math
import os
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "DEFAULT_MEMORY_MB",
    "DEFAULT_POOL_SIZE",
    "Outcome",
    "WorkerPool",
    "WorkerStartupError",
    "default_pool",
    "register_warm_up",
    "run_bounded",
    "run_bounded_async",
    "shutdown_default_pool",
]

DEFAULT_MEMORY_MB = 1024
"""Address-space cap of a worker process, in MiB."""

DEFAULT_POOL_SIZE = 2
"""Worker processes in the shared pool (calls beyond that wait for a free worker)."""

STARTUP_TIMEOUT = 120.0
"""Seconds a fresh worker may take to import its modules (generous: machines get loaded)."""

MAX_MESSAGE_BYTES = 4_000_000
"""Largest request or response accepted on the pipe."""

CPU_MARGIN_FACTOR = 2.0
CPU_MARGIN_SECONDS = 2.0
"""A worker may use ``CPU_MARGIN_FACTOR * timeout + CPU_MARGIN_SECONDS`` seconds of CPU time per
request before the kernel ends it (a backstop for when the parent cannot: it is gone)."""

_ALLOWED_PREFIX = "sustain_verifiers."
_WARM_UPS: list[str] = []
_DEBUG_ENV = "SUSTAIN_WORKER_STDERR"

ErrorKind = Literal["timeout", "memory", "crashed", "startup", "error"]


@dataclass(frozen=True)
class Outcome:
    """The result of one bounded call.

    Attributes:
        ok: True when the function returned; ``value`` then holds its (JSON) result.
        value: The function's result, or None.
        error: Why there is no result: ``timeout`` (killed at the deadline), ``memory`` (hit the
            address-space cap), ``crashed`` (the worker died), ``startup`` (no worker could be
            started) or ``error`` (the function raised; see ``message``).
        message: A one-line description of the error.
        seconds: Wall-clock time of the call, excluding worker start-up.
    """

    ok: bool
    value: Any = None
    error: ErrorKind | None = None
    message: str = ""
    seconds: float = 0.0


class WorkerStartupError(RuntimeError):
    """No worker process could be started (a broken installation, not a bad answer)."""


class _Timeout(Exception):
    pass


class _Died(Exception):
    pass


class _NotSent(_Died):
    """The worker was gone before the request reached it (safe to retry elsewhere)."""


def _package_root() -> str:
    return str(Path(__file__).resolve().parents[1])


class _Worker:
    """One child process; used by one thread at a time (the pool guarantees it)."""

    def __init__(self, memory_mb: int, warm: Sequence[str]) -> None:
        env = dict(os.environ)
        root = _package_root()
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"]
                                    if env.get("PYTHONPATH") else "")
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        cmd = [sys.executable, "-u", "-m", "sustain_verifiers._isolate",
               "--memory-mb", str(memory_mb)]
        for spec in warm:
            cmd += ["--warm", spec]
        stderr = None if os.environ.get(_DEBUG_ENV) else subprocess.DEVNULL
        self.proc = subprocess.Popen(  # noqa: S603 - fixed command: this interpreter, this module
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env,
            close_fds=True,
        )
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self._in = self.proc.stdin.fileno()
        self._out = self.proc.stdout.fileno()
        os.set_blocking(self._out, False)
        # one selector for the worker's life: making one per call costs three system calls
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._out, selectors.EVENT_READ)
        self._buffer = bytearray()
        self.ready = False

    def _read_line(self, deadline: float) -> dict[str, Any]:
        sel = self._selector
        while True:
            newline = self._buffer.find(b"\n")
            if newline >= 0:
                line = bytes(self._buffer[:newline])
                del self._buffer[: newline + 1]
                try:
                    message = json.loads(line)
                except ValueError:
                    raise _Died("garbled reply from the worker") from None
                if not isinstance(message, dict):
                    raise _Died("garbled reply from the worker")
                return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Timeout
            if not sel.select(remaining):
                continue
            try:
                chunk = os.read(self._out, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                raise _Died("the worker exited")
            self._buffer += chunk
            if len(self._buffer) > MAX_MESSAGE_BYTES:
                raise _Died("reply too large")

    def wait_ready(self, timeout: float) -> None:
        if self.ready:
            return
        message = self._read_line(time.monotonic() + timeout)
        if not message.get("ready"):
            raise _Died(str(message.get("message", "worker failed to start")))
        self.ready = True

    def request(self, payload: bytes, timeout: float) -> dict[str, Any]:
        if not self.alive():
            raise _NotSent("the worker had exited")
        view = memoryview(payload)
        try:
            written = os.write(self._in, view)
        except OSError as exc:
            raise _NotSent(f"cannot write to the worker ({exc.strerror})") from None
        try:
            while written < len(view):
                written += os.write(self._in, view[written:])
        except OSError as exc:
            raise _Died(f"cannot write to the worker ({exc.strerror})") from None
        return self._read_line(time.monotonic() + timeout)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, OSError):
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self._close_pipes()

    def close(self) -> None:
        """Ask the worker to exit (end of input), then make sure it did."""
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_pipes()

    def _close_pipes(self) -> None:
        with contextlib.suppress(OSError, ValueError, KeyError):
            self._selector.close()
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()


class WorkerPool:
    """A small pool of warm worker processes with per-call timeouts and a memory cap.

    Args:
        size: Most workers alive at once; concurrent calls beyond it wait for a free one.
        memory_mb: Address-space cap of each worker (``RLIMIT_AS``), in MiB.
        warm: ``"module:function"`` specs called once in each new worker before it reports
            ready (to pay for heavy imports before the first timed call). None means the
            specs registered with :func:`register_warm_up`, as they stand when a worker starts.
        startup_timeout: Seconds a new worker may take to become ready.
    """

    def __init__(self, *, size: int = DEFAULT_POOL_SIZE, memory_mb: int = DEFAULT_MEMORY_MB,
                 warm: Sequence[str] | None = None,
                 startup_timeout: float = STARTUP_TIMEOUT) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        if memory_mb < 64:
            raise ValueError("memory_mb must be at least 64")
        for spec in warm or ():
            _check_spec(spec)
        self.size = size
        self.memory_mb = memory_mb
        self._warm = None if warm is None else tuple(warm)
        self.startup_timeout = startup_timeout
        self._pid = os.getpid()
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._busy = 0
        self._closed = False
        self.restarts = 0
        """Workers replaced after a timeout, crash or memory error (for diagnostics)."""

    @property
    def warm(self) -> tuple[str, ...]:
        """The warm-up specs each new worker runs."""
        return tuple(_WARM_UPS) if self._warm is None else self._warm

    # -- pool bookkeeping ---------------------------------------------------------------------
    def _acquire(self) -> _Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("the worker pool is closed")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():
                        self._busy += 1
                        return worker
                    # died while idle (killed from outside, out of memory): start a new one
                    worker.kill()
                    self.restarts += 1
                if self._busy + len(self._idle) < self.size:
                    self._busy += 1
                    break
                self._cond.wait()
        try:
            return _Worker(self.memory_mb, self.warm)
        except BaseException:
            with self._cond:
                self._busy -= 1
                self._cond.notify()
            raise

    def _release(self, worker: _Worker | None) -> None:
        with self._cond:
            self._busy -= 1
            if worker is not None and not self._closed:
                self._idle.append(worker)
            elif worker is not None:
                worker.close()
            self._cond.notify()

    def _replace(self, worker: _Worker) -> _Worker | None:
        """Kill ``worker`` and start its successor at once (it warms up in the background)."""
        worker.kill()
        with self._cond:
            self.restarts += 1
        if self._closed:
            return None
        try:
            return _Worker(self.memory_mb, self.warm)
        except OSError:
            return None

    def start(self, n: int | None = None) -> None:
        """Start up to ``n`` workers (all by default) now instead of on first use."""
        want = self.size if n is None else min(n, self.size)
        with self._cond:
            while not self._closed and self._busy + len(self._idle) < want:
                self._idle.append(_Worker(self.memory_mb, self.warm))

    # -- calls --------------------------------------------------------------------------------
    def run(self, func: str, *args: Any, timeout: float) -> Outcome:
        """Call ``func`` (``"sustain_verifiers.module:function"``) with JSON ``args``.

        Blocks the calling thread for at most ``timeout`` seconds of work (plus the start-up of
        a fresh worker, bounded by ``startup_timeout``). Never raises for anything the function
        does; a bad ``func`` spec or unserialisable arguments raise ``ValueError``/``TypeError``.
        """
        _check_spec(func)
        if not 0 < timeout < math.inf:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        if os.getpid() != self._pid:
            raise RuntimeError("a WorkerPool cannot be used across fork(); create a new one")
        payload = json.dumps({"func": func, "args": list(args),
                              "timeout": float(timeout)}).encode() + b"\n"
        if len(payload) > MAX_MESSAGE_BYTES:
            raise ValueError("arguments too large for a bounded call")
        try:
            worker: _Worker | None = self._acquire()
        except OSError as exc:
            return Outcome(False, error="startup", message=f"cannot start a worker: {exc}")
        try:
            for attempt in range(2):
                assert worker is not None
                try:
                    worker.wait_ready(self.startup_timeout)
                except (_Timeout, _Died) as exc:
                    worker = self._replace(worker)
                    reason = "timed out" if isinstance(exc, _Timeout) else str(exc)
                    return Outcome(False, error="startup",
                                   message=f"worker start-up failed: {reason}")
                start = time.perf_counter()
                try:
                    reply = worker.request(payload, timeout)
                    break
                except _NotSent as exc:
                    # the worker died while idle and the request never ran: try once more on
                    # a fresh worker rather than blaming the answer
                    worker = self._replace(worker)
                    if worker is None or attempt:
                        return Outcome(False, error="startup",
                                       message=f"no worker to run the call: {exc}")
                except _Timeout:
                    worker = self._replace(worker)
                    return Outcome(False, error="timeout",
                                   message=f"no result within {timeout:g} s",
                                   seconds=time.perf_counter() - start)
                except _Died as exc:
                    worker = self._replace(worker)
                    return Outcome(False, error="crashed", message=str(exc),
                                   seconds=time.perf_counter() - start)
            assert worker is not None
            seconds = time.perf_counter() - start
            if reply.get("ok"):
                return Outcome(True, reply.get("value"), seconds=seconds)
            kind = reply.get("error")
            if kind == "memory":
                # the heap may be fragmented or near the cap: start afresh
                worker = self._replace(worker)
                return Outcome(False, error="memory", message="memory limit reached",
                               seconds=seconds)
            return Outcome(False, error="error", message=str(reply.get("message", "")),
                           seconds=seconds)
        finally:
            self._release(worker)

    async def run_async(self, func: str, *args: Any, timeout: float) -> Outcome:
        """:meth:`run` in a thread, so the event loop keeps running meanwhile."""
        return await asyncio.to_thread(self.run, func, *args, timeout=timeout)

    def close(self) -> None:
        """Stop every idle worker; busy ones stop when their call returns."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for worker in idle:
            worker.close()


def _check_spec(spec: str) -> None:
    module, sep, name = spec.partition(":")
    if not sep or not module.startswith(_ALLOWED_PREFIX) or not name.isidentifier():
        raise ValueError(f"not a callable spec inside sustain_verifiers: {spec!r}")


def register_warm_up(spec: str) -> None:
    """Have every new worker of the default pools call ``spec`` (``"module:function"``, no
    arguments) before its first call, e.g. to import a heavy library."""
    _check_spec(spec)
    if spec not in _WARM_UPS:
        _WARM_UPS.append(spec)


# -- the shared default pool --------------------------------------------------------------------
_default_lock = threading.Lock()
_default: WorkerPool | None = None


def default_pool() -> WorkerPool:
    """The process-wide pool (created on first use, closed at exit, reset after fork)."""
    global _default
    with _default_lock:
        if _default is None or _default._pid != os.getpid():
            _default = WorkerPool()
        return _default


def shutdown_default_pool() -> None:
    """Close the process-wide pool (a new one is created on next use)."""
    global _default
    with _default_lock:
        pool, _default = _default, None
    if pool is not None and pool._pid == os.getpid():
        pool.close()


def _forget_after_fork() -> None:
    # the child must not talk to (or kill) its parent's workers; it starts its own when needed
    global _default, _default_lock
    _default = None
    _default_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
atexit.register(shutdown_default_pool)


def run_bounded(func: str, *args: Any, timeout: float) -> Outcome:
    """:meth:`WorkerPool.run` on the process-wide pool."""
    return default_pool().run(func, *args, timeout=timeout)


async def run_bounded_async(func: str, *args: Any, timeout: float) -> Outcome:
    """:meth:`WorkerPool.run_async` on the process-wide pool."""
    return await default_pool().run_async(func, *args, timeout=timeout)


# -- the worker side ----------------------------------------------------------------------------
def _probe(action: str, amount: float = 0.0) -> str:
    """Misbehave on purpose, to test the pool: ``sleep`` for ``amount`` seconds, ``allocate``
    ``amount`` MiB, ``crash`` the process, ``raise`` an exception, or ``echo``."""
    if action == "sleep":
        time.sleep(amount)
    elif action == "allocate":
        block = bytearray(int(amount * 1024 * 1024))
        return f"allocated {len(block)} bytes"
    elif action == "crash":
        os._exit(70)
    elif action == "raise":
        raise ArithmeticError("probe")
    return action


def _resolve(spec: str, cache: dict[str, Callable[..., Any]]) -> Callable[..., Any]:
    if spec not in cache:
        _check_spec(spec)
        module, _, name = spec.partition(":")
        func = getattr(importlib.import_module(module), name)
        if not callable(func):
            raise TypeError(f"{spec} is not callable")
        cache[spec] = func
    return cache[spec]


def _watch_parent(parent: int) -> None:
    # an idle worker whose parent vanished must not live on (a busy one may not get the
    # interpreter lock to run this: its CPU-time limit ends it instead)
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(3)


def _limit_cpu(seconds: float) -> None:
    """Let this process use at most ``seconds`` more CPU time; then the kernel sends SIGXCPU
    (whose default action ends the process, whatever the interpreter is doing)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds) if math.isfinite(seconds) else (
        resource.RLIM_INFINITY)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY and (soft == resource.RLIM_INFINITY or soft > hard):
        soft = hard
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _cpu_allowance(request: Any) -> float:
    """CPU seconds a request may use: derived from its wall-clock timeout."""
    timeout = request.get("timeout") if isinstance(request, dict) else None
    if not isinstance(timeout, (int, float)) or not timeout > 0:
        timeout = STARTUP_TIMEOUT
    return min(CPU_MARGIN_FACTOR * float(timeout) + CPU_MARGIN_SECONDS, 1e9)


def _worker_main(argv: Sequence[str]) -> int:
    import logging
    import resource
    import signal

    memory_mb = DEFAULT_MEMORY_MB
    warm: list[str] = []
    items = list(argv)
    while items:
        flag = items.pop(0)
        if flag == "--memory-mb" and items:
            memory_mb = int(items.pop(0))
        elif flag == "--warm" and items:
            warm.append(items.pop(0))
        else:
            return 2
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # the protocol owns the original stdout; stray prints from libraries go to stderr
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    logging.disable(logging.CRITICAL)
    # Ctrl-C goes to the whole process group; the parent decides whether to stop us
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    _limit_cpu(CPU_MARGIN_FACTOR * STARTUP_TIMEOUT + CPU_MARGIN_SECONDS)

    def send(message: dict[str, Any]) -> None:
        out.write(json.dumps(message).encode() + b"\n")

    cache: dict[str, Callable[..., Any]] = {}
    try:
        for spec in warm:
            _resolve(spec, cache)()
    except Exception as exc:  # reported to the parent, which gives up on us
        send({"ready": False, "message": f"warm-up {type(exc).__name__}: {exc}"[:500]})
        return 1
    send({"ready": True})
    for line in sys.stdin.buffer:
        if os.getppid() != parent:
            return 3  # orphaned: nobody is waiting for the answer
        reply: dict[str, Any]
        try:
            request = json.loads(line)
            _limit_cpu(_cpu_allowance(request))
            func = _resolve(str(request["func"]), cache)
            reply = {"ok": True, "value": func(*request["args"])}
        except MemoryError:
            reply = {"ok": False, "error": "memory"}
        except RecursionError:
            reply = {"ok": False, "error": "error", "message": "RecursionError"}
        except Exception as exc:  # any failure is a verdict, not a crash
            reply = {"ok": False, "error": "error",
                     "message": f"{type(exc).__name__}: {exc}"[:500]}
        try:
            data = json.dumps(reply).encode()
        except (TypeError, ValueError) as exc:
            data = json.dumps({"ok": False, "error": "error",
                               "message": f"unserialisable result: {exc}"}).encode()
        except MemoryError:
            data = b'{"ok": false, "error": "memory"}'
        out.write(data + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1:]))
