"""``sustain lm-eval-wrap``: lm-eval generation tasks under the protocol, through lm-eval's
own command line and a loopback ``local-completions`` server, scored by ``sustain score``; the
same outputs through the Inspect wrapper give the same numbers."""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from sustain_tasks.errors import SustainInputError
from sustain_tasks.lm_eval.wrap import insert_constraints, wrap_tasks
from sustain_tasks.protocol import CONSTRAINT_HEADER
from tests.inspect.wrap_cases import (
    EXPECTED,
    KINDS,
    N_ITEMS,
    TASK_SOURCE,
    constrained_output,
    plain_output,
    replay_lines,
    write_jsonl,
)

pytestmark = [pytest.mark.lm_eval]

LM_EVAL_TASKS = Path(__import__("lm_eval").__file__).parent / "tasks"

APPLES_YAML = """\
task: apples
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: generate_until
doc_to_text: "{{{{question}}}}"
doc_to_target: "{{{{target}}}}"
generation_kwargs:
  until: ["\\n\\n"]
  do_sample: false
filter_list:
  - name: flexible-extract
    filter:
      - function: regex
        regex_pattern: "(\\\\d+ apples)"
      - function: take_first
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
metadata:
  version: 1.0
"""
"""The Inspect test task ``apples`` as an lm-eval task: same questions and targets, and a
verdict that agrees with ``match(location="any")`` on the recorded outputs."""


@dataclass
class Server:
    """``/v1/completions`` answering with ``answer(prompt)``, cut at the stop strings."""

    answer: Callable[[str], str]
    url: str = ""
    prompts: list[str] = field(default_factory=list)


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            prompts = body["prompt"] if isinstance(body["prompt"], list) else [body["prompt"]]
            stop = body.get("stop") or []
            stop = [stop] if isinstance(stop, str) else stop
            choices = []
            for i, prompt in enumerate(prompts):
                server.prompts.append(prompt)
                text = server.answer(prompt)
                for s in stop:
                    if s and s in text:
                        text = text[: text.index(s)]
                choices.append({"index": i, "text": text, "finish_reason": "stop"})
            payload = json.dumps({"id": "cmpl", "object": "text_completion",
                                  "model": body.get("model"), "choices": choices}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, fmt: str, *args: Any) -> None:
            del fmt, args

    return Handler


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[str], str]], Server]]:
    started: list[ThreadingHTTPServer] = []

    def start(answer: Callable[[str], str]) -> Server:
        server = Server(answer)
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
        server.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1/completions"
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        started.append(httpd)
        return server

    yield start
    for httpd in started:
        httpd.shutdown()
        httpd.server_close()


def apples_answer(prompt: str) -> str:
    match = re.search(r"basket (\d+)\?", prompt)
    assert match is not None, prompt
    i = int(match[1])
    return constrained_output(i) if CONSTRAINT_HEADER in prompt else plain_output(i)


def client(url: str) -> list[str]:
    return ["--model", "local-completions", "--model_args",
            f"model=loopback,base_url={url},tokenizer_backend=none,tokenized_requests=False,"
            "num_concurrent=1,max_retries=1"]


@pytest.fixture
def apples_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "tasks"
    folder.mkdir()
    data = write_jsonl(tmp_path / "apples.jsonl", [
        {"id": str(i), "question": f"How many apples are in basket {i}? Answer briefly.",
         "target": f"{101 + 3 * i} apples"} for i in range(N_ITEMS)])
    (folder / "apples.yaml").write_text(APPLES_YAML.format(data=data), encoding="utf-8")
    return folder


def score_json(sustain_cli: Any, env: dict[str, str], cwd: Path, *paths: Path
               ) -> list[dict[str, Any]]:
    done = sustain_cli(["score", *map(str, paths), "--format", "json"], env, cwd)
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_insert_constraints_keeps_a_final_answer_cue() -> None:
    from sustain_tasks.constraints import get_kind

    constraint = get_kind(KINDS)()
    assert insert_constraints("Question: 2+2?\nAnswer:", [constraint]) == (
        f"Question: 2+2?\n\n{CONSTRAINT_HEADER}\n- {constraint.describe()}\nAnswer:")
    assert insert_constraints("What is 2+2?", [constraint]) == (
        f"What is 2+2?\n\n{CONSTRAINT_HEADER}\n- {constraint.describe()}")
    assert insert_constraints("What is 2+2?", []) == "What is 2+2?"


