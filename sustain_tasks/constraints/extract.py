"""The one extraction path: source output in, k compatible self-evident constraints out.

Every rule that makes the number honest is enforced here and nowhere else:

1. self-evident: a candidate is kept only if the source output satisfies it;
2. no answer leak: its text reveals none of ``ctx.answers``;
3. deterministic: all choices come from ``ctx.rng`` (seed, task, item, purpose);
4. composable: at most ``k`` (1..3) constraints, no two in conflict;
5. harmless to grading: it permits every fragment in ``ctx.required``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sustain_tasks.constraints.base import Constraint, SourceContext
from sustain_tasks.constraints.conflicts import conflicts
from sustain_tasks.constraints.leak import leaks_answer
from sustain_tasks.constraints.registry import all_kinds, resolve_kinds
from sustain_tasks.constraints.text import shared_analysis
from sustain_tasks.errors import SustainInputError

__all__ = [
    "DEFAULT_KINDS",
    "MAX_CANDIDATES_PER_KIND",
    "MAX_K",
    "Rejection",
    "admissible",
    "extract_constraints",
    "first_admissible",
    "validate_set",
]

logger = logging.getLogger(__name__)

DEFAULT_KINDS: tuple[str, ...] = ("length", "format", "lexical", "content")
"""The categories drawn from when neither the user nor the task names any (prose outputs)."""

MAX_K = 3
"""Largest number of constraints combined in one prompt."""

MAX_CANDIDATES_PER_KIND = 32
"""How many candidates of one kind are tried before the kind gives up on a source.

Every candidate is checked against the whole source, so this bounds the work per kind on any
output (a kind proposing successively looser bounds or a list of words stops here). The
measurements a check needs are computed once per source (see
:func:`~sustain_tasks.constraints.text.shared_analysis`), so most checks after the first are
cheap."""


@dataclass(frozen=True)
class Rejection:
    """Why a candidate was refused (for diagnostics and tests)."""

    kind: str
    reason: str


def admissible(constraint: Constraint, source: str, ctx: SourceContext) -> str | None:
    """None when ``constraint`` may be used for ``source``; otherwise the reason it may not."""
    if not constraint.check(source):
        return "not satisfied by the source output"
    if leaks_answer(constraint.describe(), ctx.answers):
        return "its text reveals an answer"
    for fragment in ctx.required:
        if not constraint.permits(fragment):
            return f"it forbids the required fragment {fragment!r}"
    return None


def first_admissible(cls: type[Constraint], source: str, ctx: SourceContext,
                     rejections: list[Rejection] | None = None) -> Constraint | None:
    """The first candidate of kind ``cls`` that passes :func:`admissible`, if any (at most
    :data:`MAX_CANDIDATES_PER_KIND` are tried)."""
    with shared_analysis():
        for i, candidate in enumerate(cls.candidates(source, ctx)):
            if i >= MAX_CANDIDATES_PER_KIND:
                break
            reason = admissible(candidate, source, ctx)
            if reason is None:
                return candidate
            if rejections is not None:
                rejections.append(Rejection(cls.kind, reason))
    return None


def extract_constraints(
    source: str,
    ctx: SourceContext,
    *,
    k: int = 1,
    kinds: str | Iterable[str] | None = None,
    default_kinds: Sequence[str] = DEFAULT_KINDS,
    rejections: list[Rejection] | None = None,
) -> list[Constraint]:
    """Up to ``k`` mutually compatible constraints that ``source`` already satisfies.

    Args:
        source: The output the constraints are extracted from (a model's successful answer or
            a reference solution).
        ctx: Item facts and the seed; see :class:`SourceContext`.
        k: How many constraints to combine (1..3). Fewer are returned when fewer fit.
        kinds: Kind ids and/or categories to draw from; ``None`` means ``default_kinds``.
        default_kinds: The task's default selection (ids or categories).
        rejections: When given, collects why candidates were refused.

    Returns:
        The chosen constraints in prompt order; empty when the output offers nothing suitable
        (always for a blank output).
    """
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise SustainInputError(f"k must be an integer from 1 to {MAX_K}, got {k!r}", field="k")
    registry = all_kinds()
    selected = _selected_kinds(kinds, default_kinds, registry)
    if not source or source.isspace():  # a blank output offers nothing to extract
        return []
    pool: list[Constraint] = []
    with shared_analysis():  # each measurement of the source is made once for all kinds
        for kind in selected:
            try:
                found = first_admissible(registry[kind], source, ctx, rejections)
            except (ValueError, ArithmeticError, RecursionError) as exc:
                logger.debug("kind %s failed on item %s: %s", kind, ctx.item_id, exc)
                found = None
            if found is not None:
                pool.append(found)
    return _compose(pool, k, ctx)


def _selected_kinds(kinds: str | Iterable[str] | None, default_kinds: Sequence[str],
                    registry: dict[str, type[Constraint]]) -> tuple[str, ...]:
    """``resolve_kinds(kinds, default=default_kinds)``, remembered for the registry as it is
    (every sample of a run resolves the same selection)."""
    spec: Any = kinds if kinds is None or isinstance(kinds, str) else tuple(kinds)
    try:
        return _resolve_kinds_cached(spec, tuple(default_kinds), tuple(registry.items()))
    except TypeError:  # an unhashable selection: resolved afresh
        return tuple(resolve_kinds(spec, default=default_kinds))


@functools.lru_cache(maxsize=256)
def _resolve_kinds_cached(spec: Any, default_kinds: tuple[str, ...],
                          registry: tuple[tuple[str, type[Constraint]], ...]) -> tuple[str, ...]:
    del registry  # part of the key only: a newly registered kind changes the answer
    return tuple(resolve_kinds(spec, default=default_kinds))


def validate_set(constraints: Sequence[Constraint]) -> str | None:
    """None when ``constraints`` may be asked for together; otherwise why they may not.

    For constraint sets that did not come from :func:`extract_constraints` (hand-written or
    edited constraints files): more than :data:`MAX_K` constraints, or two that conflict (see
    :func:`~sustain_tasks.constraints.conflicts`, which includes two of the same kind), are
    refused. Positions in the message are 0-based, as in ``constraints[1]``.
    """
    if len(constraints) > MAX_K:
        return f"{len(constraints)} constraints given; at most {MAX_K} may be combined"
    for i, a in enumerate(constraints):
        for j in range(i + 1, len(constraints)):
            b = constraints[j]
            if conflicts(a, b):
                return (f"constraints[{i}] ({a.kind}) and constraints[{j}] ({b.kind}) conflict "
                        "and may not be combined")
    return None


def _compose(pool: list[Constraint], k: int, ctx: SourceContext) -> list[Constraint]:
    """Pick up to ``k`` non-conflicting constraints, spreading them over categories.

    Categories are visited in a seeded random order, one constraint each per round, so a
    category with many kinds (length) is not drawn more often than one with few.
    """
    rng = ctx.rng("compose")
    by_category: dict[str, list[Constraint]] = {}
    for c in pool:
        by_category.setdefault(c.category, []).append(c)
    categories = sorted(by_category)
    rng.shuffle(categories)
    for members in by_category.values():
        rng.shuffle(members)
    chosen: list[Constraint] = []
    while len(chosen) < k and any(by_category.values()):
        for category in categories:
            members = by_category[category]
            while members:
                candidate = members.pop()
                if not any(conflicts(candidate, c) for c in chosen):
                    chosen.append(candidate)
                    break
            if len(chosen) == k:
                break
    return chosen
