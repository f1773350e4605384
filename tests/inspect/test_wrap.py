"""``sustain_tasks.sustain``: any Inspect task under the protocol, counted by hand."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai.dataset import Sample
from inspect_ai.log import EvalLog, read_eval_log
from inspect_ai.scorer import Score, Target, accuracy, scorer
from inspect_ai.solver import Generate, TaskState, generate, solver

from sustain_tasks import sustain
from sustain_tasks.errors import SustainInputError
from sustain_tasks.report import read_rows, score_rows
from tests.inspect.wrap_cases import (
    EXPECTED,
    KINDS,
    N_ITEMS,
    TASK_SOURCE,
    constrained_output,
    plain_output,
    replay_lines,
    same_metrics,
    write_jsonl,
)

pytestmark = pytest.mark.inspect


@pytest.fixture
def task_file(tmp_path: Path) -> Path:
    path = tmp_path / "apples_task.py"
    path.write_text(TASK_SOURCE, encoding="utf-8")
    return path


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "outputs.jsonl", replay_lines())


def run(task: Task, outputs: Path, log_dir: Path, **model_args: Any) -> EvalLog:
    logs = inspect_eval(task, model="sustain/replay",
                        model_args={"outputs": str(outputs), **model_args},
                        display="none", log_dir=str(log_dir))
    return read_eval_log(logs[0].location)


def metrics(log: EvalLog) -> dict[str, Any]:
    assert log.results is not None
    return {name: m.value for name, m in log.results.scores[0].metrics.items()}


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["self", "reference", "plain", "retest", "placebo"])
def test_every_mode_matches_the_hand_count(inspect_env: Path, task_file: Path, outputs: Path,
                                           mode: str) -> None:
    log = run(sustain(f"{task_file}@apples", mode=mode, kinds=KINDS), outputs, inspect_env)
    assert log.status == "success", log.error
    assert log.eval.task == "sustain_apples"
    got = metrics(log)
    assert same_metrics(got, EXPECTED[mode]), got


@pytest.mark.slow
def test_scores_carry_the_builtin_keys_and_the_original_scores(
        inspect_env: Path, task_file: Path, outputs: Path) -> None:
    log = run(sustain(f"{task_file}@apples", kinds=KINDS), outputs, inspect_env)
    assert log.samples is not None
    assert len(log.samples) == N_ITEMS
    by_id = {str(s.id): s for s in log.samples}
    score = by_id["11"].scores["sustain_scorer"]  # type: ignore[index]
    assert score.value == {
        "plain": 1.0, "constrained": 1.0, "compliant": 0.0, "compliant_loose": 0.0,
        "placebo": None, "retest": None, "in_s": 1.0, "n_constraints": 1, "plain_f1": None,
        "constrained_f1": None}
    meta = score.metadata
    assert meta is not None
    assert meta["kinds"] == [KINDS]
    assert meta["categories"] == ["lexical"]
    assert meta["constraint_source"] == "self"
    assert meta["plain_output"] == plain_output(11)
    assert meta["constrained_output"] == constrained_output(11)
    assert meta["plain_score"]["value"] == "C"
    assert meta["second_score"]["value"] == "C"
    assert meta["scorer"] == "match"
    assert meta["wrapped_task"] == "apples"
    # the plain-correct item whose output holds a comma: counted, without constraint
    no_constraint = by_id["22"].scores["sustain_scorer"].value  # type: ignore[index]
    assert isinstance(no_constraint, dict)
    assert (no_constraint["plain"], no_constraint["n_constraints"]) == (1.0, 0)
    assert no_constraint["constrained"] is None


@pytest.mark.slow
def test_second_run_is_a_fresh_conversation_with_the_constraint_appended(
        inspect_env: Path, task_file: Path, outputs: Path) -> None:
    log = run(sustain(f"{task_file}@apples", kinds=KINDS), outputs, inspect_env)
    assert log.samples is not None
    sample = next(s for s in log.samples if s.id == "3")
    assert [m.role for m in sample.messages] == ["user", "assistant"]
    prompt = sample.messages[0].text
    assert prompt.startswith("How many apples are in basket 3? Answer briefly.\n\n")
    assert prompt.endswith("In your response, also follow these instructions:\n"
                           "- Do not use any commas anywhere in your response.")
    assert sample.store["sustain"]["plain_output"] == plain_output(3)


@pytest.mark.slow
def test_sustain_score_reads_the_wrapped_log(inspect_env: Path, task_file: Path,
                                             outputs: Path) -> None:
    run(sustain(f"{task_file}@apples", kinds=KINDS), outputs, inspect_env)
    result = read_rows([inspect_env])
    reports = score_rows(result.rows, result.warnings)
    assert len(reports) == 1
    report = reports[0].to_dict()
    assert report["task"] == "apples"
    assert report["mode"] == "self"
    assert report["n_items"] == N_ITEMS
    assert report["n_sustain"] == 21
    assert math.isclose(report["sustain_score"], 14 / 21)
    assert math.isclose(report["compliance"], 12 / 21)
    assert math.isclose(report["plain_accuracy"], 0.8)
    assert report["n_plain_correct_no_constraint"] == 3


@pytest.mark.slow
def test_a_task_object_and_a_task_function_wrap_alike(inspect_env: Path, task_file: Path,
                                                      outputs: Path) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(task_file.read_text(), str(task_file), "exec"), namespace)
    for task in (namespace["apples"](), namespace["apples"]):
        log = run(sustain(task, kinds=KINDS), outputs, inspect_env)
        assert log.status == "success", log.error
        assert same_metrics(metrics(log), EXPECTED["self"])


# -- verdicts ----------------------------------------------------------------------------------

def graded_task(values: dict[str, Any], name: str = "graded") -> Task:
    """Four samples whose scorer returns ``values[sample id]`` whatever the output."""

    @scorer(metrics=[accuracy()])
    def fixed() -> Any:
        async def score(state: TaskState, target: Target) -> Score:
            del target
            return Score(value=values[str(state.sample_id)])

        return score

    samples = [Sample(id=str(i), input=f"Question {i}?", target="x") for i in range(4)]
    return Task(dataset=samples, solver=generate(), scorer=fixed(), name=name)


def graded_outputs(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "graded.jsonl",
                       [{"id": str(i), "output": "An answer without commas."} for i in range(4)])


@pytest.mark.parametrize(("values", "options", "plain_accuracy"), [
    ({"0": 1.0, "1": 0.6, "2": 0.4, "3": 0}, {}, 0.25),
    ({"0": 1.0, "1": 0.6, "2": 0.4, "3": 0}, {"threshold": 0.5}, 0.5),
    ({"0": True, "1": False, "2": "C", "3": "I"}, {}, 0.5),
    ({"0": "P", "1": "N", "2": "C", "3": "I"}, {"threshold": 0.5}, 0.5),
    ({"0": {"acc": 1}, "1": {"acc": 0}, "2": {"acc": 1}, "3": {"acc": 1}},
     {"correct": "acc"}, 0.75),
    ({"0": 3, "1": 1, "2": 2, "3": 0}, {"correct": lambda s: s.value == 2}, 0.25),
])
def test_scores_map_to_verdicts(inspect_env: Path, tmp_path: Path, values: dict[str, Any],
                                options: dict[str, Any], plain_accuracy: float) -> None:
    log = run(sustain(graded_task(values), mode="plain", **options), graded_outputs(tmp_path),
              inspect_env)
    assert log.status == "success", log.error
    assert metrics(log)["plain_accuracy"] == plain_accuracy


def test_unreadable_scores_fail_the_run_with_one_sentence(inspect_env: Path,
                                                          tmp_path: Path) -> None:
    values = {str(i): {"a": 1, "b": 0} for i in range(4)}
    log = run(sustain(graded_task(values), mode="plain"), graded_outputs(tmp_path),
              inspect_env)
    assert log.status == "error"
    assert log.error is not None
    assert ("the scorer fixed gave {'a': 1, 'b': 0}, which cannot be read as correct or "
            "incorrect (Inspect's C/I, a boolean or a number); name the key to read with "
            "correct=KEY (-T correct=KEY)") in log.error.message


# -- refusals ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "message"), [
    (lambda f: sustain("no_such_file.py@x"),
     "'no_such_file.py@x' is neither a task file"),
    (lambda f: sustain("no_such_package/no_task"),
     "'no_such_package/no_task' is neither a task file nor a registered task"),
    (lambda f: sustain(f"{f}@apples", kinds="content"),
     "need(s) knowledge of the task that a wrapped task does not give; wrapped tasks take "
     "length, format, lexical kinds"),
    (lambda f: sustain(f"{f}@apples", mode="sometimes"), "field 'mode': must be one of"),
    (lambda f: sustain(f"{f}@apples", k=4), "field 'k': must be an integer from 1 to 3"),
    (lambda f: sustain(Task(dataset=[Sample(input="q", target="a")], name="bare")),
     "task bare has no scorer, so nothing decides whether an answer is correct"),
    (lambda f: sustain(graded_task({}), mode="reference"),
     "reference mode extracts constraints from each sample's target, and no target of task "
     "graded is a text"),
    (lambda f: sustain("sustain_tasks/gsm8k.py@gsm8k"), "is already a SustainScore task"),
    (lambda f: sustain(f"{f}@apples", scorer="nope"), "no scorer 'nope' in task apples"),
])
def test_refusals_are_one_sentence(inspect_env: Path, task_file: Path, call: Any,
                                   message: str) -> None:
    with pytest.raises(SustainInputError) as raised:
        call(task_file)
    assert message in str(raised.value)


# -- agents: the chain runs again, only the input changes ------------------------------------

@solver
def two_turns() -> Any:
    """Generate, add a follow-up user message, generate again (a multi-turn chain)."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        from inspect_ai.model import ChatMessageUser

        state = await generate(state)
        state.messages.append(ChatMessageUser(content="Now give the final answer."))
        return await generate(state)

    return solve


def test_multi_turn_chain_runs_again_with_the_constraint_only_in_the_input(
        inspect_env: Path, tmp_path: Path) -> None:
    from inspect_ai.scorer import match

    samples = [Sample(id="0", input="How many apples are in basket 0?", target="101 apples")]
    task = Task(dataset=samples, solver=two_turns(), scorer=match(location="any"),
                name="turns", message_limit=4)
    lines = [{"id": "0", "variant": "plain", "output": "There are 101 apples."},
             {"id": "0", "variant": "constrained", "output": "There are 101 apples."}]
    log = run(sustain(task, kinds=KINDS), write_jsonl(tmp_path / "t.jsonl", lines),
              inspect_env)
    assert log.status == "success", log.error
    assert log.samples is not None
    sample = log.samples[0]
    # the message limit (4) holds for each run: both runs completed their two turns
    assert [m.role for m in sample.messages] == ["user", "assistant", "user", "assistant"]
    assert "Do not use any commas" in sample.messages[0].text
    assert "Do not use any commas" not in sample.messages[2].text
    assert sample.scores is not None
    assert sample.scores["sustain_scorer"].value["constrained"] == 1.0  # type: ignore[index]
