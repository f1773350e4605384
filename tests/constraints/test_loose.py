"""The loose check shared by all kinds, and check_all."""

from __future__ import annotations

from sustain_tasks.constraints import CheckResult, check_all, check_loose, loose_variants
from sustain_tasks.constraints.format import NoBold, NoLists
from sustain_tasks.constraints.length import MaxCharacters, MaxWords
from sustain_tasks.constraints.lexical import NoCommas, StartsWith
from sustain_tasks.constraints.loose import strip_emphasis


def test_variants_start_with_the_output_and_drop_wrappers() -> None:
    output = "Sure, here it is:\n**Janet** sells eggs.\nHope this helps!"
    variants = list(loose_variants(output))
    assert variants[0] == output
    assert "**Janet** sells eggs.\nHope this helps!" in variants
    assert "Sure, here it is:\n**Janet** sells eggs." in variants
    assert "**Janet** sells eggs." in variants
    assert "Janet sells eggs." in variants
    assert len(variants) == len(set(variants))


def test_empty_output_has_itself_as_only_variant() -> None:
    assert list(loose_variants("")) == [""]


def test_loose_accepts_a_preamble_strict_does_not() -> None:
    starts = StartsWith("Janet sells")
    output = "Sure, here is the solution:\nJanet sells 16 eggs."
    assert not starts.check(output)
    assert check_loose(starts, output)
    assert not check_loose(starts, "He sells eggs.\nThen more.\nJanet sells them.")


def test_loose_drops_emphasis_markers() -> None:
    short = MaxCharacters(17)  # "Janet sells eggs" has 16 characters
    for output in ("Janet **sells** eggs", "Janet __sells__ eggs", "Janet *sells* eggs"):
        assert not short.check(output)
        assert check_loose(short, output)
    assert not check_loose(short, "Janet * sells * eggs")


def test_strip_emphasis_removes_only_paired_markers() -> None:
    assert strip_emphasis("**a** *b* __c__ ***d*** **e *f* g**") == "a b c d e f g"
    for kept in ("* Step one\n* Step two", "2 * 3 * 4", "x**2 + y**2", "snake_case_x",
                 "**open\nclose**", "** spaced **"):
        assert strip_emphasis(kept) == kept


def test_loose_keeps_bullets_and_the_markers_a_kind_forbids() -> None:
    bullets = "* Step one\n* Step two\n* Step three"
    assert not NoLists().check(bullets)
    assert not check_loose(NoLists(), bullets)
    # removing bold would make the bold prohibition pass always
    assert not check_loose(NoBold(), "The answer is **18**.")
    assert not check_loose(NoBold(), "Work.\nThe **answer** is here.\nDone.")
    # the first/last line leniency still applies
    assert check_loose(NoBold(), "**Sure!**\nThe answer is 18.")


def test_loose_still_fails_real_violations() -> None:
    assert not check_loose(NoCommas(), "a, b\nc, d\ne, f")
    assert not check_loose(MaxWords(3), "one two three four\nfive six seven\neight nine")


def test_check_all_reports_strict_and_loose() -> None:
    output = "Sure!\nJanet sells 16, eggs.\nThat is all."
    results = check_all([StartsWith("Janet sells"), NoCommas(), MaxWords(50)], output)
    assert results == [
        CheckResult("lexical:starts_with", StartsWith("Janet sells").describe(), False, True),
        CheckResult("lexical:no_commas", NoCommas().describe(), False, False),
        CheckResult("length:max_words", MaxWords(50).describe(), True, True),
    ]
    assert results[0].to_dict()["loose"] is True


def test_blank_outputs_comply_with_nothing() -> None:
    from sustain_tasks.constraints.content import ReasoningSteps

    # upper bounds hold on the empty text itself, but a failed generation is not compliant
    upper_bounds = [MaxWords(50), NoCommas(), NoBold(), ReasoningSteps(4)]
    assert all(c.check("") for c in upper_bounds)
    for output in ("", "   ", "\n\n\t\n"):
        results = check_all(upper_bounds, output)
        assert [(r.strict, r.loose) for r in results] == [(False, False)] * len(upper_bounds)
    # a non-blank output is judged as before
    assert [(r.strict, r.loose) for r in check_all(upper_bounds, "Done.")] == [(True, True)] * 4
