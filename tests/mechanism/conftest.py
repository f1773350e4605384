"""Fixtures of the mechanism tests: tiny models, and recorded runs replayed offline."""

from __future__ import annotations

import importlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import tiny

BODY = ("First we read the problem and note each quantity it gives us. Then we combine those "
        "quantities step by step, checking every partial result twice before moving")
N_ITEMS = 16

EXTRA_HINT = "pip install 'sustainscore[mechanism]'"


def need(*modules: str) -> None:
    """Import ``modules`` (the ``mechanism`` extra's packages) or stop the test: a failure
    under ``CI=true``, where the extra is installed and a missing package is a broken setup,
    never a silent skip; a skip elsewhere (usable at module level)."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            message = f"{name} cannot be imported ({exc}); {EXTRA_HINT}"
            if os.environ.get("CI") == "true":
                pytest.fail(message, pytrace=False)
            pytest.skip(message, allow_module_level=True)


@pytest.fixture(scope="session")
def tokenizers() -> dict[str, Any]:
    """One trained tokenizer per family."""
    need("tokenizers", "transformers")
    return {family: tiny.tokenizer(family) for family in tiny.FAMILIES}


@pytest.fixture(scope="session")
def model_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A saved tiny model (``--model`` folder) per family."""
    need("torch", "transformers")
    root = tmp_path_factory.mktemp("models")
    return {family: tiny.save(family, root / family) for family in tiny.FAMILIES}


@dataclass(frozen=True)
class RecordedRun:
    """A self-mode and a placebo-mode Inspect log of GSM8K replayed from known outputs.

    Items alternate: odd items answer wrong under the constraint (and the placebo), and items
    2-3 of every 4 write long outputs that break the ``length:max_words`` constraint.
    """

    logs: Path
    self_log: Path
    placebo_log: Path
    outputs: Path
    failed: frozenset[str]
    non_compliant: frozenset[str]


def _outputs(items: Any) -> tuple[list[dict[str, Any]], set[str], set[str]]:
    lines, failed, long = [], set(), set()
    for i, item in enumerate(items):
        lines.append({"id": item.id, "variant": "plain", "output": f"{BODY}.\n#### {item.target}"})
        wrong, longer = i % 2 == 1, i % 4 >= 2
        body = BODY + (" and on" * 40 if longer else "")
        final = str(int(item.target) + 1) if wrong else item.target
        for variant in ("constrained", "placebo"):
            lines.append({"id": item.id, "variant": variant, "output": f"{body}.\n#### {final}"})
        if wrong:
            failed.add(item.id)
        if longer:
            long.add(item.id)
    return lines, failed, long


@pytest.fixture(scope="session")
def recorded_run(tmp_path_factory: pytest.TempPathFactory, data_dir: Path
                 ) -> RecordedRun:
    from inspect_ai import eval as inspect_eval

    from sustain_tasks.benchmarks import get_benchmark
    from sustain_tasks.gsm8k import gsm8k

    root = tmp_path_factory.mktemp("run")
    items = get_benchmark("gsm8k").load(data_dir, limit=N_ITEMS)
    lines, failed, long = _outputs(items)
    outputs = root / "outputs.jsonl"
    outputs.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    logs = root / "logs"
    found = []
    mp = pytest.MonkeyPatch()
    mp.setenv("HF_HUB_OFFLINE", "1")
    try:
        for mode in ("self", "placebo"):
            (log,) = inspect_eval(gsm8k(mode=mode, kinds="length:max_words",
                                        data_dir=str(data_dir)),
                                  model="sustain/replay", model_args={"outputs": str(outputs)},
                                  limit=N_ITEMS, display="none", log_dir=str(logs / mode))
            assert log.status == "success", log.error
            found.append(Path(log.location))
    finally:
        mp.undo()
    return RecordedRun(logs, found[0], found[1], outputs, frozenset(failed), frozenset(long))
