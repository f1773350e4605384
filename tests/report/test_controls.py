"""Self mode with controls: constrained vs retest/placebo (exact McNemar on the items of S
both ran) and the paired bootstrap of adjusted interference."""

from __future__ import annotations

import json
import random

import pytest

from sustain_tasks.report.formats import render
from sustain_tasks.report.readers import RunInfo, SampleRow
from sustain_tasks.report.score import score_rows
from sustain_tasks.report.stats import mcnemar_exact, sustain_difference
from tests.requires import need


def _row(sid: str, variant: str, correct: bool, *, run: str, mode: str,
         info: RunInfo | None = None, kinds: tuple[str, ...] = ()) -> SampleRow:
    return SampleRow(model="m", task="gsm8k", sample_id=sid, variant=variant,  # type: ignore[arg-type]
                     correct=correct, compliant=True if variant == "constrained" else None,
                     kinds=kinds, categories=tuple(k.split(":")[0] for k in kinds),
                     n_constraints=1 if variant == "constrained" else None, mode=mode,
                     harness="inspect", run=run, created=1.0,
                     run_info=info or RunInfo(mode=mode, k=1, seed=0))


def self_run(kept: list[bool], *, run: str = "self.eval") -> list[SampleRow]:
    """A self-mode log: every item plain-correct; constrained correct as ``kept`` says."""
    info = RunInfo(mode="self", k=1, seed=0)
    rows = []
    for i, ok in enumerate(kept):
        rows.append(_row(str(i), "plain", True, run=run, mode="self", info=info))
        rows.append(_row(str(i), "constrained", ok, run=run, mode="self", info=info,
                         kinds=("length:max_words",)))
    return rows


def control_run(variant: str, plain: list[bool], kept: dict[int, bool], *,
                k: int = 1, kinds: str | None = None, seed: int = 0) -> list[SampleRow]:
    """A retest/placebo log: its own plain verdicts, and the control on ``kept``'s items."""
    info = RunInfo(mode=variant, k=k, kinds=kinds, seed=seed)
    run = f"{variant}-{k}-{kinds}-{seed}.eval"
    rows = [_row(str(i), "plain", ok, run=run, mode=variant, info=info)
            for i, ok in enumerate(plain)]
    rows += [_row(str(i), variant, ok, run=run, mode=variant, info=info)
             for i, ok in kept.items()]
    return rows


def test_retest_mcnemar_by_hand() -> None:
    # S = 0..9; constrained keeps 0..5; the retest ran on 0..7 (8, 9 were wrong in its own
    # plain run) and kept all but 7
    kept = [i < 6 for i in range(10)]
    retest = control_run("retest", [i < 8 for i in range(10)], {i: i != 7 for i in range(8)})
    [report] = score_rows(self_run(kept) + retest)
    test = report.control_tests["retest"]
    # paired items 0..7: retest right & constrained wrong = {6}; the reverse = none
    assert (test.n_paired, test.control_only, test.constrained_only) == (8, 1, 0)
    assert test.p == mcnemar_exact(1, 0) == 1.0
    d = report.to_dict()
    assert d["retest_n_paired"] == 8
    assert d["retest_discordant"] == {"control_only": 1, "constrained_only": 0}
    assert d["retest_mcnemar_p"] == 1.0
    assert d["placebo_n_paired"] == 0
    assert d["placebo_mcnemar_p"] is None
    assert d["placebo_discordant"] is None
    # the self-mode plain-vs-constrained test stays null, as before
    assert d["mcnemar_p"] is None
    assert d["mcnemar_note"]


def test_control_p_values_match_scipy() -> None:
    stats = need("scipy.stats")
    rng = random.Random(7)
    for _ in range(40):
        n = rng.randrange(5, 60)
        kept = [rng.random() < 0.6 for _ in range(n)]
        again = {i: rng.random() < 0.85 for i in range(n) if rng.random() < 0.9}
        [report] = score_rows(self_run(kept) + control_run("retest", [True] * n, again))
        test = report.control_tests["retest"]
        b = sum(1 for i, ok in again.items() if ok and not kept[i])
        c = sum(1 for i, ok in again.items() if kept[i] and not ok)
        assert (test.control_only, test.constrained_only) == (b, c)
        if b + c:
            expected = stats.binomtest(min(b, c), b + c, 0.5).pvalue
            assert test.p == pytest.approx(expected, rel=1e-12, abs=1e-300)
        else:
            assert test.p == 1.0


def test_placebo_joins_only_its_own_protocol_retest_joins_any() -> None:
    kept = [i < 3 for i in range(6)]
    placebo_other = control_run("placebo", [True] * 6, dict.fromkeys(range(6), True), k=2)
    retest_other = control_run("retest", [True] * 6, dict.fromkeys(range(6), True), k=2,
                               kinds="length", seed=5)
    reports = score_rows(self_run(kept) + placebo_other + retest_other)
    # the placebo of k=2 makes a report of its own; the retest controls the k=1 report
    mine = next(r for r in reports if r.protocol is not None and r.protocol.k == 1)
    assert mine.sustain.n == 6
    assert mine.control_tests["retest"].n_paired == 6
    assert "placebo" not in mine.control_tests
    assert mine.to_dict()["retest_discordant"] == {"control_only": 3, "constrained_only": 0}
    other = next(r for r in reports if r.protocol is not None and r.protocol.k == 2)
    assert other.placebo.n == 6
    assert other.sustain.n == 0
    assert "placebo" not in other.control_tests  # no constrained variant: nothing paired


