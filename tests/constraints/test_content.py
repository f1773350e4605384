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
    entity_key,
)

CTX = SourceContext(task="t", item_id="1")

GOLDEN: list[tuple[Constraint, str, bool]] = [
    (ReasoningSteps(2), "Add 2 and 3.\nDouble it.\n#### 10", True),
    (ReasoningSteps(2), "Add. Then double. Then halve.\n#### 5", False),
    (ReasoningSteps(1), "", True),
    # the final answer line is not a step; without one, the last sentence gives the answer
    (ReasoningSteps(2), "Add 2 and 3.\nDouble it.\nAnswer: ten", True),
    (ReasoningSteps(2), "Add 2 and 3.\nDouble it.\nSo the answer is $\\boxed{10}$.", True),
    (ReasoningSteps(1), "Add 2 and 3.\nDouble it.\nSo the answer is $\\boxed{10}$.", False),
    (ReasoningSteps(2), "Add 2 and 3.\nDouble it.\n$$\\boxed{10}$$", True),
    (ReasoningSteps(1), "Add 2 and 3.\nDouble it.\n$$\\boxed{10}$$", False),
    # display math, its delimiters and lines of bare math are not steps
    (ReasoningSteps(2), "We add:\n\\begin{align*}\n2 + 3 &= 5 \\\\\n5 \\cdot 2 &= 10\n"
     "\\end{align*}\nThen we stop.\n#### 10", True),
    (ReasoningSteps(1), "Add them.\n2 + 3 = 5\n5 * 2 = 10\n#### 10", True),
    (ReasoningSteps(1), "Add them.\n2 + 3 = 5\nDouble that.\n#### 10", False),
    (ShowCalculations(2), "2+3=5\n5*2=10", True),
    (ShowCalculations(2), "2+3=5 and x == y and a <= b", False),
    (ShowCalculations(1), "no working at all", False),
    # the k=1 of a sum is not a calculation
    (ShowCalculations(2), "$\\sum_{k=1}^{n} k = 10$ and $\\prod_{i = 1}^{3} i$", False),
    (ShowCalculations(2), "$\\sum_{k=1}^{4} k = 10$ so $x^{2} = 4$", True),
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
    # spelling variants: accents, "&" for "and", an optional leading "The"
    (MentionEntity("Beyonc\u00e9"), "Beyonce sang.", True),
    (MentionEntity("Zurich"), "It is in Z\u00fcrich.", True),
    (MentionEntity("Simon & Garfunkel"), "Simon and Garfunkel sang.", True),
    (MentionEntity("Simon and Garfunkel"), "Simon & Garfunkel sang.", True),
    (MentionEntity("The Beatles"), "Beatles songs", True),
    (MentionEntity("the Beatles"), "Beatles songs", True),
    (MentionEntity("The Beatles"), "The Beatle songs", False),
    (MentionEntity("Theodore Roosevelt"), "odore Roosevelt", False),
]


@pytest.mark.parametrize(("constraint", "output", "expected"), GOLDEN)
def test_golden(constraint: Constraint, output: str, expected: bool) -> None:
    assert constraint.check(output) is expected


def test_helpers() -> None:
    assert count_equations("a = b, c == d, e <= f, g != h, i => j, k := l, m=n") == 2
    assert answer_after("Answer: one\nmore\nANSWER: **two**.", "Answer:") == "two"
    assert answer_after("nothing here", "Answer:") is None


def test_reasoning_steps_candidates() -> None:
    source = "Add them.\nDouble it.\nHalve it.\nAdd one.\n#### 18"
    assert ReasoningSteps.steps(source) == 4
    first = next(ReasoningSteps.candidates(source, CTX))
    assert first == ReasoningSteps(5)
    assert first.check(source)
    assert list(ReasoningSteps.candidates("Just the answer: 18", CTX)) == []
    # a solution that ends in a sentence stating the answer: that sentence is not a step
    assert ReasoningSteps.steps("Add them. Double it. So it is $\\boxed{18}$.") == 2
    assert ReasoningSteps.steps("Add them.\n\\[x = 18.\\]\n\\[\\boxed{18}\\]") == 1


