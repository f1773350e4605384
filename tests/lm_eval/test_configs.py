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

from sustain_tasks.benchmarks import BENCHMARKS, get_benchmark
from sustain_tasks.lm_eval import include_path, task_manager

pytestmark = pytest.mark.lm_eval

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIGS = REPO_ROOT / "task_configs"


def _config_files() -> list[Path]:
    files = sorted(CONFIGS.rglob("*.yaml")) + sorted(CONFIGS.rglob("*_yaml"))
    return [p for p in files if "__pycache__" not in p.parts]


def test_include_path_is_the_checkout_folder() -> None:
    assert include_path() == CONFIGS


def _groups() -> list[str]:
    """Benchmarks with a task folder (``task_configs/<bench>/_sustain_<bench>.yaml``)."""
    return sorted(p.parent.name for p in CONFIGS.glob("*/_sustain_*.yaml"))


GROUPS = _groups()

FIRST_TARGETS = {"gsm8k": "18", "math500": "\\left( 3, \\frac{\\pi}{2} \\right)",
                 "hotpotqa": "Denise Levertov",
                 "humaneval": "\n\n\ncheck(has_close_elements)\n",
                 "mbpp": 'assert remove_Occ("PHP","P") == "H"\n'}
"""The gold answer of each benchmark's first item (dataset order); for the code benchmarks,
the end of its test code."""
SIZES = {"gsm8k": 1319, "humaneval": 164}
"""Items per benchmark, when not 500."""


def _expected_metrics(bench: str, variant: str) -> set[str]:
    metrics = {"acc"}
    if get_benchmark(bench).graded:
        metrics.add("f1")
    if variant == "constrained":
        metrics |= {"compliance", "compliance_loose"}
    return metrics


def test_every_benchmark_has_a_task_folder() -> None:
    folders = {p.name for p in CONFIGS.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(GROUPS)
    assert set(GROUPS) <= set(BENCHMARKS)
    assert {"gsm8k", "math500", "hotpotqa"} <= set(GROUPS)
    assert set(FIRST_TARGETS) == set(GROUPS)


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
        bench, variant = (cfg["dataset_kwargs"][k] for k in ("sustain_task", "sustain_variant"))
        assert bench in BENCHMARKS
        assert path.parent.name == bench
        assert cfg["task"] == f"sustain_{bench}_{variant}"
        assert cfg["output_type"] == "generate_until"
        gen = cfg["generation_kwargs"]
        assert gen["do_sample"] is False
        assert gen["temperature"] == 0
        assert gen["max_gen_toks"] >= 512
        assert gen["until"], "a stop string keeps a base model from writing the next item"
        metrics = {m["metric"] for m in cfg["metric_list"]}
        assert metrics == _expected_metrics(bench, variant)
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
    for bench in GROUPS:
        assert f"sustain_{bench}" in tm.all_groups
        assert {f"sustain_{bench}_plain", f"sustain_{bench}_constrained"} <= set(
            tm.all_subtasks)


@pytest.mark.parametrize("bench", GROUPS)
def test_group_has_plain_and_constrained_and_no_aggregate(bench: str) -> None:
    from lm_eval.tasks._yaml_loader import load_yaml

    cfg = load_yaml(CONFIGS / bench / f"_sustain_{bench}.yaml")
    assert cfg["group"] == f"sustain_{bench}"
    assert cfg["task"] == [f"sustain_{bench}_plain", f"sustain_{bench}_constrained"]
    assert "aggregate_metric_list" not in cfg
    plain, constrained = (load_yaml(CONFIGS / bench / f"sustain_{bench}_{v}.yaml",
                                    resolve_func=False, recursive=False)
                          for v in ("plain", "constrained"))
    assert constrained["include"] == f"sustain_{bench}_plain.yaml"
    assert plain["include"] == "../_sustain_base_yaml"


@pytest.mark.parametrize("bench", GROUPS)
def test_stop_strings_never_cut_a_reference(bench: str, data_dir: Path) -> None:
    """A model answering with the reference solution must not be cut short by ``until``."""
    from lm_eval.tasks._yaml_loader import load_yaml

    cfg = load_yaml(CONFIGS / bench / f"sustain_{bench}_plain.yaml", resolve_func=False)
    stops = cfg["generation_kwargs"]["until"]
    items = get_benchmark(bench).load(data_dir)
    assert not [(item.id, stop) for item in items for stop in stops if stop in item.reference]


@pytest.mark.slow
@pytest.mark.parametrize("bench", GROUPS)
def test_tasks_load_through_the_task_manager(local_data: Path, bench: str) -> None:
    """The whole group, with reference-mode constraints for every item (full dataset)."""
    loaded = task_manager().load([f"sustain_{bench}"])
    tasks = loaded["tasks"]
    assert set(tasks) == {f"sustain_{bench}_plain", f"sustain_{bench}_constrained"}
    items = get_benchmark(bench).load(local_data)
    plain, constrained = (tasks[f"sustain_{bench}_{v}"] for v in ("plain", "constrained"))
    assert len(plain.eval_docs) == len(items) == SIZES.get(bench, 500)
    doc = plain.eval_docs[0]
    assert plain.doc_to_text(doc) == doc["prompt"] == get_benchmark(bench).prompt(items[0])
    assert plain.doc_to_target(doc) == doc["target"] == items[0].target
    assert doc["target"].endswith(FIRST_TARGETS[bench])
    assert doc["metadata"] == dict(items[0].metadata)
    # every reference solution yields a constraint, so the constrained task holds every item
    assert len(constrained.eval_docs) == len(items)
    first = constrained.eval_docs[0]
    assert first["constraints"]
    assert constrained.doc_to_text(first).startswith(doc["prompt"] + "\n\n")


def test_wheel_ships_task_configs_inside_the_package() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    wheel = project["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["force-include"]["task_configs"] == "sustain_tasks/task_configs"
    assert "sustain_tasks" in wheel["packages"]


@pytest.mark.slow
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
