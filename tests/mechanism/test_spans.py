"""The inserted text is located exactly: characters from the protocol, tokens from offsets."""

from __future__ import annotations

from typing import Any

import pytest

from sustain_tasks.constraints import all_kinds
from sustain_tasks.errors import SustainInputError
from sustain_tasks.mechanism.runs import MechanismItem, Rendering
from sustain_tasks.mechanism.spans import (
    CharSpan,
    constraint_spans,
    locate,
    placebo_span,
    token_span,
)
from sustain_tasks.protocol import constrained_prompt, placebo_prompt

from .tiny import FAMILIES

PLAIN = ("Solve the problem. Put the final answer after ####.\n\nProblem: Tom has 3 apples "
         "and buys 4 more. How many apples does he have?")

KINDS = sorted(all_kinds())
EXAMPLES = [all_kinds()[k].example() for k in KINDS]


def _loaded(tok: Any) -> Any:
    """A :class:`LoadedModel` around ``tok`` only (no weights needed to encode)."""
    from sustain_tasks.mechanism.model import LoadedModel

    loaded = LoadedModel.__new__(LoadedModel)
    loaded.tokenizer = tok
    return loaded


@pytest.mark.parametrize("kind", KINDS)
def test_constraint_span_is_the_sentence(kind: str) -> None:
    c = all_kinds()[kind].example()
    prompt = constrained_prompt(PLAIN, [c])
    (span,) = constraint_spans(prompt, [c])
    assert prompt[span.start:span.end] == c.describe()


def test_spans_of_three_constraints() -> None:
    chosen = [all_kinds()[k].example() for k in
              ("length:max_words", "format:no_bold", "lexical:no_commas")]
    prompt = constrained_prompt(PLAIN, chosen)
    spans = constraint_spans(prompt, chosen)
    assert [prompt[s.start:s.end] for s in spans] == [c.describe() for c in chosen]
    assert spans[0].end < spans[1].start < spans[2].start


def test_placebo_span_is_the_neutral_text() -> None:
    c = all_kinds()["length:max_words"].example()
    prompt = placebo_prompt(PLAIN, [c], key="17")
    span = placebo_span(prompt, [c], "17")
    assert prompt[:span.start] == PLAIN + "\n\n"
    assert span.end == len(prompt)


def test_a_prompt_the_protocol_did_not_build_is_refused() -> None:
    c = all_kinds()["length:max_words"].example()
    prompt = constrained_prompt(PLAIN, [c])
    with pytest.raises(SustainInputError, match="constraint block"):
        constraint_spans(prompt + " ", [c], where="doc.prompt")
    other = all_kinds()["format:no_bold"].example()
    with pytest.raises(SustainInputError, match="constraint block"):
        constraint_spans(prompt, [other])
    longer = all_kinds()["code:max_nesting_depth"].example()
    with pytest.raises(SustainInputError, match="placebo"):
        placebo_span(placebo_prompt(PLAIN, [c], key="1"), [longer], "1")
    with pytest.raises(SustainInputError, match="placebo"):
        placebo_span(PLAIN, [c], "1")


def test_locate_needs_exactly_one_occurrence() -> None:
    assert locate("<s>user\nabc</s>", "abc") == 8
    with pytest.raises(SustainInputError, match="not found"):
        locate("xyz", "abc")
    with pytest.raises(SustainInputError, match="more than once"):
        locate("abc abc", "abc")


def test_token_span_over_offsets() -> None:
    text = "ab cd. ef"
    offsets = [(0, 0), (0, 2), (2, 5), (5, 6), (6, 9)]  # a special token first
    span = token_span(offsets, CharSpan(3, 6), text)
    assert (span.start, span.end, span.exact) == (2, 4, True)  # " cd" spills a space only
    inexact = token_span(offsets, CharSpan(4, 6), text)  # "d." inside the token " cd"
    assert (inexact.start, inexact.end, inexact.exact) == (2, 4, False)
    with pytest.raises(ValueError, match="no token"):
        token_span(offsets, CharSpan(20, 22), text)


def _item(prompt: str, constraints: list[Any], rendering: Rendering) -> MechanismItem:
    return MechanismItem(
        key="k", run="r", model="m", task="gsm8k", sample_id="0", variant="constrained",
        prompt=prompt, output="Some answer.\n#### 7", constraints=tuple(constraints),
        spans=tuple(constraint_spans(prompt, constraints)), correct=True, rendering=rendering)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("harness", ["inspect", "lm-eval"])