def test_generated_yaml(local_data: Path, apples_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "wrapped"
    results = wrap_tasks(["apples"], out, include_path=[apples_dir], include_defaults=False,
                         kinds=KINDS)
    assert [r.group for r in results] == ["sustain_apples"]
    assert sorted(p.name for p in out.iterdir()) == [
        "_sustain_apples.yaml", "sustain_apples_constrained.yaml", "sustain_apples_plain.yaml"]
    text = (out / "sustain_apples_constrained.yaml").read_text()
    assert "the target is a text, so constraints are extracted from it" in text
    assert f'include: "{apples_dir / "apples.yaml"}"' in text
    body = yaml.safe_load(re.sub(r"!function ", "", text))
    assert body["task"] == "sustain_apples_constrained"
    assert body["metadata"]["sustain_wrap"]["reference"] is True
    assert body["metadata"]["sustain_wrap"]["metric"] == "exact_match"
    assert body["metadata"]["version"] == 1.0


@pytest.mark.slow
def test_self_and_reference_mode_through_the_loopback_server(
        tmp_path: Path, offline_env: dict[str, str], apples_dir: Path, serve: Any,
        lm_eval_cli: Any, sustain_cli: Any, local_data: Path) -> None:
    from inspect_ai import eval as inspect_eval

    from sustain_tasks import sustain

    server = serve(apples_answer)
    wrapped = tmp_path / "wrapped"
    sustain_cli(["lm-eval-wrap", "apples", "--out", str(wrapped), "--include_path",
                 str(apples_dir), "--no-defaults", "--kinds", KINDS], offline_env, tmp_path)

    # self mode: plain run, extraction, constrained run with the constraints file
    self_out = tmp_path / "self"
    lm_eval_cli([*client(server.url), "--include_path", str(wrapped), "--tasks",
                 "sustain_apples_plain", "--output_path", str(self_out), "--log_samples"],
                offline_env, tmp_path)
    constraints = tmp_path / "constraints.jsonl"
    sustain_cli(["lm-eval-wrap", "extract", "--from", str(self_out), "--out",
                 str(constraints), "--kinds", KINDS], offline_env, tmp_path)
    lines = [json.loads(x) for x in constraints.read_text().splitlines()]
    assert sorted(int(line["id"]) for line in lines) == list(range(21))
    lm_eval_cli([*client(server.url), "--include_path", str(wrapped), "--tasks",
                 "sustain_apples_constrained", "--metadata",
                 json.dumps({"constraints_path": str(constraints)}), "--output_path",
                 str(self_out), "--log_samples"], offline_env, tmp_path)
    constrained_prompts = [p for p in server.prompts if CONSTRAINT_HEADER in p]
    assert len(constrained_prompts) == 21
    assert constrained_prompts[0].endswith("- Do not use any commas anywhere in your response.")
    [lm_self] = score_json(sustain_cli, offline_env, tmp_path, self_out)

    # reference mode: the group runs both variants in one go
    ref_out = tmp_path / "reference"
    lm_eval_cli([*client(server.url), "--include_path", str(wrapped), "--tasks",
                 "sustain_apples", "--output_path", str(ref_out), "--log_samples"],
                offline_env, tmp_path)
    [lm_ref] = score_json(sustain_cli, offline_env, tmp_path, ref_out)

    # the same outputs through the Inspect wrapper
    outputs = write_jsonl(tmp_path / "outputs.jsonl", replay_lines())
    task_file = tmp_path / "apples_task.py"
    task_file.write_text(TASK_SOURCE, encoding="utf-8")
    inspect_logs = {}
    for mode in ("self", "reference"):
        folder = tmp_path / "logs" / mode
        inspect_eval(sustain(f"{task_file}@apples", mode=mode, kinds=KINDS),
                     model="sustain/replay", model_args={"outputs": str(outputs)},
                     display="none", log_dir=str(folder))
        [inspect_logs[mode]] = score_json(sustain_cli, offline_env, tmp_path, folder)

    for mode, lm in (("self", lm_self), ("reference", lm_ref)):
        expected = EXPECTED[mode]
        inspect = inspect_logs[mode]
        assert lm["task"] == inspect["task"] == "apples"
        assert lm["mode"] == mode
        assert lm["n_items"] == N_ITEMS
        for key in ("sustain_score", "compliance", "plain_accuracy",
                    "constrained_accuracy"):
            assert math.isclose(lm[key], expected[key]), (mode, key, lm[key])
            assert math.isclose(inspect[key], lm[key]), (mode, key)
        for key in ("n_sustain", "mcnemar_p", "failures", "compliance_loose"):
            assert inspect.get(key) == lm.get(key), (mode, key)
        assert lm["n_sustain"] == expected["n_sustain"]


@pytest.mark.slow
def test_an_lm_eval_task_with_local_data(tmp_path: Path, offline_env: dict[str, str],
                                         data_dir: Path, serve: Any, lm_eval_cli: Any,
                                         sustain_cli: Any) -> None:
    """lm-eval's own GSM8K configuration (prompt, filters, metric) on the local data file;
    the server answers with each item's worked answer, which is also the reference text."""
    folder = tmp_path / "tasks"
    folder.mkdir()
    (folder / "gsm8k_local.yaml").write_text(yaml.safe_dump({
        "include": str(LM_EVAL_TASKS / "gsm8k" / "gsm8k.yaml"), "task": "gsm8k_local",
        "tag": [], "dataset_path": "json", "dataset_name": None,
        "dataset_kwargs": {"data_files": {"test": str(data_dir / "gsm8k" / "test.jsonl")}},
        "training_split": None, "fewshot_split": None, "num_fewshot": 0}))
    answers = {}
    for line in (data_dir / "gsm8k" / "test.jsonl").read_text().splitlines()[:10]:
        record = json.loads(line)
        answers[record["question"]] = record["answer"]

    def answer(prompt: str) -> str:
        question = prompt.removeprefix("Question: ").partition("\n")[0]
        return answers[question]

    server = serve(answer)
    wrapped = tmp_path / "wrapped"
    sustain_cli(["lm-eval-wrap", "gsm8k_local", "--out", str(wrapped), "--include_path",
                 str(folder), "--no-defaults"], offline_env, tmp_path)
    out = tmp_path / "out"
    lm_eval_cli([*client(server.url), "--include_path", str(wrapped), "--tasks",
                 "sustain_gsm8k_local", "--limit", "10", "--output_path", str(out),
                 "--log_samples"], offline_env, tmp_path)
    constrained = [p for p in server.prompts if CONSTRAINT_HEADER in p]
    assert constrained
    assert all(p.endswith("\nAnswer:") for p in constrained)  # the cue stays last
    [report] = score_json(sustain_cli, offline_env, tmp_path, out)
    assert report["task"] == "gsm8k_local"
    assert report["mode"] == "reference"
    assert report["plain_accuracy"] == 1.0
    assert report["sustain_score"] == 1.0
    assert report["compliance"] == 1.0


@pytest.mark.slow
def test_few_shot_examples_from_the_evaluated_split_leave_out_the_document(
        local_data: Path, apples_dir: Path, tmp_path: Path) -> None:
    from lm_eval.tasks import TaskManager

    text = (apples_dir / "apples.yaml").read_text()
    (apples_dir / "apples.yaml").write_text(
        text + "fewshot_split: test\nnum_fewshot: 29\nfewshot_config:\n  sampler: first_n\n",
        encoding="utf-8")
    out = tmp_path / "wrapped"
    wrap_tasks(["apples"], out, include_path=[apples_dir], include_defaults=False, kinds=KINDS,
               check=False)
    manager = TaskManager(include_path=[str(out)], include_defaults=False)
    for variant in ("plain", "constrained"):
        name = f"sustain_apples_{variant}"
        task = manager.load([name])["tasks"][name]
        doc = next(iter(task.eval_docs))
        context = task.fewshot_context(doc, num_fewshot=29)
        assert context.count("basket 0?") == 1, variant  # the question, not an example
        assert context.count("basket 29?") == 1
        assert (CONSTRAINT_HEADER in context) == (variant == "constrained")


def test_a_group_wraps_each_member(local_data: Path, apples_dir: Path, tmp_path: Path) -> None:
    pears = APPLES_YAML.replace("task: apples", "task: pears")
    (apples_dir / "pears.yaml").write_text(pears.format(data=tmp_path / "apples.jsonl"),
                                           encoding="utf-8")
    (apples_dir / "fruit.yaml").write_text("group: fruit\ntask: [apples, pears]\n",
                                           encoding="utf-8")
    out = tmp_path / "wrapped"
    [result] = wrap_tasks(["fruit"], out, include_path=[apples_dir], include_defaults=False,
                          kinds=KINDS, check=False)
    assert result.group == "sustain_fruit"
    assert result.tasks == ["sustain_apples_plain", "sustain_apples_constrained",
                            "sustain_pears_plain", "sustain_pears_constrained"]
    group = yaml.safe_load((out / "_sustain_fruit.yaml").read_text())
    assert group == {"group": "sustain_fruit", "task": ["sustain_apples", "sustain_pears"],
                     "metadata": {"version": 1.0}}
    assert "not checked" in (out / "sustain_pears_constrained.yaml").read_text()
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=[str(out)], include_defaults=False)
    assert {"sustain_fruit", "sustain_apples", "sustain_pears_constrained"} <= set(
        manager.task_index)


