"""The program that runs inside the sandbox: untrusted code, then its tests, then the proof.

It is started as ``python -I -c <this source>`` (standard library only, nothing imported from
the package) and reads one JSON object from its standard input::

    {"program": str, "tests": str, "token": str, "memory_mb": int, "cpu_seconds": int,
     "processes": int, "file_size_mb": int, "open_files": int, "uid": int | null}

Then, in this order, before any untrusted line runs: it replaces standard input with
``/dev/null``, lowers its own resource limits (soft = hard, so they cannot be raised again;
for CPU time the hard limit is one second above the soft one, so the soft one sends
``SIGXCPU``), switches to the unprivileged ``uid`` when given (the sandbox starts it as root only
when the host runs as root), installs an audit hook, and moves to a fresh working folder under
``$TMPDIR`` (``/tmp`` in the sandbox).

The program runs as the module ``solution`` (so ``if __name__ == "__main__":`` blocks do not
run), the tests run in the same namespace, compiled with ``optimize=0`` so ``assert`` is always
active. Only when the tests return does the driver write the run's proof, the line ``MARKER +
token``, to its standard output. The token was read from the input before any untrusted code
ran; the proof lives only in a local of the main thread, which waits while a worker thread runs
the program and the tests and wakes it only when they returned. Only the main thread runs
Python signal handlers (whose frame argument leads through ``f_back`` to every caller's
locals), so the program, in the worker, cannot install one; SIGINT is ignored; in a process the
program forks, the forking thread is the only one. The audit hook refuses the other ways Python
code could reach a frame or read memory (frame and garbage-collector introspection, tracing,
``ctypes``, sub-interpreters, the test modules, ``/proc/<pid>/mem``; a host running as root
also makes the driver non-dumpable by switching its user id, so the kernel refuses reads of its
memory). Everything the driver calls after the program started was bound before, so replacing
``os._exit``, ``compile``, ``BaseException`` or ``str`` changes nothing. A program that exits
early (``sys.exit``, ``os._exit``, a signal), redefines ``check``, patches ``AssertionError``,
prints a fake marker or kills its parent therefore never produces a passing run.

With a file descriptor number as its argument, the driver writes ``BANNER`` to it and closes it
once its set-up is done, just before the program runs, so the host can tell a sandbox that
failed to start (or a driver that failed to set itself up) from a program that failed.

Exit status: 0 after the proof; 1 when the tests raised (the last line on standard error then
reads ``sustain-driver: failed: <phase>: <exception>``); 3 for a malformed request.
"""

from __future__ import annotations

import builtins
import json
import os
import resource
import sys
import types
from collections.abc import Callable
from typing import Any, NoReturn

MARKER = "sustain-run-complete:"
BANNER = "sustain-driver: started\n"


def _limit(which: int, value: int, margin: int = 0) -> None:
    try:
        resource.setrlimit(which, (value, value + margin))
    except (ValueError, OSError):
        _, hard = resource.getrlimit(which)
        if hard == resource.RLIM_INFINITY or value + margin <= hard:
            raise
        resource.setrlimit(which, (min(value, hard), hard))


def _where(exc: BaseException) -> str:
    """`` (line N)``: the innermost line of ``exc`` (read without touching frame objects)."""
    if isinstance(exc, SyntaxError):
        return ""  # its message names the file and line already
    tb = exc.__traceback__
    line = None
    while tb is not None:
        line = tb.tb_lineno
        tb = tb.tb_next
    return f" (line {line})" if line is not None else ""


def main() -> None:
    exit_, write = os._exit, os.write
    status = int(sys.argv[1]) if len(sys.argv) > 1 else None
    try:
        request: dict[str, Any] = json.loads(sys.stdin.buffer.read())
        program = str(request["program"])
        tests = str(request["tests"])
        token = str(request["token"])
        limits = {key: int(request[key]) for key in
                  ("memory_mb", "cpu_seconds", "processes", "file_size_mb", "open_files")}
        uid = request.get("uid")
    except (ValueError, KeyError, TypeError) as exc:
        os.write(2, f"sustain-driver: bad request: {exc}\n".encode())
        os._exit(3)
    del request
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)

    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_AS, limits["memory_mb"] * 1024 * 1024)
    # the soft limit sends SIGXCPU (reported as a timeout); at soft = hard the kernel would
    # send SIGKILL instead, indistinguishable from any other kill
    _limit(resource.RLIMIT_CPU, limits["cpu_seconds"], margin=1)
    _limit(resource.RLIMIT_FSIZE, limits["file_size_mb"] * 1024 * 1024)
    _limit(resource.RLIMIT_NOFILE, limits["open_files"])
    if isinstance(uid, int):
        # the sandbox's private /tmp; unisolated, the host's private folder for this run
        workdir = os.path.join(os.environ.get("TMPDIR") or "/tmp", f"run-{uid}")  # noqa: S108
        os.makedirs(workdir, mode=0o700, exist_ok=True)
        os.chown(workdir, uid, uid)
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    else:
        import tempfile

        workdir = tempfile.mkdtemp(prefix="sustain-run-")
    _limit(resource.RLIMIT_NPROC, limits["processes"])
    os.chdir(workdir)
    os.environ["HOME"] = workdir

    proof = f"\n{MARKER}{token}\n".encode()
    del token
    guard = _guard()
    import logging  # its caller lookup walks frames: make it report no caller instead

    logging.currentframe = lambda: None  # type: ignore[assignment,return-value]
    sys.addaudithook(guard)
    del guard

    if status is not None:  # the host's start-up channel: closed before any program line runs
        os.write(status, BANNER.encode())
        os.close(status)

    # The program runs in a worker thread; the proof stays in this frame, in the main thread,
    # which only waits. Python signal handlers run in the main thread only, so a program cannot
    # install one, whose frame argument would lead through ``f_back`` to these locals (and
    # SIGINT, the one signal with a Python handler, is ignored: nothing interrupts the wait).
    # In a process the program forks, the forking thread is the only one: this frame is gone.
    import _thread
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    done = _thread.allocate_lock()
    done.acquire()
    try:
        try:
            _thread.start_new_thread(_run, (program, tests, done, compile, exec, write, exit_,
                                            BaseException, _where))
        except BaseException as exc:  # e.g. the user's process limit reached
            write(2, f"\nsustain-driver: failed: setup: {type(exc).__name__}: {exc}\n".encode())
            raise
        del program, tests
        done.acquire()  # released by the worker only once the tests returned
        _flush()
        write(1, proof)
        exit_(0)
    finally:
        exit_(1)


