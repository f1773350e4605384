"""Failure labels: the facts both harnesses record, the labels and their summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sustain_tasks.benchmarks import get_benchmark
from sustain_tasks.failures import (
    FAILURE_LABELS,
    answer_facts,
    answer_in_format,
    failure_label,
    last_line,
)
from sustain_tasks.report.formats import render
from sustain_tasks.report.readers import SampleRow, read_rows
from sustain_tasks.report.score import score_rows
from tests.report.builders import lm_line, sample_value, write_inspect_log, write_lmeval_run

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.mark.parametrize(("facts", "label"), [
    ({"answer_found": False, "stop_reason": "max_tokens", "in_format": False,
      "compliant": False}, "no_answer"),
    ({"answer_found": True, "stop_reason": "max_tokens", "in_format": False,
      "compliant": False}, "truncated"),
    ({"answer_found": None, "stop_reason": "model_length", "in_format": None,
      "compliant": True}, "truncated"),
    ({"answer_found": True, "stop_reason": "stop", "in_format": False, "compliant": False},
     "format_lost"),
    ({"answer_found": True, "stop_reason": None, "in_format": True, "compliant": False},
     "constraint_violated"),
    ({"answer_found": True, "stop_reason": "stop", "in_format": None, "compliant": True},
     "wrong_while_compliant"),
    ({"answer_found": None, "stop_reason": None, "in_format": None, "compliant": None},
     "other"),
])
def test_first_matching_label_wins(facts: dict[str, object], label: str) -> None:
    assert failure_label(**facts) == label  # type: ignore[arg-type]


def test_answer_in_format_per_benchmark() -> None:
    gsm8k = get_benchmark("gsm8k")
    assert answer_in_format(gsm8k, "So 3 + 4 = 7.\n#### 7") is True
    assert answer_in_format(gsm8k, "So 3 + 4 = 7. The answer is 7.") is False
    math = get_benchmark("math500")
    assert answer_in_format(math, "Thus $\\boxed{\\frac12}$.") is True
    assert answer_in_format(math, "The answer is 1/2.") is False
    qa = get_benchmark("hotpotqa")
    assert answer_in_format(qa, "They met in Paris.\nAnswer: Paris") is True
    assert answer_in_format(qa, "They met in Paris, so Paris it is.") is False
    code = get_benchmark("mbpp")
    assert answer_in_format(code, "```python\ndef f(x):\n    return x\n```") is True
    assert answer_in_format(code, "def f(x):\n    return x\n") is False
    # GSM8K format lost: a number is stated, the #### line is gone
    verdict = gsm8k.verify("The answer is 7.", "8")
    facts = answer_facts(gsm8k, "The answer is 7.", verdict)
    assert (facts.answer_found, facts.in_format) == (True, False)


def test_last_line() -> None:
    assert last_line("a\nb  \n\n  ") == "b"
    assert last_line("") == ""
    assert last_line(None) is None
    long = "x" * 250 + "END"
    assert last_line(long) == "…" + long[-200:]


def _rows() -> list[SampleRow]:
    """12 items of S, 10 failures with known facts (ids 0-9), 2 kept."""
    facts = [  # answer_found, in_format, stop_reason, compliant
        (False, False, "stop", False), (False, False, "max_tokens", True),
        (True, True, "max_tokens", True), (True, False, "stop", True),
        (True, True, "stop", False), (True, True, "stop", False),
        (True, True, "stop", True), (True, True, "stop", True), (True, True, "stop", True),
        (True, True, "stop", True)]
    rows = []
    for i in range(12):
        rows.append(SampleRow("m", "gsm8k", str(i), "plain", True, mode="self", run="r",
                              harness="inspect", last_line=f"#### {i}"))
        found, fmt, stop, ok = facts[i] if i < 10 else (True, True, "stop", True)
        kinds = ("length:max_words",) if i % 2 else ("length:max_words", "format:no_bold")
        rows.append(SampleRow("m", "gsm8k", str(i), "constrained", i >= 10, ok, ok, kinds,
                              n_constraints=len(kinds), mode="self", run="r",
                              harness="inspect", answer_found=found, in_format=fmt,
                              stop_reason=stop, last_line=f"c{i}"))
    return rows


def test_failure_summary() -> None:
    [report] = score_rows(_rows())
    assert report.failures is not None
    labels = [f.label for f in report.failures.items]
    assert labels == ["no_answer", "no_answer", "truncated", "format_lost",
                      "constraint_violated", "constraint_violated",
                      "wrong_while_compliant", "wrong_while_compliant",
                      "wrong_while_compliant", "wrong_while_compliant"]
    d = report.to_dict()["failures"]
    assert d["n_failures"] == 10
    assert list(d["counts"]) == list(FAILURE_LABELS)
    assert d["counts"] == {"no_answer": 2, "truncated": 1, "format_lost": 1,
                           "constraint_violated": 2, "wrong_while_compliant": 4, "other": 0}
    assert d["shares"]["wrong_while_compliant"] == 0.4
    assert d["shares"]["other"] == 0.0
    assert d["examples"]["wrong_while_compliant"] == ["6", "7", "8", "9"]
    assert d["examples"]["other"] == []
    # even ids carry format:no_bold too
    assert d["by_kind"]["format:no_bold"]["n_failures"] == 5
    assert d["by_kind"]["format:no_bold"]["counts"]["no_answer"] == 1
    assert d["by_kind"]["length:max_words"]["n_failures"] == 10
    assert d["by_kind"]["length:max_words"]["shares"]["truncated"] == 0.1
    assert d["stop_reason_recorded"] is True
    assert d["answer_recorded"] is True
    first = report.failures.items[0]
    assert (first.plain_last_line, first.constrained_last_line) == ("#### 0", "c0")


def test_examples_are_capped_at_five() -> None:
    rows = []
    for i in range(8):
        rows.append(SampleRow("m", "gsm8k", str(i), "plain", True, mode="self", run="r"))
        rows.append(SampleRow("m", "gsm8k", str(i), "constrained", False, True, True,
                              ("length:max_words",), n_constraints=1, mode="self", run="r"))
    [report] = score_rows(rows)
    d = report.to_dict()["failures"]
    # nothing but compliance recorded: stop reason and answer facts unknown
    assert d["counts"]["wrong_while_compliant"] == 8
    assert d["examples"]["wrong_while_compliant"] == ["0", "1", "2", "3", "4"]
    assert d["stop_reason_recorded"] is False
    assert d["answer_recorded"] is False


def test_no_constrained_variant_no_failures() -> None:
    [report] = score_rows([SampleRow("m", "gsm8k", "1", "plain", True, run="r")])
    assert report.to_dict()["failures"] is None


def test_inspect_log_facts_are_read(tmp_path: Path) -> None:
    write_inspect_log(tmp_path / "a.eval", [
        {"id": "1", "value": sample_value(1.0, 0.0, compliant=1.0),
         "constrained_output": "cut off in the midd",
         "score_metadata": {"constrained_answer_found": True, "constrained_in_format": False,
                            "constrained_stop_reason": "max_tokens"}},
        {"id": "2", "value": sample_value(1.0, 0.0, compliant=1.0),
         "constrained_output": "The answer is 3.",
         "score_metadata": {"constrained_answer_found": True, "constrained_in_format": False,
                            "constrained_stop_reason": "stop"}},
        {"id": "3", "value": sample_value(1.0, 0.0, compliant=1.0),
         "constrained_output": "Hmm.",
         "score_metadata": {"constrained_answer_found": False, "constrained_in_format": False,
                            "constrained_stop_reason": "stop"}}])
    read = read_rows([tmp_path], last_lines=True)
    [report] = score_rows(read.rows)
    assert report.failures is not None
    assert [(f.sample_id, f.label) for f in report.failures.items] == [
        ("1", "truncated"), ("2", "format_lost"), ("3", "no_answer")]
    assert report.failures.items[1].constrained_last_line == "The answer is 3."
    assert report.failures.items[1].plain_last_line == "#### 1"
    assert report.failures.stop_reason_recorded


def test_lmeval_facts_are_read_and_no_stop_reason(tmp_path: Path) -> None:
    lines = []
    for i, (found, fmt, ok) in enumerate(((0.0, 0.0, 1.0), (1.0, 0.0, 1.0), (1.0, 1.0, 0.0),
                                          (1.0, 1.0, 1.0))):
        line = lm_line(i, str(i), acc=0.0, constraints=["length:max_words"], compliance=ok,
                       output=f"text\nlast {i}")
        line.update(answer_found=found, answer_in_format=fmt)
        lines.append(line)
    write_lmeval_run(tmp_path / "m", {
        "sustain_gsm8k_plain": [lm_line(i, str(i), acc=1.0) for i in range(4)],
        "sustain_gsm8k_constrained": lines})
    [report] = score_rows(read_rows([tmp_path], last_lines=True).rows)
    assert report.failures is not None
    assert [f.label for f in report.failures.items] == [
        "no_answer", "format_lost", "constraint_violated", "wrong_while_compliant"]
    assert report.failures.items[0].constrained_last_line == "last 0"
    assert report.failures.items[0].plain_last_line == "out"
    d = json.loads(render([report], "json"))["failures"]
    assert d["stop_reason_recorded"] is False
    assert d["answer_recorded"] is True
    # without last_lines the rows keep none (a million items stay small)
    [lean] = score_rows(read_rows([tmp_path]).rows)
    assert lean.failures is not None
    assert lean.failures.items[0].constrained_last_line is None


@pytest.mark.inspect
def test_inspect_run_records_the_facts(monkeypatch: pytest.MonkeyPatch, data_dir: Path,
                                       tmp_path: Path) -> None:
    """A real Inspect run (sustain/replay) records the facts and the stop reason, and
    sustain score labels its failures from them."""
    from inspect_ai import eval as inspect_eval

    from sustain_tasks.gsm8k import gsm8k

    monkeypatch.setenv("SUSTAIN_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    items = get_benchmark("gsm8k").load(data_dir, limit=4)
    lines = [{"id": item.id, "variant": "plain", "output": item.reference} for item in items]
    wrong = [f"{int(i.target.replace(',', '')) + 1}" for i in items]
    constrained = ["I am not sure.",  # no answer
                   f"So the total is {wrong[1]}.",  # a number, no #### line
                   f"Short.\n#### {wrong[2]}",  # in format, wrong
                   items[3].reference]  # kept
    lines += [{"id": item.id, "variant": "constrained", "output": out}
              for item, out in zip(items, constrained, strict=True)]
    outputs = tmp_path / "outputs.jsonl"
    outputs.write_text("".join(json.dumps(line) + "\n" for line in lines))
    [log] = inspect_eval(gsm8k(mode="self", kinds="length:max_words"), model="sustain/replay",
                         model_args={"outputs": str(outputs)}, limit=4, display="none",
                         log_dir=str(tmp_path / "logs"))
    assert log.status == "success", log.error
    [report] = score_rows(read_rows([tmp_path / "logs"], last_lines=True).rows)
    assert report.failures is not None
    assert report.failures.stop_reason_recorded
    assert report.failures.answer_recorded
    got = [(f.sample_id, f.label, f.constrained_last_line) for f in report.failures.items]
    assert got == [(items[0].id, "no_answer", "I am not sure."),
                   (items[1].id, "format_lost", f"So the total is {wrong[1]}."),
                   (items[2].id, "wrong_while_compliant", f"#### {wrong[2]}")]

