"""An on-disk cache of the reference-mode constrained documents of the lm-eval tasks.

lm-eval builds a task's whole dataset before it applies ``--limit``, and the reference-mode
constrained variant extracts constraints from every reference solution to build it (all
1319 of GSM8K: seconds at every run, even with ``--limit 5``). The documents depend only on
the benchmark's items, the extraction arguments (``k``, ``kinds``, ``seed``) and the code, so
they are stored once under the user's cache folder and read back at the next run.

- Key: a SHA-256 of the task, the extraction arguments, a digest of every item's fields (so
  another data file, or an edited one, is another entry) and a digest of the source files of
  ``sustain_tasks`` and ``sustain_verifiers`` (so changed extraction code is never served
  stale documents).
- Folder: ``$XDG_CACHE_HOME/sustainscore/lm-eval-docs`` (``~/.cache/...`` when the variable is
  unset or not absolute). ``SUSTAIN_NO_CACHE=1`` turns the cache off.
- Writes are atomic (a temporary file renamed into place), so concurrent runs never read a
  half-written entry; an unreadable or malformed entry is ignored and rebuilt, and a folder
  that cannot be written only costs the rebuild. At most :data:`MAX_ENTRIES_PER_TASK` entries
  are kept per task (the least recently used go first).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sustain_tasks.benchmarks import Item

__all__ = [
    "DISABLE_ENV",
    "MAX_ENTRIES_PER_TASK",
    "cache_dir",
    "cached_docs",
    "code_digest",
    "entry_key",
]

logger = logging.getLogger(__name__)

DISABLE_ENV = "SUSTAIN_NO_CACHE"
"""Set to ``1`` (or ``true``, ``yes``) to build the documents afresh without the cache."""

MAX_ENTRIES_PER_TASK = 8
"""Cache entries kept per benchmark."""

_FORMAT = 1
"""Bumped when the layout of an entry changes."""

Docs = list[dict[str, Any]]


def cache_dir() -> Path:
    """The folder of the cache entries (see the module docstring)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "sustainscore" / "lm-eval-docs"


def _disabled() -> bool:
    return os.environ.get(DISABLE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


@functools.cache
def code_digest() -> str:
    """A digest of the Python sources of ``sustain_tasks`` and ``sustain_verifiers``."""
    import sustain_verifiers

    import sustain_tasks

    digest = hashlib.sha256()
    for package in (sustain_tasks, sustain_verifiers):
        for root in map(Path, package.__path__):
            for path in sorted(root.rglob("*.py")):
                digest.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def _text_tools() -> tuple[str, ...]:
    """The versions outside the package that decide how texts are read (Unicode tables of
    Python and of ``regex``, language identification): a change rebuilds the documents."""
    import unicodedata
    from importlib.metadata import PackageNotFoundError, version

    import regex

    tools = [f"python {sys.version_info[0]}.{sys.version_info[1]}",
             f"unicodedata {unicodedata.unidata_version}", f"regex {regex.__version__}"]
    try:
        tools.append(f"langdetect {version('langdetect')}")
    except PackageNotFoundError:
        tools.append("langdetect none")
    return tuple(tools)


def _items_digest(items: Sequence[Item]) -> str:
    digest = hashlib.sha256()
    for item in items:
        digest.update(json.dumps([item.id, item.question, item.target, item.reference,
                                  dict(item.metadata)], sort_keys=True, ensure_ascii=False,
                                 default=repr).encode("utf-8", "surrogatepass") + b"\n")
    return digest.hexdigest()


def entry_key(task: str, items: Sequence[Item], *, k: int,
              kinds: str | Sequence[str] | None, seed: int) -> str:
    """The key of the documents of ``task`` built from ``items`` with these arguments."""
    kinds_key = kinds if kinds is None or isinstance(kinds, str) else list(kinds)
    parts = json.dumps({"format": _FORMAT, "task": task, "k": k, "kinds": kinds_key,
                        "seed": seed, "items": _items_digest(items), "code": code_digest(),
                        "text": _text_tools()}, sort_keys=True)
    return hashlib.sha256(parts.encode("utf-8")).hexdigest()


def _read(path: Path) -> Docs | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        if not isinstance(exc, FileNotFoundError):
            logger.debug("ignoring the unreadable cache entry %s (%s)", path, exc)
        return None
    docs = data.get("docs") if isinstance(data, dict) else None
    if not isinstance(docs, list) or not all(isinstance(d, dict) for d in docs):
        logger.debug("ignoring the malformed cache entry %s", path)
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept longest
    return docs


def _write(folder: Path, path: Path, docs: Docs) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"docs": docs}, fh, ensure_ascii=False)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except (OSError, UnicodeEncodeError, TypeError, ValueError) as exc:
        # a cache that cannot be written (or items that cannot be stored as JSON) only costs
        # the rebuild next time
        logger.debug("could not write the cache entry %s (%s)", path, exc)
        return
    _prune(folder, path.name.split("-", 1)[0])


def _prune(folder: Path, task: str) -> None:
    try:
        entries = sorted(folder.glob(f"{task}-*.json"), key=lambda p: p.stat().st_mtime,
                         reverse=True)
    except OSError:
        return
    for old in entries[MAX_ENTRIES_PER_TASK:]:
        with contextlib.suppress(OSError):
            old.unlink()


def cached_docs(task: str, items: Sequence[Item], *, k: int,
                kinds: str | Sequence[str] | None, seed: int,
                build: Callable[[], Docs]) -> Docs:
    """The documents ``build()`` makes, from the cache when an entry for these arguments,
    items and code exists, else built and stored."""
    if _disabled():
        return build()
    folder = cache_dir()
    path = folder / f"{task}-{entry_key(task, items, k=k, kinds=kinds, seed=seed)}.json"
    docs = _read(path)
    if docs is not None:
        return docs
    docs = build()
    _write(folder, path, docs)
    return docs
