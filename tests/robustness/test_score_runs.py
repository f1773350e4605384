"""Which runs ``sustain score`` scores: incomplete runs, truncated samples files, protocols.

User reports, each reproduced on hand-built files shaped like the real ones:

- a finished Inspect run was replaced by a later killed one (status ``started``);
- a samples file lm-eval stopped writing half way (a lone surrogate in an output makes its
  writer fail, and it still exits 0) was scored as complete;
- a 1319-item self-mode run was replaced by a later 50-item reference-mode run.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from sustain_tasks.cli import main
from sustain_tasks.report.readers import read_rows
from sustain_tasks.report.score import compare_models, score_rows
from tests.report.builders import lm_line, sample_value, write_inspect_log, write_lmeval_run
from tests.requires import need

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def score(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[str, str]:
    code = main(["score", "--no-progress", *map(str, args)])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out, err


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def self_samples(n: int, *, wrong: Sequence[int] = ()) -> list[dict[str, Any]]:
    """Self-mode samples: plain right on every item, constrained wrong on ``wrong``."""
    return [{"id": str(i), "value": sample_value(1.0, 0.0 if i in wrong else 1.0,
                                                 compliant=1.0)} for i in range(n)]


# -- 1. an incomplete Inspect run never replaces a finished one ------------------------------

def write_finished_and_killed(folder: Path) -> tuple[Path, Path]:
    finished = write_inspect_log(folder / "finished.eval", self_samples(40, wrong=[3]),
                                 created="2026-01-01T10:00:00+00:00")
    # killed at 25 of 40 samples, a day later: all its samples kept their constraint
    killed = write_inspect_log(folder / "killed.eval", self_samples(25), status="started",
                               sample_ids=[str(i) for i in range(40)],
                               created="2026-01-02T10:00:00+00:00")
    return finished, killed


def test_a_killed_inspect_run_does_not_replace_the_finished_one(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    finished, killed = write_finished_and_killed(tmp_path / "logs")
    out, err = score(capsys, tmp_path / "logs", "--format", "json")
    [report] = jsonl(out)
    assert report["runs"] == {"plain": str(finished), "constrained": str(finished)}
    assert (report["n_items"], report["n_sustain"], report["n_sustained"]) == (40, 40, 39)
    assert report["complete"] is True
    assert report["incomplete"] == []
    assert f"ignoring {killed} (incomplete: killed.eval: log status is 'started', 25 of 40 " \
        "samples)" in err


def test_a_finished_log_missing_samples_is_incomplete(tmp_path: Path) -> None:
    # status success, but 30 of the 40 samples it was started on
    write_inspect_log(tmp_path / "a.eval", self_samples(40), created="2026-01-01T10:00:00+00:00")
    short = write_inspect_log(tmp_path / "b.eval", self_samples(30),
                              sample_ids=[str(i) for i in range(40)],
                              created="2026-01-02T10:00:00+00:00")
    warnings: list[str] = []
    [report] = score_rows(read_rows([tmp_path]).rows, warnings)
    assert report.runs["constrained"] == str(tmp_path / "a.eval")
    assert report.complete
    assert any(f"ignoring {short} (incomplete: b.eval: 30 of 40 samples)" in w
               for w in warnings)


def test_an_only_run_that_is_incomplete_is_marked_in_every_format(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _, killed = write_finished_and_killed(tmp_path / "logs")
    (tmp_path / "logs" / "finished.eval").unlink()
    reason = "killed.eval: log status is 'started', 25 of 40 samples"

    out, err = score(capsys, killed, "--format", "json")
    [report] = jsonl(out)
    assert report["complete"] is False
    assert report["incomplete"] == [f"{killed}: {reason}"]
    assert report["n_items"] == 25
    assert "scoring the incomplete run" in err

    out, _ = score(capsys, killed, "--format", "csv")
    [row] = csv.DictReader(io.StringIO(out))
    assert row["complete"] == "false"

    for fmt in ("table", "md"):
        out, _ = score(capsys, killed, "--format", fmt)
        first_line = out.splitlines()[0]
        assert "INCOMPLETE" in first_line
        assert f"{killed}: {reason}" in out
        header = next(line for line in out.splitlines() if "SustainScore" in line)
        assert "complete" in header
        assert "NO" in next(line for line in out.splitlines() if "sustain/reference" in line
                            and "gsm8k" in line and "0." in line)


def test_complete_runs_say_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    write_inspect_log(tmp_path / "a.eval", self_samples(5))
    [report] = jsonl(score(capsys, tmp_path, "--format", "json")[0])
    assert (report["complete"], report["incomplete"]) == (True, [])
    out, _ = score(capsys, tmp_path)
    assert "INCOMPLETE" not in out
    assert "complete" not in out.splitlines()[0]


# -- 2. a truncated lm-eval samples file is the same incomplete case --------------------------

DATE_1, DATE_2 = "2026-01-01T10-00-00.000001", "2026-01-02T10-00-00.000001"


def write_real_results(folder: Path, date: str, counts: Mapping[str, int], *,
                       metadata: Mapping[str, Any] | None = None, model: str = "org/m",
                       epoch: float = 0.0) -> None:
    """A results file as lm-eval 0.4.x writes it: ``n-samples`` keyed by task name with
    ``original``/``effective``, and each task's config with its two filters and metadata."""
    filters = [{"name": "strict-match", "filter": [{"function": "custom"}]},
               {"name": "flexible-extract", "filter": [{"function": "custom"}]}]
    data = {
        "results": {t: {} for t in counts},
        "configs": {t: {"task": t, "filter_list": filters,
                        "metadata": {"version": 1.0, **(metadata or {})}} for t in counts},
        "n-samples": {t: {"original": 1319, "effective": n} for t, n in counts.items()},
        "config": {"model": "hf", "model_args": f"pretrained={model}", "limit": None},
        "model_name": model, "date": epoch or None, "lm_eval_version": "0.4.13"}
    (folder / f"results_{date}.json").write_text(json.dumps(data), encoding="utf-8")


