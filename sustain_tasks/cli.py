"""The ``sustain`` command line.

Commands:

- ``sustain constraints``: the catalogue of constraint kinds.
- ``sustain extract``: constraints from a plain run's correct outputs (or the references).
- ``sustain check``: compliance of recorded outputs with their constraints (or with IFEval's
  instructions, ``--ifeval``).
- ``sustain verify``: task verdicts for recorded outputs.
- ``sustain score``: SustainScore and its statistics from lm-eval outputs and Inspect logs.
- ``sustain include-path`` / ``sustain lm-eval``: helpers for lm-evaluation-harness.
- ``sustain mechanism``: attention and probe analyses of open-weight models (the
  ``mechanism`` extra; :mod:`sustain_tasks.mechanism`).

Results go to stdout; summaries, warnings and progress go to stderr. Input errors print one
line, ``sustain: error: <file>:<line>: field '<field>': <message>``, and exit with status 2.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from sustain_tasks import __version__
from sustain_tasks.benchmarks.data import data_hint
from sustain_tasks.errors import SustainError, SustainInputError
from sustain_tasks.outfiles import check_output, write_atomic
from sustain_tasks.protocol import VARIANTS

__all__ = ["Progress", "build_parser", "main"]

EXIT_OK = 0
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


# -- small output helpers --------------------------------------------------------------------

class Progress:
    """A progress counter on stderr, drawn only when enabled (a terminal, or ``--progress``).

    On a terminal (``inline``) one line is redrawn in place; elsewhere (a log file, a pipe) a
    plain line is written at most every ``log_interval`` seconds and at the end, so logs stay
    readable. Use it as a context manager: the line is finished however the block ends.
    """

    def __init__(self, label: str, total: int | None = None, *, enabled: bool = False,
                 stream: TextIO | None = None, interval: float = 0.2,
                 inline: bool | None = None, log_interval: float = 10.0) -> None:
        self.label, self.total, self.enabled = label, total, enabled
        self.stream = stream if stream is not None else sys.stderr
        self.inline = _isatty(self.stream) if inline is None else inline
        self.interval = interval if self.inline else log_interval
        self.count = 0
        self._last: float | None = None
        self._drawn = False
        self._shown = 0

    def __enter__(self) -> Progress:
        self.start()
        return self

    def start(self) -> None:
        """Show the counter at zero (the first item may be slow: e.g. a verifier's worker
        process starting)."""
        if self.enabled and not self.count:
            self._draw()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def tick(self, n: int = 1) -> None:
        self.count += n
        if not self.enabled:
            return
        now = time.monotonic()
        if self._last is None or now - self._last >= self.interval or self.count == self.total:
            self._last = now
            self._draw()

    def _text(self) -> str:
        if self.total:
            pct = 100 * self.count // self.total  # 499 of 500 is 99%, not 100%
            return f"{self.label}: {self.count}/{self.total} ({pct}%)"
        return f"{self.label}: {self.count}"

    def _draw(self) -> None:
        if self.inline:
            self.stream.write("\r" + self._text())
            self._drawn = True
        else:
            self.stream.write(self._text() + "\n")
        self.stream.flush()
        self._shown = self.count

    def close(self) -> None:
        if self.enabled and self.count != self._shown:
            self._draw()
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _progress_enabled(args: argparse.Namespace) -> bool:
    flag = getattr(args, "progress", None)
    if flag is not None:
        return bool(flag)
    return _isatty(sys.stderr)


def _warn(message: str) -> None:
    print(f"sustain: warning: {message}", file=sys.stderr)


def _note(message: str) -> None:
    print(message, file=sys.stderr)


def _fmt_rate(k: int, n: int) -> str:
    from sustain_tasks.report.stats import rate

    r = rate(k, n)
    if r.value is None:
        return "- (n=0)"
    return f"{r.value:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}] ({k}/{n})"


def _aligned(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in rows]
    return "\n".join(lines)


def _cell(value: Any, width: int = 40) -> str:
    """``value`` on one line of at most ``width`` characters (code spans many lines)."""
    if value is None:
        return "-"
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[:width - 3] + "..."


def _json_line(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _readable(path: Path) -> bool:
    """Whether ``sustain score`` / ``extract`` would read ``path`` found in an input folder."""
    from sustain_tasks.report.readers import classify

    return classify(path) is not None


# -- constraints -----------------------------------------------------------------------------

def cmd_constraints(args: argparse.Namespace) -> int:
    from sustain_tasks.constraints import all_kinds, extraction_mode, resolve_kinds

    kinds = all_kinds()
    selected = (resolve_kinds(",".join(args.kinds), every=True) if args.kinds
                else list(kinds))
    entries: list[dict[str, Any]] = []
    for kind in selected:
        cls = kinds[kind]
        example = cls.example()
        entries.append({"id": kind, "category": cls.category,
                        "type": "structural" if example.structural else "semantic",
                        "extraction": _EXTRACTION_LABELS[extraction_mode(cls)],
                        "example": example.describe(), "params": example.params()})
    if args.format == "json":
        for entry in entries:
            print(_json_line(entry))
    else:
        print(_aligned(["id", "category", "type", "extraction", "example"],
                       [[e["id"], e["category"], e["type"], e["extraction"], e["example"]]
                        for e in entries]))
        print()
        print("extraction: 'default' kinds are drawn when their category is selected (the task "
              "defaults); 'by id' kinds are extracted only when named by id (--kinds "
              "length:min_words); 'file only' kinds are never extracted and come from "
              "constraints files (or IFEval rows, sustain check --ifeval).")
    return EXIT_OK


_EXTRACTION_LABELS = {"category": "default", "by id": "by id", "none": "file only"}


# -- extract ---------------------------------------------------------------------------------

def _load_items(task: str, data_dir: str | None) -> tuple[Any, dict[str, Any]]:
    from sustain_tasks.benchmarks import get_benchmark

    benchmark = get_benchmark(task)
    items = benchmark.load(data_dir)
    return benchmark, {item.id: item for item in items}


def _unknown_id(benchmark: Any, items: Mapping[str, Any], item_id: str, *,
                path: str | Path | None, line: int | None, field: str,
                hint: str = "") -> SustainInputError:
    """The error for an id the benchmark's data does not hold, with a likely correction."""
    message = f"no item with id {item_id!r} in the {benchmark.name} data"
    close = [] if item_id.isdigit() else difflib.get_close_matches(item_id, list(items), n=1,
                                                                   cutoff=0.75)
    if close:
        message += f"; did you mean {close[0]!r}?"
    elif items:
        message += f"; its ids look like {next(iter(items))!r}"
    if hint:
        message += f" ({hint})"
    return SustainInputError(message, path=path, line=line, field=field)


