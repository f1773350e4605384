"""Which run ``sustain extract --from FOLDER`` reads: the rule of ``sustain score``.

User report: ``sustain extract`` took the latest plain run of a folder even when that run was
killed half way, so the constraints file (and the constrained run made from it) silently
covered only the items the killed run reached. An incomplete run is now never chosen over a
complete one; when only incomplete runs exist, extraction refuses unless
``--allow-incomplete`` is given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sustain_tasks.benchmarks import get_benchmark
from sustain_tasks.cli import main
from sustain_tasks.errors import SustainInputError
from sustain_tasks.report.readers import read_plain_outputs
from tests.report.builders import sample_value, write_inspect_log
from tests.robustness.test_score_runs import DATE_1, DATE_2, cut_lines, lm_run

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def samples(n: int, text: str = "answer") -> list[dict[str, Any]]:
    return [{"id": str(i), "value": sample_value(1.0, 1.0, compliant=1.0),
             "plain_output": f"{text} {i}\n#### 1"} for i in range(n)]


def finished_and_killed(folder: Path) -> tuple[Path, Path]:
    finished = write_inspect_log(folder / "finished.eval", samples(40, "finished"),
                                 created="2026-01-01T10:00:00+00:00")
    killed = write_inspect_log(folder / "killed.eval", samples(25, "killed"), status="started",
                               sample_ids=[str(i) for i in range(40)],
                               created="2026-01-02T10:00:00+00:00")
    return finished, killed


def test_a_later_killed_inspect_run_does_not_replace_the_finished_one(tmp_path: Path) -> None:
    finished, killed = finished_and_killed(tmp_path)
    outputs, warnings, source = read_plain_outputs(tmp_path, "gsm8k")
    assert source == finished
    assert len(outputs) == 40
    assert all(o.output.startswith("finished") for o in outputs)
    assert any(f"using the latest complete one, {finished}" in w for w in warnings)
    assert any(f"ignoring {killed} (incomplete: log status is 'started', 25 of 40 samples)"
               in w for w in warnings)


def test_only_a_killed_inspect_run_is_refused_unless_allowed(tmp_path: Path) -> None:
    _, killed = finished_and_killed(tmp_path)
    (tmp_path / "finished.eval").unlink()
    for path in (tmp_path, killed):  # the folder, and the log named directly
        with pytest.raises(SustainInputError, match="only incomplete plain runs found "
                           r"\(killed.eval: log status is 'started', 25 of 40 samples\).*"
                           "--allow-incomplete"):
            read_plain_outputs(path, "gsm8k")
        outputs, warnings, source = read_plain_outputs(path, "gsm8k", allow_incomplete=True)
        assert source == killed
        assert len(outputs) == 25
        assert any("--allow-incomplete" in w and "25 of 40 samples" in w for w in warnings)


def test_a_cut_lmeval_plain_file_does_not_replace_a_complete_run(tmp_path: Path) -> None:
    complete, _ = lm_run(tmp_path / "a", DATE_1, 40, constrained=False)
    cut, _ = lm_run(tmp_path / "b", DATE_2, 40, constrained=False)
    cut_lines(cut, 40 + 25)  # lm-eval stopped writing after 25 flexible-extract lines
    outputs, warnings, source = read_plain_outputs(tmp_path, "gsm8k")
    assert source == complete
    assert len(outputs) == 40
    assert any(f"ignoring {cut} (incomplete: holds 65 of the 80 lines" in w for w in warnings)
    complete.unlink()
    with pytest.raises(SustainInputError, match="only incomplete plain runs found"):
        read_plain_outputs(tmp_path, "gsm8k")
    cut_lines(cut, 30)
    with pytest.raises(SustainInputError, match="holds 30 of the 40 docs"):
        read_plain_outputs(cut, "gsm8k")


def test_the_cli_refuses_an_incomplete_run_with_one_line_and_accepts_the_flag(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, data_dir: Path) -> None:
    items = get_benchmark("gsm8k").load(str(data_dir))[:4]
    logs = tmp_path / "logs"
    killed = write_inspect_log(
        logs / "killed.eval",
        [{"id": i.id, "value": sample_value(1.0), "plain_output": i.reference}
         for i in items[:3]],
        status="started", sample_ids=[i.id for i in items])
    out = tmp_path / "c.jsonl"
    base = ["extract", "--task", "gsm8k", "--from", str(logs), "--out", str(out),
            "--data-dir", str(data_dir), "--no-progress"]
    assert main(base) == 2
    err = capsys.readouterr().err
    assert "killed.eval: log status is 'started', 3 of 4 samples" in err
    assert "--allow-incomplete" in err
    assert "Traceback" not in err
    assert not out.exists()
    assert main([*base, "--allow-incomplete"]) == 0
    assert "3 of 4 samples), as --allow-incomplete asks" in capsys.readouterr().err
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert {x["id"] for x in lines} <= {i.id for i in items[:3]}
    assert lines
    assert killed.exists()
