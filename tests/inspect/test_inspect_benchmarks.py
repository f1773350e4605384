"""MATH-500 and HotpotQA in Inspect: whole-benchmark runs with ``sustain/reference``, sample
metadata and log size, item identification by the offline providers, a hand-counted HotpotQA
replay (token F1 included) and hostile MATH answers that must not stall or fail a run."""

from __future__ import annotations

import asyncio
import json
import math
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.log import EvalLog, EvalSample, read_eval_log
from inspect_ai.model import ChatMessageUser, Model, get_model
from inspect_ai.solver import Generate, Solver, TaskState, generate, solver

from sustain_tasks._inspect import (
    clear_verdicts,
    item_index,
    items_dataset,
    mode_metrics,
    sustain_scorer,
    sustain_solver,
)
from sustain_tasks.benchmarks import Item, get_benchmark
from sustain_tasks.constraints import get_kind
from sustain_tasks.hotpotqa import hotpotqa
from sustain_tasks.math500 import math500
from sustain_tasks.protocol import constrained_prompt, placebo_prompt

pytestmark = pytest.mark.inspect

TASKS: dict[str, Callable[..., Task]] = {"math500": math500, "hotpotqa": hotpotqa}
BENCHES = tuple(TASKS)
N_ITEMS = 500
ITEM_METADATA = {"math500": {"subject", "level"}, "hotpotqa": {"type", "level"}}
"""The item fields each sample carries for breakdowns (besides ``task`` and ``item_id``)."""
F1_METRICS = ("plain_f1", "constrained_f1")
MAX_LOG_BYTES = 10_000_000
"""A 500-sample log must stay below this (HotpotQA prompts hold ten paragraphs each)."""


