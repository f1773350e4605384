"""The adapter behind the YAML: documents, filters and per-document metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sustain_tasks.benchmarks import Item, get_benchmark
from sustain_tasks.constraints import constraint_from_record
from sustain_tasks.errors import SustainInputError
from sustain_tasks.lm_eval.adapter import (
    INVALID,
    FilteredAnswer,
    build_docs,
    custom_dataset,
    doc_item,
    flexible_extract,
    process_results,
    strict_match,
)
from sustain_tasks.protocol import CONSTRAINT_HEADER

pytestmark = pytest.mark.lm_eval

DOC_KEYS = {"id", "task", "variant", "question", "target", "prompt", "constraints",
            "constraint_source", "metadata"}
MAX_WORDS_500 = {"kind": "length:max_words", "params": {"limit": 500},
                 "text": "Answer in fewer than 500 words."}


def _write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n"
                            for r in records))
    return path


# -- documents -------------------------------------------------------------------------------

def test_plain_docs_follow_the_schema(local_data: Path, gsm8k_items: list[Item]) -> None:
    docs = build_docs("gsm8k", "plain")
    assert len(docs) == len(gsm8k_items) == 1319
    bench = get_benchmark("gsm8k")
    for doc, item in zip(docs[:50], gsm8k_items[:50], strict=True):
        assert set(doc) == DOC_KEYS
        assert doc["id"] == item.id
        assert doc["target"] == item.target
        assert doc["prompt"] == bench.prompt(item)
        assert doc["variant"] == "plain"
        assert doc["task"] == "gsm8k"
        assert doc["constraints"] == []
        assert doc["constraint_source"] is None
        json.dumps(doc)


@pytest.mark.slow
def test_reference_mode_keeps_items_with_constraints(local_data: Path,
                                                     gsm8k_items: list[Item]) -> None:
    docs = build_docs("gsm8k", "constrained", k=2, seed=3)
    by_id = {item.id: item for item in gsm8k_items}
    assert docs, "no reference solution yielded a constraint"
    assert [d["id"] for d in docs] == sorted((d["id"] for d in docs), key=int)
    for doc in docs[:100]:
        item = by_id[doc["id"]]
        assert doc["constraint_source"] == "reference"
        assert 1 <= len(doc["constraints"]) <= 2
        plain = get_benchmark("gsm8k").prompt(item)
        assert doc["prompt"].startswith(plain + "\n\n" + CONSTRAINT_HEADER)
        for record in doc["constraints"]:
            constraint = constraint_from_record(record)
            assert constraint.check(item.reference), record
            assert record["text"] in doc["prompt"]
    again = build_docs("gsm8k", "constrained", k=2, seed=3)
    assert again == docs


@pytest.mark.parametrize("bench_name", ["math500", "hotpotqa"])
def test_docs_carry_what_prompt_and_verifier_need(local_data: Path, bench_name: str,
                                                  bench_items: dict[str, list[Item]]) -> None:
    """The item's metadata (HotpotQA: its ten paragraphs) survives the dataset's Arrow round
    trip, so the prompt and the verdict can be rebuilt from the document alone."""
    bench = get_benchmark(bench_name)
    items = bench_items[bench_name]
    test = custom_dataset(sustain_task=bench_name, sustain_variant="plain")["test"]
    assert len(test) == len(items) == 500
    for doc, item in zip(test.select(range(25)), items[:25], strict=True):
        assert set(doc) == DOC_KEYS
        assert doc["id"] == item.id
        assert doc["metadata"] == json.loads(json.dumps(dict(item.metadata)))
        rebuilt = doc_item(doc)
        assert bench.prompt(rebuilt) == doc["prompt"] == bench.prompt(item)
        assert bench.verify(item.reference, doc["target"], rebuilt).correct
        if bench_name == "hotpotqa":
            assert len(doc["metadata"]["context"]) == 10
            assert doc["question"] in doc["prompt"]


@pytest.mark.slow
@pytest.mark.parametrize("bench_name", ["math500", "hotpotqa"])
def test_reference_mode_builds_every_item(local_data: Path, bench_name: str,
                                          bench_items: dict[str, list[Item]]) -> None:
    """Reference-mode constraints for all 500 items (k=3): each self-evident on its reference,
    and deterministic (how fast: tests/perf/bench_lookups.py)."""
    docs = build_docs(bench_name, "constrained", k=3, seed=5)
    by_id = {item.id: item for item in bench_items[bench_name]}
    assert len(docs) == 500
    for doc in docs:
        reference = by_id[doc["id"]].reference
        assert 1 <= len(doc["constraints"]) <= 3
        for record in doc["constraints"]:
            assert constraint_from_record(record).check(reference), (doc["id"], record)
    assert sum(len(doc["constraints"]) == 3 for doc in docs) >= 450
    assert build_docs(bench_name, "constrained", k=3, seed=5) == docs


@pytest.mark.slow
def test_custom_dataset_returns_a_test_split(local_data: Path) -> None:
    ds = custom_dataset(sustain_task="gsm8k", sustain_variant="constrained", version=1.0,
                        model="m", base_url="http://x", k="2", kinds="length", seed=0)
    test = ds["test"]
    assert len(test) > 0
    doc = test[0]
    assert set(doc) == DOC_KEYS
    kinds = {r["kind"].partition(":")[0] for d in test for r in d["constraints"]}
    assert kinds == {"length"}
    # heterogeneous params survive the arrow round trip untouched
    for d in test:
        for record in d["constraints"]:
            constraint_from_record(record)


def test_custom_dataset_reads_data_dir_from_metadata(monkeypatch: pytest.MonkeyPatch,
                                                     data_dir: Path) -> None:
    monkeypatch.delenv("SUSTAIN_DATA_DIR", raising=False)
    ds = custom_dataset(sustain_task="gsm8k", sustain_variant="plain", data_dir=str(data_dir))
    assert len(ds["test"]) == 1319


@pytest.mark.parametrize(("key", "value"), [("k", 0), ("k", "two"), ("seed", "x"),
                                            ("kinds", 3), ("kinds", "no_such_kind")])
def test_bad_parameters_are_named(local_data: Path, key: str, value: Any) -> None:
    with pytest.raises(SustainInputError) as info:
        custom_dataset(sustain_task="gsm8k", sustain_variant="constrained", **{key: value})
    assert info.value.field == key


def test_missing_dataset_kwargs_is_an_error(local_data: Path) -> None:
    with pytest.raises(SustainInputError, match="sustain_task"):
        custom_dataset(sustain_variant="plain")
    with pytest.raises(SustainInputError, match="variant"):
        build_docs("gsm8k", "weird")


def test_self_mode_uses_exactly_the_file(local_data: Path, tmp_path: Path,
                                         gsm8k_items: list[Item]) -> None:
    lines = [
        {"id": "5", "task": "gsm8k", "source": "self", "constraints": [MAX_WORDS_500]},
        {"id": "2", "task": "gsm8k", "source": "self",
         "constraints": [{"kind": "length:max_words", "params": {"limit": 300}, "text": "x"}]},
        {"id": "11", "task": "mbpp", "source": "self", "constraints": [MAX_WORDS_500]},
    ]
    path = _write_jsonl(tmp_path / "c.jsonl", lines)
    ds = custom_dataset(sustain_task="gsm8k", sustain_variant="constrained",
                        constraints_path=str(path), k=3)
    docs = list(ds["test"])
    assert [d["id"] for d in docs] == ["2", "5"]
    assert all(d["constraint_source"] == "self" for d in docs)
    # the kind's own sentence is authoritative, not the file's "text"
    assert docs[0]["constraints"][0]["text"] == "Use fewer than 300 words in your whole response."
    assert docs[0]["prompt"].endswith("- Use fewer than 300 words in your whole response.")
    assert docs[1]["target"] == gsm8k_items[5].target


@pytest.mark.parametrize(("line", "field"), [
    ('{"id": "1", "task": "gsm8k", "constraints": []}', "constraints"),
    ('{"id": "1", "task": "gsm8k", "constraints": [{"kind": "length:nope"}]}',
     "constraints[0].kind"),
    ('{"id": "1", "task": "gsm8k", "constraints": [{"kind": "length:max_words", '
     '"params": {"limit": "many"}}]}', "constraints[0].params.limit"),
    ('{"task": "gsm8k", "constraints": []}', "id"),
    ('{"id": "1", "constraints": []}', "task"),
    ('{"id": "1", "task": "gsm8k", "source": "oracle", "constraints": []}', "source"),
    ('{"id": "99999", "task": "gsm8k", "constraints": [' + json.dumps(MAX_WORDS_500) + "]}",
     "id"),
])
def test_malformed_constraints_file_names_file_line_field(local_data: Path, tmp_path: Path,
                                                          line: str, field: str) -> None:
    good = json.dumps({"id": "0", "task": "gsm8k", "source": "self",
                       "constraints": [MAX_WORDS_500]})
    path = _write_jsonl(tmp_path / "c.jsonl", [good, line])
    with pytest.raises(SustainInputError) as info:
        build_docs("gsm8k", "constrained", constraints_path=str(path))
    err = info.value
    assert (err.path, err.line, err.field) == (str(path), 2, field), str(err)


def test_invalid_json_and_missing_file(local_data: Path, tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "c.jsonl", ["{not json"])
    with pytest.raises(SustainInputError) as info:
        build_docs("gsm8k", "constrained", constraints_path=str(path))
    assert info.value.line == 1
    with pytest.raises(SustainInputError, match="not found"):
        build_docs("gsm8k", "constrained", constraints_path=str(tmp_path / "missing.jsonl"))


def test_file_without_this_task_is_an_error(local_data: Path, tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "c.jsonl", [
        {"id": "11", "task": "mbpp", "source": "self", "constraints": [MAX_WORDS_500]}])
    with pytest.raises(SustainInputError, match="no constraints for task 'gsm8k'"):
        build_docs("gsm8k", "constrained", constraints_path=str(path))


# -- filters and metrics ---------------------------------------------------------------------

def _doc(variant: str = "plain", constraints: list[dict[str, Any]] | None = None
         ) -> dict[str, Any]:
    return {"id": "0", "task": "gsm8k", "variant": variant, "question": "q", "target": "18",
            "prompt": "p", "constraints": constraints or [],
            "constraint_source": "self" if variant == "constrained" else None, "metadata": {}}


STRICT_OK = "16 - 3 - 4 = 9 eggs, 9 * 2 = 18 dollars.\n#### 18"
LOOSE_OK = "She makes 9 * 2 = 18 dollars. The answer is 18."
WRONG = "She makes 20 dollars.\n#### 20"


@pytest.mark.parametrize(("output", "strict_acc", "flexible_acc"), [
    (STRICT_OK, 1.0, 1.0), (LOOSE_OK, 0.0, 1.0), (WRONG, 0.0, 0.0), ("", 0.0, 0.0)])
def test_filters_judge_with_the_benchmark(output: str, strict_acc: float,
                                          flexible_acc: float) -> None:
    doc = _doc()
    (strict,) = strict_match([[output]], [doc])
    (flexible,) = flexible_extract([[output]], [doc])
    for answer in (strict, flexible):
        assert isinstance(answer, FilteredAnswer)
        assert answer.raw == output
    assert strict.filter_name == "strict-match"
    assert flexible.filter_name == "flexible-extract"
    assert process_results(doc, [strict]) == {"acc": strict_acc}
    assert process_results(doc, [flexible]) == {"acc": flexible_acc}
    # a raw string is judged as flexible-extract would
    assert process_results(doc, [output]) == {"acc": flexible_acc}
    bench = get_benchmark("gsm8k")
    assert str(flexible) == (bench.verify(output, "18").extracted or INVALID)
    assert json.loads(json.dumps([strict])) == [str(strict)]


def test_constrained_metrics_check_the_raw_output() -> None:
    limit = {"kind": "length:max_words", "params": {"limit": 12}, "text": "x"}
    doc = _doc("constrained", [limit])
    short, long = "#### 18", STRICT_OK + " and many more words to break the word limit"
    for output, compliance in ((short, 1.0), (long, 0.0)):
        for fn in (strict_match, flexible_extract):
            (answer,) = fn([[output]], [doc])
            assert str(answer) == "18"
            metrics = process_results(doc, [answer])
            assert metrics["acc"] == 1.0
            assert metrics["compliance"] == compliance
            assert set(metrics) == {"acc", "compliance", "compliance_loose"}


def test_filtered_answer_pickles() -> None:
    import pickle

    (answer,) = flexible_extract([[STRICT_OK]], [_doc()])
    copy = pickle.loads(pickle.dumps(answer))
    assert copy == answer
    assert copy.raw == STRICT_OK
    assert copy.verdict == answer.verdict
