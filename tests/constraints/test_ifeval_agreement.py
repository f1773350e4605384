"""This library's checkers against IFEval's own (lm-eval's ``lm_eval.tasks.ifeval``).

Every IFEval instruction id, with the parameters of ``ifeval_corpus.PARAMS``, is checked by both
on every text of ``ifeval_corpus.TEXTS`` (prose in five scripts, lists, JSON, verse, LaTeX math,
code and the forms the instructions ask for). Verdicts must be identical, except on the cases
pinned in :data:`PINNED`, where the definitions differ on purpose; each reason there is a row of
the table in ``sustain_tasks/constraints/README.md``. A pinned case that starts to agree fails
too, so the table stays true.

Offline limits, recorded rather than hidden: IFEval's sentence counter and its capital-word
counter call nltk's punkt tokenizer, whose data lm-eval downloads when its IFEval module is
imported (``instructions_util.download_nltk_resources``). Without network the data is missing.
The capital-word counter only needs punkt to cut sentences before nltk's word tokenizer runs, so
without the data it is compared with ``word_tokenize(text, preserve_line=True)`` (the same word
tokenizer on the text as one line; it differs only in how a word before a full stop is split,
which does not change whether a token is in capitals). The sentence counter is punkt itself:
``length_constraints:number_sentences`` (:data:`NEEDS_PUNKT`) is skipped with that reason when
the data is missing, and no other id may be skipped (``test_only_punkt_ids_cannot_run``). The
download is not attempted here: ``nltk.download`` is replaced by a stub while lm-eval's module
is imported. ``langdetect`` is seeded (IFEval calls it
unseeded, so its language verdicts on short texts would otherwise vary between runs).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from sustain_tasks.constraints import IFEVAL_IDS, check_all, from_ifeval
from sustain_tasks.constraints.text import count_words


def _corpus() -> Any:
    path = Path(__file__).with_name("ifeval_corpus.py")
    spec = importlib.util.spec_from_file_location("ifeval_corpus", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TEXTS: dict[str, str] = _corpus().TEXTS
PARAMS: dict[str, list[dict[str, Any]]] = _corpus().PARAMS

NEEDS_PUNKT = frozenset({"length_constraints:number_sentences"})
"""IFEval ids whose checker needs nltk's punkt data (the sentence model itself)."""

README = Path(__file__).parents[2] / "sustain_tasks" / "constraints" / "README.md"

PINNED: dict[tuple[str, int, str], str] = {
    # keywords: whole words here, substrings (and regular expressions) in IFEval
    ("keywords:existence", 0, "paragraph_words"): "whole words",
    ("keywords:existence", 1, "verse"): "whole words",
    ("keywords:existence", 2, "fr_prose"): "whole words",
    ("keywords:frequency", 1, "keywords"): "whole words",
    # language: code and math are not read; IFEval reads them as text
    ("language:response_language", 0, "caps_math"): "code and math not read",
    ("language:response_language", 0, "fr_with_code"): "code and math not read",
    ("language:response_language", 1, "fr_with_code"): "code and math not read",
    # paragraphs: a divider is a line holding only ***, not *** inside other asterisks
    ("length_constraints:number_paragraphs", 0, "bold_italic"): "divider line",
    ("length_constraints:number_paragraphs", 1, "bold_italic"): "divider line",
    ("length_constraints:number_paragraphs", 1, "two_responses"): "divider line",
    # words: LaTeX command names are not words
    ("length_constraints:number_words", 0, "latex_math"): "latex words",
    ("length_constraints:number_words", 1, "latex_math"): "latex words",
    # first word: markdown emphasis before it is skipped
    ("length_constraints:nth_paragraph_first_word", 1, "md_paragraphs"): "markdown first word",
    # placeholders: not \\[ math, not a markdown link
    ("detectable_content:number_placeholders", 0, "links_math"): "placeholders",
    ("detectable_content:number_placeholders", 1, "links_math"): "placeholders",
    # postscript: a line of its own after the first, not "p.s." anywhere
    ("detectable_content:postscript", 0, "ps_inline"): "postscript line",
    # constrained response: exactly one option, not two contradicting ones
    ("detectable_format:constrained_response", 0, "both_options"): "one option",
    # bullets: a marker followed by a space ("---" and "-5" and "*emphasis*" are not items)
    ("detectable_format:number_bullet_lists", 2, "rules_and_signs"): "bullet marker",
    # highlights: "2 * 3 * 4" is arithmetic
    ("detectable_format:number_highlighted_sections", 0, "math_stars"): "highlights",
    # sections: exactly N, each at the start of a line
    ("detectable_format:multiple_sections", 1, "sections"): "sections",
    ("detectable_format:multiple_sections", 1, "section_mention"): "sections",
    # title: not inside code
    ("detectable_format:title", 0, "code_shift"): "code not read",
    # repeat the prompt: runs of whitespace compare equal
    ("combination:repeat_prompt", 0, "repeat_spaced"): "whitespace",
    # end phrase: closing emphasis markers are ignored
    ("startend:end_checker", 0, "end_bold"): "end emphasis",
    # case rules: no language requirement; math is not read
    ("change_case:english_capital", 0, "caps_french"): "no language requirement",
    ("change_case:english_capital", 0, "caps_math"): "code and math not read",
    ("change_case:english_lowercase", 0, "zh_prose"): "no language requirement",
    ("change_case:english_lowercase", 0, "hi_prose"): "no language requirement",
    ("change_case:english_lowercase", 0, "json_plain"): "no language requirement",
    ("change_case:english_lowercase", 0, "json_fenced"): "no language requirement",
    ("change_case:english_lowercase", 0, "lower_math"): "code and math not read",
    # capital words: single letters ("I", "A", the letters of "P.S.") are not words in capitals
    ("change_case:capital_word_frequency", 0, "caps_i"): "capital words",
    ("change_case:capital_word_frequency", 1, "caps_i"): "capital words",
    ("change_case:capital_word_frequency", 1, "pps"): "capital words",
    # quotation: curly quotes wrap a response too
    ("startend:quotation", 0, "curly_quoted"): "curly quotes",
}
"""Cases where the verdicts differ on purpose: (IFEval id, index in PARAMS, text name) -> the
reason, a row of the README table."""