def write_jsonl(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def metrics(log: EvalLog) -> dict[str, Any]:
    assert log.results is not None
    return {name: m.value for name, m in log.results.scores[0].metrics.items()}


def score_values(log: EvalLog) -> dict[str, dict[str, Any]]:
    assert log.samples is not None
    values: dict[str, dict[str, Any]] = {}
    for sample in log.samples:
        assert sample.scores is not None, sample.error
        value = sample.scores["sustain_scorer"].value
        assert isinstance(value, dict)
        values[str(sample.id)] = value
    return values


def sustained(n: int, *, graded: bool) -> dict[str, float]:
    """The metrics of a run in which every plain and constrained answer is right."""
    expected = {"plain_accuracy": 1.0, "constrained_accuracy": 1.0, "sustain_score": 1.0,
                "compliance": 1.0, "compliance_loose": 1.0, "n_sustain": float(n)}
    if graded:
        expected |= dict.fromkeys(F1_METRICS, 1.0)
    return expected


# -- whole benchmarks (500 items each) --------------------------------------------------------
@dataclass(frozen=True)
class FullRun:
    log: EvalLog
    path: Path

    @property
    def seconds(self) -> float:
        """The run's duration as Inspect logged it (reported, never asserted: how fast a whole
        benchmark runs is measured by tests/perf/bench_inspect_runs.py)."""
        stats = self.log.stats
        return (datetime.fromisoformat(stats.completed_at)
                - datetime.fromisoformat(stats.started_at)).total_seconds()


@pytest.fixture(scope="module")
def full_run(data_dir: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> Callable[[str, str], FullRun]:
    """Runs every item of a benchmark with ``sustain/reference`` (once per benchmark and mode)."""
    runs: dict[tuple[str, str], FullRun] = {}
    folder = tmp_path_factory.mktemp("full_runs")

    def get(bench: str, mode: str) -> FullRun:
        if (bench, mode) not in runs:
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("SUSTAIN_DATA_DIR", str(data_dir))
                patch.setenv("HF_HUB_OFFLINE", "1")
                log = inspect_eval(TASKS[bench](mode=mode), model="sustain/reference",
                                   display="none", log_dir=str(folder / f"{bench}-{mode}"))[0]
            runs[bench, mode] = FullRun(log, Path(log.location))
        return runs[bench, mode]

    return get


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["self", "reference"])
@pytest.mark.parametrize("bench", BENCHES)
def test_whole_benchmark_with_the_reference_model(full_run: Callable[[str, str], FullRun],
                                                  bench: str, mode: str,
                                                  record_property: Callable[[str, Any], None],
                                                  ) -> None:
    run = full_run(bench, mode)
    record_property("seconds", round(run.seconds, 1))
    assert run.log.status == "success", run.log.error
    assert run.log.eval.task == f"sustain_{bench}"
    assert run.log.results is not None
    assert run.log.results.total_samples == run.log.results.completed_samples == N_ITEMS
    graded = get_benchmark(bench).graded
    assert graded is (bench == "hotpotqa")
    got = metrics(run.log)
    assert got == sustained(N_ITEMS, graded=graded)


@pytest.mark.slow
@pytest.mark.parametrize("bench", BENCHES)
def test_whole_benchmark_log_keeps_scalar_metadata_and_stays_small(
        full_run: Callable[[str, str], FullRun], bench: str, data_dir: Path,
        record_property: Callable[[str, Any], None]) -> None:
    run = full_run(bench, "self")
    size = run.path.stat().st_size
    record_property("log_bytes", size)
    assert size < MAX_LOG_BYTES, f"{run.path.name}: {size} bytes"
    log = read_eval_log(str(run.path), exclude_fields={"events", "messages", "store"})
    assert log.samples is not None
    assert len(log.samples) == N_ITEMS
    by_id = item_index(bench, data_dir).by_id
    for sample in log.samples:
        assert sample.metadata is not None
        assert set(sample.metadata) == ITEM_METADATA[bench] | {"task", "item_id"}
        assert sample.metadata["item_id"] == sample.id
        for key in ITEM_METADATA[bench]:
            assert sample.metadata[key] == by_id[str(sample.id)].metadata[key]
        assert len(json.dumps(sample.metadata)) < 200, sample.metadata
        assert sample.scores is not None
        value = sample.scores["sustain_scorer"].value
        assert isinstance(value, dict)
        assert value["plain"] == value["constrained"] == value["compliant"] == 1.0
    if bench == "math500":
        levels = Counter(s.metadata["level"] for s in log.samples if s.metadata)
        assert sorted(levels) == [1, 2, 3, 4, 5]
        subjects = Counter(s.metadata["subject"] for s in log.samples if s.metadata)
        assert subjects["Algebra"] == 124
        assert subjects["Counting & Probability"] == 38
        assert len(subjects) == 7
    else:
        types = Counter(s.metadata["type"] for s in log.samples if s.metadata)
        assert types == {"bridge": 394, "comparison": 106}


# -- a subset in every mode -------------------------------------------------------------------
SUBSET = 4


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "expected", "absent"), [
    ("self", {"plain_accuracy": 1.0, "sustain_score": 1.0, "constrained_accuracy": 1.0,
              "compliance": 1.0, "compliance_loose": 1.0, "n_sustain": SUBSET}, []),
    ("reference", {"plain_accuracy": 1.0, "sustain_score": 1.0, "constrained_accuracy": 1.0,
                   "compliance": 1.0, "compliance_loose": 1.0, "n_sustain": SUBSET}, []),
    ("plain", {"plain_accuracy": 1.0, "n_sustain": 0.0},
     ["constrained_accuracy", "sustain_score", "compliance", "constrained_f1"]),
    ("placebo", {"plain_accuracy": 1.0, "placebo_retention": 1.0, "n_sustain": SUBSET},
     ["sustain_score", "constrained_f1"]),
    ("retest", {"plain_accuracy": 1.0, "retest_retention": 1.0, "n_sustain": SUBSET},
     ["sustain_score", "constrained_f1"]),
])
@pytest.mark.parametrize("bench", BENCHES)
def test_every_mode_on_a_subset(inspect_env: Path, bench: str, mode: str,
                                expected: dict[str, float], absent: list[str]) -> None:
    log = inspect_eval(TASKS[bench](mode=mode), model="sustain/reference", limit=SUBSET,
                       display="none", log_dir=str(inspect_env))[0]
    assert log.status == "success", log.error
    got = metrics(log)
    graded = bench == "hotpotqa"
    assert ("plain_f1" in got) is graded
    if graded:
        expected = {**expected, "plain_f1": 1.0}
        if mode in ("self", "reference"):
            expected["constrained_f1"] = 1.0
    for name, number in expected.items():
        assert got[name] == number, name
    for name in absent:
        assert name not in got or math.isnan(got[name]), name
    for value in score_values(log).values():
        assert value["plain"] == 1.0
        assert value["plain_f1"] == (1.0 if graded else None)


