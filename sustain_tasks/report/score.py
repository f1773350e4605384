"""Pair variants by (model, task, protocol, sample id) and compute the metrics per (model,
task, protocol).

Protocol (:class:`~sustain_tasks.report.readers.Protocol`): the mode and the arguments that
change what is measured, k, kinds and seed (for an lm-eval self-mode run, whose k, kinds and
seed were fixed by ``sustain extract``, its constraints file). Runs of different protocols
are reported side by side, each report with its mode, k, kinds and seed; a placebo run (a
separate run in its own mode) joins the self-mode report of the same model, task, k, kinds
and seed; a retest run (the plain prompt again: no constraint in it) joins every report of
its model and task; a plain run can serve the report of any protocol.

Incomplete runs (an Inspect log whose status is not ``success`` or that holds fewer samples
than it was started on; an lm-eval samples file with fewer docs or lines than its results
file counts, cut mid-line, or missing: see :mod:`~sustain_tasks.report.readers`) are never
chosen over a complete run of the same model, task and protocol. When only an incomplete run
holds a variant it is scored, a warning says so, and the report has ``complete`` false with
the reasons in ``incomplete``.

Definitions (see the design contract, "What it measures"):

- ``S``: items correct under the plain prompt whose constrained variant ran with at least one
  constraint. ``sustain_score = |{i in S: constrained correct}| / |S|``; ``drop = 1 − it``.
- ``compliance``: share of constrained outputs satisfying every inserted constraint (strict;
  ``compliance_loose`` with the loose check).
- plain and constrained accuracy over every item that ran that variant.
- ``compliance`` counts only constrained outputs that carried at least one constraint (an
  output with none would comply vacuously).
- ``mcnemar_p``: exact McNemar test of plain vs constrained over items where both ran. It
  applies to reference mode, where both variants run on every item. In self mode the
  constrained variant runs only on plain-correct items, so ``c = 0`` by construction and the
  test would call any flakiness significant: ``mcnemar_p`` is then null and ``mcnemar_note``
  says why (``mcnemar_b`` / ``mcnemar_c`` are still given).
- ``control_tests`` (``retest_mcnemar_p``, ``placebo_mcnemar_p``): constrained vs each
  control on the items of ``S`` whose control ran, an exact McNemar test of the two verdicts
  item by item (``control_only``: control correct, constrained wrong; ``constrained_only``:
  the reverse). In self mode this is the test of interference against noise, since plain
  is correct on all of ``S``.
- ``adjusted_ci``: the interval of ``adjusted_interference`` by the seeded paired bootstrap
  ``--compare`` uses: items drawn together for both runs (over the items both ran plain),
  retest retention over the drawn items of the retest run's base, SustainScore over the
  drawn items of ``S``.
- ``failures``: every item of ``S`` wrong under the constraint, with one label
  (:mod:`sustain_tasks.failures`).
- ``retest_retention`` / ``placebo_retention``: each control's retention is computed within
  the run that holds it, over that run's own ``S``: items whose plain answer *in that run* was
  correct and whose control generation ran (the Inspect solver makes the second generation
  only after a correct plain answer with extractable constraints; an Inspect log holds one
  mode, so a control always comes from another run than the constrained variant; an lm-eval
  control run over a constraints file holds the items extracted from the plain run this
  report uses, so that plain run is its own). Pairing a
  control with another run's plain answers would condition on two correct plain answers and
  bias retention, hence ``adjusted_interference``, upward.
  ``adjusted_interference = retest_retention − sustain_score``.
- breakdowns by constraint kind and category: an item counts under each of its kinds
  (categories), so the rows overlap and do not add up to the totals. SustainScore over the
  items of ``S`` whose constraints include that kind (category); compliance of the outputs
  that carried it is item-level (all of that item's constraints satisfied, not just the
  constraints of that kind).
- graded tasks (HotpotQA: token F1): ``plain_f1`` and ``constrained_f1`` are mean scores over
  the outputs that carry one, ``sustain_f1`` the mean constrained score over ``S`` (a graded
  counterpart of SustainScore: plain scores on ``S`` are 1, since the items were answered
  exactly); each with its n.
- breakdowns by item metadata (``Benchmark.breakdowns``: MATH-500 ``level`` and
  ``subject``, HotpotQA ``type`` and ``level``): every metric above, recomputed over the items
  that share one value.

- ``n_plain_correct_without_constrained``: plain-correct items with no constrained record.
  They are outside ``S`` by definition. ``n_plain_correct_no_constraint`` counts those of
  them for which the run itself recorded that no constraint was found (Inspect records
  ``n_constraints = 0``); a warning counts the rest when a constrained variant ran, since
  they mean that no constraint was extracted for them or that the constrained run was partial
  (``--limit``) — which in reference mode, where every item whose reference yields a
  constraint runs constrained, means an incomplete run.

- ``grader`` (Inspect runs with ``-T grader=model``): per variant, ``consulted`` counts the
  verdicts a grader model decided because the rules found no answer or an ambiguous one, and
  ``overturned`` those where its verdict differs from the rule's (the rule says wrong there,
  so every overturn credits an answer).

Every rate carries n and a 95% Wilson interval.

Inspect logs run with ``--epochs N``: only epoch 1 is paired and scored (one verdict per item
and variant), while Inspect's own ``sustain_score`` / ``n_sustain`` metrics count every
(sample, epoch) pair; the reader warns when it leaves later epochs out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sustain_tasks.errors import SustainInputError
from sustain_tasks.failures import FAILURE_LABELS, FailureLabel, failure_label
from sustain_tasks.protocol import VARIANTS, Variant
from sustain_tasks.report.readers import (
    Protocol,
    RunInfo,
    SampleRow,
    Scalar,
    metadata_breakdowns,
)
from sustain_tasks.report.stats import (
    BootstrapResult,
    Mean,
    Rate,
    mcnemar_exact,
    mean,
    rate,
    sustain_difference,
)

__all__ = [
    "MAX_FAILURE_EXAMPLES",
    "SCHEMA_VERSION",
    "Breakdown",
    "ControlTest",
    "Failure",
    "Failures",
    "Group",
    "TaskReport",
    "compare_models",
    "group_rows",
    "metadata_breakdowns",
    "score_group",
    "score_rows",
]

SCHEMA_VERSION = 1
"""Version of the JSON layout (README, "Report fields"): a new field keeps it, a renamed or
removed one raises it."""
MAX_FAILURE_EXAMPLES = 5
"""Sample ids given per failure label in ``failures.examples``."""
_NO_MEAN = Mean(0, None)
CONTROLS: tuple[Variant, ...] = ("retest", "placebo")
SELF_MODE_MCNEMAR_NOTE = (
    "not computed in self mode: the constrained variant runs only on plain-correct items, so "
    "c = 0 by construction; McNemar applies to reference mode, where both variants run on "
    "every item")


@dataclass
class Group:
    """The rows of one (model, task, protocol), one run chosen per variant, keyed by sample
    id."""

    model: str
    task: str
    variants: dict[Variant, dict[str, SampleRow]] = field(default_factory=dict)
    runs: dict[Variant, str] = field(default_factory=dict)
    control_plain: dict[Variant, dict[str, SampleRow]] = field(default_factory=dict)
    """Control variant (retest, placebo) → the plain rows of the run that holds it."""
    protocol: Protocol | None = None
    """What the runs measured (None: plain runs only, or nothing recorded)."""
    incomplete: dict[str, list[str]] = field(default_factory=dict)
    """Chosen run → why it is incomplete (only incomplete runs; see :class:`RunInfo`)."""


@dataclass(frozen=True)
class Breakdown:
    """SustainScore and compliance restricted to items carrying one kind or category."""

    sustain: Rate
    compliance: Rate
    compliance_loose: Rate

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_sustain": self.sustain.n, "sustain_score": self.sustain.value,
            "sustain_ci_low": self.sustain.ci_low, "sustain_ci_high": self.sustain.ci_high,
            "n_compliance": self.compliance.n, "compliance": self.compliance.value,
            "compliance_ci_low": self.compliance.ci_low,
            "compliance_ci_high": self.compliance.ci_high,
            "compliance_loose": self.compliance_loose.value,
        }


@dataclass(frozen=True)
class ControlTest:
    """Constrained vs a control (retest, placebo) on the items of S whose control ran: the
    exact McNemar test of the two verdicts, item by item (self mode)."""

    n_paired: int
    control_only: int
    """Items correct under the control and wrong under the constraint."""
    constrained_only: int
    """Items correct under the constraint and wrong under the control."""
    p: float | None
    """Exact two-sided McNemar p; None when no item was paired."""

    def discordant(self) -> dict[str, int]:
        return {"control_only": self.control_only, "constrained_only": self.constrained_only}


@dataclass(frozen=True)
class Failure:
    """One constrained failure on S and its label (:mod:`sustain_tasks.failures`)."""

    sample_id: str
    label: FailureLabel
    kinds: tuple[str, ...]
    plain_last_line: str | None = None
    constrained_last_line: str | None = None


@dataclass(frozen=True)
class Failures:
    """Every constrained failure on S of one report, in the plain run's order."""

    items: tuple[Failure, ...]
    stop_reason_recorded: bool
    """Every constrained output of S recorded why its generation stopped (Inspect does,
    lm-eval does not: ``truncated`` is then never given)."""
    answer_recorded: bool
    """Every constrained output of S recorded whether an answer was found and whether it
    was in the asked format (runs made before these facts were recorded do not)."""

    def to_dict(self) -> dict[str, Any]:
        counts = Counter(f.label for f in self.items)
        n = len(self.items)
        kinds: dict[str, Counter[FailureLabel]] = defaultdict(Counter)
        for f in self.items:
            for kind in dict.fromkeys(f.kinds):
                kinds[kind][f.label] += 1
        examples: dict[str, list[str]] = {label: [] for label in FAILURE_LABELS}
        for f in self.items:
            if len(examples[f.label]) < MAX_FAILURE_EXAMPLES:
                examples[f.label].append(f.sample_id)
        return {
            "n_failures": n,
            "counts": {label: counts[label] for label in FAILURE_LABELS},
            "shares": _shares(counts, n),
            "examples": examples,
            "by_kind": {kind: {"n_failures": sum(c.values()),
                               "counts": {label: c[label] for label in FAILURE_LABELS},
                               "shares": _shares(c, sum(c.values()))}
                        for kind, c in sorted(kinds.items())},
            "stop_reason_recorded": self.stop_reason_recorded,
            "answer_recorded": self.answer_recorded,
        }