def cmd_extract(args: argparse.Namespace) -> int:
    from sustain_tasks.constraints import resolve_kinds
    from sustain_tasks.records import (
        ConstraintSet,
        OutputRecord,
        Source,
        write_constraints_file,
    )
    from sustain_tasks.report.readers import read_plain_outputs

    if args.reference == (args.source is not None):
        raise SustainInputError("give either --from PATH (self mode) or --reference")
    # a bad destination fails now, not after the verification and extraction
    check_output(args.out, inputs=[args.source] if args.source else [], reads=_readable)
    kinds = ",".join(args.kinds) if args.kinds else None
    if kinds is not None:
        resolve_kinds(kinds)  # an unknown id fails before any work
    benchmark, items = _load_items(args.task, args.data_dir)
    enabled = _progress_enabled(args)
    source_file: Path | None = None
    if args.reference:
        outputs = [OutputRecord(i.id, i.reference, "plain") for i in items.values()]
        source: Source = "reference"
    else:
        with Progress("reading", enabled=enabled) as reading:
            outputs, warnings, source_file = read_plain_outputs(
                args.source, benchmark.name, tick=reading.tick,
                allow_incomplete=args.allow_incomplete)
        for w in warnings:
            _warn(w)
        source = "self"
    if not outputs:
        # an empty constraints file would make the constrained run fail later, far from here
        raise SustainInputError(f"nothing to extract from: no plain outputs of task "
                                f"{benchmark.name!r} in this file (an outputs line counts "
                                "when it has no 'variant' or variant 'plain')",
                                path=source_file)
    if args.limit is not None:
        outputs = outputs[:args.limit]
    # every id is checked before any (possibly slow) verification starts
    id_field = "doc.id" if source_file and source_file.name.startswith("samples_") else "id"
    seen: dict[str, int | None] = {}
    for record in outputs:
        sid = record.item_id
        if sid not in items:
            raise _unknown_id(benchmark, items, sid, path=source_file, line=record.line,
                              field=id_field)
        if sid in seen:
            first = seen[sid]
            raise SustainInputError(
                f"id {sid!r} appears twice" + (f" (first on line {first})" if first else ""),
                path=source_file, line=record.line, field=id_field)
        seen[sid] = record.line
    sets: list[ConstraintSet] = []
    per_kind: Counter[str] = Counter()
    n_correct = 0
    with Progress("extracting", len(outputs), enabled=enabled) as progress:
        verdicts = _verify_batches(benchmark, [(r.output, items[r.item_id].target,
                                                items[r.item_id]) for r in outputs], progress)
    for record, verdict in zip(outputs, verdicts, strict=True):
        if not verdict.correct:
            continue
        item = items[record.item_id]
        n_correct += 1
        constraints = benchmark.constraints_for(item, record.output, k=args.k,
                                                kinds=kinds, seed=args.seed)
        if constraints:
            sets.append(ConstraintSet(item.id, benchmark.name, source, tuple(constraints)))
            per_kind.update(c.kind for c in constraints)
    write_constraints_file(args.out, sets)
    origin = "reference solutions" if args.reference else str(source_file)
    _note(f"sustain extract: {benchmark.name}, source {source} ({origin})")
    _note(f"  outputs read:          {len(outputs)}")
    _note(f"  correct (verified):    {n_correct}")
    _note(f"  items with constraints: {len(sets)} -> {args.out}")
    if per_kind:
        _note("  constraints by kind:   " + ", ".join(f"{k} {n}"
                                                    for k, n in sorted(per_kind.items())))
    if args.reference and n_correct < len(outputs):
        _warn(f"{len(outputs) - n_correct} reference solution(s) did not pass the verifier "
              "and got no constraints")
    if n_correct and not sets:
        _warn("no correct output offered a suitable constraint; the constraints file is empty")
    return EXIT_OK


