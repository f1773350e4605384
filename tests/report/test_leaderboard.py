"""Leaderboards: one per benchmark, ranked by SustainScore, with the comparison to the next
row; and the command line that prints them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sustain_tasks.cli import main
from sustain_tasks.report.leaderboard import (
    category_rates,
    display_names,
    leaderboard_rows,
    leaderboards,
    model_order,
    render_leaderboards,
)
from sustain_tasks.report.readers import SampleRow
from sustain_tasks.report.score import compare_models, score_rows
from sustain_tasks.report.stats import rate
from tests.report.builders import sample_value, write_inspect_log
from tests.report.many_models import many_model_rows


def _row(model: str, sid: str, variant: str, correct: bool, *, task: str = "gsm8k",
         kinds: tuple[str, ...] = ("length:max_words",), mode: str = "self",
         run: str | None = None, k: int | None = None) -> SampleRow:
    from sustain_tasks.report.readers import RunInfo

    info = RunInfo(mode=mode, k=k) if k is not None else None
    return SampleRow(model=model, task=task, sample_id=sid, variant=variant, correct=correct,
                     compliant=True if variant == "constrained" else None,
                     compliant_loose=True if variant == "constrained" else None,
                     kinds=kinds if variant == "constrained" else (),
                     categories=tuple(dict.fromkeys(x.split(":")[0] for x in kinds))
                     if variant == "constrained" else (),
                     n_constraints=len(kinds) if variant == "constrained" else None,
                     mode=mode, harness="inspect", run=run or f"{model}/{task}/{k}",
                     created=1.0, run_info=info)


def _model(model: str, kept: int, n_s: int, *, task: str = "gsm8k", n: int = 10,
           k: int | None = None) -> list[SampleRow]:
    """``n`` items, the first ``n_s`` plain-correct with a constraint, ``kept`` of them kept."""
    rows = []
    for i in range(n):
        rows.append(_row(model, str(i), "plain", i < n_s, task=task, k=k))
        if i < n_s:
            rows.append(_row(model, str(i), "constrained", i < kept, task=task, k=k))
    return rows


def test_ranked_by_sustain_score_then_by_the_size_of_s_then_by_name() -> None:
    rows = (_model("m-low", 2, 8) + _model("m-high", 7, 8) + _model("m-tie-small", 3, 4)
            + _model("m-tie-large", 6, 8) + _model("m-empty", 0, 0) + _model("a-tie", 6, 8))
    [board] = leaderboards(score_rows(rows))
    assert [(e.rank, e.name) for e in board.entries] == [
        (1, "m-high"), (2, "a-tie"), (3, "m-tie-large"), (4, "m-tie-small"), (5, "m-low"),
        (6, "m-empty")]
    header, table = leaderboard_rows(board)
    assert header == ["#", "model", "n", "plain acc", "|S|", "SustainScore [95% CI]",
                      "compliance"]  # no controls, no comparison: no such columns
    r = rate(7, 8)
    assert table[0] == ["1", "m-high", "10", "0.800", "8",
                        f"0.875 [{r.ci_low:.3f}, {r.ci_high:.3f}]", "1.000"]
    assert table[-1][4:6] == ["0", "-"]


def test_one_board_per_benchmark_in_name_order() -> None:
    rows = _model("a", 5, 8, task="mbpp") + _model("b", 6, 8, task="gsm8k") + \
        _model("a", 8, 8, task="gsm8k")
    boards = leaderboards(score_rows(rows))
    assert [b.task for b in boards] == ["gsm8k", "mbpp"]
    assert [e.name for e in boards[0].entries] == ["a", "b"]
    assert [e.name for e in boards[1].entries] == ["a"]


def test_vs_next_is_the_bootstrap_difference_with_the_row_below() -> None:
    reports = score_rows(_model("a", 7, 9) + _model("b", 4, 9) + _model("c", 1, 9))
    compare_models(reports, n_boot=300, seed=3)
    [board] = leaderboards(reports)
    a, b, c = board.entries
    assert a.vs_next == a.report.compare["b"]
    assert b.vs_next == b.report.compare["c"]
    assert c.vs_next is None
    header, table = leaderboard_rows(board)
    assert header[-1] == "vs next [95% CI]"
    d = a.report.compare["b"]
    assert d.estimate is not None
    assert d.ci_low is not None
    assert d.ci_high is not None
    assert table[0][-1] == f"{d.estimate:+.3f} [{d.ci_low:+.3f}, {d.ci_high:+.3f}]"
    assert table[-1][-1] == "-"


def test_adjusted_interference_column_only_with_a_retest_control() -> None:
    reports = score_rows(many_model_rows(3, tasks=("gsm8k",), n_items=40))
    [board] = leaderboards(reports)
    assert board.controls
    header, table = leaderboard_rows(board)
    col = header.index("adj. interference")
    for e, row in zip(board.entries, table, strict=True):
        value = e.report.adjusted_interference
        if value is None:
            assert row[col] == "-"
        else:
            assert row[col].startswith(f"{value:+.3f}")


def test_models_with_several_protocols_get_one_row_each() -> None:
    rows = _model("a", 7, 8, k=1) + _model("a", 5, 8, k=2) + _model("b", 6, 8, k=1)
    reports = score_rows(rows)
    names = sorted(display_names(reports).values())
    assert names == ["a (self, k=1)", "a (self, k=2)", "b"]
    [board] = leaderboards(reports)
    assert [e.name for e in board.entries] == ["a (self, k=1)", "b", "a (self, k=2)"]


def test_category_rates_pool_counts_over_benchmarks() -> None:
    reports = score_rows(many_model_rows(2, n_items=50))
    rates = category_rates(reports)
    for name in model_order(reports):
        mine = [r for r in reports if display_names(reports)[id(r)] == name]
        for category, pooled in rates[name].items():
            k = sum(r.by_category[category].sustain.k for r in mine if category in r.by_category)
            n = sum(r.by_category[category].sustain.n for r in mine if category in r.by_category)
            assert pooled == rate(k, n)
        assert list(rates[name]) == [c for c in ("length", "format", "lexical", "content",
                                                 "code") if c in rates[name]]


def test_model_order_is_by_pooled_sustain_score() -> None:
    rows = (_model("a", 4, 8, task="gsm8k") + _model("a", 8, 8, task="mbpp")  # 12/16
            + _model("b", 7, 8, task="gsm8k") + _model("b", 3, 8, task="mbpp"))  # 10/16
    assert model_order(score_rows(rows)) == ["a", "b"]


def test_markdown_and_text_render_the_same_cells() -> None:
    reports = score_rows(_model("a", 7, 8) + _model("b|c", 5, 8))
    md = render_leaderboards(reports, "md")
    text = render_leaderboards(reports, "table")
    assert md.startswith("### Leaderboard: gsm8k, sorted by SustainScore, highest first")
    assert "| 2 | b\\|c | 10 |" in md  # a | in a name is escaped
    assert text.splitlines()[2].split()[:3] == ["#", "model", "n"]
    with pytest.raises(ValueError, match="table"):
        render_leaderboards(reports, "json")


def _two_model_logs(tmp_path: Path) -> list[Path]:
    logs = []
    for model, kept in (("provider/a", 5), ("provider/b", 2)):
        samples = [{"id": i, "value": sample_value(1.0, 1.0 if i < kept else 0.0,
                                                   compliant=1.0)} for i in range(6)]
        logs.append(write_inspect_log(tmp_path / f"{model.split('/')[1]}.eval", samples,
                                      model=model))
    return logs


def test_cli_prints_the_leaderboard_first_over_several_models(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logs = _two_model_logs(tmp_path)
    assert main(["score", *map(str, logs), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Leaderboard: gsm8k, sorted by SustainScore")
    lines = out.splitlines()
    assert lines[4].split()[:2] == ["1", "provider/a"]
    assert lines[5].split()[:2] == ["2", "provider/b"]
    assert re.search(r"^model +task +mode", out, re.MULTILINE)  # the full table follows

    assert main(["score", *map(str, logs), "--leaderboard", "--compare", "--format", "md",
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert out.count("### Leaderboard") == 1
    assert "| 1 | provider/a | 6 | 1.000 | 6 | 0.833" in out
    assert "vs next [95% CI]" in out
    assert "by constraint kind" not in out

    assert main(["score", str(logs[0]), "--no-progress"]) == 0
    assert "Leaderboard" not in capsys.readouterr().out  # one model: no leaderboard


def test_cli_leaderboard_needs_a_table_format(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    logs = _two_model_logs(tmp_path)
    assert main(["score", *map(str, logs), "--leaderboard", "--format", "json",
                 "--no-progress"]) != 0
    assert "--leaderboard" in capsys.readouterr().err


def test_a_board_of_several_modes_says_each_rows_mode() -> None:
    rows = _model("a", 7, 8) + [
        _row("b", r.sample_id, r.variant, r.correct, mode="reference", run="b-ref")
        for r in _model("b", 5, 8)]
    [board] = leaderboards(score_rows(rows))
    assert board.mixed_modes
    header, table = leaderboard_rows(board)
    assert header[:4] == ["#", "model", "mode", "n"]
    assert [row[:3] for row in table] == [["1", "a", "self"], ["2", "b", "reference"]]
    [single] = leaderboards(score_rows(_model("a", 7, 8) + _model("b", 5, 8)))
    assert "mode" not in leaderboard_rows(single)[0]


def test_graded_task_leaderboard_has_f1_columns() -> None:
    from dataclasses import replace

    rows = []
    for model, f1 in (("org/x", 0.8), ("org/y", 0.6)):
        for row in _model(model, 6, 8, task="hotpotqa"):
            graded = f1 if row.correct else f1 / 4
            rows.append(replace(row, f1=graded))
    reports = score_rows(rows + _model("org/z", 5, 8))  # gsm8k: not graded
    boards = {b.task: b for b in leaderboards(reports)}
    header, cells = leaderboard_rows(boards["hotpotqa"])
    assert header[-3:] == ["plain F1", "constrained F1", "F1 on S"]
    by_model = {c[1]: c for c in cells}
    x = next(r for r in reports if r.model == "org/x")
    assert by_model["org/x"][-3:] == [f"{x.plain_f1.value:.3f}", f"{x.constrained_f1.value:.3f}",
                                      f"{x.sustain_f1.value:.3f}"]
    assert x.sustain_f1.value == pytest.approx((6 * 0.8 + 2 * 0.2) / 8)
    assert "plain F1" not in leaderboard_rows(boards["gsm8k"])[0]
    assert "| plain F1 | constrained F1 | F1 on S |" in render_leaderboards(reports, "md")


def test_vs_next_is_never_a_comparison_with_another_row() -> None:
    """``compare`` holds one report per other model (the same protocol's); a next row of
    another protocol of that model gets no difference rather than that report's."""
    rows = _model("a", 9, 10, k=1) + _model("b", 8, 10, k=2) + _model("b", 2, 10, k=1)
    reports = score_rows(rows)
    compare_models(reports, n_boot=200, seed=0)
    [board] = leaderboards(reports)
    first, second, _third = board.entries
    assert [e.report.model for e in board.entries] == ["a", "b", "b"]
    assert first.report.compare["b"] is not None  # a vs b's k=1 report, which is row 3
    assert first.vs_next is None
    assert second.vs_next is None  # same model below
