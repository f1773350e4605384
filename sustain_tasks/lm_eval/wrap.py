"""SustainScore for any lm-eval generation task: ``sustain lm-eval-wrap TASK... --out DIR``.

For each ``generate_until`` task it finds through lm-eval's own ``TaskManager`` (a group or a
tag stands for its tasks), the command writes into ``DIR`` (for ``--include_path DIR``):

- ``sustain_<task>_plain.yaml`` and ``sustain_<task>_constrained.yaml``: the original YAML
  *included* unchanged (dataset, prompt template, few-shot setup, generation arguments,
  filters, metrics), with ``class: !function sustain_tasks.lm_eval.wrap.WrappedTask`` and the
  protocol's settings under ``metadata.sustain_wrap``;
- ``_sustain_<task>.yaml``: the group ``sustain_<task>`` of the two (and for a group or tag
  ``G``, the group ``sustain_<G>`` of its members' groups).

:class:`WrappedTask` is lm-eval's ``ConfigurableTask`` with four additions:

- every document has an ``id``, as ``sustain score`` pairs variants by it: its own ``id``
  field when the documents have unique string or integer ids, else its position in the
  evaluation split (an ``id`` field of other values is refused); few-shot examples drawn from
  the evaluated split still leave out the document being evaluated;
- the constrained variant holds the documents that have constraints, with ``constraints``
  and ``constraint_source`` fields, and its prompt is the original with the constraint block
  appended to the document's text (before a final answer cue line such as ``Answer:``; the
  few-shot examples are untouched);
- ``process_results`` returns the original metrics, ``acc`` (the verdict: the task's
  primary metric at or above a threshold, 1.0 by default) and for the constrained variant
  ``compliance`` and ``compliance_loose``, checked on the raw output (kept before the filters
  run);
- where the constraints come from: with ``--metadata '{"constraints_path": FILE}'`` (self
  mode), that file, written from a plain run by ``sustain lm-eval-wrap extract``; without
  (reference mode), the document's target when it is a text (at least two words), else the
  task runs in self mode only. The generated YAML's comment says which.

Constraints are generic (length, format, lexical) and extracted by the same function as the
Inspect wrapper's (:mod:`sustain_tasks.wrapping`), so the same outputs give the same
constraints and the same SustainScore in both harnesses.

Tasks that do not generate (``loglikelihood``, ``loglikelihood_rolling``,
``multiple_choice``) and tasks defined by a Python class are refused with one sentence.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sustain_tasks.constraints import MAX_K, Constraint, assess, constraint_from_record
from sustain_tasks.errors import SustainInputError
from sustain_tasks.protocol import constrained_prompt
from sustain_tasks.wrapping import (
    check_threshold,
    generic_constraints,
    generic_kinds,
    is_plain_data,
    leak_answers,
    reference_text,
    value_verdict,
    wrapped_base,
)

__all__ = [
    "SETTINGS_KEY",
    "WrapResult",
    "WrappedTask",
    "extract_wrapped",
    "insert_constraints",
    "main",
    "parse_args",
    "wrap_tasks",
]

logger = logging.getLogger(__name__)

SETTINGS_KEY = "sustain_wrap"
"""The key of the protocol's settings in a generated task's ``metadata``."""

CLASS_PATH = "sustain_tasks.lm_eval.wrap.WrappedTask"
VARIANT_TASKS = ("plain", "constrained")
GENERATING = "generate_until"
PREFERRED_FILTER = "flexible-extract"
"""The filter line ``sustain score`` reads when a document has several (else the first)."""

_CUE_RE = re.compile(r"^[^\n]{0,40}:[ \t]*$")
_DATE = r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?"
_PLAIN_SAMPLES_RE = re.compile(rf"^samples_sustain_(?P<base>.+)_plain_(?P<date>{_DATE})\.jsonl$")
_REFUSED = {
    "loglikelihood": "it scores the likelihood of a given continuation",
    "loglikelihood_rolling": "it scores the likelihood of a given text",
    "multiple_choice": "it scores the likelihood of fixed answer options",
}


# -- prompts ---------------------------------------------------------------------------------

def insert_constraints(text: str, constraints: Sequence[Constraint]) -> str:
    """``text`` with the constraint block appended, before a last line that is an answer cue
    (a short line ending in ``:``, such as ``Answer:``), which must stay last."""
    if not constraints:
        return text
    body = text.rstrip()
    trailing = text[len(body):]
    head, sep, last = body.rpartition("\n")
    if sep and head.strip() and _CUE_RE.match(last) and len(last.split()) <= 4:
        return f"{constrained_prompt(head.rstrip(), constraints)}\n{last}{trailing}"
    return constrained_prompt(body, constraints) + trailing


# -- settings --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    """What a generated task's ``metadata.sustain_wrap`` says, and ``constraints_path`` from
    ``--metadata``."""

    original: str
    base: str
    variant: str
    metric: str
    threshold: float
    reference: bool | None
    k: int = 1
    kinds: list[str] | None = None
    seed: int = 0
    constraints_path: str | None = None

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any] | None) -> Settings:
        metadata = metadata or {}
        raw = metadata.get(SETTINGS_KEY)
        if not isinstance(raw, Mapping):
            raise SustainInputError("a wrapped task's metadata must hold the settings "
                                    "written by 'sustain lm-eval-wrap'", field=SETTINGS_KEY)
        variant = raw.get("variant")
        if variant not in VARIANT_TASKS:
            raise SustainInputError(f"must be plain or constrained, got {variant!r}",
                                    field=f"{SETTINGS_KEY}.variant")
        # k, kinds and seed come from the generated settings only: lm-eval merges the model
        # arguments into the metadata, where a model's own "seed" would change them silently
        k = _int(raw.get("k", 1), "k")
        if not 1 <= k <= MAX_K:
            raise SustainInputError(f"must be from 1 to {MAX_K}, got {k}", field="k")
        kinds = raw.get("kinds")
        path = metadata.get("constraints_path")
        reference = raw.get("reference")
        return cls(
            original=str(raw.get("task")), base=str(raw.get("base")), variant=str(variant),
            metric=str(raw.get("metric")), threshold=check_threshold(raw.get("threshold", 1.0)),
            reference=reference if isinstance(reference, bool) else None, k=k,
            kinds=generic_kinds(kinds) if kinds not in (None, "", []) else None,
            seed=_int(raw.get("seed", 0), "seed"),
            constraints_path=str(path) if path not in (None, "") else None)


def _int(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise SustainInputError(f"must be an integer, got {value!r}", field=name)


def _text_target(target: Any) -> str | None:
    return reference_text(target if isinstance(target, list) else [target])


# -- the task class --------------------------------------------------------------------------

try:
    from lm_eval.api.task import ConfigurableTask as _Base
except ImportError:  # pragma: no cover - lm-eval is a dependency
    _Base = object


class WrappedTask(_Base):  # type: ignore[misc]
    """An lm-eval task under the SustainScore protocol (see the module docstring)."""

    def __init__(self, config: dict[str, Any] | None = None, **kwargs: Any) -> None:
        from sustain_tasks.lm_eval import exit_on_input_error

        config = dict(config or {})
        config.pop("class", None)
        self._sustain = exit_on_input_error(Settings.from_metadata)(config.get("metadata"))
        self._sustain_docs: Any = None
        self._sustain_raw: dict[str, str] = {}
        self._sustain_added: tuple[str, ...] = ()
        super().__init__(config=config, **kwargs)
        sampler = getattr(self, "sampler", None)
        if sampler is not None:  # few-shot examples drawn from the evaluated split
            sampler.sample = self._without_eval_doc(sampler.sample)

    def _without_eval_doc(self, sample: Any) -> Any:
        """``sampler.sample`` comparing the evaluated document without the fields the wrapper
        added, so that it still recognises (and leaves out) the document being evaluated."""

        def wrapped(n: int, eval_doc: Any = None, *args: Any, **kwargs: Any) -> Any:
            if isinstance(eval_doc, Mapping):
                eval_doc = {k: v for k, v in eval_doc.items() if k not in self._sustain_added}
            return sample(n, eval_doc, *args, **kwargs)

        return wrapped

    # documents ---------------------------------------------------------------------------
    @property
    def eval_docs(self) -> Any:
        if self._sustain_docs is None:
            from sustain_tasks.lm_eval import exit_on_input_error

            self._sustain_docs = exit_on_input_error(self._build_docs)(super().eval_docs)
        return self._sustain_docs

    def _build_docs(self, base: Any) -> Any:
        import datasets

        settings = self._sustain
        rows = [dict(doc) for doc in base]
        features = getattr(base, "features", None)
        if features is None:
            features = datasets.Dataset.from_list(rows).features if rows else datasets.Features()
        features = datasets.Features(dict(features))
        clash = [key for key in ("constraints", "constraint_source") if key in features]
        if clash:
            raise SustainInputError(f"the documents of {settings.original} already have a "
                                    f"field {clash[0]!r}, which the wrapper needs",
                                    field="dataset")
        ids = [row.get("id") for row in rows]
        added: list[str] = []
        if not (all(isinstance(i, str | int) and not isinstance(i, bool) and str(i).strip()
                    for i in ids) and len({str(i) for i in ids}) == len(ids)):
            if "id" in features:
                raise SustainInputError(f"the documents of {settings.original} have an 'id' "
                                        "field whose values are not unique strings or "
                                        "integers, and the wrapper needs one", field="dataset")
            for index, row in enumerate(rows):
                row["id"] = str(index)
            features["id"] = datasets.Value("string")
            added.append("id")
        if settings.variant == "constrained":
            rows = self._constrained_rows(rows, features)
            features["constraints"] = datasets.Json()
            features["constraint_source"] = datasets.Value("string")
            added += ["constraints", "constraint_source"]
        self._sustain_added = tuple(added)
        return datasets.Dataset.from_list(rows, features=features)

    def _constrained_rows(self, rows: list[dict[str, Any]], features: Any
                          ) -> list[dict[str, Any]]:
        from sustain_tasks.records import normalise_task, read_constraints_file

        settings = self._sustain
        if settings.constraints_path is not None:
            path = settings.constraints_path
            wanted = normalise_task(settings.base)
            sets = {sid: s for sid, s in read_constraints_file(path).items()
                    if normalise_task(s.task) == wanted}
            known = {str(row["id"]) for row in rows}
            for sid, cset in sets.items():
                if sid not in known:
                    raise SustainInputError(
                        f"document {sid!r} is not in {settings.original} ({len(rows)} "
                        "documents)", path=path, line=cset.line, field="id")
            out = [{**row,
                    "constraints": [c.to_record() for c in sets[str(row["id"])].constraints],
                    "constraint_source": sets[str(row["id"])].source}
                   for row in rows if str(row["id"]) in sets]
            if not out:
                raise SustainInputError(f"no constraints for task {settings.base!r} in this "
                                        "file", path=path, field="task")
            return out
        if settings.reference is False:
            raise SustainInputError(self._self_only())
        # doc_to_target reads self.features, which lm-eval sets only after the documents
        self.features = list(features)
        out = []
        for row in rows:
            target = self.doc_to_target(row)
            source = _text_target(target)
            if source is None:
                continue
            found = generic_constraints(source, task=settings.base, item_id=str(row["id"]),
                                        answers=[target], k=settings.k, kinds=settings.kinds,
                                        seed=settings.seed)
            if found:
                out.append({**row, "constraints": [c.to_record() for c in found],
                            "constraint_source": "reference"})
        if not out:
            raise SustainInputError(self._self_only())
        return out

    def _self_only(self) -> str:
        settings = self._sustain
        return (f"the targets of {settings.original} are not reference texts (or yield no "
                "constraint), so its constrained variant runs in self mode only: run "
                f"sustain_{settings.base}_plain, then 'sustain lm-eval-wrap extract --from "
                "OUTPUT_DIR --out FILE.jsonl', then this task with --metadata "
                "'{\"constraints_path\": \"FILE.jsonl\"}'")

    # prompts -----------------------------------------------------------------------------
    def doc_to_text(self, doc: Any, doc_to_text: Any = None) -> Any:
        text = super().doc_to_text(doc, doc_to_text)
        records = doc.get("constraints") if isinstance(doc, Mapping) else None
        if doc_to_text is None and isinstance(text, str) and records:
            constraints = [constraint_from_record(r, field=f"doc.constraints[{i}]")
                           for i, r in enumerate(records)]
            return insert_constraints(text, constraints)
        return text

    # outputs -----------------------------------------------------------------------------
    def apply_filters(self) -> Any:
        self._sustain_raw = {}
        for instance in getattr(self, "_instances", None) or []:
            doc = instance.doc
            resps = instance.resps
            if isinstance(doc, Mapping) and "id" in doc and resps:
                raw = resps[0]
                self._sustain_raw.setdefault(str(doc["id"]), raw if isinstance(raw, str)
                                             else str(raw))
        return super().apply_filters()

    def process_results(self, doc: Any, results: Any) -> dict[str, Any]:
        from sustain_tasks.lm_eval import exit_on_input_error

        return exit_on_input_error(self._process)(doc, results)

    def _process(self, doc: Any, results: Any) -> dict[str, Any]:
        settings = self._sustain
        metrics = dict(super().process_results(doc, results))
        if settings.metric not in metrics:
            raise SustainInputError(
                f"{settings.original} returned no metric {settings.metric!r} (it returned "
                f"{', '.join(sorted(metrics)) or 'none'}); regenerate with --metric NAME",
                field="metric")
        value = metrics[settings.metric]
        verdict = value_verdict(value, settings.threshold)
        if verdict is None:
            raise SustainInputError(
                f"the metric {settings.metric} of {settings.original} gave {value!r} for a "
                "document, which cannot be read as correct or incorrect (a boolean or a "
                "number); regenerate with --metric naming a per-document score",
                field="metric")
        metrics["acc"] = 1.0 if verdict else 0.0
        if settings.variant == "constrained":
            raw = self._sustain_raw.get(str(doc.get("id")))
            if raw is None:
                raw = _first_text(results)
            records = doc.get("constraints") or []
            constraints = [constraint_from_record(r, field=f"doc.constraints[{i}]")
                           for i, r in enumerate(records)]
            compliance = assess(constraints, raw)
            metrics["compliance"] = 1.0 if compliance.strict else 0.0
            metrics["compliance_loose"] = 1.0 if compliance.loose else 0.0
        return metrics

    def aggregation(self) -> dict[str, Any]:
        from lm_eval.api.metrics import mean

        added = {"acc": mean}
        if self._sustain.variant == "constrained":
            added |= {"compliance": mean, "compliance_loose": mean}
        return {**super().aggregation(), **added}

    def higher_is_better(self) -> dict[str, Any]:
        added = dict.fromkeys(("acc", "compliance", "compliance_loose"), True)
        return {**super().higher_is_better(), **added}


def _first_text(results: Any) -> str:
    while isinstance(results, list | tuple) and results:
        results = results[0]
    return results if isinstance(results, str) else ""


# -- generating the configurations -----------------------------------------------------------

@dataclass
class WrapResult:
    """What ``sustain lm-eval-wrap`` wrote for one task or group."""

    name: str
    group: str
    files: list[Path] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Leaf:
    name: str
    yaml_path: Path
    overrides: dict[str, Any]


def _metric_names(cfg: Mapping[str, Any]) -> list[str]:
    metric_list = cfg.get("metric_list")
    if not metric_list:
        return ["exact_match"]  # lm-eval's default for generate_until
    names = []
    for entry in metric_list:
        metric = entry.get("metric") if isinstance(entry, Mapping) else None
        names.append(metric if isinstance(metric, str) else getattr(metric, "__name__",
                                                                     str(metric)))
    return names


def _filter_names(cfg: Mapping[str, Any]) -> list[str]:
    filters = cfg.get("filter_list")
    if not filters:
        return ["none"]
    return [str(f.get("name")) for f in filters if isinstance(f, Mapping)]



def _leaves(manager: Any, name: str, overrides: Mapping[str, Any], seen: set[str]
            ) -> list[_Leaf]:
    """The tasks ``name`` stands for (a task; a group's or tag's members, recursively)."""
    from lm_eval.config.group import GroupConfig
    from lm_eval.tasks._index import Kind
    from lm_eval.tasks._yaml_loader import load_yaml

    if name in seen:
        raise SustainInputError(f"group {name!r} includes itself", field="tasks")
    entry = manager.task_index.get(name)
    if entry is None:
        raise SustainInputError(f"lm-eval knows no task, group or tag {name!r} (give its "
                                "folder with --include_path)", field="tasks")
    if entry.kind == Kind.PY_TASK:
        raise SustainInputError(f"{name} is defined by a Python class, not a YAML "
                                "configuration, so it cannot be wrapped", field="tasks")
    if entry.kind == Kind.TAG:
        leaves: list[_Leaf] = []
        for member in sorted(entry.tags):
            leaves += _leaves(manager, member, overrides, seen | {name})
        return leaves
    if entry.kind == Kind.GROUP:
        cfg = load_yaml(entry.yaml_path, resolve_func=True)
        group_fields = set(GroupConfig.__dataclass_fields__)
        inherited = {k: v for k, v in cfg.items() if k not in group_fields}
        merged = {**inherited, **overrides}
        leaves = []
        members = cfg.get("task") or []
        for member in members if isinstance(members, list) else [members]:
            if isinstance(member, str):
                leaves += _leaves(manager, member, merged, seen | {name})
            elif isinstance(member, Mapping) and isinstance(member.get("task"), str):
                extra = {k: v for k, v in member.items() if k != "task"}
                leaves += _leaves(manager, member["task"], {**merged, **extra},
                                  seen | {name})
            else:
                raise SustainInputError(f"group {name} defines a member inline ({member!r}); "
                                        "only members that are tasks of their own can be "
                                        "wrapped", field="tasks")
        return leaves
    assert entry.yaml_path is not None
    bad = [k for k, v in overrides.items() if not is_plain_data(v)]
    if bad:
        raise SustainInputError(f"the group around {name} overrides {bad[0]!r} with a "
                                "function, which a generated configuration cannot repeat",
                                field="tasks")
    return [_Leaf(name, Path(entry.yaml_path).resolve(), dict(overrides))]


def _yaml_text(comment: Sequence[str], include: Path | None, body: Mapping[str, Any]) -> str:
    import yaml

    lines = [f"# {line}" if line else "#" for line in comment]
    if include is not None:
        lines.append(f"include: {json.dumps(str(include))}")
        lines.append(f"class: !function {CLASS_PATH}")
    lines.append(yaml.safe_dump(dict(body), sort_keys=False, allow_unicode=True,
                                width=100).rstrip())
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> Path:
    from sustain_tasks.outfiles import write_atomic

    write_atomic(path, text)
    return path


def _leaf_configs(leaf: _Leaf, *, metric: str | None, threshold: float, k: int,
                  kinds: list[str] | None, seed: int) -> tuple[str, dict[str, dict[str, Any]],
                                                               list[str]]:
    """The base name, the body of each variant's YAML and the comment lines."""
    from lm_eval.tasks._yaml_loader import load_yaml

    cfg = {**load_yaml(leaf.yaml_path, resolve_func=True), **leaf.overrides}
    output_type = cfg.get("output_type", GENERATING)
    if output_type != GENERATING:
        why = _REFUSED.get(str(output_type), f"its output type is {output_type}")
        raise SustainInputError(
            f"{leaf.name} is a {output_type} task, and SustainScore needs a generate_until "
            f"task: {why} instead of letting the model write an answer that a constraint "
            "could shape", field="tasks")
    names = _metric_names(cfg)
    primary = metric or names[0]
    if primary not in names:
        raise SustainInputError(f"{leaf.name} has no metric {primary!r} (its metrics: "
                                f"{', '.join(names)})", field="metric")
    if "acc" in names and primary != "acc":
        raise SustainInputError(f"{leaf.name} has a metric 'acc' beside {primary!r}; the "
                                "verdict is reported as acc, so choose --metric acc",
                                field="metric")
    base = wrapped_base(leaf.name)
    metadata = cfg.get("metadata")
    metadata = dict(metadata) if isinstance(metadata, Mapping) else {}
    metadata.pop("config_source", None)
    if not is_plain_data(metadata):
        raise SustainInputError(f"the metadata of {leaf.name} holds values a generated "
                                "configuration cannot repeat", field="tasks")
    filters = _filter_names(cfg)
    read = PREFERRED_FILTER if PREFERRED_FILTER in filters else filters[0]
    bodies = {}
    for variant in VARIANT_TASKS:
        body: dict[str, Any] = {"task": f"sustain_{base}_{variant}", "tag": []}
        if cfg.get("task_alias") is not None:
            body["task_alias"] = f"sustain_{base}_{variant}"
        body.update({key: value for key, value in leaf.overrides.items()
                     if key not in ("task", "tag", "group", "metadata", "class")})
        settings = {"task": leaf.name, "base": base, "variant": variant, "metric": primary,
                    "threshold": threshold, "reference": None, "k": k, "kinds": kinds,
                    "seed": seed}
        body["metadata"] = {**metadata, SETTINGS_KEY: settings}
        bodies[variant] = body
    comment = [
        f"SustainScore wrapper of the lm-eval task {leaf.name} ({leaf.yaml_path}),",
        "generated by 'sustain lm-eval-wrap': regenerate rather than edit.",
        "The original configuration (dataset, prompt template, generation arguments, "
        "filters, metrics)",
        "is included unchanged. Verdict: acc = 1 when the metric "
        f"{primary} >= {threshold:g};",
        f"'sustain score' reads the {read!r} filter line.",
    ]
    return base, bodies, comment


