"""lm-evaluation-harness integration: task configurations, offline models, entry points.

- :func:`include_path` — the folder holding the task YAML (``task_configs/`` of a checkout,
  else the copy shipped in the wheel as ``sustain_tasks/task_configs``); give it to
  ``lm_eval --include_path``.
- :func:`task_manager` — an ``lm_eval.tasks.TaskManager`` that knows the sustain tasks, with
  the metadata (``data_dir``, ``constraints_path``, ``k``, ``kinds``, ``seed``) the tasks
  read. With the Python API the metadata must go here: ``simple_evaluate(metadata=...)`` is
  ignored when a task manager is passed.
- :func:`register_models` — registers the offline models ``sustain-reference`` and
  ``sustain-replay`` with lm-eval.
- :func:`cli_main` — lm-eval's command line with the offline models registered and the
  include path added (``sustain lm-eval ...``).
- :func:`exit_on_input_error` — what the task hooks do with a :class:`SustainError` (bad
  metadata, a bad constraints file, missing data): under lm-eval's own command line
  (``lm_eval ...``, ``python -m lm_eval ...``) print one ``sustain: error: ...`` line and exit
  with status 2 instead of an 18-frame traceback; anywhere else (the Python API, ``sustain
  lm-eval``) raise it.

Importing this package does not import lm-eval.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from sustain_tasks.errors import SustainError

if TYPE_CHECKING:
    from lm_eval.tasks import TaskManager

__all__ = [
    "EXIT_INPUT_ERROR",
    "MODELS",
    "cli_main",
    "exit_on_input_error",
    "include_path",
    "lm_eval_cli_running",
    "prepare_argv",
    "register_models",
    "task_manager",
]

EXIT_INPUT_ERROR = 2
"""Exit status for bad input, as ``sustain`` uses."""

_LM_EVAL_PROGRAMS = frozenset({"lm_eval", "lm-eval"})
_under_sustain_cli = False
"""True while :func:`cli_main` runs lm-eval: ``sustain`` then reports errors itself."""

_P = ParamSpec("_P")
_R = TypeVar("_R")


def lm_eval_cli_running() -> bool:
    """Whether the running program is lm-eval's own command line (``lm_eval``/``lm-eval``
    console scripts or ``python -m lm_eval``), not ``sustain lm-eval`` nor a Python program
    using lm-eval's API."""
    if _under_sustain_cli:
        return False
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if getattr(spec, "name", None) == "lm_eval.__main__":
        return True
    program = sys.argv[0] if sys.argv else ""
    name = program.replace("\\", "/").rpartition("/")[2]
    for suffix in (".exe", "-script.py", "-script.pyw"):
        name = name.removesuffix(suffix)
    return name in _LM_EVAL_PROGRAMS


def exit_on_input_error(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Wrap a hook lm-eval calls (``custom_dataset``, ``process_results``, filters, model
    methods): under lm-eval's own command line a :class:`SustainError` becomes one line on
    stderr, ``sustain: error: <file>:<line>: field '<field>': <message>``, and exit status 2;
    elsewhere it is raised unchanged."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return func(*args, **kwargs)
        except SustainError as exc:
            if not lm_eval_cli_running():
                raise
            sys.stderr.flush()
            print(f"sustain: error: {exc}", file=sys.stderr, flush=True)
            raise SystemExit(EXIT_INPUT_ERROR) from None

    return wrapper

MODELS: dict[str, str] = {
    "sustain-reference": "sustain_tasks.lm_eval.models:ReferenceLM",
    "sustain-replay": "sustain_tasks.lm_eval.models:ReplayLM",
}
"""lm-eval model name → ``module:Class`` of the offline models."""

_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def include_path() -> Path:
    """The folder of the sustain task configurations.

    From a checkout (``pyproject.toml`` beside ``task_configs/``) that folder; from an
    installed wheel the copy shipped inside the package.
    """
    checkout = _PACKAGE_DIR.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "task_configs").is_dir():
        return checkout / "task_configs"
    shipped = _PACKAGE_DIR / "task_configs"
    if shipped.is_dir():
        return shipped
    raise FileNotFoundError(f"no task_configs folder in {checkout} or {_PACKAGE_DIR}; "
                            "reinstall sustainscore")


