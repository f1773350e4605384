"""Extraction on long outputs: its work grows linearly, and Inspect runs it off the event loop.

No test here measures time (they must pass on a busy machine). They count work instead: regular
expressions compiled, passes over the source, walks of a program's tree. The timings are in
``tests/perf/bench_extraction.py`` and ``tests/perf/RESULTS.md``.
"""

from __future__ import annotations

import ast
import asyncio
import random
import re
import string
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sustain_tasks.constraints import (
    SourceContext,
    check_all,
    conflicts,
    extract_constraints,
    get_kind,
    leaks_answer,
    text,
)
from sustain_tasks.constraints import lexical as lexical_kinds

GSM8K_STYLE = (
    "Janet sells 16 - 3 - 4 = 9 duck eggs a day.\n"
    "She makes 9 * 2 = $18 every day at the farmer's market.\n"
    "So the total is 18 dollars, e.g. about two dozen eggs' worth.\n\n"
)
CTX = SourceContext(task="gsm8k", item_id="7", seed=0, answers=("18",), required=("#### 18",))


def distinct_words(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct lower-case made-up words of 5 to 9 letters."""
    rng = random.Random(seed)
    found: dict[str, None] = {}
    while len(found) < n:
        found["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 9)))] = None
    return list(found)


def prose(words: list[str]) -> str:
    """Sentences of ten words each, then a GSM8K answer line."""
    lines = [" ".join(words[i:i + 10]).capitalize() + "." for i in range(0, len(words), 10)]
    return "\n".join(lines) + "\n#### 18"


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """How many regular expressions were compiled since the fixture started (``re`` keeps a
    cache of compiled patterns, which is emptied first, so cached patterns count too)."""
    compiler: Any = re._compiler  # type: ignore[attr-defined]  # Python >= 3.11
    original = compiler.compile
    count = 0

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal count
        count += 1
        return original(*args, **kwargs)

    extract_constraints(prose(distinct_words(30, seed=99)), CTX, k=3)  # loads every kind
    monkeypatch.setattr(compiler, "compile", counting)
    re.purge()
    return lambda: count


@pytest.mark.parametrize("kinds", [None, "lexical", "lexical:include_word"])
def test_no_pattern_is_compiled_per_distinct_word(compiled: Callable[[], int],
                                                  kinds: str | None) -> None:
    """Proposing a word to include used to compile one pattern per distinct word of the
    source (2-3 ms each); now the required fragments' words are compiled once."""
    chosen = extract_constraints(prose(distinct_words(2000)), CTX, k=3, kinds=kinds)
    assert chosen
    assert compiled() < 50  # a constant: the candidates' own checks, not 2000 words


def test_compiled_patterns_do_not_grow_with_the_source(compiled: Callable[[], int]) -> None:
    counts = []
    for n in (200, 4000):
        re.purge()
        before = compiled()
        extract_constraints(prose(distinct_words(n, seed=n)), CTX, k=3,
                            kinds="lexical:include_word")
        counts.append(compiled() - before)
    assert counts[1] <= counts[0] + 2, counts


FRAGMENTS = ["#### 18", "Answer:", "def sort_matrix(", "\\boxed{", "The answer is", "x-ray 3.5",
             # Kelvin sign, long s, sharp s, dotted and dotless i: equal to Latin letters
             # ignoring case
             "\u212aelvin \u017ftep Stra\u00dfe \u0130stanbul \u0131sland", "",
             "caf\u00e9 na\u00efve"]
WORDS = ["answer", "ANSWER", "answe", "answers", "sort", "matrix", "sort_matrix", "def", "boxed",
         "the", "xray", "ray", "x-ray", "3.5", "18", "kelvin", "KELVIN", "step", "STEP",
         "strasse", "stra\u00dfe", "STRA\u1e9eE", "istanbul", "i\u0307stanbul", "island",
         "ISLAND", "caf\u00e9", "CAF\u00c9", "cafe", "na\u00efve", "", "an swer"]


def test_the_word_test_agrees_with_has_word() -> None:
    """The fast test of many words against the required fragments answers as
    :func:`~sustain_tasks.constraints.text.has_word` does, case folding included."""
    for n in range(len(FRAGMENTS) + 1):
        fragments = FRAGMENTS[:n] if n % 2 else FRAGMENTS[n - 1:n]
        test = text.whole_word_test(fragments)
        for word in WORDS:
            expected = any(text.has_word(f, word) for f in fragments)
            assert test(word) is expected, (fragments, word)


@pytest.mark.parametrize("size", [10, 70_000, 300_000])
def test_pieces_cut_long_texts_only_before_whitespace(size: int) -> None:
    source = (GSM8K_STYLE + "x" * 100_000 + " \u2003" + prose(distinct_words(50)))[:size]
    found = list(text.pieces(source))
    assert "".join(found) == source
    assert all(piece[:1].isspace() for piece in found[1:])
    assert text.count_words(source) == len(text.WORD_RE.findall(text.strip_latex_commands(source)))


def test_number_words_are_told_as_numbers_in_tells_them() -> None:
    from sustain_tasks.constraints.leak import names_a_number, numbers_in

    words = ["seven", "Seven", "TWENTY", "hundred", "dozen", "twice", "and", "twentyone",
             "eggs", "market", "x", "", "s\u00e9ven", "\u00e9seven", "one-two", "3", "a1"]
    words += distinct_words(500)
    for word in words:
        assert names_a_number(word) is bool(numbers_in(word)), word


def test_the_source_is_split_into_sentences_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every sentence-based kind (and each of its candidates) used to split the whole source
    again; the split is now shared by all kinds within one extraction."""
    source = GSM8K_STYLE * 200 + "#### 18"
    calls: list[str] = []
    original = text._prose_runs

    def counting(value: str) -> Any:
        calls.append(value)
        return original(value)

    monkeypatch.setattr(text, "_prose_runs", counting)
    chosen = extract_constraints(
        source, CTX, k=3,
        kinds="length:max_sentences,length:max_words_per_sentence,content:reasoning_steps")
    assert chosen
    assert sum(value is source for value in calls) == 1


def test_checks_share_the_analysis_of_one_output(monkeypatch: pytest.MonkeyPatch) -> None:
    output = GSM8K_STYLE * 50 + "#### 18"
    constraints = [get_kind("length:max_sentences")(500),
                   get_kind("content:reasoning_steps")(500),
                   get_kind("length:max_words_per_sentence")(40)]
    calls: list[str] = []
    original = text._prose_runs

    def counting(value: str) -> Any:
        calls.append(value)
        return original(value)

    monkeypatch.setattr(text, "_prose_runs", counting)
    results = check_all(constraints, output)
    assert all(r.strict for r in results)
    assert sum(value is output for value in calls) == 1


def test_nothing_is_remembered_after_an_extraction() -> None:
    extract_constraints(GSM8K_STYLE, CTX, k=3)
    assert text._ANALYSIS.get() is None
    with text.shared_analysis():
        assert text._ANALYSIS.get() == {}
        seen: list[object] = []
        worker = threading.Thread(target=lambda: seen.append(text._ANALYSIS.get()))
        worker.start()
        worker.join()
        assert seen == [None]  # another thread does not share this one's results
    assert text._ANALYSIS.get() is None


CODE_SOURCE = "```python\n" + "\n\n".join(
    f"import math\n\n\ndef area_{i}(r: float) -> float:\n"
    f'    """Area number {i}."""\n'
    "    total = 0.0\n    for _ in range(3):\n        if r > 0:\n"
    "            total += math.pi * r * r\n    return total"
    for i in range(300)) + "\n```"


def test_a_program_is_walked_once_by_all_code_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Code kinds (and their candidates) used to walk the whole syntax tree again each; now
    the walk is shared through the cached program."""
    from sustain_tasks.constraints.code import program

    program.cache_clear()
    walks: list[ast.AST] = []
    original = ast.walk

    def counting(node: ast.AST) -> Iterator[ast.AST]:
        walks.append(node)
        return original(node)

    monkeypatch.setattr(ast, "walk", counting)
    ctx = SourceContext(task="mbpp", item_id="1", answers=("3",), required=("def area_0(",))
    chosen = extract_constraints(CODE_SOURCE, ctx, k=3, kinds="code")
    assert chosen
    assert sum(isinstance(node, ast.Module) for node in walks) == 1


def test_distinct_words_considered_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a huge output only the first ``MAX_DISTINCT_WORDS`` distinct words are candidates,
    and the word proposed is still one the source uses."""
    monkeypatch.setattr(lexical_kinds, "MAX_DISTINCT_WORDS", 20)
    words = distinct_words(400)
    source = prose(words)
    for seed in range(10):
        ctx = SourceContext(task="gsm8k", item_id="7", seed=seed, answers=("18",),
                            required=("#### 18",))
        chosen = extract_constraints(source, ctx, kinds="lexical:include_word")
        assert len(chosen) == 1
        word = chosen[0].to_record()["params"]["word"]
        assert word.lower() in words[:20]
        assert chosen[0].check(source)


@pytest.mark.parametrize("seed", range(3))
def test_constraints_from_a_long_output_hold_on_it(seed: int) -> None:
    """The extraction contract on a 300 KB output: every constraint is satisfied by its
    source, reveals no answer and none conflict."""
    source = (GSM8K_STYLE + prose(distinct_words(60, seed=seed))[:-8] + "\n\n") * 250
    source += "#### 18"
    ctx = SourceContext(task="gsm8k", item_id="7", seed=seed, answers=("18",),
                        required=("#### 18",))
    for kinds in (None, "lexical", "length", "content"):
        chosen = extract_constraints(source, ctx, k=3, kinds=kinds)
        assert chosen, kinds
        for n, c in enumerate(chosen):
            assert c.check(source), c.to_record()
            assert not leaks_answer(c.describe(), ctx.answers)
            assert all(c.permits(f) for f in ctx.required)
            assert not any(conflicts(c, d) for d in chosen[n + 1:])


# -- Inspect: extraction off the event loop ------------------------------------------------------
@pytest.mark.inspect
@pytest.mark.parametrize("mode", ["self", "reference"])
def test_inspect_extracts_off_the_event_loop(inspect_env: Path, monkeypatch: pytest.MonkeyPatch,
                                             mode: str) -> None:
    """A long output used to be read on the event loop, stalling every other sample."""
    from inspect_ai import eval as inspect_eval
    from inspect_ai.log import read_eval_log

    from sustain_tasks.benchmarks.base import Benchmark
    from sustain_tasks.gsm8k import gsm8k

    on_loop: list[bool] = []
    original = Benchmark.constraints_for

    def recording(self: Benchmark, *args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            on_loop.append(False)
        else:
            on_loop.append(True)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Benchmark, "constraints_for", recording)
    logs = inspect_eval(gsm8k(mode=mode), model="sustain/reference", limit=3, display="none",
                        log_dir=str(inspect_env))
    log = read_eval_log(logs[0].location)
    assert log.status == "success", log.error
    assert len(on_loop) == 3
    assert not any(on_loop)
