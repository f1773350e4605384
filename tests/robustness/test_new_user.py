"""What a new user trips over: the lm-eval entry points say what they need."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sustain_tasks.cli import main
from sustain_tasks.lm_eval import include_path

REPO = Path(__file__).resolve().parents[2]


def test_sustain_lm_eval_help_names_the_include_path_and_offline_models(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["lm-eval", "--help"])
    out = capsys.readouterr().out
    assert code == 0
    assert f"adds --include_path {include_path()}" in out
    assert "sustain-reference" in out
    assert "sustain-replay" in out
    assert "usage: lm-eval" in out  # lm-eval's own help follows


def test_readme_lm_eval_commands_need_no_tokenizer_download() -> None:
    """Every README ``--model local-completions`` command runs without transformers."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"lm_eval --model local-completions[^`]*?(?=\n\S|\n\n|```)", readme)
    assert commands
    for command in commands:
        assert "tokenizer_backend=none" in command, command
        assert "tokenized_requests=False" in command, command


def test_readme_says_lm_eval_needs_the_include_path() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## lm-evaluation-harness", 1)[1].split("```", 1)[0]
    assert "--include_path" in section
    assert "Tasks not found" in section
