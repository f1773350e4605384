"""Matplotlib, imported only when a figure is drawn, and atomic PNG writing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sustain_tasks.errors import SustainInputError

from . import require

__all__ = ["pyplot", "save"]


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (the extra's matplotlib)."""
    (matplotlib,) = require("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: str | Path) -> None:
    """Write ``fig`` as a PNG through a temporary file beside ``path`` (renamed), so a
    failed write never leaves a broken image; the figure is closed."""
    plt = pyplot()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        fig.savefig(tmp, dpi=120, format="png")
        os.replace(tmp, out)
    except OSError as exc:
        raise SustainInputError(f"cannot write: {exc.strerror or exc}", path=out) from None
    finally:
        tmp.unlink(missing_ok=True)
        plt.close(fig)