def _reference_note(available: bool | None, detail: str = "") -> list[str]:
    self_mode = ("Self mode: --metadata '{\"constraints_path\": FILE}', FILE written from "
                 "a plain run by 'sustain lm-eval-wrap extract'.")
    if available is True:
        return [self_mode, "Reference mode (no constraints_path): the target is a text, so "
                "constraints are extracted from it."]
    if available is False:
        return [self_mode, "Reference mode: not available, the targets are not texts "
                "(at least two words); self mode only."]
    return [self_mode, "Reference mode (no constraints_path): from the target when it is a "
            "text; not checked here" + (f" ({detail})" if detail else "") + "."]


def _check_generated(out_dir: Path, plain_tasks: Sequence[str], include_path: Sequence[str]
                     ) -> dict[str, tuple[bool | None, str]]:
    """Index the generated folder as lm-eval will (a YAML it cannot parse is silently
    skipped), then try to load each plain task's documents to see whether its targets are
    texts. Returns ``{plain task: (reference available, why unknown)}``."""
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=[str(out_dir), *include_path], include_defaults=False)
    missing = [name for name in plain_tasks if name not in manager.task_index]
    if missing:
        raise SustainInputError(f"lm-eval cannot read the generated configuration of "
                                f"{missing[0]} (in {out_dir})", field="out")
    found: dict[str, tuple[bool | None, str]] = {}
    for name in plain_tasks:
        try:
            task = manager.load([name])["tasks"][name]
            docs = list(task.eval_docs)[:20]
            targets = [task.doc_to_target(doc) for doc in docs]
        except Exception as exc:  # data not reachable now: decided when the task runs
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            found[name] = (None, f"the data did not load here: {type(exc).__name__}"
                           + (f": {first[:120]}" if first else ""))
            continue
        texts = [t for t in targets if _text_target(t) is not None]
        found[name] = (bool(targets) and len(texts) == len(targets), "")
    return found


