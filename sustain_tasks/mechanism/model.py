"""Load a Hugging Face model and teacher-force a recorded prompt and output through it.

The input is rebuilt as the harness built it (:class:`~sustain_tasks.mechanism.runs.Rendering`):
Inspect's ``hf`` provider renders the prompt as one user message with the tokenizer's chat
template and encodes it with the tokenizer's special tokens; lm-eval's samples record the exact
string it sent (and it adds no BOS when that string already starts with one). The output is
encoded on its own, without special tokens, and appended: its tokens are a re-encoding of the
recorded text, which can differ from the sampled token ids where a text has several encodings.

Which tokens are which:

- the *prompt* is tokens ``[0, n_prompt)``, the *output* ``[n_prompt, n)``;
- the *deciding steps* of the output are positions ``[n_prompt - 1, n - 1)``: the step at
  position ``t`` is where the model chose output token ``t + 1``, so attention "from the
  generated tokens" is read on these queries;
- the inserted text's tokens are those whose offsets overlap its characters
  (:func:`~sustain_tasks.mechanism.spans.token_span`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sustain_tasks.errors import SustainError, SustainInputError

from . import require
from .runs import MechanismItem
from .spans import CharSpan, TokenSpan, locate, token_span

__all__ = ["POSITIONS", "Encoded", "Forward", "LoadedModel", "position_indices",
           "span_attention"]

POSITIONS: tuple[str, ...] = ("prompt", "start", "25%", "50%", "75%", "end")
"""Where hidden states are read: the last prompt token (before generation), then the output's
first token, its tokens at 25 %, 50 % and 75 % of its length, and its last token."""


@dataclass(frozen=True)
class Encoded:
    """An item as token ids, with where its parts are."""

    input_ids: tuple[int, ...]
    n_prompt: int
    spans: tuple[TokenSpan, ...]
    text: str
    """The prompt text the model got (chat template included)."""

    @property
    def n_output(self) -> int:
        return len(self.input_ids) - self.n_prompt

    def span_indices(self) -> list[int]:
        """The inserted text's token positions (the union of its spans), sorted."""
        return sorted({i for s in self.spans for i in s.indices()})


@dataclass(frozen=True)
class Forward:
    """What one teacher-forced pass gave (numpy arrays).

    Attributes:
        attentions: Per layer, ``[heads, queries, keys]`` on the deciding steps (None when
            not asked).
        hidden: ``[positions, layers + 1, hidden]`` at :data:`POSITIONS` (layer 0 is the
            embeddings; None when not asked).
    """

    attentions: list[Any] | None
    hidden: Any | None


def position_indices(n_prompt: int, n_total: int) -> list[int]:
    """Token positions of :data:`POSITIONS` for a prompt of ``n_prompt`` tokens followed by
    ``n_total - n_prompt >= 1`` output tokens."""
    n_out = n_total - n_prompt
    if n_out < 1:
        raise ValueError("no output token")
    out = [n_prompt - 1]
    for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
        out.append(n_prompt + int(fraction * (n_out - 1)))
    return out


def span_attention(attentions: Sequence[Any], span: Sequence[int]) -> tuple[Any, Any]:
    """Attention mass on ``span`` (key positions), averaged over the queries.

    Args:
        attentions: Per layer, ``[heads, queries, keys]`` (the deciding steps' rows).
        span: Key positions of the inserted text.

    Returns:
        ``(mass, per_token)``, each ``[layers, heads]``: the mean over queries of the summed
        attention on the span, and the same divided by the span's length.
    """
    if not span:
        raise ValueError("empty span")
    keys = np.asarray(span, dtype=np.int64)
    mass = np.stack([np.asarray(a, dtype=np.float64)[:, :, keys].sum(axis=2).mean(axis=1)
                     for a in attentions])
    return mass, mass / len(keys)


