"""IFEval's vocabulary: ``from_ifeval`` for every instruction id, ``to_ifeval`` back, and
``sustain check --ifeval`` on IFEval's own file formats, with its errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sustain_tasks.cli import main
from sustain_tasks.constraints import IFEVAL_IDS, all_kinds, from_ifeval, to_ifeval
from sustain_tasks.constraints.ifeval import IFEVAL_OPTIONS, ifeval_kinds
from sustain_tasks.constraints.layout import ConstrainedResponse
from sustain_tasks.constraints.length import MaxSentences, MaxWords
from sustain_tasks.constraints.lexical import AvoidWord, IncludeWord
from sustain_tasks.constraints.wording import AvoidKeywords, IncludeKeywords
from sustain_tasks.errors import SustainInputError

KWARGS: dict[str, list[dict[str, Any]]] = {
    "keywords:existence": [{"keywords": ["fresh", "market day"]}],
    "keywords:frequency": [{"keyword": "egg", "frequency": 2, "relation": "at least"},
                           {"keyword": "egg", "frequency": 3, "relation": "less than"}],
    "keywords:forbidden_words": [{"forbidden_words": ["cheap", "very"]}],
    "keywords:letter_frequency": [{"letter": "z", "let_frequency": 2,
                                   "let_relation": "less than"}],
    "language:response_language": [{"language": "fr"}, {"language": "hi"}],
    "length_constraints:number_sentences": [{"num_sentences": 3, "relation": "less than"},
                                            {"num_sentences": 3, "relation": "at least"}],
    "length_constraints:number_paragraphs": [{"num_paragraphs": 3}],
    "length_constraints:number_words": [{"num_words": 50, "relation": "less than"},
                                        {"num_words": 50, "relation": "at least"}],
    "length_constraints:nth_paragraph_first_word": [
        {"num_paragraphs": 3, "nth_paragraph": 2, "first_word": "however"}],
    "detectable_content:number_placeholders": [{"num_placeholders": 2}],
    "detectable_content:postscript": [{"postscript_marker": "P.S."},
                                      {"postscript_marker": "P.P.S"}],
    "detectable_format:number_bullet_lists": [{"num_bullets": 3}],
    "detectable_format:constrained_response": [{}],
    "detectable_format:number_highlighted_sections": [{"num_highlights": 2}],
    "detectable_format:multiple_sections": [{"section_spliter": "SECTION", "num_sections": 2},
                                            {"section_spliter": "Section", "num_sections": 4}],
    "detectable_format:json_format": [{}],
    "detectable_format:title": [{}],
    "combination:two_responses": [{}],
    "combination:repeat_prompt": [{"prompt_to_repeat": "Write a haiku about the sea."}],
    "startend:end_checker": [{"end_phrase": "Any other questions?"}],
    "change_case:capital_word_frequency": [{"capital_frequency": 3,
                                            "capital_relation": "at least"}],
    "change_case:english_capital": [{}],
    "change_case:english_lowercase": [{}],
    "punctuation:no_comma": [{}],
    "startend:quotation": [{}],
}
"""Arguments for every IFEval id, as IFEval's data writes them."""

ALL_ARGUMENTS = sorted({name for ks in KWARGS.values() for k in ks for name in k})


def test_every_ifeval_id_is_covered() -> None:
    lm_eval_ids = {
        "keywords:existence", "keywords:frequency", "keywords:forbidden_words",
        "keywords:letter_frequency", "language:response_language",
        "length_constraints:number_sentences", "length_constraints:number_paragraphs",
        "length_constraints:number_words", "length_constraints:nth_paragraph_first_word",
        "detectable_content:number_placeholders", "detectable_content:postscript",
        "detectable_format:number_bullet_lists", "detectable_format:constrained_response",
        "detectable_format:number_highlighted_sections", "detectable_format:multiple_sections",
        "detectable_format:json_format", "detectable_format:title",
        "combination:two_responses", "combination:repeat_prompt", "startend:end_checker",
        "change_case:capital_word_frequency", "change_case:english_capital",
        "change_case:english_lowercase", "punctuation:no_comma", "startend:quotation",
    }
    assert set(IFEVAL_IDS) == lm_eval_ids == set(KWARGS)
    kinds = all_kinds()
    for instruction_id in IFEVAL_IDS:
        assert set(ifeval_kinds(instruction_id)) <= set(kinds), instruction_id