# -- check -----------------------------------------------------------------------------------

def _variant_names(records: Sequence[Any]) -> str:
    return ", ".join(sorted({str(r.variant) for r in records}))


def cmd_check(args: argparse.Namespace) -> int:
    """``sustain check``: compliance of recorded outputs with their constraints.

    Each constraints-file item gets one result. An item with no output is reported with
    ``"compliant": false`` and ``"error": "no output for this id"`` (so ``compliant`` is always
    true or false), but the summary counts it as missing, not as a non-compliant output:
    compliance is over the items that have an output. Nothing to check at all (an empty
    outputs file, only other variants, only other ids) is an input error.
    """
    from sustain_tasks.constraints import assess
    from sustain_tasks.records import read_constraints_file, read_outputs_file

    if (args.constraints is None) == (args.ifeval is None):
        raise SustainInputError("give exactly one of --constraints and --ifeval",
                                field="--constraints")
    if args.ifeval is not None:
        return _check_ifeval(args)
    sets = read_constraints_file(args.constraints)
    if not sets:
        raise SustainInputError("no constraints in this file (sustain extract writes an empty "
                                "file when no output offered a constraint)",
                                path=args.constraints)
    records = read_outputs_file(args.outputs)
    wanted = args.variant
    chosen: dict[str, Any] = {}
    for rec in records:
        if rec.variant is None:
            chosen.setdefault(rec.item_id, rec)
        elif rec.variant == wanted:
            chosen[rec.item_id] = rec  # an explicit variant wins over an unlabelled line
    if not set(chosen) & set(sets):
        other = [r for r in records if r.variant not in (None, wanted)]
        unknown = [r for r in records if r.variant in (None, wanted)]
        held = []
        if other:
            held.append(f"{len(other)} line(s) of other variants ({_variant_names(other)}); "
                        "choose one with --variant")
        if unknown:
            held.append(f"{len(unknown)} line(s) for ids without constraints")
        what = "the file holds " + " and ".join(held) if held else "the file is empty"
        raise SustainInputError(
            f"no output to check for any of the {len(sets)} items of {args.constraints} "
            f"(lines with variant {wanted!r} or none are used): {what}", path=args.outputs)
    results: list[dict[str, Any]] = []
    per_kind: dict[str, list[bool]] = {}
    missing: list[str] = []
    empty: list[str] = []
    with Progress("checking", len(sets), enabled=_progress_enabled(args)) as progress:
        for item_id, cs in sets.items():
            progress.tick()
            record = chosen.get(item_id)
            if record is None:
                missing.append(item_id)
                results.append({"id": item_id, "compliant": False, "compliant_loose": False,
                                "results": [], "error": "no output for this id"})
                continue
            compliance = assess(cs.constraints, record.output)
            for c in compliance.checks:
                per_kind.setdefault(c.kind, []).append(c.strict)
            entry: dict[str, Any] = {"id": item_id,
                                     "compliant": compliance.strict,
                                     "compliant_loose": compliance.loose,
                                     "results": [c.to_dict() for c in compliance.checks]}
            if not record.output.strip():
                empty.append(item_id)
                entry["note"] = "empty output"
            results.append(entry)
    extra = sorted(set(chosen) - set(sets))
    checked = [r for r in results if "error" not in r]
    strict = sum(1 for r in checked if r["compliant"])
    loose = sum(1 for r in checked if r["compliant_loose"])
    summary = [f"items checked: {len(checked)} of {len(sets)}",
               f"compliance (strict): {_fmt_rate(strict, len(checked))}",
               f"compliance (loose):  {_fmt_rate(loose, len(checked))}"]
    summary += [f"  {kind}: {_fmt_rate(sum(v), len(v))}" for kind, v in sorted(per_kind.items())]
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        summary.append(f"items without an output ({len(missing)}; reported as compliant false "
                       f"with an error, not counted in compliance): {shown}")
    if empty:
        summary.append(f"empty outputs ({len(empty)}): {', '.join(empty[:10])}"
                       + (" ..." if len(empty) > 10 else ""))
    if extra:
        summary.append(f"outputs without constraints, ignored: {len(extra)}")
    if args.format == "json":
        for r in results:
            print(_json_line(r))
        for line in summary:
            _note(line)
    else:
        rows = []
        for r in results:
            failed = [c["kind"] for c in r["results"] if not c["strict"]]
            state, loose_state = ("-", "-") if "error" in r else (
                "yes" if r["compliant"] else "no", "yes" if r["compliant_loose"] else "no")
            note = r.get("error") or "; ".join(
                x for x in (", ".join(failed), r.get("note", "")) if x)
            rows.append([r["id"], state, loose_state, str(len(r["results"])), note])
        print(_aligned(["id", "compliant", "loose", "constraints", "failed / note"], rows))
        print()
        print("\n".join(summary))
    return EXIT_OK


