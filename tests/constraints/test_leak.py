"""The no-answer-leak guard."""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from sustain_tasks.benchmarks import BENCHMARKS, get_benchmark
from sustain_tasks.constraints.extract import MAX_CANDIDATES_PER_KIND
from sustain_tasks.constraints.leak import (
    leaks_answer,
    names_a_number,
    normalize_number,
    numbers_in,
    salient_tokens,
)
from sustain_tasks.constraints.registry import all_kinds
from sustain_tasks.constraints.text import shared_analysis


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


# -- equivalence with the guard as it was before it remembered its work -------------------------
# The functions below are the previous implementation, verbatim but for the names: the oracle
# the current one must agree with on every verdict.

_OLD_NUMBER_RE = re.compile(
    r"(?<![\w.])[-\u2212]?\$?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-\u2212]?\$?\d+(?:\.\d+)?"
)
_OLD_UNITS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)
_OLD_TENS = (
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
)
_OLD_NUMBER_WORDS: dict[str, int] = {w: i for i, w in enumerate(_OLD_UNITS)}
_OLD_NUMBER_WORDS.update({w: 20 + 10 * i for i, w in enumerate(_OLD_TENS)})
_OLD_NUMBER_WORDS.update({"hundred": 100, "thousand": 1000, "dozen": 12, "half": 2, "twice": 2,
                      "once": 1, "single": 1, "double": 2, "triple": 3})
_OLD_COMPOSABLE = frozenset([*_OLD_UNITS, *_OLD_TENS, "hundred", "thousand"])
_OLD_STOPWORDS = frozenset({
    "the", "a", "an", "and", "or", "of", "in", "on", "at", "to", "for", "with", "from", "by", "as",
    "is", "are", "was", "were", "be", "been", "it", "its", "this", "that", "these", "those", "his",
    "her", "their", "our", "your", "my", "not", "no", "yes", "than", "then", "into", "over",
    "under", "about", "after", "before", "who", "whom", "which", "what", "when", "where", "why",
    "how", "all", "any", "both", "each", "few", "more", "most", "other", "some", "such", "only",
    "own", "same", "so", "too", "very", "can", "will", "just",
})


def _old_normalize_number(text: str) -> Decimal | None:
    """The value of a number string (``$1,200.50``, ``−3``, ``7``), or None."""
    cleaned = text.strip().replace(",", "").replace("$", "").replace("\u2212", "-")
    cleaned = cleaned.rstrip(".")
    if cleaned.endswith("%"):
        cleaned = cleaned[:-1]
    try:
        value = Decimal(cleaned)
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite():
        return None
    return value.normalize()


def _old_numbers_in(text: str) -> set[Decimal]:
    """Values of every number written in digits or as a simple number word in ``text``."""
    found: set[Decimal] = set()
    for match in _OLD_NUMBER_RE.finditer(text):
        value = _old_normalize_number(match.group())
        if value is not None:
            found.add(value)
            found.add(abs(value))
    group: list[str] = []
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _OLD_NUMBER_WORDS:
            found.add(Decimal(_OLD_NUMBER_WORDS[word]))
        if word in _OLD_COMPOSABLE or (word == "and" and group):
            group.append(word)
            continue
        _old_add_compound(group, found)
        group = []
    _old_add_compound(group, found)
    return found


def _old_names_a_number(text: str) -> bool:
    """Whether :func:`_old_numbers_in` finds a number in ``text`` (decided at once for a word of
    ASCII letters: it names a number only when it is a number word)."""
    if text.isascii() and text.isalpha():
        return text.lower() in _OLD_NUMBER_WORDS
    return bool(_old_numbers_in(text))


def _old_add_compound(group: list[str], found: set[Decimal]) -> None:
    """Add the value of a run of number words ("twenty-five", "three hundred and six")."""
    while group and group[-1] == "and":
        group = group[:-1]
    if len(group) < 2:
        return
    total = current = 0
    for word in group:
        if word == "hundred":
            current = max(current, 1) * 100
        elif word == "thousand":
            total += max(current, 1) * 1000
            current = 0
        elif word != "and":
            current += _OLD_NUMBER_WORDS[word]
    found.add(Decimal(total + current))


_OLD_LATEX_COMMAND_RE = re.compile(r"\\([A-Za-z]+)")
_OLD_GREEK = frozenset({
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
    "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "varpi", "rho", "sigma", "tau",
    "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi",
    "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
})


def _old_strip_latex(answer: str) -> str:
    """``answer`` without LaTeX command names (Greek letters keep theirs), braces and ``$``."""
    if "\\" not in answer and "{" not in answer and "$" not in answer:
        return answer
    text = _OLD_LATEX_COMMAND_RE.sub(
        lambda m: f" {m.group(1)} " if m.group(1) in _OLD_GREEK else " ", answer)
    return re.sub(r"[{}$]", " ", text)


def _old_normalize_text(text: str) -> str:
    # fold accents too, so "Zurich" reveals "Zürich"
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^\w\s]", " ", text)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _old_salient_tokens(answer: str) -> set[str]:
    """Content tokens of an answer that would give it away: 3+ letters or any digits."""
    return {t for t in _old_normalize_text(_old_strip_latex(answer)).split()
            if t not in _OLD_STOPWORDS and (len(t) >= 3 or any(c.isdigit() for c in t))}


