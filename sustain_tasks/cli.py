"""The ``sustain`` command line (being written)."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    del argv
    return 0
