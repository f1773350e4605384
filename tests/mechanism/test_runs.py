"""Reading the items of S from lm-eval samples: prompts, outputs, spans, verdicts, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sustain_tasks.errors import SustainInputError
from sustain_tasks.lm_eval.adapter import build_docs
from sustain_tasks.mechanism.runs import read_items

DATE = "2026-01-02T03-04-05.000006"
N = 6


def _line(doc_id: int, doc: dict[str, Any], output: str, acc: float, *,
          context: str | None = None, filt: str = "flexible-extract") -> dict[str, Any]:
    line: dict[str, Any] = {
        "doc_id": doc_id, "doc": doc, "target": doc["target"],
        "arguments": {"gen_args_0": {"arg_0": context if context is not None
                                     else doc["prompt"], "arg_1": {"until": []}}},
        "resps": [[output]], "filtered_resps": [output], "filter": filt, "metrics": ["acc"],
        "acc": acc}
    if doc["variant"] == "constrained":
        line.update(compliance=1.0, compliance_loose=1.0)
    return line


def _write(folder: Path, variant: str, lines: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"samples_sustain_gsm8k_{variant}_{DATE}.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


def _reference_run(folder: Path, data_dir: Path, *, chat: bool = False
                   ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A reference-mode run: plain correct on even items only; constrained wrong on items
    whose position is a multiple of 3."""
    plain_docs = build_docs("gsm8k", "plain", data_dir=str(data_dir))[:N]
    docs = build_docs("gsm8k", "constrained", data_dir=str(data_dir),
                      kinds="length:max_words")[:N]
    by_id = {d["id"]: d for d in plain_docs}
    plain = [_line(i, by_id.get(d["id"], d | {"variant": "plain"}), f"#### {d['target']}",
                   1.0 if i % 2 == 0 else 0.0) for i, d in enumerate(docs)]
    constrained = []
    for i, d in enumerate(docs):
        context = f"<|im_start|>user\n{d['prompt']}<|im_end|>\n<|im_start|>assistant\n" \
            if chat else None
        constrained.append(_line(i, d, f"So {i}.\n#### {d['target']}",
                                 0.0 if i % 3 == 0 else 1.0, context=context))
        constrained.append(_line(i, d, "x", 0.0, context=context, filt="strict-match"))
    _write(folder, "plain", plain)
    _write(folder, "constrained", constrained)
    return plain, constrained


def test_reference_mode_keeps_the_plain_correct_items(tmp_path: Path, data_dir: Path) -> None:
    _, constrained = _reference_run(tmp_path / "out", data_dir)
    read = read_items([tmp_path / "out"])
    items = read.items
    ids = [c["doc"]["id"] for c in constrained[::2]]
    assert [i.sample_id for i in items] == [ids[k] for k in range(N) if k % 2 == 0]
    for k, item in zip((0, 2, 4), items, strict=True):
        doc = constrained[2 * k]["doc"]
        assert item.variant == "constrained"
        assert item.task == "gsm8k"
        assert item.prompt == doc["prompt"]
        assert item.output == f"So {k}.\n#### {doc['target']}"  # the flexible-extract line
        assert item.correct is (k % 3 != 0)
        assert item.rendering.harness == "lm-eval"
        assert item.rendering.context == doc["prompt"]
        (span,) = item.spans
        assert item.prompt[span.start:span.end] == doc["constraints"][0]["text"]
        assert [c.category for c in item.checks] == ["length"]
        assert item.source == "reference"


def test_chat_context_is_kept_verbatim(tmp_path: Path, data_dir: Path) -> None:
    _reference_run(tmp_path / "out", data_dir, chat=True)
    item = read_items([tmp_path / "out"]).items[0]
    assert item.rendering.context is not None
    assert item.rendering.context.startswith("<|im_start|>user\n" + item.prompt)


def test_self_mode_items_are_all_in_s(tmp_path: Path, data_dir: Path) -> None:
    docs = build_docs("gsm8k", "constrained", data_dir=str(data_dir),
                      kinds="length:max_words")[:3]
    lines = [_line(i, d | {"constraint_source": "self"}, "#### 1", 0.0)
             for i, d in enumerate(docs)]
    _write(tmp_path / "run2", "constrained", lines)
    items = read_items([tmp_path / "run2"]).items
    assert [i.sample_id for i in items] == [d["id"] for d in docs]
    assert read_items([tmp_path / "run2"], limit=2).items == items[:2]


