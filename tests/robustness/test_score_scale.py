"""``sustain score`` output stays byte-identical on a fixed input (golden files).

The input mixes what the report reads: synthetic lm-eval runs of two models on three tasks
(reference mode, both filters, HotpotQA F1, MATH-500 breakdowns), a two-stage lm-eval self
run, and Inspect logs of a self run with a retest control. Paths are relative, so the output
does not depend on where the test runs.

To regenerate the golden files after an intended change of the output::

    SUSTAIN_REGENERATE_GOLDEN=1 python -m pytest tests/robustness/test_score_scale.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sustain_tasks.cli import main
from tests.report.builders import lm_line, sample_value, write_inspect_log, write_lmeval_run
from tests.robustness.synthetic import write_synthetic_runs

GOLDEN = Path(__file__).with_name("golden")
REGENERATE = os.environ.get("SUSTAIN_REGENERATE_GOLDEN") == "1"


def write_fixed_input(root: Path) -> None:
    """The fixed input, under ``root`` (a relative path keeps run ids stable)."""
    write_synthetic_runs(root / "lm", 600, seed=7)
    two_stage = root / "lm" / "org__model-c"
    write_lmeval_run(two_stage, {"sustain_gsm8k_plain": [
        lm_line(i, str(i), acc=1.0 if i % 5 else 0.0) for i in range(40)]},
        date="2026-02-01T10-00-00.000001", epoch=1769940000.0, model_args="pretrained=org/c")
    write_lmeval_run(two_stage, {"sustain_gsm8k_constrained": [
        lm_line(i, str(i), acc=1.0 if i % 3 else 0.0, constraints=["length:max_words"],
                compliance=1.0 if i % 4 else 0.0) for i in range(40) if i % 5]},
        date="2026-02-02T10-00-00.000001", epoch=1770026400.0, model_args="pretrained=org/c")
    write_inspect_log(root / "inspect" / "self.eval", [
        {"id": str(i), "value": sample_value(1.0 if i % 4 else 0.0,
                                             (1.0 if i % 3 else 0.0) if i % 4 else None,
                                             compliant=1.0 if i % 2 else 0.0),
         "kinds": ["length:max_words", "format:no_bold"] if i % 2 else ["lexical:no_commas"]}
        for i in range(60)], model="prov/d", created="2026-03-01T10:00:00+00:00")
    write_inspect_log(root / "inspect" / "retest.eval", [
        {"id": str(i), "value": sample_value(
            1.0 if i % 4 or i % 7 == 0 else 0.0, None,
            retest=(1.0 if i % 5 else 0.0) if i % 4 or i % 7 == 0 else None)}
        for i in range(60)], model="prov/d", mode="retest",
        created="2026-03-02T10:00:00+00:00")


@pytest.fixture
def fixed_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_fixed_input(tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    return Path("data")


@pytest.mark.parametrize(("name", "args"), [
    ("score.jsonl", ["--format", "json", "--compare", "--bootstrap", "200"]),
    ("score.md", ["--format", "md"]),
])
def test_output_is_byte_identical_to_the_golden_file(
        capsys: pytest.CaptureFixture[str], fixed_input: Path, name: str,
        args: list[str]) -> None:
    code = main(["score", str(fixed_input), "--no-progress", *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    golden = GOLDEN / name
    if REGENERATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(out.encode("utf-8"))
    assert out.encode("utf-8") == golden.read_bytes()


@pytest.mark.slow
def test_reading_keeps_a_slim_row_per_variant_not_the_records(tmp_path: Path) -> None:
    """Memory per paired record stays small: the rows hold what the statistics need, with
    shared strings and metadata, and no decoded line outlives its row (measured by
    tracemalloc: allocation sizes, not time). Keeping the decoded records took about 3 KB per
    paired record here; the rows take well under one."""
    import tracemalloc

    from sustain_tasks.report.readers import read_rows
    from sustain_tasks.report.score import score_rows

    n = 12_000
    write_synthetic_runs(tmp_path / "lm", n, seed=1)
    read_rows([tmp_path / "lm"])  # imports and first-use caches out of the measurement
    tracemalloc.start()
    try:
        read = read_rows([tmp_path / "lm"])
        score_rows(read.rows, [])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(read.rows) == 2 * n
    assert peak / n < 1500, f"{peak / n:.0f} bytes per paired record"
    plain = {r.sample_id: r for r in read.rows if r.variant == "plain"}
    constrained = [r for r in read.rows if r.variant == "constrained"]
    assert all(plain[r.sample_id].sample_id is r.sample_id for r in constrained)
    assert len({id(r.metadata) for r in read.rows if r.task == "math500"}) <= 5 * 7