def lm_run(folder: Path, date: str, n: int, *, source: str = "reference",
           metadata: Mapping[str, Any] | None = None, plain: bool = True,
           constrained: bool = True, wrong: Sequence[int] = ()) -> tuple[Path, Path]:
    """One lm-eval invocation of sustain_gsm8k over ``n`` items, lines in lm-eval's order
    (every strict-match line, then every flexible-extract line); returns the samples files."""
    tasks: dict[str, list[dict[str, Any]]] = {}
    if plain:
        tasks["sustain_gsm8k_plain"] = [lm_line(i, str(i), acc=1.0) for i in range(n)]
    if constrained:
        tasks["sustain_gsm8k_constrained"] = [
            lm_line(i, str(i), acc=0.0 if i in wrong else 1.0,
                    constraints=["length:max_words"], compliance=1.0, source=source)
            for i in range(n)]
    write_lmeval_run(folder, {}, date=date, model_args="pretrained=org/m")
    paths = []
    for task, lines in tasks.items():
        path = folder / f"samples_{task}_{date}.jsonl"
        blocks = [dict(x, filter="strict-match", acc=0.0) for x in lines] + lines
        path.write_text("".join(json.dumps(x) + "\n" for x in blocks), encoding="utf-8")
        paths.append(path)
    write_real_results(folder, date, dict.fromkeys(tasks, n), metadata=metadata)
    return paths[0], paths[-1]