def test_a_prompt_not_built_by_the_protocol_is_located(tmp_path: Path, data_dir: Path) -> None:
    docs = build_docs("gsm8k", "constrained", data_dir=str(data_dir),
                      kinds="length:max_words")[:2]
    bad = docs[1] | {"constraint_source": "self", "prompt": docs[1]["prompt"] + " Thanks!"}
    lines = [_line(0, docs[0] | {"constraint_source": "self"}, "#### 1", 1.0),
             _line(1, bad, "#### 1", 1.0)]
    path = _write(tmp_path / "run", "constrained", lines)
    with pytest.raises(SustainInputError) as info:
        read_items([tmp_path / "run"])
    assert str(info.value).startswith(f"{path}:2: field 'doc.prompt': ")


def test_no_item_of_s_is_an_error(tmp_path: Path, data_dir: Path) -> None:
    docs = build_docs("gsm8k", "plain", data_dir=str(data_dir))[:2]
    _write(tmp_path / "run", "plain", [_line(i, d, "#### 1", 1.0) for i, d in enumerate(docs)])
    with pytest.raises(SustainInputError, match="no constrained or placebo item of S"):
        read_items([tmp_path / "run"])


def _placebo_lines(docs: list[dict[str, Any]], source: str, wrong: set[int]
                   ) -> list[dict[str, Any]]:
    return [_line(i, d | {"constraint_source": source}, f"So.\n#### {d['target']}",
                  0.0 if i in wrong else 1.0) for i, d in enumerate(docs)]


def test_lm_eval_placebo_items_of_a_self_mode_run(tmp_path: Path, data_dir: Path) -> None:
    """``sustain_<bench>_placebo`` beside the constrained task of a self-mode run: its items
    are read with the neutral text's span, rebuilt with the protocol and checked."""
    from sustain_tasks.constraints import constraint_from_record
    from sustain_tasks.protocol import placebo_prompt

    docs = build_docs("gsm8k", "constrained", data_dir=str(data_dir),
                      kinds="length:max_words")[:4]
    placebo = build_docs("gsm8k", "placebo", data_dir=str(data_dir),
                         kinds="length:max_words")[:4]
    plain = {d["id"]: d["prompt"] for d in build_docs("gsm8k", "plain",
                                                      data_dir=str(data_dir))[:40]}
    _write(tmp_path / "run2", "constrained", _placebo_lines(docs, "self", set()))
    _write(tmp_path / "run2", "placebo", _placebo_lines(placebo, "self", {1, 2}))
    items = read_items([tmp_path / "run2"]).items
    controls = [i for i in items if i.variant == "placebo"]
    assert [i.sample_id for i in controls] == [d["id"] for d in placebo]
    assert [i.correct for i in controls] == [True, False, False, True]
    for item, doc in zip(controls, placebo, strict=True):
        constraints = [constraint_from_record(r) for r in doc["constraints"]]
        assert item.prompt == placebo_prompt(plain[doc["id"]], constraints, key=doc["id"])
        (span,) = item.spans
        assert item.prompt[:span.start] == plain[doc["id"]] + "\n\n"
        assert span.end == len(item.prompt)
        assert item.checks == ()
        assert item.compliant is None
        assert item.rendering.harness == "lm-eval"
        assert item.rendering.context == doc["prompt"]


def test_lm_eval_placebo_in_reference_mode_needs_the_plain_verdict(
        tmp_path: Path, data_dir: Path) -> None:
    """Reference mode: the plain verdict of the same run decides (plain-correct on even
    items); a placebo run without it has no item of S."""
    _reference_run(tmp_path / "out", data_dir)
    placebo = build_docs("gsm8k", "placebo", data_dir=str(data_dir),
                         kinds="length:max_words")[:N]
    _write(tmp_path / "out", "placebo", _placebo_lines(placebo, "reference", set()))
    controls = [i for i in read_items([tmp_path / "out"]).items if i.variant == "placebo"]
    assert [i.sample_id for i in controls] == [placebo[k]["id"] for k in range(0, N, 2)]
    _write(tmp_path / "alone", "placebo", _placebo_lines(placebo, "reference", set()))
    with pytest.raises(SustainInputError, match="no constrained or placebo item of S"):
        read_items([tmp_path / "alone"])


def test_an_lm_eval_placebo_prompt_not_rebuilt_is_refused(tmp_path: Path,
                                                         data_dir: Path) -> None:
    placebo = build_docs("gsm8k", "placebo", data_dir=str(data_dir),
                         kinds="length:max_words")[:2]
    placebo[1] = placebo[1] | {"prompt": placebo[1]["prompt"] + " Really."}
    path = _write(tmp_path / "run", "placebo", _placebo_lines(placebo, "self", set()))
    with pytest.raises(SustainInputError) as info:
        read_items([tmp_path / "run"])
    assert str(info.value).startswith(f"{path}:2: field 'doc.prompt': ")
    assert "placebo rebuild" in str(info.value)
