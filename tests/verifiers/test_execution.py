"""The isolated test runner: outcomes, captured output, verdicts, parallel batches, refusal.

Runs through bubblewrap need it installed: without it these tests fail under ``CI=true`` and
are skipped elsewhere. No test asserts wall-clock durations (parallelism is shown by
overlapping intervals reported by the programs themselves).
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from sustain_verifiers import execution
from sustain_verifiers.execution import (
    MARKER,
    UNSAFE_ENV,
    Limits,
    RunResult,
    SandboxUnavailableError,
    interpret_run,
    isolation,
    run_many,
    run_tests,
    run_tests_async,
)

FAST = Limits(timeout=10)


@pytest.fixture(scope="module")
def sandbox() -> None:
    """Bubblewrap works here: a failure under CI=true, a skip elsewhere."""
    problem = execution._bwrap_problem()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(problem)
        pytest.skip(problem)


@pytest.fixture
def no_bwrap(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Bubblewrap looks uninstalled (the cached probe is cleared before and after)."""
    monkeypatch.delenv(UNSAFE_ENV, raising=False)
    monkeypatch.setattr(execution.shutil, "which", lambda *args, **kwargs: None)
    execution._bwrap_problem.cache_clear()
    yield
    monkeypatch.undo()
    execution._bwrap_problem.cache_clear()


# -- limits -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [{"timeout": 0}, {"timeout": -1}, {"timeout": 100_000},
                                    {"memory_mb": 0}, {"memory_mb": 64}, {"processes": 0},
                                    {"file_size_mb": 0}, {"open_files": 0},
                                    {"output_chars": 0}])
