"""Writing the command line's output files: checked first, written atomically.

Every file a ``sustain`` command writes (``extract --out``, ``score --out``, ``score --plot``)
goes through :func:`check_output` before any input is read, so a bad destination fails in a
second rather than after the work: a folder, a missing or unwritable folder, or a path that is
(or resolves to) one of the command's inputs is refused with the path named. The file is then
written by :func:`write_atomic`: to a temporary file beside it, flushed and renamed over the
destination, so a full disk or a crash never leaves a fragment where a good file was. A new
file gets the usual permissions (``0666`` less the umask); a replaced file keeps its own.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO

from sustain_tasks.errors import SustainInputError

__all__ = ["check_output", "open_atomic", "write_atomic"]


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _is_input(out: Path, source: Path, reads: Callable[[Path], bool] | None) -> bool:
    if source.is_dir():
        try:
            out.relative_to(source.resolve())
        except ValueError:
            return False
        return out.exists() and (reads is None or reads(out))
    return source.exists() and out.exists() and os.path.samefile(out, source)


def check_output(path: str | Path, *, inputs: Sequence[str | Path] = (),
                 reads: Callable[[Path], bool] | None = None,
                 option: str = "--out") -> Path:
    """The destination ``path``, checked before any work.

    Args:
        path: Where the command will write.
        inputs: The command's input files and folders.
        reads: For an input folder, whether the command would read a given file in it (a file
            it would not read may be written there); None: any existing file in it.
        option: The option naming the destination, for messages.

    Raises:
        SustainInputError: ``path`` is a folder, its folder cannot be created or written, or
            it is one of the inputs.
    """
    out = Path(path).expanduser()
    if out.is_dir():
        raise SustainInputError(f"is a folder; {option} takes a file path", path=out)
    resolved = out.resolve()
    for source in inputs:
        if _is_input(resolved, Path(source).expanduser(), reads):
            raise SustainInputError(f"is an input of this command ({source}); writing it "
                                    "would destroy what is being read", path=out)
    folder = resolved.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SustainInputError(f"cannot create its folder: {exc.strerror or exc}",
                                path=out) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SustainInputError(f"its folder {folder} is not writable", path=out)
    return out


@contextlib.contextmanager
def open_atomic(path: str | Path) -> Iterator[IO[str]]:
    """A text stream whose content replaces ``path`` only when the block ends without error.

    Raises:
        SustainInputError: the file cannot be written (full disk, permissions), naming it.
    """
    out = Path(path)
    try:
        mode = stat.S_IMODE(out.stat().st_mode)
    except OSError:
        mode = 0o666 & ~_current_umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    except OSError as exc:
        raise SustainInputError(f"cannot write: {exc.strerror or exc}", path=out) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise SustainInputError(f"cannot write: {exc.strerror or exc}", path=out) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: str | Path, chunks: str | Iterable[str]) -> None:
    """Write ``chunks`` (a string or strings) to ``path`` atomically (see :func:`open_atomic`)."""
    with open_atomic(path) as stream:
        if isinstance(chunks, str):
            stream.write(chunks)
        else:
            for chunk in chunks:
                stream.write(chunk)
