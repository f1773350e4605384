"""Read lm-eval output folders/samples files and Inspect logs into per-sample rows.

Any mix of inputs is accepted; each path may be a file or a folder (searched recursively):

- Inspect logs: ``*.eval`` files, and ``*.json`` files that hold an Inspect log. Each sample's
  ``sustain_scorer`` score gives one row per variant that ran (plain, constrained, placebo,
  retest), with ``plain_f1`` / ``constrained_f1`` when the task grades answers; the sample's
  metadata gives the item's metadata (subject, level, type, ...). Only epoch 1 is used (a
  warning says so when a log has more: Inspect's own metrics count every (sample, epoch)
  pair, so its ``sustain_score`` and ``n_sustain`` can differ from the report's).
- lm-eval: ``samples_sustain_<bench>_<variant>_<date>.jsonl`` files written with
  ``--log_samples``. The line whose ``filter`` is ``flexible-extract`` is used (or the only
  line of a doc, with a warning): its ``acc`` (and ``f1`` when present), and the doc's
  ``metadata``. The model name comes from the ``results_<date>.json`` beside it. The samples
  files one lm-eval invocation wrote (same folder, same date stamp in the file names, shared
  with its ``results_<date>.json``) form one run: the plain and constrained variants of a
  ``sustain_<bench>`` group run pair with each other, not with another run's.

Files of other tasks are skipped with a warning; malformed files raise
:class:`SustainInputError` naming the file, the line or sample, and the field.

Each row carries its run's :class:`RunInfo`: the protocol (mode, k, kinds, seed: Inspect's
task arguments; for lm-eval, the ``--metadata`` the constrained task got, from the results
file, or the constraints file of a self-mode run) and whether the run is complete. A run is
incomplete when

- an Inspect log's status is not ``success`` (``started`` for a killed run), or it holds
  fewer samples of epoch 1 than the run was started on (the sample ids in its header: the
  dataset cut by ``--limit`` / ``--sample-id``);
- an lm-eval samples file holds fewer docs than ``n-samples`` → ``effective`` of its task in
  the results file, or fewer lines than those docs times the filters its config lists
  (lm-eval writes a samples file line by line and, when one line cannot be encoded, e.g. an
  output holding a lone surrogate, stops there and still exits 0), ends in a line cut off in
  the middle (left out), or is missing although the results file counts docs for it.

The reader warns about each; which runs are scored is decided in
:mod:`~sustain_tasks.report.score` (an incomplete run never in place of a complete one).

Inputs are streamed: a samples file is read line by line and an ``.eval`` log sample by
sample, and each item keeps only a slim :class:`SampleRow` per variant (equal strings,
constraint id tuples and metadata shared between rows; of the item's metadata only the fields
the report breaks its task down by). A samples-file line of another filter than
``flexible-extract`` is parsed only when its doc has no ``flexible-extract`` line.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import sys
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, Literal, TypeVar, cast

from sustain_tasks.errors import MissingDependencyError, SustainInputError
from sustain_tasks.failures import last_line
from sustain_tasks.protocol import VARIANTS, Variant
from sustain_tasks.records import (
    OutputRecord,
    iter_jsonl,
    normalise_task,
    read_outputs_file,
    sample_id,
)

__all__ = [
    "ALLOW_INCOMPLETE_FLAG",
    "EXCERPT_CHARS",
    "MAX_KEPT_FAILURES",
    "FileKind",
    "KeptOutput",
    "LmEvalRun",
    "Protocol",
    "ReadResult",
    "RunInfo",
    "SampleRow",
    "Scalar",
    "classify",
    "discover",
    "excerpt",
    "kinds_label",
    "lmeval_run_info",
    "metadata_breakdowns",
    "read_inspect_log",
    "read_lmeval_samples",
    "read_outputs",
    "read_plain_outputs",
    "read_rows",
    "recording_of",
    "replay_label",
    "split_lmeval_task",
]

FileKind = Literal["inspect", "lmeval-samples", "lmeval-results", "outputs", "constraints"]
Tick = Callable[[], None]
Scalar = str | int | float | bool

SCORER = "sustain_scorer"
PREFERRED_FILTER = "flexible-extract"
_DATE = r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?"
_SAMPLES_RE = re.compile(rf"^samples_(?P<task>.+)_(?P<date>{_DATE})\.jsonl$")
_RESULTS_RE = re.compile(rf"^(?P<stem>.+)_(?P<date>{_DATE})\.json$")
_MODEL_ARG_KEYS = ("peft", "delta", "pretrained", "model", "path", "engine")
_CONSTRAINTS_FILE = "this is a constraints file (from sustain extract)"
_INSPECT_META_KEYS = frozenset({"task", "item_id"})
"""Keys the Inspect tasks add to a sample's metadata beside the item's own."""


def kinds_label(kinds: Any) -> str | None:
    """A constraint selection (``kinds`` task argument or metadata: a list or a
    comma-separated string) as one canonical string; None for the benchmark's default."""
    if kinds is None:
        return None
    parts = kinds.split(",") if isinstance(kinds, str) else \
        [str(k) for k in kinds] if isinstance(kinds, list | tuple) else [str(kinds)]
    text = ",".join(p.strip() for p in parts if p.strip())
    return text or None


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


@dataclass(frozen=True)
class Protocol:
    """What a run measured: its mode and the arguments that change what is measured.

    Runs of different protocols are scored side by side, never one in place of another. A
    control run (retest, placebo) belongs to the self-mode protocol of its k, kinds and seed,
    whose items it controls. None means unknown (not recorded by the run).

    Attributes:
        mode: self, reference, plain, ... (a control run's protocol says self).
        k: Constraints per item.
        kinds: The constraint selection (:func:`kinds_label`), None for the default.
        seed: The extraction seed.
        constraints: The constraints file of an lm-eval self-mode run (``--metadata
            constraints_path``), which fixed k, kinds and seed when it was extracted.
    """

    mode: str | None
    k: int | None = None
    kinds: str | None = None
    seed: int | None = None
    constraints: str | None = None

    def label(self) -> str:
        """``k=1, seed=0`` (with ``kinds=...`` and ``constraints=...`` when set); ``-`` when
        nothing is known."""
        parts = [f"k={self.k}" if self.k is not None else "",
                 f"kinds={self.kinds}" if self.kinds is not None else "",
                 f"seed={self.seed}" if self.seed is not None else "",
                 f"constraints={Path(self.constraints).name}" if self.constraints else ""]
        return ", ".join(p for p in parts if p) or "-"

    def order(self) -> tuple[Any, ...]:
        """A sort key (None first)."""
        return tuple((v is not None, v if v is not None else 0 if i in (1, 3) else "")
                     for i, v in enumerate((self.mode, self.k, self.kinds, self.seed,
                                            self.constraints)))


@dataclass(eq=False, slots=True)
class RunInfo:
    """What one run was started to do and whether it finished: one Inspect log, or one
    lm-eval invocation for one benchmark (its plain and constrained samples files share it).

    Attributes:
        mode: The mode the run was started in (Inspect's ``mode`` task argument; lm-eval:
            ``self`` when its ``--metadata`` named a constraints file, else ``reference``, when
            its results file says); None when not recorded (the rows' modes tell).
        k, kinds, seed, constraints: As in :class:`Protocol`; None when not recorded.
        problems: Why the run is incomplete (an Inspect log whose status is not ``success``
            or that holds fewer samples than it was started on; an lm-eval samples file with
            fewer docs or lines than its results file counts, cut in the middle of a line, or
            missing); empty when it is complete or nothing says otherwise.
        recording: For a replay model (``sustain/replay``, ``sustain-replay``), the recorded
            outputs it answered from (:func:`recording_of`); None for any other model. Runs
            of different recordings are never paired.
    """

    mode: str | None = None
    k: int | None = None
    kinds: str | None = None
    seed: int | None = None
    constraints: str | None = None
    problems: list[str] = field(default_factory=list)
    recording: str | None = None

    @property
    def complete(self) -> bool:
        return not self.problems


