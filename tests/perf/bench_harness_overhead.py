"""Per-sample harness overhead: the sustain GSM8K tasks against plain tasks on the same data.

Usage::

    python tests/perf/bench_harness_overhead.py [--data-dir DIR] [--part inspect|lm_eval|both] \
        [--sizes 50 250] [--lm-eval-sizes 50 650] [--repeats 3] [--out tests/perf/RESULTS.md]

The data folder is ``--data-dir`` or, without it, ``$SUSTAIN_DATA_DIR`` (one of the two is
required); it must hold ``gsm8k/test.jsonl``. Nothing is downloaded: the hub is put offline.

Inspect (in-process, ``inspect_ai.eval(..., display="none", log_dir=<temporary folder>)``), all
with the instant offline model ``sustain/reference`` (it answers each item's reference
solution):

- sustain: ``sustain_tasks.gsm8k`` in self mode (plain generation, constraints extracted from
  the correct answer, constrained generation in a fresh conversation, the sustain scorer);
- plain: ``Task(dataset=<the same samples>, solver=generate(), scorer=match())``;
- plain, two generations: the same with ``solver=[generate(), generate()]`` (for context
  only: what a second generation costs in Inspect itself).

lm-eval (in-process, ``lm_eval.simple_evaluate(..., log_samples=True)``), both against the same
instant OpenAI-style ``/v1/completions`` server on the loopback interface (a thread of this
process, like the ``completion_server`` fixture of ``tests/lm_eval/conftest.py``: it answers
each prompt with the item's reference solution, cut at the request's stop strings), with
``local-completions``, ``tokenizer_backend=none,tokenized_requests=False,num_concurrent=1``:

- sustain: the ``sustain_gsm8k`` group (``sustain_gsm8k_plain`` and
  ``sustain_gsm8k_constrained``, reference mode) from
  ``sustain_tasks.lm_eval.task_manager()``;
- gsm8k: lm-eval's own ``gsm8k`` task (``lm_eval/tasks/gsm8k/gsm8k.yaml`` of the installed
  package, 5-shot) through a YAML in a temporary folder that ``include``s it and overrides only
  the dataset, to the local file (``dataset_path: json``, ``data_files`` ``test`` and
  ``train``: the local folder has no train split, and the task draws its 5 few-shot examples
  from ``train``, so ``train`` names the same file).

Per-sample (Inspect) and per-request (lm-eval) costs are slopes between two sizes
(``--sizes``, default 50 and 250 items, for Inspect; ``--lm-eval-sizes``, default 50 and 650,
for lm-eval; given as ``limit``): (median time at the large size - median time at the small
size) / (difference in samples or in requests). One-time start-up (task loading, imports,
dataset building) cancels out; it is reported separately as the intercept. Each (task, size)
runs ``--repeats`` times, in interleaved order, after one untimed warm-up run of each task.
Wall time (``time.perf_counter``) and this process's CPU time (``time.process_time``: every
part of these runs, model and server included, is in this process) are both reported: the
machine is shared, and CPU time is far less sensitive to the other jobs. For lm-eval also the
wall time without task building (``TaskManager.load``). Results are printed and written to
their own sections of the Markdown report (``# Harness overhead, Inspect ...`` and
``# Harness overhead, lm-eval ...``), replacing those sections when they exist and keeping the
rest of the file.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "verifiers")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TQDM_DISABLE", "1")

from _report import write_section  # noqa: E402 - beside this script

from sustain_tasks.benchmarks import Item, get_benchmark  # noqa: E402
from sustain_tasks.benchmarks.data import DATA_DIR_ENV  # noqa: E402
from sustain_tasks.protocol import CONSTRAINT_HEADER  # noqa: E402

INSPECT_TITLE = "# Harness overhead, Inspect: sustain_tasks.gsm8k (self mode) vs a plain task"
LM_EVAL_TITLE = "# Harness overhead, lm-eval: sustain_gsm8k vs lm-eval's gsm8k"
INSPECT_TARGET_MS = 5.0
"""Target: the sustain task costs at most this much more per sample than the plain task."""


# -- shared ---------------------------------------------------------------------------------
def command_output(*cmd: str) -> str:
    try:
        return subprocess.run(list(cmd), capture_output=True, text=True, check=False,
                              timeout=30).stdout.strip()
    except OSError:
        return "unavailable"


def load1() -> float:
    return os.getloadavg()[0]


def loads() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def ms(seconds: float) -> str:
    return f"{1000 * seconds:.2f} ms"


MEASURES = {
    "wall": "wall time",
    "cpu": "CPU time of this process (`time.process_time`, all threads)",
    "eval": "wall time minus task building",
    "build": "task building (`TaskManager.load`)",
}


@dataclass
class Runs:
    """Timed runs of one task at each size: seconds per measure (``wall``, ``cpu``, ...), work
    units (samples or requests), and the 1-minute load average read before each run."""

    seconds: dict[str, dict[int, list[float]]] = field(default_factory=dict)
    units: dict[int, set[int]] = field(default_factory=dict)
    load: list[float] = field(default_factory=list)

    def add(self, size: int, units: int, load: float, **seconds: float) -> None:
        for measure, value in seconds.items():
            self.seconds.setdefault(measure, {}).setdefault(size, []).append(value)
        self.units.setdefault(size, set()).add(units)
        self.load.append(load)

    def median(self, size: int, measure: str = "wall") -> float:
        return statistics.median(self.seconds[measure][size])

    def n_units(self, size: int) -> int:
        values = self.units[size]
        if len(values) != 1:
            raise RuntimeError(f"work units differ between repeats at size {size}: {values}")
        return next(iter(values))

    def slope(self, small: int, large: int, measure: str = "wall") -> float:
        """Seconds per work unit between the two sizes (medians of the repeats)."""
        return ((self.median(large, measure) - self.median(small, measure))
                / (self.n_units(large) - self.n_units(small)))

    def intercept(self, small: int, large: int, measure: str = "wall") -> float:
        """Seconds of a run with no work: the one-time part of each run."""
        return self.median(small, measure) - self.slope(small, large, measure) * self.n_units(
            small)

    def repeat_slopes(self, small: int, large: int, measure: str = "wall") -> list[float]:
        """The slope of each repeat alone (pairing the i-th run of each size)."""
        du = self.n_units(large) - self.n_units(small)
        runs = self.seconds[measure]
        return [(b - a) / du for a, b in zip(runs[small], runs[large], strict=True)]

    def load_range(self) -> str:
        return f"{min(self.load):.2f}-{max(self.load):.2f}"


def header(say: Callable[..., None], title: str, argv: Sequence[str], extra: str) -> None:
    command = ("PYTHONPATH=$PWD:$PWD/verifiers SUSTAIN_DATA_DIR=... HF_HUB_OFFLINE=1 python "
               + " ".join([os.path.relpath(__file__, REPO), *argv]))
    say(title)
    say()
    say(f"- date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    say(f"- machine: {platform.machine()}, nproc {command_output('nproc')}, Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}; {extra}")
    say(f"- load average at start (1, 5, 15 min): {loads()} (other jobs share the machine)")
    say(f"- command: `{command}` (from the repository root)")


def table(say: Callable[..., None], rows: Sequence[tuple[str, Runs]], small: int, large: int,
          unit: str, measures: Sequence[str]) -> None:
    """One row per task and measure."""
    say(f"| task | measure | {unit}s at {small} / {large} items | median s at {small} | "
        f"median s at {large} | all runs (s), {small}; {large} | **per {unit} (slope of the "
        f"medians)** | slope of each repeat | one-time part (intercept) | 1-min load during "
        f"runs |")
    say("|---|---|---|---|---|---|---|---|---|---|")
    for name, runs in rows:
        for measure in measures:
            every = "; ".join(", ".join(f"{s:.2f}" for s in runs.seconds[measure][size])
                              for size in (small, large))
            each = ", ".join(f"{1000 * s:.1f}" for s in runs.repeat_slopes(small, large, measure))
            say(f"| {name} | {MEASURES[measure]} | {runs.n_units(small)} / "
                f"{runs.n_units(large)} | {runs.median(small, measure):.2f} | "
                f"{runs.median(large, measure):.2f} | {every} | "
                f"**{ms(runs.slope(small, large, measure))}** | {each} ms | "
                f"{runs.intercept(small, large, measure):.2f} s | {runs.load_range()} |")


@contextmanager
def quiet_logs() -> Iterator[None]:
    """Keep the libraries' INFO and WARNING chatter out of the benchmark's output."""
    root = logging.getLogger()
    saved = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(saved)


# -- Inspect -------------------------------------------------------------------------------
def bench_inspect(args: argparse.Namespace, items: list[Item],
                  say: Callable[..., None]) -> bool:
    import inspect_ai
    from inspect_ai import Task
    from inspect_ai.scorer import match
    from inspect_ai.solver import generate

    from sustain_tasks.constraints import assess
    from sustain_tasks.gsm8k import gsm8k
    from sustain_tasks.protocol import constrained_prompt

    small, large = args.sizes
    bench = get_benchmark("gsm8k")
    samples = list(gsm8k().dataset)  # the sustain task's own samples

    def sustain_task() -> Task:
        return gsm8k()  # mode "self", k 1, default kinds, seed 0

    def plain_task() -> Task:
        return Task(dataset=samples, solver=generate(), scorer=match(), name="plain_gsm8k")

    def plain_twice() -> Task:
        return Task(dataset=samples, solver=[generate(), generate()], scorer=match(),
                    name="plain_gsm8k_twice")

    tasks: dict[str, Callable[[], Task]] = {
        "sustain": sustain_task, "plain": plain_task, "plain, two generations": plain_twice}
    runs = {name: Runs() for name in tasks}
    generations_seen: dict[str, dict[int, set[int]]] = {name: {} for name in tasks}
    checks: dict[str, dict[int, str]] = {name: {} for name in tasks}

    def run(name: str, size: int) -> tuple[float, float, int, str]:
        task = tasks[name]()
        with tempfile.TemporaryDirectory(prefix="bench-inspect-") as log_dir, quiet_logs():
            cpu = time.process_time()
            start = time.perf_counter()
            logs = inspect_ai.eval(task, model="sustain/reference", limit=size,
                                   display="none", log_dir=log_dir)
            seconds = time.perf_counter() - start
            cpu = time.process_time() - cpu
        log = logs[0]
        if log.status != "success" or log.results is None:
            raise RuntimeError(f"{name} at {size}: {log.status} {log.error}")
        metrics = {k: m.value for s in log.results.scores for k, m in s.metrics.items()}
        if name == "sustain":
            generations = size + int(metrics["n_sustain"])
            check = (f"plain_accuracy {metrics['plain_accuracy']:.3f}, sustain_score "
                     f"{metrics['sustain_score']:.3f}, n_sustain {int(metrics['n_sustain'])}")
        else:
            generations = size * (2 if "two" in name else 1)
            check = f"accuracy {metrics['accuracy']:.3f}"
        return seconds, cpu, generations, check

    for name in tasks:  # warm-up: imports, the item index, the verifier's first calls
        run(name, 10)
    for _ in range(args.repeats):
        for size in (small, large):
            for name in tasks:
                load = load1()
                seconds, cpu, generations, check = run(name, size)
                runs[name].add(size, size, load, wall=seconds, cpu=cpu)
                generations_seen[name].setdefault(size, set()).add(generations)
                checks[name][size] = check
                print(f"  inspect {name} {size}: {seconds:.2f} s, CPU {cpu:.2f} s "
                      f"({generations} generations, load {load:.2f})", flush=True)

    # where the sustain task's own per-sample work goes, outside Inspect (same items)
    parts: dict[str, list[float]] = {"verify (one call)": [], "constraints_for": [],
                                     "constrained_prompt": [], "assess": []}
    for item in items[:large]:
        t0 = time.perf_counter()
        bench.verify(item.reference, item.target, item)
        t1 = time.perf_counter()
        constraints = bench.constraints_for(item, item.reference, k=1, seed=0)
        t2 = time.perf_counter()
        constrained_prompt(bench.prompt(item), constraints)
        t3 = time.perf_counter()
        assess(constraints, item.reference)
        t4 = time.perf_counter()
        for key, dt in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            parts[key].append(dt)

    sus, plain, twice = runs["sustain"], runs["plain"], runs["plain, two generations"]
    gens: dict[str, dict[int, int]] = {}
    for name, by_size in generations_seen.items():
        if any(len(seen) != 1 for seen in by_size.values()):
            raise RuntimeError(f"{name}: generations differ between repeats: {by_size}")
        gens[name] = {size: next(iter(seen)) for size, seen in by_size.items()}
    per_sample = {(name, m): r.slope(small, large, m) for name, r in runs.items()
                  for m in ("wall", "cpu")}
    per_gen = {(name, m): (r.median(large, m) - r.median(small, m))
               / (gens[name][large] - gens[name][small])
               for name, r in runs.items() for m in ("wall", "cpu")}
    diff = {m: per_sample["sustain", m] - per_sample["plain", m] for m in ("wall", "cpu")}
    met = {m: 1000 * diff[m] <= INSPECT_TARGET_MS for m in ("wall", "cpu")}

    say(f"- inspect_ai {inspect_ai.__version__}; model `sustain/reference` (instant, offline); "
        f"`inspect_ai.eval(task, model=..., limit=N, display=\"none\", log_dir=<temporary>)` "
        f"in this process")
    say(f"- sizes {small} and {large} items (`limit`), {args.repeats} repeats each, "
        f"interleaved, after one untimed warm-up run of each task at 10 items; per-sample cost "
        f"= slope between the two sizes of the medians (start-up excluded by the slope, not "
        f"by the warm-up alone); wall time and this process's CPU time (everything runs in "
        f"this process: the model, the solver, the scorers; CPU time is far less sensitive to "
        f"the other jobs on the machine)")
    say("- plain task: `Task(dataset=<the sustain task's samples>, solver=generate(), "
        "scorer=match())`; the two-generation row adds a second `generate()` (context only)")
    say()
    table(say, list(runs.items()), small, large, "sample", ("wall", "cpu"))
    say()
    say(f"| task | generations at {small} / {large} | per generation, wall (slope) | "
        f"per generation, CPU (slope) |")
    say("|---|---|---|---|")
    for name in runs:
        say(f"| {name} | {gens[name][small]} / {gens[name][large]} | "
            f"{ms(per_gen[name, 'wall'])} | {ms(per_gen[name, 'cpu'])} |")
    say()
    say(f"- sanity: sustain {checks['sustain'][large]}; plain {checks['plain'][large]}; "
        f"two generations {checks['plain, two generations'][large]} (at {large} items)")
    say(f"- target: the sustain task costs <= {INSPECT_TARGET_MS:g} ms/sample more than the "
        f"plain task")
    say(f"- **sustain - plain, per sample, wall time: {ms(diff['wall'])}: target "
        f"{'met' if met['wall'] else 'NOT met'}**")
    say(f"- **sustain - plain, per sample, CPU time: {ms(diff['cpu'])}: target "
        f"{'met' if met['cpu'] else 'NOT met'}**")
    say(f"- per generation (self mode makes {gens['sustain'][large] / large:.2f} generations "
        f"per sample here: every reference answer is correct, so every item is in S): wall "
        f"sustain {ms(per_gen['sustain', 'wall'])} vs plain {ms(per_gen['plain', 'wall'])}, "
        f"difference {ms(per_gen['sustain', 'wall'] - per_gen['plain', 'wall'])}; CPU sustain "
        f"{ms(per_gen['sustain', 'cpu'])} vs plain {ms(per_gen['plain', 'cpu'])}, difference "
        f"{ms(per_gen['sustain', 'cpu'] - per_gen['plain', 'cpu'])}")
    second = {m: per_sample["plain, two generations", m] - per_sample["plain", m]
              for m in ("wall", "cpu")}
    say(f"- floor: Inspect's own cost of a second generation (plain with two generations - "
        f"plain, per sample), which self mode cannot avoid: wall {ms(second['wall'])}, CPU "
        f"{ms(second['cpu'])}; the target leaves {INSPECT_TARGET_MS - 1000 * second['cpu']:.2f} "
        f"ms CPU per sample for everything else the task does")
    say(f"- **the task's own overhead (a context row, not the target): sustain - plain with two "
        f"generations, per sample: wall "
        f"{ms(per_sample['sustain', 'wall'] - per_sample['plain, two generations', 'wall'])}, "
        f"CPU {ms(per_sample['sustain', 'cpu'] - per_sample['plain, two generations', 'cpu'])}**")
    say(f"- one-time part of a run (intercept, wall): sustain "
        f"{sus.intercept(small, large):.2f} s, plain {plain.intercept(small, large):.2f} s, "
        f"two generations {twice.intercept(small, large):.2f} s")
    say(f"- the sustain task's own per-sample work, measured alone on the first {large} items' "
        f"reference solutions (medians / means): "
        + "; ".join(f"`{k}` {ms(statistics.median(v))} / {ms(statistics.fmean(v))}"
                    for k, v in parts.items())
        + ". A self-mode sample makes 3 verify calls (the solver's on the plain output, the "
          "scorer's on both outputs), 1 extraction and 1 assessment")
    say(f"- load average at end: {loads()}")
    say()
    return met["wall"]


# -- lm-eval ----------------------------------------------------------------------------------
@dataclass
class Server:
    """An instant ``/v1/completions`` server answering GSM8K prompts with reference solutions:
    the sustain prompts (plain, or plain + constraint block) and lm-eval's ``Question: ...
    Answer:`` prompts (the last question of a few-shot prompt)."""

    by_prompt: dict[str, str]
    by_question: dict[str, str]
    url: str = ""
    requests: int = 0
    unknown: int = 0

    def answer(self, prompt: str, stop: list[str]) -> str:
        text = self.by_prompt.get(prompt.partition("\n\n" + CONSTRAINT_HEADER)[0])
        if text is None:
            question = prompt.rpartition("Question: ")[2].rpartition("\nAnswer:")[0]
            text = self.by_question.get(question)
        if text is None:
            self.unknown += 1
            text = "#### 0"
        for s in stop:
            if s and s in text:
                text = text[: text.index(s)]
        return text


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            server.requests += 1
            prompts = body["prompt"] if isinstance(body["prompt"], list) else [body["prompt"]]
            stop = body.get("stop") or []
            stop = [stop] if isinstance(stop, str) else stop
            choices = [{"index": i, "text": server.answer(p, stop), "finish_reason": "stop"}
                       for i, p in enumerate(prompts)]
            payload = json.dumps({"id": "cmpl-bench", "object": "text_completion",
                                  "model": body.get("model"), "choices": choices}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, fmt: str, *args: Any) -> None:
            del fmt, args

    return Handler


@contextmanager
def serving(items: Sequence[Item]) -> Iterator[Server]:
    bench = get_benchmark("gsm8k")
    server = Server(by_prompt={bench.prompt(it): it.reference for it in items},
                    by_question={it.question: it.reference for it in items})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1/completions"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def lm_eval_gsm8k_yaml(folder: Path, data_file: Path) -> Path:
    """A task file that includes lm-eval's own gsm8k.yaml and changes only its dataset."""
    import lm_eval

    own = Path(lm_eval.__file__).resolve().parent / "tasks" / "gsm8k" / "gsm8k.yaml"
    if not own.is_file():
        raise FileNotFoundError(own)
    path = folder / "gsm8k_local.yaml"
    path.write_text(
        f"include: {json.dumps(str(own))}\n"
        "dataset_path: json\n"
        "dataset_name: null\n"
        "dataset_kwargs:\n"
        "  data_files:\n"
        f"    test: {json.dumps(str(data_file))}\n"
        f"    train: {json.dumps(str(data_file))}\n", encoding="utf-8")
    return path


