"""Answer verifiers for sustainscore: extraction of a final answer, separate from judging it.

This folder is installed as the import package ``sustain_verifiers`` (the name ``verifiers``
belongs to another distribution on PyPI). Modules:

- :mod:`sustain_verifiers.numeric` — numeric final answers (GSM8K).
- :mod:`sustain_verifiers.statement` — final answers written as sentences, read against the
  question (GSM8K, and MATH-500 without a ``\\boxed{}``).
- :mod:`sustain_verifiers.math` — LaTeX final answers (MATH-500), compared symbolically in a
  bounded worker process.
- :mod:`sustain_verifiers.qa` — short answers (HotpotQA): official normalisation, EM and F1.
"""

from __future__ import annotations

__all__: list[str] = []