def _shares(counts: Counter[FailureLabel], n: int) -> dict[str, float | None]:
    return {label: counts[label] / n if n else None for label in FAILURE_LABELS}


@dataclass
class TaskReport:
    """All metrics of one model on one task (or on the items of one metadata group)."""

    model: str
    task: str
    mode: str
    harness: str
    n_items: int
    plain: Rate
    constrained: Rate
    sustain: Rate
    compliance: Rate
    compliance_loose: Rate
    n_paired: int
    mcnemar_b: int
    mcnemar_c: int
    mcnemar_p: float | None
    retest: Rate
    placebo: Rate
    by_kind: dict[str, Breakdown]
    by_category: dict[str, Breakdown]
    runs: dict[str, str]
    plain_f1: Mean = _NO_MEAN
    constrained_f1: Mean = _NO_MEAN
    sustain_f1: Mean = _NO_MEAN
    by_metadata: dict[str, dict[str, TaskReport]] = field(default_factory=dict)
    """Metadata field → value → the metrics over the items with that value."""
    n_plain_correct_without_constrained: int = 0
    """Plain-correct items with no constrained record (outside S: no constraint was extracted
    for them, or the constrained run was partial)."""
    n_plain_correct_no_constraint: int = 0
    """Of those, the items the run recorded as having got no constraint."""
    mcnemar_note: str | None = None
    """Why ``mcnemar_p`` is null although items were paired (self mode)."""
    compare: dict[str, BootstrapResult] = field(default_factory=dict)
    grader: dict[str, dict[str, int]] = field(default_factory=dict)
    """Variant → ``consulted`` / ``overturned`` counts of grader-decided verdicts."""
    outcomes: dict[str, tuple[bool, bool]] = field(default_factory=dict, repr=False)
    """Sample id → (in S, constrained correct), over items that ran plain (for comparisons)."""
    protocol: Protocol | None = None
    """k, kinds, seed (and an lm-eval self-mode run's constraints file) of the runs."""
    incomplete: dict[str, list[str]] = field(default_factory=dict)
    """Run used → why it is incomplete; empty when every run used is complete."""
    control_tests: dict[str, ControlTest] = field(default_factory=dict)
    """Control (retest, placebo) → constrained vs that control on the items of S it ran."""
    adjusted_ci: BootstrapResult | None = None
    """Paired bootstrap of ``adjusted_interference`` (top-level reports with a retest)."""
    failures: Failures | None = None
    """The constrained failures on S (None when no constrained variant ran)."""
    control_outcomes: dict[str, dict[str, tuple[bool, bool]]] = field(default_factory=dict,
                                                                      repr=False)
    """Control → sample id → (in the control's base, control correct), over the items its
    run ran plain (for the bootstrap of ``adjusted_interference``)."""

    @property
    def complete(self) -> bool:
        """True when every run the report used finished (see ``RunInfo``)."""
        return not self.incomplete

    @property
    def label(self) -> str:
        """``model / task``."""
        return f"{self.model} / {self.task}"

    @property
    def drop(self) -> float | None:
        return None if self.sustain.value is None else 1.0 - self.sustain.value

    @property
    def adjusted_interference(self) -> float | None:
        if self.retest.value is None or self.sustain.value is None:
            return None
        return self.retest.value - self.sustain.value

    @property
    def graded(self) -> bool:
        """True when some output carried a graded score (token F1)."""
        return bool(self.plain_f1.n or self.constrained_f1.n)

    def metrics_dict(self) -> dict[str, Any]:
        """The metric fields (no identity, breakdowns or comparisons); also the object of
        each group in ``by_metadata``."""
        d: dict[str, Any] = {"n_items": self.n_items}
        _put(d, "n_plain", "plain_accuracy", "plain_ci", self.plain, k_key="plain_correct")
        _put(d, "n_constrained", "constrained_accuracy", "constrained_ci", self.constrained,
             k_key="constrained_correct")
        _put(d, "n_sustain", "sustain_score", "sustain_ci", self.sustain, k_key="n_sustained")
        d["drop"] = self.drop
        d["n_plain_correct_without_constrained"] = self.n_plain_correct_without_constrained
        d["n_plain_correct_no_constraint"] = self.n_plain_correct_no_constraint
        _put(d, "n_compliance", "compliance", "compliance_ci", self.compliance)
        _put(d, "n_compliance_loose", "compliance_loose", "compliance_loose_ci",
             self.compliance_loose)
        d["n_paired"] = self.n_paired
        d["mcnemar_b"] = self.mcnemar_b
        d["mcnemar_c"] = self.mcnemar_c
        d["mcnemar_p"] = self.mcnemar_p
        d["mcnemar_note"] = self.mcnemar_note
        _put(d, "n_retest", "retest_retention", "retest_ci", self.retest)
        _put(d, "n_placebo", "placebo_retention", "placebo_ci", self.placebo)
        d["adjusted_interference"] = self.adjusted_interference
        boot = self.adjusted_ci
        d["adjusted_interference_ci_low"] = boot.ci_low if boot is not None else None
        d["adjusted_interference_ci_high"] = boot.ci_high if boot is not None else None
        d["adjusted_interference_bootstrap"] = None if boot is None else {
            "estimate": boot.estimate, "n_items": boot.n_items, "n_boot": boot.n_boot,
            "n_valid": boot.n_valid, "seed": boot.seed}
        for control in CONTROLS:
            test = self.control_tests.get(control)
            d[f"{control}_n_paired"] = test.n_paired if test is not None else 0
            d[f"{control}_discordant"] = test.discordant() if test is not None else None
            d[f"{control}_mcnemar_p"] = test.p if test is not None else None
        for name, m in (("plain_f1", self.plain_f1), ("constrained_f1", self.constrained_f1),
                        ("sustain_f1", self.sustain_f1)):
            d[f"n_{name}"] = m.n
            d[name] = m.value
        return d

    def to_dict(self) -> dict[str, Any]:
        """The flat JSON object (with nested breakdowns) written by ``--format json``."""
        protocol = self.protocol or Protocol(None)
        d: dict[str, Any] = {"schema_version": SCHEMA_VERSION,
                             "model": self.model, "task": self.task, "mode": self.mode,
                             "k": protocol.k, "kinds": protocol.kinds, "seed": protocol.seed,
                             "constraints_file": protocol.constraints,
                             "harness": self.harness, "complete": self.complete,
                             "incomplete": [f"{run}: {p}" for run, problems in
                                            self.incomplete.items() for p in problems]}
        d.update(self.metrics_dict())
        d["by_kind"] = {k: b.to_dict() for k, b in self.by_kind.items()}
        d["by_category"] = {k: b.to_dict() for k, b in self.by_category.items()}
        d["by_metadata"] = {name: {value: sub.metrics_dict() for value, sub in groups.items()}
                            for name, groups in self.by_metadata.items()}
        if self.compare:
            d["compare"] = {
                other: {"difference": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high,
                        "n_items": r.n_items, "n_boot": r.n_boot, "n_valid": r.n_valid,
                        "seed": r.seed}
                for other, r in self.compare.items()
            }
        if self.grader:
            d["grader"] = {v: dict(counts) for v, counts in self.grader.items()}
        d["failures"] = self.failures.to_dict() if self.failures is not None else None
        d["runs"] = dict(self.runs)
        return d


