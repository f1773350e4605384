"""``inspect eval`` from the command line, offline, and the cost of the entry point import."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.log import EvalLog, list_eval_logs, read_eval_log

REPO_ROOT = Path(__file__).resolve().parents[2]
HEAVY_MODULES = ("datasets", "lm_eval", "sympy", "math_verify", "tiktoken", "torch")

pytestmark = [pytest.mark.inspect, pytest.mark.slow]


def inspect_cli(*args: str, cwd: Path, env: dict[str, str]) -> EvalLog:
    """Run ``inspect eval ...`` and return the one log it wrote (the exit code says little)."""
    exe = shutil.which("inspect", path=str(Path(sys.executable).parent)) or shutil.which(
        "inspect")
    command = [exe] if exe else [sys.executable, "-m", "inspect_ai"]
    done = subprocess.run([*command, "eval", *args, "--display", "plain"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    logs = list_eval_logs(env["INSPECT_LOG_DIR"])
    assert len(logs) == 1, done.stdout + done.stderr
    return read_eval_log(logs[0])


def metrics(log: EvalLog) -> dict[str, Any]:
    assert log.results is not None
    return {name: m.value for name, m in log.results.scores[0].metrics.items()}


def sustained(n: int, *, graded: bool) -> dict[str, float]:
    """The metrics of a run in which every plain and constrained answer is right."""
    expected = {"plain_accuracy": 1.0, "constrained_accuracy": 1.0, "sustain_score": 1.0,
                "compliance": 1.0, "compliance_loose": 1.0, "n_sustain": float(n)}
    if graded:
        expected |= {"plain_f1": 1.0, "constrained_f1": 1.0}
    return expected


@pytest.mark.parametrize(("bench", "limit", "kinds"), [
    ("gsm8k", 20, "length,format"),
    ("math500", 5, None),
    ("hotpotqa", 5, None),
])
def test_task_file_self_mode_with_reference_model(subprocess_env: dict[str, str], bench: str,
                                                  limit: int, kinds: str | None) -> None:
    args = ["-T", f"kinds={kinds}"] if kinds else []
    log = inspect_cli(f"sustain_tasks/{bench}.py", "--model", "sustain/reference", *args,
                      "--limit", str(limit), cwd=REPO_ROOT, env=subprocess_env)
    assert log.status == "success", log.error
    assert log.eval.task == f"sustain_{bench}"
    assert log.eval.task_args["mode"] == "self"  # the default
    if kinds:
        assert log.eval.task_args["kinds"] == kinds.split(",")
    assert metrics(log) == sustained(limit, graded=bench == "hotpotqa")


@pytest.mark.parametrize("bench", ["gsm8k", "math500", "hotpotqa"])
def test_installed_task_name(subprocess_env: dict[str, str], tmp_path: Path, replay: Any,
                             bench: str) -> None:
    """``inspect eval sustain_tasks/<bench>`` from a folder without the task files."""
    if not any(ep.value == "sustain_tasks._registry"
               for ep in entry_points(group="inspect_ai")):
        message = "sustainscore is not installed (pip install -e .)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    if bench == "gsm8k":  # recorded outputs whose metrics were counted by hand
        model = ["sustain/replay", "-M", f"outputs={replay.path}", "-T", "kinds=length:max_words"]
        expected = replay.expected
    else:
        model = ["sustain/reference", "-T", "mode=reference"]
        expected = sustained(5, graded=bench == "hotpotqa")
    log = inspect_cli(f"sustain_tasks/{bench}", "--model", *model, "--limit", "5",
                      cwd=tmp_path, env=subprocess_env)
    assert log.status == "success", log.error
    assert log.eval.task == f"sustain_{bench}"
    assert log.eval.model == model[0]
    assert metrics(log) == expected


def test_bad_task_argument_fails_with_its_name(subprocess_env: dict[str, str]) -> None:
    exe = shutil.which("inspect", path=str(Path(sys.executable).parent)) or "inspect"
    done = subprocess.run([exe, "eval", "sustain_tasks/gsm8k.py", "--model",
                           "sustain/reference", "-T", "mode=bogus", "--display", "plain"],
                          cwd=REPO_ROOT, env=subprocess_env, capture_output=True, text=True,
                          timeout=300, check=False)
    output = done.stdout + done.stderr
    assert "field 'mode': must be one of" in re.sub(r"\s+", " ", output)
    assert "Traceback" not in output


def test_registry_import_is_cheap() -> None:
    done = subprocess.run([sys.executable, "-X", "importtime", "-c",
                           "import sustain_tasks._registry"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
                          check=True)
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")}
    top_level = {name.strip().split(".")[0] for name in imported}
    assert "inspect_ai" in top_level  # the check sees real imports
    assert not top_level & set(HEAVY_MODULES), sorted(top_level & set(HEAVY_MODULES))


def test_nan_metrics_survive_the_log(subprocess_env: dict[str, str]) -> None:
    log = inspect_cli("sustain_tasks/gsm8k.py", "--model", "sustain/reference",
                      "-T", "mode=plain", "--limit", "2", cwd=REPO_ROOT, env=subprocess_env)
    assert log.status == "success"
    assert math.isnan(metrics(log)["sustain_score"])


def test_relative_data_dir_means_the_shell_folder(subprocess_env: dict[str, str],
                                                  data_dir: Path) -> None:
    """Inspect runs a task file from its own folder; ``-T data_dir=REL`` still means the
    folder the command was typed in (as ``SUSTAIN_DATA_DIR=REL`` does)."""
    env = {k: v for k, v in subprocess_env.items() if k != "SUSTAIN_DATA_DIR"}
    relative = Path("..") / data_dir.relative_to(REPO_ROOT.parent)
    env["PWD"] = str(REPO_ROOT)
    log = inspect_cli("sustain_tasks/gsm8k.py", "--model", "sustain/reference", "-T",
                      f"data_dir={relative}", "--limit", "2", cwd=REPO_ROOT, env=env)
    assert log.status == "success", log.error
    assert metrics(log) == sustained(2, graded=False)