@pytest.mark.parametrize(("instruction_id", "kwargs"),
                         [(i, k) for i, ks in KWARGS.items() for k in ks])
def test_round_trip(instruction_id: str, kwargs: dict[str, Any]) -> None:
    constraint = from_ifeval(instruction_id, kwargs)
    assert constraint.kind in ifeval_kinds(instruction_id)
    back = to_ifeval(constraint)
    assert back is not None
    assert back[0] == instruction_id
    assert from_ifeval(*back) == constraint
    # the published dataset lists every argument of every instruction, null where unused
    padded = {**dict.fromkeys(ALL_ARGUMENTS), **kwargs}
    assert from_ifeval(instruction_id, padded) == constraint


def test_relations_and_single_words() -> None:
    assert from_ifeval("length_constraints:number_sentences",
                       {"num_sentences": 3, "relation": "less than"}) == MaxSentences(2)
    assert from_ifeval("length_constraints:number_words",
                       {"num_words": 50, "relation": "less than"}) == MaxWords(50)
    assert from_ifeval("detectable_format:constrained_response", None) == ConstrainedResponse(
        IFEVAL_OPTIONS)
    assert to_ifeval(IncludeWord("market")) == ("keywords:existence", {"keywords": ["market"]})
    assert from_ifeval(*to_ifeval(IncludeWord("market")) or ("", {})) == IncludeKeywords(
        ("market",))
    assert to_ifeval(AvoidWord("total")) == ("keywords:forbidden_words",
                                             {"forbidden_words": ["total"]})
    assert from_ifeval(*to_ifeval(AvoidWord("total")) or ("", {})) == AvoidKeywords(("total",))
    assert to_ifeval(MaxSentences(4)) == ("length_constraints:number_sentences",
                                          {"num_sentences": 5, "relation": "less than"})
    assert to_ifeval(all_kinds()["format:no_bold"]()) is None
    assert to_ifeval(ConstrainedResponse(("A.", "B."))) is None


@pytest.mark.parametrize(
    ("instruction_id", "kwargs", "field"),
    [
        ("keywords:nope", {}, "instruction_id_list"),
        ("length_constraints:number_words", {"num_words": 50}, "kwargs.relation"),
        ("length_constraints:number_words", {"num_words": "50", "relation": "at least"},
         "kwargs.num_words"),
        ("length_constraints:number_words", {"num_words": 50, "relation": "at most"},
         "kwargs.relation"),
        ("length_constraints:number_words", {"num_words": 50, "relation": "at least",
                                             "bogus": 1}, "kwargs"),
        ("length_constraints:number_sentences", {"num_sentences": 1, "relation": "less than"},
         "kwargs.num_sentences"),
        ("language:response_language", {"language": "xx"}, "kwargs"),
        ("keywords:existence", {"keywords": [1, 2]}, "kwargs.keywords"),
        ("keywords:existence", ["not", "a", "dict"], "kwargs"),
    ],
)
def test_errors_name_the_field(instruction_id: str, kwargs: Any, field: str) -> None:
    with pytest.raises(SustainInputError) as err:
        from_ifeval(instruction_id, kwargs)
    assert err.value.field == field


# -- sustain check --ifeval ----------------------------------------------------------------------

ROWS = [
    {"key": 1000, "prompt": "Write a short note about eggs.",
     "instruction_id_list": ["punctuation:no_comma", "length_constraints:number_words"],
     "kwargs": [{}, {"num_words": 5, "relation": "at least"}]},
    {"key": 1001, "prompt": "Give a title to a poem.",
     "instruction_id_list": ["detectable_format:title"], "kwargs": [{"end_phrase": None}]},
    {"key": 1002, "prompt": "Say something.",
     "instruction_id_list": ["startend:quotation"], "kwargs": [{}]},
]


