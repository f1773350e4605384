"""Replayed runs are named by their recording and never paired across recordings."""

from __future__ import annotations

from pathlib import Path

import pytest

from sustain_tasks.errors import SustainInputError
from sustain_tasks.lm_eval import prepare_argv
from sustain_tasks.report.readers import lmeval_model_name, read_rows, replay_label
from sustain_tasks.report.score import score_rows
from tests.report.builders import lm_line, sample_value, write_inspect_log, write_lmeval_run

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

PLAIN = "2026-01-01T10-00-00.000001"
CONSTRAINED = "2026-01-02T10-00-00.000001"


def _model_args(argv_args: str) -> str:
    """The --model_args ``sustain lm-eval --model sustain-replay`` passes on to lm-eval."""
    args = prepare_argv(["--model", "sustain-replay", "--model_args", argv_args])
    return args[args.index("--model_args") + 1]


def _plain(folder: Path, model_args: str, acc: float, date: str = PLAIN) -> None:
    write_lmeval_run(folder, {"sustain_gsm8k_plain": [
        lm_line(i, str(i), acc=acc) for i in range(3)]}, model="sustain-replay",
        model_args=model_args, model_name="sustain-replay", date=date)


def _constrained(folder: Path, model_args: str, date: str = CONSTRAINED) -> None:
    write_lmeval_run(folder, {"sustain_gsm8k_constrained": [
        lm_line(i, str(i), acc=1.0, constraints=["length:max_words"], compliance=1.0)
        for i in range(3)]}, model="sustain-replay", model_args=model_args,
        model_name="sustain-replay", date=date)


def test_prepare_argv_leaves_the_naming_to_the_reader() -> None:
    """``sustain lm-eval`` names the output folder ``sustain-replay``; the reader then names
    the run by its recording (the folder may hold replays of several recordings)."""
    assert _model_args("outputs=runs/a/o.jsonl") == "model=sustain-replay,outputs=runs/a/o.jsonl"
    assert lmeval_model_name({"model_name": "sustain-replay", "config": {
        "model": "sustain-replay", "model_args": _model_args("outputs=runs/a/o.jsonl")}}) == \
        "sustain-replay[runs/a/o.jsonl]"
    assert _model_args("model=mine,outputs=o.jsonl") == "model=mine,outputs=o.jsonl"


def test_lmeval_replays_of_two_recordings_are_two_models(tmp_path: Path) -> None:
    """Regression: ``sustain lm-eval`` used to add ``model=sustain-replay``, which named both
    replays ``sustain-replay`` and paired B's plain run with A's constrained run."""
    for name, acc in (("a", 1.0), ("b", 0.0)):
        _plain(tmp_path / "sustain-replay", _model_args(f"outputs=/rec/{name}.jsonl"), acc,
               date=f"2026-01-01T1{int(acc)}-00-00.000001")
    models = {r.model for r in read_rows([tmp_path]).rows}
    assert models == {"sustain-replay[/rec/a.jsonl]", "sustain-replay[/rec/b.jsonl]"}


def test_same_file_name_in_two_folders_is_two_models(tmp_path: Path) -> None:
    assert replay_label("sustain-replay", "x/out.jsonl") != \
        replay_label("sustain-replay", "y/out.jsonl")
    assert replay_label("sustain-replay", "./x//out.jsonl") == "sustain-replay[x/out.jsonl]"
    for folder in ("x", "y"):
        write_inspect_log(tmp_path / f"{folder}.eval", [{"id": "1", "value": sample_value(1.0)}],
                          model="sustain/replay", model_args={"outputs": f"{folder}/out.jsonl"})
        _plain(tmp_path / f"lm-{folder}", _model_args(f"outputs={folder}/out.jsonl"), 1.0)
    models = {r.model for r in read_rows([tmp_path]).rows}
    assert models == {"sustain/replay[x/out.jsonl]", "sustain/replay[y/out.jsonl]",
                      "sustain-replay[x/out.jsonl]", "sustain-replay[y/out.jsonl]"}


def test_replays_of_one_recording_pair(tmp_path: Path) -> None:
    _plain(tmp_path / "p", _model_args("outputs=/rec/a.jsonl"), 1.0)
    _constrained(tmp_path / "c", "model=sustain-replay,outputs=/rec/a.jsonl")
    [report] = score_rows(read_rows([tmp_path]).rows)
    assert report.model == "sustain-replay[/rec/a.jsonl]"
    assert report.sustain.n == 3


def test_score_refuses_to_pair_two_recordings_under_one_name(tmp_path: Path) -> None:
    """A name chosen with model= does not merge recordings: pairing is refused."""
    _plain(tmp_path / "p", "model=mine,outputs=/rec/a.jsonl", 1.0)
    _constrained(tmp_path / "c", "model=mine,outputs=/rec/b.jsonl")
    assert lmeval_model_name({"config": {"model": "sustain-replay",
                                         "model_args": "model=mine,outputs=/rec/a.jsonl"}}) \
        == "mine"
    with pytest.raises(SustainInputError) as err:
        score_rows(read_rows([tmp_path]).rows)
    message = str(err.value)
    assert "mine / gsm8k" in message
    assert "different recordings" in message
    assert "/rec/a.jsonl" in message
    assert "/rec/b.jsonl" in message


def test_a_run_of_the_anchor_recording_is_preferred(tmp_path: Path) -> None:
    """With a plain run of the constrained run's recording at hand, the other recording's
    plain run (even a later one) is not used and nothing is refused."""
    _plain(tmp_path / "p-a", "model=mine,outputs=/rec/a.jsonl", 1.0)
    _plain(tmp_path / "p-b", "model=mine,outputs=/rec/b.jsonl", 0.0,
           date="2026-01-01T12-00-00.000001")
    _constrained(tmp_path / "c", "model=mine,outputs=/rec/a.jsonl")
    [report] = score_rows(read_rows([tmp_path]).rows)
    assert report.plain.k == 3
    assert report.sustain.n == 3