def _put(d: dict[str, Any], n_key: str, value_key: str, ci: str, r: Rate, *,
         k_key: str | None = None) -> None:
    """Write a rate as its n (and k), value and Wilson interval fields, in that order."""
    d[n_key] = r.n
    if k_key is not None:
        d[k_key] = r.k
    d[value_key] = r.value
    d[f"{ci}_low"] = r.ci_low
    d[f"{ci}_high"] = r.ci_high


# -- pairing ---------------------------------------------------------------------------------

@dataclass
class _Run:
    """What the report needs to know about one run of one (model, task)."""

    rows: list[SampleRow]
    created: float
    holds: set[Variant]
    key: Protocol | None
    """The protocol group the run belongs to; None for a plain run, which can serve any."""
    problems: list[str]
    recording: str | None = None
    """The recorded outputs a replay run answered from (None: not a replay)."""


def _run_facts(rows: list[SampleRow]) -> _Run:
    holds: set[Variant] = set()
    infos: dict[int, RunInfo] = {}
    modes: Counter[str] = Counter()
    constrained_modes: Counter[str] = Counter()
    created = 0.0
    for row in rows:
        holds.add(row.variant)
        created = max(created, row.created)
        if row.run_info is not None:
            infos.setdefault(id(row.run_info), row.run_info)
        if row.mode:
            (constrained_modes if row.variant == "constrained" else modes)[row.mode] += 1
    info = next((i for i in infos.values() if i.mode), next(iter(infos.values()), RunInfo()))
    mode = info.mode
    if mode is None:
        counted = constrained_modes or modes
        mode = counted.most_common(1)[0][0] if counted else None
    problems = list(dict.fromkeys(p for i in infos.values() for p in i.problems))
    key: Protocol | None = Protocol(mode, info.k, info.kinds, info.seed, info.constraints)
    if mode in CONTROLS or (mode is None and holds & set(CONTROLS)
                            and "constrained" not in holds):
        # a control run measures the items of the self-mode run with its k, kinds and seed
        key = Protocol("self", info.k, info.kinds, info.seed, info.constraints)
    elif mode in (None, "plain") and holds <= {"plain"}:
        key = None  # a plain run: any protocol's plain variant can come from it
    recording = next((i.recording for i in infos.values() if i.recording), None)
    return _Run(rows, created, holds, key, problems, recording)