def test_span_tokens_are_exact_on_every_tokenizer(tokenizers: dict[str, Any], family: str,
                                                  harness: str) -> None:
    """For every constraint kind's sentence, rendered as each harness renders it, the tokens
    found cover the sentence and nothing but whitespace around it."""
    tok = tokenizers[family]
    loaded = _loaded(tok)
    for c in EXAMPLES:
        prompt = constrained_prompt(PLAIN, [c])
        if harness == "inspect":
            rendering = Rendering("inspect")
        else:  # lm-eval records the string it sent: here with the chat template applied
            context = tok.apply_chat_template([{"role": "user", "content": prompt}],
                                              tokenize=False, add_generation_prompt=True) \
                if tok.chat_template else prompt
            rendering = Rendering("lm-eval", context=context)
        item = _item(prompt, [c], rendering)
        enc = loaded.encode(item)
        (span,) = enc.spans
        assert span.exact, (family, c.kind)
        decoded = tok.decode(list(enc.input_ids[span.start:span.end]))
        assert decoded.strip() == c.describe(), (family, c.kind)
        assert enc.span_indices() == list(range(span.start, span.end))
        out = tok(item.output, add_special_tokens=False)["input_ids"]
        assert list(enc.input_ids[enc.n_prompt:]) == list(out)


@pytest.mark.parametrize("family", FAMILIES)
def test_placebo_tokens_are_exact(tokenizers: dict[str, Any], family: str) -> None:
    tok = tokenizers[family]
    for c in EXAMPLES:
        prompt = placebo_prompt(PLAIN, [c], key="3")
        span = placebo_span(prompt, [c], "3")
        item = MechanismItem(
            key="k", run="r", model="m", task="gsm8k", sample_id="3", variant="placebo",
            prompt=prompt, output="x", constraints=(c,), spans=(span,), correct=True,
            rendering=Rendering("inspect"))
        enc = _loaded(tok).encode(item)
        (tokens,) = enc.spans
        assert tokens.exact
        assert tok.decode(list(enc.input_ids[tokens.start:tokens.end])).strip() == \
            prompt[span.start:]


@pytest.mark.parametrize("family", FAMILIES)
def test_spans_of_three_constraints_are_exact(tokenizers: dict[str, Any], family: str) -> None:
    """Every kind's sentence between two others (``\n- `` on both sides, where a SentencePiece
    piece may hold the newline): its tokens hold it and nothing visible around it."""
    loaded = _loaded(tokenizers[family])
    n = len(EXAMPLES)
    for i in range(n):
        chosen = [EXAMPLES[(i + 7) % n], EXAMPLES[i], EXAMPLES[(i + 13) % n]]
        prompt = constrained_prompt(PLAIN, chosen)
        enc = loaded.encode(_item(prompt, chosen, Rendering("inspect")))
        assert [s.exact for s in enc.spans] == [True] * 3, (family, chosen[1].kind)
        assert len(set(enc.span_indices())) == sum(len(s) for s in enc.spans)


def test_a_token_across_the_border_widens_the_span(tokenizers: dict[str, Any]) -> None:
    """The rule where a token crosses the border: a token sharing a character with the span
    counts in it (the span widens to whole tokens) and the span is marked inexact, which the
    report's ``span_exact_share`` counts. Shown on a SentencePiece piece cut in its middle."""
    tok = tokenizers["llama2"]
    text = "Problem: Tom has 3 apples.\nAnswer in at most 120 words."
    offsets = [tuple(o) for o in tok(text, return_offsets_mapping=True)["offset_mapping"]]
    word = text.index("apples")
    (piece,) = [i for i, (a, b) in enumerate(offsets) if a <= word + 2 < b]
    a, b = offsets[piece]
    assert text[a:b].strip() != text[word + 2:b].strip()  # the cut is inside the piece
    span = token_span(offsets, CharSpan(word + 2, len(text)), text)
    assert span.start == piece
    assert not span.exact
    covered = set().union(*(range(*offsets[i]) for i in span.indices()))
    assert set(range(word + 2, len(text))) <= covered
    whole = token_span(offsets, CharSpan(text.index("Answer"), len(text)), text)
    assert whole.exact
    assert tok.decode(tok(text)["input_ids"][whole.start:whole.end]).strip() == \
        "Answer in at most 120 words."


def test_rendering_follows_each_harness(tokenizers: dict[str, Any]) -> None:
    c = EXAMPLES[0]
    prompt = constrained_prompt(PLAIN, [c])
    llama = _loaded(tokenizers["llama"])
    text, add = llama.render(_item(prompt, [c], Rendering("inspect")))
    assert text.startswith("<|begin_of_text|><|start_header_id|>user")
    assert add
    text, _ = llama.render(_item(prompt, [c], Rendering("inspect", use_chat_template=False)))
    assert text == f"user: {prompt}\n"
    # lm-eval: a context that already starts with BOS gets no second one
    context = "<|begin_of_text|>" + prompt
    text, add = llama.render(_item(prompt, [c], Rendering("lm-eval", context=context)))
    assert (text, add) == (context, False)
    enc = llama.encode(_item(prompt, [c], Rendering("lm-eval", context=context)))
    assert list(enc.input_ids).count(tokenizers["llama"].bos_token_id) == 1
    gpt2 = _loaded(tokenizers["gpt2"])
    assert gpt2.render(_item(prompt, [c], Rendering("inspect")))[0] == f"user: {prompt}\n"
