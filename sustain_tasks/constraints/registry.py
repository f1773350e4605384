"""The registry of constraint kinds, keyed by ``category:name``."""

from __future__ import annotations

import dataclasses
import functools
import importlib
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from sustain_tasks.constraints.base import CATEGORIES, Constraint
from sustain_tasks.errors import SustainInputError

__all__ = [
    "EXTRACTION_MODES",
    "all_kinds",
    "constraint_from_record",
    "extraction_mode",
    "get_kind",
    "register",
    "resolve_kinds",
]

_KINDS: dict[str, type[Constraint]] = {}
_BUILTIN_MODULES = ("length", "format", "lexical", "content", "code", "bounds", "wording",
                    "layout")

EXTRACTION_MODES: dict[str, str] = {
    "category": "extracted when its category or its id is selected (the task defaults draw "
                "categories)",
    "by id": "extracted only when named by id: a category name does not select it, so the task "
             "defaults stay as they were",
    "none": "never extracted (not self-evident on a task's answer, or it would quote the "
            "answer): for constraints files only",
}
"""How extraction may propose a kind, by the value of its ``extraction`` class attribute
(kinds without one are ``"category"`` kinds)."""
_loaded = False

C = TypeVar("C", bound=type[Constraint])


def extraction_mode(cls: type[Constraint]) -> str:
    """How extraction may propose ``cls``: a key of :data:`EXTRACTION_MODES`."""
    mode = getattr(cls, "extraction", "category")
    return mode if isinstance(mode, str) else "category"


def register(cls: C) -> C:
    """Class decorator: add a constraint kind to the registry under ``cls.kind``."""
    kind = cls.kind
    category, sep, name = kind.partition(":")
    if not sep or not name or category not in CATEGORIES:
        raise ValueError(f"constraint id {kind!r} is not 'category:name' with a known category")
    if category != cls.category:
        raise ValueError(f"constraint id {kind!r} does not match its category {cls.category!r}")
    if kind in _KINDS and _KINDS[kind] is not cls:
        raise ValueError(f"constraint id {kind!r} is registered twice")
    if not dataclasses.is_dataclass(cls) or not cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__name__} must be a frozen dataclass")
    if extraction_mode(cls) not in EXTRACTION_MODES:
        raise ValueError(f"constraint id {kind!r} has an unknown extraction mode "
                         f"{extraction_mode(cls)!r}; use one of {sorted(EXTRACTION_MODES)}")
    _KINDS[kind] = cls
    return cls


def _load_builtin() -> None:
    global _loaded
    if _loaded:
        return
    for module in _BUILTIN_MODULES:
        try:
            importlib.import_module(f"sustain_tasks.constraints.{module}")
        except ModuleNotFoundError as exc:  # a category not written yet
            if exc.name != f"sustain_tasks.constraints.{module}":
                raise
    _loaded = True


def all_kinds() -> dict[str, type[Constraint]]:
    """Every registered kind, sorted by id."""
    _load_builtin()
    return dict(sorted(_KINDS.items()))


def get_kind(kind: str, *, path: str | Path | None = None, line: int | None = None,
             field: str = "kind") -> type[Constraint]:
    """The class registered as ``kind``; a :class:`SustainInputError` naming it otherwise."""
    kinds = all_kinds()
    try:
        return kinds[kind]
    except KeyError:
        raise SustainInputError(
            f"unknown constraint id {kind!r}; run 'sustain constraints' for the catalogue",
            path=path, line=line, field=field,
        ) from None


def resolve_kinds(spec: str | Iterable[str] | None, *, default: Iterable[str] = (),
                  every: bool = False) -> list[str]:
    """Turn a user's kind selection into sorted kind ids.

    ``spec`` may hold kind ids (``length:max_words``) and category names (``length``), as a
    list or one comma-separated string. ``None`` or empty selects ``default`` (ids or
    categories too). A category name selects the kinds of that category that extraction draws
    by category (see :data:`EXTRACTION_MODES`); with ``every`` it selects all of them (the
    catalogue).
    """
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        items = list(default)
    elif isinstance(spec, str):
        items = [s.strip() for s in spec.split(",") if s.strip()]
    else:
        items = [str(s).strip() for s in spec if str(s).strip()]
    kinds = all_kinds()
    chosen: set[str] = set()
    for item in items:
        if item in CATEGORIES:
            chosen.update(k for k, cls in kinds.items() if cls.category == item
                          and (every or extraction_mode(cls) == "category"))
        elif item in kinds:
            chosen.add(item)
        else:
            raise SustainInputError(
                f"unknown constraint id or category {item!r}; "
                "run 'sustain constraints' for the catalogue",
                field="kinds",
            )
    return sorted(chosen)


@functools.cache
def _signature(
        cls: type[Constraint]) -> tuple[dict[str, Any], dict[str, dataclasses.Field[Any]]]:
    """A kind's parameter types and dataclass fields (resolved once per class: resolving the
    annotations costs more than building the constraint)."""
    return typing.get_type_hints(cls), {f.name: f for f in dataclasses.fields(cls)}


def constraint_from_record(
    record: Any, *, path: str | Path | None = None, line: int | None = None,
    field: str = "constraints",
) -> Constraint:
    """Rebuild a constraint from ``{"kind": ..., "params": {...}, "text": ...}``.

    The parameters are checked against the kind's fields and types; ``text`` is informative
    only (the kind's own ``describe()`` is authoritative).
    """
    if not isinstance(record, Mapping):
        raise SustainInputError("a constraint must be an object with 'kind' and 'params'",
                                path=path, line=line, field=field)
    kind = record.get("kind")
    if not isinstance(kind, str):
        raise SustainInputError("missing or non-string constraint id", path=path, line=line,
                                field=f"{field}.kind")
    cls = get_kind(kind, path=path, line=line, field=f"{field}.kind")
    params = record.get("params", {})
    if not isinstance(params, Mapping):
        raise SustainInputError("must be an object", path=path, line=line,
                                field=f"{field}.params")
    hints, fields = _signature(cls)
    unknown = sorted(set(params) - set(fields))
    if unknown:
        raise SustainInputError(f"unknown parameter(s) {unknown} for {kind}", path=path,
                                line=line, field=f"{field}.params")
    values: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in params:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise SustainInputError(f"missing parameter {name!r} for {kind}", path=path,
                                        line=line, field=f"{field}.params.{name}")
            continue
        values[name] = _coerce(params[name], hints.get(name, Any), path=path, line=line,
                               field=f"{field}.params.{name}")
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise SustainInputError(f"invalid parameters for {kind}: {exc}", path=path, line=line,
                                field=f"{field}.params") from None


def _coerce(value: Any, hint: Any, *, path: str | Path | None, line: int | None,
            field: str) -> Any:
    origin = typing.get_origin(hint)
    ok: bool
    if hint is Any:
        return value
    if hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif hint is str:
        ok = isinstance(value, str)
    elif origin is tuple:
        args = typing.get_args(hint)
        if isinstance(value, list | tuple):
            inner = args[0] if args else Any
            return tuple(_coerce(v, inner, path=path, line=line, field=field) for v in value)
        ok = False
    else:
        return value
    if not ok:
        raise SustainInputError(f"expected {getattr(hint, '__name__', hint)}, got {value!r}",
                                path=path, line=line, field=field)
    return value
