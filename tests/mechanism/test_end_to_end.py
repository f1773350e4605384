"""``sustain mechanism`` end to end: replayed Inspect runs (self mode and the placebo control),
hand-written lm-eval samples and a replayed lm-eval run with its placebo control, teacher-forced
through tiny random models on CPU."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sustain_tasks.cli import main
from sustain_tasks.mechanism.runs import read_items

from .conftest import N_ITEMS, RecordedRun, need

need("torch", "transformers", "sklearn", "matplotlib")

pytestmark = [pytest.mark.slow, pytest.mark.inspect]

PNG = b"\x89PNG\r\n\x1a\n"


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _count_forwards(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from sustain_tasks.mechanism.model import LoadedModel

    calls: list[int] = []
    original = LoadedModel.forward

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(LoadedModel, "forward", counted)
    return calls


def test_inspect_items_are_read_with_their_verdicts(recorded_run: RecordedRun) -> None:
    items = read_items([recorded_run.logs]).items
    constrained = [i for i in items if i.variant == "constrained"]
    placebo = [i for i in items if i.variant == "placebo"]
    assert len(constrained) == len(placebo) == N_ITEMS
    assert {i.sample_id for i in constrained if not i.correct} == recorded_run.failed
    assert {i.sample_id for i in placebo if not i.correct} == recorded_run.failed
    assert {i.sample_id for i in constrained if not i.compliant} == \
        recorded_run.non_compliant
    for item in constrained:
        (span,) = item.spans
        assert item.prompt[span.start:span.end] == item.constraints[0].describe()
        assert item.rendering.harness == "inspect"
    for item in placebo:
        assert item.prompt[item.spans[0].start:].strip()
        assert item.checks == ()


def test_attention_end_to_end(recorded_run: RecordedRun, model_dirs: dict[str, Path],
                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    args = ["mechanism", "attention", str(recorded_run.logs), "--model",
            str(model_dirs["gpt2"]), "--bootstrap", "200", "--seed", "3"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr()
    assert out.out.strip() == str(tmp_path / "a" / "attention.json")
    assert "constraint: attention per token, failed" in out.err
    report = _json(tmp_path / "a" / "attention.json")
    assert report["analysis"] == "attention"
    assert report["schema_version"] == 1
    assert report["n_items"] == report["n_measured"] == 2 * N_ITEMS
    assert report["span_exact_share"] == 1.0
    failed = len(recorded_run.failed)
    for section in ("constraint", "placebo"):
        data = report[section]
        assert (data["n_failed"], data["n_successful"]) == (failed, N_ITEMS - failed)
        for metric in ("mass", "mass_per_token"):
            m = data["metrics"][metric]
            assert len(m["layers"]) == 2
            assert len(m["heads"]) == 2 * 2
            for key in ("mean_failed", "ci_failed", "mean_successful", "ci_successful",
                        "difference", "difference_ci", "p_value", "cliffs_delta", "cohens_d"):
                assert key in m["overall"]
            assert 0.0 < m["overall"]["mean_failed"] <= 1.0
    assert (tmp_path / "a" / "attention.png").read_bytes().startswith(PNG)

    # deterministic for a seed
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    assert _json(tmp_path / "b" / "attention.json") == report

    # resumed: a line lost to a kill is measured again, and only that one
    items_file = tmp_path / "a" / "attention_items.jsonl"
    lines = items_file.read_text(encoding="utf-8").splitlines(keepends=True)
    items_file.write_text("".join(lines[:-1]) + lines[-1][:25], encoding="utf-8")
    calls = _count_forwards(monkeypatch)
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert len(calls) == 1
    assert _json(tmp_path / "a" / "attention.json") == report

    # other settings are refused, naming the file
    capsys.readouterr()
    assert main([*args, "--out", str(tmp_path / "a"), "--dtype", "float16"]) == 2
    assert f"{items_file}:1: field 'settings'" in capsys.readouterr().err


def test_probe_end_to_end_with_positions(recorded_run: RecordedRun,
                                         model_dirs: dict[str, Path], tmp_path: Path) -> None:
    args = ["mechanism", "probe", str(recorded_run.self_log), "--model",
            str(model_dirs["llama"]), "--positions", "--folds", "3", "--bootstrap", "50",
            "--out"]
    assert main([*args, str(tmp_path / "p")]) == 0
    report = _json(tmp_path / "p" / "probe.json")
    assert report["analysis"] == "probe"
    assert report["n_measured"] == N_ITEMS
    assert report["n_layers"] == 3 + 1  # three blocks and the embeddings
    assert set(report["targets"]) == {"task_success", "compliance", "length"}
    for entry in report["targets"].values():
        assert len(entry["layers"]) == 4
        assert all(0.0 <= e["auc"] <= 1.0 for e in entry["layers"])
    assert set(report["first_layer"]) == {"structural", "semantic", "task_success",
                                          "compliance"}
    assert set(report["first_layer"]["structural"]) == {"length"}
    assert report["first_layer"]["semantic"] == {}
    assert set(report["general_vs_specialist"]) == {"length"}
    assert report["positions"] == ["prompt", "start", "25%", "50%", "75%", "end"]
    assert set(report["position_summary"]["length"]) == set(report["positions"])
    assert (tmp_path / "p" / "probe.png").read_bytes().startswith(PNG)
    assert len(list((tmp_path / "p" / "probe_hidden").glob("*.npy"))) == N_ITEMS
    assert main([*args, str(tmp_path / "q")]) == 0
    assert _json(tmp_path / "q" / "probe.json") == report


def test_lm_eval_samples_end_to_end(data_dir: Path, model_dirs: dict[str, Path],
                                    tmp_path: Path) -> None:
    """An lm-eval run recorded with a ChatML chat template, on a Qwen2-style model."""
    from .test_runs import _reference_run

    _reference_run(tmp_path / "run", data_dir, chat=True)
    assert main(["mechanism", "attention", str(tmp_path / "run"), "--model",
                 str(model_dirs["qwen2"]), "--out", str(tmp_path / "o"),
                 "--bootstrap", "50"]) == 0
    report = _json(tmp_path / "o" / "attention.json")
    assert report["n_measured"] == 3
    assert report["span_exact_share"] == 1.0
    assert report["placebo"] is None


def test_a_sample_without_its_record_is_left_out_with_a_warning(recorded_run: RecordedRun,
                                                                tmp_path: Path) -> None:
    from inspect_ai.log import read_eval_log, write_eval_log

    log = read_eval_log(str(recorded_run.self_log))
    assert log.samples is not None
    log.samples[0].store = {}
    copy = tmp_path / recorded_run.self_log.name
    write_eval_log(log, str(copy))
    read = read_items([copy])
    assert len(read.items) == N_ITEMS - 1
    assert any("1 item(s) of S have no recorded prompt" in w for w in read.warnings)


def _sustain(args: list[str], cwd: Path, data_dir: Path) -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ)
    env.update({"SUSTAIN_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1",
                "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
                "PYTHONPATH": os.pathsep.join([str(root), str(root / "verifiers"),
                                               env.get("PYTHONPATH", "")])})
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from sustain_tasks.cli import main; "
         "raise SystemExit(main(sys.argv[1:]))", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, f"sustain {' '.join(args)}:\n{proc.stderr[-4000:]}"


@pytest.mark.lm_eval
def test_lm_eval_placebo_control_end_to_end(data_dir: Path, model_dirs: dict[str, Path],
                                            tmp_path: Path) -> None:
    """A self-mode lm-eval run replayed end to end (plain → ``sustain extract`` →
    ``sustain_gsm8k_constrained`` and ``sustain_gsm8k_placebo``), then the attention analysis
    on a SentencePiece-style model: the placebo section is measured from the lm-eval control."""
    from sustain_tasks.benchmarks import get_benchmark

    n = 8
    items = get_benchmark("gsm8k").load(data_dir, limit=n)

    def wrong(i: int) -> str:
        value = int(items[i].target.replace(",", "")) + 7
        return f"It is {value}.\n#### {value}"

    record: list[dict[str, Any]] = [{"id": item.id, "output": item.reference}
                                    for item in items]
    record[0]["output"] = wrong(0)  # plain-wrong: not in S
    for variant, broken in (("constrained", (1, 2, 3)), ("placebo", (2, 5))):
        record += [{"id": items[i].id, "variant": variant, "output": wrong(i)} for i in broken]
    outputs = tmp_path / "recording.jsonl"
    outputs.write_text("".join(json.dumps(r) + "\n" for r in record), encoding="utf-8")
    replay = ["lm-eval", "--model", "sustain-replay", "--model_args", f"outputs={outputs}"]
    _sustain([*replay, "--tasks", "sustain_gsm8k_plain", "--limit", str(n), "--output_path",
              str(tmp_path / "run1"), "--log_samples"], tmp_path, data_dir)
    constraints = tmp_path / "constraints.jsonl"
    _sustain(["extract", "--task", "gsm8k", "--from", str(tmp_path / "run1"), "--out",
              str(constraints)], tmp_path, data_dir)
    _sustain([*replay, "--tasks", "sustain_gsm8k_constrained,sustain_gsm8k_placebo",
              "--metadata", json.dumps({"constraints_path": str(constraints)}),
              "--output_path", str(tmp_path / "run2"), "--log_samples"], tmp_path, data_dir)

    items_read = read_items([tmp_path / "run2"]).items
    placebo = [i for i in items_read if i.variant == "placebo"]
    assert [i.sample_id for i in placebo] == [item.id for item in items[1:]]
    assert {i.sample_id for i in placebo if not i.correct} == {items[2].id, items[5].id}

    assert main(["mechanism", "attention", str(tmp_path / "run2"), "--model",
                 str(model_dirs["llama2"]), "--out", str(tmp_path / "o"),
                 "--bootstrap", "50"]) == 0
    report = _json(tmp_path / "o" / "attention.json")
    assert report["n_items"] == report["n_measured"] == 2 * (n - 1)
    assert report["span_exact_share"] == 1.0
    assert (report["constraint"]["n_failed"], report["constraint"]["n_successful"]) == (3, 4)
    assert report["placebo"] is not None
    assert (report["placebo"]["n_failed"], report["placebo"]["n_successful"]) == (2, 5)
    for metric in ("mass", "mass_per_token"):
        overall = report["placebo"]["metrics"][metric]["overall"]
        assert 0.0 < overall["mean_failed"] <= 1.0
        assert len(report["placebo"]["metrics"][metric]["layers"]) == 3
    assert (tmp_path / "o" / "attention.png").read_bytes().startswith(PNG)
