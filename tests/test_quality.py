"""Lint and type checks run as part of the test suite, so CI cannot skip them."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=600,
                          check=False)


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.fail("ruff is not installed: pip install -e '.[dev]'")
    result = _run(ruff, "check", "sustain_tasks", "verifiers", "task_configs", "tests")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = _run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_python_parse_goes_through_the_lock() -> None:
    """``ast.parse`` in two threads at once can fail on CPython < 3.12 (see
    ``sustain_verifiers.code.parse_python``): the package parses only through that helper."""
    direct = []
    for folder in ("sustain_tasks", "verifiers"):
        for path in sorted((REPO / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                if "ast.parse(" in code and "``ast.parse" not in line and \
                        not line.lstrip().startswith("return ast.parse(source)"):
                    direct.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert direct == []


CLOCK_RE = re.compile(r"\b(?:perf_counter|monotonic|process_time)(?:_ns)?\(|\btime\.time(?:_ns)?\(")
"""A clock read: how a test would time something."""
NOT_A_SPEED_CLAIM = "# not a speed claim"


def test_no_test_reads_the_clock() -> None:
    """Tests must pass on a busy 2-core machine, so none asserts how long something took: they
    state what they prove structurally (a verdict's mechanism, the thread a call ran in, an
    ordering, a count of work), the suite's per-test timeout catches a hang, and speed claims
    live in the benchmarks of ``tests/perf/``, run by hand. A clock read outside ``tests/perf/``
    needs the marker ``# not a speed claim`` on its line (e.g. a deadline that only bounds a
    wait)."""
    found = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        if (REPO / "tests" / "perf") in path.parents:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if CLOCK_RE.search(line) and NOT_A_SPEED_CLAIM not in line:
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert found == []


def test_the_clock_rule_sees_clock_reads() -> None:
    clocks = ["time.perf_counter", "perf_counter_ns", "time.monotonic", "time.time",
              "time.process_time"]
    hits = [f"elapsed = {clock}() - start" for clock in clocks]
    misses = ["datetime.fromisoformat(x)", "sample.total_time", "sleep_time(3)",
              "loop.run_in_executor()"]
    assert [h for h in hits if not CLOCK_RE.search(h)] == []
    assert [m for m in misses if CLOCK_RE.search(m)] == []
