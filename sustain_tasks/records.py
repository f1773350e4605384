"""Reading and writing the two record files users handle: constraints and outputs.

Both are JSON Lines; every problem is reported as a :class:`SustainInputError` naming the
file, the line and the field.

Constraints file (written by ``sustain extract``, read by the lm-eval self mode and
``sustain check``), one line per item that got constraints::

    {"id": "7", "task": "gsm8k", "source": "self", "constraints": [{"kind": ..., "params": ...,
     "text": ...}]}

Outputs file (read by ``sustain check``, ``sustain verify``, ``sustain extract`` and the replay
model), one line per recorded output::

    {"id": "7", "output": "...", "variant": "constrained", "target": "18"}

where ``variant`` (plain, constrained, placebo, retest) and ``target`` are optional. For the
replay models a line may give ``question`` (text found in the prompt) instead of ``id``
(``read_outputs_file(..., allow_question=True)``); ``sustain check`` and ``sustain verify``
need ids.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, cast

from sustain_tasks.constraints import Constraint, constraint_from_record, validate_set
from sustain_tasks.errors import SustainInputError
from sustain_tasks.outfiles import open_atomic
from sustain_tasks.protocol import VARIANTS, Variant

__all__ = [
    "SOURCES",
    "ConstraintSet",
    "OutputRecord",
    "Source",
    "iter_jsonl",
    "normalise_task",
    "read_constraints_file",
    "read_outputs_file",
    "sample_id",
    "write_constraints_file",
    "write_jsonl",
    "write_outputs_file",
]

Source = Literal["self", "reference"]
SOURCES: tuple[Source, ...] = ("self", "reference")


@dataclass(frozen=True)
class ConstraintSet:
    """The constraints inserted for one item.

    Attributes:
        id: The item's sample id.
        task: Benchmark name (``gsm8k``, ...).
        source: ``"self"`` (extracted from the model's own plain answer) or ``"reference"``.
        constraints: The constraints, in prompt order.
        line: Line of the file it was read from, when read from a file.
    """

    id: str
    task: str
    source: Source
    constraints: tuple[Constraint, ...]
    line: int | None = None

    def to_record(self) -> dict[str, Any]:
        """The JSON object written to a constraints file."""
        return {"id": self.id, "task": self.task, "source": self.source,
                "constraints": [c.to_record() for c in self.constraints]}


@dataclass(frozen=True)
class OutputRecord:
    """One recorded model output.

    Attributes:
        id: The item's sample id; None only for a line keyed by ``question`` (read with
            ``allow_question=True``).
        output: The raw output text (may be empty).
        variant: Which prompt variant produced it, when known.
        target: A gold answer overriding the dataset's, when given.
        line: Line of the file it was read from, when read from a file.
        question: Text of the item's question, found in the prompt (replay lines keyed by
            question rather than id).
    """

    id: str | None
    output: str
    variant: Variant | None = None
    target: str | None = None
    line: int | None = None
    question: str | None = None

    @property
    def item_id(self) -> str:
        """The sample id; an error for a line keyed only by its question."""
        if self.id is None:
            raise SustainInputError("this line has no 'id' (only a 'question')",
                                    line=self.line, field="id")
        return self.id

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {}
        if self.id is not None:
            record["id"] = self.id
        if self.question is not None:
            record["question"] = self.question
        record["output"] = self.output
        if self.variant is not None:
            record["variant"] = self.variant
        if self.target is not None:
            record["target"] = self.target
        return record


# -- helpers shared by every reader ----------------------------------------------------------

def normalise_task(name: str) -> str:
    """``sustain_gsm8k`` / ``GSM8K`` / ``pkg/sustain_gsm8k`` → ``gsm8k``."""
    return name.strip().rpartition("/")[2].lower().removeprefix("sustain_")


def sample_id(value: Any, *, path: str | Path | None = None, line: int | None = None,
              field: str = "id") -> str:
    """A sample id as a string: a non-empty string or an integer; anything else is an error."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise SustainInputError(f"sample id must be a string or an integer, got {value!r}",
                                path=path, line=line, field=field)
    text = str(value)
    if not text.strip():
        raise SustainInputError("sample id is empty", path=path, line=line, field=field)
    return text


