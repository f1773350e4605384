"""What the solver records for each sample, and how a model provider finds it again.

The solver keeps one JSON-ready record per sample in the sample store under
:data:`STORE_KEY`: the benchmark and item id, the variant being generated right now, the
constraints and every output. The scorer reads the record (so ``inspect score`` can re-score a
log), and the offline providers read it to know which item and which variant they are asked
for. When a provider runs under another solver, it falls back to the active sample's metadata
and finally to the prompt text itself.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sustain_tasks.protocol import CONSTRAINT_HEADER, PLACEBO_SENTENCES, VARIANTS, Variant

__all__ = [
    "META_ITEM_ID",
    "META_TASK",
    "STORE_KEY",
    "Request",
    "active_request",
    "graded_variant",
    "variant_from_prompt",
]

logger = logging.getLogger(__name__)

STORE_KEY = "sustain"
"""Sample-store key of the per-sample record written by the solver."""

META_TASK = "task"
"""Sample metadata key holding the benchmark name (``gsm8k``)."""

META_ITEM_ID = "item_id"
"""Sample metadata key holding the benchmark item id."""


@dataclass(frozen=True)
class Request:
    """Which item and variant a generation belongs to, as far as it can be known."""

    task: str | None
    item_id: str | None
    variant: Variant | None
    data_dir: str | None = None


def _store_record() -> Mapping[str, Any] | None:
    """The solver's record for the active sample, if the sample store holds one."""
    if _sample_tracking_available() and _active_sample() is None:
        return None  # outside a sample the store is a process-wide default: ignore it
    try:
        from inspect_ai.util import store
    except ImportError:  # pragma: no cover - inspect_ai is a dependency
        return None
    record = store().get(STORE_KEY)
    return record if isinstance(record, Mapping) else None


def _sample_tracking_available() -> bool:
    try:
        from inspect_ai.log._samples import sample_active
    except ImportError:  # pragma: no cover - depends on the Inspect version
        return False
    return callable(sample_active)


def _active_sample() -> Any | None:
    """Inspect's active sample (a private API: guarded so a change only disables it)."""
    try:
        from inspect_ai.log._samples import sample_active
    except ImportError:  # pragma: no cover - depends on the Inspect version
        return None
    try:
        return sample_active()
    except Exception:  # never let a private API break generation
        logger.debug("sample_active() failed", exc_info=True)
        return None


def active_request() -> Request:
    """Item and variant of the generation in progress, from the store or the sample."""
    record = _store_record()
    if record is not None:
        variant = record.get("variant")
        return Request(
            task=_str_or_none(record.get("task")),
            item_id=_str_or_none(record.get("item_id")),
            variant=variant if variant in VARIANTS else None,
            data_dir=_str_or_none(record.get("data_dir")),
        )
    active = _active_sample()
    sample = getattr(active, "sample", None)
    if sample is None:
        return Request(task=None, item_id=None, variant=None)
    metadata = getattr(sample, "metadata", None) or {}
    item_id = metadata.get(META_ITEM_ID, getattr(sample, "id", None))
    return Request(task=_str_or_none(metadata.get(META_TASK)), item_id=_str_or_none(item_id),
                   variant=None)


def graded_variant(response: str) -> Variant | None:
    """Which output of the active sample a grader prompt quotes (``response``, possibly only
    its last part): ``plain`` or the second variant; None when neither matches."""
    record = _store_record()
    if record is None or not response:
        return None
    for key, variant in (("plain_output", "plain"), ("second_output",
                                                      record.get("second_variant"))):
        output = record.get(key)
        if isinstance(output, str) and output.endswith(response) and variant in VARIANTS:
            return cast(Variant, variant)
    return None


def variant_from_prompt(prompt: str) -> Variant:
    """Guess the variant from a prompt built by :mod:`sustain_tasks.protocol`.

    A constrained prompt carries the constraint header; a placebo prompt ends with a paragraph
    made only of placebo sentences. Anything else reads as ``plain`` (a retest prompt is the
    plain prompt, so only the solver's record can tell them apart).
    """
    if CONSTRAINT_HEADER in prompt:
        return "constrained"
    head, sep, last = prompt.rstrip().rpartition("\n\n")
    if sep and head.strip():
        rest = last
        for sentence in PLACEBO_SENTENCES:
            rest = rest.replace(sentence, "")
        if rest.strip() == "" and last.strip():
            return "placebo"
    return "plain"


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)
