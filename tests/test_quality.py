"""Lint and type checks run as part of the test suite, so CI cannot skip them."""

from __future__ import annotations

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