def group_rows(rows: Iterable[SampleRow], warnings: list[str] | None = None
               ) -> list[Group]:
    """Group rows by (model, task, protocol) and choose one run per variant.

    Protocol: the run's mode and the arguments that change what is measured (k, kinds,
    seed; for an lm-eval self-mode run, its constraints file), as :class:`Protocol`. Runs of
    different protocols make different groups, reported side by side. A placebo run joins
    the self-mode group of its k, kinds and seed, a run holding only retest generations
    (and plain ones) every group (its prompt carries no constraint); a plain run (an lm-eval
    plain invocation, an Inspect ``mode=plain`` log) can serve every group of its model and
    task.

    Within a group, complete runs come before incomplete ones (:class:`RunInfo`: an
    unfinished Inspect log, a cut-short lm-eval samples file), then later before earlier: an
    incomplete run is used only when no complete run holds the variant. The anchor is the
    first such run holding a constrained variant (else the first run): every variant it holds
    comes from it, so a one-run Inspect log (or one lm-eval invocation) is never mixed with
    another run. A plain variant the anchor lacks (the two-stage lm-eval self mode: a plain
    run, then a constrained run over constraints extracted from it) comes from the first
    plain run made no later than the anchor, the one the constraints could have been
    extracted from (else the first, with a warning). Other variants it lacks come from the
    first run holding them; each control (retest, placebo) keeps the plain rows of its own run
    in ``control_plain``. Ignored runs, and incomplete runs used, are reported in
    ``warnings``. Within a run, a sample id seen twice for one variant keeps its first row
    (with a warning).
    """
    by_key: dict[tuple[str, str], dict[str, list[SampleRow]]] = defaultdict(
        lambda: defaultdict(list))
    for row in rows:
        by_key[(row.model, row.task)][row.run].append(row)
    groups = []
    for (model, task), runs in sorted(by_key.items()):
        facts = {run: _run_facts(rs) for run, rs in runs.items()}
        # a retest run asks the plain prompt again: it controls every protocol
        retests = {run for run, f in facts.items() if _retest_only(f)}
        protocols = sorted({f.key for run, f in facts.items()
                            if f.key is not None and run not in retests}, key=Protocol.order)
        if retests and not protocols:
            protocols = sorted({key for run in retests
                                if (key := facts[run].key) is not None}, key=Protocol.order)
        choices: list[Protocol | None] = list(protocols) or [None]
        for protocol in choices:
            members = {run: f for run, f in facts.items() if f.key in (protocol, None)
                       or (run in retests and protocol is not None)}
            label = f"{model} / {task}"
            if len(protocols) > 1 and protocol is not None:
                label += f" ({protocol.mode}, {protocol.label()})"
            groups.append(_choose_runs(model, task, protocol, members, label, warnings))
    return groups


