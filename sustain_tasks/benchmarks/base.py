"""The benchmark abstraction every task plugs into, independent of any harness.

A benchmark knows its data (hub id and local file), how to turn a record into an :class:`Item`,
its plain prompt, how to judge an output (:class:`Verdict`), what its answer format needs, and
which constraint kinds suit it. The Inspect tasks and the lm-eval configurations call only this.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from sustain_tasks.benchmarks.data import HubSource, read_json_records, resolve_data_dir
from sustain_tasks.constraints import (
    DEFAULT_KINDS,
    Constraint,
    SourceContext,
    extract_constraints,
)
from sustain_tasks.errors import SustainInputError

__all__ = ["Benchmark", "Item", "Verdict"]


@dataclass(frozen=True)
class Item:
    """One benchmark item, harness-free.

    Attributes:
        id: The sample id (see the data table in the design contract).
        question: The problem text as shown inside the prompt.
        target: The gold final answer.
        reference: The reference solution written as a model would answer the plain prompt
            (what ``sustain/reference`` replies, and the source of reference-mode constraints).
        metadata: Extra fields for reports (e.g. subject and level) and verifiers.
    """

    id: str
    question: str
    target: str
    reference: str
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """The task verdict on one output."""

    correct: bool
    extracted: str | None
    detail: str = ""
    score: float | None = None
    """A graded score beside the binary verdict when the task has one (token F1 for QA)."""
    grader: Mapping[str, Any] | None = None
    """When a grader model decided an output the rules left open: the rule's verdict and
    detail, the grader's model, grade and reply (see :mod:`sustain_tasks._inspect.grader`)."""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"correct": self.correct, "extracted": self.extracted,
                             "detail": self.detail, "score": self.score}
        if self.grader is not None:
            d["grader"] = dict(self.grader)
        return d


class Benchmark(ABC):
    """A task: data, prompt, verifier and constraint policy."""

    name: ClassVar[str]
    """Short name used in task names (``sustain_<name>``) and on the command line."""
    title: ClassVar[str]
    hub: ClassVar[HubSource]
    local_file: ClassVar[str]
    """Path of the local data file relative to the data folder."""
    default_kinds: ClassVar[tuple[str, ...]] = DEFAULT_KINDS
    """Kind ids or categories used when the user names none."""
    breakdowns: ClassVar[tuple[str, ...]] = ()
    """Item metadata fields reports break the metrics down by (e.g. difficulty level)."""
    batch_size: ClassVar[int] = 1
    """Outputs the command line judges per :meth:`verify_many` call (more when it runs them in
    parallel)."""
    graded: ClassVar[bool] = False
    """True when :meth:`verify` also returns a graded ``Verdict.score`` (token F1 for QA)."""

    # -- data -------------------------------------------------------------------------------
    def load(self, data_dir: str | Path | None = None, limit: int | None = None) -> list[Item]:
        """All items, from ``data_dir`` / ``$SUSTAIN_DATA_DIR`` if set, else from the hub."""
        folder = resolve_data_dir(data_dir)
        items: list[Item] = []
        if folder is not None:
            path = folder / self.local_file
            records: Iterable[tuple[int, dict[str, Any]]] = read_json_records(path)
            source: Path | str = path
        else:
            records = ((i, self.from_hub(r)) for i, r in self.hub.records())
            source = repr(self.hub)
        index = 0
        for line, record in records:
            if not self.keep(record):
                continue
            try:
                item = self.record_to_item(record, index)
            except KeyError as exc:
                raise SustainInputError("missing field", path=source, line=line,
                                        field=str(exc.args[0])) from None
            except (TypeError, ValueError) as exc:
                raise SustainInputError(f"malformed record: {exc}", path=source,
                                        line=line) from None
            items.append(item)
            index += 1
            if limit is not None and len(items) >= limit:
                break
        return items

    def keep(self, record: Mapping[str, Any]) -> bool:
        """Whether a raw record belongs to the evaluated split (all by default)."""
        del record
        return True

    def from_hub(self, record: dict[str, Any]) -> dict[str, Any]:
        """Convert a hub record to the local file layout (identity by default)."""
        return record

    @abstractmethod
    def record_to_item(self, record: Mapping[str, Any], index: int) -> Item:
        """Build an item from a record in the local layout; ``index`` counts kept records."""

    # -- prompting and verdicts -------------------------------------------------------------
    @abstractmethod
    def prompt(self, item: Item) -> str:
        """The plain prompt."""

    @abstractmethod
    def verify(self, output: str, target: str, item: Item | None = None) -> Verdict:
        """Judge ``output`` against ``target`` (the item's gold answer unless overridden)."""

    def verify_strict(self, output: str, target: str, item: Item | None = None) -> Verdict:
        """Judge only answers in the exact format the prompt asks for (default: as verify)."""
        return self.verify(output, target, item)

    def verify_many(self, jobs: Sequence[tuple[str, str, Item | None]], *,
                    strict: bool = False) -> list[Verdict]:
        """Verdicts for many ``(output, target, item)`` triples, in input order (with
        ``strict``, as :meth:`verify_strict`). Benchmarks that run code override it to run in
        parallel."""
        judge = self.verify_strict if strict else self.verify
        return [judge(output, target, item) for output, target, item in jobs]

    @abstractmethod
    def final_answer(self, output: str) -> str | None:
        """The final answer stated in ``output``, if any (for the leak guard)."""

    # -- constraint policy ------------------------------------------------------------------
    def required_fragments(self, item: Item) -> tuple[str, ...]:
        """Pieces of text the answer format needs; constraints must permit them."""
        del item
        return ()

    def facts(self, item: Item) -> Mapping[str, Any]:
        """Task-aware facts for ``content`` constraint kinds."""
        del item
        return {}

    def source_context(self, item: Item, source: str, seed: int = 0) -> SourceContext:
        """The extraction context for ``source`` (an output for ``item``)."""
        answers = [item.target]
        stated = self.final_answer(source)
        if stated:
            answers.append(stated)
        return SourceContext(task=self.name, item_id=item.id, seed=seed, answers=tuple(answers),
                             required=self.required_fragments(item), facts=self.facts(item))

    def constraints_for(self, item: Item, source: str, *, k: int = 1,
                        kinds: str | Sequence[str] | None = None,
                        seed: int = 0) -> list[Constraint]:
        """Constraints extracted from ``source``, through the one extraction path."""
        return extract_constraints(source, self.source_context(item, source, seed), k=k,
                                   kinds=kinds, default_kinds=self.default_kinds)
