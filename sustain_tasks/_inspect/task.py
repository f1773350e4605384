"""``build_task``: the one Inspect task builder every ``sustain_tasks/<bench>.py`` calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from inspect_ai import Task
from inspect_ai.scorer import Metric

from sustain_tasks.benchmarks import Benchmark, get_benchmark
from sustain_tasks.benchmarks.data import data_hint, locate_folder
from sustain_tasks.constraints import MAX_K, resolve_kinds
from sustain_tasks.errors import SustainInputError
from sustain_tasks.protocol import MODES, Mode

from .dataset import item_index, items_dataset
from .errors import located_errors
from .grader import GRADERS
from .metrics import (
    compliance,
    compliance_loose,
    constrained_accuracy,
    constrained_f1,
    n_placebo,
    n_retest,
    n_sustain,
    placebo_retention,
    plain_accuracy,
    plain_f1,
    retest_retention,
    sustain_score,
)
from .scorer import sustain_scorer
from .solver import sustain_solver

__all__ = ["TaskArgs", "build_task", "mode_metrics", "validate_args"]


@dataclass(frozen=True)
class TaskArgs:
    """Validated task arguments."""

    mode: Mode
    k: int
    kinds: list[str] | None
    seed: int
    data_dir: str | None
    sandbox: str | None = None
    grader: bool = False


def _int_arg(name: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    if number is None or (low is not None and number < low) or (
            high is not None and number > high):
        bounds = f" from {low} to {high}" if low is not None and high is not None else ""
        raise SustainInputError(f"must be an integer{bounds}, got {value!r}", field=name)
    return number


def _kinds_arg(kinds: Any, default: Sequence[str]) -> list[str] | None:
    if kinds is None:
        return None
    if isinstance(kinds, str):
        chosen = [part.strip() for part in kinds.split(",") if part.strip()]
    elif isinstance(kinds, list | tuple) and all(isinstance(part, str) for part in kinds):
        chosen = [part.strip() for part in kinds if part.strip()]
    else:
        raise SustainInputError(
            f"must be constraint ids or categories, as a list or a comma-separated string; "
            f"got {kinds!r}", field="kinds")
    if not chosen:
        return None
    if not resolve_kinds(chosen, default=default):  # raises on unknown names
        raise SustainInputError(f"{chosen} selects no constraint kind", field="kinds")
    return chosen


def validate_args(benchmark: str, mode: Any = "self", k: Any = 1, kinds: Any = None,
                  seed: Any = 0, data_dir: Any = None, sandbox: Any = None,
                  grader: Any = None) -> TaskArgs:
    """Check the task arguments; a :class:`SustainInputError` names the bad one."""
    bench = get_benchmark(benchmark)
    if not isinstance(mode, str) or mode.strip().lower() not in MODES:
        raise SustainInputError(f"must be one of {', '.join(MODES)}; got {mode!r}", field="mode")
    checked_mode = cast(Mode, mode.strip().lower())
    checked_k = _int_arg("k", k, 1, MAX_K)
    checked_seed = _int_arg("seed", seed)
    checked_kinds = _kinds_arg(kinds, bench.default_kinds)
    folder: str | None = None
    if data_dir not in (None, ""):
        if not isinstance(data_dir, str | Path):
            raise SustainInputError(f"must be a folder path, got {data_dir!r}", field="data_dir")
        path = locate_folder(data_dir)
        if path is None:
            raise SustainInputError(f"folder {data_dir} does not exist", field="data_dir")
        folder = str(path.resolve())
    checked_sandbox: str | None = None
    if sandbox not in (None, ""):
        from sustain_tasks.benchmarks.code import CodeBenchmark

        if not isinstance(sandbox, str) or not sandbox.strip():
            raise SustainInputError(f"must be an Inspect sandbox type such as docker, got "
                                    f"{sandbox!r}", field="sandbox")
        if not isinstance(bench, CodeBenchmark):
            raise SustainInputError(f"{bench.name} runs no code; only the code benchmarks take "
                                    "a sandbox", field="sandbox")
        checked_sandbox = sandbox.strip()
    return TaskArgs(checked_mode, checked_k, checked_kinds, checked_seed, folder,
                    checked_sandbox, _grader_arg(bench, grader))


def _grader_arg(bench: Benchmark, grader: Any) -> bool:
    if grader in (None, "", "none", False):
        return False
    if not isinstance(grader, str) or grader.strip().lower() not in GRADERS:
        raise SustainInputError(f"must be one of {', '.join(GRADERS)} (or left out), got "
                                f"{grader!r}", field="grader")
    from sustain_tasks.benchmarks.code import CodeBenchmark

    if isinstance(bench, CodeBenchmark):
        raise SustainInputError(f"{bench.name} is judged by its unit tests; a grader model "
                                "has nothing to decide there", field="grader")
    return True


def mode_metrics(mode: Mode, graded: bool = False) -> list[Metric | dict[str, list[Metric]]]:
    """The task metrics reported in ``mode`` (with F1 for benchmarks that grade answers)."""
    metrics: list[Metric | dict[str, list[Metric]]] = [
        plain_accuracy(), constrained_accuracy(), sustain_score(), compliance(),
        compliance_loose(), n_sustain(),
    ]
    if mode == "placebo":
        metrics += [placebo_retention(), n_placebo()]
    elif mode == "retest":
        metrics += [retest_retention(), n_retest()]
    if graded:
        metrics += [plain_f1(), constrained_f1()]
    return metrics


def build_task(
    benchmark_name: str,
    mode: str = "self",
    k: int = 1,
    kinds: str | Sequence[str] | None = None,
    seed: int = 0,
    data_dir: str | None = None,
    *,
    sandbox: str | None = None,
    grader: str | None = None,
    limit: int | None = None,
) -> Task:
    """The Inspect task ``sustain_<benchmark_name>`` in the given mode.

    Args:
        benchmark_name: A name from ``sustain_tasks.benchmarks.BENCHMARKS``.
        mode: ``self`` (default), ``reference``, ``plain``, ``placebo`` or ``retest``.
        k: Constraints per item, 1..3.
        kinds: Constraint ids and/or categories (a list or a comma-separated string);
            None uses the benchmark's default selection.
        seed: Seed of every choice made during constraint extraction.
        data_dir: Folder holding the local data files; None uses ``$SUSTAIN_DATA_DIR`` when
            set, else the Hugging Face hub.
        sandbox: Code benchmarks only: run the tests in this Inspect sandbox (``docker``,
            ...) instead of the package's own isolated runner.
        grader: ``model`` lets the model bound to the ``grader`` role (``--model-role
            grader=...``) decide verdicts the rules leave open (no final answer found, or an
            ambiguous one); both verdicts are kept in ``Score.metadata``. Not for code.
        limit: Load only the first ``limit`` items (Inspect's ``--limit`` also works).
    """
    with located_errors(setup=True), data_hint("-T data_dir=DIR"):
        bench = get_benchmark(benchmark_name)
        args = validate_args(bench.name, mode, k, kinds, seed, data_dir, sandbox, grader)
        items = item_index(bench, args.data_dir).items
        if limit is not None:
            items = items[:_int_arg("limit", limit, 0)]
    return Task(
        name=f"sustain_{bench.name}",
        dataset=items_dataset(bench, items),
        solver=sustain_solver(bench.name, mode=args.mode, k=args.k, kinds=args.kinds,
                              seed=args.seed, data_dir=args.data_dir, sandbox=args.sandbox,
                              grader=args.grader),
        scorer=sustain_scorer(bench.name, data_dir=args.data_dir, sandbox=args.sandbox,
                              grader=args.grader),
        metrics=mode_metrics(args.mode, bench.graded),
        sandbox=args.sandbox,
        metadata={"benchmark": bench.name, "mode": args.mode, "k": args.k,
                  "kinds": args.kinds, "seed": args.seed, "grader": args.grader},
    )