def _open_bytes(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSON Lines file (``.gz`` too).

    Raises:
        SustainInputError: the file is missing or unreadable, a line is not valid JSON or not
            a JSON object.
    """
    p = Path(path)
    if not p.exists():
        raise SustainInputError("file not found", path=p)
    if p.is_dir():
        raise SustainInputError("is a folder, expected a JSON Lines file", path=p)
    try:
        with _open_bytes(p) as fh:
            for lineno, raw in enumerate(fh, 1):
                try:  # decoded line by line, so a bad byte is located on its own line
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise SustainInputError(f"not UTF-8 text (byte {exc.start + 1} of the line)",
                                            path=p, line=lineno) from None
                if not text.strip():
                    continue
                try:
                    record = json.loads(text.rstrip("\r\n"))
                except json.JSONDecodeError as exc:
                    raise SustainInputError(f"malformed JSON ({exc.msg} at column {exc.pos + 1})",
                                            path=p, line=lineno) from None
                if not isinstance(record, dict):
                    raise SustainInputError(
                        f"expected a JSON object, got {type(record).__name__}", path=p,
                        line=lineno)
                yield lineno, record
    except (OSError, EOFError) as exc:
        raise SustainInputError(f"cannot read: {exc}", path=p) from None


def write_jsonl(path: str | Path, records: Iterable[Mapping[str, Any]]) -> int:
    """Write ``records`` as JSON Lines, atomically (a partial file never replaces ``path``;
    see :mod:`sustain_tasks.outfiles`).

    Returns the number of lines written.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open_atomic(p) as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    return n


# -- constraints files -----------------------------------------------------------------------

def read_constraints_file(path: str | Path, task: str | None = None) -> dict[str, ConstraintSet]:
    """Constraint sets by sample id, validated.

    Every line is checked as extraction would have built it: known constraint ids, valid
    parameters, 1 to ``MAX_K`` (3) constraints, no two that conflict
    (:func:`sustain_tasks.constraints.validate_set`), so a hand-written file cannot ask for
    what an extracted one never would. A line without ``source`` is taken as ``"self"`` (the
    constraints came from the model's own plain answer); write ``"reference"`` for
    constraints extracted from the dataset's reference solutions.

    Args:
        path: A constraints JSONL file.
        task: When given, every line's ``task`` must name this benchmark.

    Raises:
        SustainInputError: malformed line, missing or ill-typed field, unknown constraint id,
            bad parameters, more than three constraints or two that conflict, duplicate id or
            a task other than ``task``; each names the file, the line and the field.
    """
    wanted = normalise_task(task) if task else None
    sets: dict[str, ConstraintSet] = {}
    for line, record in iter_jsonl(path):
        if "id" not in record:
            raise SustainInputError("missing", path=path, line=line, field="id")
        item_id = sample_id(record["id"], path=path, line=line)
        line_task = record.get("task")
        if not isinstance(line_task, str) or not line_task.strip():
            raise SustainInputError("missing or not a string", path=path, line=line,
                                    field="task")
        line_task = normalise_task(line_task)
        if wanted is not None and line_task != wanted:
            raise SustainInputError(f"constraints are for task {line_task!r}, not {wanted!r}",
                                    path=path, line=line, field="task")
        source = record.get("source", "self")
        if source not in SOURCES:
            raise SustainInputError(f"must be one of {list(SOURCES)}, got {source!r}",
                                    path=path, line=line, field="source")
        raw = record.get("constraints")
        if not isinstance(raw, list) or not raw:
            raise SustainInputError("must be a non-empty list of constraint records",
                                    path=path, line=line, field="constraints")
        constraints = tuple(
            constraint_from_record(r, path=path, line=line, field=f"constraints[{i}]")
            for i, r in enumerate(raw)
        )
        problem = validate_set(constraints)
        if problem is not None:
            raise SustainInputError(problem, path=path, line=line, field="constraints")
        if item_id in sets:
            raise SustainInputError(
                f"duplicate id {item_id!r} (first on line {sets[item_id].line})",
                path=path, line=line, field="id")
        sets[item_id] = ConstraintSet(item_id, line_task, cast(Source, source), constraints,
                                      line)
    return sets


def write_constraints_file(path: str | Path, sets: Iterable[ConstraintSet]) -> int:
    """Write constraint sets as a constraints file; returns the number of lines."""
    return write_jsonl(path, (s.to_record() for s in sets))


# -- outputs files ---------------------------------------------------------------------------

def read_outputs_file(path: str | Path, *, allow_duplicates: bool = False,
                      allow_question: bool = False) -> list[OutputRecord]:
    """Recorded outputs in file order.

    An empty ``output`` is accepted (it is a legitimate, if wrong, model answer).

    Args:
        path: An outputs JSONL file.
        allow_duplicates: Accept the same (id, variant) twice; otherwise it is an error, since
            it makes the file ambiguous.
        allow_question: Accept lines keyed by ``question`` (text of the item's question, found
            in the prompt) instead of ``id``, as the replay models do; such records have
            ``id`` None. Off by default: ``sustain check`` and ``sustain verify`` need ids.

    Raises:
        SustainInputError: malformed line, missing or ill-typed field, unknown variant, a
            blank ``target`` or ``question``, duplicate (id, variant) or (question, variant).
    """
    records: list[OutputRecord] = []
    seen: dict[tuple[str, str, str | None], int] = {}
    for line, record in iter_jsonl(path):
        question = record.get("question") if allow_question else None
        if question is not None:
            if not isinstance(question, str) or not question.strip():
                raise SustainInputError(f"must be a non-empty string, got {question!r}",
                                        path=path, line=line, field="question")
            question = question.strip()
        item_id: str | None = None
        if "id" in record:
            item_id = sample_id(record["id"], path=path, line=line)
        elif question is None:
            raise SustainInputError(
                "missing (give an 'id', or a 'question' found in the prompt)" if allow_question
                else "missing", path=path, line=line, field="id")
        if "output" not in record:
            raise SustainInputError("missing", path=path, line=line, field="output")
        output = record["output"]
        if output is None:
            output = ""
        if not isinstance(output, str):
            raise SustainInputError(f"must be a string, got {type(output).__name__}",
                                    path=path, line=line, field="output")
        variant = record.get("variant")
        if variant is not None and variant not in VARIANTS:
            raise SustainInputError(f"must be one of {list(VARIANTS)}, got {variant!r}",
                                    path=path, line=line, field="variant")
        target = record.get("target")
        if target is not None:
            if isinstance(target, bool) or not isinstance(target, str | int | float):
                raise SustainInputError(f"must be a string or a number, got {target!r}",
                                        path=path, line=line, field="target")
            target = str(target)
            if not target.strip():
                raise SustainInputError("is empty (leave the field out to use the dataset's "
                                        "answer)", path=path, line=line, field="target")
        field, value = ("id", item_id) if item_id is not None else ("question", question or "")
        key = (field, value, variant)
        if key in seen and not allow_duplicates:
            what = f"{field} {value!r}" + (f" with variant {variant!r}" if variant else "")
            raise SustainInputError(f"duplicate {what} (first on line {seen[key]})",
                                    path=path, line=line, field=field)
        seen.setdefault(key, line)
        records.append(OutputRecord(item_id, output, cast(Variant | None, variant), target,
                                    line, question))
    return records


def write_outputs_file(path: str | Path, records: Iterable[OutputRecord]) -> int:
    """Write outputs as an outputs file; returns the number of lines."""
    return write_jsonl(path, (r.to_record() for r in records))