def wrap_tasks(names: Sequence[str], out_dir: str | Path, *,
               include_path: Sequence[str | Path] = (), include_defaults: bool = True,
               metric: str | None = None, threshold: float = 1.0, k: int = 1,
               kinds: str | Sequence[str] | None = None, seed: int = 0,
               check: bool = True) -> list[WrapResult]:
    """Write the wrapped configurations of ``names`` into ``out_dir`` (see the module
    docstring); returns what was written per name.

    Args:
        names: lm-eval task, group or tag names.
        out_dir: Folder to write into (created when missing).
        include_path: Folders of task configurations besides lm-eval's own.
        include_defaults: Also search lm-eval's own tasks.
        metric: The metric that decides correctness (default: the task's first).
        threshold: Its lowest value that counts as correct.
        k, kinds, seed: Reference-mode extraction settings (written into the YAML; to change
            them, generate again).
        check: Index the result with lm-eval and load the plain tasks' documents, to say in
            the constrained YAML whether reference mode is available.
    """
    from lm_eval.tasks import TaskManager

    if not names:
        raise SustainInputError("name at least one lm-eval task", field="tasks")
    checked_threshold = check_threshold(threshold)
    checked_kinds = generic_kinds(kinds) if kinds not in (None, "", []) else None
    if not 1 <= k <= MAX_K:
        raise SustainInputError(f"must be from 1 to {MAX_K}, got {k}", field="k")
    paths = [str(Path(p).expanduser().resolve()) for p in include_path]
    for folder_path in paths:
        if not Path(folder_path).is_dir():
            raise SustainInputError("folder not found", path=folder_path, field="include_path")
    manager = TaskManager(include_path=paths or None, include_defaults=include_defaults)
    folder = Path(out_dir).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    planned: list[tuple[str, list[tuple[_Leaf, str, dict[str, dict[str, Any]], list[str]]]]] = []
    for name in names:
        leaves = _leaves(manager, name, {}, set())
        if not leaves:
            raise SustainInputError(f"{name} holds no task", field="tasks")
        planned.append((name, [(leaf, *_leaf_configs(leaf, metric=metric,
                                                      threshold=checked_threshold, k=k,
                                                      kinds=checked_kinds, seed=seed))
                               for leaf in leaves]))
    results: list[WrapResult] = []
    constrained_files: dict[str, tuple[Path, _Leaf, dict[str, Any], list[str]]] = {}
    for name, leaves_planned in planned:
        result = WrapResult(name=name, group=f"sustain_{wrapped_base(name)}")
        member_groups = []
        for leaf, base, bodies, comment in leaves_planned:
            for variant, body in bodies.items():
                lines = [*comment, f"This is the {variant} variant."]
                path = folder / f"sustain_{base}_{variant}.yaml"
                if variant == "constrained":
                    constrained_files[body["task"]] = (path, leaf, body, lines)
                    lines = [*lines, *_reference_note(None, "not checked yet")]
                result.files.append(_write(path, _yaml_text(lines, leaf.yaml_path, body)))
                result.tasks.append(body["task"])
            group = {"group": f"sustain_{base}",
                     "task": [f"sustain_{base}_{v}" for v in VARIANT_TASKS],
                     "metadata": {"version": 1.0}}
            result.files.append(_write(folder / f"_sustain_{base}.yaml", _yaml_text(
                [f"SustainScore wrapper of {leaf.name}: the plain and the constrained variant "
                 "('sustain score' pairs them per document)."], None, group)))
            member_groups.append(f"sustain_{base}")
        if member_groups != [result.group]:
            group = {"group": result.group, "task": member_groups, "metadata": {"version": 1.0}}
            result.files.append(_write(folder / f"_sustain_{wrapped_base(name)}.yaml",
                                       _yaml_text([f"SustainScore wrapper of {name}: one "
                                                   "group per member task."], None, group)))
        results.append(result)
    checked: dict[str, tuple[bool | None, str]] = {}
    if check:
        plain = [t[: -len("_constrained")] + "_plain" for t in constrained_files]
        checked = _check_generated(folder, plain, paths)
    for task_name, (path, leaf, body, lines) in constrained_files.items():
        plain_name = task_name[: -len("_constrained")] + "_plain"
        available, detail = checked.get(plain_name, (None, "not checked"))
        body = {**body, "metadata": {**body["metadata"], SETTINGS_KEY: {
            **body["metadata"][SETTINGS_KEY], "reference": available}}}
        _write(path, _yaml_text([*lines, *_reference_note(available, detail)], leaf.yaml_path,
                                body))
        for result in results:
            if task_name in result.tasks:
                result.notes.append(f"{task_name}: reference mode "
                                    + {True: "available (the targets are texts)",
                                       False: "not available (self mode only)",
                                       None: f"not checked ({detail})"}[available])
    return results


