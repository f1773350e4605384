"""``n_sustain`` has one meaning in both harnesses: |S|, the plain-correct items whose
constrained generation ran; the controls count their items in ``n_retest`` / ``n_placebo``."""

from __future__ import annotations

from pathlib import Path

import pytest

from sustain_tasks.report.readers import read_rows
from sustain_tasks.report.score import score_rows


@pytest.mark.inspect
@pytest.mark.parametrize("mode", ["self", "retest", "placebo"])
def test_n_sustain_means_the_same_in_inspect_and_sustain_score(
        monkeypatch: pytest.MonkeyPatch, data_dir: Path, tmp_path: Path, mode: str) -> None:
    """Regression: on a retest/placebo log Inspect's n_sustain counted the control's items,
    while sustain score said 0 (and counted them in n_retest / n_placebo)."""
    from inspect_ai import eval as inspect_eval

    from sustain_tasks.gsm8k import gsm8k

    monkeypatch.setenv("SUSTAIN_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    [log] = inspect_eval(gsm8k(mode=mode, kinds="length:max_words"), model="sustain/reference",
                         limit=3, display="none", log_dir=str(tmp_path / "logs"))
    assert log.status == "success", log.error
    assert log.results is not None
    metrics = {name: m.value for name, m in log.results.scores[0].metrics.items()}
    [report] = score_rows(read_rows([tmp_path / "logs"]).rows)
    d = report.to_dict()
    assert metrics["n_sustain"] == d["n_sustain"] == (3 if mode == "self" else 0)
    if mode != "self":
        assert metrics[f"n_{mode}"] == d[f"n_{mode}"] == 3