def _check_ifeval(args: argparse.Namespace) -> int:
    """``sustain check --ifeval``: IFEval's rows checked with this library's constraints.

    Each row of IFEval's ``input_data.jsonl`` gets one result; its instructions are turned into
    constraints by :func:`~sustain_tasks.constraints.from_ifeval`. Responses come from
    ``--outputs``: IFEval's ``{"prompt", "response"}`` lines (matched by prompt) or this
    project's ``{"id", "output"}`` lines (matched by the row's ``key``). The summary gives
    IFEval's four accuracies (prompt and instruction level, strict and loose) and the strict
    rate per instruction id.
    """
    from sustain_tasks.constraints import assess
    from sustain_tasks.constraints.ifeval import read_ifeval_responses, read_ifeval_rows

    rows = read_ifeval_rows(args.ifeval)
    if not rows:
        raise SustainInputError("no rows in this file", path=args.ifeval)
    responses, unmatched = read_ifeval_responses(args.outputs, rows, args.variant)
    if not responses:
        what = (f"{len(unmatched)} line(s) match no row (by prompt or by key), e.g. "
                f"{unmatched[0]}" if unmatched else "the file is empty")
        raise SustainInputError(f"no response to check for any of the {len(rows)} rows of "
                                f"{args.ifeval}: {what}", path=args.outputs)
    results: list[dict[str, Any]] = []
    per_id: dict[str, list[bool]] = {}
    missing: list[str] = []
    checks_strict: list[bool] = []
    checks_loose: list[bool] = []
    with Progress("checking", len(rows), enabled=_progress_enabled(args)) as progress:
        for row in rows:
            progress.tick()
            if row.key not in responses:
                missing.append(row.key)
                results.append({"id": row.key, "compliant": False, "compliant_loose": False,
                                "instruction_id_list": list(row.instruction_ids),
                                "results": [], "error": "no response for this key"})
                continue
            compliance = assess(row.constraints, responses[row.key])
            entries = []
            for instruction_id, check in zip(row.instruction_ids, compliance.checks,
                                             strict=True):
                per_id.setdefault(instruction_id, []).append(check.strict)
                checks_strict.append(check.strict)
                checks_loose.append(check.loose)
                entries.append({"ifeval_id": instruction_id, **check.to_dict()})
            results.append({"id": row.key, "compliant": compliance.strict,
                            "compliant_loose": compliance.loose,
                            "instruction_id_list": list(row.instruction_ids),
                            "results": entries})
    checked = [r for r in results if "error" not in r]
    summary = [
        f"rows checked: {len(checked)} of {len(rows)}",
        "prompt-level accuracy (strict): "
        + _fmt_rate(sum(r["compliant"] for r in checked), len(checked)),
        "prompt-level accuracy (loose):  "
        + _fmt_rate(sum(r["compliant_loose"] for r in checked), len(checked)),
        "instruction-level accuracy (strict): "
        + _fmt_rate(sum(checks_strict), len(checks_strict)),
        "instruction-level accuracy (loose):  "
        + _fmt_rate(sum(checks_loose), len(checks_loose)),
    ]
    summary += [f"  {i}: {_fmt_rate(sum(v), len(v))}" for i, v in sorted(per_id.items())]
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        summary.append(f"rows without a response ({len(missing)}; reported as compliant false "
                       f"with an error, not counted): {shown}")
    if unmatched:
        summary.append(f"responses matching no row, ignored: {len(unmatched)}")
    if args.format == "json":
        for r in results:
            print(_json_line(r))
        for line in summary:
            _note(line)
    else:
        table = []
        for r in results:
            failed = [c["ifeval_id"] for c in r["results"] if not c["strict"]]
            state, loose_state = ("-", "-") if "error" in r else (
                "yes" if r["compliant"] else "no", "yes" if r["compliant_loose"] else "no")
            table.append([r["id"], state, loose_state, str(len(r["instruction_id_list"])),
                          r.get("error") or ", ".join(failed)])
        print(_aligned(["key", "compliant", "loose", "instructions", "failed / note"], table))
        print()
        print("\n".join(summary))
    return EXIT_OK


# -- verify ----------------------------------------------------------------------------------

def _verify_batches(benchmark: Any, jobs: Sequence[tuple[str, str, Any]],
                    progress: Progress) -> list[Any]:
    """Verdicts for ``jobs`` in input order, in batches so progress moves on long inputs."""
    verdicts: list[Any] = []
    size = max(1, int(benchmark.batch_size))  # code runs in parallel within a batch
    for start in range(0, len(jobs), size):
        batch = jobs[start:start + size]
        verdicts += benchmark.verify_many(batch)
        progress.tick(len(batch))
    return verdicts


