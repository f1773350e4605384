"""The constraint abstraction: one small, frozen, pure class per rule.

A constraint kind is a frozen dataclass whose fields are its parameters. It states itself with
:meth:`Constraint.describe` (the sentence inserted into the prompt), decides compliance with
:meth:`Constraint.check`, and proposes instances of itself from a source output with
:meth:`Constraint.candidates`. Nothing is random at module level and nothing is remembered
between calls: randomness comes only from :meth:`SourceContext.rng`, which is seeded from the
seed, the task, the item and the kind.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self

__all__ = [
    "CATEGORIES",
    "STRUCTURAL_CATEGORIES",
    "Category",
    "Constraint",
    "Prohibition",
    "SourceContext",
]

Category = Literal["length", "format", "lexical", "content", "code"]

CATEGORIES: tuple[Category, ...] = ("length", "format", "lexical", "content", "code")
"""All categories, in catalogue order."""

STRUCTURAL_CATEGORIES: frozenset[str] = frozenset({"length", "format", "code"})
"""Categories decided by the form of an output; the others are decided by its content."""


@dataclass(frozen=True)
class SourceContext:
    """What extraction may know about an item besides its source output.

    Attributes:
        task: Benchmark name, e.g. ``"gsm8k"``.
        item_id: The item's sample id.
        seed: Seed of every random choice made for this item.
        answers: Strings no constraint text may contain: the gold answer and the source
            output's final answer (compared after normalisation, see ``leak``).
        required: Fragments the task's answer format needs (e.g. ``"#### 18"``); a constraint
            that would forbid one of them is refused, so constraints never break grading.
        facts: Task-aware facts for ``content`` kinds, e.g. ``{"titles": [...]}`` for QA.
    """

    task: str = ""
    item_id: str = ""
    seed: int = 0
    answers: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)

    def rng(self, purpose: str) -> random.Random:
        """A private random generator for one purpose (usually a kind id) on this item."""
        key = f"{self.seed}\x1f{self.task}\x1f{self.item_id}\x1f{purpose}".encode()
        return random.Random(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))  # noqa: S311


@dataclass(frozen=True)
class Constraint(ABC):
    """One verifiable instruction. Subclasses are frozen dataclasses registered by id."""

    kind: ClassVar[str]
    """Registry id, ``category:name``."""
    category: ClassVar[Category]

    @abstractmethod
    def describe(self) -> str:
        """The instruction sentence inserted into the prompt."""

    @abstractmethod
    def check(self, output: str) -> bool:
        """Whether ``output`` satisfies the instruction (strictly)."""

    @classmethod
    @abstractmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        """Instances of this kind suggested by ``source``, best first (possibly none).

        Candidates need not be self-evident or leak-free: the one extraction path
        (:func:`sustain_tasks.constraints.extract_constraints`) keeps the first candidate that
        ``source`` satisfies, whose text leaks no answer and which permits every required
        fragment.
        """

    @classmethod
    @abstractmethod
    def example(cls) -> Self:
        """A typical instance, shown in the catalogue."""

    def permits(self, fragment: str) -> bool:
        """Whether a compliant output may contain ``fragment`` (an answer-format piece)."""
        del fragment
        return True

    def demands(self) -> tuple[str, ...]:
        """Literal text every compliant output contains (none by default); the conflict check
        refuses to combine this constraint with one that does not tolerate that text."""
        return ()

    def tolerates(self, text: str) -> bool:
        """Whether a compliant output may contain ``text`` that another constraint demands.

        The conflict check uses this; it is :meth:`permits` unless a kind treats answer-format
        fragments more strictly than other text (see ``format:final_line_prefix``).
        """
        return self.permits(text)

    @property
    def structural(self) -> bool:
        """True when compliance is decided by form, False when by content."""
        return self.category in STRUCTURAL_CATEGORIES

    def params(self) -> dict[str, Any]:
        """The parameters, as JSON-ready values."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def to_record(self) -> dict[str, Any]:
        """Serialise as ``{"kind": ..., "params": {...}, "text": ...}``."""
        return {"kind": self.kind, "params": self.params(), "text": self.describe()}


@dataclass(frozen=True)
class Prohibition(Constraint):
    """A kind without parameters that forbids something (commas, bold, lists, ...).

    It is proposed for every source output; the extraction path keeps it only when the source
    already avoids the forbidden thing, and it permits a fragment only if the fragment avoids
    it too.
    """

    def permits(self, fragment: str) -> bool:
        return self.check(fragment)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        del source, ctx
        yield cls()

    @classmethod
    def example(cls) -> Self:
        return cls()


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value
