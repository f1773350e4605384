"""Offline models, prompt lookup and the ``sustain lm-eval`` argument handling."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from sustain_tasks.benchmarks import Item, get_benchmark
from sustain_tasks.constraints import constraint_from_record
from sustain_tasks.errors import SustainInputError
from sustain_tasks.lm_eval import MODELS, include_path, prepare_argv, register_models
from sustain_tasks.lm_eval.lookup import PromptIndex, variant_of_suffix
from sustain_tasks.protocol import constrained_prompt, placebo_prompt

pytestmark = pytest.mark.lm_eval

LIMIT = constraint_from_record({"kind": "length:max_words", "params": {"limit": 500}})


def _request(prompt: str, doc: Any = None, until: list[str] | None = None) -> Any:
    return SimpleNamespace(args=(prompt, {"until": until or []}), doc=doc)


@pytest.fixture(scope="module")
def index(data_dir: Path) -> PromptIndex:
    return PromptIndex(data_dir=data_dir)


def _wrapped(prompt: str, item: Item) -> dict[str, str]:
    """Prompt -> expected variant, for every way a prompt reaches a model."""
    return {
        prompt: "plain",
        constrained_prompt(prompt, [LIMIT]): "constrained",
        placebo_prompt(prompt, [LIMIT], key=item.id): "placebo",
        f"<|user|>\n{prompt}\n<|assistant|>\n": "plain",
        f"You are a careful assistant.\n\n{constrained_prompt(prompt, [LIMIT])}\n\nAnswer:":
            "constrained",
    }


@pytest.mark.parametrize("bench_name", ["gsm8k", "math500", "hotpotqa"])
def test_lookup_by_prompt(index: PromptIndex, bench_items: dict[str, list[Item]],
                          bench_name: str) -> None:
    bench = get_benchmark(bench_name)
    item = bench_items[bench_name][7]
    for prompt, variant in _wrapped(bench.prompt(item), item).items():
        found = index.find(prompt)
        assert found is not None, prompt
        assert found.benchmark.name == bench_name
        assert found.item == item
        if prompt.startswith("<|user|>"):
            assert found.variant is None
        else:
            assert found.variant == variant
    assert index.find("What is the capital of France?") is None


@pytest.mark.slow
@pytest.mark.parametrize("scan_questions", [False, True], ids=["by-prompt", "by-question"])
def test_lookup_of_every_long_hotpotqa_prompt(data_dir: Path, bench_items: dict[str, list[Item]],
                                              scan_questions: bool) -> None:
    """HotpotQA prompts hold ten paragraphs (~6,000 characters). Every item is found from every
    form of its prompt by its whole plain prompt, without the question scan (by-prompt); the
    question scan alone finds them as well (by-question; slow, so a sample of items)."""
    bench = get_benchmark("hotpotqa")
    index = PromptIndex(data_dir=data_dir)
    index.find("load every benchmark")
    for ix in index._loaded.values():
        assert ix is not None
        if scan_questions:
            ix.by_prompt = {}
            ix.lengths = frozenset()
        else:
            ix.questions = []
    items = bench_items["hotpotqa"][::25] if scan_questions else bench_items["hotpotqa"]
    prompts = [(p, v, item) for item in items
               for p, v in _wrapped(bench.prompt(item), item).items()]
    assert sum(len(p) for p, _, _ in prompts) / len(prompts) > 4000
    found = [(index.find(prompt), variant, item) for prompt, variant, item in prompts]
    assert [item.id for match, _, item in found if match is None or match.item != item] == []
    if not scan_questions:
        # how fast (well under 0.1 ms a lookup): tests/perf/bench_lookups.py
        assert all(match.variant in (variant, None) for match, variant, _ in found if match)
    assert index.find("\n\n".join(["Nothing to see here."] * 400)) is None


def test_variant_of_suffix() -> None:
    assert variant_of_suffix("") == "plain"
    assert variant_of_suffix("\n\nIn your response, also follow these instructions:\n- x") == (
        "constrained")
    assert variant_of_suffix("\n\nThis is one item of a test set.") == "placebo"
    assert variant_of_suffix("\n\nSomething else entirely.") is None


@pytest.mark.slow
@pytest.mark.parametrize("bench_name", ["gsm8k", "math500", "hotpotqa"])
def test_reference_model_answers_by_doc_and_by_prompt(data_dir: Path, bench_name: str,
                                                      bench_items: dict[str, list[Item]]
                                                      ) -> None:
    from sustain_tasks.lm_eval.models import ReferenceLM

    lm = ReferenceLM(data_dir=str(data_dir), batch_size=1, device="cpu")
    item = bench_items[bench_name][3]
    prompt = get_benchmark(bench_name).prompt(item)
    doc = {"task": bench_name, "id": item.id, "variant": "constrained"}
    out = lm.generate_until([_request("unrelated text", doc), _request(prompt),
                             _request(constrained_prompt(prompt, [LIMIT])),
                             _request(prompt, until=["\n"])])
    assert out[0] == out[1] == out[2] == item.reference
    assert out[3] == item.reference.split("\n")[0]
    with pytest.raises(SustainInputError, match="matches the prompt"):
        lm.generate_until([_request("no such prompt")])
    with pytest.raises(SustainInputError, match="not in the"):
        lm.generate_until([_request("x", {"task": bench_name, "id": "no-such-id"})])
    with pytest.raises(NotImplementedError):
        lm.loglikelihood([])


def test_replay_model_answers_per_variant(data_dir: Path, tmp_path: Path,
                                          gsm8k_items: list[Item]) -> None:
    from sustain_tasks.lm_eval.models import ReplayLM

    path = tmp_path / "outputs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"id": "0", "output": "any variant"},
        {"id": "1", "output": "plain one", "variant": "plain"},
        {"id": "1", "output": "constrained one", "variant": "constrained"},
    ]) + "\n")
    lm = ReplayLM(outputs=str(path), data_dir=str(data_dir), tasks="gsm8k")
    bench = get_benchmark("gsm8k")
    p0, p1 = (bench.prompt(gsm8k_items[i]) for i in (0, 1))
    out = lm.generate_until([
        _request(p0), _request(constrained_prompt(p0, [LIMIT])),
        _request(p1), _request(constrained_prompt(p1, [LIMIT])),
        _request("ignored", {"task": "gsm8k", "id": "1", "variant": "constrained"}),
    ])
    assert out == ["any variant", "any variant", "plain one", "constrained one",
                   "constrained one"]
    with pytest.raises(SustainInputError, match="no recorded output") as info:
        lm.generate_until([_request(bench.prompt(gsm8k_items[2]))])
    assert info.value.path == str(path)


def test_replay_model_errors(data_dir: Path, tmp_path: Path) -> None:
    from sustain_tasks.lm_eval.models import ReplayLM

    with pytest.raises(SustainInputError, match="outputs="):
        ReplayLM(data_dir=str(data_dir))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "0", "output": "x"}\n{"id": "1"}\n')
    with pytest.raises(SustainInputError) as info:
        ReplayLM(outputs=str(bad), data_dir=str(data_dir))
    assert (info.value.line, info.value.field) == (2, "output")


def test_models_register_lazily_and_resolve() -> None:
    from lm_eval.api.registry import get_model

    register_models()
    register_models()  # idempotent
    from sustain_tasks.lm_eval.models import ReferenceLM, ReplayLM

    assert get_model("sustain-reference") is ReferenceLM
    assert get_model("sustain-replay") is ReplayLM
    assert get_model("local-completions").__name__ == "LocalCompletionsAPI"
    assert set(MODELS) == {"sustain-reference", "sustain-replay"}


def test_prepare_argv() -> None:
    here = str(include_path())
    assert prepare_argv([]) == []
    assert prepare_argv(["--help"]) == ["--help"]
    assert prepare_argv(["--model", "hf", "--tasks", "x"]) == [
        "--model", "hf", "--tasks", "x", "--include_path", here]
    assert prepare_argv(["--include_path", "/elsewhere", "--tasks", "x"]) == [
        "--include_path", "/elsewhere", "--tasks", "x"]
    assert prepare_argv(["ls", "tasks"]) == ["ls", "tasks", "--include_path", here]
    assert prepare_argv(["--model", "sustain-reference"])[-2:] == [
        "--model_args", "model=sustain-reference"]
    assert prepare_argv(["--model=sustain-replay", "--model_args", "outputs=o.jsonl"])[:3] == [
        "--model=sustain-replay", "--model_args", "model=sustain-replay,outputs=o.jsonl"]
    assert prepare_argv(["--model", "sustain-replay", "--model_args=model=m,outputs=o"])[:3] == [
        "--model", "sustain-replay", "--model_args=model=m,outputs=o"]


def test_replay_model_answers_lines_keyed_by_question(data_dir: Path, tmp_path: Path,
                                                      gsm8k_items: list[Item]) -> None:
    """A line may give the question text found in the prompt instead of the sample id, as
    Inspect's sustain/replay accepts; an id line wins over a question line."""
    from sustain_tasks.lm_eval.models import ReplayLM

    q0, q1, q2 = (gsm8k_items[i].question for i in (0, 1, 2))
    path = tmp_path / "outputs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"question": q0, "output": "by question, any variant"},
        {"question": q1, "output": "by question, plain", "variant": "plain"},
        {"question": q1[: len(q1) // 2], "output": "by a part of the question",
         "variant": "constrained"},
        {"id": "2", "output": "by id"},
        {"question": q2, "output": "never used: the id line wins"},
    ]) + "\n")
    lm = ReplayLM(outputs=str(path), data_dir=str(data_dir), tasks="gsm8k")
    bench = get_benchmark("gsm8k")
    p0, p1, p2 = (bench.prompt(gsm8k_items[i]) for i in (0, 1, 2))
    out = lm.generate_until([
        _request(p0), _request(constrained_prompt(p0, [LIMIT])),
        _request(p1), _request(constrained_prompt(p1, [LIMIT])),
        _request(p2),
        _request("ignored", {"task": "gsm8k", "id": "0", "variant": "plain"}),
    ])
    assert out == ["by question, any variant", "by question, any variant",
                   "by question, plain", "by a part of the question", "by id",
                   "by question, any variant"]
    with pytest.raises(SustainInputError, match="no recorded output"):
        lm.generate_until([_request(bench.prompt(gsm8k_items[3]))])
