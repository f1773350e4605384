"""Answer verifiers for sustainscore: extraction of a final answer, separate from judging it.

This folder is installed as the import package ``sustain_verifiers`` (the name ``verifiers``
belongs to another distribution on PyPI). Modules:

- :mod:`sustain_verifiers.numeric` — numeric final answers (GSM8K).
"""

from __future__ import annotations

__all__: list[str] = []
