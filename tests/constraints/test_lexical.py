"""Golden tests for the ``lexical`` kinds."""

from __future__ import annotations

import pytest

from sustain_tasks.constraints import Constraint, SourceContext
from sustain_tasks.constraints.leak import leaks_answer
from sustain_tasks.constraints.lexical import (
    AVOIDABLE_WORDS,
    AllLowercase,
    AvoidWord,
    IncludeWord,
    NoCommas,
    NoFirstPerson,
    StartsWith,
    first_person_words,
    without_math,
)

CTX = SourceContext(task="t", item_id="1", seed=0)
SOURCE = ("Janet sells 16 - 3 - 4 = 9 duck eggs a day.\n"
          "She makes 9 * 2 = $18 every day at the farmer\u2019s market.\n#### 18")

GOLDEN: list[tuple[Constraint, str, bool]] = [
    (IncludeWord("market"), "At the Market today", True),
    (IncludeWord("market"), "the farmer's market.", True),
    (IncludeWord("market"), "supermarkets only", False),
    (IncludeWord("farmer"), "the farmer\u2019s market", True),
    (IncludeWord("eggs"), "one egg", False),
    (IncludeWord("eggs"), "", False),
    (AvoidWord("total"), "In all, 18.", True),
    (AvoidWord("total"), "totally fine and totals", True),
    (AvoidWord("total"), "The Total is 18", False),
    (AvoidWord("total"), "sub-total: 3", False),
    # LaTeX command names are not words
    (AvoidWord("left"), "$\\left(\\frac{1}{2}\\right)$", True),
    (AvoidWord("because"), "$\\because x > 0$", True),
    (AvoidWord("therefore"), "\\therefore x = 2", True),
    (AvoidWord("left"), "$\\left(x\\right)$ is what is left", False),
    (AvoidWord("therefore"), "Therefore x = 2", False),
    (IncludeWord("boxed"), "so \\boxed{5}", False),
    (IncludeWord("frac"), "$\\frac{1}{2}$", False),
    (IncludeWord("text"), "$\\text{apples}$", False),
    (IncludeWord("apples"), "$5\\text{apples}$", True),
    (IncludeWord("boxed"), "the boxed value", True),
    (StartsWith("Janet sells 16"), "Janet sells 16 - 3 eggs", True),
    (StartsWith("Janet sells 16"), "  **janet sells 16** eggs", True),
    (StartsWith("Janet sells 16"), "\"Janet, sells 16\"", True),
    (StartsWith("Janet sells 16"), "So Janet sells 16 eggs", False),
    (StartsWith("Janet sells 16"), "Janet sells", False),
    (StartsWith("Janet sells 16"), ", Janet sells 16", False),
    (StartsWith("Janet sells 16"), "", False),
    (StartsWith("First, let's look"), "First, let\u2019s look at it", True),
    (StartsWith("First, let\u2019s look"), "First, let's look at it", True),
    (StartsWith("First, let's look"), "first let's look", True),
    (StartsWith("First, let's look"), "\u201cFirst, let's look\u201d", True),
    (StartsWith("First, let's look"), "> ## **First**, let's look", True),
    (StartsWith("First, let's look"), "First, lets look", False),
    (StartsWith("First, let's look"), "Solution: First, let's look", False),
    (StartsWith("First, let's look"), "First, let us look", False),
    (NoCommas(), "No comma here.", True),
    (NoCommas(), "1,200 apples", False),
    (AllLowercase(), "all lower 123 #### 18 \\boxed{x}", True),
    (AllLowercase(), "One capital", False),
    (AllLowercase(), "\u00c9t\u00e9", False),
    (AllLowercase(), "", True),
    (AllLowercase(), "the change is $\\Delta x$", True),
    (AllLowercase(), "for all $x \\in \\mathbb{R}$", True),
    (AllLowercase(), "the set \\(A \\cup B\\) and \\[X = Y\\]", True),
    (AllLowercase(), "$$\nF = ma\n$$\nso the force is 5 N at 20 \u00b0C and 3 kW", True),
    (AllLowercase(), "\\Delta x is small", True),
    (AllLowercase(), "she paid $5 and Tom paid $3", False),  # prices, not math
    (AllLowercase(), "the force F is 5 N", False),
    (AllLowercase(), "\\text{Yes}", False),  # a command's argument is text
    (AllLowercase(), "5 Newtons", False),
    (NoFirstPerson(), "She makes $18. The US dollar. i.e. this.", True),
    (NoFirstPerson(), "I think so.", False),
    (NoFirstPerson(), "Let's add them.", False),
    (NoFirstPerson(), "Let\u2019s add them.", False),
    (NoFirstPerson(), "Then we add.", False),
    (NoFirstPerson(), "That gives us 5.", False),
    (NoFirstPerson(), "I'm done", False),
    (NoFirstPerson(), "Our total", False),
    # names, numerals, titles and symbols are not pronouns
    (NoFirstPerson(), "It began after World War I.", True),
    (NoFirstPerson(), "Elizabeth I was queen.", True),
    (NoFirstPerson(), "They play in NCAA Division I football.", True),
    (NoFirstPerson(), "Take I-15 north.", True),
    (NoFirstPerson(), "Take I 95 north.", True),
    (NoFirstPerson(), "I = 6 and J = 3", True),
    (NoFirstPerson(), "Type I error is a false positive.", True),
    (NoFirstPerson(), "The incenter I is equidistant from the sides.", True),
    (NoFirstPerson(), "Consider the incenter I.", True),
    (NoFirstPerson(), "The coal mine closed.", True),
    (NoFirstPerson(), "He moved to Portland, ME in 1990.", True),
    (NoFirstPerson(), "The film Us was a hit.", True),
    (NoFirstPerson(), "My Chemical Romance is a band.", True),
    (NoFirstPerson(), "Let's Dance is a Bowie album.", True),
    (NoFirstPerson(), "He wrote I Am Legend.", True),
    (NoFirstPerson(), "Let $I$ be the identity and \\(I = J\\).", True),
    (NoFirstPerson(), "Then I add 3.", False),
    (NoFirstPerson(), "So, I add 3.", False),
    (NoFirstPerson(), "It is you and I.", False),
    (NoFirstPerson(), "My answer is 5.", False),
    (NoFirstPerson(), "Answer: We did it", False),
    (NoFirstPerson(), "**We** add them.", False),
    (NoFirstPerson(), "Elizabeth said I was right.", False),
    (NoFirstPerson(), "It costs $5 and I paid $3.", False),
    (NoFirstPerson(), "That book is ours.", False),
]


