"""Offline Inspect model providers: ``sustain/reference`` and ``sustain/replay``.

``sustain/reference`` answers every prompt with the benchmark item's reference solution, so a
run needs no network and self mode must give SustainScore 1.0 (the reference satisfies every
constraint extracted from itself).

``sustain/replay`` answers from recorded outputs, ``-M outputs=FILE.jsonl``: one JSON object
per line, ``{"id": ..., "output": ..., "variant": ...}``. ``id`` is the sample id; a line may
give ``question`` (text found in the prompt) instead. A line with ``variant`` (plain,
constrained, placebo, retest) answers only that variant; a line without one answers any
variant that has no line of its own. A prompt with no recorded answer is an error naming the
file, the id and the variant (``-M missing=empty`` answers ``""`` with a warning instead).

As the grader model (``--model-role 'grader={model: sustain/replay, model_args: {outputs:
GRADES.jsonl}}'`` with ``-T grader=model``), ``sustain/replay`` answers grader prompts from
recorded grades: lines such as ``{"id": "3", "variant": "plain", "output": "GRADE: C"}``, where
``variant`` names the output being graded (found by matching the response the prompt quotes
against the sample's outputs). ``sustain/reference`` cannot grade.

How the item and variant are found: first from the record the SustainScore solver keeps in
the sample store, then from the active sample's metadata (``task``, ``item_id``) and finally
from the prompt itself (the item whose question appears in it; the constraint header or a
placebo sentence for the variant).

Both providers count tokens as whitespace-separated words: no tokenizer is ever loaded. Lone
surrogates in an answer are replaced with U+FFFD (no log writer can encode them).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspect_ai.model import (
    ChatMessage,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
)
from inspect_ai.tool import ToolChoice, ToolInfo

from sustain_tasks.benchmarks import BENCHMARKS, Item
from sustain_tasks.benchmarks.data import resolve_data_dir
from sustain_tasks.errors import SustainError, SustainInputError
from sustain_tasks.protocol import Variant
from sustain_tasks.records import read_outputs_file
from sustain_tasks.unicode import replace_lone_surrogates

from .context import Request, active_request, graded_variant, variant_from_prompt
from .dataset import ItemIndex, item_index
from .errors import located_errors
from .grader import quoted_response

__all__ = ["MODEL_NAMES", "ReplayBook", "ReplayLine", "SustainModelAPI", "count_words"]

logger = logging.getLogger(__name__)

MODEL_NAMES = ("reference", "replay")
"""Model names served by the ``sustain`` provider."""

MISSING_POLICIES = ("error", "empty")


def count_words(text: str) -> int:
    """The token count used by the offline providers: whitespace-separated words."""
    return len(text.split())


@dataclass(frozen=True)
class ReplayLine:
    """One recorded output."""

    output: str
    line: int
    id: str | None = None
    question: str | None = None
    variant: Variant | None = None


class ReplayBook:
    """Recorded outputs from a JSONL file, keyed by (id, variant) and (question, variant).

    The file is read by :func:`sustain_tasks.records.read_outputs_file`, the one reader of
    recorded outputs (the lm-eval replay model and the command line use it too), so every
    interface accepts and refuses the same lines with the same messages.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.by_id: dict[tuple[str, Variant | None], ReplayLine] = {}
        self.by_question: dict[tuple[str, Variant | None], ReplayLine] = {}
        if not self.path.is_file():
            raise SustainInputError("file not found", path=self.path, field="outputs")
        for record in read_outputs_file(self.path, allow_question=True):
            entry = ReplayLine(output=record.output, line=record.line or 0, id=record.id,
                               question=record.question, variant=record.variant)
            if entry.id is not None:
                self.by_id[(entry.id, entry.variant)] = entry
            else:
                assert entry.question is not None
                self.by_question[(entry.question, entry.variant)] = entry
        if not self.by_id and not self.by_question:
            raise SustainInputError("no recorded outputs in the file", path=self.path)
        # longest first, so the first question found in a prompt is the most specific one
        self._questions = sorted({question for question, _ in self.by_question},
                                 key=lambda question: (-len(question), question))

    def find(self, item_id: str | None, variant: Variant, prompt: str) -> ReplayLine | None:
        """The recorded output for this item and variant, if any."""
        if item_id is not None:
            for key in ((item_id, variant), (item_id, None)):
                if key in self.by_id:
                    return self.by_id[key]
        for question in self._questions:
            if question in prompt:
                for key in ((question, variant), (question, None)):
                    if key in self.by_question:
                        return self.by_question[key]
        return None


def _prompt_text(messages: list[ChatMessage]) -> str:
    return "\n\n".join(message.text for message in messages if message.role != "assistant")