@pytest.mark.parametrize("bench", BENCHES)
def test_dataset_metadata_holds_only_scalars(inspect_env: Path, bench: str) -> None:
    task = TASKS[bench]()
    assert task.dataset is not None
    assert len(task.dataset) == N_ITEMS
    for sample in task.dataset:
        assert sample.metadata is not None
        assert set(sample.metadata) == ITEM_METADATA[bench] | {"task", "item_id"}
        assert all(isinstance(v, str | int) for v in sample.metadata.values()), sample.metadata
    first = task.dataset[0]
    if bench == "math500":
        assert first.metadata == {"subject": "Precalculus", "level": 2, "task": "math500",
                                  "item_id": "test/precalculus/807.json"}
    else:
        assert first.metadata == {"type": "comparison", "level": "hard", "task": "hotpotqa",
                                  "item_id": "5a7d5c175542991319bc93b1"}
        # the ten paragraphs are in the prompt, and only there
        assert "Title: Harvey Pekar\n" in str(first.input)


# -- how sustain/reference finds the item -----------------------------------------------------
def reference_model(**model_args: Any) -> Model:
    import sustain_tasks._registry  # noqa: F401 - registers the sustain provider

    return get_model("sustain/reference", memoize=False, **model_args)


def complete(model: Model, prompt: str) -> str:
    return asyncio.run(model.generate([ChatMessageUser(content=prompt)])).completion


@pytest.mark.slow
@pytest.mark.parametrize("bench", BENCHES)
def test_reference_model_reads_the_active_sample(inspect_env: Path, bench: str) -> None:
    """Under a solver of its own, the provider finds the item from the sample's metadata: the
    prompt here holds no question and the sample ids are not item ids."""
    items = item_index(bench).items[:3]
    samples = [Sample(input="Please answer the question you were given.", id=f"s{n}",
                      target=item.target, metadata={"task": bench, "item_id": item.id})
               for n, item in enumerate(items)]
    task = Task(dataset=MemoryDataset(samples), solver=generate(),
                scorer=sustain_scorer(bench))
    log = inspect_eval(task, model="sustain/reference", display="none",
                       log_dir=str(inspect_env))[0]
    assert log.status == "success", log.error
    assert log.samples is not None
    by_sample = {str(s.id): s.output.completion for s in log.samples}
    assert by_sample == {f"s{n}": item.reference for n, item in enumerate(items)}
    assert metrics(log)["plain_accuracy"] == 1.0


@pytest.mark.parametrize("bench", BENCHES)
def test_reference_model_finds_the_item_from_the_prompt_text(data_dir: Path, bench: str,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             ) -> None:
    benchmark = get_benchmark(bench)
    items = item_index(bench, data_dir).items
    named = reference_model(task=bench, data_dir=str(data_dir))
    monkeypatch.setenv("SUSTAIN_DATA_DIR", str(data_dir))
    searching = reference_model()  # searches every benchmark with local data
    constraints = [get_kind("length:max_words")(400)]  # type: ignore[call-arg]
    for item in (items[0], items[250], items[-1]):
        plain = benchmark.prompt(item)
        for prompt in (plain, constrained_prompt(plain, constraints),
                       placebo_prompt(plain, constraints, key=item.id)):
            assert complete(named, prompt) == item.reference
            assert complete(searching, prompt) == item.reference


@pytest.mark.parametrize("bench", BENCHES)
def test_prompt_lookup_is_exact(data_dir: Path, bench: str) -> None:
    """Every item is found from its own prompt (how fast: tests/perf/bench_lookups.py)."""
    benchmark = get_benchmark(bench)
    index = item_index(bench, data_dir)
    prompts = [(item, benchmark.prompt(item)) for item in index.items]
    found = [index.find_in_prompt(prompt) for _, prompt in prompts]
    assert [f.id if f else None for f in found] == [item.id for item, _ in prompts]
    assert index.find_in_prompt("What is the capital of France?") is None


# -- HotpotQA replay: metrics and F1 by hand ---------------------------------------------------
REASONING = "The paragraphs above name both candidates and settle the question"


def qa_output(answer: str, *, repeat: int = 1) -> str:
    """Reasoning (``repeat`` lines of it) and the answer line."""
    return "\n".join([REASONING + "."] * repeat + [f"Answer: {answer}"])


