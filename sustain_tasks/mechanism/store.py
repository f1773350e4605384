"""Resumable per-item output: one JSON line per item, appended as soon as it is measured.

The first line records the settings the measurements depend on (model, dtype, inputs); a
restart with the same settings skips the items already written, and a restart with other
settings is refused rather than mixing two models' numbers. A last line cut off by a kill is
dropped and the file continues from the line before it. Bulky arrays go to ``.npy`` files
beside it, written (atomically) before their line, so a line never points to a missing file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from sustain_tasks.errors import SustainInputError

__all__ = ["ItemStore", "array_name"]

_HEADER = "settings"


def array_name(key: str) -> str:
    """A file name for an item's arrays (a short hash of its key)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20] + ".npy"


class ItemStore:
    """The per-item JSON Lines file of one analysis.

    Args:
        path: The file (created with its folder if missing).
        settings: What the measurements depend on; must match an existing file's.
    """

    def __init__(self, path: Path, settings: Mapping[str, Any]) -> None:
        self.path = path
        self.settings = dict(settings)
        self.records: dict[str, dict[str, Any]] = {}
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            self._load()
        else:
            with path.open("w", encoding="utf-8") as fh:
                fh.write(json.dumps({_HEADER: self.settings}, ensure_ascii=False) + "\n")
        self._fh: IO[str] | None = None

    def _load(self) -> None:
        good = 0  # bytes of whole, valid lines
        with self.path.open("rb") as fh:
            for number, raw in enumerate(fh, 1):
                try:
                    record = json.loads(raw.decode("utf-8")) if raw.endswith(b"\n") else None
                except (UnicodeDecodeError, json.JSONDecodeError):
                    record = None
                if not isinstance(record, dict):
                    if fh.read(1):  # not the last line: the file is damaged, not cut
                        raise SustainInputError("not a JSON object; delete the file to start "
                                                "again", path=self.path, line=number)
                    break
                if number == 1:
                    if record.get(_HEADER) != self.settings:
                        raise SustainInputError(
                            f"made with other settings ({record.get(_HEADER)}); give another "
                            "--out folder, or delete the file to start again",
                            path=self.path, line=1, field=_HEADER)
                elif isinstance(record.get("key"), str):
                    self.records[record["key"]] = record
                else:
                    raise SustainInputError("missing", path=self.path, line=number, field="key")
                good += len(raw)
        if good == 0:
            raise SustainInputError("empty or unreadable settings line; delete the file to "
                                    "start again", path=self.path, line=1)
        if good < self.path.stat().st_size:
            with self.path.open("r+b") as fh:
                fh.truncate(good)

    def __contains__(self, key: str) -> bool:
        return key in self.records

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records.values())

    def add(self, record: Mapping[str, Any]) -> None:
        """Append one item's record (its ``key`` must be new) and flush it to disk."""
        key = record["key"]
        if key in self.records:
            raise ValueError(f"item {key!r} is already stored")
        if self._fh is None:
            self._fh = self.path.open("a", encoding="utf-8")
        self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.records[key] = dict(record)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> ItemStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
