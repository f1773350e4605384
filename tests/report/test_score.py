"""Pairing and metrics, on rows whose answers are counted by hand."""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from sustain_tasks.errors import MissingDependencyError
from sustain_tasks.report.formats import CSV_FIELDS, render, write_plot
from sustain_tasks.report.readers import SampleRow, read_rows
from sustain_tasks.report.score import compare_models, group_rows, score_rows
from sustain_tasks.report.stats import wilson_interval
from tests.report.builders import lm_line, sample_value, write_inspect_log, write_lmeval_run
from tests.requires import need


def row(sid: str, variant: str, correct: bool, *, model: str = "m", task: str = "gsm8k",
        run: str = "run1", created: float = 1.0, kinds: tuple[str, ...] = (),
        compliant: bool | None = None, loose: bool | None = None, mode: str | None = "self",
        n_constraints: int | None = None) -> SampleRow:
    return SampleRow(model=model, task=task, sample_id=sid, variant=variant,
                     correct=correct, compliant=compliant, compliant_loose=loose, kinds=kinds,
                     categories=tuple(dict.fromkeys(k.split(":")[0] for k in kinds)),
                     n_constraints=(n_constraints if n_constraints is not None else
                                    len(kinds) if variant == "constrained" else None),
                     mode=mode, harness="inspect", run=run, created=created)


def self_mode_rows() -> list[SampleRow]:
    """10 items; 8 plain-correct get a constraint; 6 of those stay correct; 5 comply."""
    rows = [row(str(i), "plain", i < 8) for i in range(10)]
    kinds = {0: "length:max_words", 1: "length:max_words", 2: "lexical:no_commas",
             3: "lexical:no_commas", 4: "format:no_bold", 5: "format:no_bold",
             6: "length:max_lines", 7: "lexical:no_commas"}
    for i in range(8):
        rows.append(row(str(i), "constrained", i < 6, kinds=(kinds[i],), compliant=i in (0, 2,
                        4, 6, 7), loose=i != 1))
    return rows


def test_self_mode_metrics_by_hand() -> None:
    [report] = score_rows(self_mode_rows())
    assert (report.model, report.task, report.mode, report.n_items) == ("m", "gsm8k", "self",
                                                                        10)
    assert (report.plain.k, report.plain.n) == (8, 10)
    assert (report.constrained.k, report.constrained.n) == (6, 8)
    assert (report.sustain.k, report.sustain.n) == (6, 8)
    assert report.sustain.value == 0.75
    low, high = wilson_interval(6, 8)
    assert (report.sustain.ci_low, report.sustain.ci_high) == (low, high)
    assert report.drop == pytest.approx(0.25)
    assert (report.compliance.k, report.compliance.n) == (5, 8)
    assert (report.compliance_loose.k, report.compliance_loose.n) == (7, 8)
    # paired over the 8 items that ran both: b = plain right, constrained wrong = 2; c = 0
    assert (report.n_paired, report.mcnemar_b, report.mcnemar_c) == (8, 2, 0)
    # self mode: constrained runs only on plain-correct items, so c = 0 by construction and
    # McNemar is not computed (it applies to reference mode)
    assert report.mcnemar_p is None
    assert report.mcnemar_note is not None
    assert "self mode" in report.mcnemar_note
    assert report.to_dict()["mcnemar_note"] == report.mcnemar_note
    assert report.retest.n == 0
    assert report.adjusted_interference is None


def test_breakdowns_by_kind_and_category() -> None:
    [report] = score_rows(self_mode_rows())
    commas = report.by_kind["lexical:no_commas"]  # items 2, 3 kept, 7 lost; 2 and 7 comply
    assert (commas.sustain.k, commas.sustain.n) == (2, 3)
    assert (commas.compliance.k, commas.compliance.n) == (2, 3)
    bold = report.by_kind["format:no_bold"]  # items 4, 5: both kept, 4 complies
    assert (bold.sustain.k, bold.sustain.n) == (2, 2)
    assert (bold.compliance.k, bold.compliance.n) == (1, 2)
    length = report.by_category["length"]  # items 0, 1 kept, 6 lost
    assert (length.sustain.k, length.sustain.n) == (2, 3)
    assert set(report.by_category) == {"length", "lexical", "format"}


