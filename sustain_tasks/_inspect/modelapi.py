"""Registration of the ``sustain`` model provider (the class itself is imported lazily)."""

from __future__ import annotations

from inspect_ai.model import ModelAPI, modelapi

__all__ = ["sustain"]


@modelapi(name="sustain")
def sustain() -> type[ModelAPI]:
    """The offline provider behind ``sustain/reference`` and ``sustain/replay``."""
    from sustain_tasks._inspect.providers import SustainModelAPI

    return SustainModelAPI
