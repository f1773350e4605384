"""Running untrusted programs against their unit tests: isolated, bounded, parallel, unforgeable.

One runner serves every harness: :func:`run_tests` (one program), :func:`run_many` (a batch,
in parallel across the machine's cores) and :func:`run_tests_async` (off the event loop). Each
run returns a :class:`RunResult` whose ``outcome`` is ``passed``, ``failed``, ``timeout`` or
``error``, with captured and capped output.

Isolation (the default) uses bubblewrap (``bwrap``, Debian/Ubuntu package ``bubblewrap``):

- the root file system read-only; home folders (``/root``, ``/home``, ``$HOME``), ``/run``,
  ``/var/tmp`` and ``/mnt`` hidden behind empty folders (the Python installation is mounted
  back, read-only); a private ``/tmp`` of at most :data:`TMP_SIZE_MB` MiB; a minimal ``/dev``;
- no network and private IPC, UTS and PID namespaces (``--unshare-all``); a new session, and
  ``--die-with-parent``;
- a scrubbed environment: only ``PATH``, ``HOME``, ``LANG`` and ``TMPDIR`` (no API keys);
- resource limits set before the program runs (:class:`Limits`: address space, CPU seconds,
  processes, file size, open files);
- on timeout the outer ``bwrap`` process is killed, which takes the namespace's init and every
  process inside with it: fork bombs and orphaned grandchildren end at once, and nothing is
  left running after any run.

When the host runs as root, the sandbox keeps root's privileges only to set itself up: the user
namespace is left out (inside one, root's processes escape the process limit, because the
kernel exempts the host's root user from ``RLIMIT_NPROC``) and the driver switches to an
unprivileged user id of its own before any program runs.

Proof of completion: the driver (:mod:`sustain_verifiers._driver`) receives a random token
before any untrusted code runs and prints it only after the tests returned. A run passes only
with that proof and exit status 0, so ``sys.exit(0)`` or ``os._exit(0)`` before the tests, a
redefined ``check``, a patched ``AssertionError``, a printed fake marker or a killed parent
never pass.

Without bubblewrap the runner refuses, unless the user opts in to unisolated execution with
``SUSTAIN_UNSAFE_EXECUTION=1`` (or ``--unsafe-no-isolation`` on the command line): programs
then run as plain child processes, in a private temporary folder removed after the run, with
the same resource limits and timeouts but with access to the network, the user's files and
anything the user can do. Only use that for code you
trust.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import os
import queue
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import IO, Any, Literal

__all__ = [
    "DEFAULT_LIMITS",
    "MARKER",
    "UNSAFE_ENV",
    "Isolation",
    "Limits",
    "Outcome",
    "RunResult",
    "SandboxError",
    "SandboxUnavailableError",
    "driver_source",
    "interpret_run",
    "isolation",
    "request_payload",
    "run_many",
    "run_tests",
    "run_tests_async",
]

Outcome = Literal["passed", "failed", "timeout", "error"]
Isolation = Literal["bubblewrap", "none", "inspect-sandbox"]

UNSAFE_ENV = "SUSTAIN_UNSAFE_EXECUTION"
"""Set to ``1`` to run programs without isolation when bubblewrap is missing (unsafe)."""

MARKER = "sustain-run-complete:"
"""Prefix of the proof line the driver prints after the tests (followed by the run's token)."""

_BANNER = b"sustain-driver: started\n"
_FAILED_PREFIX = "sustain-driver: failed: "
_PROGRAM_LIMIT = 2_000_000
"""Largest program plus tests accepted, in characters."""
TMP_SIZE_MB = 64
"""Size of the sandbox's private ``/tmp``."""
_UID_BASE = 1_999_900_000
"""First unprivileged user id given to sandboxed programs when the host runs as root (a range
of ids per concurrent run, far from any real account)."""
_UID_RUNS = 4096
"""User ids per slot: consecutive runs in a slot get different ids, because the processes of
the run before (a fork bomb's, say) may still be ending and would count against the next run's
process limit (``RLIMIT_NPROC`` counts a user's processes)."""
_uid_runs = itertools.count()
SANDBOX_TMP = "/tmp"  # noqa: S108 - inside the sandbox: a private, size-limited tmpfs
_MASKED = ("/root", "/home", "/run", "/var/tmp", "/mnt", "/media", "/srv")  # noqa: S108
_KILL_WAIT = 10.0
_SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the program): a broken installation, not a verdict."""


class SandboxUnavailableError(SandboxError):
    """Bubblewrap is missing or unusable and unisolated execution was not requested."""


@dataclass(frozen=True)
class Limits:
    """Bounds of one run.

    Attributes:
        timeout: Wall-clock seconds from start to the end of the tests.
        cpu_seconds: CPU seconds (``RLIMIT_CPU``); None means ``timeout`` rounded up plus one.
        memory_mb: Address space of each process (``RLIMIT_AS``), in MiB.
        processes: Processes and threads of the sandbox's user (``RLIMIT_NPROC``).
        file_size_mb: Largest file the program may write, its output included (``RLIMIT_FSIZE``).
        open_files: Open file descriptors (``RLIMIT_NOFILE``).
        output_chars: Characters of standard output and of standard error kept in the result.
    """

    timeout: float = 20.0
    cpu_seconds: int | None = None
    memory_mb: int = 2048
    processes: int = 64
    file_size_mb: int = 16
    open_files: int = 256
    output_chars: int = 8192

    def __post_init__(self) -> None:
        if not 0 < self.timeout <= 86_400:
            raise ValueError(f"timeout must be between 0 and 86400 seconds, not {self.timeout}")
        for name in ("memory_mb", "processes", "file_size_mb", "open_files", "output_chars"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive")
        if self.memory_mb < 128:
            raise ValueError("memory_mb must be at least 128 (the interpreter needs it)")

    @property
    def cpu(self) -> int:
        """The CPU-time limit in seconds."""
        return self.cpu_seconds if self.cpu_seconds is not None else int(self.timeout) + 1


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class RunResult:
    """What one run did.

    Attributes:
        outcome: ``passed`` (the tests ran to completion), ``failed`` (an assertion or another
            exception in the tests, or an exit before they completed), ``timeout`` (the
            wall-clock or CPU limit), ``error`` (the program did not compile or raised before
            its tests started, or was too large to run).
        detail: One line saying why.
        stdout: The program's standard output (capped; the proof line removed).
        stderr: Its standard error (capped).
        exit_code: The exit status (negative: killed by that signal), None when killed at the
            deadline.
        seconds: Wall-clock time of the run.
        isolation: ``bubblewrap``, ``none``, or ``inspect-sandbox`` (run by Inspect's sandbox).
    """

    outcome: Outcome
    detail: str
    stdout: str = ""
    stderr: str = ""
    exit_code: int | None = None
    seconds: float = 0.0
    isolation: Isolation = "bubblewrap"

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- the driver ---------------------------------------------------------------------------------

@cache
def driver_source() -> str:
    """The source of the in-sandbox driver (run with ``python -I -c``)."""
    return (Path(__file__).with_name("_driver.py")).read_text(encoding="utf-8")


def request_payload(program: str, tests: str, limits: Limits, token: str,
                    uid: int | None = None) -> bytes:
    """The JSON request the driver reads from its standard input."""
    import json

    return json.dumps({
        "program": program, "tests": tests, "token": token, "memory_mb": limits.memory_mb,
        "cpu_seconds": limits.cpu, "processes": limits.processes,
        "file_size_mb": limits.file_size_mb, "open_files": limits.open_files, "uid": uid,
    }).encode("utf-8", "surrogatepass")


_SIGNALS = {int(signal.SIGXCPU): ("timeout", "CPU time limit reached"),
            int(signal.SIGXFSZ): ("failed", "file size limit reached (output or a file too "
                                            "large)"),
            int(signal.SIGKILL): ("failed", "killed"),
            int(signal.SIGSEGV): ("failed", "crashed (segmentation fault)")}


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - limit} characters cut ...]\n{text[-half:]}"


def interpret_run(*, token: str, exit_code: int | None, stdout: str, stderr: str,
                  timed_out: bool, seconds: float, limits: Limits,
                  isolation: Isolation) -> RunResult:
    """The verdict on one driver run, from what it wrote and how it ended.

    Shared by the local runner and the Inspect sandbox path; ``exit_code`` may be a shell-style
    ``128 + signal`` as well as a negative signal number.
    """
    proof = f"{MARKER}{token}"
    completed = proof in stdout[-65536:]
    shown_out = _clip(stdout.replace(f"\n{proof}\n", "").replace(proof, ""),
                      limits.output_chars)
    shown_err = _clip(stderr, limits.output_chars)

    def result(outcome: Outcome, detail: str) -> RunResult:
        return RunResult(outcome, detail, shown_out, shown_err, exit_code, seconds, isolation)

    if timed_out:
        return result("timeout", f"no result within {limits.timeout:g} s")
    if completed and exit_code == 0:
        return result("passed", "all tests ran to completion")
    signum = -exit_code if exit_code is not None and exit_code < 0 else (
        exit_code - 128 if exit_code is not None and 128 < exit_code < 160 else None)
    if signum in _SIGNALS:
        outcome, why = _SIGNALS[signum]
        return result(outcome, why)  # type: ignore[arg-type]
    failure = stderr.rfind(_FAILED_PREFIX)
    if failure >= 0:
        line = stderr[failure + len(_FAILED_PREFIX):].split("\n", 1)[0]
        phase, _, message = line.partition(": ")
        if phase == "program":
            return result("error", f"the program raised before its tests started: {message}")
        if phase == "setup":
            return result("error", f"the driver could not start the program: {message}")
        return result("failed", f"the tests raised {message}")
    return result("failed", f"exited with status {exit_code} before the tests completed")


# -- isolation ----------------------------------------------------------------------------------

def _unsafe_requested(unsafe: bool | None) -> bool:
    if unsafe is not None:
        return unsafe
    return os.environ.get(UNSAFE_ENV, "").strip().lower() in ("1", "true", "yes")


@cache
def _bwrap_problem() -> str | None:
    """None when bubblewrap can run a sandbox here; otherwise why not."""
    path = shutil.which("bwrap")
    if path is None:
        return ("bubblewrap (bwrap) is not installed: install the package 'bubblewrap' "
                "(e.g. apt-get install bubblewrap)")
    try:
        probe = subprocess.run(  # noqa: S603 - fixed command
            [*_bwrap_args(path), "--", "/bin/true"], capture_output=True, timeout=30,
            check=False, env=_sandbox_env())
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap failed to start a sandbox ({exc})"
    if probe.returncode != 0:
        reason = probe.stderr.decode(errors="replace").strip().splitlines()
        return ("bubblewrap is installed but cannot create a sandbox here ("
                + (reason[-1] if reason else f"status {probe.returncode}") + ")")
    return None


def isolation(unsafe: bool | None = None) -> Isolation:
    """The isolation runs will use; :class:`SandboxUnavailableError` when there is none.

    Args:
        unsafe: True to allow unisolated execution when bubblewrap is unusable; None reads
            ``SUSTAIN_UNSAFE_EXECUTION``.
    """
    problem = _bwrap_problem()
    if problem is None:
        return "bubblewrap"
    if _unsafe_requested(unsafe):
        return "none"
    raise SandboxUnavailableError(
        f"cannot run model-written code safely: {problem}; or, only for code you trust, set "
        f"{UNSAFE_ENV}=1 (or pass --unsafe-no-isolation) to run it without isolation")


def _is_root() -> bool:
    return os.geteuid() == 0


def _python_paths() -> list[str]:
    import site
    import sysconfig

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             str(Path(sys.executable).resolve().parent.parent),
             *(p for p in (sysconfig.get_paths().get(k) for k in ("stdlib", "purelib",
                                                                  "platlib")) if p),
             *site.getsitepackages()}
    return sorted({str(Path(p).resolve()) for p in paths if p and Path(p).is_dir()})


@cache
def _bwrap_args(bwrap: str) -> tuple[str, ...]:
    """The bubblewrap command line up to the program (without ``--``)."""
    args = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    home = os.environ.get("HOME")
    masks = [m for m in (*_MASKED, home) if m and m != "/" and Path(m).is_dir()]
    masks = sorted({str(Path(m).resolve()) for m in masks})
    masks = [m for m in masks if not any(m != o and m.startswith(o + "/") for o in masks)]
    created: set[str] = set()
    for mask in masks:
        args += ["--perms", "0755", "--tmpfs", mask]
        created.add(mask)
    for path in _python_paths():
        owner = next((m for m in masks if path == m or path.startswith(m + "/")), None)
        if owner is None:
            continue
        parts = Path(path).relative_to(owner).parts
        current = owner
        for part in parts[:-1]:
            current = f"{current}/{part}"
            if current not in created:
                args += ["--perms", "0755", "--dir", current]
                created.add(current)
        args += ["--ro-bind", path, path]
        created.add(path)
    args += ["--perms", "1777", "--size", str(TMP_SIZE_MB * 1024 * 1024), "--tmpfs",
             SANDBOX_TMP]
    if _is_root():
        # no user namespace: see the module docstring (the driver drops to its own user id)
        args += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                 "--unshare-cgroup-try"]
    else:
        args += ["--unshare-all"]
    args += ["--die-with-parent", "--new-session", "--clearenv"]
    for key, value in _sandbox_env().items():
        args += ["--setenv", key, value]
    args += ["--chdir", SANDBOX_TMP]
    return tuple(args)


def _sandbox_env() -> dict[str, str]:
    return {"PATH": _SANDBOX_PATH, "HOME": SANDBOX_TMP, "TMPDIR": SANDBOX_TMP, "LANG": "C.UTF-8"}


# -- concurrency --------------------------------------------------------------------------------

def default_workers() -> int:
    """Programs run at once by default: one per core."""
    return max(1, os.cpu_count() or 1)


class _Slots:
    """At most ``n`` runs at a time in this process; each run holds a slot (its user id)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._free: queue.SimpleQueue[int] = queue.SimpleQueue()
        for i in range(n):
            self._free.put(i)

    @contextlib.contextmanager
    def hold(self) -> Iterator[int]:
        slot = self._free.get()
        try:
            yield slot
        finally:
            self._free.put(slot)


_slots_lock = threading.Lock()
_slots: _Slots | None = None


def _global_slots() -> _Slots:
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = _Slots(default_workers())
        return _slots


# -- one run ------------------------------------------------------------------------------------

def _read_capped(fh: IO[bytes], limit_bytes: int) -> str:
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    fh.seek(0)
    if size <= 2 * limit_bytes:
        data = fh.read()
    else:
        head = fh.read(limit_bytes)
        fh.seek(size - limit_bytes)
        data = head + b"\n[... output cut ...]\n" + fh.read()
    return data.decode("utf-8", "replace")


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, OSError):
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=_KILL_WAIT)