# -- self mode: constraints from a plain run ---------------------------------------------------

def _plain_samples(path: Path, base: str | None) -> tuple[Path, list[str]]:
    """The plain samples file of a wrapped task under ``path`` (the latest when several)."""
    warnings: list[str] = []
    if path.is_file():
        match = _PLAIN_SAMPLES_RE.match(path.name)
        if match is None:
            raise SustainInputError("not the samples file of a wrapped task's plain variant "
                                    "(samples_sustain_<task>_plain_<date>.jsonl)", path=path)
        if base is not None and match["base"] != base:
            raise SustainInputError(f"samples of sustain_{match['base']}_plain, not "
                                    f"sustain_{base}_plain", path=path)
        return path, warnings
    if not path.is_dir():
        raise SustainInputError("no such file or folder", path=path)
    found = [(m["base"], m["date"], p) for p in sorted(path.rglob("samples_sustain_*_plain_*"))
             if (m := _PLAIN_SAMPLES_RE.match(p.name))]
    if base is not None:
        found = [f for f in found if f[0] == base]
    bases = sorted({f[0] for f in found})
    if not found:
        what = f"sustain_{base}_plain" if base else "a wrapped task's plain variant"
        raise SustainInputError(f"no samples file of {what} here (run it with --log_samples)",
                                path=path)
    if len(bases) > 1:
        raise SustainInputError(f"samples of several tasks here ({', '.join(bases)}); choose "
                                "one with --task", path=path)
    found.sort(key=lambda f: (f[1], str(f[2])))
    if len(found) > 1:
        warnings.append(f"{len(found)} plain runs of sustain_{bases[0]} under {path}; using "
                        f"the latest, {found[-1][2]}")
    return found[-1][2], warnings