def _retest_only(run: _Run) -> bool:
    """A run holding retest generations and no constrained or placebo ones (its protocol's
    k, kinds and seed chose no constraint it asked for)."""
    return "retest" in run.holds and not run.holds & {"constrained", "placebo"}


def _choose_runs(model: str, task: str, protocol: Protocol | None, runs: dict[str, _Run],
                 label: str, warnings: list[str] | None) -> Group:
    order = sorted(runs, key=lambda run: (not runs[run].problems, runs[run].created, run),
                   reverse=True)
    with_constrained = [run for run in order if "constrained" in runs[run].holds]
    anchor = with_constrained[0] if with_constrained else order[0]
    group = Group(model, task, protocol=protocol)

    def table_of(run: str, variant: Variant, *, warn: bool = True) -> dict[str, SampleRow]:
        table: dict[str, SampleRow] = {}
        duplicates = 0
        for row in runs[run].rows:
            if row.variant != variant:
                continue
            if row.sample_id in table:
                duplicates += 1
                continue
            table[row.sample_id] = row
        if duplicates and warn and warnings is not None:
            warnings.append(f"{run}: {duplicates} duplicate {variant} row(s) for the "
                            "same sample id; the first was used")
        return table

    def shown(run: str) -> str:
        problems = runs[run].problems
        return f"{run} (incomplete: {'; '.join(problems)})" if problems else run

    chosen_of: dict[Variant, str] = {}
    notes: dict[Variant, str] = {}
    anchor_created = runs[anchor].created
    for variant in VARIANTS:
        having = [run for run in order if variant in runs[run].holds]
        same = [run for run in having if runs[run].recording == runs[anchor].recording]
        having = same or having  # runs of the anchor's recording first; others are refused
        if not having:
            continue
        if anchor in having:
            chosen_of[variant] = anchor
        elif variant == "plain" and "constrained" in runs[anchor].holds:
            before = [run for run in having if runs[run].created <= anchor_created]
            chosen_of[variant] = before[0] if before else having[0]
            notes[variant] = (
                f" (the latest plain run made before the constrained run {anchor}, which "
                "its constraints could come from)" if before else
                f" (no plain run was made before the constrained run {anchor}, so its "
                "constraints cannot come from any of them)")
        else:
            chosen_of[variant] = having[0]
    # the plain rows of a control's own run are used too (for its retention)
    used = {chosen_of[v] for v in CONTROLS if v in chosen_of}
    for variant, chosen in chosen_of.items():
        group.runs[variant] = chosen
        having = [run for run in order if variant in runs[run].holds]
        ignored = [run for run in having if run != chosen
                   and not (variant == "plain" and run in used)]
        note = notes.get(variant, "")
        if warnings is not None and (ignored or " no plain run " in note):
            warnings.append(
                f"{label}: {len(having)} runs hold the {variant} variant; "
                f"using {chosen}{note}"
                + (f", ignoring {', '.join(map(shown, ignored))}" if ignored else ""))
        group.variants[variant] = table_of(chosen, variant)
        if variant in CONTROLS:
            key = runs[chosen].key
            if "plain" in runs[chosen].holds:
                group.control_plain[variant] = table_of(chosen, "plain", warn=False)
            elif key is not None and key.constraints and "plain" in group.variants and \
                    protocol is not None and key.constraints == protocol.constraints:
                # an lm-eval control run over a constraints file: its items are the ones
                # extracted from the plain run's correct answers, the plain run this group
                # pairs with (lm-eval runs the controls apart from the plain task)
                group.control_plain[variant] = group.variants["plain"]
            elif warnings is not None:
                warnings.append(f"{label}: the {variant} run {chosen} holds no "
                                f"plain variant; {variant} retention is not computed (it "
                                "is measured over the plain-correct items of its own run)")
    _refuse_mixed_recordings(label, runs, [*group.runs.values(), *used])
    for run in dict.fromkeys([*group.runs.values(), *used]):
        if runs[run].problems:
            group.incomplete[run] = runs[run].problems
            if warnings is not None:
                warnings.append(
                    f"{label}: scoring the incomplete run {run} ("
                    f"{'; '.join(runs[run].problems)}): no complete run of this model, task "
                    "and protocol can take its place; the report says complete: false")
    return group