def test_placebo_of_the_same_protocol_is_tested() -> None:
    kept = [i % 2 == 0 for i in range(12)]
    placebo = control_run("placebo", [True] * 12, dict.fromkeys(range(12), True))
    [report] = score_rows(self_run(kept) + placebo)
    d = report.to_dict()
    assert d["placebo_n_paired"] == 12
    assert d["placebo_discordant"] == {"control_only": 6, "constrained_only": 0}
    assert d["placebo_mcnemar_p"] == mcnemar_exact(6, 0)


def test_adjusted_interference_bootstrap() -> None:
    kept = [i % 3 != 0 for i in range(30)]  # SustainScore 20/30
    retest = control_run("retest", [i != 29 for i in range(30)],
                         {i: i % 10 != 0 for i in range(29)})  # 26/29
    rows = self_run(kept) + retest
    [report] = score_rows(rows, n_boot=500, seed=3)
    boot = report.adjusted_ci
    assert boot is not None
    assert report.adjusted_interference == pytest.approx(26 / 29 - 20 / 30)
    # the same seeded bootstrap --compare uses, over (in base, kept) pairs of each run
    a = {str(i): (i != 29, i != 29 and i % 10 != 0) for i in range(30)}
    b = {str(i): (True, kept[i]) for i in range(30)}
    assert boot == sustain_difference(a, b, n_boot=500, seed=3)
    assert boot.estimate == pytest.approx(26 / 29 - 20 / 30)
    assert boot.ci_low is not None
    assert boot.ci_high is not None
    assert boot.ci_low < boot.estimate < boot.ci_high
    d = report.to_dict()
    assert (d["adjusted_interference_ci_low"], d["adjusted_interference_ci_high"]) == \
        (boot.ci_low, boot.ci_high)
    assert d["adjusted_interference_bootstrap"] == {
        "estimate": boot.estimate, "n_items": 30, "n_boot": 500, "n_valid": 500, "seed": 3}
    # seeded: the same inputs give the same bytes; another seed another interval
    assert render(score_rows(rows, n_boot=500, seed=3), "json") == render([report], "json")
    [other] = score_rows(rows, n_boot=500, seed=4)
    assert other.adjusted_ci != boot


def test_reference_mode_keeps_plain_vs_constrained_mcnemar() -> None:
    info = RunInfo(mode="reference", k=1, seed=0)
    rows = []
    for i in range(10):
        rows.append(_row(str(i), "plain", i < 7, run="ref.eval", mode="reference", info=info))
        rows.append(_row(str(i), "constrained", i < 4 or i == 8, run="ref.eval",
                         mode="reference", info=info, kinds=("length:max_words",)))
    [report] = score_rows(rows)
    d = json.loads(render([report], "json"))
    assert (d["mcnemar_b"], d["mcnemar_c"]) == (3, 1)
    assert d["mcnemar_p"] == mcnemar_exact(3, 1)
    assert d["retest_mcnemar_p"] is None
    assert d["adjusted_interference_ci_low"] is None


def test_text_and_markdown_show_the_control_tests() -> None:
    # S = 0..19, constrained keeps the even items; retest keeps all; placebo keeps 0..14
    kept = [i % 2 == 0 for i in range(20)]
    retest = control_run("retest", [True] * 20, dict.fromkeys(range(20), True))
    placebo = control_run("placebo", [True] * 20, {i: i < 15 for i in range(20)})
    [report] = score_rows(self_run(kept) + retest + placebo, n_boot=300)
    d = report.to_dict()
    assert d["retest_mcnemar_p"] == mcnemar_exact(10, 0)
    assert d["placebo_mcnemar_p"] == mcnemar_exact(7, 2)  # odd < 15; even >= 15
    ci = f"[{d['adjusted_interference_ci_low']:+.3f}, {d['adjusted_interference_ci_high']:+.3f}]"
    for fmt in ("table", "md"):
        text = render([report], fmt)
        head = text.splitlines()[0]
        assert "vs retest: McNemar p" in head
        assert "vs placebo: McNemar p" in head
        assert "adj. interference [95% CI]" in head
        assert f"{d['adjusted_interference']:+.3f} {ci}" in text
        assert " 0.002 " in text or "| 0.002 |" in text  # 2 / 2**10
        assert f"{d['placebo_mcnemar_p']:.3f}" in text
    # without a control, no such column
    [alone] = score_rows(self_run(kept))
    assert "McNemar p" in render([alone], "md")
    assert "vs retest" not in render([alone], "md")


def test_adjusted_interference_interval_holds_its_value_when_the_retest_ran_fewer_items() -> None:
    """A retest over part of S: the interval is about the reported value (retest retention
    over its own items − SustainScore over S), not about the items both runs share."""
    kept = [i < 10 for i in range(20)]  # SustainScore 10/20
    retest = control_run("retest", [True] * 10, dict.fromkeys(range(10), True))  # 10/10
    [report] = score_rows(self_run(kept) + retest, n_boot=500, seed=0)
    boot = report.adjusted_ci
    assert report.adjusted_interference == pytest.approx(1.0 - 0.5)
    assert boot is not None
    assert boot.estimate == pytest.approx(report.adjusted_interference)
    assert boot.n_items == 20
    assert boot.ci_low is not None
    assert boot.ci_high is not None
    assert boot.ci_low < report.adjusted_interference < boot.ci_high
