"""``sustain mechanism attention|probe``: the command line of the mechanism analyses.

Imported by ``sustain`` only for this command; it imports the extra's modules (torch,
transformers, scikit-learn) only after the arguments are read, so ``--help`` and a missing
extra's message work without them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sustain_tasks.errors import SustainError, SustainInputError
from sustain_tasks.outfiles import write_atomic

from . import require
from .runs import MechanismItem, read_items
from .store import ItemStore

__all__ = ["build_parser", "main"]

DTYPES = ("auto", "float32", "float16", "bfloat16")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _device(text: str) -> str:
    if text in ("auto", "cpu", "cuda") or (text.startswith("cuda:") and text[5:].isdigit()):
        return text
    raise argparse.ArgumentTypeError(f"expected auto, cpu, cuda or cuda:N, got {text!r}")


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.5 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected an AUC above 0.5 and at most 1, got {text}")
    return value


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="Inspect logs and/or lm-eval output folders of the run (a placebo "
                        "run's log, or lm-eval sustain_<bench>_placebo samples, too, for "
                        "the control)")
    p.add_argument("--model", required=True,
                   help="the run's model: a Hugging Face hub id or a local folder")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output folder; per-item results there are resumed on a restart")
    p.add_argument("--device", type=_device, default="auto",
                   help="auto (CUDA when available), cpu, cuda or cuda:N (default auto)")
    p.add_argument("--dtype", choices=DTYPES, default="auto",
                   help="auto: float32 on CPU, the checkpoint's own on CUDA (default auto)")
    p.add_argument("--limit", type=_positive_int, default=None, metavar="N",
                   help="only the first N items")
    p.add_argument("--seed", type=int, default=0, help="seed of the statistics (default 0)")
    p.add_argument("--bootstrap", type=int, default=None, metavar="N",
                   help="bootstrap resamples of the intervals (default 2000 for attention, "
                        "1000 for probes; 0 leaves intervals out)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress counter on stderr (default: when stderr is a "
                        "terminal)")


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``sustain mechanism``."""
    parser = argparse.ArgumentParser(
        prog="sustain mechanism",
        description="Look inside an open-weight model on a recorded run: teacher-force each "
                    "item's recorded prompt and output (no generation) and measure attention "
                    "on the constraint or probe hidden states. Needs the 'mechanism' extra: "
                    "pip install 'sustainscore[mechanism]'.")
    sub = parser.add_subparsers(dest="analysis", metavar="ANALYSIS", required=True)
    p = sub.add_parser(
        "attention", help="attention from the output to the constraint, failed vs successful",
        description="Per constrained item of S: attention mass from the output's deciding "
                    "steps to the constraint's tokens (raw and per token), per layer and head; "
                    "failed vs successful items compared (bootstrap intervals, Mann-Whitney p, "
                    "Cliff's delta, Cohen's d), and the same on a placebo run's neutral text. "
                    "Writes attention.json, attention.png and attention_items.jsonl to --out.")
    _common(p)
    p = sub.add_parser(
        "probe", help="layer-wise probes for compliance and task success",
        description="Per constrained item of S: hidden states of every layer at the last "
                    "prompt token; cross-validated logistic-regression probes per layer for "
                    "task success, compliance and each constraint category; the first "
                    "decodable layer of each category (structural vs semantic), the general "
                    "probe vs the specialists and cross-category transfer. Writes probe.json, "
                    "probe.png and probe_items.jsonl (+ probe_hidden/) to --out.")
    _common(p)
    p.add_argument("--positions", action="store_true",
                   help="also probe at the output's start, 25%%, 50%%, 75%% and end")
    p.add_argument("--threshold", type=_fraction, default=0.7,
                   help="AUC a layer must reach to count as decodable (default 0.7)")
    p.add_argument("--folds", type=_positive_int, default=5,
                   help="cross-validation folds (default 5)")
    p.add_argument("--C", dest="c", type=float, default=1.0,
                   help="inverse L2 strength of the logistic regression (default 1.0)")
    return parser


def _progress(args: argparse.Namespace, total: int) -> Any:
    from sustain_tasks.cli import Progress, _progress_enabled

    return Progress("teacher-forcing items", total, enabled=_progress_enabled(args))


