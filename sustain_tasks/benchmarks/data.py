"""Loading benchmark records from the Hugging Face hub or from local files.

With a data directory (the ``data_dir`` argument or the ``SUSTAIN_DATA_DIR`` environment
variable) records are read from the files laid out as in the project's offline data folder;
otherwise the hub dataset is loaded with ``datasets``. Every malformed record is reported with
file, line and field.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sustain_tasks.errors import MissingDataError, MissingDependencyError, SustainInputError

__all__ = [
    "DATA_DIR_ENV",
    "HubSource",
    "locate_folder",
    "read_json_records",
    "resolve_data_dir",
]

DATA_DIR_ENV = "SUSTAIN_DATA_DIR"


class HubSource:
    """Where a benchmark lives on the hub."""

    def __init__(self, path: str, name: str | None, split: str) -> None:
        self.path, self.name, self.split = path, name, split

    def __repr__(self) -> str:
        return f"{self.path}" + (f" ({self.name})" if self.name else "") + f" [{self.split}]"

    def records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(index, record) pairs from the hub split; needs network or a warm cache."""
        try:
            import datasets
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise MissingDependencyError("datasets", purpose="loading from the hub") from exc
        try:
            ds = datasets.load_dataset(self.path, self.name, split=self.split)
        except Exception as exc:
            raise MissingDataError(
                f"could not load {self!r} from the Hugging Face hub ({type(exc).__name__}: "
                f"{exc}). Offline, point {DATA_DIR_ENV} (or the data_dir task argument) at a "
                "folder holding the local files."
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
