"""Fixtures for the lm-eval tests: environment, items, and a loopback completions server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sustain_tasks.benchmarks import Item, get_benchmark
from sustain_tasks.protocol import CONSTRAINT_HEADER

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def offline_env(data_dir: Path) -> dict[str, str]:
    """Environment for subprocesses: offline hub, local data, the checkout importable."""
    env = dict(os.environ)
    env.update({
        "SUSTAIN_DATA_DIR": str(data_dir),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "PYTHONPATH": os.pathsep.join(
            [str(REPO_ROOT), str(REPO_ROOT / "verifiers"), env.get("PYTHONPATH", "")]),
    })
    return env


@pytest.fixture
def local_data(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Path:
    """Point this process at the offline data and keep the hub offline."""
    monkeypatch.setenv("SUSTAIN_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    return data_dir


SERVED = ("gsm8k", "math500", "hotpotqa", "humaneval", "mbpp")
"""Benchmarks whose prompts the loopback server answers."""


@pytest.fixture(scope="session")
def bench_items(data_dir: Path) -> dict[str, list[Item]]:
    """Every item of the served benchmarks, by benchmark name (loaded once per session)."""
    return {name: get_benchmark(name).load(data_dir) for name in SERVED}


@pytest.fixture(scope="session")
def gsm8k_items(bench_items: dict[str, list[Item]]) -> list[Item]:
    return bench_items["gsm8k"]


@dataclass
class CompletionServer:
    """An OpenAI-style ``/v1/completions`` endpoint answering GSM8K, MATH-500 and HotpotQA
    prompts (sample ids do not collide between them).

    By default it answers each prompt with the item's reference solution, found from the
    plain prompt (``Benchmark.prompt``) or from the part of a constrained prompt before the
    constraint block. ``script[(item_id, variant)]`` overrides the answer. It cuts each answer
    at the request's ``stop`` strings, as a real server does.
    """

    items: dict[str, Item]
    url: str = ""
    script: dict[tuple[str, str], str] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def item_for(self, prompt: str) -> Item:
        """The item of a plain or constrained prompt."""
        item = self.items.get(prompt.partition("\n\n" + CONSTRAINT_HEADER)[0])
        if item is None:
            raise KeyError(f"unknown prompt {prompt[:120]!r}")
        return item

    def answer(self, prompt: str, stop: list[str] | None) -> str:
        item = self.item_for(prompt)
        variant = "constrained" if "\n\n" + CONSTRAINT_HEADER in prompt else "plain"
        text = self.script.get((item.id, variant), item.reference)
        for s in stop or []:
            if s and s in text:
                text = text[: text.index(s)]
        return text


def _handler(server: CompletionServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            server.requests.append(body)
            prompts = body["prompt"] if isinstance(body["prompt"], list) else [body["prompt"]]
            stop = body.get("stop")
            stop = [stop] if isinstance(stop, str) else stop
            try:
                choices = [{"index": i, "text": server.answer(p, stop), "finish_reason": "stop"}
                           for i, p in enumerate(prompts)]
            except KeyError as exc:
                self.send_response(400)
                self.end_headers()
                self.wfile.write(str(exc).encode())
                return
            payload = json.dumps({"id": "cmpl-test", "object": "text_completion",
                                  "model": body.get("model"), "choices": choices}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, fmt: str, *args: Any) -> None:
            del fmt, args

    return Handler


@pytest.fixture(scope="session")
def prompt_items(bench_items: dict[str, list[Item]]) -> dict[str, Item]:
    """Plain prompt -> item, over every served benchmark."""
    prompts: dict[str, Item] = {}
    for name, items in bench_items.items():
        bench = get_benchmark(name)
        prompts.update((bench.prompt(item), item) for item in items)
    return prompts


@pytest.fixture
def completion_server(prompt_items: dict[str, Item]) -> Iterator[CompletionServer]:
    server = CompletionServer(items=prompt_items)
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


def tagged_processes(tag: str) -> list[int]:
    """Live processes whose environment holds ``tag`` (``NAME=value``): a subprocess run with a
    unique tag in its environment passes it on to every process it starts, so this finds what
    a run left behind. Linux only (``/proc``); elsewhere the test is skipped."""
    proc = Path("/proc")
    if not (proc / "self" / "environ").is_file():
        pytest.skip("needs /proc to list processes")
    needle = tag.encode()
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone meanwhile, or another user's
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def child_processes() -> list[tuple[int, str, str]]:
    """``(pid, state, command line)`` of this process's children (``Z`` = zombie)."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").is_file():
        pytest.skip("needs /proc to list processes")
    children = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses
        state, ppid = stat.rpartition(")")[2].split()[:2]
        if int(ppid) == os.getpid():
            children.append((int(entry.name), state, cmdline.strip()))
    return children


def run_lm_eval(args: list[str], env: dict[str, str], cwd: Path,
                timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run lm-eval's own command line in a subprocess; fail with its output on error."""
    cmd = [sys.executable, "-c", "from lm_eval.__main__ import cli_evaluate; cli_evaluate()",
           *args]
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if proc.returncode != 0:
        pytest.fail(f"lm_eval failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
                    f"{proc.stderr[-6000:]}")
    return proc


def run_sustain(args: list[str], env: dict[str, str], cwd: Path,
                timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the ``sustain`` command line in a subprocess; fail with its output on error."""
    cmd = [sys.executable, "-c",
           "import sys; from sustain_tasks.cli import main; raise SystemExit(main(sys.argv[1:]))",
           *args]
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if proc.returncode != 0:
        pytest.fail(f"sustain {' '.join(args)} failed ({proc.returncode}):\n"
                    f"{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    return proc


def read_run(output_path: Path) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The results JSON and the samples (by task) of one lm-eval run under ``output_path``."""
    results = sorted(output_path.rglob("results_*.json"))
    assert len(results) == 1, results
    samples: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(results[0].parent.glob("samples_*.jsonl")):
        task = path.name.removeprefix("samples_").rsplit("_", 1)[0]
        samples[task] = [json.loads(line) for line in path.read_text().splitlines() if line]
    return json.loads(results[0].read_text()), samples


@pytest.fixture
def leftover_processes() -> Any:
    """:func:`tagged_processes`."""
    return tagged_processes


@pytest.fixture
def children() -> Any:
    """:func:`child_processes`."""
    return child_processes


@pytest.fixture
def lm_eval_cli() -> Any:
    """:func:`run_lm_eval`, for tests (conftest modules are not importable by name)."""
    return run_lm_eval


@pytest.fixture
def sustain_cli() -> Any:
    """:func:`run_sustain`."""
    return run_sustain


@pytest.fixture
def lm_eval_run() -> Any:
    """:func:`read_run`."""
    return read_run
