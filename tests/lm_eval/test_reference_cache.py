"""The on-disk cache of reference-mode constrained documents: same documents, less work.

User report: the lm-eval group extracted reference constraints from all 1319 GSM8K reference
solutions at every run, even with ``--limit 5`` (seconds of task building).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sustain_tasks.benchmarks import get_benchmark
from sustain_tasks.lm_eval import reference_cache
from sustain_tasks.lm_eval.adapter import build_docs

N = 12
"""Items in the small data folder."""


@pytest.fixture
def small_data(tmp_path: Path, data_dir: Path) -> Path:
    """A data folder holding the first N GSM8K items."""
    folder = tmp_path / "data"
    (folder / "gsm8k").mkdir(parents=True)
    lines = (data_dir / "gsm8k" / "test.jsonl").read_text(encoding="utf-8").splitlines()
    (folder / "gsm8k" / "test.jsonl").write_text("\n".join(lines[:N]) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(reference_cache.DISABLE_ENV, raising=False)
    return tmp_path / "xdg" / "sustainscore" / "lm-eval-docs"


def count_extractions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each reference extraction the GSM8K benchmark makes."""
    bench = get_benchmark("gsm8k")
    calls: list[str] = []
    original = type(bench).constraints_for

    def spy(self: Any, item: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(item.id)
        return original(self, item, *args, **kwargs)

    monkeypatch.setattr(type(bench), "constraints_for", spy)
    return calls


def build(data: Path, **kwargs: Any) -> list[dict[str, Any]]:
    return build_docs("gsm8k", "constrained", data_dir=str(data), **kwargs)


def test_cached_documents_are_identical_and_need_no_extraction(
        monkeypatch: pytest.MonkeyPatch, small_data: Path, cache: Path) -> None:
    monkeypatch.setenv(reference_cache.DISABLE_ENV, "1")
    fresh = build(small_data, k=2, seed=3)
    assert not cache.exists()
    monkeypatch.delenv(reference_cache.DISABLE_ENV)
    calls = count_extractions(monkeypatch)
    first = build(small_data, k=2, seed=3)
    assert len(calls) == N
    assert len(list(cache.glob("gsm8k-*.json"))) == 1
    second = build(small_data, k=2, seed=3)
    assert len(calls) == N  # served from the cache
    assert fresh == first == second
    assert json.dumps(fresh) == json.dumps(second)  # same values, same key order


def test_other_arguments_data_or_code_are_other_entries(
        monkeypatch: pytest.MonkeyPatch, small_data: Path, cache: Path) -> None:
    calls = count_extractions(monkeypatch)
    base = build(small_data)
    for kwargs in ({"k": 2}, {"seed": 1}, {"kinds": "format"}):
        before = len(calls)
        assert build(small_data, **kwargs) == build(small_data, **kwargs)
        assert len(calls) == before + N, kwargs
    assert len(list(cache.glob("gsm8k-*.json"))) == 4
    # an edited data file: another entry, and its own documents
    path = small_data / "gsm8k" / "test.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["answer"] = first["answer"].replace("\n", "\n\n", 1)
    path.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n", encoding="utf-8")
    before = len(calls)
    edited = build(small_data)
    assert len(calls) == before + N
    monkeypatch.setenv(reference_cache.DISABLE_ENV, "1")
    assert edited == build(small_data)
    monkeypatch.delenv(reference_cache.DISABLE_ENV)
    # changed code: the digest of the sources is part of the key
    monkeypatch.setattr(reference_cache, "code_digest", lambda: "other code")
    before = len(calls)
    assert build(small_data) == edited
    assert len(calls) == before + N
    assert base[0]["id"] == edited[0]["id"]


def test_a_broken_entry_is_rebuilt(monkeypatch: pytest.MonkeyPatch, small_data: Path,
                                   cache: Path) -> None:
    docs = build(small_data)
    [entry] = cache.glob("gsm8k-*.json")
    calls = count_extractions(monkeypatch)
    for broken in ("{\"docs\": [", "[]", "{\"docs\": [1]}", "\udcff"):
        entry.write_bytes(broken.encode("utf-8", "surrogateescape"))
        assert build(small_data) == docs
    assert len(calls) == 4 * N
    assert json.loads(entry.read_text(encoding="utf-8"))["docs"] == docs


def test_an_unwritable_cache_only_costs_the_rebuild(
        monkeypatch: pytest.MonkeyPatch, small_data: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.delenv(reference_cache.DISABLE_ENV, raising=False)
    assert build(small_data) == build(small_data)
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_cache_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert reference_cache.cache_dir() == tmp_path / "sustainscore" / "lm-eval-docs"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # the spec: ignore a relative one
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert reference_cache.cache_dir() == tmp_path / "home" / ".cache" / "sustainscore" / \
        "lm-eval-docs"


def test_old_entries_are_pruned(monkeypatch: pytest.MonkeyPatch, small_data: Path,
                                cache: Path) -> None:
    for seed in range(reference_cache.MAX_ENTRIES_PER_TASK + 2):
        build(small_data, seed=seed)
    assert len(list(cache.glob("gsm8k-*.json"))) == reference_cache.MAX_ENTRIES_PER_TASK
    assert not list(cache.glob(".*.tmp"))