def _refuse_mixed_recordings(label: str, runs: Mapping[str, _Run], used: Iterable[str]
                             ) -> None:
    """Raise when the runs paired for one report replayed different recordings (or a replay
    and a model): pairing their variants would compare two different sets of answers."""
    by_recording: dict[str | None, str] = {}
    for run in dict.fromkeys(used):
        by_recording.setdefault(runs[run].recording, run)
    if len(by_recording) < 2 or all(r is None for r in by_recording):
        return
    shown = "; ".join(f"{run} replays {rec}" if rec is not None else f"{run} is no replay"
                      for rec, run in by_recording.items())
    raise SustainInputError(
        f"{label}: refusing to pair runs of different recordings ({shown}); a replay is "
        "named by its recording unless model= names it, so give each recording its own "
        "model name (or leave model= out)")


# -- metrics ---------------------------------------------------------------------------------

def _rate_of(flags: Iterable[bool | None]) -> Rate:
    known = [f for f in flags if f is not None]
    return rate(sum(known), len(known))


def _mode(group: Group) -> str:
    constrained = group.variants.get("constrained")
    if constrained:
        modes = Counter(r.mode for r in constrained.values() if r.mode)
        return modes.most_common(1)[0][0] if modes else "unknown"
    modes = Counter(r.mode for rows in group.variants.values() for r in rows.values() if r.mode)
    return modes.most_common(1)[0][0] if modes else "plain"


def _categories_of(row: SampleRow) -> tuple[str, ...]:
    return row.categories or tuple(dict.fromkeys(k.partition(":")[0] for k in row.kinds))


def _kinds_of(row: SampleRow) -> tuple[str, ...]:
    return row.kinds


def _breakdown(keys_of: Callable[[SampleRow], tuple[str, ...]],
               constrained: Mapping[str, SampleRow], in_s: Collection[str]
               ) -> dict[str, Breakdown]:
    # counted per distinct key tuple first (the rows share a handful of tuples), then per key
    counts: dict[tuple[str, ...], list[int]] = {}
    for sid, row in constrained.items():
        keys = keys_of(row)
        c = counts.get(keys)
        if c is None:
            c = counts[keys] = [0, 0, 0, 0, 0, 0]  # sustained, |S|, strict k, n, loose k, n
        if sid in in_s:
            c[1] += 1
            if row.correct:
                c[0] += 1
        if row.compliant is not None:
            c[3] += 1
            if row.compliant:
                c[2] += 1
        if row.compliant_loose is not None:
            c[5] += 1
            if row.compliant_loose:
                c[4] += 1
    totals: dict[str, list[int]] = {}
    for keys, c in counts.items():
        for key in dict.fromkeys(keys):
            t = totals.get(key)
            if t is None:
                totals[key] = list(c)
            else:
                for i, n in enumerate(c):
                    t[i] += n
    return {k: Breakdown(rate(t[0], t[1]), rate(t[2], t[3]), rate(t[4], t[5]))
            for k, t in sorted(totals.items())}


def _has_constraints(row: SampleRow) -> bool:
    return row.n_constraints is None or row.n_constraints > 0


def _partition(group: Group, key_of: Mapping[str, str], keys: Iterable[str]
               ) -> dict[str, Group]:
    """The subgroups of ``group`` holding the items whose ``key_of`` is each key (one pass
    over the rows; items without a key are in none)."""
    subs = {key: Group(group.model, group.task, runs=dict(group.runs)) for key in keys}
    for attr in ("variants", "control_plain"):
        tables: dict[Variant, dict[str, SampleRow]] = getattr(group, attr)
        for variant, rows in tables.items():
            parts: dict[str, dict[str, SampleRow]] = {}
            for name, sub in subs.items():
                parts[name] = getattr(sub, attr)[variant] = {}
            for sid, row in rows.items():
                key = key_of.get(sid)
                if key is not None:
                    parts[key][sid] = row
    return subs


def _group_key(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _group_order(value: Scalar) -> tuple[int, float, str]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, _group_key(value))


def _metadata_breakdowns(group: Group, warnings: list[str] | None
                         ) -> dict[str, dict[str, TaskReport]]:
    fields = metadata_breakdowns(group.task)
    if not fields:
        return {}
    all_ids = set().union(*(rows.keys() for rows in group.variants.values()))
    out: dict[str, dict[str, TaskReport]] = {}
    for name in fields:
        # an item's value: from its first variant (plain first) whose metadata has the field
        value_of: dict[str, Scalar] = {}
        for variant in VARIANTS:
            for sid, row in group.variants.get(variant, {}).items():
                meta = row.metadata
                if meta and name in meta and sid not in value_of:
                    value_of[sid] = meta[name]
        if not value_of:
            continue
        key_of: dict[str, str] = {}
        key_of_value: dict[tuple[type, Scalar], str] = {}
        order: dict[str, tuple[int, float, str]] = {}
        for sid, value in value_of.items():
            key = key_of_value.get((value.__class__, value))
            if key is None:
                key = key_of_value[(value.__class__, value)] = _group_key(value)
                order[key] = min(order.get(key, _group_order(value)), _group_order(value))
            key_of[sid] = key
        missing = len(all_ids) - len(value_of)
        if missing and warnings is not None:
            warnings.append(f"{group.model} / {group.task}: {missing} item(s) have no "
                            f"'{name}' in their metadata; left out of the breakdown by {name}")
        subs = _partition(group, key_of, sorted(order, key=lambda k: order[k]))
        out[name] = {key: _score(sub, detail=False) for key, sub in subs.items()}
    return out


