"""``sustain verify``, ``extract`` and ``score`` on MATH-500 and HotpotQA, including the
worker processes that MATH-500 verdicts use (the command must end promptly and leave none)."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from sustain_tasks.benchmarks import Item, get_benchmark
from sustain_tasks.cli import main
from sustain_tasks.constraints import constraint_from_record
from tests.report.builders import lm_line, sample_value, write_inspect_log, write_lmeval_run

REPO = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def write_jsonl(path: Path, *records: object) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n"
                            for r in records), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def math_items(data_dir: Path) -> list[Item]:
    return get_benchmark("math500").load(data_dir, limit=12)


@pytest.fixture(scope="module")
def hotpot_items(data_dir: Path) -> list[Item]:
    return get_benchmark("hotpotqa").load(data_dir, limit=12)


# -- verify ----------------------------------------------------------------------------------

@pytest.mark.slow
def test_verify_math500_against_the_dataset(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                            data_dir: Path, math_items: list[Item]) -> None:
    first, second, third = math_items[:3]
    ofile = write_jsonl(tmp_path / "o.jsonl",
                        {"id": first.id, "output": first.reference},
                        {"id": second.id, "output": "So the answer is \\boxed{12345}."},
                        {"id": third.id, "output": "I tried.\nNo luck with this one.",
                         "variant": "constrained"})
    code, out, err = run(capsys, "verify", "--task", "math500", "--outputs", ofile,
                         "--format", "json", "--data-dir", data_dir)
    assert code == 0, err
    lines = jsonl(out)
    assert [(r["id"], r["correct"]) for r in lines] == [(first.id, True), (second.id, False),
                                                       (third.id, False)]
    assert lines[0]["extracted"] == first.target
    assert lines[1]["extracted"] == "12345"
    assert lines[2]["extracted"] is None
    assert all("score" not in r for r in lines)  # MATH-500 verdicts are not graded
    assert "accuracy: 0.500" in err
    assert "accuracy (constrained): 0.000" in err


@pytest.mark.slow
def test_verify_math500_target_overrides_need_no_data(capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUSTAIN_DATA_DIR", str(tmp_path / "nowhere"))
    ofile = write_jsonl(tmp_path / "o.jsonl",
                        {"id": "mine-1", "output": "\\boxed{0.5}", "target": "\\frac{1}{2}"},
                        {"id": "mine-2", "output": "\\boxed{\\dfrac{1}{2}}",
                         "target": "\\frac12"},
                        {"id": "mine-3", "output": "\\boxed{3}", "target": 4})
    code, out, err = run(capsys, "verify", "--task", "math500", "--outputs", ofile,
                         "--format", "json")
    assert code == 0, err
    lines = jsonl(out)
    assert [r["correct"] for r in lines] == [True, True, False]
    assert "sympy" in lines[0]["detail"]  # 0.5 = 1/2 needs the symbolic comparison


def test_verify_hotpotqa_json_has_the_f1_score(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path, data_dir: Path,
                                               hotpot_items: list[Item]) -> None:
    a, b = hotpot_items[:2]
    ofile = write_jsonl(tmp_path / "o.jsonl",
                        {"id": a.id, "output": a.reference},
                        {"id": a.id, "output": f"Reasoning.\nAnswer: the poet {a.target}",
                         "variant": "constrained"},
                        {"id": b.id, "output": "Answer: Paris"},
                        {"id": "own", "output": "Answer: New York City",
                         "target": "New York"})
    code, out, err = run(capsys, "verify", "--task", "hotpotqa", "--outputs", ofile,
                         "--format", "json", "--data-dir", data_dir)
    assert code == 0, err
    lines = jsonl(out)
    assert [r["correct"] for r in lines] == [True, False, False, False]
    assert [r["score"] for r in lines[:1] + lines[2:3]] == [1.0, 0.0]
    assert 0.0 < lines[1]["score"] < 1.0  # extra words: partial credit only
    assert lines[3]["score"] == pytest.approx(0.8)  # tokens: new york city vs new york
    assert set(lines[0]) == {"id", "correct", "extracted", "detail", "score"}
    assert "mean score: 0.600 (n=3)" in err
    assert "mean score (constrained): " in err
    code, out, _ = run(capsys, "verify", "--task", "hotpotqa", "--outputs", ofile,
                       "--data-dir", data_dir)
    assert code == 0
    header = out.splitlines()[0].split()
    assert header == ["id", "variant", "correct", "score", "extracted", "detail"]
    assert "0.800" in out


# -- extract ---------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("task", ["math500", "hotpotqa"])
def test_extract_self_from_generic_jsonl(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         data_dir: Path, task: str) -> None:
    items = get_benchmark(task).load(data_dir, limit=8)
    wrong = "I am not sure.\n\\boxed{-987}" if task == "math500" else "Hmm.\nAnswer: Atlantis"
    outputs = write_jsonl(tmp_path / "o.jsonl", *[
        {"id": it.id, "output": wrong if i in (1, 4) else it.reference}
        for i, it in enumerate(items)])
    cfile = tmp_path / "c.jsonl"
    code, out, err = run(capsys, "extract", "--task", task, "--from", outputs, "--out", cfile,
                         "--k", "2", "--data-dir", data_dir)
    assert code == 0, err
    assert out == ""
    assert "outputs read:          8" in err
    assert "correct (verified):    6" in err
    lines = jsonl(cfile.read_text())
    ids = {line["id"] for line in lines}
    assert ids <= {it.id for i, it in enumerate(items) if i not in (1, 4)}
    assert len(ids) >= 4
    by_id = {it.id: it for it in items}
    for line in lines:
        assert (line["task"], line["source"]) == (task, "self")
        for record in line["constraints"]:
            constraint = constraint_from_record(record)
            assert constraint.check(by_id[line["id"]].reference)  # self-evident
            assert by_id[line["id"]].target.lower() not in record["text"].lower()  # no leak
    # and `sustain check` agrees that the source outputs satisfy their constraints
    code, out, _ = run(capsys, "check", "--constraints", cfile, "--outputs", outputs,
                       "--format", "json")
    assert code == 0
    assert all(r["compliant"] for r in jsonl(out))


@pytest.mark.slow
@pytest.mark.parametrize("task", ["math500", "hotpotqa"])
def test_extract_reference(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                           data_dir: Path, task: str) -> None:
    cfile = tmp_path / "ref.jsonl"
    code, _, err = run(capsys, "extract", "--task", task, "--reference", "--limit", "10",
                       "--out", cfile, "--data-dir", data_dir, "--seed", "3")
    assert code == 0, err
    lines = jsonl(cfile.read_text())
    assert len(lines) == 10  # every reference passes its verifier and yields a constraint
    assert {line["source"] for line in lines} == {"reference"}
    items = {it.id: it for it in get_benchmark(task).load(data_dir, limit=10)}
    assert [line["id"] for line in lines] == list(items)
    for line in lines:
        for record in line["constraints"]:
            assert constraint_from_record(record).check(items[line["id"]].reference)
    again = tmp_path / "ref2.jsonl"
    run(capsys, "extract", "--task", task, "--reference", "--limit", "10", "--out", again,
        "--data-dir", data_dir, "--seed", "3")
    assert again.read_text() == cfile.read_text()  # deterministic


# -- malformed inputs ------------------------------------------------------------------------

def test_verify_math500_with_gsm8k_style_ids(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path, data_dir: Path) -> None:
    ofile = write_jsonl(tmp_path / "o.jsonl", {"id": "0", "output": "\\boxed{1}"})
    code, out, err = run(capsys, "verify", "--task", "math500", "--outputs", ofile,
                         "--data-dir", data_dir)
    assert code == 2
    assert out == ""
    assert err.strip() == (
        f"sustain: error: {ofile}:1: field 'id': no item with id '0' in the math500 data; "
        "its ids look like 'test/precalculus/807.json' (give a 'target' to verify against "
        "your own answer)")


def test_verify_math500_near_miss_id_suggests_the_real_one(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, data_dir: Path,
        math_items: list[Item]) -> None:
    ofile = write_jsonl(tmp_path / "o.jsonl", {"id": math_items[0].id, "output": "x"},
                        {"id": "precalculus/807", "output": "\\boxed{1}"})
    code, _, err = run(capsys, "verify", "--task", "math500", "--outputs", ofile,
                       "--data-dir", data_dir)
    assert code == 2
    assert f"{ofile}:2: field 'id': no item with id 'precalculus/807'" in err
    assert "did you mean 'test/precalculus/807.json'?" in err


def test_ids_are_checked_before_any_verification(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path, data_dir: Path,
                                                 math_items: list[Item],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    bench = get_benchmark("math500")
    calls: list[str] = []
    # patch the class: undoing a patch on the instance would leave a bound method behind
    monkeypatch.setattr(type(bench), "verify", lambda *a, **k: calls.append("x"))
    ofile = write_jsonl(tmp_path / "o.jsonl",
                        *[{"id": it.id, "output": it.reference} for it in math_items],
                        {"id": "test/nowhere/1.json", "output": "\\boxed{1}"})
    commands: list[list[str | Path]] = [["verify", "--outputs", ofile],
                                        ["extract", "--from", ofile, "--out",
                                         tmp_path / "c.jsonl"]]
    for command in commands:
        code, _, err = run(capsys, *command, "--task", "math500", "--data-dir", data_dir)
        assert code == 2
        assert f"{ofile}:13: field 'id': no item with id 'test/nowhere/1.json'" in err
    assert calls == []
    assert not (tmp_path / "c.jsonl").exists()


def test_extract_hotpotqa_bad_ids_and_duplicates(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path, data_dir: Path,
                                                 hotpot_items: list[Item]) -> None:
    good = hotpot_items[0]
    ofile = write_jsonl(tmp_path / "o.jsonl", {"id": good.id, "output": good.reference},
                        {"id": 3, "output": "Answer: x"})
    code, _, err = run(capsys, "extract", "--task", "hotpotqa", "--from", ofile, "--out",
                       tmp_path / "c.jsonl", "--data-dir", data_dir)
    assert code == 2
    assert f"{ofile}:2: field 'id': no item with id '3' in the hotpotqa data; its ids look " \
           f"like '{good.id}'" in err
    dup = write_jsonl(tmp_path / "d.jsonl", {"id": good.id, "output": good.reference},
                      {"id": good.id, "output": good.reference, "variant": "plain"})
    code, _, err = run(capsys, "extract", "--task", "hotpotqa", "--from", dup, "--out",
                       tmp_path / "c.jsonl", "--data-dir", data_dir)
    assert code == 2
    assert f"{dup}:2: field 'id': id '{good.id}' appears twice (first on line 1)" in err


def test_extract_math500_from_a_hotpotqa_samples_file(capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path, data_dir: Path) -> None:
    folder = write_lmeval_run(tmp_path / "lm" / "m", {"sustain_hotpotqa_plain": [
        lm_line(0, "5a7d5c175542991319bc93b1", acc=1.0, f1=1.0)]})
    samples = next(folder.glob("samples_*.jsonl"))
    code, _, err = run(capsys, "extract", "--task", "math500", "--from", samples, "--out",
                       tmp_path / "c.jsonl", "--data-dir", data_dir)
    assert code == 2
    assert f"sustain: error: {samples}: this is the plain variant of task 'hotpotqa'" in err
    code, _, err = run(capsys, "extract", "--task", "math500", "--from", tmp_path / "lm",
                       "--out", tmp_path / "c.jsonl", "--data-dir", data_dir)
    assert code == 2
    assert "no plain run of task 'math500' found" in err


def test_verify_blank_target_is_an_error(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    ofile = write_jsonl(tmp_path / "o.jsonl", {"id": "a", "output": "\\boxed{1}",
                                               "target": ""})
    code, _, err = run(capsys, "verify", "--task", "math500", "--outputs", ofile)
    assert code == 2
    assert err.startswith(f"sustain: error: {ofile}:1: field 'target': is empty")


def test_verifier_worker_that_cannot_start_is_a_clear_error(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import sustain_verifiers.math as math_verifier
    from sustain_verifiers._isolate import Outcome

    monkeypatch.setattr(math_verifier, "run_bounded",
                        lambda *a, **k: Outcome(False, error="startup", message="no python"))
    ofile = write_jsonl(tmp_path / "o.jsonl", {"id": "a", "output": "\\boxed{0.5}",
                                               "target": "\\frac{1}{2}"})
    code, out, err = run(capsys, "verify", "--task", "math500", "--outputs", ofile)
    assert code == 2
    assert out == ""
    assert err.startswith("sustain: error: cannot compare math answers: no python")
    assert "Traceback" not in err


# -- score -----------------------------------------------------------------------------------

def test_score_reports_f1_and_difficulty_breakdowns(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    lm = tmp_path / "lm" / "org__a"
    meta = [{"type": "bridge", "level": "hard"}, {"type": "comparison", "level": "hard"}]
    write_lmeval_run(lm, {
        "sustain_hotpotqa_plain": [lm_line(i, f"h{i}", acc=1.0 if i < 3 else 0.0,
                                           f1=1.0 if i < 3 else 0.5, metadata=meta[i % 2])
                                   for i in range(4)],
        "sustain_hotpotqa_constrained": [
            lm_line(i, f"h{i}", acc=1.0 if i != 1 else 0.0, f1=1.0 if i != 1 else 0.2,
                    constraints=["length:max_words"], compliance=1.0, source="reference",
                    metadata=meta[i % 2]) for i in range(4)]})
    log = write_inspect_log(tmp_path / "m.eval", [
        {"id": f"test/x/{i}.json", "value": sample_value(1.0, 1.0 if i % 3 else 0.0,
                                                         compliant=1.0),
         "metadata": {"subject": "Algebra" if i < 3 else "Geometry", "level": 1 + i % 3}}
        for i in range(6)], task="sustain_math500", model="prov/b")
    code, out, err = run(capsys, "score", tmp_path / "lm", log, "--format", "json")
    assert code == 0, err
    reports = {r["task"]: r for r in jsonl(out)}
    hot, math = reports["hotpotqa"], reports["math500"]
    # existing fields keep their meaning
    assert (hot["n_sustain"], hot["sustain_score"], hot["plain_accuracy"]) == (3, 2 / 3, 0.75)
    assert (hot["plain_f1"], hot["n_plain_f1"]) == (pytest.approx(3.5 / 4), 4)
    assert (hot["constrained_f1"], hot["n_constrained_f1"]) == (pytest.approx(3.2 / 4), 4)
    assert (hot["sustain_f1"], hot["n_sustain_f1"]) == (pytest.approx(2.2 / 3), 3)
    bridge = hot["by_metadata"]["type"]["bridge"]  # h0, h2: both kept
    comparison = hot["by_metadata"]["type"]["comparison"]  # h1 lost; h3 wrong plain
    assert (bridge["n_sustain"], bridge["sustain_score"]) == (2, 1.0)
    assert (comparison["n_sustain"], comparison["sustain_score"]) == (1, 0.0)
    assert comparison["plain_accuracy"] == 0.5
    assert math["plain_f1"] is None
    assert math["n_plain_f1"] == 0
    assert list(math["by_metadata"]) == ["level", "subject"]
    assert list(math["by_metadata"]["level"]) == ["1", "2", "3"]
    level1 = math["by_metadata"]["level"]["1"]  # ids 0 and 3, both lost (i % 3 == 0)
    assert (level1["n_sustain"], level1["sustain_score"]) == (2, 0.0)
    assert math["by_metadata"]["subject"]["Geometry"]["n_items"] == 3
    code, out, _ = run(capsys, "score", tmp_path / "lm", log)
    assert code == 0
    assert "org/model-a / hotpotqa: by type" in out
    assert "prov/b / math500: by level" in out
    assert "prov/b / math500: by subject" in out
    assert "constrained F1" in out


# -- worker processes: prompt, clean exit ----------------------------------------------------

def _marked_processes(mark: str) -> list[int]:
    """Live processes whose environment carries ``SUSTAIN_TEST_MARK=mark``."""
    needle = f"SUSTAIN_TEST_MARK={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if needle in environ.split(b"\0") and state != "Z":
            found.append(int(entry.name))
    return found


def _wait_until_gone(mark: str, seconds: float = 120.0) -> list[int]:
    """The marked processes still alive once they are all gone or ``seconds`` have passed (a
    bound on the wait, not on how fast they go)."""
    deadline = time.monotonic() + seconds  # not a speed claim
    left = _marked_processes(mark)
    while left and time.monotonic() < deadline:  # not a speed claim
        time.sleep(0.1)
        left = _marked_processes(mark)
    return left


@pytest.fixture
def marked_env() -> Iterator[tuple[dict[str, str], str]]:
    """An environment whose mark every process started under it (the workers too) inherits."""
    if not Path("/proc/self/environ").exists():
        pytest.skip("needs /proc to find the worker processes")
    mark = uuid.uuid4().hex
    env = dict(os.environ, SUSTAIN_TEST_MARK=mark,
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    yield env, mark
    for pid in _marked_processes(mark):  # never leave a stray worker behind
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _symbolic_outputs(path: Path, n: int) -> Path:
    """Outputs whose verdicts all need the symbolic comparison (a worker process)."""
    return write_jsonl(path, *[{"id": f"x{i}", "output": f"\\boxed{{{i}/7}}",
                                "target": "\\frac{3}{7}"} for i in range(n)])


def _lines(stream: IO[str]) -> queue.Queue[str | None]:
    """The lines of ``stream`` as they come, then None at its end."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


