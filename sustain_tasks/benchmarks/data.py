"""Loading benchmark records from the Hugging Face hub or from local files.

With a data directory (the ``data_dir`` argument or the ``SUSTAIN_DATA_DIR`` environment
variable) records are read from the files laid out as in the project's offline data folder;
otherwise the hub dataset is loaded with ``datasets``. Every malformed record is reported with
file, line and field.

Offline, the hub is not retried: unless ``HF_HUB_OFFLINE`` / ``HF_DATASETS_OFFLINE`` ask for the
local hub cache, one quick connection test (``HUB_PROBE_SECONDS``) decides, and an unreachable
hub is an error at once, whose hint names the way to give a data folder in the interface in
use (:func:`data_hint`).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import socket
from collections.abc import Iterator
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from sustain_tasks.errors import MissingDataError, MissingDependencyError, SustainInputError

__all__ = [
    "DATA_DIR_ENV",
    "HUB_PROBE_SECONDS",
    "HubSource",
    "data_hint",
    "locate_folder",
    "read_json_records",
    "resolve_data_dir",
]

DATA_DIR_ENV = "SUSTAIN_DATA_DIR"

HUB_PROBE_SECONDS = 3.0
"""How long the one connection test to the hub may take before it counts as unreachable."""

_OFFLINE_ENV = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
_HINT: ContextVar[str] = ContextVar("sustain_data_hint", default="")


@contextlib.contextmanager
def data_hint(how: str) -> Iterator[None]:
    """Within the block, errors about missing data name ``how`` a data folder is given in the
    interface in use (``--data-dir DIR``, ``-T data_dir=DIR``, ...)."""
    token = _HINT.set(how)
    try:
        yield
    finally:
        _HINT.reset(token)


def offline_hint() -> str:
    """How to work offline, for the interface in use."""
    how = _HINT.get()
    return (f"Offline, point {DATA_DIR_ENV} at a folder holding the local files"
            + (f" (or give {how})" if how else "") + ".")


@lru_cache(maxsize=4)
def _hub_reachable(endpoint: str) -> bool:
    url = urlparse(endpoint)
    host = url.hostname or "huggingface.co"
    port = url.port or (80 if url.scheme == "http" else 443)
    try:
        with socket.create_connection((host, port), timeout=HUB_PROBE_SECONDS):
            return True
    except OSError:
        return False


class HubSource:
    """Where a benchmark lives on the hub."""

    def __init__(self, path: str, name: str | None, split: str) -> None:
        self.path, self.name, self.split = path, name, split

    def __repr__(self) -> str:
        return f"{self.path}" + (f" ({self.name})" if self.name else "") + f" [{self.split}]"

    def records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(index, record) pairs from the hub split; needs network or a warm cache."""
        endpoint = os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
        cached_only = any(os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")
                          for name in _OFFLINE_ENV)
        if not cached_only and not _hub_reachable(endpoint):
            raise MissingDataError(f"cannot reach the Hugging Face hub ({endpoint}) to load "
                                   f"{self!r}. {offline_hint()}")
        try:
            import datasets
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise MissingDependencyError("datasets", purpose="loading from the hub") from exc
        try:
            ds = datasets.load_dataset(self.path, self.name, split=self.split)
        except Exception as exc:
            raise MissingDataError(
                f"could not load {self!r} from the Hugging Face hub ({type(exc).__name__}: "
                f"{exc}). {offline_hint()}"
            ) from None
        for index, record in enumerate(ds):
            yield index, dict(record)


def locate_folder(path: str | Path) -> Path | None:
    """``path`` as an existing folder, or None.

    A relative path that does not exist from the working directory is also tried from the
    shell's working directory (``$PWD``): Inspect runs a task file from the file's own folder,
    but a relative path typed on the command line means the folder the command was run in.
    """
    folder = Path(path).expanduser()
    if folder.is_dir():
        return folder
    shell_cwd = os.environ.get("PWD")
    if not folder.is_absolute() and shell_cwd and (Path(shell_cwd) / folder).is_dir():
        return Path(shell_cwd) / folder
    return None


def resolve_data_dir(data_dir: str | Path | None = None) -> Path | None:
    """The local data folder to use: the argument, else ``$SUSTAIN_DATA_DIR``, else None."""
    chosen = data_dir if data_dir not in (None, "") else os.environ.get(DATA_DIR_ENV) or None
    if chosen is None:
        return None
    folder = locate_folder(chosen)
    if folder is None:
        raise MissingDataError(f"data folder {chosen} does not exist (from "
                               f"{'data_dir' if data_dir else DATA_DIR_ENV})")
    return folder


def read_json_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) pairs from ``.jsonl``, ``.jsonl.gz`` or a ``.json`` array file."""
    if not path.is_file():
        raise MissingDataError(f"data file {path} not found")
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise SustainInputError(f"invalid JSON: {exc.msg}", path=path,
                                    line=exc.lineno) from None
        if not isinstance(data, list):
            raise SustainInputError("expected a JSON array of records", path=path)
        for i, record in enumerate(data, 1):
            if not isinstance(record, dict):
                raise SustainInputError("record is not an object", path=path, line=i)
            yield i, record
        return
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SustainInputError(f"invalid JSON ({exc.msg})", path=path,
                                        line=lineno) from None
            if not isinstance(record, dict):
                raise SustainInputError("line is not a JSON object", path=path, line=lineno)
            yield lineno, record