def cut_lines(path: Path, keep: int, *, partial: bool = False) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    text = "".join(lines[:keep])
    if partial:
        text += lines[keep][: len(lines[keep]) // 2]
    path.write_text(text, encoding="utf-8")


def test_a_samples_file_cut_at_a_line_boundary_does_not_replace_a_complete_run(
        tmp_path: Path) -> None:
    lm_run(tmp_path / "a", DATE_1, 40, wrong=[0])
    _, cut = lm_run(tmp_path / "b", DATE_2, 40)
    cut_lines(cut, 40 + 25)  # every strict-match line, 25 of the 40 flexible-extract lines
    warnings: list[str] = []
    read = read_rows([tmp_path])
    [report] = score_rows(read.rows, warnings)
    assert report.runs["constrained"] == str(tmp_path / "a" / f"results_{DATE_1}.json")
    assert report.complete
    assert (report.sustain.k, report.sustain.n) == (39, 40)
    problem = f"{cut.name}: holds 65 of the 80 lines its results file counts (40 docs × 2 " \
        "filters)"
    assert any(problem in w for w in warnings)
    assert any(problem in w for w in read.warnings)


@pytest.mark.parametrize(("keep", "partial", "problem"), [
    (30, False, "holds 30 of the 40 docs its results file counts"),
    (45, True, "cut off in the middle of line 46; holds 45 of the 80 lines its results "
               "file counts (40 docs × 2 filters)"),
])
def test_an_only_truncated_samples_file_is_scored_as_incomplete(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, keep: int, partial: bool,
        problem: str) -> None:
    _, cut = lm_run(tmp_path / "a", DATE_1, 40)
    cut_lines(cut, keep, partial=partial)
    [report] = jsonl(score(capsys, tmp_path, "--format", "json")[0])
    assert report["complete"] is False
    assert report["incomplete"] == [f"{tmp_path / 'a' / f'results_{DATE_1}.json'}: "
                                    f"{cut.name}: {problem}"]


def test_a_samples_file_lm_eval_never_wrote_makes_the_run_incomplete(tmp_path: Path) -> None:
    _, constrained = lm_run(tmp_path / "a", DATE_1, 10)
    constrained.unlink()
    [report] = score_rows(read_rows([tmp_path]).rows)
    assert not report.complete
    [problems] = report.incomplete.values()
    assert problems == [f"{constrained.name} is missing (its results file counts 10 docs)"]


def test_the_offline_lm_eval_model_never_answers_what_lm_eval_cannot_write(
        tmp_path: Path, data_dir: Path) -> None:
    """A recorded output with a lone surrogate made lm-eval's samples writer stop half way;
    the replay model now answers with U+FFFD in its place, and the file is complete."""
    need("lm_eval")
    from lm_eval.api.instance import Instance
    from lm_eval.loggers import EvaluationTracker

    from sustain_tasks.lm_eval.models import ReplayLM

    outputs = tmp_path / "outputs.jsonl"
    outputs.write_text("".join(json.dumps({"id": str(i), "output": text}) + "\n" for i, text in
                               enumerate(["#### 1", "bad \ud800 #### 2", "#### 3"])),
                       encoding="utf-8")
    lm = ReplayLM(outputs=str(outputs), tasks="gsm8k", data_dir=str(data_dir))
    requests = [Instance("generate_until", {"task": "gsm8k", "id": str(i), "variant": "plain"},
                         ("prompt", {"until": []}), i) for i in range(3)]
    answers = lm.generate_until(requests)
    assert answers[1] == "bad \ufffd #### 2"
    tracker = EvaluationTracker(output_path=str(tmp_path / "out"))
    tracker.general_config_tracker.model_name_sanitized = "m"
    tracker.date_id = DATE_1  # set by save_results_aggregated, which lm-eval calls first
    samples = [{"doc_id": i, "doc": {"id": str(i)}, "target": "1",
                "arguments": [("prompt", {"until": []})], "resps": [[answer]],
                "filtered_resps": [answer], "filter": "none", "acc": 1.0}
               for i, answer in enumerate(answers)]
    tracker.save_results_samples("sustain_gsm8k_plain", samples)
    [written] = (tmp_path / "out" / "m").glob("samples_*.jsonl")
    assert len(written.read_text(encoding="utf-8").splitlines()) == 3


def test_the_offline_inspect_providers_never_answer_with_lone_surrogates(
        tmp_path: Path) -> None:
    import asyncio

    from inspect_ai.model import ChatMessageUser, GenerateConfig

    from sustain_tasks._inspect.providers import SustainModelAPI

    outputs = tmp_path / "outputs.jsonl"
    outputs.write_text(json.dumps({"question": "What is two plus two?",
                                   "output": "four \udfff"}) + "\n", encoding="utf-8")
    api = SustainModelAPI("replay", outputs=str(outputs))
    result = asyncio.run(api.generate([ChatMessageUser(content="What is two plus two?")], [],
                                      "none", GenerateConfig()))
    assert result.completion == "four \ufffd"
    result.completion.encode("utf-8")


def test_replace_lone_surrogates() -> None:
    from sustain_tasks.unicode import replace_lone_surrogates

    assert replace_lone_surrogates("a\ud800b\udfffc") == "a\ufffdb\ufffdc"
    text = "plain 😀 text"
    assert replace_lone_surrogates(text) is text or replace_lone_surrogates(text) == text


# -- 3. different protocols are reported side by side ----------------------------------------

def test_a_later_reference_run_does_not_replace_a_self_run(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    write_inspect_log(tmp_path / "self.eval", self_samples(60, wrong=[1, 2]), mode="self",
                      created="2026-01-01T10:00:00+00:00")
    write_inspect_log(tmp_path / "ref.eval", self_samples(10), mode="reference",
                      created="2026-01-02T10:00:00+00:00")
    out, err = score(capsys, tmp_path, "--format", "json")
    reports = {r["mode"]: r for r in jsonl(out)}
    assert set(reports) == {"self", "reference"}
    assert (reports["self"]["n_items"], reports["self"]["n_sustained"]) == (60, 58)
    assert reports["reference"]["n_items"] == 10
    for r in reports.values():
        assert (r["k"], r["kinds"], r["seed"]) == (1, None, 0)
    assert "runs hold" not in err  # neither run was ignored


def test_k_kinds_and_seed_keep_runs_apart(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    write_inspect_log(tmp_path / "k1.eval", self_samples(20, wrong=[0]),
                      created="2026-01-01T10:00:00+00:00")
    write_inspect_log(tmp_path / "k2.eval", self_samples(20, wrong=[0, 1]),
                      task_args={"k": 2}, created="2026-01-02T10:00:00+00:00")
    write_inspect_log(tmp_path / "kinds.eval", self_samples(20, wrong=[0, 1, 2]),
                      task_args={"kinds": ["length", "format"]},
                      created="2026-01-03T10:00:00+00:00")
    write_inspect_log(tmp_path / "seed.eval", self_samples(20),
                      task_args={"seed": 7}, created="2026-01-04T10:00:00+00:00")
    out, _ = score(capsys, tmp_path, "--format", "json")
    got = {(r["k"], r["kinds"], r["seed"]): r["n_sustained"] for r in jsonl(out)}
    assert got == {(1, None, 0): 19, (2, None, 0): 18, (1, "length,format", 0): 17,
                   (1, None, 7): 20}
    table, _ = score(capsys, tmp_path)
    assert "k=2, seed=0" in table
    assert "sustain/reference / gsm8k (self, k=1, kinds=length,format, seed=0): by " \
        "constraint kind" in table


def test_a_retest_run_attaches_to_the_self_runs_of_every_protocol(tmp_path: Path) -> None:
    """A retest asks the plain prompt again (no constraint in it): its k, kinds and seed do
    not change what it measures, so it controls the self-mode report of every protocol."""
    write_inspect_log(tmp_path / "self1.eval", self_samples(10),
                      created="2026-01-01T10:00:00+00:00")
    write_inspect_log(tmp_path / "self2.eval", self_samples(10, wrong=[0]),
                      task_args={"k": 2}, created="2026-01-02T10:00:00+00:00")
    retest = [{"id": str(i), "value": sample_value(1.0, None, retest=0.0 if i < 4 else 1.0)}
              for i in range(10)]
    write_inspect_log(tmp_path / "retest2.eval", retest, mode="retest", task_args={"k": 2},
                      created="2026-01-03T10:00:00+00:00")
    warnings: list[str] = []
    reports = {r.protocol.k if r.protocol else None: r
               for r in score_rows(read_rows([tmp_path]).rows, warnings)}
    assert set(reports) == {1, 2}
    assert reports[2].runs["retest"] == str(tmp_path / "retest2.eval")
    assert (reports[2].retest.k, reports[2].retest.n) == (6, 10)
    assert reports[2].adjusted_interference == pytest.approx(0.6 - 0.9)
    assert reports[1].runs["retest"] == str(tmp_path / "retest2.eval")
    assert (reports[1].retest.k, reports[1].retest.n) == (6, 10)
    assert reports[1].control_tests["retest"].n_paired == 10
    assert reports[2].mode == reports[1].mode == "self"


def test_lmeval_reference_and_two_stage_self_runs_are_reported_side_by_side(
        tmp_path: Path) -> None:
    # a 40-item two-stage self run, then a later 10-item reference run of the same model
    lm_run(tmp_path / "plain", DATE_1, 40, constrained=False)
    lm_run(tmp_path / "self", "2026-01-01T12-00-00.000001", 40, plain=False, source="self",
           metadata={"constraints_path": "/runs/c.jsonl"}, wrong=[5])
    lm_run(tmp_path / "ref", DATE_2, 10, metadata={"k": 2})
    reports = {r.mode: r for r in score_rows(read_rows([tmp_path]).rows)}
    assert set(reports) == {"self", "reference"}
    self_report, ref = reports["self"], reports["reference"]
    assert self_report.n_items == 40
    assert (self_report.sustain.k, self_report.sustain.n) == (39, 40)
    assert self_report.to_dict()["constraints_file"] == "/runs/c.jsonl"
    assert (self_report.to_dict()["k"], self_report.to_dict()["seed"]) == (None, None)
    assert ref.n_items == 10
    assert (ref.to_dict()["k"], ref.to_dict()["seed"]) == (2, 0)
    assert self_report.runs["plain"].startswith(str(tmp_path / "plain"))


def test_models_are_compared_within_one_protocol(tmp_path: Path) -> None:
    for model in ("a/x", "b/y"):
        slug = model.replace("/", "_")
        write_inspect_log(tmp_path / f"{slug}-self.eval", self_samples(20, wrong=[1]),
                          model=model, created="2026-01-01T10:00:00+00:00")
        write_inspect_log(tmp_path / f"{slug}-ref.eval", self_samples(20), model=model,
                          mode="reference", created="2026-01-02T10:00:00+00:00")
    reports = score_rows(read_rows([tmp_path]).rows)
    assert len(reports) == 4
    warnings: list[str] = []
    compare_models(reports, n_boot=50, warnings=warnings)
    for r in reports:
        [(other, result)] = r.compare.items()
        partner = next(o for o in reports if o.model == other and o.mode == r.mode)
        assert result.n_items == 20
        assert partner.compare[r.model].estimate == pytest.approx(-(result.estimate or 0.0))
    assert not [w for w in warnings if "different modes" in w]
