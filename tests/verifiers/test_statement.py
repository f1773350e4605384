"""Reading a final answer written as a sentence (``sustain_verifiers.statement``)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from sustain_verifiers.statement import (
    QuestionFacts,
    find_statement,
    mask_non_numbers,
    parse_number_words,
    quantities,
    read_statement,
)

KYLAR = ("Kylar went to the store to buy glasses for his new apartment. One glass costs $5, but "
         "every second glass costs only 60% of the price. Kylar wants to buy 16 glasses. How "
         "much does he need to pay for them?")
CLAIRE = ("Claire makes a 3 egg omelet every morning for breakfast. How many dozens of eggs "
          "will she eat in 4 weeks?")
LEMON = ("Carlos is planting a lemon tree. The tree will cost $90 to plant. Each year it will "
         "grow 7 lemons, which he can sell for $1.5 each. It costs $3 a year to water and feed "
         "the tree. How many years will it take before he starts earning money on the lemon "
         "tree?")
PIES = ("A family ordered 5 pies, each cut into 8 pieces. At the end of the evening there were "
        "14 pieces of pie left. How many pieces of pie were taken by the guests?")
WALK = "John walks 3 miles a day. How many miles does he walk in a week?"
EASTER = ("Chatty prepared three dozen eggs for her four children's Easter activity. Assuming "
          "each child gets the same number of eggs, how many eggs does each child receive?")


def facts(question: str) -> QuestionFacts:
    found = QuestionFacts.from_question(question)
    assert found is not None
    return found


# one example per rule of the module docstring, with the rule named in the reading
@pytest.mark.parametrize(
    ("statement", "question", "answer", "rule"),
    [
        ("16 - 3 - 4 = 9 eggs", None, "9", "result of the calculation"),
        ("Kylar needs to pay $64 for 16 glasses.", KYLAR, "64", "no other unit"),
        ("Claire will eat 7 dozens of eggs in 4 weeks.", CLAIRE, "7", "no other unit"),
        ("The guests took 26 pieces of pie, leaving 14 of the 40 pieces.", PIES, "26",
         "main clause"),
        ("Pay: 180 × $1.50 = $270.00, plus the $10.00 bonus = $280.00", None, "280.00",
         "final result"),
        ("That is 21 miles over 5 hours.", WALK, "21", "unit asked for (mile)"),
        ("Ashlyn harvested 84 melons, or four times as many.", None, "84",
         "result of the calculation"),
        ("In 4 weeks the total is 84.", "Claire makes a 3 egg omelet every morning. What is "
         "the number of eggs she eats in 4 weeks?", "84", "not restated from the question"),
        ("Three dozen eggs is 3 × 12 = 36 eggs, shared equally by her four children, so each "
         "child receives nine eggs.", EASTER, "9", "echoes the question"),
        ("After year 12 the balance is -$90 + 12 × $7.50 = $0, so Carlos starts earning money "
         "in year 13, when his balance becomes +$7.50.", LEMON, "13", "no other unit"),
        ("He walks 3 miles a day, a total of 21 miles.", None, "21", "stated as the result"),
        ("32/96 is 0.3333, which rounds to 33%.", None, "33", "rounded result"),
    ],
)
def test_each_rule(statement: str, question: str | None, answer: str, rule: str) -> None:
    reading = read_statement(statement, facts(question) if question else None)
    assert reading.text == answer
    assert rule in reading.rule


def test_a_single_number_needs_no_rule() -> None:
    reading = read_statement("So the answer is 42 apples.")
    assert (reading.text, reading.rule) == ("42", "only number")


@pytest.mark.parametrize(
    ("statement", "question"),
    [
        # several new quantities and nothing says which one answers: no answer, not a guess
        ("She has 3 apples and 5 oranges.", "How many pieces of fruit does she have?"),
        ("16 glasses, $64.", None),
        ("So he ends up with 30 or 31 pens.", None),
        ("The merchant should compare $125 and $96.", "Which plan gives the bigger profit?"),
        ("He paid with 5 100-dollar bills", None),
    ],
)
def test_ambiguous_statements_give_no_answer(statement: str, question: str | None) -> None:
    reading = read_statement(statement, facts(question) if question else None)
    assert reading.text is None
    assert reading.ambiguous
    assert len(reading.candidates) > 1


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("The candle burns from 1:00 PM to 5:00 PM and is 8 cm shorter.", ["8"]),
        ("We met on March 3, 2021 and again on 12/25/2022, at 7am; 4 left.", ["4"]),
        ("On the 3rd day she had 12 eggs.", ["12"]),
        ("It costs $1,250.50 or 1,250.5 dollars.", ["1,250.50", "1,250.5"]),
        ("A drop of -3 degrees, then 10 degrees below zero, and 16-3 = 13.",
         ["-3", "-10", "16", "3", "13"]),
        ("The share is 3/4, about .75, of 1,200/2,400.", ["3/4", ".75", "1,200/2,400"]),
        ("Mr. Tan nets $400 000 - $282 000 = $118 000.", ["400 000", "282 000", "118 000"]),
    ],
)
def test_what_counts_as_a_number(text: str, numbers: list[str]) -> None:
    assert [q.text for q in quantities(text)] == numbers


def test_times_and_dates_are_masked_in_place() -> None:
    text = "from 1:00 p.m. to 5 PM on Jan 5, 2020"
    masked = mask_non_numbers(text)
    assert len(masked) == len(text)
    assert not any(ch.isdigit() for ch in masked)


def test_times_are_answers_only_when_the_question_asks_for_a_time() -> None:
    question = facts("The cake must be ready at 5:00 pm and takes 3 hours. What is the latest "
                     "time Jordan can start?")
    assert question.unit == "clock"
    reading = read_statement("To be ready at 5:00 pm, Jordan must start by 2:00 pm.", question)
    assert reading.text == "2"
    assert read_statement("To be ready at 5:00 pm, Jordan must start by 2:00 pm.").text is None


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("two hundred ninety-four", 294),
        ("a dozen", 12),
        ("half a dozen", 6),
        ("three thousand and five", 3005),
        ("twenty", 20),
        ("one million two hundred thousand", 1_200_000),
        ("five three", None),
        ("twenty twelve", None),
        ("and", None),
        ("", None),
    ],
)
def test_number_words(words: str, value: int | None) -> None:
    assert parse_number_words(words) == value


def test_number_words_in_statements() -> None:
    assert read_statement("the answer (arabic numerals) is two hundred ninety-four "
                          "dollars.").text == "294"
    # "dozen" after a number is the unit the question may ask for, not a multiplier
    assert read_statement("Claire will eat seven dozen eggs in four weeks.",
                          facts(CLAIRE)).text == "7"
    # "one" is a pronoun beside digits
    assert [q.text for q in quantities("Each one costs $5.")] == ["5"]


def test_cents_questions_read_dollar_amounts_in_cents() -> None:
    question = facts("A pack of 8 razors costs $2.00. How much does each razor cost, in cents?")
    assert read_statement("So each razor costs $2.00/8 = $0.25 each", question).text == "25"


def test_question_facts() -> None:
    claire = facts(CLAIRE)
    assert claire.unit == "dozen"
    assert {Fraction(3), Fraction(4)} <= claire.numbers
    assert facts("What percentage of the students passed?").unit == "%"
    assert facts("How much money did she make?").unit == "$"
    assert facts("How long does the trip take?").unit == "duration"
    assert facts("How fast does he run?").unit == "speed"
    assert facts("How many sunflower seeds are there altogether?").unit == "seed"
    assert facts("Janet has three cats. How many legs?").numbers >= {Fraction(3)}
    assert QuestionFacts.from_question("  ") is None


@pytest.mark.parametrize(
    ("output", "sentence", "kind"),
    [
        ("Work.\n\nAnswer: Kylar needs to pay $64 for 16 glasses.",
         "Kylar needs to pay $64 for 16 glasses.", "answer_statement"),
        ("Answer:\n\nShiela will pay $255 each month.", "Shiela will pay $255 each month.",
         "answer_statement"),
        ("So Kylar pays $64.\n\nCheck: 64 / 16 = 4 dollars per glass on average.",
         "So Kylar pays $64.", "conclusion"),
        ("She sells 9 eggs for $2 each: 9 * 2 = 18 dollars. Hope this helps!",
         "She sells 9 eggs for $2 each: 9 * 2 = 18 dollars.", "last_sentence"),
        ("They are making 10% more now ($1,100 vs. $1,000).",
         "They are making 10% more now ($1,100 vs. $1,000).", "last_sentence"),
        ("They used 3 cups. Let me know if you need anything else, one way or another!",
         "They used 3 cups.", "last_sentence"),
    ],
)
def test_finding_the_statement(output: str, sentence: str, kind: str) -> None:
    statement = find_statement(output)
    assert statement is not None
    assert (statement.text, statement.kind) == (sentence, kind)


def test_no_statement_without_numbers() -> None:
    assert find_statement("I am not sure how to solve this.") is None
    assert read_statement("no numbers at all").text is None


HOSTILE = {
    "periods": "1. " * 70_000,
    "parentheses": "(a 1) " * 30_000,
    "asides": "based on 1, " * 20_000,
    "number words": "one two three four five six seven eight nine ten " * 4_000,
    "numbers": " ".join(str(i) for i in range(40_000)),
    "equations": "1 = " * 50_000,
    "alternatives": "$1 or $2 " * 25_000,
    "markers": "Answer: " * 30_000 + "5",
    "times": "1:00 PM " * 30_000,
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_outputs_are_read_without_error(text: str) -> None:
    """Timings of these shapes are in tests/perf/RESULTS.md; here they must just finish."""
    statement = find_statement(text)
    if statement is not None:
        assert len(statement.text) <= 2_000
        read_statement(statement.text, facts(KYLAR))


def test_long_input_is_bounded() -> None:
    sentence = "1 + " * 50_000 + "2 = 3"
    reading = read_statement(sentence)
    assert reading.rule  # read (from the first part only), without error
