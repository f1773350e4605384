"""The ``sustain`` command line, end to end on the offline data and hand-built run files."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from sustain_tasks import __version__
from sustain_tasks.benchmarks import get_benchmark
from sustain_tasks.cli import Progress, main
from sustain_tasks.constraints import check_all, constraint_from_record
from tests.report.builders import lm_line, sample_value, write_inspect_log, write_lmeval_run


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def jsonl(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def write_jsonl(path: Path, *records: object) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n"
                            for r in records), encoding="utf-8")
    return path


@pytest.fixture
def gsm8k_outputs(tmp_path: Path, data_dir: Path) -> Path:
    """Ten GSM8K outputs: the references, except items 0 and 5 answered wrongly."""
    items = get_benchmark("gsm8k").load(data_dir, limit=10)
    records = [{"id": it.id, "output": it.reference if i not in (0, 5) else
                "I think it is 7.\n#### 7"} for i, it in enumerate(items)]
    return write_jsonl(tmp_path / "plain.jsonl", *records)


# -- basics ----------------------------------------------------------------------------------

def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"sustain {__version__}"


def test_usage_error_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "extract", "--task", "gsm8k")
    assert code == 2
    assert "--out" in err


def test_constraints_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "constraints")
    assert code == 0
    assert "length:max_words" in out
    assert "Use fewer than 120 words in your whole response." in out
    code, out, _ = run(capsys, "constraints", "--format", "json")
    entries = jsonl(out)
    assert {e["id"] for e in entries} >= {"length:max_words"}
    for e in entries:
        assert e["category"] == str(e["id"]).split(":")[0]
        assert e["type"] in ("structural", "semantic")
        assert isinstance(e["example"], str)
        assert e["example"]
    code, out, _ = run(capsys, "constraints", "--kinds", "length", "--format", "json")
    assert {str(e["id"]).split(":")[0] for e in jsonl(out)} == {"length"}


# -- extract ---------------------------------------------------------------------------------

def test_extract_self_from_generic_jsonl(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         data_dir: Path, gsm8k_outputs: Path) -> None:
    out_file = tmp_path / "c.jsonl"
    code, out, err = run(capsys, "extract", "--task", "gsm8k", "--from", gsm8k_outputs,
                         "--out", out_file, "--k", "2", "--data-dir", data_dir)
    assert code == 0, err
    assert out == ""  # stdout stays clean
    lines = jsonl(out_file.read_text())
    ids = [line["id"] for line in lines]
    assert "0" not in ids
    assert "5" not in ids  # wrong answers get no constraints
    assert len(lines) >= 6
    for line in lines:
        assert line["task"] == "gsm8k"
        assert line["source"] == "self"
        assert 1 <= len(line["constraints"]) <= 2
    assert "outputs read:          10" in err
    assert "correct (verified):    8" in err
    # deterministic: the same inputs give the same file
    again = tmp_path / "c2.jsonl"
    run(capsys, "extract", "--task", "gsm8k", "--from", gsm8k_outputs, "--out", again,
        "--k", "2", "--data-dir", data_dir)
    assert again.read_text() == out_file.read_text()


def test_extract_then_check_is_self_evident(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                            data_dir: Path, gsm8k_outputs: Path) -> None:
    cfile = tmp_path / "c.jsonl"
    run(capsys, "extract", "--task", "gsm8k", "--from", gsm8k_outputs, "--out", cfile,
        "--kinds", "length", "lexical", "--data-dir", data_dir)
    code, out, err = run(capsys, "check", "--constraints", cfile, "--outputs", gsm8k_outputs,
                         "--format", "json")
    assert code == 0
    results = jsonl(out)
    assert results
    assert all(r["compliant"] is True for r in results)  # the source satisfies its constraints
    kinds = {c["kind"] for r in results for c in r["results"]}
    assert {k.split(":")[0] for k in kinds} <= {"length", "lexical"}
    assert "compliance (strict): 1.000" in err


def test_extract_reference(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                           data_dir: Path) -> None:
    out_file = tmp_path / "ref.jsonl"
    code, _, err = run(capsys, "extract", "--task", "gsm8k", "--reference", "--limit", "5",
                       "--out", out_file, "--data-dir", data_dir)
    assert code == 0, err
    lines = jsonl(out_file.read_text())
    assert [line["source"] for line in lines] == ["reference"] * len(lines)
    assert len(lines) == 5


def test_extract_from_lmeval_and_inspect(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         data_dir: Path) -> None:
    items = get_benchmark("gsm8k").load(data_dir, limit=3)
    lm = write_lmeval_run(tmp_path / "lm" / "org__a", {"sustain_gsm8k_plain": [
        lm_line(i, it.id, acc=1.0, output=it.reference) for i, it in enumerate(items)]})
    code, _, err = run(capsys, "extract", "--task", "gsm8k", "--from", tmp_path / "lm",
                       "--out", tmp_path / "a.jsonl", "--data-dir", data_dir)
    assert code == 0, err
    assert len(jsonl((tmp_path / "a.jsonl").read_text())) == 3
    assert "samples_sustain_gsm8k_plain_" in err
    log = write_inspect_log(tmp_path / "x.eval", [
        {"id": it.id, "value": sample_value(1.0), "plain_output": it.reference}
        for it in items])
    code, _, err = run(capsys, "extract", "--task", "gsm8k", "--from", log,
                       "--out", tmp_path / "b.jsonl", "--data-dir", data_dir)
    assert code == 0, err
    assert (tmp_path / "b.jsonl").read_text() == (tmp_path / "a.jsonl").read_text()
    assert lm.is_dir()


def test_extract_needs_exactly_one_source(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    code, _, err = run(capsys, "extract", "--task", "gsm8k", "--out", tmp_path / "c.jsonl")
    assert code == 2
    assert "--from PATH" in err


def test_extract_unknown_kind(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                              gsm8k_outputs: Path) -> None:
    code, _, err = run(capsys, "extract", "--task", "gsm8k", "--from", gsm8k_outputs,
                       "--out", tmp_path / "c.jsonl", "--kinds", "length:nope")
    assert code == 2
    assert err.startswith("sustain: error: field 'kinds': unknown constraint id or category "
                          "'length:nope'")
    assert not (tmp_path / "c.jsonl").exists()


def test_extract_missing_data_file(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                   gsm8k_outputs: Path) -> None:
    empty = tmp_path / "data"
    empty.mkdir()
    code, _, err = run(capsys, "extract", "--task", "gsm8k", "--from", gsm8k_outputs,
                       "--out", tmp_path / "c.jsonl", "--data-dir", empty)
    assert code == 2
    assert "sustain: error:" in err
    assert str(empty / "gsm8k" / "test.jsonl") in err
    assert "Traceback" not in err


def test_extract_unknown_id_names_file_line_field(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path, data_dir: Path) -> None:
    src = write_jsonl(tmp_path / "o.jsonl", {"id": "0", "output": "x"},
                      {"id": "no-such", "output": "y"})
    code, _, err = run(capsys, "extract", "--task", "gsm8k", "--from", src, "--out",
                       tmp_path / "c.jsonl", "--data-dir", data_dir)
    assert code == 2
    assert f"{src}:2: field 'id': no item with id 'no-such'" in err


def test_extract_malformed_jsonl(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                 data_dir: Path) -> None:
    src = write_jsonl(tmp_path / "o.jsonl", {"id": "0", "output": "x"}, '{"id": "1", "outp')
    code, _, err = run(capsys, "extract", "--task", "gsm8k", "--from", src, "--out",
                       tmp_path / "c.jsonl", "--data-dir", data_dir)
    assert code == 2
    assert f"{src}:2: malformed JSON" in err


def test_extract_without_plain_outputs_is_an_error(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path, data_dir: Path) -> None:
    for name, lines in (("empty.jsonl", ["", ""]),
                        ("other.jsonl", [{"id": "0", "output": "#### 18",
                                          "variant": "constrained"}])):
        src = write_jsonl(tmp_path / name, *lines)
        out_file = tmp_path / f"c-{name}"
        code, _, err = run(capsys, "extract", "--task", "gsm8k", "--from", src, "--out",
                           out_file, "--data-dir", data_dir)
        assert code == 2, err
        assert f"sustain: error: {src}: nothing to extract from: no plain outputs" in err
        assert not out_file.exists()
    assert "1 line(s) of other variants (constrained) ignored" in err


def test_extract_empty_output_gets_no_constraints(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path, data_dir: Path) -> None:
    src = write_jsonl(tmp_path / "o.jsonl", {"id": "0", "output": ""})
    code, _, err = run(capsys, "extract", "--task", "gsm8k", "--from", src, "--out",
                       tmp_path / "c.jsonl", "--data-dir", data_dir)
    assert code == 0
    assert (tmp_path / "c.jsonl").read_text() == ""
    assert "correct (verified):    0" in err


# -- check -----------------------------------------------------------------------------------

CONSTRAINTS = [
    {"id": "1", "task": "gsm8k", "source": "self", "constraints": [
        {"kind": "length:max_words", "params": {"limit": 5}, "text": "..."}]},
    {"id": "2", "task": "gsm8k", "source": "self", "constraints": [
        {"kind": "length:max_words", "params": {"limit": 5}, "text": "..."}]},
    {"id": "3", "task": "gsm8k", "source": "self", "constraints": [
        {"kind": "length:max_words", "params": {"limit": 5}, "text": "..."}]},
]


def test_check_reports_each_item_and_missing_outputs(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    cfile = write_jsonl(tmp_path / "c.jsonl", *CONSTRAINTS)
    ofile = write_jsonl(tmp_path / "o.jsonl",
                        {"id": "1", "output": "short answer"},
                        {"id": "1", "output": "one two three four five six seven",
                         "variant": "constrained"},
                        {"id": "2", "output": "", "variant": "constrained"},
                        {"id": "9", "output": "no constraints for me"})
    code, out, err = run(capsys, "check", "--constraints", cfile, "--outputs", ofile,
                         "--format", "json")
    assert code == 0
    by_id = {r["id"]: r for r in jsonl(out)}
    assert by_id["1"]["compliant"] is False  # the constrained line wins over the unlabelled
    assert by_id["1"]["results"] == [{"kind": "length:max_words",
                                      "text": "Use fewer than 5 words in your whole response.",
                                      "strict": False, "loose": False}]
    # an empty output is judged as check_all judges it, and flagged
    [blank] = check_all([constraint_from_record(CONSTRAINTS[1]["constraints"][0])], "")
    assert by_id["2"]["compliant"] is blank.strict
    assert by_id["2"]["note"] == "empty output"
    # DESIGN: "compliant" is true or false; a missing output is false with an error, and the
    # summary counts it as missing, not as a non-compliant output
    assert by_id["3"]["compliant"] is False
    assert by_id["3"]["error"] == "no output for this id"
    assert by_id["3"]["results"] == []
    assert "items without an output (1; reported as compliant false with an error, not " \
        "counted in compliance): 3" in err
    assert "items checked: 2 of 3" in err
    assert f"compliance (strict): {0.5 if blank.strict else 0.0:.3f}" in err  # over 2, not 3
    assert "outputs without constraints, ignored: 1" in err
    code, out, _ = run(capsys, "check", "--constraints", cfile, "--outputs", ofile)
    assert code == 0
    assert "items checked: 2 of 3" in out
    assert "no output for this id" in out


def test_check_with_nothing_to_check_is_an_error(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    cfile = write_jsonl(tmp_path / "c.jsonl", *CONSTRAINTS)
    empty = write_jsonl(tmp_path / "empty.jsonl", "")
    code, out, err = run(capsys, "check", "--constraints", cfile, "--outputs", empty)
    assert (code, out) == (2, "")
    assert err.startswith(f"sustain: error: {empty}: no output to check for any of the 3 "
                          f"items of {cfile}")
    plain = write_jsonl(tmp_path / "plain.jsonl",
                        *({"id": str(i), "output": "x", "variant": "plain"} for i in (1, 2)))
    code, out, err = run(capsys, "check", "--constraints", cfile, "--outputs", plain)
    assert (code, out) == (2, "")
    assert "the file holds 2 line(s) of other variants (plain)" in err
    assert "--variant" in err
    other_ids = write_jsonl(tmp_path / "ids.jsonl", {"id": "77", "output": "x"})
    code, _, err = run(capsys, "check", "--constraints", cfile, "--outputs", other_ids)
    assert code == 2
    assert "1 line(s) for ids without constraints" in err
    no_sets = write_jsonl(tmp_path / "none.jsonl", "")
    code, _, err = run(capsys, "check", "--constraints", no_sets, "--outputs", plain)
    assert code == 2
    assert f"sustain: error: {no_sets}: no constraints in this file" in err


def test_check_unknown_constraint_id(capsys: pytest.CaptureFixture[str],
                                     tmp_path: Path) -> None:
    bad = dict(CONSTRAINTS[1], constraints=[{"kind": "lexical:rhymes", "params": {}}])
    cfile = write_jsonl(tmp_path / "c.jsonl", CONSTRAINTS[0], bad)
    ofile = write_jsonl(tmp_path / "o.jsonl", {"id": "1", "output": "x"})
    code, out, err = run(capsys, "check", "--constraints", cfile, "--outputs", ofile)
    assert code == 2
    assert out == ""
    assert err.strip() == (f"sustain: error: {cfile}:2: field 'constraints[0].kind': unknown "
                           "constraint id 'lexical:rhymes'; run 'sustain constraints' for the "
                           "catalogue")


def test_check_malformed_outputs_line(capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path) -> None:
    cfile = write_jsonl(tmp_path / "c.jsonl", *CONSTRAINTS)
    ofile = write_jsonl(tmp_path / "o.jsonl", {"id": "1", "output": "x"}, "",
                        '{"id": "2", output: "y"}')
    code, _, err = run(capsys, "check", "--constraints", cfile, "--outputs", ofile)
    assert code == 2
    assert err.startswith(f"sustain: error: {ofile}:3: malformed JSON")


def test_check_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "check", "--constraints", tmp_path / "nope.jsonl",
                       "--outputs", tmp_path / "o.jsonl")
    assert code == 2
    assert err.strip() == f"sustain: error: {tmp_path / 'nope.jsonl'}: file not found"


# -- verify ----------------------------------------------------------------------------------

def test_verify_json_and_target_override(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         data_dir: Path) -> None:
    ofile = write_jsonl(tmp_path / "o.jsonl",
                        {"id": "0", "output": "so the answer is\n#### 18"},
                        {"id": "0", "output": "#### 7", "variant": "constrained"},
                        {"id": "1", "output": ""},
                        {"id": "own", "output": "#### 42", "target": "42"})
    code, out, err = run(capsys, "verify", "--task", "gsm8k", "--outputs", ofile,
                         "--format", "json", "--data-dir", data_dir)
    assert code == 0, err
    lines = jsonl(out)
    assert [(r["id"], r["correct"]) for r in lines] == [("0", True), ("0", False),
                                                       ("1", False), ("own", True)]
    assert lines[0]["extracted"] == "18"
    assert set(lines[0]) == {"id", "correct", "extracted", "detail"}
    assert lines[1]["variant"] == "constrained"
    assert lines[2]["extracted"] is None  # an empty output is simply wrong
    assert "accuracy: 0.667 [" in err
    assert "accuracy (constrained): 0.000" in err


def test_verify_targets_only_needs_no_data(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUSTAIN_DATA_DIR", str(tmp_path / "nowhere"))
    ofile = write_jsonl(tmp_path / "o.jsonl", {"id": "a", "output": "#### 3", "target": 3})
    code, out, _ = run(capsys, "verify", "--task", "gsm8k", "--outputs", ofile)
    assert code == 0
    assert "accuracy: 1.000" in out


def test_verify_reads_sentence_answers_against_the_question(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, data_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # GSM8K item 18 asks how many dozens Claire eats in 4 weeks: only the question tells
    # which of the sentence's numbers answers it
    sentence = "Answer: Claire will eat 7 dozens of eggs in 4 weeks."
    ofile = write_jsonl(tmp_path / "o.jsonl", {"id": "18", "output": sentence},
                        {"id": "18", "output": sentence, "target": "7"})
    code, out, err = run(capsys, "verify", "--task", "gsm8k", "--outputs", ofile,
                         "--format", "json", "--data-dir", data_dir)
    assert code == 0, err
    lines = jsonl(out)
    assert [(r["correct"], r["extracted"]) for r in lines] == [(True, "7"), (True, "7")]
    assert "answer_statement" in lines[0]["detail"]
    # own targets and no data: no question, so the sentence is ambiguous
    monkeypatch.setenv("SUSTAIN_DATA_DIR", str(tmp_path / "nowhere"))
    own = write_jsonl(tmp_path / "own.jsonl", {"id": "18", "output": sentence, "target": "7"})
    code, out, err = run(capsys, "verify", "--task", "gsm8k", "--outputs", own, "--format",
                         "json")
    assert code == 0, err
    assert jsonl(out)[0]["correct"] is False
    assert "no rule tells" in jsonl(out)[0]["detail"]


def test_verify_unknown_id_and_unknown_task(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path, data_dir: Path) -> None:
    ofile = write_jsonl(tmp_path / "o.jsonl", {"id": "99999", "output": "#### 1"})
    code, _, err = run(capsys, "verify", "--task", "gsm8k", "--outputs", ofile,
                       "--data-dir", data_dir)
    assert code == 2
    assert f"{ofile}:1: field 'id': no item with id '99999'" in err
    code, _, err = run(capsys, "verify", "--task", "nosuch", "--outputs", ofile)
    assert code == 2
    assert "unknown task 'nosuch'" in err


# -- score -----------------------------------------------------------------------------------

@pytest.fixture
def runs(tmp_path: Path) -> list[Path]:
    lm = tmp_path / "lm" / "org__a"
    write_lmeval_run(lm, {"sustain_gsm8k_plain": [
        lm_line(i, str(i), acc=1.0 if i < 8 else 0.0) for i in range(10)]},
        date="2026-01-01T10-00-00.000001", epoch=10.0, model_args="pretrained=org/a")
    write_lmeval_run(lm, {"sustain_gsm8k_constrained": [
        lm_line(i, str(i), acc=1.0 if i < 6 else 0.0, constraints=["length:max_words"],
                compliance=1.0 if i % 2 else 0.0) for i in range(8)]},
        date="2026-01-02T10-00-00.000001", epoch=20.0, model_args="pretrained=org/a")
    log = write_inspect_log(tmp_path / "b.eval", [
        {"id": str(i), "value": sample_value(1.0, 1.0 if i != 2 else 0.0, compliant=1.0,
                                             retest=1.0)} for i in range(10)],
        model="prov/b")
    return [tmp_path / "lm", log]


def test_score_json_lines(capsys: pytest.CaptureFixture[str], runs: list[Path]) -> None:
    code, out, err = run(capsys, "score", *runs, "--format", "json")
    assert code == 0, err
    reports = {r["model"]: r for r in jsonl(out)}
    assert set(reports) == {"org/a", "prov/b"}
    a = reports["org/a"]
    assert (a["task"], a["mode"], a["n_items"], a["n_sustain"]) == ("gsm8k", "self", 10, 8)
    assert a["sustain_score"] == 0.75
    assert a["plain_accuracy"] == 0.8
    assert a["constrained_accuracy"] == 0.75
    assert a["compliance"] == 0.5
    assert a["mcnemar_p"] is None  # self mode: c = 0 by construction
    assert "self mode" in a["mcnemar_note"]
    assert (a["mcnemar_b"], a["mcnemar_c"]) == (2, 0)
    b = reports["prov/b"]
    assert b["sustain_score"] == 0.9
    assert b["retest_retention"] == 1.0
    assert b["adjusted_interference"] == pytest.approx(0.1)


def test_score_table_csv_md_and_compare(capsys: pytest.CaptureFixture[str], runs: list[Path],
                                        tmp_path: Path) -> None:
    code, out, _ = run(capsys, "score", *runs)
    assert code == 0
    assert "SustainScore [95% CI]" in out
    assert "0.750 [0.409, 0.929]" in out
    code, out, _ = run(capsys, "score", *runs, "--format", "csv")
    assert out.splitlines()[0].startswith("model,task,mode,harness,n_items,")
    assert len(out.splitlines()) == 3
    code, out, _ = run(capsys, "score", *runs, "--format", "md", "--compare",
                       "--bootstrap", "200")
    assert "Model comparisons (paired bootstrap)" in out
    assert "| gsm8k | org/a | prov/b | 10 | -0.150 [" in out
    out_file = tmp_path / "r" / "report.jsonl"
    code, out, _ = run(capsys, "score", *runs, "--format", "json", "--compare", "--out",
                       out_file)
    assert out == ""
    first = jsonl(out_file.read_text())[0]
    assert first["compare"]["prov/b"]["difference"] == pytest.approx(-0.15)


def test_score_warns_about_superseded_runs(capsys: pytest.CaptureFixture[str],
                                           runs: list[Path]) -> None:
    lm = runs[0] / "org__a"
    write_lmeval_run(lm, {"sustain_gsm8k_plain": [lm_line(0, "0", acc=1.0)]},
                     date="2025-01-01T10-00-00.000001", epoch=1.0,
                     model_args="pretrained=org/a")
    code, _, err = run(capsys, "score", runs[0])
    assert code == 0
    assert "sustain: warning: org/a / gsm8k: 2 runs hold the plain variant" in err


def test_score_bad_inputs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "score", tmp_path / "missing")
    assert code == 2
    assert "no such file or folder" in err
    folder = write_lmeval_run(tmp_path / "m", {"gsm8k": [lm_line(0, "0", acc=1.0)]})
    code, _, err = run(capsys, "score", folder)
    assert code == 2
    assert "nothing to score" in err
    assert "skipped" in err
    cfile = write_jsonl(tmp_path / "c1.jsonl", *CONSTRAINTS)
    code, _, err = run(capsys, "score", cfile)
    assert code == 2
    assert err.strip() == (f"sustain: error: {cfile}: this is a constraints file (from sustain "
                           "extract); score reads lm-eval outputs and Inspect logs")


def test_score_compare_warns_about_mixed_modes(capsys: pytest.CaptureFixture[str],
                                               runs: list[Path], tmp_path: Path) -> None:
    ref = write_inspect_log(tmp_path / "ref.eval", [
        {"id": str(i), "value": sample_value(1.0, 1.0, compliant=1.0)} for i in range(10)],
        model="prov/c", mode="reference")
    code, _, err = run(capsys, "score", runs[0], ref, "--compare", "--bootstrap", "50")
    assert code == 0
    assert "sustain: warning: gsm8k: comparing runs of different modes (org/a: self, " \
        "prov/c: reference)" in err
    code, _, err = run(capsys, "score", *runs, "--compare", "--bootstrap", "50")
    assert "different modes" not in err


def test_score_plot_without_matplotlib(capsys: pytest.CaptureFixture[str], runs: list[Path],
                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, out, err = run(capsys, "score", *runs, "--plot", tmp_path / "p.png")
    assert code == 2
    assert out == ""
    assert "pip install 'sustainscore[plot]'" in err


# -- lm-eval wiring --------------------------------------------------------------------------

def test_lm_eval_commands_call_the_integration(capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    calls: list[list[str]] = []
    fake = types.ModuleType("sustain_tasks.lm_eval")
    fake.include_path = lambda: tmp_path
    fake.cli_main = lambda argv: calls.append(argv) or 0
    monkeypatch.setitem(sys.modules, "sustain_tasks.lm_eval", fake)
    code, out, _ = run(capsys, "include-path")
    assert (code, out.strip()) == (0, str(tmp_path))
    code, _, _ = run(capsys, "lm-eval", "--tasks", "sustain_gsm8k", "--help")
    assert code == 0
    assert calls == [["--tasks", "sustain_gsm8k", "--help"]]


def test_lm_eval_missing_integration_is_a_clear_error(capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sustain_tasks.lm_eval", None)
    code, _, err = run(capsys, "include-path")
    assert code == 2
    assert err.startswith("sustain: error:")


# -- no tracebacks, progress -----------------------------------------------------------------

def test_console_script_prints_one_line_not_a_traceback(tmp_path: Path) -> None:
    bad = write_jsonl(tmp_path / "o.jsonl", '{"id": 1, "output": "x"', )
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from sustain_tasks.cli import main; "
         "sys.exit(main(sys.argv[1:]))", "verify", "--task", "gsm8k", "--outputs", str(bad)],
        capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"sustain: error: {bad}:1: malformed JSON (Expecting ',' " \
        "delimiter at column 24)"


def test_progress_counter() -> None:
    import io

    stream = io.StringIO()
    p = Progress("reading", 3, enabled=True, stream=stream, interval=0.0, inline=True)
    for _ in range(3):
        p.tick()
    p.close()
    assert stream.getvalue().endswith("\rreading: 3/3 (100%)\n")
    quiet = io.StringIO()
    q = Progress("reading", 3, enabled=False, stream=quiet)
    q.tick()
    q.close()
    assert quiet.getvalue() == ""


def test_progress_in_a_log_writes_whole_lines() -> None:
    import io

    stream = io.StringIO()  # not a terminal: no carriage returns, a line now and then
    with Progress("verifying", 500, enabled=True, stream=stream, log_interval=3600.0) as p:
        for _ in range(499):
            p.tick()
    assert stream.getvalue() == ("verifying: 0/500 (0%)\nverifying: 1/500 (0%)\n"
                                 "verifying: 499/500 (99%)\n")
    stream = io.StringIO()

    def interrupted() -> None:
        with Progress("x", 5, enabled=True, stream=stream, inline=True) as bar:
            bar.tick()
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    # the line is finished on the way out
    assert stream.getvalue() == "\rx: 0/5 (0%)\rx: 1/5 (20%)\n"
