"""Fixtures for the Inspect tests: offline environment, items, and recorded outputs whose
metrics are known by hand."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sustain_tasks.benchmarks import Item, get_benchmark

REPO_ROOT = Path(__file__).resolve().parents[2]
TASK_FILE = REPO_ROOT / "sustain_tasks" / "gsm8k.py"

# 25 words without digits: the max_words bound extracted from it is a round number above 25
BODY = (
    "First we read the problem and note each quantity it gives us. Then we combine those "
    "quantities step by step, checking every partial result twice before moving"
)
PREAMBLE = "Sure, here is my careful and complete answer to this problem for you:"


def answer(target: str, *, wrong: bool = False, preamble: bool = False) -> str:
    """A worked answer ending in ``#### N`` (N off by one when ``wrong``)."""
    final = str(int(target) + 1) if wrong else target
    text = f"{BODY}.\n#### {final}"
    return f"{PREAMBLE}\n{text}" if preamble else text


def write_jsonl(path: Path, lines: Sequence[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@dataclass(frozen=True)
class ReplayCase:
    path: Path
    lines: list[dict[str, Any]]
    expected: dict[str, float]
    """Expected task metrics."""
    values: dict[str, dict[str, Any]]
    """Expected ``Score.value`` per sample id."""


def _value(plain: float, constrained: float | None, compliant: float | None,
           loose: float | None) -> dict[str, Any]:
    ran = constrained is not None
    return {"plain": plain, "constrained": constrained, "compliant": compliant,
            "compliant_loose": loose, "placebo": None, "retest": None,
            "in_s": 1.0 if ran else 0.0, "n_constraints": 1 if ran else 0,
            "plain_f1": None, "constrained_f1": None}


def replay_case(folder: Path, items: Sequence[Item]) -> ReplayCase:
    """Recorded outputs for GSM8K items 0-4 (self mode, kinds=length:max_words).

    - 0: plain correct; constrained correct and compliant.
    - 1: plain correct; constrained wrong, compliant.
    - 2: plain correct; constrained correct, compliant only loosely (an extra first line).
    - 3: keyed by question text: plain correct; constrained wrong, compliant.
    - 4: plain wrong (one line for every variant): not in S, no constrained run.
    """
    t = [item.target for item in items]
    lines: list[dict[str, Any]] = [
        {"id": "0", "variant": "plain", "output": answer(t[0])},
        {"id": "0", "variant": "constrained", "output": answer(t[0])},
        {"id": 1, "variant": "plain", "output": answer(t[1])},
        {"id": "1", "variant": "constrained", "output": answer(t[1], wrong=True)},
        {"id": "2", "variant": "plain", "output": answer(t[2])},
        {"id": "2", "variant": "constrained", "output": answer(t[2], preamble=True)},
        {"question": items[3].question, "variant": "plain", "output": answer(t[3])},
        {"question": items[3].question, "variant": "constrained",
         "output": answer(t[3], wrong=True)},
        {"id": "4", "output": answer(t[4], wrong=True), "target": t[4]},
    ]
    values = {
        "0": _value(1.0, 1.0, 1.0, 1.0),
        "1": _value(1.0, 0.0, 1.0, 1.0),
        "2": _value(1.0, 1.0, 0.0, 1.0),
        "3": _value(1.0, 0.0, 1.0, 1.0),
        "4": _value(0.0, None, None, None),
    }
    expected = {"plain_accuracy": 0.8, "constrained_accuracy": 0.5, "sustain_score": 0.5,
                "compliance": 0.75, "compliance_loose": 1.0, "n_sustain": 4.0}
    return ReplayCase(write_jsonl(folder / "outputs.jsonl", lines), lines, expected, values)


@pytest.fixture
def inspect_env(monkeypatch: pytest.MonkeyPatch, data_dir: Path, tmp_path: Path) -> Path:
    """Local data, offline hub, logs under ``tmp_path``; returns the log folder."""
    logs = tmp_path / "logs"
    monkeypatch.setenv("SUSTAIN_DATA_DIR", str(data_dir))
    monkeypatch.setenv("INSPECT_LOG_DIR", str(logs))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    return logs


@pytest.fixture
def subprocess_env(inspect_env: Path) -> dict[str, str]:
    """The same environment for an ``inspect`` subprocess."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT), str(REPO_ROOT / "verifiers"), env.get("PYTHONPATH", "")])
    env["NO_COLOR"] = "1"
    return env


@pytest.fixture
def gsm8k_items(data_dir: Path) -> list[Item]:
    return get_benchmark("gsm8k").load(data_dir, limit=5)


@pytest.fixture
def replay(tmp_path: Path, gsm8k_items: list[Item]) -> ReplayCase:
    """Recorded outputs for GSM8K items 0-4 with their expected scores and metrics."""
    return replay_case(tmp_path, gsm8k_items)
