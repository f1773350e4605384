"""Bad input under lm-eval's own command line: one ``sustain: error:`` line and exit status 2,
never a traceback; under the Python API the error is raised as usual."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sustain_tasks.errors import MissingDataError, SustainError, SustainInputError
from sustain_tasks.lm_eval import cli_main, include_path, lm_eval_cli_running
from sustain_tasks.lm_eval.adapter import custom_dataset, process_results

pytestmark = pytest.mark.lm_eval

UNKNOWN_KIND = {"id": "0", "task": "gsm8k", "source": "self",
                "constraints": [{"kind": "length:nope", "params": {}, "text": "x"}]}


def _lm_eval(cmd: list[str], args: list[str], env: dict[str, str], cwd: Path
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*cmd, "--model", "dummy", "--include_path", str(include_path()),
                           "--tasks", "sustain_gsm8k_constrained", "--limit", "1", *args],
                          env=env, cwd=cwd, capture_output=True, text=True, timeout=300,
                          check=False)


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("sustain: error:")]
    assert len(errors) == 1, proc.stderr[-3000:]
    return errors[0]


@pytest.mark.slow
def test_bad_constraints_file_under_python_m_lm_eval(tmp_path: Path,
                                                     offline_env: dict[str, str]) -> None:
    bad = tmp_path / "badc.jsonl"
    bad.write_text(json.dumps(UNKNOWN_KIND) + "\n", encoding="utf-8")
    proc = _lm_eval([sys.executable, "-m", "lm_eval"],
                    ["--metadata", json.dumps({"constraints_path": "badc.jsonl"})],
                    offline_env, tmp_path)
    assert _one_error_line(proc) == (
        "sustain: error: badc.jsonl:1: field 'constraints[0].kind': unknown constraint id "
        "'length:nope'; run 'sustain constraints' for the catalogue")


@pytest.mark.slow
def test_missing_data_dir_under_the_lm_eval_script(tmp_path: Path,
                                                   offline_env: dict[str, str]) -> None:
    script = Path(sys.executable).parent / "lm_eval"
    if not script.is_file():
        pytest.skip(f"no lm_eval console script beside {sys.executable}")
    proc = _lm_eval([str(script)], ["--metadata", json.dumps({"data_dir": "/nonexistent"})],
                    offline_env, tmp_path)
    line = _one_error_line(proc)
    assert line.startswith("sustain: error:")
    assert "/nonexistent" in line


def test_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not lm_eval_cli_running()  # pytest
    for argv0 in ("/usr/bin/lm_eval", "lm-eval", "C:\\venv\\Scripts\\lm_eval.exe"):
        monkeypatch.setattr(sys, "argv", [argv0, "--tasks", "x"])
        assert lm_eval_cli_running(), argv0
    monkeypatch.setattr(sys, "argv", ["/usr/bin/python", "run.py"])
    fake_main = type(sys)("__main__")
    fake_main.__spec__ = type("Spec", (), {"name": "lm_eval.__main__"})()
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    assert lm_eval_cli_running()


def _constrained_doc(record: dict[str, Any]) -> dict[str, Any]:
    return {"id": "0", "task": "gsm8k", "variant": "constrained", "question": "q",
            "target": "18", "prompt": "p", "constraints": [record], "constraint_source": "self",
            "metadata": {}}


def test_entry_points_exit_cleanly_under_the_lm_eval_cli(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str],
                                                         tmp_path: Path) -> None:
    doc = _constrained_doc({"kind": "length:nope", "params": {}})
    with pytest.raises(SustainInputError, match="length:nope"):  # the Python API raises
        process_results(doc, ["#### 18"])
    with pytest.raises(MissingDataError):
        custom_dataset(sustain_task="gsm8k", sustain_variant="plain",
                       data_dir=str(tmp_path / "nowhere"))
    monkeypatch.setattr(sys, "argv", ["lm_eval", "--tasks", "sustain_gsm8k"])
    with pytest.raises(SystemExit) as info:
        process_results(doc, ["#### 18"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("sustain: error: field 'doc.constraints[0].kind': unknown "
                          "constraint id 'length:nope'")
    assert err.count("\n") == 1
    with pytest.raises(SystemExit) as info:
        custom_dataset(sustain_task="gsm8k", sustain_variant="plain",
                       data_dir=str(tmp_path / "nowhere"))
    assert info.value.code == 2
    assert str(tmp_path / "nowhere") in capsys.readouterr().err


def test_sustain_lm_eval_reports_through_its_own_handler(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    """Under ``sustain lm-eval`` (which runs lm-eval with argv[0] ``lm-eval``) the error
    travels up to ``sustain``'s own handler, which prints the line once."""
    import lm_eval.__main__ as lm_main

    seen: list[bool] = []

    def fake_cli() -> None:
        seen.append(lm_eval_cli_running())
        raise SustainInputError("bad", path=tmp_path / "x.jsonl", line=1)

    monkeypatch.setattr(lm_main, "cli_evaluate", fake_cli)
    with pytest.raises(SustainError, match=r"x\.jsonl:1: bad"):
        cli_main(["--tasks", "sustain_gsm8k"])
    assert seen == [False]
