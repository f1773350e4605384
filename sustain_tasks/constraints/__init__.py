"""Verifiable, self-evident constraints: registry, extraction, composition and checking.

Typical use::

    from sustain_tasks.constraints import SourceContext, extract_constraints, check_all

    ctx = SourceContext(task="gsm8k", item_id="7", seed=0, answers=("18",))
    constraints = extract_constraints(model_output, ctx, k=2)
    prompt = render_constraints(plain_prompt, constraints)
    results = check_all(constraints, new_output)

A blank output complies with no constraint (see :func:`check_all`). Hand-written constraint sets
can be checked with :func:`validate_set` (at most ``MAX_K`` constraints, none in conflict).
IFEval's instructions become constraints with :func:`from_ifeval` (and back with
:func:`to_ifeval`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sustain_tasks.constraints.base import (
    CATEGORIES,
    STRUCTURAL_CATEGORIES,
    Category,
    Constraint,
    SourceContext,
)
from sustain_tasks.constraints.conflicts import CONFLICTS, conflicts
from sustain_tasks.constraints.extract import (
    DEFAULT_KINDS,
    MAX_CANDIDATES_PER_KIND,
    MAX_K,
    Rejection,
    admissible,
    extract_constraints,
    first_admissible,
    validate_set,
)
from sustain_tasks.constraints.ifeval import IFEVAL_IDS, from_ifeval, to_ifeval
from sustain_tasks.constraints.leak import leaks_answer
from sustain_tasks.constraints.loose import check_loose, loose_variants
from sustain_tasks.constraints.registry import (
    EXTRACTION_MODES,
    all_kinds,
    constraint_from_record,
    extraction_mode,
    get_kind,
    register,
    resolve_kinds,
)
from sustain_tasks.constraints.text import shared_analysis

__all__ = [
    "CATEGORIES",
    "CONFLICTS",
    "DEFAULT_KINDS",
    "EXTRACTION_MODES",
    "IFEVAL_IDS",
    "MAX_CANDIDATES_PER_KIND",
    "MAX_K",
    "STRUCTURAL_CATEGORIES",
    "Category",
    "CheckResult",
    "Compliance",
    "Constraint",
    "Rejection",
    "SourceContext",
    "admissible",
    "all_kinds",
    "assess",
    "check_all",
    "check_loose",
    "conflicts",
    "constraint_from_record",
    "extract_constraints",
    "extraction_mode",
    "first_admissible",
    "from_ifeval",
    "get_kind",
    "leaks_answer",
    "loose_variants",
    "register",
    "resolve_kinds",
    "shared_analysis",
    "to_ifeval",
    "validate_set",
]


@dataclass(frozen=True)
class CheckResult:
    """Compliance of one output with one constraint."""

    kind: str
    text: str
    strict: bool
    loose: bool

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "strict": self.strict, "loose": self.loose}


def check_all(constraints: Sequence[Constraint], output: str) -> list[CheckResult]:
    """Check ``output`` against each constraint, strictly and loosely.

    This is the one place compliance is computed. A blank output (empty or only whitespace) is
    reported as non-compliant with every constraint, strictly and loosely. An empty response
    complies with nothing: it is a failed generation, not an answer that respects the constraint
    (otherwise upper bounds such as "fewer than 100 words" would count it as compliant). The
    kinds' own ``check`` stays a pure judgement of the text.
    """
    blank = not output or output.isspace()
    results = []
    with shared_analysis():  # kinds measuring the same thing measure each output once
        for c in constraints:
            strict = not blank and c.check(output)
            loose = strict or (not blank and check_loose(c, output))
            results.append(CheckResult(c.kind, c.describe(), strict, loose))
    return results


@dataclass(frozen=True)
class Compliance:
    """Compliance of one output with a set of constraints: each check, and all of them."""

    checks: tuple[CheckResult, ...]
    strict: bool
    """Every constraint satisfied by the output as it is."""
    loose: bool
    """Every constraint satisfied by the output or one of its loose variants."""


def assess(constraints: Sequence[Constraint], output: str) -> Compliance:
    """Check ``output`` against every constraint (:func:`check_all`) and combine the results;
    the harness adapters and the command line all report compliance from this."""
    checks = tuple(check_all(constraints, output))
    return Compliance(checks, all(c.strict for c in checks), all(c.loose for c in checks))