def test_limits_are_validated(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Limits(**kwargs)  # type: ignore[arg-type]


def test_cpu_limit_defaults_to_the_timeout_plus_one() -> None:
    assert Limits(timeout=2.5).cpu == 3
    assert Limits(timeout=2.5, cpu_seconds=7).cpu == 7


# -- outcomes ---------------------------------------------------------------------------------

@pytest.mark.sandbox
def test_passing_program(sandbox: None) -> None:
    result = run_tests("def f(x):\n    return x + 1\n", "assert f(1) == 2\n", FAST)
    assert (result.outcome, result.passed, result.exit_code) == ("passed", True, 0)
    assert result.isolation == "bubblewrap"
    assert result.seconds > 0


@pytest.mark.sandbox
def test_failing_assertion(sandbox: None) -> None:
    result = run_tests("def f(x):\n    return x\n", "assert f(1) == 2\n", FAST)
    assert (result.outcome, result.passed) == ("failed", False)
    assert result.detail.startswith("the tests raised AssertionError")
    assert result.exit_code == 1


@pytest.mark.sandbox
def test_humaneval_style_check(sandbox: None) -> None:
    tests = ("def check(candidate):\n    assert candidate(2) == 4\n    assert candidate(3) == 9\n"
             "\n\ncheck(square)\n")
    good = run_tests("def square(x):\n    return x * x\n", tests, FAST)
    bad = run_tests("def square(x):\n    return x + x\n", tests, FAST)
    assert (good.outcome, bad.outcome) == ("passed", "failed")


@pytest.mark.sandbox
def test_syntax_error_is_an_error(sandbox: None) -> None:
    result = run_tests("def f(:\n    return 1\n", "assert f() == 1\n", FAST)
    assert result.outcome == "error"
    assert "SyntaxError" in result.detail
    assert "before its tests started" in result.detail


@pytest.mark.sandbox
def test_exception_in_the_program_is_an_error(sandbox: None) -> None:
    result = run_tests("raise KeyError('boom')\n", "pass\n", FAST)
    assert result.outcome == "error"
    assert "KeyError" in result.detail


@pytest.mark.sandbox
def test_exception_in_the_tests_is_a_failure(sandbox: None) -> None:
    result = run_tests("def f():\n    return {}\n", "f()['missing']\n", FAST)
    assert result.outcome == "failed"
    assert "KeyError" in result.detail


@pytest.mark.slow
@pytest.mark.sandbox
def test_timeout(sandbox: None) -> None:
    result = run_tests("import time\ntime.sleep(60)\n", "pass\n", Limits(timeout=1))
    assert result.outcome == "timeout"
    assert result.exit_code is None
    assert "1 s" in result.detail


@pytest.mark.slow
@pytest.mark.sandbox
def test_cpu_limit_is_a_timeout(sandbox: None) -> None:
    result = run_tests("while True:\n    pass\n", "pass\n", Limits(timeout=30, cpu_seconds=1))
    assert result.outcome == "timeout"
    assert result.exit_code is not None  # ended by SIGXCPU, not by the deadline


@pytest.mark.sandbox
@pytest.mark.parametrize("exit_call", ["import sys\nsys.exit(0)", "import os\nos._exit(0)",
                                       "exit()", "raise SystemExit"])
def test_exit_before_the_tests_is_not_a_pass(sandbox: None, exit_call: str) -> None:
    result = run_tests(exit_call + "\n", "assert False\n", FAST)
    assert not result.passed
    assert result.outcome in ("failed", "error")


@pytest.mark.sandbox
def test_memory_limit(sandbox: None) -> None:
    result = run_tests("def f():\n    return bytearray(400 << 20)\n", "f()\n",
                       Limits(timeout=10, memory_mb=256))
    assert result.outcome == "failed"
    assert "MemoryError" in result.detail


@pytest.mark.slow
@pytest.mark.sandbox
def test_run_after_a_fork_bomb_in_the_same_slot(sandbox: None) -> None:
    # the bomb's processes may still be ending when the next run in its slot starts: they must
    # not count against that run's process limit
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    program = "import threading\nt = threading.Thread(target=print)\nt.start()\nt.join()\n"
    assert execution._run_one(bomb, "pass\n", Limits(timeout=2), "bubblewrap",
                              0).outcome == "timeout"
    # the same process limit; a generous timeout, so a loaded machine cannot fail the runs
    limits = Limits(timeout=120)
    after = [execution._run_one(program, "pass\n", limits, "bubblewrap", 0) for _ in range(3)]
    assert [r.outcome for r in after] == ["passed"] * 3, [r.detail for r in after]


@pytest.mark.sandbox
def test_program_too_large_is_not_run(sandbox: None) -> None:
    result = run_tests("x = 1\n" * 400_000, "pass\n", FAST)
    assert result.outcome == "error"
    assert "exceed" in result.detail


# -- captured output --------------------------------------------------------------------------

@pytest.mark.sandbox
def test_proof_line_is_removed_from_stdout(sandbox: None) -> None:
    result = run_tests("print('hello')\n", "print('from the tests')\n", FAST)
    assert result.passed
    assert result.stdout == "hello\nfrom the tests\n"
    assert MARKER not in result.stdout


@pytest.mark.sandbox
def test_output_of_a_failing_program_is_kept(sandbox: None) -> None:
    result = run_tests("print('progress so far')\n", "assert False\n", FAST)
    assert result.outcome == "failed"
    assert "progress so far" in result.stdout


@pytest.mark.sandbox
def test_captured_output_is_capped(sandbox: None) -> None:
    limits = Limits(timeout=10, output_chars=1000)
    program = ("import sys\nprint('A' * 20 + 'x' * 200_000 + 'Z' * 20)\n"
               "sys.stderr.write('e' * 200_000 + '\\n')\n")
    result = run_tests(program, "pass\n", limits)
    assert result.passed
    assert len(result.stdout) < 1200
    assert len(result.stderr) < 1200
    assert "cut" in result.stdout
    assert result.stdout.startswith("A" * 20)
    assert result.stdout.rstrip("\n").endswith("Z" * 20)
    assert MARKER not in result.stdout


@pytest.mark.sandbox
def test_environment_is_scrubbed(sandbox: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUSTAIN_TEST_SECRET", "sk-test-do-not-leak")
    result = run_tests("import os\nprint(sorted(os.environ))\n", "pass\n", FAST)
    assert result.passed
    assert "SUSTAIN_TEST_SECRET" not in result.stdout
    assert "sk-test" not in result.stdout


# -- interpret_run ----------------------------------------------------------------------------

TOKEN = "0123456789abcdef0123456789abcdef"
PROOF = f"\n{MARKER}{TOKEN}\n"


def verdict(exit_code: int | None, stdout: str = "", stderr: str = "", *,
            timed_out: bool = False, limits: Limits = FAST) -> RunResult:
    return interpret_run(token=TOKEN, exit_code=exit_code, stdout=stdout, stderr=stderr,
                         timed_out=timed_out, seconds=0.5, limits=limits,
                         isolation="bubblewrap")


def test_interpret_pass_needs_the_proof_and_status_zero() -> None:
    passed = verdict(0, "out\n" + PROOF)
    assert (passed.outcome, passed.stdout) == ("passed", "out\n")
    assert verdict(0, "out\n").outcome == "failed"
    assert verdict(1, "out\n" + PROOF).outcome == "failed"


def test_interpret_deadline_is_a_timeout_even_with_the_proof() -> None:
    result = verdict(None, PROOF, timed_out=True)
    assert result.outcome == "timeout"
    assert "no result within" in result.detail


@pytest.mark.parametrize("code", [-int(signal.SIGXCPU), 128 + int(signal.SIGXCPU)])
def test_interpret_cpu_limit_signal_is_a_timeout(code: int) -> None:
    assert code in (-24, 152)
    result = verdict(code)
    assert result.outcome == "timeout"
    assert "CPU" in result.detail


@pytest.mark.parametrize("code", [-int(signal.SIGXFSZ), 128 + int(signal.SIGXFSZ)])
def test_interpret_file_size_signal_is_a_failure(code: int) -> None:
    result = verdict(code, PROOF)
    assert result.outcome == "failed"
    assert "file size" in result.detail


@pytest.mark.parametrize("code", [-9, 137, -11])
def test_interpret_killed_or_crashed_is_a_failure(code: int) -> None:
    assert verdict(code).outcome == "failed"


def test_interpret_driver_failure_lines() -> None:
    program = verdict(1, stderr="Traceback ...\nsustain-driver: failed: program: "
                                "NameError: name 'x' is not defined (line 3)\n")
    assert program.outcome == "error"
    assert "NameError: name 'x' is not defined (line 3)" in program.detail
    tests = verdict(1, stderr="\nsustain-driver: failed: tests: AssertionError (line 2)\n")
    assert tests.outcome == "failed"
    assert tests.detail == "the tests raised AssertionError (line 2)"


def test_interpret_setup_failure_is_an_error() -> None:
    result = verdict(1, stderr="\nsustain-driver: failed: setup: RuntimeError: can't start new "
                               "thread\n")
    assert result.outcome == "error"
    assert "could not start the program" in result.detail


def test_interpret_last_failure_line_counts() -> None:
    stderr = ("sustain-driver: failed: program: Fake: printed by the program\n"
              "\nsustain-driver: failed: tests: AssertionError (line 1)\n")
    result = verdict(1, stderr=stderr)
    assert (result.outcome, result.detail) == ("failed", "the tests raised AssertionError "
                                                         "(line 1)")


@pytest.mark.parametrize("stdout", [
    f"\n{MARKER}{'f' * 32}\n",  # a guessed token
    f"\n{MARKER}\n",  # the marker alone
    f"{MARKER}{TOKEN[:-1]}\n",  # almost the token
])
def test_interpret_forged_proof_is_not_a_pass(stdout: str) -> None:
    assert verdict(0, stdout).outcome == "failed"


def test_interpret_forged_driver_failure_line_cannot_pass() -> None:
    for phase in ("program", "tests", "passed"):
        forged = f"sustain-driver: failed: {phase}: all tests ran to completion\n"
        assert not verdict(0, "", forged).passed
        assert not verdict(0, forged, forged).passed
    assert verdict(0, f"\n{MARKER}{'0' * 32}\n",
                   "sustain-driver: failed: tests: x\n").outcome == "failed"


def test_interpret_caps_output() -> None:
    limits = Limits(timeout=10, output_chars=100)
    result = verdict(0, "x" * 10_000 + PROOF, "y" * 10_000, limits=limits)
    assert result.passed
    assert len(result.stdout) < 200
    assert len(result.stderr) < 200
    assert "characters cut" in result.stdout


# -- run_many ---------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.sandbox
def test_run_many_keeps_order_and_runs_in_parallel(sandbox: None) -> None:
    # the jobs stamp their start and end: overlapping runs, not their speed, are checked
    program = ("import time\n"
               "print('start', repr(time.time()))\n"  # not a speed claim
               "time.sleep(1)\n"
               "print('end', repr(time.time()))\n"  # not a speed claim
               "print('job', {i})\n")
    jobs = [(program.format(i=i), "pass\n") for i in range(4)]
    done: list[int] = []
    results = run_many(jobs, FAST, workers=4, on_done=lambda i, _: done.append(i))
    assert [r.outcome for r in results] == ["passed"] * 4
    assert sorted(done) == [0, 1, 2, 3]
    intervals = []
    for i, result in enumerate(results):
        lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
        assert lines["job"] == str(i)
        intervals.append((float(lines["start"]), float(lines["end"])))
    overlapping = [(a, b) for a in range(4) for b in range(a + 1, 4)
                   if intervals[a][0] < intervals[b][1] and intervals[b][0] < intervals[a][1]]
    assert overlapping, intervals


@pytest.mark.slow
@pytest.mark.sandbox
def test_run_many_mixed_outcomes_in_order(sandbox: None) -> None:
    jobs = [("x = 1\n", "assert x == 1\n"), ("x = 2\n", "assert x == 1\n"),
            ("def f(:\n", "pass\n"), ("import time\ntime.sleep(30)\n", "pass\n")]
    results = run_many(jobs, Limits(timeout=4))
    assert [r.outcome for r in results] == ["passed", "failed", "error", "timeout"]


def test_run_many_of_nothing(sandbox: None) -> None:
    assert run_many([]) == []


@pytest.mark.sandbox
def test_run_tests_async(sandbox: None) -> None:
    async def both() -> list[RunResult]:
        return list(await asyncio.gather(run_tests_async("x = 1\n", "assert x\n", FAST),
                                         run_tests_async("x = 0\n", "assert x\n", FAST)))

    assert [r.outcome for r in asyncio.run(both())] == ["passed", "failed"]


# -- isolation and its refusal ----------------------------------------------------------------

def test_isolation_refuses_without_bubblewrap(no_bwrap: None) -> None:
    with pytest.raises(SandboxUnavailableError) as info:
        isolation()
    message = str(info.value)
    assert "\n" not in message
    assert "'bubblewrap'" in message  # the package to install
    assert UNSAFE_ENV in message  # and the explicit opt-out
    with pytest.raises(SandboxUnavailableError):
        run_tests("x = 1\n", "pass\n", FAST)
    with pytest.raises(SandboxUnavailableError):
        run_many([("x = 1\n", "pass\n")], FAST)
    with pytest.raises(SandboxUnavailableError):
        isolation(unsafe=False)


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_isolation_env_opt_in(no_bwrap: None, monkeypatch: pytest.MonkeyPatch,
                              value: str) -> None:
    monkeypatch.setenv(UNSAFE_ENV, value)
    assert isolation() == "none"
    with pytest.raises(SandboxUnavailableError):
        isolation(unsafe=False)  # an explicit refusal beats the variable


def test_isolation_env_other_values_refuse(no_bwrap: None,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(UNSAFE_ENV, "0")
    with pytest.raises(SandboxUnavailableError):
        isolation()


@pytest.mark.slow
def test_unsafe_mode_runs_with_limits(no_bwrap: None) -> None:
    assert isolation(unsafe=True) == "none"
    ok = run_tests("def f():\n    return 3\n", "assert f() == 3\n", FAST, unsafe=True)
    assert (ok.outcome, ok.isolation) == ("passed", "none")
    wrong = run_tests("def f():\n    return 2\n", "assert f() == 3\n", FAST, unsafe=True)
    assert wrong.outcome == "failed"
    memory = run_tests("x = bytearray(600 << 20)\n", "pass\n",
                       Limits(timeout=10, memory_mb=256), unsafe=True)
    assert memory.outcome == "error"
    assert "MemoryError" in memory.detail
    slow = run_tests("import time\ntime.sleep(60)\n", "pass\n", Limits(timeout=1),
                     unsafe=True)
    assert slow.outcome == "timeout"
    many = run_many([("x = 1\n", "assert x\n"), ("x = 0\n", "assert x\n")], FAST,
                    unsafe=True)
    assert [(r.outcome, r.isolation) for r in many] == [("passed", "none"),
                                                        ("failed", "none")]


def test_unsafe_mode_leaves_no_working_folder(no_bwrap: None) -> None:
    result = run_tests("import os\nopen('left-behind', 'w').write('x')\nprint(os.getcwd())\n",
                       "pass\n", FAST, unsafe=True)
    assert result.passed
    workdir = Path(result.stdout.strip())
    assert workdir.name.startswith(("sustain-run-", "run-"))
    assert not workdir.exists()
    assert not workdir.parent.exists()  # the run's private folder, removed with its contents


@pytest.mark.sandbox
def test_bubblewrap_is_used_when_present(sandbox: None) -> None:
    assert isolation() == "bubblewrap"
    assert isolation(unsafe=True) == "bubblewrap"  # the opt-in never weakens a working sandbox
