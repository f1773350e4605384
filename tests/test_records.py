"""Constraints and outputs files: round trips and located errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sustain_tasks.constraints import get_kind
from sustain_tasks.errors import SustainInputError
from sustain_tasks.records import (
    ConstraintSet,
    OutputRecord,
    iter_jsonl,
    normalise_task,
    read_constraints_file,
    read_outputs_file,
    write_constraints_file,
    write_outputs_file,
)


def _write(path: Path, *lines: object) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines),
                    encoding="utf-8")
    return path


MAX_WORDS = {"kind": "length:max_words", "params": {"limit": 100}, "text": "..."}


def test_constraints_round_trip(tmp_path: Path) -> None:
    cls = get_kind("length:max_words")
    sets = [ConstraintSet("7", "gsm8k", "self", (cls(limit=100),)),
            ConstraintSet("8", "gsm8k", "reference", (cls(limit=50),))]
    path = tmp_path / "sub" / "c.jsonl"
    assert write_constraints_file(path, sets) == 2
    back = read_constraints_file(path, task="sustain_gsm8k")
    assert list(back) == ["7", "8"]
    assert back["7"].constraints == (cls(limit=100),)
    assert (back["8"].source, back["8"].line, back["8"].task) == ("reference", 2, "gsm8k")
    assert json.loads(path.read_text().splitlines()[0])["constraints"][0]["text"] == \
        "Use fewer than 100 words in your whole response."


@pytest.mark.parametrize(("line", "field", "message"), [
    ({"task": "gsm8k", "constraints": [MAX_WORDS]}, "id", "missing"),
    ({"id": True, "task": "gsm8k", "constraints": [MAX_WORDS]}, "id", "string or an integer"),
    ({"id": "1", "constraints": [MAX_WORDS]}, "task", "missing"),
    ({"id": "1", "task": "math500", "constraints": [MAX_WORDS]}, "task", "not 'gsm8k'"),
    ({"id": "1", "task": "gsm8k", "source": "guess", "constraints": [MAX_WORDS]}, "source",
     "must be one of"),
    ({"id": "1", "task": "gsm8k", "constraints": []}, "constraints", "non-empty"),
    ({"id": "1", "task": "gsm8k", "constraints": [{"kind": "length:nope", "params": {}}]},
     "constraints[0].kind", "unknown constraint id 'length:nope'"),
    ({"id": "1", "task": "gsm8k", "constraints": [MAX_WORDS, {"kind": "length:max_words",
                                                              "params": {"limit": "x"}}]},
     "constraints[1].params.limit", "expected int"),
])
def test_constraints_errors_name_line_and_field(tmp_path: Path, line: dict[str, object],
                                                field: str, message: str) -> None:
    path = _write(tmp_path / "c.jsonl", {"id": "0", "task": "gsm8k", "constraints": [MAX_WORDS]},
                  "", line)
    with pytest.raises(SustainInputError, match=message) as err:
        read_constraints_file(path, task="gsm8k")
    assert (err.value.path, err.value.line, err.value.field) == (str(path), 3, field)
    assert str(err.value).startswith(f"{path}:3: field '{field}': ")


def test_constraints_duplicate_id(tmp_path: Path) -> None:
    line = {"id": 3, "task": "gsm8k", "constraints": [MAX_WORDS]}
    path = _write(tmp_path / "c.jsonl", line, dict(line, id="3"))
    with pytest.raises(SustainInputError, match=r"duplicate id '3' \(first on line 1\)"):
        read_constraints_file(path)


def test_malformed_and_missing_files(tmp_path: Path) -> None:
    path = _write(tmp_path / "o.jsonl", {"id": "1", "output": "a"}, '{"id": "2", "output": ')
    with pytest.raises(SustainInputError, match="malformed JSON") as err:
        read_outputs_file(path)
    assert err.value.line == 2
    path = _write(tmp_path / "o2.jsonl", "[1, 2]")
    with pytest.raises(SustainInputError, match="expected a JSON object, got list"):
        list(iter_jsonl(path))
    with pytest.raises(SustainInputError, match="file not found"):
        read_outputs_file(tmp_path / "nope.jsonl")
    with pytest.raises(SustainInputError, match="is a folder"):
        read_outputs_file(tmp_path)
    bad = tmp_path / "bin.jsonl"
    bad.write_bytes(b'{"id": "1", "output": "\xff"}\n')
    with pytest.raises(SustainInputError, match="not UTF-8"):
        read_outputs_file(bad)


def test_outputs_round_trip_and_fields(tmp_path: Path) -> None:
    records = [OutputRecord("1", "text"), OutputRecord("1", "", "constrained", "18")]
    path = tmp_path / "o.jsonl"
    write_outputs_file(path, records)
    back = read_outputs_file(path)
    assert [(r.id, r.output, r.variant, r.target, r.line) for r in back] == [
        ("1", "text", None, None, 1), ("1", "", "constrained", "18", 2)]
    path = _write(tmp_path / "o2.jsonl", {"id": 5, "output": None, "target": 18})
    [r] = read_outputs_file(path)
    assert (r.id, r.output, r.target) == ("5", "", "18")


@pytest.mark.parametrize(("line", "field"), [
    ({"output": "x"}, "id"),
    ({"id": "1"}, "output"),
    ({"id": "1", "output": 3}, "output"),
    ({"id": "1", "output": "x", "variant": "final"}, "variant"),
    ({"id": "1", "output": "x", "target": [1]}, "target"),
    ({"id": "1", "output": "x", "target": "  "}, "target"),
    ({"id": "1", "output": "x", "target": True}, "target"),
    ({"id": "", "output": "x"}, "id"),
    ({"id": 1.5, "output": "x"}, "id"),
])
def test_outputs_errors(tmp_path: Path, line: dict[str, object], field: str) -> None:
    path = _write(tmp_path / "o.jsonl", line)
    with pytest.raises(SustainInputError) as err:
        read_outputs_file(path)
    assert (err.value.line, err.value.field) == (1, field)


def test_outputs_duplicates(tmp_path: Path) -> None:
    path = _write(tmp_path / "o.jsonl", {"id": "1", "output": "a"}, {"id": "1", "output": "b"})
    with pytest.raises(SustainInputError, match=r"duplicate id '1' \(first on line 1\)"):
        read_outputs_file(path)
    assert len(read_outputs_file(path, allow_duplicates=True)) == 2


def test_normalise_task() -> None:
    assert normalise_task("sustain_gsm8k") == "gsm8k"
    assert normalise_task("sustainscore/sustain_GSM8K") == "gsm8k"
    assert normalise_task("math500") == "math500"


# -- question-keyed outputs (replay) ---------------------------------------------------------

def test_outputs_keyed_by_question_only_when_allowed(tmp_path: Path) -> None:
    path = _write(tmp_path / "o.jsonl", {"id": "1", "output": "a"},
                  {"question": "  How many apples?  ", "output": "b", "variant": "plain"},
                  {"question": "How many apples?", "output": "c"})
    with pytest.raises(SustainInputError) as err:
        read_outputs_file(path)  # verify and check need ids
    assert (err.value.line, err.value.field) == (2, "id")
    records = read_outputs_file(path, allow_question=True)
    assert [(r.id, r.question, r.variant, r.output) for r in records] == [
        ("1", None, None, "a"), (None, "How many apples?", "plain", "b"),
        (None, "How many apples?", None, "c")]
    assert records[1].to_record() == {"question": "How many apples?", "output": "b",
                                      "variant": "plain"}


@pytest.mark.parametrize(("lines", "line", "field", "message"), [
    ([{"output": "x"}], 1, "id", "or a 'question'"),
    ([{"question": "", "output": "x"}], 1, "question", "non-empty"),
    ([{"question": 3, "output": "x"}], 1, "question", "non-empty"),
    ([{"question": "Q?", "output": "x"}, {"question": "Q?", "output": "y"}], 2, "question",
     r"duplicate question 'Q\?' \(first on line 1\)"),
])
def test_question_keyed_errors(tmp_path: Path, lines: list[dict[str, object]], line: int,
                               field: str, message: str) -> None:
    path = _write(tmp_path / "o.jsonl", *lines)
    with pytest.raises(SustainInputError, match=message) as err:
        read_outputs_file(path, allow_question=True)
    assert (err.value.line, err.value.field) == (line, field)


# -- hand-written constraints files are validated like extracted ones ------------------------

def test_constraints_conflicting_or_too_many(tmp_path: Path) -> None:
    lines = "lexical:no_commas", "format:no_bold", "length:max_lines", "lexical:all_lowercase"
    records = [{"kind": k, "params": get_kind(k).example().params(), "text": "."}
               for k in lines]
    too_many = {"id": "1", "task": "gsm8k", "constraints": records}
    path = _write(tmp_path / "c.jsonl", {"id": "0", "task": "gsm8k", "constraints": [MAX_WORDS]},
                  too_many)
    with pytest.raises(SustainInputError, match="4 constraints given; at most 3") as err:
        read_constraints_file(path)
    assert (err.value.line, err.value.field) == (2, "constraints")
    same = {"id": "1", "task": "gsm8k", "constraints": [MAX_WORDS, dict(MAX_WORDS, params={
        "limit": 50})]}
    path = _write(tmp_path / "c2.jsonl", same)
    with pytest.raises(SustainInputError, match=r"constraints\[0\] \(length:max_words\) and "
                       r"constraints\[1\] \(length:max_words\) conflict") as err:
        read_constraints_file(path)
    assert (err.value.path, err.value.line, err.value.field) == (str(path), 1, "constraints")
    chars = {"kind": "length:max_characters",
             "params": get_kind("length:max_characters").example().params(), "text": "."}
    pair = {"id": "1", "task": "gsm8k", "source": "reference", "constraints": [chars, MAX_WORDS]}
    path = _write(tmp_path / "c3.jsonl", pair)
    with pytest.raises(SustainInputError, match=r"length:max_characters.*length:max_words"):
        read_constraints_file(path)


def test_constraints_source_defaults_to_self(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.jsonl", {"id": "0", "task": "gsm8k", "constraints": [MAX_WORDS]})
    assert read_constraints_file(path)["0"].source == "self"
    assert "self" in (read_constraints_file.__doc__ or "").split("source")[1]