def _wait(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait for ``proc`` to end; False when it still runs after ``timeout`` seconds.

    ``Popen.wait(timeout=...)`` polls with sleeps that grow to 50 ms, so a run of 30 ms was
    noticed only after about 60; a pidfd (Linux 5.3 and later) wakes as soon as it ends.
    """
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        deadline = time.monotonic() + timeout
        while not poller.poll(max(0, math.ceil((deadline - time.monotonic()) * 1000))):
            if time.monotonic() >= deadline:
                return proc.poll() is not None
    finally:
        os.close(pidfd)
    proc.wait()
    return True


def _world_traversable(path: str) -> bool:
    current = Path(path).resolve()
    return all(os.stat(p).st_mode & 0o001 for p in [current, *current.parents])


def _run_one(program: str, tests: str, limits: Limits, mode: Isolation, slot: int) -> RunResult:
    if len(program) + len(tests) > _PROGRAM_LIMIT:
        return RunResult("error", f"program and tests exceed {_PROGRAM_LIMIT} characters",
                         isolation=mode)
    token = secrets.token_hex(16)
    uid: int | None = None
    if _is_root() and (mode == "bubblewrap" or _world_traversable(sys.base_prefix)):
        uid = _UID_BASE + slot * _UID_RUNS + next(_uid_runs) % _UID_RUNS
    payload = request_payload(program, tests, limits, token, uid)
    python = [sys.executable, "-I", "-B", "-c", driver_source()]
    if mode == "bubblewrap":
        bwrap = shutil.which("bwrap")
        if bwrap is None:  # removed since the probe
            raise SandboxUnavailableError("bubblewrap (bwrap) is no longer installed")
        return _start([*_bwrap_args(bwrap), "--", *python], payload, token, limits, mode, None)
    # unisolated: a private folder of the host's, removed after the run (the driver makes its
    # working folder in it, entered by its own user id when it drops root)
    scratch = tempfile.mkdtemp(prefix="sustain-unsafe-")
    try:
        os.chmod(scratch, 0o711)  # noqa: S103 - traversable only, nothing listed
        return _start(python, payload, token, limits, mode, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _start(command: list[str], payload: bytes, token: str, limits: Limits, mode: Isolation,
           scratch: str | None) -> RunResult:
    """Run the driver ``command`` (its status descriptor appended) and judge the run."""
    env = _sandbox_env()
    if scratch is not None:
        env.update(TMPDIR=scratch, HOME=scratch)
    status_read, status_write = os.pipe()
    command = [*command, str(status_write)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(  # noqa: S603 - the driver, isolated as documented above
                command, stdin=subprocess.PIPE, stdout=out, stderr=err,
                pass_fds=(status_write,), env=env, cwd=scratch,
                start_new_session=True)
        except OSError as exc:
            os.close(status_read)
            os.close(status_write)
            raise SandboxError(f"cannot start the sandbox: {exc}") from exc
        os.close(status_write)
        timed_out = False
        try:
            assert proc.stdin is not None
            with contextlib.suppress(BrokenPipeError, OSError):
                proc.stdin.write(payload)
            with contextlib.suppress(BrokenPipeError, OSError):
                proc.stdin.close()
            timed_out = not _wait(proc, limits.timeout)
        finally:
            _kill(proc)  # the namespace (or, unisolated, the process group) goes with it
            seconds = time.perf_counter() - start
            with os.fdopen(status_read, "rb") as status:
                started = status.read(len(_BANNER)) == _BANNER
        if not started:
            message = _read_capped(err, 2000).strip().splitlines()
            raise SandboxError("the sandbox did not start: "
                               + (message[-1] if message else f"status {proc.returncode}"))
        stdout = _read_capped(out, limits.output_chars + 65536)
        stderr = _read_capped(err, limits.output_chars)
    return interpret_run(token=token, exit_code=None if timed_out else proc.returncode,
                         stdout=stdout, stderr=stderr, timed_out=timed_out, seconds=seconds,
                         limits=limits, isolation=mode)


def run_tests(program: str, tests: str, limits: Limits = DEFAULT_LIMITS, *,
              unsafe: bool | None = None) -> RunResult:
    """Run ``program`` and then ``tests`` in its namespace; the outcome says how it went.

    ``tests`` is Python code that raises (usually through ``assert``) when the program is
    wrong, e.g. HumanEval's ``def check(candidate): ...`` followed by ``check(entry_point)``.
    Blocks the calling thread; at most one run per core is active in the process (others
    wait for a free slot). Raises :class:`SandboxUnavailableError` when there is no sandbox
    and unisolated execution was not requested, :class:`SandboxError` when the sandbox breaks.
    """
    mode = isolation(unsafe)
    with _global_slots().hold() as slot:
        return _run_one(program, tests, limits, mode, slot)


async def run_tests_async(program: str, tests: str, limits: Limits = DEFAULT_LIMITS, *,
                          unsafe: bool | None = None) -> RunResult:
    """:func:`run_tests` in a worker thread, so an event loop keeps running meanwhile."""
    return await asyncio.to_thread(run_tests, program, tests, limits, unsafe=unsafe)


def run_many(jobs: Sequence[tuple[str, str]], limits: Limits = DEFAULT_LIMITS, *,
             workers: int | None = None, unsafe: bool | None = None,
             on_done: Callable[[int, RunResult], None] | None = None) -> list[RunResult]:
    """Run many ``(program, tests)`` pairs in parallel; results in input order.

    Args:
        jobs: The programs and their tests.
        limits: Bounds of each run.
        workers: Runs at once (default: one per core; the process-wide cap still applies).
        unsafe: As for :func:`isolation`.
        on_done: Called with (index, result) as each run ends (e.g. to draw progress).
    """
    isolation(unsafe)  # refuse before starting anything
    if not jobs:
        return []
    results: list[RunResult | None] = [None] * len(jobs)

    def one(index: int) -> None:
        program, tests = jobs[index]
        result = run_tests(program, tests, limits, unsafe=unsafe)
        results[index] = result
        if on_done is not None:
            on_done(index, result)

    width = min(workers or default_workers(), len(jobs))
    if width == 1:  # no pool for one job (each verdict of an Inspect sample, say)
        for i in range(len(jobs)):
            one(i)
    else:
        with ThreadPoolExecutor(max_workers=width, thread_name_prefix="sustain-run") as pool:
            for future in [pool.submit(one, i) for i in range(len(jobs))]:
                future.result()
    return [r for r in results if r is not None]
