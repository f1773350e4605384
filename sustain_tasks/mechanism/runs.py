"""The items of a recorded run that the mechanism analyses teacher-force: prompt, output, spans.

A run is an Inspect log of a ``sustain_<bench>`` task (self or reference mode, and placebo
runs as the control) or an lm-eval samples folder (``sustain_<bench>_constrained``, its plain
variant in reference mode, and the ``sustain_<bench>_placebo`` control when it was run).
The verdicts come from the project's readers (:func:`sustain_tasks.report.readers.read_rows`),
exactly as ``sustain score`` reads them; the texts come from the same files:

- Inspect: the solver's record in the sample store (``second_prompt``, ``second_output``,
  ``constraints``); the model got the prompt as one user message, rendered by its chat
  template (Inspect's ``hf`` provider) unless the run's model arguments say otherwise.
- lm-eval: the doc (``prompt``, ``constraints``), the response (``resps``) and the exact
  string sent to the model (``arguments``: the prompt, or the prompt inside a chat template
  with ``--apply_chat_template``).

Only items of *S* are kept (plain-correct items that got constraints): in self mode every
constrained item is in S; in reference mode the item's plain verdict of the same run decides.
An lm-eval placebo doc is in S on the same terms: with the plain verdict of its run when that
run holds the plain variant, else when its ``constraint_source`` is ``self`` (its constraints
come from a self-mode constraints file, which holds plain-correct items only).
The character spans of the inserted text are rebuilt with the protocol
(:mod:`sustain_tasks.mechanism.spans`) and checked against the recorded prompt.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sustain_tasks.constraints import Constraint, assess, constraint_from_record
from sustain_tasks.errors import SustainInputError
from sustain_tasks.report.readers import (
    _SAMPLES_RE,
    SampleRow,
    _inspect_header,
    _inspect_samples,
    _lmeval_docs,
    discover,
    lmeval_run_info,
    read_rows,
    split_lmeval_task,
)

from .spans import CharSpan, constraint_spans, placebo_span

__all__ = ["ANALYSED_VARIANTS", "Check", "MechanismItem", "Rendering", "read_items"]

ANALYSED_VARIANTS = ("constrained", "placebo")
"""The variants whose inserted text is analysed: the constraints, and the placebo control."""


@dataclass(frozen=True)
class Rendering:
    """How the harness turned the prompt into the model's input.

    Attributes:
        harness: ``inspect`` or ``lm-eval``.
        context: lm-eval: the exact string sent to the model. None for Inspect, whose ``hf``
            provider renders the prompt as one user message with the tokenizer's chat
            template (``user: <prompt>\\n`` when the tokenizer has none).
        use_chat_template: Inspect model argument ``use_chat_template`` (False: no template).
        chat_template: Inspect model argument ``chat_template`` (a template of its own).
        enable_thinking: Inspect model argument ``enable_thinking``.
        add_special_tokens: Whether the tokenizer added its special tokens (BOS) when encoding
            the input; None for the tokenizer's default.
    """

    harness: str
    context: str | None = None
    use_chat_template: bool | None = None
    chat_template: str | None = None
    enable_thinking: bool | None = None
    add_special_tokens: bool | None = None


@dataclass(frozen=True)
class Check:
    """Strict compliance of the output with one inserted constraint."""

    kind: str
    category: str
    ok: bool


@dataclass(frozen=True)
class MechanismItem:
    """One item of S, ready to teacher-force.

    Attributes:
        key: ``run|task|sample id|variant``: unique across the inputs; resumed output is keyed
            by it.
        prompt: The user prompt the protocol built (the constrained or placebo prompt).
        output: The recorded output of that prompt.
        spans: Characters of the inserted text in ``prompt``: each constraint's sentence
            (constrained), or the neutral text (placebo).
        correct: The task verdict of ``output``.
        checks: Per-constraint strict compliance (constrained items; empty for placebo).
    """

    key: str
    run: str
    model: str
    task: str
    sample_id: str
    variant: str
    prompt: str
    output: str
    constraints: tuple[Constraint, ...]
    spans: tuple[CharSpan, ...]
    correct: bool
    rendering: Rendering
    checks: tuple[Check, ...] = ()
    source: str = ""

    @property
    def compliant(self) -> bool | None:
        """Every constraint satisfied (None for placebo items)."""
        return all(c.ok for c in self.checks) if self.checks else None

    def category_compliance(self) -> dict[str, bool]:
        """Per category of the item's constraints: all of them satisfied."""
        out: dict[str, bool] = {}
        for c in self.checks:
            out[c.category] = out.get(c.category, True) and c.ok
        return out


