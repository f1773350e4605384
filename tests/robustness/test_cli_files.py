"""Files the command line writes and reads: never a fragment, never an input overwritten,
one clear line for every bad destination, the same reader everywhere."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from sustain_tasks import outfiles
from sustain_tasks._inspect.providers import ReplayBook
from sustain_tasks.benchmarks import get_benchmark
from sustain_tasks.cli import main
from sustain_tasks.errors import SustainInputError
from tests.report.builders import lm_line, write_lmeval_run


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def write_jsonl(path: Path, *records: Any) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def plain(tmp_path: Path, data_dir: Path) -> Path:
    items = get_benchmark("gsm8k").load(data_dir, limit=5)
    return write_jsonl(tmp_path / "plain.jsonl",
                       *({"id": it.id, "output": it.reference} for it in items))


@pytest.fixture
def lm_run(tmp_path: Path) -> Path:
    folder = tmp_path / "lm" / "org__model"
    write_lmeval_run(folder, {"sustain_gsm8k_plain": [
        lm_line(i, str(i), acc=1.0) for i in range(4)]})
    return tmp_path / "lm"


def _disk_full(*args: Any, **kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


# -- defect 3: --out is atomic ----------------------------------------------------------------

def test_score_out_on_a_full_disk_keeps_the_previous_file(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, lm_run: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "report.json"
    out.write_text("the previous good report\n", encoding="utf-8")
    monkeypatch.setattr(outfiles.os, "fsync", _disk_full)
    code, _, err = run(capsys, "score", lm_run, "--format", "json", "--out", out)
    assert code == 2
    assert f"{out}: cannot write: No space left on device" in err
    assert out.read_text(encoding="utf-8") == "the previous good report\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_extract_out_on_a_full_disk_keeps_the_previous_file(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, plain: Path, data_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "constraints.jsonl"
    out.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(outfiles.os, "fsync", _disk_full)
    code, _, err = run(capsys, "extract", "--task", "gsm8k", "--from", plain, "--out", out,
                       "--data-dir", data_dir)
    assert code == 2
    assert f"{out}: cannot write" in err
    assert out.read_text(encoding="utf-8") == "{}\n"


# -- defect 4: --out may not name an input ----------------------------------------------------

def test_extract_refuses_to_overwrite_its_input(capsys: pytest.CaptureFixture[str],
                                                plain: Path, data_dir: Path) -> None:
    before = plain.read_bytes()
    code, _, err = run(capsys, "extract", "--task", "gsm8k", "--from", plain, "--out", plain,
                       "--data-dir", data_dir)
    assert code == 2
    assert "is an input of this command" in err
    assert plain.read_bytes() == before


def test_extract_refuses_an_input_reached_through_a_link(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, plain: Path,
        data_dir: Path) -> None:
    link = tmp_path / "link.jsonl"
    link.symlink_to(plain)
    code, _, err = run(capsys, "extract", "--task", "gsm8k", "--from", plain, "--out", link,
                       "--data-dir", data_dir)
    assert code == 2
    assert "is an input of this command" in err


def test_score_refuses_to_overwrite_a_samples_file_it_reads(
        capsys: pytest.CaptureFixture[str], lm_run: Path) -> None:
    samples = next(lm_run.rglob("samples_*.jsonl"))
    before = samples.read_bytes()
    code, _, err = run(capsys, "score", lm_run, "--out", samples)
    assert code == 2
    assert "is an input of this command" in err
    assert samples.read_bytes() == before
    code, _, err = run(capsys, "score", lm_run, "--plot", samples)
    assert code == 2
    assert "is an input of this command" in err


def test_score_may_write_a_new_report_inside_an_input_folder(
        capsys: pytest.CaptureFixture[str], lm_run: Path) -> None:
    report = lm_run / "report.json"
    code, _, err = run(capsys, "score", lm_run, "--format", "json", "--out", report)
    assert code == 0, err
    assert json.loads(report.read_text(encoding="utf-8").splitlines()[0])["task"] == "gsm8k"


# -- defect 7: clear messages, checked before the work ----------------------------------------

def test_a_folder_as_out_names_the_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          lm_run: Path) -> None:
    code, _, err = run(capsys, "score", lm_run, "--out", tmp_path)
    assert code == 2
    assert f"{tmp_path}: is a folder; --out takes a file path" in err
    assert ".tmp" not in err
    assert "emptydir" not in err


def test_destination_is_checked_before_any_input_is_read(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, data_dir: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    # the input does not exist: only the destination may be reported
    code, _, err = run(capsys, "extract", "--task", "gsm8k", "--from", tmp_path / "absent",
                       "--out", blocked / "c.jsonl", "--data-dir", data_dir)
    assert code == 2
    assert f"{blocked / 'c.jsonl'}: cannot create its folder" in err
    assert "absent" not in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_unwritable_folder_is_reported_before_the_work(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, lm_run: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        code, _, err = run(capsys, "score", lm_run, "--out", locked / "r.txt")
    finally:
        locked.chmod(0o700)
    assert code == 2
    assert "is not writable" in err


# -- defect 8: an empty input is an error everywhere ---------------------------------------------

def test_verify_on_an_empty_file_exits_2(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    code, _, err = run(capsys, "verify", "--task", "gsm8k", "--outputs", empty)
    assert code == 2
    assert f"{empty}: nothing to verify: the file is empty" in err


# -- defect 9: written files respect the umask ---------------------------------------------------

@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_constraints_files_respect_the_umask(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path, plain: Path, data_dir: Path,
                                             umask: int, mode: int) -> None:
    out = tmp_path / "constraints.jsonl"
    previous = os.umask(umask)
    try:
        code, _, err = run(capsys, "extract", "--task", "gsm8k", "--from", plain, "--out", out,
                           "--data-dir", data_dir)
    finally:
        os.umask(previous)
    assert code == 0, err
    assert stat.S_IMODE(out.stat().st_mode) == mode


def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    out = tmp_path / "kept.txt"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o600)
    outfiles.write_atomic(out, "new")
    assert out.read_text(encoding="utf-8") == "new"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


# -- defect 6: one reader of recorded outputs -----------------------------------------------------

def test_replay_reads_a_non_utf8_file_with_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"id": "0", "output": "fine"}\n{"id": "1", "output": "caf\xe9"}\n')
    with pytest.raises(SustainInputError) as info:
        ReplayBook(path)
    assert (info.value.path, info.value.line) == (str(path), 2)
    assert "not UTF-8" in info.value.message


def test_replay_accepts_a_null_output_as_the_command_line_does(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "o.jsonl", {"id": "0", "output": None})
    entry = ReplayBook(path).find("0", "plain", "")
    assert entry is not None
    assert entry.output == ""


# -- defect 10: limits said in the verdict; digits of every script -----------------------------

def test_a_truncated_output_says_so_in_the_verdict() -> None:
    bench = get_benchmark("gsm8k")
    verdict = bench.verify("#### 7\n" + "x" * 300_000, "7")
    assert not verdict.correct
    assert "read the last 200,000 of 300,007 characters" in verdict.detail
    assert "read the last" not in bench.verify("#### 7", "7").detail


@pytest.mark.parametrize(("output", "target"), [
    ("#### ١٦٠", "160"),  # Arabic-Indic
    ("#### ３６６", "366"),  # full-width
    ("The answer is १६०.", "160"),  # Devanagari
])
def test_digits_of_other_scripts_are_the_same_numbers(output: str, target: str) -> None:
    assert get_benchmark("gsm8k").verify(output, target).correct


def test_other_numerals_are_not_read() -> None:
    bench = get_benchmark("gsm8k")
    assert not bench.verify("#### XII", "12").correct
    assert not bench.verify("#### 十二", "12").correct