def extract_wrapped(source: str | Path, out: str | Path, *, task: str | None = None,
                    k: int = 1, kinds: str | Sequence[str] | None = None, seed: int = 0
                    ) -> tuple[int, int, int, list[str]]:
    """Self-mode constraints from a plain run of a wrapped task: for each document judged
    correct (``acc`` 1 on the filter ``sustain score`` reads), generic constraints its raw
    output satisfies. Writes a constraints file for ``--metadata constraints_path``.

    Returns (documents read, correct, with constraints, warnings).
    """
    from sustain_tasks.records import ConstraintSet, iter_jsonl, sample_id, write_constraints_file

    checked_kinds = generic_kinds(kinds) if kinds not in (None, "", []) else None
    if not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise SustainInputError(f"must be from 1 to {MAX_K}, got {k!r}", field="k")
    base = task.removeprefix("sustain_").removesuffix("_plain") if task else None
    path, warnings = _plain_samples(Path(source).expanduser(), base)
    match = _PLAIN_SAMPLES_RE.match(path.name)
    assert match is not None
    base = match["base"]
    per_doc: dict[str, dict[str, tuple[int, dict[str, Any]]]] = {}
    for line, record in iter_jsonl(path):
        doc = record.get("doc")
        if not isinstance(doc, Mapping) or "id" not in doc:
            raise SustainInputError("missing: wrapped documents carry an id", path=path,
                                    line=line, field="doc.id")
        sid = sample_id(doc["id"], path=path, line=line, field="doc.id")
        per_doc.setdefault(sid, {})[str(record.get("filter", ""))] = (line, record)
    sets = []
    n_correct = 0
    for sid, lines in per_doc.items():
        line, record = lines.get(PREFERRED_FILTER) or next(iter(lines.values()))
        verdict = value_verdict(record.get("acc"))
        if verdict is None:
            raise SustainInputError("missing or not 0/1: the verdict of a wrapped task",
                                    path=path, line=line, field="acc")
        if not verdict:
            continue
        n_correct += 1
        resps = record.get("resps")
        try:
            raw = resps[0][0] if isinstance(resps, list) else None
        except (IndexError, TypeError, KeyError):
            raw = None
        if not isinstance(raw, str):
            raise SustainInputError("expected [[\"<raw output>\", ...]]", path=path, line=line,
                                    field="resps")
        filtered = record.get("filtered_resps")
        target = record.get("target")
        found = generic_constraints(raw, task=base, item_id=sid,
                                    answers=leak_answers(_targets(target), filtered, raw), k=k,
                                    kinds=checked_kinds, seed=seed)
        if found:
            sets.append(ConstraintSet(sid, base, "self", tuple(found)))
    write_constraints_file(out, sets)
    return len(per_doc), n_correct, len(sets), warnings


