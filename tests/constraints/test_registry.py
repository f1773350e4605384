"""The registry, records, the catalogue contract every kind keeps, and the conflict table."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from sustain_tasks.constraints import (
    CATEGORIES,
    CONFLICTS,
    Constraint,
    all_kinds,
    conflicts,
    constraint_from_record,
    get_kind,
    leaks_answer,
    resolve_kinds,
)
from sustain_tasks.constraints.content import AnswerLength, MentionEntity
from sustain_tasks.constraints.format import FinalLinePrefix, NoHeadings
from sustain_tasks.constraints.leak import numbers_in
from sustain_tasks.constraints.length import MaxWords
from sustain_tasks.constraints.lexical import (
    AllLowercase,
    AvoidWord,
    IncludeWord,
    NoCommas,
    StartsWith,
)
from sustain_tasks.errors import SustainInputError

KINDS = all_kinds()
PROSE_CATEGORIES = ("length", "format", "lexical", "content")

LONG = 200_000
ADVERSARIAL = [
    "",
    "a" * LONG,
    " " * LONG,
    "\n" * LONG,
    "\n \n" * (LONG // 3),
    "word. " * (LONG // 6),
    "- item\n" * (LONG // 7),
    "1. step\n" * (LONG // 8),
    "#" * LONG,
    "*" * LONG,
    "_" * LONG,
    "=" * LONG,
    "," * LONG,
    "\\boxed{" * (LONG // 7),
    "{" * LONG,
    "Answer:" * (LONG // 7),
    "```\n" * (LONG // 4),
    "I'" * (LONG // 2),
    "a-" * (LONG // 2),
    "\u00e9\u2019" * (LONG // 2),
    ".\n" + " " * LONG,
    # openers without closers must not make the sentence scanner quadratic
    "\\[" * (LONG // 2),
    "$$ " * (LONG // 3),
    "\\begin{align*}" * (LONG // 14),
    "```" * (LONG // 3),
    "\\(" * (LONG // 2),
    "_{" * (LONG // 2),
    "Step 1. " * (LONG // 8),
    "U.S. " * (LONG // 5),
    "a\n" * (LONG // 2),
]


def test_ids_are_category_colon_name() -> None:
    for kind, cls in KINDS.items():
        category, _, name = kind.partition(":")
        assert category in CATEGORIES, kind
        assert name, kind
        assert cls.kind == kind
        assert cls.category == category
    assert list(KINDS) == sorted(KINDS)


def test_enough_prose_kinds_in_every_prose_category() -> None:
    prose = [k for k, cls in KINDS.items() if cls.category in PROSE_CATEGORIES]
    assert len(prose) >= 12
    for category in PROSE_CATEGORIES:
        assert sum(cls.category == category for cls in KINDS.values()) >= 3, category


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_kind_contract(kind: str) -> None:
    cls = KINDS[kind]
    doc = (cls.__doc__ or "").strip()
    assert doc, f"{kind}: a class docstring stating the rule"
    assert "\n" not in doc.split("\n\n")[0], f"{kind}: the rule in one summary line"
    example = cls.example()
    assert isinstance(example, cls)
    assert dataclasses.is_dataclass(example)
    fields = dataclasses.fields(example)
    if fields:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(example, fields[0].name, getattr(example, fields[0].name))
    text = example.describe()
    assert text.strip(), kind
    assert text.endswith("."), text
    record = example.to_record()
    assert record == {"kind": kind, "params": example.params(), "text": text}
    assert constraint_from_record(record) == example
    assert constraint_from_record({"kind": kind, "params": record["params"]}) == example


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_check_is_total(kind: str) -> None:
    """Every check answers on every adversarial output (how fast: tests/perf/
    bench_constraint_checks.py, whose figures are in tests/perf/RESULTS.md)."""
    example = KINDS[kind].example()
    for output in ADVERSARIAL:
        assert isinstance(example.check(output), bool), (kind, output[:12])


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_describe_holds_no_stray_numbers_or_yes_no(kind: str) -> None:
    """Only a parameter may put a number in the text, so the leak guard rejects few texts."""
    example = KINDS[kind].example()
    text = example.describe()
    allowed: set[Decimal] = set()
    for value in example.params().values():
        allowed |= numbers_in(str(value))
    assert numbers_in(text) <= allowed, text
    assert not leaks_answer(text, ["yes"]), text
    assert not leaks_answer(text, ["no"]), text


def test_get_kind_and_unknown_ids() -> None:
    assert get_kind("length:max_words") is MaxWords
    with pytest.raises(SustainInputError) as err:
        get_kind("length:nope", path="c.jsonl", line=3)
    assert err.value.field == "kind"
    assert err.value.line == 3


def test_resolve_kinds() -> None:
    lexical = resolve_kinds("lexical")
    assert lexical
    assert all(k.startswith("lexical:") for k in lexical)
    assert resolve_kinds("length:max_words, lexical:no_commas") == [
        "length:max_words", "lexical:no_commas"]
    assert resolve_kinds(None, default=["format"]) == resolve_kinds(["format"])
    with pytest.raises(SustainInputError) as err:
        resolve_kinds(["length", "bogus:kind"])
    assert err.value.field == "kinds"


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ("not a dict", "constraints"),
        ({"params": {}}, "constraints.kind"),
        ({"kind": "length:nope", "params": {}}, "constraints.kind"),
        ({"kind": "length:max_words", "params": []}, "constraints.params"),
        ({"kind": "length:max_words", "params": {}}, "constraints.params.limit"),
        ({"kind": "length:max_words", "params": {"limit": "ten"}}, "constraints.params.limit"),
        ({"kind": "length:max_words", "params": {"limit": True}}, "constraints.params.limit"),
        ({"kind": "length:max_words", "params": {"limit": 5, "x": 1}}, "constraints.params"),
        ({"kind": "length:max_words", "params": {"limit": -5}}, "constraints.params"),
        ({"kind": "lexical:include_word", "params": {"word": "two words"}}, "constraints.params"),
        ({"kind": "format:bullet_list", "params": {"marker": "x"}}, "constraints.params"),
    ],
)
def test_bad_records(record: object, field: str) -> None:
    with pytest.raises(SustainInputError) as err:
        constraint_from_record(record, path="c.jsonl", line=7)
    assert err.value.field == field
    assert err.value.path == "c.jsonl"
    assert err.value.line == 7


def test_conflict_table_names_registered_kinds_and_is_symmetric() -> None:
    for pair in CONFLICTS:
        assert len(pair) == 2
        for kind in pair:
            assert kind in KINDS, kind
    for a in KINDS:
        assert conflicts(a, a)
        for b in KINDS:
            assert conflicts(a, b) == conflicts(b, a)


def test_listed_conflicts() -> None:
    assert conflicts("format:numbered_steps", "format:bullet_list")
    assert conflicts("format:no_lists", "format:bullet_list")
    assert conflicts("length:max_words", "length:max_characters")
    assert not conflicts("length:max_words", "lexical:no_commas")
    assert conflicts(MaxWords(10), MaxWords(20))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (AllLowercase(), StartsWith("Janet sells"), True),
        (AllLowercase(), StartsWith("janet sells"), False),
        (AllLowercase(), FinalLinePrefix("Answer:"), True),
        (AllLowercase(), FinalLinePrefix("####"), False),
        (AllLowercase(), AnswerLength(3, "Answer:"), True),
        (AvoidWord("total"), IncludeWord("total"), True),
        (AvoidWord("total"), IncludeWord("market"), False),
        (AvoidWord("total"), StartsWith("The total is"), True),
        (AvoidWord("hence"), MentionEntity("Hence Town"), True),
        (NoHeadings(), FinalLinePrefix("####"), True),
        (NoHeadings(), FinalLinePrefix("Answer:"), False),
        (NoCommas(), MentionEntity("Paris, Texas"), False),
        (MaxWords(2), StartsWith("Janet sells 16"), True),
    ],
)
def test_value_dependent_conflicts(a: Constraint, b: Constraint, expected: bool) -> None:
    assert conflicts(a, b) is expected
    assert conflicts(b, a) is expected
