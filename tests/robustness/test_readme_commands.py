"""Every command in the README runs as written: each is dry-run against the interface it uses
(task files and arguments, lm-eval task names, ``sustain`` options), and the ones that need no
real model are run."""

from __future__ import annotations

import inspect
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from sustain_tasks import _registry
from sustain_tasks._inspect import validate_args
from sustain_tasks.cli import build_parser
from sustain_tasks.constraints import MAX_K
from sustain_tasks.lm_eval.wrap import parse_args as wrap_args
from sustain_tasks.mechanism.cli import build_parser as mechanism_parser
from sustain_tasks.protocol import MODES
from sustain_tasks.wrapping import generic_kinds

REPO = Path(__file__).resolve().parents[2]
READMES = ("README.md", "sustain_tasks/README.md", "task_configs/README.md")
PLACEHOLDERS = ("...", "MODEL", "FILE", "DIR", "<", "PATH")


def _commands(readme: str) -> list[str]:
    """Shell commands of the ``bash`` blocks: continuations joined, comments dropped, ``&&``
    chains split, environment assignments removed."""
    text = (REPO / readme).read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if not line or line.startswith("#"):
                continue
            for part in line.split("&&"):
                words = shlex.split(part.replace('"$(sustain include-path)"', "task_configs"))
                while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
                    words.pop(0)
                if words:
                    found.append(shlex.join(words))
    return found


COMMANDS = [(readme, command) for readme in READMES for command in _commands(readme)]
LM_EVAL_TASKS = {match.group(1) for path in (REPO / "task_configs").rglob("*.yaml")
                 for match in re.finditer(r"^(?:task|group):\s*(\S+)\s*$",
                                          path.read_text(encoding="utf-8"), re.MULTILINE)}


def _options(words: list[str], flag: str) -> list[str]:
    return [words[i + 1] for i, w in enumerate(words[:-1]) if w == flag]


def _task_function(spec: str) -> object:
    name = Path(spec).stem
    assert (REPO / "sustain_tasks" / f"{name}.py").is_file(), f"no task file for {spec}"
    assert name in _registry.__all__ or hasattr(_registry, name), f"{name} is not registered"
    module = __import__(f"sustain_tasks.{name}", fromlist=[name])
    return getattr(module, name)


def test_the_readmes_hold_commands() -> None:
    kinds = {command.split()[0] for _, command in COMMANDS}
    assert {"inspect", "lm_eval", "sustain", "pip"} <= kinds


@pytest.mark.parametrize(("readme", "command"), COMMANDS,
                         ids=[f"{r}:{c[:60]}" for r, c in COMMANDS])
def test_command_is_valid_for_its_interface(readme: str, command: str) -> None:
    words = shlex.split(command)
    program = words[0]
    if program == "inspect":
        assert words[1] == "eval"
        function = _task_function(words[2])
        parameters = inspect.signature(function).parameters  # type: ignore[arg-type]
        args: dict[str, str] = {}
        for pair in _options(words, "-T"):
            key, _, value = pair.partition("=")
            assert key in parameters, f"{readme}: {key} is not an argument of {words[2]}"
            args[key] = value
        bench = Path(words[2]).stem
        checked = {k: v for k, v in args.items() if k in (
            "mode", "k", "kinds", "seed", "sandbox", "grader")}
        if bench == "wrap":  # any task: generic kinds, the modes and k of the built-in tasks
            assert "task" in args, f"{readme}: wrap.py needs -T task=<spec>"
            assert args.get("mode", "self") in MODES
            assert 1 <= int(args.get("k", "1")) <= MAX_K
            generic_kinds(args.get("kinds"))
        elif checked:
            validate_args(bench, **checked)
        for role in _options(words, "--model-role"):
            assert role.startswith("grader="), role
    elif program == "lm_eval":
        tasks = _options(words, "--tasks")
        assert tasks, command
        assert "--include_path" in words, f"{readme}: lm-eval finds the tasks only with it"
        generated = _options(words, "--include_path")[0] not in ("task_configs", "...")
        for task in tasks[0].split(","):
            if generated:  # written by sustain lm-eval-wrap
                assert task.startswith("sustain_"), f"{readme}: {task} is not a wrapped task"
            else:
                assert task in LM_EVAL_TASKS, f"{readme}: unknown lm-eval task {task}"
    elif program == "sustain":
        if words[1] == "lm-eval":
            return
        if words[1] == "lm-eval-wrap":
            wrap_args(words[2:])  # exits (a failure) on an unknown option
            return
        if words[1] == "mechanism":
            mechanism_parser().parse_args(words[2:])  # exits (a failure) on an unknown option
            return
        build_parser().parse_args(words[1:])  # exits (a failure) on an unknown option
    elif program not in ("pip", "python"):
        pytest.fail(f"{readme}: unexpected command {command}")


def _run(command: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    words = shlex.split(command)
    if words[0] == "sustain":
        words = [sys.executable, "-m", "sustain_tasks.cli", *words[1:]]
    elif words[0] == "inspect":
        words = [sys.executable, "-m", "inspect_ai", *words[1:]]
    return subprocess.run(words, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=1800, check=False)


@pytest.mark.slow
def test_the_commands_without_a_real_model_run(tmp_path: Path, data_dir: Path) -> None:
    env = dict(os.environ, SUSTAIN_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1",
               INSPECT_LOG_DIR=str(tmp_path / "logs"), NO_COLOR="1")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "verifiers"),
                                         env.get("PYTHONPATH", "")])
    offline = [c for _, c in COMMANDS
               if ("sustain/reference" in c or "sustain-reference" in c)
               and not any(p in c for p in PLACEHOLDERS)]
    assert offline
    for command in offline:
        # the README's main job runs every item; 20 show that it runs as written
        if "--limit" not in command:
            command += " --limit 20"
        done = _run(command, env, REPO)
        assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
