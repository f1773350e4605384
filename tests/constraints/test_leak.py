"""The no-answer-leak guard."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sustain_tasks.constraints.leak import (
    leaks_answer,
    normalize_number,
    numbers_in,
    salient_tokens,
)


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Answer in fewer than 1200 words.", "1,200"),
        ("Answer in fewer than 1,200 words.", "1200"),
        ("Keep it under 1200.00 characters.", "1200"),
        ("Costs $1,200 in total.", "1200"),
        ("Use five sentences.", "5"),
        ("Use Five sentences.", "5.0"),
        ("Use twenty-five words.", "25"),
        ("Use twenty five words.", "25"),
        ("Write three hundred words.", "300"),
        ("Write two thousand five hundred words.", "2500"),
        ("A dozen items.", "12"),
        ("It drops \u22125 degrees.", "5"),
        ("It drops -5 degrees.", "-5"),
        ("About 50% of it.", "50"),
        ("Begin with 0.5 cups.", ".50"),
    ],
)
def test_numbers_leak_after_normalisation(text: str, answer: str) -> None:
    assert leaks_answer(text, [answer])


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Answer in fewer than 180 words.", "18"),
        ("Answer in fewer than 120 words.", "12"),
        ("Use 2.5 cups.", "5"),
        ("Answer in at most 6 sentences.", "60"),
        ("Someone wrote this.", "1"),
        ("Do not use any commas.", "7"),
    ],
)
def test_other_numbers_do_not_leak(text: str, answer: str) -> None:
    assert not leaks_answer(text, [answer])


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ('Mention "Paris" in your answer.', "Paris"),
        ('Mention "paris" in your answer.', "PARIS"),
        ('Use the word "France".', "Paris, France"),
        ('Begin with "The Beatles were".', "the beatles"),
        ('Mention "Beatles".', "The Beatles"),
        ('Use the word "hours".', "5 hours"),
        ("Answer in at most 5 sentences.", "5 hours"),
        ("Use no commas.", "no"),
        ('Begin with "Yes, it".', "yes"),
        ('Use the word "Conan".', "Arthur Conan Doyle"),
    ],
)
def test_text_answers_leak_by_phrase_and_salient_tokens(text: str, answer: str) -> None:
    assert leaks_answer(text, [answer])


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Do not use any commas.", "no"),
        ("Do not use any commas.", "yes"),
        ('Use the word "Parisian".', "Paris"),
        ("Answer in the fewest words you can.", "The Who"),
        ('Mention "London".', "Paris, France"),
    ],
)
def test_unrelated_texts_do_not_leak(text: str, answer: str) -> None:
    assert not leaks_answer(text, [answer])


def test_blank_answers_are_ignored_and_any_answer_counts() -> None:
    assert not leaks_answer("Answer in fewer than 100 words.", ["", "  "])
    assert leaks_answer("Answer in fewer than 100 words.", ["7", "100"])
    assert not leaks_answer("", ["18"])


def test_helpers() -> None:
    assert normalize_number("$1,200.50") == Decimal("1200.5")
    assert normalize_number("\u22123") == Decimal("-3")
    assert normalize_number("abc") is None
    assert normalize_number("inf") is None
    assert Decimal(25) in numbers_in("twenty-five")
    assert salient_tokens("The Beatles of 1964") == {"beatles", "1964"}


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Write at most 12 lines of text (blank lines do not count).", "\\text{Evelyn}"),
        ("Do not use bold markdown (text wrapped in ** or __).", "\\text{Navin}"),
        ("Write at most 9 lines of text (blank lines do not count).", "\\text{(C)}"),
        ("Use at most 4 paragraphs, separated by blank lines.", "\\frac{\\sqrt{3}}{2}"),
        ('Begin with "The right triangle has".', "\\left( 3, \\frac{\\pi}{2} \\right)"),
        ("Write at most 6 lines of text (blank lines do not count).", "\\mbox{Tuesday}"),
    ],
)
def test_latex_markup_in_answers_is_not_a_salient_word(text: str, answer: str) -> None:
    assert not leaks_answer(text, [answer])


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ('Mention "Evelyn" in your answer.', "\\text{Evelyn}"),
        ('Use the word "ellipse".', "\\text{ellipse}"),
        ('Use the word "degrees".', "\\frac{270}7\\text{ degrees}"),
        ("Answer in at most 7 sentences.", "\\frac{270}7\\text{ degrees}"),
        ("Answer in at most 14 sentences.", "\\frac{14}{3}"),  # numbers stay: conservative
        ('Begin with "The angle is pi".', "\\pi"),
        ('Use the word "theta".', "\\theta"),
        ('Begin with "$\\frac{14}{3}$".', "\\frac{14}{3}"),
    ],
)
def test_latex_answers_still_leak_by_their_content(text: str, answer: str) -> None:
    assert leaks_answer(text, [answer])


def test_latex_is_stripped_before_salient_tokens() -> None:
    assert salient_tokens("\\text{Evelyn}") == {"evelyn"}
    assert salient_tokens("5.4 \\text{ cents}") == {"5", "4", "cents"}
    assert salient_tokens("\\frac{\\sqrt{3}}{2}") == {"3", "2"}
