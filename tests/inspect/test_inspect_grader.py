"""``-T grader=model``: a grader model decides only the verdicts the rules leave open, offline
with ``sustain/replay`` bound to the grader role."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog, list_eval_logs, read_eval_log
from inspect_ai.model import get_model

from sustain_tasks._inspect import validate_args
from sustain_tasks._inspect.grader import (
    GRADER_HEADER,
    grader_prompt,
    needs_grader,
    parse_grade,
    quoted_response,
)
from sustain_tasks.benchmarks import Item, Verdict, get_benchmark
from sustain_tasks.errors import SustainInputError
from sustain_tasks.gsm8k import gsm8k
from sustain_tasks.report.formats import render
from sustain_tasks.report.readers import read_rows
from sustain_tasks.report.score import score_rows

from .conftest import REPO_ROOT, write_jsonl

pytestmark = pytest.mark.inspect


def outputs_and_grades(folder: Path, items: list[Item]) -> tuple[Path, Path]:
    """Plain outputs for GSM8K items 0-3 and the grader's recorded replies.

    - 0: an ambiguous sentence (two new numbers): the grader says correct, overturning the rule;
      its constrained output has a ``####`` answer, which the rules decide alone.
    - 1: ``#### N``: decided by the rules; the grader is never asked (no grade is recorded
      for it, so asking would fail the run).
    - 2: no number at all: the grader says incorrect (consulted, not overturned).
    - 3: ambiguous again: the grader replies without a grade, so the rule's verdict stands.
    """
    t = [item.target for item in items]
    outputs = write_jsonl(folder / "outputs.jsonl", [
        {"id": "0", "variant": "plain", "output": f"I computed 7 and {t[0]} along the way."},
        {"id": "0", "variant": "constrained", "output": f"She makes it.\n#### {t[0]}"},
        {"id": "1", "variant": "plain", "output": f"Worked out.\n#### {t[1]}"},
        {"id": "1", "variant": "constrained", "output": f"Done.\n#### {t[1]}"},
        {"id": "2", "variant": "plain", "output": "I could not finish this one."},
        {"id": "3", "variant": "plain", "output": f"I computed 7 and {t[3]} along the way."},
    ])
    grades = write_jsonl(folder / "grades.jsonl", [
        {"id": "0", "variant": "plain", "output": "The final answer matches.\nGRADE: C"},
        {"id": "2", "variant": "plain", "output": "No final answer is given.\nGRADE: I"},
        {"id": "3", "variant": "plain", "output": "It is hard to say."},
    ])
    return outputs, grades


def run(outputs: Path, grades: Path | None, log_dir: Path) -> EvalLog:
    roles = ({"grader": get_model("sustain/replay", outputs=str(grades), memoize=False)}
             if grades is not None else None)
    logs = inspect_eval(gsm8k(kinds="length:max_words", grader="model"),
                        model="sustain/replay", model_args={"outputs": str(outputs)},
                        model_roles=roles, limit=4, display="none", log_dir=str(log_dir))
    return read_eval_log(logs[0].location)


def test_precondition_the_rules_leave_these_open(gsm8k_items: list[Item]) -> None:
    bench = get_benchmark("gsm8k")
    item = gsm8k_items[0]
    open_verdict = bench.verify(f"I computed 7 and {item.target} along the way.", item.target,
                                item)
    assert needs_grader(open_verdict)
    assert not needs_grader(bench.verify(f"#### {item.target}", item.target, item))
    assert not needs_grader(bench.verify("#### 99999", item.target, item))


@pytest.mark.slow
def test_grader_decides_only_open_verdicts(inspect_env: Path, tmp_path: Path,
                                           gsm8k_items: list[Item]) -> None:
    outputs, grades = outputs_and_grades(tmp_path, gsm8k_items)
    log = run(outputs, grades, inspect_env)
    assert log.status == "success", log.error
    assert log.samples is not None
    scores = {str(s.id): s.scores["sustain_scorer"] for s in log.samples if s.scores}
    meta = {sid: score.metadata or {} for sid, score in scores.items()}

    # 0: overturned, so the item enters S and its constrained prompt is asked
    assert scores["0"].value["plain"] == 1.0
    assert scores["0"].value["constrained"] == 1.0
    assert meta["0"]["plain_grader"]["rule_correct"] is False
    assert meta["0"]["plain_grader"]["grade"] == "C"
    assert "overturns the rule" in meta["0"]["plain_detail"]
    assert "second_grader" not in meta["0"]  # "#### N": the rules decide
    # 1: never sent to the grader
    assert scores["1"].value["plain"] == 1.0
    assert "plain_grader" not in meta["1"]
    # 2: consulted, agrees with the rule
    assert scores["2"].value["plain"] == 0.0
    assert meta["2"]["plain_grader"]["grade"] == "I"
    # 3: no grade in the reply: the rule stands, and the detail says so
    assert scores["3"].value["plain"] == 0.0
    assert meta["3"]["plain_grader"]["grade"] is None
    assert "gave no grade" in meta["3"]["plain_detail"]

    # the report counts how often the grader was asked and overturned the rule
    report = score_rows(read_rows([inspect_env]).rows)[0]
    assert report.grader == {"plain": {"consulted": 3, "overturned": 1}}
    assert report.to_dict()["grader"] == {"plain": {"consulted": 3, "overturned": 1}}
    table = render([report], "table")
    assert "Verdicts decided by the grader model" in table
    assert re.search(r"gsm8k +plain +3 +1\n", table)


@pytest.mark.slow
def test_grader_without_a_grader_role_fails_with_the_fix(inspect_env: Path, tmp_path: Path,
                                                          gsm8k_items: list[Item]) -> None:
    outputs, _ = outputs_and_grades(tmp_path, gsm8k_items)
    log = run(outputs, None, inspect_env)
    assert log.status == "error"
    assert log.error is not None
    assert "--model-role grader=" in log.error.message


def test_task_argument_is_checked() -> None:
    assert validate_args("gsm8k", grader="model").grader
    assert not validate_args("gsm8k").grader
    assert not validate_args("gsm8k", grader="none").grader
    with pytest.raises(SustainInputError, match="grader"):
        validate_args("gsm8k", grader="gpt-4o")
    with pytest.raises(SustainInputError, match="unit tests"):
        validate_args("humaneval", grader="model")


def test_prompt_and_grade_parsing() -> None:
    output = "Long reasoning...\nSo the answer is somewhere around 64 or 16."
    prompt = grader_prompt("How much does Kylar pay?", "64", output)
    assert prompt.startswith(GRADER_HEADER)
    assert "Reference answer: 64" in prompt
    assert quoted_response(prompt) == output
    assert quoted_response("an ordinary prompt") is None
    assert parse_grade("GRADE: C") is True
    assert parse_grade("reasoning... grade: i") is False
    assert parse_grade("First GRADE: I, on reflection GRADE: **C**") is True
    assert parse_grade("no grade here") is None
    assert parse_grade("") is None


@pytest.mark.slow
def test_reference_model_refuses_to_grade(inspect_env: Path, tmp_path: Path,
                                          gsm8k_items: list[Item]) -> None:
    outputs, _ = outputs_and_grades(tmp_path, gsm8k_items)
    logs = inspect_eval(gsm8k(kinds="length:max_words", grader="model"),
                        model="sustain/replay", model_args={"outputs": str(outputs)},
                        model_roles={"grader": get_model("sustain/reference", memoize=False)},
                        limit=1, display="none", log_dir=str(inspect_env))
    log = read_eval_log(logs[0].location)
    assert log.status == "error"
    assert log.error is not None
    assert "cannot grade" in log.error.message


@pytest.mark.slow
def test_command_line_with_a_replay_grader(subprocess_env: dict[str, str], tmp_path: Path,
                                           gsm8k_items: list[Item]) -> None:
    outputs, grades = outputs_and_grades(tmp_path, gsm8k_items)
    role = json.dumps({"model": "sustain/replay", "model_args": {"outputs": str(grades)}})
    done = subprocess.run(
        [sys.executable, "-m", "inspect_ai", "eval", "sustain_tasks/gsm8k.py", "--model",
         "sustain/replay", "-M", f"outputs={outputs}", "-T", "grader=model", "-T",
         "kinds=length:max_words", "--model-role", f"grader={role}", "--limit", "4",
         "--display", "plain"],
        cwd=REPO_ROOT, env=subprocess_env, capture_output=True, text=True, timeout=300,
        check=False)
    logs = list_eval_logs(subprocess_env["INSPECT_LOG_DIR"])
    assert len(logs) == 1, done.stdout + done.stderr
    log = read_eval_log(logs[0])
    assert log.status == "success", log.error
    assert log.samples is not None
    graded: dict[str, Any] = {str(s.id): (s.scores or {})["sustain_scorer"].metadata
                              for s in log.samples}
    assert graded["0"]["plain_grader"]["grade"] == "C"


def test_verdict_to_dict_keeps_the_grader_record() -> None:
    record = {"model": "m", "grade": "C", "rule_correct": False, "rule_detail": "x",
              "reply": "GRADE: C"}
    assert Verdict(True, None, "d", grader=record).to_dict()["grader"] == record
    assert "grader" not in Verdict(True, "1").to_dict()
