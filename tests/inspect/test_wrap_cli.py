"""``inspect eval sustain_tasks/wrap.py -T task=<spec>``: file specs and registry names."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.log import EvalLog, list_eval_logs, read_eval_log

from sustain_tasks import sustain
from tests.inspect.wrap_cases import (
    EXPECTED,
    KINDS,
    TASK_SOURCE,
    replay_lines,
    same_metrics,
    write_jsonl,
)

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.inspect, pytest.mark.slow]


def inspect_command() -> list[str]:
    exe = shutil.which("inspect", path=str(Path(sys.executable).parent)) or shutil.which(
        "inspect")
    return [exe] if exe else [sys.executable, "-m", "inspect_ai"]


def inspect_cli(*args: str, cwd: Path, env: dict[str, str]) -> tuple[EvalLog | None, str]:
    """Run ``inspect eval ...``; the one log it wrote (None when it wrote none) and its
    output."""
    done = subprocess.run([*inspect_command(), "eval", *args, "--display", "plain"], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    logs = list_eval_logs(env["INSPECT_LOG_DIR"])
    assert len(logs) <= 1
    output = done.stdout + done.stderr
    return (read_eval_log(logs[0]) if logs else None), output


def metrics(log: EvalLog) -> dict[str, Any]:
    assert log.results is not None
    return {name: m.value for name, m in log.results.scores[0].metrics.items()}


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "outputs.jsonl", replay_lines())


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A throw-away package ``apple_evals`` registering the ``apples`` task through an
    ``inspect_ai`` entry point, in a folder that is importable once put on the path (nothing
    is installed)."""
    root = tmp_path / "site-packages"
    package = root / "apple_evals"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "tasks.py").write_text(TASK_SOURCE, encoding="utf-8")
    (package / "_registry.py").write_text("from apple_evals.tasks import apples\n\n"
                                          "__all__ = ['apples']\n", encoding="utf-8")
    info = root / "apple_evals-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: apple_evals\nVersion: 0.1\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text("[inspect_ai]\napple_evals = apple_evals._registry\n",
                                           encoding="utf-8")
    return root


def test_task_file_spec(subprocess_env: dict[str, str], tmp_path: Path,
                        outputs: Path) -> None:
    (tmp_path / "apples_task.py").write_text(TASK_SOURCE, encoding="utf-8")
    log, output = inspect_cli("sustain_tasks/wrap.py", "-T", f"task={tmp_path}/apples_task.py",
                              "-T", f"kinds={KINDS}", "--model", "sustain/replay", "-M",
                              f"outputs={outputs}", cwd=REPO_ROOT, env=subprocess_env)
    assert log is not None, output
    assert log.status == "success", log.error
    assert log.eval.task == "sustain_apples"
    assert log.eval.task_args["task"] == f"{tmp_path}/apples_task.py"
    assert same_metrics(metrics(log), EXPECTED["self"]), metrics(log)


def test_relative_file_spec_means_the_shell_folder(subprocess_env: dict[str, str],
                                                   tmp_path: Path, outputs: Path) -> None:
    """Inspect runs wrap.py from its own folder; a relative spec is still read from the
    folder the command was typed in."""
    (tmp_path / "apples_task.py").write_text(TASK_SOURCE, encoding="utf-8")
    env = {**subprocess_env, "PWD": str(tmp_path)}
    log, output = inspect_cli(str(REPO_ROOT / "sustain_tasks" / "wrap.py") + "@wrap", "-T",
                              "task=apples_task.py@apples", "-T", f"kinds={KINDS}", "-T",
                              "mode=retest", "--model", "sustain/replay", "-M",
                              f"outputs={outputs}", cwd=tmp_path, env=env)
    assert log is not None, output
    assert log.status == "success", log.error
    assert same_metrics(metrics(log), EXPECTED["retest"]), metrics(log)


def test_registry_name_of_an_installed_package(subprocess_env: dict[str, str], site: Path,
                                               outputs: Path) -> None:
    env = {**subprocess_env,
           "PYTHONPATH": os.pathsep.join([str(site), subprocess_env["PYTHONPATH"]])}
    log, output = inspect_cli("sustain_tasks/wrap.py", "-T", "task=apple_evals/apples", "-T",
                              f"kinds={KINDS}", "-T", "mode=reference", "--model",
                              "sustain/replay", "-M", f"outputs={outputs}", cwd=REPO_ROOT,
                              env=env)
    assert log is not None, output
    assert log.status == "success", log.error
    assert log.eval.task == "sustain_apples"
    assert same_metrics(metrics(log), EXPECTED["reference"]), metrics(log)


def test_registry_name_in_python(monkeypatch: pytest.MonkeyPatch, inspect_env: Path,
                                 site: Path) -> None:
    monkeypatch.syspath_prepend(str(site))
    task = sustain("apple_evals/apples", kinds=KINDS)
    assert task.name == "sustain_apples"
    assert task.metadata is not None
    assert task.metadata["sustain"]["wrapped_task"] == "apple_evals/apples"


@pytest.mark.parametrize(("args", "message"), [
    (["-T", "task=nowhere.py@x"], "field 'task': 'nowhere.py@x' is neither a task file"),
    (["-T", "task=apples_pkg_missing/apples"],
     "'apples_pkg_missing/apples' is neither a task file nor a registered task"),
    (["-T", "task=sustain_tasks/gsm8k", "-T", "mode=plain"],
     "is already a SustainScore task; run it directly"),
])
def test_refusals_on_the_command_line(subprocess_env: dict[str, str], args: list[str],
                                      message: str) -> None:
    log, output = inspect_cli("sustain_tasks/wrap.py", *args, "--model", "sustain/reference",
                              cwd=REPO_ROOT, env=subprocess_env)
    assert log is None
    assert message in re.sub(r"\s+", " ", output)
    assert "Traceback" not in output
