"""The functions the lm-eval task configurations call, generic over benchmarks.

The YAML files under ``task_configs/`` hold configuration only; their ``utils.py`` re-exports
these functions. Which benchmark and which variant a task builds is named in the YAML's
``dataset_kwargs`` (``sustain_task``, ``sustain_variant``); everything else reaches
:func:`custom_dataset` from ``--metadata`` (or ``TaskManager(metadata=...)``).

Document schema (one per item; every value is JSON-ready and is written verbatim to the
``doc`` field of lm-eval's samples files):

- ``id``: the sample id (str), as in the design contract's data table.
- ``task``: the benchmark name (``gsm8k``).
- ``variant``: ``plain`` or ``constrained``.
- ``question``: the problem text.
- ``target``: the gold final answer (str).
- ``prompt``: the full prompt sent to the model (the plain prompt, plus the constraint block
  for the constrained variant).
- ``constraints``: the constraint records (``{"kind", "params", "text"}``) inserted into the
  prompt, in prompt order; ``[]`` for the plain variant.
- ``constraint_source``: ``"reference"`` or ``"self"`` for the constrained variant, ``None``
  for the plain one.
- ``metadata``: the item's own metadata (whatever its verifier needs), ``{}`` for GSM8K.

Which items the constrained variant holds:

- reference mode (no ``constraints_path``): every item for which the reference solution
  yields at least one constraint (``k``, ``kinds``, ``seed``); items that yield none are left
  out, since SustainScore only counts plain-correct items that received a constraint. These
  documents are cached on disk (:mod:`sustain_tasks.lm_eval.reference_cache`).
- self mode (``constraints_path``): exactly the items of that file whose ``task`` is this
  benchmark, each with its own constraints, in dataset order.

Filters and verdicts: the ``strict-match`` filter judges with ``Benchmark.verify_strict``
(only the answer format the prompt asks for), ``flexible-extract`` with ``Benchmark.verify``
(the verdict the Inspect scorer gives). Each filter replaces a response with the extracted
answer (what lm-eval shows in ``filtered_resps``) as a :class:`FilteredAnswer`, a ``str`` that
also carries the raw output and the verdict, so :func:`process_results` can check constraint
compliance on the raw text without extracting twice.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Self

from sustain_tasks.benchmarks import Benchmark, Item, Verdict, get_benchmark
from sustain_tasks.benchmarks.data import data_hint
from sustain_tasks.constraints import Constraint, assess, constraint_from_record
from sustain_tasks.errors import MissingDependencyError, SustainInputError
from sustain_tasks.lm_eval import exit_on_input_error
from sustain_tasks.lm_eval.reference_cache import cached_docs
from sustain_tasks.protocol import constrained_prompt
from sustain_tasks.records import read_constraints_file

if TYPE_CHECKING:
    import datasets

__all__ = [
    "FILTERS",
    "INVALID",
    "METADATA_KEYS",
    "TASK_VARIANTS",
    "FilteredAnswer",
    "build_docs",
    "custom_dataset",
    "doc_item",
    "flexible_extract",
    "process_results",
    "strict_match",
]

logger = logging.getLogger(__name__)

TaskVariant = Literal["plain", "constrained"]
TASK_VARIANTS: tuple[TaskVariant, ...] = ("plain", "constrained")
"""The variants the lm-eval tasks run (placebo and retest run under Inspect)."""

FilterName = Literal["strict-match", "flexible-extract"]
FILTERS: tuple[FilterName, ...] = ("strict-match", "flexible-extract")

INVALID = "[invalid]"
"""What ``filtered_resps`` shows when no answer could be extracted (lm-eval's convention)."""

METADATA_KEYS: tuple[str, ...] = ("data_dir", "constraints_path", "k", "kinds", "seed")
"""The ``--metadata`` keys the tasks read."""

_RESERVED_KWARGS = ("sustain_task", "sustain_variant")


# -- documents -------------------------------------------------------------------------------

def _int_param(value: Any, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise SustainInputError(f"must be an integer, got {value!r}", field=name)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise SustainInputError(f"must be an integer, got {value!r}", field=name)


def _kinds_param(value: Any) -> str | list[str] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    raise SustainInputError(f"must be a comma-separated string or a list of strings, got "
                            f"{value!r}", field="kinds")


def _doc(bench: Benchmark, item: Item, variant: TaskVariant,
         constraints: Sequence[Constraint] = (), source: str | None = None) -> dict[str, Any]:
    plain = bench.prompt(item)
    return {
        "id": item.id,
        "task": bench.name,
        "variant": variant,
        "question": item.question,
        "target": item.target,
        "prompt": constrained_prompt(plain, constraints) if variant == "constrained" else plain,
        "constraints": [c.to_record() for c in constraints],
        "constraint_source": source,
        "metadata": dict(item.metadata),
    }


def build_docs(task: str, variant: str, *, data_dir: str | None = None,
               constraints_path: str | None = None, k: int = 1,
               kinds: str | Sequence[str] | None = None, seed: int = 0) -> list[dict[str, Any]]:
    """The documents of one lm-eval task, harness-free (see the module docstring).

    Raises:
        SustainInputError: unknown task or variant, a malformed constraints file, a constraint
            for an item the dataset does not hold, or a constrained variant with no item.
    """
    bench = get_benchmark(task)
    if variant not in TASK_VARIANTS:
        raise SustainInputError(f"unknown variant {variant!r}; choose from {list(TASK_VARIANTS)}",
                                field="sustain_variant")
    items = bench.load(data_dir)
    if variant == "plain":
        return [_doc(bench, item, "plain") for item in items]
    if constraints_path:
        sets = {sid: s for sid, s in read_constraints_file(constraints_path).items()
                if s.task == bench.name}
        by_id = {item.id: item for item in items}
        for sid, cset in sets.items():
            if sid not in by_id:
                raise SustainInputError(
                    f"item {sid!r} is not in the {bench.title} dataset loaded "
                    f"({len(items)} items)", path=constraints_path, line=cset.line, field="id")
        docs = [_doc(bench, item, "constrained", sets[item.id].constraints,
                     sets[item.id].source) for item in items if item.id in sets]
        if not docs:
            raise SustainInputError(f"no constraints for task {bench.name!r} in this file",
                                    path=constraints_path, field="task")
        return docs

    def build() -> list[dict[str, Any]]:
        docs = []
        for item in items:
            found = bench.constraints_for(item, item.reference, k=k, kinds=kinds, seed=seed)
            if found:
                docs.append(_doc(bench, item, "constrained", found, "reference"))
        if not docs:
            raise SustainInputError(f"no {bench.title} reference solution yields a constraint "
                                    f"of kinds {kinds!r}", field="kinds")
        return docs

    # extraction from every reference solution takes seconds; lm-eval applies --limit only
    # after the whole dataset is built, so the documents are cached on disk
    return cached_docs(bench.name, items, k=k, kinds=kinds, seed=seed, build=build)


def _warn_unknown(kwargs: Mapping[str, Any]) -> None:
    """Warn about metadata keys that look like misspelt task parameters."""
    for key in kwargs:
        close = difflib.get_close_matches(key, METADATA_KEYS, n=1, cutoff=0.75)
        if close and close[0] != key:
            logger.warning("metadata key %r is not read by the sustain tasks; did you mean %r?",
                           key, close[0])


@exit_on_input_error
def custom_dataset(**kwargs: Any) -> datasets.DatasetDict:
    """lm-eval's ``custom_dataset`` hook: a ``DatasetDict`` with one ``test`` split.

    Receives the YAML's ``dataset_kwargs`` (``sustain_task``, ``sustain_variant``) merged with
    the metadata (``data_dir``, ``constraints_path``, ``k``, ``kinds``, ``seed``; lm-eval also
    passes ``version``, model arguments and more, which are ignored).

    Bad input raises :class:`SustainError`; under lm-eval's own command line it prints one
    ``sustain: error: ...`` line and exits with status 2 instead (:func:`exit_on_input_error`).
    """
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise MissingDependencyError("datasets", purpose="the lm-eval tasks") from exc
    if not hasattr(datasets, "Json"):
        raise MissingDependencyError("datasets>=4.7", purpose="the lm-eval tasks (Json feature)",
                                     found=getattr(datasets, "__version__", "unknown"))
    task, variant = (kwargs.get(key) for key in _RESERVED_KWARGS)
    if not isinstance(task, str) or not isinstance(variant, str):
        raise SustainInputError("the task configuration must set dataset_kwargs "
                                "sustain_task and sustain_variant", field="dataset_kwargs")
    _warn_unknown({k: v for k, v in kwargs.items() if k not in _RESERVED_KWARGS})
    data_dir = kwargs.get("data_dir") or None
    constraints_path = kwargs.get("constraints_path") or None
    with data_hint("--metadata '{\"data_dir\": \"DIR\"}'"):
        docs = build_docs(
            task, variant,
            data_dir=str(data_dir) if data_dir is not None else None,
            constraints_path=str(constraints_path) if constraints_path is not None else None,
            k=_int_param(kwargs.get("k"), "k", 1),
            kinds=_kinds_param(kwargs.get("kinds")),
            seed=_int_param(kwargs.get("seed"), "seed", 0),
        )
    features = datasets.Features({
        "id": datasets.Value("string"),
        "task": datasets.Value("string"),
        "variant": datasets.Value("string"),
        "question": datasets.Value("string"),
        "target": datasets.Value("string"),
        "prompt": datasets.Value("string"),
        "constraints": datasets.Json(),
        "constraint_source": datasets.Value("string"),
        "metadata": datasets.Json(),
    })
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs, features=features)})


