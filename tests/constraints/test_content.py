"""Golden tests for the task-aware ``content`` kinds."""

from __future__ import annotations

import pytest

from sustain_tasks.constraints import Constraint, SourceContext
from sustain_tasks.constraints.content import (
    AnswerLength,
    MentionEntity,
    ReasoningSteps,
    ShowCalculations,
    answer_after,
    count_equations,
)

CTX = SourceContext(task="t", item_id="1")

GOLDEN: list[tuple[Constraint, str, bool]] = [
    (ReasoningSteps(2), "Add 2 and 3.\nDouble it.\n#### 10", True),
    (ReasoningSteps(2), "Add. Then double. Then halve.\n#### 5", False),
    (ReasoningSteps(1), "", True),
    (ShowCalculations(2), "2+3=5\n5*2=10", True),
    (ShowCalculations(2), "2+3=5 and x == y and a <= b", False),
    (ShowCalculations(1), "no working at all", False),
    (AnswerLength(3), "Reasoning...\nAnswer: Arthur Conan Doyle", True),
    (AnswerLength(3), "Answer: Sir Arthur Conan Doyle.", False),
    (AnswerLength(3), "answer: **Paris**.", True),
    (AnswerLength(3), "Answer:\n\nParis", True),
    (AnswerLength(3), "Answer:", False),
    (AnswerLength(3), "Paris", False),
    (AnswerLength(2, "Final answer:"), "Answer: x\nFinal answer: New York", True),
    (MentionEntity("Arthur Conan Doyle"), "written by arthur conan-doyle in 1887", True),
    (MentionEntity("Arthur Conan Doyle"), "written by Doyle", False),
    (MentionEntity("Paris, Texas"), "It is set in Paris Texas.", True),
    (MentionEntity("Ann"), "Anna went home", False),
]


@pytest.mark.parametrize(("constraint", "output", "expected"), GOLDEN)
def test_golden(constraint: Constraint, output: str, expected: bool) -> None:
    assert constraint.check(output) is expected


def test_helpers() -> None:
    assert count_equations("a = b, c == d, e <= f, g != h, i => j, k := l, m=n") == 2
    assert answer_after("Answer: one\nmore\nANSWER: **two**.", "Answer:") == "two"
    assert answer_after("nothing here", "Answer:") is None


def test_reasoning_steps_candidates() -> None:
    source = "a.\nb.\nc.\nd.\n#### 18"
    first = next(ReasoningSteps.candidates(source, CTX))
    assert first == ReasoningSteps(5)
    assert first.check(source)
    assert list(ReasoningSteps.candidates("Just the answer: 18", CTX)) == []


def test_show_calculations_rounds_down() -> None:
    source = "\n".join(f"{i}+1={i + 1}" for i in range(10))
    found = [c.minimum for c in ShowCalculations.candidates(source, CTX)]
    assert found == [8, 7, 6, 5]
    assert [c.minimum for c in ShowCalculations.candidates("2+2=4", CTX)] == [1]
    assert list(ShowCalculations.candidates("no equations", CTX)) == []
    assert ShowCalculations(1).describe() == (
        "Show your working: write out at least 1 calculation with an equals sign (=).")


def test_answer_length_detects_the_marker_on_the_last_line() -> None:
    source = "The film was directed by him.\nFinal answer: Steven Spielberg"
    found = list(AnswerLength.candidates(source, CTX))
    assert found[0] == AnswerLength(4, "Final answer:")
    assert all(c.check(source) for c in found)


def test_answer_length_uses_the_task_marker() -> None:
    ctx = SourceContext(facts={"answer_prefix": "ANSWER:"})
    found = list(AnswerLength.candidates("reasoning\nANSWER: yes", ctx))
    assert found[0] == AnswerLength(3, "ANSWER:")


def test_answer_length_skips_numeric_and_missing_answers() -> None:
    assert list(AnswerLength.candidates("work\n#### 18", CTX)) == []
    assert list(AnswerLength.candidates("work\nAnswer: 18", CTX)) == []
    assert list(AnswerLength.candidates("Paris is the answer", CTX)) == []


def test_answer_length_permits() -> None:
    assert AnswerLength(2).permits("Answer: New York")
    assert not AnswerLength(2).permits("Answer: New York City")
    assert AnswerLength(2).permits("#### 18")


def test_mention_entity_candidates_come_from_supporting_titles() -> None:
    ctx = SourceContext(facts={"supporting_titles": [
        "Arthur Conan Doyle", "The Hound (novel)", "Not Mentioned", 7]})
    source = "Arthur Conan Doyle wrote The Hound in 1902."
    found = sorted(c.name for c in MentionEntity.candidates(source, ctx))
    assert found == ["Arthur Conan Doyle", "The Hound"]


@pytest.mark.parametrize("facts", [{}, {"supporting_titles": "Paris"}, {"supporting_titles": None}])
def test_mention_entity_ignores_missing_or_malformed_facts(facts: dict[str, object]) -> None:
    ctx = SourceContext(facts=facts)
    assert list(MentionEntity.candidates("Paris", ctx)) == []


@pytest.mark.parametrize(
    "make",
    [lambda: ReasoningSteps(0), lambda: ShowCalculations(0), lambda: AnswerLength(0),
     lambda: AnswerLength(2, ""), lambda: MentionEntity("..."), lambda: MentionEntity('a"b')],
)
def test_invalid_parameters(make: object) -> None:
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]
