"""The per-sample protocol: plain generation, then (depending on the mode) a second one.

- ``plain``: the plain prompt only.
- ``self`` (the paper's protocol): plain generation; if it is correct, constraints are
  extracted from that output and the constrained prompt is asked in a fresh conversation.
- ``reference``: constraints come from the item's reference solution; the constrained
  prompt is asked for every item that has constraints, whatever the plain verdict.
- ``placebo``: like ``self``, but the plain prompt is followed by a neutral text of the same
  length instead of the constraints.
- ``retest``: like ``self``, but the plain prompt itself is asked again.

Everything the scorer needs is written to the sample store (see
:mod:`sustain_tasks._inspect.context`), so scoring never repeats a generation.

Constraint extraction, like verification, runs in a worker thread: its work grows with the
length of the output, and the event loop keeps serving the other samples meanwhile.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import anyio
from inspect_ai.model import ChatMessageUser
from inspect_ai.solver import Generate, Solver, TaskState, solver

from sustain_tasks.benchmarks import Item, get_benchmark
from sustain_tasks.constraints import Constraint
from sustain_tasks.protocol import Mode, Variant, constrained_prompt, placebo_prompt

from .context import META_ITEM_ID, STORE_KEY
from .dataset import item_index
from .errors import located_errors
from .verdicts import verify, verify_async

__all__ = ["SECOND_VARIANT", "sample_item_id", "sustain_solver"]

SECOND_VARIANT: dict[Mode, Variant | None] = {
    "plain": None,
    "self": "constrained",
    "reference": "constrained",
    "placebo": "placebo",
    "retest": "retest",
}
"""The variant of the second generation in each mode."""


def sample_item_id(state: TaskState) -> str:
    """The benchmark item id of a sample (its metadata, else the sample id)."""
    metadata = state.metadata or {}
    return str(metadata.get(META_ITEM_ID, state.sample_id))


@solver
def sustain_solver(
    benchmark: str,
    mode: Mode = "self",
    k: int = 1,
    kinds: list[str] | None = None,
    seed: int = 0,
    data_dir: str | None = None,
    sandbox: str | None = None,
    grader: bool = False,
) -> Solver:
    """Run the SustainScore protocol of ``mode`` on each sample of ``benchmark``.

    Args:
        benchmark: Benchmark name (``gsm8k``, ...).
        mode: ``self``, ``reference``, ``plain``, ``placebo`` or ``retest``.
        k: Constraints per item (1..3).
        kinds: Constraint ids and/or categories; None uses the benchmark's default.
        seed: Seed of every choice made during constraint extraction.
        data_dir: Local data folder (else ``$SUSTAIN_DATA_DIR``, else the hub).
        sandbox: Run code benchmarks' tests in this Inspect sandbox (None: the package's own
            isolated runner).
        grader: Let the grader model decide plain verdicts the rules leave open (so S is
            decided as the scorer will judge).
    """
    bench = get_benchmark(benchmark)
    second_variant = SECOND_VARIANT[mode]
    reference_constraints: dict[str, list[Constraint]] = {}

    def constraints_from_reference(item: Item) -> list[Constraint]:
        """The item's constraints from its reference, extracted once (runs in a worker
        thread; two samples of one item may both extract, with the same result)."""
        found = reference_constraints.get(item.id)
        if found is None:
            found = bench.constraints_for(item, item.reference, k=k, kinds=kinds, seed=seed)
            found = reference_constraints.setdefault(item.id, found)
        return found

    def self_constraints(item: Item, output: str) -> tuple[bool, list[Constraint]]:
        """The verdict of an output and, when correct, its constraints (in a worker
        thread)."""
        if not verify(bench, output, item.target, item).correct:
            return False, []
        return True, bench.constraints_for(item, output, k=k, kinds=kinds, seed=seed)

    def save(state: TaskState, record: dict[str, Any]) -> None:
        state.store.set(STORE_KEY, dict(record))

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        with located_errors():
            item = item_index(bench, data_dir).get(sample_item_id(state))
        plain = bench.prompt(item)
        record: dict[str, Any] = {
            "task": bench.name, "item_id": item.id, "mode": mode, "data_dir": data_dir,
            "k": k, "kinds": kinds, "seed": seed, "variant": "plain",
            "plain_prompt": plain, "plain_output": None, "constraint_source": None,
            "constraints": [], "second_variant": None, "second_prompt": None,
            "second_output": None,
        }
        save(state, record)  # the offline models read the item and variant from the store
        state = await generate(state)
        plain_output = state.output.completion
        record["plain_output"] = plain_output
        if second_variant is None or state.completed:
            save(state, record)
            return state

        constraints: Sequence[Constraint]
        if mode == "reference":
            constraints = await anyio.to_thread.run_sync(constraints_from_reference, item)
            record["constraint_source"] = "reference"
        elif sandbox is None and not grader:
            # the verdict and the extraction in one trip to a worker thread
            correct, constraints = await anyio.to_thread.run_sync(self_constraints, item,
                                                                  plain_output)
            record["constraint_source"] = "self" if correct else None
        elif (await verify_async(bench, plain_output, item.target, item, sandbox,
                                 grader)).correct:
            constraints = await anyio.to_thread.run_sync(functools.partial(
                bench.constraints_for, item, plain_output, k=k, kinds=kinds, seed=seed))
            record["constraint_source"] = "self"
        else:
            constraints = []
        record["constraints"] = [c.to_record() for c in constraints]
        if not constraints:
            save(state, record)
            return state

        if second_variant == "constrained":
            prompt = constrained_prompt(plain, constraints)
        elif second_variant == "placebo":
            prompt = placebo_prompt(plain, constraints, key=item.id)
        else:
            prompt = plain
        record.update(variant=second_variant, second_variant=second_variant,
                      second_prompt=prompt)
        save(state, record)
        state.messages = [ChatMessageUser(content=prompt)]  # a fresh conversation
        state = await generate(state)
        record["second_output"] = state.output.completion
        save(state, record)
        return state

    return solve
