"""The one loose check shared by all kinds.

A strict check reads the output as it is. The loose check also accepts the output with common
wrappers removed (a first line such as "Sure, here is my answer:", a closing line, markdown
emphasis), the way instruction-following benchmarks report a loose accuracy beside the strict
one. Kinds never implement their own leniency.
"""

from __future__ import annotations

from collections.abc import Iterator

from sustain_tasks.constraints.base import Constraint

__all__ = ["check_loose", "loose_variants"]


def loose_variants(output: str) -> Iterator[str]:
    """The output, then variants without emphasis markers, first line and/or last line."""
    seen: set[str] = set()
    split = output.split("\n")
    bases = [output, "\n".join(split[1:]).strip(), "\n".join(split[:-1]).strip(),
             "\n".join(split[1:-1]).strip()]
    for base in bases:
        for variant in (base, base.replace("*", "")):
            if variant not in seen and (variant.strip() or not output.strip()):
                seen.add(variant)
                yield variant


def check_loose(constraint: Constraint, output: str) -> bool:
    """True when any loose variant of ``output`` satisfies ``constraint``."""
    return any(constraint.check(v) for v in loose_variants(output))
