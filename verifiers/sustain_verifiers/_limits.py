"""The bounded window of an output a verifier reads, and the note a verdict carries about it."""

from __future__ import annotations

__all__ = ["truncation_note"]


def truncation_note(output: str, limit: int) -> str:
    """`` (read the last N of M characters)`` when ``output`` is longer than ``limit``, else
    ``""``: a verdict on a truncated output says so in its detail."""
    if not isinstance(output, str) or len(output) <= limit:
        return ""
    return f" (read the last {limit:,} of {len(output):,} characters)"