@pytest.mark.parametrize(("constraint", "output", "expected"), GOLDEN)
def test_golden(constraint: Constraint, output: str, expected: bool) -> None:
    assert constraint.check(output) is expected


def test_include_word_candidates_are_content_words_of_the_source() -> None:
    found = [c.word for c in IncludeWord.candidates(SOURCE, CTX)]
    assert set(found) == {"Janet", "sells", "duck", "eggs", "makes", "market"}
    assert all(IncludeWord(w).check(SOURCE) for w in found)


def test_include_word_skips_stopwords_numbers_and_short_words() -> None:
    source = "There were twenty cats and the dog ran off with them to 1200 places."
    found = {c.word for c in IncludeWord.candidates(source, CTX)}
    assert found == {"cats", "places"}


def test_include_word_prefers_the_lowercase_form() -> None:
    found = {c.word for c in IncludeWord.candidates("Apples are red. I like apples.", CTX)}
    assert "apples" in found
    assert "Apples" not in found


def test_include_word_candidates_skip_latex_and_task_format_words() -> None:
    source = ("We use $\\frac{1}{2}$ and $\\sqrt{9}$ with \\begin{align} x \\end{align} "
              "and \\text{apples}. Answer: \\boxed{3}")
    hotpot = SourceContext(task="hotpotqa", item_id="1", required=("Answer:",))
    found = {c.word for c in IncludeWord.candidates(source, hotpot)}
    assert found == {"apples", "align"}
    assert "Answer" in {c.word for c in IncludeWord.candidates(source, CTX)}
    assert all(IncludeWord(w).check(source) for w in found)


