"""The figure: two panels for 1 to 20 models, deterministic bytes, clear errors."""

from __future__ import annotations

import io
import itertools
import struct
import sys
from pathlib import Path

import pytest

from sustain_tasks.errors import MissingDependencyError, SustainInputError
from sustain_tasks.report.leaderboard import model_order
from sustain_tasks.report.plot import figure, plot_png, write_plot
from sustain_tasks.report.score import score_rows
from tests.report.many_models import many_model_rows
from tests.requires import need

need("matplotlib")


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _texts(fig: object) -> list[str]:
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]  # type: ignore[attr-defined]


@pytest.mark.slow
@pytest.mark.parametrize("n_models", [1, 5, 20])
def test_every_model_and_benchmark_is_labelled_without_overlap(n_models: int) -> None:
    tasks = ("gsm8k",) if n_models == 1 else ("gsm8k", "math500", "mbpp")
    reports = score_rows(many_model_rows(n_models, tasks=tasks, n_items=40))
    fig = figure(reports)
    texts = _texts(fig)
    names = model_order(reports)
    assert len(names) == n_models
    for name in names:
        assert texts.count(name) >= 2  # the benchmark panel and the category panel
    for task in tasks:
        assert any(t.startswith(f"{task}: ") and "n = 40 items each" in t for t in texts)
    assert any(t.startswith("By constraint category") for t in texts)
    for r in reports:
        assert r.sustain.value is not None
        assert any(t.startswith(f"{r.sustain.value:.3f} [") and f"|S|={r.sustain.n}" in t
                   and f"plain acc {r.plain.value:.2f}" in t for t in texts)
    # no two tick labels of one axis overlap once drawn
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    for ax in fig.axes:
        boxes = [label.get_window_extent(renderer) for label in ax.get_yticklabels()
                 if label.get_text()]
        for upper, lower in itertools.pairwise(boxes):
            assert upper.y0 >= lower.y1 - 0.5 or lower.y0 >= upper.y1 - 0.5
    # the annotation texts stay inside the figure
    width, height = fig.bbox.width, fig.bbox.height
    for text in fig.findobj(lambda a: hasattr(a, "get_window_extent") and
                            getattr(a, "get_text", lambda: "")()):
        box = text.get_window_extent(renderer)
        assert box.x0 >= -1
        assert box.x1 <= width + 1
        assert box.y0 >= -1
        assert box.y1 <= height + 1


@pytest.mark.slow
def test_png_bytes_are_identical_for_identical_reports(tmp_path: Path) -> None:
    reports = score_rows(many_model_rows(5))
    first = plot_png(reports)
    assert plot_png(score_rows(many_model_rows(5))) == first
    assert b"Software" not in first
    assert b"matplotlib" not in first
    write_plot(reports, tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes() == first
    width, height = _png_size(first)
    assert width > height > 300


def test_svg_and_pdf_by_suffix_without_dates(tmp_path: Path) -> None:
    reports = score_rows(many_model_rows(2, tasks=("gsm8k",)))
    write_plot(reports, tmp_path / "p.svg")
    svg = (tmp_path / "p.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml")
    assert "<dc:date>" not in svg
    write_plot(reports, tmp_path / "again.svg")
    assert (tmp_path / "again.svg").read_text(encoding="utf-8") == svg
    write_plot(reports, tmp_path / "p.pdf")
    pdf = (tmp_path / "p.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert b"CreationDate" not in pdf
    write_plot(reports, tmp_path / "again.pdf")
    assert (tmp_path / "again.pdf").read_bytes() == pdf


def test_an_unknown_suffix_is_a_clear_error(tmp_path: Path) -> None:
    reports = score_rows(many_model_rows(1, tasks=("gsm8k",)))
    with pytest.raises(SustainInputError, match=r"\.png, \.svg, \.pdf"):
        write_plot(reports, tmp_path / "p.gif")
    assert not (tmp_path / "p.gif").exists()


def test_without_matplotlib_the_error_says_how_to_install(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingDependencyError, match=r"sustainscore\[plot\]"):
        write_plot(score_rows(many_model_rows(1, tasks=("gsm8k",))), tmp_path / "p.png")


def test_a_model_without_s_is_said_so() -> None:
    from tests.report.test_leaderboard import _model

    reports = score_rows(_model("a", 5, 8) + _model("nothing", 0, 0))
    texts = _texts(figure(reports))
    assert any(t.startswith("no item in S") for t in texts)
    assert io.BytesIO(plot_png(reports)).getbuffer().nbytes > 0


def test_cli_refuses_an_unknown_plot_suffix_before_reading(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sustain_tasks.cli import main

    missing = tmp_path / "not-there"  # never read: the suffix is refused first
    assert main(["score", str(missing), "--plot", str(tmp_path / "p.gif"),
                 "--no-progress"]) != 0
    err = capsys.readouterr().err
    assert "cannot draw a .gif file" in err
    assert "not-there" not in err