def test_reference_mode_mcnemar_b1_c6() -> None:
    # 12 items run both variants; 1 plain-right/constrained-wrong, 6 plain-wrong/right.
    rows = []
    for i in range(12):
        plain_ok = i < 5
        cons_ok = (i < 5 and i != 0) or (5 <= i < 11)
        rows.append(row(str(i), "plain", plain_ok, mode="reference"))
        rows.append(row(str(i), "constrained", cons_ok, kinds=("length:max_words",),
                        compliant=True, mode="reference"))
    [report] = score_rows(rows)
    assert (report.mcnemar_b, report.mcnemar_c) == (1, 6)
    assert report.mcnemar_p == 0.125
    assert report.mode == "reference"
    assert (report.sustain.k, report.sustain.n) == (4, 5)  # S is the plain-correct items
    assert (report.constrained.k, report.constrained.n) == (10, 12)


def test_items_without_constraints_are_not_in_s() -> None:
    rows = [row("1", "plain", True), row("2", "plain", True),
            row("1", "constrained", True, kinds=("length:max_words",)),
            row("2", "constrained", False, kinds=(), n_constraints=0)]
    [report] = score_rows(rows)
    assert (report.sustain.k, report.sustain.n) == (1, 1)


def test_controls_and_adjusted_interference() -> None:
    rows = self_mode_rows()
    for i in range(8):  # retest: 7 of 8 stay right; placebo: 6 of 8
        rows.append(row(str(i), "retest", i != 3))
        rows.append(row(str(i), "placebo", i not in (3, 4)))
    [report] = score_rows(rows)
    assert (report.retest.k, report.retest.n) == (7, 8)
    assert (report.placebo.k, report.placebo.n) == (6, 8)
    assert report.adjusted_interference == pytest.approx(7 / 8 - 6 / 8)


def test_two_stage_runs_pair_and_duplicates_warn() -> None:
    rows = [row("1", "plain", True, run="p-old", created=1.0),
            row("1", "plain", False, run="p-new", created=2.0),
            row("1", "constrained", True, run="c", created=3.0, kinds=("length:max_words",))]
    warnings: list[str] = []
    [group] = group_rows(rows, warnings)
    assert group.runs == {"plain": "p-new", "constrained": "c"}
    assert any("2 runs hold the plain variant" in w for w in warnings)
    [report] = score_rows(rows)
    assert report.sustain.n == 0  # the latest plain run got it wrong


def test_anchor_run_keeps_one_inspect_log_together() -> None:
    # a newer plain-only log must not replace the plain half of the self-mode log
    rows = [row("1", "plain", True, run="self.eval", created=1.0),
            row("1", "constrained", False, run="self.eval", created=1.0,
                kinds=("length:max_words",)),
            row("1", "plain", False, run="plain.eval", created=5.0)]
    [group] = group_rows(rows, [])
    assert group.runs["plain"] == "self.eval"
    [report] = score_rows(rows)
    assert (report.sustain.k, report.sustain.n) == (0, 1)


def test_compare_models_is_antisymmetric_and_seeded() -> None:
    a = self_mode_rows()
    b = [replace(r, model="other", correct=r.correct if r.variant == "plain" else True)
         for r in a]
    reports = score_rows(a + b)
    compare_models(reports, n_boot=300, seed=1)
    ra = next(r for r in reports if r.model == "m")
    rb = next(r for r in reports if r.model == "other")
    ab, ba = ra.compare["other"], rb.compare["m"]
    assert ab.estimate == pytest.approx(0.75 - 1.0)
    assert ba.estimate == pytest.approx(-ab.estimate)
    assert (ba.ci_low, ba.ci_high) == (-ab.ci_high, -ab.ci_low)
    again = score_rows(a + b)
    compare_models(again, n_boot=300, seed=1)
    assert next(r for r in again if r.model == "m").compare["other"] == ab


