"""HotpotQA (distractor): loading, hub layout, prompt, verdicts, reference constraints, leaks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sustain_verifiers.qa import normalize_answer

from sustain_tasks.benchmarks import Item, get_benchmark
from sustain_tasks.benchmarks.hotpotqa import HotpotQA
from sustain_tasks.constraints import Rejection, SourceContext, extract_constraints, leaks_answer
from sustain_tasks.errors import SustainInputError


@pytest.fixture(scope="module")
def bench() -> HotpotQA:
    b = get_benchmark("hotpotqa")
    assert isinstance(b, HotpotQA)
    return b


@pytest.fixture(scope="module")
def records(data_dir: Path) -> list[dict[str, Any]]:
    path = data_dir / "hotpotqa" / "dev_distractor_500.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def items(bench: HotpotQA, data_dir: Path) -> list[Item]:
    return bench.load(data_dir)


def test_loads_all_500(items: list[Item], records: list[dict[str, Any]]) -> None:
    assert len(items) == 500
    assert [it.id for it in items] == [r["_id"] for r in records]
    first = items[0]
    assert first.question == "Between Harvey Pekar and Denise Levertov who was born earlier?"
    assert first.target == "Denise Levertov"
    assert first.metadata["type"] == "comparison"
    assert first.metadata["level"] == "hard"
    assert first.metadata["supporting_titles"] == ["Harvey Pekar", "Denise Levertov"]
    assert sum(it.metadata["type"] == "bridge" for it in items) == 394


def test_prompt_has_the_ten_titled_paragraphs_and_the_question(bench: HotpotQA,
                                                               items: list[Item]) -> None:
    item = items[0]
    prompt = bench.prompt(item)
    titles = [title for title, _ in item.metadata["context"]]
    assert len(titles) == 10
    for title in titles:
        assert f"Title: {title}\n" in prompt
    assert "Gerry Shamray is an American comic book artist. He illustrated" in prompt
    assert prompt.rstrip().endswith(f"Question: {item.question}")
    assert '"Answer: <answer>"' in prompt
    assert bench.required_fragments(item) == ("Answer:",)


def test_reference_is_the_supporting_sentences_then_the_answer(items: list[Item]) -> None:
    ref = items[0].reference
    assert ref.splitlines()[-1] == "Answer: Denise Levertov"
    assert ref.startswith("Harvey Lawrence Pekar ( ; October 8, 1939")
    assert "Priscilla Denise Levertov (24 October 1923" in ref
    assert all(it.reference.endswith(f"Answer: {it.target}") for it in items)


def test_all_references_are_judged_correct(bench: HotpotQA, items: list[Item]) -> None:
    for it in items:
        v = bench.verify(it.reference, it.target, it)
        assert v.correct, (it.id, v.detail)
        assert v.score == 1.0
        assert bench.verify_strict(it.reference, it.target, it).correct, it.id


def test_verdicts(bench: HotpotQA, items: list[Item]) -> None:
    it = items[0]
    wrong = bench.verify("Pekar was born in 1939.\nAnswer: Harvey Pekar", it.target, it)
    assert (wrong.correct, wrong.extracted, wrong.score) == (False, "Harvey Pekar", 0.0)
    partial = bench.verify("Answer: Levertov", it.target, it)
    assert not partial.correct
    assert partial.score == pytest.approx(2 / 3)
    assert bench.verify("denise levertov", it.target, it).correct  # a saved bare answer
    assert not bench.verify_strict("denise levertov", it.target, it).correct
    assert bench.final_answer("...\n**Answer:** Denise Levertov.") == "Denise Levertov"


def test_facts(bench: HotpotQA, items: list[Item]) -> None:
    facts = bench.facts(items[0])
    assert facts["supporting_titles"] == ["Harvey Pekar", "Denise Levertov"]
    assert facts["final_answer"] == "Denise Levertov"
    assert facts["answer_prefix"] == "Answer:"
    assert len(facts["titles"]) == 10


def _to_hub(record: dict[str, Any]) -> dict[str, Any]:
    """The Hugging Face layout, as the data README describes it."""
    out = {k: v for k, v in record.items() if k not in ("_id", "context", "supporting_facts")}
    out["id"] = record["_id"]
    out["context"] = {"title": [t for t, _ in record["context"]],
                      "sentences": [s for _, s in record["context"]]}
    out["supporting_facts"] = {"title": [t for t, _ in record["supporting_facts"]],
                               "sent_id": [i for _, i in record["supporting_facts"]]}
    return out


def test_hub_layout_converts_to_the_same_items(bench: HotpotQA,
                                               records: list[dict[str, Any]]) -> None:
    for index, record in enumerate(records[:50]):
        from_hub = bench.record_to_item(bench.from_hub(_to_hub(record)), index)
        assert from_hub == bench.record_to_item(record, index)


@pytest.mark.slow
def test_reference_constraints_are_self_evident_and_leak_free(bench: HotpotQA,
                                                              items: list[Item]) -> None:
    with_constraints = 0
    for it in items:
        constraints = bench.constraints_for(it, it.reference, k=3)
        with_constraints += bool(constraints)
        answers = [it.target, bench.final_answer(it.reference) or ""]
        for c in constraints:
            assert c.check(it.reference), (it.id, c.to_record())
            assert not leaks_answer(c.describe(), answers), (it.id, c.to_record())
            assert c.permits("Answer:"), (it.id, c.to_record())
            # an independent check: the normalised answer is not a phrase of the text
            text = f" {normalize_answer(c.describe())} "
            assert f" {normalize_answer(it.target)} " not in text, (it.id, c.to_record())
    assert with_constraints >= 0.8 * len(items)


def test_qa_content_kinds_use_the_supporting_titles_safely(bench: HotpotQA,
                                                          items: list[Item]) -> None:
    # the content kind that names an entity never names the answer
    from sustain_tasks.constraints import all_kinds

    assert "content:mention_entity" in all_kinds()
    mentioned = 0
    for it in items:
        for c in bench.constraints_for(it, it.reference, k=1, kinds="content:mention_entity"):
            name = str(c.params()["name"])
            assert normalize_answer(name) != normalize_answer(it.target), it.id
            assert not leaks_answer(c.describe(), [it.target]), it.id
            assert any(normalize_answer(name) in normalize_answer(t)
                       for t in it.metadata["supporting_titles"]), (it.id, name)
            mentioned += 1
    assert mentioned >= 100


def test_the_leak_guard_refuses_answer_words_on_real_items(bench: HotpotQA,
                                                           items: list[Item]) -> None:
    # include_word proposes words of the source output; answer words must be refused
    refused = 0
    for it in items:
        rejections: list[Rejection] = []
        ctx = bench.source_context(it, it.reference)
        chosen = extract_constraints(it.reference, ctx, k=1, kinds="lexical:include_word",
                                     rejections=rejections)
        for c in chosen:
            assert not leaks_answer(c.describe(), ctx.answers)
        refused += sum(r.reason == "its text reveals an answer" for r in rejections)
    assert refused > 0


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ('Include the word "Levertov".', "Denise Levertov"),
        ("Mention Denise Levertov by name.", "Denise Levertov"),
        ('Include the word "americans".', "American"),
        ('Use the word "Zurich".', "Z\u00fcrich"),
        ('Use the word "Z\u00fcrich".', "Zurich"),
        ('Begin with "The Beatles were".', "The Beatles"),
        ('Mention "Vegas".', "Las Vegas Sands company."),
        ('Mention "iTunes".', "on iTunes."),
        ("Mention the year 1969.", "1969"),
        ('Begin with "Yes, both".', "yes"),
        ('Include the word "Pure".', '"Discover Pure Energy"'),
    ],
)
def test_leak_guard_refuses_qa_answers_and_their_salient_tokens(text: str, answer: str) -> None:
    assert leaks_answer(text, [answer])
    ctx = SourceContext(task="hotpotqa", answers=(answer,))
    assert leaks_answer(text, ctx.answers)


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ('Mention "Harvey Pekar".', "Denise Levertov"),
        ("Answer in fewer than 60 words.", "1969"),
        ("Do not use any commas.", "yes"),
        ('Use the word "Parisian".', "Paris"),
    ],
)
def test_leak_guard_lets_unrelated_texts_pass(text: str, answer: str) -> None:
    assert not leaks_answer(text, [answer])


def test_bad_records_name_file_line_and_field(bench: HotpotQA, tmp_path: Path,
                                              records: list[dict[str, Any]]) -> None:
    folder = tmp_path / "hotpotqa"
    folder.mkdir()
    path = folder / "dev_distractor_500.jsonl"
    broken = dict(records[1])
    del broken["question"]
    path.write_text(json.dumps(records[0]) + "\n" + json.dumps(broken) + "\n")
    with pytest.raises(SustainInputError) as err:
        bench.load(tmp_path)
    assert (err.value.line, err.value.field) == (2, "question")
    path.write_text(json.dumps(dict(records[0], context="not a list")) + "\n")
    with pytest.raises(SustainInputError, match="context"):
        bench.load(tmp_path)