def _old_leaks_answer(text: str, answers: Iterable[str]) -> bool:
    """True when ``text`` reveals any of ``answers`` (numerically or textually)."""
    text_numbers: set[Decimal] | None = None
    norm_text = _old_normalize_text(text)
    text_tokens = set(norm_text.split())
    # plural forms reveal the singular ("Americans" reveals "American")
    text_tokens |= {t[:-1] for t in text_tokens if len(t) > 4 and t.endswith("s")}
    text_tokens |= {t[:-2] for t in text_tokens if len(t) > 5 and t.endswith("es")}
    for answer in answers:
        if not answer or not answer.strip():
            continue
        value = _old_normalize_number(answer)
        if value is not None:
            if text_numbers is None:
                text_numbers = _old_numbers_in(text)
            if value in text_numbers or abs(value) in text_numbers:
                return True
            continue
        norm_answer = _old_normalize_text(_old_strip_latex(answer))
        if norm_answer and re.search(rf"(?<!\w){re.escape(norm_answer)}(?!\w)", norm_text):
            return True
        if _old_salient_tokens(answer) & text_tokens:
            return True
        # numbers inside a text answer ("5 hours") leak by value too
        digit_values = {v for v in (_old_normalize_number(m.group())
                                    for m in _OLD_NUMBER_RE.finditer(answer)) if v is not None}
        if digit_values:
            if text_numbers is None:
                text_numbers = _old_numbers_in(text)
            if digit_values & text_numbers:
                return True
    return False


def _texts_and_answers(data_dir: Path, limit: int | None) -> list[tuple[str, tuple[str, ...]]]:
    """Each reference solution of every benchmark (first ``limit`` items), and the text of every
    candidate constraint of every kind drawn from it, with that item's answers."""
    pairs: list[tuple[str, tuple[str, ...]]] = []
    kinds = all_kinds()
    for name in BENCHMARKS:
        bench = get_benchmark(name)
        for item in bench.load(data_dir, limit=limit):
            ctx = bench.source_context(item, item.reference)
            pairs.append((item.reference, ctx.answers))
            with shared_analysis():
                for cls in kinds.values():
                    try:
                        for i, candidate in enumerate(cls.candidates(item.reference, ctx)):
                            if i >= MAX_CANDIDATES_PER_KIND:
                                break
                            pairs.append((candidate.describe(), ctx.answers))
                    except (ValueError, ArithmeticError, RecursionError):
                        continue
    return list(dict.fromkeys(pairs))  # once each (many constraint texts recur)


def _assert_same_verdicts(pairs: list[tuple[str, tuple[str, ...]]]) -> None:
    verdicts = {True: 0, False: 0}
    for i, (text, answers) in enumerate(pairs):
        # the item's own answers, the first three alone, and another item's answers (more text
        # answers against more texts); twice, so the remembered analysis is compared too
        other = pairs[(i * 7919 + 13) % len(pairs)][1]
        for chosen in (answers, *((a,) for a in answers[:3]), other):
            for _ in range(2):
                new = leaks_answer(text, chosen)
                assert new == _old_leaks_answer(text, chosen), (text, chosen)
            verdicts[new] += 1
    for text in {text for text, _ in pairs}:
        assert numbers_in(text) == _old_numbers_in(text), text
    for answer in {a for _, answers in pairs for a in answers}:
        assert salient_tokens(answer) == _old_salient_tokens(answer), answer
        assert normalize_number(answer) == _old_normalize_number(answer), answer
    words = {w for text, _ in pairs[:2000] for w in text.split()}
    for word in words:
        assert names_a_number(word) == _old_names_a_number(word), word
    # both verdicts were compared, many times each
    assert verdicts[True] > 100, verdicts
    assert verdicts[False] > 100, verdicts


@pytest.mark.slow
def test_same_verdicts_as_before_on_references_and_constraint_texts(data_dir: Path) -> None:
    _assert_same_verdicts(_texts_and_answers(data_dir, limit=30))


@pytest.mark.slow
def test_same_verdicts_as_before_on_every_reference(data_dir: Path) -> None:
    _assert_same_verdicts(_texts_and_answers(data_dir, limit=None))


_PIECES = (
    "one", "Twenty", "five", "hundred", "and", "thousand", "dozen", "half", "a", "an", "the",
    "The", "Paris", "France", "hours", "Americans", "classes", "answer", "Zürich", "Zurich",
    "Cafe\u0301", "ﬁve", "ＫＭ", "\u212a", "İstanbul", "7", "18", "1,200", "1200.00", "$5", "−3",
    "-3", "50%", "0.5", ".50", "12.", "3,00", "\\frac{14}{3}", "\\text{Evelyn}", "\\pi",
    "{", "}", "$", ",", ".", "-", "'", '"', "(", ")", "#### 42", "\n", " ", "  ", "\t", "",
)


def _generated_text(rng: random.Random, most: int) -> str:
    pieces = rng.choices(_PIECES, k=rng.randint(0, most))
    return (" " if rng.random() < 0.6 else "").join(pieces)


def test_same_verdicts_as_before_on_generated_texts() -> None:
    rng = random.Random(20261206)
    for _ in range(3000):
        text = _generated_text(rng, 12)
        answers = [_generated_text(rng, 4) for _ in range(rng.randint(0, 3))]
        for _ in range(2):
            assert leaks_answer(text, answers) == _old_leaks_answer(text, answers), (text,
                                                                                     answers)
        assert numbers_in(text) == _old_numbers_in(text), text
        assert names_a_number(text) == _old_names_a_number(text), text
        for answer in answers:
            assert salient_tokens(answer) == _old_salient_tokens(answer), answer


def test_long_texts_are_judged_without_being_remembered() -> None:
    long_text = "word " * 1000 + "eighteen"
    for _ in range(2):
        assert leaks_answer(long_text, ["18"])
        assert leaks_answer(long_text, ["Word"])
        assert not leaks_answer(long_text, ["19"])