def test_json_has_the_contract_fields() -> None:
    reports = score_rows(self_mode_rows())
    lines = render(reports, "json").splitlines()
    assert len(lines) == 1
    obj = json.loads(lines[0])
    for key in ("model", "task", "mode", "n_items", "plain_accuracy", "constrained_accuracy",
                "sustain_score", "sustain_ci_low", "sustain_ci_high", "n_sustain",
                "compliance", "mcnemar_p", "drop", "compliance_loose", "retest_retention",
                "placebo_retention", "adjusted_interference", "by_kind", "by_category"):
        assert key in obj, key
    assert obj["sustain_score"] == 0.75
    assert obj["n_sustain"] == 8
    assert obj["plain_accuracy"] == 0.8
    assert obj["retest_retention"] is None
    assert obj["by_kind"]["format:no_bold"]["n_sustain"] == 2


def test_csv_md_and_table() -> None:
    reports = score_rows(self_mode_rows())
    table = list(csv.DictReader(io.StringIO(render(reports, "csv"))))
    assert list(table[0]) == list(CSV_FIELDS)
    assert table[0]["sustain_score"] == "0.75"
    assert table[0]["retest_retention"] == ""
    md = render(reports, "md")
    assert md.startswith("| model | task |")
    assert "### m / gsm8k: by constraint kind" in md
    text = render(reports, "table")
    assert "0.750 [0.409, 0.929]" in text  # Wilson 6/8
    assert "lexical:no_commas" in text
    with pytest.raises(ValueError):
        render(reports, "xml")


def test_files_end_to_end(tmp_path: Path) -> None:
    """An lm-eval two-stage run and an Inspect log of another model, scored together."""
    lm = tmp_path / "lm" / "org__a"
    write_lmeval_run(lm, {"sustain_gsm8k_plain": [
        lm_line(i, str(i), acc=1.0 if i < 4 else 0.0) for i in range(5)]},
        date="2026-01-01T10-00-00.000001", epoch=10.0, model_args="pretrained=org/a")
    write_lmeval_run(lm, {"sustain_gsm8k_constrained": [
        lm_line(i, str(i), acc=1.0 if i < 3 else 0.0, constraints=["length:max_words"],
                compliance=1.0) for i in range(4)]},
        date="2026-01-02T10-00-00.000001", epoch=20.0, model_args="pretrained=org/a")
    log = write_inspect_log(tmp_path / "b.eval", [
        {"id": str(i), "value": sample_value(1.0, 1.0, compliant=1.0)} for i in range(3)],
        model="prov/b")
    read = read_rows([tmp_path / "lm", log])
    reports = {r.model: r for r in score_rows(read.rows)}
    assert (reports["org/a"].sustain.k, reports["org/a"].sustain.n) == (3, 4)
    assert reports["org/a"].harness == "lm-eval"
    assert reports["org/a"].mode == "self"
    assert (reports["prov/b"].sustain.k, reports["prov/b"].sustain.n) == (3, 3)


