"""Golden tests for the ``format`` kinds."""

from __future__ import annotations

import pytest

from sustain_tasks.constraints import (
    Constraint,
    Rejection,
    SourceContext,
    conflicts,
    extract_constraints,
)
from sustain_tasks.constraints.format import (
    BoxedAnswer,
    BulletList,
    FencedCodeBlock,
    FinalLinePrefix,
    NoBold,
    NoHeadings,
    NoLists,
    NumberedSteps,
    boxed_contents,
)
from sustain_tasks.constraints.lexical import IncludeWord

CTX = SourceContext(task="t", item_id="1")
GSM8K_CTX = SourceContext(task="gsm8k", item_id="1", required=("#### 18",))

GOLDEN: list[tuple[Constraint, str, bool]] = [
    (BoxedAnswer(), "So the answer is $\\boxed{18}$.", True),
    (BoxedAnswer(), "\\boxed{\\frac{1}{2}}", True),
    (BoxedAnswer(), "\\boxed{}", False),
    (BoxedAnswer(), "\\boxed{18", False),
    (BoxedAnswer(), "The answer is 18.", False),
    (BoxedAnswer(), "\\boxed{3} then \\boxed{ }", False),  # the last box is the final answer
    (BoxedAnswer(), "So $\\boxed {5}$.", True),
    (BoxedAnswer(), "\\boxed\n{5}", True),
    (BoxedAnswer(), "\\boxedx{5}", False),
    (NumberedSteps(), "1. Add.\n2. Multiply.\n#### 18", True),
    (NumberedSteps(), "  1) Add\n  2) Multiply", True),
    (NumberedSteps(), "1. Only one step", False),
    (NumberedSteps(), "Step 1: add. Step 2: multiply.", False),
    (NumberedSteps(), "**1.** Add.\n**2.** Multiply.", True),
    (NumberedSteps(), "**1.** Add.\n2) Multiply.", True),
    (NumberedSteps(), "Step 1: add.\nStep 2: multiply.", False),
    (NumberedSteps(), "(1) add\n(2) multiply", False),
    (NumberedSteps(), "1: add\n2: multiply", False),
    (NumberedSteps(), "### 1. Add\n### 2. Multiply", False),
    (NumberedSteps(), "1.5 is one value\n2.5 is another", False),
    (BulletList("-"), "- a\n- b", True),
    (BulletList("-"), "* a\n* b", False),
    (BulletList("*"), "* a\n* b", True),
    (BulletList("-"), "- a\nplain", False),
    (BulletList("-"), "-a\n-b", False),
    (FencedCodeBlock(), "Here:\n```python\nx = 1\n```\n", True),
    (FencedCodeBlock(), "```\nunclosed", False),
    (FencedCodeBlock(), "inline ```code``` only", False),
    (FinalLinePrefix("####"), "work\n#### 18\n\n", True),
    (FinalLinePrefix("####"), "#### 18\nmore text", False),
    (FinalLinePrefix("Answer:"), "text\n  Answer: Paris", True),
    (FinalLinePrefix("Answer:"), "text\nanswer: Paris", False),
    (FinalLinePrefix("Answer:"), "", False),
    (FinalLinePrefix("Answer:"), "text\n**Answer:** Paris", True),
    (FinalLinePrefix("Answer:"), "text\n**Answer**: Paris", True),
    (FinalLinePrefix("Answer:"), "text\n> Answer: Paris", True),
    (FinalLinePrefix("Answer:"), "text\n> *Answer:* Paris", True),
    (FinalLinePrefix("Answer:"), "text\n**Final Answer:** Paris", False),
    (FinalLinePrefix("Answer:"), "text\n- Answer: Paris", False),
    (FinalLinePrefix("**Answer:**"), "text\nAnswer: Paris", True),
    (FinalLinePrefix("####"), "work\n> #### 18", True),
    (FinalLinePrefix("####"), "work\n## 18", False),
    (NoHeadings(), "Plain text\n#hashtag is fine", True),
    (NoHeadings(), "# Title\ntext", False),
    (NoHeadings(), "text\n   ### Sub", False),
    (NoHeadings(), "#### 18", False),
    (NoBold(), "2 * 3 = 6 and snake_case and a__b", True),
    (NoBold(), "markdown renders __init__ in bold", False),
    (NoBold(), "This is **bold**.", False),
    (NoBold(), "This is __bold__.", False),
    (NoBold(), "x**2 + y**2 = 5**2", True),
    (NoBold(), "2**10 = 1024 and 3**4 = 81", True),
    (NoBold(), "Call `__init__` or `x**2` here", True),
    (NoBold(), "```python\ndef __init__(self):\n    return 2**3 ** 2\n```", True),
    (NoBold(), "a ** b ** c", True),
    (NoBold(), "**bold\nacross** lines", True),
    (NoBold(), "** spaced **", True),
    (NoBold(), "The **final answer** is 5.", False),
    (NoBold(), "***x***", False),
    (NoBold(), "**Answer:** 5", False),
    (NoLists(), "a line\n-3 is negative\n2 * 3 = 6", True),
    (NoLists(), "- item", False),
    (NoLists(), "text\n  3. third", False),
    (NoLists(), "\u2022 item", False),
    (NoLists(), "**1.** item", False),
    (NoLists(), "x**2 is big\n5**2 = 25", True),
]


@pytest.mark.parametrize(("constraint", "output", "expected"), GOLDEN)
def test_golden(constraint: Constraint, output: str, expected: bool) -> None:
    assert constraint.check(output) is expected


def test_boxed_contents_nested_and_missing() -> None:
    assert boxed_contents("x \\boxed{\\frac{a}{b}} y") == "\\frac{a}{b}"
    assert boxed_contents("no box") is None
    assert boxed_contents("\\boxed{open") is None