def task_manager(metadata: dict[str, Any] | None = None, *, include_defaults: bool = False,
                 extra_paths: Sequence[str | Path] = (), **kwargs: Any) -> TaskManager:
    """A TaskManager holding the sustain tasks (and lm-eval's own when ``include_defaults``).

    Args:
        metadata: Passed to every task's dataset builder, e.g. ``{"data_dir": "...",
            "constraints_path": "constraints.jsonl"}``.
        include_defaults: Also index lm-eval's ~14k built-in task files (seconds); off by
            default, so only the sustain tasks are known.
        extra_paths: More task folders to index.
        **kwargs: Further ``TaskManager`` arguments.
    """
    from lm_eval.tasks import TaskManager

    paths: list[str | Path] = [str(include_path()), *(str(p) for p in extra_paths)]
    return TaskManager(include_path=paths, include_defaults=include_defaults,
                       metadata=dict(metadata or {}), **kwargs)


def register_models() -> None:
    """Register ``sustain-reference`` and ``sustain-replay`` with lm-eval (lazily, idempotent)."""
    import lm_eval.models  # noqa: F401 - the built-in models must register first
    from lm_eval.api.registry import model_registry

    for name, target in MODELS.items():
        if name not in model_registry:
            model_registry.register(name, target=target)


def _has_option(argv: Sequence[str], option: str) -> bool:
    return any(a == option or a.startswith(option + "=") for a in argv)


def _option_value(argv: Sequence[str], option: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == option and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(option + "="):
            return arg.split("=", 1)[1]
    return None


def prepare_argv(argv: Sequence[str]) -> list[str]:
    """lm-eval arguments with the sustain include path and a stable offline model name.

    ``--include_path`` is added when absent (lm-eval takes only one folder there), except for
    a bare help request. For ``--model sustain-reference`` / ``sustain-replay`` without a
    ``model=`` argument, ``model=<model name>`` is added to ``--model_args`` so the output
    folder is named after the model rather than randomly. ``sustain score`` still names a
    replay by its recording (``sustain-replay[<outputs>]``, see
    :func:`sustain_tasks.report.readers.lmeval_model_name`), so replays of different
    recordings written into one folder stay different models.
    """
    args = list(argv)
    if not args or args[0] in ("-h", "--help"):
        return args
    if not _has_option(args, "--include_path"):
        args += ["--include_path", str(include_path())]
    model = _option_value(args, "--model")
    if model in MODELS:
        model_args = _option_value(args, "--model_args")
        if model_args is None:
            args += ["--model_args", f"model={model}"]
        elif not model_args.lstrip().startswith("{") and not any(
                part.strip().startswith(("model=", "pretrained="))
                for part in model_args.split(",")):
            i = next(i for i, a in enumerate(args)
                     if a == "--model_args" or a.startswith("--model_args="))
            joined = f"model={model},{model_args}" if model_args.strip() else f"model={model}"
            if args[i] == "--model_args":
                args[i + 1] = joined
            else:
                args[i] = f"--model_args={joined}"
    return args


def cli_main(argv: Sequence[str] | None = None) -> int:
    """Run lm-eval's command line (``lm-eval [run|ls|validate] ...``) with the offline models
    registered and ``--include_path`` pointing at the sustain tasks when not given.

    Returns the exit status.
    """
    global _under_sustain_cli
    from lm_eval.__main__ import cli_evaluate

    register_models()
    args = prepare_argv(sys.argv[1:] if argv is None else argv)
    saved, saved_flag = sys.argv, _under_sustain_cli
    sys.argv = ["lm-eval", *args]
    _under_sustain_cli = True  # errors travel up to sustain's own handler
    try:
        cli_evaluate()
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    finally:
        sys.argv, _under_sustain_cli = saved, saved_flag
    return 0