def _write(path: Path, lines: list[Any]) -> Path:
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_check_ifeval_both_output_forms(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    rows = _write(tmp_path / "input_data.jsonl", ROWS)
    outputs = _write(tmp_path / "responses.jsonl", [
        {"prompt": "Write a short note about eggs.  ",
         "response": "Eggs are fresh and cheap today"},
        {"id": "1001", "output": "A poem without a title."},
        {"prompt": "Not a prompt of the file.", "response": "x"},
    ])
    code, out, err = run(capsys, "check", "--ifeval", rows, "--outputs", outputs,
                         "--format", "json")
    assert code == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in results] == ["1000", "1001", "1002"]
    assert results[0]["compliant"] is True
    assert [c["ifeval_id"] for c in results[0]["results"]] == ROWS[0]["instruction_id_list"]
    assert results[1]["compliant"] is False
    assert results[1]["results"][0]["kind"] == "format:title"
    assert results[2]["error"] == "no response for this key"
    assert "prompt-level accuracy (strict): 0.500" in err
    assert "(1/2)" in err
    assert "instruction-level accuracy (strict): 0.667" in err
    assert "(2/3)" in err
    assert "responses matching no row, ignored: 1" in err
    code, out, _ = run(capsys, "check", "--ifeval", rows, "--outputs", outputs)
    assert code == 0
    assert "detectable_format:title" in out


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ({**ROWS[0], "instruction_id_list": ["keywords:nope", "punctuation:no_comma"]},
         "field 'instruction_id_list[0]'"),
        ({**ROWS[0], "kwargs": [{}, {"num_words": 5}]}, "field 'kwargs[1].relation'"),
        ({**ROWS[0], "kwargs": [{}]}, "field 'kwargs'"),
        ({k: v for k, v in ROWS[0].items() if k != "prompt"}, "field 'prompt'"),
        ({**ROWS[0], "kwargs": [{}, {"num_words": 5, "relation": "at least", "x": 1}]},
         "field 'kwargs[1]'"),
    ],
)
def test_check_ifeval_bad_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               row: dict[str, Any], where: str) -> None:
    rows = _write(tmp_path / "input_data.jsonl", [ROWS[1], row])
    outputs = _write(tmp_path / "out.jsonl", [{"id": "1000", "output": "x"}])
    code, _, err = run(capsys, "check", "--ifeval", rows, "--outputs", outputs)
    assert code == 2
    assert f"input_data.jsonl:2: {where}" in err
    assert "Traceback" not in err


def test_check_ifeval_bad_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _write(tmp_path / "input_data.jsonl", ROWS)
    bad = _write(tmp_path / "out.jsonl", [{"id": "1000", "output": "x"}, {"text": "y"}])
    code, _, err = run(capsys, "check", "--ifeval", rows, "--outputs", bad)
    assert code == 2
    assert "out.jsonl:2:" in err
    twice = _write(tmp_path / "twice.jsonl", [{"id": "1000", "output": "x"},
                                              {"prompt": ROWS[0]["prompt"], "response": "y"}])
    code, _, err = run(capsys, "check", "--ifeval", rows, "--outputs", twice)
    assert code == 2
    assert "twice.jsonl:2: field 'response': a second response for key 1000" in err
    none = _write(tmp_path / "none.jsonl", [{"id": "77", "output": "x"}])
    code, _, err = run(capsys, "check", "--ifeval", rows, "--outputs", none)
    assert code == 2
    assert "match no row" in err


def test_check_ifeval_reads_the_chosen_variant(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    rows = _write(tmp_path / "input_data.jsonl", ROWS[:1])
    outputs = _write(tmp_path / "out.jsonl", [
        {"id": "1000", "output": "x, y", "variant": "plain"},
        {"id": "1000", "output": "eggs are fresh and cheap today", "variant": "constrained"},
    ])
    code, out, _ = run(capsys, "check", "--ifeval", rows, "--outputs", outputs, "--format",
                       "json")
    assert code == 0
    assert json.loads(out)["compliant"] is True
    code, out, _ = run(capsys, "check", "--ifeval", rows, "--outputs", outputs, "--format",
                       "json", "--variant", "plain")
    assert json.loads(out)["compliant"] is False


def test_check_needs_exactly_one_source(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    outputs = _write(tmp_path / "out.jsonl", [{"id": "1", "output": "x"}])
    code, _, err = run(capsys, "check", "--outputs", outputs)
    assert code == 2
    assert "exactly one of --constraints and --ifeval" in err


def test_catalogue_says_how_each_kind_is_extracted(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "constraints", "--format", "json")
    assert code == 0
    entries = {e["id"]: e for e in map(json.loads, out.splitlines())}
    assert entries["length:max_words"]["extraction"] == "default"
    assert entries["length:min_words"]["extraction"] == "by id"
    assert entries["format:end_phrase"]["extraction"] == "file only"
    code, out, _ = run(capsys, "constraints", "--kinds", "format")
    assert "format:repeat_prompt" in out
    assert "file only" in out