def _run(program: str, tests: str, done: Any, compile_: Any, exec_: Any,
         write: Callable[[int, bytes], int], exit_: Callable[[int], NoReturn],
         base_exception: type[BaseException], where: Callable[[BaseException], str]) -> None:
    """Run the program, then the tests (in the worker thread); release ``done`` if they return.

    Everything this needs was bound before any untrusted line ran (a program that replaces
    ``os._exit``, ``compile`` or ``BaseException`` changes nothing here); a failure ends the
    process with status 1.
    """
    phase = "setup"
    try:
        module = types.ModuleType("solution")
        module.__dict__["__builtins__"] = builtins
        sys.modules["solution"] = module
        namespace = module.__dict__
        phase = "program"
        exec_(compile_(program, "<program>", "exec", dont_inherit=True, optimize=0), namespace)
        phase = "tests"
        exec_(compile_(tests, "<tests>", "exec", dont_inherit=True, optimize=0), namespace)
    except base_exception as exc:  # every way out of the code is a failure
        try:
            _flush()
            try:
                text = str(exc)
                message = (f"{type(exc).__name__}: {text}" if text
                           else type(exc).__name__)[:500]
            except base_exception:  # a hostile __str__
                message = type(exc).__name__
            write(2, f"\nsustain-driver: failed: {phase}: {message}{where(exc)}\n".encode(
                "utf-8", "replace"))
        finally:
            exit_(1)
    done.release()


def _flush() -> None:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: S110 - a closed or replaced stream: the proof decides
        pass


def _guard() -> Callable[[str, tuple[Any, ...]], None]:
    """The audit hook: refuses the ways Python code could reach the proof.

    The builtins it needs are bound here, before any untrusted line runs, so a program that
    replaces ``str``, ``isinstance`` or ``len`` cannot switch a check off.
    """
    blocked_attributes = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})
    blocked_events = frozenset({"sys._current_frames", "sys._current_exceptions",
                                "gc.get_objects", "gc.get_referrers", "gc.get_referents",
                                "sys.settrace", "sys.setprofile", "ctypes.dlopen",
                                "ctypes.addressof", "ctypes.cdata", "ctypes.dlsym",
                                "ctypes.string_at", "ctypes.wstring_at", "ctypes.PyObj_FromPtr",
                                "sys.addaudithook"})
    # ctypes reads memory; a sub-interpreter has no audit hook; the test modules expose
    # interpreter internals. An extension module is found by the last part of its name, so
    # every part is checked (``x._ctypes`` loads ``_ctypes``).
    blocked_modules = frozenset({"ctypes", "_ctypes", "_ctypes_test", "_xxsubinterpreters",
                                 "_xxinterpchannels", "_interpreters", "_interpchannels",
                                 "_interpqueues", "_testcapi", "_testinternalcapi",
                                 "_testbuffer", "_testmultiphase", "_testsinglephase",
                                 "_testimportmultiple", "_testclinic", "_xxtestfuzz"})
    str_, bytes_, isinstance_, len_, fspath = str, bytes, isinstance, len, os.fspath
    as_text, decode, split, rsplit = str.__str__, bytes.decode, str.split, str.rsplit

    def text(value: Any) -> str:
        if isinstance_(value, str_):
            return as_text(value)  # the characters, whatever a subclass overrides
        if isinstance_(value, bytes_):
            return decode(bytes_(value), "utf-8", "surrogateescape")
        if isinstance_(value, int):
            return ""
        return text(fspath(value))

    def is_memory(path: object) -> bool:
        return rsplit(split(text(path), "\x00")[0].rstrip("/"), "/", 1)[-1] == "mem"

    def guard(event: str, args: tuple[Any, ...]) -> None:
        if event == "sys._getframe":
            # ValueError is what the standard library expects when no frame is available
            # (namedtuple, typing and enum then fall back to defaults)
            raise ValueError("frames are not available in the sandbox")
        if event in blocked_events:
            raise RuntimeError(f"{event} is not available in the sandbox")
        if event == "object.__getattr__" and len_(args) > 1 and args[1] in blocked_attributes:
            raise RuntimeError(f"attribute {args[1]} is not available in the sandbox")
        if event == "import" and args and not blocked_modules.isdisjoint(
                split(text(args[0]), ".")):
            # ImportError: what code that can do without the module expects (numpy does)
            raise ImportError(f"module {text(args[0])} is not available in the sandbox")
        if event in ("open", "os.symlink") and args and is_memory(args[0]):
            raise RuntimeError("process memory is not readable in the sandbox")

    return guard

main()
