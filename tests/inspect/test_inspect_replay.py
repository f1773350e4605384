"""End to end with ``sustain/replay``: metrics computed by hand from recorded outputs."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog, read_eval_log

from sustain_tasks.gsm8k import gsm8k

pytestmark = pytest.mark.inspect

ReplayCase = Any  # the ``replay`` fixture's type, defined in conftest.py


def write_jsonl(path: Path, lines: Sequence[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def run(outputs: Path, log_dir: Path, *, task_args: dict[str, Any] | None = None,
        model_args: dict[str, Any] | None = None) -> EvalLog:
    args = {"mode": "self", "kinds": "length:max_words", **(task_args or {})}
    logs = inspect_eval(gsm8k(**args), model="sustain/replay",
                        model_args={"outputs": str(outputs), **(model_args or {})},
                        limit=5, display="none", log_dir=str(log_dir))
    return read_eval_log(logs[0].location)


def metrics(log: EvalLog) -> dict[str, float]:
    assert log.results is not None
    return {name: m.value for name, m in log.results.scores[0].metrics.items()}


def without(case: ReplayCase, item_id: str, variant: str) -> list[dict[str, Any]]:
    return [line for line in case.lines
            if not (str(line.get("id")) == item_id and line.get("variant") == variant)]


def test_replay_metrics_match_hand_count(inspect_env: Path, replay: ReplayCase) -> None:
    log = run(replay.path, inspect_env)
    assert log.status == "success", log.error
    assert metrics(log) == replay.expected
    assert log.samples is not None
    values = {str(s.id): s.scores["sustain_scorer"].value for s in log.samples if s.scores}
    assert values == replay.values
    for sample in log.samples:
        assert sample.scores is not None
        score = sample.scores["sustain_scorer"]
        assert score.metadata is not None
        if sample.id == "4":
            assert score.metadata["constraints"] == []
            assert score.metadata["constrained_output"] is None
            continue
        assert score.metadata["kinds"] == ["length:max_words"]
        assert score.metadata["categories"] == ["length"]
        assert score.metadata["constraint_source"] == "self"
        assert score.metadata["constrained_output"] is not None
        assert [c["kind"] for c in score.metadata["per_constraint"]] == ["length:max_words"]
        assert score.answer == score.metadata["plain_extracted"]


@pytest.mark.slow
def test_constrained_prompt_is_a_fresh_conversation(inspect_env: Path,
                                                    replay: ReplayCase) -> None:
    log = run(replay.path, inspect_env)
    assert log.samples is not None
    sample = next(s for s in log.samples if s.id == "0")
    assert [m.role for m in sample.messages] == ["user", "assistant"]
    assert "In your response, also follow these instructions:" in sample.messages[0].text
    assert sample.store["sustain"]["plain_output"] == replay.lines[0]["output"]


@pytest.mark.slow
def test_missing_constrained_output_fails_the_run(inspect_env: Path, replay: ReplayCase,
                                                  tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "partial.jsonl", without(replay, "1", "constrained"))
    log = run(path, inspect_env)
    assert log.status == "error"
    assert log.error is not None
    assert str(path) in log.error.message
    assert "id '1', variant constrained" in log.error.message


@pytest.mark.slow
def test_missing_empty_answers_blank(inspect_env: Path, replay: ReplayCase,
                                     tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "partial.jsonl", without(replay, "0", "constrained"))
    log = run(path, inspect_env, model_args={"missing": "empty"})
    assert log.status == "success"
    got = metrics(log)
    assert got["sustain_score"] == 0.25  # item 0's constrained answer is now empty: wrong
    assert got["compliance"] == 0.5  # an empty response complies with nothing


@pytest.mark.slow
def test_retest_mode_answers_retest_lines(inspect_env: Path, replay: ReplayCase,
                                          tmp_path: Path) -> None:
    lines = [*replay.lines,
             {"id": "0", "variant": "retest", "output": replay.lines[0]["output"]},
             {"id": "1", "variant": "retest", "output": "I do not know."}]
    path = write_jsonl(tmp_path / "retest.jsonl", lines)
    log = run(path, inspect_env, task_args={"mode": "retest"},
              model_args={"missing": "empty"})  # items 2 and 3 have no retest line
    assert log.status == "success"
    got = metrics(log)
    assert got["n_sustain"] == 4.0
    assert got["retest_retention"] == 0.25
    assert math.isnan(got["sustain_score"])
    assert math.isnan(got["compliance"])