def cmd_verify(args: argparse.Namespace) -> int:
    from sustain_tasks.benchmarks import get_benchmark
    from sustain_tasks.records import OutputRecord, read_outputs_file
    from sustain_tasks.report.stats import mean

    benchmark = get_benchmark(args.task)
    # the same id may appear many times (e.g. several samples per problem): one verdict each
    records = read_outputs_file(args.outputs, allow_duplicates=True)
    if not records:  # as for check and extract: nothing to judge is an input error
        raise SustainInputError("nothing to verify: the file is empty", path=args.outputs)
    items: dict[str, Any] = {}
    # lines without a target need the dataset; with --data-dir it also gives every line whose
    # id it holds its question (numeric answers written as sentences are read against it)
    if args.data_dir or any(r.target is None for r in records):
        benchmark, items = _load_items(args.task, args.data_dir)
    # every id is resolved before any (possibly slow) verification starts
    jobs: list[tuple[OutputRecord, Any, str]] = []
    for r in records:
        item = items.get(r.item_id)
        if r.target is not None:
            jobs.append((r, item, r.target))
        elif item is not None:
            jobs.append((r, item, item.target))
        else:
            raise _unknown_id(benchmark, items, r.item_id, path=args.outputs, line=r.line,
                              field="id", hint="give a 'target' to verify against your own "
                                               "answer")
    out: list[dict[str, Any]] = []
    with Progress("verifying", len(jobs), enabled=_progress_enabled(args)) as progress:
        verdicts = _verify_batches(benchmark, [(r.output, target, item)
                                               for r, item, target in jobs], progress)
        for (r, _, _), verdict in zip(jobs, verdicts, strict=True):
            entry: dict[str, Any] = {"id": r.id}
            if r.variant is not None:
                entry["variant"] = r.variant
            entry.update(correct=verdict.correct, extracted=verdict.extracted,
                         detail=verdict.detail)
            if verdict.score is not None:
                entry["score"] = verdict.score
            out.append(entry)
    by_variant: dict[str, list[dict[str, Any]]] = {}
    for e in out:
        by_variant.setdefault(e.get("variant", "all"), []).append(e)
    summary = []
    from sustain_tasks.benchmarks.code import CodeBenchmark

    label = "pass rate" if isinstance(benchmark, CodeBenchmark) else "accuracy"
    for v, entries in by_variant.items():
        which = "" if v == "all" else f" ({v})"
        correct = sum(1 for e in entries if e["correct"])
        summary.append(f"{label}{which}: {_fmt_rate(correct, len(entries))}")
        graded = mean(e.get("score") for e in entries)
        if graded.n:
            summary.append(f"mean score{which}: {graded}")
    if args.format == "json":
        for e in out:
            print(_json_line(e))
        for line in summary:
            _note(line)
    else:
        has_variant = any("variant" in e for e in out)
        has_score = any("score" in e for e in out)
        header = ["id", *(["variant"] if has_variant else []), "correct",
                  *(["score"] if has_score else []), "extracted", "detail"]
        rows = [[e["id"], *([e.get("variant", "-")] if has_variant else []),
                 "yes" if e["correct"] else "no",
                 *([f"{e['score']:.3f}" if "score" in e else "-"] if has_score else []),
                 _cell(e["extracted"]), _cell(e["detail"], 120)]
                for e in out]
        print(_aligned(header, rows))
        print()
        print("\n".join(summary))
    return EXIT_OK


# -- score -----------------------------------------------------------------------------------