def _targets(target: Any) -> list[Any]:
    return list(target) if isinstance(target, list) else [target]


# -- command line ----------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sustain lm-eval-wrap",
        description="Write SustainScore versions of lm-eval generate_until tasks: for each "
                    "TASK (a task, group or tag lm-eval knows), sustain_<task>_plain and "
                    "sustain_<task>_constrained (group sustain_<task>) into --out, for "
                    "lm_eval --include_path. 'sustain lm-eval-wrap extract --help' writes "
                    "the self-mode constraints from a plain run.")
    parser.add_argument("tasks", nargs="+", metavar="TASK")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="folder to write the YAML files into")
    parser.add_argument("--include_path", "--include-path", dest="include_path",
                        action="append", default=[], metavar="DIR",
                        help="a folder of task configurations besides lm-eval's own "
                             "(repeatable)")
    parser.add_argument("--no-defaults", action="store_true",
                        help="do not search lm-eval's own tasks (faster)")
    parser.add_argument("--metric", default=None,
                        help="the metric that decides correctness (default: the task's first)")
    parser.add_argument("--threshold", default="1.0",
                        help="its lowest value that counts as correct (default 1.0)")
    _extraction_options(parser)
    parser.add_argument("--no-check", action="store_true",
                        help="do not load the data to say whether reference mode is available")
    return parser


