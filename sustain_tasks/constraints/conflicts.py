"""Which kinds may not be asked for together.

The table lists unordered pairs, so it is symmetric by construction. Two constraints of the same
kind always conflict. Pairs are listed when both could be satisfied only by an unnatural output
or when one makes the other trivial or contradictory.
"""

from __future__ import annotations

from sustain_tasks.constraints.base import Constraint

__all__ = ["CONFLICTS", "conflicts"]

CONFLICTS: frozenset[frozenset[str]] = frozenset(
    frozenset(pair)
    for pair in [
        # filled in by the kind modules' authors; every id must be registered (tested)
        ("length:max_words", "length:max_characters"),
    ]
)


def conflicts(a: Constraint | str, b: Constraint | str) -> bool:
    """True when the two constraints (or kind ids) may not be combined."""
    ka = a if isinstance(a, str) else a.kind
    kb = b if isinstance(b, str) else b.kind
    return ka == kb or frozenset((ka, kb)) in CONFLICTS
