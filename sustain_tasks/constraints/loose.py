"""The one loose check shared by all kinds.

A strict check reads the output as it is. The loose check also accepts the output with common
wrappers removed (a first line such as "Sure, here is my answer:", a closing line, markdown
emphasis), the way instruction-following benchmarks report a loose accuracy beside the strict
one. Kinds never implement their own leniency.

Only paired emphasis markers are removed (``**x**``, ``*x*``, ``__x__``, each on one line, not
inside a word of any script, around at most 500 characters), so a ``* `` bullet at the start of
a line, ``2 * 3`` or ``x**2`` stay as they are. Kinds about emphasis itself
(:data:`EMPHASIS_KINDS`) are never checked on emphasis-free variants, since removing what they
forbid would make them pass always.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sustain_tasks.constraints.base import Constraint

__all__ = ["EMPHASIS_KINDS", "check_loose", "loose_variants", "strip_emphasis"]

EMPHASIS_KINDS: frozenset[str] = frozenset({"format:no_bold"})
"""Kinds whose loose check keeps emphasis markers."""

_MAX_SPAN = 500
"""Longest emphasised text removed, in characters (bounds the work on any input)."""
_EMPHASIS_RE = re.compile(
    r"(?<![^\W_])(?<!\*)(\*\*\*|\*\*|\*|__)(?=[^\s*_])"
    rf"([^\n]{{0,{_MAX_SPAN}}}?[^\s*_]|[^\s*_])\1(?![\w*])"
)
_MAX_PASSES = 3


def strip_emphasis(text: str) -> str:
    """``text`` with paired emphasis markers removed: ``**x**``, ``*x*`` and ``__x__`` become x."""
    for _ in range(_MAX_PASSES):  # pairs nest: "**a *b* c**"
        stripped = _EMPHASIS_RE.sub(r"\2", text)
        if stripped == text:
            break
        text = stripped
    return text


def loose_variants(output: str, *, emphasis: bool = True) -> Iterator[str]:
    """The output, then variants without emphasis markers, first line and/or last line.

    With ``emphasis=False`` the variants keep their emphasis markers.
    """
    seen: set[str] = set()
    split = output.split("\n")
    bases = [output, "\n".join(split[1:]).strip(), "\n".join(split[:-1]).strip(),
             "\n".join(split[1:-1]).strip()]
    for base in bases:
        for variant in (base, strip_emphasis(base)) if emphasis else (base,):
            if variant not in seen and (variant.strip() or not output.strip()):
                seen.add(variant)
                yield variant


def check_loose(constraint: Constraint, output: str) -> bool:
    """True when any loose variant of ``output`` satisfies ``constraint``."""
    emphasis = constraint.kind not in EMPHASIS_KINDS
    return any(constraint.check(v) for v in loose_variants(output, emphasis=emphasis))
