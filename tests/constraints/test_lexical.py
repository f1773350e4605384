"""Golden tests for the ``lexical`` kinds."""

from __future__ import annotations

import pytest

from sustain_tasks.constraints import Constraint, SourceContext
from sustain_tasks.constraints.lexical import (
    AVOIDABLE_WORDS,
    AllLowercase,
    AvoidWord,
    IncludeWord,
    NoCommas,
    NoFirstPerson,
    StartsWith,
    first_person_words,
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
    (StartsWith("Janet sells 16"), "Janet sells 16 - 3 eggs", True),
    (StartsWith("Janet sells 16"), "  **janet sells 16** eggs", True),
    (StartsWith("Janet sells 16"), "\"Janet, sells 16\"", True),
    (StartsWith("Janet sells 16"), "So Janet sells 16 eggs", False),
    (StartsWith("Janet sells 16"), "Janet sells", False),
    (StartsWith("Janet sells 16"), ", Janet sells 16", False),
    (StartsWith("Janet sells 16"), "", False),
    (NoCommas(), "No comma here.", True),
    (NoCommas(), "1,200 apples", False),
    (AllLowercase(), "all lower 123 #### 18 \\boxed{x}", True),
    (AllLowercase(), "One capital", False),
    (AllLowercase(), "\u00c9t\u00e9", False),
    (AllLowercase(), "", True),
    (NoFirstPerson(), "She makes $18. The US dollar. i.e. this.", True),
    (NoFirstPerson(), "I think so.", False),
    (NoFirstPerson(), "Let's add them.", False),
    (NoFirstPerson(), "Let\u2019s add them.", False),
    (NoFirstPerson(), "Then we add.", False),
    (NoFirstPerson(), "That gives us 5.", False),
    (NoFirstPerson(), "I'm done", False),
    (NoFirstPerson(), "Our total", False),
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


def test_avoid_word_refuses_fragments_with_the_word() -> None:
    assert not AvoidWord("answer").permits("Answer: Paris")
    assert AvoidWord("total").permits("#### 18")


@pytest.mark.parametrize(
    ("source", "prefixes"),
    [
        (SOURCE, ["Janet sells 16", "Janet sells", "Janet sells 16 - 3"]),
        ("## Step one\nText", ["Step one"]),
        ("Short", []),
        ("- 3 apples remain", ["3 apples remain", "3 apples"]),
    ],
)
def test_starts_with_candidates(source: str, prefixes: list[str]) -> None:
    found = [c.prefix for c in StartsWith.candidates(source, CTX)]
    assert found == prefixes
    assert all(StartsWith(p).check(source) for p in found)


def test_starts_with_describe_quotes_the_source_text() -> None:
    assert StartsWith("Janet sells 16").describe() == (
        'Begin your answer with the words "Janet sells 16".')
    with pytest.raises(ValueError):
        StartsWith("...")


def test_punctuation_and_case_kinds_refuse_fragments_they_forbid() -> None:
    assert NoCommas().permits("#### 18")
    assert not NoCommas().permits("\\boxed{(3, 4)}")
    assert AllLowercase().permits("#### 18")
    assert not AllLowercase().permits("ANSWER: 18")
    assert not AllLowercase().permits("Answer: paris")
    assert NoFirstPerson().permits("Answer: Paris")
    assert not NoFirstPerson().permits("Answer: We Are the Champions")


def test_first_person_words() -> None:
    assert list(first_person_words("I said we should; US law; i.e. me")) == ["I", "we", "me"]