@dataclass
class ReadItems:
    """What reading the runs gave."""

    items: list[MechanismItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# -- verdicts and S --------------------------------------------------------------------------

_Key = tuple[str, str, str, str]


def _in_s(rows: Sequence[SampleRow]) -> tuple[dict[_Key, tuple[bool, str]],
                                              dict[_Key, tuple[bool, str]]]:
    """(run, task, id, variant) → (task verdict, model) for the analysed rows of S, and for
    the rows whose membership the doc decides (no plain verdict in the run, no recorded mode:
    the lm-eval placebo lines, see :func:`_lmeval_items`)."""
    plain: dict[tuple[str, str, str], bool] = {}
    for row in rows:
        if row.variant == "plain":
            plain[(row.run, row.task, row.sample_id)] = row.correct
    out: dict[_Key, tuple[bool, str]] = {}
    undecided: dict[_Key, tuple[bool, str]] = {}
    for row in rows:
        if row.variant not in ANALYSED_VARIANTS:
            continue
        key = (row.run, row.task, row.sample_id, row.variant)
        verdict = plain.get((row.run, row.task, row.sample_id))
        # an lm-eval self-mode run holds no plain variant: its items are in S by construction
        if verdict or (verdict is None and row.mode == "self"):
            out[key] = (row.correct, row.model)
        elif verdict is None and row.mode is None:
            undecided[key] = (row.correct, row.model)
    return out, undecided


# -- Inspect ---------------------------------------------------------------------------------

def _constraints(records: Any, *, path: Path, field_name: str) -> tuple[Constraint, ...]:
    if not isinstance(records, list):
        raise SustainInputError("expected a list of constraint records", path=path,
                                field=field_name)
    try:
        return tuple(constraint_from_record(r, path=path, field=f"{field_name}[{i}]")
                     for i, r in enumerate(records))
    except SustainInputError:
        raise
    except Exception as exc:  # a record the registry cannot read
        raise SustainInputError(f"unreadable constraint record ({exc})", path=path,
                                field=field_name) from None


def _spans(variant: str, prompt: str, constraints: tuple[Constraint, ...], key: str, *,
           path: Path, where: str, line: int | None = None) -> tuple[CharSpan, ...]:
    try:
        if variant == "constrained":
            return tuple(constraint_spans(prompt, constraints, where=where))
        return (placebo_span(prompt, constraints, key, where=where),)
    except SustainInputError as exc:
        raise SustainInputError(exc.message, path=path, line=line, field=exc.field) from None


def _checks(constraints: Sequence[Constraint], output: str) -> tuple[Check, ...]:
    result = assess(constraints, output)
    return tuple(Check(c.kind, c.category, r.strict)
                 for c, r in zip(constraints, result.checks, strict=True))


def _opt_bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _inspect_items(path: Path, wanted: Mapping[tuple[str, str, str, str], tuple[bool, str]]
                   ) -> Iterator[MechanismItem]:
    header = _inspect_header(path)
    model_args = getattr(header.eval, "model_args", None) or {}
    model_args = model_args if isinstance(model_args, Mapping) else {}
    call_args = model_args.get("tokenizer_call_args")
    add_special = call_args.get("add_special_tokens") if isinstance(call_args, Mapping) \
        else None
    template = model_args.get("chat_template")
    rendering = Rendering(
        "inspect", use_chat_template=_opt_bool(model_args.get("use_chat_template")),
        chat_template=template if isinstance(template, str) else None,
        enable_thinking=_opt_bool(model_args.get("enable_thinking")),
        add_special_tokens=_opt_bool(add_special))
    run = str(path)
    for sample in _inspect_samples(path, header, {"events", "messages"}):
        if sample.epoch != 1:
            continue
        sid = str(sample.id)
        record = (sample.store or {}).get("sustain")
        where = f"samples[id={sid}].store.sustain"
        if not isinstance(record, Mapping):
            continue
        variant = record.get("second_variant")
        task = str(record.get("task") or "")
        if variant not in ANALYSED_VARIANTS:
            continue
        hit = wanted.get((run, task, sid, str(variant)))
        if hit is None:
            continue
        if record.get("wrapped"):
            raise SustainInputError("a wrapped task's log: its prompts are the wrapped task's "
                                    "conversations, which the mechanism analyses do not "
                                    "rebuild; use a sustain_<bench> task", path=path,
                                    field=where)
        prompt, output = record.get("second_prompt"), record.get("second_output")
        if not isinstance(prompt, str):
            raise SustainInputError("missing or not a string", path=path,
                                    field=f"{where}.second_prompt")
        if not isinstance(output, str):
            raise SustainInputError("missing or not a string", path=path,
                                    field=f"{where}.second_output")
        constraints = _constraints(record.get("constraints"), path=path,
                                   field_name=f"{where}.constraints")
        item_key = str(record.get("item_id") or sid)
        spans = _spans(str(variant), prompt, constraints, item_key, path=path,
                       where=f"{where}.second_prompt")
        checks = _checks(constraints, output) if variant == "constrained" else ()
        correct, model = hit
        yield MechanismItem(
            key=f"{run}|{task}|{sid}|{variant}", run=run, model=model, task=task,
            sample_id=sid, variant=str(variant), prompt=prompt, output=output,
            constraints=constraints, spans=spans, correct=correct, rendering=rendering,
            checks=checks, source=str(record.get("constraint_source") or ""))


# -- lm-eval ---------------------------------------------------------------------------------

def _context(record: Mapping[str, Any], *, path: Path, line: int) -> str:
    """The string lm-eval sent to the model (``arguments``, as written by any 0.4 version)."""
    args = record.get("arguments")
    first: Any = None
    if isinstance(args, Mapping):
        request = args.get("gen_args_0")
        first = request.get("arg_0") if isinstance(request, Mapping) else None
    elif isinstance(args, list) and args and isinstance(args[0], list | tuple) and args[0]:
        first = args[0][0]
    if not isinstance(first, str):
        raise SustainInputError("expected the request's context string (gen_args_0.arg_0)",
                                path=path, line=line, field="arguments")
    return first


def _response(record: Mapping[str, Any], *, path: Path, line: int) -> str:
    resps = record.get("resps")
    try:
        text = resps[0][0] if isinstance(resps, list) else None
    except (IndexError, TypeError, KeyError):
        text = None
    if not isinstance(text, str):
        raise SustainInputError('expected [["<raw output>", ...]]', path=path, line=line,
                                field="resps")
    return text


def _add_bos(results: Mapping[str, Any] | None) -> bool | None:
    config = results.get("config") if results is not None else None
    args = config.get("model_args") if isinstance(config, Mapping) else None
    value: Any = None
    if isinstance(args, Mapping):
        value = args.get("add_bos_token")
    elif isinstance(args, str):
        pairs = dict(p.strip().split("=", 1) for p in args.split(",") if "=" in p)
        value = pairs.get("add_bos_token")
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _lmeval_items(path: Path, wanted: Mapping[_Key, tuple[bool, str]],
                  undecided: Mapping[_Key, tuple[bool, str]]) -> Iterator[MechanismItem]:
    match = _SAMPLES_RE.match(path.name)
    parsed = split_lmeval_task(match["task"]) if match else None
    if parsed is None or parsed[1] not in ANALYSED_VARIANTS:
        return
    task, variant = parsed
    run = lmeval_run_info(path)
    add_bos = _add_bos(run.results)

    def make(line: int, record: dict[str, Any], sid: str) -> MechanismItem | None:
        doc = record["doc"]
        key = (run.run_id, task, sid, variant)
        hit = wanted.get(key)
        if hit is None and doc.get("constraint_source") == "self":
            # a placebo doc of a self-mode constraints file: a plain-correct item
            hit = undecided.get(key)
        if hit is None:
            return None
        prompt = doc.get("prompt")
        if not isinstance(prompt, str):
            raise SustainInputError("missing or not a string", path=path, line=line,
                                    field="doc.prompt")
        constraints = _constraints(doc.get("constraints"), path=path,
                                   field_name="doc.constraints")
        spans = _spans(variant, prompt, constraints, sid, path=path, where="doc.prompt",
                       line=line)
        output = _response(record, path=path, line=line)
        context = _context(record, path=path, line=line)
        checks = _checks(constraints, output) if variant == "constrained" else ()
        correct, model = hit
        return MechanismItem(
            key=f"{run.run_id}|{task}|{sid}|{variant}", run=run.run_id, model=model,
            task=task, sample_id=sid, variant=variant, prompt=prompt, output=output,
            constraints=constraints, spans=spans, correct=correct,
            rendering=Rendering("lm-eval", context=context, add_special_tokens=add_bos),
            checks=checks, source=str(doc.get("constraint_source") or ""))

    docs = _lmeval_docs(path, None, make)
    for item in docs.values.values():
        if item is not None:
            yield item


# -- everything ------------------------------------------------------------------------------

def read_items(paths: Sequence[str | Path], *, limit: int | None = None) -> ReadItems:
    """The constrained and placebo items of S in the runs under ``paths``, in file order.

    Raises:
        SustainInputError: unreadable input, a prompt the protocol did not build, no item.
    """
    rows = read_rows(paths)
    result = ReadItems(warnings=[w for w in rows.warnings
                                 if "no sustain results found" not in w])
    wanted, undecided = _in_s(rows.rows)
    for kind, path in discover(paths):
        if kind == "inspect":
            found: Iterator[MechanismItem] = _inspect_items(path, wanted)
        elif kind == "lmeval-samples":
            found = _lmeval_items(path, wanted, undecided)
        else:
            continue
        seen = set()
        for item in found:
            result.items.append(item)
            seen.add(item.key)
            if limit is not None and len(result.items) >= limit:
                return result
        if kind == "inspect":
            lost = sum(1 for key in wanted if key[0] == str(path)) - len(seen)
            if lost > 0:
                result.warnings.append(
                    f"{path}: {lost} item(s) of S have no recorded prompt (no 'sustain' "
                    "record in the sample store); left out")
    if not result.items:
        raise SustainInputError(
            "no constrained or placebo item of S (plain-correct items that got constraints) "
            "in " + ", ".join(map(str, paths)) + "; give an Inspect log of a sustain task run "
            "in self, reference or placebo mode, or an lm-eval output folder with "
            "samples_sustain_<bench>_constrained_*.jsonl (or _placebo_)")
    return result


def item_summary(item: MechanismItem) -> dict[str, Any]:
    """The item's identity and labels, as written beside its measurements."""
    return {"key": item.key, "run": item.run, "model": item.model, "task": item.task,
            "id": item.sample_id, "variant": item.variant, "correct": item.correct,
            "compliant": item.compliant,
            "checks": [{"kind": c.kind, "category": c.category, "ok": c.ok}
                       for c in item.checks]}


def dumps(value: Any) -> str:
    """One JSON line."""
    return json.dumps(value, ensure_ascii=False)
