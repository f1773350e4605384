"""Which constraints may not be asked for together.

Two constraints conflict when

- they are of the same kind;
- their kinds form a pair in :data:`CONFLICTS` (unordered pairs, so the table is symmetric by
  construction): both could be satisfied only by an unnatural output, one contradicts the
  other, or one makes the other nearly redundant; or
- (value-dependent, only between instances) one demands literal text that the other forbids:
  a kind that requires text exposes it through :meth:`Constraint.demands`, and
  the other kind's ``tolerates()`` (by default its ``permits()``) refuses it. For example
  ``lexical:all_lowercase`` and ``lexical:starts_with`` with "Janet sells", or
  ``lexical:avoid_word`` "total" and ``lexical:include_word`` "total". The rule is applied in
  both directions, so it is symmetric.

Constraints extracted from one source output are all satisfied by it, so they never contradict
each other; the table mainly keeps redundant pairs out of one prompt and guards hand-written
constraint files.
"""

from __future__ import annotations

from sustain_tasks.constraints.base import Constraint

__all__ = ["CONFLICTS", "conflicts", "demanded_text"]

CONFLICTS: frozenset[frozenset[str]] = frozenset(
    frozenset(pair)
    for pair in [
        # two bounds on the size of the whole output
        ("length:max_words", "length:max_characters"),
        # lines, sentences and reasoning steps coincide for step-per-line solutions
        ("length:max_sentences", "length:max_lines"),
        ("content:reasoning_steps", "length:max_sentences"),
        ("content:reasoning_steps", "length:max_lines"),
        # list layouts exclude each other
        ("format:numbered_steps", "format:bullet_list"),
        ("format:numbered_steps", "format:no_lists"),
        ("format:bullet_list", "format:no_lists"),
        # two ways of marking the final answer
        ("format:boxed_answer", "format:final_line_prefix"),
        ("format:boxed_answer", "content:answer_length"),
        ("format:final_line_prefix", "content:answer_length"),
        # code: a rule and its opposite
        ("code:no_imports", "code:only_imports"),
        ("code:docstring", "code:no_docstring"),
        # using and avoiding constructs: contradictory for one construct, and one prompt
        # should not stack two rules about control flow
        ("code:uses_construct", "code:avoids_construct"),
        # lines of an answer that is mostly one function and lines of that function
        ("code:max_function_lines", "length:max_lines"),
    ]
)
"""Unordered pairs of kind ids that are never combined."""


def demanded_text(constraint: Constraint) -> tuple[str, ...]:
    """Literal text every output satisfying ``constraint`` contains (empty when none)."""
    return tuple(t for t in constraint.demands() if t)


def _forbids_demand(a: Constraint, b: Constraint) -> bool:
    return any(not a.tolerates(text) for text in demanded_text(b))


def conflicts(a: Constraint | str, b: Constraint | str) -> bool:
    """True when the two constraints (or kind ids) may not be combined."""
    ka = a if isinstance(a, str) else a.kind
    kb = b if isinstance(b, str) else b.kind
    if ka == kb or frozenset((ka, kb)) in CONFLICTS:
        return True
    if isinstance(a, str) or isinstance(b, str):
        return False
    return _forbids_demand(a, b) or _forbids_demand(b, a)