@dataclass(slots=True)
class SampleRow:
    """The verdicts of one variant of one item in one run.

    A read of a million items makes two million rows, so a row is small (slots; equal
    strings, constraint id tuples and metadata mappings are shared between rows) and quick to
    make. Rows are shared between the groups and breakdowns of a report: treat them as
    read-only (they are not frozen only because a frozen dataclass takes several times as long
    to build).

    Attributes:
        model: Model name as the harness recorded it.
        task: Benchmark name (``gsm8k``).
        sample_id: The item's sample id.
        variant: plain, constrained, placebo or retest.
        correct: The task verdict.
        compliant: All constraints satisfied (constrained rows; None when unknown).
        compliant_loose: The same, loosely checked.
        kinds: Constraint ids inserted (constrained rows).
        categories: Their categories, parallel to ``kinds`` or deduplicated.
        n_constraints: How many constraints were inserted (None when unknown). Inspect rows
            of every variant carry the number the run got for the item, so a plain row with
            0 says that no constraint was found for it (not that a generation is missing).
        mode: self, reference, ... when the run recorded it.
        harness: ``inspect`` or ``lm-eval``.
        run: Identifies the run: the Inspect log, or the lm-eval invocation (its results
            file, else its folder and date stamp).
        created: When the run started, seconds since the epoch (0 when unknown).
        f1: The graded score of this output when the task has one (token F1 for HotpotQA),
            else None.
        metadata: The item's metadata the report breaks its task down by, as the run
            recorded it (:func:`metadata_breakdowns`; MATH-500: ``subject``, ``level``;
            HotpotQA: ``type``, ``level``); empty when unknown. The readers share one
            mapping between rows with equal metadata: treat it as read-only.
        rule_correct: When a grader model decided this verdict (Inspect ``-T grader=model``),
            the rule-based verdict it replaced; None when the rules decided.
        run_info: What the run was started to do and whether it finished, shared by its
            rows; None when unknown (then the row's ``mode`` tells the protocol and the run
            counts as complete).
        answer_found, in_format, stop_reason: What the failure labels read about a
            constrained output (:mod:`sustain_tasks.failures`): an answer was extracted, it
            is in the format the prompt asks for, why generation stopped (Inspect only);
            None when the run did not record it.
        last_line: The output's last non-blank line, when the read was asked to keep it
            (``read_rows(..., last_lines=True)``, for failure listings); else None.
    """

    model: str
    task: str
    sample_id: str
    variant: Variant
    correct: bool
    compliant: bool | None = None
    compliant_loose: bool | None = None
    kinds: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    n_constraints: int | None = None
    mode: str | None = None
    harness: str = ""
    run: str = ""
    created: float = 0.0
    f1: float | None = None
    metadata: Mapping[str, Scalar] = field(default_factory=dict)
    rule_correct: bool | None = None
    run_info: RunInfo | None = None
    answer_found: bool | None = None
    in_format: bool | None = None
    stop_reason: str | None = None
    last_line: str | None = None


def metadata_breakdowns(task: str) -> tuple[str, ...]:
    """The item metadata fields the report breaks ``task``'s metrics down by (difficulty and
    kind of problem), as the benchmark declares them (``Benchmark.breakdowns``); none for a
    task this installation does not know. Items whose run did not record a field are left out
    of its breakdown."""
    from sustain_tasks.benchmarks import BENCHMARKS, get_benchmark

    if task not in BENCHMARKS:
        return ()
    return get_benchmark(task).breakdowns


EXCERPT_CHARS = 2000
"""An output kept for a failure table keeps at most this many characters: its first and
last ``EXCERPT_CHARS // 2``, joined by a line saying how many were left out."""


def excerpt(text: str, chars: int = EXCERPT_CHARS) -> str:
    """``text`` when it has at most ``chars`` characters, else its beginning and its end with
    ``… N characters omitted …`` between them."""
    if len(text) <= chars:
        return text
    head = chars // 2
    tail = chars - head
    return (f"{text[:head]}\n… {len(text) - head - tail} characters omitted …\n"
            f"{text[len(text) - tail:]}")


@dataclass(frozen=True)
class KeptOutput:
    """An output kept by :func:`read_outputs`: its excerpt (None when the run recorded no
    text) and the texts of the constraints its prompt carried (empty for a plain prompt)."""

    text: str | None
    constraints: tuple[str, ...] = ()


