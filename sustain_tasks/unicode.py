"""Text every writer can encode: lone surrogates replaced.

A Python string can hold a lone UTF-16 surrogate (``"\\ud800"``), e.g. from a JSON file with
the escape ``"\\ud800"``, which is valid JSON. UTF-8 cannot encode it: lm-eval's samples
writer then fails half way through the file (and exits 0), and other writers raise. The
offline models pass their answers through :func:`replace_lone_surrogates` before handing them
to a harness.
"""

from __future__ import annotations

import re

__all__ = ["replace_lone_surrogates"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def replace_lone_surrogates(text: str) -> str:
    """``text`` with every surrogate code point replaced by U+FFFD (a Python ``str`` holds
    code points, so any surrogate in it is unpaired); ``text`` itself when it has none."""
    return _SURROGATE.sub("\ufffd", text)
