"""Readers of lm-eval output folders and Inspect logs, on hand-built files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sustain_tasks.errors import SustainInputError
from sustain_tasks.report.readers import (
    classify,
    discover,
    lmeval_model_name,
    read_inspect_log,
    read_lmeval_samples,
    read_plain_outputs,
    read_rows,
    split_lmeval_task,
)
from tests.report.builders import lm_line, sample_value, write_inspect_log, write_lmeval_run

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _two_stage(tmp_path: Path) -> Path:
    out = tmp_path / "lm"
    write_lmeval_run(out / "org__model-a", {
        "sustain_gsm8k_plain": [lm_line(i, str(i), acc=1.0 if i < 3 else 0.0,
                                        output=f"plain {i}") for i in range(4)],
    }, date="2026-01-01T10-00-00.000001", epoch=1000.0)
    write_lmeval_run(out / "org__model-a", {
        "sustain_gsm8k_constrained": [
            lm_line(0, "0", acc=1.0, constraints=["length:max_words"], compliance=1.0),
            lm_line(1, "1", acc=0.0, constraints=["lexical:no_commas", "format:no_bold"],
                    compliance=0.0, compliance_loose=1.0),
            lm_line(2, "2", acc=1.0, constraints=["lexical:no_commas"], compliance=1.0),
        ],
    }, date="2026-01-02T10-00-00.000001", epoch=2000.0)
    return out


def test_split_lmeval_task() -> None:
    assert split_lmeval_task("sustain_gsm8k_plain") == ("gsm8k", "plain")
    assert split_lmeval_task("sustain_math500_constrained") == ("math500", "constrained")
    assert split_lmeval_task("sustain_gsm8k") is None
    assert split_lmeval_task("gsm8k_plain") is None


def test_lmeval_model_name() -> None:
    assert lmeval_model_name({"model_name": "org/m", "config": {
        "model": "hf", "model_args": "pretrained=org/m,dtype=auto"}}) == "org/m"
    assert lmeval_model_name({"model_name": "x", "config": {
        "model": "local-completions", "model_args": {"model": "m1", "base_url": "u"}}}) == "x"
    # no name in the model arguments: lm-eval invents a random name; use the model type
    assert lmeval_model_name({"model_name": "qdpv68r5", "config": {
        "model": "dummy", "model_args": {}}}) == "dummy"


def test_lmeval_rows_use_flexible_extract_and_results_model(tmp_path: Path) -> None:
    out = _two_stage(tmp_path)
    result = read_rows([out])
    assert result.warnings == []
    plain = sorted((r for r in result.rows if r.variant == "plain"), key=lambda r: r.sample_id)
    assert [r.correct for r in plain] == [True, True, True, False]  # strict-match lines say 0
    assert {r.model for r in result.rows} == {"org/model-a"}
    assert {r.task for r in result.rows} == {"gsm8k"}
    constrained = {r.sample_id: r for r in result.rows if r.variant == "constrained"}
    assert constrained["1"].kinds == ("lexical:no_commas", "format:no_bold")
    assert constrained["1"].categories == ("lexical", "format")
    assert (constrained["1"].compliant, constrained["1"].compliant_loose) == (False, True)
    assert constrained["0"].mode == "self"
    assert constrained["0"].created == 2000.0
    assert plain[0].created == 1000.0


def test_lmeval_without_results_file_uses_folder_name(tmp_path: Path) -> None:
    folder = write_lmeval_run(tmp_path / "my-model", {
        "sustain_gsm8k_plain": [lm_line(0, "0", acc=1.0)]}, results=False)
    rows = read_rows([folder]).rows
    assert [r.model for r in rows] == ["my-model"]
    assert rows[0].created > 0


def test_lmeval_other_tasks_are_skipped_with_a_warning(tmp_path: Path) -> None:
    folder = write_lmeval_run(tmp_path / "m", {
        "gsm8k": [lm_line(0, "0", acc=1.0)],
        "sustain_gsm8k_plain": [lm_line(0, "0", acc=1.0)]})
    result = read_rows([folder])
    assert len(result.rows) == 1
    assert any("samples_gsm8k_" in w and "skipped" in w for w in result.warnings)


def test_lmeval_missing_doc_id_names_line_and_field(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    line = lm_line(0, "0", acc=1.0)
    del line["doc"]["id"]
    write_lmeval_run(folder, {"sustain_gsm8k_plain": [lm_line(1, "1", acc=1.0), line]})
    path = next(folder.glob("samples_*.jsonl"))
    with pytest.raises(SustainInputError) as err:
        read_lmeval_samples(path)
    assert err.value.path == str(path)
    # two lines per doc, strict-match (line 3) then flexible-extract (line 4): a strict-match
    # line lm-eval wrote is parsed only when its doc has no flexible-extract line
    assert err.value.line == 4
    assert err.value.field == "doc.id"


def test_lmeval_malformed_line(tmp_path: Path) -> None:
    folder = write_lmeval_run(tmp_path / "m", {"sustain_gsm8k_plain": [lm_line(0, "0", acc=1)]})
    path = next(folder.glob("samples_*.jsonl"))
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"doc_id": 1, "doc": {"id": "1"\n')
    with pytest.raises(SustainInputError, match=r"malformed JSON") as err:
        read_lmeval_samples(path)
    assert err.value.line == 3


def test_lmeval_verdict_must_be_binary(tmp_path: Path) -> None:
    folder = write_lmeval_run(tmp_path / "m", {
        "sustain_gsm8k_plain": [lm_line(0, "0", acc=0.5)]})
    with pytest.raises(SustainInputError) as err:
        read_rows([folder])
    assert err.value.field == "acc"
    assert err.value.line == 2


def test_lmeval_duplicate_doc_is_an_error(tmp_path: Path) -> None:
    folder = write_lmeval_run(tmp_path / "m", {
        "sustain_gsm8k_plain": [lm_line(0, "0", acc=1.0), lm_line(1, "0", acc=1.0)]})
    with pytest.raises(SustainInputError, match="duplicate line for doc id '0'"):
        read_rows([folder])


def test_inspect_rows_per_variant(tmp_path: Path) -> None:
    log = write_inspect_log(tmp_path / "a.eval", [
        {"id": "1", "value": sample_value(1.0, 1.0, compliant=1.0, retest=1.0, placebo=0.0),
         "kinds": ["length:max_words", "lexical:no_commas"]},
        {"id": "2", "value": sample_value(0.0)},
        {"id": 3, "value": sample_value(1.0, 0.0, compliant=0.0, compliant_loose=1.0)},
    ], model="sustain/reference")
    result = read_inspect_log(log)
    assert result.warnings == []
    by = {(r.sample_id, r.variant): r for r in result.rows}
    assert set(by) == {("1", "plain"), ("1", "constrained"), ("1", "retest"),
                       ("1", "placebo"), ("2", "plain"), ("3", "plain"), ("3", "constrained")}
    c1 = by[("1", "constrained")]
    assert c1.kinds == ("length:max_words", "lexical:no_commas")
    assert c1.categories == ("length", "lexical")
    assert c1.n_constraints == 1  # from the score value, not the metadata length
    assert (c1.model, c1.task, c1.mode, c1.harness) == ("sustain/reference", "gsm8k", "self",
                                                        "inspect")
    assert by[("1", "placebo")].correct is False
    assert (by[("3", "constrained")].compliant, by[("3", "constrained")].compliant_loose) == (
        False, True)
    assert c1.created > 0


def test_inspect_json_log_is_recognised(tmp_path: Path) -> None:
    log = write_inspect_log(tmp_path / "b.json", [{"id": "1", "value": sample_value(1.0)}])
    assert classify(log) == "inspect"
    assert [r.variant for r in read_rows([log]).rows] == ["plain"]


def test_inspect_partial_log_warns_and_uses_what_exists(tmp_path: Path) -> None:
    log = write_inspect_log(tmp_path / "c.eval", [
        {"id": "1", "value": sample_value(1.0, 1.0, compliant=1.0)},
        {"id": "2", "value": sample_value(1.0), "no_score": True},
        {"id": "1", "value": sample_value(0.0), "epoch": 2},
    ], status="error")
    result = read_inspect_log(log)
    assert {(r.sample_id, r.variant) for r in result.rows} == {("1", "plain"),
                                                                ("1", "constrained")}
    text = "\n".join(result.warnings)
    assert "status is 'error'" in text
    assert "without a 'sustain_scorer' score" in text
    assert "the log has 2 epochs: sustain score uses epoch 1 only and left out 1 sample(s) of " \
        "later epochs, while Inspect's own metrics (sustain_score, n_sustain) count every " \
        "(sample, epoch) pair, so the numbers can differ" in text


def test_inspect_bad_value_names_sample_and_field(tmp_path: Path) -> None:
    log = write_inspect_log(tmp_path / "d.eval", [{"id": "7", "value": {"plain": 2.0}}])
    with pytest.raises(SustainInputError) as err:
        read_inspect_log(log)
    assert err.value.field == "samples[id=7].scores.sustain_scorer.value.plain"
    assert err.value.path == str(log)


def test_inspect_other_task_is_skipped(tmp_path: Path) -> None:
    log = write_inspect_log(tmp_path / "e.eval", [{"id": "1", "value": sample_value(1.0)}],
                            task="theory_of_mind")
    result = read_rows([log])
    assert result.rows == []
    assert any("not a sustain task" in w for w in result.warnings)


def test_discover_errors(tmp_path: Path) -> None:
    with pytest.raises(SustainInputError, match="no such file"):
        discover([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(SustainInputError, match="no Inspect logs or lm-eval samples"):
        discover([tmp_path / "empty"])
    other = tmp_path / "notes.txt"
    other.write_text("hello", encoding="utf-8")
    with pytest.raises(SustainInputError, match="not an Inspect log"):
        discover([other])


def test_results_file_brings_its_samples(tmp_path: Path) -> None:
    out = _two_stage(tmp_path)
    results = sorted(out.rglob("results_*.json"))[0]
    found = discover([results])
    kinds = sorted(k for k, _ in found)
    assert kinds == ["lmeval-results", "lmeval-samples"]


def test_classify_outputs_and_lmeval(tmp_path: Path) -> None:
    generic = tmp_path / "outs.jsonl"
    generic.write_text(json.dumps({"id": "1", "output": "x"}) + "\n", encoding="utf-8")
    assert classify(generic) == "outputs"
    constraints = tmp_path / "c1.jsonl"
    constraints.write_text(json.dumps({"id": "1", "task": "gsm8k", "source": "self",
                                       "constraints": []}) + "\n", encoding="utf-8")
    assert classify(constraints) == "constraints"
    with pytest.raises(SustainInputError, match="this is a constraints file \\(from sustain "
                       "extract\\); score reads lm-eval outputs and Inspect logs"):
        discover([constraints])
    with pytest.raises(SustainInputError, match="this is a constraints file"):
        read_plain_outputs(constraints, "gsm8k")
    renamed = tmp_path / "plain.jsonl"
    renamed.write_text(json.dumps(lm_line(0, "0", acc=1.0)) + "\n", encoding="utf-8")
    assert classify(renamed) == "lmeval-samples"


# -- plain outputs for extraction ------------------------------------------------------------

def test_plain_outputs_from_lmeval_folder(tmp_path: Path) -> None:
    out = _two_stage(tmp_path)
    outputs, warnings, source = read_plain_outputs(out, "gsm8k")
    assert warnings == []
    assert source.name.startswith("samples_sustain_gsm8k_plain_")
    assert [(o.id, o.output, o.variant) for o in outputs] == [
        (str(i), f"plain {i}", "plain") for i in range(4)]
    assert outputs[0].line == 2


def test_plain_outputs_pick_the_latest_run(tmp_path: Path) -> None:
    out = _two_stage(tmp_path)
    write_lmeval_run(out / "org__model-a", {
        "sustain_gsm8k_plain": [lm_line(0, "0", acc=1.0, output="newer")]},
        date="2026-01-03T10-00-00.000001", epoch=3000.0)
    outputs, warnings, _ = read_plain_outputs(out, "sustain_gsm8k")
    assert [o.output for o in outputs] == ["newer"]
    assert any("2 plain runs" in w for w in warnings)


def test_plain_outputs_refuse_the_constrained_file(tmp_path: Path) -> None:
    out = _two_stage(tmp_path)
    constrained = next(out.rglob("samples_sustain_gsm8k_constrained_*.jsonl"))
    with pytest.raises(SustainInputError, match="constrained variant"):
        read_plain_outputs(constrained, "gsm8k")
    with pytest.raises(SustainInputError, match="no plain run of task 'math500'"):
        read_plain_outputs(out, "math500")


def test_plain_outputs_from_inspect(tmp_path: Path) -> None:
    log = write_inspect_log(tmp_path / "a.eval", [
        {"id": "1", "value": sample_value(1.0), "plain_output": "from metadata"},
        {"id": "2", "value": sample_value(1.0), "no_score": True, "first_message": "first"},
    ])
    outputs, _, source = read_plain_outputs(log, "gsm8k")
    assert source == log
    assert {o.id: o.output for o in outputs} == {"1": "from metadata", "2": "first"}
    with pytest.raises(SustainInputError, match="not 'math500'"):
        read_plain_outputs(log, "math500")


def test_plain_outputs_from_generic_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "outs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"id": 1, "output": "a"}, {"id": 1, "output": "b", "variant": "constrained"},
        {"id": "2", "output": "", "variant": "plain"}]) + "\n", encoding="utf-8")
    outputs, _, _ = read_plain_outputs(path, "gsm8k")
    assert [(o.id, o.output) for o in outputs] == [("1", "a"), ("2", "")]


def test_results_without_samples_say_log_samples(tmp_path: Path) -> None:
    folder = write_lmeval_run(tmp_path / "m", {})
    result = read_rows([folder])
    assert result.rows == []
    assert any("--log_samples" in w for w in result.warnings)


def test_generic_outputs_file_cannot_be_scored(tmp_path: Path) -> None:
    generic = tmp_path / "outs.jsonl"
    generic.write_text(json.dumps({"id": "1", "output": "x"}) + "\n", encoding="utf-8")
    with pytest.raises(SustainInputError, match="holds no verdicts"):
        discover([generic])


# -- graded scores and item metadata (MATH-500, HotpotQA) -------------------------------------

def test_lmeval_f1_and_doc_metadata(tmp_path: Path) -> None:
    meta = {"type": "bridge", "level": "hard", "supporting_titles": ["A", "B"],
            "context": [["A", ["s"]]]}
    folder = write_lmeval_run(tmp_path / "m", {"sustain_hotpotqa_plain": [
        lm_line(0, "q0", acc=1.0, f1=1.0, metadata=meta),
        lm_line(1, "q1", acc=0.0, f1=0.4, metadata=dict(meta, type="comparison")),
        lm_line(2, "q2", acc=0.0)]})  # an older run: no f1, no metadata
    rows = {r.sample_id: r for r in read_rows([folder]).rows}
    assert rows["q0"].f1 == 1.0
    assert rows["q1"].f1 == 0.4
    assert rows["q2"].f1 is None
    # scalars only: the context paragraphs and title lists are not breakdown material
    assert rows["q0"].metadata == {"type": "bridge", "level": "hard"}
    assert rows["q1"].metadata["type"] == "comparison"
    assert rows["q2"].metadata == {}


@pytest.mark.parametrize("bad", [1.5, -0.1, "0.5", True, [1.0]])
def test_lmeval_bad_f1_names_line_and_field(tmp_path: Path, bad: object) -> None:
    folder = write_lmeval_run(tmp_path / "m", {"sustain_hotpotqa_plain": [
        lm_line(0, "q0", acc=1.0, f1=1.0), lm_line(1, "q1", acc=1.0, f1=bad)]})
    path = next(folder.glob("samples_*.jsonl"))
    with pytest.raises(SustainInputError) as err:
        read_lmeval_samples(path)
    assert (err.value.path, err.value.line, err.value.field) == (str(path), 4, "f1")


def test_lmeval_doc_metadata_must_be_an_object(tmp_path: Path) -> None:
    line = lm_line(0, "x", acc=1.0)
    line["doc"]["metadata"] = "level 5"
    folder = write_lmeval_run(tmp_path / "m", {"sustain_math500_plain": [line]})
    with pytest.raises(SustainInputError) as err:
        read_rows([folder])
    assert (err.value.line, err.value.field) == (2, "doc.metadata")


def test_inspect_f1_and_sample_metadata(tmp_path: Path) -> None:
    log = write_inspect_log(tmp_path / "h.eval", [
        {"id": "a", "value": sample_value(1.0, 0.0, compliant=1.0, retest=1.0, plain_f1=1.0,
                                          constrained_f1=0.5),
         "metadata": {"type": "bridge", "level": "hard"}},
        {"id": "b", "value": sample_value(0.0, plain_f1=0.25),
         "metadata": {"type": "comparison", "level": "hard"}},
    ], task="sustain_hotpotqa")
    by = {(r.sample_id, r.variant): r for r in read_inspect_log(log).rows}
    assert by[("a", "plain")].f1 == 1.0
    assert by[("a", "constrained")].f1 == 0.5
    assert by[("a", "retest")].f1 is None  # the scorer grades only plain and constrained
    assert by[("b", "plain")].f1 == 0.25
    # the task's own keys (task, item_id) are not item metadata
    assert by[("a", "plain")].metadata == {"type": "bridge", "level": "hard"}
    assert by[("a", "constrained")].metadata == by[("a", "plain")].metadata
    assert {r.task for r in by.values()} == {"hotpotqa"}


def test_inspect_math500_metadata_keeps_integer_levels(tmp_path: Path) -> None:
    log = write_inspect_log(tmp_path / "m.eval", [
        {"id": "test/algebra/1.json", "value": sample_value(1.0),
         "metadata": {"subject": "Algebra", "level": 3}}], task="sustain_math500")
    [row] = read_inspect_log(log).rows
    assert row.metadata == {"subject": "Algebra", "level": 3}
    assert row.f1 is None


def test_inspect_bad_f1_names_sample_and_field(tmp_path: Path) -> None:
    log = write_inspect_log(tmp_path / "h.eval", [
        {"id": "a", "value": sample_value(1.0, 1.0, compliant=1.0, constrained_f1=2.0)}],
        task="sustain_hotpotqa")
    with pytest.raises(SustainInputError) as err:
        read_inspect_log(log)
    assert err.value.field == "samples[id=a].scores.sustain_scorer.value.constrained_f1"


# -- model labels, run identity, bad input (statistics review) --------------------------------

def test_unnamed_models_are_kept_apart() -> None:
    replay = {"model_name": "rand-abc", "config": {
        "model": "sustain-replay", "model_args": "outputs=/x/modelA.jsonl"}}
    assert lmeval_model_name(replay) == "sustain-replay[/x/modelA.jsonl]"
    assert lmeval_model_name({"model_name": "r", "config": {
        "model": "gguf", "model_args": "base_url=http://a"}}) == "gguf[base_url=http://a]"
    secret = lmeval_model_name({"model_name": "r", "config": {
        "model": "openai-completions", "model_args": {"base_url": "u", "api_key": "s3cr3t"}}})
    assert secret is not None
    assert secret.startswith("openai-completions[args:")
    assert "s3cr3t" not in secret


def test_two_lmeval_replays_are_two_models(tmp_path: Path) -> None:
    for name, acc, date in (("a", 1.0, "2026-01-01T10-00-00.000001"),
                            ("b", 0.0, "2026-01-02T10-00-00.000001")):
        write_lmeval_run(tmp_path / name, {"sustain_gsm8k_plain": [
            lm_line(i, str(i), acc=acc) for i in range(3)]}, model="sustain-replay",
            model_args=f"outputs=/x/model{name.upper()}.jsonl", model_name="rand", date=date)
    models = {r.model for r in read_rows([tmp_path]).rows}
    assert models == {"sustain-replay[/x/modelA.jsonl]", "sustain-replay[/x/modelB.jsonl]"}


def test_inspect_replay_model_is_named_by_its_outputs(tmp_path: Path) -> None:
    write_inspect_log(tmp_path / "x.eval", [{"id": "1", "value": sample_value(1.0)}],
                      model="sustain/replay", model_args={"outputs": "/data/run7.jsonl"})
    [r] = read_inspect_log(tmp_path / "x.eval").rows
    assert r.model == "sustain/replay[/data/run7.jsonl]"


def test_lmeval_files_of_one_invocation_share_a_run(tmp_path: Path) -> None:
    write_lmeval_run(tmp_path / "m", {
        "sustain_gsm8k_plain": [lm_line(0, "0", acc=1.0)],
        "sustain_gsm8k_constrained": [lm_line(0, "0", acc=1.0, constraints=[
            "length:max_words"], compliance=1.0)]})
    rows = read_rows([tmp_path]).rows
    assert len({r.run for r in rows}) == 1
    assert rows[0].run.endswith("results_2026-01-01T10-00-00.000001.json")


def test_lmeval_constrained_compliance_null_is_an_error(tmp_path: Path) -> None:
    write_lmeval_run(tmp_path / "m", {"sustain_gsm8k_constrained": [
        lm_line(0, "0", acc=1.0, constraints=["length:max_words"], compliance=None)]})
    with pytest.raises(SustainInputError) as info:
        read_rows([tmp_path])
    assert info.value.field == "compliance"
    assert info.value.line == 2
    assert "samples_sustain_gsm8k_constrained" in str(info.value)


def test_lmeval_constrained_doc_without_constraints_is_an_error(tmp_path: Path) -> None:
    line = lm_line(0, "0", acc=1.0)
    line["compliance"] = 1.0
    write_lmeval_run(tmp_path / "m", {"sustain_gsm8k_constrained": [line]})
    with pytest.raises(SustainInputError) as info:
        read_rows([tmp_path])
    assert info.value.field == "doc.constraints"
    assert info.value.line == 2


def test_inspect_second_generation_without_plain_is_an_error(tmp_path: Path) -> None:
    value = sample_value(1.0, 0.0, compliant=1.0)
    del value["plain"]
    write_inspect_log(tmp_path / "x.eval", [{"id": "7", "value": value}])
    with pytest.raises(SustainInputError) as info:
        read_inspect_log(tmp_path / "x.eval")
    assert info.value.field == "samples[id=7].scores.sustain_scorer.value.plain"


def test_docs_without_flexible_extract_warn_once_per_file(tmp_path: Path) -> None:
    folder = write_lmeval_run(tmp_path / "m", {})
    path = folder / "samples_sustain_gsm8k_plain_2026-01-01T10-00-00.000001.jsonl"
    lines = [lm_line(i, str(i), acc=1.0, filt="strict-match") for i in range(3)]
    lines.append(lm_line(9, "9", acc=1.0))
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    result = read_lmeval_samples(path)
    assert len(result.rows) == 4
    [warning] = result.warnings
    assert "3 doc(s) have no 'flexible-extract' line" in warning
    assert "strict-match" in warning


def test_a_named_replay_keeps_its_name() -> None:
    assert lmeval_model_name({"model_name": "m", "config": {
        "model": "sustain-replay", "model_args": "model=m,outputs=/x/o.jsonl"}}) == "m"
