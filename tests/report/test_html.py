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
from tests.report.builders import lm_line, sample_value, write_inspect_log, write_lmeval_run
from tests.report.many_models import many_model_rows
from tests.requires import need

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
    # a long output keeps its beginning and its end, and says how much was cut
    assert "\n… 253 characters omitted …\n" in page
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


@pytest.mark.slow
def test_identical_inputs_give_identical_bytes(tmp_path: Path) -> None:
    need("matplotlib")
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


@pytest.mark.slow
def test_a_headless_browser_renders_the_numbers(browser: str, tmp_path: Path) -> None:
    need("matplotlib")
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


# -- both outputs side by side -------------------------------------------------------------

def _hostile_logs(tmp_path: Path, n: int = 4) -> list[Path]:
    """Two models whose constrained outputs fail on items 1..n-1, one of them hostile."""
    logs = []
    for model in ("provider/a", "provider/b"):
        samples = [{"id": i, "value": sample_value(1.0, 1.0 if i == 0 else 0.0, compliant=1.0),
                    "kinds": ["lexical:no_commas"],
                    "score_metadata": {"constraints": [
                        {"kind": "lexical:no_commas", "params": {},
                         "text": f"Do not use commas <b>{i}</b>."}]},
                    "plain_output": f"plain reasoning {model} {i}\nline two\n#### {i}",
                    "constrained_output": (HOSTILE if i == 1 else
                                           f"constrained start {model} {i}\nwrong end {i}")}
                   for i in range(n)]
        logs.append(write_inspect_log(tmp_path / f"{model.split('/')[1]}.eval", samples,
                                      model=model))
    return logs


def test_cli_html_shows_both_whole_outputs_escaped(tmp_path: Path) -> None:
    logs = _hostile_logs(tmp_path)
    out = tmp_path / "report.html"
    assert main(["score", *map(str, logs), "--html", str(out), "--no-progress"]) == 0
    page = out.read_text(encoding="utf-8")
    for model in ("provider/a", "provider/b"):
        # every line of both outputs, not only the last one
        assert f"<pre>plain reasoning {model} 2\nline two\n#### 2</pre>" in page
        assert f"<pre>constrained start {model} 3\nwrong end 3</pre>" in page
    assert HOSTILE not in page
    assert "&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;" in page
    assert "<li>Do not use commas &lt;b&gt;2&lt;/b&gt;.</li>" in page
    assert "last line:" not in page
    assert page.count('<td class="out">') == 2 * 2 * 3
    again = tmp_path / "again.html"
    assert main(["score", *map(str, logs), "--html", str(again), "--no-progress"]) == 0
    assert again.read_bytes() == out.read_bytes()


def test_failures_json_carries_both_outputs(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    import json

    logs = _hostile_logs(tmp_path)
    assert main(["score", *map(str, logs), "--failures", "--format", "json",
                 "--no-progress"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(records) == 6
    first = records[0]
    assert first["plain_output"] == "plain reasoning provider/a 1\nline two\n#### 1"
    assert first["constrained_output"] == HOSTILE
    assert first["constraint_texts"] == ["Do not use commas <b>1</b>."]
    assert first["constrained_last_line"] == HOSTILE
    # the other formats keep their columns
    assert main(["score", *map(str, logs), "--failures", "--format", "csv",
                 "--no-progress"]) == 0
    assert "plain_output" not in capsys.readouterr().out


def test_kept_outputs_are_bounded(tmp_path: Path) -> None:
    from sustain_tasks.report.listing import failure_outputs
    from sustain_tasks.report.readers import EXCERPT_CHARS, excerpt, read_rows

    long_text = "A" * 5000 + "MIDDLE" + "Z" * 5000
    cut = excerpt(long_text)
    assert cut.startswith("A" * (EXCERPT_CHARS // 2) + "\n… ")
    assert cut.endswith("…\n" + "Z" * (EXCERPT_CHARS // 2))
    assert f"… {len(long_text) - EXCERPT_CHARS} characters omitted …" in cut
    assert "MIDDLE" not in cut
    assert excerpt("short") == "short"

    plain = [lm_line(i, str(i), acc=1.0, output=f"plain {i}\n" + long_text) for i in range(8)]
    wrong = [lm_line(i, str(i), acc=0.0, output=f"wrong {i}", constraints=["lexical:no_commas"],
                     compliance=1.0) for i in range(8)]
    lines = {"sustain_gsm8k_plain": plain, "sustain_gsm8k_constrained": wrong}
    folder = write_lmeval_run(tmp_path / "run", lines)
    reports = score_rows(read_rows([folder], last_lines=True).rows)
    assert len(reports) == 1
    assert len(reports[0].failures.items) == 8
    kept = failure_outputs(reports, [folder], limit=3)
    assert sorted(sid for _, sid in kept) == ["0", "1", "2"]  # the first 3 failures only
    one = kept[(id(reports[0]), "1")]
    assert one.plain is not None
    assert one.constrained is not None
    assert one.plain.text == excerpt(f"plain 1\n{long_text}")
    assert len(one.plain.text) < EXCERPT_CHARS + 60
    assert one.constrained.text == "wrong 1"
    assert one.constraint_texts == ("lexical:no_commas",)
    cases = __import__("sustain_tasks.report.html", fromlist=["failure_cases"]) \
        .failure_cases(reports, kept)
    assert [c.whole for c in cases] == [True] * 3 + [False] * 5
    page = render_html(reports, png=None, failures=cases)
    assert "only their last line is shown" in page
    assert page.count("characters omitted") == 3


def test_a_headless_browser_shows_both_outputs_and_runs_none(browser: str,
                                                              tmp_path: Path) -> None:
    logs = _hostile_logs(tmp_path)
    page = tmp_path / "report.html"
    assert main(["score", *map(str, logs), "--html", str(page), "--no-progress"]) == 0
    done = _run_browser(browser, tmp_path, "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert "<title>SustainScore report</title>" in dom  # the output's script never ran
    assert "&lt;script&gt;document.title=\"pwned\"&lt;/script&gt;" in dom
    assert "<script>document" not in dom
    assert "<pre>plain reasoning provider/b 3\nline two\n#### 3</pre>" in dom
    assert "<pre>constrained start provider/b 3\nwrong end 3</pre>" in dom
    assert "Do not use commas &lt;b&gt;3&lt;/b&gt;." in dom
