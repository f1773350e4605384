"""Benchmark items as Inspect samples, and a cached lookup of items by id."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from inspect_ai.dataset import MemoryDataset, Sample

from sustain_tasks.benchmarks import Benchmark, Item, get_benchmark
from sustain_tasks.benchmarks.data import DATA_DIR_ENV, resolve_data_dir
from sustain_tasks.errors import SustainInputError

from .context import META_ITEM_ID, META_TASK

__all__ = ["ItemIndex", "item_index", "item_to_sample", "items_dataset"]


class ItemIndex:
    """All items of one benchmark from one data source, by id and by question text."""

    def __init__(self, benchmark: Benchmark, items: Sequence[Item], source: str) -> None:
        self.benchmark = benchmark
        self.items = list(items)
        self.source = source
        self.by_id: dict[str, Item] = {}
        for item in self.items:
            if item.id in self.by_id:
                raise SustainInputError(f"duplicate sample id {item.id!r}", path=source,
                                        field="id")
            self.by_id[item.id] = item
        # longest question first (ties keep the file order), so the first hit is the answer
        self._by_length = sorted(
            ((item.question.strip(), item) for item in self.items if item.question.strip()),
            key=lambda pair: -len(pair[0]))

    def get(self, item_id: str) -> Item:
        """The item called ``item_id``; a :class:`SustainInputError` when there is none."""
        try:
            return self.by_id[item_id]
        except KeyError:
            raise SustainInputError(f"no {self.benchmark.name} item with id {item_id!r}",
                                    path=self.source, field="id") from None

    def find_in_prompt(self, prompt: str) -> Item | None:
        """The item whose question text appears in ``prompt`` (the longest one wins).

        One substring search per item at most: linear in the number of items times the
        prompt length (about a millisecond for a 500-item HotpotQA index and its long prompts).
        """
        for question, item in self._by_length:
            if len(question) <= len(prompt) and question in prompt:
                return item
        return None


_INDEXES: dict[tuple[str, str | None], ItemIndex] = {}
_LOCK = threading.Lock()
_LOOKUPS: dict[tuple[str, str | None, str | None, str, str | None], ItemIndex] = {}
"""The index found for each way of asking (benchmark, ``data_dir``, ``$SUSTAIN_DATA_DIR``,
working directory, ``$PWD``): the solver, the scorer and the offline models ask for every
sample, and resolving the data folder on disk each time cost more than the rest of a lookup."""


def item_index(benchmark: str | Benchmark, data_dir: str | Path | None = None) -> ItemIndex:
    """Every item of ``benchmark`` (loaded once per benchmark and data folder)."""
    name = benchmark if isinstance(benchmark, str) else benchmark.name
    asked = (name, None if data_dir is None else str(data_dir), os.environ.get(DATA_DIR_ENV),
             os.getcwd(), os.environ.get("PWD"))
    found = _LOOKUPS.get(asked)
    if found is not None and (isinstance(benchmark, str) or found.benchmark is benchmark):
        return found
    bench = get_benchmark(benchmark) if isinstance(benchmark, str) else benchmark
    folder = resolve_data_dir(data_dir)
    key = (bench.name, str(folder.resolve()) if folder is not None else None)
    with _LOCK:
        index = _INDEXES.get(key)
        if index is None:
            source = str(folder / bench.local_file) if folder is not None else repr(bench.hub)
            index = ItemIndex(bench, bench.load(folder), source)
            _INDEXES[key] = index
        _LOOKUPS[asked] = index
    return index


def item_to_sample(benchmark: Benchmark, item: Item) -> Sample:
    """One item as a sample: id, the plain prompt as input, the gold answer as target.

    The metadata names the benchmark and the item (so the offline providers can find the
    item) and keeps the item's scalar metadata (subject, level, ...) for breakdowns.
    """
    metadata: dict[str, Any] = {
        key: value for key, value in item.metadata.items()
        if isinstance(value, str | int | float | bool) or value is None
    }
    metadata[META_TASK] = benchmark.name
    metadata[META_ITEM_ID] = item.id
    return Sample(id=item.id, input=benchmark.prompt(item), target=item.target,
                  metadata=metadata)


def items_dataset(benchmark: Benchmark, items: Sequence[Item]) -> MemoryDataset:
    """A dataset of :func:`item_to_sample` samples named after the benchmark."""
    return MemoryDataset([item_to_sample(benchmark, item) for item in items],
                         name=f"sustain_{benchmark.name}")