class LoadedModel:
    """A causal language model and its tokenizer, loaded once for all items.

    Args:
        model: Hub id or local folder.
        device: ``auto`` (CUDA when available), ``cpu`` or ``cuda`` (``cuda:1``, ...).
        dtype: ``auto`` (float32 on CPU, the checkpoint's own on CUDA), ``float32``,
            ``float16`` or ``bfloat16``.
        attention: Load the eager attention implementation, which returns attention weights.
    """

    def __init__(self, model: str, *, device: str = "auto", dtype: str = "auto",
                 attention: bool = False) -> None:
        torch, transformers = require("torch", "transformers")
        self._torch = torch
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        elif device.startswith("cuda") and not torch.cuda.is_available():
            raise SustainError("--device cuda, but torch sees no CUDA device")
        self.device = device
        if dtype == "auto":
            torch_dtype: Any = "auto" if device.startswith("cuda") else torch.float32
        else:
            torch_dtype = {"float32": torch.float32, "float16": torch.float16,
                           "bfloat16": torch.bfloat16}[dtype]
        kwargs: dict[str, Any] = {"dtype": torch_dtype}
        if attention:
            kwargs["attn_implementation"] = "eager"
        transformers.utils.logging.disable_progress_bar()  # the command draws its own
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(model)
            self.model = transformers.AutoModelForCausalLM.from_pretrained(model, **kwargs)
        except (OSError, ValueError) as exc:
            raise SustainError(f"cannot load model {model!r} with transformers: {exc}") \
                from None
        if not getattr(self.tokenizer, "is_fast", False):
            raise SustainError(f"the tokenizer of {model!r} is not a fast tokenizer: the "
                               "analyses locate the inserted text through its offsets mapping")
        self.model.to(device)
        self.model.eval()
        self.name = model
        config = self.model.config
        self.max_positions: int | None = getattr(config, "max_position_embeddings", None) \
            or getattr(config, "n_positions", None)

    # -- input ----------------------------------------------------------------------------

    def render(self, item: MechanismItem) -> tuple[str, bool]:
        """The prompt text the model got and whether special tokens were added to it."""
        r = item.rendering
        tok = self.tokenizer
        if r.harness == "lm-eval":
            assert r.context is not None
            bos = getattr(tok, "bos_token", None)
            if isinstance(bos, str) and bos and r.context.startswith(bos):
                return r.context, False
            return r.context, True if r.add_special_tokens is None else r.add_special_tokens
        template = r.chat_template if r.chat_template is not None else \
            getattr(tok, "chat_template", None)
        if r.use_chat_template is False:
            template = None
        add = True if r.add_special_tokens is None else r.add_special_tokens
        if template is None:
            return f"user: {item.prompt}\n", add
        text = tok.apply_chat_template(
            [{"role": "user", "content": item.prompt}], chat_template=template,
            add_generation_prompt=True, tokenize=False, enable_thinking=r.enable_thinking)
        if not isinstance(text, str):
            raise SustainError("the chat template did not render to a string")
        return text, add

    def encode(self, item: MechanismItem) -> Encoded:
        """The item's token ids and the inserted text's tokens.

        Raises:
            SustainInputError: the prompt is not found in the rendered input.
        """
        text, add_special = self.render(item)
        offset = locate(text, item.prompt, where=f"{item.key}: prompt")
        enc = self.tokenizer(text, add_special_tokens=add_special,
                             return_offsets_mapping=True)
        ids = list(enc["input_ids"])
        offsets = [tuple(o) for o in enc["offset_mapping"]]
        spans = []
        for span in item.spans:
            shifted: CharSpan = span.shift(offset)
            try:
                spans.append(token_span(offsets, shifted, text))
            except ValueError as exc:
                raise SustainInputError(f"inserted text not found in the tokens: {exc}",
                                        field=f"{item.key}: prompt") from None
        out_ids = list(self.tokenizer(item.output, add_special_tokens=False)["input_ids"])
        return Encoded(tuple(ids + out_ids), len(ids), tuple(spans), text)

    # -- forward --------------------------------------------------------------------------

    def forward(self, enc: Encoded, *, attentions: bool = False, hidden: bool = False
                ) -> Forward:
        """One teacher-forced pass over prompt and output."""
        torch = self._torch
        ids = torch.tensor([list(enc.input_ids)], dtype=torch.long, device=self.device)
        # the base model (without the language-model head): no logits are needed, and the
        # head is a large share of the arithmetic for big vocabularies
        body = getattr(self.model, "base_model", None) or self.model
        with torch.inference_mode():
            out = body(input_ids=ids, output_attentions=attentions,
                       output_hidden_states=hidden, use_cache=False)
        n, start = len(enc.input_ids), enc.n_prompt - 1
        attn = None
        if attentions:
            attn = [a[0, :, start:n - 1, :].float().cpu().numpy() for a in out.attentions]
        states = None
        if hidden:
            index = torch.tensor(position_indices(enc.n_prompt, n), device=self.device)
            states = torch.stack([h[0].index_select(0, index) for h in out.hidden_states],
                                 dim=1).float().cpu().numpy()
        return Forward(attn, states)
