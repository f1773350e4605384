"""Hostile programs: none passes, and the host is left untouched.

Every program runs in one parallel batch (:func:`run_many`, short timeout) before the checks;
the host-side traps (files, a listener, a secret in the environment) are set up first. Each
program fails its tests if it behaves, so any pass would be a forged one. Needs bubblewrap: a
failure under ``CI=true``, a skip elsewhere.
"""

from __future__ import annotations

import os
import secrets
import socket
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sustain_verifiers import execution
from sustain_verifiers.execution import Limits, RunResult, run_many

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
LIMITS = Limits(timeout=5, memory_mb=512)
MARK = secrets.token_hex(4)
SLEEP_ARG = f"317.{int(MARK, 16) % 1_000_000:06d}"  # `sleep` of a grandchild, unique to this run
SECRET = f"sk-test-{secrets.token_hex(12)}"

# HumanEval-style tests of ``f(x) == 2 * x``; the hostile programs never compute it.
TESTS = "def check(candidate):\n    assert candidate(2) == 4\n    assert candidate(5) == 10\n\n\n" \
        "check(f)\n"

# Looks for the proof (the marker and a 32-digit token) in what it is given, prints what it
# found as the driver would, and exits with status 0.
FINDER = r'''
import os, re, sys
PATTERN = re.compile("sustain-run-complete" + ":[0-9a-f]{32}")
found = set()

def look(value, depth=0):
    try:
        if isinstance(value, (bytes, bytearray)):
            value = bytes(value).decode("latin-1")
        if isinstance(value, str):
            found.update(PATTERN.findall(value))
        elif depth < 2 and isinstance(value, (list, tuple, set, frozenset)):
            for item in value:
                look(item, depth + 1)
        elif depth < 2 and isinstance(value, dict):
            for item in list(value.values()):
                look(item, depth + 1)
    except Exception:
        pass

def walk(frame):
    while frame is not None:
        look(dict(frame.f_locals), 0)
        frame = frame.f_back

def scan_memory(read):
    """Scan the writable mappings with read(address, size) -> bytes."""
    for line in open("/proc/self/maps"):
        parts = line.split()
        if "rw" not in parts[1]:
            continue
        low, high = (int(x, 16) for x in parts[0].split("-"))
        if high - low > (256 << 20):
            continue
        try:
            look(read(low, high - low))
        except Exception:
            pass

def report():
    sys.stdout.flush()
    for proof in found:
        os.write(1, ("\n" + proof + "\n").encode())
    os._exit(0)
'''


# Run by a child process: reads its parent's (the driver's) memory through /proc.
CHILD_READER = r'''
def read(address, size):
    with open("/proc/%d/mem" % os.getppid(), "rb") as mem:
        mem.seek(address)
        return mem.read(size)
for line in open("/proc/%d/maps" % os.getppid()).read().splitlines():
    low, high = (int(x, 16) for x in line.split()[0].split("-"))
    try:
        look(read(low, min(high - low, 1 << 26)))
    except Exception as exc:
        print(repr(exc), file=sys.stderr)
print("\n".join(found))
'''


@dataclass
class Case:
    program: str
    tests: str = TESTS
    outcomes: tuple[str, ...] = ("failed", "error", "timeout")
    """The acceptable outcomes (never ``passed``)."""


def finder(body: str) -> str:
    return FINDER + textwrap.dedent(body)


