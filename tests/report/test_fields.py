"""Every JSON field ``sustain score`` emits is documented in the README's table ("Report
fields"); identical inputs give byte-identical JSON, CSV, Markdown and tables; the failure
listing of ``--failures``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from sustain_tasks.cli import main
from sustain_tasks.report.formats import CSV_FIELDS, render
from sustain_tasks.report.readers import read_rows
from sustain_tasks.report.score import SCHEMA_VERSION, compare_models, score_rows
from tests.report.builders import lm_line, sample_value, write_inspect_log, write_lmeval_run

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

README = Path(__file__).resolve().parents[2] / "README.md"

# objects keyed by data (kinds, categories, metadata values, models, variants, labels): the
# documented name is the object's, its entries' fields are documented as ``x.*.y``
_KEYED = {"by_kind", "by_category", "compare", "grader", "runs", "failures.counts",
          "failures.shares", "failures.examples", "failures.by_kind",
          "failures.by_kind.*.counts", "failures.by_kind.*.shares"}


def documented_fields() -> set[str]:
    """The field names in the first column of the README's "Report fields" table."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Report fields", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first = line.split(" | ", 1)[0]
            names.update(re.findall(r"`([^`]+)`", first))
    return names


def emitted(obj: Any, prefix: str = "") -> set[str]:
    """Dotted names of every field in a report object (``x.*.y`` under keyed objects)."""
    names: set[str] = set()
    for key, value in obj.items():
        name = f"{prefix}{key}"
        names.add(name)
        if name in _KEYED and isinstance(value, dict):
            for entry in value.values():
                if isinstance(entry, dict):
                    names |= emitted(entry, f"{name}.*.")
        elif isinstance(value, dict) and name not in ("by_metadata",) and \
                not name.endswith("_discordant") and name != "adjusted_interference_bootstrap":
            names |= emitted(value, f"{name}.")
    return names


def _inputs(tmp_path: Path) -> Path:
    """A self-mode log with a retest log and a placebo log, a HotpotQA log, an lm-eval run
    and a second model (for --compare): every optional field shows up."""
    root = tmp_path / "in"
    samples = [{"id": str(i), "value": sample_value(1.0, float(i % 3 != 0),
                                                    compliant=float(i % 2 == 0)),
                "kinds": ["length:max_words", "format:no_bold"] if i % 2 else
                ["lexical:no_commas"],
                "constrained_output": f"line\nanswer {i}",
                "score_metadata": {"constrained_answer_found": i != 3,
                                   "constrained_in_format": i % 4 != 1,
                                   "constrained_stop_reason": "stop"}}
               for i in range(12)]
    write_inspect_log(root / "self.eval", samples)
    write_inspect_log(root / "other.eval", samples, model="other/model")
    write_inspect_log(root / "retest.eval", [
        {"id": str(i), "value": sample_value(1.0, retest=float(i != 5))} for i in range(12)],
        mode="retest", created="2026-01-02T10:00:00+00:00")
    write_inspect_log(root / "placebo.eval", [
        {"id": str(i), "value": sample_value(1.0, placebo=float(i != 4))} for i in range(12)],
        mode="placebo", created="2026-01-02T11:00:00+00:00")
    write_inspect_log(root / "math.eval", [
        {"id": f"test/{i}.json", "value": sample_value(1.0, float(i % 2)),
         "metadata": {"subject": "Algebra" if i % 2 else "Geometry", "level": 1 + i % 3}}
        for i in range(8)], task="sustain_math500")
    write_inspect_log(root / "qa.eval", [
        {"id": f"q{i}", "value": sample_value(1.0, float(i % 2), compliant=1.0, plain_f1=1.0,
                                              constrained_f1=0.5 * (i % 2))}
        for i in range(6)], task="sustain_hotpotqa")
    write_lmeval_run(root / "lm", {
        "sustain_gsm8k_plain": [lm_line(i, str(i), acc=1.0) for i in range(4)],
        "sustain_gsm8k_constrained": [lm_line(i, str(i), acc=float(i % 2),
                                              constraints=["length:max_words"],
                                              compliance=1.0, source="reference")
                                      for i in range(4)]})
    return root


def test_every_emitted_field_is_documented(tmp_path: Path) -> None:
    reports = score_rows(read_rows([_inputs(tmp_path)]).rows, n_boot=200)
    compare_models(reports, n_boot=200)
    objects = [json.loads(line) for line in render(reports, "json").splitlines()]
    assert all(o["schema_version"] == SCHEMA_VERSION for o in objects)
    names = set().union(*(emitted(o) for o in objects))
    # the inputs exercise the optional parts
    for needed in ("compare", "failures.by_kind.*.counts", "retest_mcnemar_p",
                   "placebo_mcnemar_p", "adjusted_interference_bootstrap", "sustain_f1"):
        assert needed in names, needed
    gsm8k = next(o for o in objects if o["task"] == "gsm8k" and o["model"] == "sustain/reference")
    assert gsm8k["retest_mcnemar_p"] is not None
    assert gsm8k["placebo_mcnemar_p"] is not None
    assert gsm8k["by_metadata"] == {}
    math = next(o for o in objects if o["task"] == "math500")
    for groups in math["by_metadata"].values():
        for group in groups.values():
            names |= emitted(group)  # the same metric fields as the top level
    missing = sorted(names - documented_fields())
    assert not missing, f"fields missing from the README's Report fields table: {missing}"
    assert set(CSV_FIELDS) <= documented_fields()


def test_identical_inputs_give_identical_bytes(tmp_path: Path) -> None:
    root = _inputs(tmp_path)

    def once() -> dict[str, str]:
        reports = score_rows(read_rows([root]).rows, n_boot=200, seed=1)
        compare_models(reports, n_boot=200, seed=1)
        return {fmt: render(reports, fmt) for fmt in ("json", "csv", "md", "table")}

    assert once() == once()


def test_failures_listing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _inputs(tmp_path)
    assert main(["score", str(root / "self.eval"), "--failures", "--format", "json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # S = 0..11; failures: i % 3 == 0 → 0, 3, 6, 9
    assert [r["id"] for r in records] == ["0", "3", "6", "9"]
    assert [r["label"] for r in records] == ["wrong_while_compliant", "no_answer",
                                             "wrong_while_compliant", "format_lost"]
    assert records[1]["constraint_kinds"] == ["length:max_words", "format:no_bold"]
    assert records[1]["constrained_last_line"] == "answer 3"
    assert records[1]["plain_last_line"] == "#### 1"
    assert set(records[0]) == {"model", "task", "mode", "protocol", "id", "label",
                               "constraint_kinds", "plain_last_line",
                               "constrained_last_line", "constraint_texts", "plain_output",
                               "constrained_output"}
    assert records[1]["constrained_output"].splitlines()[-1] == "answer 3"
    assert records[1]["plain_output"].splitlines()[-1] == "#### 1"
    assert main(["score", str(root / "self.eval"), "--failures"]) == 0
    table = capsys.readouterr().out
    assert "no_answer" in table
    assert "answer 3" in table
    assert "#### 1" in table
    assert table.splitlines()[0].split()[:3] == ["report", "id", "label"]


def test_failures_listing_csv_and_markdown(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    import csv
    import io

    root = _inputs(tmp_path)
    assert main(["score", str(root / "self.eval"), "--failures", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["id"] for r in rows] == ["0", "3", "6", "9"]
    assert rows[1]["constraint_kinds"] == "length:max_words,format:no_bold"
    assert rows[1]["label"] == "no_answer"
    assert main(["score", str(root / "self.eval"), "--failures", "--format", "md"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("| report | id | label |")
    assert "| format_lost |" in md