def _unicode_words() -> bool:
    """Whether words of every script are counted (Cyrillic and Devanagari words count as
    words, CJK ideographs one word each)."""
    return count_words("Рынок открывается") == 2


def _script_cases() -> dict[tuple[str, int, str], str]:
    """Word counts on texts outside the Latin script. IFEval's ``\\w+`` reads a CJK sentence
    as one word; this library counts one word per ideograph. Where words of every script are
    not counted yet, Cyrillic and Devanagari prose count no words at all."""
    ids = "length_constraints:number_words"
    if _unicode_words():
        return {(ids, 0, "zh_prose"): "cjk words", (ids, 1, "zh_prose"): "cjk words"}
    return {(ids, i, name): "script words" for i in (0, 1) for name in ("ru_prose", "hi_prose")}


@pytest.fixture(scope="module")
def ifeval() -> Iterator[Callable[[str, dict[str, Any], str], bool]]:
    """IFEval's strict check of one instruction on one response, as lm-eval runs it."""
    try:
        import langdetect
        import nltk

        with mock.patch.object(nltk, "download", return_value=False):
            from lm_eval.tasks.ifeval import instructions_registry, instructions_util
    except ImportError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"lm-eval's IFEval checker cannot be imported in CI: {exc}")
        pytest.skip(f"lm-eval's IFEval checker cannot be imported ({exc}); "
                    "pip install immutabledict langdetect")
    saved = langdetect.DetectorFactory.seed
    langdetect.DetectorFactory.seed = 0

    def check(instruction_id: str, kwargs: dict[str, Any], response: str) -> bool:
        instruction = instructions_registry.INSTRUCTION_DICT[instruction_id](instruction_id)
        # IFEval drops empty arguments before building the instruction
        instruction.build_description(**{k: v for k, v in kwargs.items() if v})
        return bool(response.strip() and instruction.check_following(response))

    try:
        nltk.data.find("tokenizers/punkt_tab")
        tokenize = instructions_util.nltk.word_tokenize
    except LookupError:  # offline: the word tokenizer without punkt's sentence split
        tokenize = functools.partial(nltk.word_tokenize, preserve_line=True)
    with mock.patch.object(instructions_util.nltk, "word_tokenize", tokenize):
        yield check
    langdetect.DetectorFactory.seed = saved


def _runs(check: Callable[[str, dict[str, Any], str], bool], instruction_id: str) -> str | None:
    """None when IFEval's checker for the id runs offline, else why it does not."""
    try:
        check(instruction_id, PARAMS[instruction_id][0], TEXTS["en_prose"])
    except LookupError as exc:  # nltk data
        found = re.search(r"Resource\s+(\S+)", str(exc))
        resource = found.group(1) if found else "punkt"
        return (f"IFEval's checker needs nltk's {resource} data, which lm-eval downloads when "
                "it is imported; it is not installed and there is no network")
    return None


def ours(instruction_id: str, kwargs: dict[str, Any], response: str) -> bool:
    return check_all([from_ifeval(instruction_id, kwargs)], response)[0].strict


def test_corpus_covers_every_id() -> None:
    assert set(PARAMS) == set(IFEVAL_IDS)
    assert len(TEXTS) >= 30


def test_only_punkt_ids_cannot_run(ifeval: Callable[[str, dict[str, Any], str], bool]) -> None:
    cannot = {i for i in IFEVAL_IDS if _runs(ifeval, i) is not None}
    assert cannot <= NEEDS_PUNKT


@pytest.mark.parametrize("instruction_id", IFEVAL_IDS)
def test_agreement(ifeval: Callable[[str, dict[str, Any], str], bool],
                   instruction_id: str) -> None:
    reason = _runs(ifeval, instruction_id)
    if reason is not None:
        pytest.skip(reason)
    pinned = {**PINNED, **_script_cases()}
    expected = {case for case in pinned if case[0] == instruction_id}
    differ: set[tuple[str, int, str]] = set()
    same = 0
    for index, kwargs in enumerate(PARAMS[instruction_id]):
        for name, text in TEXTS.items():
            if ifeval(instruction_id, kwargs, text) == ours(instruction_id, kwargs, text):
                same += 1
            else:
                differ.add((instruction_id, index, name))
    assert differ == expected, (sorted(differ - expected), sorted(expected - differ))
    assert same >= len(TEXTS) * len(PARAMS[instruction_id]) - len(expected)


def test_every_difference_is_in_the_readme_table() -> None:
    table = README.read_text(encoding="utf-8")
    reasons = set(PINNED.values()) | {"cjk words"}
    for reason in reasons:
        assert f"[{reason}]" in table, reason
    for instruction_id in IFEVAL_IDS:
        assert f"`{instruction_id}`" in table, instruction_id