class SustainModelAPI(ModelAPI):
    """The ``sustain`` provider: ``sustain/reference`` and ``sustain/replay``.

    Model args (``-M``): ``outputs`` (replay: the JSONL of recorded outputs), ``missing``
    (replay: ``error`` or ``empty``), ``task`` and ``data_dir`` (which benchmark and data
    folder to search when the prompt is the only clue).
    """

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),  # noqa: B008 - Inspect's own signature
        **model_args: Any,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        with located_errors(setup=True):
            self._configure(model_name, model_args)

    def _configure(self, model_name: str, model_args: dict[str, Any]) -> None:
        if model_name not in MODEL_NAMES:
            raise SustainInputError(
                f"unknown model sustain/{model_name}; use sustain/reference or sustain/replay",
                field="model")
        known = {"outputs", "missing", "task", "data_dir"}
        unknown = sorted(set(model_args) - known)
        if unknown:
            raise SustainInputError(
                f"unknown model argument(s) {unknown} for sustain/{model_name}; "
                f"accepted: {sorted(known)}", field="model_args")
        self.task: str | None = _optional_str(model_args, "task")
        self.data_dir: str | None = _optional_str(model_args, "data_dir")
        if self.task is not None and self.task.lower().removeprefix("sustain_") not in BENCHMARKS:
            raise SustainInputError(f"unknown task {self.task!r}; choose from "
                                    f"{sorted(BENCHMARKS)}", field="task")
        self.missing = _optional_str(model_args, "missing") or "error"
        if self.missing not in MISSING_POLICIES:
            raise SustainInputError(f"must be 'error' or 'empty', got {self.missing!r}",
                                    field="missing")
        outputs = _optional_str(model_args, "outputs")
        self.book: ReplayBook | None = None
        if model_name == "replay":
            if outputs is None:
                raise SustainInputError(
                    "sustain/replay needs the recorded outputs: -M outputs=FILE.jsonl",
                    field="outputs")
            self.book = ReplayBook(outputs)
        elif outputs is not None:
            raise SustainInputError("'outputs' is only for sustain/replay", field="outputs")

    async def generate(
        self,
        input: list[ChatMessage],  # noqa: A002 - the name Inspect passes
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        del tools, tool_choice, config
        prompt = _prompt_text(input)
        request = active_request()
        with located_errors():
            quoted = quoted_response(prompt)
            if quoted is not None and self.book is None:
                raise SustainInputError("sustain/reference cannot grade answers; bind the "
                                        "grader role to a real model, or to sustain/replay "
                                        "with recorded grades", field="model")
            if self.book is not None:
                variant = graded_variant(quoted) if quoted is not None else None
                text = self._replay(self.book, request, prompt, variant)
            else:
                text = self._reference(request, prompt).reference
        text = replace_lone_surrogates(text)  # no log or samples writer can encode them
        output = ModelOutput.from_content(model=self.model_name, content=text)
        input_tokens, output_tokens = count_words(prompt), count_words(text)
        output.usage = ModelUsage(input_tokens=input_tokens, output_tokens=output_tokens,
                                  total_tokens=input_tokens + output_tokens)
        return output

    async def count_text_tokens(self, text: str) -> int:
        return count_words(text)

    # -- reference ----------------------------------------------------------------------
    def _reference(self, request: Request, prompt: str) -> Item:
        task = request.task or self.task
        data_dir = request.data_dir or self.data_dir
        if task is not None:
            index = item_index(task, data_dir)
            if request.item_id is not None and request.item_id in index.by_id:
                return index.by_id[request.item_id]
            found = index.find_in_prompt(prompt)
            if found is not None:
                return found
            raise SustainInputError(
                f"sustain/reference found no {index.benchmark.name} item "
                f"{'with id ' + repr(request.item_id) + ' or ' if request.item_id else ''}"
                "whose question appears in the prompt", path=index.source, field="id")
        for index in self._local_indexes(data_dir):
            found = index.find_in_prompt(prompt)
            if found is not None:
                return found
        raise SustainInputError(
            "sustain/reference cannot tell which benchmark item the prompt is about; run it "
            "with a sustain_tasks task, or pass -M task=<benchmark> (and -M data_dir=...)",
            field="task")

    def _local_indexes(self, data_dir: str | None) -> list[ItemIndex]:
        """Indexes of every benchmark with local data (the hub is never searched blindly)."""
        try:
            folder = resolve_data_dir(data_dir)
        except SustainError:
            return []
        if folder is None:
            return []
        indexes = []
        for name in BENCHMARKS:
            try:
                indexes.append(item_index(name, folder))
            except SustainError:
                continue
        return indexes

    # -- replay -------------------------------------------------------------------------
    def _replay(self, book: ReplayBook, request: Request, prompt: str,
                graded: Variant | None = None) -> str:
        variant = graded or request.variant or variant_from_prompt(prompt)
        entry = book.find(request.item_id, variant, prompt)
        if entry is not None:
            return entry.output
        what = (f"id {request.item_id!r}" if request.item_id is not None
                else "the question in the prompt")
        message = f"no recorded output for {what}, variant {variant}"
        if self.missing == "empty":
            logger.warning("%s: %s; answering with an empty output", book.path, message)
            return ""
        raise SustainInputError(message + " (-M missing=empty answers these with '')",
                                path=book.path, field="id")


def _optional_str(args: Mapping[str, Any], key: str) -> str | None:
    value = args.get(key)
    if value is None:
        return None
    if isinstance(value, Path):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise SustainInputError(f"must be a non-empty string, got {value!r}", field=key)
    return value.strip()