@pytest.mark.slow
def test_an_lm_eval_task_by_name(tmp_path: Path) -> None:
    """lm-eval's own gsm8k, found through its TaskManager; its name is a built-in benchmark's,
    so the wrapped task is sustain_gsm8k_wrapped."""
    out = tmp_path / "wrapped"
    [result] = wrap_tasks(["gsm8k"], out, check=False)
    assert result.group == "sustain_gsm8k_wrapped"
    text = (out / "sustain_gsm8k_wrapped_constrained.yaml").read_text()
    assert f'include: "{LM_EVAL_TASKS / "gsm8k" / "gsm8k.yaml"}"' in text
    assert "'sustain score' reads the 'flexible-extract' filter line" in text
    assert "metric exact_match >= 1" in text
    body = yaml.safe_load(text.replace("!function ", ""))
    assert body["tag"] == []  # not run by lm-eval's own tag math_word_problems
    assert body["metadata"]["version"] == 3.0
    assert body["metadata"]["sustain_wrap"]["task"] == "gsm8k"


def test_model_arguments_in_the_metadata_do_not_change_the_settings() -> None:
    from sustain_tasks.lm_eval.wrap import Settings

    generated = {"task": "apples", "base": "apples", "variant": "constrained",
                 "metric": "exact_match", "threshold": 1.0, "reference": True, "k": 2,
                 "kinds": None, "seed": 0}
    settings = Settings.from_metadata({"sustain_wrap": generated, "seed": 1234, "k": 3,
                                       "constraints_path": "c.jsonl"})
    assert (settings.seed, settings.k, settings.constraints_path) == (0, 2, "c.jsonl")