# -- filters ---------------------------------------------------------------------------------

def doc_item(doc: Mapping[str, Any]) -> Item:
    """The benchmark item a document stands for (enough of it for the verifiers)."""
    metadata = doc.get("metadata")
    return Item(id=str(doc["id"]), question=str(doc.get("question", "")),
                target=str(doc["target"]), reference="",
                metadata=metadata if isinstance(metadata, Mapping) else {})


def _verdict(doc: Mapping[str, Any], output: str, strict: bool) -> Verdict:
    bench = get_benchmark(str(doc["task"]))
    item = doc_item(doc)
    if strict:
        return bench.verify_strict(output, item.target, item)
    return bench.verify(output, item.target, item)


class FilteredAnswer(str):
    """The extracted answer (the string value) with the raw output and the verdict."""

    raw: str
    verdict: Verdict | None
    filter_name: str

    def __new__(cls, text: str, raw: str = "", verdict: Verdict | None = None,
                filter_name: str = "") -> Self:
        obj = super().__new__(cls, text)
        obj.raw = raw
        obj.verdict = verdict
        obj.filter_name = filter_name
        return obj


def _raw_text(response: Any) -> str:
    if isinstance(response, FilteredAnswer):
        return response.raw
    if isinstance(response, list | tuple):
        return _raw_text(response[0]) if response else ""
    return response if isinstance(response, str) else ""


