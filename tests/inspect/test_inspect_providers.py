"""The offline providers outside an eval: replay files, item and variant identification."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.model import ChatMessageUser, Model, get_model

from sustain_tasks._inspect.context import variant_from_prompt
from sustain_tasks._inspect.providers import ReplayBook, count_words
from sustain_tasks.benchmarks import Item, get_benchmark
from sustain_tasks.constraints import get_kind
from sustain_tasks.errors import SustainInputError
from sustain_tasks.protocol import constrained_prompt, placebo_prompt

import sustain_tasks._registry  # noqa: F401  isort: skip  - registers the sustain provider


def write(path: Path, *lines: Any) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines),
                    encoding="utf-8")
    return path


def model(name: str, **model_args: Any) -> Model:
    return get_model(f"sustain/{name}", memoize=False, **model_args)


def complete(m: Model, prompt: str) -> str:
    output = asyncio.run(m.generate([ChatMessageUser(content=prompt)]))
    return output.completion


# -- replay files ---------------------------------------------------------------------------
@pytest.mark.parametrize(("line", "field"), [
    ("{not json", None),
    ("[1, 2]", None),
    ({"id": "1"}, "output"),
    ({"id": "1", "output": 3}, "output"),
    ({"id": True, "output": "x"}, "id"),
    ({"id": ["1"], "output": "x"}, "id"),
    ({"output": "x"}, "id"),
    ({"question": "  ", "output": "x"}, "question"),
    ({"id": "1", "output": "x", "variant": "bold"}, "variant"),
])
def test_malformed_replay_lines_name_file_line_field(tmp_path: Path, line: Any,
                                                     field: str | None) -> None:
    path = write(tmp_path / "out.jsonl", {"id": "0", "output": "fine"}, "", line)
    with pytest.raises(SustainInputError) as info:
        ReplayBook(path)
    assert info.value.path == str(path)
    assert info.value.line == 3
    assert info.value.field == field


def test_duplicate_replay_line_points_to_the_first(tmp_path: Path) -> None:
    path = write(tmp_path / "out.jsonl", {"id": 7, "output": "a", "variant": "plain"},
                 {"id": "7", "output": "b", "variant": "plain"})
    with pytest.raises(SustainInputError, match="line 1") as info:
        ReplayBook(path)
    assert info.value.line == 2


def test_missing_or_empty_replay_file(tmp_path: Path) -> None:
    with pytest.raises(SustainInputError, match="file not found"):
        ReplayBook(tmp_path / "absent.jsonl")
    with pytest.raises(SustainInputError, match="no recorded outputs"):
        ReplayBook(write(tmp_path / "empty.jsonl", ""))


def test_replay_lookup_order(tmp_path: Path) -> None:
    book = ReplayBook(write(
        tmp_path / "out.jsonl",
        {"id": "1", "output": "any"},
        {"id": "1", "output": "constrained one", "variant": "constrained"},
        {"question": "How many apples", "output": "by question"},
        {"question": "How many apples are left?", "output": "longest question",
         "variant": "plain"},
    ))
    assert book.find("1", "constrained", "").output == "constrained one"  # type: ignore[union-attr]
    assert book.find("1", "retest", "").output == "any"  # type: ignore[union-attr]
    prompt = "Problem: How many apples are left?"
    assert book.find(None, "plain", prompt).output == "longest question"  # type: ignore[union-attr]
    assert book.find("9", "placebo", prompt).output == "by question"  # type: ignore[union-attr]
    assert book.find("9", "plain", "unrelated") is None


# -- provider construction ------------------------------------------------------------------
@pytest.mark.parametrize(("name", "args", "field"), [
    ("replay", {}, "outputs"),
    ("oracle", {}, "model"),
    ("reference", {"outputs": "x.jsonl"}, "outputs"),
    ("reference", {"temperature_hack": 1}, "model_args"),
    ("reference", {"task": "nope"}, "task"),
    ("replay", {"outputs": "/nonexistent.jsonl"}, "outputs"),
])
def test_bad_provider_arguments(name: str, args: dict[str, Any], field: str) -> None:
    with pytest.raises(SustainInputError, match=f"field '{field}'"):
        model(name, **args)


def test_replay_error_message_keeps_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "out.jsonl", {"id": "0", "output": 1})
    with pytest.raises(SustainInputError) as info:
        model("replay", outputs=str(path))
    assert info.value.message.startswith(f"{path}:1: field 'output'")


# -- generation outside an eval: identification from the prompt -------------------------
@pytest.fixture
def item(data_dir: Path) -> Item:
    return get_benchmark("gsm8k").load(data_dir, limit=3)[2]


def test_reference_finds_the_item_from_the_prompt(item: Item, data_dir: Path) -> None:
    prompt = get_benchmark("gsm8k").prompt(item)
    assert complete(model("reference", task="gsm8k", data_dir=str(data_dir)),
                    prompt) == item.reference


def test_reference_searches_local_data_without_a_task(item: Item, data_dir: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUSTAIN_DATA_DIR", str(data_dir))
    assert complete(model("reference"), f"Please solve: {item.question}") == item.reference


def test_reference_without_a_match_is_a_clear_error(data_dir: Path) -> None:
    m = model("reference", task="gsm8k", data_dir=str(data_dir))
    with pytest.raises(SustainInputError, match="whose question appears in the prompt"):
        complete(m, "What is the capital of France?")


def test_replay_picks_the_variant_from_the_prompt(item: Item, tmp_path: Path) -> None:
    plain = get_benchmark("gsm8k").prompt(item)
    constraints = [get_kind("length:max_words")(200)]  # type: ignore[call-arg]
    path = write(tmp_path / "out.jsonl",
                 {"question": item.question, "variant": "plain", "output": "p"},
                 {"question": item.question, "variant": "constrained", "output": "c"},
                 {"question": item.question, "variant": "placebo", "output": "x"})
    m = model("replay", outputs=str(path))
    assert complete(m, plain) == "p"
    assert complete(m, constrained_prompt(plain, constraints)) == "c"
    assert complete(m, placebo_prompt(plain, constraints, key=item.id)) == "x"


def test_replay_missing_answer(item: Item, tmp_path: Path) -> None:
    path = write(tmp_path / "out.jsonl", {"question": item.question, "variant": "plain",
                                          "output": "p"})
    prompt = constrained_prompt(item.question, [get_kind("length:max_words")(200)])  # type: ignore[call-arg]
    with pytest.raises(SustainInputError, match="variant constrained") as info:
        complete(model("replay", outputs=str(path)), prompt)
    assert str(path) in info.value.message
    assert complete(model("replay", outputs=str(path), missing="empty"), prompt) == ""


def test_usage_and_token_counts_are_word_counts(item: Item, tmp_path: Path) -> None:
    path = write(tmp_path / "out.jsonl", {"question": item.question, "output": "one two three"})
    m = model("replay", outputs=str(path))
    output = asyncio.run(m.generate([ChatMessageUser(content=item.question)]))
    assert output.usage is not None
    assert output.usage.input_tokens == count_words(item.question)
    assert output.usage.output_tokens == 3
    assert output.usage.total_tokens == count_words(item.question) + 3
    assert asyncio.run(m.api.count_tokens("a b  c\nd")) == 4


# -- variant detection ----------------------------------------------------------------------
def test_variant_from_prompt() -> None:
    plain = "Solve this.\n\nProblem: Tom has two cats. This is one item of a test set."
    constraints = [get_kind("length:max_words")(100)]  # type: ignore[call-arg]
    assert variant_from_prompt(plain) == "plain"
    assert variant_from_prompt(constrained_prompt(plain, constraints)) == "constrained"
    assert variant_from_prompt(placebo_prompt(plain, constraints, key="1")) == "placebo"
    assert variant_from_prompt("This is one item of a test set.") == "plain"
