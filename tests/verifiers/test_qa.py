"""The HotpotQA verifier: official normalisation, EM, token F1 and answer extraction."""

from __future__ import annotations

import pytest
from sustain_verifiers.qa import (
    exact_match,
    extract_qa_answer,
    f1_precision_recall,
    f1_score,
    normalize_answer,
    verify_qa,
)


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("The Beatles", "beatles"),
        ("  An  apple, a DAY! ", "apple day"),
        ("Washington, D.C.", "washington dc"),
        ("theatre", "theatre"),
        ("A.B.C.", "abc"),
        ("rock 'n' roll", "rock n roll"),
        ("\u201cQuoted\u201d", "\u201cquoted\u201d"),  # only ASCII punctuation is removed
        ("1,000", "1000"),
        ("", ""),
    ],
)
def test_normalize_answer_follows_the_official_rules(text: str, normalised: str) -> None:
    assert normalize_answer(text) == normalised


def test_exact_match() -> None:
    assert exact_match("the Beatles.", "Beatles")
    assert exact_match("YES", "yes")
    assert not exact_match("Beatles band", "Beatles")
    assert not exact_match("", "yes")


@pytest.mark.parametrize(
    ("prediction", "gold", "f1"),
    [
        ("Eiffel Tower", "the Eiffel Tower", 1.0),
        ("the Eiffel Tower in Paris", "Eiffel Tower", 2 * (2 / 4) * 1 / (2 / 4 + 1)),
        ("Paris", "Eiffel Tower", 0.0),
        ("yes", "no", 0.0),
        ("yes", "yes", 1.0),
        ("yes it is", "yes", 0.0),  # yes/no answers score only when identical
        ("no", "no way", 0.0),
        ("noanswer", "noanswer", 1.0),
        ("New York New York", "New York", 2 * (2 / 4) * 1 / (2 / 4 + 1)),
    ],
)
def test_f1_score(prediction: str, gold: str, f1: float) -> None:
    assert f1_score(prediction, gold) == pytest.approx(f1)


def test_precision_and_recall() -> None:
    f1, precision, recall = f1_precision_recall("w x c d", "c d e")
    assert (precision, recall) == pytest.approx((2 / 4, 2 / 3))
    assert f1 == pytest.approx(2 * precision * recall / (precision + recall))


@pytest.mark.parametrize(
    ("output", "answer", "method"),
    [
        ("Pekar was born in 1939.\nAnswer: Denise Levertov", "Denise Levertov", "answer_line"),
        ("Reasoning.\n**Answer:** Paris.", "Paris", "answer_line"),
        ("Reasoning.\n**Answer: Paris**", "Paris", "answer_line"),
        ("Reasoning.\nanswer: yes. Both are American.", "yes", "answer_line"),
        ("Reasoning.\nFinal answer: Washington, D.C.", "Washington, D.C.", "answer_line"),
        ("Reasoning.\nAnswer: St. Louis", "St. Louis", "answer_line"),
        ("Reasoning.\nAnswer: Frank Fertitta, Jr.", "Frank Fertitta, Jr.", "answer_line"),
        ('Reasoning.\nAnswer: "Northern Lights"', "Northern Lights", "answer_line"),
        ('Answer: "The Heirs" (2013)', '"The Heirs" (2013)', "answer_line"),
        ("Reasoning.\nAnswer:\n\nMark Twain\n", "Mark Twain", "answer_line"),
        ("Answer: first\nmore thoughts\nAnswer: second", "second", "answer_line"),
        ("So the answer is the Eiffel Tower. It is in Paris.", "the Eiffel Tower", "answer_is"),
        # an "Answer:" marker inside the last line, after a sentence
        ("The capital is Paris. Answer: Paris", "Paris", "answer_line"),
        ("Both were born in Ohio! **Answer:** yes", "yes", "answer_line"),
        ("It is the older one? Final answer: The Beatles.", "The Beatles", "answer_line"),
        ("Answer: Rome\nOn reflection it is the other one. Answer: Paris", "Paris",
         "answer_line"),
        ("Answer: Paris\nThe capital is Paris. Answer: Paris, France", "Paris, France",
         "answer_line"),
        ("The question's answer: hard to say, really; many people disagree about it.", None,
         "none"),
        # the sentence ends after an abbreviation when a new sentence clearly starts
        ("The answer is Washington, D.C. It is the capital.", "Washington, D.C.", "answer_is"),
        ("The answer is Washington, D.C.", "Washington, D.C.", "answer_is"),
        ("The answer is John F. Kennedy. He was president.", "John F. Kennedy", "answer_is"),
        ("The answer is St. Louis. The city is in Missouri.", "St. Louis", "answer_is"),
        ("Reasoning.\nAnswer: U.S. Route 66. This road is famous.", "U.S. Route 66",
         "answer_line"),
        ("Paris", "Paris", "bare"),
        ("the Beatles.", "the Beatles", "bare"),
        ("Some long reasoning that never states any final answer at all, over many words.",
         None, "none"),
        ("Line one\nline two", None, "none"),
        ("", None, "none"),
    ],
)
def test_extract_qa_answer(output: str, answer: str | None, method: str) -> None:
    found = extract_qa_answer(output)
    assert (found.text, found.method) == (answer, method)


def test_strict_extraction_wants_a_final_answer_line() -> None:
    assert extract_qa_answer("Reasoning.\nAnswer: Paris", strict=True).text == "Paris"
    assert extract_qa_answer("Reasoning.\nAnswer:\nParis", strict=True).text == "Paris"
    assert extract_qa_answer("Answer: Paris\nMore text after it.", strict=True).text is None
    assert extract_qa_answer("The answer is Paris.", strict=True).text is None
    assert extract_qa_answer("Paris", strict=True).text is None
    assert extract_qa_answer("The capital is Paris. Answer: Paris", strict=True).text is None


def test_verify_qa_em_decides_and_f1_is_reported() -> None:
    right = verify_qa("Both paragraphs agree.\nAnswer: The Beatles", "Beatles")
    assert right.correct
    assert right.f1 == 1.0
    assert right.extracted == "The Beatles"
    partial = verify_qa("Answer: the Eiffel Tower in Paris", "Eiffel Tower")
    assert not partial.correct
    assert 0 < partial.f1 < 1
    assert "F1 0.67" in partial.detail
    missing = verify_qa("I am not sure about this one, there are many options here.", "yes")
    assert (missing.correct, missing.extracted, missing.f1) == (False, None, 0.0)
    strict = verify_qa("The answer is yes.", "yes", strict=True)
    assert not strict.correct
    assert verify_qa("The answer is yes.", "yes").correct


def test_saved_bare_answers_can_be_rescored() -> None:
    assert verify_qa("Denise Levertov", "Denise Levertov").correct
    assert verify_qa("no", "no").correct
    assert not verify_qa("yes", "no").correct