def _make_filter(name: FilterName, strict: bool) -> Callable[[Any, Any], list[FilteredAnswer]]:
    def apply(resps: Sequence[Sequence[Any]], docs: Sequence[Mapping[str, Any]]
              ) -> list[FilteredAnswer]:
        raws = [_raw_text(responses) for responses in resps]
        if len(raws) != len(docs):
            raise ValueError(f"{len(raws)} responses for {len(docs)} documents")
        # one batch per benchmark, so benchmarks that run code run it in parallel
        verdicts: list[Verdict | None] = [None] * len(docs)
        by_task: dict[str, list[int]] = {}
        for i, doc in enumerate(docs):
            by_task.setdefault(str(doc["task"]), []).append(i)
        for task, indexes in by_task.items():
            jobs = [(raws[i], str(docs[i]["target"]), doc_item(docs[i])) for i in indexes]
            for i, judged in zip(indexes, get_benchmark(task).verify_many(jobs, strict=strict),
                                 strict=True):
                verdicts[i] = judged
        out = []
        for raw, verdict in zip(raws, verdicts, strict=True):
            assert verdict is not None
            shown = verdict.extracted if verdict.extracted is not None else INVALID
            out.append(FilteredAnswer(shown, raw, verdict, name))
        return out

    apply.__name__ = apply.__qualname__ = name.replace("-", "_")
    apply.__doc__ = (f"lm-eval ``custom`` filter {name!r}: keeps the first response of each "
                     f"document as a :class:`FilteredAnswer` judged by "
                     f"{'verify_strict' if strict else 'verify'} (one batch per benchmark).")
    return exit_on_input_error(apply)


strict_match = _make_filter("strict-match", strict=True)
flexible_extract = _make_filter("flexible-extract", strict=False)


# -- metrics ---------------------------------------------------------------------------------

@exit_on_input_error
def process_results(doc: Mapping[str, Any], results: Sequence[Any]) -> dict[str, float]:
    """Per-document metrics: ``acc``; ``f1`` when the benchmark grades answers (HotpotQA);
    for the constrained variant also ``compliance`` (every constraint satisfied strictly) and
    ``compliance_loose``. Each but ``f1`` is 0.0 or 1.0.

    ``results`` holds one response per request: a :class:`FilteredAnswer` from one of the
    filters above, or a raw string (then judged as ``flexible-extract`` would). A malformed
    document raises :class:`SustainInputError` (under lm-eval's command line: one error line
    and exit status 2).
    """
    response = results[0] if results else ""
    if isinstance(response, list | tuple):
        response = response[0] if response else ""
    if isinstance(response, FilteredAnswer) and response.verdict is not None:
        raw, verdict = response.raw, response.verdict
    else:
        raw = _raw_text(response)
        verdict = _verdict(doc, raw, strict=False)
    metrics = {"acc": 1.0 if verdict.correct else 0.0}
    if verdict.score is not None:  # a graded score beside the verdict (token F1 for QA)
        metrics["f1"] = float(verdict.score)
    if doc.get("variant") == "constrained":
        records = doc.get("constraints") or []
        constraints = [constraint_from_record(r, field=f"doc.constraints[{i}]")
                       for i, r in enumerate(records)]
        compliance = assess(constraints, raw)
        metrics["compliance"] = 1.0 if compliance.strict else 0.0
        metrics["compliance_loose"] = 1.0 if compliance.loose else 0.0
    return metrics