@pytest.mark.slow
def test_math_verify_exits_promptly_and_leaves_no_worker(
        tmp_path: Path, marked_env: tuple[dict[str, str], str]) -> None:
    env, mark = marked_env
    ofile = _symbolic_outputs(tmp_path / "o.jsonl", 40)
    proc = subprocess.run(
        [sys.executable, "-m", "sustain_tasks.cli", "verify", "--task", "math500",
         "--outputs", str(ofile), "--format", "json", "--progress"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = jsonl(proc.stdout)
    assert [r["correct"] for r in lines] == [i == 3 for i in range(40)]
    assert all("[sympy" in r["detail"] for r in lines)  # the workers really ran
    # not a terminal: whole progress lines, ending with the total
    assert "\r" not in proc.stderr
    assert "verifying: 40/40 (100%)\n" in proc.stderr
    assert _wait_until_gone(mark) == []


@contextlib.contextmanager
def _ctrl_c_reaches_children() -> Iterator[None]:
    """Children started meanwhile turn Ctrl-C into KeyboardInterrupt, even when this process
    was started with SIGINT ignored (a shell's background job, ``nohup``): an ignored signal
    stays ignored across exec, and Python then installs no handler of its own."""
    ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.slow
def test_interrupted_math_verify_stops_its_workers(
        tmp_path: Path, marked_env: tuple[dict[str, str], str]) -> None:
    env, mark = marked_env
    ofile = _symbolic_outputs(tmp_path / "o.jsonl", 4000)
    with _ctrl_c_reaches_children():
        proc = subprocess.Popen(
            [sys.executable, "-m", "sustain_tasks.cli", "verify", "--task", "math500",
             "--outputs", str(ofile), "--progress"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
            cwd=tmp_path)
    try:
        assert proc.stderr is not None
        lines = _lines(proc.stderr)
        assert lines.get(timeout=180) == "verifying: 0/4000 (0%)\n"
        first = lines.get(timeout=180)  # the first verdict: a worker is up
        assert first is not None
        assert first.startswith("verifying: 1/4000")
        assert _marked_processes(mark)
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=120)  # stops a hung run; how fast is not checked
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 130
    rest = []
    while (line := lines.get(timeout=120)) is not None:
        rest.append(line)
    assert "sustain: interrupted\n" in rest
    # it stopped where it was, not after judging every output
    assert not any(line.startswith("verifying: 4000/4000") for line in rest), rest[-3:]
    assert not any("Traceback" in line for line in rest)
    assert _wait_until_gone(mark) == []
