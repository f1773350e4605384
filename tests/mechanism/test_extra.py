"""Without the extra: the package still imports and works, and the analyses name the extra."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sustain_tasks.cli import main
from sustain_tasks.errors import MissingDependencyError
from sustain_tasks.mechanism import require

REPO = Path(__file__).resolve().parents[2]
HINT = "pip install 'sustainscore[mechanism]'"

BLOCKER = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in {"torch", "transformers", "sklearn"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, Block())
for name in list(sys.modules):
    if name.split(".")[0] in {"torch", "transformers", "sklearn"}:
        del sys.modules[name]
import sustain_tasks.mechanism, sustain_tasks.mechanism.cli, sustain_tasks.mechanism.runs
import sustain_tasks.mechanism.spans, sustain_tasks.mechanism.store
from sustain_tasks.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "verifiers"),
                                         env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-c", BLOCKER, *args], capture_output=True,
                          text=True, env=env, timeout=600, check=False)


@pytest.mark.parametrize("missing", ["torch", "transformers", "sklearn"])
def test_require_names_the_extra(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    monkeypatch.setitem(sys.modules, missing, None)  # import now raises ImportError
    with pytest.raises(MissingDependencyError) as info:
        require()
    message = str(info.value)
    assert HINT in message
    assert {"torch": "torch", "transformers": "transformers",
            "sklearn": "scikit-learn"}[missing] in message


def test_command_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    code = main(["mechanism", "attention", str(tmp_path / "run.eval"), "--model", "m",
                 "--out", str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("sustain: error: ")
    assert HINT in err
    assert "Traceback" not in err


def test_core_works_without_the_extra(tmp_path: Path) -> None:
    """In a fresh interpreter where torch, transformers and scikit-learn cannot be imported:
    the package and the mechanism modules import, other commands work, ``--help`` works, and
    the analyses stop with one line naming the extra."""
    listed = _run("constraints", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert "length:max_words" in listed.stdout
    helped = _run("mechanism", "probe", "--help")
    assert helped.returncode == 0
    assert "--positions" in helped.stdout
    refused = _run("mechanism", "probe", str(tmp_path), "--model", "m", "--out",
                   str(tmp_path / "out"))
    assert refused.returncode == 2
    assert HINT in refused.stderr
    assert "Traceback" not in refused.stderr


@pytest.mark.parametrize("missing", ["torch", "transformers", "sklearn", "scipy"])
def test_a_missing_extra_fails_the_tests_under_ci(monkeypatch: pytest.MonkeyPatch,
                                                  missing: str) -> None:
    """The tests that need the extra fail under ``CI=true`` when a package of it is missing
    (CI installs it: a missing one is a broken setup), and are skipped elsewhere."""
    from .conftest import need

    monkeypatch.setitem(sys.modules, missing, None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=f"{missing} cannot be imported.*"
                       r"pip install 'sustainscore\[mechanism\]'"):
        need("numpy", missing)
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match=f"{missing} cannot be imported"):
        need(missing)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        need(missing)
    need("numpy")  # present: no effect