def _constraint_texts(records: Any) -> tuple[str, ...]:
    if not isinstance(records, list):
        return ()
    return tuple(excerpt(r["text"], EXCERPT_CHARS // 4) for r in records
                 if isinstance(r, Mapping) and isinstance(r.get("text"), str))


_NO_METADATA: Mapping[str, Scalar] = MappingProxyType({})
_MISSING = object()
_MAX_SHARED_METADATA = 4096


class _Shared:
    """Equal values shared between the rows of one read: constraint id tuples, their
    categories and item metadata mappings (sample ids go through :func:`sys.intern`), so that a
    million items hold each distinct value once rather than once per row."""

    __slots__ = ("_categories", "_kinds", "_metadata", "last_lines", "lmeval_files", "runs")

    def __init__(self, last_lines: bool = False) -> None:
        self.last_lines = last_lines
        """Keep each output's last line in its row (failure listings)."""
        self.runs: dict[tuple[str, str], RunInfo] = {}
        """(run id, task) → the run's :class:`RunInfo`, shared by the files of one run."""
        self.lmeval_files: dict[tuple[str, str], tuple[LmEvalRun, Path]] = {}
        """(run id, task) → an lm-eval run and one of its samples files that was read."""
        self._kinds: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._categories: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._metadata: dict[tuple[tuple[Any, ...], tuple[type, ...]], Mapping[str, Scalar]] = {}

    def keeps_line(self, variant: str, correct: bool | None) -> bool:
        """Whether a row keeps its output's last line: only for failure listings, and only
        where a failure can need it (a correct plain answer, a wrong constrained one)."""
        return self.last_lines and (
            (variant == "plain" and correct is True)
            or (variant == "constrained" and correct is False))

    def kinds(self, kinds: tuple[str, ...]) -> tuple[str, ...]:
        if not kinds:
            return ()
        found = self._kinds.get(kinds)
        if found is None:
            found = self._kinds[kinds] = tuple(sys.intern(k) for k in kinds)
        return found

    def categories(self, kinds: tuple[str, ...]) -> tuple[str, ...]:
        if not kinds:
            return ()
        found = self._categories.get(kinds)
        if found is None:
            found = self._categories[kinds] = tuple(
                sys.intern(c) for c in _categories(kinds))
        return found

    def kinds_of(self, records: Any, *, path: Path, line: int | None,
                 field: str) -> tuple[str, ...]:
        """The constraint ids of a list of constraint records (validated)."""
        if type(records) is list:
            try:
                found = self._kinds.get(tuple([r["kind"] for r in records]))
            except (TypeError, KeyError):  # not records: _kinds_of names the problem
                found = None
            if found is not None:  # a tuple already validated
                return found
        return self.kinds(_kinds_of(records, path=path, line=line, field=field))

    def item_metadata(self, value: Any, keep: tuple[str, ...], *, path: Path,
                      line: int | None, field: str,
                      skip: frozenset[str] = frozenset()) -> Mapping[str, Scalar]:
        """:func:`_item_metadata` restricted to ``keep``, one mapping per distinct value."""
        key: tuple[tuple[Any, ...], tuple[type, ...]] | None = None
        if keep and type(value) is dict:
            values = tuple([value.get(k, _MISSING) for k in keep])
            key = (values, tuple([v.__class__ for v in values]))
            try:
                found = self._metadata.get(key)
            except TypeError:  # a list or an object: never kept, but not hashable either
                key = found = None
            if found is not None:
                return found
        metadata = _item_metadata(value, path=path, line=line, field=field, skip=skip,
                                  keep=keep) or _NO_METADATA
        if key is not None and len(self._metadata) < _MAX_SHARED_METADATA:
            self._metadata[key] = metadata
        return metadata


@dataclass
class ReadResult:
    """Rows read from some inputs, with the warnings met on the way."""

    rows: list[SampleRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def extend(self, other: ReadResult) -> None:
        self.rows.extend(other.rows)
        self.warnings.extend(other.warnings)
        self.files.extend(other.files)


# -- discovery -------------------------------------------------------------------------------

def _peek(path: Path, size: int = 4096) -> str:
    try:
        with path.open("rb") as fh:
            return fh.read(size).decode("utf-8", errors="replace")
    except OSError as exc:
        raise SustainInputError(f"cannot read: {exc}", path=path) from None


def _is_constraints_line(first: str) -> bool:
    """Whether the first line of a JSONL file is a constraints-file line (``id``, ``task``,
    ``constraints`` and no ``output``); judged on the text when the line is too long to have
    been read whole."""
    try:
        record = json.loads(first)
    except json.JSONDecodeError:
        return '"constraints":' in first and '"output":' not in first
    return isinstance(record, dict) and "constraints" in record and "output" not in record


def classify(path: Path) -> FileKind | None:
    """What ``path`` holds, judged by name and first bytes; None for anything else."""
    name = path.name
    if name.endswith(".eval"):
        return "inspect"
    if name.endswith(".jsonl") or name.endswith(".jsonl.gz"):
        if _SAMPLES_RE.match(name):
            return "lmeval-samples"
        if name.endswith(".gz"):
            return "outputs"
        head = _peek(path).lstrip()
        if not head:
            return "outputs"  # an empty JSON Lines file: no outputs
        first = head.split("\n", 1)[0]
        if '"doc_id"' in first and '"resps"' in first:
            return "lmeval-samples"
        if first.startswith("{"):
            return "constraints" if _is_constraints_line(first) else "outputs"
        return None
    if name.endswith(".json"):
        if name.startswith("results_"):
            return "lmeval-results"
        head = _peek(path)
        compact = re.sub(r"\s+", "", head[:2048])
        if compact.startswith('{"version":') and '"eval":' in compact:
            return "inspect"
        if '"lm_eval_version"' in head or ('"results":' in compact and '"configs":' in compact):
            return "lmeval-results"
        if re.match(r'^\{"results":', compact) and _RESULTS_RE.match(name):
            return "lmeval-results"
        return None
    return None


def discover(paths: Sequence[str | Path]) -> list[tuple[FileKind, Path]]:
    """The readable files under ``paths`` (files as given, folders searched recursively).

    A results file passed directly brings in the samples files of the same run.

    Raises:
        SustainInputError: a path does not exist, a file given directly is of no known kind,
            or a folder holds nothing readable.
    """
    found: dict[Path, FileKind] = {}
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise SustainInputError("no such file or folder", path=path)
        if path.is_dir():
            before = len(found)
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                kind = classify(child)
                if kind in ("inspect", "lmeval-samples", "lmeval-results"):
                    found.setdefault(child, cast(FileKind, kind))
            if len(found) == before:
                raise SustainInputError("no Inspect logs or lm-eval samples files found in this "
                                        "folder", path=path)
            continue
        kind = classify(path)
        if kind is None:
            raise SustainInputError("not an Inspect log (.eval/.json), an lm-eval samples file "
                                    "(samples_*.jsonl) or an lm-eval results file", path=path)
        if kind == "outputs":
            raise SustainInputError("an outputs file holds no verdicts; give lm-eval samples "
                                    "files or Inspect logs (or judge outputs with 'sustain "
                                    "verify')", path=path)
        if kind == "constraints":
            raise SustainInputError(_CONSTRAINTS_FILE + "; score reads lm-eval outputs and "
                                    "Inspect logs", path=path)
        found.setdefault(path, kind)
        if kind == "lmeval-results":
            date = _RESULTS_RE.match(path.name)
            if date:
                for sibling in sorted(path.parent.glob(f"samples_*_{date['date']}.jsonl")):
                    found.setdefault(sibling, "lmeval-samples")
    return [(kind, path) for path, kind in found.items()]


# -- small parsers ---------------------------------------------------------------------------

def _flag(value: Any, *, path: Path, line: int | None, field: str) -> bool | None:
    """A 0/1 verdict: None stays None; booleans and the numbers 0 and 1 are accepted."""
    kind = value.__class__
    if kind is float or kind is int:  # the common case first (bool is not int here)
        if value == 1:
            return True
        if value == 0:
            return False
    elif value is None:
        return None
    elif kind is bool:
        return cast(bool, value)
    elif isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    raise SustainInputError(f"expected 0 or 1 (or true/false), got {value!r}", path=path,
                            line=line, field=field)


def _kinds_of(records: Any, *, path: Path, line: int | None, field: str) -> tuple[str, ...]:
    if records is None:
        return ()
    if not isinstance(records, list):
        raise SustainInputError("expected a list of constraint records", path=path, line=line,
                                field=field)
    kinds = []
    for i, record in enumerate(records):
        kind = record.get("kind") if type(record) is dict or isinstance(record, Mapping) \
            else None
        if type(kind) is not str or not kind:
            raise SustainInputError("missing or non-string constraint id", path=path, line=line,
                                    field=f"{field}[{i}].kind")
        kinds.append(kind)
    return tuple(kinds)


def _categories(kinds: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(k.partition(":")[0] for k in kinds))


def _graded(value: Any, *, path: Path, line: int | None, field: str) -> float | None:
    """A graded score (token F1): None stays None; otherwise a number from 0 to 1."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise SustainInputError(f"expected a number from 0 to 1 (or null), got {value!r}",
                                path=path, line=line, field=field)
    return float(value)


def _item_metadata(value: Any, *, path: Path, line: int | None, field: str,
                   skip: frozenset[str] = frozenset(),
                   keep: Collection[str] | None = None) -> dict[str, Scalar]:
    """The scalar entries of an item's metadata (lists and objects, e.g. HotpotQA's context
    paragraphs, are left out), only the keys in ``keep`` when given; None means none was
    recorded."""
    if value is None:
        return {}
    if type(value) is not dict and not isinstance(value, Mapping):
        raise SustainInputError(f"expected an object, got {type(value).__name__}", path=path,
                                line=line, field=field)
    out: dict[str, Scalar] = {}
    if keep is not None and len(keep) < len(value):  # look up the few keys kept
        value = {key: value[key] for key in keep if key in value}
    for key, item in value.items():
        if not isinstance(key, str) or key in skip or (keep is not None and key not in keep):
            continue
        if isinstance(item, float) and not math.isfinite(item):
            continue
        if isinstance(item, str | int | float | bool):
            out[key] = item
    return out


def _str_list(value: Any, *, path: Path, line: int | None, field: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SustainInputError("expected a list of strings", path=path, line=line, field=field)
    return tuple(value)


def split_lmeval_task(name: str) -> tuple[str, Variant] | None:
    """``sustain_gsm8k_plain`` → (``gsm8k``, ``plain``); None for other task names."""
    if not name.startswith("sustain_"):
        return None
    bench, sep, variant = name.removeprefix("sustain_").rpartition("_")
    for known in VARIANTS:
        if sep and bench and variant == known:
            return bench, known
    return None


def _parse_date(text: str) -> float:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H-%M-%S.%f").timestamp()
    except ValueError:
        try:
            return datetime.strptime(text, "%Y-%m-%dT%H-%M-%S").timestamp()
        except ValueError:
            return 0.0


# -- lm-eval ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class LmEvalRun:
    """What the results file of an lm-eval run says about it."""

    model: str
    created: float
    results_file: Path | None
    run_id: str = ""
    """Identifies the invocation: the results file, else the folder and date stamp shared by
    its samples files."""
    results: Mapping[str, Any] | None = None
    """The results file's object, when there is one."""


def _arg_pairs(model_args: Any) -> dict[str, str]:
    if isinstance(model_args, Mapping):
        return {str(k): str(v) for k, v in model_args.items() if v is not None}
    if isinstance(model_args, str):
        return dict(p.strip().split("=", 1) for p in model_args.split(",") if "=" in p)
    return {}


def _model_from_args(model_args: Any) -> str | None:
    pairs = _arg_pairs(model_args)
    for key in _MODEL_ARG_KEYS:
        if pairs.get(key):
            return pairs[key]
    return None


_SECRET_ARG = re.compile(r"key|token|secret|passw", re.IGNORECASE)
_MAX_ARGS_LABEL = 60


def _args_label(model_args: Any) -> str | None:
    """The model arguments as a short label: ``k=v,...`` (sorted), or a short hash when that
    would be long or could hold a credential; None when there are none."""
    pairs = _arg_pairs(model_args)
    if not pairs:
        return None
    text = ",".join(f"{k}={v}" for k, v in sorted(pairs.items()))
    if len(text) > _MAX_ARGS_LABEL or any(_SECRET_ARG.search(k) for k in pairs):
        return "args:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    return text


def recording_of(outputs: Any) -> str | None:
    """The recording a replay run answered from: its ``outputs`` argument as the run was
    given it, as a POSIX path (``./a//b.jsonl`` → ``a/b.jsonl``); None when there is none."""
    if not isinstance(outputs, str) or not outputs.strip():
        return None
    return Path(outputs.strip()).as_posix()


def replay_label(model: str, outputs: Any) -> str:
    """``sustain-replay[runs/a/outputs.jsonl]``: a replay model is named by the recording it
    answered from (the path as the run was given it, folders included), so that replays of
    different recordings stay apart, files of the same name in different folders too."""
    recording = recording_of(outputs)
    return f"{model}[{recording}]" if recording is not None else model


def lmeval_model_name(results: Mapping[str, Any]) -> str | None:
    """The model name of an lm-eval results object.

    ``model_name`` when the model arguments named the model (``pretrained=...``,
    ``model=...``); otherwise lm-eval made that name up at random, and the model type
    (``config.model``) is used with the model arguments (``gguf[base_url=http://a]``, or a
    short hash of them), so that runs made at different times pair while different models
    stay apart. ``sustain-replay`` is named by its recording
    (``sustain-replay[runs/outputs.jsonl]``) unless ``model=`` gave it another name than
    the ones ``sustain lm-eval`` adds (``sustain-replay``, ``sustain-replay[...]``).
    """
    config = results.get("config")
    config = config if isinstance(config, Mapping) else {}
    model_args = config.get("model_args")
    model = config.get("model")
    if model == "sustain-replay":
        pairs = _arg_pairs(model_args)
        given = pairs.get("model", "")
        if not given or given == model or given.startswith(f"{model}["):
            return replay_label(model, pairs.get("outputs"))
        return given  # a name the user chose; the recording still keeps runs apart
    named = _model_from_args(model_args)
    if named:
        name = results.get("model_name")
        return str(name) if isinstance(name, str) and name else named
    if isinstance(model, str) and model:
        label = _args_label(model_args)
        return f"{model}[{label}]" if label else model
    name = results.get("model_name")
    return str(name) if isinstance(name, str) and name else None


def lmeval_run_info(samples_path: Path) -> LmEvalRun:
    """Model and start time of the run that wrote ``samples_path``."""
    match = _SAMPLES_RE.match(samples_path.name)
    date = match["date"] if match else None
    results_file: Path | None = None
    if date is not None:
        candidates = sorted(samples_path.parent.glob(f"*_{date}.json"))
        results_file = candidates[0] if candidates else None
    model: str | None = None
    created = _parse_date(date) if date else 0.0
    results: Any = None
    if results_file is not None:
        try:
            results = json.loads(results_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SustainInputError(f"unreadable lm-eval results file ({exc})",
                                    path=results_file) from None
        if isinstance(results, Mapping):
            model = lmeval_model_name(results)
            if isinstance(results.get("date"), int | float):
                created = float(results["date"])
    if not created:
        try:
            created = samples_path.stat().st_mtime
        except OSError:
            created = 0.0
    if results_file is not None:
        run_id = str(results_file)
    elif date is not None:
        run_id = str(samples_path.parent / f"samples_*_{date}.jsonl")
    else:
        run_id = str(samples_path)
    return LmEvalRun(model or samples_path.parent.name, created, results_file, run_id,
                     results if isinstance(results, Mapping) else None)


class _Failed:
    """A line that could not be turned into a row, kept until it turns out to be needed."""

    __slots__ = ("error",)

    def __init__(self, error: SustainInputError) -> None:
        self.error = error


T = TypeVar("T")


def _first_line_of(path: Path, sid: str, filt: str) -> int:
    """The line of the first record for doc ``sid`` and filter ``filt`` (for an error)."""
    for line, record in iter_jsonl(path):
        doc = record.get("doc")
        if isinstance(doc, Mapping) and "id" in doc and str(doc["id"]) == sid and \
                str(record.get("filter", "")) == filt:
            return line
    return 0


_LMEVAL_LINE_START = re.compile(rb'\{"doc_id": (\d+), ')
"""How lm-eval begins every samples line (``json.dumps`` of a dict whose first key is
``doc_id``): a line that begins so was written by lm-eval with the default separators."""
_PREFERRED_MARK = f'"filter": "{PREFERRED_FILTER}"'.encode()
"""Bytes every line of the preferred filter holds when written so."""


_scan_json: Callable[[str, int], tuple[Any, int]] = \
    json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # set in __init__, untyped


def _parse_line(raw: bytes, *, path: Path, line: int) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
        try:  # the decoder's scanner alone: json.loads adds two regex matches per line
            record, end = _scan_json(text, 0)
            if text[end:].strip():
                raise ValueError("extra data")
        except (StopIteration, ValueError):  # json.loads says what is wrong, and where
            record = json.loads(text)
    except UnicodeDecodeError:
        raise SustainInputError("not UTF-8 text", path=path, line=line) from None
    except json.JSONDecodeError as exc:
        raise SustainInputError(f"malformed JSON ({exc.msg} at column {exc.pos + 1})",
                                path=path, line=line) from None
    if not isinstance(record, dict):
        raise SustainInputError(f"expected a JSON object, got {type(record).__name__}",
                                path=path, line=line)
    return record


@dataclass
class _Docs(Generic[T]):
    """What reading one samples file gave: one value per doc, and what was seen."""

    values: dict[str, T]
    warnings: list[str]
    lines: int
    """Non-blank whole lines (one per doc and filter)."""
    cut: int | None = None
    """The number of the last line when it is cut off in the middle (it is left out)."""


def _lmeval_docs(path: Path, tick: Tick | None, make: Callable[[int, dict[str, Any], str], T]
                 ) -> _Docs[T]:
    """One value per doc id, made by ``make(line, record, sample id)`` from the doc's line of
    the preferred filter (``flexible-extract``), else from its first line.

    The file is read line by line and only the values are kept, never the records. lm-eval
    writes the lines of one filter for every doc, then those of the next filter; a line that
    lm-eval wrote (it begins ``{"doc_id": N, ``) and that is not of the preferred filter is
    not parsed at all unless its doc turns out to have no preferred line (its position is
    kept, and it is parsed at the end). ``make`` validates its line; an error on a line that
    ends up unused is dropped with it.
    """
    chosen: dict[str, T | _Failed] = {}
    seen: dict[str, int] = {}  # doc id -> bit mask of the filters it has a parsed line for
    bits: dict[str, int] = {}
    fallback: dict[str, str] = {}  # doc id -> filter of its first line, until a preferred one
    unparsed: dict[int, tuple[int, int]] = {}  # lm-eval doc_id -> (line, offset), first line
    preferred_ids: set[int] = set()  # lm-eval doc_ids that have a preferred line
    lines = 0
    cut: int | None = None

    def take(line: int, record: dict[str, Any]) -> None:
        doc = record.get("doc")
        if type(doc) is not dict and not isinstance(doc, Mapping):
            raise SustainInputError("missing or not an object", path=path, line=line,
                                    field="doc")
        if "id" not in doc:
            raise SustainInputError("missing: sustain docs carry their sample id", path=path,
                                    line=line, field="doc.id")
        sid = doc["id"]
        sid = sys.intern(sid if type(sid) is str and sid.strip() else
                         sample_id(sid, path=path, line=line, field="doc.id"))
        filt = record.get("filter", "")
        filt = filt if type(filt) is str else str(filt)
        bit = bits.get(filt) or bits.setdefault(filt, 1 << len(bits))
        mask = seen.get(sid, 0)
        if mask & bit:
            raise SustainInputError(
                f"duplicate line for doc id {sid!r} and filter {filt!r} (first on line "
                f"{_first_line_of(path, sid, filt)})", path=path, line=line, field="doc.id")
        seen[sid] = mask | bit
        if filt == PREFERRED_FILTER:
            chosen[sid] = make(line, record, sid)
            fallback.pop(sid, None)
            doc_id = record.get("doc_id")
            if isinstance(doc_id, int):
                preferred_ids.add(doc_id)
                unparsed.pop(doc_id, None)
        elif not mask:
            try:
                chosen[sid] = make(line, record, sid)
            except SustainInputError as exc:
                chosen[sid] = _Failed(exc)
            fallback[sid] = filt

    try:
        with path.open("rb") as fh:
            offset = 0
            for line, raw in enumerate(fh, 1):
                start, offset = offset, offset + len(raw)
                if not raw.endswith(b"\n"):  # the last line: whole, or cut off mid-line
                    try:
                        record = _parse_line(raw, path=path, line=line)
                    except SustainInputError:
                        if raw.strip():
                            cut = line
                        break
                    lines += 1
                    take(line, record)
                    continue
                head = None if _PREFERRED_MARK in raw else _LMEVAL_LINE_START.match(raw)
                if head is not None:
                    lines += 1
                    doc_id = int(head[1])
                    if doc_id not in preferred_ids and doc_id not in unparsed:
                        unparsed[doc_id] = (line, start)
                elif raw.strip():
                    lines += 1
                    take(line, _parse_line(raw, path=path, line=line))
                else:
                    continue
                if tick is not None:
                    tick()
            for line, start in unparsed.values():
                fh.seek(start)
                take(line, _parse_line(fh.readline(), path=path, line=line))
    except OSError as exc:
        raise SustainInputError(f"cannot read: {exc}", path=path) from None
    values: dict[str, T] = {}
    for sid, value in chosen.items():
        if isinstance(value, _Failed):
            raise value.error
        values[sid] = value
    warnings: list[str] = []
    if fallback:
        other = Counter(fallback.values())
        used = ", ".join(f"'{f}'" for f in sorted(other))
        warnings.append(f"{path}: {sum(other.values())} doc(s) have no '{PREFERRED_FILTER}' "
                        f"line; scored from their first filter line ({used})")
    return _Docs(values, warnings, lines, cut)


def _lmeval_correct(record: Mapping[str, Any], *, path: Path, line: int) -> bool:
    if "acc" in record:
        key = "acc"
    else:
        metrics = record.get("metrics")
        names = [m for m in metrics if isinstance(m, str) and m in record] \
            if isinstance(metrics, list) else []
        if len(names) != 1:
            raise SustainInputError("missing task verdict (no 'acc', and not exactly one "
                                    "metric listed in 'metrics')", path=path, line=line,
                                    field="acc")
        key = names[0]
    verdict = _flag(record[key], path=path, line=line, field=key)
    if verdict is None:
        raise SustainInputError("task verdict is null", path=path, line=line, field=key)
    return verdict


def read_lmeval_samples(path: Path, tick: Tick | None = None, *,
                        shared: _Shared | None = None) -> ReadResult:
    """Rows from one lm-eval samples file (one per doc), read line by line; ``shared`` is
    the :class:`_Shared` of a read of several files."""
    result = ReadResult(files=[str(path)])
    match = _SAMPLES_RE.match(path.name)
    parsed = split_lmeval_task(match["task"]) if match else None
    if parsed is None:
        result.warnings.append(f"{path}: not a samples file of a sustain_<bench>_<variant> "
                               "task; skipped")
        return result
    task, variant = parsed
    run = lmeval_run_info(path)
    shared = shared or _Shared()
    model, run_id, harness = sys.intern(run.model), sys.intern(run.run_id), "lm-eval"
    keep = metadata_breakdowns(task)
    info = shared.runs.get((run_id, task))
    if info is None:
        info = shared.runs[(run_id, task)] = _lmeval_run_info(run, task)
    shared.lmeval_files[(run_id, task)] = (run, path)

    constrained = variant == "constrained"
    created = run.created

    def make(line: int, record: dict[str, Any], sid: str) -> SampleRow:
        doc = record["doc"]
        acc = record.get("acc")
        correct = acc == 1 if acc.__class__ is float and (acc == 1 or acc == 0) else \
            _lmeval_correct(record, path=path, line=line)
        compliant = compliant_loose = None
        kinds: tuple[str, ...] = ()
        mode = None
        n_constraints: int | None = None
        found = in_format = None
        if constrained:
            found = _flag(record.get("answer_found"), path=path, line=line,
                          field="answer_found")
            in_format = _flag(record.get("answer_in_format"), path=path, line=line,
                              field="answer_in_format")
            if doc.get("constraints") is None:
                raise SustainInputError("missing: a constrained doc carries the constraints "
                                        "inserted into its prompt", path=path, line=line,
                                        field="doc.constraints")
            compliant = _flag(record.get("compliance"), path=path, line=line,
                              field="compliance")
            if compliant is None:
                raise SustainInputError("missing or null: a constrained line carries its "
                                        "compliance verdict (0 or 1)", path=path, line=line,
                                        field="compliance")
            compliant_loose = _flag(record.get("compliance_loose"), path=path, line=line,
                                    field="compliance_loose")
            if compliant_loose is None and "compliance_loose" in record:
                raise SustainInputError("null: expected 0 or 1", path=path, line=line,
                                        field="compliance_loose")
            kinds = shared.kinds_of(doc["constraints"], path=path, line=line,
                                    field="doc.constraints")
            n_constraints = len(kinds)
            source = doc.get("constraint_source")
            mode = sys.intern(source) if isinstance(source, str) and source else None
        f1 = record.get("f1")
        return SampleRow(
            model, task, sid, variant, correct, compliant, compliant_loose, kinds,
            shared.categories(kinds), n_constraints, mode, harness, run_id, created,
            None if f1 is None else _graded(f1, path=path, line=line, field="f1"),
            shared.item_metadata(doc.get("metadata"), keep, path=path, line=line,
                                 field="doc.metadata"), None, info, found, in_format, None,
            _lmeval_last_line(record) if shared.keeps_line(variant, correct) else None)

    docs = _lmeval_docs(path, tick, make)
    result.warnings.extend(docs.warnings)
    result.rows.extend(docs.values.values())
    problem = _lmeval_file_problem(docs, run.results, match["task"] if match else "")
    if problem:
        info.problems.append(f"{path.name}: {problem}")
        result.warnings.append(f"{path}: {problem}: an incomplete run; {_INCOMPLETE_USE}")
    return result


_INCOMPLETE_USE = ("it is scored only when no complete run of the same model, task and "
                   "protocol is found")


def _lmeval_text(record: Mapping[str, Any]) -> str | None:
    """A samples line's raw output (``resps[0][0]``), if it has one."""
    resps = record.get("resps")
    first = resps[0] if isinstance(resps, list) and resps else None
    text = first[0] if isinstance(first, list) and first else first
    return text if isinstance(text, str) else None


def _lmeval_last_line(record: Mapping[str, Any]) -> str | None:
    """The last line of a samples line's raw output (``resps[0][0]``), if it has one."""
    return last_line(_lmeval_text(record))


def _lmeval_run_info(run: LmEvalRun, bench: str) -> RunInfo:
    """The protocol of an lm-eval invocation for ``bench``, from its results file: the
    ``--metadata`` the constrained task got (``constraints_path``: self mode; else reference
    mode with ``k``, ``kinds`` and ``seed``, defaults 1, the benchmark's, 0)."""
    info = RunInfo()
    config = run.results.get("config") if run.results is not None else None
    if isinstance(config, Mapping) and config.get("model") == "sustain-replay":
        info.recording = recording_of(_arg_pairs(config.get("model_args")).get("outputs"))
    configs = run.results.get("configs") if run.results is not None else None
    if not isinstance(configs, Mapping):
        return info
    for variant in ("constrained", "placebo", "retest"):
        config = configs.get(f"sustain_{bench}_{variant}")
        if not isinstance(config, Mapping):
            continue
        metadata = config.get("metadata")
        metadata = metadata if isinstance(metadata, Mapping) else {}
        constraints = metadata.get("constraints_path")
        if isinstance(constraints, str) and constraints:
            info.mode, info.constraints = "self", constraints
        elif variant == "constrained":
            info.mode = "reference"
            info.k = _int_or_none(metadata.get("k", 1))
            info.kinds = kinds_label(metadata.get("kinds"))
            info.seed = _int_or_none(metadata.get("seed", 0))
        break
    return info


def _lmeval_counts(results: Mapping[str, Any] | None, name: str
                   ) -> tuple[int | None, int | None]:
    """The docs lm-eval ran for task ``name`` (``n-samples`` → ``effective``) and the filters
    its config lists, from a results file; None when it does not say."""
    if results is None:
        return None, None
    counts = results.get("n-samples")
    count = counts.get(name) if isinstance(counts, Mapping) else None
    effective = _int_or_none(count.get("effective")) if isinstance(count, Mapping) else None
    configs = results.get("configs")
    config = configs.get(name) if isinstance(configs, Mapping) else None
    filters = config.get("filter_list") if isinstance(config, Mapping) else None
    n_filters = len(filters) if isinstance(filters, list) and filters else None
    return effective, n_filters


def _lmeval_file_problem(docs: _Docs[Any], results: Mapping[str, Any] | None, name: str
                         ) -> str | None:
    """Why a samples file is incomplete (lm-eval can stop writing one half way and still
    exit 0, e.g. when an output cannot be encoded), or None."""
    problems = []
    if docs.cut is not None:
        problems.append(f"cut off in the middle of line {docs.cut}")
    effective, n_filters = _lmeval_counts(results, name)
    if effective is not None:
        if len(docs.values) < effective:
            problems.append(f"holds {len(docs.values)} of the {effective} docs its results "
                            "file counts")
        elif n_filters is not None and docs.lines < effective * n_filters:
            problems.append(f"holds {docs.lines} of the {effective * n_filters} lines its "
                            f"results file counts ({effective} docs × {n_filters} filters)")
    return "; ".join(problems) or None


# -- Inspect ---------------------------------------------------------------------------------

def _inspect_api() -> Any:
    """Inspect's ``read_eval_log`` (imported only when a log is read)."""
    try:
        from inspect_ai.log import read_eval_log
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise MissingDependencyError("inspect-ai", purpose="reading Inspect logs") from exc
    return read_eval_log


def _inspect_header(path: Path) -> Any:
    read_eval_log = _inspect_api()
    try:
        return read_eval_log(str(path), header_only=True)
    except Exception as exc:
        raise SustainInputError(f"not a readable Inspect log ({type(exc).__name__}: {exc})",
                                path=path) from None


_LATER_EPOCH_EXCLUDE = frozenset({"events", "store", "messages", "attachments", "output",
                                  "scores", "metadata", "model_usage"})
"""Samples of epochs after the first are only counted: leave out nearly everything."""


class _EvalLogReader:
    """Reads the samples of one ``.eval`` log one at a time through a single zip reader
    (``read_eval_log_sample_async`` with Inspect's ``AsyncZipReader``: the zip's directory is
    read once). When that part of Inspect is not importable (its module paths are internal)
    or an event loop is already running, falls back to the public ``read_eval_log_sample``,
    which opens the log again for each sample."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self._loop: asyncio.AbstractEventLoop | None = None
        try:
            asyncio.get_running_loop()
            return
        except RuntimeError:
            pass
        try:
            from inspect_ai._util.async_zip import AsyncZipReader
            from inspect_ai._util.asyncfiles import AsyncFilesystem
        except ImportError:  # pragma: no cover - another Inspect version
            return
        loop = asyncio.new_event_loop()
        try:
            self._fs = AsyncFilesystem()
            loop.run_until_complete(self._fs.__aenter__())
            self._reader = AsyncZipReader(self._fs, self.path)
        except Exception:
            loop.close()
            raise
        self._loop = loop

    def read(self, sid: str | int, epoch: int, exclude: Collection[str]) -> Any:
        """One sample; IndexError when the log does not hold it."""
        from inspect_ai.log import read_eval_log_sample, read_eval_log_sample_async

        if self._loop is None:
            return read_eval_log_sample(self.path, sid, epoch, resolve_attachments=True,
                                        exclude_fields=set(exclude))
        return self._loop.run_until_complete(read_eval_log_sample_async(
            self.path, sid, epoch, resolve_attachments=True, exclude_fields=set(exclude),
            reader=self._reader))

    def close(self) -> None:
        if self._loop is not None:
            try:
                self._loop.run_until_complete(self._fs.__aexit__(None, None, None))
            finally:
                self._loop.close()
                self._loop = None


def _inspect_samples(path: Path, header: Any, exclude: set[str]) -> Iterator[Any]:
    """The samples of a log, one at a time (bulky fields the report does not need left out).

    ``.eval`` logs are read sample by sample, in the order of the ids the header lists, epoch
    by epoch (samples the log does not hold, as in an unfinished run, are skipped), so memory
    stays at one sample whatever the size of the log; samples of epochs after the first carry
    only their id and epoch. A ``.json`` log is one JSON document and is read whole.
    """
    ids = getattr(getattr(header.eval, "dataset", None), "sample_ids", None)
    if not path.name.endswith(".eval") or ids is None:
        yield from _inspect_samples_whole(path, exclude)
        return
    epochs = int(getattr(header.eval.config, "epochs", None) or 1)
    try:
        reader = _EvalLogReader(path)
    except Exception as exc:
        raise SustainInputError(f"unreadable Inspect log ({type(exc).__name__}: {exc})",
                                path=path) from None
    try:
        for sid in ids:
            for epoch in range(1, epochs + 1):
                try:
                    sample = reader.read(sid, epoch,
                                         exclude if epoch == 1 else _LATER_EPOCH_EXCLUDE)
                except IndexError:
                    continue
                except Exception as exc:  # any failure means the log is unreadable
                    raise SustainInputError(f"unreadable Inspect log ({type(exc).__name__}: "
                                            f"{exc})", path=path) from None
                yield sample
    finally:
        reader.close()


def _inspect_samples_whole(path: Path, exclude: set[str]) -> Iterator[Any]:
    read_eval_log = _inspect_api()
    try:
        log = read_eval_log(str(path), exclude_fields=exclude, resolve_attachments=True)
    except Exception as exc:  # any failure means the log is unreadable
        raise SustainInputError(f"unreadable Inspect log ({type(exc).__name__}: {exc})",
                                path=path) from None
    yield from log.samples or []


def _created(text: Any) -> float:
    if not isinstance(text, str):
        return 0.0
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return 0.0


def _inspect_expected(header: Any) -> int | None:
    """How many samples (of epoch 1) the run was started on: the sample ids its header
    lists, else the dataset's size cut by ``--limit`` / ``--sample-id``; None if unknown."""
    dataset = getattr(header.eval, "dataset", None)
    ids = getattr(dataset, "sample_ids", None)
    if ids is not None:
        return len(ids)
    size = getattr(dataset, "samples", None)
    if not isinstance(size, int):
        return None
    config = getattr(header.eval, "config", None)
    chosen = getattr(config, "sample_id", None)
    if chosen is not None:
        return min(size, len(chosen) if isinstance(chosen, list) else 1)
    limit = getattr(config, "limit", None)
    if isinstance(limit, int):
        return min(size, limit)
    if isinstance(limit, tuple | list) and len(limit) == 2:
        return max(0, min(size, int(limit[1])) - int(limit[0]))
    return size


def _inspect_problem(header: Any, found: int) -> str | None:
    """Why a log is incomplete (its status is not ``success``, or it holds fewer samples of
    epoch 1 than the run was started on), or None."""
    problems = []
    status = getattr(header, "status", "success")
    if status != "success":
        problems.append(f"log status is '{status}'")
    expected = _inspect_expected(header)
    if expected is not None and found < expected:
        problems.append(f"{found} of {expected} samples")
    return ", ".join(problems) or None


def _rule_verdict(meta: Mapping[str, Any], key: str, *, field: str, path: Path) -> bool | None:
    """The rule-based verdict a grader replaced (``Score.metadata[key]``), if one did."""
    record = meta.get(key)
    if record is None:
        return None
    if not isinstance(record, Mapping) or not isinstance(record.get("rule_correct"), bool):
        raise SustainInputError("expected an object with a boolean 'rule_correct'", path=path,
                                field=f"{field}.{key}")
    return bool(record["rule_correct"])


def _meta_flag(meta: Mapping[str, Any], key: str, *, field: str, path: Path) -> bool | None:
    value = meta.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise SustainInputError(f"expected true, false or null, got {value!r}", path=path,
                            field=f"{field}.{key}")


def _meta_text(meta: Mapping[str, Any], key: str, *, field: str, path: Path) -> str | None:
    value = meta.get(key)
    if value is None or isinstance(value, str):
        return value
    raise SustainInputError(f"expected a string or null, got {value!r}", path=path,
                            field=f"{field}.{key}")


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def read_inspect_log(path: Path, tick: Tick | None = None, *,
                     shared: _Shared | None = None) -> ReadResult:
    """Rows from one Inspect log (one per sample and variant that ran), read sample by
    sample; ``shared`` is the :class:`_Shared` of a read of several files."""
    result = ReadResult(files=[str(path)])
    header = _inspect_header(path)
    raw_task = str(header.eval.task)
    if not raw_task.rpartition("/")[2].startswith("sustain_"):
        result.warnings.append(f"{path}: task '{raw_task}' is not a sustain task; skipped")
        return result
    task = sys.intern(normalise_task(raw_task))
    shared = shared or _Shared()
    keep = metadata_breakdowns(task)
    run_id = sys.intern(str(path))
    model = str(header.eval.model)
    recording = None
    if model == "sustain/replay":
        model_args = getattr(header.eval, "model_args", None) or {}
        recording = recording_of(model_args.get("outputs")
                                 if isinstance(model_args, Mapping) else None)
        model = replay_label(model, recording)
    task_args = header.eval.task_args or {}
    task_args = task_args if isinstance(task_args, Mapping) else {}
    run_mode = task_args.get("mode")
    model = sys.intern(model)
    created = _created(header.eval.created)
    info = shared.runs.get((run_id, task))
    if info is None:
        info = shared.runs[(run_id, task)] = RunInfo(
            mode=run_mode if isinstance(run_mode, str) else None,
            k=_int_or_none(task_args.get("k", 1)), kinds=kinds_label(task_args.get("kinds")),
            seed=_int_or_none(task_args.get("seed", 0)), recording=recording)
    skipped_error = skipped_epoch = max_epoch = found = 0
    seen: set[str] = set()
    for sample in _inspect_samples(path, header, {"events", "store", "messages"}):
        if tick is not None:
            tick()
        sid = sys.intern(sample_id(sample.id, path=path, field="samples.id"))
        where = f"samples[id={sid}]"
        if sample.epoch != 1:
            skipped_epoch += 1
            max_epoch = max(max_epoch, int(sample.epoch or 0))
            continue
        found += 1
        score = (sample.scores or {}).get(SCORER)
        if score is None:
            skipped_error += 1
            continue
        if sid in seen:
            raise SustainInputError(f"duplicate sample id {sid!r}", path=path,
                                    field=f"{where}.id")
        seen.add(sid)
        value = score.value
        vfield = f"{where}.scores.{SCORER}.value"
        if not isinstance(value, Mapping):
            raise SustainInputError("expected a dict of per-variant verdicts", path=path,
                                    field=vfield)
        meta = score.metadata if isinstance(score.metadata, Mapping) else {}
        mfield = f"{where}.scores.{SCORER}.metadata"
        kinds = _str_list(meta.get("kinds"), path=path, line=None, field=f"{mfield}.kinds")
        if kinds is None:
            kinds = shared.kinds_of(meta.get("constraints"), path=path, line=None,
                                    field=f"{mfield}.constraints")
        listed = _str_list(meta.get("categories"), path=path, line=None,
                           field=f"{mfield}.categories")
        kinds = shared.kinds(kinds)
        categories = shared.kinds(listed) if listed else shared.categories(kinds)
        n_raw = value.get("n_constraints")
        if n_raw is not None and (isinstance(n_raw, bool) or not isinstance(n_raw, int | float)):
            raise SustainInputError(f"expected a number, got {n_raw!r}", path=path,
                                    field=f"{vfield}.n_constraints")
        n_constraints = int(n_raw) if n_raw is not None else len(kinds)
        mode = meta.get("mode") if isinstance(meta.get("mode"), str) else run_mode
        mode = sys.intern(mode) if isinstance(mode, str) else mode
        item_meta = shared.item_metadata(sample.metadata, keep, path=path, line=None,
                                         field=f"{where}.metadata", skip=_INSPECT_META_KEYS)
        if value.get("plain") is None and any(value.get(v) is not None for v in VARIANTS):
            raise SustainInputError("missing or null plain verdict beside the verdict of a "
                                    "second generation", path=path, field=f"{vfield}.plain")
        base = SampleRow(model=model, task=task, sample_id=sid, variant="plain",
                         correct=False, mode=mode, harness="inspect", run=run_id,
                         created=created, metadata=item_meta, n_constraints=n_constraints,
                         run_info=info)
        f1 = {v: _graded(value.get(f"{v}_f1"), path=path, line=None, field=f"{vfield}.{v}_f1")
              for v in ("plain", "constrained")}
        rule_verdicts = {"plain": _rule_verdict(meta, "plain_grader", field=mfield, path=path)}
        if meta.get("second_variant") in VARIANTS:
            rule_verdicts[str(meta["second_variant"])] = _rule_verdict(
                meta, "second_grader", field=mfield, path=path)
        for variant in VARIANTS:
            verdict = _flag(value.get(variant), path=path, line=None,
                            field=f"{vfield}.{variant}")
            if verdict is None:
                continue
            if variant == "constrained":
                result.rows.append(replace(
                    base, variant=variant, correct=verdict,
                    answer_found=_meta_flag(meta, "constrained_answer_found", field=mfield,
                                            path=path),
                    in_format=_meta_flag(meta, "constrained_in_format", field=mfield,
                                         path=path),
                    stop_reason=_meta_text(meta, "constrained_stop_reason", field=mfield,
                                           path=path),
                    last_line=last_line(_text_or_none(meta.get("constrained_output")))
                    if shared.keeps_line(variant, verdict) else None,
                    compliant=_flag(value.get("compliant"), path=path, line=None,
                                    field=f"{vfield}.compliant"),
                    compliant_loose=_flag(value.get("compliant_loose"), path=path, line=None,
                                          field=f"{vfield}.compliant_loose"),
                    kinds=kinds, categories=categories, n_constraints=n_constraints,
                    f1=f1["constrained"], rule_correct=rule_verdicts.get(variant)))
            else:
                # plain and control rows keep n_constraints: the number the run got for the
                # item (0 tells "no constraint" apart from a missing constrained generation)
                text = meta.get("plain_output") if variant == "plain" else \
                    meta.get("second_output") if meta.get("second_variant") == variant else None
                result.rows.append(replace(
                    base, variant=variant, correct=verdict, f1=f1.get(variant),
                    rule_correct=rule_verdicts.get(variant),
                    last_line=last_line(_text_or_none(text))
                    if shared.keeps_line(variant, verdict) else None))
    problem = _inspect_problem(header, found)
    if problem:
        info.problems.append(f"{path.name}: {problem}")
        result.warnings.append(f"{path}: {problem}: an incomplete run; {_INCOMPLETE_USE}")
    if skipped_error:
        result.warnings.append(f"{path}: {skipped_error} sample(s) without a '{SCORER}' score "
                               "(errors or unfinished) were left out")
    if skipped_epoch:
        config = getattr(header.eval, "config", None)
        epochs = getattr(config, "epochs", None) or max_epoch
        result.warnings.append(
            f"{path}: the log has {epochs} epochs: sustain score uses epoch 1 only and left "
            f"out {skipped_epoch} sample(s) of later epochs, while Inspect's own metrics "
            "(sustain_score, n_sustain) count every (sample, epoch) pair, so the numbers can "
            "differ")
    return result


# -- everything ------------------------------------------------------------------------------

def read_rows(paths: Sequence[str | Path], *, tick: Tick | None = None,
              on_file: Callable[[Path], None] | None = None,
              last_lines: bool = False) -> ReadResult:
    """Rows from any mix of Inspect logs and lm-eval outputs under ``paths``; with
    ``last_lines`` each row keeps its output's last line (``SampleRow.last_line``)."""
    result = ReadResult()
    found = discover(paths)
    samples = {p for kind, p in found if kind == "lmeval-samples"}
    shared = _Shared(last_lines)
    for kind, path in found:
        if on_file is not None:
            on_file(path)
        if kind == "inspect":
            result.extend(read_inspect_log(path, tick, shared=shared))
        elif kind == "lmeval-samples":
            result.extend(read_lmeval_samples(path, tick, shared=shared))
        elif kind == "lmeval-results":
            date = _RESULTS_RE.match(path.name)
            if date and not any(p.parent == path.parent and p.name.endswith(
                    f"_{date['date']}.jsonl") for p in samples):
                result.warnings.append(f"{path}: lm-eval results without per-sample files; "
                                       "run lm_eval with --log_samples to score it")
    for problem in _missing_lmeval_files(shared):
        result.warnings.append(f"{problem}: an incomplete run; {_INCOMPLETE_USE}")
    if not result.rows:
        result.warnings.append("no sustain results found in " + ", ".join(map(str, paths)))
    return result


MAX_KEPT_FAILURES = 200
"""The failure rows whose outputs :func:`read_outputs` callers keep, at most, per report
(model, task and protocol)."""


Kept = dict[tuple[str, str, str, str], KeptOutput]


def read_outputs(paths: Sequence[str | Path],
                 wanted: Mapping[tuple[str, str, str], Collection[str]], *,
                 tick: Tick | None = None) -> Kept:
    """The outputs of some items, read again from the runs under ``paths``: ``wanted`` maps
    (run id, task, variant) to the sample ids to keep (the ``run`` of their rows).

    Only the files of the wanted runs and variants are read, no row is made, and of each
    wanted output only an excerpt (:func:`excerpt`) is kept, so the memory this takes grows
    with ``wanted``, not with the runs (an ordinary read, :func:`read_rows`, keeps no output).
    The files were validated by the read that scored them: here a sample whose id cannot be
    read is passed over.

    Returns:
        (run id, task, variant, sample id) → the kept output; an id the runs do not hold is
        absent, one whose run recorded no text has ``text`` None.
    """
    wanted = {key: frozenset(ids) for key, ids in wanted.items() if ids}
    runs = {run for run, _, _ in wanted}
    kept: Kept = {}
    for kind, path in discover(paths):
        if kind == "inspect" and str(path) in runs:
            _inspect_outputs(path, wanted, kept, tick)
        elif kind == "lmeval-samples":
            match = _SAMPLES_RE.match(path.name)
            parsed = split_lmeval_task(match["task"]) if match else None
            if parsed is None:
                continue
            key = (lmeval_run_info(path).run_id, *parsed)
            ids = wanted.get(key)
            if ids:
                _lmeval_outputs(path, key, ids, kept, tick)
    return kept


def _keep(kept: Kept, key: tuple[str, str, str], sid: str, text: Any,
          constraints: Any) -> None:
    kept[(*key, sid)] = KeptOutput(excerpt(text) if isinstance(text, str) else None,
                                   _constraint_texts(constraints))


def _lmeval_outputs(path: Path, key: tuple[str, str, str], ids: Collection[str], kept: Kept,
                    tick: Tick | None) -> None:
    def make(line: int, record: dict[str, Any], sid: str) -> None:
        if sid in ids:
            doc = record.get("doc")
            _keep(kept, key, sid, _lmeval_text(record),
                  doc.get("constraints") if isinstance(doc, Mapping) else None)

    _lmeval_docs(path, tick, make)


def _inspect_outputs(path: Path, wanted: Mapping[tuple[str, str, str], Collection[str]],
                     kept: Kept, tick: Tick | None) -> None:
    header = _inspect_header(path)
    task = normalise_task(str(header.eval.task))
    run_id = str(path)
    plain = wanted.get((run_id, task, "plain"), ())
    constrained = wanted.get((run_id, task, "constrained"), ())
    for sample in _inspect_samples(path, header, {"events", "store", "messages"}):
        if tick is not None:
            tick()
        if sample.epoch != 1:
            continue
        try:
            sid = sample_id(sample.id, path=path, field="samples.id")
        except SustainInputError:
            continue
        if sid not in plain and sid not in constrained:
            continue
        score = (sample.scores or {}).get(SCORER)
        meta = score.metadata if score is not None and isinstance(score.metadata, Mapping) \
            else {}
        if sid in plain:
            _keep(kept, (run_id, task, "plain"), sid, meta.get("plain_output"), None)
        if sid in constrained:
            _keep(kept, (run_id, task, "constrained"), sid, meta.get("constrained_output"),
                  meta.get("constraints"))


def _missing_lmeval_files(shared: _Shared) -> list[str]:
    """The samples files an lm-eval run's results file counts docs for that are not on disk
    (of the benchmarks some of whose files were read); each marks its run incomplete."""
    out = []
    for (run_id, task), (run, path) in shared.lmeval_files.items():
        match = _SAMPLES_RE.match(path.name)
        counts = run.results.get("n-samples") if run.results is not None else None
        if match is None or not isinstance(counts, Mapping):
            continue
        for name in counts:
            if not isinstance(name, str) or (split_lmeval_task(name) or ("",))[0] != task:
                continue
            sibling = path.parent / f"samples_{name}_{match['date']}.jsonl"
            if not sibling.exists():
                effective, _ = _lmeval_counts(run.results, name)
                problem = f"{sibling.name} is missing" + (
                    f" (its results file counts {effective} docs)" if effective else "")
                shared.runs[(run_id, task)].problems.append(problem)
                out.append(f"{sibling}: missing")
    return out


# -- plain outputs for extraction ------------------------------------------------------------

@dataclass(frozen=True)
class _Candidate:
    kind: FileKind
    path: Path
    created: float


def _plain_candidates(path: Path, task: str) -> list[_Candidate]:
    out: list[_Candidate] = []
    for kind, file in discover([path]):
        if kind == "lmeval-samples":
            match = _SAMPLES_RE.match(file.name)
            parsed = split_lmeval_task(match["task"]) if match else None
            if parsed == (task, "plain"):
                out.append(_Candidate(kind, file, lmeval_run_info(file).created))
        elif kind == "inspect":
            header = _inspect_header(file)
            if normalise_task(str(header.eval.task)) == task and \
                    str(header.eval.task).rpartition("/")[2].startswith("sustain_"):
                out.append(_Candidate(kind, file, _created(header.eval.created)))
    return out


def _lmeval_plain_outputs(path: Path, tick: Tick | None
                          ) -> tuple[list[OutputRecord], list[str], str | None]:
    """The plain outputs of one samples file, its warnings, and why it is incomplete (the
    rule of :func:`read_lmeval_samples`), or None."""
    def make(line: int, record: dict[str, Any], sid: str) -> OutputRecord:
        resps = record.get("resps")
        try:
            text = resps[0][0] if isinstance(resps, list) else None
        except (IndexError, TypeError, KeyError):
            text = None
        if not isinstance(text, str):
            raise SustainInputError("expected [[\"<raw output>\", ...]]", path=path, line=line,
                                    field="resps")
        return OutputRecord(sid, text, "plain", None, line)

    docs = _lmeval_docs(path, tick, make)
    match = _SAMPLES_RE.match(path.name)
    problem = _lmeval_file_problem(docs, lmeval_run_info(path).results,
                                   match["task"] if match else "")
    return list(docs.values.values()), docs.warnings, problem


def _first_assistant_text(sample: Any) -> str | None:
    for message in sample.messages or []:
        if getattr(message, "role", None) == "assistant":
            text = getattr(message, "text", None)
            return text if isinstance(text, str) else None
    return None


def _inspect_plain_outputs(path: Path, tick: Tick | None
                           ) -> tuple[list[OutputRecord], list[str], str | None]:
    """The plain outputs of one Inspect log, its warnings, and why it is incomplete (the rule
    of :func:`read_inspect_log`), or None."""
    header = _inspect_header(path)
    warnings: list[str] = []
    outputs: list[OutputRecord] = []
    missing = found = 0
    for sample in _inspect_samples(path, header, {"events", "store"}):
        if tick is not None:
            tick()
        if sample.epoch != 1:
            continue
        found += 1
        sid = sample_id(sample.id, path=path, field="samples.id")
        score = (sample.scores or {}).get(SCORER)
        meta = score.metadata if score is not None and isinstance(score.metadata, Mapping) \
            else {}
        text = meta.get("plain_output")
        if not isinstance(text, str):
            text = _first_assistant_text(sample)
        if text is None:
            missing += 1
            continue
        outputs.append(OutputRecord(sid, text, "plain", None, None))
    if missing:
        warnings.append(f"{path}: {missing} sample(s) have no plain output (errors or "
                        "unfinished); left out")
    return outputs, warnings, _inspect_problem(header, found)


ALLOW_INCOMPLETE_FLAG = "--allow-incomplete"
"""The ``sustain extract`` option that accepts extracting from an incomplete run."""


def _read_candidate(kind: FileKind, path: Path, tick: Tick | None
                    ) -> tuple[list[OutputRecord], list[str], str | None]:
    if kind == "inspect":
        return _inspect_plain_outputs(path, tick)
    return _lmeval_plain_outputs(path, tick)


def _incomplete_error(path: Path, problems: Sequence[tuple[Path, str]]) -> SustainInputError:
    listed = "; ".join(f"{p.name}: {problem}" for p, problem in problems)
    return SustainInputError(
        f"only incomplete plain runs found ({listed}); constraints extracted from them would "
        f"leave items out of the constrained run. Finish the run, or pass "
        f"{ALLOW_INCOMPLETE_FLAG} to extract from "
        + ("it" if len(problems) == 1 else f"the latest, {problems[-1][0]}"), path=path)


def read_plain_outputs(path: str | Path, task: str, *, tick: Tick | None = None,
                       allow_incomplete: bool = False
                       ) -> tuple[list[OutputRecord], list[str], Path]:
    """The plain outputs of one task's run found at ``path``, for constraint extraction.

    ``path`` is an lm-eval output folder or samples file, an Inspect log (or a folder of
    them), or a generic outputs JSONL (``{"id", "output"}`` lines; lines whose ``variant`` is
    other than ``plain`` are ignored). When a folder holds several runs of the task, the
    latest complete one is used and a warning says so: as in ``sustain score``, an incomplete
    run (an Inspect log whose status is not ``success`` or that lacks samples, an lm-eval
    samples file shorter than its results file counts or cut off mid-line) is never chosen
    over a complete one. When only incomplete runs are found it is an error, unless
    ``allow_incomplete``: then the latest is used, with a warning.

    Returns:
        The outputs, warnings, and the file they came from.
    """
    p = Path(path)
    bench = normalise_task(task)
    warnings: list[str] = []
    if not p.exists():
        raise SustainInputError("no such file or folder", path=p)
    if p.is_file():
        kind = classify(p)
        if kind == "outputs":
            every = read_outputs_file(p)
            records = [r for r in every if r.variant in (None, "plain")]
            other = [str(r.variant) for r in every if r.variant not in (None, "plain")]
            if other:
                warnings.append(f"{p}: {len(other)} line(s) of other variants ("
                                f"{', '.join(sorted(set(other)))}) ignored; extraction reads "
                                "plain outputs")
            return records, warnings, p
        if kind == "constraints":
            raise SustainInputError(_CONSTRAINTS_FILE + "; extraction reads the plain outputs "
                                    "of a run", path=p)
        if kind == "lmeval-samples":
            match = _SAMPLES_RE.match(p.name)
            parsed = split_lmeval_task(match["task"]) if match else None
            if parsed is not None and parsed != (bench, "plain"):
                raise SustainInputError(
                    f"this is the {parsed[1]} variant of task {parsed[0]!r}; extraction needs "
                    f"the plain outputs of {bench!r} (samples_sustain_{bench}_plain_*.jsonl)",
                    path=p)
        elif kind == "inspect":
            header = _inspect_header(p)
            if normalise_task(str(header.eval.task)) != bench:
                raise SustainInputError(f"log of task {header.eval.task!r}, not {bench!r}",
                                        path=p, field="eval.task")
        elif kind == "lmeval-results":
            p = p.parent
        else:
            raise SustainInputError("not an lm-eval samples file, an Inspect log or an outputs "
                                    "JSONL file", path=p)
        if kind != "lmeval-results":
            outputs, w, problem = _read_candidate(kind, p, tick)
            if problem is not None:
                if not allow_incomplete:
                    raise _incomplete_error(p, [(p, problem)])
                w = [*w, f"{p}: {problem}: an incomplete run, used as "
                         f"{ALLOW_INCOMPLETE_FLAG} asks"]
            return outputs, warnings + w, p
    candidates = sorted(_plain_candidates(p, bench), key=lambda c: (c.created, str(c.path)))
    if not candidates:
        raise SustainInputError(f"no plain run of task {bench!r} found (looked for "
                                f"samples_sustain_{bench}_plain_*.jsonl and Inspect logs of "
                                f"sustain_{bench})", path=p)
    incomplete: list[tuple[Path, str]] = []
    latest: tuple[list[OutputRecord], list[str]] | None = None
    for candidate in reversed(candidates):  # the latest complete run wins
        outputs, w, problem = _read_candidate(candidate.kind, candidate.path, tick)
        if problem is None:
            if len(candidates) > 1:
                warnings.append(f"{len(candidates)} plain runs of {bench!r} under {p}; using "
                                f"the latest complete one, {candidate.path}")
            warnings.extend(f"ignoring {q} (incomplete: {why})" for q, why in incomplete)
            return outputs, warnings + w, candidate.path
        if latest is None:
            latest = (outputs, w)
        incomplete.insert(0, (candidate.path, problem))
    if not allow_incomplete or latest is None:
        raise _incomplete_error(p, incomplete)
    chosen = incomplete[-1][0]
    warnings.append(f"only incomplete plain runs of {bench!r} under {p}; using the latest, "
                    f"{chosen} ({incomplete[-1][1]}), as {ALLOW_INCOMPLETE_FLAG} asks")
    return latest[0], warnings + latest[1], chosen