def _extraction_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--k", type=int, default=1, choices=(1, 2, 3),
                        help="constraints per item (default 1)")
    parser.add_argument("--kinds", nargs="+", default=None, metavar="SPEC",
                        help="length, format and lexical ids and/or categories (default: all "
                             "three categories)")
    parser.add_argument("--seed", type=int, default=0, help="extraction seed (default 0)")


def _extract_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sustain lm-eval-wrap extract",
        description="Self mode for a wrapped lm-eval task: read the plain run's samples file "
                    "(samples_sustain_<task>_plain_*.jsonl, written with --log_samples), "
                    "extract generic constraints from each output judged correct and write "
                    "the constraints file to give the constrained task as --metadata "
                    "'{\"constraints_path\": FILE}'.")
    parser.add_argument("--from", dest="source", required=True, metavar="PATH",
                        help="the lm-eval output folder or the plain samples file")
    parser.add_argument("--out", required=True, metavar="FILE.jsonl")
    parser.add_argument("--task", default=None,
                        help="the wrapped task, when the folder holds several")
    _extraction_options(parser)
    return parser


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The arguments of ``sustain lm-eval-wrap ...`` (``extract ...`` too), parsed; exits
    with argparse's message on a bad one."""
    args_list = list(argv)
    if args_list and args_list[0] == "extract":
        return _extract_parser().parse_args(args_list[1:])
    return _parser().parse_args(args_list)