def cases(dirs: list[Path], address: str, port: int) -> dict[str, Case]:
    """The hostile programs, aimed at the host folders ``dirs`` and listener ``address:port``."""
    keep = [str(d / "keep.txt") for d in dirs]
    new = [str(d / f"new-{MARK}.txt") for d in dirs]
    return {
        # -- exiting early or forging the verdict ----------------------------------------
        "sys.exit(0) before the tests": Case("import sys\nsys.exit(0)\n"),
        "os._exit(0) before the tests": Case("import os\nos._exit(0)\n"),
        "exit(0) inside the function": Case(
            "def f(x):\n    import os\n    os._exit(0)\n"),
        "redefined check": Case(
            "import builtins\n"
            "def f(x):\n    return 0\n"
            "def check(candidate):\n    return True\n"
            "builtins.check = check\n"),
        "patched AssertionError": Case(
            "import builtins\n"
            "class Quiet(Exception):\n    pass\n"
            "builtins.AssertionError = Quiet\n"
            "def f(x):\n    return 0\n"),
        "patched os._exit": Case(
            "import os\n"
            "os._exit = lambda code: None\n"
            "def f(x):\n    return 0\n"),
        "patched BaseException": Case(
            "import builtins\n"
            "builtins.BaseException = type('B', (Exception,), {})\n"
            "def f(x):\n    return 0\n"),
        "patched builtins the audit hook might use": Case(finder("""
            import builtins
            real_str = str
            builtins.str = lambda *args: "harmless"
            builtins.isinstance = lambda *args: False
            builtins.len = lambda *args: 0
            try:
                import ctypes
                scan_memory(ctypes.string_at)
            except BaseException as exc:
                print(repr(exc))
            builtins.str = real_str
            report()
            """)),
        "patched driver globals": Case(
            "import sys\n"
            "main = sys.modules['__main__']\n"
            "for name in list(vars(main)):\n"
            "    if not name.startswith('__'):\n"
            "        setattr(main, name, lambda *a, **k: None)\n"
            "def f(x):\n    return 0\n"),
        "fake marker then os._exit(0)": Case(
            "import os, sys\n"
            f"print('\\nsustain-run-complete:' + '{'0' * 32}')\n"
            "sys.stdout.flush()\n"
            "os._exit(0)\n"),
        "forged driver failure line": Case(
            "import os, sys\n"
            "sys.stderr.write('sustain-driver: failed: tests: passed\\n')\n"
            "sys.stderr.flush()\n"
            "os._exit(0)\n"),
        "atexit prints a fake marker": Case(
            "import atexit, sys\n"
            f"atexit.register(lambda: print('sustain-run-complete:' + '{'f' * 32}'))\n"
            "sys.exit(0)\n"),
        "background thread os._exit(0) during the tests": Case(
            "import os, threading, time\n"
            "threading.Thread(target=lambda: (time.sleep(0.3), os._exit(0))).start()\n"
            "def f(x):\n    time.sleep(2)\n    return 0\n"),
        "sys.settrace patch": Case(
            "import sys\n"
            "def tracer(frame, event, arg):\n"
            "    if frame.f_code.co_name == 'check':\n"
            "        frame.f_globals['check'] = lambda c: None\n"
            "    return tracer\n"
            "sys.settrace(tracer)\n"
            "def f(x):\n    return 0\n"),
        "threading.settrace patch": Case(
            "import sys, threading\n"
            "threading.settrace(lambda *a: None)\n"
            "t = threading.Thread(target=lambda: None)\n"
            "t.start(); t.join()\n"
            "def f(x):\n    return 0\n"),
        "always-wrong answer": Case("def f(x):\n    return x + 1\n"),
        "syntax error": Case("def f(x)\n    return 2 * x\n", outcomes=("error",)),
        # -- looking for the token --------------------------------------------------------
        "frames via sys._getframe": Case(finder("""
            try:
                walk(sys._getframe())
            except BaseException as exc:
                print(repr(exc))
            report()
            """)),
        "frames via a traceback": Case(finder("""
            try:
                raise ValueError
            except ValueError:
                try:
                    walk(sys.exc_info()[2].tb_frame)
                except BaseException as exc:
                    print(repr(exc))
            report()
            """)),
        "frames via a generator": Case(finder("""
            def gen():
                yield 1
            g = gen()
            next(g)
            try:
                walk(g.gi_frame)
            except BaseException as exc:
                print(repr(exc))
            report()
            """)),
        "frames via gc.get_objects": Case(finder("""
            import gc
            try:
                for obj in gc.get_objects():
                    look(obj)
                    if type(obj).__name__ == "frame":
                        walk(obj)
            except BaseException as exc:
                print(repr(exc))
            report()
            """)),
        "frames via a signal handler": Case(finder("""
            import signal, time
            try:
                signal.signal(signal.SIGUSR1, lambda signum, frame: walk(frame))
                os.kill(os.getpid(), signal.SIGUSR1)
                time.sleep(0.2)
            except BaseException as exc:
                print(repr(exc))
            report()
            """)),
        "frames via a signal handler in a forked child": Case(finder("""
            import signal, time
            pid = os.fork()
            if pid == 0:
                try:
                    signal.signal(signal.SIGUSR1, lambda signum, frame: walk(frame))
                    os.kill(os.getpid(), signal.SIGUSR1)
                    time.sleep(0.2)
                except BaseException as exc:
                    print(repr(exc))
                report()
            os.waitpid(pid, 0)
            os._exit(0)
            """)),
        "frames via sys._current_frames": Case(finder("""
            try:
                for frame in sys._current_frames().values():
                    walk(frame)
            except BaseException as exc:
                print(repr(exc))
            report()
            """)),
        "memory via ctypes": Case(finder("""
            try:
                import ctypes
                scan_memory(ctypes.string_at)
            except BaseException as exc:
                print(repr(exc))
            report()
            """)),
        "memory via ctypes loaded under another name": Case(finder("""
            import glob, importlib.util
            try:
                path = glob.glob(sys.base_prefix + "/lib/python3*/lib-dynload/_ctypes.*so")[0]
                spec = importlib.util.spec_from_file_location("x._ctypes", path)
                module = importlib.util.module_from_spec(spec)
                sys.modules["_ctypes"] = module
                folder = os.path.dirname(os.__file__) + "/ctypes"
                source = open(folder + "/__init__.py").read()
                source = source.replace("pythonapi = PyDLL(None)", "pythonapi = None")
                source = source.replace("from ctypes._endian import",
                                        "BigEndianStructure = LittleEndianStructure = None\\n"
                                        "BigEndianUnion = LittleEndianUnion = None\\n"
                                        "if 0: from ctypes._endian import")
                namespace = {"__name__": "ctypes", "__file__": folder + "/__init__.py"}
                exec(compile(source, folder + "/__init__.py", "exec"), namespace)
                scan_memory(namespace["string_at"])
            except BaseException as exc:
                print(repr(exc))
            report()
            """)),
        "memory via a sub-interpreter": Case(finder("""
            try:
                import _xxsubinterpreters as interpreters
                interpreters.run_string(interpreters.create(), FINDER_SOURCE + \
                    "import ctypes\\nscan_memory(ctypes.string_at)\\nreport()\\n")
            except BaseException as exc:
                print(repr(exc))
            report()
            """).replace("FINDER_SOURCE", repr(FINDER))),
        "memory via /proc/self/mem": Case(finder("""
            def reader(path, dir_fd=None):
                fd = os.open(path, os.O_RDONLY, dir_fd=dir_fd)
                return lambda address, size: os.pread(fd, size, address)
            for attempt in (lambda: reader("/proc/self/mem"),
                            lambda: reader("mem", os.open("/proc/self", os.O_RDONLY)),
                            lambda: (os.symlink("/proc/self/mem", "m"), reader("m"))[1]):
                try:
                    scan_memory(attempt())
                except BaseException as exc:
                    print(repr(exc))
            report()
            """)),
        "memory of the driver from a child process": Case(finder("""
            import subprocess
            out = subprocess.run([sys.executable, "-c", FINDER_SOURCE + CHILD_SOURCE],
                                 capture_output=True, text=True).stdout
            print(out)
            found.update(out.split())
            report()
            """).replace("FINDER_SOURCE", repr(FINDER)).replace("CHILD_SOURCE",
                                                                repr(CHILD_READER))),
        # -- resources --------------------------------------------------------------------
        "infinite loop": Case("while True:\n    pass\n", outcomes=("timeout",)),
        "long sleep": Case("import time\ntime.sleep(3600)\n", outcomes=("timeout",)),
        "fork bomb": Case(
            "import os\n"
            "while True:\n"
            "    try:\n"
            "        os.fork()\n"
            "    except OSError:\n"
            "        pass\n"),
        "allocate 64 GB": Case("x = bytearray(64 << 30)\ndef f(x):\n    return 2 * x\n"),
        "growing memory": Case(
            "chunks = []\n"
            "while True:\n"
            "    chunks.append(bytearray(32 << 20))\n"),
        "disk fill in /tmp and the working folder": Case(
            "import os\n"
            "block = b'x' * (1 << 20)\n"
            "for folder in ('/tmp', '.'):\n"
            "    try:\n"
            "        for i in range(100_000):\n"
            "            with open(os.path.join(folder, f'fill-{i}'), 'wb') as fh:\n"
            "                for _ in range(8):\n"
            "                    fh.write(block)\n"
            "    except OSError as exc:\n"
            "        print(folder, exc)\n"
            "def f(x):\n    return 0\n"),
        "1 GB print": Case(
            "import sys\n"
            "for _ in range(1024):\n"
            "    sys.stdout.write('x' * (1 << 20))\n"
            "def f(x):\n    return 2 * x\n"),
        # -- the host ---------------------------------------------------------------------
        "delete and write host files": Case(
            "import os, shutil\n"
            f"for path in {keep!r}:\n"
            "    for action in (os.remove, lambda p: shutil.rmtree(os.path.dirname(p)),\n"
            "                   lambda p: open(p, 'w').write('overwritten')):\n"
            "        try:\n"
            "            action(path)\n"
            "        except OSError as exc:\n"
            "            print(exc)\n"
            f"for path in {[*new, str(REPO_ROOT / f'new-{MARK}.txt')]!r}:\n"
            "    try:\n"
            "        open(path, 'w').write('escaped')\n"
            "    except OSError as exc:\n"
            "        print(exc)\n"
            "def f(x):\n    return 0\n"),
        "connect to a host listener": Case(
            "import socket\n"
            f"for host in ('127.0.0.1', 'localhost', {address!r}):\n"
            "    try:\n"
            f"        socket.create_connection((host, {port}), timeout=1).sendall(b'hi')\n"
            "    except OSError as exc:\n"
            "        print(host, exc)\n"
            "def f(x):\n    return 0\n"),
        "kill the parent": Case(
            "import os, signal\n"
            "for target in (os.getppid(), 1):\n"
            "    try:\n"
            "        os.kill(target, signal.SIGKILL)\n"
            "    except OSError as exc:\n"
            "        print(exc)\n"
            "def f(x):\n    return 0\n"),
        "kill the process group and everything": Case(
            "import os, signal\n"
            "for kill in (lambda: os.kill(-1, signal.SIGKILL),\n"
            "             lambda: os.killpg(os.getpgid(0), signal.SIGKILL),\n"
            "             lambda: os.kill(0, signal.SIGKILL)):\n"
            "    try:\n"
            "        kill()\n"
            "    except OSError as exc:\n"
            "        print(exc, flush=True)\n"
            "def f(x):\n    return 0\n"),
        "grandchild left running": Case(
            "import subprocess\n"
            f"child = subprocess.Popen(['sleep', {SLEEP_ARG!r}], start_new_session=True)\n"
            "import os\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            f"    os.execv('/bin/sleep', ['sleep', {SLEEP_ARG!r}])\n"
            "print('started', child.pid, flush=True)\n"
            "def f(x):\n    return 0\n"),
        "environment dumped": Case(
            "import json, os\n"
            "dump = json.dumps(dict(os.environ))\n"
            "print(dump)\n"
            "for path in ('/proc/self/environ', '/proc/1/environ'):\n"
            "    try:\n"
            "        print(open(path, 'rb').read())\n"
            "    except OSError as exc:\n"
            "        print(exc)\n"
            f"for path in ('/tmp/env-{MARK}.txt', {str(dirs[0] / f'env-{MARK}.txt')!r},\n"
            f"             os.path.expanduser('~/env-{MARK}.txt')):\n"
            "    try:\n"
            "        open(path, 'w').write(dump)\n"
            "    except OSError as exc:\n"
            "        print(exc)\n"
            "def f(x):\n    return 0\n"),
        "home folders and secrets": Case(
            "import glob, os\n"
            "for pattern in ('/root/*', '/root/.*', '/home/*/*', '/run/*', '/var/tmp/*'):\n"
            "    print(pattern, glob.glob(pattern))\n"
            "def f(x):\n    return 0\n"),
    }