def test_plot_without_matplotlib_says_how_to_install(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes the import fail
    with pytest.raises(MissingDependencyError, match=r"sustainscore\[plot\]"):
        write_plot(score_rows(self_mode_rows()), tmp_path / "p.png")
    assert not (tmp_path / "p.png").exists()


@pytest.mark.slow
def test_plot_draws_a_png(tmp_path: Path) -> None:
    need("matplotlib")
    out = tmp_path / "p.png"
    write_plot(score_rows(self_mode_rows()), out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- graded scores and metadata breakdowns (MATH-500, HotpotQA) ------------------------------

def math_rows() -> list[SampleRow]:
    """Twelve MATH-500 items over levels 1, 2 and 10 (a level that sorts after 2 only when
    compared as a number) and two subjects, counted by hand:

    level 1: items 0-3, plain right 0-3, constrained right 0-2 -> S 4, kept 3
    level 2: items 4-7, plain right 4-5, constrained right 4, 7 -> S 2, kept 1
    level 10: items 8-11, plain right 8, no constrained run for 11 -> S 1, kept 1
    """
    rows: list[SampleRow] = []
    levels = [1] * 4 + [2] * 4 + [10] * 4
    plain_ok = {0, 1, 2, 3, 4, 5, 8}
    cons_ok = {0, 1, 2, 4, 7, 8}
    for i, level in enumerate(levels):
        meta = {"level": level, "subject": "Algebra" if i % 2 else "Geometry"}
        rows.append(SampleRow(model="m", task="math500", sample_id=str(i), variant="plain",
                              correct=i in plain_ok, mode="self", harness="inspect",
                              run="r", created=1.0, metadata=meta))
        if i != 11:
            rows.append(SampleRow(model="m", task="math500", sample_id=str(i),
                                  variant="constrained", correct=i in cons_ok,
                                  compliant=i % 3 != 0, compliant_loose=True,
                                  kinds=("length:max_words",), categories=("length",),
                                  n_constraints=1, mode="self", harness="inspect", run="r",
                                  created=1.0, metadata=meta))
    return rows


def test_breakdown_by_level_and_subject_by_hand() -> None:
    [report] = score_rows(math_rows())
    assert (report.sustain.k, report.sustain.n) == (5, 7)
    assert list(report.by_metadata) == ["level", "subject"]
    levels = report.by_metadata["level"]
    assert list(levels) == ["1", "2", "10"]  # numeric order
    one, two, ten = levels["1"], levels["2"], levels["10"]
    assert (one.n_items, one.plain.k, one.plain.n) == (4, 4, 4)
    assert (one.sustain.k, one.sustain.n) == (3, 4)
    assert (one.sustain.ci_low, one.sustain.ci_high) == wilson_interval(3, 4)
    assert (two.plain.k, two.plain.n, two.sustain.k, two.sustain.n) == (2, 4, 1, 2)
    assert (two.constrained.k, two.constrained.n) == (2, 4)
    # item 5 is right plain, wrong constrained; item 7 the reverse: b = 1, c = 1
    assert (two.mcnemar_b, two.mcnemar_c) == (1, 1)
    assert (ten.n_items, ten.plain.k, ten.sustain.k, ten.sustain.n) == (4, 1, 1, 1)
    assert (ten.constrained.n, ten.compliance.n) == (3, 3)
    # the groups partition the items
    assert sum(g.sustain.n for g in levels.values()) == report.sustain.n
    subjects = report.by_metadata["subject"]
    assert list(subjects) == ["Algebra", "Geometry"]
    # Algebra = odd ids 1, 3, 5, 7, 9, 11: S = {1, 3, 5}, kept = {1}
    assert (subjects["Algebra"].sustain.k, subjects["Algebra"].sustain.n) == (1, 3)
    assert (subjects["Geometry"].sustain.k, subjects["Geometry"].sustain.n) == (4, 4)


def test_breakdown_json_groups_have_the_top_level_metric_fields() -> None:
    [report] = score_rows(math_rows())
    obj = json.loads(render([report], "json"))
    group = obj["by_metadata"]["level"]["2"]
    top_metrics = {k for k in obj if not k.startswith("by_")} - {
        "model", "task", "mode", "k", "kinds", "seed", "constraints_file", "harness",
        "complete", "incomplete", "runs", "schema_version", "failures"}
    assert set(group) == top_metrics
    assert group["n_sustain"] == 2
    assert group["sustain_score"] == 0.5
    assert group["plain_accuracy"] == 0.5
    assert group["n_items"] == 4
    assert group["sustain_ci_low"] == pytest.approx(wilson_interval(1, 2)[0])
    assert obj["by_metadata"]["level"]["10"]["n_constrained"] == 3


def test_gsm8k_has_no_metadata_breakdown_and_no_f1() -> None:
    [report] = score_rows(self_mode_rows())
    obj = json.loads(render([report], "json"))
    assert obj["by_metadata"] == {}
    for name in ("plain_f1", "constrained_f1", "sustain_f1"):
        assert obj[name] is None
        assert obj[f"n_{name}"] == 0
    text = render([report], "table")
    assert "F1" not in text
    assert "by level" not in text


def hotpot_rows() -> list[SampleRow]:
    """Four HotpotQA items: F1 plain 1, 1, 0.5, 0; constrained 1, 0.4, 0.5, (not run)."""
    rows = []
    spec = [("a", "bridge", True, 1.0, True, 1.0), ("b", "bridge", True, 1.0, False, 0.4),
            ("c", "comparison", False, 0.5, False, 0.5), ("d", "comparison", False, 0.0,
                                                          None, None)]
    for sid, kind, p_ok, p_f1, c_ok, c_f1 in spec:
        meta = {"type": kind, "level": "hard"}
        rows.append(SampleRow(model="m", task="hotpotqa", sample_id=sid, variant="plain",
                              correct=p_ok, f1=p_f1, metadata=meta, run="r"))
        if c_ok is not None:
            rows.append(SampleRow(model="m", task="hotpotqa", sample_id=sid,
                                  variant="constrained", correct=c_ok, f1=c_f1,
                                  compliant=True, kinds=("length:max_words",),
                                  n_constraints=1, metadata=meta, run="r"))
    return rows


def test_f1_means_by_hand() -> None:
    [report] = score_rows(hotpot_rows())
    assert report.plain_f1.n == 4
    assert report.plain_f1.value == pytest.approx(2.5 / 4)
    assert report.constrained_f1.n == 3
    assert report.constrained_f1.value == pytest.approx(1.9 / 3)
    # S = {a, b}: the constrained F1 of those two
    assert report.sustain_f1.n == 2
    assert report.sustain_f1.value == pytest.approx(0.7)
    assert report.graded
    types = report.by_metadata["type"]
    assert types["bridge"].plain_f1.value == 1.0
    assert types["comparison"].plain_f1.value == pytest.approx(0.25)
    assert types["comparison"].sustain.n == 0
    assert list(report.by_metadata["level"]) == ["hard"]
    obj = report.to_dict()
    assert (obj["plain_f1"], obj["n_plain_f1"]) == (pytest.approx(0.625), 4)
    assert (obj["sustain_f1"], obj["n_sustain_f1"]) == (pytest.approx(0.7), 2)
    assert obj["by_metadata"]["type"]["bridge"]["constrained_f1"] == pytest.approx(0.7)


def test_tables_show_f1_and_breakdowns_with_two_or_more_groups() -> None:
    reports = score_rows(hotpot_rows() + math_rows())
    text = render(reports, "table")
    assert "plain F1" in text
    assert "0.625 (n=4)" in text
    assert "m / hotpotqa: by type" in text
    assert "m / hotpotqa: by level" not in text  # one group only: it repeats the overall row
    assert "m / math500: by level" in text
    assert "m / math500: by subject" in text
    md = render(reports, "md")
    assert "### m / math500: by level" in md
    assert "| 10 | 4 |" in md
    table = list(csv.DictReader(io.StringIO(render(reports, "csv"))))
    hot = next(r for r in table if r["task"] == "hotpotqa")
    assert hot["plain_f1"] == "0.625"
    assert hot["n_sustain_f1"] == "2"
    assert next(r for r in table if r["task"] == "math500")["plain_f1"] == ""


def test_items_missing_a_breakdown_field_are_counted_in_a_warning() -> None:
    rows = math_rows()
    rows = [replace(r, metadata={}) if r.sample_id == "0" else r for r in rows]
    warnings: list[str] = []
    [report] = score_rows(rows, warnings)
    assert sum(g.n_items for g in report.by_metadata["level"].values()) == 11
    assert any("1 item(s) have no 'level'" in w for w in warnings)


def test_metadata_from_lmeval_and_inspect_files(tmp_path: Path) -> None:
    lm = tmp_path / "lm" / "org__a"
    write_lmeval_run(lm, {
        "sustain_math500_plain": [
            lm_line(i, f"id{i}", acc=1.0 if i != 3 else 0.0,
                    metadata={"subject": "Algebra", "level": 1 + i % 2}) for i in range(4)],
        "sustain_math500_constrained": [
            lm_line(i, f"id{i}", acc=1.0 if i != 0 else 0.0, constraints=["format:no_bold"],
                    compliance=1.0, source="reference",
                    metadata={"subject": "Algebra", "level": 1 + i % 2}) for i in range(4)]})
    log = write_inspect_log(tmp_path / "h.eval", [
        {"id": "x", "value": sample_value(1.0, 1.0, compliant=1.0, plain_f1=1.0,
                                          constrained_f1=1.0),
         "metadata": {"type": "bridge", "level": "hard"}},
        {"id": "y", "value": sample_value(1.0, 0.0, compliant=1.0, plain_f1=1.0,
                                          constrained_f1=0.0),
         "metadata": {"type": "comparison", "level": "hard"}}], task="sustain_hotpotqa")
    reports = {r.task: r for r in score_rows(read_rows([tmp_path / "lm", log]).rows)}
    levels = reports["math500"].by_metadata["level"]
    # level 1 = id0, id2 (id0 lost under the constraint); level 2 = id1, id3 (id3 wrong plain)
    assert (levels["1"].sustain.k, levels["1"].sustain.n) == (1, 2)
    assert (levels["2"].sustain.k, levels["2"].sustain.n) == (1, 1)
    hot = reports["hotpotqa"]
    assert hot.sustain_f1.value == 0.5
    assert hot.by_metadata["type"]["comparison"].sustain.value == 0.0


# -- partial constrained runs, mixed modes ----------------------------------------------------

def _partial_rows(mode: str) -> list[SampleRow]:
    """A 15-item plain run, all correct, and a constrained run of the first 5 (``--limit 5``)."""
    rows = [row(str(i), "plain", True, mode=None) for i in range(15)]
    rows += [row(str(i), "constrained", i != 0, kinds=("length:max_words",), compliant=True,
                 mode=mode) for i in range(5)]
    return rows


@pytest.mark.parametrize("mode", ["self", "reference"])
def test_partial_constrained_run_is_counted_and_warned(mode: str) -> None:
    warnings: list[str] = []
    [report] = score_rows(_partial_rows(mode), warnings)
    # S keeps its definition: plain-correct items with a constrained record
    assert (report.sustain.k, report.sustain.n) == (4, 5)
    assert report.n_plain_correct_without_constrained == 10
    assert report.to_dict()["n_plain_correct_without_constrained"] == 10
    assert "n_plain_correct_without_constrained" in render([report], "csv").splitlines()[0]
    [warning] = [w for w in warnings if "no constrained record" in w]
    assert warning.startswith("m / gsm8k: 10 of 15 plain-correct item(s) have no constrained "
                              "record, so S holds 5")
    if mode == "reference":
        assert "reference mode" in warning
        assert "the constrained run is incomplete" in warning
    else:
        assert "no constraints were extracted for them, or the constrained run was partial " \
            "(e.g. --limit)" in warning


def test_complete_run_and_plain_only_run_do_not_warn() -> None:
    warnings: list[str] = []
    [report] = score_rows(self_mode_rows(), warnings)
    assert report.n_plain_correct_without_constrained == 0
    assert not [w for w in warnings if "constrained record" in w]
    [report] = score_rows([row(str(i), "plain", True) for i in range(3)], warnings)
    assert report.n_plain_correct_without_constrained == 3
    assert not [w for w in warnings if "constrained record" in w]


def test_compare_warns_when_modes_differ() -> None:
    a = self_mode_rows()
    b = [replace(r, model="other", mode="reference") for r in a]
    warnings: list[str] = []
    compare_models(score_rows(a + b), n_boot=50, seed=0, warnings=warnings)
    assert warnings == ["gsm8k: comparing runs of different modes (m: self, other: "
                        "reference); the differences mix the models with the way constraints "
                        "were chosen"]
    warnings = []
    same = [replace(r, model="other") for r in a]
    compare_models(score_rows(a + same), n_boot=50, seed=0, warnings=warnings)
    assert warnings == []


# -- controls, McNemar, run pairing (statistics review) ---------------------------------------

def test_control_retention_is_measured_within_its_own_run() -> None:
    # self log: items 0-3 plain-correct, all constrained; item 4 plain-wrong
    rows = [row(str(i), "plain", i < 4, run="self.eval", created=1.0) for i in range(5)]
    rows += [row(str(i), "constrained", True, run="self.eval", created=1.0,
                 kinds=("length:max_words",), compliant=True) for i in range(4)]
    # retest log: its own plain answers are right for 0, 1 and 4 only, so the solver made
    # the retest generation for those; item 4 then fails the retest
    rows += [row(str(i), "plain", i in (0, 1, 4), run="retest.eval", created=2.0,
                 mode="retest") for i in range(5)]
    rows += [row(str(i), "retest", i != 4, run="retest.eval", created=2.0, mode="retest")
             for i in (0, 1, 4)]
    warnings: list[str] = []
    [report] = score_rows(rows, warnings)
    # own S of the retest run = {0, 1, 4}: 2 of 3 stay right (pairing with the self log's
    # plain answers would keep only {0, 1}: 2 of 2)
    assert (report.retest.k, report.retest.n) == (2, 3)
    assert (report.sustain.k, report.sustain.n) == (4, 4)
    assert report.adjusted_interference == pytest.approx(2 / 3 - 1.0)
    assert report.runs == {"plain": "self.eval", "constrained": "self.eval",
                           "retest": "retest.eval"}
    # the retest log's plain rows are used, not ignored
    assert not [w for w in warnings if "ignoring retest.eval" in w]


def test_no_interference_with_flaky_items_gives_no_adjusted_interference() -> None:
    # 200 items always right; 400 flaky items right in every other try, whatever the prompt
    # (all 16 combinations of the four tries equally often): no interference at all
    rows: list[SampleRow] = []
    for i in range(600):
        j = i - 200
        p1, c, p2, r = ((True,) * 4 if j < 0 else
                        (j % 2 == 0, (j // 2) % 2 == 0, (j // 4) % 2 == 0, (j // 8) % 2 == 0))
        rows.append(row(str(i), "plain", p1, run="self.eval", created=1.0))
        if p1:
            rows.append(row(str(i), "constrained", c, run="self.eval", created=1.0,
                            kinds=("length:max_words",), compliant=True))
        rows.append(row(str(i), "plain", p2, run="retest.eval", created=2.0, mode="retest"))
        if p2:
            rows.append(row(str(i), "retest", r, run="retest.eval", created=2.0,
                            mode="retest"))
    [report] = score_rows(rows)
    # S: 200 + 200 flaky, 300 stay right; the retest run's own S likewise. Pairing the retest
    # with the self run's plain answers would keep 200 + 100 items, 250 right: +0.083.
    assert report.sustain.value == pytest.approx(0.75)
    assert report.retest.value == pytest.approx(0.75)
    assert report.adjusted_interference == pytest.approx(0.0)


def test_control_run_without_plain_rows_has_no_retention_and_warns() -> None:
    rows = [row("1", "plain", True, run="a", created=1.0),
            row("1", "retest", True, run="b", created=2.0)]
    warnings: list[str] = []
    [report] = score_rows(rows, warnings)
    assert report.retest.n == 0
    assert any("retest retention is not computed" in w for w in warnings)


def test_mcnemar_is_computed_in_reference_mode_only() -> None:
    rows = [row(str(i), "plain", i < 8, mode="reference") for i in range(10)]
    rows += [row(str(i), "constrained", i < 6, kinds=("length:max_words",), compliant=True,
                 mode="reference") for i in range(10)]
    [report] = score_rows(rows)
    assert report.mcnemar_p == 0.5
    assert report.mcnemar_note is None
    assert report.to_dict()["mcnemar_note"] is None


def test_constrained_row_without_constraints_is_not_compliant() -> None:
    rows = [row("1", "plain", True), row("2", "plain", True),
            row("1", "constrained", True, kinds=(), n_constraints=0, compliant=True),
            row("2", "constrained", True, kinds=("length:max_words",), compliant=False)]
    [report] = score_rows(rows)
    assert (report.compliance.k, report.compliance.n) == (0, 1)
    assert (report.compliance_loose.n, report.sustain.n) == (0, 1)


def test_reference_items_without_a_constraint_do_not_look_incomplete(tmp_path: Path) -> None:
    # a complete Inspect reference run: item 2's reference yields no constraint
    samples = [{"id": str(i), "value": sample_value(1.0, 1.0, compliant=1.0)} for i in (0, 1)]
    samples.append({"id": "2", "value": sample_value(1.0, None), "kinds": []})
    write_inspect_log(tmp_path / "ref.eval", samples, mode="reference")
    read = read_rows([tmp_path])
    warnings: list[str] = []
    [report] = score_rows(read.rows, warnings)
    assert report.n_plain_correct_without_constrained == 1
    assert report.n_plain_correct_no_constraint == 1
    assert report.to_dict()["n_plain_correct_no_constraint"] == 1
    assert not [w for w in warnings if "constrained record" in w]


def test_two_inspect_logs_retest_uses_its_own_plain(tmp_path: Path) -> None:
    write_inspect_log(tmp_path / "self.eval", [
        {"id": str(i), "value": sample_value(1.0 if i < 4 else 0.0,
                                             1.0 if i < 4 else None, compliant=1.0)}
        for i in range(5)], mode="self", created="2026-01-01T10:00:00+00:00")
    write_inspect_log(tmp_path / "retest.eval", [
        {"id": str(i), "value": sample_value(
            1.0 if i in (0, 1, 4) else 0.0, None,
            retest=(1.0 if i < 2 else 0.0) if i in (0, 1, 4) else None)}
        for i in range(5)], mode="retest", created="2026-01-02T10:00:00+00:00")
    [report] = score_rows(read_rows([tmp_path]).rows)
    assert (report.retest.k, report.retest.n) == (2, 3)
    assert (report.sustain.k, report.sustain.n) == (4, 4)


def test_one_lmeval_invocation_is_one_run(tmp_path: Path) -> None:
    # a complete group run, then a plain-only re-check with --limit 2 of the same model
    write_lmeval_run(tmp_path / "lm", {
        "sustain_gsm8k_plain": [lm_line(i, str(i), acc=1.0) for i in range(4)],
        "sustain_gsm8k_constrained": [lm_line(i, str(i), acc=1.0, constraints=[
            "length:max_words"], compliance=1.0, source="reference") for i in range(4)]},
        date="2026-01-01T10-00-00.000001", model_args="pretrained=org/m")
    write_lmeval_run(tmp_path / "lm2", {
        "sustain_gsm8k_plain": [lm_line(i, str(i), acc=0.0) for i in range(2)]},
        date="2026-01-03T10-00-00.000001", model_args="pretrained=org/m")
    [report] = score_rows(read_rows([tmp_path]).rows)
    assert (report.plain.k, report.plain.n) == (4, 4)
    assert (report.sustain.k, report.sustain.n) == (4, 4)
    assert report.runs["plain"] == report.runs["constrained"]


def test_two_stage_pairs_with_the_plain_run_made_before_the_constrained(
        tmp_path: Path) -> None:
    write_lmeval_run(tmp_path / "p1", {"sustain_gsm8k_plain": [
        lm_line(i, str(i), acc=1.0 if i < 4 else 0.0) for i in range(6)]},
        date="2026-01-01T10-00-00.000001")
    write_lmeval_run(tmp_path / "c", {"sustain_gsm8k_constrained": [
        lm_line(i, str(i), acc=1.0, constraints=["length:max_words"], compliance=1.0)
        for i in range(4)]}, date="2026-01-02T10-00-00.000001")
    write_lmeval_run(tmp_path / "p3", {"sustain_gsm8k_plain": [
        lm_line(i, str(i), acc=0.0 if i < 2 else 1.0) for i in range(6)]},
        date="2026-01-03T10-00-00.000001")
    warnings: list[str] = []
    [report] = score_rows(read_rows([tmp_path]).rows, warnings)
    assert report.runs["plain"].startswith(str(tmp_path / "p1"))
    assert (report.sustain.k, report.sustain.n) == (4, 4)
    assert report.n_plain_correct_without_constrained == 0
    [warning] = [w for w in warnings if "hold the plain variant" in w]
    assert "made before the constrained run" in warning
    assert str(tmp_path / "p3") in warning


def test_compare_json_and_table_show_valid_resamples() -> None:
    a = self_mode_rows()
    b = [replace(r, model="other") for r in a]
    reports = score_rows(a + b)
    compare_models(reports, n_boot=50, seed=0)
    obj = reports[0].to_dict()["compare"]["other"]
    assert obj["n_valid"] == 50
    assert obj["difference"] == 0.0
    table = render(reports, "table")
    assert "50/50" in table
    assert "-0.000" not in table
    assert "+0.000 [+0.000, +0.000]" in table
