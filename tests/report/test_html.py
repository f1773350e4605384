"""The HTML report: self-contained, escaped, deterministic, and rendered by a real browser."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sustain_tasks.cli import main
from sustain_tasks.report.html import OUTPUT_CHARS, FailureCase, render_html, write_html
from sustain_tasks.report.leaderboard import leaderboards
from sustain_tasks.report.score import compare_models, score_rows
from tests.report.builders import sample_value, write_inspect_log
from tests.report.many_models import many_model_rows

HOSTILE = '<script>document.title="pwned"</script><img src=x onerror="alert(1)"> & "q"'


def _reports(n: int = 3) -> list:  # type: ignore[type-arg]
    reports = score_rows(many_model_rows(n, tasks=("gsm8k", "mbpp"), n_items=40))
    compare_models(reports, n_boot=200)
    return reports


def _failures() -> list[FailureCase]:
    return [
        FailureCase("org/llama-3.1-8b-base", "gsm8k", "7", "format_lost",
                    ("length:max_words",), "Step 1: 3 + 4 = 7\n#### 7", HOSTILE),
        FailureCase(HOSTILE, "gsm8k", "8", "wrong_while_compliant", ("lexical:no_commas",),
                    "x" * (OUTPUT_CHARS + 250) + "END", None),
    ]


class _Tags(HTMLParser):
    """Collects the start tags and their attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_self_contained_and_escaped() -> None:
    page = render_html(_reports(), png=b"\x89PNG fake", failures=_failures())
    parser = _Tags()
    parser.feed(page)
    names = [t for t, _ in parser.tags]
    assert "script" not in names
    assert "link" not in names
    assert "iframe" not in names
    for tag, attrs in parser.tags:
        for key, value in attrs.items():
            assert not key.startswith("on"), (tag, key)
            if key in ("src", "href") and value is not None:
                assert value.startswith("data:image/png;base64,"), (tag, value[:40])
    assert "http://" not in page
    assert "https://" not in page
    assert "Content-Security-Policy" in page
    assert "default-src 'none'" in page
    assert HOSTILE not in page
    assert "&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;" in page
    # a long output keeps its end, and says what was cut
    assert "[... first 253 characters not shown]" in page
    assert "xEND</pre>" in page
    assert "(not recorded)" in page


def test_the_page_holds_the_leaderboard_breakdowns_and_figure() -> None:
    reports = _reports()
    page = render_html(reports, png=b"\x89PNGdata")
    for board in leaderboards(reports):
        assert f"<h3>{board.task}</h3>" in page
        for e in board.entries:
            r = e.report
            assert f"<td>{e.name}</td>" in page
            assert (f"{r.sustain.value:.3f} [{r.sustain.ci_low:.3f}, {r.sustain.ci_high:.3f}]"
                    in page)
    assert "data:image/png;base64,iVBOR2RhdGE=" in page
    assert page.count("<h4>By constraint kind</h4>") == len(reports)
    assert page.count("<h4>By constraint category</h4>") == len(reports)
    assert "Model comparisons (paired bootstrap)" in page
    n_failures = sum(len(r.failures.items) for r in reports if r.failures is not None)
    assert n_failures > 10
    assert page.count('<td class="out">') == 2 * n_failures
    assert f"{n_failures} constrained failure(s) on S" in page
    assert "No failure to list." in render_html(reports, png=None, failures=[])
    no_plot = render_html(reports, png=None, plot_note="No figure: matplotlib is missing")
    assert "No figure: matplotlib is missing" in no_plot
    assert "<img" not in no_plot


def test_identical_inputs_give_identical_bytes(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    write_html(_reports(), tmp_path / "a.html", failures=_failures())
    write_html(_reports(), tmp_path / "b.html", failures=_failures())
    a = (tmp_path / "a.html").read_bytes()
    assert a == (tmp_path / "b.html").read_bytes()
    assert b"data:image/png;base64," in a
    assert not re.search(rb"20\d\d-\d\d-\d\d", a)  # no date anywhere


def test_without_matplotlib_the_page_says_why(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    write_html(_reports(2), tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "pip install &#x27;sustainscore[plot]&#x27;" in page
    assert "<img" not in page


def _logs(tmp_path: Path) -> list[Path]:
    logs = []
    for model, kept in (("provider/a", 5), ("provider/b", 3)):
        samples = [{"id": i, "value": sample_value(1.0, 1.0 if i < kept else 0.0,
                                                   compliant=1.0 if i % 2 else 0.0)}
                   for i in range(6)]
        logs.append(write_inspect_log(tmp_path / f"{model.split('/')[1]}.eval", samples,
                                      model=model))
    return logs


def test_cli_writes_the_html_report(tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    logs = _logs(tmp_path)
    out = tmp_path / "report.html"
    assert main(["score", *map(str, logs), "--html", str(out), "--compare",
                 "--no-progress"]) == 0
    assert "HTML report written to" in capsys.readouterr().err
    page = out.read_text(encoding="utf-8")
    assert "<td>provider/a</td>" in page
    assert "0.833 [" in page
    assert "0.500 [" in page
    # a destination that is an input is refused, and the input left as it was
    before = logs[0].read_bytes()
    assert main(["score", *map(str, logs), "--html", str(logs[0]), "--no-progress"]) != 0
    assert "is an input of this command" in capsys.readouterr().err
    assert logs[0].read_bytes() == before


# -- a real browser ------------------------------------------------------------------------

def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser() -> str:
    found = _browser()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no headless browser: .ci/run installs Debian's chromium")
        pytest.skip("no chromium installed (apt-get install chromium)")
    return found


def _run_browser(browser: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    return subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-extensions", f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=300, check=False)


def test_a_headless_browser_renders_the_numbers(browser: str, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    reports = _reports()
    page = tmp_path / "report.html"
    write_html(reports, page, failures=_failures())
    done = _run_browser(browser, tmp_path, "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert "<title>SustainScore report</title>" in dom  # the injected script never ran
    assert "pwned" in dom
    assert "<script>document" not in dom
    for board in leaderboards(reports):
        for e in board.entries:
            r = e.report
            assert f"{r.sustain.value:.3f} [{r.sustain.ci_low:.3f}, " in dom
            assert f">{r.plain.value:.3f}<" in dom
    shot = tmp_path / "shot.png"
    done = _run_browser(browser, tmp_path, "--hide-scrollbars", "--window-size=1300,2000",
                        f"--screenshot={shot}", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1300, 2000)
    assert len(data) > 50_000  # text, tables and the figure, not a blank page


def test_control_tests_are_shown_per_report() -> None:
    reports = _reports()
    page = render_html(reports, png=None)
    with_retest = [r for r in reports if r.to_dict().get("retest_n_paired")]
    assert with_retest
    assert page.count("Constrained vs the controls") == len(with_retest)
    for r in with_retest:
        d = r.to_dict()
        discordant = d["retest_discordant"]
        row = (f'<td>retest</td><td class="num">{d["retest_n_paired"]}</td>'
               f'<td class="num">{discordant["control_only"]}</td>'
               f'<td class="num">{discordant["constrained_only"]}</td>')
        assert row in page