@dataclass
class HostTraps:
    dirs: list[Path]
    listener: socket.socket
    address: str
    port: int


@dataclass
class Batch:
    host: HostTraps
    cases: dict[str, Case]
    results: dict[str, RunResult]
    leftovers: list[str]


def _require_sandbox() -> None:
    problem = execution._bwrap_problem()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(problem)
        pytest.skip(problem)


def _host_address() -> str:
    """An address of this machine other than loopback, when it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def _processes(*needles: str) -> set[tuple[int, str]]:
    """(pid, start time) of live processes whose command line contains one of ``needles``."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(
                "utf-8", "replace")
            start = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[19]
        except OSError:
            continue
        if any(needle in cmdline for needle in needles):
            found.add((int(entry), start))
    return found


@pytest.fixture(scope="module")
def batch() -> Iterator[Batch]:
    _require_sandbox()
    dirs = [Path(tempfile.mkdtemp(prefix=f"sustain-hostile-{MARK}-", dir=base))
            for base in (REPO_ROOT.parent, "/var/tmp")]
    for folder in dirs:
        (folder / "keep.txt").write_text("original\n")
    address = _host_address()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("0.0.0.0", 0))  # loopback and the machine's own address
    listener.listen(8)
    listener.setblocking(False)
    host = HostTraps(dirs, listener, address, listener.getsockname()[1])
    all_cases = cases(dirs, address, host.port)
    drivers_before = _processes("sustain-driver")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPENAI_API_KEY", SECRET)
        mp.setenv("SUSTAIN_HOSTILE_SECRET", SECRET)
        runs = run_many([(c.program, c.tests) for c in all_cases.values()], LIMITS)
    results = dict(zip(all_cases, runs, strict=True))
    # what is still running from the batch: the grandchild's unique argument at once; a
    # driver (forked copies included) only if it outlives a grace period, so that the runs of
    # other test sessions on the machine, which come and go, are not counted
    leftovers = [f"sleep pid {pid}" for pid, _ in _processes(SLEEP_ARG)]
    stale = _processes("sustain-driver") - drivers_before
    deadline = time.monotonic() + 120  # not a speed claim: a grace period, left at once when empty
    while stale and time.monotonic() < deadline:  # not a speed claim
        time.sleep(0.5)
        stale &= _processes("sustain-driver")
    leftovers += [f"driver pid {pid}" for pid, _ in stale]
    try:
        yield Batch(host, all_cases, results, leftovers)
    finally:
        listener.close()
        for folder in dirs:
            for path in folder.iterdir():
                path.unlink()
            folder.rmdir()
        (REPO_ROOT / f"new-{MARK}.txt").unlink(missing_ok=True)


