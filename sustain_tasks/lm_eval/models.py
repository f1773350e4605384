"""Offline lm-eval models for tests and demos: ``sustain-reference`` and ``sustain-replay``.

- ``sustain-reference`` answers every request with the item's reference solution.
- ``sustain-replay`` answers from a JSONL of recorded outputs (``model_args
  outputs=FILE.jsonl``), one ``{"id", "output", optional "variant"}`` per line; a line with a
  variant answers only that variant, a line without one answers any variant. A line may give
  ``question`` (text of the item's question, found in the prompt) instead of ``id``, as
  Inspect's ``sustain/replay`` accepts: lines keyed by id are tried first, then question
  lines whose text is in the prompt (or is part of the matched item's question), longest
  first.

Both find the item from the request's document when it is a sustain document (``task``,
``id`` and ``variant`` fields), else from the prompt text (:class:`PromptIndex`). Model
arguments: ``model`` (the name lm-eval uses for the output folder), ``data_dir``, ``tasks``
(benchmarks to search by prompt, ``|``-separated); lm-eval's own extra arguments (batch size,
device, ...) are accepted and ignored. Generation stops at the request's ``until`` strings.
Lone surrogates in an answer (a recorded output may hold one: ``"\\ud800"`` is valid JSON)
are replaced with U+FFFD, since lm-eval cannot write them to its samples file.

Importing this module imports lm-eval; :func:`register_models` registers lazy placeholders
instead, so registering costs nothing until a model is used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import lm_eval.models  # noqa: F401 - the built-in models must register before ours
from lm_eval.api.model import LM

from sustain_tasks.benchmarks import get_benchmark
from sustain_tasks.errors import SustainInputError
from sustain_tasks.lm_eval import exit_on_input_error
from sustain_tasks.lm_eval.lookup import Match, PromptIndex
from sustain_tasks.records import OutputRecord, read_outputs_file
from sustain_tasks.unicode import replace_lone_surrogates

__all__ = ["ReferenceLM", "ReplayLM", "cut_at_stop"]


def cut_at_stop(text: str, until: Sequence[str] | str | None) -> str:
    """``text`` up to the first occurrence of any stop string."""
    if isinstance(until, str):
        until = [until]
    end = len(text)
    for stop in until or ():
        if stop:
            pos = text.find(stop)
            if pos != -1:
                end = min(end, pos)
    return text[:end]


def _split_tasks(tasks: str | Sequence[str] | None) -> list[str] | None:
    if tasks is None or tasks == "":
        return None
    if isinstance(tasks, str):
        return [t for t in (s.strip() for s in tasks.split("|")) if t]
    return [str(t) for t in tasks]


class _OfflineLM(LM):  # type: ignore[misc]
    """Shared request handling: find the item and variant, answer, cut at stop strings."""

    def __init__(self, model: str | None = None, data_dir: str | None = None,
                 tasks: str | Sequence[str] | None = None, **kwargs: Any) -> None:
        super().__init__()
        del kwargs  # batch_size, device, max_batch_size, ... mean nothing offline
        self.model_name = model
        self.index = PromptIndex(data_dir=data_dir or None, tasks=_split_tasks(tasks))

    def match(self, prompt: str, doc: Any) -> Match:
        if isinstance(doc, Mapping) and {"task", "id"} <= doc.keys():
            bench = get_benchmark(str(doc["task"]))
            variant = doc.get("variant")
            return Match(bench, self.index.item(bench.name, str(doc["id"])),
                         variant if variant in ("plain", "constrained", "placebo", "retest")
                         else None)
        found = self.index.find(prompt)
        if found is None:
            raise SustainInputError(
                f"{type(self).__name__}: no item of {self.index.tasks} matches the prompt "
                f"{prompt[:80]!r}...", field="prompt")
        return found

    def answer(self, match: Match, prompt: str) -> str:
        raise NotImplementedError

    @exit_on_input_error
    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        del disable_tqdm
        out = []
        for request in requests:
            prompt, gen_kwargs = request.args[0], request.args[1]
            text = self.answer(self.match(prompt, getattr(request, "doc", None)), prompt)
            until = gen_kwargs.get("until") if isinstance(gen_kwargs, Mapping) else None
            # lm-eval cannot write a lone surrogate to its samples file (it stops there)
            out.append(replace_lone_surrogates(cut_at_stop(text, until)))
        return out

    def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[Any]:
        raise NotImplementedError(f"{type(self).__name__} only generates text")

    def loglikelihood_rolling(self, requests: list[Any],
                              disable_tqdm: bool = False) -> list[Any]:
        raise NotImplementedError(f"{type(self).__name__} only generates text")


class ReferenceLM(_OfflineLM):
    """Answers with the dataset's reference solution (``sustain-reference``)."""

    def answer(self, match: Match, prompt: str) -> str:
        del prompt
        return match.item.reference


class ReplayLM(_OfflineLM):
    """Answers from recorded outputs (``sustain-replay``, ``model_args outputs=FILE.jsonl``)."""

    def __init__(self, outputs: str | None = None, model: str | None = None,
                 data_dir: str | None = None, tasks: str | Sequence[str] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(model=model, data_dir=data_dir, tasks=tasks, **kwargs)
        if not outputs:
            raise SustainInputError("sustain-replay needs model_args outputs=FILE.jsonl",
                                    field="outputs")
        self.path = Path(outputs)
        self.by_id: dict[tuple[str, str | None], OutputRecord] = {}
        self.by_question: dict[tuple[str, str | None], OutputRecord] = {}
        for r in read_outputs_file(self.path, allow_question=True):
            if r.id is not None:
                self.by_id[(r.id, r.variant)] = r
            elif r.question is not None:
                self.by_question[(r.question, r.variant)] = r
        # longest first, so the first question found in a prompt is the most specific one
        self.questions = sorted({q for q, _ in self.by_question}, key=lambda q: (-len(q), q))

    def find(self, match: Match, prompt: str) -> OutputRecord | None:
        """The recorded output for this item and variant: by id, then by question."""
        for key in ((match.item.id, match.variant), (match.item.id, None)):
            if key in self.by_id:
                return self.by_id[key]
        texts = (prompt, match.item.question)
        for question in self.questions:
            if any(question in text for text in texts):
                for qkey in ((question, match.variant), (question, None)):
                    if qkey in self.by_question:
                        return self.by_question[qkey]
        return None

    def answer(self, match: Match, prompt: str) -> str:
        record = self.find(match, prompt)
        if record is None:
            variant = f" (variant {match.variant})" if match.variant else ""
            raise SustainInputError(
                f"no recorded output for {match.benchmark.name} item {match.item.id!r}"
                f"{variant}, by id or by a question found in the prompt",
                path=self.path, field="id")
        return record.output
