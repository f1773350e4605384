"""HotpotQA, distractor setting: multi-hop questions over ten titled Wikipedia paragraphs.

Yang et al., 2018, "HotpotQA: A Dataset for Diverse, Explainable Multi-hop Question Answering",
arXiv:1809.09600.

The prompt gives the ten context paragraphs (two of them hold the supporting facts, eight are
distractors) and the question, and asks for brief reasoning and a last line ``Answer: ...``.
Verdicts come from :mod:`sustain_verifiers.qa`: exact match after the official HotpotQA
normalisation decides correctness, and token F1 is reported beside it (``Verdict.score``).

The reference solution is written as a model would answer: the supporting-fact sentences, then
the answer line. So the ``sustain/reference`` model answers correctly, and reference-mode
constraints come from a realistic output.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from sustain_verifiers.qa import extract_qa_answer, verify_qa

from sustain_tasks.benchmarks.base import Benchmark, Item, Verdict
from sustain_tasks.benchmarks.data import HubSource

__all__ = ["ANSWER_PREFIX", "PROMPT_TEMPLATE", "HotpotQA", "format_context"]

ANSWER_PREFIX = "Answer:"

PROMPT_TEMPLATE = (
    "Answer the question using the paragraphs below. Reason briefly, then give the final "
    "answer as a short phrase (yes or no for a yes/no question) on the last line, in the form "
    '"Answer: <answer>".\n\n'
    "{context}\n\n"
    "Question: {question}"
)

Context = list[tuple[str, list[str]]]


def format_context(context: Sequence[tuple[str, Sequence[str]]]) -> str:
    """The paragraphs as shown in the prompt: ``Title: ...`` then the text, blank-line separated."""
    return "\n\n".join(f"Title: {title}\n{''.join(sentences).strip()}"
                       for title, sentences in context)


def _parse_context(value: Any) -> Context:
    if not isinstance(value, list) or not value:
        raise TypeError("field 'context' must be a non-empty list of [title, [sentences]]")
    context: Context = []
    for entry in value:
        if (not isinstance(entry, list | tuple) or len(entry) != 2
                or not isinstance(entry[0], str) or not isinstance(entry[1], list | tuple)
                or not all(isinstance(s, str) for s in entry[1])):
            raise TypeError("field 'context' must be a list of [title, [sentences]]")
        context.append((entry[0], list(entry[1])))
    return context


def _parse_facts(value: Any) -> list[tuple[str, int]]:
    if not isinstance(value, list):
        raise TypeError("field 'supporting_facts' must be a list of [title, sentence index]")
    facts: list[tuple[str, int]] = []
    for entry in value:
        if (not isinstance(entry, list | tuple) or len(entry) != 2
                or not isinstance(entry[0], str) or not isinstance(entry[1], int)
                or isinstance(entry[1], bool)):
            raise TypeError("field 'supporting_facts' must be a list of [title, sentence index]")
        facts.append((entry[0], entry[1]))
    return facts


def reference_solution(context: Context, facts: Sequence[tuple[str, int]], answer: str) -> str:
    """The supporting-fact sentences in order, then ``Answer: <answer>``.

    A fact that points past its paragraph (a few exist in the full dev set) is skipped.
    """
    paragraphs = dict(context)
    sentences = []
    for title, index in facts:
        paragraph = paragraphs.get(title, [])
        if 0 <= index < len(paragraph) and paragraph[index].strip():
            sentences.append(paragraph[index].strip())
    reasoning = " ".join(sentences)
    return (reasoning + "\n" if reasoning else "") + f"{ANSWER_PREFIX} {answer}"


class HotpotQA(Benchmark):
    """HotpotQA distractor dev set (the 500-question offline sample, or the hub split)."""

    name: ClassVar[str] = "hotpotqa"
    title: ClassVar[str] = "HotpotQA (distractor)"
    hub: ClassVar[HubSource] = HubSource("hotpotqa/hotpot_qa", "distractor", "validation")
    local_file: ClassVar[str] = "hotpotqa/dev_distractor_500.jsonl"
    graded: ClassVar[bool] = True
    breakdowns: ClassVar[tuple[str, ...]] = ("type", "level")

    def from_hub(self, record: dict[str, Any]) -> dict[str, Any]:
        """Hub layout (``id``, dict-of-lists ``context`` and ``supporting_facts``) → local."""
        out = dict(record)
        if "id" in out and "_id" not in out:
            out["_id"] = out.pop("id")
        # columns of unequal length stay as they are, and record_to_item reports the field
        context = out.get("context")
        if isinstance(context, Mapping):
            with contextlib.suppress(ValueError, TypeError):
                out["context"] = [[t, list(s)] for t, s in
                                  zip(context["title"], context["sentences"], strict=True)]
        facts = out.get("supporting_facts")
        if isinstance(facts, Mapping):
            with contextlib.suppress(ValueError, TypeError, KeyError):
                out["supporting_facts"] = [[t, i] for t, i in
                                           zip(facts["title"], facts["sent_id"], strict=True)]
        return out

    def record_to_item(self, record: Mapping[str, Any], index: int) -> Item:
        del index
        values = {key: record[key] for key in ("_id", "question", "answer")}
        for key, value in values.items():
            if not isinstance(value, str) or not value.strip():
                raise TypeError(f"field '{key}' must be a non-empty string")
        context = _parse_context(record["context"])
        facts = _parse_facts(record["supporting_facts"])
        answer = values["answer"].strip()
        supporting: list[str] = []
        for title, _ in facts:
            if title not in supporting:
                supporting.append(title)
        return Item(
            id=values["_id"],
            question=values["question"].strip(),
            target=answer,
            reference=reference_solution(context, facts, answer),
            metadata={
                "type": str(record.get("type", "")),
                "level": str(record.get("level", "")),
                "supporting_titles": supporting,
                "context": [[title, sentences] for title, sentences in context],
            },
        )

    def prompt(self, item: Item) -> str:
        context = _parse_context(item.metadata.get("context"))
        return PROMPT_TEMPLATE.format(context=format_context(context), question=item.question)

    def verify(self, output: str, target: str, item: Item | None = None) -> Verdict:
        v = verify_qa(output, target)
        return Verdict(v.correct, v.extracted, v.detail, v.f1)

    def verify_strict(self, output: str, target: str, item: Item | None = None) -> Verdict:
        v = verify_qa(output, target, strict=True)
        return Verdict(v.correct, v.extracted, v.detail, v.f1)

    def final_answer(self, output: str) -> str | None:
        return extract_qa_answer(output).text

    def required_fragments(self, item: Item) -> tuple[str, ...]:
        del item
        return (ANSWER_PREFIX,)

    def facts(self, item: Item) -> Mapping[str, Any]:
        return {
            "supporting_titles": list(item.metadata.get("supporting_titles", [])),
            "titles": [title for title, _ in item.metadata.get("context", [])],
            "final_answer": item.target,
            "answer_prefix": ANSWER_PREFIX,
        }
