"""User-facing errors.

Every problem caused by input (a data file, an output file, a log, a constraint record, a task
argument) is raised as a :class:`SustainInputError` that names the file, the line and the field,
so the command line can print one clear sentence instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["MissingDataError", "MissingDependencyError", "SustainError", "SustainInputError"]


class SustainError(Exception):
    """Base class of every error sustainscore raises on purpose."""


class SustainInputError(SustainError, ValueError):
    """Bad input, located as precisely as possible: ``file:line: field 'x': message``."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        if self.field is not None:
            where += f"field '{self.field}': "
        return where + self.message


class MissingDataError(SustainError, FileNotFoundError):
    """A benchmark's data could be found neither locally nor on the hub."""


class MissingDependencyError(SustainError, ImportError):
    """A dependency is missing or too old; the message says how to install it.

    Args:
        module: The distribution, optionally with a version requirement (``datasets>=4.7``).
        extra: The sustainscore extra that provides it, for optional dependencies.
        purpose: What it is needed for.
        found: The version installed, when it is too old.
    """

    def __init__(self, module: str, extra: str | None = None, purpose: str = "",
                 found: str | None = None) -> None:
        hint = f"pip install 'sustainscore[{extra}]'" if extra else f"pip install -U '{module}'"
        what = f" (needed for {purpose})" if purpose else ""
        kind = "the optional dependency" if extra else "the dependency"
        state = f"is too old (found {found})" if found else "is not installed"
        super().__init__(f"{kind} '{module}' {state}{what}; run: {hint}")