def score_group(group: Group, warnings: list[str] | None = None, *, n_boot: int = 2000,
                seed: int = 0) -> TaskReport:
    """The metrics of one (model, task), with every breakdown; ``n_boot`` and ``seed`` set
    the paired bootstrap of ``adjusted_interference``."""
    constrained_ran = bool(group.variants.get("constrained"))
    report = _score(group)
    retest = report.control_outcomes.get("retest")
    if retest and report.retest.n and report.sustain.n:
        # retest retention − SustainScore, the items resampled together across both runs:
        # over every item either run holds (an item one run lacks counts in neither of its
        # rates), so the bootstrap's estimate is the reported value even when the retest ran
        # on fewer items than the constrained run
        ids = set(retest) | set(report.outcomes)
        absent = (False, False)
        report.adjusted_ci = sustain_difference(
            {i: retest.get(i, absent) for i in ids},
            {i: report.outcomes.get(i, absent) for i in ids}, n_boot=n_boot, seed=seed)
    report.protocol = group.protocol
    report.incomplete = dict(group.incomplete)
    report.by_metadata = _metadata_breakdowns(group, warnings)
    unexplained = (report.n_plain_correct_without_constrained
                   - report.n_plain_correct_no_constraint)
    if constrained_ran and unexplained and warnings is not None:
        warnings.append(_partial_warning(report))
    return report


def _partial_warning(report: TaskReport) -> str:
    n = report.n_plain_correct_without_constrained - report.n_plain_correct_no_constraint
    known = (f" (besides {report.n_plain_correct_no_constraint} that got no constraint)"
             if report.n_plain_correct_no_constraint else "")
    head = (f"{report.model} / {report.task}: {n} of {report.plain.k} plain-correct item(s) "
            f"have no constrained record{known}, so S holds {report.sustain.n}")
    if report.mode == "reference":
        return (head + "; in reference mode every item whose reference solution yields a "
                "constraint runs constrained, so the constrained run is incomplete (e.g. run "
                "with --limit, or over other data); run it over the same items as the plain "
                "run")
    return (head + ": no constraints were extracted for them, or the constrained run was "
            "partial (e.g. --limit); S counts only items with both")


def _score(group: Group, *, detail: bool = True) -> TaskReport:
    """The metrics of ``group`` (see the module docstring for the definitions); with
    ``detail`` also the breakdowns by kind and category and the outcomes model comparisons
    resample (a metadata group reports neither)."""
    plain = group.variants.get("plain", {})
    constrained = group.variants.get("constrained", {})
    all_ids = set().union(*(rows.keys() for rows in group.variants.values()))
    in_s = [sid for sid, row in plain.items()
            if row.correct and sid in constrained and _has_constraints(constrained[sid])]
    in_s_set = set(in_s)
    # paired items in plain's order (the rows' own order: a walk over a set of ids jumps
    # around memory, which costs more than the counting at a million items)
    n_paired = b = c = 0
    for sid, row in plain.items():
        other = constrained.get(sid)
        if other is not None:
            n_paired += 1
            if row.correct != other.correct:
                if row.correct:
                    b += 1
                else:
                    c += 1

    def retention(variant: Variant) -> Rate:
        # within the control's own run: its plain-correct items whose control generation ran
        rows = group.variants.get(variant)
        own_plain = group.control_plain.get(variant)
        if not rows or own_plain is None:
            return rate(0, 0)
        base = [sid for sid, row in own_plain.items() if row.correct and sid in rows]
        return _rate_of(rows[sid].correct for sid in base)

    mode = _mode(group)
    self_mode = mode == "self"
    with_constraints = [r for r in constrained.values() if _has_constraints(r)]

    def control_test(variant: Variant) -> ControlTest | None:
        # constrained vs the control on the items of S the control ran (the test to read in
        # self mode, where plain vs constrained is degenerate)
        rows = group.variants.get(variant)
        if not rows or not constrained:
            return None
        n = only_control = only_constrained = 0
        for sid in in_s:
            other = rows.get(sid)
            if other is None:
                continue
            n += 1
            kept = constrained[sid].correct
            if other.correct and not kept:
                only_control += 1
            elif kept and not other.correct:
                only_constrained += 1
        return ControlTest(n, only_control, only_constrained,
                           mcnemar_exact(only_control, only_constrained) if n else None)

    def control_outcomes(variant: Variant) -> dict[str, tuple[bool, bool]]:
        rows = group.variants.get(variant)
        own_plain = group.control_plain.get(variant)
        if not rows or own_plain is None:
            return {}
        return {sid: (row.correct and sid in rows, row.correct and sid in rows
                      and rows[sid].correct) for sid, row in own_plain.items()}

    harnesses = sorted({r.harness for rows in group.variants.values() for r in rows.values()
                        if r.harness})
    return TaskReport(
        model=group.model, task=group.task, mode=mode,
        harness="+".join(harnesses) or "unknown",
        n_items=len(all_ids),
        plain=_rate_of(r.correct for r in plain.values()),
        constrained=_rate_of(r.correct for r in constrained.values()),
        sustain=_rate_of(constrained[sid].correct for sid in in_s),
        compliance=_rate_of(r.compliant for r in with_constraints),
        compliance_loose=_rate_of(r.compliant_loose for r in with_constraints),
        n_paired=n_paired, mcnemar_b=b, mcnemar_c=c,
        mcnemar_p=mcnemar_exact(b, c) if n_paired and not self_mode else None,
        mcnemar_note=SELF_MODE_MCNEMAR_NOTE if n_paired and self_mode else None,
        retest=retention("retest"), placebo=retention("placebo"),
        by_kind=_breakdown(_kinds_of, constrained, in_s_set) if detail else {},
        by_category=_breakdown(_categories_of, constrained, in_s_set) if detail else {},
        runs={str(v): run for v, run in group.runs.items()},
        plain_f1=mean(r.f1 for r in plain.values()),
        constrained_f1=mean(r.f1 for r in constrained.values()),
        sustain_f1=mean(constrained[sid].f1 for sid in in_s),
        outcomes={sid: (sid in in_s_set, sid in in_s_set and constrained[sid].correct)
                  for sid in plain} if detail else {},
        n_plain_correct_without_constrained=sum(
            1 for sid, row in plain.items() if row.correct and sid not in constrained),
        n_plain_correct_no_constraint=sum(
            1 for sid, row in plain.items()
            if row.correct and sid not in constrained and row.n_constraints == 0),
        grader=_grader_counts(group),
        control_tests={str(v): t for v in CONTROLS if (t := control_test(v)) is not None},
        failures=_failures(in_s, constrained, plain) if detail and constrained else None,
        control_outcomes={str(v): control_outcomes(v) for v in CONTROLS} if detail else {},
    )