def cmd_score(args: argparse.Namespace) -> int:
    """``sustain score``: SustainScore per (model, task, protocol) from lm-eval outputs and
    Inspect logs.

    Protocol = mode and k, kinds, seed: runs of different protocols are reported side by side
    (a retest/placebo run joins the self-mode report of its k, kinds and seed). An incomplete
    run (an Inspect log not ``success`` or missing samples; an lm-eval samples file shorter
    than its results file's ``n-samples``) is never chosen over a complete run of the same
    protocol; scored alone, it is reported with ``complete`` false.

    ``S`` is never widened or narrowed silently: plain-correct items without a constrained
    record are left out of it by definition, and a warning (and the JSON field
    ``n_plain_correct_without_constrained``) counts them, e.g. after a constrained run with
    ``--limit``. Inspect logs run with ``--epochs N`` are scored on epoch 1 only, one verdict
    per item and variant; Inspect's own ``sustain_score`` / ``n_sustain`` metrics count every
    (sample, epoch) pair, so they can differ, and a warning says so. ``--compare`` across
    runs of different modes warns as well.

    Retest/placebo retention is measured within the run that holds the control (over that
    run's own plain-correct items). ``mcnemar_p`` is null in self mode (constrained runs only
    on plain-correct items; ``mcnemar_note`` says so): McNemar applies to reference mode. The
    samples files of one lm-eval invocation form one run. Per-kind and per-category
    breakdowns count an item under each of its kinds, and their compliance is item-level.
    """
    from sustain_tasks.report.formats import render, require_matplotlib, write_plot
    from sustain_tasks.report.leaderboard import distinct_models, render_leaderboards
    from sustain_tasks.report.plot import plot_format
    from sustain_tasks.report.readers import read_rows
    from sustain_tasks.report.score import compare_models, score_rows

    if args.leaderboard and args.format not in ("table", "md"):
        raise SustainInputError("--leaderboard prints tables: use it with --format table or md")
    if args.leaderboard and args.failures:
        raise SustainInputError("--leaderboard and --failures print different listings: "
                                "choose one")
    # bad destinations fail before the (possibly long) reading
    if args.out not in (None, "-"):
        check_output(args.out, inputs=args.paths, reads=_readable)
    if args.plot:
        check_output(args.plot, inputs=args.paths, reads=_readable, option="--plot")
        plot_format(args.plot)
        require_matplotlib()
    if args.html:
        check_output(args.html, inputs=args.paths, reads=_readable, option="--html")
    with Progress("reading samples", enabled=_progress_enabled(args)) as progress:
        read = read_rows(args.paths, tick=progress.tick,
                         last_lines=args.failures or bool(args.html))
    warnings = list(read.warnings)
    reports = score_rows(read.rows, warnings, n_boot=args.bootstrap, seed=args.seed)
    if reports and args.compare:
        compare_models(reports, n_boot=args.bootstrap, seed=args.seed, warnings=warnings)
    for w in warnings:
        _warn(w)
    if not reports:
        raise SustainInputError("nothing to score: no sustain task results in "
                                + ", ".join(args.paths))
    outputs = None
    if args.html or (args.failures and args.format == "json"):
        from sustain_tasks.report.listing import failure_outputs

        # a second, bounded read: both outputs of the first failures of each report only
        with Progress("reading failed outputs", enabled=_progress_enabled(args)) as progress:
            outputs = failure_outputs(reports, args.paths, tick=progress.tick)
    if args.failures:
        from sustain_tasks.report.listing import render_failures

        text = render_failures(reports, args.format, outputs)
    elif args.leaderboard:
        text = render_leaderboards(reports, args.format)
    elif args.format in ("table", "md") and distinct_models(reports) > 1:
        text = render_leaderboards(reports, args.format) + "\n" + render(reports, args.format)
    else:
        text = render(reports, args.format)
    if args.out in (None, "-"):
        sys.stdout.write(text)
    else:
        write_atomic(args.out, text)
    if args.plot:
        write_plot(reports, args.plot)
        _note(f"plot written to {args.plot}")
    if args.html:
        from sustain_tasks.report.html import failure_cases, write_html

        write_html(reports, args.html, failures=failure_cases(reports, outputs))
        _note(f"HTML report written to {args.html}")
    return EXIT_OK


# -- lm-eval helpers -------------------------------------------------------------------------

def _lm_eval_module() -> Any:
    try:
        return importlib.import_module("sustain_tasks.lm_eval")
    except ModuleNotFoundError as exc:
        if exc.name in ("sustain_tasks.lm_eval", "lm_eval"):
            from sustain_tasks.errors import MissingDependencyError

            if exc.name == "lm_eval":
                raise MissingDependencyError("lm-eval[api]",
                                             purpose="the lm-eval integration") from None
            raise SustainError("the lm-eval integration (sustain_tasks.lm_eval) is not "
                               "available in this installation") from None
        raise


def cmd_include_path(args: argparse.Namespace) -> int:
    del args
    include_path: Callable[[], Path] = _lm_eval_module().include_path
    print(include_path())
    return EXIT_OK


def run_lm_eval(argv: list[str]) -> int:
    """``sustain lm-eval ARGS...``: lm-eval's command line with the sustain tasks included."""
    module = _lm_eval_module()
    cli_main: Callable[[list[str]], int] = module.cli_main
    if not argv or argv[0] in ("-h", "--help"):
        models = ", ".join(sorted(module.MODELS))
        print(f"sustain lm-eval: lm-eval's command line with the sustain tasks included: it "
              f"adds --include_path {module.include_path()} (lm-eval finds tasks only "
              f"there) and registers the offline models {models} (--model sustain-reference "
              "answers with each item's reference solution; --model sustain-replay "
              "--model_args outputs=FILE.jsonl answers from recorded outputs).\n"
              "lm-eval's own options follow.\n", flush=True)
    return int(cli_main(argv) or 0)


def run_lm_eval_wrap(argv: list[str]) -> int:
    """``sustain lm-eval-wrap ...``: SustainScore versions of lm-eval generation tasks (see
    :mod:`sustain_tasks.lm_eval.wrap`)."""
    _lm_eval_module()  # a missing lm-eval is reported as such
    from sustain_tasks.lm_eval.wrap import main as wrap_main

    return wrap_main(argv)


# -- parser ----------------------------------------------------------------------------------

def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _add_progress(p: argparse.ArgumentParser) -> None:
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress counter on stderr (default: when stderr is a "
                        "terminal)")