def _warn(message: str) -> None:
    print(f"sustain: warning: {message}", file=sys.stderr)


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise SustainInputError("exists and is not a folder", path=out, field="--out")


def _model_warning(items: Sequence[MechanismItem], model: str) -> str | None:
    name = Path(model.rstrip("/")).name
    recorded = sorted({i.model for i in items})
    if not any(name and name in m for m in recorded):
        return (f"--model {model} does not look like the model the run recorded "
                f"({', '.join(recorded)}); the analyses are meaningful only on the same "
                "weights")
    return None


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.4g}"


def _summary_attention(report: dict[str, Any]) -> list[str]:
    lines = []
    for section in ("constraint", "placebo"):
        data = report.get(section)
        if not data:
            lines.append(f"{section}: {report.get(f'{section}_note', 'no items')}")
            continue
        o = data["metrics"]["mass_per_token"]["overall"]
        lines.append(f"{section}: attention per token, failed {_fmt(o['mean_failed'])} "
                     f"(n={o['n_failed']}) vs successful {_fmt(o['mean_successful'])} "
                     f"(n={o['n_successful']}), Mann-Whitney p={_fmt(o['p_value'])}, "
                     f"Cliff's delta={_fmt(o['cliffs_delta'])}")
    return lines


def _summary_probe(report: dict[str, Any]) -> list[str]:
    first = report.get("first_layer")
    if not first:
        return [str(report.get("note", "no probe"))]
    lines = [f"first decodable layer (AUC >= {report['threshold']}): task success "
             f"{first['task_success']}, compliance {first['compliance']}"]
    for kind in ("structural", "semantic"):
        parts = [f"{k} {v}" for k, v in first[kind].items()]
        lines.append(f"  {kind}: " + (", ".join(parts) if parts else "no category"))
    return lines


def run(args: argparse.Namespace) -> int:
    """Run one analysis; returns the exit status."""
    out = Path(args.out)
    _check_out(out)
    require()
    read = read_items(args.paths, limit=args.limit)
    for w in read.warnings:
        _warn(w)
    items = read.items
    warning = _model_warning(items, args.model)
    if warning:
        _warn(warning)
    analysis = args.analysis
    out.mkdir(parents=True, exist_ok=True)
    settings = {"analysis": analysis, "model": args.model, "dtype": args.dtype}
    keys = {i.key for i in items}
    with ItemStore(out / f"{analysis}_items.jsonl", settings) as store:
        todo = [i for i in items if i.key not in store and
                (analysis == "attention" or i.variant == "constrained")]
        if todo:
            from .model import LoadedModel

            loaded = LoadedModel(args.model, device=args.device, dtype=args.dtype,
                                 attention=analysis == "attention")
            with _progress(args, len(todo)) as progress:
                if analysis == "attention":
                    from .attention import measure as measure_attention

                    measure_attention(todo, store, loaded, progress.tick)
                else:
                    from .probe import measure as measure_probe

                    measure_probe(todo, store, loaded, out / "probe_hidden", progress.tick)
        records = [r for r in store if r["key"] in keys]
    if analysis == "attention":
        from .attention import analyse, plot

        report = analyse(records, n_boot=2000 if args.bootstrap is None else args.bootstrap,
                         seed=args.seed)
        summary = _summary_attention(report)
        draw = plot
    else:
        from .probe import analyse as analyse_probe
        from .probe import plot as plot_probe

        report = analyse_probe(records, out / "probe_hidden", positions=args.positions,
                               threshold=args.threshold, folds=args.folds, seed=args.seed,
                               n_boot=1000 if args.bootstrap is None else args.bootstrap,
                               c=args.c)
        summary = _summary_probe(report)
        draw = plot_probe
    report["model"] = args.model
    report["inputs"] = [str(p) for p in args.paths]
    write_atomic(out / f"{analysis}.json", json.dumps(report, indent=1, ensure_ascii=False)
                 + "\n")
    draw(report, str(out / f"{analysis}.png"))
    for line in summary:
        print(line, file=sys.stderr)
    print(out / f"{analysis}.json")
    return 0


def main(argv: Sequence[str]) -> int:
    """``sustain mechanism ARGS...`` (errors are reported by the caller, ``sustain``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return run(args)
    except SustainError:
        raise
    except ValueError as exc:  # a tokenizer or model refusing an input
        raise SustainError(str(exc)) from None