def _kinds_arg(kinds: Sequence[str] | None) -> str | None:
    return ",".join(kinds) if kinds else None


def main(argv: Sequence[str]) -> int:
    """``sustain lm-eval-wrap ...``; returns the exit status (input errors are raised as
    :class:`SustainInputError`, which ``sustain`` prints as one line)."""
    import sys

    args_list = list(argv)
    try:
        args = parse_args(args_list)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    if args_list and args_list[0] == "extract":
        read, correct, written, warnings = extract_wrapped(
            args.source, args.out, task=args.task, k=args.k, kinds=_kinds_arg(args.kinds),
            seed=args.seed)
        for warning in warnings:
            print(f"sustain: warning: {warning}", file=sys.stderr)
        print(f"sustain lm-eval-wrap extract: {read} documents read, {correct} correct, "
              f"{written} with constraints -> {args.out}", file=sys.stderr)
        if correct and not written:
            print("sustain: warning: no correct output offered a suitable constraint; the "
                  "constraints file is empty", file=sys.stderr)
        return 0
    results = wrap_tasks(args.tasks, args.out, include_path=args.include_path,
                         include_defaults=not args.no_defaults, metric=args.metric,
                         threshold=check_threshold(args.threshold), k=args.k,
                         kinds=_kinds_arg(args.kinds), seed=args.seed, check=not args.no_check)
    for result in results:
        print(f"{result.name}: group {result.group} ({', '.join(result.tasks)}) -> {args.out}")
        for note in result.notes:
            print(f"  {note}")
    print(f"run: lm_eval --include_path {args.out} --tasks "
          f"{','.join(r.group for r in results)} --log_samples --output_path OUT ...; then "
          "sustain score OUT")
    return 0

