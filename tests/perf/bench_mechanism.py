"""What ``sustain mechanism`` costs per item on CPU for a model of Qwen2.5-0.5B's size.

Run by hand (not collected by pytest), from the repository root, with the ``mechanism``
extra installed::

    python tests/perf/bench_mechanism.py [--repeats 3] [--prompt 250] [--output 300]
        [--out tests/perf/RESULTS.md]

No download: the model is built from a configuration with Qwen2.5-0.5B-Instruct's dimensions
(24 layers, hidden size 896, 14 query and 2 key-value heads, vocabulary 151,936) and random
weights, which cost the same arithmetic as the real ones. One item is a GSM8K-sized sequence
(``--prompt`` prompt tokens, ``--output`` output tokens, random ids). Measured, each the median
of ``--repeats`` runs after one warm-up: the teacher-forced pass of ``sustain mechanism
attention`` (eager attention, attention weights returned, sliced to the deciding steps and
reduced to the span's mass per layer and head) and of ``sustain mechanism probe`` (the
default attention implementation, hidden states of every layer at the six positions). Wall
and CPU time are both given: the machine may be shared. No claim is made about GPUs (none
here).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "verifiers")]


def _model(attention: bool) -> object:
    import torch
    from transformers import AutoModelForCausalLM, Qwen2Config

    from sustain_tasks.mechanism.model import LoadedModel

    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=151936, hidden_size=896, intermediate_size=4864,
                         num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2,
                         max_position_embeddings=32768, tie_word_embeddings=True)
    kwargs = {"attn_implementation": "eager"} if attention else {}
    loaded = LoadedModel.__new__(LoadedModel)
    loaded._torch = torch
    loaded.device = "cpu"
    loaded.model = AutoModelForCausalLM.from_config(config, **kwargs).eval()
    loaded.max_positions = config.max_position_embeddings
    return loaded


def _time(fn: object, repeats: int) -> tuple[float, float]:
    fn()  # type: ignore[operator]  # warm-up
    walls, cpus = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()  # type: ignore[operator]
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--prompt", type=int, default=250)
    parser.add_argument("--output", type=int, default=300)
    parser.add_argument("--out", default=None, help="append the results to this Markdown file")
    args = parser.parse_args()
    import torch

    from sustain_tasks.mechanism.model import Encoded, span_attention

    ids = tuple(int(i) for i in torch.randint(0, 151936, (args.prompt + args.output,)))
    enc = Encoded(ids, args.prompt, (), "")
    span = list(range(args.prompt - 40, args.prompt - 10))
    load = os.getloadavg()[0]
    rows = []
    attn_model = _model(attention=True)

    def attention_item() -> None:
        forward = attn_model.forward(enc, attentions=True)  # type: ignore[attr-defined]
        span_attention(forward.attentions, span)

    rows.append(("attention (eager, weights returned)", *_time(attention_item, args.repeats)))
    probe_model = _model(attention=False)
    rows.append(("probe (hidden states, 6 positions)",
                 *_time(lambda: probe_model.forward(enc, hidden=True),  # type: ignore[attr-defined]
                        args.repeats)))
    lines = [
        "",
        "# sustain mechanism: teacher-forcing cost per item on CPU",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; torch "
        f"{torch.__version__}, {torch.get_num_threads()} threads",
        f"- machine: {platform.machine()}, nproc {os.cpu_count()}, Python "
        f"{platform.python_version()}, load average at start {load:.2f}",
        "- model: Qwen2.5-0.5B-Instruct's dimensions (24 layers, hidden 896, 14/2 heads, "
        "vocabulary 151,936), random weights, float32, CPU",
        f"- item: {args.prompt} prompt + {args.output} output tokens; median of "
        f"{args.repeats} runs after a warm-up",
        "- command: `python tests/perf/bench_mechanism.py`",
        "",
        "| pass | median wall time per item | median CPU time per item |",
        "|---|---|---|",
        *[f"| {name} | {wall:.2f} s | {cpu:.2f} s |" for name, wall, cpu in rows],
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