def _failures(in_s: Sequence[str], constrained: Mapping[str, SampleRow],
              plain: Mapping[str, SampleRow]) -> Failures:
    """Every item of S wrong under the constraint, labelled (:func:`failure_label`)."""
    items = []
    for sid in in_s:
        row = constrained[sid]
        if row.correct:
            continue
        label = failure_label(answer_found=row.answer_found, stop_reason=row.stop_reason,
                              in_format=row.in_format, compliant=row.compliant)
        items.append(Failure(sid, label, row.kinds, plain[sid].last_line, row.last_line))
    rows = [constrained[sid] for sid in in_s]
    return Failures(tuple(items), all(r.stop_reason is not None for r in rows),
                    all(r.answer_found is not None and r.in_format is not None
                        for r in rows))


def _grader_counts(group: Group) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for variant, rows in group.variants.items():
        graded = [r for r in rows.values() if r.rule_correct is not None]
        if graded:
            counts[str(variant)] = {
                "consulted": len(graded),
                "overturned": sum(1 for r in graded if r.rule_correct != r.correct)}
    return counts


def compare_models(reports: Sequence[TaskReport], *, n_boot: int = 2000, seed: int = 0,
                   warnings: list[str] | None = None) -> None:
    """Fill ``report.compare`` for every pair of models on the same task (paired bootstrap).

    ``compare[other]`` is SustainScore(this) − SustainScore(other) over the items both ran
    plain, with a seeded percentile bootstrap interval. When a model has reports of several
    protocols on the task, it is compared only with reports of the same protocol (so
    ``compare`` has one entry per other model). Runs of different modes (self vs reference
    constraints) of models with one report each are still compared, with a warning in
    ``warnings``: their difference mixes the models with the way the constraints were chosen.
    """
    by_task: dict[str, list[TaskReport]] = defaultdict(list)
    for report in reports:
        by_task[report.task].append(report)
    for task, task_reports in by_task.items():
        per_model = Counter(r.model for r in task_reports)
        pairs: list[tuple[TaskReport, TaskReport]] = []
        unpaired: dict[tuple[str, str], bool] = {}
        for i, a in enumerate(task_reports):
            for bb in task_reports[i + 1:]:
                if a.model == bb.model:
                    continue
                models = (a.model, bb.model)
                if (per_model[a.model] > 1 or per_model[bb.model] > 1) and \
                        a.protocol != bb.protocol:
                    unpaired.setdefault(models, False)
                    continue
                unpaired[models] = True
                pairs.append((a, bb))
        mixed = {id(r) for pair in pairs if pair[0].mode != pair[1].mode for r in pair}
        if mixed and warnings is not None:
            modes = {r.model: r.mode for r in task_reports if id(r) in mixed}
            warnings.append(f"{task}: comparing runs of different modes ("
                            + ", ".join(f"{m}: {mode}" for m, mode in modes.items())
                            + "); the differences mix the models with the way constraints "
                            "were chosen")
        for (m1, m2), compared in unpaired.items():
            if not compared and warnings is not None:
                warnings.append(f"{task}: {m1} and {m2} have no report of the same protocol "
                                "(mode, k, kinds, seed); not compared")
        for a, bb in pairs:
            result = sustain_difference(a.outcomes, bb.outcomes, n_boot=n_boot, seed=seed)
            a.compare[bb.model] = result
            bb.compare[a.model] = _negated(result)


def _negated(r: BootstrapResult) -> BootstrapResult:
    return BootstrapResult(
        None if r.estimate is None else -r.estimate,
        None if r.ci_high is None else -r.ci_high,
        None if r.ci_low is None else -r.ci_low,
        r.n_items, r.n_boot, r.n_valid, r.seed)


def score_rows(rows: Iterable[SampleRow], warnings: list[str] | None = None, *,
               n_boot: int = 2000, seed: int = 0) -> list[TaskReport]:
    """Reports for every (model, task) in ``rows``, sorted by task then model; ``n_boot``
    and ``seed`` set the paired bootstrap of ``adjusted_interference``."""
    reports = [score_group(g, warnings, n_boot=n_boot, seed=seed)
               for g in group_rows(rows, warnings)]
    return sorted(reports, key=lambda r: (r.task, r.model,
                                          (r.protocol or Protocol(None)).order()))