@pytest.mark.slow
def test_hotpotqa_replay_metrics_and_f1_by_hand(inspect_env: Path, tmp_path: Path) -> None:
    items = item_index("hotpotqa").items[:6]
    targets = [item.target for item in items]
    assert targets == ["Denise Levertov", "yes", "Japan and Hong Kong", "Achimenes",
                       "pygmy chimpanzee", "Naval Weapons Station Yorktown"]
    ids = [item.id for item in items]
    lines: list[dict[str, Any]] = [
        # 0: right, then right and compliant
        {"id": ids[0], "output": qa_output("Denise Levertov")},
        # 1: right; the constrained answer is wrong (yes/no: F1 0)
        {"id": ids[1], "variant": "plain", "output": qa_output("Yes")},
        {"id": ids[1], "variant": "constrained", "output": qa_output("no")},
        # 2: right; the constrained answer is partly right: 1 of 4 gold tokens, precision 1,
        #    recall 1/4, F1 = 2 * 1 * 0.25 / 1.25 = 0.4
        {"id": ids[2], "variant": "plain", "output": qa_output("Japan and Hong Kong.")},
        {"id": ids[2], "variant": "constrained", "output": qa_output("Japan")},
        # 3: partly right in plain (not in S): precision 1/2, recall 1, F1 = 2/3
        {"id": ids[3], "output": qa_output("Achimenes genus")},
        # 4: found by its question; the constrained answer is right but far too long
        #    (even without its first and last lines: not compliant, loosely either)
        {"question": items[4].question, "variant": "plain",
         "output": qa_output("the pygmy chimpanzee")},
        {"question": items[4].question, "variant": "constrained",
         "output": qa_output("pygmy chimpanzee", repeat=6)},
        # 5: wrong in plain (not in S)
        {"id": ids[5], "output": qa_output("Norfolk")},
    ]
    path = write_jsonl(tmp_path / "outputs.jsonl", lines)
    log = inspect_eval(hotpotqa(kinds="length:max_words"), model="sustain/replay",
                       model_args={"outputs": str(path)}, limit=6, display="none",
                       log_dir=str(inspect_env))[0]
    assert log.status == "success", log.error

    def row(plain: float, plain_f1: float, constrained: float | None = None,
            constrained_f1: float | None = None, compliant: float | None = None
            ) -> dict[str, Any]:
        ran = constrained is not None
        return {"plain": plain, "constrained": constrained, "compliant": compliant,
                "compliant_loose": compliant, "placebo": None, "retest": None,
                "in_s": 1.0 if ran else 0.0, "n_constraints": 1 if ran else 0,
                "plain_f1": plain_f1, "constrained_f1": constrained_f1}

    expected_values = {
        ids[0]: row(1.0, 1.0, 1.0, 1.0, 1.0),
        ids[1]: row(1.0, 1.0, 0.0, 0.0, 1.0),
        ids[2]: row(1.0, 1.0, 0.0, 0.4, 1.0),
        ids[3]: row(0.0, 2 / 3),
        ids[4]: row(1.0, 1.0, 1.0, 1.0, 0.0),
        ids[5]: row(0.0, 0.0),
    }
    values = score_values(log)
    assert values.keys() == expected_values.keys()
    for sample_id, expected in expected_values.items():
        assert values[sample_id] == pytest.approx(expected), sample_id
    got = metrics(log)
    assert got == pytest.approx({
        "plain_accuracy": 4 / 6,
        "constrained_accuracy": 2 / 4,
        "sustain_score": 2 / 4,
        "compliance": 3 / 4,
        "compliance_loose": 3 / 4,
        "n_sustain": 4.0,
        "plain_f1": (1 + 1 + 1 + 2 / 3 + 1 + 0) / 6,
        "constrained_f1": (1 + 0 + 0.4 + 1) / 4,
    })
    assert log.samples is not None
    by_id = {str(s.id): s for s in log.samples}
    meta = by_id[ids[2]].scores["sustain_scorer"].metadata  # type: ignore[index]
    assert meta is not None
    assert (meta["plain_extracted"], meta["constrained_extracted"]) == (
        "Japan and Hong Kong", "Japan")
    assert meta["kinds"] == ["length:max_words"]
    assert meta["per_constraint"][0]["strict"] is True
    long_meta = by_id[ids[4]].scores["sustain_scorer"].metadata  # type: ignore[index]
    assert long_meta is not None
    assert long_meta["per_constraint"][0]["strict"] is False


# -- hostile MATH answers ---------------------------------------------------------------------
def _in_event_loop() -> bool:
    """Whether the calling thread is running an asyncio event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@solver
def loop_thread(threads: list[threading.Thread]) -> Solver:
    """Records the thread that runs the eval's event loop; changes nothing."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        del generate
        threads.append(threading.current_thread())
        return state

    return solve


HOSTILE = {
    # refused by the screen at once (a power tower)
    0: ("So the value is \\boxed{9^{9^{9^{9}}}}", "refused"),
    # passes the screen, then sympy works on it until the worker's deadline
    1: ("Expanding everything gives \\boxed{(x+y+1)^{100}}", "timeout"),
}


