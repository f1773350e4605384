"""Errors shown by Inspect keep their file, line and field, without a traceback."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sustain_tasks.errors import MissingDataError, SustainInputError

__all__ = ["SetupDataError", "SetupInputError", "located_errors"]

try:  # Inspect prints a PrerequisiteError as one message, without a traceback
    from inspect_ai._util.error import PrerequisiteError as _Shown
except ImportError:  # pragma: no cover - private API moved: a traceback, but still clear
    _Shown = Exception  # type: ignore[assignment,misc]


class SetupInputError(SustainInputError, _Shown):  # type: ignore[misc]
    """Bad input found while building a task or a model (shown without a traceback)."""


class SetupDataError(MissingDataError, _Shown):
    """Missing data found while building a task (shown without a traceback)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@contextlib.contextmanager
def located_errors(*, setup: bool = False) -> Iterator[None]:
    """Re-raise a :class:`SustainInputError` with its location inside the message.

    Inspect reports an exception by its ``message`` attribute when it has one, which for a
    :class:`SustainInputError` is the bare message without file, line and field. With
    ``setup`` (task or model construction) the error is also a ``PrerequisiteError``, which
    the ``inspect`` command prints as one message instead of a traceback.
    """
    try:
        yield
    except (SetupInputError, SetupDataError):
        raise
    except SustainInputError as exc:
        if setup:
            raise SetupInputError(str(exc)) from None
        if exc.message != str(exc):
            raise SustainInputError(str(exc)) from None
        raise
    except MissingDataError as exc:
        if setup:
            raise SetupDataError(str(exc)) from None
        raise