def test_boxed_only_proposed_when_present_and_not_already_required() -> None:
    assert list(BoxedAnswer.candidates("\\boxed{5}", CTX)) == [BoxedAnswer()]
    assert list(BoxedAnswer.candidates("5", CTX)) == []
    math_ctx = SourceContext(required=("\\boxed{5}",))
    assert list(BoxedAnswer.candidates("\\boxed{5}", math_ctx)) == []


def test_bullet_marker_is_the_most_used() -> None:
    source = "* a\n- b\n- c\n* d\n- e"
    assert [c.marker for c in BulletList.candidates(source, CTX)] == ["-", "*"]
    with pytest.raises(ValueError):
        BulletList("x")


@pytest.mark.parametrize(
    ("last", "prefix"),
    [
        ("#### 18", "####"),
        ("Answer: Paris", "Answer:"),
        ("Final answer: 42 apples", "Final answer:"),
        ("**Answer:** Paris", "Answer:"),
        ("> **Answer**: Paris", "Answer:"),
        ("The answer is 18.", "The answer is"),
    ],
)
def test_final_line_prefix_candidates(last: str, prefix: str) -> None:
    source = f"Some reasoning here.\n{last}"
    found = list(FinalLinePrefix.candidates(source, CTX))
    assert found == [FinalLinePrefix(prefix)]
    assert found[0].check(source)


def test_final_line_prefix_not_proposed_for_plain_last_lines() -> None:
    assert list(FinalLinePrefix.candidates("So he made $70 in total", CTX)) == []


def test_final_line_prefix_does_not_repeat_the_task_format() -> None:
    assert list(FinalLinePrefix.candidates("work\n#### 18", GSM8K_CTX)) == []


def test_forbidding_kinds_refuse_required_fragments_with_their_form() -> None:
    assert not NoHeadings().permits("#### 18")
    assert NoHeadings().permits("\\boxed{18}")
    assert not NoBold().permits("**Answer:** 18")
    assert NoBold().permits("#### 18")
    assert not NoLists().permits("- 18")
    assert NoLists().permits("#### 18")


def test_demanding_kinds_permit_anything() -> None:
    for constraint in (BoxedAnswer(), NumberedSteps(), BulletList(), FencedCodeBlock()):
        assert constraint.permits("#### 18")
        assert constraint.permits("**Answer:** Paris, France")


@pytest.mark.parametrize(
    ("prefix", "fragment", "permitted"),
    [
        ("####", "#### 18", True),
        ("Answer:", "Answer:", True),
        ("Answer:", "  Answer: Paris", True),
        ("The answer is", "#### 3", False),  # GSM8K wants the last line "#### 3"
        ("Note:", "Answer:", False),  # HotpotQA wants the last line "Answer: ..."
        ("Final answer:", "Answer:", False),
        ("Answer:", "\\boxed{", False),  # conservative: the box need not open the last line
        ("####", "###", False),
    ],
)
def test_final_line_prefix_permits_only_fragments_that_start_with_it(
        prefix: str, fragment: str, permitted: bool) -> None:
    assert FinalLinePrefix(prefix).permits(fragment) is permitted


@pytest.mark.parametrize(
    ("source", "required"),
    [
        ("Janet sells 16 - 3 - 4 = 9 eggs.\nShe makes 9 * 2 = 18 dollars.\nThe answer is 18.",
         ("#### 18",)),
        ("It was written by Doyle.\nAnswer: Arthur Conan Doyle\nNote: he was Scottish.",
         ("Answer:",)),
        ("So $x = 3$.\nFinal answer: $\\boxed{3}$", ("\\boxed{",)),
    ],
)
def test_final_line_prefix_is_not_extracted_against_the_task_format(
        source: str, required: tuple[str, ...]) -> None:
    ctx = SourceContext(task="t", item_id="1", required=required)
    rejections: list[Rejection] = []
    chosen = extract_constraints(source, ctx, kinds=["format:final_line_prefix"],
                                 rejections=rejections)
    assert chosen == []
    assert [r.reason for r in rejections] == [
        f"it forbids the required fragment {required[0]!r}"]
    # without a task format the same source yields the constraint
    assert extract_constraints(source, CTX, kinds=["format:final_line_prefix"])


def test_final_line_prefix_tolerates_demanded_text_elsewhere() -> None:
    prefix = FinalLinePrefix("Answer:")
    for other in (BulletList("-"), FencedCodeBlock(), IncludeWord("market")):
        assert not conflicts(prefix, other)


def test_kind_texts_name_the_form_and_the_response() -> None:
    assert NumberedSteps().describe() == (
        "Write your solution as a numbered list: start each step on its own line with its "
        "number followed by a period.")
    assert BoxedAnswer().describe() == (
        "Put your final answer inside \\boxed{}; the last \\boxed{} in your response is read "
        "as your final answer.")
    assert FinalLinePrefix("Answer:").describe() == (
        'Begin the last line of your response with "Answer:".')
    for constraint in (NoBold(), NoLists(), NoHeadings(), FencedCodeBlock()):
        assert "your response" in constraint.describe()


def test_boxed_contents_allows_space_before_the_brace() -> None:
    assert boxed_contents("\\boxed{1} and \\boxed {2}") == "2"
    assert list(BoxedAnswer.candidates("$\\boxed {5}$", CTX)) == [BoxedAnswer()]


def test_invalid_prefix() -> None:
    with pytest.raises(ValueError):
        FinalLinePrefix("**")
    with pytest.raises(ValueError):
        FinalLinePrefix("")
    with pytest.raises(ValueError):
        FinalLinePrefix("a\nb")
