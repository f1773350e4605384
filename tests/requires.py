"""Optional packages a test needs: a failure under ``CI=true`` (where ``.ci/run`` installs every
extra, so a missing package is a broken set-up), a skip elsewhere."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

__all__ = ["need"]


def need(name: str, hint: str = "pip install -e '.[dev,mechanism]'") -> ModuleType:
    """Import and return module ``name``, or stop the test (usable at module level)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        message = f"{name} cannot be imported ({exc}); {hint}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message, allow_module_level=True)
