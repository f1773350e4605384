"""``sustain_scorer``: task verdicts and constraint compliance for every generation of a sample.

``Score.value`` is a dict (see :mod:`sustain_tasks._inspect.metrics` for the keys);
``Score.answer`` is the answer extracted from the plain output; ``Score.metadata`` keeps the
constraints, the outputs, the verifier's account of each verdict (``plain_detail``,
``second_detail``; with a grader, ``plain_grader`` / ``second_grader`` hold the rule's verdict
beside the grader's), the per-constraint checks, and what the failure labels need about the
constrained output (``constrained_answer_found``, ``constrained_in_format``,
``constrained_stop_reason``: :mod:`sustain_tasks.failures`), so a log can be re-analysed
without re-running anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import anyio
from inspect_ai.scorer import Score, Scorer, Target, scorer
from inspect_ai.solver import TaskState

from sustain_tasks.benchmarks import Benchmark, Item, Verdict, get_benchmark
from sustain_tasks.constraints import Constraint, assess, constraint_from_record
from sustain_tasks.errors import SustainError, SustainInputError
from sustain_tasks.failures import AnswerFacts, answer_facts

from .context import STORE_KEY
from .dataset import item_index
from .errors import located_errors
from .metrics import (
    compliance,
    compliance_loose,
    constrained_accuracy,
    n_sustain,
    plain_accuracy,
    sustain_score,
)
from .solver import sample_item_id
from .verdicts import verify, verify_async

__all__ = ["SCORE_KEYS", "score_record", "score_wrapped_record", "sustain_scorer"]

SCORE_KEYS: tuple[str, ...] = (
    "plain", "constrained", "compliant", "compliant_loose", "placebo", "retest", "in_s",
    "n_constraints", "plain_f1", "constrained_f1",
)
"""The keys of every ``Score.value`` this scorer returns."""


def _flag(ok: bool) -> float:
    return 1.0 if ok else 0.0


def _judge(bench: Benchmark, output: str, target: str, item: Item | None,
           known: Mapping[str, Verdict] | None) -> Verdict:
    if known is not None and output in known:
        return known[output]
    return verify(bench, output, target, item)


def score_record(bench: Benchmark, record: dict[str, Any], target: str,
                 item: Item | None, verdicts: Mapping[str, Verdict] | None = None) -> Score:
    """The score of one sample from the solver's record (see ``context.STORE_KEY``);
    ``verdicts`` maps outputs already judged (e.g. in an Inspect sandbox) to their verdicts."""
    mode = str(record.get("mode") or "plain")
    plain_output = str(record.get("plain_output") or "")
    plain = _judge(bench, plain_output, target, item, verdicts)
    constraints: list[Constraint] = [
        constraint_from_record(c, field=f"store.{STORE_KEY}.constraints")
        for c in record.get("constraints") or []
    ]
    second_variant = record.get("second_variant")
    second_output = record.get("second_output")
    second: Verdict | None = None
    if second_variant is not None and second_output is not None:
        second = _judge(bench, str(second_output), target, item, verdicts)

    value: dict[str, float | int | None] = dict.fromkeys(SCORE_KEYS)
    value["plain"] = _flag(plain.correct)
    value["in_s"] = _flag(plain.correct and bool(constraints))
    value["n_constraints"] = len(constraints)
    value["plain_f1"] = plain.score
    per_constraint: list[dict[str, Any]] = []
    if second is not None and second_variant == "constrained":
        compliance = assess(constraints, str(second_output))
        per_constraint = [c.to_dict() for c in compliance.checks]
        value["constrained"] = _flag(second.correct)
        value["compliant"] = _flag(compliance.strict)
        value["compliant_loose"] = _flag(compliance.loose)
        value["constrained_f1"] = second.score
    elif second is not None and second_variant in ("placebo", "retest"):
        value[str(second_variant)] = _flag(second.correct)

    constrained_run = second_variant == "constrained" and second is not None
    facts = answer_facts(bench, str(second_output), second, item) \
        if constrained_run and second is not None else None
    metadata: dict[str, Any] = {
        "mode": mode,
        "constraint_source": record.get("constraint_source"),
        "constraints": [c.to_record() for c in constraints],
        "kinds": [c.kind for c in constraints],
        "categories": [c.category for c in constraints],
        "target": target,
        "plain_output": plain_output,
        "plain_extracted": plain.extracted,
        "plain_detail": plain.detail,
        "constrained_output": str(second_output) if constrained_run else None,
        "constrained_extracted": second.extracted if constrained_run and second else None,
        **_failure_facts(record, facts, constrained_run),
        "second_variant": second_variant,
        "second_output": second_output,
        "second_extracted": second.extracted if second is not None else None,
        "second_detail": second.detail if second is not None else None,
        "per_constraint": per_constraint,
    }
    # a grader decided a verdict the rules left open: both verdicts are kept
    if plain.grader is not None:
        metadata["plain_grader"] = dict(plain.grader)
    if second is not None and second.grader is not None:
        metadata["second_grader"] = dict(second.grader)
    return Score(value=value, answer=plain.extracted, explanation=_explain(value),
                 metadata=metadata)


def _failure_facts(record: Mapping[str, Any], facts: AnswerFacts | None,
                   constrained_run: bool) -> dict[str, Any]:
    """What the failure labels need about the constrained output (see
    :mod:`sustain_tasks.failures`); None where unknown or not a constrained run."""
    stop = record.get("second_stop_reason")
    return {
        "constrained_answer_found": facts.answer_found if facts is not None else None,
        "constrained_in_format": facts.in_format if facts is not None else None,
        "constrained_stop_reason": stop if constrained_run and isinstance(stop, str) else None,
    }


def _verdict_flag(record: Mapping[str, Any], key: str) -> float | None:
    verdict = record.get(key)
    if verdict is None:
        return None
    if not isinstance(verdict, bool):
        raise SustainInputError(f"expected true or false, got {verdict!r}",
                                field=f"store.{STORE_KEY}.{key}")
    return _flag(verdict)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def score_wrapped_record(record: Mapping[str, Any]) -> Score:
    """The score of one sample of a wrapped task (:mod:`sustain_tasks._inspect.wrap`), from
    the record its solver kept: the verdicts were decided there by the task's own scorer, so
    this only checks compliance and lays the value out as :func:`score_record` does."""
    if "plain_correct" not in record:
        raise SustainInputError("this sample was not run by the SustainScore wrapper (no "
                                "verdicts in its store); wrap the task with "
                                "sustain_tasks.sustain()", field=f"store.{STORE_KEY}")
    mode = str(record.get("mode") or "plain")
    plain_output = str(record.get("plain_output") or "")
    plain = _verdict_flag(record, "plain_correct")
    constraints: list[Constraint] = [
        constraint_from_record(c, field=f"store.{STORE_KEY}.constraints")
        for c in record.get("constraints") or []
    ]
    second_variant = record.get("second_variant")
    second_output = record.get("second_output")
    second = _verdict_flag(record, "second_correct") if second_output is not None else None

    value: dict[str, float | int | None] = dict.fromkeys(SCORE_KEYS)
    value["plain"] = plain
    value["in_s"] = _flag(plain == 1.0 and bool(constraints))
    value["n_constraints"] = len(constraints)
    per_constraint: list[dict[str, Any]] = []
    if second is not None and second_variant == "constrained":
        compliance = assess(constraints, str(second_output))
        per_constraint = [c.to_dict() for c in compliance.checks]
        value["constrained"] = second
        value["compliant"] = _flag(compliance.strict)
        value["compliant_loose"] = _flag(compliance.loose)
    elif second is not None and second_variant in ("placebo", "retest"):
        value[str(second_variant)] = second

    constrained_run = second_variant == "constrained" and second is not None
    plain_score = _mapping(record.get("plain_score"))
    second_score = _mapping(record.get("second_score"))
    metadata: dict[str, Any] = {
        "mode": mode,
        "wrapped_task": record.get("wrapped"),
        "scorer": record.get("scorer"),
        "constraint_source": record.get("constraint_source"),
        "constraints": [c.to_record() for c in constraints],
        "kinds": [c.kind for c in constraints],
        "categories": [c.category for c in constraints],
        "target": record.get("targets"),
        "plain_output": plain_output,
        "plain_extracted": plain_score.get("answer"),
        "plain_score": dict(plain_score) or None,
        "plain_limit": record.get("plain_limit"),
        "constrained_output": str(second_output) if constrained_run else None,
        "constrained_extracted": second_score.get("answer") if constrained_run else None,
        # a wrapped task's scorer need not report the answer it read: unknown, not absent
        **_failure_facts(record, None, constrained_run),
        "second_variant": second_variant,
        "second_output": second_output,
        "second_extracted": second_score.get("answer") if second is not None else None,
        "second_score": dict(second_score) or None,
        "second_limit": record.get("second_limit"),
        "per_constraint": per_constraint,
    }
    answer = plain_score.get("answer")
    return Score(value=value, answer=answer if isinstance(answer, str) else None,
                 explanation=_explain(value), metadata=metadata)


def _explain(value: dict[str, float | int | None]) -> str:
    def word(flag: float | int | None, yes: str, no: str) -> str:
        return yes if flag == 1.0 else no

    parts = [word(value["plain"], "plain correct", "plain wrong"),
             f"{value['n_constraints']} constraint(s)"]
    if value["constrained"] is not None:
        parts.append(word(value["constrained"], "constrained correct", "constrained wrong"))
        parts.append(word(value["compliant"], "compliant", "not compliant"))
    for key in ("placebo", "retest"):
        if value[key] is not None:
            parts.append(word(value[key], f"{key} correct", f"{key} wrong"))
    return "; ".join(parts)


@scorer(metrics=[plain_accuracy(), constrained_accuracy(), sustain_score(), compliance(),
                 compliance_loose(), n_sustain()])
def sustain_scorer(benchmark: str | None = None, data_dir: str | None = None,
                   sandbox: str | None = None, grader: bool = False) -> Scorer:
    """Score the generations the SustainScore solver recorded for each sample.

    Args:
        benchmark: Benchmark name (``gsm8k``, ...); None for a wrapped task
            (:func:`sustain_tasks.sustain`), whose solver recorded the verdicts of the task's
            own scorer (see :func:`score_wrapped_record`).
        data_dir: Local data folder (else ``$SUSTAIN_DATA_DIR``, else the hub); used to find
            the item when its verifier needs more than the target.
        sandbox: Run code benchmarks' tests in this Inspect sandbox (None: the package's own
            isolated runner).
        grader: Let the model bound to the ``grader`` role decide the verdicts the rules leave
            open (see :mod:`.grader`).
    """
    if benchmark is None:
        async def score_wrapped(state: TaskState, target: Target) -> Score:
            del target
            record = state.store.get(STORE_KEY)
            with located_errors():
                if not isinstance(record, Mapping):
                    raise SustainInputError("this sample was not run by the SustainScore "
                                            "wrapper (nothing in its store)",
                                            field=f"store.{STORE_KEY}")
                return score_wrapped_record(record)

        return score_wrapped

    bench = get_benchmark(benchmark)

    async def score(state: TaskState, target: Target) -> Score:
        record = state.store.get(STORE_KEY)
        if not isinstance(record, dict):  # another solver ran: score its output as plain
            record = {"mode": "plain", "plain_output": state.output.completion}
        try:
            item: Item | None = item_index(bench, data_dir).get(sample_item_id(state))
        except SustainError:  # verifiers that need more than the target say so
            item = None
        verdicts: dict[str, Verdict] = {}
        with located_errors():
            if sandbox is not None or grader:
                for key in ("plain_output", "second_output"):
                    output = record.get(key)
                    if output is not None and str(output) not in verdicts:
                        verdicts[str(output)] = await verify_async(
                            bench, str(output), target.text, item, sandbox, grader)
            # verifiers may take a while (sympy, test runs): keep the event loop free
            return await anyio.to_thread.run_sync(score_record, bench, record, target.text,
                                                  item, verdicts)

    return score
