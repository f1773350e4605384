"""The ``sustain`` command line.

Commands:

- ``sustain constraints``: the catalogue of constraint kinds.
- ``sustain extract``: constraints from a plain run's correct outputs (or the references).
- ``sustain check``: compliance of recorded outputs with their constraints.
- ``sustain verify``: task verdicts for recorded outputs.
- ``sustain score``: SustainScore and its statistics from lm-eval outputs and Inspect logs.
- ``sustain include-path`` / ``sustain lm-eval``: helpers for lm-evaluation-harness.

Results go to stdout; summaries, warnings and progress go to stderr. Input errors print one
line, ``sustain: error: <file>:<line>: field '<field>': <message>``, and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, TextIO

from sustain_tasks import __version__
from sustain_tasks.errors import SustainError, SustainInputError

__all__ = ["Progress", "build_parser", "main"]

EXIT_OK = 0
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


# -- small output helpers --------------------------------------------------------------------

class Progress:
    """A one-line counter on stderr, drawn only when enabled (a terminal, or ``--progress``)."""

    def __init__(self, label: str, total: int | None = None, *, enabled: bool = False,
                 stream: TextIO | None = None, interval: float = 0.2) -> None:
        self.label, self.total, self.enabled = label, total, enabled
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.count = 0
        self._last = 0.0
        self._drawn = False
        self._shown = 0

    def tick(self, n: int = 1) -> None:
        self.count += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last >= self.interval or self.count == self.total:
            self._last = now
            self._draw()

    def _draw(self) -> None:
        if self.total:
            pct = 100.0 * self.count / self.total
            text = f"\r{self.label}: {self.count}/{self.total} ({pct:.0f}%)"
        else:
            text = f"\r{self.label}: {self.count}"
        self.stream.write(text)
        self.stream.flush()
        self._drawn = True
        self._shown = self.count

    def close(self) -> None:
        if self.enabled and self.count and self.count != self._shown:
            self._draw()
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


def _progress_enabled(args: argparse.Namespace) -> bool:
    flag = getattr(args, "progress", None)
    if flag is not None:
        return bool(flag)
    return sys.stderr.isatty()


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


def _json_line(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _open_out(path: str | None) -> tuple[IO[str], bool]:
    if path is None or path == "-":
        return sys.stdout, False
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    return p.open("w", encoding="utf-8"), True


# -- constraints -----------------------------------------------------------------------------

def cmd_constraints(args: argparse.Namespace) -> int:
    from sustain_tasks.constraints import all_kinds, resolve_kinds

    kinds = all_kinds()
    selected = resolve_kinds(args.kinds) if args.kinds else list(kinds)
    entries: list[dict[str, Any]] = []
    for kind in selected:
        cls = kinds[kind]
        example = cls.example()
        entries.append({"id": kind, "category": cls.category,
                        "type": "structural" if example.structural else "semantic",
                        "example": example.describe(), "params": example.params()})
    if args.format == "json":
        for entry in entries:
            print(_json_line(entry))
    else:
        print(_aligned(["id", "category", "type", "example"],
                       [[e["id"], e["category"], e["type"], e["example"]] for e in entries]))
    return EXIT_OK


# -- extract ---------------------------------------------------------------------------------

def _load_items(task: str, data_dir: str | None) -> tuple[Any, dict[str, Any]]:
    from sustain_tasks.benchmarks import get_benchmark

    benchmark = get_benchmark(task)
    items = benchmark.load(data_dir)
    return benchmark, {item.id: item for item in items}


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
        reading = Progress("reading", enabled=enabled)
        outputs, warnings, source_file = read_plain_outputs(args.source, benchmark.name,
                                                            tick=reading.tick)
        reading.close()
        for w in warnings:
            _warn(w)
        source = "self"
    if args.limit is not None:
        outputs = outputs[:args.limit]
    sets: list[ConstraintSet] = []
    per_kind: Counter[str] = Counter()
    n_correct = 0
    seen: set[str] = set()
    progress = Progress("extracting", len(outputs), enabled=enabled)
    for record in outputs:
        progress.tick()
        item = items.get(record.id)
        if item is None:
            progress.close()
            raise SustainInputError(
                f"no item with id {record.id!r} in the {benchmark.name} data",
                path=source_file, line=record.line,
                field="doc.id" if source_file and source_file.name.startswith("samples_")
                else "id")
        if record.id in seen:
            progress.close()
            raise SustainInputError(f"id {record.id!r} appears twice", path=source_file,
                                    line=record.line, field="id")
        seen.add(record.id)
        verdict = benchmark.verify(record.output, item.target, item)
        if not verdict.correct:
            continue
        n_correct += 1
        constraints = benchmark.constraints_for(item, record.output, k=args.k, kinds=kinds,
                                                seed=args.seed)
        if constraints:
            sets.append(ConstraintSet(item.id, benchmark.name, source, tuple(constraints)))
            per_kind.update(c.kind for c in constraints)
    progress.close()
    write_constraints_file(args.out, sets)
    origin = "reference solutions" if args.reference else str(source_file)
    _note(f"sustain extract: {benchmark.name}, source {source} ({origin})")
    _note(f"  outputs read:          {len(outputs)}")
    _note(f"  correct (verified):    {n_correct}")
    _note(f"  items with constraints: {len(sets)} -> {args.out}")
    if per_kind:
        _note("  constraints by kind:   " + ", ".join(f"{k} {n}"
                                                    for k, n in sorted(per_kind.items())))
    if n_correct and not sets:
        _warn("no correct output offered a suitable constraint; the constraints file is empty")
    return EXIT_OK


# -- check -----------------------------------------------------------------------------------

def cmd_check(args: argparse.Namespace) -> int:
    from sustain_tasks.constraints import check_all
    from sustain_tasks.records import read_constraints_file, read_outputs_file

    sets = read_constraints_file(args.constraints)
    records = read_outputs_file(args.outputs)
    wanted = args.variant
    chosen: dict[str, Any] = {}
    for rec in records:
        if rec.variant is None:
            chosen.setdefault(rec.id, rec)
        elif rec.variant == wanted:
            chosen[rec.id] = rec  # an explicit variant wins over an unlabelled line
    results: list[dict[str, Any]] = []
    per_kind: dict[str, list[bool]] = {}
    missing: list[str] = []
    empty: list[str] = []
    progress = Progress("checking", len(sets), enabled=_progress_enabled(args))
    for item_id, cs in sets.items():
        progress.tick()
        record = chosen.get(item_id)
        if record is None:
            missing.append(item_id)
            results.append({"id": item_id, "compliant": None, "compliant_loose": None,
                            "results": [], "error": "no output for this id"})
            continue
        checks = check_all(cs.constraints, record.output)
        for c in checks:
            per_kind.setdefault(c.kind, []).append(c.strict)
        entry: dict[str, Any] = {"id": item_id, "compliant": all(c.strict for c in checks),
                                 "compliant_loose": all(c.loose for c in checks),
                                 "results": [c.to_dict() for c in checks]}
        if not record.output.strip():
            empty.append(item_id)
            entry["note"] = "empty output"
        results.append(entry)
    progress.close()
    extra = sorted(set(chosen) - set(sets))
    checked = [r for r in results if r["compliant"] is not None]
    strict = sum(1 for r in checked if r["compliant"])
    loose = sum(1 for r in checked if r["compliant_loose"])
    summary = [f"items checked: {len(checked)} of {len(sets)}",
               f"compliance (strict): {_fmt_rate(strict, len(checked))}",
               f"compliance (loose):  {_fmt_rate(loose, len(checked))}"]
    summary += [f"  {kind}: {_fmt_rate(sum(v), len(v))}" for kind, v in sorted(per_kind.items())]
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        summary.append(f"items without an output ({len(missing)}): {shown}")
    if empty:
        summary.append(f"empty outputs ({len(empty)}; they satisfy only constraints that "
                       f"forbid something): {', '.join(empty[:10])}"
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
            state = "-" if r["compliant"] is None else ("yes" if r["compliant"] else "no")
            loose_state = "-" if r["compliant_loose"] is None else (
                "yes" if r["compliant_loose"] else "no")
            note = r.get("error") or "; ".join(
                x for x in (", ".join(failed), r.get("note", "")) if x)
            rows.append([r["id"], state, loose_state, str(len(r["results"])), note])
        print(_aligned(["id", "compliant", "loose", "constraints", "failed / note"], rows))
        print()
        print("\n".join(summary))
    return EXIT_OK


# -- verify ----------------------------------------------------------------------------------

def cmd_verify(args: argparse.Namespace) -> int:
    from sustain_tasks.benchmarks import get_benchmark
    from sustain_tasks.records import read_outputs_file

    benchmark = get_benchmark(args.task)
    records = read_outputs_file(args.outputs)
    items: dict[str, Any] = {}
    if any(r.target is None for r in records):
        benchmark, items = _load_items(args.task, args.data_dir)
    out: list[dict[str, Any]] = []
    progress = Progress("verifying", len(records), enabled=_progress_enabled(args))
    for r in records:
        progress.tick()
        item = items.get(r.id)
        if r.target is not None:
            target = r.target
        elif item is not None:
            target = item.target
        else:
            progress.close()
            raise SustainInputError(
                f"no item with id {r.id!r} in the {benchmark.name} data (give a 'target' to "
                "verify against your own answer)", path=args.outputs, line=r.line, field="id")
        verdict = benchmark.verify(r.output, target, item)
        entry: dict[str, Any] = {"id": r.id}
        if r.variant is not None:
            entry["variant"] = r.variant
        entry.update(correct=verdict.correct, extracted=verdict.extracted,
                     detail=verdict.detail)
        if verdict.score is not None:
            entry["score"] = verdict.score
        out.append(entry)
    progress.close()
    by_variant: dict[str, list[bool]] = {}
    for e in out:
        by_variant.setdefault(e.get("variant", "all"), []).append(e["correct"])
    summary = [f"accuracy{'' if v == 'all' else f' ({v})'}: {_fmt_rate(sum(c), len(c))}"
               for v, c in by_variant.items()]
    if args.format == "json":
        for e in out:
            print(_json_line(e))
        for line in summary:
            _note(line)
    else:
        has_variant = any("variant" in e for e in out)
        header = ["id", *(["variant"] if has_variant else []), "correct", "extracted",
                  "detail"]
        rows = [[e["id"], *([e.get("variant", "-")] if has_variant else []),
                 "yes" if e["correct"] else "no",
                 "-" if e["extracted"] is None else str(e["extracted"]), str(e["detail"])]
                for e in out]
        print(_aligned(header, rows))
        print()
        print("\n".join(summary))
    return EXIT_OK


# -- score -----------------------------------------------------------------------------------

def cmd_score(args: argparse.Namespace) -> int:
    from sustain_tasks.report.formats import render, require_matplotlib, write_plot
    from sustain_tasks.report.readers import read_rows
    from sustain_tasks.report.score import compare_models, score_rows

    if args.plot:
        require_matplotlib()  # fail before the (possibly long) reading
    progress = Progress("reading samples", enabled=_progress_enabled(args))
    read = read_rows(args.paths, tick=progress.tick)
    progress.close()
    warnings = list(read.warnings)
    reports = score_rows(read.rows, warnings)
    for w in warnings:
        _warn(w)
    if not reports:
        raise SustainInputError("nothing to score: no sustain task results in "
                                + ", ".join(args.paths))
    if args.compare:
        compare_models(reports, n_boot=args.bootstrap, seed=args.seed)
    text = render(reports, args.format)
    stream, close = _open_out(args.out)
    try:
        stream.write(text)
    finally:
        if close:
            stream.close()
    if args.plot:
        write_plot(reports, args.plot)
        _note(f"plot written to {args.plot}")
    return EXIT_OK


# -- lm-eval helpers -------------------------------------------------------------------------

def _lm_eval_module() -> Any:
    try:
        return importlib.import_module("sustain_tasks.lm_eval")
    except ModuleNotFoundError as exc:
        if exc.name in ("sustain_tasks.lm_eval", "lm_eval"):
            from sustain_tasks.errors import MissingDependencyError

            if exc.name == "lm_eval":
                raise MissingDependencyError("lm_eval",
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
    cli_main: Callable[[list[str]], int] = _lm_eval_module().cli_main
    return int(cli_main(argv) or 0)


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
    p.add_argument("--kinds", default=None, metavar="SPEC",
                   help="only these ids or categories (comma-separated)")
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
                   help="constraint ids and/or categories (default: the task's own)")
    p.add_argument("--seed", type=int, default=0, help="extraction seed (default 0)")
    p.add_argument("--limit", type=_positive_int, default=None, metavar="N",
                   help="only the first N outputs")
    _add_data_dir(p)
    _add_progress(p)
    p.set_defaults(handler=cmd_extract)

    p = sub.add_parser(
        "check", help="check recorded outputs against their constraints",
        description="Per-item compliance (strict and loose) of recorded outputs with the "
                    "constraints of a constraints file, and a summary.")
    p.add_argument("--constraints", required=True, metavar="FILE.jsonl")
    p.add_argument("--outputs", required=True, metavar="FILE.jsonl")
    p.add_argument("--variant", default="constrained",
                   choices=("plain", "constrained", "placebo", "retest"),
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
    _add_progress(p)
    p.set_defaults(handler=cmd_verify)

    p = sub.add_parser(
        "score", help="SustainScore from lm-eval outputs and Inspect logs",
        description="Read lm-eval output folders/samples files and Inspect logs (any mix), "
                    "pair the variants by (model, task, sample id) and report the metrics "
                    "per (model, task).")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--format", choices=("table", "json", "csv", "md"), default="table",
                   help="json: one object per (model, task) per line")
    p.add_argument("--out", default=None, metavar="FILE", help="write here instead of stdout")
    p.add_argument("--plot", default=None, metavar="FILE.png",
                   help="bar chart of SustainScore (needs the 'plot' extra)")
    p.add_argument("--compare", action="store_true",
                   help="compare models on each task (seeded paired bootstrap)")
    p.add_argument("--bootstrap", type=_positive_int, default=2000, metavar="N",
                   help="bootstrap resamples for --compare (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    _add_progress(p)
    p.set_defaults(handler=cmd_score)

    p = sub.add_parser("include-path",
                       help="print the folder to pass to lm_eval --include_path")
    p.set_defaults(handler=cmd_include_path)

    sub.add_parser("lm-eval", help="run lm_eval with the sustain tasks included "
                                   "(arguments are passed through)", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``sustain``; returns the exit status (2 for input errors)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list and args_list[0] == "lm-eval":
            return run_lm_eval(args_list[1:])
        parser = build_parser()
        try:
            args = parser.parse_args(args_list)
        except SystemExit as exc:  # --help, --version, usage errors
            return exc.code if isinstance(exc.code, int) else EXIT_ERROR
        handler: Callable[[argparse.Namespace], int] = args.handler
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
