"""SustainScore for any Inspect task: :func:`sustain` wraps a task in the protocol.

The wrapped task keeps the original's dataset, solver chain, sandbox, setup, model roles,
configuration and epochs. Its solver (:func:`sustain_wrap_solver`) runs, for each sample:

1. the original solver chain on the sample as it is (the plain run), then the original scorer
   on that state; its score is mapped to a verdict (:class:`VerdictRule`);
2. depending on the mode, the chain again in a fresh state — a copy of the sample's state
   taken before the plain run, in a subtask with its own store — whose input has the
   constraint text (or a placebo text) appended to its last user message, or the unchanged
   input (retest); the original scorer judges that run too.

Constraints are generic (length, format, lexical; see :mod:`sustain_tasks.wrapping`): in self
mode from the plain output when it was judged correct, in reference mode from the sample's
target when it is a text. The protocol's record (both outputs, both verdicts, the original
scores, the constraints) is kept in the sample store under ``"sustain"``, where the offline
providers find the variant being generated and where ``sustain_scorer()`` (with no benchmark)
reads it, so wrapped logs carry the built-in tasks' ``Score.value`` keys and metrics and
``sustain score`` reads them like any other.

Agent tasks: tool calls of both runs are kept (each run is the original chain, untouched);
only the constraint text is added to the input, and compliance is checked on the run's final
answer (``state.output.completion``). The task's message, token, turn, time, working-time and
cost limits apply to each run separately (limits given to ``inspect eval`` itself, such as
``--token-limit``, apply to the sample as a whole). Not isolated between the
runs: the sandbox (a scorer that inspects files the plain run left behind sees them in the
second run too) and any state the solver keeps outside the sample store.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, cast

from inspect_ai import Task, task_with
from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessage, ChatMessageUser, ContentText
from inspect_ai.scorer import Score, Scorer, Target
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.util import (
    Limit,
    apply_limits,
    cost_limit,
    message_limit,
    subtask,
    time_limit,
    token_limit,
    turn_limit,
    working_limit,
)

from sustain_tasks.benchmarks import BENCHMARKS
from sustain_tasks.constraints import MAX_K, Constraint
from sustain_tasks.errors import SustainInputError
from sustain_tasks.protocol import MODES, Mode, constrained_prompt, placebo_prompt
from sustain_tasks.wrapping import (
    GENERIC_CATEGORIES,
    check_threshold,
    generic_constraints,
    generic_kinds,
    is_plain_data,
    leak_answers,
    reference_text,
    value_verdict,
    wrapped_base,
    wrapped_name,
)

from .context import META_TASK, STORE_KEY
from .errors import located_errors
from .metrics import n_no_constraint
from .scorer import sustain_scorer
from .solver import SECOND_VARIANT
from .task import _int_arg, mode_metrics

__all__ = [
    "Correct",
    "RunLimits",
    "VerdictRule",
    "resolve_task",
    "sustain",
    "sustain_wrap_solver",
]

logger = logging.getLogger(__name__)

Correct = Callable[[Score], bool] | str | None
"""How a score becomes a verdict: a function of the :class:`Score`, the key of a dict-valued
score to read, or None for the default rule (see :func:`sustain_tasks.wrapping.value_verdict`)."""

_SCORER_NAME = "sustain_scorer"


# -- verdicts ------------------------------------------------------------------------------

@dataclass(frozen=True)
class VerdictRule:
    """Maps the original scorer's :class:`Score` to correct/incorrect."""

    scorer: str
    """The original scorer's name (for messages)."""
    correct: Correct = None
    threshold: float = 1.0

    def __call__(self, score: Score) -> bool:
        value: Any = score.value
        if callable(self.correct):
            result = self.correct(score)
            verdict = value_verdict(result, self.threshold)
            if verdict is None:
                raise SustainInputError(
                    f"correct({score.value!r}) returned {result!r}; it must return a boolean "
                    "(or a number compared with the threshold)", field="correct")
            return verdict
        if isinstance(self.correct, str):
            if not isinstance(value, Mapping) or self.correct not in value:
                keys = sorted(value) if isinstance(value, Mapping) else None
                raise SustainInputError(
                    f"the scorer {self.scorer} gave {value!r}, which has no key "
                    f"{self.correct!r}" + (f" (its keys: {', '.join(map(str, keys))})"
                                           if keys else ""), field="correct")
            value = value[self.correct]
        verdict = value_verdict(value, self.threshold)
        if verdict is None:
            hint = ("name the key to read with correct=KEY (-T correct=KEY)"
                    if isinstance(value, Mapping) else
                    "pass correct=, a function of the Score that returns a boolean")
            raise SustainInputError(
                f"the scorer {self.scorer} gave {value!r}, which cannot be read as correct or "
                f"incorrect (Inspect's C/I, a boolean or a number); {hint}", field="correct")
        return verdict


