"""Offline without local data: the hub is not retried, and the hint fits the interface."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sustain_tasks.benchmarks import data as data_module
from sustain_tasks.benchmarks import get_benchmark
from sustain_tasks.cli import main
from sustain_tasks.errors import MissingDataError


@pytest.fixture
def unreachable_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """No local data, no hub: every connection is refused, and loading the dataset fails the
    test (the connection test must decide alone)."""
    import datasets

    attempts: list[object] = []

    def refuse(address: object, *args: object, **kwargs: object) -> None:
        attempts.append(address)
        raise OSError("Network is unreachable")

    def no_load(*args: object, **kwargs: object) -> None:
        pytest.fail("the hub was tried although it is unreachable")

    for name in ("SUSTAIN_DATA_DIR", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    data_module._hub_reachable.cache_clear()
    monkeypatch.setattr(data_module.socket, "create_connection", refuse)
    monkeypatch.setattr(datasets, "load_dataset", no_load)
    yield attempts
    data_module._hub_reachable.cache_clear()


def test_an_unreachable_hub_fails_at_once(unreachable_hub: list[object]) -> None:
    with pytest.raises(MissingDataError, match="cannot reach the Hugging Face hub") as info:
        get_benchmark("gsm8k").load(limit=1)
    assert "SUSTAIN_DATA_DIR" in str(info.value)
    assert unreachable_hub == [("huggingface.co", 443)]
    # a second benchmark does not test the connection again
    with pytest.raises(MissingDataError):
        get_benchmark("math500").load(limit=1)
    assert len(unreachable_hub) == 1


def test_the_hint_names_the_command_line_option(unreachable_hub: list[object],
                                                capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    code = main(["extract", "--task", "gsm8k", "--reference", "--out",
                 str(tmp_path / "c.jsonl")])
    assert code == 2
    assert "(or give --data-dir DIR)" in capsys.readouterr().err


def test_the_hint_names_the_inspect_task_argument(unreachable_hub: list[object]) -> None:
    from sustain_tasks.gsm8k import gsm8k

    with pytest.raises(MissingDataError, match=r"\(or give -T data_dir=DIR\)"):
        gsm8k()


def test_the_hint_names_lm_eval_metadata(unreachable_hub: list[object]) -> None:
    from sustain_tasks.lm_eval.adapter import custom_dataset

    with pytest.raises(MissingDataError, match="--metadata"):
        custom_dataset(sustain_task="gsm8k", sustain_variant="plain")


def test_the_hub_cache_is_used_without_a_connection_test(
        unreachable_hub: list[object], monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    loaded: list[str] = []

    def cached(path: str, *args: object, **kwargs: object) -> list[dict[str, str]]:
        loaded.append(path)
        return [{"question": "What is 1 + 1?", "answer": "1 + 1 = 2\n#### 2"}]

    monkeypatch.setattr(datasets, "load_dataset", cached)
    assert get_benchmark("gsm8k").load(limit=1)[0].target == "2"
    assert loaded == ["openai/gsm8k"]
    assert unreachable_hub == []