def test_include_word_choice_is_seeded() -> None:
    words = {tuple(c.word for c in IncludeWord.candidates(SOURCE, SourceContext(seed=s)))
             for s in range(8)}
    assert len(words) > 1
    again = [c.word for c in IncludeWord.candidates(SOURCE, SourceContext(seed=3))]
    assert again == [c.word for c in IncludeWord.candidates(SOURCE, SourceContext(seed=3))]


def test_avoid_word_candidates_are_absent_from_the_source() -> None:
    source = "The total is 18, so therefore we are done."
    found = [c.word for c in AvoidWord.candidates(source, CTX)]
    assert "total" not in found
    assert "therefore" not in found
    assert set(found) == set(AVOIDABLE_WORDS) - {"total", "therefore"}
    assert list(AVOIDABLE_WORDS) == sorted(AVOIDABLE_WORDS)


def test_avoid_word_proposes_words_only_used_as_latex_commands() -> None:
    source = "$\\left(\\frac{1}{2}\\right)$, so $\\therefore$ the total is 1."
    found = {c.word for c in AvoidWord.candidates(source, CTX)}
    assert {"left", "therefore"} <= found
    assert "total" not in found
    assert all(AvoidWord(w).check(source) for w in found)


def test_avoid_word_refuses_fragments_with_the_word() -> None:
    assert not AvoidWord("answer").permits("Answer: Paris")
    assert AvoidWord("total").permits("#### 18")


@pytest.mark.parametrize(
    ("source", "prefixes"),
    [
        (SOURCE, ["Janet sells"]),
        ("## Step one\nText", ["Step one"]),
        ("Short", []),
        ("- 3 apples remain", []),
        ("\u201cFirst, let\u2019s look at this.", ["First, let's look", "First, let's",
                                                  "First, let's look at"]),
        ("15000/3 = 5,000 per month", []),
        ("He gets 10-2 = 8 points", ["He gets"]),
        ("To find $x$, solve it", ["To find"]),
        ("Solution: The farm sells eggs", []),
        ("Let f(x) = 2", ["Let f"]),
        ("\u0416\u0435\u043d\u044f sells eggs", []),
        ("**Janet** sells *fresh* eggs",
         ["Janet sells fresh", "Janet sells", "Janet sells fresh eggs"]),
        ("x \u00d7 y is big", []),
    ],
)
def test_starts_with_candidates(source: str, prefixes: list[str]) -> None:
    found = [c.prefix for c in StartsWith.candidates(source, CTX)]
    assert found == prefixes
    assert all(StartsWith(p).check(source) for p in found)


def test_starts_with_describe_quotes_the_source_text() -> None:
    assert StartsWith("Janet sells").describe() == (
        'Begin your response with the words "Janet sells" '
        "(capitalization and punctuation between the words may differ).")
    with pytest.raises(ValueError):
        StartsWith("...")


def test_punctuation_and_case_kinds_refuse_fragments_they_forbid() -> None:
    assert NoCommas().permits("#### 18")
    assert not NoCommas().permits("\\boxed{(3, 4)}")
    assert AllLowercase().permits("#### 18")
    assert not AllLowercase().permits("ANSWER: 18")
    assert not AllLowercase().permits("Answer: paris")
    assert NoFirstPerson().permits("Answer: Paris")
    assert not NoFirstPerson().permits("Answer: We did")
    assert NoFirstPerson().permits("Answer: We Are the Champions")  # a title


def test_first_person_words() -> None:
    assert list(first_person_words("I said we should; US law; i.e. me")) == ["I", "we", "me"]
    assert list(first_person_words("Then I\u2019m sure my mine is ours")) == ["I'm", "my", "ours"]


def test_without_math_keeps_prices() -> None:
    assert without_math("a $x+1$ b") == "a   b"
    assert without_math("$5 and $3") == "$5 and $3"
    assert without_math("a \\(X\\) b \\[Y\\] c $$Z$$ d") == "a   b   c   d"


def test_kind_texts_speak_of_the_whole_response() -> None:
    for constraint in (IncludeWord("market"), AvoidWord("total"), NoCommas(), AllLowercase(),
                       StartsWith("Janet sells")):
        assert "response" in constraint.describe()
        assert "your answer" not in constraint.describe()
    assert "except in math" in AllLowercase().describe()
    assert not leaks_answer(AllLowercase().describe(), ["5", "20", "C", "N"])
