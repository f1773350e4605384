"""The task YAML: every file parses with lm-eval's loader and every task is indexed.

lm-eval skips a YAML file that fails to parse with only a DEBUG log, so a broken file would
otherwise surface as "Tasks not found" at run time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from sustain_tasks.benchmarks import BENCHMARKS
from sustain_tasks.lm_eval import include_path, task_manager

pytestmark = pytest.mark.lm_eval

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIGS = REPO_ROOT / "task_configs"


def _config_files() -> list[Path]:
    files = sorted(CONFIGS.rglob("*.yaml")) + sorted(CONFIGS.rglob("*_yaml"))
    return [p for p in files if "__pycache__" not in p.parts]


def test_include_path_is_the_checkout_folder() -> None:
    assert include_path() == CONFIGS


@pytest.mark.parametrize("path", _config_files(), ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_yaml_parses_with_functions_resolved(path: Path) -> None:
    from lm_eval.tasks._yaml_loader import load_yaml

    cfg = load_yaml(path, resolve_func=True)
    assert isinstance(cfg, dict)
    assert cfg
    if "task" in cfg and isinstance(cfg["task"], str):
        assert callable(cfg["custom_dataset"])
        assert callable(cfg["process_results"])
        names = [f["name"] for f in cfg["filter_list"]]
        assert names == ["strict-match", "flexible-extract"]
        for f in cfg["filter_list"]:
            (step,) = f["filter"]
            assert step["function"] == "custom"
            assert callable(step["filter_fn"])
        assert cfg["dataset_kwargs"]["sustain_task"] in BENCHMARKS
        assert cfg["task"] == (f"sustain_{cfg['dataset_kwargs']['sustain_task']}_"
                               f"{cfg['dataset_kwargs']['sustain_variant']}")
        assert cfg["output_type"] == "generate_until"
        gen = cfg["generation_kwargs"]
        assert gen["do_sample"] is False
        assert gen["temperature"] == 0
        assert gen["max_gen_toks"] >= 512
        metrics = {m["metric"] for m in cfg["metric_list"]}
        expected = ({"acc"} if cfg["dataset_kwargs"]["sustain_variant"] == "plain"
                    else {"acc", "compliance", "compliance_loose"})
        assert metrics == expected
        assert all(m["aggregation"] == "mean" and m["higher_is_better"] is True
                   for m in cfg["metric_list"])


def test_every_yaml_name_is_indexed() -> None:
    from lm_eval.tasks._yaml_loader import load_yaml

    declared = set()
    for path in sorted(CONFIGS.rglob("*.yaml")):
        cfg = load_yaml(path, resolve_func=False)
        declared.add(cfg.get("group") or cfg["task"])
    tm = task_manager()
    assert set(tm.all_tasks) == declared
    for bench in BENCHMARKS:
        if (CONFIGS / bench).is_dir():
            assert f"sustain_{bench}" in tm.all_groups
            assert {f"sustain_{bench}_plain", f"sustain_{bench}_constrained"} <= set(
                tm.all_subtasks)


def test_group_has_plain_and_constrained_and_no_aggregate() -> None:
    from lm_eval.tasks._yaml_loader import load_yaml

    cfg = load_yaml(CONFIGS / "gsm8k" / "_sustain_gsm8k.yaml")
    assert cfg["group"] == "sustain_gsm8k"
    assert cfg["task"] == ["sustain_gsm8k_plain", "sustain_gsm8k_constrained"]
    assert "aggregate_metric_list" not in cfg


def test_tasks_load_through_the_task_manager(local_data: Path) -> None:
    loaded = task_manager().load(["sustain_gsm8k"])
    tasks = loaded["tasks"]
    assert set(tasks) == {"sustain_gsm8k_plain", "sustain_gsm8k_constrained"}
    plain = tasks["sustain_gsm8k_plain"]
    assert len(plain.eval_docs) == 1319
    doc = plain.eval_docs[0]
    assert plain.doc_to_text(doc) == doc["prompt"]
    assert plain.doc_to_target(doc) == doc["target"] == "18"


def test_wheel_ships_task_configs_inside_the_package() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    wheel = project["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["force-include"]["task_configs"] == "sustain_tasks/task_configs"
    assert "sustain_tasks" in wheel["packages"]


def test_installed_layout_finds_the_shipped_copy(tmp_path: Path, data_dir: Path) -> None:
    """Lay the package out as the wheel installs it and load the tasks from there."""
    site = tmp_path / "site"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO_ROOT / "sustain_tasks", site / "sustain_tasks", ignore=ignore)
    shutil.copytree(CONFIGS, site / "sustain_tasks" / "task_configs", ignore=ignore)
    shutil.copytree(REPO_ROOT / "verifiers" / "sustain_verifiers", site / "sustain_verifiers",
                    ignore=ignore)
    code = (
        "import sustain_tasks.lm_eval as m\n"
        "print(m.include_path())\n"
        "tm = m.task_manager()\n"
        "docs = tm.load(['sustain_gsm8k_plain'])['tasks']['sustain_gsm8k_plain'].eval_docs\n"
        "print(len(docs))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PYTHONPATH=str(site), SUSTAIN_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    shown, count = proc.stdout.split()[-2:]
    assert Path(shown) == site / "sustain_tasks" / "task_configs"
    assert count == "1319"