def time_task_building(manager: Any, total: list[float]) -> None:
    """Add the seconds ``manager.load`` takes (``simple_evaluate`` builds its tasks there) to
    ``total[0]``."""
    load = manager.load

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return load(*args, **kwargs)
        finally:
            total[0] += time.perf_counter() - start

    setattr(manager, "load", timed)  # noqa: B010 - an instance attribute over the method


def bench_lm_eval(args: argparse.Namespace, items: list[Item],
                  say: Callable[..., None]) -> None:
    import lm_eval
    from lm_eval.tasks import TaskManager

    from sustain_tasks.lm_eval import task_manager

    small, large = args.lm_eval_sizes
    data_file = Path(args.data_dir) / "gsm8k" / "test.jsonl"
    with tempfile.TemporaryDirectory(prefix="bench-lm-eval-") as folder, \
            serving(items) as server:
        lm_eval_gsm8k_yaml(Path(folder), data_file)
        own = TaskManager(include_path=folder, include_defaults=False)
        managers: dict[str, tuple[Any, str, dict[str, Any]]] = {
            "sustain_gsm8k (plain + constrained)": (
                task_manager(metadata={"data_dir": str(args.data_dir)}), "sustain_gsm8k", {}),
            "gsm8k (lm-eval's own, 5-shot)": (own, "gsm8k", {}),
            "gsm8k, 0-shot (context only)": (own, "gsm8k", {"num_fewshot": 0}),
        }
        model_args = (f"model=loopback,base_url={server.url},tokenizer_backend=none,"
                      "tokenized_requests=False,num_concurrent=1,max_retries=1")
        runs = {name: Runs() for name in managers}
        checks: dict[str, str] = {}
        build = [0.0]
        for manager in {id(m): m for m, _, _ in managers.values()}.values():
            time_task_building(manager, build)

        def run(name: str, size: int) -> tuple[dict[str, float], int, str]:
            manager, task, extra = managers[name]
            before = server.requests
            build[0] = 0.0
            with quiet_logs():
                cpu = time.process_time()
                start = time.perf_counter()
                results = lm_eval.simple_evaluate(
                    model="local-completions", model_args=model_args, tasks=[task],
                    limit=size, task_manager=manager, log_samples=True, **extra)
                seconds = time.perf_counter() - start
                cpu = time.process_time() - cpu
            assert results is not None
            metrics = "; ".join(
                f"{sub}: " + ", ".join(f"{k} {v:.3f}" for k, v in res.items()
                                       if k.split(",")[0] in ("acc", "exact_match",
                                                              "compliance"))
                for sub, res in sorted(results["results"].items()) if res and sub != "alias")
            measured = {"wall": seconds, "cpu": cpu, "eval": seconds - build[0],
                        "build": build[0]}
            return measured, server.requests - before, metrics

        for name in managers:
            run(name, 10)  # warm-up: imports, the datasets cache, the item index
        for _ in range(args.repeats):
            for size in (small, large):
                for name in managers:
                    load = load1()
                    measured, requests, check = run(name, size)
                    runs[name].add(size, requests, load, **measured)
                    checks[name] = check
                    print(f"  lm-eval {name} {size}: {measured['wall']:.2f} s, CPU "
                          f"{measured['cpu']:.2f} s, task building {measured['build']:.2f} s "
                          f"({requests} requests, load {load:.2f})", flush=True)
        unknown = server.unknown

    sus, own, zero = runs.values()
    diff = {m: sus.slope(small, large, m) - own.slope(small, large, m)
            for m in ("wall", "cpu", "eval")}
    diff_zero = {m: sus.slope(small, large, m) - zero.slope(small, large, m)
                 for m in ("wall", "cpu", "eval")}
    say(f"- lm_eval {lm_eval.__version__}; `lm_eval.simple_evaluate(model=\"local-completions\","
        f" model_args=\"...,tokenizer_backend=none,tokenized_requests=False,num_concurrent=1\","
        f" tasks=[...], limit=N, task_manager=..., log_samples=True)` in this process (no "
        f"subprocess), against an instant loopback `/v1/completions` server (a thread of this "
        f"process answering each item's reference solution)")
    say("- sustain: `sustain_tasks.lm_eval.task_manager(metadata={\"data_dir\": ...})`, group "
        "`sustain_gsm8k` (both variants, reference mode; `--limit` applies to each variant)")
    say("- gsm8k: a temporary YAML `include`-ing the installed `lm_eval/tasks/gsm8k/gsm8k.yaml`"
        " with only the dataset changed: `dataset_path: json`, `dataset_name: null`, "
        "`data_files` `test` and `train` = the local `gsm8k/test.jsonl` (there is no local "
        "train split; the task takes its 5 few-shot examples from `train`); the 0-shot row is "
        "the same task with `simple_evaluate(num_fewshot=0)`, for context (prompts as short as "
        "the sustain ones)")
    say(f"- sizes {small} and {large} items, {args.repeats} repeats each, interleaved, after one "
        f"untimed warm-up run of each task at 10 items; per-request cost = slope of the "
        f"medians between the two sizes (requests counted by the server, one prompt each); "
        f"measured: wall time, this process's CPU time (the server thread included, the same "
        f"for both), and wall time minus the time `simple_evaluate` spends in "
        f"`TaskManager.load` (task building, which for the sustain tasks builds the documents "
        f"of the whole dataset whatever the limit: its run-to-run noise otherwise swamps the "
        f"slope)")
    say()
    table(say, list(runs.items()), small, large, "request", ("wall", "cpu", "eval", "build"))
    say()
    say(f"- sanity at {large} items: " + " | ".join(f"{n}: {c}" for n, c in checks.items())
        + f"; prompts the server did not recognise: {unknown}")
    say(f"- **sustain - gsm8k, per request: wall {ms(diff['wall'])}, CPU {ms(diff['cpu'])}, "
        f"wall without task building {ms(diff['eval'])}** (no target was set for lm-eval; "
        f"reported for information); against the 0-shot gsm8k: wall {ms(diff_zero['wall'])}, "
        f"CPU {ms(diff_zero['cpu'])}, wall without task building {ms(diff_zero['eval'])}")
    say(f"- one-time part of a run (intercept, wall): sustain "
        f"{sus.intercept(small, large):.2f} s, gsm8k {own.intercept(small, large):.2f} s; "
        f"task building alone, median over all runs: sustain "
        f"{statistics.median(sus.seconds['build'][small] + sus.seconds['build'][large]):.2f} "
        f"s, gsm8k "
        f"{statistics.median(own.seconds['build'][small] + own.seconds['build'][large]):.2f} s "
        f"(the sustain constrained task extracts constraints from all {len(items)} reference "
        f"solutions at every run, whatever `limit`)")
    say(f"- load average at end: {loads()}")
    say()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get(DATA_DIR_ENV) or None,
                        help=f"folder with gsm8k/test.jsonl (default: ${DATA_DIR_ENV})")
    parser.add_argument("--part", choices=("inspect", "lm_eval", "both"), default="both")
    parser.add_argument("--sizes", type=int, nargs=2, default=[50, 250],
                        metavar=("SMALL", "LARGE"))
    parser.add_argument("--lm-eval-sizes", type=int, nargs=2, default=[50, 650],
                        metavar=("SMALL", "LARGE"),
                        help="sizes of the lm-eval runs (a wider spread than --sizes: the "
                             "sustain group's one-time part is large and noisy)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args(argv)
    if not args.data_dir:
        parser.error(f"give --data-dir or set {DATA_DIR_ENV}")
    if args.repeats < 3:
        parser.error("--repeats must be at least 3")
    for option, (small, large) in (("--sizes", args.sizes),
                                   ("--lm-eval-sizes", args.lm_eval_sizes)):
        if not 0 < small < large:
            parser.error(f"{option}: 0 < SMALL < LARGE")
    os.environ[DATA_DIR_ENV] = str(Path(args.data_dir).resolve())
    args.data_dir = os.environ[DATA_DIR_ENV]
    items = get_benchmark("gsm8k").load(args.data_dir)
    shown = sys.argv[1:] if argv is None else list(argv)
    out = Path(args.out)
    ok = True

    if args.part in ("inspect", "both"):
        lines: list[str] = []

        def say_inspect(text: str = "") -> None:
            print(text, flush=True)
            lines.append(text)

        import inspect_ai

        header(say_inspect, INSPECT_TITLE, shown, f"inspect_ai {inspect_ai.__version__}")
        ok = bench_inspect(args, items, say_inspect) and ok
        write_section(out, INSPECT_TITLE, lines)

    if args.part in ("lm_eval", "both"):
        lm_lines: list[str] = []

        def say_lm(text: str = "") -> None:
            print(text, flush=True)
            lm_lines.append(text)

        import lm_eval

        header(say_lm, LM_EVAL_TITLE, shown, f"lm_eval {lm_eval.__version__}")
        bench_lm_eval(args, items, say_lm)
        write_section(out, LM_EVAL_TITLE, lm_lines)

    print(f"\nwritten to {out}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