def _score_record(score: Score | None) -> dict[str, Any] | None:
    if score is None:
        return None
    value = score.value
    return {"value": value if is_plain_data(value) else repr(value), "answer": score.answer,
            "explanation": score.explanation}



# -- limits --------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunLimits:
    """The original task's per-sample limits, applied to each run of the protocol."""

    message: int | None = None
    token: int | None = None
    token_type: str | None = None
    turn: int | None = None
    time: float | None = None
    working: float | None = None
    cost: float | None = None

    @classmethod
    def of(cls, task: Task) -> RunLimits:
        return cls(message=task.message_limit, token=task.token_limit,
                   token_type=getattr(task, "token_limit_type", None),
                   turn=getattr(task, "turn_limit", None), time=task.time_limit,
                   working=task.working_limit, cost=getattr(task, "cost_limit", None))

    def fresh(self) -> list[Limit]:
        """New limit objects (each run counts from zero)."""
        limits: list[Limit] = []
        if self.message is not None:
            limits.append(message_limit(self.message))
        if self.token is not None:
            limits.append(token_limit(self.token, self.token_type or "all"))
        if self.turn is not None:
            limits.append(turn_limit(self.turn))
        if self.time is not None:
            limits.append(time_limit(self.time))
        if self.working is not None:
            limits.append(working_limit(self.working))
        if self.cost is not None:
            limits.append(cost_limit(self.cost))
        return limits

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in vars(self).items() if value is not None}


async def _run(chain: Solver, state: TaskState, generate: Generate,
               limits: RunLimits) -> tuple[TaskState, str | None]:
    """Run ``chain`` within fresh limits; a limit reached ends the run as Inspect ends a
    sample (the state so far is scored). Returns the state and the limit message, if any."""
    result = state
    with apply_limits(limits.fresh(), catch_errors=True) as scope:
        result = await chain(state, generate)
    if scope.limit_error is not None:
        state.completed = True
        return state, scope.limit_error.message
    return result, None


# -- prompts -------------------------------------------------------------------------------

def _append_to_messages(messages: Sequence[ChatMessage], suffix: str) -> list[ChatMessage]:
    """A copy of ``messages`` with ``suffix`` appended to the last user message (a new user
    message when there is none)."""
    out = list(messages)
    for i in range(len(out) - 1, -1, -1):
        message = out[i]
        if isinstance(message, ChatMessageUser):
            content = message.content
            if isinstance(content, str):
                new_content: str | list[Any] = content + suffix
            else:
                parts = list(content)
                for j in range(len(parts) - 1, -1, -1):
                    if isinstance(parts[j], ContentText):
                        text = cast(ContentText, parts[j])
                        parts[j] = text.model_copy(update={"text": text.text + suffix})
                        break
                else:
                    parts.append(ContentText(text=suffix.lstrip("\n")))
                new_content = parts
            out[i] = message.model_copy(update={"content": new_content})
            return out
    out.append(ChatMessageUser(content=suffix.lstrip("\n")))
    return out


