"""The README's "Reading the report" example: replay the two recorded runs, score them, and
find the same leaderboard (and the numbers its text quotes) in the README."""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path

import pytest

from sustain_tasks.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "gsm8k-replay"
BLOCK = re.compile(r"<!-- example:start \(tests/report/test_readme_example\.py\) -->\n"
                   r"(.*?)<!-- example:end -->", re.DOTALL)


def _readme_block() -> str:
    found = BLOCK.search((REPO / "README.md").read_text(encoding="utf-8"))
    assert found, "README.md lost its example markers"
    return found.group(1)


def test_the_recordings_are_what_the_script_writes(tmp_path: Path, data_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The committed recordings are the generator's output, byte for byte."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_recordings",
                                                  EXAMPLE / "make_recordings.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setenv("SUSTAIN_DATA_DIR", str(data_dir))
    monkeypatch.setattr(module, "HERE", tmp_path)
    module.main()
    for name in ("model-a.jsonl", "model-b.jsonl"):
        assert (tmp_path / name).read_bytes() == (EXAMPLE / name).read_bytes(), name
        lines = [json.loads(line) for line in (EXAMPLE / name).read_text().splitlines()]
        assert {line["variant"] for line in lines} == {"plain", "constrained", "retest"}
        assert len([line for line in lines if line["variant"] == "plain"]) == 30


@pytest.mark.slow
def test_readme_shows_the_leaderboard_of_the_replayed_runs(
        tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from inspect_ai import eval as inspect_eval

    from sustain_tasks.gsm8k import gsm8k

    monkeypatch.setenv("SUSTAIN_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(REPO)  # the recordings are named as given, relative to the checkout
    logs = tmp_path / "example"
    for model in ("model-a", "model-b"):
        for mode in ("self", "retest"):
            [log] = inspect_eval(
                gsm8k(mode=mode), model="sustain/replay",
                model_args={"outputs": f"examples/gsm8k-replay/{model}.jsonl"}, limit=30,
                display="none", log_dir=str(logs))
            assert log.status == "success", log.error
    capsys.readouterr()
    assert main(["score", str(logs), "--leaderboard", "--compare", "--format", "md",
                 "--no-progress"]) == 0
    table = capsys.readouterr().out
    assert _readme_block() == table

    # the numbers the README's text quotes
    assert main(["score", str(logs), "--format", "json", "--compare", "--no-progress"]) == 0
    reports = {r["model"].split("/")[-1].removesuffix(".jsonl]"): r for r in
               map(json.loads, capsys.readouterr().out.splitlines())}
    text = (REPO / "README.md").read_text(encoding="utf-8")
    a, b = reports["model-a"], reports["model-b"]
    lost_a = a["n_sustain"] - a["n_sustained"]
    lost_b = b["n_sustain"] - b["n_sustained"]
    assert (f"model-a loses {lost_a} of its {a['n_sustain']} items under the constraint and "
            f"model-b {lost_b} of {b['n_sustain']}") in text
    assert b["adjusted_interference_ci_low"] > 0  # "its adjusted interval excludes 0"
    [difference] = a["compare"].values()
    assert difference["ci_low"] < 0 < difference["ci_high"]
    assert f"difference ({difference['difference']:+.3f})" in text

    # the same runs as an HTML page: the failures with both outputs side by side
    page = tmp_path / "report.html"
    assert main(["score", str(logs), "--compare", "--html", str(page), "--format", "json",
                 "--out", str(tmp_path / "report.jsonl"), "--no-progress"]) == 0
    html = page.read_text(encoding="utf-8")
    n_failures = sum(r["failures"]["n_failures"] for r in reports.values())
    assert f"{n_failures} constrained failure(s) on S" in html
    # model-a's item 5: right with the plain prompt, a slip under the constraint
    recorded = {(r["id"], r["variant"]): r["output"] for r in map(
        json.loads, (REPO / "examples/gsm8k-replay/model-a.jsonl").read_text(
            encoding="utf-8").splitlines())}
    plain, constrained = recorded[("5", "plain")], recorded[("5", "constrained")]
    assert plain.endswith("\n#### 64")
    assert constrained.endswith("\n#### 129")
    assert ('<td>5</td><td>wrong_while_compliant</td><td>content:reasoning_steps'
            '<ul class="ctext">' in html)
    assert (f'<td class="out"><pre>{escape(plain)}</pre></td>'
            f'<td class="out"><pre>{escape(constrained)}</pre></td>' in html)