def _add_unsafe(p: argparse.ArgumentParser) -> None:
    p.add_argument("--unsafe-no-isolation", action="store_true",
                   help="code tasks: when bubblewrap is missing, run model-written code "
                        "WITHOUT isolation (it can read your files, use the network and "
                        "your credentials; resource limits still apply). Only for code you "
                        "trust. Same as SUSTAIN_UNSAFE_EXECUTION=1")


def _allow_unsafe(args: argparse.Namespace) -> None:
    if getattr(args, "unsafe_no_isolation", False):
        from sustain_verifiers.execution import UNSAFE_ENV

        os.environ[UNSAFE_ENV] = "1"


def _add_data_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", metavar="DIR", default=None,
                   help="folder with the local data files (default: $SUSTAIN_DATA_DIR, else "
                        "the Hugging Face hub)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``sustain``."""
    parser = argparse.ArgumentParser(
        prog="sustain",
        description="SustainScore: how much instruction following interferes with task "
                    "solving.")
    parser.add_argument("--version", action="version", version=f"sustain {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("constraints", help="list the constraint kinds",
                       description="The catalogue of constraint kinds: id, category, "
                                   "structural or semantic, and an example sentence.")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--kinds", nargs="+", default=None, metavar="SPEC",
                   help="only these ids and/or categories (space- or comma-separated)")
    p.set_defaults(handler=cmd_constraints)

    p = sub.add_parser(
        "extract", help="extract self-evident constraints from correct outputs",
        description="Verify each plain output and extract constraints from the correct ones "
                    "(self mode), or from the dataset's reference solutions (--reference). "
                    "Writes one JSON line per item that got constraints.")
    p.add_argument("--task", required=True, help="benchmark name, e.g. gsm8k")
    p.add_argument("--from", dest="source", metavar="PATH", default=None,
                   help="an lm-eval output folder or samples file, an Inspect log, or a "
                        'JSONL file of {"id", "output"} lines')
    p.add_argument("--reference", action="store_true",
                   help="extract from the reference solutions instead of model outputs")
    p.add_argument("--out", required=True, metavar="FILE.jsonl",
                   help="constraints file to write")
    p.add_argument("--k", type=int, default=1, choices=(1, 2, 3),
                   help="constraints per item (default 1)")
    p.add_argument("--kinds", nargs="+", default=None, metavar="SPEC",
                   help="constraint ids and/or categories, space- or comma-separated "
                        "(default: the task's own)")
    p.add_argument("--seed", type=int, default=0, help="extraction seed (default 0)")
    p.add_argument("--limit", type=_positive_int, default=None, metavar="N",
                   help="only the first N outputs")
    p.add_argument("--allow-incomplete", action="store_true",
                   help="extract from an incomplete run (a killed or cut-off run) when no "
                        "complete one is found; by default that is an error, and a complete "
                        "run is always preferred")
    _add_data_dir(p)
    _add_unsafe(p)
    _add_progress(p)
    p.set_defaults(handler=cmd_extract)

    p = sub.add_parser(
        "check", help="check recorded outputs against their constraints",
        description="Per-item compliance (strict and loose) of recorded outputs with the "
                    "constraints of a constraints file, and a summary. With --ifeval, the "
                    "rows of IFEval's input_data.jsonl (key, prompt, instruction_id_list, "
                    "kwargs) are checked instead: every IFEval instruction id is turned into "
                    "this library's constraint (see sustain_tasks/constraints/README.md for "
                    "where the definitions differ), and the summary gives IFEval's prompt- "
                    "and instruction-level accuracies.")
    p.add_argument("--constraints", default=None, metavar="FILE.jsonl",
                   help="a constraints file (sustain extract); or use --ifeval")
    p.add_argument("--ifeval", default=None, metavar="FILE.jsonl",
                   help="IFEval's input_data.jsonl instead of a constraints file")
    p.add_argument("--outputs", required=True, metavar="FILE.jsonl",
                   help='{"id", "output"} lines; with --ifeval also IFEval\'s '
                        '{"prompt", "response"} lines (input_response_data), matched by '
                        "prompt, while an id is matched to a row's key")
    p.add_argument("--variant", default="constrained",
                   choices=VARIANTS,
                   help="which outputs to check when lines carry a variant "
                        "(default constrained; unlabelled lines are always used)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    _add_progress(p)
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser(
        "verify", help="task verdicts for recorded outputs",
        description="Judge recorded outputs with the task's verifier. A line's optional "
                    "'target' overrides the dataset's answer.")
    p.add_argument("--task", required=True, help="benchmark name, e.g. gsm8k")
    p.add_argument("--outputs", required=True, metavar="FILE.jsonl")
    p.add_argument("--format", choices=("table", "json"), default="table")
    _add_data_dir(p)
    _add_unsafe(p)
    _add_progress(p)
    p.set_defaults(handler=cmd_verify)

    p = sub.add_parser(
        "score", help="SustainScore from lm-eval outputs and Inspect logs",
        description="Read lm-eval output folders/samples files and Inspect logs (any mix), "
                    "pair the variants by (model, task, protocol, sample id) and report the "
                    "metrics per (model, task, protocol); protocol = mode, k, kinds and seed, "
                    "and runs of different protocols are reported side by side. An "
                    "incomplete run (an Inspect log whose status is not success or that "
                    "lacks samples, an lm-eval samples file shorter than its results file "
                    "counts) is never chosen over a complete one and, scored alone, is "
                    "marked complete: false. Inspect logs run with --epochs are scored on "
                    "epoch 1 only. Retest/placebo retention is measured within the run holding the "
                    "control, over its own plain-correct items. McNemar p is given in "
                    "reference mode only (in self mode the constrained variant runs only on "
                    "plain-correct items). Breakdowns by kind and category count an item "
                    "under each of its kinds; their compliance is item-level (all of the "
                    "item's constraints satisfied).")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--format", choices=("table", "json", "csv", "md"), default="table",
                   help="json: one object per (model, task, protocol) per line")
    p.add_argument("--out", default=None, metavar="FILE", help="write here instead of stdout")
    p.add_argument("--plot", default=None, metavar="FILE.png",
                   help="SustainScore with 95%% intervals per model and benchmark, and per "
                        "constraint category; .png, .svg or .pdf (needs the 'plot' extra)")
    p.add_argument("--html", default=None, metavar="FILE.html",
                   help="a self-contained HTML report (leaderboards, figure when matplotlib "
                        "is installed, breakdowns, failures with both outputs side by side)")
    p.add_argument("--leaderboard", action="store_true",
                   help="print only the leaderboard of each benchmark (table or md); over "
                        "several models the leaderboards always come first")
    p.add_argument("--compare", action="store_true",
                   help="compare models on each task (seeded paired bootstrap)")
    p.add_argument("--bootstrap", type=_positive_int, default=2000, metavar="N",
                   help="bootstrap resamples for --compare and the interval of adjusted "
                        "interference (default 2000)")
    p.add_argument("--failures", action="store_true",
                   help="list every constrained failure on S instead of the report: label, "
                        "sample id, constraint kinds, the last line of both outputs (with "
                        "--format json also the constraints' texts and both outputs)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    _add_progress(p)
    p.set_defaults(handler=cmd_score)

    p = sub.add_parser("include-path",
                       help="print the folder to pass to lm_eval --include_path")
    p.set_defaults(handler=cmd_include_path)

    sub.add_parser("lm-eval", help="run lm_eval with the sustain tasks included "
                                   "(arguments are passed through)", add_help=False)
    sub.add_parser("lm-eval-wrap", help="write SustainScore versions of lm-eval "
                                        "generate_until tasks (see its --help)", add_help=False)
    sub.add_parser("mechanism", help="attention on the constraint and layer-wise probes of "
                                     "an open-weight model (see its --help; the 'mechanism' "
                                     "extra)", add_help=False)
    return parser


def _stop_workers() -> None:
    """Stop the verifier worker processes (MATH-500 comparisons) if any were started, so that
    the command ends at once, also after an interruption."""
    isolate = sys.modules.get("sustain_verifiers._isolate")
    if isolate is not None:
        isolate.shutdown_default_pool()


def _worker_startup_error(exc: BaseException) -> bool:
    isolate = sys.modules.get("sustain_verifiers._isolate")
    return isolate is not None and isinstance(exc, isolate.WorkerStartupError)


def _sandbox_error(exc: BaseException) -> bool:
    execution = sys.modules.get("sustain_verifiers.execution")
    return execution is not None and isinstance(exc, execution.SandboxError)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``sustain``; returns the exit status (2 for input errors)."""
    try:
        return _main(argv)
    finally:
        _stop_workers()


def _main(argv: Sequence[str] | None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list and args_list[0] == "lm-eval":
            with data_hint("--metadata '{\"data_dir\": \"DIR\"}'"):
                return run_lm_eval(args_list[1:])
        if args_list and args_list[0] == "lm-eval-wrap":
            return run_lm_eval_wrap(args_list[1:])
        if args_list and args_list[0] == "mechanism":
            from sustain_tasks.mechanism.cli import main as mechanism_main

            return mechanism_main(args_list[1:])
        parser = build_parser()
        try:
            args = parser.parse_args(args_list)
        except SystemExit as exc:  # --help, --version, usage errors
            return exc.code if isinstance(exc.code, int) else EXIT_ERROR
        handler: Callable[[argparse.Namespace], int] = args.handler
        _allow_unsafe(args)
        with data_hint("--data-dir DIR"):
            return handler(args)
    except SustainError as exc:
        print(f"sustain: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("sustain: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`): nothing more to say
        return EXIT_OK
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"sustain: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    except RuntimeError as exc:
        if _sandbox_error(exc):
            print(f"sustain: error: {exc}", file=sys.stderr)
            return EXIT_ERROR
        if not _worker_startup_error(exc):
            raise
        # a verifier's worker process could not start: an installation problem
        print(f"sustain: error: {exc} (set SUSTAIN_WORKER_STDERR=1 to see the worker's "
              "errors)", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