def test_reasoning_steps_wording() -> None:
    assert ReasoningSteps(5).describe() == (
        "Reach the final answer in at most 5 reasoning steps: at most 5 sentences before the "
        "sentence or line that gives the final answer (lines of bare math and display "
        "equations do not count).")


def test_show_calculations_rounds_down() -> None:
    source = "\n".join(f"{i}+1={i + 1}" for i in range(10))
    found = [c.minimum for c in ShowCalculations.candidates(source, CTX)]
    assert found == [8, 7, 6, 5]
    # never fewer than two calculations: one is in nearly every solution
    assert list(ShowCalculations.candidates("2+2=4", CTX)) == []
    assert [c.minimum for c in ShowCalculations.candidates("2+2=4\n4+1=5", CTX)] == [2]
    assert [c.minimum for c in ShowCalculations.candidates("1=1\n2=2\n3=3", CTX)] == [2]
    assert [c.minimum for c in ShowCalculations.candidates(
        "$\\sum_{k=1}^{3} k = 6$\n$x^{n=2} = 4$", CTX)] == [2]
    assert list(ShowCalculations.candidates("no equations", CTX)) == []
    assert ShowCalculations(2).describe() == (
        "Show your working: write out at least 2 calculations with an equals sign (=).")


def test_answer_length_uses_a_marker_only_when_the_task_requires_it() -> None:
    source = "The film was directed by him.\nFinal answer: Steven Allan Spielberg Jr"
    # the marker on the last line is not part of the task's answer format: nothing proposed
    assert list(AnswerLength.candidates(source, CTX)) == []
    assert list(AnswerLength.candidates(
        "So the answer is the Battle of Hastings", SourceContext(required=("\\boxed{",)))) == []
    ctx = SourceContext(required=("Final answer:",))
    found = list(AnswerLength.candidates(source, ctx))
    assert found[0] == AnswerLength(6, "Final answer:")
    assert all(c.check(source) for c in found)


def test_answer_length_uses_the_task_marker() -> None:
    ctx = SourceContext(facts={"answer_prefix": "ANSWER:"})
    found = list(AnswerLength.candidates("reasoning\nANSWER: the Battle of Hastings", ctx))
    assert found[0] == AnswerLength(6, "ANSWER:")


@pytest.mark.parametrize("answer", ["yes", "No.", "Paris", "Arthur Doyle", "New York"])
def test_answer_length_skips_answers_the_format_already_keeps_short(answer: str) -> None:
    # a bound of four words or fewer, or a yes/no answer, only restates the task's format
    ctx = SourceContext(facts={"answer_prefix": "Answer:"}, required=("Answer:",))
    assert list(AnswerLength.candidates(f"reasoning\nAnswer: {answer}", ctx)) == []
    three = list(AnswerLength.candidates("reasoning\nAnswer: Arthur Conan Doyle", ctx))
    assert three[0] == AnswerLength(5, "Answer:")


def test_answer_length_skips_numeric_and_missing_answers() -> None:
    ctx = SourceContext(required=("Answer:",))
    assert list(AnswerLength.candidates("work\n#### 18", CTX)) == []
    assert list(AnswerLength.candidates("work\nAnswer: 18", ctx)) == []
    assert list(AnswerLength.candidates("work\nAnswer: 18 + 2", ctx)) == []
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
    assert MentionEntity("The Hound").describe() == 'Mention "The Hound" in your response.'


def test_mention_entity_proposes_short_names_in_any_spelling() -> None:
    ctx = SourceContext(facts={"supporting_titles": [
        "Beyonc\u00e9", "Simon & Garfunkel", "The Beatles",
        "List of Presidents of the United States", "Chronicles of Narnia Book One"]})
    source = ("Beyonce covered Simon and Garfunkel and Beatles songs; the list of presidents of "
              "the united states and chronicles of narnia book one are long.")
    found = sorted(c.name for c in MentionEntity.candidates(source, ctx))
    assert found == ["Beyonc\u00e9", "Simon & Garfunkel", "The Beatles"]
    assert entity_key("The Beyonc\u00e9 & Jay-Z Tour") == "beyonce and jay z tour"


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
