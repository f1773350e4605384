"""The program that runs inside the sandbox: untrusted code, then its tests, then the proof.

It is started as ``python -I -c <this source>`` (standard library only, nothing imported from
the package) and reads one JSON object from its standard input::

    {"program": str, "tests": str, "token": str, "memory_mb": int, "cpu_seconds": int,
     "processes": int, "file_size_mb": int, "open_files": int, "uid": int | null}

Then, in this order, before any untrusted line runs: it replaces standard input with
``/dev/null``, lowers its own resource limits (soft = hard, so they cannot be raised again),
switches to the unprivileged ``uid`` when given (the sandbox starts it as root only when the
host runs as root), installs an audit hook, and moves to a fresh working folder under ``/tmp``.

The program runs as the module ``solution`` (so ``if __name__ == "__main__":`` blocks do not
run), the tests run in the same namespace, compiled with ``optimize=0`` so ``assert`` is
always active. Only when the tests return does the driver write the run's proof, the line
``MARKER + token``, to its standard output. The token was read from the input before any
untrusted code ran and lives only in this function's locals and in the audit hook's closure;
the hook refuses the ways Python code could reach them (frame and garbage-collector
introspection, tracing, ``ctypes``, reading process memory). A program that exits early
(``sys.exit``, ``os._exit``, a signal), redefines ``check``, patches ``AssertionError``,
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
from typing import Any

MARKER = "sustain-run-complete:"
BANNER = "sustain-driver: started\n"


def _limit(which: int, value: int) -> None:
    try:
        resource.setrlimit(which, (value, value))
    except (ValueError, OSError):
        _, hard = resource.getrlimit(which)
        if hard == resource.RLIM_INFINITY or value <= hard:
            raise
        resource.setrlimit(which, (hard, hard))


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
    _limit(resource.RLIMIT_CPU, limits["cpu_seconds"])
    _limit(resource.RLIMIT_FSIZE, limits["file_size_mb"] * 1024 * 1024)
    _limit(resource.RLIMIT_NOFILE, limits["open_files"])
    if isinstance(uid, int):
        workdir = f"/tmp/run-{uid}"  # noqa: S108 - the sandbox's private /tmp
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
    blocked_attributes = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})
    blocked_events = frozenset({"sys._current_frames", "gc.get_objects", "gc.get_referrers",
                                "gc.get_referents", "sys.settrace", "sys.setprofile",
                                "ctypes.dlopen", "ctypes.addressof", "ctypes.cdata",
                                "ctypes.dlsym", "sys.addaudithook"})

    def guard(event: str, args: tuple[Any, ...]) -> None:
        if event == "sys._getframe":
            # ValueError is what the standard library expects when no frame is available
            # (namedtuple, typing and enum then fall back to defaults)
            raise ValueError("frames are not available in the sandbox")
        if event in blocked_events:
            raise RuntimeError(f"{event} is not available in the sandbox")
        if event == "object.__getattr__" and len(args) > 1 and args[1] in blocked_attributes:
            raise RuntimeError(f"attribute {args[1]} is not available in the sandbox")
        if event == "import" and args and str(args[0]).split(".")[0] in ("ctypes", "_ctypes"):
            raise RuntimeError("ctypes is not available in the sandbox")
        if event == "open" and args and "/mem" in str(args[0]):
            raise RuntimeError("process memory is not readable in the sandbox")

    import logging  # its caller lookup walks frames: make it report no caller instead

    logging.currentframe = lambda: None  # type: ignore[assignment,return-value]
    sys.addaudithook(guard)

    if status is not None:  # the host's start-up channel: closed before any program line runs
        os.write(status, BANNER.encode())
        os.close(status)

    module = types.ModuleType("solution")
    module.__dict__["__builtins__"] = builtins
    sys.modules["solution"] = module
    namespace = module.__dict__
    compile_ = compile
    exec_ = exec
    write = os.write
    phase = "program"
    try:
        exec_(compile_(program, "<program>", "exec", dont_inherit=True, optimize=0), namespace)
        phase = "tests"
        exec_(compile_(tests, "<tests>", "exec", dont_inherit=True, optimize=0), namespace)
    except BaseException as exc:  # every way out of the code is a failure
        try:
            text = str(exc)
            message = (f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:500]
        except BaseException:  # a hostile __str__
            message = type(exc).__name__
        write(2, f"\nsustain-driver: failed: {phase}: {message}{_where(exc)}\n".encode(
            "utf-8", "replace"))
        os._exit(1)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: S110 - a closed or replaced stream: the proof decides
        pass
    write(1, proof)
    os._exit(0)


main()