def _append_to_input(state: TaskState, suffix: str) -> None:
    """Append ``suffix`` to the state's input and to the last user message of its messages
    (solvers read one or the other)."""
    state.messages = _append_to_messages(state.messages, suffix)
    original = getattr(state, "_input", None)
    if isinstance(original, str):
        state._input = original + suffix
    elif isinstance(original, list):
        state._input = _append_to_messages(original, suffix)


def _last_user_text(messages: Sequence[ChatMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, ChatMessageUser):
            return message.text
    return ""


def _suffix(variant: str, text: str, constraints: Sequence[Constraint], key: str) -> str:
    """What the second run appends to the last user message ``text``."""
    if variant == "constrained":
        return constrained_prompt(text, constraints)[len(text):]
    if variant == "placebo":
        return placebo_prompt(text, constraints, key=key)[len(text):]
    return ""


# -- the solver ----------------------------------------------------------------------------

def _target_texts(target: Target) -> list[str]:
    return [t for t in target.target if isinstance(t, str)]


@solver(name="sustain_wrap")
def sustain_wrap_solver(
    chain: Solver,
    scorer: Scorer,
    rule: VerdictRule,
    task: str,
    mode: Mode = "self",
    k: int = 1,
    kinds: list[str] | None = None,
    seed: int = 0,
    limits: RunLimits | None = None,
) -> Solver:
    """Run the protocol of ``mode`` around ``chain`` (the wrapped task's own solver).

    Args:
        chain: The original solver chain, run once per variant.
        scorer: The original scorer, run on each run's final state.
        rule: Maps its scores to verdicts.
        task: The wrapped task's short name (seeds the constraint choices).
        mode: ``self``, ``reference``, ``plain``, ``placebo`` or ``retest``.
        k: Constraints per item (1..3).
        kinds: Generic kind ids; None selects every length, format and lexical kind.
        seed: Extraction seed.
        limits: The original task's per-sample limits, applied to each run.
    """
    second_variant = SECOND_VARIANT[mode]
    run_limits = limits or RunLimits()

    async def judge(state: TaskState) -> tuple[bool, Score | None]:
        with located_errors():
            score = await scorer(state, state.target)
            if score is None:
                raise SustainInputError(f"the scorer {rule.scorer} returned no score",
                                        field="scorer")
            return rule(score), score

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        # the fresh state of the second run
        initial = copy.deepcopy(state) if second_variant is not None else None
        item_id = str(state.sample_id)
        metadata = state.metadata or {}
        bench = metadata.get(META_TASK)
        targets = _target_texts(state.target)
        record: dict[str, Any] = {
            "task": bench if isinstance(bench, str) and bench in BENCHMARKS else None,
            "wrapped": task, "item_id": item_id, "mode": mode, "data_dir": None, "k": k,
            "kinds": kinds, "seed": seed, "variant": "plain", "scorer": rule.scorer,
            "plain_prompt": _last_user_text(state.messages), "plain_output": None,
            "plain_correct": None, "plain_score": None, "plain_limit": None,
            "constraint_source": None, "constraints": [], "second_variant": None,
            "second_prompt": None, "second_output": None, "second_correct": None,
            "second_score": None, "second_limit": None, "second_stop_reason": None,
            "targets": targets,
        }
        state.store.set(STORE_KEY, dict(record))
        state, limit = await _run(chain, state, generate, run_limits)
        plain_correct, plain_score = await judge(state)
        plain_output = state.output.completion
        record.update(plain_output=plain_output, plain_correct=plain_correct,
                      plain_score=_score_record(plain_score), plain_limit=limit)
        state.store.set(STORE_KEY, dict(record))
        if second_variant is None:
            return state

        constraints: list[Constraint] = []
        answer = plain_score.answer if plain_score is not None else None
        if mode == "reference":
            source = reference_text(targets)
            if source is not None:
                constraints = generic_constraints(
                    source, task=task, item_id=item_id,
                    answers=targets, k=k, kinds=kinds, seed=seed)  # static: no plain answer
                record["constraint_source"] = "reference"
        elif plain_correct:
            constraints = generic_constraints(
                plain_output, task=task, item_id=item_id,
                answers=leak_answers(targets, answer, plain_output), k=k, kinds=kinds,
                seed=seed)
            record["constraint_source"] = "self"
        record["constraints"] = [c.to_record() for c in constraints]
        if not constraints:
            state.store.set(STORE_KEY, dict(record))
            return state

        suffix = _suffix(second_variant, record["plain_prompt"], constraints, item_id)
        record.update(variant=second_variant, second_variant=second_variant,
                      second_prompt=record["plain_prompt"] + suffix)
        state.store.set(STORE_KEY, dict(record))
        assert initial is not None
        fresh = initial
        _append_to_input(fresh, suffix)
        fresh.store.set(STORE_KEY, dict(record))

        @subtask(name=f"sustain_{second_variant}", store=fresh.store, type="fork",
                 input={"variant": second_variant})
        async def second_run() -> tuple[TaskState, str | None]:
            return await _run(chain, fresh, generate, run_limits)

        second, second_limit = await second_run()
        second_correct, second_score = await judge(second)
        record.update(second_output=second.output.completion, second_correct=second_correct,
                      second_score=_score_record(second_score), second_limit=second_limit,
                      second_stop_reason=second.output.stop_reason)
        state.store.set(STORE_KEY, dict(record))
        # the log shows the second conversation; the plain one is in the store and transcript
        state.messages = second.messages
        state.output = second.output
        return state

    return solve


# -- resolving a task spec -----------------------------------------------------------------

def _spec_file(spec: str) -> Path | None:
    """The task file a ``file.py[@name]`` spec names, looked up from the folder the command
    was started in (``$PWD``) and then the current one (``inspect eval`` changes into the
    folder of the task file it runs)."""
    path_part = spec.partition("@")[0]
    if not path_part.endswith(".py") and "@" not in spec:
        return None
    candidates = [Path(path_part).expanduser()]
    if not candidates[0].is_absolute():
        start = os.environ.get("PWD")
        if start:
            candidates.insert(0, Path(start) / path_part)
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    return None


def _load_entry_point(package: str) -> None:
    """Import the ``inspect_ai`` entry point of ``package`` (Inspect imports them once per
    process, before a package installed meanwhile could be seen)."""
    for entry in entry_points(group="inspect_ai"):
        if entry.name == package:
            entry.load()


def _load(spec: str, task_args: Mapping[str, Any]) -> list[Task]:
    try:
        from inspect_ai._eval.loader import create_file_tasks, load_file_tasks, load_tasks
        from inspect_ai._util.registry import registry_lookup
    except ImportError as exc:  # pragma: no cover - private API moved
        raise SustainInputError(f"this Inspect version cannot load task specs ({exc}); pass "
                                "a Task object", field="task") from None
    file = _spec_file(spec)
    if file is not None:
        # as load_tasks() does for file.py@name (it cannot take an absolute file.py alone)
        name = spec.partition("@")[2]
        load_file_tasks(file)
        return create_file_tasks(file, [name] if name else None, dict(task_args))
    if "/" in spec and registry_lookup("task", spec) is None:
        _load_entry_point(spec.partition("/")[0])
    if registry_lookup("task", spec) is None:
        where = f" (looked in {os.environ.get('PWD') or Path.cwd()})" if spec.endswith(
            ".py") or "@" in spec else ""
        raise SustainInputError(
            f"{spec!r} is neither a task file{where} nor a registered task (file.py, "
            "file.py@name, or package/name of an installed package)", field="task")
    return load_tasks([spec], dict(task_args))


def resolve_task(task: Any, task_args: Mapping[str, Any] | None = None) -> Task:
    """The :class:`Task` that ``task`` stands for: a Task, a ``@task`` function, or a spec
    as ``inspect eval`` takes it (``file.py``, ``file.py@name``, ``package/name``)."""
    args = dict(task_args or {})
    if isinstance(task, Task):
        if args:
            raise SustainInputError("task_args apply to a task given by name or function, "
                                    "not to a Task object", field="task_args")
        return task
    if isinstance(task, str):
        spec = task.strip()
        if not spec:
            raise SustainInputError("must name a task", field="task")
        try:
            tasks = _load(spec, args)
        except SustainInputError:
            raise
        except Exception as exc:  # Inspect's own loading errors, in one sentence
            raise SustainInputError(f"{spec!r} did not load: {type(exc).__name__}: {exc}",
                                    field="task") from None
        if not tasks:
            raise SustainInputError(f"{spec!r} defines no task", field="task")
        if len(tasks) > 1:
            names = ", ".join(t.name for t in tasks)
            raise SustainInputError(f"{spec!r} defines several tasks ({names}); name one as "
                                    f"{spec.partition('@')[0]}@NAME", field="task")
        return tasks[0]
    if callable(task):
        made = task(**args)
        if not isinstance(made, Task):
            raise SustainInputError(f"{getattr(task, '__name__', task)!r} returned "
                                    f"{type(made).__name__}, not a Task", field="task")
        return made
    raise SustainInputError(f"expected a Task, a task function or a task spec, got "
                            f"{type(task).__name__}", field="task")


# -- the wrapper -----------------------------------------------------------------------------

def _scorer_name(scorer: Scorer) -> str:
    try:
        from inspect_ai._util.registry import registry_unqualified_name

        return registry_unqualified_name(scorer)
    except Exception:  # not a registry object
        return getattr(scorer, "__name__", "scorer")


def _pick_scorer(task: Task, choice: str | int | None) -> Scorer:
    scorers = list(task.scorer or [])
    if not scorers:
        raise SustainInputError(f"task {task.name} has no scorer, so nothing decides whether "
                                "an answer is correct", field="task")
    names = [_scorer_name(s) for s in scorers]
    if _SCORER_NAME in names:
        raise SustainInputError(f"task {task.name} is already a SustainScore task; run it "
                                "directly", field="task")
    if choice is None or choice == "":
        return scorers[0]
    if isinstance(choice, int) or (isinstance(choice, str) and choice.strip().isdigit()):
        index = int(choice)
        if 0 <= index < len(scorers):
            return scorers[index]
    elif isinstance(choice, str) and choice.strip() in names:
        return scorers[names.index(choice.strip())]
    raise SustainInputError(f"no scorer {choice!r} in task {task.name}; its scorers: "
                            f"{', '.join(names)}", field="scorer")


def _check_reference(task: Task) -> None:
    """Reference mode needs reference texts: refuse a task none of whose samples has one."""
    try:
        samples: Sequence[Sample] = list(task.dataset)
    except TypeError:  # a dataset that cannot be listed up front: judged per sample
        return
    for sample in samples:
        targets = [sample.target] if isinstance(sample.target, str) else list(sample.target)
        if sample.choices is None and reference_text(targets) is not None:
            return
    raise SustainInputError(
        f"reference mode extracts constraints from each sample's target, and no target of "
        f"task {task.name} is a text (at least two words, not a choice); use self mode",
        field="mode")


def sustain(
    task: Any,
    mode: str = "self",
    k: int = 1,
    kinds: str | Sequence[str] | None = None,
    seed: int = 0,
    correct: Correct = None,
    *,
    threshold: float | str = 1.0,
    scorer: str | int | None = None,
    task_args: Mapping[str, Any] | None = None,
) -> Task:
    """The SustainScore version of any Inspect task.

    Args:
        task: A :class:`Task`, a ``@task`` function, or what ``inspect eval`` accepts as a
            task spec (``file.py``, ``file.py@name``, ``package/name``).
        mode: ``self`` (constraints from the model's own correct answer), ``reference``
            (from each sample's target, when it is a text), ``plain``, ``placebo`` or
            ``retest``.
        k: Constraints per item, 1 to 3.
        kinds: Length, format and lexical kind ids and/or categories (a list or a
            comma-separated string); None uses all three categories.
        seed: Seed of every choice made while extracting constraints.
        correct: How the task's score becomes a verdict: None reads Inspect's ``C``/``I``
            (``P`` = 0.5, ``N`` = 0), booleans and numbers (correct at or above
            ``threshold``); a string reads that key of a dict-valued score the same way; a
            function of the :class:`Score` decides itself.
        threshold: The lowest number that counts as correct (graded scorers).
        scorer: Which of the task's scorers decides (name or index); the first by default.
        task_args: Arguments for the task when it is given by spec or function.

    Returns:
        A task named ``sustain_<name>`` whose scores and metrics are those of the built-in
        SustainScore tasks.

    Raises:
        SustainInputError: one sentence naming what cannot be done (an unknown spec, a task
            without scorer, a non-generic constraint kind, reference mode without reference
            texts, ...); an unreadable score fails the run with such a sentence.
    """
    with located_errors(setup=True):
        if not isinstance(mode, str) or mode.strip().lower() not in MODES:
            raise SustainInputError(f"must be one of {', '.join(MODES)}; got {mode!r}",
                                    field="mode")
        checked_mode = cast(Mode, mode.strip().lower())
        checked_k = _int_arg("k", k, 1, MAX_K)
        checked_seed = _int_arg("seed", seed)
        checked_kinds = generic_kinds(kinds) if kinds not in (None, "", []) else None
        checked_threshold = check_threshold(threshold)
        if correct is not None and not callable(correct) and not (
                isinstance(correct, str) and correct.strip()):
            raise SustainInputError("must be a function of the Score or the key of a dict "
                                    f"score, got {correct!r}", field="correct")
        if isinstance(correct, str):
            correct = correct.strip()
        inner = resolve_task(task, task_args)
        chosen = _pick_scorer(inner, scorer)
        if checked_mode == "reference":
            _check_reference(inner)
    base = wrapped_base(inner.name)
    rule = VerdictRule(scorer=_scorer_name(chosen), correct=correct,
                       threshold=checked_threshold)
    limits = RunLimits.of(inner)
    wrapped = copy.copy(inner)
    meta = dict(inner.metadata or {})
    meta["sustain"] = {
        "wrapped_task": inner.name, "mode": checked_mode, "k": checked_k,
        "kinds": checked_kinds, "seed": checked_seed, "scorer": rule.scorer,
        "threshold": checked_threshold,
        "correct": correct if isinstance(correct, str) or correct is None else "function",
        "categories": list(GENERIC_CATEGORIES), "limits_per_run": limits.to_dict(),
    }
    metrics = mode_metrics(checked_mode)
    if checked_mode != "plain":  # plain mode extracts nothing: no item lacks a constraint
        metrics.append(n_no_constraint())
    # task_with() does not attach task metrics to the scorer as Task() does
    scorers = Task(scorer=sustain_scorer(), metrics=metrics).scorer
    return task_with(
        wrapped,
        solver=sustain_wrap_solver(inner.solver, chosen, rule, base, mode=checked_mode,
                                   k=checked_k, kinds=checked_kinds, seed=checked_seed,
                                   limits=limits),
        scorer=scorers,
        metrics=metrics,
        name=wrapped_name(inner.name),
        metadata=meta,
        epochs=inner.epochs,
        message_limit=None, token_limit=None, turn_limit=None, time_limit=None,
        working_limit=None, cost_limit=None, early_stopping=None, headline_metric=None,
    )