NAMES = list(cases([Path("/nonexistent")], "127.0.0.1", 1))


def test_enough_hostile_programs() -> None:
    assert len(NAMES) >= 22


@pytest.mark.parametrize("name", NAMES)
def test_hostile_program_is_not_passed(batch: Batch, name: str) -> None:
    result = batch.results[name]
    case = batch.cases[name]
    assert not result.passed, (result.detail, result.stdout[-500:], result.stderr[-500:])
    assert result.outcome in case.outcomes, (result.outcome, result.detail)


def test_no_token_found_by_any_program(batch: Batch) -> None:
    for name, result in batch.results.items():
        assert "sustain-run-complete:" not in result.stdout or "marker" in name, name


def test_host_files_untouched(batch: Batch) -> None:
    for folder in batch.host.dirs:
        assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]
        assert (folder / "keep.txt").read_text() == "original\n"
    assert not (REPO_ROOT / f"new-{MARK}.txt").exists()
    assert not Path(tempfile.gettempdir(), f"env-{MARK}.txt").exists()
    assert not Path.home().joinpath(f"env-{MARK}.txt").exists()


def test_listener_received_no_connection(batch: Batch) -> None:
    with pytest.raises(BlockingIOError):
        batch.host.listener.accept()


def test_secret_never_reaches_a_program(batch: Batch) -> None:
    for name, result in batch.results.items():
        assert SECRET not in result.stdout, name
        assert SECRET not in result.stderr, name
        assert "OPENAI_API_KEY" not in result.stdout, name
    env = batch.results["environment dumped"].stdout
    assert '"PATH"' in env  # the dump did run
    listing = batch.results["home folders and secrets"].stdout
    assert "/root/* []" in listing
    assert "/var/tmp/* []" in listing


def test_nothing_left_running(batch: Batch) -> None:
    assert "started" in batch.results["grandchild left running"].stdout
    assert batch.leftovers == []


def test_resource_cases_were_bounded(batch: Batch) -> None:
    assert batch.results["allocate 64 GB"].outcome == "error"
    assert "MemoryError" in batch.results["allocate 64 GB"].detail
    assert "MemoryError" in batch.results["growing memory"].detail
    printed = batch.results["1 GB print"]
    assert printed.outcome == "error"
    assert "File too large" in printed.detail  # the file size limit, on the output too
    assert len(printed.stdout) < LIMITS.output_chars + 100
    disk = batch.results["disk fill in /tmp and the working folder"]
    assert "No space left" in disk.stdout or "too large" in disk.stdout, disk.stdout[-300:]
    assert batch.results["fork bomb"].outcome == "timeout"