@pytest.mark.slow
def test_hostile_math_answers_are_wrong_and_the_loop_keeps_running(
        inspect_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bench = get_benchmark("math500")
    items: list[Item] = item_index(bench).items[:4]
    assert [item.target for item in items[1:]] == ["p - q", "\\frac{14}{3}", "9"]
    outputs = [HOSTILE[0][0], HOSTILE[1][0],
               "Simplify the fraction: \\boxed{\\frac{28}{6}}",  # right, decided by sympy
               items[3].reference]
    path = write_jsonl(tmp_path / "hostile.jsonl",
                       [{"id": item.id, "output": out} for item, out in zip(items, outputs,
                                                                             strict=True)])
    # where each comparison runs: never on the event loop's thread
    judged: list[tuple[str, threading.Thread, bool]] = []
    original = type(bench).verify

    def recording(self: Any, output: str, target: str, item: Item | None = None) -> Any:
        judged.append((output, threading.current_thread(), _in_event_loop()))
        return original(self, output, target, item)

    monkeypatch.setattr(type(bench), "verify", recording)
    clear_verdicts()
    loop_threads: list[threading.Thread] = []
    task = Task(dataset=items_dataset(bench, items),
                solver=[loop_thread(loop_threads), sustain_solver("math500", mode="self")],
                scorer=sustain_scorer("math500"), metrics=mode_metrics("self"))
    log = inspect_eval(task, model="sustain/replay", model_args={"outputs": str(path)},
                       display="none", log_dir=str(inspect_env))[0]
    assert log.status == "success", log.error
    values = score_values(log)
    plain = {item_id: value["plain"] for item_id, value in values.items()}
    assert plain == {items[0].id: 0.0, items[1].id: 0.0, items[2].id: 1.0, items[3].id: 1.0}
    got = metrics(log)
    assert (got["plain_accuracy"], got["n_sustain"], got["sustain_score"]) == (0.5, 2.0, 1.0)
    assert log.samples is not None
    samples: dict[str, EvalSample] = {str(s.id): s for s in log.samples}
    for n, (hostile, how) in HOSTILE.items():
        sample = samples[items[n].id]
        assert sample.error is None
        assert sample.scores is not None
        meta = sample.scores["sustain_scorer"].metadata
        assert meta is not None
        assert hostile.endswith(f"\\boxed{{{meta['plain_extracted']}}}")
        # the bounded comparison gave up by its own mechanism: the screen refused the answer,
        # or the worker's deadline cut sympy (once: the scorer reuses the solver's verdict,
        # see the next test)
        assert f"[{how}:" in meta["plain_detail"], meta["plain_detail"]
        assert meta["constraints"] == []
    sympy_meta = samples[items[2].id].scores["sustain_scorer"].metadata  # type: ignore[index]
    assert sympy_meta is not None
    assert "[sympy:" in sympy_meta["plain_detail"]
    # samples run side by side (Inspect's default max_connections): the ones after the slow
    # answer in the dataset finish before it
    finished = {sid: datetime.fromisoformat(str(s.completed_at)) for sid, s in samples.items()}
    assert finished[items[2].id] < finished[items[1].id]
    assert finished[items[3].id] < finished[items[1].id]
    # the event loop never waited on a comparison: every one ran in a worker thread, away from
    # the loop's thread, and the slow one was among them
    assert loop_threads, "the solver never ran"
    assert set(outputs) <= {output for output, _, _ in judged}
    for output, thread, on_loop in judged:
        assert not on_loop, output[:40]
        assert thread not in loop_threads, output[:40]


@pytest.mark.slow
def test_solver_and_scorer_judge_each_output_once(inspect_env: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    bench = get_benchmark("math500")
    judged: list[str] = []
    original = type(bench).verify

    def counting(self: Any, output: str, target: str, item: Item | None = None) -> Any:
        judged.append(output)
        return original(self, output, target, item)

    monkeypatch.setattr(type(bench), "verify", counting)
    clear_verdicts()
    log = inspect_eval(math500(mode="self"), model="sustain/reference", limit=3,
                       display="none", log_dir=str(inspect_env))[0]
    assert log.status == "success", log.error
    assert metrics(log)["sustain_score"] == 1.0
    # per sample: the plain output (solver, then scorer from memory) and the constrained one,
    # which for the reference model is the same text: one verdict serves all three
    items = item_index(bench).items[:3]
    assert sorted(judged) == sorted(item.reference for item in items)