# -- refusals ----------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_multiple_choice_task_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SustainInputError) as raised:
        wrap_tasks(["arc_easy"], tmp_path / "out", check=False)
    assert str(raised.value) == (
        "field 'tasks': arc_easy is a multiple_choice task, and SustainScore needs a "
        "generate_until task: it scores the likelihood of fixed answer options instead of "
        "letting the model write an answer that a constraint could shape")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_group_with_a_multiple_choice_member_is_refused(tmp_path: Path,
                                                           apples_dir: Path) -> None:
    (apples_dir / "choice.yaml").write_text(
        "task: choice\ndataset_path: json\noutput_type: multiple_choice\n"
        "doc_to_text: q\ndoc_to_target: 0\ndoc_to_choice: [a, b]\n", encoding="utf-8")
    (apples_dir / "mixed.yaml").write_text("group: mixed\ntask: [apples, choice]\n",
                                           encoding="utf-8")
    with pytest.raises(SustainInputError, match="choice is a multiple_choice task"):
        wrap_tasks(["mixed"], tmp_path / "out", include_path=[apples_dir],
                   include_defaults=False)


def test_an_unknown_task_is_refused(tmp_path: Path, apples_dir: Path) -> None:
    with pytest.raises(SustainInputError, match="lm-eval knows no task, group or tag 'nope'"):
        wrap_tasks(["nope"], tmp_path / "out", include_path=[apples_dir],
                   include_defaults=False)


def test_a_metric_that_does_not_exist_is_refused(tmp_path: Path, apples_dir: Path) -> None:
    with pytest.raises(SustainInputError, match="apples has no metric 'bleu'"):
        wrap_tasks(["apples"], tmp_path / "out", include_path=[apples_dir],
                   include_defaults=False, metric="bleu")


@pytest.mark.slow
def test_the_command_line_prints_one_sentence(tmp_path: Path, offline_env: dict[str, str],
                                              apples_dir: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "import sys; from sustain_tasks.cli import main; "
         "raise SystemExit(main(sys.argv[1:]))", "lm-eval-wrap", "apples", "--out",
         str(tmp_path / "out"), "--include_path", str(apples_dir), "--no-defaults",
         "--kinds", "content"], env=offline_env, cwd=tmp_path, capture_output=True, text=True,
        timeout=300, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("sustain: error: field 'kinds': content:")
    assert "Traceback" not in done.stderr
