"""The one extraction path: self-evidence, no leak, permits, composition and determinism."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from sustain_tasks.constraints import (
    MAX_K,
    Constraint,
    Rejection,
    SourceContext,
    all_kinds,
    conflicts,
    extract_constraints,
    extraction_mode,
    leaks_answer,
    validate_set,
)
from sustain_tasks.constraints.format import BulletList, NoLists
from sustain_tasks.constraints.length import MaxCharacters, MaxWords
from sustain_tasks.constraints.lexical import AvoidWord, IncludeWord, NoCommas, StartsWith
from sustain_tasks.errors import SustainInputError

SOURCES = [
    "Janet sells 16 - 3 - 4 = 9 duck eggs a day.\n"
    "She makes 9 * 2 = $18 every day at the farmer\u2019s market.\n#### 18",
    "It takes 2/2=1 bolt of white fiber\nSo the total amount of fabric is 2+1=3 bolts of fabric"
    "\n#### 3",
    "The cost of the house and repairs came out to 80,000+50,000=$130,000\n"
    "He increased the value of the house by 80,000*1.5=120,000\n"
    "So the new value of the house is 120,000+80,000=$200,000\n"
    "So he made a profit of 200,000-130,000=$70,000\n#### 70000",
    "He sprints 3*3=9 times\nSo he runs 9*60=540 meters\n#### 540",
]
ANSWERS = ["18", "3", "70000", "540"]


def _ctx(i: int, seed: int = 0) -> SourceContext:
    answer = ANSWERS[i]
    return SourceContext(task="gsm8k", item_id=str(i), seed=seed, answers=(answer,),
                         required=(f"#### {answer}",))


def _records(i: int, seed: int = 0, k: int = 3) -> list[dict[str, object]]:
    return [c.to_record() for c in extract_constraints(SOURCES[i], _ctx(i, seed), k=k)]


@pytest.mark.parametrize("i", range(len(SOURCES)))
def test_deterministic(i: int) -> None:
    assert _records(i) == _records(i)
    assert _records(i) == [c.to_record() for c in extract_constraints(
        SOURCES[i], _ctx(i), k=3, kinds=None,
        default_kinds=("length", "format", "lexical", "content"))]


def test_different_seeds_can_differ() -> None:
    seen = {tuple(map(str, _records(0, seed))) for seed in range(10)}
    assert len(seen) > 1


@pytest.mark.parametrize("k", range(1, MAX_K + 1))
@pytest.mark.parametrize("i", range(len(SOURCES)))
def test_k_compatible_self_evident_leak_free(i: int, k: int) -> None:
    ctx = _ctx(i)
    chosen = extract_constraints(SOURCES[i], ctx, k=k)
    assert 1 <= len(chosen) <= k
    for n, a in enumerate(chosen):
        assert a.check(SOURCES[i])
        assert not leaks_answer(a.describe(), ctx.answers)
        assert all(a.permits(f) for f in ctx.required)
        for b in chosen[n + 1:]:
            assert not conflicts(a, b)


@pytest.mark.parametrize("bad", [0, 4, -1, True, "2", 1.0, None])
def test_invalid_k(bad: object) -> None:
    with pytest.raises(SustainInputError) as err:
        extract_constraints(SOURCES[0], _ctx(0), k=bad)  # type: ignore[arg-type]
    assert err.value.field == "k"


def test_unknown_kind_names_the_field() -> None:
    with pytest.raises(SustainInputError) as err:
        extract_constraints(SOURCES[0], _ctx(0), kinds=["lexical:no_such_kind"])
    assert err.value.field == "kinds"
    assert "no_such_kind" in str(err.value)


def test_kind_selection_by_category_and_id() -> None:
    chosen = extract_constraints(SOURCES[0], _ctx(0), k=3, kinds="lexical")
    assert chosen
    assert all(c.category == "lexical" for c in chosen)
    only = extract_constraints(SOURCES[0], _ctx(0), k=3, kinds=["length:max_words"])
    assert [c.kind for c in only] == ["length:max_words"]


def test_self_evidence_is_enforced() -> None:
    rejections: list[Rejection] = []
    chosen = extract_constraints(SOURCES[0], _ctx(0), kinds=["format:numbered_steps"],
                                 rejections=rejections)
    assert chosen == []
    assert rejections == [Rejection("format:numbered_steps", "not satisfied by the source output")]


def test_leaking_texts_are_refused_and_the_next_bound_used() -> None:
    source = " ".join(["word"] * 87)
    ctx = SourceContext(task="t", item_id="x", answers=("100",))
    rejections: list[Rejection] = []
    chosen = extract_constraints(source, ctx, kinds=["length:max_words"], rejections=rejections)
    assert chosen == [MaxWords(120)]
    assert rejections == [Rejection("length:max_words", "its text reveals an answer")]


def test_leaking_words_are_refused() -> None:
    source = "The capital is Paris.\nAnswer: Paris"
    ctx = SourceContext(answers=("Paris",))
    for seed in range(5):
        chosen = extract_constraints(source, SourceContext(seed=seed, answers=ctx.answers),
                                     k=3, kinds="lexical")
        assert all("Paris" not in c.describe() for c in chosen)
    starts = extract_constraints("Paris is it.", ctx, kinds=["lexical:starts_with"])
    assert starts == []


def test_required_fragments_are_permitted() -> None:
    rejections: list[Rejection] = []
    chosen = extract_constraints(SOURCES[0].replace("#### 18", "18"), _ctx(0),
                                 kinds=["format:no_headings"], rejections=rejections)
    assert chosen == []
    assert rejections[0].reason.startswith("it forbids the required fragment")


def test_empty_source_gets_nothing() -> None:
    assert extract_constraints("", SourceContext(), k=3) == []
    assert extract_constraints("   \n", SourceContext(), k=3) == []


SAMPLES: list[tuple[str, SourceContext]] = [
    (SOURCES[0], SourceContext(task="gsm8k", item_id="0", answers=("18",))),
    ("# Plan\n\n1. Add **3** and 4.\n2. Multiply by 2.\n\n- note\n- more\n\n"
     "```python\nx = (3 + 4) * 2\n```\n\nFinal answer: \\boxed{14}",
     SourceContext(task="math", item_id="1", answers=("14",))),
    ("Sherlock Holmes appears in The Hound of the Baskervilles (1902).\n"
     "That novel was written by Arthur Conan Doyle.\nAnswer: Arthur Conan Doyle",
     SourceContext(task="hotpotqa", item_id="2", answers=("Arthur Conan Doyle",),
                   required=("Answer:",),
                   facts={"supporting_titles": ["The Hound of the Baskervilles",
                                                "Sherlock Holmes", "Arthur Conan Doyle"],
                          "answer_prefix": "Answer:"})),
    ("the total is small\nso it is seven", SourceContext(task="x", item_id="3")),
    # code answers, for the code kinds
    ("Here is my solution.\n\n```python\nimport math\n\n\ndef is_prime(n: int) -> bool:\n"
     '    """Return whether n is prime."""\n    if n < 2:\n        return False\n'
     "    for d in range(2, math.isqrt(n) + 1):\n        if n % d == 0:\n"
     "            return False\n    return True\n```\n\nIt tries every divisor up to the root.",
     SourceContext(task="mbpp", item_id="4", answers=("7", "True"), required=("def is_prime(",))),
    ("def count_vowels(text):\n    return sum(1 for ch in text.lower() if ch in 'aeiou')\n",
     SourceContext(task="mbpp", item_id="5", answers=("hello",), required=("def count_vowels(",))),
]


def test_every_kind_is_extractable_from_some_sample() -> None:
    """Every kind drawn by category; the kinds extracted only by id, or never, are covered in
    test_ifeval_kinds.py."""
    drawn = {k for k, cls in all_kinds().items() if extraction_mode(cls) == "category"}
    extracted: set[str] = set()
    for source, ctx in SAMPLES:
        for kind in drawn:
            for c in extract_constraints(source, ctx, k=1, kinds=[kind]):
                assert c.check(source)
                assert not leaks_answer(c.describe(), ctx.answers)
                extracted.add(c.kind)
    assert extracted == drawn


def test_qa_content_kinds() -> None:
    source, ctx = SAMPLES[2]
    chosen = {c.kind: c for c in extract_constraints(source, ctx, k=3, kinds="content")}
    # the five-word title is too long to ask for, the answer's own title would leak it
    assert chosen["content:mention_entity"].describe() == (
        'Mention "Sherlock Holmes" in your response.')
    assert chosen["content:answer_length"].describe() == (
        'After "Answer:", state the final answer itself in at most 5 words.')


@pytest.mark.slow
def test_gsm8k_reference_solutions(data_dir: Path) -> None:
    """Every constraint extracted from a reference solution holds on it and leaks nothing."""
    from sustain_tasks.benchmarks import get_benchmark

    bench = get_benchmark("gsm8k")
    items = bench.load(data_dir)
    assert len(items) == 1319
    counts: Counter[str] = Counter()
    with_constraints = 0
    for item in items:
        chosen = bench.constraints_for(item, item.reference, k=3, seed=0)
        answers = [item.target, bench.final_answer(item.reference) or item.target]
        with_constraints += bool(chosen)
        assert len(chosen) <= 3
        for n, c in enumerate(chosen):
            counts[c.kind] += 1
            assert c.check(item.reference), (item.id, c.to_record())
            assert not leaks_answer(c.describe(), answers), (item.id, c.to_record())
            assert all(c.permits(f) for f in bench.required_fragments(item))
            assert not any(conflicts(c, d) for d in chosen[n + 1:])
        # the constraints do not break grading: the reference still verifies strictly
        assert bench.verify_strict(item.reference, item.target, item).correct
    print(f"\n{with_constraints}/{len(items)} GSM8K references got constraints (k=3, seed=0)")
    for kind in sorted(all_kinds()):
        print(f"  {kind:32s} {counts[kind]}")
    assert with_constraints / len(items) > 0.95
    assert len(counts) >= 10


def test_validate_set_accepts_compatible_sets() -> None:
    assert validate_set([]) is None
    assert validate_set([MaxWords(100)]) is None
    assert validate_set([MaxWords(100), NoCommas(), BulletList("-")]) is None
    for i in range(len(SOURCES)):
        assert validate_set(extract_constraints(SOURCES[i], _ctx(i), k=MAX_K)) is None


@pytest.mark.parametrize(
    ("constraints", "message"),
    [
        ([MaxWords(100), NoCommas(), MaxCharacters(500)],
         "constraints[0] (length:max_words) and constraints[2] (length:max_characters) conflict"),
        ([MaxWords(100), MaxWords(50)],
         "constraints[0] (length:max_words) and constraints[1] (length:max_words) conflict"),
        ([NoLists(), BulletList("-")],
         "constraints[0] (format:no_lists) and constraints[1] (format:bullet_list) conflict"),
        ([AvoidWord("total"), StartsWith("The total is")],
         "constraints[0] (lexical:avoid_word) and constraints[1] (lexical:starts_with) conflict"),
        ([MaxWords(100), NoCommas(), IncludeWord("eggs"), StartsWith("Janet")],
         f"4 constraints given; at most {MAX_K} may be combined"),
    ],
)
def test_validate_set_reports_conflicts_and_too_many(constraints: list[Constraint],
                                                     message: str) -> None:
    found = validate_set(constraints)
    assert found is not None
    assert found.startswith(message)
