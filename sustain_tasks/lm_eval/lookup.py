"""Finding the benchmark item behind a prompt, for the offline models (harness-free).

An offline model sees a prompt, not an item. Prompts built by the tasks are
``Benchmark.prompt(item)`` (plain and retest), that prompt plus the constraint block
(constrained) or plus neutral sentences (placebo), possibly wrapped by a chat template or a
system instruction. :class:`PromptIndex` maps them back to (benchmark, item, variant):

1. the exact plain prompt (one dictionary lookup);
2. a plain prompt that starts where the benchmark's fixed instruction text (the prefix all its
   prompts share) starts, at the beginning of the prompt or inside a wrapper, and ends at a
   line break or at the end; the variant comes from what follows it. Only candidate ends at
   which some plain prompt of that length could end are hashed, so a lookup costs a few
   string searches and dictionary lookups even for HotpotQA's ~6,000-character prompts;
3. the longest item question found inside the prompt (a scan of every question; only for
   prompts rebuilt from a different template).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sustain_tasks.benchmarks import BENCHMARKS, Benchmark, Item, get_benchmark
from sustain_tasks.errors import MissingDataError, SustainInputError
from sustain_tasks.protocol import CONSTRAINT_HEADER, PLACEBO_SENTENCES, Variant

__all__ = ["Match", "PromptIndex", "variant_of_suffix"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Match:
    """The item a prompt was built for, and the variant when it can be told."""

    benchmark: Benchmark
    item: Item
    variant: Variant | None


def variant_of_suffix(suffix: str) -> Variant | None:
    """The variant whose prompt is the plain prompt followed by ``suffix``.

    ``""`` is plain (or retest, which looks the same); a constraint block is constrained; a
    paragraph made only of placebo sentences is placebo; anything else is unknown (None).
    """
    text = suffix.strip()
    if not text:
        return "plain"
    if text.startswith(CONSTRAINT_HEADER):
        return "constrained"
    rest = text
    for sentence in PLACEBO_SENTENCES:
        rest = rest.replace(sentence, "")
    return "placebo" if not rest.strip() else None


_MIN_HEAD = 16
"""Shortest shared instruction prefix worth searching for inside wrapped prompts."""


def _shared_prefix(texts: Iterable[str]) -> str:
    """The longest prefix every text starts with (that of the smallest and the largest)."""
    listed = list(texts)
    if not listed:
        return ""
    first, last = min(listed), max(listed)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


class _BenchIndex:
    def __init__(self, bench: Benchmark, items: list[Item]) -> None:
        self.bench = bench
        self.by_id = {item.id: item for item in items}
        self.by_prompt = {bench.prompt(item): item for item in items}
        self.lengths = frozenset(len(p) for p in self.by_prompt)
        head = _shared_prefix(self.by_prompt)
        self.head = head if len(head) >= _MIN_HEAD else ""
        self.questions = sorted(((item.question, item) for item in items if item.question),
                                key=lambda pair: -len(pair[0]))

    def starts(self, prompt: str) -> Iterator[int]:
        """Where a plain prompt may start: 0, and every occurrence of the shared head."""
        yield 0
        if not self.head:
            return
        start = prompt.find(self.head, 1)
        while start != -1:
            yield start
            start = prompt.find(self.head, start + 1)

    def embedded(self, prompt: str) -> tuple[Item, int] | None:
        """An item whose plain prompt lies in ``prompt`` from a start to a line break (or the
        end), with the position where it ends."""
        for start in self.starts(prompt):
            end = prompt.find("\n", start)
            while True:
                cut = len(prompt) if end == -1 else end
                if cut - start in self.lengths:
                    item = self.by_prompt.get(prompt[start:cut])
                    if item is not None:
                        return item, cut
                if end == -1:
                    break
                end = prompt.find("\n", end + 1)
        return None


class PromptIndex:
    """Items of known benchmarks by id and by prompt, loaded lazily per benchmark.

    Args:
        data_dir: Local data folder (else ``$SUSTAIN_DATA_DIR``, else the hub).
        tasks: Benchmarks to search; default all. When not named explicitly, a benchmark
            whose data cannot be found is skipped.
    """

    def __init__(self, data_dir: str | Path | None = None,
                 tasks: Sequence[str] | None = None) -> None:
        self.data_dir = data_dir
        self._explicit = tasks is not None
        self.tasks = [get_benchmark(t).name for t in tasks] if tasks else sorted(BENCHMARKS)
        self._loaded: dict[str, _BenchIndex | None] = {}

    def _index(self, task: str, required: bool = False) -> _BenchIndex | None:
        if task not in self._loaded or (required and self._loaded[task] is None):
            bench = get_benchmark(task)
            try:
                items = bench.load(self.data_dir)
            except MissingDataError:
                if self._explicit or required:
                    raise
                logger.debug("no data for %s; not searched", task, exc_info=True)
                self._loaded[task] = None
            else:
                self._loaded[task] = _BenchIndex(bench, items)
        return self._loaded[task]

    def item(self, task: str, item_id: str) -> Item:
        """The item ``item_id`` of benchmark ``task``."""
        index = self._index(get_benchmark(task).name, required=True)
        if index is None or item_id not in index.by_id:
            raise SustainInputError(f"item {item_id!r} is not in the {task} dataset",
                                    field="id")
        return index.by_id[item_id]

    def find(self, prompt: str) -> Match | None:
        """The item ``prompt`` was built for, or None."""
        indexes = [ix for ix in (self._index(t) for t in self.tasks) if ix is not None]
        for ix in indexes:
            if prompt in ix.by_prompt:
                return Match(ix.bench, ix.by_prompt[prompt], "plain")
        for ix in indexes:
            found = ix.embedded(prompt)
            if found is not None:
                item, cut = found
                return Match(ix.bench, item, variant_of_suffix(prompt[cut:]))
        for ix in indexes:
            for question, item in ix.questions:
                if question in prompt:
                    variant: Variant | None = ("constrained" if CONSTRAINT_HEADER in prompt
                                               else None)
                    return Match(ix.bench, item, variant)
        return None
